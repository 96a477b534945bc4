//! The boxed table format (comfy-table, UTF-8 lines).
//!
//! Without a width (or a width of 0, what a terminal that reports no size gives) the table is
//! as wide as its content. With a width, columns are arranged to fit it: free-text columns
//! (names, labels, descriptions, JSON) wrap first; id-like columns (every value one word of
//! at most [`MAX_ID_WIDTH`] characters: Okta ids, statuses, timestamps) keep their width, so
//! an id is never broken across lines. A row is cut after [`MAX_ROW_LINES`] lines with `…`.
//! Numbers are right-aligned; null is an empty cell; control characters are shown escaped
//! so that data cannot drive the terminal.

use std::io::Write;

use comfy_table::{
    presets, Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Row, Table,
    Width,
};
use serde_json::Value;

use super::{cell_text, escape_controls, RenderError, RenderOptions};

/// Lines a row may take when the table is fitted to a width.
pub(super) const MAX_ROW_LINES: usize = 6;

/// Longest value an id-like column may hold: an id is one word, a free text or JSON value
/// longer than this is wrapped first. Okta ids are 20 characters, client secrets 64.
pub(super) const MAX_ID_WIDTH: usize = 64;

/// A table being filled row by row; printed whole by [`TableWriter::finish`], since column
/// widths depend on every row. Rows are kept as table cells (text), not as JSON values.
pub(super) struct TableWriter {
    table: Table,
    fit: bool,
    /// Per column: whether every value so far is id-like, whether every one has the shape of
    /// an Okta id, and the widest value.
    columns: Vec<(bool, bool, usize)>,
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
        let fit = opts.width.is_some_and(|w| w > 0);
        match opts.width {
            Some(width) if fit => {
                table
                    .set_width(width)
                    .set_content_arrangement(ContentArrangement::Dynamic);
            }
            _ => {
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
            fit,
            columns: vec![(true, true, 0); columns.len()],
        }
    }

    /// Adds one row.
    pub(super) fn add(&mut self, cells: &[Value]) {
        let mut row = Row::from(cells.iter().map(cell));
        if self.fit {
            row.max_height(MAX_ROW_LINES);
            for (stats, value) in self.columns.iter_mut().zip(cells) {
                let text = cell_text(value);
                let width = text.chars().count();
                stats.0 &= is_id_like(value, &text);
                stats.1 &= is_okta_id(&text);
                stats.2 = stats.2.max(width);
            }
        }
        self.table.add_row(row);
    }

    /// Writes the table followed by a newline.
    pub(super) fn finish(mut self, out: &mut impl Write) -> Result<(), RenderError> {
        if let Some(width) = self.table.width().filter(|_| self.fit) {
            // Id-like columns keep their width; comfy-table shrinks the others to fit.
            let keep = kept_columns(&self.columns, usize::from(width));
            for (column, (&keep, &(_, _, w))) in self
                .table
                .column_iter_mut()
                .zip(keep.iter().zip(&self.columns))
            {
                if keep {
                    // The constraint's width counts the cell padding too.
                    let w = u16::try_from(w)
                        .unwrap_or(u16::MAX)
                        .saturating_add(column.padding_width());
                    column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
                }
            }
        }
        writeln!(out, "{}", self.table)?;
        Ok(())
    }
}

/// Characters a shrunk free-text column keeps at least, reserved before ids are kept whole.
const MIN_FREE_WIDTH: usize = 4;

/// Which columns keep their full width in a table `width` characters wide: id-like ones,
/// Okta ids first then the narrowest, as long as they fit beside the borders and
/// [`MIN_FREE_WIDTH`] for every column that wraps.
fn kept_columns(columns: &[(bool, bool, usize)], width: usize) -> Vec<bool> {
    let mut keep = vec![false; columns.len()];
    let borders = 3 * columns.len() + 1;
    let mut order: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].0 && columns[i].2 > 0)
        .collect();
    order.sort_by_key(|&i| (!columns[i].1, columns[i].2));
    let free = columns.len() - order.len();
    let mut budget = width.saturating_sub(borders + free * MIN_FREE_WIDTH);
    for i in order {
        if columns[i].2 <= budget {
            budget -= columns[i].2;
            keep[i] = true;
        } else {
            // A column that wraps needs its minimum too.
            budget = budget.saturating_sub(MIN_FREE_WIDTH);
        }
    }
    keep
}

/// Whether `text` has the shape of an Okta object id: 20 letters and digits, the first
/// three lower case or digits (`0oa…`, `00u…`, `ocs…`); an empty cell (null) may stand in
/// any column.
fn is_okta_id(text: &str) -> bool {
    text.is_empty()
        || text.len() == 20
            && text.bytes().all(|b| b.is_ascii_alphanumeric())
            && text
                .bytes()
                .take(3)
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether a value reads as an id rather than free text: null, a number or boolean, or a
/// string of one word (no whitespace) that is not JSON and at most [`MAX_ID_WIDTH`] long.
fn is_id_like(value: &Value, text: &str) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
        Value::String(s) => {
            !s.is_empty()
                && s.chars().count() <= MAX_ID_WIDTH
                && !s.chars().any(char::is_whitespace)
                && !s.starts_with(['{', '['])
        }
        _ => text.is_empty(),
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
