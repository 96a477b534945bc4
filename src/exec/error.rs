//! Errors of the execute stage.

use thiserror::Error;

/// A request that failed.
#[derive(Debug, Error)]
pub enum ExecError {
    /// Anything else.
    #[error("{0}")]
    Other(String),
}
