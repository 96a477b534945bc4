//! Pacing from Okta's rate limits: per org and bucket, the limit, remaining budget and reset
//! learned from `X-Rate-Limit-*` headers; each request takes a slot so that a fan-out spends
//! the budget it may use evenly until the reset instead of bursting into 429s; and an org-wide
//! gate keeps the requests in flight under the concurrency limit (configured, or learned from
//! a concurrency 429). Both use at most the run's share of the limit (`--rate-share`).
//!
//! Must not: send requests or decide what is retried.
//!
//! Moments are tokio's ([`tokio::time::Instant`]): with the clock paused, as in tests,
//! every wait is exact and takes no real time. Okta's windows are fixed minutes; a window
//! whose reset has passed is assumed to start afresh with the whole limit until an answer
//! says otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Url;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::okta_error::human_duration;
use super::retry::{header_i64, reset_wait};

/// Length of Okta's rate-limit windows.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// The share of each limit a run uses unless told otherwise: half, so a scan leaves the other
/// half to the org's integrations (Okta lets admins cap an API token the same way).
pub const DEFAULT_RATE_SHARE: f64 = 0.5;
/// The org-wide concurrency limit assumed until configured or learned (Okta's for
/// Workforce and Customer Identity orgs).
pub const DEFAULT_ORG_CONCURRENCY: usize = 75;

/// Reads a share: `50%`, `50` (percent) or `0.5`; from 1 % to 100 %.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t
            .parse::<f64>()
            .map(|v| if v > 1.0 { v / 100.0 } else { v }),
    };
    match value {
        Ok(v) if (0.01..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{t:?} is not a share of the rate limit; give a percentage from 1% to 100%, e.g. 50%"
        )),
    }
}

/// The org and bucket a URL's request counts against: `(scheme://host:port[/org], bucket)`.
/// The bucket is the resource after `/api/v1/` (`apps`, `logs`, `users`, …), which is how
/// Okta's per-endpoint limits are grouped; the org segment is the sandbox's addressing.
pub(crate) fn bucket_key(url: &Url) -> (String, String) {
    let origin = url.origin().ascii_serialization();
    let mut segments = url
        .path_segments()
        .map(|s| s.collect::<Vec<_>>())
        .unwrap_or_default();
    let mut org = origin;
    if segments.len() > 1 && segments[0] != "api" && segments[0] != "oauth2" {
        org.push('/');
        org.push_str(segments[0]);
        segments.remove(0);
    }
    let bucket = match segments.as_slice() {
        ["api", "v1", resource, ..] => (*resource).to_string(),
        [first, ..] => (*first).to_string(),
        [] => String::new(),
    };
    (org, bucket)
}

/// The org key ([`bucket_key`]'s first part) of an org's base URL.
fn org_key(base: &str) -> Option<String> {
    let url = Url::parse(&format!("{}/api/v1/x", base.trim_end_matches('/'))).ok()?;
    Some(bucket_key(&url).0)
}

/// What [`Budget::reserve`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Nothing is known of the bucket yet: send now (no slot is taken).
    Unknown,
    /// Send after this wait (the slot is taken).
    After(Duration),
    /// Nothing may be sent before the reset: wait this long, then ask again.
    Reset(Duration),
}

#[derive(Debug)]
struct BucketState {
    /// Per-minute limit of the bucket.
    limit: i64,
    /// What the server said is left in this window (the least it said).
    remaining: i64,
    /// The window's reset as the server wrote it (epoch seconds): its identity.
    window: i64,
    /// When it resets, on tokio's clock.
    reset_at: Instant,
    /// Our requests the server counted in this window (answered).
    used: i64,
    /// Our requests started and not yet answered.
    in_flight: i64,
    /// The earliest moment the next paced request may start.
    next_slot: Option<Instant>,
    /// The pace was reported for this window.
    reported: bool,
}

impl BucketState {
    /// Rolls to the next window once the reset has passed.
    fn roll(&mut self, now: Instant) {
        while now >= self.reset_at {
            self.reset_at += WINDOW;
            self.window += WINDOW.as_secs() as i64;
            self.remaining = self.limit;
            self.used = 0;
            self.next_slot = None;
            self.reported = false;
        }
    }

    /// Requests we may still start in this window.
    fn allowance(&self, share: f64) -> i64 {
        let cap = share_of(self.limit, share);
        self.remaining.min(cap - self.used) - self.in_flight
    }
}

