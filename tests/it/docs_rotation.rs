//! Runs every ```sql block of `docs/rotation.md`, in order, against a sandbox, so the
//! worked rotation queries never rot.

use std::collections::HashMap;

use oktaql::exec::ClientConfig;
use oktaql::provider::Registry;
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET};
use oktaql::template::{render, Vars};
use oktaql::{Engine, EngineConfig, Rows};

use crate::common::docs::{blocks, column};

#[tokio::test]
async fn rotation_doc_queries_run() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rotation.md")).unwrap();
    // The well-known demo apps and a few dozen generated ones: the scans below read every
    // app's secrets, and the doc's results do not need the default 260 apps.
    let sandbox = Sandbox::start(SandboxConfig {
        demo_apps: 40,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client = ClientConfig {
        token: Some(sandbox.token().to_string()),
        ..ClientConfig::default()
    };
    let engine = Engine::new(config).unwrap();
    let mut vars = Vars::new();
    vars.set("subdomain", "my-org");
    vars.set("app_id", DEMO_APP_ONE_SECRET);
    let mut results: HashMap<String, Vec<Rows>> = HashMap::new();
    let steps = blocks(&doc);
    assert!(steps.len() >= 6, "{} blocks", steps.len());
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
        match name.as_str() {
            "two-active" | "two-active-subquery" => {
                assert!(
                    !outputs[0].is_empty(),
                    "the demo org has apps with two active secrets"
                )
            }
            "stale" => assert!(!outputs[0].is_empty(), "the demo secrets are years old"),
            "free-slot" => assert!(!outputs[0].is_empty()),
            "current" => {
                let rows = &outputs[0];
                assert_eq!(rows.len(), 1);
                vars.set("old_id", column(rows, "id")[0].clone());
            }
            "create" => {
                let rows = &outputs[0];
                assert_eq!(column(rows, "status")[0], "INACTIVE");
                vars.set("new_id", column(rows, "id")[0].clone());
            }
            "switch" => {
                let last = outputs.last().unwrap();
                assert_eq!(last.len(), 1, "only the new secret is left");
                assert_eq!(column(last, "id")[0], *vars.get("new_id").unwrap());
                assert_eq!(column(last, "status")[0], "ACTIVE");
            }
            other => panic!("unknown step {other}"),
        }
        results.insert(name.clone(), outputs);
    }
    sandbox.shutdown().await;
}
