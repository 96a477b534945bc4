//! The cache of built service models for `--registry` directories: loading through it gives
//! the same model and the same plans as parsing the document, a changed document invalidates
//! its entry, a damaged entry is ignored and repaired, and a cache directory that cannot be
//! used never gets in the way. Every test uses its own temporary cache directory.

use crate::common::registry;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oktaql::plan::plan_text;
use oktaql::provider::{Registry, Service, ServiceCache};
use oktaql::{Engine, EngineConfig};

/// StackQL's registry when it is checked out; otherwise, after a notice, oktaql's own
/// `providers/` directory, which has the same layout (a provider.yaml and `services/apps.yaml`).
fn stackql_root() -> PathBuf {
    registry::reference_registry(
        "provider cache tests on StackQL's registry (run on providers/ instead)",
    )
    .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("providers"))
}

/// The statements of the secrets grammar cases, planned against `registry`.
fn secrets_plans(registry: Registry) -> String {
    let engine = Engine::new(EngineConfig::new(registry)).expect("engine");
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar-tests/cases");
    let mut out = String::new();
    for case in ["secrets_select.sql", "secrets_write.sql"] {
        let text = std::fs::read_to_string(cases.join(case)).unwrap();
        for source in oktaql::sql::split(&text) {
            match engine.plan_source(&source) {
                Ok(plan) => out.push_str(&plan_text(&plan)),
                Err(e) => out.push_str(&format!("error: {e}\n")),
            }
        }
    }
    out
}

/// The entry files in a cache directory.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(cache.join("services")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn apps(registry: &Registry) -> Arc<Service> {
    registry.service("okta", "apps").expect("apps loads")
}

fn cached(root: &Path, cache: &Path) -> Registry {
    Registry::from_dir_with_cache(root, Some(ServiceCache::new(cache))).expect("registry")
}

#[test]
fn the_cache_gives_the_same_model_and_plans() {
    let cache = tempfile::tempdir().unwrap();
    let plain = Registry::from_dir(&stackql_root()).unwrap();
    let expected_plans = secrets_plans(plain.clone());
    assert!(expected_plans.contains("GET "), "{expected_plans}");

    // Cold: parses the document and writes one entry.
    let cold = cached(&stackql_root(), cache.path());
    assert_eq!(*apps(&cold), *apps(&plain));
    let written = entries(cache.path());
    assert_eq!(written.len(), 1, "{written:?}");

    // Warm: a new registry reads the entry, and plans the same calls.
    let warm = cached(&stackql_root(), cache.path());
    assert_eq!(*apps(&warm), *apps(&plain));
    assert_eq!(secrets_plans(warm), expected_plans);
    assert_eq!(entries(cache.path()), written);
}

#[test]
fn a_tampered_entry_is_not_used() {
    let registry = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_registry(&stackql_root(), registry.path());
    let first = apps(&cached(registry.path(), cache.path()));
    let entry = entries(cache.path()).pop().unwrap();
    let text = std::fs::read_to_string(&entry).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let name = format!("\"name\":\"{}\"", first.resources[0].name);
    assert!(body.contains(&name), "{body}");

    // Valid JSON with a valid header, but a body that is not the one recorded: a miss, and
    // the entry is rewritten.
    for replacement in ["\"name\":\"other\"", &name.to_uppercase()] {
        let edited = body.replacen(&name, replacement, 1);
        std::fs::write(&entry, format!("{header}\n{edited}")).unwrap();
        let again = apps(&cached(registry.path(), cache.path()));
        assert_eq!(*again, *first, "a tampered entry must not be used");
        assert_eq!(std::fs::read_to_string(&entry).unwrap(), text);
    }
}

