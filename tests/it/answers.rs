//! Every value the API sends reaches SQL, and nothing the query did not ask for removes a
//! row: parameters named like response columns, arrays of scalars, fields the schema does
//! not declare, and LIMIT answered from the first pages only. Run against the repository's
//! own StackQL-layout fixture (served by a loopback server) and against the sandbox.

use std::sync::Arc;

use crate::common::registry::{canned_server, fixture_registry, Canned};
use oktaql::exec::MemoryDiagnostics;
use oktaql::plan::plan_text;
use oktaql::provider::Registry;
use oktaql::sandbox::{Sandbox, SandboxConfig};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig, Rows};
use serde_json::{json, Value};

async fn fixture_engine() -> (Engine, Arc<Canned>) {
    let canned = canned_server().await;
    let mut config = EngineConfig::new(Registry::from_dir(&fixture_registry()).unwrap());
    config.server_url = Some(canned.template());
    // A credential bound to the canned server's template: without one nothing is sent.
    config.client.token = Some("answers-token".into());
    (Engine::new(config).unwrap(), canned)
}

async fn query(engine: &Engine, sql: &str) -> Rows {
    match engine.run(&Source::new(sql)).await {
        Ok(outcome) => outcome.rows.expect("a query returns rows"),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn column(rows: &Rows, name: &str) -> Vec<Value> {
    let i = rows
        .columns
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows.columns));
    rows.rows.iter().map(|r| r[i].clone()).collect()
}

fn groups() -> Value {
    json!([
        {"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Everyone"}},
        {"id": "00g2", "type": "APP_GROUP", "profile": {"name": "Admins"},
         "lastMembershipUpdated": "2026-01-02T03:04:05.000Z", "_embedded": {"stats": {"usersCount": 3}}}
    ])
}

#[tokio::test]
async fn a_parameter_named_like_a_column_binds_and_does_not_filter_the_rows() {
    let (engine, canned) = fixture_engine().await;
    canned.route("/api/v1/users/00u1/groups", vec![groups()]);
    let rows = query(
        &engine,
        "SELECT id, type FROM okta.users.user_groups WHERE subdomain = 'acme' AND id = '00u1'",
    )
    .await;
    assert_eq!(column(&rows, "id"), [json!("00g1"), json!("00g2")]);
    assert_eq!(canned.requests(), ["/acme/api/v1/users/00u1/groups"]);
}

#[tokio::test]
async fn the_parameter_stays_reachable_under_its_own_column() {
    let (engine, canned) = fixture_engine().await;
    canned.route("/api/v1/users/00u1/groups", vec![groups()]);
    canned.route(
        "/api/v1/users/00u2/groups",
        vec![json!([{"id": "00g9", "type": "BUILT_IN"}])],
    );
    let rows = query(
        &engine,
        "SELECT param__id, id FROM okta.users.user_groups \
         WHERE subdomain = 'acme' AND id IN ('00u1', '00u2') ORDER BY id",
    )
    .await;
    assert_eq!(
        column(&rows, "param__id"),
        [json!("00u1"), json!("00u1"), json!("00u2")]
    );
    assert_eq!(
        column(&rows, "id"),
        [json!("00g1"), json!("00g2"), json!("00g9")]
    );
    // DESCRIBE shows the rule: the column and, under its own name, the parameter.
    let d = query(&engine, "DESCRIBE okta.users.user_groups").await;
    let names = column(&d, "name");
    assert!(names.contains(&json!("id")), "{names:?}");
    assert!(names.contains(&json!("param__id")), "{names:?}");
}

#[tokio::test]
async fn a_join_on_a_parameter_named_like_a_column_pairs_the_right_rows() {
    let (engine, canned) = fixture_engine().await;
    canned.route(
        "/api/v1/users",
        vec![json!([{"id": "00u1", "status": "ACTIVE"}, {"id": "00u2", "status": "ACTIVE"}])],
    );
    canned.route("/api/v1/users/00u1/groups", vec![groups()]);
    canned.route(
        "/api/v1/users/00u2/groups",
        vec![json!([{"id": "00g9", "type": "BUILT_IN"}])],
    );
    let rows = query(
        &engine,
        "SELECT u.id AS user, g.id AS grp FROM okta.users.users u \
         JOIN okta.users.user_groups g ON g.id = u.id \
         WHERE u.subdomain = 'acme' AND g.subdomain = 'acme' ORDER BY grp",
    )
    .await;
    assert_eq!(
        column(&rows, "user"),
        [json!("00u1"), json!("00u1"), json!("00u2")]
    );
    assert_eq!(
        column(&rows, "grp"),
        [json!("00g1"), json!("00g2"), json!("00g9")]
    );
}