/// `share` of `limit`, rounded down, at least 1.
fn share_of(limit: i64, share: f64) -> i64 {
    ((limit as f64 * share).floor() as i64).max(1)
}

#[derive(Debug, Default)]
struct Inner {
    buckets: HashMap<(String, String), BucketState>,
    /// Requests of running fan-outs not yet finished, per bucket (to decide between a burst
    /// and a pace).
    demand: HashMap<(String, String), i64>,
}

/// The run's rate-limit state: one per client, shared by every request.
#[derive(Debug)]
pub(crate) struct Budget {
    share: f64,
    /// Orgs with their own share (the config file's per-org `rate_share`), by org key.
    org_shares: HashMap<String, f64>,
    configured_concurrency: usize,
    inner: Mutex<Inner>,
    gates: Mutex<HashMap<String, Arc<Gate>>>,
}

impl Budget {
    /// A budget using `share` (0–1] of every limit, with `concurrency` requests in flight
    /// per org at most (before the share).
    pub(crate) fn new(share: f64, concurrency: usize) -> Budget {
        Budget {
            share: share.clamp(0.01, 1.0),
            org_shares: HashMap::new(),
            configured_concurrency: concurrency.max(1),
            inner: Mutex::default(),
            gates: Mutex::default(),
        }
    }

    /// The same budget with its own share for some orgs, given by base URL
    /// (`https://acme.okta.com`); the others keep the budget's share.
    pub(crate) fn with_org_shares(mut self, shares: &[(String, f64)]) -> Budget {
        for (url, share) in shares {
            if let Some(org) = org_key(url) {
                self.org_shares.insert(org, share.clamp(0.01, 1.0));
            }
        }
        self
    }

