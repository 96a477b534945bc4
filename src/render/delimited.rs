//! Delimited formats: CSV (quoted by the `csv` crate) and tab-separated text.

use std::borrow::Cow;
use std::io::Write;

use super::{cell_text, escape_controls, RenderError, RenderOptions};
use crate::rows::Rows;

/// CSV: a header unless hidden, then one record per row; objects and arrays as compact
/// JSON, null as an empty field. Nothing at all for a result without columns.
pub(super) fn write_csv(
    rows: &Rows,
    opts: &RenderOptions,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    if rows.columns.is_empty() {
        return Ok(());
    }
    let mut csv = csv::WriterBuilder::new().from_writer(out);
    if !opts.hide_headers {
        csv.write_record(&rows.columns)?;
    }
    for row in &rows.rows {
        csv.write_record(row.iter().map(|v| cell_text(v).into_owned()))?;
    }
    csv.flush()?;
    Ok(())
}

/// Tab-separated text: a header unless hidden, then one line per row. Cells are not quoted;
/// backslashes, tabs, newlines and other control characters in them are escaped (`\\`,
/// `\t`, `\n`, `\x1b`), so every row stays one line.
pub(super) fn write_text(
    rows: &Rows,
    opts: &RenderOptions,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    if rows.columns.is_empty() {
        return Ok(());
    }
    if !opts.hide_headers {
        write_line(rows.columns.iter().map(|c| Cow::Borrowed(c.as_str())), out)?;
    }
    for row in &rows.rows {
        write_line(row.iter().map(cell_text), out)?;
    }
    Ok(())
}

fn write_line<'a>(
    cells: impl Iterator<Item = Cow<'a, str>>,
    out: &mut impl Write,
) -> Result<(), RenderError> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.write_all(b"\t")?;
        }
        let cell = if cell.contains('\\') {
            Cow::Owned(cell.replace('\\', "\\\\"))
        } else {
            cell
        };
        out.write_all(escape_controls(&cell, false).as_bytes())?;
    }
    out.write_all(b"\n")?;
    Ok(())
}
