//! Planning `SELECT`: every `provider.service.resource` table reference becomes a fetch.
//!
//! Two passes over the query. The first renames every provider table to the table its rows
//! will be loaded into (keeping the name the query uses as alias). The second binds, for
//! each SELECT, the parameters of its tables from its WHERE and JOIN … ON conjuncts:
//! equalities and `IN` lists of literals bind directly; an equality with another table's
//! column, or `IN (SELECT …)`, binds from the rows of tables fetched first (a dependent
//! fetch). The rewritten query then runs whole in the relational stage.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, InTarget, JoinConstraint, JoinOperator, ObjectName,
    ObjectNamePart, Query, Select, TableAlias, TableFactor, Visit, VisitMut, Visitor, VisitorMut,
};

use crate::provider::SqlVerb;
use crate::sql::ObjectRef;

use super::bind::{
    build_requests, choose_method, column_ref, conjuncts, equality, param_column, table_columns,
    verb_params, Binding, Target,
};
use super::call::quote_ident;
use super::resolve::{self, Resolved};
use super::rewrite::Rename;
use super::{Deferred, Dependency, PlanContext, PlanError, QueryPlan, Requests, TableFetch};

/// Plans a query.
pub fn plan_select(query: &Query, ctx: &PlanContext<'_>) -> Result<QueryPlan, PlanError> {
    plan_select_rewritten(query, ctx).map(|(plan, _)| plan)
}

/// Plans a query, and gives the query as rewritten to read the fetched tables (the tree the
/// plan's SQL is printed from).
pub(super) fn plan_select_rewritten(
    query: &Query,
    ctx: &PlanContext<'_>,
) -> Result<(QueryPlan, Query), PlanError> {
    let mut rewritten = query.clone();
    let mut renamer = Renamer {
        ctx,
        tables: Vec::new(),
    };
    if let ControlFlow::Break(e) = VisitMut::visit(&mut rewritten, &mut renamer) {
        return Err(e);
    }
    if renamer.tables.is_empty() {
        return Err(PlanError::Invalid(
            "this query reads no provider resource: name one as provider.service.resource, \
             e.g. FROM okta.apps.secrets (SHOW RESOURCES IN okta.apps lists them)"
                .into(),
        ));
    }
    let mut binder = Binder {
        ctx,
        tables: renamer.tables,
        fetches: Vec::new(),
        selects: 0,
        renames: Vec::new(),
    };
    if let ControlFlow::Break(e) = Visit::visit(&rewritten, &mut binder) {
        return Err(e);
    }
    let mut fetches = binder.fetches;
    super::rewrite::rewrite(&mut rewritten, &binder.renames, &fetches);
    order_fetches(&mut fetches)?;
    if let [only] = fetches.as_mut_slice() {
        let bound = only.bound.len();
        super::limit::push_limit(&rewritten, only, bound);
    }
    let sql = rewritten.to_string();
    let direct = match fetches.as_slice() {
        [only] => super::direct::direct_query(&rewritten, only),
        _ => None,
    };
    Ok((
        QueryPlan {
            tables: fetches,
            sql,
            direct,
        },
        rewritten,
    ))
}

/// A provider table found by the first pass.
struct TableInfo {
    resolved: Resolved,
    /// The table its rows are loaded into.
    table: String,
}

/// Pass 1: rename provider tables.
struct Renamer<'c, 'r> {
    ctx: &'c PlanContext<'r>,
    tables: Vec<TableInfo>,
}

