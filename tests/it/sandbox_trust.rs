//! The sandbox keeps its promises under misuse: one sandbox per state file, nothing
//! acknowledged or kept in memory that is not durable, state files held to the API's rules,
//! Okta-shaped errors, honest banners and bounded sizes.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::security::*;
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT};

/// Starts `oktaql sandbox ARGS` with its output piped.
fn spawn_sandbox(args: &[&str]) -> Child {
    oktaql()
        .arg("sandbox")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits up to `limit` for the child to exit; kills it when it does not. Returns the exit
/// code (`None` when it had to be killed) and its stdout and stderr.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String, String) {
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).ok();
    child.stderr.take().unwrap().read_to_string(&mut err).ok();
    (code, out, err)
}

/// Reads the child's stdout until a line containing `needle` (returned) or `limit` passes
/// (`None`), then kills the child: a server never exits by itself, so waiting for it would
/// only spend the whole limit.
fn first_line_with(mut child: Child, needle: &str, limit: Duration) -> Option<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let needle = needle.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(&needle) {
                tx.send(line).ok();
                return;
            }
        }
    });
    let line = rx.recv_timeout(limit).ok();
    child.kill().ok();
    child.wait().unwrap();
    line
}

async fn sandbox_on(state: &Path) -> Sandbox {
    Sandbox::start(SandboxConfig {
        token: TOKEN.to_string(),
        state_file: Some(state.to_path_buf()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn count_sql(app: &str) -> String {
    format!("SELECT count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{app}'")
}

async fn secret_count(template: &str, app: &str) -> u64 {
    let out = run(exec_against(template, &["-o", "json", &count_sql(app)])).await;
    let (stdout, err) = texts(&out);
    assert!(out.status.success(), "{err}");
    serde_json::from_str::<serde_json::Value>(&stdout).unwrap()[0]["n"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sandbox_on_the_same_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let _first = sandbox_on(&state).await;
    let second = spawn_sandbox(&[
        "--listen",
        "127.0.0.1:0",
        "--state",
        state.to_str().unwrap(),
    ]);
    let (code, _, err) =
        tokio::task::spawn_blocking(move || finish(second, Duration::from_secs(10)))
            .await
            .unwrap();
    assert_eq!(code, Some(2), "the second sandbox kept running: {err}");
    assert!(err.contains("in use by another sandbox"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_save_fails_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let sb = sandbox_on(&state).await;
    let template = sb.url_template();
    let before = secret_count(&template, DEMO_APP_ONE_SECRET).await;
    // The temporary copy cannot be created: every save fails.
    std::fs::create_dir(dir.path().join("state.json.tmp")).unwrap();
    let insert = format!(
        "INSERT INTO okta.apps.secrets (subdomain, appId) SELECT 'my-org', '{DEMO_APP_ONE_SECRET}'"
    );
    let out = run(exec_against(&template, &[&insert])).await;
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not save its state"), "{err}");
    assert_eq!(
        secret_count(&template, DEMO_APP_ONE_SECRET).await,
        before,
        "the failed create stayed in memory"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_breaking_the_api_rules_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    drop(sandbox_on(&state).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let apps = |v: &mut serde_json::Value| -> Vec<serde_json::Value> {
        v["orgs"][0]["apps"].as_array().unwrap().clone()
    };
    // A one-character secret; a secret on a private_key_jwt app.
    for (what, app_id) in [
        ("1-character", DEMO_APP_ONE_SECRET),
        ("private_key_jwt", DEMO_APP_PRIVATE_KEY_JWT),
    ] {
        let mut v = original.clone();
        let mut list = apps(&mut v);
        let donor = list
            .iter()
            .find(|a| a["id"] == DEMO_APP_ONE_SECRET)
            .unwrap()["secrets"][0]
            .clone();
        for a in list.iter_mut() {
            if a["id"] == app_id {
                let mut s = donor.clone();
                if what == "1-character" {
                    s["client_secret"] = "x".into();
                    a["secrets"] = serde_json::json!([s]);
                } else {
                    s["id"] = "ocsInjected000000001".into();
                    a["secrets"] = serde_json::json!([s]);
                }
            }
        }
        v["orgs"][0]["apps"] = serde_json::Value::Array(list);
        std::fs::write(&state, v.to_string()).unwrap();
        let child = spawn_sandbox(&[
            "--listen",
            "127.0.0.1:0",
            "--state",
            state.to_str().unwrap(),
        ]);
        let (code, _, err) =
            tokio::task::spawn_blocking(move || finish(child, Duration::from_secs(10)))
                .await
                .unwrap();
        assert_eq!(code, Some(2), "{what}: accepted: {err}");
        assert!(err.contains("state.json"), "{what}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_gets_okta_shaped_json() {
    let sb = sandbox().await;
    let addr = sb.addr();
    let path = format!("/my-org/api/v1/apps/{DEMO_APP_ONE_SECRET}/credentials/secrets");
    // A raw connection that reads while it writes: the sandbox answers once the body passes
    // its limit and closes without reading the rest, and a client that stops at the failed
    // write (curl does) may never read the answer.
    let resp = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let body_len = 8 * 1024 * 1024;
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        writer
            .set_write_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: SSWS {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {body_len}\r\n\
             Connection: close\r\n\r\n"
        );
        let sender = std::thread::spawn(move || {
            // Failing part-way is expected: the server stops reading after its limit.
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(&vec![b' '; body_len]);
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        // The answer arrives before the close; a reset after it ends the read, not the answer.
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let _ = sender.join();
        String::from_utf8_lossy(&got).into_owned()
    })
    .await
    .unwrap();
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("application/json"), "{resp}");
    assert!(resp.contains("\"errorCode\""), "{resp}");
}

#[test]
fn the_banner_shows_the_bound_address_and_apps_are_capped() {
    let child = spawn_sandbox(&["--listen", "0.0.0.0:0"]);
    let banner = first_line_with(child, "listening on", Duration::from_secs(10));
    let banner = banner.expect("the sandbox prints where it listens");
    assert!(banner.contains("listening on 0.0.0.0:"), "{banner}");
    let child = spawn_sandbox(&["--listen", "127.0.0.1:0", "--apps", "100000000"]);
    let (code, _, err) = finish(child, Duration::from_secs(10));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--apps"), "{err}");
}
