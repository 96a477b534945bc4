//! Helpers of the security tests: running the `oktaql` binary, and small loopback servers
//! that record every request they receive (method, raw path, `Authorization`).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, Uri};
use axum::Router;
use oktaql::sandbox::{Sandbox, SandboxConfig};

/// The token the tests hand to oktaql; it must never appear in a trace or an error.
pub const TOKEN: &str = "00SEC-test-token-9f8e7d6c5b4a";

/// One request a test server received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// HTTP method.
    pub method: String,
    /// Path and query exactly as sent on the wire.
    pub target: String,
    /// The `Authorization` header, if any.
    pub auth: Option<String>,
    /// The request body.
    pub body: String,
}

/// What a test server saw.
#[derive(Debug, Default)]
pub struct Seen {
    hits: Mutex<Vec<Hit>>,
}

impl Seen {
    /// Records one request; returns how many there were, this one included.
    pub fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> usize {
        let mut hits = self.hits.lock().unwrap();
        hits.push(Hit {
            method: method.to_string(),
            target: uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            auth: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: String::from_utf8_lossy(body).into_owned(),
        });
        hits.len()
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// How many requests so far.
    pub fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

/// A handler's answer to the n-th request (1-based) it sees.
pub type Reply = Arc<dyn Fn(usize, &Hit) -> Response<Body> + Send + Sync>;

/// Serves `reply` for every path on 127.0.0.1 and records each request.
pub async fn serve(reply: Reply) -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = (seen.clone(), reply);
    let app = Router::new()
        .fallback(
            |State((seen, reply)): State<(Arc<Seen>, Reply)>,
             method: Method,
             uri: Uri,
             headers: HeaderMap,
             body: Bytes| async move {
                let n = seen.record(&method, &uri, &headers, &body);
                let hit = seen.hits()[n - 1].clone();
                reply(n, &hit)
            },
        )
        .with_state(state);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, seen)
}

/// A JSON answer.
pub fn json(status: u16, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// An answer with the given status, headers and body.
pub fn answer(status: u16, headers: &[(&str, String)], body: &str) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// A sandbox accepting [`TOKEN`].
pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        token: TOKEN.to_string(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// The binary with a clean environment: no token, no server URL, no colours.
/// `OKTAQL_TEST_BIN` runs the tests against another build of the binary (an earlier one, to
/// see a regression test fail).
pub fn oktaql() -> Command {
    let bin =
        std::env::var_os("OKTAQL_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_oktaql").into());
    let mut c = Command::new(bin);
    c.env_remove("OKTA_API_TOKEN")
        .env_remove("OKTAQL_SERVER_URL")
        .env("NO_COLOR", "1");
    c
}

/// Runs a command off the async runtime (the test's servers keep serving meanwhile).
pub async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// `oktaql exec --server-url <template> <args…>` with the token in `OKTA_API_TOKEN`.
pub fn exec_against(template: &str, args: &[&str]) -> Command {
    let mut c = oktaql();
    c.env("OKTA_API_TOKEN", TOKEN)
        .arg("exec")
        .arg("--server-url")
        .arg(template)
        .args(args);
    c
}

/// Standard output and error as text.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `text` to `path` with the given Unix mode.
pub fn write_with_mode(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
