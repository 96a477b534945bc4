//! Ctrl-C (SIGINT) during `oktaql exec --outfile`: the run stops with status 130, the
//! previous output file is untouched, and no temporary file is left behind.

use std::process::{Command, Stdio};
use std::time::Duration;

use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_TWO_SECRETS};

#[test]
fn sigint_cancels_the_run_and_leaves_no_partial_outfile() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(Sandbox::start(SandboxConfig {
            latency: Some(Duration::from_secs(5)),
            ..SandboxConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("secrets.csv");
    std::fs::write(&out, "previous\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_oktaql"))
        .env("OKTAQL_SERVER_URL", sandbox.url_template())
        .env("OKTA_API_TOKEN", sandbox.token())
        .args(["exec", "-o", "csv", "--outfile"])
        .arg(&out)
        .arg(format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}'"
        ))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the temporary output file exists: the run has started. Polled tightly so
    // the signal lands as early as possible (it once arrived before the handler existed).
    let started = (0..5000).any(|_| {
        std::thread::sleep(Duration::from_millis(1));
        std::fs::read_dir(dir.path()).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".oktaql-")
        })
    });
    assert!(started, "the run did not start");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["secrets.csv".to_string()]);
}
