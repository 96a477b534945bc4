//! Errors of the relational stage.

use thiserror::Error;

/// SQLite refused or failed the statement.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct RelationalError(pub String);
