//! Retries, rate limits, timeouts and fan-out of the execute stage against loopback
//! servers that count their hits.
//!
//! Every test runs on tokio's paused clock: waits (backoff, rate-limit resets, pacing,
//! timeouts, slow handlers) advance it without taking real time, so a test takes
//! milliseconds and asserts the waits themselves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::common::exec::*;
use axum::body::Body;
use axum::extract::{Extension, Path};
use axum::http::{Response, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use oktaql::exec::ExecError;
use oktaql::plan::HttpRequest;
use oktaql::provider::ResponseShape;
use serde_json::json;

/// The `Date` of rate-limited answers, so that the reset is a known number of seconds away.
const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
/// [`DATE`] in epoch seconds.
const DATE_EPOCH: u64 = 784111777;

async fn html_502_first(Extension(Nth(n)): Extension<Nth>) -> Response<Body> {
    if n == 1 {
        Response::builder()
            .status(502)
            .header("content-type", "text/html")
            .body(Body::from(
                "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
            ))
            .unwrap()
    } else {
        json(200, json!([{"id": "app1"}]))
    }
}

#[tokio::test(start_paused = true)]
async fn get_is_retried_after_an_html_502() {
    let (addr, seen) = serve_router(Router::new().route("/apps", get(html_502_first))).await;
    let (c, diag) = client(|_| {});
    let rows = c
        .send(&req("list_apps", "GET", format!("http://{addr}/apps")))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(seen.count(), 2);
    let msgs = diag.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("502") && msgs[0].contains("retrying"),
        "{}",
        msgs[0]
    );
}