impl VisitorMut for Renamer<'_, '_> {
    type Break = PlanError;

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<PlanError> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return ControlFlow::Continue(());
        };
        let resolved = match ObjectRef::from_sql(name) {
            Some(target) => match resolve::object(self.ctx.registry, &target) {
                Ok(r) => r,
                Err(e) => return ControlFlow::Break(e.into()),
            },
            None => match crate::sql::identifiers(name).as_slice() {
                [service, resource] => {
                    return ControlFlow::Break(PlanError::Invalid(format!(
                        "table {service}.{resource} needs its provider: write it as okta.{service}.{resource}"
                    )))
                }
                _ => return ControlFlow::Continue(()),
            },
        };
        let id = resolved.resource().id.clone();
        let base = id.replace('.', "_");
        let n = self
            .tables
            .iter()
            .filter(|t| t.resolved.resource().id == id)
            .count();
        let table = if n == 0 {
            base
        } else {
            format!("{base}_{}", n + 1)
        };
        if alias.is_none() {
            *alias = Some(TableAlias {
                explicit: true,
                name: Ident::new(resolved.resource().name.clone()),
                columns: Vec::new(),
                at: None,
            });
        }
        *name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(table.clone()))]);
        self.tables.push(TableInfo { resolved, table });
        ControlFlow::Continue(())
    }
}

/// Pass 2: bind parameters per SELECT.
struct Binder<'c, 'r> {
    ctx: &'c PlanContext<'r>,
    tables: Vec<TableInfo>,
    fetches: Vec<TableFetch>,
    /// SELECTs seen so far, in visiting order (the rewrite pass counts the same way).
    selects: usize,
    /// Conditions that bind a parameter named like a response column, per SELECT.
    renames: Vec<(usize, Rename)>,
}

/// A provider table as one SELECT sees it.
struct Local {
    info: usize,
    alias: String,
    on: Vec<Expr>,
}

impl Visitor for Binder<'_, '_> {
    type Break = PlanError;

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<PlanError> {
        self.selects += 1;
        match self.bind_select(select) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

impl Binder<'_, '_> {
    fn local(&self, factor: &TableFactor, on: Vec<Expr>) -> Option<Local> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return None;
        };
        let [ObjectNamePart::Identifier(id)] = name.0.as_slice() else {
            return None;
        };
        let info = self.tables.iter().position(|t| t.table == id.value)?;
        // Each provider table is bound once, by the SELECT that reads it.
        if self.fetches.iter().any(|f| f.table == id.value) {
            return None;
        }
        Some(Local {
            info,
            alias: alias.as_ref().map(|a| a.name.value.clone())?,
            on,
        })
    }

    fn bind_select(&mut self, select: &Select) -> Result<(), PlanError> {
        let mut locals = Vec::new();
        // The ON conditions of inner joins filter the whole result, like WHERE; those of
        // outer joins belong to their table only.
        let mut where_conjuncts: Vec<Expr> = select
            .selection
            .as_ref()
            .map(|e| conjuncts(e).into_iter().cloned().collect())
            .unwrap_or_default();
        for twj in &select.from {
            locals.extend(self.local(&twj.relation, Vec::new()));
            for join in &twj.joins {
                let (on, inner) = join_on(&join.join_operator);
                if inner {
                    where_conjuncts.extend(on);
                    locals.extend(self.local(&join.relation, Vec::new()));
                } else {
                    locals.extend(self.local(&join.relation, on));
                }
            }
        }
        if locals.is_empty() {
            return Ok(());
        }
        // Aliases of every table this SELECT reads (provider tables or not).
        let params: Vec<Vec<String>> = locals
            .iter()
            .map(|l| verb_params(self.tables[l.info].resolved.resource(), SqlVerb::Select))
            .collect();
        for (i, local) in locals.iter().enumerate() {
            let mut renames = Vec::new();
            let fetch =
                self.bind_table(i, local, &locals, &params, &where_conjuncts, &mut renames)?;
            self.fetches.push(fetch);
            let n = self.selects;
            self.renames.extend(renames.into_iter().map(|r| (n, r)));
        }
        Ok(())
    }

