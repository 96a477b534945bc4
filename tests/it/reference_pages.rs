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
    // Writes would change the demo org (or be refused by its limits): planned only.
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
