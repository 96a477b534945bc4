//! Planning `SELECT`: every `provider.service.resource` table reference becomes a fetch
//! whose parameters are bound from the WHERE and JOIN … ON conjuncts of its own SELECT; the
//! query is rewritten to read the fetched tables and handed whole to the relational stage.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, Query, Select,
    TableAlias, TableFactor, VisitMut, VisitorMut,
};

use crate::provider::SqlVerb;

use super::bind::{
    build_requests, choose_method, conjuncts, equality, table_columns, verb_params, Binding, Target,
};
use super::resolve::{self, Resolved};
use super::{PlanContext, PlanError, QueryPlan, TableFetch};

/// Plans a query.
pub fn plan_select(query: &Query, ctx: &PlanContext<'_>) -> Result<QueryPlan, PlanError> {
    let mut rewritten = query.clone();
    let mut planner = SelectPlanner {
        ctx,
        tables: Vec::new(),
    };
    if let ControlFlow::Break(e) = rewritten.visit(&mut planner) {
        return Err(e);
    }
    if planner.tables.is_empty() {
        return Err(PlanError::Invalid(
            "this query reads no provider resource: name one as provider.service.resource, \
             e.g. FROM okta.apps.secrets (SHOW RESOURCES IN okta.apps lists them)"
                .into(),
        ));
    }
    Ok(QueryPlan {
        tables: planner.tables,
        sql: rewritten.to_string(),
    })
}

struct SelectPlanner<'c, 'r> {
    ctx: &'c PlanContext<'r>,
    tables: Vec<TableFetch>,
}

/// One table reference of a SELECT being planned.
struct TableRef {
    resolved: Resolved,
    /// The name the query uses for it (its alias, or the resource name).
    alias: String,
    has_alias: bool,
    /// Conjuncts from the JOIN … ON of this table.
    on: Vec<Expr>,
}