    fn bind_table(
        &self,
        i: usize,
        local: &Local,
        locals: &[Local],
        params: &[Vec<String>],
        where_conjuncts: &[Expr],
        renames: &mut Vec<Rename>,
    ) -> Result<TableFetch, PlanError> {
        let info = &self.tables[local.info];
        let resource = info.resolved.resource();
        let response = resource.select_columns();
        // The condition `c` binds parameter `p` through the column reference `col`.
        let consumed = |c: &Expr, col: &str, p: &str, renames: &mut Vec<Rename>| {
            let to = param_column(&response, p);
            if !to.eq_ignore_ascii_case(col) {
                renames.push(Rename {
                    conjunct: c.clone(),
                    alias: local.alias.clone(),
                    column: col.to_string(),
                    to,
                });
            }
        };
        let mut join_renames: Vec<Rename> = Vec::new();
        let mut join_text: Vec<(String, &Expr)> = Vec::new();
        let mine = |qual: Option<&str>, col: &str| match qual {
            Some(q) => q.eq_ignore_ascii_case(&local.alias),
            // Unqualified: ours when no other provider table of this SELECT takes it.
            None => !params
                .iter()
                .enumerate()
                .any(|(j, ps)| j != i && ps.iter().any(|p| p.eq_ignore_ascii_case(col))),
        };
        let param_of = |col: &str| {
            params[i]
                .iter()
                .find(|p| p.eq_ignore_ascii_case(col))
                .cloned()
        };
        let mut bindings: Vec<Binding> = Vec::new();
        let mut depends: Vec<Dependency> = Vec::new();
        let mut joins: Vec<JoinSource> = Vec::new();
        let mut bound_text = Vec::new();
        let mut residual_text = Vec::new();
        let mut residual: Vec<&Expr> = Vec::new();
        for c in where_conjuncts.iter().chain(local.on.iter()) {
            // col = literal, col IN (literals)
            if let Some(((qual, col), values)) = equality(c) {
                if let (true, Some(p)) = (mine(qual, col), param_of(col)) {
                    consumed(c, col, &p, renames);
                    match bindings.iter_mut().find(|b| b.param == p) {
                        Some(existing) => existing.values.retain(|v| values.contains(v)),
                        None => bindings.push(Binding { param: p, values }),
                    }
                    bound_text.push(c.to_string());
                    continue;
                }
            }
            // col = other.col (a join)
            if let Some((p, other, other_col, col)) =
                self.join_equality(c, local, locals, &mine, &param_of)
            {
                let taken = bindings.iter().any(|b| b.param == p)
                    || joins.iter().any(|j| j.columns.iter().any(|(q, _)| *q == p));
                if !taken {
                    consumed(c, &col, &p, &mut join_renames);
                    join_text.push((c.to_string(), c));
                    match joins.iter_mut().find(|j| j.other == other) {
                        Some(j) => j.columns.push((p, other_col)),
                        None => joins.push(JoinSource {
                            other,
                            columns: vec![(p, other_col)],
                        }),
                    }
                    continue;
                }
            }
            // col IN (SELECT …)
            if let Expr::In {
                expr,
                target: InTarget::Subquery(sub),
                negated: false,
                ..
            } = c
            {
                if let Some((qual, col)) = column_ref(expr) {
                    if let (true, Some(p)) = (mine(qual, col), param_of(col)) {
                        if !bindings.iter().any(|b| b.param == p) {
                            consumed(c, col, &p, renames);
                            let after = tables_in(sub, &self.tables);
                            depends.push(Dependency {
                                params: vec![p],
                                sql: format!("SELECT DISTINCT * FROM ({sub})"),
                                after,
                            });
                            bound_text.push(c.to_string());
                            continue;
                        }
                    }
                }
            }
            if concerns(c, &local.alias) {
                residual_text.push(c.to_string());
                residual.push(c);
            }
        }
        // The default org binds `subdomain` unless a subquery or a join does.
        let subdomain_bound = depends
            .iter()
            .flat_map(|d| d.params.iter())
            .chain(joins.iter().flat_map(|j| j.columns.iter().map(|(p, _)| p)))
            .any(|p| p.eq_ignore_ascii_case("subdomain"));
        if !subdomain_bound {
            super::bind::default_subdomain(&mut bindings, resource, self.ctx.default_org);
        }
        let mut names: Vec<String> = bindings.iter().map(|b| b.param.clone()).collect();
        names.extend(depends.iter().flat_map(|d| d.params.iter().cloned()));
        // A join binds this table's parameters only when the table cannot be fetched without
        // them: a table that can be listed on its own is listed, and the join condition is
        // evaluated on the rows (otherwise two tables that could each bind the other, such as
        // users and the groups of a user on `g.id = u.id`, would wait for each other).
        let standalone = !joins.is_empty()
            && choose_method(resource, SqlVerb::Select, &names).is_ok_and(|m| {
                !joins
                    .iter()
                    .flat_map(|j| j.columns.iter())
                    .any(|(p, _)| m.param(p).is_some_and(|p| p.required))
            });
        if standalone {
            for (text, c) in join_text {
                residual_text.push(text);
                residual.push(c);
            }
        } else {
            for (text, _) in join_text {
                bound_text.push(text);
            }
            renames.append(&mut join_renames);
            for j in joins {
                depends.push(self.join_dependency(&locals[j.other], j.columns, where_conjuncts));
            }
            names.extend(depends.iter().flat_map(|d| d.params.iter().cloned()));
        }
        let method = choose_method(resource, SqlVerb::Select, &names)?;
        let pushed = pushdown(resource, method, &names, &residual, &mine);
        let requests = if depends.is_empty() {
            let target = Target {
                server_url: self.ctx.server_url,
                extra_query: &pushed,
                orgs: self.ctx.orgs,
            };
            Requests::Ready(build_requests(
                &info.resolved.service,
                resource,
                method,
                &bindings,
                None,
                target,
            )?)
        } else {
            // Check what can be checked now (subdomain, path values) on the literals.
            for b in &bindings {
                for v in &b.values {
                    if b.param.eq_ignore_ascii_case("subdomain") {
                        super::url::check_subdomain(&super::bind::value_text(v))?;
                    }
                }
            }
            let method = resource
                .methods
                .iter()
                .position(|m| std::ptr::eq(m, method))
                .expect("choose_method returns a method of the resource");
            Requests::Deferred(Box::new(Deferred {
                depends,
                bindings,
                resolved: info.resolved.clone(),
                method,
                server_url: self.ctx.server_url.map(str::to_string),
                orgs: self.ctx.orgs.to_vec(),
                pushed: pushed.clone(),
            }))
        };
        Ok(TableFetch {
            table: info.table.clone(),
            resource: resource.id.clone(),
            method: method.name.clone(),
            columns: table_columns(resource, method).into(),
            requests,
            bound: bound_text,
            residual: residual_text,
            pushed,
            stop_after: None,
            rows_at: method.object_key.clone(),
        })
    }

