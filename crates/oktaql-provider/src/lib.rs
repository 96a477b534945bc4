//! StackQL provider documents (OpenAPI 3 + `x-stackQL-resources`) parsed into a typed model,
//! Provider → Service → Resource → Method → Param / Column.
//!
//! Owns: reading one service document (YAML) into a [`Service`]; resolving its `$ref`s;
//! merging path-item and operation parameters; server URL templates and variables; request
//! body and response schemas; the one "did you mean" rule ([`nearest`]). Must not: do any
//! I/O (callers hand it text), or know anything about a particular resource.
//!
//! oktaql's build script uses it to build the compiled-in service models, and the `oktaql`
//! library re-exports it as `oktaql::provider`.
#![warn(missing_docs)]

#[doc(hidden)]
pub mod document;
mod error;
mod model;
mod parse;
mod schema;
mod suggest;

pub use error::ProviderError;
pub use model::*;
pub use parse::parse_service_document;
pub use suggest::nearest;
