//! Pipelined reads: consecutive SELECTs of a runbook run concurrently (up to the client's
//! concurrency), their output in statement order; a write is a barrier; a failure names the
//! same statement and line as when run one by one. Against the sandbox, on tokio's paused
//! clock where time is measured.

use std::time::Duration;

use oktaql::provider::Registry;
use oktaql::render::OutputFormat;
use oktaql::runner::{run_scripts, RunOptions, Script};
use oktaql::sandbox::{
    Sandbox, SandboxConfig, DEMO_APP_INACTIVE, DEMO_APP_JWT, DEMO_APP_ONE_SECRET,
    DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use oktaql::{Engine, EngineConfig};
use serde_json::Value;
use tokio::time::Instant;

async fn env(latency_ms: u64, concurrency: usize) -> (Engine, Sandbox) {
    let sandbox = Sandbox::start(SandboxConfig {
        latency: (latency_ms > 0).then(|| Duration::from_millis(latency_ms)),
        demo_apps: 8,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client.token = Some(sandbox.token().to_string());
    config.client.concurrency = concurrency;
    (Engine::new(config).unwrap(), sandbox)
}

/// Runs a runbook: (JSON lines of the output, diagnostics, statements failed).
async fn run(engine: &Engine, sql: &str) -> (Vec<Value>, String, usize) {
    let script = Script {
        name: "runbook.sql".into(),
        text: sql.to_string(),
    };
    let options = RunOptions {
        format: OutputFormat::Jsonl,
        ..RunOptions::default()
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let report = run_scripts(engine, &[script], &options, &mut out, &mut diag)
        .await
        .unwrap();
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, String::from_utf8(diag).unwrap(), report.failed)
}

fn secrets_of(app: &str) -> String {
    format!("SELECT appId, id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}';\n")
}

const APPS: [(&str, usize); 4] = [
    (DEMO_APP_ONE_SECRET, 1),
    (DEMO_APP_TWO_SECRETS, 2),
    (DEMO_APP_JWT, 1),
    (DEMO_APP_INACTIVE, 1),
];

/// 40 SELECTs at 50 ms each: 40 / c × 50 ms, output in statement order.
#[tokio::test(start_paused = true)]
async fn independent_selects_run_concurrently_in_order() {
    let runbook: String = (0..40).map(|i| secrets_of(APPS[i % 4].0)).collect();
    let want: Vec<&str> = (0..40)
        .flat_map(|i| std::iter::repeat_n(APPS[i % 4].0, APPS[i % 4].1))
        .collect();
    for (c, ideal) in [(1, 2000), (8, 250)] {
        let (engine, _sandbox) = env(50, c).await;
        let started = Instant::now();
        let (rows, diag, failed) = run(&engine, &runbook).await;
        let took = started.elapsed();
        assert_eq!(failed, 0, "{diag}");
        let order: Vec<&str> = rows.iter().map(|r| r["appId"].as_str().unwrap()).collect();
        assert_eq!(order, want, "output in statement order");
        assert!(
            took >= Duration::from_millis(ideal) && took <= Duration::from_millis(ideal * 11 / 10),
            "concurrency {c}: took {took:?}, ideal {ideal} ms"
        );
    }
}

/// A write is a barrier: the reads before it see the state before, the read after it sees
/// the change (it did not start early).
#[tokio::test]
async fn a_write_is_a_barrier() {
    let (engine, _sandbox) = env(0, 8).await;
    let runbook = format!(
        "{}{}INSERT INTO okta.apps.secrets (subdomain, appId) SELECT '{DEMO_ORG}', '{DEMO_APP_ONE_SECRET}';\n{}",
        secrets_of(DEMO_APP_ONE_SECRET),
        secrets_of(DEMO_APP_ONE_SECRET),
        secrets_of(DEMO_APP_ONE_SECRET),
    );
    let (rows, diag, failed) = run(&engine, &runbook).await;
    assert_eq!(failed, 0, "{diag}");
    // 1 + 1 rows before the insert, 2 after.
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[2]["id"], rows[0]["id"]);
    assert_ne!(rows[3]["id"], rows[0]["id"]);
}

/// A failing read among pipelined ones is reported with its own line, and the run stops
/// there as it did one by one.
#[tokio::test]
async fn a_failure_names_its_statement_and_line() {
    let (engine, _sandbox) = env(0, 8).await;
    let runbook = format!(
        "{}{}{}{}",
        secrets_of(DEMO_APP_ONE_SECRET),
        secrets_of(DEMO_APP_TWO_SECRETS),
        secrets_of("0oaNoSuchApp000000000"),
        secrets_of(DEMO_APP_JWT),
    );
    let (rows, diag, failed) = run(&engine, &runbook).await;
    assert_eq!(failed, 1, "{diag}");
    assert_eq!(rows.len(), 3, "the two statements before it: {rows:?}");
    assert!(diag.contains("runbook.sql:3"), "{diag}");
    assert!(
        diag.contains("stopped: 2 of 4 statements completed"),
        "{diag}"
    );
}

/// A read that fails while a later read is still in flight: the later read's answer carries a
/// secret that the failure's message repeats. Run one by one, the secret would be known only
/// after the error was printed; pipelined, the error waits for the reads already in flight,
/// so whatever they received is masked in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_is_masked_with_secrets_that_reads_in_flight_received() {
    use axum::extract::Path;
    use axum::routing::get;
    use axum::Router;

    const SECRET: &str = "InFlightS3cretValue0123456789abcdefXYZ";
    let router = Router::new().route(
        "/{org}/api/v1/apps/{app}/credentials/secrets",
        get(|Path((_org, app)): Path<(String, String)>| async move {
            if app == "0oaFAIL" {
                crate::common::exec::json(
                    400,
                    serde_json::json!({"errorCode": "E0000001", "errorSummary": format!("Api validation failed near {SECRET}")}),
                )
            } else {
                // Answers after the failure has been read.
                tokio::time::sleep(Duration::from_millis(300)).await;
                crate::common::exec::json(
                    200,
                    serde_json::json!([{"id": "ocs1", "status": "ACTIVE", "client_secret": SECRET}]),
                )
            }
        }),
    );
    let (addr, _seen) = crate::common::exec::serve_router(router).await;
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(format!("http://{addr}/{{subdomain}}"));
    config.client.token = Some("test-token".into());
    config.client.concurrency = 4;
    let engine = Engine::new(config).unwrap();
    let sql = "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaFAIL';\n\
               SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaSLOW';\n";
    let (_rows, diag, failed) = run(&engine, sql).await;
    assert_eq!(failed, 1, "{diag}");
    assert!(diag.contains("runbook.sql:1:"), "{diag}");
    assert!(diag.contains("validation failed near ****"), "{diag}");
    assert!(!diag.contains(SECRET), "{diag}");

    // Going on after the failure: the read that finished while the error waited is printed
    // once, in its place.
    let script = Script {
        name: "runbook.sql".into(),
        text: format!("{sql}{sql}"),
    };
    let options = RunOptions {
        format: OutputFormat::Jsonl,
        continue_on_error: true,
        ..RunOptions::default()
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let report = run_scripts(&engine, &[script], &options, &mut out, &mut diag)
        .await
        .unwrap();
    let (out, diag) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(diag).unwrap(),
    );
    assert_eq!((report.failed, report.succeeded), (2, 2), "{diag}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [r#"{"id":"ocs1"}"#; 2],
        "{out}"
    );
    assert!(!diag.contains(SECRET), "{diag}");
    assert!(diag.contains("runbook.sql:3:"), "{diag}");
}