    /// The share used of `org`'s limits.
    fn share(&self, org: &str) -> f64 {
        self.org_shares.get(org).copied().unwrap_or(self.share)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Announces `n` requests of a fan-out to `key`'s bucket; they count until dropped.
    pub(crate) fn demand(self: &Arc<Self>, key: (String, String), n: usize) -> Demand {
        *self.lock().demand.entry(key.clone()).or_default() += n as i64;
        Demand {
            budget: self.clone(),
            key,
            left: Mutex::new(n as i64),
        }
    }

    /// Takes a slot for one request to `key` at `now`, or says to wait for the reset. A
    /// bucket not yet heard from lets the request go at once. The returned notice (once a
    /// window) describes the pace.
    pub(crate) fn reserve(&self, key: &(String, String), now: Instant) -> (Slot, Option<String>) {
        let mut inner = self.lock();
        let demand = inner.demand.get(key).copied().unwrap_or(0);
        let Some(st) = inner.buckets.get_mut(key) else {
            return (Slot::Unknown, None);
        };
        st.roll(now);
        let share = self.share(&key.0);
        let allowance = st.allowance(share);
        let to_reset = st.reset_at - now;
        if allowance <= 0 {
            let notice = (!st.reported).then(|| {
                st.reported = true;
                format!(
                    "rate limit {} of {}: nothing left for this run ({}) in this window; waiting {} for the reset",
                    key.1,
                    key.0,
                    self.describe(share, st.limit),
                    human_duration(to_reset)
                )
            });
            return (Slot::Reset(to_reset), notice);
        }
        // More requests wait than the window allows: spread the allowance evenly to the reset.
        let waiting = demand - st.in_flight;
        if waiting <= allowance {
            st.in_flight += 1;
            return (Slot::After(Duration::ZERO), None);
        }
        let slot = st.next_slot.map_or(now, |s| s.max(now));
        if slot >= st.reset_at {
            return (Slot::Reset(to_reset), None);
        }
        let interval = (st.reset_at - slot).div_f64(allowance as f64);
        st.next_slot = Some(slot + interval);
        st.in_flight += 1;
        let notice = (!st.reported).then(|| {
            st.reported = true;
            format!(
                "rate limit {} of {}: {allowance} requests left for this run ({}) until the reset in {}; one every {}",
                key.1,
                key.0,
                self.describe(share, st.limit),
                human_duration(to_reset),
                human_duration(interval)
            )
        });
        (Slot::After(slot - now), notice)
    }

    fn describe(&self, share: f64, limit: i64) -> String {
        format!(
            "{:.0}% of {limit}/min = {}",
            share * 100.0,
            share_of(limit, share)
        )
    }

    /// Gives back a slot whose request got no answer (a transport failure, a cancellation).
    pub(crate) fn release(&self, key: &(String, String)) {
        if let Some(st) = self.lock().buckets.get_mut(key) {
            st.in_flight = (st.in_flight - 1).max(0);
        }
    }

    /// Learns from an answer to a request that took a slot (`reserved`) or not. A 429 whose
    /// limit is not the bucket's is the concurrency limit's: the org's gate learns it, and
    /// the bucket is left as it was. Returns a notice when the concurrency limit was learned.
    pub(crate) fn observe(
        &self,
        key: &(String, String),
        headers: &HeaderMap,
        status: u16,
        reserved: bool,
        now: Instant,
    ) -> Option<String> {
        let limit = header_i64(headers, "x-rate-limit-limit");
        let remaining = header_i64(headers, "x-rate-limit-remaining");
        let window = header_i64(headers, "x-rate-limit-reset");
        let mut inner = self.lock();
        let buckets = &mut inner.buckets;
        if reserved {
            if let Some(st) = buckets.get_mut(key) {
                st.in_flight = (st.in_flight - 1).max(0);
            }
        }
        let (Some(limit), Some(remaining), Some(window)) = (limit, remaining, window) else {
            return None;
        };
        if limit <= 0 {
            return None;
        }
        let known = buckets.get(key).map(|st| st.limit);
        if status == 429 && known.is_some_and(|l| l != limit) {
            drop(inner);
            return self.learn_concurrency(&key.0, limit);
        }
        let wait = reset_wait(headers).unwrap_or(WINDOW).min(WINDOW * 24 * 60);
        let st = buckets.entry(key.clone()).or_insert_with(|| BucketState {
            limit,
            remaining,
            window,
            reset_at: now + wait,
            used: 0,
            in_flight: 0,
            next_slot: None,
            reported: false,
        });
        st.roll(now);
        if window > st.window {
            // The server moved to a new window.
            st.window = window;
            st.reset_at = now + wait;
            st.limit = limit;
            st.remaining = remaining;
            st.used = 0;
            st.next_slot = None;
            st.reported = false;
        } else if window == st.window {
            st.limit = limit;
            st.remaining = st.remaining.min(remaining);
            // A later reading of the same window may place the reset more precisely.
            st.reset_at = st.reset_at.min(now + wait);
        }
        if window >= st.window && status != 429 {
            st.used += 1;
        }
        None
    }

    /// Lowers the org's concurrency to what a concurrency 429 reported.
    fn learn_concurrency(&self, org: &str, limit: i64) -> Option<String> {
        let gate = self.gate(org);
        let share = self.share(org);
        let allowed = share_of(limit, share) as usize;
        let mut st = gate.lock();
        if allowed >= st.cap {
            return None;
        }
        st.cap = allowed;
        Some(format!(
            "Okta's concurrency limit for {org} is {limit} requests in flight; keeping at most {allowed} ({:.0}%) in flight",
            share * 100.0
        ))
    }

    /// The org's gate, made on first use.
    fn gate(&self, org: &str) -> Arc<Gate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(org.to_string())
            .or_insert_with(|| {
                let cap = share_of(self.configured_concurrency as i64, self.share(org)) as usize;
                Arc::new(Gate::new(cap))
            })
            .clone()
    }

    /// Waits for room among the org's requests in flight; the place is held until dropped.
    pub(crate) async fn enter(&self, org: &str) -> GatePass {
        self.gate(org).enter().await
    }

    /// The org's concurrency cap now.
    #[cfg(test)]
    pub(crate) fn concurrency_cap(&self, org: &str) -> usize {
        self.gate(org).lock().cap
    }
}

/// Requests of a fan-out still to finish, counted in their bucket's demand until dropped.
pub(crate) struct Demand {
    budget: Arc<Budget>,
    key: (String, String),
    left: Mutex<i64>,
}

impl Demand {
    /// One request finished.
    pub(crate) fn done(&self) {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        if *left > 0 {
            *left -= 1;
            Self::sub(&self.budget, &self.key, 1);
        }
    }
}

impl Demand {
    fn sub(budget: &Budget, key: &(String, String), n: i64) {
        let mut inner = budget.lock();
        if let Some(d) = inner.demand.get_mut(key) {
            *d -= n;
            if *d <= 0 {
                inner.demand.remove(key);
            }
        }
    }
}

impl Drop for Demand {
    fn drop(&mut self) {
        let left = *self.left.lock().unwrap_or_else(|e| e.into_inner());
        Self::sub(&self.budget, &self.key, left);
    }
}

