//! Okta's official Python SDK against in-process sandboxes: in PrivateKey mode (the service
//! app holds an RSA key; the SDK signs RS256 only), and with the API token through the JSON Web
//! Key, refresh token and key credential calls. Both scripts run in one Python process
//! (`tests/sdk/run_scripts.py`): importing the SDK is several seconds of CPU, paid once. Runs
//! only where the `okta` package is installed (pip install 'okta==3.4.6'); says so when it
//! skips.
//!
//! Ignored in a plain `cargo test`: importing the SDK alone takes about ten seconds (pydantic
//! builds the schemas of every API class and model when `okta.client` is imported, compiled
//! `.pyc` files or not), far over the suite's two seconds a test. CI runs it as its own step:
//! `cargo test --test it sdk_python -- --ignored`.

use std::process::Command;

use oktaql::auth::SigningKey;
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_ORG};
use serde_json::json;

/// What `run_scripts.py` prints (exit status 3) when `import okta` would fail.
const SDK_ABSENT: &str = "okta SDK not installed";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs Okta's Python SDK (about 10 s, mostly importing it); .ci/run runs it: cargo test --test it sdk_python -- --ignored"]
async fn okta_python_sdk_in_private_key_mode_and_through_the_credential_calls() {
    let key = SigningKey::generate_rs256(2048).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("app.pem");
    std::fs::write(&key_file, key.to_pem().unwrap()).unwrap();
    // Each script its own sandbox: both change the demo apps' credentials.
    let keyed = Sandbox::start(SandboxConfig {
        demo_apps: 8,
        service_app_key: Some(key),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let plain = Sandbox::start(SandboxConfig {
        demo_apps: 8,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let runs = json!([
        {
            "script": "okta_python_sdk_private_key.py",
            "env": {
                "OKTAQL_SANDBOX_URL": format!("http://{}/{DEMO_ORG}", keyed.addr()),
                "OKTAQL_CLIENT_ID": keyed.client_id(),
                "OKTAQL_PRIVATE_KEY": key_file.to_str().unwrap(),
            },
        },
        {
            "script": "okta_python_sdk_credentials.py",
            "env": {
                "OKTAQL_SANDBOX_URL": format!("http://{}/{DEMO_ORG}", plain.addr()),
                "OKTAQL_SANDBOX_TOKEN": plain.token(),
            },
        },
    ]);
    let runner = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/run_scripts.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(runner)
            .arg(runs.to_string())
            .output()
    })
    .await
    .unwrap();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            crate::common::skipped(&format!("python3 cannot be run ({e})"));
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() == Some(3) && stdout.contains(SDK_ABSENT) {
        crate::common::skipped("Okta's Python SDK is not installed (pip install 'okta==3.4.6')");
        return;
    }
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "an SDK script failed:\n{stdout}");
    assert_eq!(
        stdout.matches("all checks passed").count(),
        2,
        "each script ends with its verdict:\n{stdout}"
    );
    assert!(stdout.contains("all scripts passed"), "{stdout}");
    assert!(
        keyed.token_requests() >= 2,
        "the SDK got its tokens from the sandbox"
    );
    keyed.shutdown().await;
    plain.shutdown().await;
}
