//! Conformance over whole registries: for every select method of every resource, a loopback
//! server answers with rows shaped like the method's response schema (objects, arrays,
//! arrays of scalars, nested objects, lists over several pages, fields the schema does not
//! declare), and the rows oktaql returns must hold exactly what was served: no row, field or
//! value lost, nothing added, no error. Every method is also planned as EXEC, and as DELETE
//! and INSERT where it implements them.
//!
//! Runs on StackQL's registry when `../shared/reference/stackql-registry` is checked out
//! (as in CI); otherwise, with a notice, on oktaql's own provider documents and the
//! repository's StackQL-layout fixture. Each run prints which registry it covered.

use std::io::Write as _;

use crate::common::registry::{canned_server, fixture_registry, reference_registry, Canned};
use oktaql::plan::{plan_text, Plan, Requests, DATA_PREFIX};
use oktaql::provider::{Column, Method, ParamLocation, Registry, Resource, ResponseShape, SqlVerb};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig};
use serde_json::{json, Map, Value};

const PROVIDER: &str = "okta";
const SUBDOMAIN: &str = "acme";

/// The value a test binds to a parameter.
fn param_value(p: &oktaql::provider::Param) -> Value {
    match p.ty.as_str() {
        "integer" | "number" => json!(7),
        "boolean" => json!(true),
        _ if p.name.eq_ignore_ascii_case("subdomain") => json!(SUBDOMAIN),
        _ => json!(format!("v-{}", p.name)),
    }
}

fn sql_literal(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        // Objects and arrays are written as JSON text.
        Value::Object(_) | Value::Array(_) => sql_literal(&json!(v.to_string())),
        other => other.to_string(),
    }
}

/// A value of the column's type for row `n`; nested values have objects, arrays and
/// scalars of every kind inside them.
fn value_for(c: &Column, n: usize) -> Value {
    if let Some(first) = c.enum_values.get(n % c.enum_values.len().max(1)) {
        if c.ty == "string" {
            return json!(first);
        }
    }
    match c.ty.as_str() {
        "string" => json!(format!("{}-{n} ü \"q\"", c.name)),
        "integer" => json!(1000 + n as i64),
        "number" => json!(0.1 + n as f64),
        "boolean" => json!(n.is_multiple_of(2)),
        "array" => json!([format!("a{n}"), {"k": n, "deep": {"x": [1, 2.5, null, true]}}]),
        _ => {
            json!({"name": format!("o{n}"), "nested": {"list": [n, "two"], "flag": false}, "none": null})
        }
    }
}

/// The rows served for a method: `count` of them, each with every declared column and an
/// undeclared field or two.
fn served_rows(m: &Method, count: usize, offset: usize) -> Vec<Value> {
    (offset..offset + count)
        .map(|n| {
            if let [only] = m.columns.as_slice() {
                if only.name == "value" && only.ty != "object" {
                    return value_for(only, n);
                }
            }
            let mut row = Map::new();
            for c in &m.columns {
                row.insert(c.name.clone(), value_for(c, n));
            }
            row.insert("undeclaredText".into(), json!(format!("extra-{n}")));
            row.insert(
                "undeclaredObject".into(),
                json!({"settings": {"app": {"n": n}}, "list": ["x"]}),
            );
            Value::Object(row)
        })
        .collect()
}

/// One page as the API sends it: the rows themselves, or wrapped at the method's object key
/// (`$.items` → `{"items": rows, "total": …}`).
fn page(m: &Method, rows: Vec<Value>) -> Value {
    let Some(key) = &m.object_key else {
        return json!(rows);
    };
    let path = key.trim().trim_start_matches('$').trim_start_matches('.');
    let mut value = json!(rows);
    for segment in path.rsplit('.') {
        let mut o = Map::new();
        o.insert(segment.trim_end_matches("[*]").to_string(), value);
        o.insert("total".into(), json!(rows.len()));
        value = Value::Object(o);
    }
    value
}

/// What one run covered.
#[derive(Default)]
struct Tally {
    select_methods: usize,
    exact: usize,
    failures: Vec<String>,
    planned: usize,
    /// Select methods with a required parameter named like a response column.
    collisions: usize,
    /// Select methods whose rows are scalars (the `value` column).
    scalars: usize,
    /// Select methods served over two pages.
    paginated: usize,
}

