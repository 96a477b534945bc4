//! The Okta sandbox: a local HTTP server that behaves like Okta's Management API for the
//! resources oktaql supports (apps, their OAuth 2.0 client secrets, JSON Web Keys, refresh tokens
//! and signing key credentials, API service integrations and their secrets, and the System Log
//! that records every change to them).
//!
//! Orgs are addressed by the first path segment: org `acme` lives under
//! `http://127.0.0.1:PORT/acme/api/v1/...`, so the engine reaches it with the server URL template
//! `http://127.0.0.1:PORT/{subdomain}` ([`Sandbox::url_template`]). Any org name answers; orgs
//! other than the seeded one start empty.
//!
//! Start it from Rust with [`Sandbox::start`], from the command line with `oktaql sandbox`
//! ([`cli::run`]), or in process behind `oktaql exec --sandbox`.
//!
//! # Demo data
//!
//! With [`Seed::Demo`] (the default) org [`DEMO_ORG`] holds [`SandboxConfig::demo_apps`] apps,
//! generated deterministically (same ids, secrets and dates on every start). A few are
//! well known:
//!
//! | constant | label | kind | secrets |
//! |---|---|---|---|
//! | [`DEMO_APP_ONE_SECRET`] | Payroll Portal | OIDC `client_secret_basic` | one ACTIVE |
//! | [`DEMO_APP_TWO_SECRETS`] | Grafana | OIDC `client_secret_post` | one INACTIVE (older), one ACTIVE |
//! | [`DEMO_APP_JWT`] | Expense Tracker API | OIDC `client_secret_jwt` | one ACTIVE (64 chars) |
//! | [`DEMO_APP_PRIVATE_KEY_JWT`] | Data Sync Service | OIDC `private_key_jwt` | none (secrets refused); two JSON Web Keys, one ACTIVE |
//! | [`DEMO_APP_INACTIVE`] | Legacy Timesheets | OIDC `client_secret_basic`, app INACTIVE | one ACTIVE |
//! | [`DEMO_APP_SAML`] | Salesforce | `SAML_2_0` | none |
//!
//! They are the first six apps listed; the rest are mostly OIDC apps with one or two secrets,
//! some SAML apps, about 8% INACTIVE.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), oktaql::sandbox::SandboxError> {
//! use oktaql::sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! let url = format!("http://{}/my-org/api/v1/apps", sandbox.addr());
//! // … send requests with `Authorization: SSWS {sandbox.token()}` …
//! sandbox.shutdown().await;
//! # let _ = url; Ok(()) }
//! ```

#[cfg(feature = "cli")]
pub mod cli;
mod errors;
mod integrations;
mod integrations_api;
mod jwks;
mod jwks_api;
mod keys;
mod keys_api;
mod lifecycle;
pub mod limits;
mod model;
pub mod oauth;
mod persist;
mod seed;
mod server;
mod state;
mod syslog;
mod syslog_api;
mod tokens;
mod tokens_api;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The org the demo seed fills: Okta's documented default subdomain.
pub const DEMO_ORG: &str = "my-org";
/// The API token the sandbox accepts unless told otherwise. Clearly fake.
pub const DEFAULT_TOKEN: &str = "sandbox-token";
/// Default number of apps in the demo org (enough that listing them crosses pages).
pub const DEFAULT_DEMO_APPS: usize = 260;
/// Most apps `--apps` may ask for (each is held in memory and written to the state file).
pub const MAX_DEMO_APPS: usize = 100_000;

