//! LIMIT pushdown: when the first N rows of a query's result are the first N rows fetched
//! (or the first N that pass its WHERE), the list is read only until they have arrived, and
//! when every fetched row is a result row, a page that holds them is asked for.
//!
//! Applies to a query over one paginated list with one request and no ORDER BY, DISTINCT,
//! GROUP BY, HAVING, aggregate, window function, subquery or join; the rows then come out
//! of SQLite in the order they were loaded, so later pages cannot change the first N.
//! Must not: decide anything at execution: the engine only counts, as the plan says.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, InTarget, LimitClause, Query, SelectItem, Visit, Visitor};

use super::bind::{conjuncts, literal};
use super::direct::{plain_select, plain_table};
use super::{StopAfter, TableFetch};

/// Aggregate functions of SQLite (and its JSON1 extension): a projection calling one
/// depends on every row.
const AGGREGATES: &[&str] = &[
    "avg",
    "count",
    "group_concat",
    "json_group_array",
    "json_group_object",
    "jsonb_group_array",
    "jsonb_group_object",
    "max",
    "min",
    "string_agg",
    "sum",
    "total",
    "median",
    "percentile",
];

/// Sets `fetch.stop_after` (and the page size of its request) when `query`'s LIMIT can be
/// pushed down. `bound_leaves` is the number of WHERE conjuncts that bound parameters.
pub(super) fn push_limit(query: &Query, fetch: &mut TableFetch, bound_leaves: usize) {
    let Some((rows, clause)) = wanted(query) else {
        return;
    };
    if !fetch.depends.is_empty() {
        return;
    }
    let [request] = fetch.requests.as_mut_slice() else {
        return;
    };
    if !request.paginate {
        return;
    }
    let Some(select) = plain_select(query, true) else {
        return;
    };
    let Some((name, _)) = plain_table(select) else {
        return;
    };
    if !name.to_string().eq_ignore_ascii_case(&fetch.table) || !simple_projection(select) {
        return;
    }
    let leaves = select.selection.as_ref().map_or(0, |w| conjuncts(w).len());
    // A condition that binds nothing may reject rows: count those that pass it.
    let count_sql = (leaves > bound_leaves).then(|| {
        let mut whole = query.clone();
        whole.limit_clause = None;
        format!("SELECT count(*) FROM ({whole})")
    });
    if count_sql.is_none() {
        // Every row fetched is a result row: ask for a page that holds them, no more.
        if let Some((_, size)) = request.query.iter_mut().find(|(k, v)| {
            k.eq_ignore_ascii_case("limit") && v.parse::<usize>().is_ok_and(|n| n > rows)
        }) {
            *size = rows.max(1).to_string();
        }
    }
    fetch.stop_after = Some(StopAfter {
        rows,
        count_sql,
        clause,
    });
}

/// `LIMIT n [OFFSET m]` with literal numbers: the rows to read (`n + m`) and the clause.
fn wanted(query: &Query) -> Option<(usize, String)> {
    let clause = query.limit_clause.as_ref()?;
    let (limit, offset) = match clause {
        LimitClause::LimitOffset {
            limit: Some(limit),
            offset,
            limit_by,
        } if limit_by.is_empty() => (limit, offset.as_ref().map(|o| &o.value)),
        LimitClause::OffsetCommaLimit { offset, limit } => (limit, Some(offset)),
        _ => return None,
    };
    let number = |e: &Expr| literal(e)?.as_u64().and_then(|n| usize::try_from(n).ok());
    let n = number(limit)?;
    let m = match offset {
        Some(o) => number(o)?,
        None => 0,
    };
    Some((n.checked_add(m)?, clause.to_string().trim().to_string()))
}

/// True when no output column needs more than its own row (no aggregate, window function
/// or subquery).
fn simple_projection(select: &sqlparser::ast::Select) -> bool {
    struct Check {
        ok: bool,
    }
    impl Visitor for Check {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Function(f) => {
                    let name = f.name.to_string().to_ascii_lowercase();
                    if f.over.is_some() || AGGREGATES.contains(&name.as_str()) {
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
            if self.ok {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        }
    }
    let mut check = Check { ok: true };
    for item in &select.projection {
        let _ = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                e.visit(&mut check)
            }
            _ => ControlFlow::Continue(()),
        };
    }
    // A subquery in WHERE reads other rows than this table's.
    if let Some(w) = &select.selection {
        let mut sub = Check { ok: true };
        struct Sub<'a>(&'a mut Check);
        impl Visitor for Sub<'_> {
            type Break = ();
            fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
                if matches!(
                    e,
                    Expr::Subquery(_)
                        | Expr::Exists { .. }
                        | Expr::In {
                            target: InTarget::Subquery(_),
                            ..
                        }
                ) {
                    self.0.ok = false;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            }
        }
        let _ = w.visit(&mut Sub(&mut sub));
        check.ok &= sub.ok;
    }
    check.ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::parser::Parser;

    fn query(sql: &str) -> Query {
        match Parser::parse_sql(&GenericDialect {}, sql)
            .unwrap()
            .remove(0)
        {
            sqlparser::ast::Statement::Query(q) => *q,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn rows_wanted_from_the_limit_clause() {
        let w = |sql: &str| wanted(&query(sql)).map(|(n, _)| n);
        assert_eq!(w("SELECT a FROM t LIMIT 5"), Some(5));
        assert_eq!(w("SELECT a FROM t LIMIT 5 OFFSET 3"), Some(8));
        assert_eq!(w("SELECT a FROM t LIMIT 0"), Some(0));
        assert_eq!(w("SELECT a FROM t LIMIT 1 + 1"), None);
        assert_eq!(w("SELECT a FROM t LIMIT -1"), None);
        assert_eq!(
            w("SELECT a FROM t LIMIT 18446744073709551615 OFFSET 1"),
            None
        );
        assert_eq!(w("SELECT a FROM t"), None);
    }

    #[test]
    fn projections_that_need_other_rows_are_refused() {
        let simple = |sql: &str| match *query(sql).body {
            sqlparser::ast::SetExpr::Select(s) => simple_projection(&s),
            other => panic!("not a SELECT: {other}"),
        };
        assert!(simple(
            "SELECT a, upper(b), json_extract(c, '$.x') FROM t WHERE a LIKE 'x'"
        ));
        assert!(!simple("SELECT COUNT(*) FROM t"));
        assert!(!simple("SELECT group_concat(a) FROM t"));
        assert!(!simple("SELECT row_number() OVER () FROM t"));
        assert!(!simple("SELECT (SELECT 1) FROM t"));
        assert!(!simple("SELECT a FROM t WHERE a IN (SELECT b FROM u)"));
        assert!(!simple("SELECT a FROM t WHERE EXISTS (SELECT 1)"));
    }
}
