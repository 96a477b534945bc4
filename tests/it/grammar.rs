//! Runs the corpus in `grammar-tests/cases`: each `NAME.sql` holds statements, and
//! `NAME.expected` what planning each one gives (the plan as `--dry-run` prints it, or the
//! error). Statements are planned against oktaql's own provider and, when the case's first
//! line says `-- registries: embedded, stackql`, also against StackQL's published Okta
//! document (skipped with a notice when it is not checked out); both must give the expected
//! text. A case whose first line says `-- registry: fixture` is planned against the
//! repository's own StackQL-layout fixture (`tests/fixtures/stackql-layout`) instead.
//!
//! Against StackQL's document the comparison covers the calls (method, HTTP verb, URL, body,
//! bound parameters) and errors; column and method order, which that document lists
//! differently, are left out.
//!
//! To rewrite the expectations after a deliberate change: `UPDATE_EXPECT=1 cargo test --test it grammar`.

use crate::common::registry;

use std::path::{Path, PathBuf};

use oktaql::plan::plan_text;
use oktaql::provider::Registry;
use oktaql::{Engine, EngineConfig};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar-tests/cases")
}

fn plan_all(registry: Registry, text: &str) -> String {
    let engine = Engine::new(EngineConfig::new(registry)).expect("engine");
    let mut out = String::new();
    for source in oktaql::sql::split(text) {
        let first = source.text.lines().next().unwrap_or("").trim();
        out.push_str(&format!("=== line {}: {first}\n", source.line));
        match engine.plan_source(&source) {
            Ok(plan) => out.push_str(&plan_text(&plan)),
            Err(e) => {
                let p = e.position(&source);
                let (line, column) = p.map_or((source.line, source.column), |p| (p.line, p.column));
                out.push_str(&format!("error: {line}:{column}: {e}\n"));
            }
        }
    }
    out
}

/// The lines of a plan text that describe calls and errors, with lists whose order depends
/// on the document cut off.
fn calls_only(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        let keep = line.starts_with("===")
            || t.starts_with("fetch ")
            || t.starts_with("bound:")
            || t.starts_with("body:")
            || ["GET ", "POST ", "PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|v| t.starts_with(v))
            || t.starts_with("error:");
        if !keep {
            continue;
        }
        let cut = ["(available:", "; its methods are"]
            .iter()
            .filter_map(|m| line.find(m))
            .min()
            .unwrap_or(line.len());
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

#[test]
fn grammar_corpus() {
    let bless = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("grammar-tests/cases")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases found");
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let expected_path = case.with_extension("expected");
        let first = text.lines().next().unwrap_or("");
        // `-- registry: fixture` plans against the repository's StackQL-layout fixture.
        let main = if first.contains("registry: fixture") {
            Registry::from_dir(&registry::fixture_registry()).expect("fixture loads")
        } else {
            Registry::embedded()
        };
        let actual = plan_all(main, &text);
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        let mut registries = vec![("embedded", actual, expected.clone())];
        if first.contains("stackql") {
            let name = case.file_name().unwrap_or_default().to_string_lossy();
            let Some(root) = registry::reference_registry(&format!(
                "grammar-tests/cases/{name} against StackQL's registry"
            )) else {
                continue;
            };
            let reg = Registry::from_dir(&root).expect("StackQL registry loads");
            registries.push((
                "stackql",
                calls_only(&plan_all(reg, &text)),
                calls_only(&expected),
            ));
        }
        for (name, got, expected) in registries {
            if got != expected {
                failures.push(format!(
                    "{} (registry {name}):\n--- expected\n{expected}\n--- actual\n{got}",
                    case.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (UPDATE_EXPECT=1 rewrites expectations):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
