//! Loading registries: the compiled-in `providers/` tree or a directory given by `--registry`.

use std::path::Path;
use std::sync::Arc;

use super::{AuthConfig, ProviderError, Service, ServiceEntry};

/// A set of providers, each a `provider.yaml` plus lazily parsed service documents.
///
/// Layout (StackQL's): `<root>/<provider>/<version>/provider.yaml` and
/// `<root>/<provider>/<version>/services/<service>.yaml`.
#[derive(Debug, Clone)]
pub struct Registry {
    _private: (),
}

impl Registry {
    /// The registry compiled into the binary (`providers/`).
    pub fn embedded() -> Registry {
        todo!("provider loader")
    }

    /// A registry read from a directory. Only `provider.yaml` files are read here; service
    /// documents are parsed when first used.
    pub fn from_dir(_root: &Path) -> Result<Registry, ProviderError> {
        todo!("provider loader")
    }

    /// Names of the providers, sorted.
    pub fn provider_names(&self) -> Vec<String> {
        todo!("provider loader")
    }

    /// The services a provider lists, in `provider.yaml` order, without loading them.
    pub fn services(&self, _provider: &str) -> Result<Vec<ServiceEntry>, ProviderError> {
        todo!("provider loader")
    }

    /// A service, parsed on first use and cached.
    pub fn service(&self, _provider: &str, _service: &str) -> Result<Arc<Service>, ProviderError> {
        todo!("provider loader")
    }

    /// The provider's authentication settings.
    pub fn auth(&self, _provider: &str) -> Result<AuthConfig, ProviderError> {
        todo!("provider loader")
    }
}
