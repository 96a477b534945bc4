//! Errors of the execute stage.
//!
//! Every message names the method and what went wrong, and says what to do about it.
//! No variant ever holds the API token.

use std::time::Duration;

use thiserror::Error;

use super::okta_error::OktaError;

/// A request that failed.
#[derive(Debug, Error)]
pub enum ExecError {
    /// No credential may go with the request, or one could not be obtained.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),

    /// The HTTP client could not be built (TLS setup, an invalid header value).
    #[error("cannot set up the HTTP client: {detail}")]
    Client {
        /// What failed, and how to fix it.
        detail: String,
    },

    /// The request URL is not a valid absolute URL.
    #[error("{method}: invalid request URL {url:?}: {reason}; check the server URL (--server-url) and the parameter values")]
    InvalidUrl {
        /// Method name.
        method: String,
        /// The URL as planned.
        url: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The URL is not `https://` (plain `http://` is allowed to loopback addresses only).
    #[error("{method}: refusing to send the API token to {url} over an insecure connection; use an https:// server URL (plain http:// is allowed only to localhost/127.0.0.1/[::1])")]
    InsecureUrl {
        /// Method name.
        method: String,
        /// The URL that was refused.
        url: String,
    },

    /// The server answered with a redirect to another host, scheme or port, which is not
    /// followed so that the API token never leaves the server it was meant for.
    #[error("{method}: the server answered {status} redirecting to {location_host} ({location}); redirects to another host are not followed so the API token is not sent there; check the subdomain or --server-url")]
    Redirect {
        /// Method name.
        method: String,
        /// The URL requested.
        url: String,
        /// HTTP status of the redirect.
        status: u16,
        /// The `Location` header (empty when absent).
        location: String,
        /// Host (and port) of the `Location`, or `an unknown location`.
        location_host: String,
    },

    /// A `Link: rel="next"` header pointed to another scheme, host or port.
    #[error("{method}: the next-page link points to {next}, which is not on the server of the request ({url}); refusing to send the API token there")]
    ForeignNextPage {
        /// Method name.
        method: String,
        /// The URL of the page that carried the link.
        url: String,
        /// The next-page URL that was refused.
        next: String,
    },

    /// A `Link: rel="next"` header pointed back to a page already fetched (`A → B → A`).
    #[error("{method}: the next-page link of {url} points to {next}, a page already fetched (a pagination cycle, which would never end); stopped after {pages} pages — report it to the server's owner")]
    PaginationCycle {
        /// Method name.
        method: String,
        /// The URL of the page that carried the link.
        url: String,
        /// The next-page URL, fetched before.
        next: String,
        /// Pages fetched.
        pages: usize,
    },

    /// Okta answered with an error body (`errorCode`, `errorSummary`, …); boxed to keep
    /// the error small.
    #[error(transparent)]
    Okta(Box<OktaError>),

    /// A failure status whose body is not an Okta error (an HTML page from a proxy, …).
    #[error("{}", crate::exec::okta_error::display_http(*status, excerpt, method, url))]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body, whitespace collapsed, tags stripped (at most 200 chars).
        excerpt: String,
        /// Method name.
        method: String,
        /// The URL requested.
        url: String,
    },

    /// An answer body longer than the limit (`--max-body-mb`).
    #[error("{method}: the answer from {url} is larger than {} MiB, the most oktaql reads; raise the limit with --max-body-mb if the server is right to send that much", limit / (1024 * 1024))]
    BodyTooLarge {
        /// Method name.
        method: String,
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },

    /// A success answer whose body is not valid JSON.
    #[error("{method}: the answer from {url} is not valid JSON ({detail}); the server may not be an Okta org — check the subdomain or --server-url")]
    InvalidJson {
        /// Method name.
        method: String,
        /// The URL requested.
        url: String,
        /// The parse error and the start of the body.
        detail: String,
    },

    /// No answer arrived within the timeout.
    #[error("{}", crate::exec::okta_error::display_timeout(method, http_method, url, *timeout))]
    Timeout {
        /// Method name.
        method: String,
        /// HTTP verb.
        http_method: String,
        /// The URL requested.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },

    /// The connection could not be established (DNS, refused, TLS handshake); the request
    /// was not sent.
    #[error("{method}: cannot connect to {host}: {detail}; check the subdomain (WHERE subdomain = '…') or --server-url, and the network")]
    Connect {
        /// Method name.
        method: String,
        /// Host (and port) that could not be reached.
        host: String,
        /// The URL requested.
        url: String,
        /// The underlying cause.
        detail: String,
    },

    /// A write may have reached Okta, but no usable answer came back; it is not retried.
    #[error("{method}: {http_method} {url} failed ({detail}); the request may have reached Okta, so it was not retried and its outcome is unknown — check with a SELECT before running it again")]
    OutcomeUnknown {
        /// Method name.
        method: String,
        /// HTTP verb.
        http_method: String,
        /// The URL requested.
        url: String,
        /// What happened.
        detail: String,
    },

    /// Okta kept answering 429, or asked for a longer wait than allowed.
    #[error("{method}: Okta's rate limit is exhausted ({detail}); wait and run the statement again, or lower the fan-out concurrency")]
    RateLimited {
        /// Method name.
        method: String,
        /// The URL requested.
        url: String,
        /// How long Okta asked to wait, and the limit that applied.
        detail: String,
    },

    /// Any other transport failure.
    #[error("{method}: request to {url} failed: {detail}")]
    Request {
        /// Method name.
        method: String,
        /// The URL requested.
        url: String,
        /// The underlying cause.
        detail: String,
    },
}

impl ExecError {
    /// The HTTP status Okta answered with, when the error came from an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ExecError::Okta(e) => Some(e.status),
            ExecError::Http { status, .. } | ExecError::Redirect { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Large errors make every `Result` carrying them (up to the top-level error) slow and
    /// trip clippy's `result_large_err`.
    #[test]
    fn error_stays_small() {
        assert!(std::mem::size_of::<ExecError>() <= 128);
    }
}