#[tokio::test]
async fn a_table_bound_from_one_whose_parameter_is_named_like_a_column_gets_its_rows() {
    let (engine, canned) = fixture_engine().await;
    canned.route("/api/v1/users/00u1/groups", vec![groups()]);
    canned.route("/api/v1/groups/00g1/users", vec![json!([{"id": "00u1"}])]);
    canned.route(
        "/api/v1/groups/00g2/users",
        vec![json!([{"id": "00u1"}, {"id": "00u7"}])],
    );
    let rows = query(
        &engine,
        "SELECT g.id AS grp, m.id AS member FROM okta.users.user_groups g \
         JOIN okta.users.group_members m ON m.groupId = g.id \
         WHERE g.subdomain = 'acme' AND m.subdomain = 'acme' AND g.id = '00u1' \
         ORDER BY grp, member",
    )
    .await;
    assert_eq!(
        column(&rows, "grp"),
        [json!("00g1"), json!("00g2"), json!("00g2")]
    );
    assert_eq!(
        column(&rows, "member"),
        [json!("00u1"), json!("00u1"), json!("00u7")]
    );
}

#[tokio::test]
async fn rows_under_an_object_key_are_the_rows() {
    let (engine, canned) = fixture_engine().await;
    canned.route(
        "/api/v1/users/00u1/factors/catalog",
        vec![json!({"items": [
            {"factorType": "push", "provider": "OKTA", "enrollment": "OPTIONAL"},
            {"factorType": "sms", "provider": "OKTA", "enrollment": "REQUIRED", "extra": 1}
        ], "total": 2})],
    );
    let rows = query(
        &engine,
        "SELECT factorType, enrollment, userId, _extra FROM okta.users.factor_catalog \
         WHERE subdomain = 'acme' AND userId = '00u1'",
    )
    .await;
    assert_eq!(column(&rows, "factorType"), [json!("push"), json!("sms")]);
    assert_eq!(column(&rows, "userId"), [json!("00u1"), json!("00u1")]);
    assert_eq!(column(&rows, "_extra"), [Value::Null, json!({"extra": 1})]);
}

#[tokio::test]
async fn arrays_of_scalars_are_rows_with_one_value_column() {
    let (engine, canned) = fixture_engine().await;
    canned.route(
        "/api/v1/brands/bnd1/pages/sign-in/widget-versions",
        vec![json!(["7.1", "7.2"])],
    );
    let rows = query(
        &engine,
        "SELECT value FROM okta.brands.sign_in_widget_versions \
         WHERE subdomain = 'acme' AND brandId = 'bnd1'",
    )
    .await;
    assert_eq!(column(&rows, "value"), [json!("7.1"), json!("7.2")]);
}

#[tokio::test]
async fn undeclared_fields_are_reachable_and_select_star_is_stable() {
    let (engine, canned) = fixture_engine().await;
    canned.route("/api/v1/users/00u1/groups", vec![groups()]);
    let rows = query(
        &engine,
        "SELECT id, json_extract(_extra, '$._embedded.stats.usersCount') AS n, \
         _extra ->> '$.lastMembershipUpdated' AS updated \
         FROM okta.users.user_groups WHERE subdomain = 'acme' AND id = '00u1' ORDER BY id",
    )
    .await;
    assert_eq!(column(&rows, "n"), [Value::Null, json!(3)]);
    assert_eq!(
        column(&rows, "updated"),
        [Value::Null, json!("2026-01-02T03:04:05.000Z")]
    );
    // SELECT * lists the declared columns and the parameters, whatever the answer held.
    let star = query(
        &engine,
        "SELECT * FROM okta.users.user_groups WHERE subdomain = 'acme' AND id = '00u1'",
    )
    .await;
    assert_eq!(
        star.columns,
        [
            "id",
            "type",
            "profile",
            "priority",
            "tags",
            "subdomain",
            "param__id"
        ]
    );
}

/// Requests the sandbox received, from the client's trace.
fn requests(diag: &MemoryDiagnostics) -> Vec<String> {
    diag.messages()
        .iter()
        .filter_map(|m| m.lines().next())
        .filter(|l| l.starts_with("> GET "))
        .map(str::to_string)
        .collect()
}

async fn sandbox_engine() -> (Engine, Sandbox, Arc<MemoryDiagnostics>) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let diag = Arc::new(MemoryDiagnostics::new());
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client.token = Some(sandbox.token().to_string());
    config.client.debug = true;
    config.diagnostics = diag.clone();
    (Engine::new(config).unwrap(), sandbox, diag)
}

fn limit_of(request: &str) -> usize {
    request
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("limit="))
        .and_then(|n| n.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no limit in {request}"))
}

#[tokio::test]
async fn limit_makes_one_request_of_at_most_limit_items() {
    let (engine, _sandbox, diag) = sandbox_engine().await;
    let rows = query(
        &engine,
        "SELECT id, label FROM okta.apps.applications WHERE subdomain = 'my-org' LIMIT 5",
    )
    .await;
    assert_eq!(rows.rows.len(), 5);
    let sent = requests(&diag);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(limit_of(&sent[0]) <= 5, "{sent:?}");
}

