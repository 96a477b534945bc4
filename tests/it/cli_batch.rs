//! `oktaql exec` as a batch runner, through the binary: runbooks with template variables,
//! several files and standard input, stop at the first failure with file, line and
//! statement (exit 1), `--continue-on-error`, undefined variables reported before anything
//! runs, `--dry-run`, and usage errors (exit 2).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const APP: &str = "0oa8f2kr7HwM3cPeL9s2";
const APP_ONE: &str = "0oa8f2kq1XnT5bRzY4d7";

fn oktaql() -> Command {
    let mut cmd = Command::cargo_bin("oktaql").unwrap();
    cmd.env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN")
        .env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A rotation runbook in the shape the docs show: variables for the org and app, a
/// conditional step, a new secret, then the list.
const RUNBOOK: &str = "\
-- Rotate the client secret of one app.
SELECT id, status FROM okta.apps.secrets
WHERE subdomain = '{{ subdomain }}' AND appId = '{{ app_id }}'
ORDER BY created;
{% if create_new %}
INSERT INTO okta.apps.secrets (data__status, subdomain, appId)
SELECT 'INACTIVE', '{{ subdomain }}', '{{ app_id }}'
RETURNING status;
{% endif %}
SELECT count(*) AS secrets FROM okta.apps.secrets
WHERE subdomain = '{{ subdomain | lower }}' AND appId = '{{ app_id }}';
";

#[test]
fn runbook_with_variables_runs_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = write(dir.path(), "rotate.sql", RUNBOOK);
    let vars = write(
        dir.path(),
        "vars.json",
        &format!(r#"{{"subdomain": "MY-ORG", "app_id": "{APP_ONE}", "create_new": true}}"#),
    );
    // --var overrides the file.
    oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "-f"])
        .arg(&runbook)
        .arg("--vars")
        .arg(&vars)
        .args(["--var", "subdomain=my-org"])
        .assert()
        .success()
        .stdout(
            "id,status\nocsCNh0PToQ67NOiETQ0,ACTIVE\n\
             status\nINACTIVE\n\
             secrets\n2\n",
        );
    // Without the flag the conditional step is left out.
    oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "--hide-headers", "-f"])
        .arg(&runbook)
        .args([
            "--var",
            "subdomain=my-org",
            "--var",
            &format!("app_id={APP}"),
        ])
        .args(["--var", "create_new="])
        .assert()
        .success()
        .stdout("ocsOBwKiaHGmdZc4DOc9,INACTIVE\nocsnpBqEzjeUjeBLRktC,ACTIVE\n2\n");
}

#[test]
fn undefined_variables_are_named_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = write(dir.path(), "rotate.sql", RUNBOOK);
    oktaql()
        .args(["exec", "--sandbox", "-f"])
        .arg(&runbook)
        .args(["--var", "subdomain=my-org"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("rotate.sql"))
        .stderr(predicate::str::contains(
            "undefined template variable(s): app_id, create_new",
        ))
        .stderr(predicate::str::contains("--var name=value"));
}

#[test]
fn first_failure_stops_with_file_line_and_statement() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = write(
        dir.path(),
        "runbook.sql",
        &format!(
            "SELECT count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';\n\
             \n\
             -- this app does not exist\n\
             SELECT id FROM okta.apps.secrets\n  WHERE subdomain = 'my-org' AND appId = '0oaMISSING';\n\
             SELECT 'never' AS x FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';\n"
        ),
    );
    let assert = oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "-f"])
        .arg(&runbook)
        .assert()
        .code(1)
        .stdout("n\n2\n");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("runbook.sql:4:1:"), "{stderr}");
    assert!(stderr.contains("404"), "{stderr}");
    assert!(
        stderr.contains("in: SELECT id FROM okta.apps.secrets"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stopped: 1 of 3 statements completed"),
        "{stderr}"
    );
    assert!(!stderr.contains("never"), "{stderr}");

    // --continue-on-error runs the rest and still exits 1.
    oktaql()
        .args([
            "exec",
            "--sandbox",
            "-o",
            "csv",
            "--continue-on-error",
            "-f",
        ])
        .arg(&runbook)
        .assert()
        .code(1)
        .stdout("n\n2\nx\nnever\nnever\n")
        .stderr(predicate::str::contains("runbook.sql:4:1:"));
}

#[test]
fn a_statement_that_cannot_be_planned_stops_the_run_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = write(
        dir.path(),
        "bad.sql",
        &format!(
            "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'my-org', '{APP_ONE}';\n\
             SELECT nosuch FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';\n"
        ),
    );
    oktaql()
        .args(["exec", "--sandbox", "-f"])
        .arg(&runbook)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("bad.sql:2:"))
        .stderr(predicate::str::contains("unknown column nosuch"))
        .stderr(predicate::str::contains("nothing was run"));
}

