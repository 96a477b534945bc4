//! Execution: sending planned HTTP requests to Okta and turning answers into row objects.
//!
//! Owns: the reqwest client (rustls), `Authorization: SSWS <token>`, pagination
//! (`Link: rel="next"`), timeouts, retries of safe requests, rate limits (`X-Rate-Limit-*`,
//! 429, pacing per org and bucket within the run's share: [`budget`]), concurrency for
//! fan-out and per org, identical GETs answered once, and Okta error bodies turned into
//! clear errors.
//! Must not: parse SQL or choose methods, print anything except through [`Diagnostics`], or
//! send the API token anywhere but the `https://` server (or loopback) of the planned URL.

pub mod auth;
mod body;
pub mod budget;
mod client;
mod diagnostics;
mod error;
mod memo;
mod okta_error;
mod paginate;
mod progress;
mod retry;
mod tls;
mod trace;
mod urls;

pub use body::{rows_under, DEFAULT_MAX_BODY_BYTES};
pub use client::{Client, ClientConfig};
pub use diagnostics::{Diagnostics, MemoryDiagnostics, StderrDiagnostics};
pub use error::ExecError;
pub(crate) use memo::key as shared_get_key;
pub use memo::{CacheScope, MAX_TTL_SECS};
pub use okta_error::OktaError;
pub use paginate::DEFAULT_MAX_PAGES;
pub use progress::{NoProgress, Progress, REPORTED_WAIT};
pub use tls::install_tls_provider;
