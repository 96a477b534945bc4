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

/// Why the calls of a table bound from other tables' rows could not be built once those
/// rows were known (see [`super::Deferred::requests`]). Nothing of that table is sent.
#[derive(Debug, Error)]
pub enum DeferredError {
    /// The rows give more parameter combinations than one statement may send.
    #[error("{resource} would need more than {limit} requests: narrow the query that supplies its parameters")]
    TooManyRequests {
        /// Resource id.
        resource: String,
        /// The limit ([`super::bind::MAX_FANOUT`]).
        limit: usize,
    },
    /// A value from the rows cannot be sent (a path segment such as `..`, a subdomain that
    /// is not a host name).
    #[error(transparent)]
    Value(PlanError),
}
