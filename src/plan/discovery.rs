//! Discovery statements (`SHOW …`, `DESCRIBE`), answered from the provider with no HTTP.

use serde_json::Value;

use crate::provider::{Method, ParamLocation, SqlVerb};
use crate::rows::Rows;
use crate::sql::ObjectRef;

use super::bind::{param_column, EXTRA_COLUMN};
use super::resolve;
use super::{PlanContext, PlanError};

fn rows(columns: &[&str], data: Vec<Vec<Value>>) -> Rows {
    Rows {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows: data,
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

fn opt(s: &Option<String>) -> Value {
    s.as_ref()
        .map(|s| Value::String(one_line(s)))
        .unwrap_or(Value::Null)
}

/// The first sentence-ish line of a description, whitespace folded.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SQL LIKE with `%` and `_`, case-insensitive (as SQLite's); linear backtracking, so no
/// pattern can make it slow.
pub fn like(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let v: Vec<char> = value.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && (p[i] == '_' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '%' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '%')
}

/// `SHOW PROVIDERS`.
pub fn show_providers(ctx: &PlanContext<'_>) -> Rows {
    rows(
        &["name"],
        ctx.registry
            .provider_names()
            .into_iter()
            .map(|n| vec![text(n)])
            .collect(),
    )
}

/// `SHOW SERVICES IN provider [LIKE …]`.
pub fn show_services(
    ctx: &PlanContext<'_>,
    provider: &str,
    pattern: Option<&str>,
) -> Result<Rows, PlanError> {
    let provider = resolve::provider_name(ctx.registry, provider)?;
    let services = ctx.registry.services(&provider)?;
    Ok(rows(
        &["name", "title", "description"],
        services
            .into_iter()
            .filter(|s| pattern.is_none_or(|p| like(p, &s.name)))
            .map(|s| vec![text(&s.name), opt(&s.title), opt(&s.description)])
            .collect(),
    ))
}

/// `SHOW RESOURCES IN provider.service [LIKE …]`.
pub fn show_resources(
    ctx: &PlanContext<'_>,
    provider: &str,
    service: &str,
    pattern: Option<&str>,
) -> Result<Rows, PlanError> {
    let svc = resolve::service(ctx.registry, provider, service)?;
    Ok(rows(
        &["name", "id", "title"],
        svc.resources
            .iter()
            .filter(|r| pattern.is_none_or(|p| like(p, &r.name)))
            .map(|r| vec![text(&r.name), text(&r.id), opt(&r.title)])
            .collect(),
    ))
}

fn param_list<'a>(params: impl Iterator<Item = &'a crate::provider::Param>) -> Value {
    text(
        params
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// `SHOW METHODS IN provider.service.resource`.
pub fn show_methods(ctx: &PlanContext<'_>, target: &ObjectRef) -> Result<Rows, PlanError> {
    let resolved = resolve::object(ctx.registry, target)?;
    let resource = resolved.resource();
    Ok(rows(
        &[
            "method",
            "required_params",
            "optional_params",
            "sql_verb",
            "http",
            "description",
        ],
        resource
            .methods
            .iter()
            .map(|m: &Method| {
                vec![
                    text(&m.name),
                    param_list(m.required_params()),
                    param_list(
                        m.optional_params()
                            .filter(|p| p.location != ParamLocation::Header),
                    ),
                    text(resource.verb_of(&m.name).as_str()),
                    text(format!("{} {}", m.http_method, m.path)),
                    opt(&m.summary.clone().or_else(|| m.description.clone())),
                ]
            })
            .collect(),
    ))
}

/// `DESCRIBE [EXTENDED] provider.service.resource`: the columns SELECT returns, then the
/// parameters a query can bind.
pub fn describe(
    ctx: &PlanContext<'_>,
    target: &ObjectRef,
    extended: bool,
) -> Result<Rows, PlanError> {
    let resolved = resolve::object(ctx.registry, target)?;
    let resource = resolved.resource();
    let mut data = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut push = |name: &str, ty: &str, kind: &str, desc: &Option<String>| {
        if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            return;
        }
        seen.push(name.to_string());
        let mut row = vec![text(name), text(ty), text(kind)];
        if extended {
            row.push(opt(desc));
        }
        data.push(row);
    };
    let response = resource.select_columns();
    for c in &response {
        push(&c.name, &c.ty, "column", &c.description);
    }
    let mut methods = resource.methods_for(SqlVerb::Select);
    if methods.is_empty() {
        methods = resource.methods.iter().collect();
    }
    for m in &methods {
        for p in &m.params {
            if p.location == ParamLocation::Header {
                continue;
            }
            // Which methods cannot be called without it: every one, some, or none.
            let needed_by: Vec<&str> = methods
                .iter()
                .filter(|m| m.param(&p.name).is_some_and(|q| q.required))
                .map(|m| m.name.as_str())
                .collect();
            let mut kind = if needed_by.len() == methods.len() {
                "required parameter".to_string()
            } else if needed_by.is_empty() {
                "parameter".to_string()
            } else {
                format!("parameter (required by {})", needed_by.join(", "))
            };
            let column = param_column(&response, &p.name);
            if column != p.name {
                kind.push_str(&format!("; bound by WHERE {} = …", p.name));
            }
            push(&column, &p.ty, &kind, &p.description);
        }
    }
    if !response
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(EXTRA_COLUMN))
    {
        push(
            EXTRA_COLUMN,
            "object",
            "undeclared fields",
            &Some("The fields of each row that the schema does not declare, as one JSON object (NULL when none); not part of SELECT *.".to_string()),
        );
    }
    let mut columns = vec!["name", "type", "kind"];
    if extended {
        columns.push("description");
    }
    Ok(rows(&columns, data))
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_matches_sql_semantics() {
        assert!(like("%app%", "apps"));
        assert!(like("APP_", "apps"));
        assert!(!like("app", "apps"));
        assert!(like("%", ""));
        assert!(!like("_", ""));
    }
}
