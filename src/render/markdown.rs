//! Markdown: a GitHub-flavoured pipe table.
//!
//! The header row is always written (the format requires one). Cells are not padded to a
//! column width, so rows are written one at a time as they come. In cells, `\` and `|` are
//! escaped and line breaks become `<br>`, so every row stays one table row.

use std::io::Write;

use super::{cell_text, escape_controls, RenderError};
use serde_json::Value;

/// Writes the header row and the separator row under it.
pub(super) fn write_header(columns: &[String], out: &mut impl Write) -> Result<(), RenderError> {
    write_row(columns.iter().map(String::as_str), out)?;
    write_row(columns.iter().map(|_| "---"), out)
}

/// Writes one table row. Cells are not padded, so rows can be written as they come.
pub(super) fn write_cells(cells: &[Value], out: &mut impl Write) -> Result<(), RenderError> {
    let cells: Vec<String> = cells.iter().map(|v| escape(&cell_text(v))).collect();
    write_raw_row(cells.iter().map(String::as_str), out)
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
