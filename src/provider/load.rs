//! Loading registries: the compiled-in `providers/` tree or a directory given by `--registry`.
//!
//! Owns: finding `<provider>/<version>/provider.yaml` (the newest version when several are
//! present), reading `provider.yaml` on first use of its provider and each service document
//! on first use of that service, and caching both in memory. A compiled-in service comes
//! from its model built at build time (`build.rs`); a directory's service is read through a
//! [`ServiceCache`] when one is given. Must not: parse anything before it is needed — a registry may list services whose files are absent, which is an error only
//! when such a service is used.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use include_dir::{include_dir, Dir};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cache::{EntryKey, ServiceCache, PROVIDER_ENTRY};
use super::document::{expect_object, opt_string, parse_yaml, ref_of, text, Doc};
use super::parse_service_document;
use super::{nearest, AuthConfig, ProviderError, ProviderInfo, Service, ServiceEntry};

/// The provider documents compiled into the binary.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/providers");

/// A service model built at build time from a compiled-in document (see `build.rs`).
struct PrebuiltService {
    /// The document, relative to the registry root (`okta/v00.00.00000/services/apps.yaml`).
    file: &'static str,
    /// The provider it was built for (its directory name).
    provider: &'static str,
    /// The service it was built for (the document's file name).
    service: &'static str,
    /// The [`Service`] as JSON.
    model: &'static str,
}

/// The models of every compiled-in service document.
static PREBUILT: &[PrebuiltService] = include!(concat!(env!("OUT_DIR"), "/prebuilt_services.rs"));

/// A set of providers, each a `provider.yaml` plus lazily parsed service documents.
///
/// Layout (StackQL's): `<root>/<provider>/<version>/provider.yaml` and
/// `<root>/<provider>/<version>/services/<service>.yaml`. Cloning is cheap and clones share
/// the cache; a `Registry` can be used from several threads.
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: Source,
    /// Sorted by name.
    providers: Vec<ProviderSlot>,
}

#[derive(Debug)]
enum Source {
    Embedded(&'static Dir<'static>),
    Directory {
        root: PathBuf,
        cache: Option<ServiceCache>,
    },
}

/// A provider found on disk; its `provider.yaml` is parsed on first use.
#[derive(Debug)]
struct ProviderSlot {
    name: String,
    version: String,
    /// `<provider>/<version>`, relative to the registry root.
    base: String,
    doc: OnceLock<Arc<ProviderDoc>>,
}

/// A parsed `provider.yaml`.
#[derive(Debug)]
struct ProviderDoc {
    title: Option<String>,
    description: Option<String>,
    services: Vec<ServiceSlot>,
    auth: Option<AuthConfig>,
}

/// A [`ProviderDoc`] as kept in the cache.
#[derive(Debug, Serialize, Deserialize)]
struct CachedProviderDoc {
    title: Option<String>,
    description: Option<String>,
    /// Each service and its document's path relative to the registry root.
    services: Vec<(ServiceEntry, String)>,
    auth: Option<AuthConfig>,
}

impl CachedProviderDoc {
    fn of(doc: &ProviderDoc) -> CachedProviderDoc {
        CachedProviderDoc {
            title: doc.title.clone(),
            description: doc.description.clone(),
            services: doc
                .services
                .iter()
                .map(|s| (s.entry.clone(), s.file.clone()))
                .collect(),
            auth: doc.auth.clone(),
        }
    }

    fn into_doc(self) -> ProviderDoc {
        ProviderDoc {
            title: self.title,
            description: self.description,
            services: self
                .services
                .into_iter()
                .map(|(entry, file)| ServiceSlot {
                    entry,
                    file,
                    parsed: OnceLock::new(),
                })
                .collect(),
            auth: self.auth,
        }
    }
}

/// A service listed by `provider.yaml`; its document is parsed on first use.
#[derive(Debug)]
struct ServiceSlot {
    entry: ServiceEntry,
    /// The document, relative to the registry root.
    file: String,
    parsed: OnceLock<Arc<Service>>,
}

