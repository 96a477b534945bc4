//! The four verbs and discovery, through the `oktaql` binary, against a sandbox started in
//! this test process (each test its own, so state does not leak between tests).

use crate::common::cli::{org, Org};
use crate::common::registry;

use assert_cmd::Command;
use oktaql::sandbox::{
    DEMO_APP_JWT, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT, DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use serde_json::Value;

fn secrets_of(org: &Org, app: &str) -> Vec<serde_json::Map<String, Value>> {
    org.rows(&format!(
        "SELECT * FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}'"
    ))
}

#[test]
fn select_lists_and_gets_secrets_with_every_column() {
    let org = org();
    let rows = secrets_of(&org, DEMO_APP_TWO_SECRETS);
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for col in [
            "id",
            "status",
            "client_secret",
            "secret_hash",
            "created",
            "lastUpdated",
            "_links",
            "subdomain",
            "appId",
        ] {
            assert!(r.contains_key(col), "missing {col} in {r:?}");
        }
        assert!(r["_links"].is_object(), "_links keeps its JSON type");
        assert_eq!(r["appId"], DEMO_APP_TWO_SECRETS);
        assert_eq!(r["subdomain"], DEMO_ORG);
        assert!(r["id"].as_str().unwrap().starts_with("ocs"));
    }
    // get: most specific method when secretId is bound; identifiers case-insensitive.
    let id = rows[0]["id"].as_str().unwrap();
    let one = org.rows(&format!(
        "select ID, Status from OKTA.apps.secrets where SUBDOMAIN = '{DEMO_ORG}' and appid = '{DEMO_APP_TWO_SECRETS}' and secretid = '{id}'"
    ));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], id);
}

