//! Parsed statements kept by shape (`oktaql::sql::ShapeCache`): a statement answered from a
//! kept statement of its shape is exactly what a full parse gives, plans exactly the same,
//! and a runbook prints the same rows and errors with the cache as without it.

use std::sync::OnceLock;

use oktaql::provider::Registry;
use oktaql::render::OutputFormat;
use oktaql::runner::{run_scripts, RunOptions, Script};
use oktaql::sandbox::{
    Sandbox, SandboxConfig, DEMO_APP_INACTIVE, DEMO_APP_JWT, DEMO_APP_ONE_SECRET,
    DEMO_APP_TWO_SECRETS, DEMO_ORG,
};
use oktaql::sql::{parse, ShapeCache, Source};
use oktaql::{Engine, EngineConfig};
use proptest::prelude::*;

/// A text literal's value: plain ids, quotes, escapes, `%`/`_`, empty, any printable text
/// (backslashes, `$`, non-ASCII), and long ones.
fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{0,20}",
        "[a-z' %_\\-]{0,8}",
        "\\PC{0,8}",
        Just(String::new()),
        Just("''".to_string()),
        Just("0oa8f2kr7HwM3cPeL9s2".to_string()),
        Just("my-org".to_string()),
        "[a-z]{30,60}",
    ]
}

/// A literal as written in SQL: a quoted text, an unsigned integer of up to 40 digits, NULL,
/// or a negative number.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => text_value().prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        2 => "[0-9]{1,40}",
        1 => Just("NULL".to_string()),
        1 => "-[0-9]{1,5}",
    ]
}

/// An `IN` list of 1 to 4 literals.
fn list() -> impl Strategy<Value = String> {
    prop::collection::vec(literal(), 1..5).prop_map(|v| v.join(", "))
}

/// A column name, differing only in case or quoting.
fn column() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id"),
        Just("ID"),
        Just("\"id\""),
        Just("\"Id\""),
        Just("label"),
        Just("\"label\""),
        Just("status"),
    ]
    .prop_map(str::to_string)
}

/// The org: mostly the same one (so shapes repeat), sometimes another.
fn org() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(format!("'{DEMO_ORG}'")),
        1 => literal(),
    ]
}

/// One statement of a runbook, from a few shapes that repeat with other literals.
fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        (org(), literal(), literal()).prop_map(|(o, a, s)| format!(
            "SELECT id, status FROM okta.apps.secrets WHERE subdomain = {o} AND appId = {a} AND secretId = {s}"
        )),
        (org(), list()).prop_map(|(o, l)| format!(
            "SELECT appId, id FROM okta.apps.secrets WHERE subdomain = {o} AND appId IN ({l})"
        )),
        (column(), org(), literal(), literal()).prop_map(|(c, o, v, n)| format!(
            "SELECT {c} FROM okta.apps.applications WHERE subdomain = {o} AND label = {v} LIMIT {n}"
        )),
        (org(), literal(), literal()).prop_map(|(o, v, w)| format!(
            "SELECT id, label FROM okta.apps.applications\nWHERE subdomain = {o} AND (status = {v} OR label = {w})"
        )),
        (org(), literal(), literal()).prop_map(|(o, a, s)| format!(
            "DELETE FROM okta.apps.secrets WHERE subdomain = {o} AND appId = {a} AND secretId = {s}"
        )),
        (literal(), org(), literal()).prop_map(|(v, o, a)| format!(
            "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT {v}, {o}, {a}"
        )),
        (org(), literal()).prop_map(|(o, a)| format!(
            "SELECT s.id FROM okta.apps.applications a JOIN okta.apps.secrets s ON s.appId = a.id WHERE a.subdomain = {o} AND s.subdomain = {o} AND a.label = {a}"
        )),
    ]
}

/// A lookup by parameters, the form whose plan is kept per shape: the same columns and
/// conditions written in several ways, some of which are not of the kept form.
fn lookup(org: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let lookups = prop_oneof![
        Just("SELECT id, label, status FROM okta.apps.applications WHERE subdomain = {o} AND appId = {a}"),
        Just("SELECT a.id AS x, a.* FROM okta.apps.applications a WHERE {a} = a.appId AND a.subdomain = {o}"),
        Just("SELECT * FROM okta.apps.secrets WHERE appId = {a} AND subdomain = {o} AND secretId = {b}"),
        Just("SELECT id, status FROM okta.apps.secrets WHERE (appId = {a}) AND subdomain = {o}"),
        Just("SELECT id FROM okta.apps.secrets WHERE appId = {a}"),
        Just("SELECT id FROM okta.apps.applications WHERE subdomain = {o} AND appId = {a} AND appId = {b}"),
        Just("SELECT id, label FROM okta.apps.applications WHERE subdomain = {o}"),
    ];
    (lookups, org, literal(), literal()).prop_map(|(form, o, a, b)| {
        form.replace("{o}", &o)
            .replace("{a}", &a)
            .replace("{b}", &b)
    })
}

