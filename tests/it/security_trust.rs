//! Trust, round two, through the `oktaql` binary: a variable is data, a created secret is
//! never lost, secrets are recognised by value, nothing loops or panics on what a server
//! sends.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use crate::common::security::*;
use oktaql::sandbox::DEMO_APP_ONE_SECRET;
use serde_json::json;

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

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn create_returning_secret(app: &str) -> String {
    format!(
        "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) \
         SELECT 'INACTIVE', 'my-org', '{app}' RETURNING id, client_secret"
    )
}

// ── 1. A write's result is never lost ──────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outfile_that_cannot_be_written_is_refused_before_the_write() {
    let sb = sandbox().await;
    let template = sb.url_template();
    let before = secret_count(&template, DEMO_APP_ONE_SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("adir");
    std::fs::create_dir(&target).unwrap();
    let out = run(exec_against(
        &template,
        &[
            "-o",
            "csv",
            "--outfile",
            target.to_str().unwrap(),
            &create_returning_secret(DEMO_APP_ONE_SECRET),
        ],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is a directory"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(
        secret_count(&template, DEMO_APP_ONE_SECRET).await,
        before,
        "no secret was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_failing_after_a_write_is_kept_owner_only_with_status_3() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("result.csv");
    let blocker = target.clone();
    let secret = "Gen3ratedS3cretValue-0123456789abcdefABCDEF";
    // The server creates the secret, and meanwhile something takes the output's place.
    let reply: Reply = Arc::new(move |_, hit: &Hit| {
        if hit.method == "POST" {
            std::fs::create_dir_all(&blocker).unwrap();
        }
        json(
            200,
            json!({"id": "ocsNEW", "status": "INACTIVE", "client_secret": secret,
                   "secret_hash": "h", "created": "2026-01-01T00:00:00.000Z",
                   "lastUpdated": "2026-01-01T00:00:00.000Z"}),
        )
    });
    let (addr, seen) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[
            "-o",
            "csv",
            "--outfile",
            target.to_str().unwrap(),
            &create_returning_secret("0oa1"),
        ],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(seen.count(), 1);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("write(s) applied"), "{err}");
    assert!(err.contains("INSERT INTO okta.apps.secrets"), "{err}");
    assert!(!err.contains(secret), "{err}");
    // The result is in the file the message names, owner-only.
    let kept = err
        .split("kept in ")
        .nth(1)
        .and_then(|r| r.split(" (owner-only)").next())
        .unwrap_or_else(|| panic!("no fallback file named: {err}"));
    let kept = Path::new(kept);
    assert_eq!(mode(kept), 0o600);
    assert!(std::fs::read_to_string(kept).unwrap().contains(secret));
}

// ── 2. A variable is data ──────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_variable_cannot_add_a_statement() {
    let sb = sandbox().await;
    let template = sb.url_template();
    let app = DEMO_APP_ONE_SECRET;
    // An inactive secret the injected DELETE would remove.
    let out = run(exec_against(
        &template,
        &["-o", "json", &create_returning_secret(app)],
    ))
    .await;
    let (stdout, err) = texts(&out);
    assert!(out.status.success(), "{err}");
    let id = serde_json::from_str::<serde_json::Value>(&stdout).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = secret_count(&template, app).await;
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    let hostile = format!(
        "{app}'; DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{app}' \
         AND secretId = '{id}'; SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' \
         AND appId = '{app}' AND '1'='1"
    );
    std::fs::write(&vars, json!({ "app_id": hostile }).to_string()).unwrap();
    let runbook = dir.path().join("runbook.sql");
    std::fs::write(
        &runbook,
        "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{{ app_id }}';\n",
    )
    .unwrap();
    let out = run(exec_against(
        &template,
        &[
            "--vars",
            vars.to_str().unwrap(),
            "-f",
            runbook.to_str().unwrap(),
        ],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(
        secret_count(&template, app).await,
        before,
        "the injected DELETE ran: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_outside_quotes_must_be_plain_and_nothing_is_sent() {
    let reply: Reply = Arc::new(|_, _| json(200, json!([])));
    let (addr, seen) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[
            "--var",
            "n=1; DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1' AND secretId = 'ocs1'",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1' LIMIT {{ n }}",
        ],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("variable n"), "{err}");
    assert!(!err.contains("DELETE"), "the value is not echoed: {err}");
    assert_eq!(seen.count(), 0, "nothing was sent");
}

// ── 3. Pagination always ends ──────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pagination_cycle_is_stopped_and_named() {
    let reply: Reply = Arc::new(|_, hit: &Hit| {
        let next = if hit.target.contains("after=A") {
            "B"
        } else {
            "A"
        };
        let link =
            format!("</my-org/api/v1/apps/0oa1/credentials/secrets?after={next}>; rel=\"next\"");
        let body = json!([{"id": format!("ocs{}", hit.target.len()), "status": "ACTIVE"}]);
        let mut r = json(200, body);
        r.headers_mut().insert("link", link.parse().unwrap());
        r
    });
    let (addr, seen) = serve(reply).await;
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        run(exec_against(
            &format!("http://{addr}/{{subdomain}}"),
            &["SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'"],
        )),
    )
    .await
    .expect("pagination never ended");
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("already fetched"), "{err}");
    assert!(seen.count() <= 3, "{} requests", seen.count());
}