#[test]
fn insert_with_and_without_a_client_secret_then_rotate_and_delete() {
    let org = org();
    let app = DEMO_APP_ONE_SECRET;
    // Bring-your-own secret, RETURNING the new secret's columns.
    let mine = "my-own-secret-value-0123456789";
    let created = org.rows(&format!(
        "INSERT INTO okta.apps.secrets (data__client_secret, data__status, subdomain, appId) \
         SELECT '{mine}', 'INACTIVE', '{DEMO_ORG}', '{app}' RETURNING id, status, client_secret, secret_hash"
    ));
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["status"], "INACTIVE");
    assert_eq!(created[0]["client_secret"], mine);
    let new_id = created[0]["id"].as_str().unwrap().to_string();
    assert_eq!(secrets_of(&org, app).len(), 2);

    // Rotate: activate the new one, deactivate the old one, delete the old one.
    let old_id = secrets_of(&org, app)
        .into_iter()
        .find(|r| r["id"] != new_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let activated = org.rows(&format!(
        "EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{app}', @secretId='{new_id}'"
    ));
    assert_eq!(activated[0]["status"], "ACTIVE");
    assert!(
        !activated[0].contains_key("client_secret"),
        "EXEC does not print secret values"
    );
    let deactivated = org.rows(&format!(
        "EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{app}', @secretId='{old_id}'"
    ));
    assert_eq!(deactivated[0]["status"], "INACTIVE");
    let out = org.run(&format!(
        "DELETE FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND secretId = '{old_id}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = secrets_of(&org, app);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], new_id.as_str());

    // Without data__client_secret, Okta generates one.
    let generated = org.rows(&format!(
        "INSERT INTO okta.apps.secrets (subdomain, appId) VALUES ('{DEMO_ORG}', '{app}') RETURNING client_secret, status"
    ));
    assert_eq!(generated[0]["client_secret"].as_str().unwrap().len(), 40);
    assert_eq!(generated[0]["status"], "ACTIVE");
}

#[test]
fn okta_rules_surface_as_clear_errors() {
    let org = org();
    // A third secret.
    let err = org.fails(&format!(
        "INSERT INTO okta.apps.secrets (subdomain, appId) VALUES ('{DEMO_ORG}', '{DEMO_APP_TWO_SECRETS}')"
    ));
    assert!(err.contains("400") && err.contains("E0000001"), "{err}");
    assert!(err.contains("maximum number of client secrets"), "{err}");
    // Deleting an active secret.
    let active = secrets_of(&org, DEMO_APP_ONE_SECRET)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let err = org.fails(&format!(
        "DELETE FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_ONE_SECRET}' AND secretId = '{active}'"
    ));
    assert!(err.contains("E0000001"), "{err}");
    // Deactivating the only active secret.
    let err = org.fails(&format!(
        "EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_ONE_SECRET}', @secretId='{active}'"
    ));
    assert!(err.contains("E0000001"), "{err}");
    // Too short; too short for client_secret_jwt; not allowed for private_key_jwt.
    for (app, secret) in [
        (DEMO_APP_ONE_SECRET, "short"),
        (DEMO_APP_JWT, "only-twenty-chars-xx"),
        (
            DEMO_APP_PRIVATE_KEY_JWT,
            "a-perfectly-long-client-secret-value-123456",
        ),
    ] {
        let err = org.fails(&format!(
            "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) VALUES ('{secret}', '{DEMO_ORG}', '{app}')"
        ));
        assert!(err.contains("E0000001"), "{app}: {err}");
    }
    // Unknown app: 404 with Okta's code.
    let err = org.fails(&format!(
        "SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '0oaDoesNotExist000000'"
    ));
    assert!(err.contains("404") && err.contains("E0000007"), "{err}");
    // Nothing changed for the app whose rules were hit.
    assert_eq!(secrets_of(&org, DEMO_APP_TWO_SECRETS).len(), 2);
}

#[test]
fn planning_errors_send_nothing_and_name_the_fix() {
    // A server URL nobody listens on: planning errors must come before any connection.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oktaql"));
    let out = cmd
        .env("OKTAQL_SERVER_URL", "http://127.0.0.1:9/{subdomain}")
        .args([
            "exec",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org'",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "okta.apps.secrets: missing required parameter appId (select needs subdomain, appId)"
        ),
        "{err}"
    );
    assert!(!err.contains("connect"), "{err}");
}

#[test]
fn discovery_is_answered_from_the_provider() {
    let org = org();
    let services = org.rows("SHOW SERVICES IN okta");
    assert!(services.iter().any(|r| r["name"] == "apps"));
    let resources = org.rows("SHOW RESOURCES IN okta.apps");
    let names: Vec<&str> = resources
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"secrets") && names.contains(&"applications"),
        "{names:?}"
    );
    let methods = org.rows("SHOW METHODS IN okta.apps.secrets");
    assert_eq!(methods.len(), 6);
    let get = methods
        .iter()
        .find(|m| m["method"] == "get_oauth2_client_secret")
        .unwrap();
    assert_eq!(get["required_params"], "subdomain, appId, secretId");
    assert_eq!(get["sql_verb"], "select");
    let list = methods
        .iter()
        .find(|m| m["method"] == "list_oauth2_client_secrets")
        .unwrap();
    assert_eq!(list["required_params"], "subdomain, appId");
    let activate = methods
        .iter()
        .find(|m| m["method"] == "activate_oauth2_client_secret")
        .unwrap();
    assert_eq!(activate["sql_verb"], "exec");
    let cols = org.rows("DESCRIBE EXTENDED okta.apps.secrets");
    let status = cols.iter().find(|c| c["name"] == "status").unwrap();
    assert_eq!(status["type"], "string");
    assert!(status["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    let links = cols.iter().find(|c| c["name"] == "_links").unwrap();
    assert_eq!(links["type"], "object");
}

#[test]
fn stackql_registry_plans_the_same_calls_and_runs() {
    let Some(root) = registry::reference_registry("stackql_registry_plans_the_same_calls_and_runs")
    else {
        return;
    };
    let registry = root.to_str().unwrap();
    let org = org();
    // The service is cached in this directory by the first run and read from it by the
    // second: both give the same rows.
    let cache = tempfile::tempdir().unwrap();
    for run in ["cold", "warm"] {
        let out = org
            .cmd()
            .env("OKTAQL_CACHE_DIR", cache.path())
            .args([
                "exec",
                "--registry",
                registry,
                "-o",
                "json",
                &format!(
                    "SELECT id, status FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'"
                ),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2, "{run}");
        let entries = std::fs::read_dir(cache.path().join("services")).unwrap();
        assert_eq!(entries.count(), 1, "{run}");
    }
    let out = org
        .cmd()
        .env("OKTAQL_NO_CACHE", "1")
        .args([
            "exec",
            "--registry",
            registry,
            &format!(
                "EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_TWO_SECRETS}', @secretId='nope'"
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0000007"));
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_oktaql"))
        .args(["exec", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_oktaql"))
        .args([
            "exec",
            "--server-url",
            "http://example.com/{subdomain}",
            "SHOW SERVICES IN okta",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain HTTP"));
}

#[test]
fn sandbox_flag_runs_the_readme_query() {
    let out = Command::new(env!("CARGO_BIN_EXE_oktaql"))
        .args([
            "exec",
            "--sandbox",
            "-o",
            "csv",
            &format!(
                "SELECT id, status, created FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}' ORDER BY created"
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,status,created");
    assert_eq!(lines.len(), 3, "{text}");
}
