//! Session set-up: from the settings of one run (registry, server, credentials, limits,
//! output) to an [`Engine`] and the [`RunOptions`] its scripts run with; `oktaql orgs` and
//! `oktaql check` (the configured orgs, and one proof per org that its credential works).
//!
//! Owns: reading credentials from their sources (flags, environment, okta.yaml files, the
//! config file, token files) into [`Credentials`], checking the timeout, starting the
//! built-in sandbox for `--sandbox`, and the render settings that follow from where the
//! output goes.
//! Must not: parse arguments or look at the process's terminals itself — the caller says
//! whether standard output and standard error are terminals ([`Terminals`]).

mod orgs;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::auth::sources::{Flags, Inputs};
use crate::auth::{AuthError, Credentials};
use crate::engine::{Engine, EngineConfig};
use crate::exec::{ClientConfig, Diagnostics, Progress, StderrDiagnostics};
use crate::provider::{ProviderError, Registry, ServiceCache};
use crate::render::{OutputFormat, RenderOptions};
use crate::runner::RunOptions;
#[cfg(feature = "sandbox")]
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::template::{TemplateError, Vars};

pub use orgs::{orgs_report, OrgsReport};

/// Longest timeout accepted (a day).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The settings of one run, as the command line gives them.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// `--sandbox`: start the built-in sandbox and talk to it.
    pub sandbox: bool,
    /// `--registry DIR`: provider documents from this directory instead of the built-in ones.
    pub registry: Option<PathBuf>,
    /// `--server-url`: server URL template (`http://127.0.0.1:8787/{subdomain}`).
    pub server_url: Option<String>,
    /// Credential flags (`--org-url`, `--token-file`, `--client-id`, …).
    pub credentials: Flags,
    /// `-o`: output format.
    pub output: OutputFormat,
    /// `--outfile` was given: output goes to a file, not the terminal.
    pub outfile: bool,
    /// `--hide-headers`.
    pub hide_headers: bool,
    /// `--var NAME=VALUE`, in order.
    pub vars: Vec<String>,
    /// `--vars FILE.json`.
    pub vars_file: Option<PathBuf>,
    /// `--timeout` in seconds.
    pub timeout_secs: f64,
    /// `--concurrency`.
    pub concurrency: u16,
    /// `--rate-share` (or `OKTAQL_RATE_SHARE`): most of each rate limit (and of the org's
    /// concurrency limit) used, 0–1, for every org. `None`: the config file's `rate_share`
    /// (per org, then top level), else [`crate::exec::budget::DEFAULT_RATE_SHARE`].
    pub rate_share: Option<f64>,
    /// `--org-concurrency`: the org's limit on requests in flight.
    pub org_concurrency: u16,
    /// `--max-pages`.
    pub max_pages: Option<usize>,
    /// `--max-body-mb`.
    pub max_body_mb: u32,
    /// `--strict`.
    pub strict: bool,
    /// `--debug`.
    pub debug: bool,
    /// With `sandbox`: a fixed delay added to every request (`--sandbox-latency`).
    pub sandbox_latency: Option<Duration>,
    /// Statement shapes whose parse is kept (`OKTAQL_SHAPE_CACHE`; 0: none), default
    /// [`crate::sql::DEFAULT_SHAPES`].
    pub shape_cache: usize,
}

impl Default for SessionSettings {
    /// The command line's defaults.
    fn default() -> Self {
        SessionSettings {
            sandbox: false,
            registry: None,
            server_url: None,
            credentials: Flags::default(),
            output: OutputFormat::Table,
            outfile: false,
            hide_headers: false,
            vars: Vec::new(),
            vars_file: None,
            timeout_secs: 30.0,
            concurrency: 8,
            rate_share: None,
            org_concurrency: crate::exec::budget::DEFAULT_ORG_CONCURRENCY as u16,
            max_pages: None,
            max_body_mb: 64,
            strict: false,
            debug: false,
            sandbox_latency: None,
            shape_cache: crate::sql::DEFAULT_SHAPES,
        }
    }
}

/// Where a session reports besides its results: notices and traces, and progress events
/// (fan-outs, long lists, rate-limit waits).
#[derive(Clone)]
pub struct Reporting {
    /// Notices and `--debug` traces. Default: standard error.
    pub diagnostics: Arc<dyn Diagnostics>,
    /// Progress events. Default: none.
    pub progress: Option<Arc<dyn Progress>>,
}

impl Default for Reporting {
    fn default() -> Self {
        Reporting {
            diagnostics: Arc::new(StderrDiagnostics),
            progress: None,
        }
    }
}