impl Registry {
    /// The registry compiled into the binary (`providers/`).
    pub fn embedded() -> Registry {
        let mut providers = Vec::new();
        for provider in EMBEDDED.dirs() {
            let name = file_name(provider.path());
            let versions = provider.dirs().filter_map(|version| {
                let v = file_name(version.path());
                version
                    .get_file(version.path().join("provider.yaml"))
                    .map(|_| v)
            });
            if let Some(version) = newest(versions) {
                providers.push(ProviderSlot::new(name, version));
            }
        }
        Registry::new(Source::Embedded(&EMBEDDED), providers)
    }

    /// A registry read from a directory. Only the directory layout is read here;
    /// `provider.yaml` is parsed when its provider is first used, and service documents
    /// when first used. Nothing is cached on disk: see [`Registry::from_dir_with_cache`].
    pub fn from_dir(root: &Path) -> Result<Registry, ProviderError> {
        Registry::from_dir_with_cache(root, None)
    }

    /// Like [`Registry::from_dir`], with the models of service documents kept in `cache`
    /// (usually [`ServiceCache::from_env`]): a service whose document has not changed since
    /// it was cached is read from there instead of being parsed. A cache that cannot be read
    /// or written is passed over silently; loading never fails because of it.
    pub fn from_dir_with_cache(
        root: &Path,
        cache: Option<ServiceCache>,
    ) -> Result<Registry, ProviderError> {
        let io = |path: &Path, source| ProviderError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut providers = Vec::new();
        for entry in std::fs::read_dir(root).map_err(|e| io(root, e))? {
            let provider_dir = entry.map_err(|e| io(root, e))?.path();
            if !provider_dir.is_dir() {
                continue;
            }
            let Ok(versions) = std::fs::read_dir(&provider_dir) else {
                continue;
            };
            let versions = versions.filter_map(|v| {
                let path = v.ok()?.path();
                path.join("provider.yaml")
                    .is_file()
                    .then(|| file_name(&path))
            });
            if let Some(version) = newest(versions) {
                providers.push(ProviderSlot::new(file_name(&provider_dir), version));
            }
        }
        if providers.is_empty() {
            return Err(ProviderError::Invalid {
                path: root.display().to_string(),
                message: "no providers found: expected <provider>/<version>/provider.yaml \
                          below this directory; point --registry at the registry root"
                    .into(),
            });
        }
        Ok(Registry::new(
            Source::Directory {
                root: root.to_path_buf(),
                cache,
            },
            providers,
        ))
    }

    fn new(source: Source, mut providers: Vec<ProviderSlot>) -> Registry {
        providers.sort_by(|a, b| a.name.cmp(&b.name));
        Registry {
            inner: Arc::new(Inner { source, providers }),
        }
    }

