//! `okta.apps.keys` (app signing key credentials) through the `oktaql` binary against a sandbox
//! started in this test process: the seeded SAML certificates (expired and expiring soon),
//! SELECT by app and by `kid`, INSERT (generate) and EXEC (clone), every Okta rule as an exit-1
//! error, a System Log event per change, and keys that survive a restart with `--state`.

use crate::common::cli::{org, org_with, Org, Row};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use oktaql::sandbox::{SandboxConfig, SandboxError, DEMO_APP_ONE_SECRET, DEMO_APP_SAML, DEMO_ORG};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn keys(org: &Org, app: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT kid, kty, use, e, n, x5c, \"x5t#S256\" AS x5t, created, lastUpdated, expiresAt \
         FROM okta.apps.keys WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' ORDER BY created"
    ))
}

fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `x5c` as the engine returns it: a JSON array, or its text.
fn first_cert(k: &Row) -> Vec<u8> {
    let x5c = match &k["x5c"] {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap(),
        v => v.clone(),
    };
    STANDARD.decode(x5c[0].as_str().unwrap()).unwrap()
}

/// The SAML apps of the demo org.
fn saml_apps(org: &Org) -> Vec<String> {
    org.rows(&format!(
        "SELECT id FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND signOnMode = 'SAML_2_0'"
    ))
    .iter()
    .map(|r| r["id"].as_str().unwrap().to_string())
    .collect()
}

#[test]
fn seeded_certificates_are_expired_or_expiring_and_carry_their_key() {
    let org = org();
    let ks = keys(&org, DEMO_APP_SAML);
    assert_eq!(ks.len(), 2, "{ks:?}");
    let now = now();
    let in_30_days = {
        let t = time::OffsetDateTime::now_utc() + time::Duration::days(30);
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    };
    let old = ks[0]["expiresAt"].as_str().unwrap();
    let new = ks[1]["expiresAt"].as_str().unwrap();
    assert!(
        old < now.as_str(),
        "the older certificate has expired: {old}"
    );
    assert!(
        new > now.as_str() && new < in_30_days.as_str(),
        "the newer one expires within 30 days: {new}"
    );
    for k in &ks {
        assert_eq!(
            (k["kty"].as_str(), k["use"].as_str()),
            (Some("RSA"), Some("sig"))
        );
        assert_eq!(k["e"], "AQAB");
        assert_eq!(k["kid"].as_str().unwrap().len(), 43);
        let der = first_cert(k);
        assert_eq!(der[0], 0x30, "DER certificate");
        assert_eq!(
            k["x5t"].as_str().unwrap(),
            URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
            "x5t#S256 is the certificate's thumbprint"
        );
        let n = URL_SAFE_NO_PAD.decode(k["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256);
        assert!(der.windows(n.len()).any(|w| w == n.as_slice()));
    }
    let kid = ks[1]["kid"].as_str().unwrap();
    let one = org.rows(&format!(
        "SELECT kid, expiresAt FROM okta.apps.keys WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_SAML}' AND keyId = '{kid}'"
    ));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["expiresAt"], ks[1]["expiresAt"]);
    let e = org.fails(&format!(
        "SELECT kid FROM okta.apps.keys WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_SAML}' AND keyId = 'noSuchKid'"
    ));
    assert!(e.contains("E0000007") && e.contains("noSuchKid"), "{e}");

    // Across the org: SAML certificates expiring within 30 days, and already expired.
    let soon = org.rows(&format!(
        "SELECT a.label, k.kid, k.expiresAt FROM okta.apps.applications a \
         JOIN okta.apps.keys k ON k.subdomain = a.subdomain AND k.appId = a.id \
         WHERE a.subdomain = '{DEMO_ORG}' AND a.signOnMode = 'SAML_2_0' \
         AND k.expiresAt >= '{now}' AND k.expiresAt < '{in_30_days}'"
    ));
    assert!(soon.len() >= 2, "{soon:?}");
    let expired = org.rows(&format!(
        "SELECT a.label, k.expiresAt FROM okta.apps.applications a \
         JOIN okta.apps.keys k ON k.subdomain = a.subdomain AND k.appId = a.id \
         WHERE a.subdomain = '{DEMO_ORG}' AND a.signOnMode = 'SAML_2_0' AND k.expiresAt < '{now}'"
    ));
    assert!(expired.len() >= 2, "{expired:?}");
    // OIDC apps sign with the org's keys: no app key credentials are seeded for them.
    assert!(keys(&org, DEMO_APP_ONE_SECRET).is_empty());
}

fn key_events(org: &Org, kid: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT eventType, actor, target, outcome FROM okta.logs.system_log_events \
         WHERE subdomain = '{DEMO_ORG}' AND since = '2020-01-01T00:00:00Z' \
         AND filter = 'target.id eq \"{kid}\"'"
    ))
}

fn json(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(v.clone()),
        v => v.clone(),
    }
}

