//! Loopback servers and helpers shared by the execute-stage tests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response};
use axum::Router;
use oktaql::exec::{Client, ClientConfig, MemoryDiagnostics};
use oktaql::plan::HttpRequest;
use oktaql::provider::ResponseShape;
use serde_json::Value;

pub const TOKEN: &str = "00tok-SECRET-token-value";

/// What a test server saw.
#[derive(Default)]
pub struct Seen {
    /// Requests received.
    pub hits: AtomicUsize,
    /// The `Authorization` header of each request.
    pub auth: Mutex<Vec<Option<String>>>,
    /// Bodies a handler chose to keep.
    pub bodies: Mutex<Vec<String>>,
    /// `http://127.0.0.1:<port>` of the server.
    pub base: Mutex<String>,
}

impl Seen {
    pub fn record(&self, headers: &HeaderMap) -> usize {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.auth.lock().unwrap().push(auth);
        self.hits.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
    pub fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }
}

pub type S = State<Arc<Seen>>;

/// Serves `router` on 127.0.0.1 and returns its address and what it saw.
pub async fn serve(router: Router<Arc<Seen>>) -> (SocketAddr, Arc<Seen>) {
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

pub fn client(f: impl FnOnce(&mut ClientConfig)) -> (Client, Arc<MemoryDiagnostics>) {
    let mut cfg = ClientConfig {
        token: Some(TOKEN.to_string()),
        ..ClientConfig::default()
    };
    f(&mut cfg);
    if cfg.credentials.is_none() {
        // The test servers listen on 127.0.0.1 at ports chosen at start: the token is bound
        // to that host, each port standing for one org.
        if let Some(t) = &cfg.token {
            cfg.credentials = Some(Arc::new(
                oktaql::auth::Credentials::default().with_loose_token(
                    t,
                    "OKTA_API_TOKEN",
                    Some("http://127.0.0.1:{subdomain}".to_string()),
                ),
            ));
        }
    }
    let diag = Arc::new(MemoryDiagnostics::new());
    let c = Client::new(cfg).unwrap().with_diagnostics(diag.clone());
    (c, diag)
}

pub fn req(method: &str, verb: &str, url: String) -> HttpRequest {
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

pub fn json_response(status: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Progress events as text, in order: `start okta.apps.secrets 5`, `done …`, `end …`,
/// `page list_users 1 2`, `listed list_users`, `wait create… 1000ms`.
#[derive(Default)]
pub struct RecordedProgress(pub Mutex<Vec<String>>);

impl RecordedProgress {
    /// The events so far.
    pub fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn push(&self, event: String) {
        self.0.lock().unwrap().push(event);
    }
}

impl oktaql::exec::Progress for RecordedProgress {
    fn fanout_started(&self, label: &str, total: usize) {
        self.push(format!("start {label} {total}"));
    }
    fn fanout_request_done(&self, label: &str) {
        self.push(format!("done {label}"));
    }
    fn fanout_finished(&self, label: &str) {
        self.push(format!("end {label}"));
    }
    fn page(&self, label: &str, pages: usize, rows: usize) {
        self.push(format!("page {label} {pages} {rows}"));
    }
    fn list_finished(&self, label: &str) {
        self.push(format!("listed {label}"));
    }
    fn rate_limit_wait(&self, label: &str, wait: std::time::Duration) {
        self.push(format!("wait {label} {}ms", wait.as_millis()));
    }
}