/// Which of the process's standard streams are terminals (the caller looks).
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminals {
    /// Standard output is a terminal: tables fit its width, colours unless `NO_COLOR`.
    pub stdout: bool,
    /// Standard error is a terminal: a summary line after each statement.
    pub stderr: bool,
}

/// Why a session could not be set up.
#[derive(Debug, Error)]
pub enum SessionError {
    /// `--registry DIR` could not be loaded.
    #[error("cannot load the registry at {}", dir.display())]
    Registry {
        /// The directory.
        dir: PathBuf,
        /// What went wrong.
        #[source]
        source: ProviderError,
    },
    /// The built-in sandbox did not start.
    #[cfg(feature = "sandbox")]
    #[error("cannot start the built-in sandbox")]
    Sandbox(#[source] crate::sandbox::SandboxError),
    /// `--sandbox` in a build without the sandbox.
    #[error("--sandbox needs the built-in sandbox, which this build leaves out: build with the `sandbox` feature")]
    NoSandbox,
    /// The timeout is not a positive number of seconds up to [`MAX_TIMEOUT`].
    #[error(
        "--timeout must be a positive number of seconds, at most {} (a day)",
        MAX_TIMEOUT.as_secs()
    )]
    Timeout,
    /// Credentials could not be read.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Template variables could not be read.
    #[error(transparent)]
    Vars(#[from] TemplateError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Exec(#[from] crate::exec::ExecError),
    /// A report could not be written.
    #[error(transparent)]
    Output(#[from] std::io::Error),
    /// The engine could not be built.
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

/// The engine of a run, the options its scripts run with, and, with `--sandbox`, the
/// sandbox it talks to (kept alive as long as the session).
pub struct Session {
    /// The engine.
    pub engine: Engine,
    /// How scripts run (format, render settings, variables, …).
    pub options: RunOptions,
    sandbox: Option<HeldSandbox>,
}

impl Session {
    /// Sets up a session: loads the registry, starts the sandbox or reads the credentials,
    /// checks the timeout, builds the engine and reads the template variables.
    pub async fn start(
        settings: &SessionSettings,
        terminals: Terminals,
        reporting: Reporting,
    ) -> Result<Session, SessionError> {
        let registry =
            match &settings.registry {
                Some(dir) => Registry::from_dir_with_cache(dir, ServiceCache::from_env()).map_err(
                    |source| SessionError::Registry {
                        dir: dir.clone(),
                        source,
                    },
                )?,
                None => Registry::embedded(),
            };
        let mut server_url = settings.server_url.clone().filter(|u| !u.trim().is_empty());
        let mut sandbox = None;
        let credentials = if settings.sandbox {
            let sb = start_sandbox(settings.sandbox_latency).await?;
            let (url, token) = sandbox_target(&sb);
            server_url = Some(url);
            sandbox = Some(sb);
            // The sandbox's token is bound to the sandbox's server.
            Credentials::default().with_loose_token(&token, "the sandbox token", server_url.clone())
        } else {
            load_credentials(&settings.credentials, server_url.clone())?
        };
        let timeout = timeout(settings.timeout_secs)?;
        // The share: the flag (or its variable) for every org, else the config file's.
        let (rate_share, org_rate_shares) = match settings.rate_share {
            Some(share) => (share, Vec::new()),
            None => (
                credentials
                    .rate_share
                    .unwrap_or(crate::exec::budget::DEFAULT_RATE_SHARE),
                credentials.org_rate_shares.clone(),
            ),
        };
        let client = ClientConfig {
            credentials: Some(Arc::new(credentials)),
            timeout,
            concurrency: usize::from(settings.concurrency),
            rate_share,
            org_rate_shares,
            org_concurrency: usize::from(settings.org_concurrency),
            max_pages: settings.max_pages,
            max_body_bytes: settings.max_body_mb as usize * 1024 * 1024,
            debug: settings.debug,
            ..ClientConfig::default()
        };
        let mut engine = Engine::new(EngineConfig {
            registry,
            server_url,
            client,
            strict: settings.strict,
            diagnostics: reporting.diagnostics,
        })?;
        if let Some(p) = reporting.progress {
            engine = engine.with_progress(p);
        }
        engine = engine.with_shape_cache(settings.shape_cache);
        let mut vars = Vars::default();
        if let Some(file) = &settings.vars_file {
            vars = Vars::from_json_file(file)?;
        }
        vars.merge(Vars::from_pairs(&settings.vars)?);
        let options = run_options(settings, terminals, vars);
        Ok(Session {
            engine,
            options,
            sandbox,
        })
    }

    /// Whether the session talks to the built-in sandbox it started.
    pub fn has_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }
}

/// The built-in sandbox a session keeps alive (nothing in a build without it).
#[cfg(feature = "sandbox")]
type HeldSandbox = Sandbox;
#[cfg(not(feature = "sandbox"))]
type HeldSandbox = std::convert::Infallible;

#[cfg(feature = "sandbox")]
async fn start_sandbox(latency: Option<Duration>) -> Result<HeldSandbox, SessionError> {
    Sandbox::start(SandboxConfig {
        latency,
        ..SandboxConfig::default()
    })
    .await
    .map_err(SessionError::Sandbox)
}

#[cfg(not(feature = "sandbox"))]
async fn start_sandbox(_latency: Option<Duration>) -> Result<HeldSandbox, SessionError> {
    Err(SessionError::NoSandbox)
}

/// The sandbox's server URL template and its token.
#[cfg(feature = "sandbox")]
fn sandbox_target(sb: &HeldSandbox) -> (String, String) {
    (sb.url_template(), sb.token().to_string())
}

#[cfg(not(feature = "sandbox"))]
fn sandbox_target(sb: &HeldSandbox) -> (String, String) {
    match *sb {}
}

/// The run options of a session: render settings follow from whether the output reaches a
/// terminal (no `--outfile`, standard output a terminal).
fn run_options(settings: &SessionSettings, terminals: Terminals, vars: Vars) -> RunOptions {
    let to_terminal = !settings.outfile && terminals.stdout;
    RunOptions {
        format: settings.output,
        render: RenderOptions {
            hide_headers: settings.hide_headers,
            width: if to_terminal {
                crate::render::terminal_width()
            } else {
                None
            },
            color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
            expanded: false,
        },
        vars,
        continue_on_error: false,
        dry_run: false,
        summaries: terminals.stderr,
        timer: false,
        writes: Arc::default(),
        one_document: false,
    }
}

/// The timeout of `secs` seconds: positive, finite and at most [`MAX_TIMEOUT`].
pub fn timeout(secs: f64) -> Result<Duration, SessionError> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT)
        .ok_or(SessionError::Timeout)
}

