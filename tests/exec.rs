//! The execute stage against small loopback servers that answer like Okta does (and like
//! the proxies and misconfigurations in front of it): pagination, errors, retries, rate
//! limits, redirects, timeouts, fan-out.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use oktaql::exec::{Client, ClientConfig, ExecError, MemoryDiagnostics};
use oktaql::plan::HttpRequest;
use oktaql::provider::ResponseShape;
use serde_json::{json, Value};

const TOKEN: &str = "00tok-SECRET-token-value";

/// What a test server saw.
#[derive(Default)]
struct Seen {
    hits: AtomicUsize,
    auth: Mutex<Vec<Option<String>>>,
    bodies: Mutex<Vec<String>>,
    base: Mutex<String>,
}

impl Seen {
    fn record(&self, headers: &HeaderMap) -> usize {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.auth.lock().unwrap().push(auth);
        self.hits.fetch_add(1, Ordering::SeqCst) + 1
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
    fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }
}

type S = State<Arc<Seen>>;

/// Serves `router` on 127.0.0.1 and returns its address and what it saw.
async fn serve(router: Router<Arc<Seen>>) -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    *seen.base.lock().unwrap() = format!("http://{addr}");
    let app = router.with_state(seen.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, seen)
}

fn client(f: impl FnOnce(&mut ClientConfig)) -> (Client, Arc<MemoryDiagnostics>) {
    let mut cfg = ClientConfig {
        token: Some(TOKEN.to_string()),
        ..ClientConfig::default()
    };
    f(&mut cfg);
    let diag = Arc::new(MemoryDiagnostics::new());
    let c = Client::new(cfg).unwrap().with_diagnostics(diag.clone());
    (c, diag)
}

fn req(method: &str, verb: &str, url: String) -> HttpRequest {
    HttpRequest {
        resource: "okta.apps.secrets".into(),
        method: method.into(),
        http_method: verb.into(),
        url,
        query: vec![],
        body: None,
        paginate: false,
        response_shape: ResponseShape::Array,
        bound: vec![],
    }
}

fn json_response(status: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn array_rows_headers_query_and_bound_columns() {
    async fn secrets(
        State(s): S,
        Path(app): Path<String>,
        Query(q): Query<Vec<(String, String)>>,
        h: HeaderMap,
    ) -> Response<Body> {
        s.record(&h);
        assert_eq!(h["accept"], "application/json");
        assert!(h["user-agent"].to_str().unwrap().starts_with("oktaql/"));
        assert!(h.get("content-type").is_none(), "no body, no content type");
        json_response(
            200,
            json!([{"id": "s1", "app": app, "q": q}, {"id": "s2", "appId": "from-okta"}]),
        )
    }
    let (addr, seen) = serve(Router::new().route("/api/v1/apps/{app}/secrets", get(secrets))).await;
    let (c, diag) = client(|_| {});
    let mut r = req(
        "list_oauth2_client_secrets",
        "GET",
        format!("http://{addr}/api/v1/apps/0oa1/secrets"),
    );
    r.query = vec![
        ("filter".into(), "status eq \"ACTIVE\"".into()),
        ("limit".into(), "2".into()),
    ];
    r.bound = vec![
        ("appId".into(), json!("0oa1")),
        ("subdomain".into(), json!("acme")),
    ];
    let rows = c.send(&r).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], "s1");
    assert_eq!(rows[0]["app"], "0oa1");
    assert_eq!(
        rows[0]["q"],
        json!([["filter", "status eq \"ACTIVE\""], ["limit", "2"]])
    );
    assert_eq!(rows[0]["appId"], "0oa1", "bound column added");
    assert_eq!(rows[0]["subdomain"], "acme");
    assert_eq!(
        rows[1]["appId"], "from-okta",
        "bound column never overwrites"
    );
    assert_eq!(seen.hits(), 1);
    assert_eq!(
        seen.auth.lock().unwrap()[0].as_deref(),
        Some(&*format!("SSWS {TOKEN}"))
    );
    assert!(diag.messages().is_empty(), "{:?}", diag.messages());
}

