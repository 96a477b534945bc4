//! Full SQL over the API (against the sandbox's demo org): residual filters, aggregates,
//! JSON functions, window functions, fan-out, pagination, and joins and subqueries that
//! bind parameters from other tables' rows.

use std::sync::Arc;

use oktaql::exec::{ClientConfig, MemoryDiagnostics};
use oktaql::provider::Registry;
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_TWO_SECRETS};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig, Rows};
use serde_json::Value;

struct Env {
    engine: Engine,
    diagnostics: Arc<MemoryDiagnostics>,
    _sandbox: Sandbox,
}

async fn env_with(strict: bool, max_pages: Option<usize>) -> Env {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let diagnostics = Arc::new(MemoryDiagnostics::new());
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client = ClientConfig {
        token: Some(sandbox.token().to_string()),
        max_pages,
        ..ClientConfig::default()
    };
    config.strict = strict;
    config.diagnostics = diagnostics.clone();
    Env {
        engine: Engine::new(config).unwrap(),
        diagnostics,
        _sandbox: sandbox,
    }
}

async fn env() -> Env {
    env_with(false, None).await
}

impl Env {
    async fn q(&self, sql: &str) -> Rows {
        match self.engine.run(&Source::new(sql)).await {
            Ok(o) => o.rows.expect("rows"),
            Err(e) => panic!("{sql}\n{e}"),
        }
    }
}

fn col<'a>(rows: &'a Rows, name: &str) -> Vec<&'a Value> {
    let i = rows.columns.iter().position(|c| c == name).expect(name);
    rows.rows.iter().map(|r| &r[i]).collect()
}

const TWO: &str = DEMO_APP_TWO_SECRETS;

