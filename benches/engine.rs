//! Engine overhead: parse, plan and render, without any network.
//!
//! Run with `cargo bench --bench engine` (add `-- --quick` for a short run, or a filter such
//! as `-- plan/` to run one group). Groups:
//!
//! - `parse/<kind>`: splitting and parsing one statement's text into a `Statement`.
//! - `plan/<kind>`: planning a parsed statement (method choice, binding, URLs); pure, no I/O.
//! - `parse_plan/<kind>`: parse + pure plan, the figure the < 20 µs target is about.
//! - `plan_source/<kind>`: `Engine::plan_source`, i.e. parse + plan + checking the query's
//!   SQL against empty SQLite tables (what every statement pays before it is sent).
//! - `parse_cached/<kind>`: the same statement text through a warm `sql::ShapeCache` (what a
//!   runbook's repeated statement pays for its parse).
//! - `render/<format>`: rendering 1,000 secret-like rows in each output format.
//! - `masking/<what>/<n>`: with `n` secret values known, masking a 2 KB error text holding one
//!   of them, and checking one 9-cell result row for any (the runner's check, once per row).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};

use oktaql::plan::{self, PlanContext};
use oktaql::provider::Registry;
use oktaql::render::{render, OutputFormat, RenderOptions};
use oktaql::sql::{self, Source};
use oktaql::{Engine, EngineConfig, Rows};

/// One statement of each kind the engine plans.
const STATEMENTS: &[(&str, &str)] = &[
    (
        "select_list",
        "SELECT id, status, created FROM okta.apps.secrets \
         WHERE subdomain = 'my-org' AND appId = '0oa8f2kr7HwM3cPeL9s2'",
    ),
    (
        "select_get",
        "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' \
         AND appId = '0oa8f2kr7HwM3cPeL9s2' AND secretId = 'ocs2f4bq8ZkY1pRtN5m3'",
    ),
    (
        "select_residual",
        "SELECT id, label, status FROM okta.apps.applications WHERE subdomain = 'my-org' \
         AND status = 'ACTIVE' AND label LIKE 'Graf%' ORDER BY label LIMIT 10",
    ),
    (
        "select_in_list",
        "SELECT appId, id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' \
         AND appId IN ('0oa8f2kq1XnT5bRzY4d7', '0oa8f2kr7HwM3cPeL9s2', '0oa8f2ks2QvB6nJtW1x5')",
    ),
    (
        "select_join",
        "SELECT a.label, s.id, s.status FROM okta.apps.applications a \
         JOIN okta.apps.secrets s ON s.appId = a.id \
         WHERE a.subdomain = 'my-org' AND s.subdomain = 'my-org' AND a.status = 'ACTIVE'",
    ),
    (
        "insert",
        "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) \
         SELECT 'INACTIVE', 'my-org', '0oa8f2kq1XnT5bRzY4d7'",
    ),
    (
        "insert_returning",
        "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) \
         SELECT 'INACTIVE', 'my-org', '0oa8f2kq1XnT5bRzY4d7' RETURNING id, status, secret_hash",
    ),
    (
        "delete",
        "DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' \
         AND appId = '0oa8f2kr7HwM3cPeL9s2' AND secretId = 'ocs2f4bq8ZkY1pRtN5m3'",
    ),
    (
        "exec",
        "EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain = 'my-org', \
         @appId = '0oa8f2kr7HwM3cPeL9s2', @secretId = 'ocs2f4bq8ZkY1pRtN5m3'",
    ),
    ("show_services", "SHOW SERVICES IN okta"),
    ("describe", "DESCRIBE okta.apps.secrets"),
];

fn source(text: &str) -> Source {
    sql::split(text)
        .into_iter()
        .next()
        .expect("every benchmark statement is one statement")
}

