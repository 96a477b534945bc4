//! Progress on stderr through the binary: a fan-out over the demo org's apps draws a
//! done/total line with rate and ETA on a real terminal (tmux), and nothing when stderr is
//! not a terminal or with `--quiet`; stdout never carries it.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

/// A join that fans out one secrets request per app of the demo org.
const JOIN: &str = "SELECT count(*) AS n FROM okta.apps.applications a \
    JOIN okta.apps.secrets s ON s.appId = a.id AND s.subdomain = a.subdomain \
    WHERE a.subdomain = 'my-org'";

/// Whether `word` is `DONE/TOTAL` (`104/260`).
fn is_count(word: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    word.split_once('/')
        .is_some_and(|(d, t)| digits(d) && digits(t))
}

/// The progress line of the secrets fan-out in `text`: `okta.apps.secrets 104/260 …`.
fn progress_line(text: &str) -> Option<String> {
    text.lines()
        .find(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words
                .windows(2)
                .any(|w| w[0] == "okta.apps.secrets" && is_count(w[1]))
        })
        .map(|l| l.trim_end().to_string())
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let out = Command::cargo_bin("oktaql")
        .unwrap()
        .args([
            "exec",
            "--sandbox",
            "--sandbox-latency",
            "5",
            "-o",
            "csv",
            JOIN,
        ])
        .env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("n\n"), "{stdout}");
    for text in [&stdout, &stderr] {
        assert!(progress_line(text).is_none(), "{text}");
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    }
}

/// How far the count of a progress line is from half its total (`130/260` → 0).
fn half_way_distance(line: &str) -> u64 {
    let count = line
        .split_whitespace()
        .find(|w| is_count(w))
        .unwrap_or("0/0");
    let (done, total) = count.split_once('/').unwrap_or(("0", "0"));
    let (done, total): (u64, u64) = (done.parse().unwrap_or(0), total.parse().unwrap_or(0));
    (2 * done).abs_diff(total)
}

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .expect("run tmux")
}

/// Runs `oktaql ARGS JOIN` in a detached tmux pane (stderr the pane's terminal, stdout a
/// file) and captures the pane every 50 ms until the run ends; returns the first progress
/// line seen and what went to stdout.
fn run_in_tmux(dir: &Path, name: &str, args: &[&str]) -> (Option<String>, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_oktaql"));
    let out = dir.join(format!("{name}.out"));
    let done = dir.join(format!("{name}.done"));
    let quoted: Vec<String> = args
        .iter()
        .chain([&JOIN])
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let script = format!(
        "env -u OKTAQL_SERVER_URL -u OKTA_API_TOKEN NO_COLOR=1 '{}' exec {} > '{}'; touch '{}'; sleep 60",
        bin.display(),
        quoted.join(" "),
        out.display(),
        done.display()
    );
    let socket = format!("oktaql-test-{}-{name}", std::process::id());
    let started = tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "10",
            "sh",
            "-c",
            &script,
        ],
    );
    assert!(started.status.success(), "{started:?}");
    let deadline = Instant::now() + Duration::from_secs(120);
    // Of the progress lines seen, the one closest to half-way (rate and ETA known by then).
    let mut seen: Option<(u64, String)> = None;
    while !done.exists() && Instant::now() < deadline {
        let pane = tmux(&socket, &["capture-pane", "-p"]);
        if let Some(line) = progress_line(&String::from_utf8_lossy(&pane.stdout)) {
            let distance = half_way_distance(&line);
            if seen.as_ref().is_none_or(|(d, _)| distance < *d) {
                seen = Some((distance, line));
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen = seen.map(|(_, line)| line);
    let _ = tmux(&socket, &["kill-server"]);
    assert!(done.exists(), "the run did not end within two minutes");
    (seen, std::fs::read_to_string(&out).unwrap_or_default())
}

#[test]
fn a_terminal_shows_fan_out_progress_and_quiet_hides_it() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed; the progress line needs a real terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 260 apps, 32 at a time, 120 ms each: about a second of fan-out, long enough for the
    // 10 Hz bar to show a rate and an ETA. Both runs go at once, each in its own terminal.
    let args = [
        "--sandbox",
        "--sandbox-latency",
        "120",
        "--concurrency",
        "32",
        "-o",
        "csv",
    ];
    let quiet_dir = dir.path().to_path_buf();
    let quiet = std::thread::spawn(move || {
        let mut quiet_args = args.to_vec();
        quiet_args.push("--quiet");
        run_in_tmux(&quiet_dir, "quiet", &quiet_args)
    });
    let (line, stdout) = run_in_tmux(dir.path(), "bar", &args);
    let line = line.expect("no progress line on the terminal");
    eprintln!("captured progress line: {line}");
    assert!(line.contains("/260 ["), "{line}");
    assert!(line.contains("/s"), "rate: {line}");
    assert!(line.contains("ETA "), "time left: {line}");
    assert!(stdout.starts_with("n\n"), "{stdout:?}");
    assert!(
        progress_line(&stdout).is_none() && !stdout.contains('\r'),
        "{stdout:?}"
    );

    let (line, stdout) = quiet.join().unwrap();
    assert_eq!(line, None, "--quiet drew progress");
    assert!(stdout.starts_with("n\n"), "{stdout:?}");
}
