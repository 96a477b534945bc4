//! Plans kept by statement shape: a runbook repeats one statement with other literals
//! (`… WHERE appId = '0oa1'`, then `'0oa2'`, …), and after parsing, planning each of them in
//! full was the largest part of a statement's own cost.
//!
//! Kept only for the form where what each literal does is certain: a SELECT of plain columns
//! of one resource whose WHERE is made only of `column = 'text'` conditions, each binding a
//! different parameter of the method, answered in the direct form by one request (no LIMIT,
//! no condition left to the relational stage, nothing pushed down to the API, no other
//! literal anywhere). Its plan differs from one statement of the shape to the next only in
//! what the literals make: the request (built again by [`build_requests`], with every check
//! a full plan makes: the subdomain, the org, each path segment's encoding), the bound
//! conditions' text, the SQL text and the direct form's conditions.
//!
//! Owns: deciding whether a plan can be kept, and planning a statement of a kept shape from
//! it. Must not: keep a plan any part of which a literal could change in a way not re-done
//! here; answer with an error (any failure is left to the full path, whose error is the
//! authority). A statement of a kept shape is not parsed: [`crate::sql::ShapeCache`] gives its
//! literals in the order of the shape's tree ([`crate::sql::Reading::values`]); the same shape
//! id means the same tree with other literal values at the same places.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sqlparser::ast::{
    BinaryOperator, Expr, Query, Select, Value as SqlValue, ValueWithSpan, VisitMut,
};
use sqlparser::ast::{Visit, Visitor, VisitorMut};

use crate::provider::SqlVerb;
use crate::sql::{ShapeId, Statement};

use super::bind::{build_requests, column_ref, conjuncts, default_subdomain, verb_params};
use super::bind::{Binding, Target};
use super::resolve::Resolved;
use super::{DirectQuery, Plan, PlanContext, QueryPlan, Requests, TableFetch};

/// Statements of a shape with repeated literal values are not used to learn it (which
/// literal went where would be ambiguous); after this many the shape is planned in full.
const TRIES: u8 = 4;

/// Marks a literal's place in the kept SQL text (never in a text whose shape is kept).
const MARK: char = '\0';

/// Plans kept by shape id, shared by the threads that plan a batch.
#[derive(Debug, Default)]
pub struct PlanShapes {
    entries: Mutex<HashMap<ShapeId, Entry>>,
    reused: AtomicU64,
}

#[derive(Debug, Clone)]
enum Entry {
    Kept(Arc<Kept>),
    /// Not of the form kept: planned in full.
    Declined,
    /// Statements seen whose literals repeated a value.
    Unsure(u8),
}

/// A kept plan and where each literal goes in it.
#[derive(Debug)]
struct Kept {
    resolved: Resolved,
    /// Index of the chosen method in the resource.
    method: usize,
    /// The parameter each WHERE conjunct binds, in order (conjunct `k` holds the `k`-th
    /// literal of the tree).
    params: Vec<String>,
    /// Each conjunct's text around its literal, as the plan shows it bound.
    bound: Vec<[String; 2]>,
    /// The table, with no requests and no bound conditions (both made per statement).
    fetch: TableFetch,
    /// The SQL text around the literals (one more piece than literals).
    sql: Vec<String>,
    /// The direct form; condition `k` holds conjunct `k`'s literal.
    direct: DirectQuery,
}