/// An org's requests in flight, at most `cap` at once.
#[derive(Debug)]
struct Gate {
    state: Mutex<GateState>,
    notify: Notify,
}

#[derive(Debug)]
struct GateState {
    in_flight: usize,
    cap: usize,
}

impl Gate {
    fn new(cap: usize) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                in_flight: 0,
                cap: cap.max(1),
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn enter(self: Arc<Self>) -> GatePass {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registered before looking, so a place freed in between is not missed.
            notified.as_mut().enable();
            {
                let mut st = self.lock();
                if st.in_flight < st.cap {
                    st.in_flight += 1;
                    return GatePass(self.clone());
                }
            }
            notified.await;
        }
    }
}

/// A place among an org's requests in flight.
pub(crate) struct GatePass(Arc<Gate>);

impl Drop for GatePass {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
        self.0.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const DATE_EPOCH: i64 = 784111777;

    fn answer(limit: i64, remaining: i64, reset_in: i64) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("date", DATE.to_string()),
            ("x-rate-limit-limit", limit.to_string()),
            ("x-rate-limit-remaining", remaining.to_string()),
            ("x-rate-limit-reset", (DATE_EPOCH + reset_in).to_string()),
        ] {
            h.insert(k, HeaderValue::from_str(&v).unwrap());
        }
        h
    }

    fn key() -> (String, String) {
        ("http://o".into(), "apps".into())
    }

    #[test]
    fn shares_parse() {
        assert_eq!(parse_share("50%"), Ok(0.5));
        assert_eq!(parse_share("25"), Ok(0.25));
        assert_eq!(parse_share("0.75"), Ok(0.75));
        assert_eq!(parse_share("100%"), Ok(1.0));
        let e = parse_share("0%").unwrap_err();
        assert!(e.contains("from 1% to 100%"), "{e}");
        assert!(parse_share("lots").is_err());
        assert!(parse_share("150%").is_err());
    }

    #[test]
    fn keys_name_the_org_and_the_resource() {
        let k = |u: &str| bucket_key(&Url::parse(u).unwrap());
        assert_eq!(
            k("https://acme.okta.com/api/v1/apps/0oa1/credentials/secrets"),
            ("https://acme.okta.com".into(), "apps".into())
        );
        assert_eq!(
            k("http://127.0.0.1:8787/my-org/api/v1/logs?since=x"),
            ("http://127.0.0.1:8787/my-org".into(), "logs".into())
        );
        assert_eq!(
            k("https://acme.okta.com/oauth2/v1/token").1,
            "oauth2".to_string()
        );
    }

    /// A fan-out bigger than the window's allowance is spread evenly to the reset; one
    /// that fits goes at once.
    #[tokio::test(start_paused = true)]
    async fn pace_spreads_what_does_not_fit_and_bursts_what_does() {
        let b = Arc::new(Budget::new(1.0, 75));
        let now = Instant::now();
        assert_eq!(b.reserve(&key(), now).0, Slot::Unknown);
        // 10 of 60 left, 5 s to the reset.
        b.observe(&key(), &answer(60, 10, 5), 200, false, now);
        {
            let _small = b.demand(key(), 10);
            for _ in 0..10 {
                assert_eq!(b.reserve(&key(), now).0, Slot::After(Duration::ZERO));
            }
            // The 11th would be over: wait for the reset (said once a window).
            let (slot, notice) = b.reserve(&key(), now);
            assert_eq!(slot, Slot::Reset(Duration::from_secs(5)));
            let notice = notice.expect("the wait is reported");
            assert!(notice.contains("waiting 5 s for the reset"), "{notice}");
        }
        for _ in 0..10 {
            b.release(&key());
        }
        // A fan-out of 100: 10 slots 500 ms apart.
        let _big = b.demand(key(), 100);
        let (slot, notice) = b.reserve(&key(), now);
        assert_eq!(slot, Slot::After(Duration::ZERO));
        assert!(notice.is_none(), "reported once a window");
        let waits: Vec<Slot> = (0..9).map(|_| b.reserve(&key(), now).0).collect();
        let want: Vec<Slot> = (1..10)
            .map(|i| Slot::After(Duration::from_millis(500 * i)))
            .collect();
        assert_eq!(waits, want);
        assert_eq!(
            b.reserve(&key(), now).0,
            Slot::Reset(Duration::from_secs(5))
        );
        // After the reset the whole limit is back: 60 over the next minute, 1 s apart.
        tokio::time::advance(Duration::from_secs(5)).await;
        for _ in 0..10 {
            b.release(&key());
        }
        let now = Instant::now();
        let (slot, notice) = b.reserve(&key(), now);
        assert_eq!(slot, Slot::After(Duration::ZERO));
        let notice = notice.expect("a new window's pace is reported");
        assert!(notice.contains("60 requests left"), "{notice}");
        assert!(notice.contains("one every 1 s"), "{notice}");
        assert_eq!(
            b.reserve(&key(), now).0,
            Slot::After(Duration::from_secs(1))
        );
    }

    /// The share caps the run's own use of a window, and never more than what is left.
    #[tokio::test(start_paused = true)]
    async fn share_caps_the_run_and_the_remaining_caps_the_share() {
        let b = Budget::new(0.5, 75);
        let now = Instant::now();
        b.observe(&key(), &answer(100, 99, 30), 200, false, now);
        // Half of 100 is 50; one of ours was counted: 49 more.
        for _ in 0..49 {
            assert_eq!(b.reserve(&key(), now).0, Slot::After(Duration::ZERO));
        }
        assert_eq!(
            b.reserve(&key(), now).0,
            Slot::Reset(Duration::from_secs(30))
        );
        // Others used the bucket: 3 left in all, so 3 even though our share has more.
        let b = Budget::new(0.5, 75);
        b.observe(&key(), &answer(100, 3, 30), 200, false, now);
        for _ in 0..3 {
            assert_eq!(b.reserve(&key(), now).0, Slot::After(Duration::ZERO));
        }
        assert!(matches!(b.reserve(&key(), now).0, Slot::Reset(_)));
    }

    /// An org with its own share (the config file's per-org `rate_share`) uses it, for its
    /// buckets and its concurrency; the other orgs keep the run's share.
    #[tokio::test(start_paused = true)]
    async fn an_org_may_have_its_own_share() {
        let b = Budget::new(0.5, 10).with_org_shares(&[
            ("http://127.0.0.1:8787/acme/".to_string(), 0.2),
            ("not a url".to_string(), 0.9),
        ]);
        let now = Instant::now();
        let acme = ("http://127.0.0.1:8787/acme".to_string(), "apps".to_string());
        let other = (
            "http://127.0.0.1:8787/globex".to_string(),
            "apps".to_string(),
        );
        for k in [&acme, &other] {
            b.observe(k, &answer(100, 100, 30), 200, false, now);
        }
        // 20% of 100 is 20, one counted: 19 more; 50% of 100: 49 more.
        for (k, n) in [(&acme, 19), (&other, 49)] {
            for _ in 0..n {
                assert_eq!(b.reserve(k, now).0, Slot::After(Duration::ZERO));
            }
            let (slot, notice) = b.reserve(k, now);
            assert!(matches!(slot, Slot::Reset(_)), "{k:?}");
            let share = if k == &acme {
                "20% of 100/min = 20"
            } else {
                "50% of 100/min = 50"
            };
            assert!(notice.unwrap().contains(share), "{k:?}");
        }
        assert_eq!(b.concurrency_cap(&acme.0), 2);
        assert_eq!(b.concurrency_cap(&other.0), 5);
    }

    /// A 429 whose limit is not the bucket's is the concurrency limit: the gate learns it
    /// (at the share) and the bucket keeps its numbers.
    #[tokio::test(start_paused = true)]
    async fn concurrency_429_teaches_the_gate() {
        let b = Budget::new(0.5, 75);
        let now = Instant::now();
        assert_eq!(b.concurrency_cap("http://o"), 37);
        b.observe(&key(), &answer(600, 500, 30), 200, false, now);
        let notice = b
            .observe(&key(), &answer(20, 0, 1), 429, false, now)
            .expect("learned");
        assert!(notice.contains("is 20 requests"), "{notice}");
        assert_eq!(b.concurrency_cap("http://o"), 10);
        // The bucket still has its budget.
        assert_eq!(b.reserve(&key(), now).0, Slot::After(Duration::ZERO));
        // The gate holds the 11th.
        let passes: Vec<GatePass> =
            futures::future::join_all((0..10).map(|_| b.enter("http://o"))).await;
        let mut eleventh = Box::pin(b.enter("http://o"));
        assert!(futures::poll!(eleventh.as_mut()).is_pending());
        drop(passes);
        let _p = eleventh.await;
    }
}
