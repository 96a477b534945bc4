//! A plan as text: what `--dry-run` prints and what `grammar-tests/` compare against.
//! Secret values in request bodies are masked.

use std::fmt::Write as _;

use serde_json::Value;

use super::{HttpRequest, Plan, TableFetch};

pub use crate::secrets::is_secret_key;

/// A copy of `value` with every secret field's value replaced by `****` (see
/// [`crate::secrets::mask_json_keys`]).
pub fn mask_secrets(value: &Value) -> Value {
    crate::secrets::mask_json_keys(value)
}

fn request_line(out: &mut String, r: &HttpRequest) {
    let mut url = r.url.clone();
    if !r.query.is_empty() {
        url = format!("{url}?{}", super::url::query_string(&r.query));
    }
    let _ = write!(out, "  {} {}", r.http_method, url);
    if r.paginate {
        out.push_str("  (follows next links)");
    }
    out.push('\n');
    if let Some(body) = &r.body {
        let _ = writeln!(out, "    body: {}", mask_secrets(body));
    }
}

fn fetch(out: &mut String, f: &TableFetch) {
    let _ = writeln!(out, "fetch {} <- {}.{}", f.table, f.resource, f.method);
    if !f.bound.is_empty() {
        let _ = writeln!(out, "  bound: {}", f.bound.join(" AND "));
    }
    if !f.pushed.is_empty() {
        let p: Vec<String> = f.pushed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "  pushed down: {}", p.join(", "));
    }
    if !f.residual.is_empty() {
        let _ = writeln!(out, "  residual: {}", f.residual.join(" AND "));
    }
    for b in &f.static_bindings {
        let values: Vec<String> = b
            .values
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("'{}'", s.replace('\'', "''")),
                other => other.to_string(),
            })
            .collect();
        let _ = writeln!(out, "  {} = {}", b.param, values.join(" | "));
    }
    for d in &f.depends {
        let _ = writeln!(out, "  {} <- each row of: {}", d.params.join(", "), d.sql);
    }
    for r in &f.requests {
        request_line(out, r);
    }
    if let Some(key) = &f.rows_at {
        let _ = writeln!(out, "  rows at {key} of each answer");
    }
    if let Some(s) = &f.stop_after {
        let rows = if s.rows == 1 { "row" } else { "rows" };
        let _ = write!(out, "  stops after {} {rows} ({})", s.rows, s.clause);
        if s.count_sql.is_some() {
            out.push_str(" that pass the WHERE");
        }
        out.push('\n');
    }
}

/// Renders a plan as indented text, secret values masked.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    match plan {
        Plan::Static(rows) => {
            let _ = writeln!(
                out,
                "answer from the provider: {} rows, columns {}",
                rows.len(),
                rows.columns.join(", ")
            );
        }
        Plan::Query(q) => {
            for t in &q.tables {
                fetch(&mut out, t);
            }
            let _ = writeln!(out, "sql: {}", q.sql);
        }
        Plan::Mutation(m) => {
            let _ = writeln!(out, "{}:", m.verb.as_str());
            fetch(&mut out, &m.fetch);
            if let Some(sql) = &m.output_sql {
                let _ = writeln!(out, "output: {sql}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_at_any_depth() {
        let v = json!({"client_secret": "s3cr3t", "status": "ACTIVE", "nested": [{"client_secret": "x"}], "none": {"client_secret": null}});
        let m = mask_secrets(&v);
        assert_eq!(m["client_secret"], "****");
        assert_eq!(m["status"], "ACTIVE");
        assert_eq!(m["nested"][0]["client_secret"], "****");
        assert!(m["none"]["client_secret"].is_null());
        assert!(!m.to_string().contains("s3cr3t"));
    }
}
