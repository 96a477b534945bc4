//! Execution: sending planned HTTP requests to Okta and turning answers into row objects.
//!
//! Owns: the reqwest client (rustls), `Authorization: SSWS <token>`, pagination
//! (`Link: rel="next"`), timeouts, retries of safe requests, rate limits (`X-Rate-Limit-*`,
//! 429), concurrency for fan-out, and Okta error bodies turned into clear errors.
//! Must not: parse SQL or choose methods.

mod error;

pub use error::ExecError;
