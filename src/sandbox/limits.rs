//! The sandbox's rate limits, shaped like Okta's: per-minute buckets per org and endpoint
//! family, an org-wide limit on requests in flight, the headers Okta sends for each, and
//! the System Log events Okta writes when a bucket nears or passes its limit.
//!
//! Owns: which bucket a path falls in, the counting, the header values and the events.
//! Must not: answer requests (the server's envelope does) or read the wall clock: every
//! moment is given in epoch seconds, so a test on tokio's paused clock decides when a
//! window ends.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use super::syslog::{self, LogEvent, Party};

/// `X-Rate-Limit-Limit` of a bucket without a configured limit: a nominal per-minute budget.
pub const NOMINAL_RATE_LIMIT: u32 = 1_000_000;
/// Share of a bucket (percent) at which Okta writes its rate-limit warning event (Okta's
/// default warning threshold).
pub const WARNING_PERCENT: u32 = 90;
/// Largest per-minute limit or concurrency limit accepted (keeps the arithmetic in range).
pub const MAX_LIMIT: u32 = 100_000_000;
/// Seconds a client is told to wait after the concurrency limit answered 429: an estimate,
/// as Okta's is (in-flight requests usually finish well within it).
pub const CONCURRENCY_RESET_SECS: u64 = 1;

/// An endpoint family with its own per-minute limit, as Okta counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `/api/v1/apps` and everything under it.
    Apps,
    /// `/api/v1/logs`, the System Log.
    Logs,
    /// Every other path of the org (the token endpoint included).
    Default,
}

impl Bucket {
    /// Every bucket, in the order of [`Bucket::index`].
    pub const ALL: [Bucket; 3] = [Bucket::Apps, Bucket::Logs, Bucket::Default];

    /// The bucket's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Apps => "apps",
            Bucket::Logs => "logs",
            Bucket::Default => "default",
        }
    }

    /// The endpoints it covers, as Okta's rate-limit pages write them.
    pub fn endpoints(self) -> &'static str {
        match self {
            Bucket::Apps => "/api/v1/apps*",
            Bucket::Logs => "/api/v1/logs",
            Bucket::Default => "/api/v1/*",
        }
    }

    fn index(self) -> usize {
        match self {
            Bucket::Apps => 0,
            Bucket::Logs => 1,
            Bucket::Default => 2,
        }
    }

    /// The bucket of a request path (`/{org}/api/v1/apps/...`; the org segment is skipped).
    pub fn of_path(path: &str) -> Bucket {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let tail = rest.split_once('/').map_or("", |(_, tail)| tail);
        let Some(api) = tail.strip_prefix("api/v1/") else {
            return Bucket::Default;
        };
        let first = api.split(['/', '?']).next().unwrap_or("");
        match first {
            "apps" => Bucket::Apps,
            "logs" => Bucket::Logs,
            _ => Bucket::Default,
        }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `--rate-limit` value: `N` (every bucket) or `BUCKET=N`, each optionally `/min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSpec {
    /// The bucket, or `None` for every bucket.
    pub bucket: Option<Bucket>,
    /// Requests per minute.
    pub per_minute: u32,
}

impl FromStr for RateLimitSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<RateLimitSpec, String> {
        let text = text.trim();
        let (bucket, number) = match text.split_once('=') {
            Some((name, n)) => {
                let name = name.trim().to_ascii_lowercase();
                let bucket = Bucket::ALL
                    .into_iter()
                    .find(|b| b.name() == name)
                    .ok_or_else(|| {
                        format!(
                            "{name:?} is not a rate-limit bucket; use apps (/api/v1/apps*), \
                             logs (/api/v1/logs) or default (everything else), e.g. apps=100/min"
                        )
                    })?;
                (Some(bucket), n.trim())
            }
            None => (None, text),
        };
        let number = number.strip_suffix("/min").unwrap_or(number).trim();
        let per_minute: u32 = number
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                format!(
                    "{number:?} is not a per-minute limit; give a whole number from 1 to \
                     {MAX_LIMIT}, as N, N/min or BUCKET=N/min"
                )
            })?;
        Ok(RateLimitSpec { bucket, per_minute })
    }
}

/// The per-minute limit of each bucket and the org-wide concurrency limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    per_minute: [Option<u32>; 3],
    /// Most requests of one org in flight at once; `None`: no limit.
    pub concurrency: Option<u32>,
}

impl Limits {
    /// The limits `specs` describe, applied in order (a later spec overrides an earlier one
    /// for the buckets it names).
    pub fn from_specs(specs: &[RateLimitSpec], concurrency: Option<u32>) -> Limits {
        let mut limits = Limits {
            concurrency,
            ..Limits::default()
        };
        for spec in specs {
            limits.set(spec.bucket, spec.per_minute);
        }
        limits
    }

    /// Sets one bucket's limit (`None`: every bucket).
    pub fn set(&mut self, bucket: Option<Bucket>, per_minute: u32) {
        match bucket {
            Some(b) => self.per_minute[b.index()] = Some(per_minute),
            None => self.per_minute = [Some(per_minute); 3],
        }
    }

    /// A bucket's configured limit.
    pub fn per_minute(&self, bucket: Bucket) -> Option<u32> {
        self.per_minute[bucket.index()]
    }

    /// Whether any bucket is limited.
    pub fn any(&self) -> bool {
        self.per_minute.iter().any(Option::is_some)
    }
}

/// What the envelope does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it; send these headers.
    Serve(RateHeaders),
    /// Answer 429 (E0000047) with these headers.
    Refuse(RateHeaders),
}

/// The values of `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    /// The limit that applies.
    pub limit: u32,
    /// What is left of it.
    pub remaining: u32,
    /// When it resets, in epoch seconds.
    pub reset: u64,
}