/// Three pages of two users; page 1 carries self+next in one header, page 2 two headers.
async fn users(
    State(s): S,
    Query(q): Query<Vec<(String, String)>>,
    h: HeaderMap,
) -> Response<Body> {
    s.record(&h);
    let after = q
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.as_str());
    let base = s.base();
    let (ids, builder) = match after {
        None => (
            [1, 2],
            Response::builder().header(
                "link",
                format!(
                    "<{base}/api/v1/users?limit=2>; rel=\"self\", <{base}/api/v1/users?after=2&limit=2>; rel=\"next\""
                ),
            ),
        ),
        Some("2") => (
            [3, 4],
            Response::builder()
                .header("link", format!("<{base}/api/v1/users?after=2&limit=2>; rel=\"self\""))
                .header("link", "</api/v1/users?after=4&limit=2>; rel=next"),
        ),
        Some(_) => (
            [5, 6],
            Response::builder().header("link", format!("<{base}/api/v1/users?after=4>; rel=\"self\"")),
        ),
    };
    let rows: Vec<Value> = ids
        .iter()
        .map(|i| json!({"id": format!("00u{i}")}))
        .collect();
    builder
        .body(Body::from(Value::from(rows).to_string()))
        .unwrap()
}

#[tokio::test]
async fn pagination_follows_link_next_across_three_pages() {
    let (addr, seen) = serve(Router::new().route("/api/v1/users", get(users))).await;
    let (c, diag) = client(|_| {});
    let mut r = req("list_users", "GET", format!("http://{addr}/api/v1/users"));
    r.query = vec![("limit".into(), "2".into())];
    r.paginate = true;
    r.bound = vec![("subdomain".into(), json!("acme"))];
    let rows = c.send(&r).await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["00u1", "00u2", "00u3", "00u4", "00u5", "00u6"]);
    assert!(rows.iter().all(|r| r["subdomain"] == "acme"));
    assert_eq!(seen.hits(), 3);
    assert!(seen
        .auth
        .lock()
        .unwrap()
        .iter()
        .all(|a| a.as_deref() == Some(&*format!("SSWS {TOKEN}"))));
    assert!(diag.messages().is_empty());

    // Without `paginate` only the first page is read.
    r.paginate = false;
    assert_eq!(c.send(&r).await.unwrap().len(), 2);
}

#[tokio::test]
async fn page_limit_truncates_with_a_notice() {
    let (addr, seen) = serve(Router::new().route("/api/v1/users", get(users))).await;
    let (c, diag) = client(|cfg| cfg.max_pages = Some(2));
    let mut r = req("list_users", "GET", format!("http://{addr}/api/v1/users"));
    r.paginate = true;
    let rows = c.send(&r).await.unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(seen.hits(), 2);
    let msgs = diag.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("truncated at 2 pages (4 rows)"),
        "{}",
        msgs[0]
    );
    assert!(msgs[0].contains("--max-pages"), "{}", msgs[0]);
}

#[tokio::test]
async fn next_page_on_another_server_is_refused() {
    let (other, other_seen) = serve(Router::new().route(
        "/{*rest}",
        any(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
            json_response(200, json!([]))
        }),
    ))
    .await;
    let next = format!("<http://{other}/api/v1/users?after=2>; rel=\"next\"");
    let (addr, _) = serve(Router::new().route(
        "/api/v1/users",
        get(move || {
            let next = next.clone();
            async move {
                Response::builder()
                    .header("link", next)
                    .body(Body::from("[{\"id\":1}]"))
                    .unwrap()
            }
        }),
    ))
    .await;
    let (c, _) = client(|_| {});
    let mut r = req("list_users", "GET", format!("http://{addr}/api/v1/users"));
    r.paginate = true;
    let err = c.send(&r).await.unwrap_err();
    assert!(matches!(err, ExecError::ForeignNextPage { .. }), "{err:?}");
    assert!(err.to_string().contains(&other.to_string()), "{err}");
    assert_eq!(
        other_seen.hits(),
        0,
        "the token never reached the other server"
    );
}

