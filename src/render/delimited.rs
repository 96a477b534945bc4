//! Delimited formats: CSV (quoted by the `csv` crate) and tab-separated text.
//!
//! Both are written a row at a time: the header (unless hidden) when the columns are known,
//! then each row as it comes.

use std::borrow::Cow;
use std::io::{BufWriter, Write};

use serde_json::Value;

use super::{cell_text, escape_controls, RenderError};

/// The `csv` writer's own buffer, in bytes. It is zeroed when made, once per statement, so
/// it is kept small (the default 8 KiB cost more than a row of a one-row answer); the
/// [`BufWriter`] behind it gathers the output into few writes.
const CSV_BUFFER: usize = 256;

/// A CSV writer over `out`: RFC 4180 quoting, `\n` line ends.
pub(super) fn csv_writer<W: Write>(out: W) -> csv::Writer<BufWriter<W>> {
    csv::WriterBuilder::new()
        .buffer_capacity(CSV_BUFFER)
        .from_writer(BufWriter::new(out))
}

/// One CSV record: objects and arrays as compact JSON, null as an empty field.
pub(super) fn write_csv_row<W: Write>(
    csv: &mut csv::Writer<W>,
    cells: &[Value],
) -> Result<(), RenderError> {
    csv.write_record(cells.iter().map(|v| Field(cell_text(v))))?;
    Ok(())
}

/// A cell's text as the bytes the `csv` crate takes, without copying borrowed text.
struct Field<'a>(Cow<'a, str>);

impl AsRef<[u8]> for Field<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// One line of tab-separated text. Cells are not quoted; backslashes, tabs, newlines and
/// other control characters in them are escaped (`\\`, `\t`, `\n`, `\x1b`), so every row
/// stays one line.
pub(super) fn write_text_line<'a>(
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