/// One org's counters: a fixed one-minute window per bucket, and the requests in flight.
#[derive(Debug, Default)]
pub struct OrgLimits {
    windows: Mutex<[Window; 3]>,
    in_flight: AtomicU32,
    /// The minute of the last concurrency violation event (Okta writes one a minute).
    concurrency_logged: Mutex<Option<u64>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    minute: u64,
    count: u32,
    warned: bool,
    violated: bool,
}

/// A request counted against the org's concurrency limit until dropped.
pub struct InFlight<'a>(&'a AtomicU32);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl OrgLimits {
    /// Admits a request against the concurrency limit: `Ok` holds its place until dropped;
    /// `Err` is the 429's headers (Okta reports the concurrency values) and, the first time
    /// in a minute, the System Log event to write.
    pub fn enter(
        &self,
        limits: &Limits,
        now: u64,
    ) -> Result<InFlight<'_>, (RateHeaders, Option<Box<LogEvent>>)> {
        let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let guard = InFlight(&self.in_flight);
        match limits.concurrency {
            Some(limit) if n > limit => {
                drop(guard);
                let minute = now / 60;
                let mut logged = self
                    .concurrency_logged
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let event = (*logged != Some(minute)).then(|| {
                    *logged = Some(minute);
                    Box::new(concurrency_event(limit))
                });
                let headers = RateHeaders {
                    limit,
                    remaining: 0,
                    reset: now + CONCURRENCY_RESET_SECS,
                };
                Err((headers, event))
            }
            _ => Ok(guard),
        }
    }

    /// Counts one request in `bucket` at `now` (epoch seconds): whether to serve it, its
    /// headers, and the System Log events this request crosses (the window's first warning
    /// at [`WARNING_PERCENT`], its first violation).
    pub fn hit(&self, limits: &Limits, bucket: Bucket, now: u64) -> (Verdict, Vec<LogEvent>) {
        let minute = now / 60;
        let reset = (minute + 1) * 60;
        let configured = limits.per_minute(bucket);
        let limit = configured.unwrap_or(NOMINAL_RATE_LIMIT);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = &mut windows[bucket.index()];
        if w.minute != minute {
            *w = Window {
                minute,
                ..Window::default()
            };
        }
        w.count = w.count.saturating_add(1);
        let headers = RateHeaders {
            limit,
            remaining: limit.saturating_sub(w.count),
            reset,
        };
        let mut events = Vec::new();
        let Some(limit) = configured else {
            return (Verdict::Serve(headers), events);
        };
        // The warning threshold, rounded up: 90 % of 5 is the 5th request.
        let threshold = (u64::from(limit) * u64::from(WARNING_PERCENT)).div_ceil(100);
        if !w.warned && u64::from(w.count) >= threshold {
            w.warned = true;
            events.push(rate_event(bucket, limit, false));
        }
        if w.count > limit {
            if !w.violated {
                w.violated = true;
                events.push(rate_event(bucket, limit, true));
            }
            return (Verdict::Refuse(headers), events);
        }
        (Verdict::Serve(headers), events)
    }
}

/// The actor of rate-limit events: the org itself (no user did anything).
fn system_actor() -> Party {
    Party {
        id: "system".to_string(),
        kind: "SystemPrincipal".to_string(),
        alternate_id: "system@okta.com".to_string(),
        display_name: "Okta System".to_string(),
        detail: None,
    }
}

/// `system.org.rate_limit.warning` or `.violation` for a bucket, with Okta's debug data.
fn rate_event(bucket: Bucket, limit: u32, violation: bool) -> LogEvent {
    let (kind, message) = if violation {
        ("violation", "Rate limit violation")
    } else {
        ("warning", "Rate limit warning")
    };
    let mut event = event(
        format!("system.org.rate_limit.{kind}"),
        message,
        if violation { "DENY" } else { "SUCCESS" },
    );
    event.debug_data = Some(serde_json::json!({
        "requestUri": bucket.endpoints(),
        "threshold": limit.to_string(),
        "timeSpan": "1",
        "timeUnit": "MINUTES",
        "warningPercent": WARNING_PERCENT.to_string(),
        "bucket": bucket.name(),
    }));
    event
}

