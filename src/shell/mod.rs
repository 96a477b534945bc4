//! The interactive shell.

use crate::engine::Engine;
use crate::runner::RunOptions;

/// Why the shell stopped abnormally.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ShellError(pub String);

/// Runs the interactive shell until the user leaves it.
pub async fn run(_engine: &Engine, _options: RunOptions) -> Result<(), ShellError> {
    Err(ShellError(
        "the interactive shell is not available yet: use oktaql exec".into(),
    ))
}
