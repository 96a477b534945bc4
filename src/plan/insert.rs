//! Planning `INSERT`: `data__` columns become the JSON body, the other columns bind
//! parameters; each row of `VALUES` (or the literal `SELECT`) is one create call.

use serde_json::{Map, Value};
use sqlparser::ast::{Expr, Insert, ObjectNamePart, SelectItem, SetExpr, TableObject};

use crate::provider::{Method, Resource, SqlVerb};

use super::bind::{build_requests, choose_method, literal, Binding, Target, EXTRA_COLUMN};
use super::call::quote_ident;
use super::resolve::nearest;
use super::{MutationPlan, PlanContext, PlanError};

/// Prefix of columns that go into the request body.
pub const DATA_PREFIX: &str = "data__";

/// Plans an INSERT.
pub fn plan_insert(ins: &Insert, ctx: &PlanContext<'_>) -> Result<MutationPlan, PlanError> {
    let TableObject::TableName(name) = &ins.table else {
        return Err(PlanError::Invalid(
            "INSERT INTO needs a resource name such as okta.apps.secrets".into(),
        ));
    };
    let (resolved, target) = super::resolve_object(ctx, name)?;
    let resource = resolved.resource();
    let columns: Vec<String> = ins
        .columns
        .iter()
        .map(|c| {
            c.0.iter()
                .filter_map(|p| match p {
                    ObjectNamePart::Identifier(i) => Some(i.value.clone()),
                    _ => None,
                })
                .next_back()
                .unwrap_or_default()
        })
        .collect();
    if columns.is_empty() {
        return Err(PlanError::Invalid(format!(
            "INSERT INTO {target} needs a column list, e.g. INSERT INTO {target} (subdomain, …, data__field) VALUES (…)"
        )));
    }
    let rows = source_rows(ins, &target)?;
    let insert_methods = resource.methods_for(SqlVerb::Insert);
    if insert_methods.is_empty() {
        // Let choose_method produce the standard explanation.
        choose_method(resource, SqlVerb::Insert, &[])?;
    }
    let mut requests = Vec::new();
    let mut chosen: Option<&Method> = None;
    for (r, row) in rows.iter().enumerate() {
        if row.len() != columns.len() {
            return Err(PlanError::Invalid(format!(
                "INSERT INTO {target}: row {} has {} values for {} columns",
                r + 1,
                row.len(),
                columns.len()
            )));
        }
        let mut params: Vec<(String, Value)> = Vec::new();
        let mut data: Vec<(String, Value)> = Vec::new();
        for (col, expr) in columns.iter().zip(row) {
            let value = literal(expr).ok_or_else(|| {
                // The expression of a secret column holds the secret: name its kind only.
                let found = if crate::secrets::is_secret_key(col) {
                    "an expression (not shown: it is in a secret position)".to_string()
                } else {
                    expr.to_string()
                };
                PlanError::Invalid(format!(
                    "INSERT INTO {target}: the value for {col} must be a literal ('text', a number, true/false or null), found {found}"
                ))
            })?;
            match strip_prefix_ci(col, DATA_PREFIX) {
                Some(field) => data.push((field.to_string(), value)),
                None => params.push((col.clone(), value)),
            }
        }
        if let Some(org) = ctx.default_org {
            if !params
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("subdomain"))
            {
                params.push(("subdomain".to_string(), Value::String(org.to_string())));
            }
        }
        let names: Vec<String> = params.iter().map(|(n, _)| n.clone()).collect();
        let method = choose_method(resource, SqlVerb::Insert, &names)?;
        let method = body_match(resource, method, &names, &data);
        check_params(resource, method, &params, "insert")?;
        let body = build_body(resource, method, data)?;
        let bindings: Vec<Binding> = params
            .into_iter()
            .map(|(n, v)| Binding {
                param: method.param(&n).map(|p| p.name.clone()).unwrap_or(n),
                values: vec![v],
            })
            .collect();
        requests.extend(build_requests(
            &resolved.service,
            resource,
            method,
            &bindings,
            Some(Value::Object(body)),
            Target {
                server_url: ctx.server_url,
                extra_query: &[],
                orgs: ctx.orgs,
            },
        )?);
        chosen = Some(method);
    }
    let method = chosen
        .ok_or_else(|| PlanError::Invalid(format!("INSERT INTO {target} has no rows to insert")))?;
    let mut plan = MutationPlan::new(SqlVerb::Insert, resource, method, requests);
    plan.output_sql = ins.returning.as_ref().map(|items| {
        let list: Vec<String> = items
            .iter()
            .map(|item| match item {
                // `*` lists what SELECT * lists: every column but the undeclared fields.
                SelectItem::Wildcard(options) if options.to_string().is_empty() => plan
                    .columns
                    .iter()
                    .filter(|c| c.name != EXTRA_COLUMN)
                    .map(|c| quote_ident(&c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            })
            .collect();
        format!("SELECT {} FROM {}", list.join(", "), plan.table)
    });
    Ok(plan)
}

/// Among the INSERT methods as specific as `chosen` (the same required parameters, all
/// bound), the first whose request body takes every `data__` field given and gets every
/// field it requires; `chosen` when none does or it does itself. Several INSERT methods
/// often share a path's parameters and differ by body (`okta.users.authenticator_enrollments`).
fn body_match<'r>(
    resource: &'r crate::provider::Resource,
    chosen: &'r Method,
    names: &[String],
    data: &[(String, Value)],
) -> &'r Method {
    let fits = |m: &Method| {
        let Some(spec) = &m.request_body else {
            return data.is_empty();
        };
        data.iter()
            .all(|(k, _)| spec.columns.iter().any(|c| c.name.eq_ignore_ascii_case(k)))
            && spec
                .required_columns
                .iter()
                .all(|r| data.iter().any(|(k, _)| k.eq_ignore_ascii_case(r)))
    };
    if fits(chosen) {
        return chosen;
    }
    let bound = |n: &str| names.iter().any(|b| b.eq_ignore_ascii_case(n));
    let n = chosen.required_params().count();
    resource
        .methods_for(SqlVerb::Insert)
        .into_iter()
        .find(|m| {
            m.required_params().count() == n
                && m.required_params().all(|p| bound(&p.name))
                && fits(m)
        })
        .unwrap_or(chosen)
}

