//! Writing a result a row at a time: [`RowWriter`].
//!
//! CSV, text, JSONL, JSON and Markdown write each row as it comes, so a large result never
//! has to be held whole; the boxed table needs every row for its column widths and keeps
//! them, as table cells (text) rather than JSON values, until [`RowWriter::finish`].
//! The bytes are the same as [`super::render`] writes for the same rows, which is built on
//! this writer.

use std::io::{BufWriter, Write};

use serde_json::Value;

use super::table::TableWriter;
use super::{delimited, expanded, json, markdown, OutputFormat, RenderError, RenderOptions};

/// Writes one result in one format, a row at a time.
///
/// Create it when the columns are known ([`RowWriter::new`] writes the header), give it
/// each row ([`RowWriter::write_row`]), then call [`RowWriter::finish`], which closes the
/// document and flushes. Output is buffered; a writer dropped without `finish` (after an
/// error) writes out what it buffered, so a result that fails part-way leaves its first
/// rows written.
pub struct RowWriter<W: Write> {
    sink: Sink<W>,
    rows: usize,
}

/// The format-specific state.
enum Sink<W: Write> {
    /// A result without columns, in a format that shows nothing for it.
    Nothing(W),
    Csv(Box<csv::Writer<BufWriter<W>>>),
    Text(BufWriter<W>),
    Markdown(BufWriter<W>),
    Json {
        out: BufWriter<W>,
        keys: Vec<String>,
    },
    Jsonl {
        out: BufWriter<W>,
        keys: Vec<String>,
    },
    Table {
        out: BufWriter<W>,
        table: Box<TableWriter>,
    },
    Expanded {
        out: BufWriter<W>,
        columns: Vec<String>,
    },
}

impl<W: Write> RowWriter<W> {
    /// Starts a result with `columns` in `format`, writing its header (CSV, text and the
    /// table unless hidden; Markdown always).
    pub fn new(
        format: OutputFormat,
        opts: &RenderOptions,
        columns: &[String],
        out: W,
    ) -> Result<RowWriter<W>, RenderError> {
        let no_columns = columns.is_empty();
        let sink = match format {
            OutputFormat::Json => Sink::Json {
                out: BufWriter::new(out),
                keys: json::unique_keys(columns),
            },
            OutputFormat::Jsonl => Sink::Jsonl {
                out: BufWriter::new(out),
                keys: json::unique_keys(columns),
            },
            _ if no_columns => Sink::Nothing(out),
            OutputFormat::Csv => {
                let mut csv = delimited::csv_writer(out);
                if !opts.hide_headers {
                    csv.write_record(columns)?;
                }
                Sink::Csv(Box::new(csv))
            }
            OutputFormat::Text => {
                let mut out = BufWriter::new(out);
                if !opts.hide_headers {
                    delimited::write_text_line(
                        columns.iter().map(|c| c.as_str().into()),
                        &mut out,
                    )?;
                }
                Sink::Text(out)
            }
            OutputFormat::Markdown => {
                let mut out = BufWriter::new(out);
                markdown::write_header(columns, &mut out)?;
                Sink::Markdown(out)
            }
            OutputFormat::Table if opts.expanded => Sink::Expanded {
                out: BufWriter::new(out),
                columns: columns.to_vec(),
            },
            OutputFormat::Table => Sink::Table {
                out: BufWriter::new(out),
                table: Box::new(TableWriter::new(columns, opts)),
            },
        };
        Ok(RowWriter { sink, rows: 0 })
    }

    /// Writes one row: one cell per column, in column order.
    pub fn write_row(&mut self, cells: &[Value]) -> Result<(), RenderError> {
        match &mut self.sink {
            Sink::Nothing(_) => {}
            Sink::Csv(csv) => delimited::write_csv_row(csv, cells)?,
            Sink::Text(out) => delimited::write_text_line(cells.iter().map(super::cell_text), out)?,
            Sink::Markdown(out) => markdown::write_cells(cells, out)?,
            Sink::Json { out, keys } => json::write_document_row(keys, cells, self.rows == 0, out)?,
            Sink::Jsonl { out, keys } => json::write_line(keys, cells, out)?,
            Sink::Table { table, .. } => table.add(cells),
            Sink::Expanded { out, columns } => {
                expanded::write_record(columns, cells, self.rows + 1, out)?
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Ends the result (closes the JSON array, prints the table) and flushes the output.
    pub fn finish(self) -> Result<(), RenderError> {
        match self.sink {
            Sink::Nothing(mut out) => out.flush()?,
            Sink::Csv(mut csv) => csv.flush()?,
            Sink::Text(mut out)
            | Sink::Markdown(mut out)
            | Sink::Jsonl { mut out, .. }
            | Sink::Expanded { mut out, .. } => out.flush()?,
            Sink::Json { mut out, .. } => {
                json::end_document(self.rows, &mut out)?;
                out.flush()?;
            }
            Sink::Table { mut out, table } => {
                table.finish(&mut out)?;
                out.flush()?;
            }
        }
        Ok(())
    }
}