#[tokio::test]
async fn residual_filters_order_limit_distinct_case_like() {
    let e = env().await;
    let all = e
        .q(&format!("SELECT id, status, created FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' ORDER BY created"))
        .await;
    assert_eq!(all.len(), 2);
    let active = e
        .q(&format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' AND status = 'ACTIVE'"))
        .await;
    assert_eq!(active.len(), 1);
    let older = e
        .q(&format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' AND created < '2021-06-01'"))
        .await;
    assert_eq!(older.len(), 1);
    let page = e
        .q(&format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' ORDER BY created LIMIT 1 OFFSET 1"))
        .await;
    assert_eq!(col(&page, "id")[0], col(&all, "id")[1]);
    let distinct = e
        .q(&format!("SELECT DISTINCT appId FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}'"))
        .await;
    assert_eq!(distinct.len(), 1);
    let cased = e
        .q(&format!("SELECT CASE WHEN status = 'ACTIVE' THEN 'in use' ELSE 'spare' END AS use FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' AND id LIKE 'ocs%' ORDER BY use"))
        .await;
    assert_eq!(col(&cased, "use"), vec!["in use", "spare"]);
}

#[tokio::test]
async fn json_functions_and_types() {
    let e = env().await;
    let rows = e
        .q(&format!("SELECT id, status, json_extract(_links, '$.delete.href') AS delete_href, _links, json_extract(_links, '$.deactivate') AS deact FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' ORDER BY status"))
        .await;
    // ACTIVE first: no delete link; its deactivate link is an object.
    assert!(col(&rows, "delete_href")[0].is_null());
    assert!(col(&rows, "deact")[0].is_object());
    let href = col(&rows, "delete_href")[1].as_str().unwrap();
    assert!(
        href.ends_with(col(&rows, "id")[1].as_str().unwrap()),
        "{href}"
    );
    assert!(col(&rows, "_links")[0].is_object(), "objects stay objects");
    let each = e
        .q(&format!("SELECT s.id, l.key FROM okta.apps.secrets s, json_each(s._links) l WHERE s.subdomain = 'my-org' AND s.appId = '{TWO}' AND s.status = 'INACTIVE' ORDER BY l.key"))
        .await;
    assert_eq!(col(&each, "key"), vec!["activate", "delete"]);
}

#[tokio::test]
async fn aggregates_ctes_windows_unions() {
    let e = env().await;
    let agg = e
        .q(&format!("SELECT status, count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId IN ('{TWO}', '{DEMO_APP_ONE_SECRET}') GROUP BY status HAVING count(*) >= 1 ORDER BY status"))
        .await;
    assert_eq!(col(&agg, "status"), vec!["ACTIVE", "INACTIVE"]);
    assert_eq!(col(&agg, "n"), vec![2, 1]);
    let cte = e
        .q(&format!("WITH s AS (SELECT * FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}') SELECT count(*) AS n FROM s WHERE status = 'INACTIVE'"))
        .await;
    assert_eq!(col(&cte, "n"), vec![1]);
    let win = e
        .q(&format!("SELECT id, row_number() OVER (PARTITION BY appId ORDER BY created DESC) AS rn FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' ORDER BY rn"))
        .await;
    assert_eq!(col(&win, "rn"), vec![1, 2]);
    let union = e
        .q(&format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{TWO}' UNION ALL SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}'"))
        .await;
    assert_eq!(union.len(), 3);
}

#[tokio::test]
async fn pagination_is_followed_across_pages() {
    let e = env().await;
    // 260 apps: 2 pages at the largest page size (200), which oktaql asks for; 6 pages of 50.
    let all = e
        .q("SELECT count(*) AS n FROM okta.apps.applications WHERE subdomain = 'my-org'")
        .await;
    assert_eq!(col(&all, "n"), vec![260]);
    let by_50 = e
        .q("SELECT count(DISTINCT id) AS n FROM okta.apps.applications WHERE subdomain = 'my-org' AND \"limit\" = 50")
        .await;
    assert_eq!(col(&by_50, "n"), vec![260]);
}

#[tokio::test]
async fn a_page_limit_says_so() {
    let e = env_with(false, Some(3)).await;
    let some = e
        .q("SELECT count(*) AS n FROM okta.apps.applications WHERE subdomain = 'my-org' AND \"limit\" = 20")
        .await;
    assert_eq!(col(&some, "n"), vec![60]);
    let said = e.diagnostics.messages().join("\n");
    assert!(said.contains("--max-pages"), "{said}");
}

#[tokio::test]
async fn join_binds_secrets_from_application_rows() {
    let e = env().await;
    let rows = e
        .q("SELECT a.label, s.appId, s.id, s.status, s.created
            FROM okta.apps.applications a
            JOIN okta.apps.secrets s ON s.appId = a.id AND s.subdomain = a.subdomain
            WHERE a.subdomain = 'my-org' AND a.signOnMode = 'OPENID_CONNECT'")
        .await;
    // Every OIDC app's secrets, fetched with one request per app (well over 100 apps).
    let apps = e
        .q("SELECT count(*) AS n FROM okta.apps.applications WHERE subdomain = 'my-org' AND signOnMode = 'OPENID_CONNECT'")
        .await;
    let n_apps = col(&apps, "n")[0].as_i64().unwrap();
    assert!(n_apps >= 100, "{n_apps}");
    let apps_seen: std::collections::BTreeSet<&str> = col(&rows, "appId")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // Apps authenticating with private_key_jwt have no secrets.
    assert!(
        apps_seen.len() >= 100 && apps_seen.len() as i64 <= n_apps,
        "{} apps with secrets of {n_apps}",
        apps_seen.len()
    );
    assert!(rows.len() as i64 > n_apps, "some apps have two secrets");
    assert!(
        e.diagnostics.messages().is_empty(),
        "{:?}",
        e.diagnostics.messages()
    );
}

#[tokio::test]
async fn subquery_binds_and_aggregates() {
    let e = env().await;
    let rows = e
        .q("SELECT appId, count(*) AS active FROM okta.apps.secrets
            WHERE subdomain = 'my-org' AND status = 'ACTIVE'
              AND appId IN (SELECT id FROM okta.apps.applications WHERE subdomain = 'my-org' AND signOnMode = 'OPENID_CONNECT')
            GROUP BY appId HAVING count(*) > 1")
        .await;
    assert!(!rows.is_empty());
    assert!(col(&rows, "active").iter().all(|n| n.as_i64() == Some(2)));
}

#[tokio::test]
async fn one_failing_app_in_a_fan_out_is_reported_and_skipped() {
    let e = env().await;
    let rows = e
        .q(&format!("SELECT appId, id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId IN ('{TWO}', '0oaNoSuchApp00000000', '{DEMO_APP_ONE_SECRET}')"))
        .await;
    assert_eq!(rows.len(), 3);
    let said = e.diagnostics.messages().join("\n");
    assert!(
        said.contains("0oaNoSuchApp00000000") && said.contains("E0000007"),
        "{said}"
    );
    // Rows keep the order of the IN list.
    assert_eq!(col(&rows, "appId")[0], TWO);
    assert_eq!(col(&rows, "appId")[2], DEMO_APP_ONE_SECRET);

    let strict = env_with(true, None).await;
    let err = strict
        .engine
        .run(&Source::new(format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId IN ('{TWO}', '0oaNoSuchApp00000000')")))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("E0000007"), "{err}");
}

#[tokio::test]
async fn pushed_down_filter_gives_the_same_rows_as_local_filtering() {
    let e = env().await;
    let pushed = e
        .q("SELECT count(*) AS n FROM okta.apps.applications WHERE subdomain = 'my-org' AND status = 'ACTIVE'")
        .await;
    let local = e
        .q("SELECT sum(status = 'ACTIVE') AS n, sum(status <> 'ACTIVE') AS other FROM okta.apps.applications WHERE subdomain = 'my-org'")
        .await;
    assert_eq!(col(&pushed, "n"), col(&local, "n"));
    assert!(
        col(&local, "other")[0].as_i64().unwrap() > 0,
        "the demo org has inactive apps"
    );
}