#[test]
fn generate_and_clone_write_keys_and_log_events() {
    let org = org();
    let saml = saml_apps(&org);
    let target = saml.iter().find(|a| *a != DEMO_APP_SAML).unwrap().clone();
    let made = org.rows(&format!(
        "INSERT INTO okta.apps.keys (subdomain, appId, validityYears) \
         SELECT '{DEMO_ORG}', '{DEMO_APP_SAML}', 3 RETURNING kid, expiresAt, created"
    ));
    assert_eq!(made.len(), 1);
    let kid = made[0]["kid"].as_str().unwrap().to_string();
    let created = made[0]["created"].as_str().unwrap();
    let expires = made[0]["expiresAt"].as_str().unwrap();
    let year: i32 = created[..4].parse().unwrap();
    assert_eq!(
        &expires[..4],
        (year + 3).to_string(),
        "{created} → {expires}"
    );
    assert_eq!(keys(&org, DEMO_APP_SAML).len(), 3);

    let cloned = org.rows(&format!(
        "EXEC okta.apps.keys.clone_application_key @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_SAML}', @keyId='{kid}', @targetAid='{target}'"
    ));
    assert_eq!(cloned[0]["kid"], kid.as_str());
    assert_eq!(cloned[0]["expiresAt"], expires);
    let in_target = keys(&org, &target);
    let copy = in_target.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    let original = keys(&org, DEMO_APP_SAML)
        .into_iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    assert_eq!(
        first_cert(copy),
        first_cert(&original),
        "the same certificate"
    );

    let events = key_events(&org, &kid);
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["app.keys.generate", "app.keys.clone"], "{events:?}");
    let clone_target = json(&events[1]["target"]);
    assert_eq!(clone_target[0]["id"], target.as_str(), "the app cloned to");
    assert_eq!(clone_target[1]["type"], "AppInstanceKeyCredential");
    assert_eq!(json(&events[0]["outcome"])["result"], "SUCCESS");
}

#[test]
fn okta_key_rules_are_exit_1_errors_and_write_nothing() {
    let org = org();
    let saml = saml_apps(&org);
    let other = saml.iter().find(|a| *a != DEMO_APP_SAML).unwrap().clone();
    let before = keys(&org, DEMO_APP_SAML);
    for years in [1, 11, 0] {
        let e = org.fails(&format!(
            "INSERT INTO okta.apps.keys (subdomain, appId, validityYears) SELECT '{DEMO_ORG}', '{DEMO_APP_SAML}', {years}"
        ));
        assert!(
            e.contains("E0000001")
                && e.contains("Validity years out of range. It should be 2 - 10 years."),
            "{years}: {e}"
        );
    }
    let e = org.fails(&format!(
        "INSERT INTO okta.apps.keys (subdomain, appId) SELECT '{DEMO_ORG}', '{DEMO_APP_SAML}'"
    ));
    assert!(e.contains("validityYears"), "{e}");
    let e = org.fails(&format!(
        "INSERT INTO okta.apps.keys (subdomain, appId, validityYears) SELECT '{DEMO_ORG}', '0oaNoSuchApp00000000', 2"
    ));
    assert!(
        e.contains("E0000007") && e.contains("0oaNoSuchApp00000000"),
        "{e}"
    );

    let kid = before[1]["kid"].as_str().unwrap();
    let e = org.fails(&format!(
        "EXEC okta.apps.keys.clone_application_key @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_SAML}', @keyId='{kid}', @targetAid='0oaNoSuchApp00000000'"
    ));
    assert!(
        e.contains("E0000007") && e.contains("0oaNoSuchApp00000000"),
        "{e}"
    );
    let e = org.fails(&format!(
        "EXEC okta.apps.keys.clone_application_key @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_SAML}', @keyId='noSuchKid', @targetAid='{other}'"
    ));
    assert!(e.contains("E0000007") && e.contains("noSuchKid"), "{e}");
    let e = org.fails(&format!(
        "EXEC okta.apps.keys.clone_application_key @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_SAML}', @keyId='{kid}'"
    ));
    assert!(e.contains("targetAid"), "{e}");
    // A key cloned once is refused the second time; so is cloning to the app that holds it.
    org.rows(&format!(
        "EXEC okta.apps.keys.clone_application_key @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_SAML}', @keyId='{kid}', @targetAid='{other}'"
    ));
    for target in [other.as_str(), DEMO_APP_SAML] {
        let e = org.fails(&format!(
            "EXEC okta.apps.keys.clone_application_key @subdomain='{DEMO_ORG}', @appId='{DEMO_APP_SAML}', @keyId='{kid}', @targetAid='{target}'"
        ));
        assert!(
            e.contains("Key already exists in the list of key credentials for the target app."),
            "{e}"
        );
    }
    assert_eq!(
        keys(&org, DEMO_APP_SAML),
        before,
        "refused writes change nothing"
    );
    let types: Vec<String> = key_events(&org, kid)
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        ["app.keys.generate", "app.keys.clone"],
        "one clone, one event"
    );
}

#[test]
fn keys_survive_a_restart_and_a_repeated_kid_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = SandboxConfig {
        state_file: Some(path.clone()),
        demo_apps: 30,
        ..SandboxConfig::default()
    };
    let org = org_with(config.clone()).unwrap();
    let made = org.rows(&format!(
        "INSERT INTO okta.apps.keys (subdomain, appId, validityYears) SELECT '{DEMO_ORG}', '{DEMO_APP_SAML}', 10 RETURNING kid"
    ));
    let kid = made[0]["kid"].as_str().unwrap().to_string();
    org.stop();

    let org = org_with(config.clone()).unwrap();
    let ks = keys(&org, DEMO_APP_SAML);
    assert_eq!(ks.len(), 3);
    assert!(ks.iter().any(|k| k["kid"] == kid.as_str()));
    org.stop();

    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let apps = state["orgs"][0]["apps"].as_array_mut().unwrap();
    let app = apps.iter_mut().find(|a| a["id"] == DEMO_APP_SAML).unwrap();
    let first = app["keys"][0].clone();
    app["keys"].as_array_mut().unwrap().push(first);
    let broken = serde_json::to_vec(&state).unwrap();
    std::fs::write(&path, &broken).unwrap();
    let err = org_with(config).err().expect("refused");
    assert!(matches!(err, SandboxError::CorruptState { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(DEMO_APP_SAML) && msg.contains("repeated"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), broken, "left untouched");
}
