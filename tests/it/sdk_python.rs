//! Okta's official Python SDK against an in-process sandbox: in PrivateKey mode (the service
//! app holds an RSA key; the SDK signs RS256 only), and with the API token through the JSON Web
//! Key, refresh token and key credential calls. Runs only where `python3 -c 'import okta'`
//! works (pip install 'okta==3.4.6'); says so when it skips.

use std::process::Command;

use oktaql::auth::SigningKey;
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_ORG};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_python_sdk_in_private_key_mode() {
    let has_sdk = Command::new("python3")
        .args(["-c", "import okta"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        crate::common::skipped("Okta's Python SDK is not installed (pip install 'okta==3.4.6')");
        return;
    }
    let key = SigningKey::generate_rs256(2048).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("app.pem");
    std::fs::write(&key_file, key.to_pem().unwrap()).unwrap();
    let sb = Sandbox::start(SandboxConfig {
        demo_apps: 8,
        service_app_key: Some(key),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let url = format!("http://{}/{DEMO_ORG}", sb.addr());
    let client_id = sb.client_id().to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sdk/okta_python_sdk_private_key.py"
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .env("OKTAQL_SANDBOX_URL", url)
            .env("OKTAQL_CLIENT_ID", client_id)
            .env("OKTAQL_PRIVATE_KEY", &key_file)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the SDK script failed:\n{stdout}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
    assert!(
        sb.token_requests() >= 2,
        "the SDK got its tokens from the sandbox"
    );
    sb.shutdown().await;
}

/// The SDK's JSON Web Key, refresh token and key credential calls against the sandbox, with
/// the API token (SSWS).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_python_sdk_jwk_token_and_key_calls() {
    let has_sdk = Command::new("python3")
        .args(["-c", "import okta"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        crate::common::skipped("Okta's Python SDK is not installed (pip install 'okta==3.4.6')");
        return;
    }
    let sb = Sandbox::start(SandboxConfig {
        demo_apps: 8,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let url = format!("http://{}/{DEMO_ORG}", sb.addr());
    let token = sb.token().to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sdk/okta_python_sdk_credentials.py"
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .env("OKTAQL_SANDBOX_URL", url)
            .env("OKTAQL_SANDBOX_TOKEN", token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the SDK script failed:\n{stdout}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
    sb.shutdown().await;
}
