//! Retry timing: jittered exponential backoff for transient failures of safe requests, and
//! the wait Okta asks for on a 429 (`X-Rate-Limit-Reset`). Pacing from the limit is
//! [`super::budget`]'s.
//!
//! Must not: send requests or decide which requests are safe to retry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};

/// Retries of a safe request after a 502/503/504 or a connection failure.
pub(crate) const MAX_TRANSIENT_RETRIES: u32 = 3;
/// Retries of any request after a 429.
pub(crate) const MAX_RATE_LIMIT_RETRIES: u32 = 5;
/// Base delay of the exponential backoff.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest reset wait read from a header (a day); longer waits are refused anyway by
/// `ClientConfig::max_rate_limit_wait`, this only keeps the arithmetic in range.
const MAX_RESET_WAIT_SECS: f64 = 86_400.0;

/// Delay before retry number `attempt` (0-based): 200 ms · 2^attempt, jittered to 50–150 %.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE.as_secs_f64() * f64::from(1u32 << attempt.min(10));
    let factor: f64 = rand::rng().random_range(0.5..1.5);
    Duration::from_secs_f64(base * factor)
}

/// A header as an integer.
pub(crate) fn header_i64(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The server's clock from the `Date` header, in epoch seconds.
fn server_now(headers: &HeaderMap) -> Option<f64> {
    let text = headers.get(DATE)?.to_str().ok()?;
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(text.trim(), &fmt).ok()?;
    Some(t.assume_utc().unix_timestamp() as f64)
}

/// The local clock in epoch seconds.
fn local_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// How long until the rate-limit window of this answer resets: `X-Rate-Limit-Reset` (epoch
/// seconds) against the answer's `Date` (else the local clock), or `Retry-After` seconds.
pub(crate) fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(reset) = header_i64(headers, "x-rate-limit-reset") {
        let now = server_now(headers).unwrap_or_else(local_now);
        // Server numbers: clamp before converting (a huge or negative reset must not panic).
        let secs = (reset as f64 - now).clamp(0.0, MAX_RESET_WAIT_SECS);
        return Some(Duration::from_secs_f64(secs));
    }
    header_i64(headers, RETRY_AFTER.as_str())
        .map(|s| Duration::from_secs(s.clamp(0, MAX_RESET_WAIT_SECS as i64) as u64))
}

/// The wait before retrying after a 429: the reset wait plus a little jitter so that a
/// fan-out does not come back all at once; at least 100 ms, 1 s when Okta gave no hint.
pub(crate) fn rate_limit_wait(headers: &HeaderMap) -> Duration {
    let jitter = Duration::from_millis(rand::rng().random_range(0..150));
    match reset_wait(headers) {
        Some(w) => (w + jitter).max(Duration::from_millis(100)),
        None => Duration::from_secs(1) + jitter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn hm(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reset_measured_against_date_header() {
        let h = hm(&[
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT".into()),
            ("x-rate-limit-reset", (784111777 + 5).to_string()),
        ]);
        assert_eq!(reset_wait(&h), Some(Duration::from_secs(5)));
        // A reset in the past means no wait.
        let h = hm(&[
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT".into()),
            ("x-rate-limit-reset", "784111000".into()),
        ]);
        assert_eq!(reset_wait(&h), Some(Duration::ZERO));
    }

    #[test]
    fn reset_against_local_clock_and_retry_after() {
        let reset = (local_now() as i64 + 3).to_string();
        let w = reset_wait(&hm(&[("x-rate-limit-reset", reset)])).unwrap();
        assert!(
            w > Duration::from_secs(1) && w <= Duration::from_secs(3),
            "{w:?}"
        );
        let w = reset_wait(&hm(&[("retry-after", "2".into())])).unwrap();
        assert_eq!(w, Duration::from_secs(2));
        assert_eq!(reset_wait(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows() {
        for n in 0..3 {
            let d = backoff(n);
            let base = 200.0 * f64::from(1u32 << n);
            let ms = d.as_secs_f64() * 1000.0;
            assert!(ms >= base * 0.5 && ms <= base * 1.5, "{n}: {ms}");
        }
    }
}
