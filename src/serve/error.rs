//! Errors of the server, and how every failure reaches a client: a PostgreSQL error
//! response with a SQLSTATE code, the message, and (for Okta's refusals) Okta's own code.

use pgwire::error::{ErrorInfo, PgWireError};
use thiserror::Error;

use crate::error::Error;
use crate::exec::ExecError;

/// Why the server cannot start or keep listening.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source} — pick another address with --listen")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// A non-loopback address without TLS.
    #[error("refusing to listen on {0} without TLS: passwords and Okta data would cross the network in clear — give --tls-cert and --tls-key, or --insecure-listen to accept the risk")]
    InsecureListen(std::net::SocketAddr),
    /// No user has a password.
    #[error("no user can log in: set OKTAQL_SERVE_PASSWORD (the password of --user, now {user}), or list users under serve.users in {config} (clients log in with SCRAM-SHA-256)")]
    NoPassword {
        /// The `--user` name.
        user: String,
        /// The config file looked at.
        config: String,
    },
    /// The `serve:` section of the config file, or `--user`, cannot be used.
    #[error("{0}")]
    Users(String),
    /// The TLS certificate or key cannot be used.
    #[error("cannot use the TLS files: {0}")]
    Tls(String),
    /// The catalog (services and resources) cannot be read.
    #[error("cannot read the providers: {0}")]
    Catalog(String),
    /// Accepting a connection failed.
    #[error("cannot accept connections: {0}")]
    Accept(std::io::Error),
}

/// SQLSTATE codes used in error responses.
pub(crate) mod state {
    /// syntax_error
    pub const SYNTAX: &str = "42601";
    /// undefined_table
    pub const UNDEFINED_TABLE: &str = "42P01";
    /// invalid_parameter_value
    pub const INVALID_PARAMETER: &str = "22023";
    /// read_only_sql_transaction
    pub const READ_ONLY: &str = "25006";
    /// feature_not_supported
    pub const NOT_SUPPORTED: &str = "0A000";
    /// undefined_object (unknown setting)
    pub const UNDEFINED_OBJECT: &str = "42704";
    /// invalid_authorization_specification
    pub const AUTHORIZATION: &str = "28000";
    /// insufficient_privilege
    pub const PRIVILEGE: &str = "42501";
    /// too_many_connections / rate limits
    pub const LIMIT: &str = "53400";
    /// connection_failure (Okta unreachable)
    pub const CONNECTION: &str = "08006";
    /// external routine exception (Okta answered with a failure)
    pub const EXTERNAL: &str = "38000";
    /// data_exception (a value that does not fit its column type)
    pub const DATA: &str = "22000";
    /// query_canceled (a timeout)
    pub const CANCELED: &str = "57014";
    /// internal_error
    pub const INTERNAL: &str = "XX000";
}

/// An error response with `code` and `message`.
pub(crate) fn pg_error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        code.to_string(),
        message.into(),
    )))
}

/// The error response for an engine failure: its SQLSTATE by the stage and kind that
/// failed; Okta's own code (`E0000007`) in the message and the detail.
pub(crate) fn engine_error(e: &Error, mask: impl Fn(&str) -> String) -> PgWireError {
    let message = mask(&e.to_string());
    let (code, detail) = match e {
        Error::Template(_) | Error::Sql(_) => (state::SYNTAX, None),
        Error::Provider(_) => (state::UNDEFINED_TABLE, None),
        Error::Plan(_) | Error::Deferred(_) => (state::INVALID_PARAMETER, None),
        Error::Relational(_) => (state::SYNTAX, None),
        Error::Exec(x) => exec_state(x),
        Error::Incomplete { source, .. } => match source.as_ref() {
            Error::Exec(x) => exec_state(x),
            _ => (state::EXTERNAL, None),
        },
    };
    let mut info = ErrorInfo::new("ERROR".to_string(), code.to_string(), message);
    info.detail = detail.map(|d| mask(&d));
    PgWireError::UserError(Box::new(info))
}

/// The SQLSTATE and detail of an HTTP-stage failure.
fn exec_state(e: &ExecError) -> (&'static str, Option<String>) {
    match e {
        ExecError::Okta(o) => {
            let code = match o.status {
                401 => state::AUTHORIZATION,
                403 => state::PRIVILEGE,
                404 => state::UNDEFINED_OBJECT,
                429 => state::LIMIT,
                400..=499 => state::INVALID_PARAMETER,
                _ => state::EXTERNAL,
            };
            let mut detail = format!("Okta error code {} (HTTP {})", o.code, o.status);
            if let Some(id) = &o.request_id {
                detail.push_str(&format!(", request id {id}"));
            }
            (code, Some(detail))
        }
        ExecError::Auth(_) => (state::AUTHORIZATION, None),
        ExecError::RateLimited { .. } => (state::LIMIT, None),
        ExecError::Timeout { .. } => (state::CANCELED, None),
        _ => (state::CONNECTION, None),
    }
}
