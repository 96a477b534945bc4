//! Faults and lost work, through the `oktaql` binary: timeouts, Ctrl-C, rate limits,
//! retries only where they are safe, non-JSON error pages, the report of a runbook that
//! stops halfway, and `--outfile` never left half-written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::security::*;
use axum::Router;
use oktaql::exec::MemoryDiagnostics;
use oktaql::provider::Registry;
use oktaql::sandbox::{DEMO_APP_JWT, DEMO_APP_ONE_SECRET};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig};
use serde_json::json;

const SELECT: &str =
    "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'";
const INSERT: &str = "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'my-org', '0oa1'";

fn epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

const BAD_GATEWAY_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream unreachable</p></body></html>";

/// A server that takes 30 s to answer anything.
async fn slow_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        json(200, json!([]))
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_ends_a_request_with_a_clear_message() {
    let addr = slow_server().await;
    let template = format!("http://{addr}/{{subdomain}}");
    for (sql, unknown) in [(SELECT, false), (INSERT, true)] {
        let started = Instant::now();
        let out = run(exec_against(&template, &["--timeout", "0.5", sql])).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
        assert!(err.contains("within 500 ms"), "{err}");
        assert!(err.contains("--timeout"), "{err}");
        assert_eq!(err.contains("outcome is unknown"), unknown, "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_request_in_flight() {
    let addr = slow_server().await;
    let mut cmd = exec_against(&format!("http://{addr}/{{subdomain}}"), &[SELECT]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let started = Instant::now();
    // SAFETY: sending a signal to the child this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = tokio::task::spawn_blocking(move || loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    })
    .await
    .unwrap()
    .expect("oktaql kept waiting after Ctrl-C");
    assert!(!status.success());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_create_waits_for_the_reset_and_is_retried() {
    let reply: Reply = Arc::new(|n, _| {
        if n == 1 {
            answer(
                429,
                &[
                    ("x-rate-limit-limit", "100".into()),
                    ("x-rate-limit-remaining", "0".into()),
                    ("x-rate-limit-reset", (epoch() + 1).to_string()),
                    ("content-type", "application/json".into()),
                ],
                r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}"#,
            )
        } else {
            json(201, json!({"id": "ocs1", "status": "INACTIVE"}))
        }
    });
    let (addr, seen) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[INSERT],
    ))
    .await;
    let (_, err) = texts(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("rate limit reached (429)"), "{err}");
    assert!(err.contains("waiting"), "{err}");
    let hits = seen.hits();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.method == "POST"));

    // A reset beyond the longest allowed wait: give up at once and say so.
    let reply: Reply = Arc::new(|_, _| {
        answer(
            429,
            &[("x-rate-limit-reset", (epoch() + 3600).to_string())],
            "",
        )
    });
    let (addr, seen) = serve(reply).await;
    let started = Instant::now();
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[INSERT],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("longer than the"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(seen.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_is_never_retried_after_a_gateway_error() {
    let reply: Reply = Arc::new(|_, _| {
        answer(
            503,
            &[("content-type", "text/html".into())],
            BAD_GATEWAY_PAGE,
        )
    });
    let (addr, seen) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[INSERT],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not retried"), "{err}");
    assert!(err.contains("outcome is unknown"), "{err}");
    assert!(err.contains("check with a SELECT"), "{err}");
    assert_eq!(seen.count(), 1, "the POST was sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_is_retried_after_a_gateway_error() {
    let reply: Reply = Arc::new(|n, _| {
        if n == 1 {
            answer(
                502,
                &[("content-type", "text/html".into())],
                BAD_GATEWAY_PAGE,
            )
        } else {
            json(200, json!([{"id": "ocs1"}]))
        }
    });
    let (addr, seen) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[SELECT],
    ))
    .await;
    let (stdout, err) = texts(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout.contains("ocs1"), "{stdout}");
    assert!(err.contains("retrying"), "{err}");
    assert_eq!(seen.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_error_page_is_reported_with_status_and_excerpt() {
    let reply: Reply = Arc::new(|_, _| {
        answer(
            502,
            &[("content-type", "text/html".into())],
            BAD_GATEWAY_PAGE,
        )
    });
    let (addr, seen) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[SELECT],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("HTTP 502"), "{err}");
    assert!(err.contains("upstream unreachable"), "{err}");
    assert!(!err.contains("<html>"), "tags are stripped: {err}");
    assert!(
        !err.to_lowercase().contains("json"),
        "not a parse error: {err}"
    );
    assert_eq!(seen.count(), 4, "one try and three retries");
}

/// The `Date` of the rate-limited answers below, and the same moment in epoch seconds.
const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
const DATE_EPOCH: u64 = 784111777;

// Through the engine in-process, on tokio's paused clock: the waits are exact and take no
// real time.
#[tokio::test(start_paused = true)]
async fn a_fan_out_slows_down_when_the_rate_limit_runs_low() {
    // The window has 3 requests left: each answer counts one off.
    let reply: Reply = Arc::new(|n, _| {
        answer(
            200,
            &[
                ("content-type", "application/json".into()),
                ("date", DATE.into()),
                ("x-rate-limit-limit", "100".into()),
                (
                    "x-rate-limit-remaining",
                    3usize.saturating_sub(n).to_string(),
                ),
                ("x-rate-limit-reset", (DATE_EPOCH + 2).to_string()),
            ],
            "[]",
        )
    });
    let (addr, seen) = serve(reply).await;
    let diagnostics = Arc::new(MemoryDiagnostics::new());
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(format!("http://{addr}/{{subdomain}}"));
    config.client.token = Some("00tok-paced".into());
    config.client.concurrency = 1;
    config.diagnostics = diagnostics.clone();
    let engine = Engine::new(config).unwrap();
    let sql = "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId IN ('a1', 'a2', 'a3', 'a4')";
    let started = tokio::time::Instant::now();
    engine.run(&Source::new(sql)).await.unwrap();
    // The first answer leaves 2 requests for the 2 s to the reset while 3 wait: one slot a
    // second, so the second goes at once, the third a second later, and the fourth waits
    // for the reset.
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(seen.count(), 4);
    let notices: Vec<String> = diagnostics
        .messages()
        .into_iter()
        .filter(|m| m.starts_with("rate limit apps"))
        .collect();
    assert_eq!(notices.len(), 1, "said once: {notices:?}");
    assert!(notices[0].contains("one every 1 s"), "{notices:?}");
}

/// A rotation runbook whose third statement fails (the secret does not exist).
fn runbook() -> String {
    format!(
        "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}';\n\
         INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'my-org', '{DEMO_APP_ONE_SECRET}' RETURNING id, client_secret;\n\
         DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}' AND secretId = 'ocsDoesNotExist0001';\n\
         INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'my-org', '{DEMO_APP_JWT}';\n"
    )
}

/// The number of secrets of `app` on the sandbox.
async fn secret_count(template: &str, app: &str) -> usize {
    let sql = format!(
        "SELECT count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{app}'"
    );
    let out = run(exec_against(template, &["-o", "json", &sql])).await;
    let (stdout, err) = texts(&out);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    v[0]["n"].as_u64().unwrap() as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_failing_at_statement_3_reports_what_completed() {
    let sb = sandbox().await;
    let template = sb.url_template();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rotate.sql");
    std::fs::write(&file, runbook()).unwrap();
    let out = run(exec_against(&template, &["-f", file.to_str().unwrap()])).await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("rotate.sql:3:1"), "{err}");
    assert!(err.contains("ocsDoesNotExist0001"), "{err}");
    assert!(
        err.contains("stopped: 2 of 4 statements completed (completed: line 1, line 2)"),
        "{err}"
    );
    // Statement 2 ran, statement 4 did not.
    assert_eq!(secret_count(&template, DEMO_APP_ONE_SECRET).await, 2);
    assert_eq!(secret_count(&template, DEMO_APP_JWT).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outfile_is_never_left_partial() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox().await;
    let template = sb.url_template();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("rotate.sql");
    std::fs::write(&script, runbook()).unwrap();
    let outfile = dir.path().join("result.json");
    std::fs::write(&outfile, "previous result\n").unwrap();
    let outfile_arg = outfile.to_str().unwrap().to_string();

    // Statement 3 fails after statement 2 printed a row: the old file stays as it was.
    let out = run(exec_against(
        &template,
        &[
            "-o",
            "json",
            "--outfile",
            &outfile_arg,
            "-f",
            script.to_str().unwrap(),
        ],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("was not written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&outfile).unwrap(),
        "previous result\n"
    );
    // Statement 2 created a secret before the failure: its output is kept, owner-only, in
    // the file the message names, and nothing else is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("rotate.sql") && !p.ends_with("result.json"))
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    assert!(
        err.contains(&format!("kept in {}", leftovers[0].display())),
        "{err}"
    );
    assert!(err.contains("1 write(s) applied"), "{err}");
    let kept_mode = std::fs::metadata(&leftovers[0])
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(kept_mode, 0o600, "{kept_mode:o}");
    assert!(std::fs::read_to_string(&leftovers[0])
        .unwrap()
        .contains("client_secret"));
    std::fs::remove_file(&leftovers[0]).unwrap();

    // Success replaces it whole; a file holding client secrets is owner-only.
    let sql = format!(
        "SELECT id, client_secret FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_JWT}'"
    );
    let out = run(exec_against(
        &template,
        &["-o", "json", "--outfile", &outfile_arg, &sql],
    ))
    .await;
    assert!(out.status.success(), "{:?}", texts(&out));
    let text = std::fs::read_to_string(&outfile).unwrap();
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let mode = std::fs::metadata(&outfile).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}
