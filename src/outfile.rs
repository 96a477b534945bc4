//! `--outfile`: the output of a run written atomically to a file.
//!
//! Owns: checking the target before anything is sent, running into an owner-only
//! temporary file beside it, and renaming that over the target only when every statement
//! succeeded; when writes were applied and the output cannot be put in place, keeping it
//! (owner-only) and saying where, so that what the writes returned (a new secret) is
//! never lost.
//! Must not: decide exit codes (the caller maps [`Saved`] and [`OutfileError`] to them).

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::engine::Engine;
use crate::runner::{run_scripts, RunError, RunOptions, RunReport, Script};

/// Whether the output reached its file.
#[derive(Debug)]
pub enum Saved {
    /// The run ended (its report says whether statements failed; when one did, the target
    /// was left as it was).
    Yes(RunReport),
    /// Writes were applied and the output could not be put in place; it was kept beside
    /// the target or written to the diagnostics (reported there).
    No,
}

/// Why nothing was written, and nothing was applied that the output would have recorded.
#[derive(Debug, Error)]
pub enum OutfileError {
    /// The target is a directory.
    #[error("cannot write the output to {}: it is a directory — nothing was sent; give a file name", path.display())]
    Directory {
        /// The target.
        path: PathBuf,
    },
    /// The target exists and is not a regular file.
    #[error("cannot write the output to {}: it is not a regular file — nothing was sent", path.display())]
    NotAFile {
        /// The target.
        path: PathBuf,
    },
    /// The target cannot be opened for writing.
    #[error("cannot write the output to {}: {error} — nothing was sent", path.display())]
    Target {
        /// The target.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// No temporary file can be made beside the target.
    #[error("cannot create a temporary file in {}: {error} — nothing was sent", dir.display())]
    Temporary {
        /// The directory of the target.
        dir: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The output could not be written (reported), and no write was applied.
    #[error("{} was not written", path.display())]
    NotWritten {
        /// The target.
        path: PathBuf,
    },
    /// The output could not be renamed over the target, and no write was applied.
    #[error("cannot write {}: {error}", path.display())]
    Rename {
        /// The target.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// Refuses an output target that cannot take the result, before anything is sent.
pub fn check_outfile(path: &Path) -> Result<(), OutfileError> {
    let target = |error| OutfileError::Target {
        path: path.to_path_buf(),
        error,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(OutfileError::Directory {
            path: path.to_path_buf(),
        }),
        Ok(m) if !m.is_file() => Err(OutfileError::NotAFile {
            path: path.to_path_buf(),
        }),
        Ok(_) => match std::fs::OpenOptions::new().append(true).open(path) {
            Ok(_) => Ok(()),
            Err(e) => Err(target(e)),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(target(e)),
    }
}

/// Runs `scripts` into a temporary file beside `path` and renames it over `path` only when
/// every statement succeeded; files holding secrets stay owner-only. The target is checked
/// before anything is sent; when the output cannot be put in place after writes were
/// applied, it is kept in the (owner-only) temporary file and the writes are listed.
/// Errors and reports go to `diag`.
pub async fn write_outfile(
    path: &Path,
    engine: &Engine,
    scripts: &[Script],
    options: &RunOptions,
    diag: &mut dyn Write,
) -> Result<Saved, OutfileError> {
    check_outfile(path)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".oktaql-")
        .tempfile_in(&dir)
        .map_err(|error| OutfileError::Temporary {
            dir: dir.clone(),
            error,
        })?;
    let written = {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let r = run_scripts(engine, scripts, options, &mut w, diag).await;
        w.flush().map_err(|e| RunError::Output(e.into())).and(r)
    };
    // Diagnostics that cannot be written have nowhere else to go.
    let report = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(diag, "error: cannot write the output file: {e}");
            if options.writes.report(diag) {
                keep_output(tmp, diag);
                return Ok(Saved::No);
            }
            return Err(OutfileError::NotWritten {
                path: path.to_path_buf(),
            });
        }
    };
    if report.failed > 0 {
        let _ = writeln!(
            diag,
            "{} was not written because a statement failed",
            path.display()
        );
        if options.writes.report(diag) {
            keep_output(tmp, diag);
        }
        return Ok(Saved::Yes(report));
    }
    tmp.as_file().sync_all().ok();
    // The temporary file is owner-only; without secrets in it, give the result the mode
    // of the file it replaces, or the usual mode of a new file.
    #[cfg(unix)]
    if !report.wrote_secrets {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(m) => m.permissions().mode() & 0o777,
            Err(_) => 0o666 & !current_umask(),
        };
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode)).ok();
    }
    if let Err(e) = tmp.persist(path) {
        if !options.writes.applied().is_empty() {
            let _ = writeln!(diag, "error: cannot write {}: {}", path.display(), e.error);
            options.writes.report(diag);
            keep_output(e.file, diag);
            return Ok(Saved::No);
        }
        return Err(OutfileError::Rename {
            path: path.to_path_buf(),
            error: e.error,
        });
    }
    Ok(Saved::Yes(report))
}

