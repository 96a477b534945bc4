//! Markdown: a GitHub-flavoured pipe table.
//!
//! The header row is always written (the format requires one). In cells, `\` and `|` are
//! escaped and line breaks become `<br>`, so every row stays one table row.

use std::io::Write;

use super::{cell_text, escape_controls, RenderError};
use crate::rows::Rows;

/// Writes the table; nothing at all for a result without columns.
pub(super) fn write(rows: &Rows, out: &mut impl Write) -> Result<(), RenderError> {
    if rows.columns.is_empty() {
        return Ok(());
    }
    write_row(rows.columns.iter().map(String::as_str), out)?;
    write_row(rows.columns.iter().map(|_| "---"), out)?;
    for row in &rows.rows {
        let cells: Vec<String> = row.iter().map(|v| escape(&cell_text(v))).collect();
        write_raw_row(cells.iter().map(String::as_str), out)?;
    }
    Ok(())
}

fn write_row<'a>(
    cells: impl Iterator<Item = &'a str>,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    let cells: Vec<String> = cells.map(escape).collect();
    write_raw_row(cells.iter().map(String::as_str), out)
}

fn write_raw_row<'a>(
    cells: impl Iterator<Item = &'a str>,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    out.write_all(b"|")?;
    for cell in cells {
        out.write_all(b" ")?;
        out.write_all(cell.as_bytes())?;
        out.write_all(b" |")?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

/// Escapes one cell for a pipe table.
fn escape(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    escape_controls(&out, false).into_owned()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn cells_are_escaped() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("C:\\x|"), "C:\\\\x\\|");
        assert_eq!(escape("l1\r\nl2\nl3"), "l1<br>l2<br>l3");
        assert_eq!(escape("tab\there"), "tab\\there");
    }
}
