//! Pacing from Okta's rate limits against the sandbox through real HTTP, on tokio's paused
//! clock (the sandbox's windows and `Date` follow it): a fan-out bigger than a bucket
//! allows finishes at the minimum the bucket allows with no 429, the share leaves the rest
//! of each window unused, and a concurrency 429 teaches the client the org's limit.

use std::sync::Arc;
use std::time::Duration;

use oktaql::exec::{Client, ClientConfig, MemoryDiagnostics};
use oktaql::plan::HttpRequest;
use oktaql::provider::ResponseShape;
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_ORG};
use serde_json::Value;
use tokio::time::Instant;

fn client(
    sandbox: &Sandbox,
    f: impl FnOnce(&mut ClientConfig),
) -> (Client, Arc<MemoryDiagnostics>) {
    let creds = oktaql::auth::Credentials::default().with_loose_token(
        sandbox.token(),
        "OKTA_API_TOKEN",
        Some(sandbox.url_template()),
    );
    let mut cfg = ClientConfig {
        credentials: Some(Arc::new(creds)),
        ..ClientConfig::default()
    };
    f(&mut cfg);
    let diag = Arc::new(MemoryDiagnostics::new());
    let c = Client::new(cfg).unwrap().with_diagnostics(diag.clone());
    (c, diag)
}

fn get_app(sandbox: &Sandbox) -> HttpRequest {
    HttpRequest {
        resource: "okta.apps.applications".into(),
        method: "get_application".into(),
        http_method: "GET".into(),
        url: format!(
            "http://{}/{DEMO_ORG}/api/v1/apps/{DEMO_APP_ONE_SECRET}",
            sandbox.addr()
        ),
        query: vec![],
        body: None,
        paginate: false,
        response_shape: ResponseShape::Object,
        bound: vec![],
    }
}

/// The apps bucket as a plain client sees it now: (remaining, seconds to the reset).
async fn probe(sandbox: &Sandbox) -> (u64, u64) {
    oktaql::exec::install_tls_provider();
    let resp = reqwest::Client::new()
        .get(format!(
            "http://{}/{DEMO_ORG}/api/v1/apps?limit=1",
            sandbox.addr()
        ))
        .header("Authorization", format!("SSWS {}", sandbox.token()))
        .send()
        .await
        .unwrap();
    let h = resp.headers();
    let num = |name: &str| -> u64 { h[name].to_str().unwrap().parse().unwrap() };
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(h["date"].to_str().unwrap(), &fmt)
        .unwrap()
        .assume_utc()
        .unix_timestamp() as u64;
    (
        num("x-rate-limit-remaining"),
        num("x-rate-limit-reset") - date,
    )
}

/// The least time `n` requests take in a bucket of `per_window` a minute for this run, when
/// `first` may go before the reset `to_reset` seconds away.
fn minimum(n: u64, first: u64, per_window: u64, to_reset: u64) -> Duration {
    if n <= first {
        return Duration::ZERO;
    }
    let windows = (n - first).div_ceil(per_window);
    Duration::from_secs(to_reset + (windows - 1) * 60)
}

fn rate_limited(diag: &MemoryDiagnostics) -> usize {
    diag.messages()
        .iter()
        .filter(|m| m.contains("(429)"))
        .count()
}