#[test]
fn a_changed_document_invalidates_its_entry() {
    let registry = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_registry(&stackql_root(), registry.path());
    let before = apps(&cached(registry.path(), cache.path()));
    let before_entry = std::fs::read(entries(cache.path())[0].clone()).unwrap();

    // Rename a resource in the document, keeping its size: a new registry must see the new
    // name.
    let doc = registry.path().join("okta/v00.00.00000/services/apps.yaml");
    let text = std::fs::read_to_string(&doc).unwrap();
    let (old, new) = ("\n      name: secrets\n", "\n      name: secretz\n");
    assert!(text.contains(old));
    std::fs::write(&doc, text.replacen(old, new, 1)).unwrap();
    let after = apps(&cached(registry.path(), cache.path()));
    assert!(before.resource("secrets").is_some());
    assert!(after.resource("secrets").is_none(), "stale entry used");
    assert!(after.resource("secretz").is_some());
    assert_eq!(*after, *apps(&Registry::from_dir(registry.path()).unwrap()));
    // The entry was rewritten in place (same name: same document path).
    let files = entries(cache.path());
    assert_eq!(files.len(), 1);
    assert_ne!(std::fs::read(&files[0]).unwrap(), before_entry);
}

#[test]
fn corrupt_and_truncated_entries_are_ignored_and_repaired() {
    let cache = tempfile::tempdir().unwrap();
    let plain = apps(&Registry::from_dir(&stackql_root()).unwrap());
    apps(&cached(&stackql_root(), cache.path()));
    let entry = entries(cache.path()).pop().unwrap();
    let good = std::fs::read(&entry).unwrap();

    let damaged: Vec<Vec<u8>> = vec![
        Vec::new(),
        good[..good.len() / 2].to_vec(),
        good[..good.iter().position(|b| *b == b'\n').unwrap()].to_vec(),
        b"not json at all\n{}".to_vec(),
        vec![0xff; 4096],
        {
            let mut flipped = good.clone();
            let last = flipped.len() - 2;
            flipped[last] ^= 0x01;
            flipped
        },
    ];
    for (i, bytes) in damaged.into_iter().enumerate() {
        std::fs::write(&entry, &bytes).unwrap();
        let loaded = apps(&cached(&stackql_root(), cache.path()));
        assert_eq!(*loaded, *plain, "damaged entry {i}");
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            good,
            "entry {i} not repaired"
        );
    }
}

#[test]
fn an_unusable_cache_directory_is_skipped() {
    let plain = apps(&Registry::from_dir(&stackql_root()).unwrap());

    // The cache "directory" is a file: nothing can be created below it.
    let file = tempfile::NamedTempFile::new().unwrap();
    assert_eq!(*apps(&cached(&stackql_root(), file.path())), *plain);

    // A read-only directory (meaningful when not running as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
        assert_eq!(*apps(&cached(&stackql_root(), dir.path())), *plain);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn the_cache_directory_is_private_and_links_are_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    let base = cache.path().join("oktaql");
    apps(&cached(&stackql_root(), &base));
    for dir in [base.clone(), base.join("services")] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }

    // An entry that is a symbolic link to a file elsewhere is neither read nor written
    // through: the link is replaced by a real entry and its target is untouched.
    let entry = entries(&base).pop().unwrap();
    let good = std::fs::read(&entry).unwrap();
    let outside = cache.path().join("outside.json");
    std::fs::write(&outside, &good).unwrap();
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&outside, &entry).unwrap();
    let before = std::fs::read(&outside).unwrap();
    apps(&cached(&stackql_root(), &base));
    assert!(!std::fs::symlink_metadata(&entry)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&outside).unwrap(), before);

    // A `services` directory that is a link to elsewhere is not used at all.
    let elsewhere = tempfile::tempdir().unwrap();
    let linked = cache.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), linked.join("services")).unwrap();
    apps(&cached(&stackql_root(), &linked));
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn errors_are_not_cached() {
    let registry = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_registry(&stackql_root(), registry.path());
    let doc = registry.path().join("okta/v00.00.00000/services/apps.yaml");
    std::fs::write(&doc, "paths: [").unwrap();
    for _ in 0..2 {
        let err = cached(registry.path(), cache.path())
            .service("okta", "apps")
            .unwrap_err();
        assert!(err.to_string().contains("not valid YAML"), "{err}");
    }
    assert!(entries(cache.path()).is_empty());
}