impl VisitorMut for SelectPlanner<'_, '_> {
    type Break = PlanError;

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<PlanError> {
        match self.plan_one(select) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

impl SelectPlanner<'_, '_> {
    fn plan_one(&mut self, select: &mut Select) -> Result<(), PlanError> {
        // Find the provider tables of this SELECT's FROM, with their JOIN constraints.
        let mut refs: Vec<(TableRef, (usize, Option<usize>))> = Vec::new();
        for (f, twj) in select.from.iter().enumerate() {
            if let Some(r) = self.table_ref(&twj.relation, Vec::new())? {
                refs.push((r, (f, None)));
            }
            for (j, join) in twj.joins.iter().enumerate() {
                let on = join_on(&join.join_operator);
                if let Some(r) = self.table_ref(&join.relation, on)? {
                    refs.push((r, (f, Some(j))));
                }
            }
        }
        if refs.is_empty() {
            return Ok(());
        }
        let where_conjuncts: Vec<Expr> = select
            .selection
            .as_ref()
            .map(|e| conjuncts(e).into_iter().cloned().collect())
            .unwrap_or_default();
        let single = refs.len() == 1;
        let all_params: Vec<Vec<String>> = refs
            .iter()
            .map(|(r, _)| verb_params(r.resolved.resource(), SqlVerb::Select))
            .collect();
        for (i, (tref, position)) in refs.iter().enumerate() {
            let resource = tref.resolved.resource();
            let params = &all_params[i];
            let mut bindings: Vec<Binding> = Vec::new();
            let mut bound_text = Vec::new();
            let mut residual_text = Vec::new();
            for c in where_conjuncts.iter().chain(tref.on.iter()) {
                let mut took = false;
                if let Some(((qual, col), values)) = equality(c) {
                    let mine = match qual {
                        Some(q) => q.eq_ignore_ascii_case(&tref.alias),
                        // Unqualified: ours when no other table of this SELECT has it.
                        None => {
                            single
                                || all_params
                                    .iter()
                                    .enumerate()
                                    .filter(|(j, ps)| {
                                        *j != i && ps.iter().any(|p| p.eq_ignore_ascii_case(col))
                                    })
                                    .count()
                                    == 0
                        }
                    };
                    if mine {
                        if let Some(p) = params.iter().find(|p| p.eq_ignore_ascii_case(col)) {
                            if let Some(existing) = bindings
                                .iter_mut()
                                .find(|b| b.param.eq_ignore_ascii_case(p))
                            {
                                // `a = 'x' AND a IN ('x','y')`: only common values can match.
                                existing.values.retain(|v| values.contains(v));
                            } else {
                                bindings.push(Binding {
                                    param: p.clone(),
                                    values,
                                });
                            }
                            bound_text.push(c.to_string());
                            took = true;
                        }
                    }
                }
                if !took {
                    residual_text.push(c.to_string());
                }
            }
            let names: Vec<String> = bindings.iter().map(|b| b.param.clone()).collect();
            let method = choose_method(resource, SqlVerb::Select, &names)?;
            let requests = build_requests(
                &tref.resolved.service,
                resource,
                method,
                &bindings,
                None,
                Target {
                    server_url: self.ctx.server_url,
                },
            )?;
            let table = self.table_name(&resource.id);
            let columns = table_columns(resource.select_columns(), method);
            // Rewrite the reference to read the fetched table under the same name.
            let factor = match *position {
                (f, None) => &mut select.from[f].relation,
                (f, Some(j)) => &mut select.from[f].joins[j].relation,
            };
            if let TableFactor::Table { name, alias, .. } = factor {
                *name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(table.clone()))]);
                if !tref.has_alias {
                    *alias = Some(TableAlias {
                        explicit: true,
                        name: Ident::new(tref.alias.clone()),
                        columns: Vec::new(),
                        at: None,
                    });
                }
            }
            self.tables.push(TableFetch {
                table,
                resource: resource.id.clone(),
                method: method.name.clone(),
                columns,
                requests,
                bound: bound_text,
                residual: residual_text,
            });
        }
        Ok(())
    }

    /// A provider table reference, or `None` for anything else (CTE names, subqueries).
    fn table_ref(
        &self,
        factor: &TableFactor,
        on: Vec<Expr>,
    ) -> Result<Option<TableRef>, PlanError> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return Ok(None);
        };
        let parts: Vec<&str> = name
            .0
            .iter()
            .filter_map(|p| match p {
                ObjectNamePart::Identifier(i) => Some(i.value.as_str()),
                _ => None,
            })
            .collect();
        match parts.as_slice() {
            [provider, service, resource] => {
                let resolved = resolve::resource(self.ctx.registry, provider, service, resource)?;
                let alias_name = alias.as_ref().map(|a| a.name.value.clone());
                Ok(Some(TableRef {
                    alias: alias_name
                        .clone()
                        .unwrap_or_else(|| resolved.resource().name.clone()),
                    has_alias: alias_name.is_some(),
                    resolved,
                    on,
                }))
            }
            [service, resource] => Err(PlanError::Invalid(format!(
                "table {service}.{resource} needs its provider: write it as okta.{service}.{resource}"
            ))),
            _ => Ok(None),
        }
    }

    fn table_name(&self, resource_id: &str) -> String {
        let base = resource_id.replace('.', "_");
        let n = self
            .tables
            .iter()
            .filter(|t| t.resource == resource_id)
            .count();
        if n == 0 {
            base
        } else {
            format!("{base}_{}", n + 1)
        }
    }
}

/// The conjuncts of a join's `ON` condition.
fn join_on(op: &JoinOperator) -> Vec<Expr> {
    let constraint = match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c) => c,
        _ => return Vec::new(),
    };
    match constraint {
        JoinConstraint::On(e) => conjuncts(e).into_iter().cloned().collect(),
        _ => Vec::new(),
    }
}