/// The orgs of [`with_orgs`], written as the statement may name them, and others.
fn configured_org() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("'acme'".to_string()),
        2 => Just("'beta'".to_string()),
        1 => Just("'ACME'".to_string()),
        1 => Just("'gamma'".to_string()),
        1 => Just("'acme.okta.com'".to_string()),
        1 => literal(),
    ]
}

/// An engine with two configured orgs (one the default) and the provider's own server URL.
fn with_orgs(shapes: usize) -> Engine {
    use oktaql::auth::{Credential, Credentials, Org, Secret};
    let org = |name: &str, url: &str| Org {
        name: name.into(),
        url: url.into(),
        credential: Credential::ApiToken(Secret::new("token")),
        origins: Vec::new(),
    };
    let mut config = EngineConfig::new(Registry::embedded());
    config.client.credentials = Some(std::sync::Arc::new(Credentials::new(
        vec![
            org("acme", "http://127.0.0.1:9/acme"),
            org("beta", "https://beta.example.com"),
        ],
        Some("acme".into()),
    )));
    Engine::new(config).unwrap().with_shape_cache(shapes)
}

fn source(text: &str) -> Source {
    Source {
        text: text.to_string(),
        line: 1,
        column: 1,
    }
}

fn engine(shapes: usize) -> Engine {
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some("http://127.0.0.1:9/{subdomain}".into());
    Engine::new(config).unwrap().with_shape_cache(shapes)
}

/// One engine and one cache for every case, so that later cases meet the shapes of earlier
/// ones.
fn cached() -> &'static (Engine, ShapeCache) {
    static CACHED: OnceLock<(Engine, ShapeCache)> = OnceLock::new();
    CACHED.get_or_init(|| (engine(oktaql::sql::DEFAULT_SHAPES), ShapeCache::default()))
}

fn full() -> &'static Engine {
    static FULL: OnceLock<Engine> = OnceLock::new();
    FULL.get_or_init(|| engine(0))
}

/// Runbooks per run: 100 keeps the test under a second in a debug build (each statement is
/// parsed and planned twice); CI also runs it with `PROPTEST_CASES=400` (the count it had),
/// and a developer can raise it the same way.
const CASES: u32 = 100;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::common::proptest_cases(CASES)))]

    /// The same statement tree, and the same plan (every request, URL, body, SQL) or the
    /// same error, with the cache and without it.
    #[test]
    fn the_kept_shape_answers_as_the_full_path(runbook in prop::collection::vec(statement(), 1..6)) {
        let (engine, shapes) = cached();
        for text in &runbook {
            let s = source(text);
            let from_cache = shapes.parse(&s).map_err(|e| e.to_string());
            let parsed = parse(&s).map_err(|e| e.to_string());
            prop_assert_eq!(&from_cache, &parsed, "parsing {:?}", text);
            let planned = engine.plan_source(&s).map_err(|e| e.to_string());
            let planned_in_full = full().plan_source(&s).map_err(|e| e.to_string());
            prop_assert_eq!(planned, planned_in_full, "planning {:?}", text);
        }
    }

    /// Lookups by parameters, whose plans are kept per shape: the same plan or the same
    /// error as the full path, on the engine and cache of the test above.
    #[test]
    fn a_kept_plan_answers_as_the_full_path(runbook in prop::collection::vec(lookup(org()), 1..8)) {
        let (engine, _) = cached();
        for text in &runbook {
            let s = source(text);
            let planned = engine.plan_source(&s).map_err(|e| e.to_string());
            let planned_in_full = full().plan_source(&s).map_err(|e| e.to_string());
            prop_assert_eq!(planned, planned_in_full, "planning {:?}", text);
        }
    }

    /// The same with configured orgs and a default org: a kept plan goes to the org its
    /// statement names (or the default), exactly as a full plan does.
    #[test]
    fn a_kept_plan_goes_to_each_statements_own_org(runbook in prop::collection::vec(lookup(configured_org()), 1..8)) {
        static ENGINES: OnceLock<(Engine, Engine)> = OnceLock::new();
        let (engine, full) = ENGINES.get_or_init(|| (with_orgs(oktaql::sql::DEFAULT_SHAPES), with_orgs(0)));
        for text in &runbook {
            let s = source(text);
            let planned = engine.plan_source(&s).map_err(|e| e.to_string());
            let planned_in_full = full.plan_source(&s).map_err(|e| e.to_string());
            prop_assert_eq!(planned, planned_in_full, "planning {:?}", text);
        }
    }
}

/// A runbook of lookups is planned from the kept plan after its first statement, and each
/// statement's request goes where its own literals say.
#[test]
fn a_runbook_of_lookups_reuses_one_plan() {
    let cached = engine(oktaql::sql::DEFAULT_SHAPES);
    let full = engine(0);
    for i in 0..50 {
        let org = if i % 2 == 0 { DEMO_ORG } else { "other-org" };
        let text = format!(
            "SELECT id, label, status FROM okta.apps.applications WHERE subdomain = '{org}' AND appId = '0oa{i}/x'"
        );
        let planned = cached.plan_source(&source(&text)).unwrap();
        assert_eq!(planned, full.plan_source(&source(&text)).unwrap());
        let oktaql::plan::Plan::Query(q) = &planned else {
            panic!("{planned:?}")
        };
        let oktaql::plan::Requests::Ready(requests) = &q.tables[0].requests else {
            panic!("{planned:?}")
        };
        assert_eq!(
            requests[0].url,
            format!("http://127.0.0.1:9/{org}/api/v1/apps/0oa{i}%2Fx")
        );
    }
    assert_eq!(cached.reused_plans(), 49);
    assert_eq!(full.reused_plans(), 0);
}

