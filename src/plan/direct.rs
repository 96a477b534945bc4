//! Recognising queries that need no relational stage: one table, plain columns (or `*`),
//! and a WHERE made only of `column = 'text'` and `column IN ('text', …)` conditions.
//!
//! Most statements of a runbook are of this form (`SELECT id, status FROM okta.apps.secrets
//! WHERE subdomain = '…' AND appId = '…'`). The engine answers them by picking the columns
//! out of the response, which costs a fraction of loading the rows into SQLite and running
//! the query; the relational stage decides at execution whether the values allow it (see
//! `relational::direct`). Must not: accept anything whose result could differ from SQLite's.
//! The test is structural: every clause of the parsed query other than the projection, the
//! one table and the WHERE must be absent (ORDER BY, DISTINCT, LIMIT, GROUP BY, a join, a
//! CTE, …), checked field by field so that a parser upgrade adding a clause cannot slip by.

use sqlparser::ast::{
    BinaryOperator, Expr, GroupByExpr, InTarget, ObjectName, Query, Select, SelectFlavor,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor, TableWithJoins,
    Value,
};

use super::bind::{column_ref, conjuncts};
use super::{DirectColumn, DirectCondition, DirectQuery, TableFetch};

/// The direct form of `query` (already rewritten to read `fetch`'s table), if it has one.
pub(crate) fn direct_query(query: &Query, fetch: &TableFetch) -> Option<DirectQuery> {
    if fetch.columns.is_empty() || !fetch.depends().is_empty() {
        return None;
    }
    let select = plain_select(query, false)?;
    let (name, alias) = plain_table(select)?;
    if !name.to_string().eq_ignore_ascii_case(&fetch.table) {
        return None;
    }
    // Columns may be qualified by the alias, or by the table name when there is none.
    let qualifier = match alias {
        Some(a) if !a.columns.is_empty() => return None,
        Some(a) => a.name.value.clone(),
        None => fetch.table.clone(),
    };
    let ctx = Ctx { fetch, qualifier };

    let mut columns = Vec::new();
    for item in &select.projection {
        match item {
            // SQLite names a parenthesised column after the text, `(id)`, not the column.
            SelectItem::UnnamedExpr(expr) if !matches!(expr, Expr::Nested(_)) => {
                let source = ctx.column(expr)?;
                columns.push(DirectColumn {
                    name: source.clone(),
                    source,
                });
            }
            SelectItem::ExprWithAlias { expr, alias } => columns.push(DirectColumn {
                source: ctx.column(expr)?,
                name: alias.value.clone(),
            }),
            SelectItem::Wildcard(options) if options.to_string().is_empty() => {
                columns.extend(ctx.all_columns());
            }
            SelectItem::QualifiedWildcard(
                SelectItemQualifiedWildcardKind::ObjectName(name),
                options,
            ) if options.to_string().is_empty()
                && name.to_string().eq_ignore_ascii_case(&ctx.qualifier) =>
            {
                columns.extend(ctx.all_columns());
            }
            _ => return None,
        }
    }

    let mut conditions = Vec::new();
    if let Some(w) = &select.selection {
        for c in conjuncts(w) {
            conditions.push(ctx.condition(c)?);
        }
    }
    Some(DirectQuery {
        columns,
        conditions,
    })
}

