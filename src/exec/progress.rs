//! What long work reports as it goes, for a progress display: fan-outs (done of total),
//! pages of a paginated list, and waits for Okta's rate limit.
//!
//! Owns the observer trait and its silent default. Must not: draw anything or know about
//! terminals (the command-line program draws a bar; tests count events).

use std::time::Duration;

/// Receives progress events from the execute stage. Every method has an empty default;
/// implementations must be cheap and must not block (they are called between requests).
///
/// Events may come from several statements' requests in flight at once only within one
/// statement: a statement's fan-outs and lists run one after another or side by side, each
/// named by its `label` (the resource, or the method of a single list).
pub trait Progress: Send + Sync {
    /// A fan-out of `total` requests for `label` (`okta.apps.secrets`) starts.
    fn fanout_started(&self, label: &str, total: usize) {
        let _ = (label, total);
    }
    /// One request of the fan-out `label` finished (with rows or an error).
    fn fanout_request_done(&self, label: &str) {
        let _ = label;
    }
    /// The fan-out `label` ended (every request done, or the statement failed).
    fn fanout_finished(&self, label: &str) {
        let _ = label;
    }
    /// A page of a paginated list arrived and another follows: `pages` pages and `rows`
    /// rows of `label` (the method, `list_applications`) so far.
    fn page(&self, label: &str, pages: usize, rows: usize) {
        let _ = (label, pages, rows);
    }
    /// The paginated list `label` that reported pages ended (last page, error or cancel).
    fn list_finished(&self, label: &str) {
        let _ = label;
    }
    /// The next request of `label` waits `wait` for Okta's rate limit (a 429's reset, or
    /// pacing to stay under the limit).
    fn rate_limit_wait(&self, label: &str, wait: Duration) {
        let _ = (label, wait);
    }
}

/// Reports nothing: the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Shorter pacing pauses than this are not reported: they are the ordinary spacing of
/// requests, not a wait a person would notice.
pub const REPORTED_WAIT: Duration = Duration::from_millis(250);