impl PlanShapes {
    /// How many statements were planned from a kept plan.
    pub fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ShapeId, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The plan of a statement of shape `id` whose literals are `values` (in the order of
    /// the value nodes of its tree, see [`crate::sql::Reading::values`]) from the kept plan of
    /// its shape; `None` when none is kept or anything fails (the full path then plans the
    /// statement and reports the error).
    pub fn plan(&self, id: ShapeId, values: &[&SqlValue], ctx: &PlanContext<'_>) -> Option<Plan> {
        let kept = match self.lock().get(&id) {
            Some(Entry::Kept(k)) => Arc::clone(k),
            _ => return None,
        };
        let texts = values
            .iter()
            .map(|v| match v {
                SqlValue::SingleQuotedString(s) => Some(s.as_str()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let plan = rebind(&kept, &texts, ctx)?;
        self.reused.fetch_add(1, Ordering::Relaxed);
        Some(Plan::Query(plan))
    }

    /// Learns shape `id` from one of its statements and the plan the full path made of it,
    /// unless it is known already.
    pub fn learn(&self, id: ShapeId, statement: &Statement, plan: &Plan, ctx: &PlanContext<'_>) {
        let tries = match self.lock().get(&id) {
            None => 0,
            Some(Entry::Unsure(n)) => *n,
            Some(_) => return,
        };
        let entry = match keep(statement, plan, ctx) {
            Learnt::Kept(k) => Entry::Kept(Arc::from(k)),
            Learnt::Declined => Entry::Declined,
            Learnt::Unsure if tries + 1 >= TRIES => Entry::Declined,
            Learnt::Unsure => Entry::Unsure(tries + 1),
        };
        let mut entries = self.lock();
        // Another thread may have learnt it meanwhile: keep what it found.
        if !matches!(entries.get(&id), Some(Entry::Kept(_) | Entry::Declined)) {
            entries.insert(id, entry);
        }
    }
}

enum Learnt {
    Kept(Box<Kept>),
    Declined,
    Unsure,
}

/// The text of the literal a WHERE conjunct compares with: `column = 'text'` or
/// `'text' = column`, and nothing else.
fn conjunct_literal(c: &Expr) -> Option<&str> {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = c
    else {
        return None;
    };
    use super::direct::text;
    match (text(left), text(right)) {
        (None, Some(t)) if column_ref(left).is_some() => Some(t),
        (Some(t), None) if column_ref(right).is_some() => Some(t),
        _ => None,
    }
}

/// The conjuncts of a kept form's WHERE with their literals (`None`: not of the form).
fn where_literals(select: &Select) -> Option<Vec<(&Expr, &str)>> {
    match &select.selection {
        None => Some(Vec::new()),
        Some(w) => conjuncts(w)
            .into_iter()
            .map(|c| conjunct_literal(c).map(|t| (c, t)))
            .collect(),
    }
}

/// The value nodes of a query's tree, in visiting order.
fn tree_values(query: &Query) -> Vec<SqlValue> {
    struct Values(Vec<SqlValue>);
    impl Visitor for Values {
        type Break = ();
        fn pre_visit_value(&mut self, v: &ValueWithSpan) -> ControlFlow<()> {
            self.0.push(v.value.clone());
            ControlFlow::Continue(())
        }
    }
    let mut values = Values(Vec::new());
    let _ = query.visit(&mut values);
    values.0
}

/// `expr`'s text cut at its literals, which must be exactly `texts` in visiting order.
fn pieces<T: VisitMut + std::fmt::Display + Clone>(
    expr: &T,
    texts: &[&str],
) -> Option<Vec<String>> {
    struct Mark<'a> {
        texts: &'a [&'a str],
        next: usize,
    }
    impl VisitorMut for Mark<'_> {
        type Break = ();
        fn pre_visit_value(&mut self, v: &mut ValueWithSpan) -> ControlFlow<()> {
            match &v.value {
                SqlValue::SingleQuotedString(s)
                    if self.texts.get(self.next) == Some(&s.as_str()) =>
                {
                    v.value = SqlValue::Placeholder(MARK.to_string());
                    self.next += 1;
                    ControlFlow::Continue(())
                }
                _ => ControlFlow::Break(()),
            }
        }
    }
    let mut marked = expr.clone();
    let mut mark = Mark { texts, next: 0 };
    if VisitMut::visit(&mut marked, &mut mark).is_break() || mark.next != texts.len() {
        return None;
    }
    let text = marked.to_string();
    let pieces: Vec<String> = text.split(MARK).map(str::to_string).collect();
    (pieces.len() == texts.len() + 1).then_some(pieces)
}

/// Decides whether `plan` of `statement` can be kept, and keeps it.
fn keep(statement: &Statement, plan: &Plan, ctx: &PlanContext<'_>) -> Learnt {
    let (Statement::Select(query), Plan::Query(planned)) = (statement, plan) else {
        return Learnt::Declined;
    };
    let Some(kept) = keep_query(query, planned, ctx) else {
        return Learnt::Declined;
    };
    kept
}

fn keep_query(query: &Query, planned: &QueryPlan, ctx: &PlanContext<'_>) -> Option<Learnt> {
    let ([fetch], Some(direct)) = (planned.tables.as_slice(), &planned.direct) else {
        return None;
    };
    let Requests::Ready(requests) = &fetch.requests else {
        return None;
    };
    if requests.len() != 1
        || !fetch.residual.is_empty()
        || !fetch.pushed.is_empty()
        || fetch.stop_after.is_some()
    {
        return None;
    }
    let select = super::direct::plain_select(query, false)?;
    let literals = where_literals(select)?;
    if direct.conditions.len() != literals.len() {
        return None;
    }
    let texts: Vec<&str> = literals.iter().map(|(_, t)| *t).collect();
    if texts
        .iter()
        .enumerate()
        .any(|(i, t)| texts[..i].contains(t))
    {
        return Some(Learnt::Unsure);
    }
    // The tree's literals are the conditions' (none in the projection, no LIMIT), met in
    // the conditions' order: the k-th literal of any statement of the shape is the k-th
    // condition's.
    let in_tree = tree_values(query);
    if in_tree.len() != texts.len()
        || in_tree
            .iter()
            .zip(&texts)
            .any(|(v, t)| !matches!(v, SqlValue::SingleQuotedString(s) if s == t))
    {
        return None;
    }
    // The plan again, with the query as rewritten (a pure function of the statement).
    let (again, rewritten) = super::select::plan_select_rewritten(query, ctx).ok()?;
    if &again != planned {
        return None;
    }
    let (name, _) = super::direct::plain_table(select)?;
    let resolved =
        super::resolve::object(ctx.registry, &crate::sql::ObjectRef::from_sql(name)?).ok()?;
    if resolved.resource().id != fetch.resource {
        return None;
    }
    let resource = resolved.resource();
    let method = resource
        .methods
        .iter()
        .position(|m| m.name == fetch.method)?;
    // The parameter each condition binds, as the binder finds it; all different.
    let names = verb_params(resource, SqlVerb::Select);
    let mut params: Vec<String> = Vec::with_capacity(literals.len());
    for (c, _) in &literals {
        let Expr::BinaryOp { left, right, .. } = c else {
            return None;
        };
        let (_, col) = column_ref(left).or_else(|| column_ref(right))?;
        let p = names.iter().find(|p| p.eq_ignore_ascii_case(col))?;
        if params.iter().any(|q| q.eq_ignore_ascii_case(p)) {
            return None;
        }
        params.push(p.clone());
    }
    let sql = pieces(&rewritten, &texts)?;
    let mut bound = Vec::with_capacity(literals.len());
    for ((c, _), t) in literals.iter().zip(&texts) {
        let [before, after] = <[String; 2]>::try_from(pieces(*c, &[*t])?).ok()?;
        bound.push([before, after]);
    }
    let kept = Kept {
        resolved,
        method,
        params,
        bound,
        fetch: TableFetch {
            requests: Requests::Ready(Vec::new()),
            bound: Vec::new(),
            ..fetch.clone()
        },
        sql,
        direct: direct.clone(),
    };
    // The kept plan must give back exactly the plan it was learnt from.
    (rebind(&kept, &texts, ctx).as_ref() == Some(planned)).then(|| Learnt::Kept(Box::new(kept)))
}

/// The plan of the statement whose conditions hold `texts` from `kept`: `None` when building
/// its request fails.
fn rebind(kept: &Kept, texts: &[&str], ctx: &PlanContext<'_>) -> Option<QueryPlan> {
    if texts.len() != kept.params.len() {
        return None;
    }
    if let Some(t) = ctx.server_url {
        super::url::check_server_template(t).ok()?;
    }
    let resource = kept.resolved.resource();
    let method = resource.methods.get(kept.method)?;
    let mut bindings: Vec<Binding> = kept
        .params
        .iter()
        .zip(texts)
        .map(|(p, t)| Binding {
            param: p.clone(),
            values: vec![Value::String((*t).to_string())],
        })
        .collect();
    default_subdomain(&mut bindings, resource, ctx.default_org);
    let target = Target {
        server_url: ctx.server_url,
        extra_query: &[],
        orgs: ctx.orgs,
    };
    let requests = build_requests(
        &kept.resolved.service,
        resource,
        method,
        &bindings,
        None,
        target,
    )
    .ok()?;
    // Each literal as SQL writes it: quoted, with its quotes doubled.
    let quoted: Vec<String> = texts
        .iter()
        .map(|t| SqlValue::SingleQuotedString((*t).to_string()).to_string())
        .collect();
    let mut sql = String::with_capacity(kept.sql.iter().map(String::len).sum::<usize>() + 64);
    for (piece, q) in kept.sql.iter().zip(&quoted) {
        sql.push_str(piece);
        sql.push_str(q);
    }
    sql.push_str(kept.sql.last()?);
    let mut direct = kept.direct.clone();
    for (condition, t) in direct.conditions.iter_mut().zip(texts) {
        condition.values = vec![(*t).to_string()];
    }
    let mut fetch = kept.fetch.clone();
    fetch.requests = Requests::Ready(requests);
    fetch.bound = kept
        .bound
        .iter()
        .zip(&quoted)
        .map(|([before, after], q)| [before.as_str(), q, after].concat())
        .collect();
    Some(QueryPlan {
        tables: vec![fetch],
        sql,
        direct: Some(direct),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;
    use crate::sql::{ShapeCache, Source};

    const TEMPLATE: &str = "http://127.0.0.1:9/{subdomain}";

    fn source(text: &str) -> Source {
        Source {
            text: text.to_string(),
            line: 1,
            column: 1,
        }
    }

    /// Planning against the compiled-in provider with the server template, no orgs.
    fn context(registry: &Registry) -> PlanContext<'_> {
        PlanContext {
            registry,
            server_url: Some(TEMPLATE),
            orgs: &[],
            default_org: None,
        }
    }

    /// Plans each text in full, learning from it, then plans it again from what was kept:
    /// whether a plan was kept for the shape, and whether the kept one answered as the full.
    fn learn_all(texts: &[&str]) -> (bool, PlanShapes) {
        let registry = Registry::embedded();
        let ctx = context(&registry);
        let shapes = ShapeCache::default();
        let plans = PlanShapes::default();
        let mut kept = false;
        for t in texts {
            let full = super::super::plan(&crate::sql::parse(&source(t)).unwrap(), &ctx).unwrap();
            let reading = shapes.read(&source(t));
            let reused = reading
                .values()
                .and_then(|(id, values)| plans.plan(id, &values, &ctx));
            match reused {
                Some(p) => {
                    assert_eq!(p, full, "{t}");
                    kept = true;
                }
                None => {
                    let (statement, id) = shapes.parse_read(&source(t), reading).unwrap();
                    plans.learn(id.expect("the shape is read"), &statement, &full, &ctx);
                }
            }
        }
        (kept, plans)
    }

    #[test]
    fn a_lookup_by_parameters_is_kept() {
        let (kept, plans) = learn_all(&[
            "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'a' AND appId = 'x'",
            "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'b' AND appId = 'y/z'",
            "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'c' AND appId = 'it''s'",
        ]);
        assert!(kept);
        assert_eq!(plans.reused(), 2);
    }

    #[test]
    fn other_forms_are_planned_in_full() {
        for texts in [
            // A LIMIT, a literal in the projection, a condition on a response column, an IN
            // list, one parameter bound twice, a comparison other than `=`.
            [
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' LIMIT 5",
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'b' LIMIT 6",
            ],
            [
                "SELECT id, 'k' AS k FROM okta.apps.applications WHERE subdomain = 'a' AND appId = 'x'",
                "SELECT id, 'l' AS k FROM okta.apps.applications WHERE subdomain = 'a' AND appId = 'y'",
            ],
            [
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND label = 'x'",
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND label = 'y'",
            ],
            [
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND appId IN ('x')",
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND appId IN ('y')",
            ],
            [
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND appId = 'x' AND appId = 'y'",
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND appId = 'z' AND appId = 'w'",
            ],
            [
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND appId > 'x'",
                "SELECT id FROM okta.apps.applications WHERE subdomain = 'a' AND appId > 'y'",
            ],
        ] {
            let (kept, plans) = learn_all(&texts);
            assert!(!kept, "{texts:?}");
            assert_eq!(plans.reused(), 0);
        }
    }

    #[test]
    fn repeated_values_do_not_teach_a_shape() {
        let same = "SELECT id FROM okta.apps.secrets WHERE subdomain = 'x' AND appId = 'x'";
        let (kept, _) = learn_all(&[same, same, same]);
        assert!(!kept);
        // Once a statement of the shape has different values, the shape is learnt.
        let (kept, plans) = learn_all(&[
            same,
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'x' AND appId = 'y'",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'y' AND appId = 'y'",
        ]);
        assert!(kept);
        assert_eq!(plans.reused(), 1);
    }

    #[test]
    fn a_failing_statement_is_left_to_the_full_path() {
        let registry = Registry::embedded();
        let ctx = context(&registry);
        let shapes = ShapeCache::default();
        let plans = PlanShapes::default();
        let good = "SELECT id FROM okta.apps.secrets WHERE subdomain = 'a' AND appId = 'x'";
        let (statement, id) = shapes.parse_shaped(&source(good)).unwrap();
        let full = super::super::plan(&statement, &ctx).unwrap();
        plans.learn(id.unwrap(), &statement, &full, &ctx);
        for bad in [
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'evil.example/x#' AND appId = 'x'",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'a' AND appId = '..'",
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'a' AND appId = ''",
        ] {
            let reading = shapes.read(&source(bad));
            let (same, values) = reading.values().expect("a kept shape");
            assert_eq!(Some(same), id, "{bad}");
            let statement = crate::sql::parse(&source(bad)).unwrap();
            assert!(super::super::plan(&statement, &ctx).is_err(), "{bad}");
            assert!(plans.plan(same, &values, &ctx).is_none(), "{bad}");
        }
    }
}