/// The SELECT of `query` when nothing but a projection, one FROM item and a WHERE is given
/// (and a LIMIT, when `limit_allowed`).
///
/// Every field is named (no `..`), so a new clause in the parser's syntax tree fails to
/// compile here rather than being silently ignored.
pub(super) fn plain_select(query: &Query, limit_allowed: bool) -> Option<&Select> {
    let Query {
        with,
        body,
        order_by,
        limit_clause,
        fetch,
        locks,
        for_clause,
        settings,
        format_clause,
        pipe_operators,
    } = query;
    let no_clauses = with.is_none()
        && order_by.is_none()
        && (limit_allowed || limit_clause.is_none())
        && fetch.is_none()
        && locks.is_empty()
        && for_clause.is_none()
        && settings.is_none()
        && format_clause.is_none()
        && pipe_operators.is_empty();
    let SetExpr::Select(select) = body.as_ref() else {
        return None;
    };
    let Select {
        select_token: _,
        optimizer_hints,
        distinct,
        select_modifiers,
        top,
        top_before_distinct: _,
        projection: _,
        exclude,
        into,
        from,
        lateral_views,
        prewhere,
        selection: _,
        connect_by,
        group_by,
        cluster_by,
        distribute_by,
        sort_by,
        having,
        named_window,
        qualify,
        window_before_qualify: _,
        value_table_mode,
        flavor,
    } = select.as_ref();
    let no_grouping =
        matches!(group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    let plain = no_clauses
        && no_grouping
        && optimizer_hints.is_empty()
        && distinct.is_none()
        && select_modifiers.is_none()
        && top.is_none()
        && exclude.is_none()
        && into.is_none()
        && from.len() == 1
        && lateral_views.is_empty()
        && prewhere.is_none()
        && connect_by.is_empty()
        && cluster_by.is_empty()
        && distribute_by.is_empty()
        && sort_by.is_empty()
        && having.is_none()
        && named_window.is_empty()
        && qualify.is_none()
        && value_table_mode.is_none()
        && matches!(flavor, SelectFlavor::Standard);
    plain.then_some(select.as_ref())
}

/// The name and alias of the one table a plain SELECT reads (no join, no table function,
/// hints, sampling, time travel or partitions).
pub(super) fn plain_table(select: &Select) -> Option<(&ObjectName, &Option<TableAlias>)> {
    let [TableWithJoins { relation, joins }] = select.from.as_slice() else {
        return None;
    };
    let TableFactor::Table {
        name,
        alias,
        args,
        with_hints,
        version,
        with_ordinality,
        partitions,
        json_path,
        sample,
        index_directives,
        inheritance,
    } = relation
    else {
        return None;
    };
    let plain = joins.is_empty()
        && args.is_none()
        && with_hints.is_empty()
        && version.is_none()
        && !with_ordinality
        && partitions.is_empty()
        && json_path.is_none()
        && sample.is_none()
        && index_directives.is_empty()
        && inheritance.is_none();
    plain.then_some((name, alias))
}

struct Ctx<'a> {
    fetch: &'a TableFetch,
    qualifier: String,
}

impl Ctx<'_> {
    /// The table column `name` names (the first whose name matches, ignoring case, as
    /// SQLite resolves it).
    fn lookup(&self, name: &str) -> Option<String> {
        self.fetch
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| c.name.clone())
    }

    /// The table column a plain or qualified column reference names.
    fn column(&self, expr: &Expr) -> Option<String> {
        match column_ref(expr)? {
            (Some(q), _) if !q.eq_ignore_ascii_case(&self.qualifier) => None,
            (_, name) => self.lookup(name),
        }
    }

    /// Every column of the table once, as `SELECT *` lists them.
    fn all_columns(&self) -> Vec<DirectColumn> {
        let mut out: Vec<DirectColumn> = Vec::new();
        for c in self.fetch.columns.iter() {
            if !out.iter().any(|o| o.source.eq_ignore_ascii_case(&c.name)) {
                out.push(DirectColumn {
                    source: c.name.clone(),
                    name: c.name.clone(),
                });
            }
        }
        out
    }

    /// `column = 'text'`, `'text' = column` or `column IN ('text', …)`. Not
    /// `bind::equality`: that one takes every literal (numbers, other string syntaxes),
    /// where only a plain single-quoted text compares exactly as SQLite would here.
    fn condition(&self, expr: &Expr) -> Option<DirectCondition> {
        match expr {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => {
                let (column, value) = match (self.column(left), text(right)) {
                    (Some(c), Some(v)) => (c, v),
                    _ => (self.column(right)?, text(left)?),
                };
                Some(DirectCondition {
                    column,
                    values: vec![value.to_string()],
                })
            }
            Expr::In {
                expr,
                target: InTarget::List(list),
                negated: false,
                global: false,
            } if !list.is_empty() => Some(DirectCondition {
                column: self.column(expr)?,
                values: list
                    .iter()
                    .map(|e| text(e).map(str::to_string))
                    .collect::<Option<Vec<_>>>()?,
            }),
            Expr::Nested(inner) => self.condition(inner),
            _ => None,
        }
    }
}

/// The text of a single-quoted string literal.
pub(super) fn text(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}