    /// Names of the providers, sorted.
    pub fn provider_names(&self) -> Vec<String> {
        self.inner
            .providers
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    /// Name, version, title and description of a provider (reads its `provider.yaml`).
    pub fn provider(&self, provider: &str) -> Result<ProviderInfo, ProviderError> {
        let slot = self.slot(provider)?;
        let doc = self.provider_doc(slot)?;
        Ok(ProviderInfo {
            name: slot.name.clone(),
            version: slot.version.clone(),
            title: doc.title.clone(),
            description: doc.description.clone(),
        })
    }

    /// The provider's description from `provider.yaml`, if it has one.
    pub fn provider_description(&self, provider: &str) -> Result<Option<String>, ProviderError> {
        Ok(self.provider(provider)?.description)
    }

    /// The services a provider lists, in `provider.yaml` order, without loading them.
    pub fn services(&self, provider: &str) -> Result<Vec<ServiceEntry>, ProviderError> {
        let doc = self.provider_doc(self.slot(provider)?)?;
        Ok(doc.services.iter().map(|s| s.entry.clone()).collect())
    }

    /// A service, parsed on first use and cached.
    pub fn service(&self, provider: &str, service: &str) -> Result<Arc<Service>, ProviderError> {
        let slot = self.slot(provider)?;
        let doc = self.provider_doc(slot)?;
        let Some(entry) = doc
            .services
            .iter()
            .find(|s| s.entry.name.eq_ignore_ascii_case(service))
        else {
            return Err(ProviderError::Unknown {
                kind: "service",
                name: format!("{}.{service}", slot.name),
                suggestion: nearest(service, doc.services.iter().map(|s| s.entry.name.as_str()))
                    .map(|s| format!("{}.{s}", slot.name)),
            });
        };
        if let Some(parsed) = entry.parsed.get() {
            return Ok(parsed.clone());
        }
        let parsed = Arc::new(self.load_service(&slot.name, entry)?);
        // Another thread may have won the race; either copy is the same document.
        Ok(entry.parsed.get_or_init(|| parsed).clone())
    }

    /// A resource: the service holding it and its index in [`Service::resources`]. Each
    /// level that does not exist is a [`ProviderError::Unknown`] with a suggestion.
    pub fn resource(
        &self,
        provider: &str,
        service: &str,
        resource: &str,
    ) -> Result<(Arc<Service>, usize), ProviderError> {
        let svc = self.service(provider, service)?;
        let found = svc.find_resource(resource)?;
        let index = svc
            .resources
            .iter()
            .position(|r| std::ptr::eq(r, found))
            .unwrap_or_default();
        Ok((svc, index))
    }

    /// The provider's authentication settings.
    pub fn auth(&self, provider: &str) -> Result<AuthConfig, ProviderError> {
        let slot = self.slot(provider)?;
        self.provider_doc(slot)?
            .auth
            .clone()
            .ok_or_else(|| ProviderError::Invalid {
                path: self.display(&format!("{}/provider.yaml", slot.base)),
                message: "no config.auth: add `config: {auth: {type: api_key, credentialsenvvar: \
                      OKTA_API_TOKEN, valuePrefix: 'SSWS '}}`"
                    .into(),
            })
    }

    /// Builds a service's model: from the build-time model for a compiled-in document,
    /// through the cache for a directory that has one, else by parsing the document.
    fn load_service(&self, provider: &str, entry: &ServiceSlot) -> Result<Service, ProviderError> {
        if let Source::Embedded(_) = &self.inner.source {
            if let Some(model) = prebuilt(&entry.file, provider, &entry.entry.name) {
                return Ok(model);
            }
        }
        self.through_cache(&entry.file, provider, &entry.entry.name, || {
            self.parse_service(provider, entry)
        })
    }

    /// What `build` makes of `file` (it also returns the size of the text it read), taken
    /// from the cache of a directory that has one when the entry matches the file as it is
    /// now, else built and, best effort, stored.
    fn through_cache<T: Serialize + DeserializeOwned>(
        &self,
        file: &str,
        provider: &str,
        name: &str,
        build: impl FnOnce() -> Result<(T, u64), ProviderError>,
    ) -> Result<T, ProviderError> {
        let Source::Directory {
            root,
            cache: Some(cache),
        } = &self.inner.source
        else {
            return Ok(build()?.0);
        };
        let key = EntryKey::of(&root.join(file), provider, name);
        if let Some(model) = key.as_ref().and_then(|key| cache.load(key)) {
            return Ok(model);
        }
        let (model, size) = build()?;
        // A document that changed while it was read is not cached under the older key.
        if let Some(key) = key.filter(|key| key.size() == size) {
            // Best effort: a cache that cannot be written is simply not used.
            let _ = cache.store(&key, &model);
        }
        Ok(model)
    }

    /// Parses a service document; also returns the size of the text parsed.
    fn parse_service(
        &self,
        provider: &str,
        entry: &ServiceSlot,
    ) -> Result<(Service, u64), ProviderError> {
        let text = self.read(&entry.file)?;
        let model = parse_service_document(
            provider,
            &entry.entry.name,
            &self.display(&entry.file),
            &text,
        )?;
        Ok((model, text.len() as u64))
    }

    fn slot(&self, provider: &str) -> Result<&ProviderSlot, ProviderError> {
        let providers = &self.inner.providers;
        providers
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(provider))
            .ok_or_else(|| ProviderError::Unknown {
                kind: "provider",
                name: provider.to_string(),
                suggestion: nearest(provider, providers.iter().map(|p| p.name.as_str()))
                    .map(str::to_string),
            })
    }

