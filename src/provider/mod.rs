//! Provider documents: loading StackQL-layout registries (OpenAPI 3 + `x-stackQL-resources`)
//! into a typed model, Provider → Service → Resource → Method → Param / Column.
//!
//! Owns: reading `provider.yaml` and service documents from the compiled-in `providers/`
//! directory or from `--registry DIR`; resolving `$ref`s; merging path-item and operation
//! parameters; server URL templates and variables; request body and response schemas.
//! Services are parsed lazily, on first use; the compiled-in ones were built at build time
//! (`build.rs`), and those of a directory can be kept in a [`ServiceCache`]. Must not: do any network I/O, or know anything
//! about a particular resource (adding a resource is adding YAML).

mod cache;
mod document;
mod error;
mod load;
mod model;
mod parse;
mod schema;
mod suggest;

pub use cache::{ServiceCache, CACHE_DIR_ENV, NO_CACHE_ENV};
pub use error::ProviderError;
pub use load::Registry;
pub use model::*;
pub use parse::parse_service_document;
pub use suggest::nearest;
