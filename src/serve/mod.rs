//! The PostgreSQL wire-protocol server (`oktaql serve`): psql, drivers, BI tools and
//! PostgreSQL's own `postgres_fdw` send SQL over the network and the engine runs it.
//!
//! The database is `okta`; each service is a schema and each resource a table, so
//! `SELECT … FROM okta.apps.secrets WHERE …` runs as written.
//!
//! Owns: listening (loopback unless TLS is configured or the risk accepted), TLS,
//! SCRAM-SHA-256 password authentication, one task per connection up to a limit, cancel
//! requests (dropping a statement's future drops its HTTP requests). Must not: plan or
//! execute statements itself (the engine does), or write secrets to logs or errors.

mod catalog;
mod cursor;
mod error;
mod explain;
mod handler;
mod infoschema;
mod params;
mod pattern;
mod types;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::{DefaultServerParameterProvider, StartupHandler};
use pgwire::api::cancel::{CancelHandler, DefaultCancelHandler};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ConnectionManager, PgWireServerHandlers};
use pgwire::tokio::TlsAcceptor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use catalog::{DATABASE, SERVER_VERSION};
pub use cursor::MAX_CURSORS;
pub use error::ServeError;
pub use infoschema::{MAX_CATALOG_ROWS, MAX_CATALOG_STEPS};
pub use params::MAX_PARAMS;
pub use users::{combine, from_config, overridden_note, Lookup, ServeUser, MAX_USERS};

use crate::engine::Engine;
use handler::{Handler, Shared};

/// Where the server listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5433";
/// The user clients log in as unless told otherwise.
pub const DEFAULT_USER: &str = "oktaql";
/// Connections served at once unless raised (`--max-connections`); more are closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// The environment variable holding the password.
pub const PASSWORD_ENV: &str = "OKTAQL_SERVE_PASSWORD";
use users::{Verifiers, SCRAM_ITERATIONS};

/// TLS certificate chain and private key, PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Who may log in, each with a password (never printed).
    pub users: Vec<ServeUser>,
    /// Allow INSERT, DELETE and EXEC that change Okta.
    pub allow_writes: bool,
    /// Serve TLS with these files.
    pub tls: Option<TlsFiles>,
    /// Listen on a non-loopback address without TLS.
    pub insecure_listen: bool,
    /// Connections served at once; more are closed at once.
    pub max_connections: usize,
}

/// Makes each connection's handlers.
struct Handlers {
    handler: Arc<Handler>,
    users: Arc<Verifiers>,
    parameters: Arc<DefaultServerParameterProvider>,
    manager: Arc<ConnectionManager>,
    cancel: Arc<DefaultCancelHandler>,
    cert_pem: Option<Vec<u8>>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.handler.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.handler.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let mut scram = ScramAuth::new(self.users.clone());
        scram.set_iterations(SCRAM_ITERATIONS);
        if let Some(pem) = &self.cert_pem {
            // Channel binding (SCRAM-SHA-256-PLUS) when the certificate allows it.
            let _ = scram.configure_certificate(pem);
        }
        Arc::new(
            SASLAuthStartupHandler::new(self.parameters.clone())
                .with_scram(scram)
                .with_connection_manager(self.manager.clone()),
        )
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }
}

/// A bound server, ready to accept connections.
pub struct Server {
    listener: TcpListener,
    handlers: Arc<Handlers>,
    tls: Option<TlsAcceptor>,
    slots: Arc<Semaphore>,
    max_connections: usize,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Checks the settings, reads the catalog and TLS files, and binds the address.
    pub async fn bind(engine: Engine, config: ServeConfig) -> Result<Server, ServeError> {
        if config.users.is_empty() {
            return Err(ServeError::NoPassword {
                user: DEFAULT_USER.to_string(),
                config: "the config file".to_string(),
            });
        }
        if let Some(u) = config.users.iter().find(|u| u.password.expose().is_empty()) {
            return Err(ServeError::Users(format!(
                "the user {} has an empty password ({})",
                u.name, u.origin
            )));
        }
        if !config.listen.ip().is_loopback() && config.tls.is_none() && !config.insecure_listen {
            return Err(ServeError::InsecureListen(config.listen));
        }
        let (tls, cert_pem) = match &config.tls {
            Some(files) => {
                let (acceptor, pem) = tls_acceptor(files)?;
                (Some(acceptor), Some(pem))
            }
            None => (None, None),
        };
        let catalog = catalog::Catalog::load(engine.registry(), !config.allow_writes)
            .map_err(|e| ServeError::Catalog(e.to_string()))?;
        let users = Arc::new(Verifiers::new(&config.users, config.allow_writes));
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.to_string();
        parameters.is_superuser = false;
        parameters.default_transaction_read_only = !config.allow_writes;
        let manager = Arc::new(ConnectionManager::new());
        let shared = Arc::new(Shared {
            engine,
            catalog,
            allow_writes: config.allow_writes,
            users: users.clone(),
        });
        let handlers = Arc::new(Handlers {
            handler: Arc::new(Handler::new(shared)),
            users,
            parameters: Arc::new(parameters),
            cancel: Arc::new(DefaultCancelHandler::new(manager.clone())),
            manager,
            cert_pem,
        });
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let max_connections = config.max_connections.max(1);
        Ok(Server {
            listener,
            handlers,
            tls,
            slots: Arc::new(Semaphore::new(max_connections)),
            max_connections,
        })
    }

    /// The address bound (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Accept)
    }

    /// Serves connections until the future is dropped. A connection beyond the limit is
    /// closed at once (with a note on stderr) rather than left waiting.
    pub async fn run(self) -> Result<(), ServeError> {
        loop {
            let (socket, peer) = match self.listener.accept().await {
                Ok(s) => s,
                // Out of file descriptors and the like: wait, then accept again.
                Err(e) if is_transient(&e) => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
                Err(e) => return Err(ServeError::Accept(e)),
            };
            let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                eprintln!(
                    "serve: refused a connection from {peer}: {} connections are open (raise --max-connections)",
                    self.max_connections
                );
                drop(socket);
                continue;
            };
            let _ = socket.set_nodelay(true);
            let handlers = self.handlers.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let _ = pgwire::tokio::process_socket(socket, tls, handlers).await;
            });
        }
    }
}

/// Accept errors that pass (a client gone before it was accepted, descriptors exhausted).
fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e.raw_os_error() == Some(libc::EMFILE)
        || e.raw_os_error() == Some(libc::ENFILE)
}

/// The TLS acceptor for the files, and the certificate PEM (for SCRAM channel binding).
fn tls_acceptor(files: &TlsFiles) -> Result<(TlsAcceptor, Vec<u8>), ServeError> {
    crate::exec::install_tls_provider();
    let pem = std::fs::read(&files.cert).map_err(|e| {
        ServeError::Tls(format!(
            "cannot read the certificate {}: {e}",
            files.cert.display()
        ))
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ServeError::Tls(format!(
                "{} is not a PEM certificate chain: {e}",
                files.cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "{} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        ServeError::Tls(format!(
            "cannot read a PEM private key from {}: {e}",
            files.key.display()
        ))
    })?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(format!("the certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), pem))
}