    fn provider_doc(&self, slot: &ProviderSlot) -> Result<Arc<ProviderDoc>, ProviderError> {
        if let Some(doc) = slot.doc.get() {
            return Ok(doc.clone());
        }
        let file = format!("{}/provider.yaml", slot.base);
        // A directory with a cache keeps the parsed document too (StackQL's lists dozens of
        // services; parsing it was about 40% of a start with a warm service cache).
        let doc = self
            .through_cache(&file, &slot.name, PROVIDER_ENTRY, || {
                let text = self.read(&file)?;
                let doc = parse_provider_document(slot, &self.display(&file), &text)?;
                Ok((CachedProviderDoc::of(&doc), text.len() as u64))
            })?
            .into_doc();
        Ok(slot.doc.get_or_init(|| Arc::new(doc)).clone())
    }

    /// The text of a file given relative to the registry root.
    fn read(&self, relative: &str) -> Result<Cow<'static, str>, ProviderError> {
        match &self.inner.source {
            Source::Embedded(dir) => {
                let file = dir.get_file(relative).ok_or_else(|| ProviderError::Io {
                    path: self.display(relative),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such file in the compiled-in registry",
                    ),
                })?;
                file.contents_utf8()
                    .map(Cow::Borrowed)
                    .ok_or_else(|| ProviderError::Invalid {
                        path: self.display(relative),
                        message: "not UTF-8 text".into(),
                    })
            }
            Source::Directory { root, .. } => {
                let path = root.join(relative);
                std::fs::read_to_string(&path)
                    .map(Cow::Owned)
                    .map_err(|source| ProviderError::Io {
                        path: path.display().to_string(),
                        source,
                    })
            }
        }
    }

    /// How a file is named in errors.
    fn display(&self, relative: &str) -> String {
        match &self.inner.source {
            Source::Embedded(_) => format!("<embedded>/{relative}"),
            Source::Directory { root, .. } => root.join(relative).display().to_string(),
        }
    }
}

impl ProviderSlot {
    fn new(name: String, version: String) -> ProviderSlot {
        ProviderSlot {
            base: format!("{name}/{version}"),
            name,
            version,
            doc: OnceLock::new(),
        }
    }
}

/// The build-time model of a compiled-in document, when one was built for this document,
/// provider and service (the document's file name is the service's name in the shipped
/// providers; a `provider.yaml` naming it otherwise gets the document parsed instead).
fn prebuilt(file: &str, provider: &str, service: &str) -> Option<Service> {
    let found = PREBUILT
        .iter()
        .find(|p| p.file == file && p.provider == provider && p.service == service)?;
    serde_json::from_str(found.model).ok()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The newest of some version directory names (`v24.01.00177` > `v00.00.00000`): compared
/// by their numbers, then as text.
fn newest(versions: impl Iterator<Item = String>) -> Option<String> {
    fn key(v: &str) -> (Vec<u64>, &str) {
        let numbers = v
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().unwrap_or(u64::MAX))
            .collect();
        (numbers, v)
    }
    versions.max_by(|a, b| key(a).cmp(&key(b)))
}

/// Parses `provider.yaml`: the services it lists (with where their documents are) and
/// `config.auth`.
fn parse_provider_document(
    slot: &ProviderSlot,
    path: &str,
    text_in: &str,
) -> Result<ProviderDoc, ProviderError> {
    let root = parse_yaml(path, text_in)?;
    let doc = Doc { root: &root, path };
    let top = expect_object(&doc, &root, "the document")?;
    let services_value = top.get("providerServices").ok_or_else(|| {
        doc.invalid(
            "no providerServices: list the services as providerServices.<name>.service.$ref",
        )
    })?;
    let listed = expect_object(&doc, services_value, "providerServices")?;
    let mut services = Vec::with_capacity(listed.len());
    for (name, value) in listed {
        let at = format!("providerServices.{name}");
        let entry = expect_object(&doc, value, &at)?;
        let reference = entry.get("service").and_then(ref_of);
        let file = match reference {
            Some(r) => service_file(&doc, slot, r, &at)?,
            None => format!("{}/services/{name}.yaml", slot.base),
        };
        services.push(ServiceSlot {
            entry: ServiceEntry {
                name: name.clone(),
                title: text(entry.get("title")),
                description: text(entry.get("description")),
            },
            file,
            parsed: OnceLock::new(),
        });
    }
    Ok(ProviderDoc {
        title: text(top.get("title")),
        description: text(top.get("description")),
        services,
        auth: parse_auth(&doc, top.get("config"))?,
    })
}

