//! The shell's `.tables` / `\dt`: every resource's full name, optionally filtered.
//!
//! Owns: walking the registry's providers and services and matching names. The shell prints.

use crate::provider::{ProviderError, Registry};

/// Full names (`okta.apps.secrets`) of every resource, sorted, keeping those that match
/// `pattern` (see [`matches`]) when one is given. Services are loaded as needed.
pub fn resource_names(
    registry: &Registry,
    pattern: Option<&str>,
) -> Result<Vec<String>, ProviderError> {
    let mut names = Vec::new();
    for provider in registry.provider_names() {
        for entry in registry.services(&provider)? {
            let service = registry.service(&provider, &entry.name)?;
            for resource in &service.resources {
                let name = format!("{provider}.{}.{}", service.name, resource.name);
                if pattern.is_none_or(|p| matches(p, &name)) {
                    names.push(name);
                }
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Case-insensitive: a pattern with `*` or `?` is a glob over the whole name (as in
/// sqlite3's `.tables`, with `%` and `_` accepted for `*` and `?`); any other pattern
/// matches as a substring.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    if !p.iter().any(|c| matches!(c, '*' | '?' | '%' | '_')) {
        return name.to_lowercase().contains(&pattern.to_lowercase());
    }
    glob(&p, &n)
}

/// Iterative wildcard match with one backtrack point (linear in practice, no recursion).
fn glob(p: &[char], n: &[char]) -> bool {
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        match p.get(i) {
            Some('*' | '%') => {
                star = Some((i, j));
                i += 1;
            }
            Some(c) if matches!(c, '?' | '_') || *c == n[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|c| matches!(c, '*' | '%'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_and_glob_patterns() {
        assert!(matches("secret", "okta.apps.secrets"));
        assert!(matches("SECRET", "okta.apps.secrets"));
        assert!(!matches("users", "okta.apps.secrets"));
        assert!(matches("okta.apps.*", "okta.apps.secrets"));
        assert!(matches("*secrets", "okta.apps.secrets"));
        assert!(!matches("*secret", "okta.apps.secrets"));
        assert!(matches("okta.%.sec_ets", "okta.apps.secrets"));
        assert!(matches("okta.a??s.*", "okta.apps.secrets"));
    }

    #[test]
    fn lists_the_built_in_resources() {
        let registry = Registry::embedded();
        let all = resource_names(&registry, None).unwrap();
        assert!(all.contains(&"okta.apps.secrets".to_string()), "{all:?}");
        assert!(
            all.contains(&"okta.apps.applications".to_string()),
            "{all:?}"
        );
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(all, sorted);
        let some = resource_names(&registry, Some("secret")).unwrap();
        assert!(
            !some.is_empty() && some.iter().all(|n| n.contains("secret")),
            "{some:?}"
        );
        assert!(resource_names(&registry, Some("nothing-like-this"))
            .unwrap()
            .is_empty());
    }
}
