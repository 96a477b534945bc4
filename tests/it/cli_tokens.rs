//! `okta.apps.tokens` (OAuth 2.0 refresh tokens of an app) through the `oktaql` binary against
//! a sandbox started in this test process: the seeded tokens, SELECT by app (paged) and by id,
//! DELETE of one token and of all of an app's tokens, each revocation a System Log event,
//! unknown tokens and apps as exit-1 errors, and revocations that survive a restart.

use crate::common::cli::{org, org_with, Org, Row};
use oktaql::sandbox::{
    SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT, DEMO_APP_SAML,
    DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use serde_json::Value;

fn tokens(org: &Org, app: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT id, clientId, userId, status, scopes, issuer, created, expiresAt, _links \
         FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' ORDER BY created"
    ))
}

fn json(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(v.clone()),
        v => v.clone(),
    }
}

fn revoke_events(org: &Org, target: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT eventType, target, actor FROM okta.logs.system_log_events \
         WHERE subdomain = '{DEMO_ORG}' AND since = '2020-01-01T00:00:00Z' \
         AND filter = 'eventType eq \"app.oauth2.token.revoke\" and target.id eq \"{target}\"'"
    ))
}

#[test]
fn seeded_tokens_list_page_and_get() {
    let org = org();
    let ts = tokens(&org, DEMO_APP_ONE_SECRET);
    assert_eq!(ts.len(), 3, "{ts:?}");
    for t in &ts {
        assert!(t["id"].as_str().unwrap().starts_with("oar"));
        assert!(t["userId"].as_str().unwrap().starts_with("00u"));
        assert_eq!(t["clientId"], DEMO_APP_ONE_SECRET);
        assert_eq!(t["status"], "ACTIVE");
        assert!(json(&t["scopes"])
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "offline_access"));
        let links = json(&t["_links"]);
        assert_eq!(links["revoke"]["hints"]["allow"][0], "DELETE");
    }
    assert_eq!(tokens(&org, DEMO_APP_TWO_SECRETS).len(), 2);
    // Service and SAML apps have no refresh tokens.
    assert!(tokens(&org, DEMO_APP_PRIVATE_KEY_JWT).is_empty());
    assert!(tokens(&org, DEMO_APP_SAML).is_empty());

    // One token per page: the engine follows the next links to all three.
    let paged = org.rows(&format!(
        "SELECT id FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_ONE_SECRET}' AND \"limit\" = 1"
    ));
    assert_eq!(paged.len(), 3);

    let id = ts[0]["id"].as_str().unwrap();
    let one = org.rows(&format!(
        "SELECT id, userId, _embedded FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_ONE_SECRET}' AND tokenId = '{id}' AND expand = 'scope'"
    ));
    assert_eq!(one[0]["userId"], ts[0]["userId"]);
    let embedded = json(&one[0]["_embedded"]);
    assert_eq!(embedded["scopes"][0]["name"], "offline_access");
    let e = org.fails(&format!(
        "SELECT id FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_ONE_SECRET}' AND tokenId = 'oarNoSuchToken000000'"
    ));
    assert!(
        e.contains("E0000007") && e.contains("oarNoSuchToken000000"),
        "{e}"
    );
    let e = org.fails(&format!(
        "SELECT id FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_ONE_SECRET}' AND expand = 'user'"
    ));
    assert!(e.contains("E0000001") && e.contains("scope"), "{e}");

    // Across the org: apps with refresh tokens outstanding.
    let per_app = org.rows(&format!(
        "SELECT a.label, count(t.id) AS tokens FROM okta.apps.applications a \
         JOIN okta.apps.tokens t ON t.subdomain = a.subdomain AND t.appId = a.id \
         WHERE a.subdomain = '{DEMO_ORG}' AND a.status = 'ACTIVE' GROUP BY a.label"
    ));
    assert!(per_app.len() > 10, "{per_app:?}");
}

#[test]
fn revoking_one_and_all_removes_them_and_logs_each() {
    let org = org();
    let app = DEMO_APP_ONE_SECRET;
    let ts = tokens(&org, app);
    let first = ts[0]["id"].as_str().unwrap().to_string();
    let out = org.run(&format!(
        "DELETE FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND tokenId = '{first}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = tokens(&org, app);
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|t| t["id"] != first.as_str()));
    let ev = revoke_events(&org, &first);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let target = json(&ev[0]["target"]);
    assert_eq!(target[0]["id"], app);
    assert_eq!(target[1]["type"], "RefreshToken");
    assert_eq!(target[1]["detailEntry"]["userId"], ts[0]["userId"]);

    // Revoked means gone: a second revoke is Okta's 404.
    let e = org.fails(&format!(
        "DELETE FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND tokenId = '{first}'"
    ));
    assert!(e.contains("E0000007"), "{e}");

    let out = org.run(&format!(
        "DELETE FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tokens(&org, app).is_empty());
    let by_app = revoke_events(&org, app);
    assert_eq!(by_app.len(), 3, "one event per token revoked: {by_app:?}");
    // Revoking all of an app without tokens succeeds and logs nothing.
    let out = org.run(&format!(
        "DELETE FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}'"
    ));
    assert!(out.status.success());
    assert_eq!(revoke_events(&org, app).len(), 3);
    let e = org.fails(&format!(
        "DELETE FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '0oaNoSuchApp00000000'"
    ));
    assert!(
        e.contains("E0000007") && e.contains("0oaNoSuchApp00000000"),
        "{e}"
    );
    // The other apps keep theirs.
    assert_eq!(tokens(&org, DEMO_APP_TWO_SECRETS).len(), 2);
}

#[test]
fn revocations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = SandboxConfig {
        state_file: Some(path.clone()),
        demo_apps: 30,
        ..SandboxConfig::default()
    };
    let org = org_with(config.clone()).unwrap();
    let ts = tokens(&org, DEMO_APP_TWO_SECRETS);
    assert_eq!(ts.len(), 2);
    let id = ts[1]["id"].as_str().unwrap().to_string();
    let out = org.run(&format!(
        "DELETE FROM okta.apps.tokens WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}' AND tokenId = '{id}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    org.stop();
    let org = org_with(config).unwrap();
    let after = tokens(&org, DEMO_APP_TWO_SECRETS);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["id"], ts[0]["id"]);
    assert_eq!(revoke_events(&org, &id).len(), 1);
}