/// The path the server sees for `m` with the test's parameter values.
fn served_path(m: &Method) -> String {
    let mut path = m.path.clone();
    for p in &m.params {
        if p.location == ParamLocation::Path {
            let v = param_value(p);
            let text = match &v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            path = path.replace(&format!("{{{}}}", p.name), &text);
        }
    }
    path
}

/// Checks one select method: serves rows, runs `SELECT *, _extra`, compares.
async fn check_select(
    engine: &Engine,
    canned: &Canned,
    service: &str,
    r: &Resource,
    m: &Method,
) -> Result<(), String> {
    canned.reset();
    let mut conditions = Vec::new();
    let mut bound: Vec<(String, Value)> = Vec::new();
    for p in m.required_params() {
        let v = param_value(p);
        conditions.push(format!("\"{}\" = {}", p.name, sql_literal(&v)));
        bound.push((p.name.clone(), v));
    }
    let sql = format!(
        "SELECT *, _extra FROM {PROVIDER}.{service}.{} WHERE {}",
        r.name,
        conditions.join(" AND ")
    );
    let plan = engine
        .plan_source(&Source::new(&sql))
        .map_err(|e| format!("{sql}: plan: {e}"))?;
    let Plan::Query(q) = &plan else {
        return Err(format!("{sql}: not a query plan"));
    };
    if q.tables[0].method != m.name {
        return Err(format!(
            "{sql}: plans {} instead (the method is not reachable by SELECT with its own parameters)",
            q.tables[0].method
        ));
    }
    let paginated = match &q.tables[0].requests {
        Requests::Ready(r) => r.iter().any(|r| r.paginate),
        Requests::Deferred(_) => false,
    };
    let served: Vec<Value> = match m.response_shape {
        ResponseShape::Empty => Vec::new(),
        ResponseShape::Object => served_rows(m, 1, 0),
        ResponseShape::Array if paginated => {
            let (a, b) = (served_rows(m, 2, 0), served_rows(m, 2, 2));
            canned.route(
                &served_path(m),
                vec![page(m, a.clone()), page(m, b.clone())],
            );
            a.into_iter().chain(b).collect()
        }
        ResponseShape::Array => {
            let rows = served_rows(m, 3, 0);
            canned.route(&served_path(m), vec![page(m, rows.clone())]);
            rows
        }
    };
    match m.response_shape {
        ResponseShape::Object => canned.route(&served_path(m), vec![served[0].clone()]),
        ResponseShape::Empty => canned.route(&served_path(m), vec![]),
        ResponseShape::Array => {}
    }
    let outcome = engine
        .run(&Source::new(&sql))
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    let rows = outcome.rows.ok_or_else(|| format!("{sql}: no rows"))?;
    if rows.rows.len() != served.len() {
        return Err(format!(
            "{sql}: {} rows for {} served",
            rows.rows.len(),
            served.len()
        ));
    }
    let col = |name: &str| rows.columns.iter().position(|c| c == name);
    let extra = col("_extra").ok_or_else(|| format!("{sql}: no _extra column"))?;
    for (i, (got, sent)) in rows.rows.iter().zip(&served).enumerate() {
        let sent = match sent {
            Value::Object(o) => o.clone(),
            scalar => {
                let mut o = Map::new();
                o.insert("value".into(), scalar.clone());
                o
            }
        };
        let undeclared = got[extra].clone();
        // Every field served is found, with its value: in its column, or in _extra.
        for (k, v) in &sent {
            let in_column = col(k).map(|j| &got[j]);
            let in_extra = undeclared.get(k);
            if in_column != Some(v) && in_extra != Some(v) {
                return Err(format!(
                    "{sql}: row {i} field {k}: served {v}, column has {:?}, _extra has {:?}",
                    in_column, in_extra
                ));
            }
        }
        // Nothing appears that was not served: _extra holds served fields only, and each
        // column holds a served value, a bound parameter, or NULL for a field not sent.
        if let Value::Object(e) = &undeclared {
            for (k, v) in e {
                if sent.get(k) != Some(v) {
                    return Err(format!("{sql}: row {i}: _extra has {k} = {v}, not served"));
                }
            }
        } else if !undeclared.is_null() {
            return Err(format!("{sql}: row {i}: _extra is {undeclared}"));
        }
        for (j, name) in rows.columns.iter().enumerate() {
            if j == extra || got[j].is_null() || sent.get(name) == Some(&got[j]) {
                continue;
            }
            let param = name.strip_prefix("param__").unwrap_or(name);
            if bound.iter().any(|(p, v)| p == param && *v == got[j]) {
                continue;
            }
            return Err(format!(
                "{sql}: row {i}: column {name} = {}, which was not served",
                got[j]
            ));
        }
        // Every bound parameter is reachable under a column.
        for (p, v) in &bound {
            let here = col(p)
                .filter(|&j| !sent.contains_key(p) && got[j] == *v)
                .or_else(|| col(&format!("param__{p}")).filter(|&j| got[j] == *v));
            if here.is_none() {
                return Err(format!("{sql}: row {i}: parameter {p} = {v} not reachable"));
            }
        }
    }
    Ok(())
}

