//! The last pass over a planned query, after its parameters are bound: conditions that
//! bind a parameter named like a response column are made to compare the parameter's own
//! column, and `*` is spelled out as the table columns `SELECT *` shows.
//!
//! The rule (docs/columns.md): a condition that binds a parameter is answered by the API
//! and never applied again to a response column of the same name; the parameter's value
//! stays reachable as its own column (`param__id` when the response has an `id`).
//! Must not: change a condition that binds nothing, or a query whose `*` it cannot expand
//! exactly (a subquery or a view in FROM, a join by USING or NATURAL).

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, JoinConstraint, JoinOperator, ObjectNamePart, Query, Select,
    SelectItem, SelectItemQualifiedWildcardKind, TableFactor, VisitMut, VisitorMut,
};

use super::bind::EXTRA_COLUMN;
use super::TableFetch;

/// A condition that binds a parameter whose table column is not the name the condition
/// uses (`id = '00u1'` binding `id` of `okta.users.user_groups`, whose value is the column
/// `param__id`).
#[derive(Debug, Clone)]
pub(super) struct Rename {
    /// The condition as written.
    pub conjunct: Expr,
    /// Alias of the table whose parameter it binds.
    pub alias: String,
    /// The column name the condition uses.
    pub column: String,
    /// The column holding the parameter's value.
    pub to: String,
}

/// Applies `renames` (each with the number of its SELECT in visiting order, from 1) and
/// expands `*` over provider tables.
pub(super) fn rewrite(query: &mut Query, renames: &[(usize, Rename)], fetches: &[TableFetch]) {
    let mut pass = Pass {
        renames,
        fetches,
        selects: 0,
    };
    let _ = VisitMut::visit(query, &mut pass);
}

struct Pass<'a> {
    renames: &'a [(usize, Rename)],
    fetches: &'a [TableFetch],
    selects: usize,
}

impl VisitorMut for Pass<'_> {
    type Break = ();

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        self.selects += 1;
        let mine: Vec<&Rename> = self
            .renames
            .iter()
            .filter(|(n, _)| *n == self.selects)
            .map(|(_, r)| r)
            .collect();
        if !mine.is_empty() {
            let mut apply = |leaf: &mut Expr| {
                let matching: Vec<&&Rename> = mine.iter().filter(|r| r.conjunct == *leaf).collect();
                for r in matching {
                    rename_refs(leaf, r);
                }
            };
            if let Some(w) = select.selection.as_mut() {
                each_leaf(w, &mut apply);
            }
            for twj in &mut select.from {
                for join in &mut twj.joins {
                    if let Some(JoinConstraint::On(on)) = constraint_mut(&mut join.join_operator) {
                        each_leaf(on, &mut apply);
                    }
                }
            }
        }
        expand_wildcards(select, self.fetches);
        ControlFlow::Continue(())
    }
}

/// Calls `f` on each top-level `AND` conjunct of `e` (as [`super::bind::conjuncts`] splits).
fn each_leaf(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            each_leaf(left, f);
            each_leaf(right, f);
        }
        Expr::Nested(inner)
            if matches!(
                inner.as_ref(),
                Expr::BinaryOp {
                    op: BinaryOperator::And,
                    ..
                }
            ) =>
        {
            each_leaf(inner, f)
        }
        _ => f(e),
    }
}

/// Renames the binding column reference of a condition (`col = …`, `col IN …`).
fn rename_refs(e: &mut Expr, r: &Rename) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            rename_ref(left, r);
            rename_ref(right, r);
        }
        Expr::In { expr, .. } => rename_ref(expr, r),
        Expr::Nested(inner) => rename_refs(inner, r),
        _ => {}
    }
}

fn rename_ref(e: &mut Expr, r: &Rename) {
    match e {
        Expr::Identifier(i) if i.value.eq_ignore_ascii_case(&r.column) => *i = ident(&r.to),
        Expr::CompoundIdentifier(parts)
            if parts.len() == 2
                && parts[0].value.eq_ignore_ascii_case(&r.alias)
                && parts[1].value.eq_ignore_ascii_case(&r.column) =>
        {
            parts[1] = ident(&r.to)
        }
        Expr::Nested(inner) => rename_ref(inner, r),
        _ => {}
    }
}

/// A quoted identifier: a column may be named like a keyword (`limit`, `from`).
fn ident(name: &str) -> Ident {
    Ident::with_quote('"', name)
}

fn constraint_mut(op: &mut JoinOperator) -> Option<&mut JoinConstraint> {
    match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c) => Some(c),
        _ => None,
    }
}

