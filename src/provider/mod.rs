//! Provider documents: loading StackQL-layout registries (OpenAPI 3 + `x-stackQL-resources`)
//! into a typed model, Provider → Service → Resource → Method → Param / Column.
//!
//! Owns: reading `provider.yaml` and service documents from the compiled-in `providers/`
//! directory or from `--registry DIR`; resolving `$ref`s; merging path-item and operation
//! parameters; server URL templates and variables; request body and response schemas.
//! Services are parsed lazily, on first use; the compiled-in ones were built at build time
//! (`build.rs`), and those of a directory can be kept in a [`ServiceCache`]. Parsing one
//! document into the model is the `oktaql-provider` crate, re-exported here; this module
//! finds, loads and caches documents. Must not: do any network I/O, or know anything
//! about a particular resource (adding a resource is adding YAML).

mod cache;
mod load;

pub use cache::{ServiceCache, CACHE_DIR_ENV, NO_CACHE_ENV};
pub use load::Registry;
// The document parser and the model are the `oktaql-provider` crate (the build script
// uses it too); `document` is its hidden module of YAML and `$ref` helpers.
pub use oktaql_provider::*;