    /// `mine.param = other.col` (either way round): the parameter, the other table's index
    /// in `locals`, its column, and the name this table's side uses.
    fn join_equality(
        &self,
        c: &Expr,
        local: &Local,
        locals: &[Local],
        mine: &dyn Fn(Option<&str>, &str) -> bool,
        param_of: &dyn Fn(&str) -> Option<String>,
    ) -> Option<(String, usize, String, String)> {
        let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = c
        else {
            return None;
        };
        for (a, b) in [(left, right), (right, left)] {
            let (Some((qa, ca)), Some((Some(qb), cb))) = (column_ref(a), column_ref(b)) else {
                continue;
            };
            if !mine(qa, ca) || qb.eq_ignore_ascii_case(&local.alias) {
                continue;
            }
            let Some(p) = param_of(ca) else { continue };
            if let Some(other) = locals.iter().position(|l| l.alias.eq_ignore_ascii_case(qb)) {
                return Some((p, other, cb.to_string(), ca.to_string()));
            }
        }
        None
    }

    /// The dependency binding `columns` (parameter, column of `other`) from the distinct
    /// rows of `other`, filtered by the conjuncts of this SELECT that concern `other` alone.
    fn join_dependency(
        &self,
        other: &Local,
        columns: Vec<(String, String)>,
        where_conjuncts: &[Expr],
    ) -> Dependency {
        let table = &self.tables[other.info].table;
        let alias = quote_ident(&other.alias);
        // The conditions that bind the other table's parameters hold for every row it was
        // fetched with; on its rows they would test response columns of the same name.
        let other_params =
            verb_params(self.tables[other.info].resolved.resource(), SqlVerb::Select);
        let binds_other = |c: &Expr| {
            equality(c).is_some_and(|((_, col), _)| {
                other_params.iter().any(|p| p.eq_ignore_ascii_case(col))
            })
        };
        let own: Vec<String> = where_conjuncts
            .iter()
            .chain(other.on.iter())
            .filter(|c| only_refers_to(c, &other.alias) && !binds_other(c))
            .map(|c| c.to_string())
            .collect();
        let list: Vec<String> = columns
            .iter()
            .map(|(_, col)| format!("{alias}.{}", quote_ident(col)))
            .collect();
        let mut sql = format!(
            "SELECT DISTINCT {} FROM {table} AS {alias}",
            list.join(", ")
        );
        if !own.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&own.join(" AND "));
        }
        Dependency {
            params: columns.into_iter().map(|(p, _)| p).collect(),
            sql,
            after: vec![table.clone()],
        }
    }
}