/// `file:line:col` of the first place `token` is written on `line` (1-based) of `text`.
fn at(name: &str, text: &str, line: usize, token: &str) -> String {
    let l = text.lines().nth(line - 1).unwrap();
    let column = l[..l.find(token).unwrap()].chars().count() + 1;
    format!("{name}:{line}:{column}:")
}

#[test]
fn plan_bind_and_syntax_errors_point_at_their_token_with_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "-- every statement here fails to plan, each at its own token\n\
         SELECT id\n  FROM okta.apps.secrets\n WHERE subdomain = 'my-org';\n\
         SELECT id, stauts FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';\n\
         SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '..';\n\
         EXEC okta.apps.secrets.activate_secret @subdomain = 'my-org', @appId = '{APP}';\n\
         SELECT id FROM okta.apps.secretz WHERE subdomain = 'my-org';\n\
         SELECT id FROM okta.apps.secrets WHERE subdomain = 'bad host' AND appId = '{APP}';\n"
    );
    let runbook = write(dir.path(), "bad.sql", &text);
    let assert = oktaql()
        .args(["exec", "--sandbox", "-f"])
        .arg(&runbook)
        .assert()
        .code(1)
        .stdout("");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let expect = [
        (
            at("bad.sql", &text, 3, "okta.apps.secrets"),
            "missing required parameter appId",
        ),
        (at("bad.sql", &text, 5, "stauts"), "unknown column stauts"),
        (at("bad.sql", &text, 6, "'..'"), "is not a valid id"),
        (
            at("bad.sql", &text, 7, "activate_secret"),
            "has no method activate_secret",
        ),
        (
            at("bad.sql", &text, 8, "okta.apps.secretz"),
            "unknown resource okta.apps.secretz",
        ),
        (
            at("bad.sql", &text, 9, "'bad host'"),
            "is not a valid host name",
        ),
    ];
    for (position, message) in expect {
        let line = stderr
            .lines()
            .find(|l| l.contains(message))
            .unwrap_or_else(|| panic!("no error {message:?}:\n{stderr}"));
        assert!(
            line.starts_with("error: ") && line.contains(&format!("/{position} ")),
            "{line}\n{stderr}"
        );
    }
    // The source line, and a caret under the whole token.
    assert!(
        stderr.contains("  3 |   FROM okta.apps.secrets\n    |        ^^^^^^^^^^^^^^^^^\n"),
        "{stderr}"
    );
    assert!(stderr.contains("    |            ^^^^^^\n"), "{stderr}");

    // A syntax error keeps its own position and gets the same caret; the line is shown
    // with its literals redacted (a statement that does not parse may hold a secret
    // anywhere), and the caret follows the token.
    let runbook = write(
        dir.path(),
        "syntax.sql",
        "SHOW SERVICES IN okta;\nSELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' ORDER id;\n",
    );
    let assert = oktaql()
        .args(["exec", "--sandbox", "-f"])
        .arg(&runbook)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("/syntax.sql:2:61: syntax error: expected end of statement, found 'ORDER'"),
        "{stderr}"
    );
    let shown = "SELECT id FROM okta.apps.secrets WHERE subdomain = '<redacted>' ORDER id";
    let caret = " ".repeat(shown.find("ORDER").unwrap());
    assert!(
        stderr.contains(&format!("  2 | {shown}\n    | {caret}^\n")),
        "{stderr}"
    );
}

#[test]
fn several_files_and_standard_input_run_in_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(dir.path(), "one.sql", "SHOW SERVICES IN okta;");
    let two = write(
        dir.path(),
        "two.sql",
        "SHOW RESOURCES IN okta.apps LIKE 'sec%';",
    );
    oktaql()
        .args(["exec", "--sandbox", "-o", "text", "--hide-headers", "-f"])
        .arg(&two)
        .arg("-f")
        .arg(&one)
        .args(["-f", "-"])
        .write_stdin("SHOW PROVIDERS;")
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"(?s)^secrets\tokta\.apps\.secrets\t[^\n]*\napps\t[^\n]*\nlogs\t[^\n]*\nintegrations\t[^\n]*\nokta\n$",
            )
            .unwrap(),
        );
}

