//! A session: what `oktaql exec` and `oktaql shell` set up before the first statement.
//!
//! Owns: turning [`Settings`] into an [`Engine`] and [`RunOptions`] — the registry, the API
//! token (the provider's environment variable, or a token file only its owner can read),
//! the built-in sandbox when asked for, the request timeout (positive, at most
//! [`MAX_TIMEOUT`]), the answer-body cap, template variables, and whether output goes to a
//! terminal.
//! Must not: parse arguments (the binary does) or print results (the runner does).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::engine::{Engine, EngineConfig};
use crate::exec::{ClientConfig, StderrDiagnostics};
use crate::provider::{ProviderError, Registry, ServiceCache};
use crate::render::{OutputFormat, RenderOptions};
use crate::runner::RunOptions;
#[cfg(feature = "sandbox")]
use crate::sandbox::{Sandbox, SandboxConfig, SandboxError};
use crate::template::{TemplateError, Vars};

/// What a session is set up from: the options of `oktaql exec` and `oktaql shell`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Start the built-in sandbox and send every request to it (`--sandbox`).
    pub sandbox: bool,
    /// A StackQL-layout registry directory instead of the compiled-in provider.
    pub registry: Option<PathBuf>,
    /// `--server-url` template replacing the provider's server (blank means none).
    pub server_url: Option<String>,
    /// A file holding the API token, readable by its owner only.
    pub token_file: Option<PathBuf>,
    /// Output format.
    pub output: OutputFormat,
    /// The output goes to this file (written by the binary, atomically).
    pub outfile: Option<PathBuf>,
    /// Leave out header rows.
    pub hide_headers: bool,
    /// Template variables as `name=value`.
    pub vars: Vec<String>,
    /// A JSON file of template variables (the `vars` win).
    pub vars_file: Option<PathBuf>,
    /// Timeout of each request in seconds; default 30.
    pub timeout: f64,
    /// Most requests in flight at once; default 8.
    pub concurrency: u16,
    /// Most pages followed per request.
    pub max_pages: Option<usize>,
    /// Largest answer body read, in MiB; default 64.
    pub max_body_mb: u32,
    /// Fail a whole fan-out when one of its requests fails.
    pub strict: bool,
    /// Trace each request and answer, secrets masked.
    pub debug: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            sandbox: false,
            registry: None,
            server_url: None,
            token_file: None,
            output: OutputFormat::Table,
            outfile: None,
            hide_headers: false,
            vars: Vec::new(),
            vars_file: None,
            timeout: 30.0,
            concurrency: 8,
            max_pages: None,
            max_body_mb: 64,
            strict: false,
            debug: false,
        }
    }
}

