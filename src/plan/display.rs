//! A plan as text: what `--dry-run` prints and what `grammar-tests/` compare against.
//! Secret values in request bodies are masked.

use std::fmt::Write as _;

use serde_json::Value;

use super::{HttpRequest, MutationPlan, Plan, Requests, TableFetch};

pub use crate::secrets::is_secret_key;

/// A copy of `value` with every secret field's value replaced by `****` (see
/// [`crate::secrets::mask_json_keys`]).
pub fn mask_secrets(value: &Value) -> Value {
    crate::secrets::mask_json_keys(value)
}

/// How `--dry-run` shows one planned request ([`plan_text_noted`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestNote {
    /// As it is.
    Plain,
    /// With a note after it (`(answered from …)`).
    Noted(String),
    /// Not at all (an identical request shown already stands for it).
    Hidden,
}

fn request_line(
    out: &mut String,
    r: &HttpRequest,
    note: &mut dyn FnMut(&HttpRequest) -> RequestNote,
) {
    let note = note(r);
    if note == RequestNote::Hidden {
        return;
    }
    let mut url = r.url.clone();
    if !r.query.is_empty() {
        url = format!("{url}?{}", super::url::query_string(&r.query));
    }
    let _ = write!(out, "  {} {}", r.http_method, url);
    if r.paginate {
        out.push_str("  (follows next links)");
    }
    if let RequestNote::Noted(text) = note {
        let _ = write!(out, "  ({text})");
    }
    out.push('\n');
    if let Some(body) = &r.body {
        let _ = writeln!(out, "    body: {}", mask_secrets(body));
    }
}

fn fetch(out: &mut String, f: &TableFetch, note: &mut dyn FnMut(&HttpRequest) -> RequestNote) {
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
    match &f.requests {
        Requests::Ready(requests) => {
            for r in requests {
                request_line(out, r, note);
            }
        }
        Requests::Deferred(d) => {
            for b in &d.bindings {
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
            for d in &d.depends {
                let _ = writeln!(out, "  {} <- each row of: {}", d.params.join(", "), d.sql);
            }
        }
    }
    rows_and_stop(out, f);
}

/// The lines of a mutation's calls, in the form of a query's fetch.
fn mutation(out: &mut String, m: &MutationPlan, note: &mut dyn FnMut(&HttpRequest) -> RequestNote) {
    let _ = writeln!(out, "fetch {} <- {}.{}", m.table, m.resource, m.method);
    if !m.bound.is_empty() {
        let _ = writeln!(out, "  bound: {}", m.bound.join(" AND "));
    }
    for r in &m.requests {
        request_line(out, r, note);
    }
    if let Some(key) = &m.rows_at {
        let _ = writeln!(out, "  rows at {key} of each answer");
    }
}

/// Where a query table's rows are and when its pages stop.
fn rows_and_stop(out: &mut String, f: &TableFetch) {
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
    plan_text_noted(plan, &mut |_| RequestNote::Plain)
}

/// [`plan_text`], with each planned request shown as `note` says (in plan order).
pub fn plan_text_noted(plan: &Plan, note: &mut dyn FnMut(&HttpRequest) -> RequestNote) -> String {
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
                fetch(&mut out, t, note);
            }
            let _ = writeln!(out, "sql: {}", q.sql);
        }
        Plan::Mutation(m) => {
            let _ = writeln!(out, "{}:", m.verb.as_str());
            mutation(&mut out, m, note);
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
