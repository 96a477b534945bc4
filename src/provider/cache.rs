//! A cache of built service models (and parsed `provider.yaml` documents) for registries read
//! from a directory (`--registry`).
//!
//! Parsing a large service document (StackQL's Okta `apps.yaml` is 424 KB) costs far more than
//! the model built from it, so the model is kept, as JSON, in the user's cache directory and
//! read back by later runs.
//!
//! Owns: the entry format, its key and where entries live. An entry is one file,
//! `<cache dir>/services/<hash of the document's canonical path>.json` (`providers/` for
//! `provider.yaml`): a header line (format version, oktaql version, the document's canonical
//! path, size, modification time, inode and content checksum, the provider and service names, the body's length
//! and checksum) and then the model. An entry is used only when every field of its header matches the document as it is now and
//! the body hashes to the recorded value; anything else (missing, stale, truncated, corrupt)
//! is a miss, and the entry is rewritten after the document is parsed. Writes go to a
//! temporary file in the same directory and are renamed into place, so readers never see a
//! partial entry.
//!
//! Must not: fail a statement (every cache problem is a miss, and a directory that cannot be
//! written is skipped), follow a symbolic link out of its directory, or hold anything but
//! public registry data.

use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the entry layout; bumped when the header or the model's JSON changes shape
/// within one oktaql version.
const FORMAT: u32 = 2;

/// Entries larger than this are not read (a model is a few hundred KB at most).
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// The environment variable naming the cache directory (instead of the platform's).
pub const CACHE_DIR_ENV: &str = "OKTAQL_CACHE_DIR";

/// The environment variable that turns the cache off when set to anything but `0` or empty.
pub const NO_CACHE_ENV: &str = "OKTAQL_NO_CACHE";

/// Where built service models of `--registry` documents are cached.
///
/// `dir` is oktaql's cache directory (by default `<user cache dir>/oktaql`); entries go to
/// its `services/` subdirectory, created with mode 0700 on first write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCache {
    dir: PathBuf,
}

impl ServiceCache {
    /// A cache in `dir` (oktaql's cache directory; entries go below it).
    pub fn new(dir: impl Into<PathBuf>) -> ServiceCache {
        ServiceCache { dir: dir.into() }
    }

