//! Errors of the plan stage.

use thiserror::Error;

use crate::provider::ProviderError;

/// Why a statement could not be planned. Nothing is sent when planning fails.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The provider, service, resource or method does not exist.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A required parameter is not bound.
    #[error("{resource}: missing required parameter {missing} ({verb} needs {needed})")]
    MissingParam {
        /// Resource id.
        resource: String,
        /// The missing parameter(s), comma separated.
        missing: String,
        /// The verb (or method name for EXEC).
        verb: String,
        /// Every required parameter, comma separated.
        needed: String,
    },
    /// Anything else, with the fix in the message.
    #[error("{0}")]
    Invalid(String),
}
