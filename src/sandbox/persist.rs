//! The `--state FILE`: loading it at start and writing it durably after every acknowledged write.
//!
//! A write goes to `FILE.tmp`, is fsynced, renamed over `FILE`, and the directory is fsynced, so a
//! `kill -9` at any moment leaves either the old or the new state, never a torn one. A file that
//! does not parse or breaks a rule is refused with an error naming it; it is never overwritten.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{ACTIVE, INACTIVE};
use super::state::{validate_client_secret, OrgData, MAX_SECRETS};
use super::SandboxError;

/// The marker in every state file.
const FORMAT: &str = "oktaql-sandbox-state";
/// The state file layout version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    orgs: Vec<OrgData>,
}

/// Reads `path`: `Ok(None)` when it does not exist, the orgs when it is a valid state file.
pub fn load(path: &Path) -> Result<Option<Vec<OrgData>>, SandboxError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SandboxError::Io {
                context: format!("reading state file {}", path.display()),
                source,
            })
        }
    };
    let corrupt = |problem: String| SandboxError::CorruptState {
        path: path.to_path_buf(),
        problem,
    };
    let file: StateFile = serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(format!("not a sandbox state file: {e}")))?;
    if file.format != FORMAT {
        return Err(corrupt(format!(
            "its \"format\" is {:?}, expected {FORMAT:?}",
            file.format
        )));
    }
    if file.version != VERSION {
        return Err(corrupt(format!(
            "layout version {} is not supported (this build reads version {VERSION})",
            file.version
        )));
    }
    validate(&file.orgs).map_err(corrupt)?;
    Ok(Some(file.orgs))
}

/// Checks the rules a state file must keep: unique ids, valid statuses, at most two secrets,
/// and the JSON Web Key rules of the API.
fn validate(orgs: &[OrgData]) -> Result<(), String> {
    let mut org_names = std::collections::HashSet::new();
    for org in orgs {
        if org.name.is_empty() || !org_names.insert(org.name.as_str()) {
            return Err(format!("org name {:?} is empty or repeated", org.name));
        }
        if org.log.len() > super::syslog::MAX_EVENTS {
            return Err(format!(
                "org {}: {} System Log events (at most {})",
                org.name,
                org.log.len(),
                super::syslog::MAX_EVENTS
            ));
        }
        super::integrations::validate(&org.integrations)
            .map_err(|e| format!("org {}: {e}", org.name))?;
        let mut ids = std::collections::HashSet::new();
        for a in &org.apps {
            if !ids.insert(a.app.id.as_str()) {
                return Err(format!("org {}: app id {} is repeated", org.name, a.app.id));
            }
            if a.secrets.len() > MAX_SECRETS {
                return Err(format!(
                    "org {}: app {} has {} secrets (at most {MAX_SECRETS})",
                    org.name,
                    a.app.id,
                    a.secrets.len()
                ));
            }
            // The rules of the create-secret API hold for loaded secrets too.
            let method = a.app.token_endpoint_auth_method.as_deref();
            if !a.secrets.is_empty() && matches!(method, None | Some("private_key_jwt" | "none")) {
                return Err(format!(
                    "org {}: app {} has secrets, but its token endpoint auth method ({}) allows none",
                    org.name,
                    a.app.id,
                    method.unwrap_or("not OAuth 2.0")
                ));
            }
            for s in &a.secrets {
                if let Err(e) =
                    validate_client_secret(&s.client_secret, method == Some("client_secret_jwt"))
                {
                    return Err(format!(
                        "org {}: secret {}: {}",
                        org.name,
                        s.id,
                        e.causes().join("; ")
                    ));
                }
                if s.status != ACTIVE && s.status != INACTIVE {
                    return Err(format!(
                        "org {}: secret {} has status {:?}",
                        org.name, s.id, s.status
                    ));
                }
                if !ids.insert(s.id.as_str()) {
                    return Err(format!("org {}: secret id {} is repeated", org.name, s.id));
                }
            }
            // The JSON Web Key rules of the API hold for loaded keys too.
            super::jwks::validate_keys(&a.app, &a.jwks)
                .map_err(|e| format!("org {}: app {}: JSON Web Keys: {e}", org.name, a.app.id))?;
            for k in &a.jwks {
                if !ids.insert(k.id.as_str()) {
                    return Err(format!("org {}: key id {} is repeated", org.name, k.id));
                }
            }
            super::keys::validate_keys(&a.keys)
                .map_err(|e| format!("org {}: app {}: key credentials: {e}", org.name, a.app.id))?;
            super::tokens::validate_tokens(&a.tokens)
                .map_err(|e| format!("org {}: app {}: refresh tokens: {e}", org.name, a.app.id))?;
            for t in &a.tokens {
                if !ids.insert(t.id.as_str()) {
                    return Err(format!("org {}: token id {} is repeated", org.name, t.id));
                }
            }
        }
    }
    Ok(())
}

/// The lock file beside a state file (the state file itself is replaced on every save, so
/// it cannot carry the lock).
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Takes the exclusive lock of the state file `path`; the lock lasts as long as the file
/// returned is open.
pub fn lock(path: &Path) -> Result<File, SandboxError> {
    use fs4::FileExt;
    let lock = lock_path(path);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| SandboxError::Io {
            context: format!("creating the lock file {}", lock.display()),
            source,
        })?;
    match FileExt::try_lock(&file) {
        Ok(()) => Ok(file),
        Err(fs4::TryLockError::WouldBlock) => Err(SandboxError::StateInUse {
            path: path.to_path_buf(),
            lock,
        }),
        Err(fs4::TryLockError::Error(source)) => Err(SandboxError::Io {
            context: format!("locking {}", lock.display()),
            source,
        }),
    }
}

/// The temporary file a write goes to before it is renamed over `path`.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes the orgs to `path` durably: temp file, fsync, rename, fsync of the directory.
pub fn save(path: &Path, orgs: Vec<OrgData>) -> Result<(), SandboxError> {
    let io = |what: &str| {
        let context = format!("{what} state file {}", path.display());
        move |source| SandboxError::Io { context, source }
    };
    let file = StateFile {
        format: FORMAT.to_string(),
        version: VERSION,
        orgs,
    };
    let bytes = serde_json::to_vec(&file).map_err(|e| SandboxError::Io {
        context: format!("encoding state file {}", path.display()),
        source: std::io::Error::other(e),
    })?;
    let tmp = temp_path(path);
    {
        let mut f = File::create(&tmp).map_err(io("creating the temporary copy of"))?;
        f.write_all(&bytes).map_err(io("writing"))?;
        f.sync_all().map_err(io("syncing"))?;
    }
    fs::rename(&tmp, path).map_err(io("replacing"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Directory fsync makes the rename itself durable.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing the directory of"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let orgs = vec![super::super::seed::demo_org("my-org", 20)];
        save(&path, orgs.clone()).unwrap();
        assert_eq!(load(&path).unwrap().unwrap(), orgs);
        assert!(!temp_path(&path).exists());

        fs::write(&path, b"{\"format\": ").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("state.json"), "{err}");
        assert!(matches!(
            load(&path),
            Err(SandboxError::CorruptState { .. })
        ));
        fs::write(&path, br#"{"format":"other","version":1,"orgs":[]}"#).unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("format"));
    }
}
