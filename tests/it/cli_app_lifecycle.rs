//! `okta.apps.applications.activate_application` / `deactivate_application` through the
//! `oktaql` binary against a sandbox: the status changes and is read back, each change writes
//! one `application.lifecycle.*` event, an unknown app is Okta's 404, and the status survives
//! a restart with `--state`.

use crate::common::cli::{org, org_with, Org, Row};
use oktaql::sandbox::{SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_ORG};

fn exec(org: &Org, method: &str, app: &str) -> std::process::Output {
    org.run(&format!(
        "EXEC okta.apps.applications.{method} @subdomain='{DEMO_ORG}', @appId='{app}'"
    ))
}

fn status(org: &Org, app: &str) -> String {
    org.rows(&format!(
        "SELECT status FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND id = '{app}'"
    ))[0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The app's `application.lifecycle.*` events, oldest first.
fn lifecycle_events(org: &Org, app: &str) -> Vec<Row> {
    org.rows(&format!(
        "SELECT eventType, displayMessage, actor, target, outcome \
         FROM okta.logs.system_log_events \
         WHERE subdomain = '{DEMO_ORG}' AND since = '2020-01-01T00:00:00Z' \
         AND until = '2100-01-01T00:00:00Z' \
         AND filter = 'target.id eq \"{app}\"'"
    ))
    .into_iter()
    .filter(|r| {
        r["eventType"]
            .as_str()
            .unwrap()
            .starts_with("application.lifecycle.")
    })
    .collect()
}

#[test]
fn deactivate_then_activate_changes_the_status_and_logs_each_change() {
    let org = org();
    let app = DEMO_APP_ONE_SECRET;
    assert_eq!(status(&org, app), "ACTIVE");
    let before = lifecycle_events(&org, app).len();

    let out = exec(&org, "deactivate_application", app);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(status(&org, app), "INACTIVE");
    let out = exec(&org, "activate_application", app);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(status(&org, app), "ACTIVE");

    let rows = lifecycle_events(&org, app);
    let new = &rows[before..];
    let types: Vec<&str> = new
        .iter()
        .map(|r| r["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "application.lifecycle.deactivate",
            "application.lifecycle.activate"
        ],
        "{new:?}"
    );
    assert_eq!(new[0]["displayMessage"], "Deactivate application");
    for r in new {
        assert_eq!(r["actor"]["alternateId"], "admin@example.com");
        assert_eq!(r["target"][0]["id"], app);
        assert_eq!(r["target"][0]["type"], "AppInstance");
        assert_eq!(r["outcome"]["result"], "SUCCESS");
    }
}

#[test]
fn an_unknown_app_is_a_not_found_error() {
    let org = org();
    for method in ["activate_application", "deactivate_application"] {
        let e = org.fails(&format!(
            "EXEC okta.apps.applications.{method} @subdomain='{DEMO_ORG}', @appId='0oaNoSuchApp'"
        ));
        assert!(e.contains("404") && e.contains("0oaNoSuchApp"), "{e}");
    }
}

#[test]
fn the_status_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        state_file: Some(dir.path().join("state.json")),
        ..SandboxConfig::default()
    };
    let org = org_with(config.clone()).unwrap();
    let out = exec(&org, "deactivate_application", DEMO_APP_ONE_SECRET);
    assert!(out.status.success(), "{out:?}");
    org.stop();
    let org = org_with(config).unwrap();
    assert_eq!(status(&org, DEMO_APP_ONE_SECRET), "INACTIVE");
    assert_eq!(lifecycle_events(&org, DEMO_APP_ONE_SECRET).len(), 1);
}