#[test]
fn a_missing_file_is_a_usage_error() {
    oktaql()
        .args(["exec", "--sandbox", "-f", "no/such/runbook.sql"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "cannot read the SQL file no/such/runbook.sql",
        ))
        .stderr(predicate::str::contains("check the path"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    oktaql()
        .args(["exec", "--sandbox", "--var", "novalue", "SHOW PROVIDERS"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--var name=value"));
    oktaql()
        .args(["exec", "--sandbox", "-o", "xml", "SHOW PROVIDERS"])
        .assert()
        .code(2);
}

#[test]
fn dry_run_prints_every_plan_and_sends_nothing() {
    let secret = "Never-Sent-Secret-0123456789abcdefXYZ";
    // Nothing listens on this port: any request would fail the run.
    let assert = oktaql()
        .args(["exec", "--dry-run", "--server-url", "http://127.0.0.1:9/{subdomain}"])
        .env("OKTA_API_TOKEN", "unused")
        .arg(format!(
            "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) SELECT '{secret}', 'my-org', '{APP}';\n\
             SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}' AND status = 'ACTIVE';\n\
             EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='my-org', @appId='{APP}', @secretId='ocs1';"
        ))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(!out.contains(secret), "secret in dry-run output:\n{out}");
    for want in [
        "create_oauth2_client_secret",
        &format!("POST http://127.0.0.1:9/my-org/api/v1/apps/{APP}/credentials/secrets"),
        r#""client_secret":"****""#,
        "list_oauth2_client_secrets",
        &format!("GET http://127.0.0.1:9/my-org/api/v1/apps/{APP}/credentials/secrets"),
        "deactivate_oauth2_client_secret",
        "/credentials/secrets/ocs1/lifecycle/deactivate",
    ] {
        assert!(out.contains(want), "missing {want} in:\n{out}");
    }
    assert_eq!(out.matches("-- <command line>:").count(), 3, "{out}");
}

#[test]
fn messages_about_a_failed_statement_never_show_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = write(
        dir.path(),
        "rotate.sql",
        "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId)\n\
         SELECT '{{ new_secret }}', 'my-org', '{{ app_id }}';\n",
    );
    let secret = "plain-secret-from-the-vault";
    // The app already has two secrets, Okta's maximum: the INSERT fails.
    let assert = oktaql()
        .args(["exec", "--sandbox", "-f"])
        .arg(&runbook)
        .args(["--var", &format!("new_secret={secret}")])
        .args(["--var", &format!("app_id={APP}")])
        .assert()
        .code(1);
    let out = assert.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rotate.sql:1:1:"), "{stderr}");
    assert!(
        stderr.contains("maximum number of client secrets"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(secret),
        "secret in the error output:\n{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));

    // A statement whose first line quotes the secret: the message shows it redacted.
    let secret = "zz-short-secret";
    let assert = oktaql()
        .args(["exec", "--sandbox", "--var", &format!("s={secret}")])
        .arg(format!(
            "EXEC okta.apps.secrets.create_oauth2_client_secret @@json='{{\"client_secret\":\"{{{{ s }}}}\"}}', @subdomain='my-org', @appId='{APP}'"
        ))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.contains("in: EXEC okta.apps.secrets"), "{stderr}");
    assert!(
        !stderr.contains("zz-s"),
        "secret in the error output:\n{stderr}"
    );
}

/// Long batches are planned on several threads: the statements still run in their order,
/// and a mistake anywhere is still reported by file and line before anything runs.
#[test]
fn long_batches_run_in_order_and_fail_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let statement = |i: usize| {
        format!(
            "SELECT '{i}' AS n, status FROM okta.apps.secrets \
             WHERE subdomain = 'my-org' AND appId = '{APP_ONE}';\n"
        )
    };
    let first: String = (0..90).map(statement).collect();
    let second: String = (90..180).map(statement).collect();
    let one = write(dir.path(), "one.sql", &first);
    let two = write(dir.path(), "two.sql", &second);
    let expected: String = (0..180).map(|i| format!("{i},ACTIVE\n")).collect();
    oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "--hide-headers", "-f"])
        .arg(&one)
        .arg("-f")
        .arg(&two)
        .assert()
        .success()
        .stdout(expected);

    // Statement 151 (line 61 of two.sql) names a column that does not exist.
    let mut lines: Vec<String> = (90..180).map(statement).collect();
    lines[60] = lines[60].replace("status FROM", "statuz FROM");
    let bad = write(dir.path(), "bad.sql", &lines.concat());
    oktaql()
        .args(["exec", "--sandbox", "-f"])
        .arg(&one)
        .arg("-f")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("bad.sql:61:"))
        .stderr(predicate::str::contains("statuz"))
        .stderr(predicate::str::contains("nothing was run"));
}

