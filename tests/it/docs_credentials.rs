//! Runs every ```sql block of `docs/credentials.md`, in order, against a sandbox, so the
//! credential and System Log queries never rot.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oktaql::exec::ClientConfig;
use oktaql::provider::Registry;
use oktaql::sandbox::{
    Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_PRIVATE_KEY_JWT, DEMO_APP_SAML,
    DEMO_APP_TWO_SECRETS,
};
use oktaql::template::{render, Vars};
use oktaql::{Engine, EngineConfig, Rows};

use crate::common::docs::{blocks, column};

#[tokio::test]
async fn credentials_doc_queries_run() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/credentials.md"))
        .unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client = ClientConfig {
        token: Some(sandbox.token().to_string()),
        ..ClientConfig::default()
    };
    let engine = Engine::new(config).unwrap();
    let mut vars = Vars::new();
    vars.set("app_id", DEMO_APP_ONE_SECRET);
    vars.set("key_app_id", DEMO_APP_PRIVATE_KEY_JWT);
    vars.set("saml_app_id", DEMO_APP_SAML);
    let start = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    vars.set(
        "incident_start",
        start
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
    );
    vars.set("new_kid", "rotation-2026");
    let mut n = vec![0x9du8; 256];
    n[0] = 0xc1;
    vars.set("new_key_n", URL_SAFE_NO_PAD.encode(n));
    // The demo org's INACTIVE secret of Grafana, for the audit trail.
    let grafana = engine
        .run(&oktaql::sql::split(&format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' AND status = 'INACTIVE'"
        ))[0])
        .await
        .unwrap()
        .rows
        .unwrap();
    vars.set("inactive_secret_id", column(&grafana, "id")[0].clone());
    let mut results: HashMap<String, Vec<Rows>> = HashMap::new();
    let steps = blocks(&doc);
    assert_eq!(steps.len(), 15, "{} blocks", steps.len());
    for (name, sql) in &steps {
        let text = render(sql, &vars).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut outputs = Vec::new();
        for source in oktaql::sql::split(&text) {
            let outcome = engine
                .run(&source)
                .await
                .unwrap_or_else(|e| panic!("step {name}: {e}\n{}", source.text));
            outputs.push(outcome.rows.unwrap_or_default());
        }
        let first = &outputs[0];
        match name.as_str() {
            "every-credential" => {
                let kinds = column(first, "kind");
                for kind in ["secret", "refresh token", "jwk"] {
                    assert!(kinds.iter().any(|k| k == kind), "{kind}: {kinds:?}");
                }
            }
            "expiring-certs" => {
                let states = column(first, "state");
                assert!(
                    states.iter().filter(|s| *s == "expired").count() >= 2,
                    "{states:?}"
                );
                assert!(
                    states.iter().filter(|s| *s == "expiring").count() >= 2,
                    "{states:?}"
                );
                assert!(column(first, "label").iter().any(|l| l == "Salesforce"));
            }
            "cert-generate" => {
                let expires = column(first, "expiresAt")[0].as_str().unwrap().to_string();
                let year = time::OffsetDateTime::now_utc().year() + 2;
                assert!(expires.starts_with(&year.to_string()), "{expires}");
            }
            "stale-integration-secrets" => {
                // The SIEM export's 400-day-old secret; the rotated ones are recent.
                assert_eq!(column(first, "name"), ["SIEM Log Export"]);
            }
            "stale-keys" => assert!(!first.is_empty(), "the demo org has old keys"),
            "audit" => {
                assert_eq!(
                    column(first, "eventType"),
                    [
                        "app.oauth2.credentials.lifecycle.create",
                        "app.oauth2.credentials.lifecycle.deactivate"
                    ]
                );
                assert_eq!(column(first, "who")[0], "admin@example.com");
            }
            "leak-current" => {
                assert_eq!(first.len(), 1);
                vars.set("leaked_id", column(first, "id")[0].clone());
            }
            "leak-replace" => {
                assert_eq!(column(first, "status")[0], "ACTIVE");
                vars.set("new_secret_id", column(first, "id")[0].clone());
            }
            "leak-deactivate" => assert_eq!(column(first, "status")[0], "INACTIVE"),
            "leak-revoke-tokens" => {
                assert_eq!(first.len(), 3, "the app's seeded tokens");
                assert_eq!(column(outputs.last().unwrap(), "tokens_left"), [0]);
            }
            "leak-log" => {
                let types = column(first, "eventType");
                assert_eq!(
                    types,
                    [
                        "app.oauth2.credentials.lifecycle.create",
                        "app.oauth2.credentials.lifecycle.deactivate",
                        "app.oauth2.token.revoke",
                        "app.oauth2.token.revoke",
                        "app.oauth2.token.revoke"
                    ]
                );
                let creds = column(first, "credential");
                assert_eq!(creds[0], *vars.get("new_secret_id").unwrap());
                assert_eq!(creds[1], *vars.get("leaked_id").unwrap());
                assert_eq!(column(first, "kind")[2..], ["RefreshToken"; 3]);
            }
            "jwk-current" => {
                assert_eq!(first.len(), 1);
                vars.set("old_key_id", column(first, "id")[0].clone());
            }
            "jwk-add" => {
                assert_eq!(column(first, "status")[0], "INACTIVE");
                vars.set("new_key_id", column(first, "id")[0].clone());
            }
            "jwk-activate" => assert_eq!(column(first, "status")[0], "ACTIVE"),
            "jwk-retire" => {
                let last = outputs.last().unwrap();
                let ids = column(last, "id");
                assert!(!ids.contains(vars.get("old_key_id").unwrap()));
                assert!(ids.contains(vars.get("new_key_id").unwrap()));
            }
            other => panic!("unknown step {other}"),
        }
        results.insert(name.clone(), outputs);
    }
    sandbox.shutdown().await;
}