/// Keeps the temporary output (owner-only) after writes were applied; names it, or writes
/// the output to `diag` when even that fails.
fn keep_output(tmp: tempfile::NamedTempFile, diag: &mut dyn Write) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600));
    }
    let _ = match tmp.keep() {
        Ok((_, kept)) => writeln!(
            diag,
            "the output was kept in {} (owner-only)",
            kept.display()
        ),
        Err(e) => {
            let text = std::fs::read_to_string(e.file.path()).unwrap_or_default();
            writeln!(
                diag,
                "the output, which could not be saved anywhere:\n{text}"
            )
        }
    };
}

/// The process umask (read by setting and restoring it).
#[cfg(unix)]
fn current_umask() -> u32 {
    // SAFETY: umask only swaps the process file-mode mask; the value is restored at once.
    let old = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    #[allow(clippy::useless_conversion)] // mode_t is u16 on some platforms
    u32::from(old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::provider::Registry;

    fn engine() -> Engine {
        Engine::new(EngineConfig::new(Registry::embedded())).unwrap()
    }

    fn script(text: &str) -> Vec<Script> {
        vec![Script {
            name: "t.sql".into(),
            text: text.into(),
        }]
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".oktaql-"))
            .collect()
    }

    #[tokio::test]
    async fn success_renames_the_output_over_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        let mut diag = Vec::new();
        let saved = write_outfile(
            &path,
            &engine(),
            &script("SHOW SERVICES IN okta"),
            &RunOptions::default(),
            &mut diag,
        )
        .await
        .unwrap();
        let Saved::Yes(report) = saved else {
            panic!("not saved: {}", String::from_utf8_lossy(&diag));
        };
        assert_eq!((report.succeeded, report.failed), (1, 0));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("apps"), "{text}");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_failed_statement_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        let mut diag = Vec::new();
        let saved = write_outfile(
            &path,
            &engine(),
            &script("SHOW SERVICES IN okta; SHOW RESOURCES IN okta.nosuch"),
            &RunOptions::default(),
            &mut diag,
        )
        .await
        .unwrap();
        assert!(
            matches!(saved, Saved::Yes(ref r) if r.failed >= 1),
            "{saved:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let diag = String::from_utf8(diag).unwrap();
        assert!(
            diag.contains("out.txt was not written because a statement failed"),
            "{diag}"
        );
        // Nothing was applied: nothing is kept.
        assert!(leftovers(dir.path()).is_empty(), "{diag}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn output_after_applied_writes_is_kept_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let options = RunOptions::default();
        // A write applied earlier in the run (as a signal handler would see it).
        options
            .writes
            .start("t.sql:1".into(), "DELETE FROM okta.apps.secrets …");
        options.writes.finish(true);
        let mut diag = Vec::new();
        let saved = write_outfile(
            &path,
            &engine(),
            &script("SHOW SERVICES IN okta; SHOW RESOURCES IN okta.nosuch"),
            &options,
            &mut diag,
        )
        .await
        .unwrap();
        assert!(
            matches!(saved, Saved::Yes(ref r) if r.failed >= 1),
            "{saved:?}"
        );
        assert!(!path.exists(), "the target was written");
        let kept = leftovers(dir.path());
        assert_eq!(kept.len(), 1, "{kept:?}");
        let kept = dir.path().join(&kept[0]);
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let diag = String::from_utf8(diag).unwrap();
        assert!(diag.contains("1 write(s) applied:"), "{diag}");
        assert!(
            diag.contains(&format!("the output was kept in {}", kept.display())),
            "{diag}"
        );
    }

    #[test]
    fn a_directory_or_unwritable_target_is_refused_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_outfile(dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .contains("it is a directory — nothing was sent"),
            "{e}"
        );
        check_outfile(&dir.path().join("new.txt")).unwrap();
        let e = check_outfile(Path::new("/dev/null/x")).unwrap_err();
        assert!(e.to_string().contains("nothing was sent"), "{e}");
    }
}
