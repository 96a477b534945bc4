//! The loopback server every test that stands in for Okta (or for a proxy in front of it)
//! uses: it records each request it receives, whatever the route and before the route's
//! handler runs, so a count or a header seen is never left to a handler to remember.
//!
//! Two ways to answer: [`serve_router`] with a test's own routes (a handler may take
//! [`Nth`], the request's 1-based number, and [`S`], what the server saw so far), and
//! [`serve`] with one [`Reply`] for every path.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{Method, Response};
use axum::middleware::{self, Next};
use axum::Router;

/// The largest request body kept (the tests send a few kilobytes at most).
const MAX_BODY: usize = 1 << 20;

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
    base: OnceLock<String>,
}

impl Seen {
    /// Records one request; returns how many there were, this one included.
    fn record(&self, method: &Method, request: &Request, body: &[u8]) -> usize {
        let mut hits = self.hits.lock().unwrap();
        hits.push(Hit {
            method: method.to_string(),
            target: request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            auth: request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: String::from_utf8_lossy(body).into_owned(),
        });
        hits.len()
    }

    /// Every request so far, in the order received.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// How many requests so far.
    pub fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }

    /// The `Authorization` header of each request so far.
    pub fn auth(&self) -> Vec<Option<String>> {
        self.hits().into_iter().map(|h| h.auth).collect()
    }

    /// The body of each request so far.
    pub fn bodies(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.body).collect()
    }

    /// `http://127.0.0.1:<port>` of the server.
    pub fn base(&self) -> String {
        self.base.get().cloned().unwrap_or_default()
    }
}

/// What a route's handler takes to see what the server saw: `State(seen): S`.
pub type S = State<Arc<Seen>>;

/// The 1-based number of the request being answered, among all the server received.
#[derive(Debug, Clone, Copy)]
pub struct Nth(pub usize);

/// A handler's answer to the n-th request (1-based) it sees.
pub type Reply = Arc<dyn Fn(usize, &Hit) -> Response<Body> + Send + Sync>;

/// Records the request, then hands it, its body intact and its number attached, to the route.
async fn recording(State(seen): S, request: Request, next: Next) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .expect("a test request body under 1 MiB");
    let method = parts.method.clone();
    let mut request = Request::from_parts(parts, Body::empty());
    let n = seen.record(&method, &request, &bytes);
    request.extensions_mut().insert(Nth(n));
    *request.body_mut() = Body::from(bytes);
    next.run(request).await
}

/// Serves `router` on 127.0.0.1, recording every request; returns its address and what it
/// saw.
pub async fn serve_router(router: Router<Arc<Seen>>) -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    seen.base.set(format!("http://{addr}")).unwrap();
    let app = router
        .layer(middleware::from_fn_with_state(seen.clone(), recording))
        .with_state(seen.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, seen)
}

/// Serves `reply` for every path on 127.0.0.1, recording every request.
pub async fn serve(reply: Reply) -> (SocketAddr, Arc<Seen>) {
    serve_router(Router::new().fallback(
        move |State(seen): S, Extension(Nth(n)): Extension<Nth>| async move {
            let hit = seen.hits()[n - 1].clone();
            reply(n, &hit)
        },
    ))
    .await
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
