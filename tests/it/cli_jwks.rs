//! `okta.apps.jwks` through the `oktaql` binary against a sandbox started in this test process:
//! SELECT, INSERT, DELETE and EXEC, every Okta key rule as an exit-1 error, and keys that
//! survive a restart with `--state`.

use crate::common::cli::{add_key_sql, modulus, org, org_with};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oktaql::sandbox::{
    SandboxConfig, SandboxError, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT, DEMO_APP_SAML,
    DEMO_ORG,
};
use serde_json::Value;

#[test]
fn seeded_keys_list_and_get() {
    let org = org();
    let keys = org.keys(DEMO_APP_PRIVATE_KEY_JWT);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0]["status"], "INACTIVE");
    assert_eq!(keys[1]["status"], "ACTIVE");
    for k in &keys {
        assert!(k["id"].as_str().unwrap().starts_with("pks"));
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["e"], "AQAB");
        let n = URL_SAFE_NO_PAD.decode(k["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256, "2048-bit modulus");
        assert!(!k["kid"].as_str().unwrap().is_empty());
    }
    assert!(keys[0]["_links"]["delete"]["href"]
        .as_str()
        .unwrap()
        .ends_with(&format!(
            "/credentials/jwks/{}",
            keys[0]["id"].as_str().unwrap()
        )));
    assert!(keys[1]["_links"]["deactivate"].is_object());
    let id = keys[1]["id"].as_str().unwrap();
    let one = org.rows(&format!(
        "SELECT id, status FROM okta.apps.jwks WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_PRIVATE_KEY_JWT}' AND keyId = '{id}'"
    ));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], id);
    let missing = org.fails(&format!(
        "SELECT id FROM okta.apps.jwks WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_PRIVATE_KEY_JWT}' AND keyId = 'pksNoSuchKey00000000'"
    ));
    assert!(missing.contains("E0000007"), "{missing}");
    // Every private_key_jwt app of the demo org has 1 to 3 keys, with one ACTIVE at least.
    let per_app = org.rows(&format!(
        "SELECT a.id, count(k.id) AS keys, sum(k.status = 'ACTIVE') AS active \
         FROM okta.apps.applications a JOIN okta.apps.jwks k ON k.appId = a.id AND k.subdomain = a.subdomain \
         WHERE a.subdomain = '{DEMO_ORG}' AND json_extract(a.credentials, '$.oauthClient.token_endpoint_auth_method') = 'private_key_jwt' \
         GROUP BY a.id"
    ));
    assert!(per_app.len() > 5, "{per_app:?}");
    for r in &per_app {
        let n = r["keys"].as_i64().unwrap();
        assert!((1..=3).contains(&n), "{r:?}");
        assert!(r["active"].as_i64().unwrap() >= 1, "{r:?}");
    }
}

#[test]
fn rotation_without_downtime_add_activate_deactivate_delete() {
    let org = org();
    let app = DEMO_APP_PRIVATE_KEY_JWT;
    let before = org.keys(app);
    let old = before.iter().find(|k| k["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let added = org.rows(&add_key_sql(
        app,
        "key-2026-12",
        "INACTIVE",
        &modulus(256, 7),
    ));
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["status"], "INACTIVE");
    assert_eq!(added[0]["kid"], "key-2026-12");
    let new = added[0]["id"].as_str().unwrap().to_string();

    let activated = org.rows(&format!(
        "EXEC okta.apps.jwks.activate_oauth2_client_json_web_key @subdomain='{DEMO_ORG}', @appId='{app}', @keyId='{new}'"
    ));
    assert_eq!(activated[0]["status"], "ACTIVE");
    let deactivated = org.rows(&format!(
        "EXEC okta.apps.jwks.deactivate_oauth2_client_json_web_key @subdomain='{DEMO_ORG}', @appId='{app}', @keyId='{old}'"
    ));
    assert_eq!(deactivated[0]["status"], "INACTIVE");
    let out = org.run(&format!(
        "DELETE FROM okta.apps.jwks WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND keyId = '{old}'"
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = org.keys(app);
    assert!(after.iter().all(|k| k["id"] != old.as_str()));
    let active: Vec<_> = after.iter().filter(|k| k["status"] == "ACTIVE").collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["id"], new.as_str());
}

