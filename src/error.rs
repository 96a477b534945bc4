//! The top-level error, naming the stage that failed.

use thiserror::Error;

/// An error from any stage of the pipeline.
#[derive(Debug, Error)]
pub enum Error {
    /// Template rendering.
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    /// Splitting or parsing.
    #[error(transparent)]
    Sql(#[from] crate::sql::SqlError),
    /// Loading providers.
    #[error(transparent)]
    Provider(#[from] crate::provider::ProviderError),
    /// Planning.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// Building the calls of a table from other tables' rows.
    #[error(transparent)]
    Deferred(#[from] crate::plan::DeferredError),
    /// HTTP execution.
    #[error(transparent)]
    Exec(#[from] crate::exec::ExecError),
    /// SQL evaluation over fetched rows.
    #[error(transparent)]
    Relational(#[from] crate::relational::RelationalError),
    /// A statement of several requests failed part-way.
    #[error("{source}\n{completed} of {total} requests completed before this failure; the rest were not sent")]
    Incomplete {
        /// Requests that succeeded.
        completed: usize,
        /// Requests planned.
        total: usize,
        /// The failure.
        source: Box<Error>,
    },
}
