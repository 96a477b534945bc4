//! Errors of the parse stage.

use thiserror::Error;

/// A statement that could not be split or parsed, with its position in the input.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("syntax error at line {line}, column {column}: {message}")]
pub struct SqlError {
    /// What is wrong, and what would be right.
    pub message: String,
    /// Line in the original input (1-based).
    pub line: usize,
    /// Column in the original input (1-based).
    pub column: usize,
}