#[test]
fn okta_key_rules_are_exit_1_errors() {
    let org = org();
    let app = DEMO_APP_PRIVATE_KEY_JWT;
    let keys = org.keys(app);
    let active = keys.iter().find(|k| k["status"] == "ACTIVE").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let e = org.fails(&format!(
        "DELETE FROM okta.apps.jwks WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND keyId = '{active}'"
    ));
    assert!(e.contains("can't delete an active JSON Web Key"), "{e}");
    let e = org.fails(&format!(
        "EXEC okta.apps.jwks.deactivate_oauth2_client_json_web_key @subdomain='{DEMO_ORG}', @appId='{app}', @keyId='{active}'"
    ));
    assert!(
        e.contains("only active JSON Web Key") && e.contains("private_key_jwt"),
        "{e}"
    );
    let kid = keys[0]["kid"].as_str().unwrap();
    let e = org.fails(&add_key_sql(app, kid, "INACTIVE", &modulus(256, 1)));
    assert!(e.contains("unique `kid`"), "{e}");
    let e = org.fails(&add_key_sql(app, "short", "INACTIVE", &modulus(128, 1)));
    assert!(e.contains("less than '2,048' bits"), "{e}");
    let e = org.fails(&add_key_sql(DEMO_APP_SAML, "k", "ACTIVE", &modulus(256, 1)));
    assert!(e.contains("exist only for OAuth 2.0 client apps"), "{e}");
    assert_eq!(org.keys(app).len(), 2, "refused writes change nothing");

    // At most 50 keys per client: 48 more fit in one fan-out INSERT, the 51st is refused.
    let rows: Vec<String> = (0..48)
        .map(|i| {
            format!(
                "('k{i}', 'RSA', 'AQAB', '{}', 'INACTIVE', '{DEMO_ORG}', '{app}')",
                modulus(256, i as u8)
            )
        })
        .collect();
    let out = org.run(&format!(
        "INSERT INTO okta.apps.jwks (data__kid, data__kty, data__e, data__n, data__status, subdomain, appId) VALUES {}",
        rows.join(", ")
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(org.keys(app).len(), 50);
    let e = org.fails(&add_key_sql(app, "k51", "INACTIVE", &modulus(256, 9)));
    assert!(e.contains("maximum number of keys allowed (50)"), "{e}");

    // A client_secret_basic client may drop its last key; its secrets are unaffected.
    let other = DEMO_APP_ONE_SECRET;
    let k = org.rows(&add_key_sql(other, "only", "ACTIVE", &modulus(256, 3)));
    let id = k[0]["id"].as_str().unwrap();
    let d = org.rows(&format!(
        "EXEC okta.apps.jwks.deactivate_oauth2_client_json_web_key @subdomain='{DEMO_ORG}', @appId='{other}', @keyId='{id}'"
    ));
    assert_eq!(d[0]["status"], "INACTIVE");
}

#[test]
fn keys_survive_a_restart_and_a_state_breaking_a_key_rule_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = SandboxConfig {
        state_file: Some(path.clone()),
        demo_apps: 30,
        ..SandboxConfig::default()
    };
    let org = org_with(config.clone()).unwrap();
    let added = org.rows(&add_key_sql(
        DEMO_APP_PRIVATE_KEY_JWT,
        "durable",
        "INACTIVE",
        &modulus(256, 5),
    ));
    let id = added[0]["id"].as_str().unwrap().to_string();
    org.stop();

    let org = org_with(config.clone()).unwrap();
    let keys = org.keys(DEMO_APP_PRIVATE_KEY_JWT);
    assert_eq!(keys.len(), 3);
    assert!(keys
        .iter()
        .any(|k| k["id"] == id.as_str() && k["kid"] == "durable"));
    org.stop();

    // Every key of the private_key_jwt app made INACTIVE: the API would refuse that state.
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let apps = state["orgs"][0]["apps"].as_array_mut().unwrap();
    let app = apps
        .iter_mut()
        .find(|a| a["id"] == DEMO_APP_PRIVATE_KEY_JWT)
        .unwrap();
    for k in app["jwks"].as_array_mut().unwrap() {
        k["status"] = "INACTIVE".into();
    }
    let broken = serde_json::to_vec(&state).unwrap();
    std::fs::write(&path, &broken).unwrap();
    let err = org_with(config).err().expect("refused");
    assert!(matches!(err, SandboxError::CorruptState { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(DEMO_APP_PRIVATE_KEY_JWT) && msg.contains("private_key_jwt"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), broken, "left untouched");
}
