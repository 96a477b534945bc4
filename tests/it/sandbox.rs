//! The sandbox through real HTTP: every endpoint, every rule, errors, headers, pagination,
//! concurrency and the state file.

use std::collections::HashSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oktaql::sandbox::{
    Sandbox, SandboxConfig, SandboxError, Seed, DEFAULT_TOKEN, DEMO_APP_INACTIVE, DEMO_APP_JWT,
    DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT, DEMO_APP_SAML, DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

struct Fixture {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Fixture {
    async fn start(config: SandboxConfig) -> Fixture {
        Fixture {
            sandbox: Sandbox::start(config).await.expect("sandbox starts"),
            http: {
                oktaql::exec::install_tls_provider();
                reqwest::Client::new()
            },
        }
    }

    async fn demo() -> Fixture {
        Fixture::start(SandboxConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{DEMO_ORG}{path}", self.sandbox.addr())
    }

    fn secrets(&self, app: &str) -> String {
        self.url(&format!("/api/v1/apps/{app}/credentials/secrets"))
    }

    async fn call(&self, method: Method, url: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.raw(method, url, body).await;
        let value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("JSON body ({e}): {body}"))
        };
        (status, value)
    }

    async fn raw(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut req = self
            .http
            .request(method, url)
            .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }

    async fn get(&self, url: &str) -> (StatusCode, Value) {
        self.call(Method::GET, url, None).await
    }

    async fn post(&self, url: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, url, Some(body)).await
    }
}

fn assert_okta_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["errorLink"], code, "{body}");
    assert!(body["errorSummary"].as_str().is_some_and(|s| !s.is_empty()));
    let id = body["errorId"].as_str().expect("errorId");
    assert!(id.starts_with("oae") && id.len() == 25, "{id}");
    assert!(body["errorCauses"].is_array());
}

fn cause(body: &Value) -> &str {
    body["errorCauses"][0]["errorSummary"]
        .as_str()
        .unwrap_or_else(|| panic!("no errorCauses[0]: {body}"))
}

fn expected_hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(secret.as_bytes())[..16])
}

fn assert_secret_shape(s: &Value, base: &str, app: &str) {
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with("ocs") && id.len() == 20, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    let secret = s["client_secret"].as_str().unwrap();
    assert_eq!(s["secret_hash"], expected_hash(secret));
    for field in ["created", "lastUpdated"] {
        let t = s[field].as_str().unwrap();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with(".000Z") && t.as_bytes()[10] == b'T', "{t}");
    }
    let href = format!("{base}/api/v1/apps/{app}/credentials/secrets/{id}");
    let links = &s["_links"];
    match s["status"].as_str().unwrap() {
        "ACTIVE" => {
            assert_eq!(
                links["deactivate"]["href"],
                format!("{href}/lifecycle/deactivate")
            );
            assert_eq!(links["deactivate"]["hints"]["allow"], json!(["POST"]));
            assert!(links.get("activate").is_none() && links.get("delete").is_none());
        }
        "INACTIVE" => {
            assert_eq!(
                links["activate"]["href"],
                format!("{href}/lifecycle/activate")
            );
            assert_eq!(links["activate"]["hints"]["allow"], json!(["POST"]));
            assert_eq!(links["delete"]["href"], href);
            assert_eq!(links["delete"]["hints"]["allow"], json!(["DELETE"]));
            assert!(links.get("deactivate").is_none());
        }
        other => panic!("status {other}"),
    }
}

