//! `okta.integrations.instances` and `okta.integrations.instance_secrets` (API service
//! integrations) through the `oktaql` binary against a sandbox: the seeded integrations and
//! their secrets, INSERT/DELETE/EXEC through the secret lifecycle with the two-secret and
//! active-delete rules as exit-1 errors, System Log events, and durability with `--state`.

use crate::common::cli::{org, org_with, Org, Row};
use oktaql::sandbox::{SandboxConfig, DEMO_ORG};
use serde_json::Value;

fn instances(org: &Org) -> Vec<Row> {
    org.rows(&format!(
        "SELECT id, name, type, grantedScopes, createdAt, createdBy FROM okta.integrations.instances \
         WHERE subdomain = '{DEMO_ORG}' ORDER BY createdAt"
    ))
}

fn secrets(org: &Org, id: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT id, status, client_secret, secret_hash, created, lastUpdated FROM okta.integrations.instance_secrets \
         WHERE subdomain = '{DEMO_ORG}' AND apiServiceId = '{id}' ORDER BY created"
    ))
}

fn by_type(org: &Org, kind: &str) -> String {
    instances(org).iter().find(|i| i["type"] == kind).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn events(org: &Org, target: &str) -> Vec<String> {
    org.rows(&format!(
        "SELECT eventType FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
         AND since = '2020-01-01T00:00:00Z' AND filter = 'target.id eq \"{target}\"'"
    ))
    .iter()
    .map(|r| r["eventType"].as_str().unwrap().to_string())
    .collect()
}

#[test]
fn seeded_integrations_and_their_secrets() {
    let org = org();
    let all = instances(&org);
    assert_eq!(all.len(), 3, "{all:?}");
    let siem = all.iter().find(|i| i["type"] == "siem_log_export").unwrap();
    assert_eq!(siem["name"], "SIEM Log Export");
    let scopes = match &siem["grantedScopes"] {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        v => v.clone(),
    };
    assert_eq!(scopes[0], "okta.logs.read");
    let id = siem["id"].as_str().unwrap();
    let one = org.rows(&format!(
        "SELECT id, name FROM okta.integrations.instances WHERE subdomain = '{DEMO_ORG}' AND apiServiceId = '{id}'"
    ));
    assert_eq!(one[0]["name"], "SIEM Log Export");
    let s = secrets(&org, id);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["status"], "ACTIVE");
    // Listed secrets never show the secret: client_secret carries the hash.
    assert_eq!(s[0]["client_secret"], s[0]["secret_hash"]);
    let review = by_type(&org, "access_review_sync");
    let s = secrets(&org, &review);
    let statuses: Vec<&str> = s.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["INACTIVE", "ACTIVE"]);
    let e = org.fails(&format!(
        "SELECT id FROM okta.integrations.instances WHERE subdomain = '{DEMO_ORG}' AND apiServiceId = '0oaNoSuchService0000'"
    ));
    assert!(
        e.contains("E0000007") && e.contains("0oaNoSuchService0000"),
        "{e}"
    );
    // The seeded history names who created each secret.
    assert_eq!(
        events(&org, s[0]["id"].as_str().unwrap()),
        [
            "app.oauth2.credentials.lifecycle.create",
            "app.oauth2.credentials.lifecycle.deactivate"
        ]
    );
}