/// The literal rows of `VALUES (…), (…)` or of a `SELECT` without `FROM`.
fn source_rows<'a>(ins: &'a Insert, target: &str) -> Result<Vec<Vec<&'a Expr>>, PlanError> {
    let source = ins.source.as_ref().ok_or_else(|| {
        PlanError::Invalid(format!("INSERT INTO {target} needs VALUES (…) or SELECT …"))
    })?;
    match source.body.as_ref() {
        SetExpr::Values(values) => Ok(values.rows.iter().map(|r| r.iter().collect()).collect()),
        SetExpr::Select(select) if select.from.is_empty() => {
            let mut row = Vec::new();
            for item in &select.projection {
                match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        row.push(e)
                    }
                    other => {
                        return Err(PlanError::Invalid(format!(
                            "INSERT INTO {target} … SELECT: {other} is not a value; list literal values"
                        )))
                    }
                }
            }
            Ok(vec![row])
        }
        _ => Err(PlanError::Invalid(format!(
            "INSERT INTO {target} … SELECT … FROM is not supported: give literal values with VALUES (…) or SELECT 'a', 'b'"
        ))),
    }
}

/// Every parameter column must be a parameter of the method.
pub fn check_params(
    resource: &Resource,
    method: &Method,
    params: &[(String, Value)],
    what: &str,
) -> Result<(), PlanError> {
    for (name, _) in params {
        if method.param(name).is_none() {
            let body_hint = method
                .request_body
                .as_ref()
                .and_then(|b| b.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
                .map(|c| format!(" (to set the body field, name it {DATA_PREFIX}{})", c.name));
            let suggestion = nearest(name, method.params.iter().map(|p| p.name.as_str()))
                .map(|s| format!(" (did you mean {s}?)"));
            let names: Vec<&str> = method.params.iter().map(|p| p.name.as_str()).collect();
            return Err(PlanError::At {
                at: crate::sql::Needle::Name(name.to_string()),
                message: format!(
                    "{}: {name} is not a parameter of {}{}; {what} takes {}",
                    resource.id,
                    method.name,
                    body_hint.or(suggestion).unwrap_or_default(),
                    names.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// The JSON body from `data__` fields, checked against the method's request body.
pub fn build_body(
    resource: &Resource,
    method: &Method,
    data: Vec<(String, Value)>,
) -> Result<Map<String, Value>, PlanError> {
    let mut body = Map::new();
    let Some(spec) = &method.request_body else {
        if let Some((name, _)) = data.first() {
            return Err(PlanError::Invalid(format!(
                "{}: {} takes no request body, so {DATA_PREFIX}{name} cannot be set",
                resource.id, method.name
            )));
        }
        return Ok(body);
    };
    for (name, value) in data {
        let Some(col) = spec
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&name))
        else {
            let fields: Vec<String> = spec
                .columns
                .iter()
                .map(|c| format!("{DATA_PREFIX}{}", c.name))
                .collect();
            let suggestion = nearest(&name, spec.columns.iter().map(|c| c.name.as_str()))
                .map(|s| format!(" (did you mean {DATA_PREFIX}{s}?)"))
                .unwrap_or_default();
            return Err(PlanError::At {
                at: crate::sql::Needle::Name(format!("{DATA_PREFIX}{name}")),
                message: format!(
                "{}: {DATA_PREFIX}{name} is not a field of the {} request body{suggestion}; fields: {}",
                resource.id,
                method.name,
                fields.join(", ")
            ),
            });
        };
        let value = match (&value, col.ty.as_str()) {
            // Objects and arrays are written as JSON text in SQL.
            (Value::String(s), "object" | "array") => serde_json::from_str(s).map_err(|e| {
                PlanError::Invalid(format!(
                    "{}: {DATA_PREFIX}{} must be JSON text of an {}: {e}",
                    resource.id, col.name, col.ty
                ))
            })?,
            _ => value,
        };
        if !col.enum_values.is_empty() {
            if let Value::String(s) = &value {
                if !col.enum_values.iter().any(|e| e == s) {
                    return Err(PlanError::At {
                        at: crate::sql::Needle::Literal(s.clone()),
                        message: format!(
                            "{}: {DATA_PREFIX}{} = '{s}' is not allowed; use one of {}",
                            resource.id,
                            col.name,
                            col.enum_values.join(", ")
                        ),
                    });
                }
            }
        }
        body.insert(col.name.clone(), value);
    }
    for required in &spec.required_columns {
        if !body.contains_key(required) {
            return Err(PlanError::Invalid(format!(
                "{}: {} needs the body field {DATA_PREFIX}{required}",
                resource.id, method.name
            )));
        }
    }
    Ok(body)
}

/// `name` without `prefix`, compared case-insensitively.
fn strip_prefix_ci<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    match (name.get(..prefix.len()), name.get(prefix.len()..)) {
        (Some(head), Some(rest)) if !rest.is_empty() && head.eq_ignore_ascii_case(prefix) => {
            Some(rest)
        }
        _ => None,
    }
}