/// Copies `provider.yaml` and the `apps` document of the reference registry.
fn copy_registry(from: &Path, to: &Path) {
    let base = Path::new("okta/v00.00.00000");
    std::fs::create_dir_all(to.join(base).join("services")).unwrap();
    for file in ["provider.yaml", "services/apps.yaml"] {
        std::fs::copy(from.join(base).join(file), to.join(base).join(file)).unwrap();
    }
}

#[test]
fn provider_documents_are_cached_and_a_change_is_seen() {
    let registry = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_registry(&stackql_root(), registry.path());
    let plain = Registry::from_dir(registry.path()).unwrap();
    let providers = |cache: &Path| std::fs::read_dir(cache.join("providers")).unwrap().count();

    // Cold: provider.yaml is parsed and its entry written beside the service entries.
    let cold = cached(registry.path(), cache.path());
    assert_eq!(
        cold.services("okta").unwrap(),
        plain.services("okta").unwrap()
    );
    assert_eq!(providers(cache.path()), 1);
    // Warm: the same services, descriptions and authentication, and the same plans.
    let warm = cached(registry.path(), cache.path());
    assert_eq!(
        warm.services("okta").unwrap(),
        plain.services("okta").unwrap()
    );
    assert_eq!(warm.auth("okta").unwrap(), plain.auth("okta").unwrap());
    assert_eq!(
        warm.provider_description("okta").unwrap(),
        plain.provider_description("okta").unwrap()
    );
    assert_eq!(secrets_plans(warm), secrets_plans(plain));

    // A changed provider.yaml is read again, not served from the entry.
    let doc = registry.path().join("okta/v00.00.00000/provider.yaml");
    let text = std::fs::read_to_string(&doc).unwrap();
    let title = Registry::from_dir(registry.path())
        .unwrap()
        .services("okta")
        .unwrap()
        .into_iter()
        .find(|s| s.name == "apps")
        .and_then(|s| s.title)
        .unwrap();
    let written = format!("title: {title}");
    assert!(text.contains(&written));
    std::fs::write(&doc, text.replacen(&written, "title: apps ABI", 1)).unwrap();
    let changed = cached(registry.path(), cache.path());
    let apps = changed
        .services("okta")
        .unwrap()
        .into_iter()
        .find(|s| s.name == "apps")
        .unwrap();
    assert_eq!(apps.title.as_deref(), Some("apps ABI"));
    assert_eq!(providers(cache.path()), 1);
}

/// The registry shipped in this repository (no reference data needed).
fn repo_registry() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("providers")
}

#[test]
fn an_in_place_edit_that_restores_the_mtime_is_still_seen() {
    let registry = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    copy_registry(&repo_registry(), registry.path());
    let doc = registry.path().join("okta/v00.00.00000/services/apps.yaml");
    let before = apps(&cached(registry.path(), cache.path()));
    assert!(before.resource("secrets").is_some());
    // Same size, same inode, same modification time: only the content differs.
    let mtime = std::fs::metadata(&doc).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&doc).unwrap();
    let (old, new) = ("\n      name: secrets\n", "\n      name: secretz\n");
    assert!(text.contains(old));
    {
        use std::io::{Seek, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&doc).unwrap();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.write_all(text.replacen(old, new, 1).as_bytes()).unwrap();
        f.set_modified(mtime).unwrap();
    }
    assert_eq!(std::fs::metadata(&doc).unwrap().modified().unwrap(), mtime);
    let after = apps(&cached(registry.path(), cache.path()));
    assert!(after.resource("secretz").is_some(), "stale entry used");
}

#[test]
fn deeply_nested_yaml_is_refused_quickly() {
    let registry = tempfile::tempdir().unwrap();
    copy_registry(&repo_registry(), registry.path());
    let doc = registry.path().join("okta/v00.00.00000/services/apps.yaml");
    let depth = 118_000;
    std::fs::write(&doc, format!("{}{}", "[".repeat(depth), "]".repeat(depth))).unwrap();
    let started = std::time::Instant::now();
    let err = Registry::from_dir(registry.path())
        .and_then(|r| r.service("okta", "apps"))
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("nested"), "{err}");
}
