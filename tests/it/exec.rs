//! The execute stage against small loopback servers that answer like Okta does (and like
//! the proxies and misconfigurations in front of it): rows, pagination, error bodies,
//! redirects, URL safety, debug traces. Retries, rate limits and fan-out: `exec_retry.rs`.

use std::time::{Duration, Instant};

use crate::common::exec::*;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use oktaql::exec::ExecError;
use oktaql::provider::ResponseShape;
use serde_json::{json, Value};

#[tokio::test]
async fn array_rows_headers_query_and_bound_columns() {
    async fn secrets(
        Path(app): Path<String>,
        Query(q): Query<Vec<(String, String)>>,
        h: HeaderMap,
    ) -> Response<Body> {
        assert_eq!(h["accept"], "application/json");
        assert!(h["user-agent"].to_str().unwrap().starts_with("oktaql/"));
        assert!(h.get("content-type").is_none(), "no body, no content type");
        json(
            200,
            json!([{"id": "s1", "app": app, "q": q}, {"id": "s2", "appId": "from-okta"}]),
        )
    }
    let (addr, seen) =
        serve_router(Router::new().route("/api/v1/apps/{app}/secrets", get(secrets))).await;
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
    assert_eq!(seen.count(), 1);
    assert_eq!(seen.auth()[0].as_deref(), Some(&*format!("SSWS {TOKEN}")));
    assert!(diag.messages().is_empty(), "{:?}", diag.messages());
}

/// Three pages of two users; page 1 carries self+next in one header, page 2 two headers.
async fn users(State(s): S, Query(q): Query<Vec<(String, String)>>) -> Response<Body> {
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
async fn the_progress_observer_gets_pages_and_fan_out_counts() {
    let (addr, _) = serve_router(Router::new().route("/api/v1/users", get(users))).await;
    let progress = std::sync::Arc::new(RecordedProgress::default());
    let (c, _) = client(|_| {});
    let c = c.with_progress(progress.clone());
    // A list of three pages: one event per page that another follows, then the end.
    let mut r = req("list_users", "GET", format!("http://{addr}/api/v1/users"));
    r.query = vec![("limit".into(), "2".into())];
    r.paginate = true;
    assert_eq!(c.send(&r).await.unwrap().len(), 6);
    assert_eq!(
        progress.events(),
        [
            "page list_users 1 2",
            "page list_users 2 4",
            "listed list_users"
        ]
    );
    // A fan-out of five single-page requests: its size, each request, the end.
    progress.0.lock().unwrap().clear();
    let one = req(
        "list_users",
        "GET",
        format!("http://{addr}/api/v1/users?after=4"),
    );
    let results = c.send_all(&vec![one; 5]).await;
    assert!(results.iter().all(Result::is_ok));
    let mut expected = vec!["start okta.apps.secrets 5".to_string()];
    expected.extend(std::iter::repeat_n("done okta.apps.secrets".to_string(), 5));
    expected.push("end okta.apps.secrets".into());
    assert_eq!(progress.events(), expected);
    // One request is no fan-out: nothing to report.
    progress.0.lock().unwrap().clear();
    let one = req(
        "list_users",
        "GET",
        format!("http://{addr}/api/v1/users?after=4"),
    );
    c.send_all(std::slice::from_ref(&one)).await;
    assert_eq!(progress.events(), Vec::<String>::new());
}

#[tokio::test]
async fn pagination_follows_link_next_across_three_pages() {
    let (addr, seen) = serve_router(Router::new().route("/api/v1/users", get(users))).await;
    let (c, diag) = client(|_| {});
    let mut r = req("list_users", "GET", format!("http://{addr}/api/v1/users"));
    r.query = vec![("limit".into(), "2".into())];
    r.paginate = true;
    r.bound = vec![("subdomain".into(), json!("acme"))];
    let rows = c.send(&r).await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["00u1", "00u2", "00u3", "00u4", "00u5", "00u6"]);
    assert!(rows.iter().all(|r| r["subdomain"] == "acme"));
    assert_eq!(seen.count(), 3);
    assert!(seen
        .auth()
        .iter()
        .all(|a| a.as_deref() == Some(&*format!("SSWS {TOKEN}"))));
    assert!(diag.messages().is_empty());

    // Without `paginate` only the first page is read.
    r.paginate = false;
    assert_eq!(c.send(&r).await.unwrap().len(), 2);
}

#[tokio::test]
async fn page_limit_truncates_with_a_notice() {
    let (addr, seen) = serve_router(Router::new().route("/api/v1/users", get(users))).await;
    let (c, diag) = client(|cfg| cfg.max_pages = Some(2));
    let mut r = req("list_users", "GET", format!("http://{addr}/api/v1/users"));
    r.paginate = true;
    let rows = c.send(&r).await.unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(seen.count(), 2);
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
    let (other, other_seen) =
        serve_router(Router::new().route("/{*rest}", any(|| async move { json(200, json!([])) })))
            .await;
    let next = format!("<http://{other}/api/v1/users?after=2>; rel=\"next\"");
    let (addr, _) = serve_router(Router::new().route(
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
        other_seen.count(),
        0,
        "the token never reached the other server"
    );
}

#[tokio::test]
async fn okta_error_body_becomes_a_clear_error() {
    async fn create(h: HeaderMap) -> Response<Body> {
        assert_eq!(h["content-type"], "application/json");
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
    let (addr, seen) =
        serve_router(Router::new().route("/secrets", axum::routing::post(create))).await;
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
    assert_eq!(seen.count(), 1, "a 400 is not retried");
    let sent: Value = serde_json::from_str(&seen.bodies()[0]).unwrap();
    assert_eq!(sent, json!({"client_secret": "x", "status": "ACTIVE"}));
}

#[tokio::test]
async fn redirect_to_another_port_never_receives_the_token() {
    let (thief, thief_seen) = serve_router(Router::new().route(
        "/{*rest}",
        any(|| async move { json(200, json!([{"stolen": true}])) }),
    ))
    .await;
    let (addr, seen) = serve_router(
        Router::new()
            .route(
                "/away",
                get(move || async move {
                    Response::builder()
                        .status(302)
                        .header("location", format!("http://{thief}/steal"))
                        .body(Body::empty())
                        .unwrap()
                }),
            )
            .route(
                "/to-localhost",
                get(|State(s): S| async move {
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
                get(|| async move {
                    Response::builder()
                        .status(301)
                        .header("location", "/landing")
                        .body(Body::empty())
                        .unwrap()
                }),
            )
            .route(
                "/landing",
                get(|| async move { json(200, json!([{"landed": true}])) }),
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
    assert_eq!(thief_seen.count(), 0, "the other port got nothing");

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
    assert_eq!(seen.count(), 2, "/landing was not requested via localhost");

    // A redirect on the same server is followed, with the token.
    let rows = c
        .send(&req("list_apps", "GET", format!("http://{addr}/old")))
        .await
        .unwrap();
    assert_eq!(rows[0]["landed"], true);
    let auth = seen.auth();
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
async fn success_body_that_is_not_json_is_a_clear_error() {
    let (addr, _) = serve_router(Router::new().route(
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
    let (addr, _) = serve_router(
        Router::new().route("/secrets/{id}", any(|| async { StatusCode::NO_CONTENT })),
    )
    .await;
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
    let (addr, _) = serve_router(Router::new().route(
        "/secrets",
        any(|| async {
            json(
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