/// Replaces `*` and `alias.*` by the columns of the provider tables of this SELECT, without
/// [`EXTRA_COLUMN`], so that `SELECT *` shows the same columns whatever the API sent.
fn expand_wildcards(select: &mut Select, fetches: &[TableFetch]) {
    let has_wildcard = select.projection.iter().any(|i| {
        matches!(
            i,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(_, _)
        )
    });
    if !has_wildcard {
        return;
    }
    // (alias, columns) of each table in FROM order; any other kind of source, or a join
    // that merges columns, leaves the projection as written.
    let mut tables: Vec<(Ident, Vec<&str>)> = Vec::new();
    let from_table = |factor: &TableFactor| -> Option<(Ident, Vec<&str>)> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return None;
        };
        let [ObjectNamePart::Identifier(id)] = name.0.as_slice() else {
            return None;
        };
        let fetch = fetches.iter().find(|f| f.table == id.value)?;
        let alias = alias.as_ref()?;
        if !alias.columns.is_empty() {
            return None;
        }
        let columns = fetch
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| *c != EXTRA_COLUMN)
            .collect();
        Some((alias.name.clone(), columns))
    };
    for twj in &mut select.from {
        let Some(t) = from_table(&twj.relation) else {
            return;
        };
        tables.push(t);
        for join in &mut twj.joins {
            match constraint_mut(&mut join.join_operator) {
                Some(JoinConstraint::On(_) | JoinConstraint::None) => {}
                _ => return,
            }
            let Some(t) = from_table(&join.relation) else {
                return;
            };
            tables.push(t);
        }
    }
    let columns_of = |alias: &Ident| -> Vec<SelectItem> {
        tables
            .iter()
            .filter(|(a, _)| a.value.eq_ignore_ascii_case(&alias.value))
            .flat_map(|(a, cols)| {
                cols.iter().map(move |c| {
                    SelectItem::UnnamedExpr(Expr::CompoundIdentifier(vec![a.clone(), ident(c)]))
                })
            })
            .collect()
    };
    let mut out = Vec::with_capacity(select.projection.len());
    for item in std::mem::take(&mut select.projection) {
        match &item {
            SelectItem::Wildcard(options) if options.to_string().is_empty() => {
                for (a, _) in &tables {
                    out.extend(columns_of(a));
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), o)
                if o.to_string().is_empty() =>
            {
                let known = match n.0.as_slice() {
                    [ObjectNamePart::Identifier(i)] => tables
                        .iter()
                        .any(|(a, _)| i.value.eq_ignore_ascii_case(&a.value))
                        .then_some(i),
                    _ => None,
                };
                match known {
                    Some(i) => out.extend(columns_of(i)),
                    None => out.push(item),
                }
            }
            _ => out.push(item),
        }
    }
    select.projection = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Requests, TableColumn};
    use sqlparser::ast::SetExpr;
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

    fn fetch(table: &str, columns: &[&str]) -> TableFetch {
        TableFetch {
            table: table.into(),
            resource: "okta.x.y".into(),
            method: "m".into(),
            columns: columns
                .iter()
                .map(|c| TableColumn {
                    name: (*c).into(),
                    ty: "string".into(),
                    format: None,
                })
                .collect(),
            requests: Requests::Ready(Vec::new()),
            bound: Vec::new(),
            residual: Vec::new(),
            pushed: Vec::new(),
            stop_after: None,
            rows_at: None,
        }
    }

    #[test]
    fn a_join_condition_is_renamed_on_the_binding_side_only() {
        let mut q = query(
            "SELECT u.id FROM users AS u JOIN groups AS g ON g.id = u.id WHERE g.id LIKE 'x%'",
        );
        let SetExpr::Select(s) = *query("SELECT 1 FROM t WHERE g.id = u.id").body else {
            panic!("a SELECT")
        };
        let rename = Rename {
            conjunct: s.selection.unwrap(),
            alias: "g".into(),
            column: "id".into(),
            to: "param__id".into(),
        };
        rewrite(&mut q, &[(1, rename)], &[]);
        assert_eq!(
            q.to_string(),
            "SELECT u.id FROM users AS u JOIN groups AS g ON g.\"param__id\" = u.id WHERE g.id LIKE 'x%'"
        );
    }

    #[test]
    fn star_is_spelled_out_without_extra_unless_the_join_merges_columns() {
        let fetches = [
            fetch("t1", &["id", "limit", EXTRA_COLUMN]),
            fetch("t2", &["x", EXTRA_COLUMN]),
        ];
        let mut q = query("SELECT *, a._extra FROM t1 AS a JOIN t2 AS b ON a.id = b.x");
        rewrite(&mut q, &[], &fetches);
        assert_eq!(
            q.to_string(),
            "SELECT a.\"id\", a.\"limit\", b.\"x\", a._extra FROM t1 AS a JOIN t2 AS b ON a.id = b.x"
        );
        let mut q = query("SELECT b.* FROM t1 AS a JOIN t2 AS b ON a.id = b.x");
        rewrite(&mut q, &[], &fetches);
        assert_eq!(
            q.to_string(),
            "SELECT b.\"x\" FROM t1 AS a JOIN t2 AS b ON a.id = b.x"
        );
        for kept in [
            "SELECT * FROM t1 AS a JOIN t2 AS b USING(id)",
            "SELECT * FROM t1 AS a NATURAL JOIN t2 AS b",
            "SELECT * FROM (SELECT 1) AS a",
        ] {
            let mut q = query(kept);
            rewrite(&mut q, &[], &fetches);
            assert_eq!(q.to_string(), kept);
        }
    }
}
