//! Errors of the provider layer.

use thiserror::Error;

/// Why a provider, service or resource could not be loaded or found.
#[derive(Debug, Error)]
pub enum ProviderError {
    /// A file of the registry could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A document is not valid YAML, or not the expected shape.
    #[error("invalid provider document {path}: {message}")]
    Invalid {
        /// The file (or `<embedded>/…`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No such provider / service / resource / method.
    #[error("unknown {kind} {name}{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Unknown {
        /// `provider`, `service`, `resource` or `method`.
        kind: &'static str,
        /// The name asked for, fully qualified.
        name: String,
        /// The nearest existing name.
        suggestion: Option<String>,
    },
}
