//! Provider documents: loading StackQL-layout registries (OpenAPI 3 + `x-stackQL-resources`)
//! into a typed model, Provider → Service → Resource → Method → Param / Column.
//!
//! Owns: reading `provider.yaml` and service documents from the compiled-in `providers/`
//! directory or from `--registry DIR`; resolving `$ref`s; merging path-item and operation
//! parameters; server URL templates and variables; request body and response schemas.
//! Services are parsed lazily, on first use. Must not: do any network I/O, or know anything
//! about a particular resource (adding a resource is adding YAML).

mod document;
mod error;
mod load;
mod model;
mod parse;
mod schema;
mod suggest;

pub use error::ProviderError;
pub use load::Registry;
pub use model::*;
pub use parse::parse_service_document;
pub use suggest::nearest;