#[tokio::test(start_paused = true)]
async fn get_gives_up_after_three_retries_with_an_excerpt() {
    let (addr, seen) = serve_router(Router::new().route(
        "/apps",
        get(|| async move {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "<html><body><h1>Service   Unavailable</h1>\n<p>try later</p></body></html>",
            )
        }),
    ))
    .await;
    let (c, diag) = client(|_| {});
    let err = c
        .send(&req("list_apps", "GET", format!("http://{addr}/apps")))
        .await
        .unwrap_err();
    match &err {
        ExecError::Http {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(excerpt, "Service Unavailable try later");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.to_string().contains('<'), "{err}");
    assert_eq!(seen.count(), 4, "one try and three retries");
    assert_eq!(diag.messages().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn post_is_not_retried_after_a_503() {
    let (addr, seen) = serve_router(Router::new().route(
        "/secrets",
        any(|| async move { (StatusCode::SERVICE_UNAVAILABLE, "busy") }),
    ))
    .await;
    let (c, diag) = client(|_| {});
    let mut r = req(
        "create_oauth2_client_secret",
        "POST",
        format!("http://{addr}/secrets"),
    );
    r.body = Some(json!({}));
    let err = c.send(&r).await.unwrap_err();
    assert!(matches!(err, ExecError::OutcomeUnknown { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("outcome is unknown") && text.contains("SELECT"),
        "{text}"
    );
    assert_eq!(seen.count(), 1, "never retried");
    // DELETE neither.
    let err = c
        .send(&req(
            "delete_secret",
            "DELETE",
            format!("http://{addr}/secrets"),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(seen.count(), 2);
    assert!(diag.messages().is_empty());
}

#[tokio::test(start_paused = true)]
async fn rate_limited_post_waits_for_the_reset_and_retries() {
    async fn limited(Extension(Nth(n)): Extension<Nth>) -> Response<Body> {
        if n == 1 {
            Response::builder()
                .status(429)
                .header("date", DATE)
                .header("x-rate-limit-limit", "100")
                .header("x-rate-limit-remaining", "0")
                .header("x-rate-limit-reset", (DATE_EPOCH + 1).to_string())
                .body(Body::from(
                    json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}).to_string(),
                ))
                .unwrap()
        } else {
            json(201, json!({"id": "sec1"}))
        }
    }
    let (addr, seen) = serve_router(Router::new().route("/secrets", any(limited))).await;
    let (c, diag) = client(|_| {});
    let mut r = req(
        "create_oauth2_client_secret",
        "POST",
        format!("http://{addr}/secrets"),
    );
    r.body = Some(json!({}));
    r.response_shape = ResponseShape::Object;
    let started = Instant::now();
    let rows = c.send(&r).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(rows[0]["id"], "sec1");
    assert_eq!(seen.count(), 2, "a 429 is retried even for POST");
    // The second until the reset, plus under 150 ms of jitter.
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1150), "{elapsed:?}");
    let msgs = diag.messages();
    assert!(
        msgs.iter()
            .any(|m| m.contains("429") && m.contains("waiting")),
        "{msgs:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_progress_observer_hears_of_rate_limit_waits() {
    async fn limited(Extension(Nth(n)): Extension<Nth>) -> Response<Body> {
        if n == 1 {
            Response::builder()
                .status(429)
                .header("date", DATE)
                .header("x-rate-limit-reset", (DATE_EPOCH + 2).to_string())
                .body(Body::empty())
                .unwrap()
        } else {
            json(200, json!([]))
        }
    }
    let (addr, _) = serve_router(Router::new().route("/apps", any(limited))).await;
    let progress = std::sync::Arc::new(RecordedProgress::default());
    let (c, _) = client(|_| {});
    let c = c.with_progress(progress.clone());
    c.send(&req("list_apps", "GET", format!("http://{addr}/apps")))
        .await
        .unwrap();
    let events = progress.events();
    assert_eq!(events.len(), 1, "{events:?}");
    // Two seconds to the reset, plus under 150 ms of jitter.
    let ms: u64 = events[0]
        .strip_prefix("wait list_apps ")
        .and_then(|t| t.strip_suffix("ms"))
        .unwrap_or_else(|| panic!("{events:?}"))
        .parse()
        .unwrap();
    assert!((2000..2150).contains(&ms), "{events:?}");
}

#[tokio::test(start_paused = true)]
async fn rate_limit_reset_beyond_the_allowed_wait_is_an_error() {
    let (addr, seen) = serve_router(Router::new().route(
        "/apps",
        get(|| async move {
            Response::builder()
                .status(429)
                .header("x-rate-limit-reset", (epoch_secs() + 120).to_string())
                .body(Body::empty())
                .unwrap()
        }),
    ))
    .await;
    let (c, _) = client(|cfg| cfg.max_rate_limit_wait = Duration::from_secs(5));
    let started = Instant::now();
    let err = c
        .send(&req("list_apps", "GET", format!("http://{addr}/apps")))
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::RateLimited { .. }), "{err:?}");
    assert!(err.to_string().contains("5 s allowed"), "{err}");
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "no wait when the reset is too far"
    );
    assert_eq!(seen.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn low_rate_limit_budget_spreads_requests_and_says_so_once() {
    let (addr, seen) = serve_router(Router::new().route(
        "/apps",
        get(|| async move {
            Response::builder()
                .header("date", DATE)
                .header("x-rate-limit-limit", "100")
                .header("x-rate-limit-remaining", "2")
                .header("x-rate-limit-reset", (DATE_EPOCH + 1).to_string())
                .body(Body::from("[]"))
                .unwrap()
        }),
    ))
    .await;
    let (c, diag) = client(|_| {});
    let r = req("list_apps", "GET", format!("http://{addr}/apps"));
    c.send(&r).await.unwrap();
    // Two fit in what is left: they go at once.
    let started = Instant::now();
    let results = c.send_all(&[r.clone(), r.clone()]).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(started.elapsed(), Duration::ZERO);
    // Four do not: the two left are spread over the second until the reset (500 ms
    // apart), the other two wait for the reset.
    let started = Instant::now();
    let results = c.send_all(&vec![r.clone(); 4]).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!(seen.count(), 7);
    let notices: Vec<String> = diag
        .messages()
        .into_iter()
        .filter(|m| m.starts_with("rate limit"))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("one every 500 ms"), "{notices:?}");
}

#[tokio::test(start_paused = true)]
async fn connection_failure_names_the_host() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (c, _) = client(|_| {});
    let mut r = req(
        "create_app",
        "POST",
        format!("http://127.0.0.1:{port}/apps"),
    );
    r.body = Some(json!({}));
    let err = c.send(&r).await.unwrap_err();
    match &err {
        ExecError::Connect { host, .. } => assert_eq!(host, &format!("127.0.0.1:{port}")),
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("--server-url") && text.contains("subdomain"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn get_retries_a_refused_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (c, diag) = client(|_| {});
    let late_server = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let app: Router = Router::new().route("/apps", get(|| async { "[{\"id\":1}]" }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    };
    let r = req("list_apps", "GET", format!("http://{addr}/apps"));
    let (rows, ()) = tokio::join!(c.send(&r), late_server);
    assert_eq!(rows.unwrap().len(), 1);
    assert!(
        diag.messages()[0].contains("cannot connect"),
        "{:?}",
        diag.messages()
    );
}

#[tokio::test(start_paused = true)]
async fn send_all_keeps_order_and_bounds_concurrency() {
    static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
    static MAX_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
    async fn item(Path(i): Path<u64>) -> Response<Body> {
        let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        MAX_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
        // Later items answer sooner, so completion order differs from request order.
        tokio::time::sleep(Duration::from_millis(10 * (10 - i))).await;
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        if i == 4 {
            json(
                404,
                json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: 4 (AppInstance)"}),
            )
        } else {
            json(200, json!({"id": i}))
        }
    }
    let (addr, _) = serve_router(Router::new().route("/apps/{i}", get(item))).await;
    let (c, _) = client(|cfg| cfg.concurrency = 3);
    let reqs: Vec<HttpRequest> = (0..10)
        .map(|i| {
            let mut r = req("get_app", "GET", format!("http://{addr}/apps/{i}"));
            r.response_shape = ResponseShape::Object;
            r.bound = vec![("appId".into(), json!(i.to_string()))];
            r
        })
        .collect();
    let results = c.send_all(&reqs).await;
    assert_eq!(results.len(), 10);
    for (i, res) in results.iter().enumerate() {
        if i == 4 {
            let err = res.as_ref().unwrap_err();
            assert_eq!(err.status(), Some(404));
        } else {
            let rows = res.as_ref().unwrap();
            assert_eq!(rows[0]["id"], json!(i), "result {i} in request order");
            assert_eq!(rows[0]["appId"], json!(i.to_string()));
        }
    }
    let max = MAX_IN_FLIGHT.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
}

#[tokio::test(start_paused = true)]
async fn timeout_names_the_flag_and_is_not_retried() {
    let (addr, seen) = serve_router(Router::new().route(
        "/slow",
        any(|| async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "[]"
        }),
    ))
    .await;
    let (c, _) = client(|cfg| cfg.timeout = Duration::from_millis(200));
    let started = Instant::now();
    let err = c
        .send(&req("list_apps", "GET", format!("http://{addr}/slow")))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_millis(200));
    assert!(matches!(err, ExecError::Timeout { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("200 ms") && text.contains("--timeout"),
        "{text}"
    );
    assert!(!text.contains("unknown"), "{text}");
    // A POST that timed out may have been processed.
    let err = c
        .send(&req("create_app", "POST", format!("http://{addr}/slow")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("outcome is unknown"), "{err}");
    assert_eq!(seen.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_send_all_stops_the_fan_out() {
    let (addr, seen) = serve_router(Router::new().route(
        "/slow/{i}",
        get(|| async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "[]"
        }),
    ))
    .await;
    let (c, _) = client(|cfg| cfg.concurrency = 2);
    let reqs: Vec<HttpRequest> = (0..10)
        .map(|i| req("list_apps", "GET", format!("http://{addr}/slow/{i}")))
        .collect();
    let cut = tokio::time::timeout(Duration::from_millis(100), c.send_all(&reqs)).await;
    assert!(cut.is_err(), "still running when dropped");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        seen.count(),
        2,
        "no request starts after the future is dropped"
    );
}
