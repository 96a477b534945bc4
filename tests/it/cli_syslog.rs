//! `okta.logs.system_log_events` through the `oktaql` binary against a sandbox: every change
//! the sandbox performs writes one event (secrets and JSON Web Keys), refused changes write
//! none, the seeded history answers "who deactivated this secret", pages are followed, bad
//! parameters are exit-1 errors, and the log survives a restart with `--state`.

use crate::common::cli::{add_key_sql, modulus, org, org_with, Org, Row};
use oktaql::sandbox::{
    SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT, DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use serde_json::Value;

/// Events about `target` (an app or credential id), oldest first.
fn events_about(org: &Org, target: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT published, eventType, displayMessage, actor, target, outcome, uuid \
         FROM okta.logs.system_log_events \
         WHERE subdomain = '{DEMO_ORG}' AND since = '2020-01-01T00:00:00Z' \
         AND filter = 'target.id eq \"{target}\"'"
    ))
}

fn types(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            r["eventType"]
                .as_str()
                .unwrap()
                .trim_start_matches("app.oauth2.credentials.lifecycle.")
                .to_string()
        })
        .collect()
}

#[test]
fn every_change_writes_one_event_and_refusals_write_none() {
    let org = org();
    let app = DEMO_APP_ONE_SECRET;
    let before = events_about(&org, app).len();
    // Rotate the secret: create, deactivate the old one, delete it.
    let created = org.rows(&format!(
        "INSERT INTO okta.apps.secrets (subdomain, appId) SELECT '{DEMO_ORG}', '{app}' \
         RETURNING id, client_secret, secret_hash"
    ));
    let new_id = created[0]["id"].as_str().unwrap().to_string();
    let new_secret = created[0]["client_secret"].as_str().unwrap().to_string();
    let old = org
        .rows(&format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND id <> '{new_id}'"
        ))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    org.rows(&format!(
        "EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{app}', @secretId='{old}'"
    ));
    // Refused: the new secret is now the only active one.
    org.fails(&format!(
        "EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='{DEMO_ORG}', @appId='{app}', @secretId='{new_id}'"
    ));
    let out = org.run(&format!(
        "DELETE FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND secretId = '{old}'"
    ));
    assert!(out.status.success());

    let rows = events_about(&org, app);
    let new: Vec<Row> = rows[before..].to_vec();
    assert_eq!(types(&new), ["create", "deactivate", "delete"], "{new:?}");
    for (r, id) in new.iter().zip([&new_id, &old, &old]) {
        assert_eq!(r["actor"]["type"], "User");
        assert_eq!(r["actor"]["alternateId"], "admin@example.com");
        assert_eq!(r["target"][0]["id"], app);
        assert_eq!(r["target"][0]["type"], "AppInstance");
        assert_eq!(r["target"][1]["id"], id.as_str());
        assert_eq!(r["outcome"]["result"], "SUCCESS");
    }
    assert_eq!(
        new[0]["target"][1]["detailEntry"]["secret_hash"],
        created[0]["secret_hash"]
    );
    let all = serde_json::to_string(&rows).unwrap();
    assert!(!all.contains(&new_secret), "a secret never reaches the log");

    // JSON Web Keys too: add, then the refused delete of an active key writes nothing.
    let key_app = DEMO_APP_PRIVATE_KEY_JWT;
    let before = events_about(&org, key_app).len();
    let k = org.rows(&add_key_sql(key_app, "audit-1", "ACTIVE", &modulus(256, 2)));
    let kid = k[0]["id"].as_str().unwrap().to_string();
    org.fails(&format!(
        "DELETE FROM okta.apps.jwks WHERE subdomain = '{DEMO_ORG}' AND appId = '{key_app}' AND keyId = '{kid}'"
    ));
    org.rows(&format!(
        "EXEC okta.apps.jwks.deactivate_oauth2_client_json_web_key @subdomain='{DEMO_ORG}', @appId='{key_app}', @keyId='{kid}'"
    ));
    let rows = events_about(&org, &kid);
    assert_eq!(types(&rows), ["create", "deactivate"]);
    assert_eq!(rows[0]["target"][1]["type"], "OAuth2ClientJsonWebKey");
    assert_eq!(rows[0]["target"][1]["alternateId"], "audit-1");
    assert_eq!(events_about(&org, key_app).len(), before + 2);
}