    /// The cache the environment asks for: none when `OKTAQL_NO_CACHE` is set (to anything
    /// but `0` or empty), `OKTAQL_CACHE_DIR` when set, else `oktaql` in the platform's user
    /// cache directory (`~/.cache/oktaql` on Linux), or none when there is no such directory.
    pub fn from_env() -> Option<ServiceCache> {
        let disabled = std::env::var_os(NO_CACHE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
        if disabled {
            return None;
        }
        match std::env::var_os(CACHE_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => Some(ServiceCache::new(dir)),
            None => dirs::cache_dir().map(|d| ServiceCache::new(d.join("oktaql"))),
        }
    }

    /// oktaql's cache directory, as given.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory holding the entries of `key`'s kind: `services/` for service models,
    /// `providers/` for parsed `provider.yaml` documents.
    fn entries(&self, key: &EntryKey) -> PathBuf {
        if key.service == PROVIDER_ENTRY {
            self.dir.join("providers")
        } else {
            self.dir.join("services")
        }
    }

    /// The entry file for a document (the name depends only on its canonical path).
    pub(crate) fn entry_path(&self, key: &EntryKey) -> PathBuf {
        let digest = Sha256::digest(key.source.as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.entries(key).join(format!("{name}.json"))
    }

    /// The cached model for `key`, or `None` on any kind of miss.
    pub(crate) fn load<T: DeserializeOwned>(&self, key: &EntryKey) -> Option<T> {
        if !std::fs::symlink_metadata(self.entries(key)).ok()?.is_dir() {
            return None;
        }
        let bytes = read_entry(&self.entry_path(key))?;
        let newline = bytes.iter().position(|b| *b == b'\n')?;
        let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
        let header: Header = serde_json::from_slice(header).ok()?;
        if header.key != *key || header.length != body.len() as u64 || header.sum != checksum(body)
        {
            return None;
        }
        serde_json::from_slice(body).ok()
    }

    /// Writes the entry for `key` atomically. Errors (a read-only or foreign directory, a
    /// full disk) are returned for the caller to ignore or mention; nothing is left behind.
    pub(crate) fn store<T: Serialize>(&self, key: &EntryKey, model: &T) -> std::io::Result<()> {
        let dir = self.entries(key);
        create_private_dir(&dir)?;
        let body = serde_json::to_vec(model).map_err(std::io::Error::other)?;
        let header = Header {
            key: key.clone(),
            length: body.len() as u64,
            sum: checksum(&body),
        };
        let mut bytes = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        bytes.extend_from_slice(&body);
        let mut temp = tempfile::Builder::new()
            .prefix(".entry-")
            .suffix(".tmp")
            .tempfile_in(&dir)?;
        temp.write_all(&bytes)?;
        // Renaming replaces whatever is at the entry's name (a symbolic link included)
        // rather than writing through it.
        temp.persist(self.entry_path(key)).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The service name under which a provider's own `provider.yaml` is cached (not a name any
/// service can have).
pub(crate) const PROVIDER_ENTRY: &str = "<provider.yaml>";

/// What an entry must match to be used: the document as it is on disk now, and the code
/// that built the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EntryKey {
    /// [`FORMAT`].
    format: u32,
    /// The oktaql version that wrote the entry.
    oktaql: String,
    /// The document's canonical path.
    source: String,
    /// Its size in bytes.
    size: u64,
    /// Its modification time, in nanoseconds since the Unix epoch.
    modified_ns: u128,
    /// Its inode and device (Unix; 0 elsewhere): a file replaced by another one with the
    /// same size and time is still a change.
    inode: u64,
    device: u64,
    /// [`checksum`] of its content: an edit in place that keeps size and modification time
    /// is still a change (reading and summing the text costs a fraction of parsing it).
    content: u64,
    /// The provider and service the model was built for (they name its resources).
    provider: String,
    service: String,
}

impl EntryKey {
    /// The key of `path` as it is now, or `None` when it cannot be examined (the caller
    /// then reads the file without the cache, and reports the error that gives).
    pub(crate) fn of(path: &Path, provider: &str, service: &str) -> Option<EntryKey> {
        let canonical = std::fs::canonicalize(path).ok()?;
        let meta = std::fs::metadata(&canonical).ok()?;
        let modified_ns = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        let (inode, device) = file_id(&meta);
        let content = checksum(&std::fs::read(&canonical).ok()?);
        Some(EntryKey {
            format: FORMAT,
            oktaql: env!("CARGO_PKG_VERSION").to_string(),
            source: canonical.to_str()?.to_string(),
            size: meta.len(),
            modified_ns,
            inode,
            device,
            content,
            provider: provider.to_string(),
            service: service.to_string(),
        })
    }

    /// The size the document had when the key was taken.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
}

/// The first line of an entry.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    key: EntryKey,
    /// Length of the body (the model's JSON) in bytes.
    length: u64,
    /// [`checksum`] of the body.
    sum: u64,
}

/// A 64-bit checksum that catches damage to an entry (not an attacker: the directory is
/// the user's own). Each 8-byte word goes through a bijective step, so an entry of the same
/// length that differs in one word always gets a different sum; it costs about an
/// instruction per byte, where SHA-256 in software took ten times the JSON parse.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let step = |h: u64, word: u64| (h ^ word).wrapping_mul(K).rotate_left(29);
    let mut chunks = bytes.chunks_exact(8);
    let mut h = step(0x6a09_e667_f3bc_c908, bytes.len() as u64);
    for chunk in &mut chunks {
        h = step(h, u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = step(h, u64::from_le_bytes(tail));
    // Final mix, so that every input bit reaches every output bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.ino(), meta.dev())
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> (u64, u64) {
    (0, 0)
}

/// The bytes of an entry: only a regular file, opened without following a symbolic link,
/// and not larger than [`MAX_ENTRY_BYTES`].
fn read_entry(path: &Path) -> Option<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file: File = options.open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_ENTRY_BYTES {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_ENTRY_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Creates `dir` (and missing parents) with mode 0700, and makes sure it is a real
/// directory, not a symbolic link to somewhere else.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    if !std::fs::symlink_metadata(dir)?.is_dir() {
        return Err(std::io::Error::other(
            "the cache directory is a symbolic link; not following it",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{parse_service_document, Service};

    const DOC: &str = "\
paths: {}
components:
  x-stackQL-resources:
    things:
      methods: {}
";

    fn service(name: &str) -> Service {
        parse_service_document("p", name, "doc.yaml", DOC).unwrap()
    }

    #[test]
    fn a_warm_load_returns_what_was_stored_and_checks_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("doc.yaml");
        std::fs::write(&doc, DOC).unwrap();
        let cache = ServiceCache::new(dir.path().join("cache"));
        let key = EntryKey::of(&doc, "p", "s").unwrap();
        assert!(cache.load::<Service>(&key).is_none());
        // The stored model is returned as is (it differs from what the document gives).
        let stored = service("stored");
        cache.store(&key, &stored).unwrap();
        assert_eq!(cache.load::<Service>(&key), Some(stored));
        // Any other key misses: another service name, another size, another version.
        assert!(cache
            .load::<Service>(&EntryKey::of(&doc, "p", "t").unwrap())
            .is_none());
        let mut other = key.clone();
        other.size += 1;
        assert!(cache.load::<Service>(&other).is_none());
        let mut other = key.clone();
        other.oktaql.push_str("-next");
        assert!(cache.load::<Service>(&other).is_none());
    }

    #[test]
    fn the_checksum_sees_every_change_of_a_word_and_the_length() {
        let base = b"{\"name\":\"secrets\",\"columns\":[]}".to_vec();
        let sum = checksum(&base);
        for i in 0..base.len() {
            for bit in 0..8 {
                let mut changed = base.clone();
                changed[i] ^= 1 << bit;
                assert_ne!(checksum(&changed), sum, "byte {i} bit {bit}");
            }
        }
        assert_ne!(checksum(&base[..base.len() - 1]), sum);
        let mut longer = base.clone();
        longer.push(0);
        assert_ne!(checksum(&longer), sum);
        assert_ne!(checksum(b""), checksum(b"\0"));
    }
}
