//! Helpers of the execute-stage tests: a client with a token bound to the loopback servers of
//! [`super::server`], requests, and recorded progress events.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use oktaql::exec::{Client, ClientConfig, MemoryDiagnostics};
use oktaql::plan::HttpRequest;
use oktaql::provider::ResponseShape;

pub use super::server::{json, serve_router, Nth, S};

pub const TOKEN: &str = "00tok-SECRET-token-value";

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