/// Parameters of one table bound from the columns of another table of the same SELECT.
struct JoinSource {
    /// Index of the other table in the SELECT's locals.
    other: usize,
    /// (parameter, the other table's column).
    columns: Vec<(String, String)>,
}

/// Query parameters expressing residual conditions exactly, from the method's
/// `x-oktaql-pushdown` list: `column = 'v'` where `v` is one of the column's enum values
/// and the parameter is not otherwise bound.
fn pushdown(
    resource: &crate::provider::Resource,
    method: &crate::provider::Method,
    bound: &[String],
    residual: &[&Expr],
    mine: &dyn Fn(Option<&str>, &str) -> bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let columns = resource.select_columns();
    for pd in &method.pushdown {
        let taken = |p: &str| {
            bound.iter().any(|b| b.eq_ignore_ascii_case(p))
                || out.iter().any(|(o, _)| o.eq_ignore_ascii_case(p))
        };
        if taken(&pd.param) {
            continue;
        }
        let Some(column) = columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&pd.column))
        else {
            continue;
        };
        for c in residual {
            let Some(((qual, col), v)) = comparison(c, &pd.op) else {
                continue;
            };
            if !mine(qual, col) || !col.eq_ignore_ascii_case(&pd.column) {
                continue;
            }
            if pushable(pd.values, &column.enum_values, &v) {
                out.push((pd.param.clone(), pd.value.replace("{value}", &v)));
                break;
            }
        }
    }
    out
}

/// `column OP 'literal'` (or the literal first, with the operator turned around) for the
/// pushdown operator `op`, as the column and the literal's text.
fn comparison<'e>(e: &'e Expr, op: &str) -> Option<(super::bind::ColumnRef<'e>, String)> {
    if op == "=" {
        return match equality(e) {
            Some((c, values)) => match values.as_slice() {
                [serde_json::Value::String(v)] => Some((c, v.clone())),
                _ => None,
            },
            None => None,
        };
    }
    let Expr::BinaryOp {
        left,
        op: got,
        right,
    } = e
    else {
        return match e {
            Expr::Nested(inner) => comparison(inner, op),
            _ => None,
        };
    };
    let want = match op {
        ">=" => (BinaryOperator::GtEq, BinaryOperator::LtEq),
        ">" => (BinaryOperator::Gt, BinaryOperator::Lt),
        "<" => (BinaryOperator::Lt, BinaryOperator::Gt),
        _ => return None,
    };
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    if *got == want.0 {
        if let (Some(c), Some(v)) = (column_ref(left), text(super::bind::literal(right))) {
            return Some((c, v));
        }
    }
    if *got == want.1 {
        if let (Some(c), Some(v)) = (column_ref(right), text(super::bind::literal(left))) {
            return Some((c, v));
        }
    }
    None
}

