//! Shared by the integration tests: the `oktaql` binary run against a sandbox on its own
//! runtime ([`cli`]), the loopback server that records what it receives ([`server`], with the
//! helpers of the execute-stage and security tests in [`exec`] and [`security`];
//! [`registry`]'s canned pages), the reference registry that skips visibly when it is not
//! checked out ([`registry`]), and a doc's runnable SQL blocks ([`docs`]).
//!
//! A test file uses it with `mod common;` at its top and `use crate::common::…` paths, so
//! that the same file also compiles as a module of a larger test binary.
#![allow(dead_code)]

pub mod cli;
pub mod docs;
pub mod exec;
pub mod registry;
pub mod security;
pub mod server;

/// Says on the test process's stderr, past the harness's output capture (so that it shows
/// in a plain `cargo test` run), that a check was skipped and why; once per message.
pub fn skipped(notice: &str) {
    use std::io::Write as _;
    use std::sync::Mutex;
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|s| s == notice) {
        return;
    }
    said.push(notice.to_string());
    let _ = writeln!(std::io::stderr(), "SKIPPED: {notice}");
}

/// Whether `program` is installed here: it runs with `probe` (a version flag) and succeeds.
pub fn has(program: &str, probe: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The number of cases a property test runs: `PROPTEST_CASES` when set (a developer or CI
/// raises it for a deeper search), else the suite's own `default`. Needed because
/// `ProptestConfig::with_cases` would override the variable.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}
