//! Helpers of the security tests: running the `oktaql` binary against a sandbox or against
//! the recording servers of [`super::server`].

use std::path::Path;
use std::process::{Command, Output};

use oktaql::sandbox::{Sandbox, SandboxConfig};

pub use super::server::{answer, json, serve, Hit, Reply, Seen};

/// The token the tests hand to oktaql; it must never appear in a trace or an error.
pub const TOKEN: &str = "00SEC-test-token-9f8e7d6c5b4a";

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