#[test]
fn secret_lifecycle_follows_the_app_secret_rules() {
    let org = org();
    let id = by_type(&org, "siem_log_export");
    let old = secrets(&org, &id)[0]["id"].as_str().unwrap().to_string();
    // The only active secret can neither be deactivated nor deleted.
    let e = org.fails(&format!(
        "EXEC okta.integrations.instance_secrets.deactivate_api_service_integration_instance_secret @subdomain='{DEMO_ORG}', @apiServiceId='{id}', @secretId='{old}'"
    ));
    assert!(
        e.contains("You can't deactivate the only active client secret."),
        "{e}"
    );
    let e = org.fails(&format!(
        "DELETE FROM okta.integrations.instance_secrets WHERE subdomain = '{DEMO_ORG}' AND apiServiceId = '{id}' AND secretId = '{old}'"
    ));
    assert!(e.contains("can't delete an active client secret"), "{e}");

    let new = org.rows(&format!(
        "INSERT INTO okta.integrations.instance_secrets (subdomain, apiServiceId) SELECT '{DEMO_ORG}', '{id}' RETURNING id, status, client_secret, secret_hash"
    ));
    assert_eq!(new[0]["status"], "ACTIVE");
    let clear = new[0]["client_secret"].as_str().unwrap();
    assert_eq!(clear.len(), 40, "the new secret in clear, this once");
    assert_ne!(new[0]["client_secret"], new[0]["secret_hash"]);
    let new_id = new[0]["id"].as_str().unwrap().to_string();
    // A third secret is refused.
    let e = org.fails(&format!(
        "INSERT INTO okta.integrations.instance_secrets (subdomain, apiServiceId) SELECT '{DEMO_ORG}', '{id}'"
    ));
    assert!(e.contains("maximum number of client secrets"), "{e}");

    let d = org.rows(&format!(
        "EXEC okta.integrations.instance_secrets.deactivate_api_service_integration_instance_secret @subdomain='{DEMO_ORG}', @apiServiceId='{id}', @secretId='{old}'"
    ));
    assert_eq!(d[0]["status"], "INACTIVE");
    let out = org.run(&format!(
        "DELETE FROM okta.integrations.instance_secrets WHERE subdomain = '{DEMO_ORG}' AND apiServiceId = '{id}' AND secretId = '{old}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = secrets(&org, &id);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], new_id.as_str());
    assert_eq!(
        events(&org, &old),
        [
            "app.oauth2.credentials.lifecycle.create",
            "app.oauth2.credentials.lifecycle.deactivate",
            "app.oauth2.credentials.lifecycle.delete"
        ]
    );
    let e = org.fails(&format!(
        "EXEC okta.integrations.instance_secrets.activate_api_service_integration_instance_secret @subdomain='{DEMO_ORG}', @apiServiceId='{id}', @secretId='{old}'"
    ));
    assert!(e.contains("E0000007"), "{e}");
}

#[test]
fn create_and_delete_an_integration() {
    let org = org();
    let made = org.rows(&format!(
        "INSERT INTO okta.integrations.instances (data__type, data__grantedScopes, subdomain) \
         SELECT 'my_siem_export', '[\"okta.logs.read\", \"okta.users.read\"]', '{DEMO_ORG}' RETURNING id, name, clientSecret"
    ));
    let id = made[0]["id"].as_str().unwrap().to_string();
    assert_eq!(made[0]["name"], "My Siem Export");
    assert_eq!(made[0]["clientSecret"].as_str().unwrap().len(), 40);
    assert_eq!(secrets(&org, &id).len(), 1);
    for (body, cause) in [
        (
            "'Not A Type', '[\"okta.logs.read\"]'",
            "not an integration name",
        ),
        ("'ok_type', '[]'", "at least one Okta management scope"),
        (
            "'ok_type', '[\"logs.read\"]'",
            "not an Okta management scope",
        ),
    ] {
        let e = org.fails(&format!(
            "INSERT INTO okta.integrations.instances (data__type, data__grantedScopes, subdomain) SELECT {body}, '{DEMO_ORG}'"
        ));
        assert!(e.contains("E0000001") && e.contains(cause), "{e}");
    }
    let out = org.run(&format!(
        "DELETE FROM okta.integrations.instances WHERE subdomain = '{DEMO_ORG}' AND apiServiceId = '{id}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(instances(&org).len(), 3);
    assert_eq!(
        events(&org, &id),
        [
            "application.lifecycle.create",
            "app.oauth2.credentials.lifecycle.create",
            "application.lifecycle.delete"
        ]
    );
}

#[test]
fn integrations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        state_file: Some(dir.path().join("state.json")),
        demo_apps: 10,
        ..SandboxConfig::default()
    };
    let org = org_with(config.clone()).unwrap();
    let id = by_type(&org, "device_posture_feed");
    org.rows(&format!(
        "INSERT INTO okta.integrations.instance_secrets (subdomain, apiServiceId) SELECT '{DEMO_ORG}', '{id}' RETURNING id"
    ));
    org.stop();
    let org = org_with(config).unwrap();
    assert_eq!(secrets(&org, &id).len(), 2);
}