/// Plans `m` as EXEC (and as DELETE / INSERT when it implements them): every plan must name
/// the method and a URL with every placeholder filled.
fn check_writes(engine: &Engine, service: &str, r: &Resource, m: &Method) -> Result<usize, String> {
    let args: Vec<(String, Value)> = m
        .required_params()
        .map(|p| (p.name.clone(), param_value(p)))
        .collect();
    let body = m.request_body.as_ref().map(|b| {
        let mut o = Map::new();
        for name in &b.required_columns {
            let value = match b.columns.iter().find(|c| &c.name == name) {
                Some(c) => value_for(c, 0),
                None => json!("x"),
            };
            o.insert(name.clone(), value);
        }
        Value::Object(o)
    });
    let mut statements = Vec::new();
    let mut exec = format!("EXEC {PROVIDER}.{service}.{}.{}", r.name, m.name);
    for (k, v) in &args {
        exec.push_str(&format!(" @{k}={}", sql_literal(v)));
    }
    if let Some(b) = body
        .as_ref()
        .filter(|_| m.request_body.as_ref().is_some_and(|b| b.required))
    {
        exec.push_str(&format!(" @@json={}", sql_literal(&json!(b.to_string()))));
    }
    statements.push(exec);
    let verb = r.verb_of(&m.name);
    let conditions: Vec<String> = args
        .iter()
        .map(|(k, v)| format!("\"{k}\" = {}", sql_literal(v)))
        .collect();
    if verb == SqlVerb::Delete {
        statements.push(format!(
            "DELETE FROM {PROVIDER}.{service}.{} WHERE {}",
            r.name,
            conditions.join(" AND ")
        ));
    }
    if verb == SqlVerb::Insert {
        let mut cols: Vec<String> = args.iter().map(|(k, _)| format!("\"{k}\"")).collect();
        let mut values: Vec<String> = args.iter().map(|(_, v)| sql_literal(v)).collect();
        if let Some(Value::Object(b)) = &body {
            for (k, v) in b {
                cols.push(format!("\"{DATA_PREFIX}{k}\""));
                values.push(sql_literal(v));
            }
        }
        statements.push(format!(
            "INSERT INTO {PROVIDER}.{service}.{} ({}) VALUES ({})",
            r.name,
            cols.join(", "),
            values.join(", ")
        ));
    }
    for s in &statements {
        let plan = engine
            .plan_source(&Source::new(s))
            .map_err(|e| format!("{s}: {e}"))?;
        let text = plan_text(&plan);
        let Plan::Mutation(mp) = &plan else {
            return Err(format!("{s}: not a write plan"));
        };
        if mp.method != m.name && verb != SqlVerb::Insert && verb != SqlVerb::Delete {
            return Err(format!("{s}: plans {}", mp.method));
        }
        if mp.requests.iter().any(|r| r.url.contains('{')) || mp.requests.is_empty() {
            return Err(format!("{s}: {text}"));
        }
    }
    Ok(statements.len())
}

/// Which of a registry's services a run covers: those whose place in the registry's list
/// leaves `index` when divided by `of`.
#[derive(Clone, Copy)]
struct Part {
    index: usize,
    of: usize,
}