#[tokio::test]
async fn limit_with_a_residual_condition_stops_once_enough_rows_pass() {
    let (engine, _sandbox, diag) = sandbox_engine().await;
    // Every demo app passes the condition: the first page (200 apps) gives the 5 rows.
    let rows = query(
        &engine,
        "SELECT id FROM okta.apps.applications WHERE subdomain = 'my-org' AND label LIKE '%' LIMIT 5",
    )
    .await;
    assert_eq!(rows.rows.len(), 5);
    assert_eq!(requests(&diag).len(), 1, "{:?}", requests(&diag));
}

#[tokio::test]
async fn limit_after_order_by_still_reads_every_page() {
    let (engine, _sandbox, diag) = sandbox_engine().await;
    let rows = query(
        &engine,
        "SELECT id FROM okta.apps.applications WHERE subdomain = 'my-org' ORDER BY label DESC LIMIT 5",
    )
    .await;
    assert_eq!(rows.rows.len(), 5);
    assert_eq!(requests(&diag).len(), 2, "{:?}", requests(&diag));
}

#[test]
fn dry_run_says_the_limit_is_pushed_down() {
    let engine = Engine::new(EngineConfig::new(Registry::embedded())).unwrap();
    let plan = engine
        .plan_source(&Source::new(
            "SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' LIMIT 5 OFFSET 2",
        ))
        .unwrap();
    let text = plan_text(&plan);
    assert!(text.contains("limit=7"), "{text}");
    assert!(
        text.contains("stops after 7 rows (LIMIT 5 OFFSET 2)"),
        "{text}"
    );
}

#[test]
fn dry_run_shows_the_query_string_as_sent() {
    let engine = Engine::new(EngineConfig::new(Registry::embedded())).unwrap();
    let plan = engine
        .plan_source(&Source::new(
            "SELECT id FROM okta.apps.applications WHERE subdomain = 'acme' AND q = 'my_app.x~y'",
        ))
        .unwrap();
    let text = plan_text(&plan);
    assert!(text.contains("q=my_app.x~y"), "{text}");
}

#[test]
fn describe_says_which_method_needs_which_parameter() {
    let engine = Engine::new(EngineConfig::new(Registry::embedded())).unwrap();
    let plan = engine
        .plan_source(&Source::new("DESCRIBE okta.apps.secrets"))
        .unwrap();
    let oktaql::plan::Plan::Static(rows) = plan else {
        panic!("DESCRIBE is answered from the provider")
    };
    let kind = |name: &str| {
        let i = rows.rows.iter().position(|r| r[0] == json!(name)).unwrap();
        rows.rows[i][2].as_str().unwrap().to_string()
    };
    assert_eq!(kind("appId"), "required parameter");
    assert_eq!(
        kind("secretId"),
        "parameter (required by get_oauth2_client_secret)"
    );
}

#[test]
fn returning_star_lists_the_same_columns_as_select_star() {
    let engine = Engine::new(EngineConfig::new(Registry::embedded())).unwrap();
    let plan = engine
        .plan_source(&Source::new(
            "INSERT INTO okta.apps.secrets (subdomain, appId) VALUES ('acme', '0oa1') RETURNING *",
        ))
        .unwrap();
    let oktaql::plan::Plan::Mutation(m) = plan else {
        panic!("an INSERT plan")
    };
    let sql = m.output_sql.unwrap();
    assert!(!sql.contains('*'), "{sql}");
    assert!(!sql.contains("_extra"), "{sql}");
    assert!(sql.contains("\"client_secret\""), "{sql}");
}

/// `LIMIT n` after `filter` gives the first n rows of the whole result, for limits around
/// the page size (200) and the list size (260), in at most rows / page size requests.
async fn pushed_down_limits(filter: &str) {
    let (engine, _sandbox, diag) = sandbox_engine().await;
    let base = "SELECT id, label FROM okta.apps.applications WHERE subdomain = 'my-org'";
    let all = query(&engine, &format!("{base}{filter}")).await;
    for n in [0, 1, 5, 199, 200, 201, 259, 260, 300] {
        let before = requests(&diag).len();
        let some = query(&engine, &format!("{base}{filter} LIMIT {n}")).await;
        let expected: Vec<_> = all.rows.iter().take(n).cloned().collect();
        assert_eq!(some.rows, expected, "{filter} LIMIT {n}");
        let sent = requests(&diag).len() - before;
        // Rows wanted / page size, rounded up; at least one request; never more than
        // the whole list (260 apps in pages of 200).
        let most = if filter.is_empty() {
            n.div_ceil(200).clamp(1, 2)
        } else {
            2
        };
        assert!(sent <= most, "{filter} LIMIT {n}: {sent} requests");
    }
}

#[tokio::test]
async fn a_pushed_down_limit_gives_the_first_rows_of_the_whole_result() {
    pushed_down_limits("").await;
}

#[tokio::test]
async fn a_pushed_down_limit_after_a_filter_gives_the_first_matching_rows() {
    pushed_down_limits(" AND label LIKE '%1%'").await;
}
