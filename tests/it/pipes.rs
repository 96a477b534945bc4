//! oktaql in pipelines, through the binary: piped standard input is a script, piped
//! output has no colour and no width limit, `--outfile` is atomic and private when it holds
//! secrets, a closed pipe ends quietly, and several statements make well-formed JSON,
//! JSONL and CSV streams.

use std::io::{BufRead, BufReader};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

const APP: &str = "0oa8f2kr7HwM3cPeL9s2";

fn oktaql() -> Command {
    let mut cmd = Command::cargo_bin("oktaql").unwrap();
    cmd.env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN")
        .env_remove("NO_COLOR");
    cmd
}

fn secrets_query(columns: &str) -> String {
    format!(
        "SELECT {columns} FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}'"
    )
}

#[test]
fn piped_standard_input_is_a_script() {
    let script = format!("{};\nSHOW SERVICES IN okta;\n", secrets_query("id"));
    for args in [&["exec", "--sandbox"][..], &["shell", "--sandbox"][..]] {
        oktaql()
            .args(args)
            .args(["-o", "csv"])
            .write_stdin(script.clone())
            .assert()
            .success()
            .stdout(predicate::str::starts_with(
                "id\nocsOBwKiaHGmdZc4DOc9\nocsnpBqEzjeUjeBLRktC\nname,title,description\napps,",
            ));
    }
    // With no subcommand at all.
    oktaql()
        .write_stdin("SHOW PROVIDERS;")
        .assert()
        .success()
        .stdout(predicate::str::contains("okta"));
    // A failing script exits 1, also when given to `shell`.
    oktaql()
        .args(["shell", "--sandbox"])
        .write_stdin(
            "SELECT nosuch FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = 'x';",
        )
        .assert()
        .code(1)
        // The position of the unknown column, not of the statement.
        .stderr(predicate::str::contains(
            "<stdin>:1:8: unknown column nosuch",
        ));
}

#[test]
fn piped_output_has_no_colour_and_no_width_limit() {
    let out = oktaql()
        .args(["exec", "--sandbox"])
        .arg("SELECT * FROM okta.apps.applications WHERE subdomain = 'my-org' LIMIT 3")
        .env("COLUMNS", "40")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains('\x1b'), "escape codes in piped output");
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(
        widest > 300,
        "rows were fitted to a width: {widest} columns"
    );
    assert_eq!(text.lines().count(), 3 + 4, "one line per row:\n{text}");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn outfile_is_replaced_only_when_the_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.csv");
    std::fs::write(&path, "previous contents\n").unwrap();
    #[cfg(unix)]
    let before = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        mode(&path)
    };
    // The second statement fails at Okta after the first wrote rows.
    oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "--outfile"])
        .arg(&path)
        .arg(format!(
            "{}; SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaMISSING'",
            secrets_query("id")
        ))
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("was not written"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "previous contents\n"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["secrets.csv"], "temporary files left behind");

    oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "--outfile"])
        .arg(&path)
        .arg(secrets_query("id, status"))
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "id,status\nocsOBwKiaHGmdZc4DOc9,INACTIVE\nocsnpBqEzjeUjeBLRktC,ACTIVE\n"
    );
    // The replaced file keeps the mode it had.
    #[cfg(unix)]
    assert_eq!(mode(&path), before);
}

#[cfg(unix)]
#[test]
fn outfile_holding_client_secrets_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    oktaql()
        .args(["exec", "--sandbox", "-o", "json", "--outfile"])
        .arg(&path)
        .arg(secrets_query("id, client_secret"))
        .assert()
        .success();
    assert_eq!(mode(&path), 0o600);
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Far more output than a pipe buffers, so writes hit the closed pipe.
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_oktaql"))
        .args(["exec", "--sandbox", "-o", "jsonl"])
        .arg("SELECT * FROM okta.apps.applications WHERE subdomain = 'my-org'; SELECT * FROM okta.apps.applications WHERE subdomain = 'my-org'")
        .env_remove("OKTAQL_SERVER_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    // The reader (as `head -1` would) is gone now.
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "exit status");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "stderr");
}

#[test]
fn json_is_one_document_per_statement() {
    let out = oktaql()
        .args(["exec", "--sandbox", "-o", "json"])
        .arg(format!(
            "{q}; DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}' AND secretId = 'ocsOBwKiaHGmdZc4DOc9'; {q}",
            q = secrets_query("id")
        ))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 3, "{}", String::from_utf8_lossy(&out));
    assert_eq!(docs[0].as_array().map(Vec::len), Some(2));
    assert_eq!(docs[1], serde_json::json!([]));
    assert_eq!(docs[2], serde_json::json!([{"id": "ocsnpBqEzjeUjeBLRktC"}]));
}

#[test]
fn jsonl_is_one_object_per_line() {
    let out = oktaql()
        .args(["exec", "--sandbox", "-o", "jsonl"])
        .arg(format!("{q}; {q}", q = secrets_query("id, status")))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("id").is_some() && v.get("status").is_some(), "{line}");
    }
}

#[test]
fn csv_repeats_no_header_when_hidden() {
    let two = format!("{q}; {q}", q = secrets_query("id"));
    oktaql()
        .args(["exec", "--sandbox", "-o", "csv", "--hide-headers"])
        .arg(&two)
        .assert()
        .success()
        .stdout("ocsOBwKiaHGmdZc4DOc9\nocsnpBqEzjeUjeBLRktC\nocsOBwKiaHGmdZc4DOc9\nocsnpBqEzjeUjeBLRktC\n");
    oktaql()
        .args(["exec", "--sandbox", "-o", "csv"])
        .arg(&two)
        .assert()
        .success()
        .stdout(predicate::function(|s: &str| {
            s.matches("id\n").count() == 2
        }));
}
