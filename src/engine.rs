//! The engine: runs statements through every stage.

use crate::rows::Rows;

/// Engine settings.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {}

/// Runs statements.
#[derive(Debug)]
pub struct Engine {}

/// What one statement produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Rows to print, if the statement returns any.
    pub rows: Option<Rows>,
    /// A one-line summary (`2 rows`, `secret deleted`).
    pub message: String,
}