fn statements(c: &mut Criterion) {
    let registry = Registry::embedded();
    let engine = Engine::new(EngineConfig::new(registry.clone())).expect("engine");
    let ctx = PlanContext {
        registry: &registry,
        server_url: None,
        orgs: &[],
        default_org: None,
    };
    // Warm the registry cache: a long-running process parses the service document once.
    for (kind, text) in STATEMENTS {
        let statement = sql::parse(&source(text)).expect(kind);
        plan::plan(&statement, &ctx).unwrap_or_else(|e| panic!("{kind}: {e}"));
        engine
            .plan_source(&source(text))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }

    let mut g = c.benchmark_group("parse");
    for (kind, text) in STATEMENTS {
        g.bench_function(*kind, |b| {
            b.iter(|| sql::parse(&source(black_box(text))).unwrap())
        });
    }
    g.finish();

    let shapes = sql::ShapeCache::default();
    let mut g = c.benchmark_group("parse_cached");
    for (kind, text) in STATEMENTS {
        shapes.parse(&source(text)).unwrap();
        g.bench_function(*kind, |b| {
            b.iter(|| shapes.parse(&source(black_box(text))).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("plan");
    for (kind, text) in STATEMENTS {
        let statement = sql::parse(&source(text)).unwrap();
        g.bench_function(*kind, |b| {
            b.iter(|| plan::plan(black_box(&statement), &ctx).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("parse_plan");
    for (kind, text) in STATEMENTS {
        g.bench_function(*kind, |b| {
            b.iter(|| {
                let statement = sql::parse(&source(black_box(text))).unwrap();
                plan::plan(&statement, &ctx).unwrap()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("plan_source");
    for (kind, text) in STATEMENTS {
        g.bench_function(*kind, |b| {
            b.iter(|| engine.plan_source(&source(black_box(text))).unwrap())
        });
    }
    g.finish();
}

/// 1,000 rows shaped like `SELECT * FROM okta.apps.secrets` answers.
fn secret_rows(n: usize) -> Rows {
    let columns = [
        "id",
        "status",
        "client_secret",
        "secret_hash",
        "created",
        "lastUpdated",
        "_links",
        "appId",
        "subdomain",
    ];
    let rows = (0..n)
        .map(|i| {
            let id = format!("ocs{i:017}");
            vec![
                Value::String(id.clone()),
                Value::String(if i % 3 == 0 { "INACTIVE" } else { "ACTIVE" }.into()),
                Value::Null,
                Value::String(format!("{:043}", i * 7919)),
                Value::String("2024-03-01T09:00:00.000Z".into()),
                Value::String("2024-06-15T17:30:00.000Z".into()),
                json!({
                    "activate": {"href": format!("https://my-org.okta.com/api/v1/apps/0oa1/credentials/secrets/{id}/lifecycle/activate"), "hints": {"allow": ["POST"]}},
                    "delete": {"href": format!("https://my-org.okta.com/api/v1/apps/0oa1/credentials/secrets/{id}"), "hints": {"allow": ["DELETE"]}}
                }),
                Value::String("0oa8f2kr7HwM3cPeL9s2".into()),
                Value::String("my-org".into()),
            ]
        })
        .collect();
    Rows {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
    }
}

fn rendering(c: &mut Criterion) {
    let rows = secret_rows(1_000);
    let opts = RenderOptions::default();
    let mut g = c.benchmark_group("render");
    g.throughput(Throughput::Elements(rows.len() as u64));
    for (name, format) in [
        ("table", OutputFormat::Table),
        ("json", OutputFormat::Json),
        ("jsonl", OutputFormat::Jsonl),
        ("csv", OutputFormat::Csv),
        ("text", OutputFormat::Text),
        ("markdown", OutputFormat::Markdown),
    ] {
        let mut out = Vec::with_capacity(1 << 20);
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                render(black_box(&rows), format, &opts, &mut out).unwrap();
                out.len()
            })
        });
    }
    g.finish();
}

/// A 40-character value shaped like a client secret, different for each `i`.
fn secret_value(i: usize) -> String {
    format!(
        "{:040x}",
        (i as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    )
}

fn masking(c: &mut Criterion) {
    let mut g = c.benchmark_group("masking");
    for n in [1usize, 100, 1_000] {
        let secrets = oktaql::secrets::SecretValues::new();
        for i in 0..n {
            secrets.register(&secret_value(i));
        }
        let text = format!(
            "{} client_secret was {} {}",
            "Okta returned 400 Bad Request (E0000001): Api validation failed. ".repeat(15),
            secret_value(n / 2),
            "check the request body".repeat(3)
        );
        g.bench_function(format!("mask_text/{n}"), |b| {
            b.iter(|| secrets.mask_text(black_box(&text)).len())
        });
        let row: Vec<Value> = vec![
            json!("0oa8f2kr7HwM3cPeL9s2"),
            json!("ocsCNh0PToQ67NOiETQ0"),
            json!("ACTIVE"),
            json!("2024-05-01T10:00:00.000Z"),
            json!("2024-05-02T10:00:00.000Z"),
            json!("sha256 abcdefabcdefabcdefabcdef"),
            json!({"self": {"href": "https://acme.okta.com/api/v1/apps/0oa8f2kr7HwM3cPeL9s2"}}),
            json!(null),
            json!(42),
        ];
        g.bench_function(format!("row/{n}"), |b| {
            b.iter(|| {
                let known = secrets.matcher();
                black_box(&row).iter().any(|c| known.in_json(c))
            })
        });
    }
    // A runbook that creates a secret every few statements: each new value is followed by
    // a search of the next result row (the values are compiled or indexed as they come).
    let row = [
        json!("ocsCNh0PToQ67NOiETQ0"),
        json!("ACTIVE"),
        json!({"self": {"href": "https://acme.okta.com/api/v1/apps/0oa8f2kr7HwM3cPeL9s2"}}),
    ];
    g.bench_function("register_then_row/500", |b| {
        b.iter(|| {
            let secrets = oktaql::secrets::SecretValues::new();
            let mut found = 0;
            for i in 0..500 {
                secrets.register(&secret_value(i));
                let known = secrets.matcher();
                found += usize::from(row.iter().any(|c| known.in_json(c)));
            }
            found
        })
    });
    g.finish();
}

fn config() -> Criterion {
    // Short runs: the build machine is small and shared.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = statements, rendering, masking
}
criterion_main!(benches);