#[tokio::test]
async fn list_and_get_secrets_have_okta_shape_and_headers() {
    let f = Fixture::demo().await;
    let url = f.secrets(DEMO_APP_TWO_SECRETS);
    let (status, headers, body) = f.raw(Method::GET, &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    for h in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "x-okta-request-id",
    ] {
        assert!(headers.contains_key(h), "missing {h}");
    }
    let reset: u64 = headers["x-rate-limit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset > now && reset <= now + 60);
    let list: Value = serde_json::from_str(&body).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let base = f.url("");
    let statuses: Vec<&str> = list.iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["INACTIVE", "ACTIVE"]);
    for s in list {
        assert_secret_shape(s, &base, DEMO_APP_TWO_SECRETS);
        let (st, one) = f.get(&format!("{url}/{}", s["id"].as_str().unwrap())).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(&one, s);
    }
    // Links are built from the request's own base.
    let via_localhost = format!(
        "http://localhost:{}/{DEMO_ORG}/api/v1/apps/{DEMO_APP_TWO_SECRETS}/credentials/secrets",
        f.sandbox.addr().port()
    );
    let (_, list) = f.get(&via_localhost).await;
    assert!(list[0]["_links"]["activate"]["href"]
        .as_str()
        .unwrap()
        .starts_with(&format!(
            "http://localhost:{}/{DEMO_ORG}/",
            f.sandbox.addr().port()
        )));
    // The well-known apps hold what the docs say.
    for (app, n) in [
        (DEMO_APP_ONE_SECRET, 1),
        (DEMO_APP_JWT, 1),
        (DEMO_APP_PRIVATE_KEY_JWT, 0),
        (DEMO_APP_INACTIVE, 1),
        (DEMO_APP_SAML, 0),
    ] {
        let (st, list) = f.get(&f.secrets(app)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), n, "{app}");
    }
    let (_, jwt) = f.get(&f.secrets(DEMO_APP_JWT)).await;
    assert!(jwt[0]["client_secret"].as_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn create_generated_and_custom_secrets() {
    let f = Fixture::demo().await;
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    // No body fields: a generated 40-character base64url secret, ACTIVE.
    let (status, s) = f.post(&url, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["status"], "ACTIVE");
    let secret = s["client_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 40);
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_secret_shape(&s, &f.url(""), DEMO_APP_ONE_SECRET);
    let (_, list) = f.get(&url).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A third one breaks the two-secret rule.
    let (status, e) = f.post(&url, json!({})).await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
    assert!(
        cause(&e).contains("maximum number of client secrets"),
        "{e}"
    );

    // A caller-chosen secret, created INACTIVE, on another app (Grafana has two: free a slot).
    let grafana = f.secrets(DEMO_APP_TWO_SECRETS);
    let (_, list) = f.get(&grafana).await;
    let inactive = list[0]["id"].as_str().unwrap().to_string();
    let (status, _) = f
        .call(Method::DELETE, &format!("{grafana}/{inactive}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mine = "my-own-secret-value-1234567890";
    let (status, s) = f
        .post(
            &grafana,
            json!({"client_secret": mine, "status": "INACTIVE"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["client_secret"], mine);
    assert_eq!(s["status"], "INACTIVE");
    assert_eq!(s["secret_hash"], expected_hash(mine));
    assert_secret_shape(&s, &f.url(""), DEMO_APP_TWO_SECRETS);
}

#[tokio::test]
async fn create_rejects_what_okta_rejects() {
    let f = Fixture::start(SandboxConfig {
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await;
    let basic = f.secrets(DEMO_APP_ONE_SECRET);
    let cases = [
        (json!({"client_secret": "a".repeat(13)}), "at least '14'"),
        (json!({"client_secret": "a".repeat(101)}), "more than '100'"),
        (
            json!({"client_secret": "abcdefghijklmnop\u{e9}"}),
            "printable ASCII",
        ),
        (
            json!({"client_secret": "abcdefghijklmnop\n"}),
            "printable ASCII",
        ),
        (json!({"status": "SUSPENDED"}), "status"),
    ];
    for (body, expect) in cases {
        let (status, e) = f.post(&basic, body.clone()).await;
        assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
        assert!(cause(&e).contains(expect), "{body}: {e}");
    }
    // Boundaries that pass: 14 and 100 characters (one at a time: two-secret limit).
    let (status, s) = f
        .post(&basic, json!({"client_secret": "b".repeat(14)}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let jwt = f.secrets(DEMO_APP_JWT);
    let (status, e) = f.post(&jwt, json!({"client_secret": "c".repeat(31)})).await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
    assert!(cause(&e).contains("client_secret_jwt"), "{e}");
    let (status, s) = f
        .post(&jwt, json!({"client_secret": "c".repeat(100)}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    for body in [json!({"client_secret": "d".repeat(40)}), json!({})] {
        let (status, e) = f.post(&f.secrets(DEMO_APP_PRIVATE_KEY_JWT), body).await;
        assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
        assert!(cause(&e).contains("private_key_jwt"), "{e}");
    }
    let (status, e) = f.post(&f.secrets(DEMO_APP_SAML), json!({})).await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
    // Malformed JSON and wrongly typed fields: E0000003.
    for body in [
        "{\"client_secret\": ",
        "[]",
        "{\"client_secret\": 12345678901234567}",
    ] {
        let resp = f
            .http
            .post(f.secrets(DEMO_APP_INACTIVE))
            .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let e: Value = resp.json().await.unwrap();
        assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000003");
    }
}

#[tokio::test]
async fn lifecycle_rules_activate_deactivate_delete() {
    let f = Fixture::demo().await;
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    let (_, list) = f.get(&url).await;
    let first = list[0]["id"].as_str().unwrap().to_string();
    // The only active secret can be neither deactivated nor deleted.
    let (status, e) = f
        .post(&format!("{url}/{first}/lifecycle/deactivate"), json!({}))
        .await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
    assert!(cause(&e).contains("only active client secret"), "{e}");
    let (status, e) = f
        .call(Method::DELETE, &format!("{url}/{first}"), None)
        .await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
    assert!(cause(&e).contains("can't delete an active"), "{e}");
    // With a second active secret, the first can be deactivated, then deleted.
    let (_, second) = f.post(&url, json!({})).await;
    let (status, s) = f
        .post(&format!("{url}/{first}/lifecycle/deactivate"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["status"], "INACTIVE");
    assert_secret_shape(&s, &f.url(""), DEMO_APP_ONE_SECRET);
    // Now the second is the only active one.
    let second = second["id"].as_str().unwrap();
    let (status, e) = f
        .post(&format!("{url}/{second}/lifecycle/deactivate"), json!({}))
        .await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
    // Reactivate, deactivate again, delete: 204 with an empty body.
    let (status, s) = f
        .post(&format!("{url}/{first}/lifecycle/activate"), json!({}))
        .await;
    assert_eq!(
        (status, s["status"].as_str()),
        (StatusCode::OK, Some("ACTIVE"))
    );
    let (status, _) = f
        .post(&format!("{url}/{first}/lifecycle/deactivate"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = f.raw(Method::DELETE, &format!("{url}/{first}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty());
    assert!(headers.contains_key("x-okta-request-id"));
    let (status, e) = f.get(&format!("{url}/{first}")).await;
    assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    for path in ["lifecycle/activate", "lifecycle/deactivate"] {
        let (status, e) = f.post(&format!("{url}/{first}/{path}"), json!({})).await;
        assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    }
}

#[tokio::test]
async fn not_found_auth_and_method_errors() {
    let f = Fixture::demo().await;
    let (status, e) = f.get(&f.secrets("0oaDoesNotExist0000")).await;
    assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    let (status, e) = f.get(&f.url("/api/v1/apps/0oaDoesNotExist0000")).await;
    assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    let (status, e) = f.post(&f.secrets("0oaDoesNotExist0000"), json!({})).await;
    assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    let (status, e) = f.get(&f.url("/api/v1/nothing-here")).await;
    assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    // A path without an org says how paths look.
    let (status, e) = f
        .get(&format!("http://{}/api/v1/apps", f.sandbox.addr()))
        .await;
    assert_okta_error(status, &e, StatusCode::NOT_FOUND, "E0000007");
    assert!(cause(&e).contains("/{org}/api/v1"), "{e}");
    // Wrong methods.
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    for (method, u) in [
        (Method::PUT, url.clone()),
        (Method::DELETE, url.clone()),
        (
            Method::GET,
            format!("{url}/ocs00000000000000000/lifecycle/activate"),
        ),
        (Method::POST, f.url("/api/v1/apps")),
    ] {
        let (status, e) = f.call(method.clone(), &u, None).await;
        assert_okta_error(status, &e, StatusCode::METHOD_NOT_ALLOWED, "E0000022");
    }
    // Auth: missing, wrong, and the accepted forms.
    let client = &f.http;
    let resp = client.get(&url).send().await.unwrap();
    let status = resp.status();
    assert!(resp.headers().contains_key("x-rate-limit-remaining"));
    let e: Value = resp.json().await.unwrap();
    assert_okta_error(status, &e, StatusCode::UNAUTHORIZED, "E0000011");
    for (value, ok) in [
        ("SSWS wrong-token", false),
        ("Basic c2FuZGJveA==", false),
        (&*format!("SSWS {DEFAULT_TOKEN}"), true),
        (&*format!("SSWS{DEFAULT_TOKEN}"), true),
        (&*format!("Bearer {DEFAULT_TOKEN}"), true),
    ] {
        let resp = client
            .get(&url)
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().is_success(), ok, "{value}");
        if !ok {
            let status = resp.status();
            let e: Value = resp.json().await.unwrap();
            assert_okta_error(status, &e, StatusCode::UNAUTHORIZED, "E0000011");
        }
    }
}

// On tokio's paused clock the sandbox's minute window ends only when the test says so.
#[tokio::test(start_paused = true)]
async fn rate_limit_per_org() {
    let f = Fixture::start(SandboxConfig {
        rate_limit: Some(5),
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await;
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let (status, headers, _) = f.raw(Method::GET, &url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-rate-limit-limit"], "5");
        remaining.push(
            headers["x-rate-limit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(remaining, ["4", "3", "2", "1", "0"]);
    let (status, headers, body) = f.raw(Method::GET, &url, None).await;
    let e: Value = serde_json::from_str(&body).unwrap();
    assert_okta_error(status, &e, StatusCode::TOO_MANY_REQUESTS, "E0000047");
    assert!(headers.contains_key("date"));
    assert_eq!(headers["x-rate-limit-remaining"], "0");
    let reset: u64 = headers["x-rate-limit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(reset % 60, 0, "windows are whole minutes");
    // A minute later the budget is back.
    tokio::time::advance(std::time::Duration::from_secs(60)).await;
    let (status, headers, _) = f.raw(Method::GET, &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-rate-limit-remaining"], "4");
    // Another org has its own budget.
    let other = format!("http://{}/acme/api/v1/apps", f.sandbox.addr());
    let (status, list) = f.get(&other).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]));
}

/// The System Log events of one type, newest last.
async fn events_of(f: &Fixture, event_type: &str) -> Vec<Value> {
    let filter = format!("eventType eq \"{event_type}\"");
    let url =
        reqwest::Url::parse_with_params(&f.url("/api/v1/logs"), [("filter", filter)]).unwrap();
    let (status, list) = f.get(url.as_str()).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

// Buckets count apart: the apps bucket's limit does not touch the System Log's; headers
// report the bucket of the request; warning and violation events are written once a window.
#[tokio::test(start_paused = true)]
async fn rate_limit_buckets_headers_and_events() {
    let f = Fixture::start(SandboxConfig {
        rate_limit: Some(1000),
        bucket_limits: vec!["apps=10/min".parse().unwrap()],
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await;
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    for i in 1..=10 {
        let (status, headers, _) = f.raw(Method::GET, &url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-rate-limit-limit"], "10");
        assert_eq!(
            headers["x-rate-limit-remaining"],
            (10 - i).to_string().as_str()
        );
    }
    // The 9th request reached 90 %: one warning, no violation yet.
    let warnings = events_of(&f, "system.org.rate_limit.warning").await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0]["debugContext"]["debugData"]["requestUri"],
        "/api/v1/apps*"
    );
    assert_eq!(warnings[0]["debugContext"]["debugData"]["threshold"], "10");
    assert!(events_of(&f, "system.org.rate_limit.violation")
        .await
        .is_empty());
    // The System Log is its own bucket.
    let (_, headers, _) = f.raw(Method::GET, &f.url("/api/v1/logs"), None).await;
    assert_eq!(headers["x-rate-limit-limit"], "1000");
    // Over the apps limit: 429 twice, one violation event.
    for _ in 0..2 {
        let (status, headers, body) = f.raw(Method::GET, &f.url("/api/v1/apps"), None).await;
        let e: Value = serde_json::from_str(&body).unwrap();
        assert_okta_error(status, &e, StatusCode::TOO_MANY_REQUESTS, "E0000047");
        assert_eq!(headers["x-rate-limit-limit"], "10");
        assert_eq!(headers["x-rate-limit-remaining"], "0");
    }
    let violations = events_of(&f, "system.org.rate_limit.violation").await;
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0]["outcome"]["result"], "DENY");
    // The next window: the budget is back, and its own events would be written.
    tokio::time::advance(std::time::Duration::from_secs(60)).await;
    let (status, headers, _) = f.raw(Method::GET, &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-rate-limit-remaining"], "9");
}

// The first request over the org's concurrency limit is refused with the concurrency values
// in the headers (not the bucket's), and Okta's violation event is written once a minute.
// On the real clock: requests must all arrive while the first two are held by the latency.
#[tokio::test]
async fn concurrency_limit_refuses_the_first_request_over_it() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second >= 57 {
        // Not across a minute boundary: the event is written once a minute.
        tokio::time::sleep(std::time::Duration::from_secs(60 - second)).await;
    }
    let f = Fixture::start(SandboxConfig {
        concurrency_limit: Some(2),
        latency: Some(std::time::Duration::from_millis(400)),
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await;
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    let answers = futures::future::join_all((0..5).map(|_| f.raw(Method::GET, &url, None))).await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(refused.len(), 3, "two in flight at once, three refused");
    for (status, headers, body) in &refused {
        let e: Value = serde_json::from_str(body).unwrap();
        assert_okta_error(*status, &e, StatusCode::TOO_MANY_REQUESTS, "E0000047");
        assert_eq!(headers["x-rate-limit-limit"], "2");
        assert_eq!(headers["x-rate-limit-remaining"], "0");
    }
    // Once they are answered, there is room again.
    let (status, headers, _) = f.raw(Method::GET, &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["x-rate-limit-limit"], "1000000",
        "the bucket's values again"
    );
    let events = events_of(&f, "core.concurrency.org.limit.violation").await;
    assert_eq!(events.len(), 1, "one event a minute: {events:?}");
}

#[tokio::test]
async fn concurrent_creates_respect_the_two_secret_rule() {
    let f = Fixture::demo().await;
    let url = f.secrets(DEMO_APP_ONE_SECRET);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = f.http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(&url)
                .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::BAD_REQUEST => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, refused), (1, 49));
    let (_, list) = f.get(&url).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn apps_list_pages_filters_and_get() {
    let f = Fixture::demo().await;
    // Default page: 20, with a next link.
    let (status, headers, body) = f.raw(Method::GET, &f.url("/api/v1/apps"), None).await;
    assert_eq!(status, StatusCode::OK);
    let first: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(first.len(), 20);
    assert_eq!(first[0]["id"], DEMO_APP_ONE_SECRET);
    let next = |h: &reqwest::header::HeaderMap| {
        h.get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.ends_with("rel=\"next\""))
            .map(|v| v[1..v.find('>').unwrap()].to_string())
    };
    assert!(next(&headers).is_some());
    // Walk every page at the maximum size (limit above 200 is capped).
    let mut url = Some(f.url("/api/v1/apps?limit=500"));
    let mut ids = HashSet::new();
    let mut pages = 0;
    while let Some(u) = url {
        let (status, headers, body) = f.raw(Method::GET, &u, None).await;
        assert_eq!(status, StatusCode::OK);
        let page: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert!(page.len() <= 200);
        for app in &page {
            assert!(ids.insert(app["id"].as_str().unwrap().to_string()));
        }
        pages += 1;
        url = next(&headers);
    }
    assert_eq!((ids.len(), pages), (260, 2));
    // App objects.
    let (status, app) = f.get(&f.url(&format!("/api/v1/apps/{DEMO_APP_JWT}"))).await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "id",
        "name",
        "label",
        "status",
        "signOnMode",
        "created",
        "lastUpdated",
    ] {
        assert!(app[field].is_string(), "{field}: {app}");
    }
    assert_eq!(app["signOnMode"], "OPENID_CONNECT");
    assert_eq!(app["credentials"]["oauthClient"]["client_id"], DEMO_APP_JWT);
    assert_eq!(
        app["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "client_secret_jwt"
    );
    let (_, saml) = f
        .get(&f.url(&format!("/api/v1/apps/{DEMO_APP_SAML}")))
        .await;
    assert_eq!(saml["signOnMode"], "SAML_2_0");
    assert!(saml["credentials"].get("oauthClient").is_none());
    // q: name or label prefix, case-insensitive.
    let (_, found) = f.get(&f.url("/api/v1/apps?q=grafana&limit=200")).await;
    let found = found.as_array().unwrap();
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|a| a["label"].as_str().unwrap().starts_with("Grafana")));
    // filter on status, following pages.
    let mut url = Some(f.url("/api/v1/apps?filter=status%20eq%20%22INACTIVE%22&limit=5"));
    let mut inactive = 0;
    while let Some(u) = url {
        let (_, headers, body) = f.raw(Method::GET, &u, None).await;
        let page: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert!(page.iter().all(|a| a["status"] == "INACTIVE"));
        inactive += page.len();
        url = next(&headers);
    }
    assert!(inactive > 5 && inactive < 60, "{inactive}");
    let (status, e) = f
        .get(&f.url("/api/v1/apps?filter=label%20sw%20%22x%22"))
        .await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000031");
    let (status, e) = f.get(&f.url("/api/v1/apps?limit=abc")).await;
    assert_okta_error(status, &e, StatusCode::BAD_REQUEST, "E0000001");
}

#[tokio::test]
async fn empty_seed_and_other_orgs_are_empty() {
    let f = Fixture::start(SandboxConfig {
        seed: Seed::Empty,
        ..SandboxConfig::default()
    })
    .await;
    let (status, list) = f.get(&f.url("/api/v1/apps")).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    assert!(f.sandbox.url_template().ends_with("/{subdomain}"));
    assert!(f
        .sandbox
        .url_template()
        .starts_with(&format!("http://127.0.0.1:{}", f.sandbox.addr().port())));
}

#[tokio::test]
async fn state_file_survives_restart_and_corrupt_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox-state.json");
    let config = SandboxConfig {
        state_file: Some(path.clone()),
        demo_apps: 30,
        ..SandboxConfig::default()
    };
    let f = Fixture::start(config.clone()).await;
    assert!(path.exists(), "the seed is written at start");
    let (status, s) = f.post(&f.secrets(DEMO_APP_ONE_SECRET), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, grafana) = f.get(&f.secrets(DEMO_APP_TWO_SECRETS)).await;
    let old = grafana[0]["id"].as_str().unwrap().to_string();
    let (status, _) = f
        .call(
            Method::DELETE,
            &format!("{}/{old}", f.secrets(DEMO_APP_TWO_SECRETS)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    f.sandbox.shutdown().await;

    let f = Fixture::start(config.clone()).await;
    let (_, list) = f.get(&f.secrets(DEMO_APP_ONE_SECRET)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    for field in [
        "id",
        "status",
        "client_secret",
        "secret_hash",
        "created",
        "lastUpdated",
    ] {
        assert_eq!(list[1][field], s[field], "{field}");
    }
    let (_, grafana) = f.get(&f.secrets(DEMO_APP_TWO_SECRETS)).await;
    assert_eq!(grafana.as_array().unwrap().len(), 1);
    f.sandbox.shutdown().await;

    // A corrupt file is refused, named, and left as it was.
    std::fs::write(
        &path,
        b"{\"format\":\"oktaql-sandbox-state\",\"version\":1,\"orgs\":[",
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Sandbox::start(config).await.unwrap_err();
    assert!(matches!(err, SandboxError::CorruptState { .. }), "{err}");
    assert!(err.to_string().contains("sandbox-state.json"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn bind_failure_is_a_typed_error() {
    let f = Fixture::demo().await;
    let err = Sandbox::start(SandboxConfig {
        listen: f.sandbox.addr(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, SandboxError::Bind { .. }), "{err}");
    assert!(err.to_string().contains("--listen"));
}

#[tokio::test]
async fn latency_delays_each_request() {
    let f = Fixture::start(SandboxConfig {
        latency: Some(std::time::Duration::from_millis(150)),
        demo_apps: 6,
        ..SandboxConfig::default()
    })
    .await;
    let start = std::time::Instant::now();
    let (status, _) = f.get(&f.secrets(DEMO_APP_ONE_SECRET)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(start.elapsed() >= std::time::Duration::from_millis(150));
}
