//! Planning `EXEC provider.service.resource.method @arg=value, …`: any method of a
//! resource by name, arguments bound to its parameters or body fields.

use serde_json::Value;

use crate::provider::{ResponseShape, SqlVerb};
use crate::sql::{Literal, ObjectRef};

use super::bind::{build_requests, missing_error, Binding, Target};
use super::display::is_secret_key;
use super::insert::build_body;
use super::resolve::{self, nearest};
use super::{MutationPlan, PlanContext, PlanError};

/// Plans an EXEC.
pub fn plan_exec(
    target: &ObjectRef,
    method_name: &str,
    args: &[(String, Literal)],
    json_body: Option<&Value>,
    ctx: &PlanContext<'_>,
) -> Result<MutationPlan, PlanError> {
    let resolved = resolve::object(ctx.registry, target)?;
    let resource = resolved.resource();
    let method = resource.method(method_name).ok_or_else(|| {
        let names = resource.methods.iter().map(|m| m.name.as_str());
        PlanError::UnknownMethod {
            resource: resource.id.clone(),
            method: method_name.to_string(),
            suggestion: nearest(method_name, names.clone()).map(str::to_string),
            methods: names.map(str::to_string).collect(),
        }
    })?;
    let mut bindings: Vec<Binding> = Vec::new();
    let mut data: Vec<(String, Value)> = Vec::new();
    for (name, value) in args {
        if let Some(p) = method.param(name) {
            if bindings.iter().any(|b| b.param == p.name) {
                return Err(PlanError::Invalid(format!(
                    "EXEC {}.{}: @{} is given twice",
                    resource.id, method.name, p.name
                )));
            }
            bindings.push(Binding {
                param: p.name.clone(),
                values: vec![value.clone()],
            });
        } else if method
            .request_body
            .as_ref()
            .is_some_and(|b| b.columns.iter().any(|c| c.name.eq_ignore_ascii_case(name)))
        {
            data.push((name.clone(), value.clone()));
        } else {
            let names: Vec<&str> = method.params.iter().map(|p| p.name.as_str()).collect();
            return Err(PlanError::At {
                at: crate::sql::Needle::Name(format!("@{name}")),
                message: format!(
                    "EXEC {}.{}: @{name} is not a parameter{}; it takes {}",
                    resource.id,
                    method.name,
                    nearest(name, names.iter().copied())
                        .map(|s| format!(" (did you mean @{s}?)"))
                        .unwrap_or_default(),
                    names
                        .iter()
                        .map(|n| format!("@{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    super::bind::default_subdomain(&mut bindings, resource, ctx.default_org);
    let is_bound = |n: &str| bindings.iter().any(|b| b.param.eq_ignore_ascii_case(n));
    if method.required_params().any(|p| !is_bound(&p.name)) {
        return Err(missing_error(resource, &method.name, method, &is_bound));
    }
    let body = match (json_body, data.is_empty()) {
        (Some(_), false) => {
            return Err(PlanError::Invalid(format!(
                "EXEC {}.{}: give the body either as @@json or as @field arguments, not both",
                resource.id, method.name
            )))
        }
        (Some(v), true) => Some(v.clone()),
        (None, false) => Some(Value::Object(build_body(resource, method, data)?)),
        (None, true) if method.request_body.as_ref().is_some_and(|b| b.required) => {
            Some(Value::Object(build_body(resource, method, Vec::new())?))
        }
        (None, true) => None,
    };
    let requests = build_requests(
        &resolved.service,
        resource,
        method,
        &bindings,
        body,
        Target {
            server_url: ctx.server_url,
            extra_query: &[],
            orgs: ctx.orgs,
        },
    )?;
    let mut plan = MutationPlan::new(SqlVerb::Exec, resource, method, requests);
    let table = &plan.table;
    // Secret values are left out of what EXEC prints, so that runbooks logged by CI do not
    // leak them; a SELECT that names the column still shows it.
    let output_columns: Option<Vec<String>> = match method.response_shape {
        ResponseShape::Empty => None,
        _ if method.columns.is_empty() => None,
        _ => Some(
            method
                .columns
                .iter()
                .filter(|c| !is_secret_key(&c.name))
                .map(|c| c.name.clone())
                .collect(),
        ),
    };
    let output_sql = match (&output_columns, method.response_shape) {
        (_, ResponseShape::Empty) => None,
        (Some(cols), _) => Some(format!(
            "SELECT {} FROM {table}",
            cols.iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (None, _) => Some(format!("SELECT * FROM {table}")),
    };
    plan.bound = args
        .iter()
        .map(|(n, v)| match v {
            Value::String(s) => format!("@{n}='{}'", s.replace('\'', "''")),
            other => format!("@{n}={other}"),
        })
        .collect();
    plan.output_sql = output_sql;
    plan.output_columns = output_columns;
    Ok(plan)
}

/// An identifier quoted for SQLite.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