/// Reads the credentials from flags, the environment, okta.yaml files and the config file;
/// tokens bound to `server_template` when one is given.
pub fn load_credentials(
    flags: &Flags,
    server_template: Option<String>,
) -> Result<Credentials, SessionError> {
    let env = |k: &str| std::env::var(k).ok();
    let inputs = Inputs {
        flags,
        env: &env,
        home: dirs::home_dir(),
        cwd: std::env::current_dir().unwrap_or_default(),
        config_dir: dirs::config_dir(),
        server_template,
    };
    Ok(crate::auth::sources::load(&inputs)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_outside_the_range_are_refused_not_a_panic() {
        for secs in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e20, 86_400.5, f64::MAX] {
            let e = timeout(secs).unwrap_err();
            assert!(
                e.to_string().contains("at most 86400 (a day)"),
                "{secs}: {e}"
            );
        }
        assert_eq!(timeout(0.25).unwrap(), Duration::from_millis(250));
        assert_eq!(timeout(86_400.0).unwrap(), MAX_TIMEOUT);
    }

    #[test]
    fn render_settings_follow_where_the_output_goes() {
        let settings = SessionSettings::default();
        let piped = run_options(&settings, Terminals::default(), Vars::default());
        assert_eq!(piped.render.width, None);
        assert!(!piped.render.color);
        assert!(!piped.summaries);
        let to_file = SessionSettings {
            outfile: true,
            ..SessionSettings::default()
        };
        let both = Terminals {
            stdout: true,
            stderr: true,
        };
        let o = run_options(&to_file, both, Vars::default());
        // A file gets neither colours nor the terminal's width; summaries still go to
        // the terminal on stderr.
        assert!(!o.render.color);
        assert_eq!(o.render.width, None);
        assert!(o.summaries);
    }

    #[tokio::test]
    async fn a_registry_that_cannot_be_read_is_named() {
        let settings = SessionSettings {
            registry: Some(PathBuf::from("no/such/registry")),
            ..SessionSettings::default()
        };
        let Err(e) = Session::start(&settings, Terminals::default(), Reporting::default()).await
        else {
            panic!("a missing registry directory loaded");
        };
        assert!(
            e.to_string()
                .starts_with("cannot load the registry at no/such/registry"),
            "{e}"
        );
        assert!(std::error::Error::source(&e).is_some(), "{e:?}");
    }
}
