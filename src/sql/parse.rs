//! Parsing one statement.

use super::{Source, SqlError, Statement};

/// Parses one statement (as cut by [`super::split`]).
pub fn parse(_source: &Source) -> Result<Statement, SqlError> {
    todo!("parser")
}