/// `core.concurrency.org.limit.violation`.
fn concurrency_event(limit: u32) -> LogEvent {
    let mut event = event(
        "core.concurrency.org.limit.violation".to_string(),
        "Too many concurrent requests in flight",
        "DENY",
    );
    event.debug_data = Some(serde_json::json!({ "concurrencyLimit": limit.to_string() }));
    event
}

fn event(event_type: String, message: &str, outcome: &str) -> LogEvent {
    LogEvent {
        uuid: syslog::uuid_like(),
        published: super::model::now(),
        event_type,
        display_message: message.to_string(),
        outcome: outcome.to_string(),
        actor: system_actor(),
        target: Vec::new(),
        debug_data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_in_buckets() {
        assert_eq!(Bucket::of_path("/acme/api/v1/apps"), Bucket::Apps);
        assert_eq!(
            Bucket::of_path("/acme/api/v1/apps/0oa1/credentials/secrets"),
            Bucket::Apps
        );
        assert_eq!(Bucket::of_path("/acme/api/v1/logs"), Bucket::Logs);
        assert_eq!(Bucket::of_path("/acme/api/v1/users"), Bucket::Default);
        assert_eq!(Bucket::of_path("/acme/oauth2/v1/token"), Bucket::Default);
        assert_eq!(Bucket::of_path("/acme/api/v1/appsx"), Bucket::Default);
    }

    #[test]
    fn specs_parse_and_explain_mistakes() {
        let s: RateLimitSpec = "apps=100/min".parse().unwrap();
        assert_eq!((s.bucket, s.per_minute), (Some(Bucket::Apps), 100));
        let s: RateLimitSpec = "600".parse().unwrap();
        assert_eq!((s.bucket, s.per_minute), (None, 600));
        assert_eq!("LOGS=5".parse::<RateLimitSpec>().unwrap().per_minute, 5);
        let e = "users=5".parse::<RateLimitSpec>().unwrap_err();
        assert!(e.contains("apps (/api/v1/apps*)"), "{e}");
        let e = "apps=0".parse::<RateLimitSpec>().unwrap_err();
        assert!(e.contains("from 1 to"), "{e}");
        assert!("apps=lots".parse::<RateLimitSpec>().is_err());
        // `N` sets every bucket; a later BUCKET=N overrides one.
        let l = Limits::from_specs(&["600".parse().unwrap(), "apps=50".parse().unwrap()], None);
        assert_eq!(l.per_minute(Bucket::Apps), Some(50));
        assert_eq!(l.per_minute(Bucket::Logs), Some(600));
    }

    #[test]
    fn buckets_count_apart_warn_once_and_violate_once() {
        let limits = Limits::from_specs(&["apps=10".parse().unwrap()], None);
        let org = OrgLimits::default();
        let now = 6_000; // a whole minute
        let mut events = Vec::new();
        for i in 1..=10u32 {
            let (v, e) = org.hit(&limits, Bucket::Apps, now);
            assert_eq!(
                v,
                Verdict::Serve(RateHeaders {
                    limit: 10,
                    remaining: 10 - i,
                    reset: 6_060
                })
            );
            events.extend(e.into_iter().map(|e| (i, e.event_type)));
        }
        assert_eq!(events, [(9, "system.org.rate_limit.warning".to_string())]);
        let (v, e) = org.hit(&limits, Bucket::Apps, now + 59);
        assert!(matches!(v, Verdict::Refuse(h) if h.remaining == 0));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].event_type, "system.org.rate_limit.violation");
        assert!(org.hit(&limits, Bucket::Apps, now + 59).1.is_empty());
        // The logs bucket is unconfigured: nominal limit, never refused.
        let (v, e) = org.hit(&limits, Bucket::Logs, now);
        assert!(matches!(v, Verdict::Serve(h) if h.limit == NOMINAL_RATE_LIMIT));
        assert!(e.is_empty());
        // The next minute starts afresh.
        let (v, _) = org.hit(&limits, Bucket::Apps, now + 60);
        assert!(matches!(v, Verdict::Serve(h) if h.remaining == 9 && h.reset == 6_120));
    }

    #[test]
    fn concurrency_limit_refuses_the_first_request_over_it() {
        let limits = Limits::from_specs(&[], Some(2));
        let org = OrgLimits::default();
        let a = org.enter(&limits, 60).ok().unwrap();
        let _b = org.enter(&limits, 60).ok().unwrap();
        let Err((h, event)) = org.enter(&limits, 60) else {
            panic!("third request admitted")
        };
        assert_eq!((h.limit, h.remaining, h.reset), (2, 0, 61));
        assert_eq!(
            event.unwrap().event_type,
            "core.concurrency.org.limit.violation"
        );
        // One event a minute.
        assert!(org.enter(&limits, 61).err().unwrap().1.is_none());
        drop(a);
        assert!(org.enter(&limits, 61).is_ok());
    }
}