impl Part {
    const WHOLE: Part = Part { index: 0, of: 1 };
}

async fn run_registry(label: &str, registry: Registry, part: Part) -> Tally {
    let canned = canned_server().await;
    let mut config = EngineConfig::new(registry.clone());
    config.server_url = Some(canned.template());
    // A credential bound to the canned server's template: without one nothing is sent.
    config.client.token = Some("conformance-token".into());
    let engine = Engine::new(config).unwrap();
    let mut tally = Tally::default();
    let services = registry.services(PROVIDER).unwrap();
    for (_, entry) in services
        .iter()
        .enumerate()
        .filter(|(i, _)| i % part.of == part.index)
    {
        let service = registry.service(PROVIDER, &entry.name).unwrap();
        for r in &service.resources {
            for m in &r.methods {
                match check_writes(&engine, &entry.name, r, m) {
                    Ok(n) => tally.planned += n,
                    Err(e) => tally.failures.push(format!("plan {}: {e}", r.id)),
                }
            }
            for m in r.methods_for(SqlVerb::Select) {
                tally.select_methods += 1;
                let columns = r.select_columns();
                if m.required_params()
                    .any(|p| columns.iter().any(|c| c.name.eq_ignore_ascii_case(&p.name)))
                {
                    tally.collisions += 1;
                }
                if m.columns.len() == 1 && m.columns[0].name == "value" {
                    tally.scalars += 1;
                }
                if m.http_method == "GET" && m.response_shape == ResponseShape::Array {
                    tally.paginated += 1;
                }
                match check_select(&engine, &canned, &entry.name, r, m).await {
                    Ok(()) => tally.exact += 1,
                    Err(e) => tally
                        .failures
                        .push(format!("select {}.{}: {e}", r.id, m.name)),
                }
            }
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "conformance: registry {label}: {}/{} select methods returned exactly what was served \
         ({} with a parameter named like a column, {} arrays of scalars, {} lists over two \
         pages); {} DELETE/EXEC/INSERT statements planned",
        tally.exact,
        tally.select_methods,
        tally.collisions,
        tally.scalars,
        tally.paginated,
        tally.planned
    );
    tally
}

fn assert_clean(label: &str, tally: &Tally) {
    assert!(tally.select_methods > 0, "{label}: no select method found");
    assert!(
        tally.failures.is_empty(),
        "{label}: {} of {} select methods exact; failures:\n{}",
        tally.exact,
        tally.select_methods,
        tally.failures.join("\n")
    );
}

/// StackQL's registry is checked in [`REFERENCE_PARTS`] tests, each over its share of the
/// services, so that each stays short and they run side by side.
const REFERENCE_PARTS: usize = 4;

async fn check_reference_part(index: usize) {
    let Some(root) = reference_registry("conformance over StackQL's Okta registry") else {
        return;
    };
    let label = format!(
        "stackql (reference), part {} of {REFERENCE_PARTS}",
        index + 1
    );
    let part = Part {
        index,
        of: REFERENCE_PARTS,
    };
    let tally = run_registry(&label, Registry::from_dir(&root).unwrap(), part).await;
    assert_clean(&label, &tally);
}

#[tokio::test]
async fn the_reference_registry_returns_exactly_what_is_served_part_1() {
    check_reference_part(0).await;
}

#[tokio::test]
async fn the_reference_registry_returns_exactly_what_is_served_part_2() {
    check_reference_part(1).await;
}

#[tokio::test]
async fn the_reference_registry_returns_exactly_what_is_served_part_3() {
    check_reference_part(2).await;
}

#[tokio::test]
async fn the_reference_registry_returns_exactly_what_is_served_part_4() {
    check_reference_part(3).await;
}

#[tokio::test]
async fn our_own_registries_return_exactly_what_is_served() {
    for (label, registry) in [
        ("embedded (providers/)", Registry::embedded()),
        (
            "fixture (tests/fixtures/stackql-layout)",
            Registry::from_dir(&fixture_registry()).unwrap(),
        ),
    ] {
        let tally = run_registry(label, registry, Part::WHOLE).await;
        assert_clean(label, &tally);
    }
}