// ── 4. Secrets by value ────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_json_error_body_is_masked_like_the_trace() {
    let secret = "FormBodyS3cretValue0123456789abcdefXYZ";
    let reply: Reply = Arc::new(move |_, _| {
        answer(
            400,
            &[("content-type", "application/x-www-form-urlencoded".into())],
            &format!("error=invalid&client_secret={secret}&x=1"),
        )
    });
    let (addr, _) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &["SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'"],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(!err.contains(secret), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_received_earlier_is_masked_in_a_later_error() {
    let secret = "ReceivedS3cretValue0123456789abcdefXYZ";
    let reply: Reply = Arc::new(move |n, _| {
        if n == 1 {
            json(200, json!([{"id": "ocs1", "client_secret": secret}]))
        } else {
            answer(500, &[], &format!("internal error near {secret}"))
        }
    });
    let (addr, _) = serve(reply).await;
    let select = "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'";
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[&format!("{select}; {select}")],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("internal error near ****"), "{err}");
    assert!(!err.contains(secret), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_literal_in_a_secret_position_is_not_echoed_in_an_error() {
    let sb = sandbox().await;
    let sql = "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) \
               SELECT CASE WHEN 1 = 1 THEN 'EchoedS3cretValue0123456789abc' END, 'my-org', '0oa1'";
    let out = run(exec_against(&sb.url_template(), &[sql])).await;
    let (_, err) = texts(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("must be a literal"), "{err}");
    assert!(!err.contains("EchoedS3cretValue"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outfile_holding_a_secret_under_any_name_is_owner_only() {
    let sb = sandbox().await;
    let template = sb.url_template();
    let dir = tempfile::tempdir().unwrap();
    let from = format!(
        "FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}'"
    );
    for (i, columns) in [
        "client_secret AS cs",
        "upper(client_secret) AS u",
        "json_group_array(client_secret) AS all_of_them",
    ]
    .iter()
    .enumerate()
    {
        let target = dir.path().join(format!("out{i}.csv"));
        let out = run(exec_against(
            &template,
            &[
                "-o",
                "csv",
                "--outfile",
                target.to_str().unwrap(),
                &format!("SELECT {columns} {from}"),
            ],
        ))
        .await;
        assert!(out.status.success(), "{:?}", texts(&out));
        assert_eq!(mode(&target), 0o600, "{columns}");
    }
    // A file without secrets keeps the usual mode.
    let target = dir.path().join("plain.csv");
    let out = run(exec_against(
        &template,
        &[
            "-o",
            "csv",
            "--outfile",
            target.to_str().unwrap(),
            &format!("SELECT id, status {from}"),
        ],
    ))
    .await;
    assert!(out.status.success(), "{:?}", texts(&out));
    assert_ne!(mode(&target), 0o600);
}

// ── 7. No panics on numbers from the command line or a server ──────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_timeout_is_an_error_not_a_panic() {
    for cmd in ["exec", "shell"] {
        let mut c = oktaql();
        c.arg(cmd)
            .args(["--sandbox", "--timeout", "1e20"])
            .arg("SHOW SERVICES IN okta");
        if cmd == "shell" {
            c = oktaql();
            c.args(["shell", "--sandbox", "--timeout", "1e20"]);
        }
        let out = run(c).await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains("--timeout"), "{err}");
    }
    // orgs and check build a client with the timeout too (with a token, so that they get
    // that far).
    for cmd in ["orgs", "check"] {
        for timeout in ["1e20", "-1"] {
            let mut c = oktaql();
            c.env("OKTA_API_TOKEN", TOKEN)
                .args([cmd, &format!("--timeout={timeout}")]);
            let out = run(c).await;
            let (_, err) = texts(&out);
            assert_eq!(out.status.code(), Some(2), "{cmd} {timeout}: {err}");
            assert!(err.contains("--timeout must be a positive number"), "{err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_beyond_u32_do_not_panic() {
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    for (limit, remaining, reset) in [
        ("99999999999999", "4294967296".to_string(), soon.to_string()),
        ("100", "1".to_string(), "99999999999999999".to_string()),
        ("100", "-5".to_string(), "-99999999999999999".to_string()),
    ] {
        let reply: Reply = Arc::new(move |_, _| {
            answer(
                200,
                &[
                    ("content-type", "application/json".into()),
                    ("x-rate-limit-limit", limit.into()),
                    ("x-rate-limit-remaining", remaining.clone()),
                    ("x-rate-limit-reset", reset.clone()),
                ],
                "[]",
            )
        });
        let (addr, _) = serve(reply).await;
        let out = run(exec_against(
            &format!("http://{addr}/{{subdomain}}"),
            &["SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'"],
        ))
        .await;
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{limit} {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skipped_fan_out_request_is_one_warning() {
    let reply: Reply = Arc::new(|_, hit: &Hit| {
        if hit.target.contains("/0oa2/") {
            json(
                404,
                json!({"errorCode": "E0000007", "errorSummary": "Not found: app"}),
            )
        } else {
            json(200, json!([{"id": "ocs1", "status": "ACTIVE"}]))
        }
    });
    let (addr, _) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &["SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId IN ('0oa1', '0oa2')"],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning: skipped"), "{err}");
    assert!(!err.contains("warning: warning:"), "{err}");
}

// ── 8. Smaller ─────────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_on_a_create_says_the_outcome_is_unknown() {
    let reply: Reply = Arc::new(|_, _| answer(500, &[], "oops"));
    let (addr, _) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[&create_returning_secret("0oa1")],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("check with a SELECT"), "{err}");
    assert!(!err.contains("try again later"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_from_a_server_never_reach_the_terminal() {
    let reply: Reply = Arc::new(|_, _| {
        json(
            400,
            json!({"errorCode": "E0000001", "errorSummary": "bad \u{1b}[2J\u{1b}]0;pwned\u{7} thing"}),
        )
    });
    let (addr, _) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &["SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'"],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_errors_say_what_is_wrong_once() {
    let dir = tempfile::tempdir().unwrap();
    // A token file that is a directory is not a permissions problem.
    let mut c = oktaql();
    c.args(["exec", "--token-file", dir.path().to_str().unwrap()])
        .args(["--server-url", "https://{subdomain}.okta.com"])
        .arg("SHOW SERVICES IN okta");
    let out = run(c).await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is a directory"), "{err}");
    assert!(!err.contains("chmod"), "{err}");
    // A SQL file that is not UTF-8 is not a wrong path.
    let bad = dir.path().join("latin1.sql");
    std::fs::write(&bad, b"SELECT '\xe9t\xe9'").unwrap();
    let mut c = oktaql();
    c.args(["exec", "--sandbox", "-f", bad.to_str().unwrap()]);
    let out = run(c).await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
    assert!(!err.contains("check the path"), "{err}");
    // A missing file: the OS error once.
    let mut c = oktaql();
    c.args(["exec", "--sandbox", "-f", "/nonexistent/x.sql"]);
    let out = run(c).await;
    let (_, err) = texts(&out);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_sighup_remove_temp_files_and_name_the_write_in_flight() {
    use std::time::{Duration, Instant};
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGHUP, 129)] {
        // A create that is never answered.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(200, json!({}))
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut cmd = exec_against(
            &format!("http://{addr}/{{subdomain}}"),
            &[
                "--outfile",
                target.to_str().unwrap(),
                &create_returning_secret("0oa1"),
            ],
        );
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        // SAFETY: sending a signal to the child this test started.
        unsafe {
            libc::kill(child.id() as libc::pid_t, signal);
        }
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || loop {
            if child.try_wait().unwrap().is_some() {
                return Some(child.wait_with_output().unwrap());
            }
            if started.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        })
        .await
        .unwrap()
        .expect("oktaql kept running after the signal");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{err}");
        assert!(err.contains("a write was in flight"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_answer_is_a_clear_error() {
    let reply: Reply = Arc::new(|_, _| {
        let big = format!("[{{\"id\": \"{}\"}}]", "x".repeat(3 * 1024 * 1024));
        answer(200, &[("content-type", "application/json".into())], &big)
    });
    let (addr, _) = serve(reply).await;
    let out = run(exec_against(
        &format!("http://{addr}/{{subdomain}}"),
        &[
            "--max-body-mb",
            "1",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oa1'",
        ],
    ))
    .await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("larger than 1 MiB"), "{err}");
    assert!(err.contains("--max-body-mb"), "{err}");
}

#[test]
fn pages_and_bodies_are_bounded_by_default() {
    let c = oktaql::exec::ClientConfig::default();
    assert_eq!(c.max_body_bytes, oktaql::exec::DEFAULT_MAX_BODY_BYTES);
    assert_eq!(oktaql::exec::DEFAULT_MAX_PAGES, 10_000);
}
