//! Resolving `provider.service.resource` names against the registry (case-insensitive,
//! with a suggestion of the nearest name when one is unknown).

use std::sync::Arc;

use crate::provider::{ProviderError, Registry, Resource, Service};

pub use crate::provider::nearest;

/// A resolved resource: its service document and its index there.
#[derive(Clone, PartialEq)]
pub struct Resolved {
    /// The service holding the resource.
    pub service: Arc<Service>,
    index: usize,
}

// The service document is large: name the resource only.
impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Resolved")
            .field(&self.resource().id)
            .finish()
    }
}

impl Resolved {
    /// The resource.
    pub fn resource(&self) -> &Resource {
        &self.service.resources[self.index]
    }
}

/// Resolves a provider name to its canonical spelling.
pub fn provider_name(registry: &Registry, provider: &str) -> Result<String, ProviderError> {
    Ok(registry.provider(provider)?.name)
}

/// Resolves a service of a provider, loading its document.
pub fn service(
    registry: &Registry,
    provider: &str,
    service: &str,
) -> Result<Arc<Service>, ProviderError> {
    registry.service(provider, service)
}

/// Resolves `provider.service.resource`.
pub fn resource(
    registry: &Registry,
    provider: &str,
    service: &str,
    resource: &str,
) -> Result<Resolved, ProviderError> {
    let (service, index) = registry.resource(provider, service, resource)?;
    Ok(Resolved { service, index })
}

/// Resolves a parsed `provider.service.resource` name.
pub fn object(
    registry: &Registry,
    target: &crate::sql::ObjectRef,
) -> Result<Resolved, ProviderError> {
    resource(
        registry,
        &target.provider,
        &target.service,
        &target.resource,
    )
}