/// Longest `--timeout` accepted.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Why a session could not be set up.
#[derive(Debug, Error)]
pub enum SessionError {
    /// The `--registry` directory could not be loaded.
    #[error("cannot load the registry at {}", path.display())]
    Registry {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: ProviderError,
    },
    /// The built-in sandbox did not start.
    #[cfg(feature = "sandbox")]
    #[error("cannot start the built-in sandbox")]
    Sandbox(#[source] SandboxError),
    /// `--sandbox` in a build without the `sandbox` feature.
    #[error("this build of oktaql has no built-in sandbox (the `sandbox` feature)")]
    NoSandbox,
    /// The token file could not be read.
    #[error("cannot read token file {}", path.display())]
    TokenFileUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The token file can be read by other users.
    #[error("token file {} can be read by other users (mode {mode:o}): run chmod 600 {}", path.display(), path.display())]
    TokenFileOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The token file is a directory.
    #[error("token file {} is a directory: give the path of the file that holds the token", path.display())]
    TokenFileIsDir {
        /// The path.
        path: PathBuf,
    },
    /// The token file holds no token.
    #[error("token file {} is empty", path.display())]
    TokenFileEmpty {
        /// The file.
        path: PathBuf,
    },
    /// The timeout is not a positive number of seconds up to [`MAX_TIMEOUT`].
    #[error("--timeout must be a positive number of seconds, at most {} (a day)", MAX_TIMEOUT.as_secs())]
    Timeout,
    /// Template variables could not be read.
    #[error(transparent)]
    Vars(#[from] TemplateError),
    /// The engine could not be built (a bad server URL template, a token that cannot be sent).
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

/// The engine and, with `--sandbox`, the sandbox it talks to (kept alive with it).
#[derive(Debug)]
pub struct Session {
    /// The engine.
    pub engine: Engine,
    /// The built-in sandbox, when the session uses it.
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<Sandbox>,
    /// How statements run and render.
    pub options: RunOptions,
}

impl Session {
    /// Sets up a session (starting the sandbox when asked for).
    pub async fn start(args: &Settings) -> Result<Session, SessionError> {
        let registry =
            match &args.registry {
                Some(dir) => Registry::from_dir_with_cache(dir, ServiceCache::from_env()).map_err(
                    |source| SessionError::Registry {
                        path: dir.clone(),
                        source,
                    },
                )?,
                None => Registry::embedded(),
            };
        // Only the sandbox replaces it.
        #[cfg_attr(not(feature = "sandbox"), allow(unused_mut))]
        let mut server_url = args.server_url.clone().filter(|u| !u.trim().is_empty());
        let mut token = None;
        #[cfg(feature = "sandbox")]
        let sandbox = if args.sandbox {
            let sb = Sandbox::start(SandboxConfig::default())
                .await
                .map_err(SessionError::Sandbox)?;
            server_url = Some(sb.url_template());
            token = Some(sb.token().to_string());
            Some(sb)
        } else {
            None
        };
        #[cfg(not(feature = "sandbox"))]
        if args.sandbox {
            return Err(SessionError::NoSandbox);
        }
        if token.is_none() {
            token = match &args.token_file {
                Some(path) => Some(read_token_file(path)?),
                None => {
                    let var = registry
                        .auth("okta")
                        .map(|a| a.credentials_env_var)
                        .unwrap_or_else(|_| "OKTA_API_TOKEN".into());
                    std::env::var(&var).ok().filter(|t| !t.trim().is_empty())
                }
            };
        }
        let timeout = Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT)
            .ok_or(SessionError::Timeout)?;
        let client = ClientConfig {
            token,
            timeout,
            concurrency: usize::from(args.concurrency),
            max_pages: args.max_pages,
            max_body_bytes: args.max_body_mb as usize * 1024 * 1024,
            debug: args.debug,
            ..ClientConfig::default()
        };
        let config = EngineConfig {
            registry,
            server_url,
            client,
            strict: args.strict,
            diagnostics: Arc::new(StderrDiagnostics),
        };
        let engine = Engine::new(config)?;
        let mut vars = Vars::default();
        if let Some(file) = &args.vars_file {
            vars = Vars::from_json_file(file)?;
        }
        vars.merge(Vars::from_pairs(&args.vars)?);
        let to_terminal = args.outfile.is_none() && std::io::stdout().is_terminal();
        let options = RunOptions {
            format: args.output,
            render: RenderOptions {
                hide_headers: args.hide_headers,
                width: if to_terminal {
                    crate::render::terminal_width()
                } else {
                    None
                },
                color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
            },
            vars,
            continue_on_error: false,
            dry_run: false,
            summaries: std::io::stderr().is_terminal(),
            timer: false,
            writes: Arc::default(),
        };
        Ok(Session {
            engine,
            #[cfg(feature = "sandbox")]
            sandbox,
            options,
        })
    }

    /// Whether the session talks to the built-in sandbox.
    pub fn uses_sandbox(&self) -> bool {
        #[cfg(feature = "sandbox")]
        return self.sandbox.is_some();
        #[cfg(not(feature = "sandbox"))]
        false
    }
}

/// Reads a token file, refusing one that others can read.
pub fn read_token_file(path: &Path) -> Result<String, SessionError> {
    let unreadable = |source| SessionError::TokenFileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if meta.is_dir() {
            return Err(SessionError::TokenFileIsDir {
                path: path.to_path_buf(),
            });
        }
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SessionError::TokenFileOpen {
                path: path.to_path_buf(),
                mode: mode & 0o777,
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let token = text.trim().to_string();
    if token.is_empty() {
        return Err(SessionError::TokenFileEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_that_are_not_positive_finite_seconds_are_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for timeout in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e20, 86_401.0] {
            let settings = Settings {
                timeout,
                ..Settings::default()
            };
            let err = rt.block_on(Session::start(&settings)).unwrap_err();
            assert!(matches!(err, SessionError::Timeout), "{timeout}: {err:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn token_files_must_be_private_and_not_empty() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  00abc\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_token_file(&path).unwrap_err();
        assert!(
            matches!(err, SessionError::TokenFileOpen { mode: 0o644, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_token_file(&path).unwrap(), "00abc");
        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            read_token_file(&path),
            Err(SessionError::TokenFileEmpty { .. })
        ));
        let missing = dir.path().join("missing");
        assert!(matches!(
            read_token_file(&missing),
            Err(SessionError::TokenFileUnreadable { .. })
        ));
    }
}