/// Demo app "Payroll Portal": OIDC, `client_secret_basic`, exactly one ACTIVE secret.
pub const DEMO_APP_ONE_SECRET: &str = "0oa8f2kq1XnT5bRzY4d7";
/// Demo app "Grafana": OIDC, `client_secret_post`, two secrets (the older INACTIVE, the newer ACTIVE).
pub const DEMO_APP_TWO_SECRETS: &str = "0oa8f2kr7HwM3cPeL9s2";
/// Demo app "Expense Tracker API": OIDC service, `client_secret_jwt`, one ACTIVE 64-character secret.
pub const DEMO_APP_JWT: &str = "0oa8f2ks2QvB6nJtW1x5";
/// Demo app "Data Sync Service": OIDC service, `private_key_jwt`, no secrets (creating one is refused).
pub const DEMO_APP_PRIVATE_KEY_JWT: &str = "0oa8f2kt9LgD4yFhK7m3";
/// Demo app "Legacy Timesheets": an INACTIVE OIDC `client_secret_basic` app with one ACTIVE secret.
pub const DEMO_APP_INACTIVE: &str = "0oa8f2kv3PbE8wGsQ2j6";
/// Demo app "Salesforce": a `SAML_2_0` app (no client secrets).
pub const DEMO_APP_SAML: &str = "0oa8f2ku5ZrC1aVoN6p8";

/// What the sandbox starts with when it has no state file (or the file does not exist yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Seed {
    /// Org my-org (DEMO_ORG) with a realistic mix of apps and secrets.
    #[default]
    Demo,
    /// No apps at all.
    Empty,
}

/// How to start a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to listen on; port 0 picks a free one. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// The API token to accept. Default [`DEFAULT_TOKEN`].
    pub token: String,
    /// Initial data when there is no state file. Default [`Seed::Demo`].
    pub seed: Seed,
    /// Number of apps in the demo org. Default [`DEFAULT_DEMO_APPS`].
    pub demo_apps: usize,
    /// Persist every acknowledged write to this file, and start from it when it exists.
    pub state_file: Option<PathBuf>,
    /// Requests per minute per org in every bucket; beyond it, 429 `E0000047`. Default: no
    /// limit. `bucket_limits` override it per bucket.
    pub rate_limit: Option<u32>,
    /// Per-minute limits of single buckets (`apps=100/min`), applied after `rate_limit`.
    pub bucket_limits: Vec<limits::RateLimitSpec>,
    /// Most requests of one org in flight at once; the first over it is answered 429
    /// `E0000047` with the concurrency values in the rate-limit headers. Default: no limit.
    pub concurrency_limit: Option<u32>,
    /// A fixed delay added to every request (for benchmarks).
    pub latency: Option<Duration>,
    /// The service app's key pair ([`DEMO_APP_PRIVATE_KEY_JWT`]); `None` makes a P-256 key.
    pub service_app_key: Option<crate::auth::SigningKey>,
    /// The service app requires DPoP-bound tokens (with the nonce challenge).
    pub require_dpop: bool,
    /// Lifetime of issued access tokens. Default [`oauth::TOKEN_LIFETIME`] (3600 s).
    pub token_lifetime: Duration,
}

impl SandboxConfig {
    /// The limits the rate-limit settings describe.
    pub fn limits(&self) -> limits::Limits {
        let mut l = limits::Limits::from_specs(&[], self.concurrency_limit);
        if let Some(n) = self.rate_limit {
            l.set(None, n);
        }
        for spec in &self.bucket_limits {
            l.set(spec.bucket, spec.per_minute);
        }
        l
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: DEFAULT_TOKEN.to_string(),
            seed: Seed::Demo,
            demo_apps: DEFAULT_DEMO_APPS,
            state_file: None,
            rate_limit: None,
            bucket_limits: Vec::new(),
            concurrency_limit: None,
            latency: None,
            service_app_key: None,
            require_dpop: false,
            token_lifetime: oauth::TOKEN_LIFETIME,
        }
    }
}

