//! Shared by the tests that read StackQL-layout registries: where the reference registry is
//! (and a visible notice when it is not checked out), the repository's own fixture, and a
//! loopback server that answers each path with pages the test chose.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, Uri};
use axum::Router;
use serde_json::Value;

/// The reference registry when it is checked out beside the repository (`../shared`, as in
/// CI); otherwise `None`, after a notice on the test's stderr that says what was skipped.
pub fn reference_registry(what: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/stackql-registry");
    if root.join("okta").is_dir() {
        return Some(root);
    }
    skipped(what);
    None
}

/// The notice for a check that needs the reference registry (see [`super::skipped`]).
pub fn skipped(what: &str) {
    super::skipped(&format!(
        "reference data absent (../shared/reference/stackql-registry is not checked out): {what}"
    ));
}

/// The repository's own small registry in StackQL's layout.
pub fn fixture_registry() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stackql-layout")
}

/// What the canned server answers and what it was asked.
#[derive(Default)]
pub struct Canned {
    /// Pages per path (without the leading `/<subdomain>`); page `n` is asked for with
    /// `after=p<n>` and links to the next one while there is one.
    pub routes: Mutex<HashMap<String, Vec<Value>>>,
    /// Every request: path and query as received.
    pub log: Mutex<Vec<String>>,
    /// `http://127.0.0.1:<port>`.
    pub base: Mutex<String>,
}

impl Canned {
    /// Answers `path` (e.g. `/api/v1/users/00u1/groups`) with `pages`.
    pub fn route(&self, path: &str, pages: Vec<Value>) {
        self.routes.lock().unwrap().insert(path.to_string(), pages);
    }
    /// Forgets the routes and the log.
    pub fn reset(&self) {
        self.routes.lock().unwrap().clear();
        self.log.lock().unwrap().clear();
    }
    /// The requests so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
    /// The server URL template for the engine.
    pub fn template(&self) -> String {
        format!("{}/{{subdomain}}", self.base.lock().unwrap())
    }
}

async fn answer(State(canned): State<Arc<Canned>>, uri: Uri) -> Response<Body> {
    let full = uri.path().to_string();
    canned.log.lock().unwrap().push(match uri.query() {
        Some(q) => format!("{full}?{q}"),
        None => full.clone(),
    });
    // The first segment is the subdomain of the server template.
    let (subdomain, path) = match full[1..].split_once('/') {
        Some((s, rest)) => (s.to_string(), format!("/{rest}")),
        None => (String::new(), full.clone()),
    };
    let page: usize = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("after=p"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let routes = canned.routes.lock().unwrap();
    let Some(pages) = routes.get(&path) else {
        return Response::builder()
            .status(404)
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"errorCode":"E0000007","errorSummary":"Not found: no canned answer"}"#,
            ))
            .unwrap();
    };
    let Some(body) = pages.get(page) else {
        return Response::builder().status(204).body(Body::empty()).unwrap();
    };
    let mut builder = Response::builder()
        .status(200)
        .header("content-type", "application/json");
    if page + 1 < pages.len() {
        let base = canned.base.lock().unwrap().clone();
        builder = builder.header(
            "link",
            format!(
                "<{base}/{subdomain}{path}?after=p{}>; rel=\"next\"",
                page + 1
            ),
        );
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// Starts the canned server on 127.0.0.1 (on the current runtime).
pub async fn canned_server() -> Arc<Canned> {
    let canned = Arc::new(Canned::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    *canned.base.lock().unwrap() = format!("http://{addr}");
    let app = Router::new().fallback(answer).with_state(canned.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    canned
}