#[test]
fn continue_on_error_ends_with_a_summary_naming_each_failure() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = write(
        dir.path(),
        "checks.sql",
        &format!(
            "SELECT count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';\n\
             SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaMISSING1';\n\
             SELECT 'ok' AS x FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP_ONE}';\n\
             \n\
             SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaMISSING2';\n"
        ),
    );
    let assert = oktaql()
        .args([
            "exec",
            "--sandbox",
            "-o",
            "csv",
            "--continue-on-error",
            "-f",
        ])
        .arg(&runbook)
        .assert()
        .code(1)
        .stdout("n\n2\nx\nok\n");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let summary: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("ran "))
        .collect();
    let file = runbook.display().to_string();
    assert_eq!(summary.len(), 3, "{stderr}");
    assert_eq!(summary[0], "ran 4 statement(s): 2 succeeded, 2 failed");
    for (line, at) in [(summary[1], 2), (summary[2], 5)] {
        let head = format!("  failed: {file}:{at}: SELECT id FROM okta.apps.secrets WHERE");
        assert!(line.starts_with(&head), "{line}\n{stderr}");
    }
}

#[test]
fn one_document_makes_a_multi_statement_json_run_one_valid_document() {
    let sql = format!(
        "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';\n\
         SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaMISSING';\n\
         SELECT count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP_ONE}';\n\
         SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}' AND status = 'NONE'"
    );
    // Without the flag: one document per statement, which a JSON parser rejects as a whole.
    let plain = oktaql()
        .args([
            "exec",
            "--sandbox",
            "-o",
            "json",
            "--continue-on-error",
            &sql,
        ])
        .output()
        .unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&plain.stdout).is_err());
    let out = oktaql()
        .args([
            "exec",
            "--sandbox",
            "-o",
            "json",
            "--one-document",
            "--continue-on-error",
            &sql,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    // The failed statement leaves no element; the others appear in order.
    let results = doc.as_array().unwrap();
    assert_eq!(results.len(), 3, "{doc}");
    assert_eq!(results[0].as_array().unwrap().len(), 2);
    assert_eq!(results[0][1]["status"], "ACTIVE");
    assert_eq!(results[1], serde_json::json!([{"n": 1}]));
    assert_eq!(results[2], serde_json::json!([]));
}

/// The statements of the shell's `.help`: indented lines from the first example to the
/// `Templates:` line, joined up to each `;`.
fn help_examples() -> Vec<String> {
    let text = oktaql::shell::meta::Help.to_string();
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in text.lines().take_while(|l| !l.starts_with("Templates:")) {
        if !line.starts_with("  ") {
            continue;
        }
        current.push_str(line.trim());
        current.push(' ');
        if line.trim_end().ends_with(';') {
            statements.push(std::mem::take(&mut current));
        }
    }
    assert!(current.is_empty(), "unterminated example: {current}");
    statements
}

#[test]
fn every_help_example_runs_on_the_demo_org_in_order() {
    let examples = help_examples();
    assert!(examples.len() >= 9, "{examples:?}");
    for verb in ["SELECT", "INSERT", "EXEC", "DELETE", "SHOW", "DESCRIBE"] {
        assert!(
            examples.iter().any(|e| e.starts_with(verb)),
            "no {verb} example"
        );
    }
    // One run, one sandbox: each write sees what the ones before it did.
    let out = oktaql()
        .args(["exec", "--sandbox", "-o", "csv", &examples.join("\n")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(",ACTIVE"), "the new secret: {stdout}");
}

#[test]
fn exec_output_leaves_out_links_in_table_and_text_only() {
    let exec = format!(
        "EXEC okta.apps.secrets.get_oauth2_client_secret @subdomain='my-org', @appId='{APP}', @secretId='ocsnpBqEzjeUjeBLRktC'"
    );
    for (format, links) in [
        ("text", false),
        ("table", false),
        ("json", true),
        ("csv", true),
    ] {
        let out = oktaql()
            .args(["exec", "--sandbox", "-o", format, &exec])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("ocsnpBqEzjeUjeBLRktC"),
            "{format}: {stdout}"
        );
        assert_eq!(stdout.contains("_links"), links, "{format}: {stdout}");
        assert_eq!(
            stdout.contains("lifecycle/deactivate"),
            links,
            "{format}: {stdout}"
        );
    }
    // A SELECT that names _links still gets it in a table.
    let out = oktaql()
        .args([
            "exec",
            "--sandbox",
            "-o",
            "text",
            &format!("SELECT id, _links FROM okta.apps.secrets WHERE subdomain='my-org' AND appId='{APP}'"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("_links"));
}
