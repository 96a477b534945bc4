//! The binary's view of credentials: `--help` names the variables, a missing credential is
//! reported before any request, `oktaql orgs` shows no secret, and the sandbox creates its
//! service-app key file owner-only.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const VARS: [&str; 10] = [
    "OKTA_CLIENT_ORGURL",
    "OKTA_CLIENT_AUTHORIZATIONMODE",
    "OKTA_CLIENT_TOKEN",
    "OKTA_CLIENT_CLIENTID",
    "OKTA_CLIENT_SCOPES",
    "OKTA_CLIENT_PRIVATEKEY",
    "OKTA_CLIENT_PRIVATEKEYID",
    "OKTA_API_TOKEN",
    "OKTAQL_CONFIG",
    "OKTAQL_SERVER_URL",
];

/// The binary with no credential from this machine: a fresh home and config dir.
fn oktaql(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oktaql"));
    for v in VARS.iter().chain(["OKTAQL_DPOP", "OKTA_CLIENT_KID"].iter()) {
        c.env_remove(v);
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .current_dir(home);
    c
}

#[test]
fn help_names_every_environment_variable() {
    let home = tempfile::tempdir().unwrap();
    let out = oktaql(home.path()).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for v in VARS {
        assert!(text.contains(v), "--help does not name {v}:\n{text}");
    }
}

#[test]
fn a_missing_credential_is_reported_before_any_request() {
    let home = tempfile::tempdir().unwrap();
    let out = oktaql(home.path())
        .args([
            "exec",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1'",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no credentials for org 'https://acme.okta.com'"),
        "{err}"
    );
    assert!(err.contains("OKTA_CLIENT_ORGURL"), "{err}");
    assert!(!err.contains("Invalid token"), "{err}");
}

#[test]
fn orgs_lists_sources_never_secrets() {
    let home = tempfile::tempdir().unwrap();
    let out = oktaql(home.path())
        .arg("orgs")
        .env("OKTA_CLIENT_ORGURL", "https://acme.okta.com")
        .env("OKTA_CLIENT_TOKEN", "00secret-token-value-xyz")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("acme (default)"), "{text}");
    assert!(text.contains("method: SSWS"), "{text}");
    assert!(text.contains("token from OKTA_CLIENT_TOKEN"), "{text}");
    assert!(!text.contains("00secret"), "{text}");
}

#[test]
fn the_sandbox_creates_its_service_app_key_owner_only_and_reuses_it() {
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join("app.pem");
    let banner = |key: &std::path::Path| {
        let mut child = oktaql(home.path())
            .args([
                "sandbox",
                "--listen",
                "127.0.0.1:0",
                "--apps",
                "6",
                "--service-app-key",
            ])
            .arg(key)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.contains("Press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        child.kill().ok();
        child.wait().ok();
        lines.join("\n")
    };
    let text = banner(&key);
    assert!(text.contains("client id: 0oa8f2kt9LgD4yFhK7m3"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.contains("BEGIN PRIVATE KEY"));
    let again = banner(&key);
    assert!(again.contains("ES256"), "{again}");
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        pem,
        "the key is kept"
    );
    // A key file others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = oktaql(home.path())
            .args(["sandbox", "--listen", "127.0.0.1:0", "--service-app-key"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    }
}