#[tokio::test]
async fn okta_error_body_becomes_a_clear_error() {
    async fn create(State(s): S, h: HeaderMap, body: String) -> Response<Body> {
        s.record(&h);
        assert_eq!(h["content-type"], "application/json");
        s.bodies.lock().unwrap().push(body);
        Response::builder()
            .status(400)
            .header("x-okta-request-id", "reqAbc123")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({
                    "errorCode": "E0000001",
                    "errorSummary": "Api validation failed: client_secret",
                    "errorLink": "E0000001",
                    "errorId": "oaeIgnored",
                    "errorCauses": [{"errorSummary": "You can't have more than two client secrets."}]
                })
                .to_string(),
            ))
            .unwrap()
    }
    let (addr, seen) = serve(Router::new().route("/secrets", axum::routing::post(create))).await;
    let (c, _) = client(|_| {});
    let mut r = req(
        "create_oauth2_client_secret",
        "POST",
        format!("http://{addr}/secrets"),
    );
    r.body = Some(json!({"client_secret": "x", "status": "ACTIVE"}));
    r.response_shape = ResponseShape::Object;
    let err = c.send(&r).await.unwrap_err();
    match &err {
        ExecError::Okta(o) => {
            assert_eq!(o.status, 400);
            assert_eq!(o.code, "E0000001");
            assert_eq!(o.summary, "Api validation failed: client_secret");
            assert_eq!(o.causes, ["You can't have more than two client secrets."]);
            assert_eq!(o.request_id.as_deref(), Some("reqAbc123"));
            assert_eq!(o.method, "create_oauth2_client_secret");
            assert_eq!(o.url, format!("http://{addr}/secrets"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "Okta returned 400 Bad Request (E0000001): Api validation failed: client_secret — cause: You can't have more than two client secrets. [create_oauth2_client_secret, request id reqAbc123]"
    );
    assert_eq!(seen.hits(), 1, "a 400 is not retried");
    let sent: Value = serde_json::from_str(&seen.bodies.lock().unwrap()[0]).unwrap();
    assert_eq!(sent, json!({"client_secret": "x", "status": "ACTIVE"}));
}

async fn html_502_first(State(s): S, h: HeaderMap) -> Response<Body> {
    if s.record(&h) == 1 {
        Response::builder()
            .status(502)
            .header("content-type", "text/html")
            .body(Body::from(
                "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
            ))
            .unwrap()
    } else {
        json_response(200, json!([{"id": "app1"}]))
    }
}

#[tokio::test]
async fn get_is_retried_after_an_html_502() {
    let (addr, seen) = serve(Router::new().route("/apps", get(html_502_first))).await;
    let (c, diag) = client(|_| {});
    let rows = c
        .send(&req("list_apps", "GET", format!("http://{addr}/apps")))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(seen.hits(), 2);
    let msgs = diag.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("502") && msgs[0].contains("retrying"),
        "{}",
        msgs[0]
    );
}

#[tokio::test]
async fn get_gives_up_after_three_retries_with_an_excerpt() {
    let (addr, seen) = serve(Router::new().route(
        "/apps",
        get(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
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
    assert_eq!(seen.hits(), 4, "one try and three retries");
    assert_eq!(diag.messages().len(), 3);
}

#[tokio::test]
async fn post_is_not_retried_after_a_503() {
    let (addr, seen) = serve(Router::new().route(
        "/secrets",
        any(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
            (StatusCode::SERVICE_UNAVAILABLE, "busy")
        }),
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
    assert_eq!(seen.hits(), 1, "never retried");
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
    assert_eq!(seen.hits(), 2);
    assert!(diag.messages().is_empty());
}

#[tokio::test]
async fn rate_limited_post_waits_for_the_reset_and_retries() {
    async fn limited(State(s): S, h: HeaderMap) -> Response<Body> {
        if s.record(&h) == 1 {
            Response::builder()
                .status(429)
                .header("x-rate-limit-limit", "100")
                .header("x-rate-limit-remaining", "0")
                .header("x-rate-limit-reset", (epoch_secs() + 1).to_string())
                .body(Body::from(
                    json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}).to_string(),
                ))
                .unwrap()
        } else {
            json_response(201, json!({"id": "sec1"}))
        }
    }
    let (addr, seen) = serve(Router::new().route("/secrets", any(limited))).await;
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
    assert_eq!(seen.hits(), 2, "a 429 is retried even for POST");
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    let msgs = diag.messages();
    assert!(
        msgs.iter()
            .any(|m| m.contains("429") && m.contains("waiting")),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn rate_limit_reset_beyond_the_allowed_wait_is_an_error() {
    let (addr, seen) = serve(Router::new().route(
        "/apps",
        get(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
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
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(seen.hits(), 1);
}

#[tokio::test]
async fn low_rate_limit_budget_spreads_requests_and_says_so_once() {
    let (addr, seen) = serve(Router::new().route(
        "/apps",
        get(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
            Response::builder()
                .header("x-rate-limit-limit", "100")
                .header("x-rate-limit-remaining", "2")
                .header("x-rate-limit-reset", (epoch_secs() + 1).to_string())
                .body(Body::from("[]"))
                .unwrap()
        }),
    ))
    .await;
    let (c, diag) = client(|_| {});
    let r = req("list_apps", "GET", format!("http://{addr}/apps"));
    c.send(&r).await.unwrap();
    let started = Instant::now();
    let results = c.send_all(&[r.clone(), r.clone()]).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen.hits(), 3);
    let notices: Vec<String> = diag
        .messages()
        .into_iter()
        .filter(|m| m.contains("rate limit nearly used up"))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
}

#[tokio::test]
async fn redirect_to_another_port_never_receives_the_token() {
    let (thief, thief_seen) = serve(Router::new().route(
        "/{*rest}",
        any(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
            json_response(200, json!([{"stolen": true}]))
        }),
    ))
    .await;
    let (addr, seen) = serve(
        Router::new()
            .route(
                "/away",
                get(move |State(s): S, h: HeaderMap| async move {
                    s.record(&h);
                    Response::builder()
                        .status(302)
                        .header("location", format!("http://{thief}/steal"))
                        .body(Body::empty())
                        .unwrap()
                }),
            )
            .route(
                "/to-localhost",
                get(|State(s): S, h: HeaderMap| async move {
                    s.record(&h);
                    let port = s.base().rsplit(':').next().unwrap().to_string();
                    Response::builder()
                        .status(307)
                        .header("location", format!("http://localhost:{port}/landing"))
                        .body(Body::empty())
                        .unwrap()
                }),
            )
            .route(
                "/old",
                get(|State(s): S, h: HeaderMap| async move {
                    s.record(&h);
                    Response::builder()
                        .status(301)
                        .header("location", "/landing")
                        .body(Body::empty())
                        .unwrap()
                }),
            )
            .route(
                "/landing",
                get(|State(s): S, h: HeaderMap| async move {
                    s.record(&h);
                    json_response(200, json!([{"landed": true}]))
                }),
            ),
    )
    .await;
    let (c, _) = client(|_| {});
    let err = c
        .send(&req("list_apps", "GET", format!("http://{addr}/away")))
        .await
        .unwrap_err();
    match &err {
        ExecError::Redirect {
            status,
            location_host,
            ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(location_host, &thief.to_string());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains(&thief.to_string()), "{err}");
    assert_eq!(thief_seen.hits(), 0, "the other port got nothing");

    // Another host name for the same server is another host too.
    let err = c
        .send(&req(
            "list_apps",
            "GET",
            format!("http://{addr}/to-localhost"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExecError::Redirect { status: 307, .. }),
        "{err:?}"
    );
    assert_eq!(seen.hits(), 2, "/landing was not requested via localhost");

    // A redirect on the same server is followed, with the token.
    let rows = c
        .send(&req("list_apps", "GET", format!("http://{addr}/old")))
        .await
        .unwrap();
    assert_eq!(rows[0]["landed"], true);
    let auth = seen.auth.lock().unwrap();
    assert_eq!(auth.len(), 4);
    assert_eq!(auth[3].as_deref(), Some(&*format!("SSWS {TOKEN}")));
}

#[tokio::test]
async fn insecure_urls_are_refused_before_connecting() {
    let (c, _) = client(|cfg| cfg.timeout = Duration::from_secs(5));
    for url in [
        "http://192.0.2.1/api/v1/apps",
        "http://acme.okta.com/api/v1/apps",
        "ftp://127.0.0.1/x",
    ] {
        let started = Instant::now();
        let err = c
            .send(&req("list_apps", "GET", url.to_string()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ExecError::InsecureUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(started.elapsed() < Duration::from_millis(100), "{url}");
    }
    let err = c
        .send(&req("list_apps", "GET", "not a url".to_string()))
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::InvalidUrl { .. }), "{err:?}");
}

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
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
            json_response(
                404,
                json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: 4 (AppInstance)"}),
            )
        } else {
            json_response(200, json!({"id": i}))
        }
    }
    let (addr, _) = serve(Router::new().route("/apps/{i}", get(item))).await;
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

#[tokio::test]
async fn timeout_names_the_flag_and_is_not_retried() {
    let (addr, seen) = serve(Router::new().route(
        "/slow",
        any(|State(s): S, h: HeaderMap| async move {
            s.record(&h);
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
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
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
    assert_eq!(seen.hits(), 2);
}

#[tokio::test]
async fn success_body_that_is_not_json_is_a_clear_error() {
    let (addr, _) = serve(Router::new().route(
        "/apps",
        get(|| async { "<html><body>Sign in</body></html>" }),
    ))
    .await;
    let (c, _) = client(|_| {});
    let url = format!("http://{addr}/apps");
    let err = c
        .send(&req("list_apps", "GET", url.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::InvalidJson { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("list_apps") && text.contains(&url), "{text}");
    assert!(text.contains("Sign in"), "{text}");
}

#[tokio::test]
async fn empty_answers_give_no_rows() {
    let (addr, _) =
        serve(Router::new().route("/secrets/{id}", any(|| async { StatusCode::NO_CONTENT }))).await;
    let (c, _) = client(|_| {});
    let mut r = req(
        "delete_secret",
        "DELETE",
        format!("http://{addr}/secrets/s1"),
    );
    r.response_shape = ResponseShape::Empty;
    r.bound = vec![("secretId".into(), json!("s1"))];
    assert!(c.send(&r).await.unwrap().is_empty());
}

#[tokio::test]
async fn debug_trace_masks_the_token_and_secrets() {
    let (addr, _) = serve(Router::new().route(
        "/secrets",
        any(|| async {
            json_response(
                201,
                json!({"id": "s1", "client_secret": "RESPONSE-SECRET-VALUE", "secret_hash": "h"}),
            )
        }),
    ))
    .await;
    let (c, diag) = client(|cfg| cfg.debug = true);
    let mut r = req(
        "create_oauth2_client_secret",
        "POST",
        format!("http://{addr}/secrets"),
    );
    r.body = Some(json!({"client_secret": "REQUEST-SECRET-VALUE"}));
    r.response_shape = ResponseShape::Object;
    let rows = c.send(&r).await.unwrap();
    assert_eq!(
        rows[0]["client_secret"], "RESPONSE-SECRET-VALUE",
        "rows keep the data"
    );
    let all = diag.messages().join("\n");
    assert!(
        all.contains(&format!("> POST http://{addr}/secrets")),
        "{all}"
    );
    assert!(all.contains("authorization: SSWS ****"), "{all}");
    assert!(all.contains("< 201 Created in "), "{all}");
    assert!(all.contains("\"client_secret\":\"****\""), "{all}");
    for secret in [TOKEN, "REQUEST-SECRET-VALUE", "RESPONSE-SECRET-VALUE"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}