/// Where a service's document is, relative to the registry root. StackQL writes
/// `okta/v00.00.00000/services/apps.yaml` (root-relative); `services/apps.yaml` is taken
/// relative to the version directory. Absolute paths and `..` are refused.
fn service_file(
    doc: &Doc<'_>,
    slot: &ProviderSlot,
    reference: &str,
    at: &str,
) -> Result<String, ProviderError> {
    let reference = reference.split('#').next().unwrap_or_default();
    let escapes = reference.starts_with('/')
        || reference.contains('\\')
        || reference.contains(':')
        || reference.split('/').any(|part| part == "..");
    if reference.is_empty() || escapes {
        return Err(doc.invalid(format!(
            "{at}.service.$ref '{reference}' must be a relative path inside the registry, \
             like '{}/services/<name>.yaml'",
            slot.base
        )));
    }
    let reference = reference.trim_start_matches("./");
    if reference.starts_with(&format!("{}/", slot.name)) {
        Ok(reference.to_string())
    } else {
        Ok(format!("{}/{reference}", slot.base))
    }
}

fn parse_auth(doc: &Doc<'_>, config: Option<&Value>) -> Result<Option<AuthConfig>, ProviderError> {
    let Some(config) = config else {
        return Ok(None);
    };
    let config = expect_object(doc, config, "config")?;
    let Some(auth) = config.get("auth") else {
        return Ok(None);
    };
    let auth = expect_object(doc, auth, "config.auth")?;
    let credentials_env_var = opt_string(doc, auth, "credentialsenvvar", "config.auth")?
        .ok_or_else(|| {
            doc.invalid("config.auth has no credentialsenvvar; name the environment variable that holds the token, e.g. OKTA_API_TOKEN")
        })?;
    Ok(Some(AuthConfig {
        credentials_env_var,
        value_prefix: opt_string(doc, auth, "valuePrefix", "config.auth")?.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every compiled-in service is served from its build-time model, and that model is
    /// exactly what parsing the shipped document gives today.
    #[test]
    fn prebuilt_models_match_the_documents() {
        let registry = Registry::embedded();
        let mut checked = 0;
        for provider in registry.provider_names() {
            let slot = registry.slot(&provider).unwrap();
            let doc = registry.provider_doc(slot).unwrap();
            for entry in &doc.services {
                let model = prebuilt(&entry.file, &slot.name, &entry.entry.name)
                    .unwrap_or_else(|| panic!("no build-time model for {}", entry.file));
                let (parsed, _) = registry.parse_service(&slot.name, entry).unwrap();
                assert_eq!(model, parsed, "{}", entry.file);
                let served = registry.service(&provider, &entry.entry.name).unwrap();
                assert_eq!(*served, parsed);
                checked += 1;
            }
        }
        assert!(checked > 0);
        assert_eq!(checked, PREBUILT.len());
    }

    /// A resource's select columns (worked out once, then kept) are the union of its
    /// select methods' columns, first occurrence wins, on the first call and the next.
    #[test]
    fn kept_select_columns_are_the_union_of_the_select_methods() {
        let registry = Registry::embedded();
        let mut checked = 0;
        for provider in registry.provider_names() {
            for entry in registry.services(&provider).unwrap() {
                let service = registry.service(&provider, &entry.name).unwrap();
                for r in &service.resources {
                    let mut union: Vec<&crate::provider::Column> = Vec::new();
                    for m in r.methods_for(crate::provider::SqlVerb::Select) {
                        for c in &m.columns {
                            if !union.iter().any(|u| u.name == c.name) {
                                union.push(c);
                            }
                        }
                    }
                    for _ in 0..2 {
                        let kept = r.select_columns();
                        assert_eq!(kept.len(), union.len(), "{}", r.id);
                        assert!(
                            kept.iter().zip(&union).all(|(k, u)| std::ptr::eq(*k, *u)),
                            "{}",
                            r.id
                        );
                    }
                    checked += usize::from(!union.is_empty());
                }
            }
        }
        assert!(checked > 0, "{checked}");
    }

    #[test]
    fn documents_without_a_build_time_model_are_parsed() {
        assert!(prebuilt("okta/v00.00.00000/services/apps.yaml", "okta", "other").is_none());
        assert!(prebuilt("okta/v00.00.00000/services/none.yaml", "okta", "apps").is_none());
    }
}
