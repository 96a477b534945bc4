//! Resolving `provider.service.resource` names against the registry, with suggestions.

use std::sync::Arc;

use crate::provider::{ProviderError, Registry, Resource, Service};

/// A resolved resource: its service document and its index there.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The service holding the resource.
    pub service: Arc<Service>,
    index: usize,
}

impl Resolved {
    /// The resource.
    pub fn resource(&self) -> &Resource {
        &self.service.resources[self.index]
    }
}

/// The candidate nearest to `name`, if any is close enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Resolves a provider name (case-insensitively) to its canonical spelling.
pub fn provider_name(registry: &Registry, provider: &str) -> Result<String, ProviderError> {
    let names = registry.provider_names();
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(provider))
        .cloned()
        .ok_or_else(|| ProviderError::Unknown {
            kind: "provider",
            name: provider.to_string(),
            suggestion: nearest(provider, names.iter().map(String::as_str)),
        })
}

/// Resolves a service of a provider (case-insensitively), loading its document.
pub fn service(
    registry: &Registry,
    provider: &str,
    service: &str,
) -> Result<Arc<Service>, ProviderError> {
    let provider = provider_name(registry, provider)?;
    let entries = registry.services(&provider)?;
    let entry = entries
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(service))
        .ok_or_else(|| ProviderError::Unknown {
            kind: "service",
            name: format!("{provider}.{service}"),
            suggestion: nearest(service, entries.iter().map(|e| e.name.as_str()))
                .map(|s| format!("{provider}.{s}")),
        })?;
    registry.service(&provider, &entry.name)
}

/// Resolves `provider.service.resource`.
pub fn resource(
    registry: &Registry,
    provider: &str,
    service_name: &str,
    resource: &str,
) -> Result<Resolved, ProviderError> {
    let svc = service(registry, provider, service_name)?;
    match svc
        .resources
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(resource))
    {
        Some(index) => Ok(Resolved {
            service: svc,
            index,
        }),
        None => Err(ProviderError::Unknown {
            kind: "resource",
            name: format!("{}.{}.{resource}", svc.provider, svc.name),
            suggestion: nearest(resource, svc.resources.iter().map(|r| r.name.as_str()))
                .map(|s| format!("{}.{}.{s}", svc.provider, svc.name)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn nearest_finds_typos_only() {
        let c = ["secrets", "applications", "keys"];
        assert_eq!(nearest("secret", c).as_deref(), Some("secrets"));
        assert_eq!(nearest("SECRETS", c).as_deref(), Some("secrets"));
        assert_eq!(nearest("aplications", c).as_deref(), Some("applications"));
        assert_eq!(nearest("zzz", c), None);
    }
}
