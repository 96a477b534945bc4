//! The `oktaql` binary run against a sandbox started in the test process, on its own
//! runtime (each test its own sandbox, so state does not leak between tests).

use std::process::Output;

use assert_cmd::Command;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oktaql::sandbox::{Sandbox, SandboxConfig, SandboxError, DEMO_ORG};
use serde_json::{Map, Value};

/// A sandbox on its own runtime, alive as long as this value.
pub struct Org {
    url: String,
    token: String,
    sandbox: Option<Sandbox>,
    rt: tokio::runtime::Runtime,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A sandbox with `config` on its own runtime.
///
/// A restart on the same state file waits up to two seconds for the state lock: in a test
/// process that spawns children from other threads, a child between fork and exec briefly
/// holds a copy of the previous sandbox's lock file (closed at exec).
pub fn org_with(config: SandboxConfig) -> Result<Org, SandboxError> {
    let rt = runtime();
    let mut tries = 0;
    let sandbox = loop {
        match rt.block_on(Sandbox::start(config.clone())) {
            Err(SandboxError::StateInUse { .. }) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other?,
        }
    };
    Ok(Org {
        url: sandbox.url_template(),
        token: sandbox.token().to_string(),
        sandbox: Some(sandbox),
        rt,
    })
}

pub fn org() -> Org {
    org_with(SandboxConfig::default()).expect("sandbox starts")
}

pub type Row = Map<String, Value>;

impl Org {
    /// The binary pointed at this sandbox with its token (no colours).
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_oktaql"));
        c.env("OKTAQL_SERVER_URL", &self.url)
            .env("OKTA_API_TOKEN", &self.token)
            .env("NO_COLOR", "1");
        c
    }

    /// Runs statements with JSON output; returns the output.
    pub fn run(&self, sql: &str) -> Output {
        self.cmd()
            .args(["exec", "-o", "json", sql])
            .output()
            .unwrap()
    }

    /// Runs one statement that must succeed and returns its rows.
    pub fn rows(&self, sql: &str) -> Vec<Row> {
        let out = self.run(sql);
        assert!(
            out.status.success(),
            "{sql}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        v.as_array()
            .expect("an array")
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    /// Runs one statement that must fail with exit 1; returns stderr.
    pub fn fails(&self, sql: &str) -> String {
        let out = self.run(sql);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{sql} should fail: {stderr}");
        stderr
    }

    pub fn keys(&self, app: &str) -> Vec<Row> {
        self.rows(&format!(
            "SELECT id, kid, status, kty, use, e, n, created, lastUpdated, _links FROM okta.apps.jwks \
             WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' ORDER BY created"
        ))
    }

    pub fn stop(mut self) {
        if let Some(s) = self.sandbox.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

/// A base64url RSA modulus of `bytes` bytes (the sandbox checks the size, as Okta does).
pub fn modulus(bytes: usize, fill: u8) -> String {
    let mut n = vec![fill; bytes];
    n[0] = 0xc3;
    URL_SAFE_NO_PAD.encode(n)
}

pub fn add_key_sql(app: &str, kid: &str, status: &str, n: &str) -> String {
    format!(
        "INSERT INTO okta.apps.jwks (data__kid, data__kty, data__alg, data__use, data__e, data__n, \
         data__status, subdomain, appId) SELECT '{kid}', 'RSA', 'RS256', 'sig', 'AQAB', '{n}', \
         '{status}', '{DEMO_ORG}', '{app}' RETURNING id, kid, status"
    )
}