/// Whether the literal `v` may go into the parameter: an enum value, a string that stays
/// one quoted filter term, or an ISO 8601 date-time, as the pushdown declares.
fn pushable(values: crate::provider::PushValues, enum_values: &[String], v: &str) -> bool {
    use crate::provider::PushValues;
    match values {
        PushValues::Enum => enum_values.iter().any(|e| e == v),
        PushValues::Text => !v.is_empty() && !v.contains(['"', '\\']) && v.len() <= 1024,
        PushValues::Timestamp => {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).is_ok()
        }
    }
}

/// True when `e` mentions `alias`, or has an unqualified column (which may be the table's).
fn concerns(e: &Expr, alias: &str) -> bool {
    struct Refs<'a> {
        alias: &'a str,
        hit: bool,
    }
    impl Visitor for Refs<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Identifier(_) => self.hit = true,
                Expr::CompoundIdentifier(parts)
                    if parts.len() != 2 || parts[0].value.eq_ignore_ascii_case(self.alias) =>
                {
                    self.hit = true
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut r = Refs { alias, hit: false };
    let _ = e.visit(&mut r);
    r.hit
}

/// True when every column reference in `e` is qualified by `alias` (and there is one).
fn only_refers_to(e: &Expr, alias: &str) -> bool {
    struct Refs<'a> {
        alias: &'a str,
        ok: bool,
        any: bool,
    }
    impl Visitor for Refs<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Identifier(_) => self.ok = false,
                Expr::CompoundIdentifier(parts) => {
                    self.any = true;
                    if parts.len() != 2 || !parts[0].value.eq_ignore_ascii_case(self.alias) {
                        self.ok = false;
                    }
                }
                Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::In {
                    target: InTarget::Subquery(_),
                    ..
                } => self.ok = false,
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut r = Refs {
        alias,
        ok: true,
        any: false,
    };
    let _ = e.visit(&mut r);
    r.ok && r.any
}

/// The provider tables a subquery reads.
fn tables_in(q: &Query, tables: &[TableInfo]) -> Vec<String> {
    struct Names<'a> {
        tables: &'a [TableInfo],
        out: Vec<String>,
    }
    impl Visitor for Names<'_> {
        type Break = ();
        fn pre_visit_relation(&mut self, r: &ObjectName) -> ControlFlow<()> {
            if let [ObjectNamePart::Identifier(id)] = r.0.as_slice() {
                if self.tables.iter().any(|t| t.table == id.value) && !self.out.contains(&id.value)
                {
                    self.out.push(id.value.clone());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut n = Names {
        tables,
        out: Vec::new(),
    };
    let _ = q.visit(&mut n);
    n.out
}

/// Orders fetches so that every table comes after the tables it depends on; a cycle is an
/// error that names the tables.
fn order_fetches(fetches: &mut Vec<TableFetch>) -> Result<(), PlanError> {
    let mut ordered: Vec<TableFetch> = Vec::with_capacity(fetches.len());
    let mut rest: Vec<TableFetch> = std::mem::take(fetches);
    while !rest.is_empty() {
        let ready = rest.iter().position(|f| {
            f.depends()
                .iter()
                .flat_map(|d| d.after.iter())
                .all(|t| t == &f.table || ordered.iter().any(|o| &o.table == t))
        });
        match ready {
            Some(i) => ordered.push(rest.remove(i)),
            None => {
                return Err(PlanError::DependencyCycle {
                    tables: rest.iter().map(|f| f.table.clone()).collect(),
                });
            }
        }
    }
    *fetches = ordered;
    Ok(())
}

/// The conjuncts of a join's `ON` condition, and whether it is an inner join.
fn join_on(op: &JoinOperator) -> (Vec<Expr>, bool) {
    let (constraint, inner) = match op {
        JoinOperator::Join(c) | JoinOperator::Inner(c) => (c, true),
        JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c) => (c, false),
        _ => return (Vec::new(), false),
    };
    match constraint {
        JoinConstraint::On(e) => (conjuncts(e).into_iter().cloned().collect(), inner),
        _ => (Vec::new(), inner),
    }
}
