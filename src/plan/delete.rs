//! Planning `DELETE`: every WHERE conjunct must bind a parameter of the delete method
//! (`IN` lists fan out); a filter on anything else is refused rather than guessed at.

use sqlparser::ast::{Delete, FromTable, TableFactor};

use crate::provider::SqlVerb;

use super::bind::{
    build_requests, choose_method, conjuncts, equality, verb_params, Binding, Target,
};
use super::{MutationPlan, PlanContext, PlanError};

/// Plans a DELETE.
pub fn plan_delete(del: &Delete, ctx: &PlanContext<'_>) -> Result<MutationPlan, PlanError> {
    let tables = match &del.from {
        FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
    };
    let [twj] = tables.as_slice() else {
        return Err(PlanError::Invalid(
            "DELETE works on one resource: DELETE FROM okta.apps.secrets WHERE …".into(),
        ));
    };
    if !twj.joins.is_empty() || del.using.is_some() {
        return Err(PlanError::Invalid(
            "DELETE with JOIN or USING is not supported: bind the parameters with literals".into(),
        ));
    }
    let TableFactor::Table { name, alias, .. } = &twj.relation else {
        return Err(PlanError::Invalid(
            "DELETE FROM needs a resource name such as okta.apps.secrets".into(),
        ));
    };
    let (resolved, target) = super::resolve_object(ctx, name)?;
    let resource = resolved.resource();
    if resource.methods_for(SqlVerb::Delete).is_empty() {
        // A resource without a delete method gets the standard explanation, not a list of
        // no parameters.
        choose_method(resource, SqlVerb::Delete, &[])?;
    }
    let params = verb_params(resource, SqlVerb::Delete);
    let alias = alias.as_ref().map(|a| a.name.value.as_str());
    let mut bindings: Vec<Binding> = Vec::new();
    let mut bound_text = Vec::new();
    if let Some(selection) = &del.selection {
        for c in conjuncts(selection) {
            let bound = equality(c).and_then(|((qual, col), values)| {
                let qual_ok = qual.is_none_or(|q| {
                    alias.is_some_and(|a| a.eq_ignore_ascii_case(q))
                        || q.eq_ignore_ascii_case(&resource.name)
                });
                let p = params.iter().find(|p| p.eq_ignore_ascii_case(col))?;
                qual_ok.then(|| (p.clone(), values))
            });
            match bound {
                Some((param, values)) => {
                    if bindings.iter().any(|b| b.param == param) {
                        return Err(PlanError::Invalid(format!(
                            "DELETE FROM {target}: {param} is bound twice; give it once (use IN (…) for several values)"
                        )));
                    }
                    bindings.push(Binding { param, values });
                    bound_text.push(c.to_string());
                }
                None => {
                    return Err(PlanError::Invalid(format!(
                        "DELETE FROM {target}: the condition {c} does not bind a parameter; \
                         DELETE filters only on {} with = or IN (…)",
                        params.join(", ")
                    )))
                }
            }
        }
    }
    super::bind::default_subdomain(&mut bindings, resource, ctx.default_org);
    let names: Vec<String> = bindings.iter().map(|b| b.param.clone()).collect();
    let method = choose_method(resource, SqlVerb::Delete, &names)?;
    let requests = build_requests(
        &resolved.service,
        resource,
        method,
        &bindings,
        None,
        Target {
            server_url: ctx.server_url,
            extra_query: &[],
            orgs: ctx.orgs,
        },
    )?;
    if del.returning.is_some() {
        return Err(PlanError::Invalid(format!(
            "DELETE FROM {target} … RETURNING is not supported: Okta answers a delete with no body"
        )));
    }
    Ok(MutationPlan {
        bound: bound_text,
        ..MutationPlan::new(SqlVerb::Delete, resource, method, requests)
    })
}