async fn event_count(sandbox: &Sandbox, event_type: &str) -> usize {
    let url = reqwest::Url::parse_with_params(
        &format!("http://{}/{DEMO_ORG}/api/v1/logs", sandbox.addr()),
        [("filter", format!("eventType eq \"{event_type}\""))],
    )
    .unwrap();
    let list: Value = reqwest::Client::new()
        .get(url)
        .header("Authorization", format!("SSWS {}", sandbox.token()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array().unwrap().len()
}

/// N ≫ L: the whole share of every window is used, evenly, and nothing is refused.
#[tokio::test(start_paused = true)]
async fn fan_out_over_the_limit_takes_the_minimum_without_429() {
    let sandbox = Sandbox::start(SandboxConfig {
        bucket_limits: vec!["apps=10/min".parse().unwrap()],
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (c, diag) = client(&sandbox, |cfg| cfg.rate_share = 1.0);
    let (remaining, to_reset) = probe(&sandbox).await;
    let n = 35;
    let reqs = vec![get_app(&sandbox); n];
    let started = Instant::now();
    let results = c.send_all(&reqs).await;
    let took = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(rate_limited(&diag), 0, "{:?}", diag.messages());
    let least = minimum(n as u64, remaining, 10, to_reset);
    eprintln!("{n} requests, 10/min: took {took:?}, minimum {least:?}");
    assert!(
        took >= least.saturating_sub(Duration::from_secs(1))
            && took <= least.mul_f64(1.1) + Duration::from_secs(1),
        "took {took:?}, minimum {least:?} (remaining {remaining}, reset in {to_reset} s)"
    );
    // The pace was said once (not on every window without -v).
    let pace: Vec<_> = diag
        .messages()
        .into_iter()
        .filter(|m| m.starts_with("rate limit apps"))
        .collect();
    assert_eq!(pace.len(), 1, "{pace:?}");
    assert_eq!(
        event_count(&sandbox, "system.org.rate_limit.violation").await,
        0
    );
    sandbox.shutdown().await;
}

/// With a 50 % share, the run takes at most half of each window: Okta's 90 % warning never
/// fires, and the run takes as long as half the bucket allows.
#[tokio::test(start_paused = true)]
async fn the_share_leaves_the_rest_of_each_window() {
    let sandbox = Sandbox::start(SandboxConfig {
        bucket_limits: vec!["apps=20/min".parse().unwrap()],
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (c, diag) = client(&sandbox, |cfg| cfg.rate_share = 0.5);
    let (remaining, to_reset) = probe(&sandbox).await;
    let n = 25;
    let started = Instant::now();
    let results = c.send_all(&vec![get_app(&sandbox); n]).await;
    let took = started.elapsed();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(rate_limited(&diag), 0, "{:?}", diag.messages());
    let least = minimum(n as u64, remaining.min(10), 10, to_reset);
    eprintln!("{n} requests, 50% of 20/min: took {took:?}, minimum {least:?}");
    assert!(
        took >= least.saturating_sub(Duration::from_secs(1))
            && took <= least.mul_f64(1.1) + Duration::from_secs(1),
        "took {took:?}, minimum {least:?}"
    );
    // The probe and at most 10 of ours in a window of 20: never 90 %.
    assert_eq!(
        event_count(&sandbox, "system.org.rate_limit.warning").await,
        0
    );
    sandbox.shutdown().await;
}

/// The org's concurrency limit answers 429 to the requests over it; the client retries
/// them, learns the limit, and keeps under it from then on.
#[tokio::test(start_paused = true)]
async fn concurrency_429_is_retried_and_learned() {
    let sandbox = Sandbox::start(SandboxConfig {
        concurrency_limit: Some(3),
        latency: Some(Duration::from_millis(100)),
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (c, diag) = client(&sandbox, |cfg| {
        cfg.rate_share = 1.0;
        cfg.concurrency = 8;
    });
    let req = get_app(&sandbox);
    // The bucket is known first, so the concurrency 429's other limit stands out.
    c.send(&req).await.unwrap();
    let results = c.send_all(&vec![req.clone(); 8]).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let learned: Vec<_> = diag
        .messages()
        .into_iter()
        .filter(|m| m.contains("concurrency limit"))
        .collect();
    assert_eq!(learned.len(), 1, "{:?}", diag.messages());
    assert!(learned[0].contains("is 3 requests"), "{}", learned[0]);
    let before = rate_limited(&diag);
    assert!(before >= 1);
    // From now on at most 3 in flight: no more 429s, 8 requests in three rounds.
    let started = Instant::now();
    let results = c.send_all(&vec![req; 8]).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(rate_limited(&diag), before, "{:?}", diag.messages());
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    sandbox.shutdown().await;
}
