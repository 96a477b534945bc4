//! Identical GETs answered once (within a statement, a run, or a shell's `.cache` TTL) and
//! forgotten after any write, against the sandbox through real HTTP.

use std::sync::Arc;
use std::time::Duration;

use oktaql::exec::{CacheScope, ClientConfig, MemoryDiagnostics};
use oktaql::provider::Registry;
use oktaql::sandbox::{
    Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig, Rows};

struct Env {
    engine: Engine,
    diagnostics: Arc<MemoryDiagnostics>,
    _sandbox: Sandbox,
}

async fn env() -> Env {
    let sandbox = Sandbox::start(SandboxConfig {
        demo_apps: 8,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let diagnostics = Arc::new(MemoryDiagnostics::new());
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client = ClientConfig {
        token: Some(sandbox.token().to_string()),
        debug: true,
        ..ClientConfig::default()
    };
    config.diagnostics = diagnostics.clone();
    Env {
        engine: Engine::new(config).unwrap(),
        diagnostics,
        _sandbox: sandbox,
    }
}

impl Env {
    async fn q(&self, sql: &str) -> Rows {
        match self.engine.run(&Source::new(sql)).await {
            Ok(o) => o.rows.expect("rows"),
            Err(e) => panic!("{sql}\n{e}"),
        }
    }

    fn reused(&self) -> u64 {
        self.engine.client().reused_answers()
    }

    /// `-v` lines saying a request was not sent.
    fn not_sent(&self) -> usize {
        self.diagnostics
            .messages()
            .iter()
            .filter(|m| m.contains("answered by an identical earlier request"))
            .count()
    }
}

fn secrets_of(app: &str) -> String {
    format!("SELECT id, status FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}'")
}

/// A self-join reads the same list twice in one statement: one request.
#[tokio::test]
async fn identical_gets_within_a_statement_are_sent_once() {
    let e = env().await;
    let rows = e
        .q(&format!(
            "SELECT a.id, b.status FROM okta.apps.secrets a JOIN okta.apps.secrets b ON a.id = b.id \
             WHERE a.subdomain = '{DEMO_ORG}' AND a.appId = '{DEMO_APP_TWO_SECRETS}' \
             AND b.subdomain = '{DEMO_ORG}' AND b.appId = '{DEMO_APP_TWO_SECRETS}'"
        ))
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(e.reused(), 1);
    assert_eq!(e.not_sent(), 1, "-v says so");
    // The shell's default: nothing kept across statements.
    e.q(&secrets_of(DEMO_APP_TWO_SECRETS)).await;
    assert_eq!(e.reused(), 1);
}

/// In a run (or with `.cache`), a repeated lookup is answered from the first; a write
/// forgets every answer, so the next read sees the change.
#[tokio::test]
async fn a_write_forgets_the_kept_answers() {
    let e = env().await;
    e.engine.client().set_cache(CacheScope::Run);
    let before = e.q(&secrets_of(DEMO_APP_ONE_SECRET)).await;
    assert_eq!(before.len(), 1);
    let again = e.q(&secrets_of(DEMO_APP_ONE_SECRET)).await;
    assert_eq!(again.rows, before.rows);
    assert_eq!(e.reused(), 1);
    e.q(&format!(
        "INSERT INTO okta.apps.secrets (subdomain, appId) SELECT '{DEMO_ORG}', '{DEMO_APP_ONE_SECRET}' RETURNING id"
    ))
    .await;
    let after = e.q(&secrets_of(DEMO_APP_ONE_SECRET)).await;
    assert_eq!(
        after.len(),
        2,
        "the new secret is seen: the answer was not reused"
    );
    assert_eq!(e.reused(), 1);
}

/// `.cache 300`: answers kept across statements until the TTL passes.
#[tokio::test(start_paused = true)]
async fn the_shell_cache_expires() {
    let e = env().await;
    e.engine
        .client()
        .set_cache(CacheScope::Ttl(Duration::from_secs(300)));
    e.q(&secrets_of(DEMO_APP_TWO_SECRETS)).await;
    tokio::time::advance(Duration::from_secs(299)).await;
    e.q(&secrets_of(DEMO_APP_TWO_SECRETS)).await;
    assert_eq!(e.reused(), 1);
    tokio::time::advance(Duration::from_secs(1)).await;
    e.q(&secrets_of(DEMO_APP_TWO_SECRETS)).await;
    assert_eq!(e.reused(), 1, "expired: sent again");
}

/// A list a LIMIT stopped reading early is not kept: the next statement reads it whole.
#[tokio::test]
async fn a_list_cut_short_is_not_kept() {
    // 260 apps: more than the first page of 200.
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client.token = Some(sandbox.token().to_string());
    let engine = Engine::new(config).unwrap();
    engine.client().set_cache(CacheScope::Run);
    let run = |sql: String| {
        let engine = &engine;
        async move { engine.run(&Source::new(&sql)).await.unwrap().rows.unwrap() }
    };
    let some = run(format!(
        "SELECT id FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND status = 'ACTIVE' LIMIT 2"
    ))
    .await;
    assert_eq!(some.len(), 2);
    let all = run(format!(
        "SELECT id FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND status = 'ACTIVE'"
    ))
    .await;
    assert!(all.len() > 200, "every page read: {}", all.len());
}

/// A dry run of `sql` (as `runbook.sql`) with the client's cache in `scope`: what it prints.
async fn dry_run(scope: CacheScope, sql: &str) -> String {
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some("http://127.0.0.1:9/{subdomain}".into());
    let engine = Engine::new(config).unwrap();
    engine.client().set_cache(scope);
    let script = oktaql::runner::Script {
        name: "runbook.sql".into(),
        text: sql.to_string(),
    };
    let options = oktaql::runner::RunOptions {
        dry_run: true,
        ..oktaql::runner::RunOptions::default()
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let report = oktaql::runner::run_scripts(&engine, &[script], &options, &mut out, &mut diag)
        .await
        .unwrap();
    assert_eq!(report.failed, 0, "{}", String::from_utf8_lossy(&diag));
    String::from_utf8(out).unwrap()
}

/// A request line without a note about shared answers.
fn plain(line: &str) -> bool {
    !line.contains("answered from") && !line.contains("sent once")
}

/// The dry run's text of each statement, in order (split at the `-- file:line:` headers).
fn per_statement(out: &str) -> Vec<String> {
    out.split("-- runbook.sql:")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Two references to the same app (a self-join): the GET is shown once, saying the other
/// is answered from it, and only one request goes to the org.
#[tokio::test]
async fn dry_run_shows_an_identical_get_of_a_statement_once() {
    let app = DEMO_APP_ONE_SECRET;
    let out = dry_run(
        CacheScope::Statement,
        &format!("SELECT a.id, b.label FROM okta.apps.applications a JOIN okta.apps.applications b ON a.id = b.id WHERE a.subdomain = '{DEMO_ORG}' AND a.appId = '{app}' AND b.subdomain = '{DEMO_ORG}' AND b.appId = '{app}'"),
    )
    .await;
    let url = format!("/apps/{app}");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(&url)).collect();
    assert_eq!(
        lines.len(),
        2,
        "once in the plan, once under 'sent to':\n{out}"
    );
    assert!(
        lines[0].ends_with(
            "(sent once: the other identical GET of this statement is answered from it)"
        ),
        "{out}"
    );
    assert!(lines[1].contains(" -> "), "{out}");
    // Both tables are still fetched (from the one answer).
    assert!(out.contains("fetch okta_apps_applications_2 <-"), "{out}");
}

/// A runbook (`oktaql exec`: answers shared for the run until a write): a repeated lookup
/// says which statement answers it and is not listed as sent; after a write it is sent again.
#[tokio::test]
async fn dry_run_shows_gets_answered_from_an_earlier_statement() {
    let app = DEMO_APP_ONE_SECRET;
    let select = format!(
        "SELECT appId, id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}';\n"
    );
    let runbook = format!(
        "{select}{select}DELETE FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}' AND secretId = 'ocs1';\n{select}"
    );
    let url = format!("/apps/{app}/credentials/secrets");
    let out = dry_run(CacheScope::Run, &runbook).await;
    let parts = per_statement(&out);
    assert_eq!(parts.len(), 4, "{out}");
    let first: Vec<&str> = parts[0].lines().filter(|l| l.contains(&url)).collect();
    assert_eq!(first.len(), 2, "{}", parts[0]);
    assert!(plain(first[0]), "{}", parts[0]);
    let second: Vec<&str> = parts[1].lines().filter(|l| l.contains(&url)).collect();
    assert_eq!(second.len(), 1, "shown, not sent:\n{}", parts[1]);
    assert!(
        second[0].ends_with("(answered from the identical GET of runbook.sql:1: not sent)"),
        "{}",
        parts[1]
    );
    assert!(!parts[1].contains("sent to:"), "{}", parts[1]);
    // After the write: sent again.
    let fourth: Vec<&str> = parts[3].lines().filter(|l| l.contains(&url)).collect();
    assert_eq!(fourth.len(), 2, "{}", parts[3]);
    assert!(plain(fourth[0]), "{}", parts[3]);

    // With answers shared within a statement only (the shell's default), each is sent.
    let out = dry_run(CacheScope::Statement, &format!("{select}{select}")).await;
    for part in per_statement(&out) {
        let lines: Vec<&str> = part.lines().filter(|l| l.contains(&url)).collect();
        assert_eq!(lines.len(), 2, "{part}");
        assert!(plain(lines[0]), "{part}");
    }
}
