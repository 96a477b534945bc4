//! The boxed table format (comfy-table, UTF-8 lines).
//!
//! Without a width the table is as wide as its content. With a width, columns are arranged
//! to fit it: long cells wrap, and a row is cut after [`MAX_ROW_LINES`] lines with `…`.
//! Numbers are right-aligned; null is an empty cell; control characters are shown escaped
//! so that data cannot drive the terminal.

use std::io::Write;

use comfy_table::{presets, Attribute, Cell, CellAlignment, ContentArrangement, Row, Table};
use serde_json::Value;

use super::{cell_text, escape_controls, RenderError, RenderOptions};

/// Lines a row may take when the table is fitted to a width.
pub(super) const MAX_ROW_LINES: usize = 6;

/// A table being filled row by row; printed whole by [`TableWriter::finish`], since column
/// widths depend on every row. Rows are kept as table cells (text), not as JSON values.
pub(super) struct TableWriter {
    table: Table,
    fit: bool,
}

impl TableWriter {
    /// A table with the header row (unless hidden) and no rows yet.
    pub(super) fn new(columns: &[String], opts: &RenderOptions) -> TableWriter {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_truncation_indicator("…");
        if opts.color {
            table.enforce_styling();
        }
        match opts.width {
            Some(width) => {
                table
                    .set_width(width)
                    .set_content_arrangement(ContentArrangement::Dynamic);
            }
            None => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !opts.hide_headers {
            let header: Vec<Cell> = columns
                .iter()
                .map(|c| {
                    let cell = Cell::new(escape_controls(c, false));
                    if opts.color {
                        cell.add_attribute(Attribute::Bold)
                    } else {
                        cell
                    }
                })
                .collect();
            table.set_header(header);
        }
        TableWriter {
            table,
            fit: opts.width.is_some(),
        }
    }

    /// Adds one row.
    pub(super) fn add(&mut self, cells: &[Value]) {
        let mut row = Row::from(cells.iter().map(cell));
        if self.fit {
            row.max_height(MAX_ROW_LINES);
        }
        self.table.add_row(row);
    }

    /// Writes the table followed by a newline.
    pub(super) fn finish(self, out: &mut impl Write) -> Result<(), RenderError> {
        writeln!(out, "{}", self.table)?;
        Ok(())
    }
}

fn cell(value: &Value) -> Cell {
    let cell = Cell::new(escape_controls(&cell_text(value), true));
    if value.is_number() {
        cell.set_alignment(CellAlignment::Right)
    } else {
        cell
    }
}
