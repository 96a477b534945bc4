//! Expanded display (psql's `\x`): each row as its own block of `column | value` lines,
//! headed `-[ RECORD n ]-`, so that a row wider than the terminal reads top to bottom.

use std::io::Write;

use serde_json::Value;

use super::{cell_text, escape_controls, RenderError};

/// Writes row number `n` (from 1) of a result with `columns`.
pub(super) fn write_record(
    columns: &[String],
    cells: &[Value],
    n: usize,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    let names: Vec<_> = columns.iter().map(|c| escape_controls(c, false)).collect();
    let width = names.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    let title = format!("-[ RECORD {n} ]");
    // The rule runs to the end of the longest name and its separator, at least.
    let rule = (width + 3).saturating_sub(title.chars().count()).max(1);
    writeln!(out, "{title}{}", "-".repeat(rule))?;
    for (name, cell) in names.iter().zip(cells) {
        let value = cell_text(cell);
        let value = escape_controls(&value, false);
        let pad = width - name.chars().count();
        writeln!(out, "{name}{} | {value}", " ".repeat(pad))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_block_per_row_with_aligned_names() {
        let columns = vec!["id".to_string(), "client_secret".to_string()];
        let mut out = Vec::new();
        write_record(&columns, &[json!("ocs1"), json!(null)], 1, &mut out).unwrap();
        write_record(&columns, &[json!("ocs2\nx"), json!(3)], 2, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-[ RECORD 1 ]---\n\
             id            | ocs1\n\
             client_secret | \n\
             -[ RECORD 2 ]---\n\
             id            | ocs2\\nx\n\
             client_secret | 3\n"
        );
    }
}
