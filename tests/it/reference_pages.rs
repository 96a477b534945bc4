//! The reference pages in docs/reference/ are what `oktaql docs` writes for the built-in
//! provider: a test fails when they are stale (regenerate with
//! `cargo run -- docs --out docs/reference`).

use std::path::Path;

use assert_cmd::Command;

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn docs_reference_is_current() {
    let tmp = tempfile::tempdir().unwrap();
    Command::cargo_bin("oktaql")
        .unwrap()
        .args(["docs", "--out"])
        .arg(tmp.path())
        .assert()
        .success();
    let fresh = files(tmp.path());
    assert!(
        fresh.iter().any(|(n, _)| n.ends_with("secrets.md")),
        "{fresh:?}"
    );
    let committed = files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference"));
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "docs/reference/ is stale: run cargo run -- docs --out docs/reference"
    );
    for ((name, old), (_, new)) in committed.iter().zip(&fresh) {
        assert!(
            old == new,
            "docs/reference/{name} is stale: run cargo run -- docs --out docs/reference"
        );
    }
}

/// The SQL examples of every committed page.
fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference");
    let mut out = Vec::new();
    for (_, text) in files(&dir) {
        for block in text.split("```sql\n").skip(1) {
            out.push(block.split("```").next().unwrap().trim().to_string());
        }
    }
    out
}

#[test]
fn every_example_plans_and_every_select_runs_on_the_sandbox() {
    let examples = examples();
    assert!(examples.len() >= 8, "{examples:?}");
    // Every example plans (writes are run below, each on a fresh demo org).
    Command::cargo_bin("oktaql")
        .unwrap()
        .args(["exec", "--sandbox", "--dry-run", &examples.join("\n")])
        .assert()
        .success();
    // A SELECT whose page names a placeholder (`'<keyId>'`: an id the demo org's example app
    // does not have) is planned above; every other SELECT must return rows.
    let selects: Vec<&String> = examples
        .iter()
        .filter(|e| e.starts_with("SELECT") && !e.contains("'<"))
        .collect();
    assert!(!selects.is_empty());
    for sql in selects {
        let out = Command::cargo_bin("oktaql")
            .unwrap()
            .args(["exec", "--sandbox", "-o", "csv", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.len() > 20, "{sql}: rows expected");
    }
}

/// Write examples that cannot run on a fresh demo org, with why; they are only planned (with
/// every other example, `--dry-run`). Each must still fail when run, so that this list stays
/// honest.
const NOT_RUNNABLE: &[(&str, &str)] = &[
    (
        "INSERT INTO okta.apps.secrets",
        "the demo app already holds two client secrets, Okta's limit per app",
    ),
    (
        "INSERT INTO okta.apps.jwks",
        "a JSON Web Key needs its key material (kty with n and e, or x and y), which no \
         generated example can make up",
    ),
    (
        "'<",
        "names a placeholder value ('<name>'): an id known only once its object exists, or a \
         field whose valid values the document does not list",
    ),
];

/// The reason an example is on [`NOT_RUNNABLE`], if it is.
fn not_runnable(sql: &str) -> Option<&'static str> {
    NOT_RUNNABLE
        .iter()
        .find(|(pattern, _)| sql.contains(pattern))
        .map(|(_, why)| *why)
}

fn run(args: &[&str], sql: &str) -> std::process::Output {
    Command::cargo_bin("oktaql")
        .unwrap()
        .args(["exec", "--sandbox"])
        .args(args)
        .arg(sql)
        .env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn every_write_example_runs_on_a_fresh_demo_org() {
    let writes: Vec<String> = examples()
        .into_iter()
        .filter(|e| {
            ["INSERT", "DELETE", "EXEC"]
                .iter()
                .any(|w| e.starts_with(w))
        })
        .collect();
    assert!(writes.len() >= 6, "{writes:?}");
    // Each example is its own process on its own sandbox, so they run side by side. (Every
    // example, these included, is planned by the test above.)
    let outcomes: Vec<(&String, Option<&str>, std::process::Output)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = writes
                .iter()
                .map(|sql| {
                    scope.spawn(move || match not_runnable(sql) {
                        None => (sql, None, run(&["-o", "csv"], sql)),
                        Some(why) => (sql, Some(why), run(&[], sql)),
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
    let mut ran = 0;
    for (sql, why, out) in outcomes {
        match why {
            None => {
                assert!(
                    out.status.success(),
                    "{sql}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                ran += 1;
            }
            Some(why) => {
                assert!(
                    !out.status.success(),
                    "{sql} runs now: take it off NOT_RUNNABLE ({why})"
                );
            }
        }
    }
    assert!(
        ran >= 3,
        "only {ran} of {} write examples ran",
        writes.len()
    );
}
