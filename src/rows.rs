//! The tabular value that flows from the relational stage to the renderers.
//!
//! Cells are JSON values so that objects and arrays (`_links`, `credentials`) keep their
//! types all the way to JSON output.

use serde_json::Value;

/// A result set: named columns and rows of JSON values, one value per column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// Column names, in output order.
    pub columns: Vec<String>,
    /// The rows; each has exactly `columns.len()` cells.
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    /// An empty result with the given columns.
    pub fn new(columns: Vec<String>) -> Self {
        Rows {
            columns,
            rows: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows as JSON objects keyed by column name, in column order.
    pub fn to_objects(&self) -> Vec<serde_json::Map<String, Value>> {
        self.rows
            .iter()
            .map(|r| {
                self.columns
                    .iter()
                    .cloned()
                    .zip(r.iter().cloned())
                    .collect::<serde_json::Map<String, Value>>()
            })
            .collect()
    }
}