/// Why the sandbox could not start.
#[derive(Debug, Error)]
pub enum SandboxError {
    /// The listen address could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; pick another address or port with --listen \
         (port 0 chooses a free one)"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The state file exists but is not a valid sandbox state. It is left untouched.
    #[error(
        "state file {} is corrupt: {problem}. It was left untouched; repair it, move it away, \
         or pass another --state FILE",
        path.display()
    )]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Another sandbox holds the state file's lock.
    #[error(
        "state file {} is in use by another sandbox (its lock {} is held); stop that sandbox \
         or pass another --state FILE",
        path.display(),
        lock.display()
    )]
    StateInUse {
        /// The state file.
        path: PathBuf,
        /// The lock file beside it.
        lock: PathBuf,
    },
    /// More demo apps than the sandbox holds.
    #[error(
        "--apps {asked} is more than the {MAX_DEMO_APPS} apps the sandbox holds; ask for fewer"
    )]
    TooManyApps {
        /// The number asked for.
        asked: usize,
    },
    /// Reading or writing a file, or serving, failed.
    #[error("{context}: {source}")]
    Io {
        /// What the sandbox was doing.
        context: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// A running sandbox. Dropping it stops the server (without waiting); [`Sandbox::shutdown`]
/// stops it and waits.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    token: String,
    /// Apps per org when it started (from the state file or the seed).
    initial_apps: std::collections::HashMap<String, usize>,
    oauth: Arc<oauth::AuthServer>,
    service_app_key: crate::auth::SigningKey,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Loads or seeds the state, binds the listener and serves in the background on the current
    /// tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        if config.demo_apps > MAX_DEMO_APPS {
            return Err(SandboxError::TooManyApps {
                asked: config.demo_apps,
            });
        }
        let (store, persister) = initial_state(&config).await?;
        let initial_apps = store.app_counts();
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Io {
            context: "reading the bound address".into(),
            source,
        })?;
        let service_app_key = config
            .service_app_key
            .clone()
            .unwrap_or_else(crate::auth::SigningKey::generate_es256);
        let oauth = Arc::new(oauth::AuthServer::new(
            DEMO_APP_PRIVATE_KEY_JWT,
            &service_app_key,
            config.require_dpop,
            config.token_lifetime,
        ));
        let shared = Arc::new(server::Shared::new(
            store,
            config.token.clone(),
            config.limits(),
            config.latency,
            persister,
            oauth.clone(),
        ));
        let app = server::router(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            // Serving errors end the task; the owner sees the server gone.
            let _ = served.await;
        });
        Ok(Sandbox {
            addr,
            token: config.token,
            initial_apps,
            oauth,
            service_app_key,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server URL template for the engine: `http://127.0.0.1:PORT/{subdomain}`.
    pub fn url_template(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}/{{subdomain}}")
    }

    /// The service app's client id (as in Okta, the app's own `0oa…` id).
    pub fn client_id(&self) -> &str {
        DEMO_APP_PRIVATE_KEY_JWT
    }

    /// The service app's private key (its public key is the one registered).
    pub fn service_app_key(&self) -> &crate::auth::SigningKey {
        &self.service_app_key
    }

    /// Requests the token endpoint has answered.
    pub fn token_requests(&self) -> usize {
        self.oauth.token_requests()
    }

    /// Revokes every access token issued so far.
    pub fn revoke_tokens(&self) {
        self.oauth.revoke_all();
    }

    /// The API token the sandbox accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// How many apps `org` held when the sandbox started: the state file's count after a
    /// restart, the seed's otherwise.
    pub fn initial_apps(&self, org: &str) -> usize {
        self.initial_apps.get(org).copied().unwrap_or(0)
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 seconds), and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The store to start from (state file, else seed) and, with a state file, its persister.
async fn initial_state(
    config: &SandboxConfig,
) -> Result<(state::Store, Option<server::Persister>), SandboxError> {
    let seeded = |config: &SandboxConfig| match config.seed {
        Seed::Demo => vec![seed::demo_org(DEMO_ORG, config.demo_apps)],
        Seed::Empty => Vec::new(),
    };
    let Some(path) = config.state_file.clone() else {
        return Ok((state::Store::from_data(seeded(config)), None));
    };
    let config = config.clone();
    let io_err = |e: tokio::task::JoinError| SandboxError::Io {
        context: "loading the state".into(),
        source: std::io::Error::other(e),
    };
    tokio::task::spawn_blocking(move || {
        // Held for the sandbox's life: a second sandbox on the same file is refused.
        let lock = persist::lock(&path)?;
        let store = match persist::load(&path)? {
            Some(orgs) => state::Store::from_data(orgs),
            None => {
                let orgs = seeded(&config);
                persist::save(&path, orgs.clone())?;
                state::Store::from_data(orgs)
            }
        };
        let persister = server::Persister::new(path, store.version(), lock);
        Ok((store, Some(persister)))
    })
    .await
    .map_err(io_err)?
}