#[test]
fn seeded_history_says_who_deactivated_a_secret() {
    let org = org();
    let inactive = org.rows(&format!(
        "SELECT id, lastUpdated FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}' AND status = 'INACTIVE'"
    ));
    let id = inactive[0]["id"].as_str().unwrap();
    let who = org.rows(&format!(
        "SELECT published, json_extract(actor, '$.alternateId') AS who \
         FROM okta.logs.system_log_events \
         WHERE subdomain = '{DEMO_ORG}' AND since = '2020-01-01T00:00:00Z' \
         AND filter = 'eventType eq \"app.oauth2.credentials.lifecycle.deactivate\" and target.id eq \"{id}\"'"
    ));
    assert_eq!(who.len(), 1, "{who:?}");
    assert_eq!(who[0]["who"], "admin@example.com");
    assert_eq!(who[0]["published"], inactive[0]["lastUpdated"]);
    // Without since, Okta's default window is the last seven days: the 2021 history is outside.
    let recent = org.rows(&format!(
        "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' AND filter = 'target.id eq \"{id}\"'"
    ));
    assert!(recent.is_empty());
}

#[test]
fn pages_are_followed_and_orders_and_keywords_apply() {
    let org = org();
    let count = |extra: &str| -> i64 {
        org.rows(&format!(
            "SELECT count(*) AS n FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
             AND since = '2020-01-01T00:00:00Z' AND until = '2030-01-01T00:00:00Z'{extra}"
        ))[0]["n"]
            .as_i64()
            .unwrap()
    };
    let all = count("");
    assert!(
        all > 100,
        "the demo history crosses the default page: {all}"
    );
    assert_eq!(count(" AND \"limit\" = 7"), all, "next links are followed");
    let creates = count(" AND q = 'create client secret'");
    assert!(creates > 0 && creates < all);
    let newest_first = org.rows(&format!(
        "SELECT published FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
         AND since = '2020-01-01T00:00:00Z' AND sortOrder = 'DESCENDING' AND \"limit\" = 5 LIMIT 5"
    ));
    let p: Vec<&str> = newest_first
        .iter()
        .map(|r| r["published"].as_str().unwrap())
        .collect();
    let mut sorted = p.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(p, sorted);
}

#[test]
fn bad_parameters_are_exit_1_errors() {
    let org = org();
    let e = org.fails(&format!(
        "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' AND since = 'yesterday'"
    ));
    assert!(e.contains("since") && e.contains("ISO 8601"), "{e}");
    let e = org.fails(&format!(
        "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' AND filter = 'eventType sw \"app\"'"
    ));
    assert!(e.contains("filter"), "{e}");
    let e = org.fails(&format!(
        "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' AND sortOrder = 'UP'"
    ));
    assert!(e.contains("ASCENDING"), "{e}");
}

#[test]
fn the_log_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        state_file: Some(dir.path().join("state.json")),
        demo_apps: 20,
        ..SandboxConfig::default()
    };
    let org = org_with(config.clone()).unwrap();
    let k = org.rows(&add_key_sql(
        DEMO_APP_PRIVATE_KEY_JWT,
        "kept",
        "INACTIVE",
        &modulus(256, 4),
    ));
    let id = k[0]["id"].as_str().unwrap().to_string();
    let uuid = events_about(&org, &id)[0]["uuid"].clone();
    org.stop();
    let org = org_with(config).unwrap();
    let rows = events_about(&org, &id);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["uuid"], uuid);
    assert!(matches!(rows[0]["published"], Value::String(_)));
}

#[test]
fn an_ascending_query_without_until_stops_at_now_and_says_so() {
    let org = org();
    let sql = |order: &str| {
        format!(
            "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
             AND since = '2020-01-01T00:00:00Z' AND sortOrder = '{order}' AND \"limit\" = 50"
        )
    };
    let out = org.run(&sql("ASCENDING"));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stopped at the newest row") && stderr.contains("until"),
        "{stderr}"
    );
    let asc: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let out = org.run(&sql("DESCENDING"));
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("stopped at"));
    let desc: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(asc.len(), desc.len(), "the poll read every event up to now");
}

#[test]
fn conditions_on_published_and_event_type_are_pushed_down_and_still_exact() {
    let org = org();
    let by_columns = org.rows(&format!(
        "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
         AND published >= '2021-01-01T00:00:00Z' AND published < '2023-01-01T00:00:00Z' \
         AND eventType = 'app.oauth2.credentials.lifecycle.deactivate' ORDER BY uuid"
    ));
    let by_params = org.rows(&format!(
        "SELECT uuid FROM okta.logs.system_log_events WHERE subdomain = '{DEMO_ORG}' \
         AND since = '2021-01-01T00:00:00Z' AND until = '2023-01-01T00:00:00Z' \
         AND filter = 'eventType eq \"app.oauth2.credentials.lifecycle.deactivate\"' ORDER BY uuid"
    ));
    assert!(!by_columns.is_empty());
    assert_eq!(by_columns, by_params);
}
