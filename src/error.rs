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

impl Error {
    /// What in the statement text this error is about (the table of a missing parameter,
    /// an unknown name, a bad value), for pointing at it; `None` when it is about no one
    /// token (a failed request, a template) or already carries its position (syntax).
    pub fn needle(&self) -> Option<crate::sql::Needle> {
        use crate::plan::PlanError;
        use crate::relational::RelationalError;
        use crate::sql::Needle;
        let provider = |e: &crate::provider::ProviderError| match e {
            crate::provider::ProviderError::Unknown { name, .. } => {
                Some(Needle::Name(name.clone()))
            }
            _ => None,
        };
        match self {
            Error::Plan(e) => match e {
                PlanError::MissingParam { resource, .. }
                | PlanError::UnsupportedVerb { resource, .. } => {
                    Some(Needle::Name(resource.clone()))
                }
                PlanError::UnknownMethod { method, .. } => Some(Needle::Name(method.clone())),
                PlanError::BadValue { value, .. } => Some(Needle::Literal(value.clone())),
                PlanError::At { at, .. } => Some(at.clone()),
                PlanError::Provider(e) => provider(e),
                _ => None,
            },
            Error::Provider(e) => provider(e),
            Error::Relational(e) => match e {
                RelationalError::UnknownColumn { column, .. }
                | RelationalError::ColumnNotInScope { column }
                | RelationalError::AmbiguousColumn { column } => Some(Needle::Name(column.clone())),
                RelationalError::UnknownTable { table, .. } => Some(Needle::Name(table.clone())),
                _ => None,
            },
            _ => None,
        }
    }

    /// Where in `source` this error points: a syntax error's own position, else the token
    /// [`Error::needle`] names where the statement writes it.
    pub fn position(&self, source: &crate::sql::Source) -> Option<crate::sql::Position> {
        match self {
            Error::Sql(e) => Some(crate::sql::Position {
                line: e.line,
                column: e.column,
                width: 1,
            }),
            _ => crate::sql::locate(source, &self.needle()?),
        }
    }
}