/// Shapes repeat: after the first statement of a shape, the others come from the cache.
#[test]
fn a_runbook_of_one_shape_keeps_one_shape() {
    let shapes = ShapeCache::default();
    for i in 0..50 {
        let text = format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '0oa{i}' AND secretId = 'it''s {i}'"
        );
        assert_eq!(
            shapes.parse(&source(&text)).unwrap(),
            parse(&source(&text)).unwrap()
        );
    }
    assert_eq!(shapes.len(), 1);
}

/// Literals that look alike but differ give different statements: the tree holds each
/// statement's own literal.
#[test]
fn look_alike_literals_stay_apart() {
    let shapes = ShapeCache::default();
    let texts = [
        "SELECT id FROM t WHERE a = 'x' LIMIT 5",
        "SELECT id FROM t WHERE a = 'x''' LIMIT 5",
        "SELECT id FROM t WHERE a = '''x' LIMIT 05",
        "SELECT id FROM t WHERE a = '' LIMIT 123456789012345678901234567890",
        "SELECT id FROM t WHERE a = 'X' LIMIT 5",
        "SELECT id FROM t WHERE a = NULL LIMIT 5",
        "SELECT id FROM t WHERE a = 5 LIMIT 5",
        "SELECT \"id\" FROM t WHERE a = 'x' LIMIT 5",
        "SELECT ID FROM t WHERE a = 'x' LIMIT 5",
        "SELECT id FROM t WHERE a IN ('x', 'x') LIMIT 5",
        "SELECT id FROM t WHERE a IN ('x') LIMIT 5",
    ];
    for t in texts {
        let got = shapes.parse(&source(t)).unwrap();
        assert_eq!(got, parse(&source(t)).unwrap(), "{t}");
    }
    // The same again, now from the cache.
    for t in texts {
        assert_eq!(
            shapes.parse(&source(t)).unwrap(),
            parse(&source(t)).unwrap(),
            "{t}"
        );
    }
}

/// Runs `sql` as a runbook with JSON lines: (output, diagnostics).
async fn run(engine: &Engine, sql: &str) -> (String, String) {
    let script = Script {
        name: "runbook.sql".into(),
        text: sql.to_string(),
    };
    let options = RunOptions {
        format: OutputFormat::Jsonl,
        continue_on_error: true,
        ..RunOptions::default()
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    run_scripts(engine, &[script], &options, &mut out, &mut diag)
        .await
        .unwrap();
    // The sandbox numbers its requests: the ids differ between two runs.
    let diag = String::from_utf8(diag).unwrap();
    let diag = diag
        .split("request id ")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                format!("request id …{}", &part[part.find(']').unwrap_or(0)..])
            }
        })
        .collect();
    (String::from_utf8(out).unwrap(), diag)
}

/// The same runbook against the sandbox prints the same rows and the same errors (with
/// their positions) with the cache and without it.
#[tokio::test]
async fn a_runbook_prints_the_same_with_and_without_the_cache() {
    let sandbox = Sandbox::start(SandboxConfig {
        demo_apps: 8,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let make = |shapes: usize| {
        let mut config = EngineConfig::new(Registry::embedded());
        config.server_url = Some(sandbox.url_template());
        config.client.token = Some(sandbox.token().to_string());
        Engine::new(config).unwrap().with_shape_cache(shapes)
    };
    let mut runbook = String::new();
    for app in [
        DEMO_APP_ONE_SECRET,
        DEMO_APP_TWO_SECRETS,
        DEMO_APP_JWT,
        DEMO_APP_INACTIVE,
        "0oa-does-not-exist",
        "it''s",
    ] {
        runbook.push_str(&format!(
            "SELECT appId, id, status FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}';\n"
        ));
        runbook.push_str(&format!(
            "SELECT id, label FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND appId IN ('{app}', '{DEMO_APP_JWT}');\n"
        ));
        // A mistake, on its own line: the error points at the same place either way.
        runbook.push_str(&format!(
            "SELECT id, nosuchcolumn FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND appId = '{app}';\n"
        ));
    }
    let cached = make(oktaql::sql::DEFAULT_SHAPES);
    let with = run(&cached, &runbook).await;
    let without = run(&make(0), &runbook).await;
    // The lookups of the secrets after the first were planned from its kept plan.
    assert_eq!(cached.reused_plans(), 5);
    assert!(with.0.contains(DEMO_APP_TWO_SECRETS), "{}", with.0);
    assert!(with.1.contains("nosuchcolumn"), "{}", with.1);
    assert_eq!(with, without);
}
