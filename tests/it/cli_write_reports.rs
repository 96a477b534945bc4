//! A write that prints no rows (a DELETE, an INSERT without RETURNING, an EXEC that answers
//! no body) says what it did on stderr in the formats read by people (table, text), as psql
//! says `DELETE 1`; stdout stays empty, and the machine formats (CSV, JSON) are unchanged.

use assert_cmd::Command;
use oktaql::sandbox::{DEMO_APP_ONE_SECRET, DEMO_APP_TWO_SECRETS, DEMO_ORG};

/// Runs `sql` on a fresh in-process demo org with `-o format`: (status, stdout, stderr).
fn run(format: &str, sql: &str) -> (bool, String, String) {
    let out = Command::cargo_bin("oktaql")
        .unwrap()
        .args(["exec", "--sandbox", "-o", format, sql])
        .env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo app's INACTIVE secret (the one a DELETE may remove).
fn inactive_secret() -> String {
    let (ok, out, err) = run(
        "csv",
        &format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' \
             AND appId = '{DEMO_APP_TWO_SECRETS}' AND status = 'INACTIVE'"
        ),
    );
    assert!(ok, "{err}");
    out.lines().nth(1).expect("one inactive secret").to_string()
}

fn writes() -> String {
    let app = DEMO_APP_TWO_SECRETS;
    let secret = inactive_secret();
    format!(
        "DELETE FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' \
         AND secretId = '{secret}';\n\
         INSERT INTO okta.apps.secrets (subdomain, appId) SELECT '{DEMO_ORG}', '{app}';\n\
         EXEC okta.apps.applications.deactivate_application @subdomain='{DEMO_ORG}', @appId='{app}';"
    )
}

#[test]
fn table_and_text_report_each_write_on_stderr_only() {
    let sql = writes();
    for format in ["table", "text"] {
        let (ok, out, err) = run(format, &sql);
        assert!(ok, "{format}: {err}");
        assert_eq!(out, "", "{format}: nothing on stdout");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "deleted 1 from okta.apps.secrets",
                "inserted 1 into okta.apps.secrets",
                "okta.apps.applications.deactivate_application: done",
            ],
            "{format}"
        );
    }
}

#[test]
fn machine_formats_stay_clean() {
    let sql = writes();
    let (ok, out, err) = run("csv", &sql);
    assert!(ok, "{err}");
    assert_eq!((out.as_str(), err.as_str()), ("", ""));
    let (ok, out, err) = run("json", &sql);
    assert!(ok, "{err}");
    assert_eq!(out, "[]\n[]\n[]\n");
    assert_eq!(err, "");
}

#[test]
fn a_write_that_prints_rows_and_a_read_add_no_report() {
    // This app holds one secret, so a second may be added.
    let app = DEMO_APP_ONE_SECRET;
    let (ok, out, err) = run(
        "table",
        &format!(
            "INSERT INTO okta.apps.secrets (subdomain, appId) SELECT '{DEMO_ORG}', '{app}' \
             RETURNING status;\n\
             SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}'"
        ),
    );
    assert!(ok, "{err}");
    assert!(out.contains("ACTIVE") && out.contains("ocs"), "{out}");
    assert_eq!(err, "");
}
