//! Recognising queries that need no relational stage: one table, plain columns (or `*`),
//! and a WHERE made only of `column = 'text'` and `column IN ('text', …)` conditions.
//!
//! Most statements of a runbook are of this form (`SELECT id, status FROM okta.apps.secrets
//! WHERE subdomain = '…' AND appId = '…'`). The engine answers them by picking the columns
//! out of the response, which costs a fraction of loading the rows into SQLite and running
//! the query; the relational stage decides at execution whether the values allow it (see
//! `relational::direct`). Must not: accept anything whose result could differ from SQLite's.
//! The test is structural: the query is rebuilt from the parts this module understands and
//! must print exactly as the whole query does, so any other clause (ORDER BY, DISTINCT,
//! LIMIT, GROUP BY, a join, a CTE, …) rules it out.

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, InTarget, Query, SelectItem, SelectItemQualifiedWildcardKind,
    SetExpr, TableFactor, Value,
};

use super::bind::conjuncts;
use super::{DirectColumn, DirectCondition, DirectQuery, TableFetch};

/// The direct form of `query` (already rewritten to read `fetch`'s table, and printed as
/// `sql`), if it has one.
pub(crate) fn direct_query(query: &Query, sql: &str, fetch: &TableFetch) -> Option<DirectQuery> {
    if fetch.columns.is_empty() || !fetch.depends.is_empty() {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return None;
    };
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

    // Structural check: the query must be exactly SELECT <items> FROM <table> [WHERE …].
    let items: Vec<String> = select.projection.iter().map(ToString::to_string).collect();
    let mut rebuilt = format!("SELECT {} FROM {from}", items.join(", "));
    if let Some(w) = &select.selection {
        rebuilt.push_str(&format!(" WHERE {w}"));
    }
    if rebuilt != sql {
        return None;
    }

    let mut columns = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(expr) => {
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

struct Ctx<'a> {
    fetch: &'a TableFetch,
    qualifier: String,
}

impl Ctx<'_> {
    /// The table column `ident` names (the first whose name matches, ignoring case, as
    /// SQLite resolves it).
    fn lookup(&self, ident: &Ident) -> Option<String> {
        self.fetch
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&ident.value))
            .map(|c| c.name.clone())
    }

    /// The table column a plain or qualified column reference names.
    fn column(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Identifier(id) => self.lookup(id),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] if q.value.eq_ignore_ascii_case(&self.qualifier) => self.lookup(c),
                _ => None,
            },
            _ => None,
        }
    }

    /// Every column of the table once, as `SELECT *` lists them.
    fn all_columns(&self) -> Vec<DirectColumn> {
        let mut out: Vec<DirectColumn> = Vec::new();
        for c in &self.fetch.columns {
            if !out.iter().any(|o| o.source.eq_ignore_ascii_case(&c.name)) {
                out.push(DirectColumn {
                    source: c.name.clone(),
                    name: c.name.clone(),
                });
            }
        }
        out
    }

    /// `column = 'text'`, `'text' = column` or `column IN ('text', …)`.
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
                    values: vec![value],
                })
            }
            Expr::In {
                expr,
                target: InTarget::List(list),
                negated: false,
                global: false,
            } if !list.is_empty() => Some(DirectCondition {
                column: self.column(expr)?,
                values: list.iter().map(text).collect::<Option<Vec<_>>>()?,
            }),
            Expr::Nested(inner) => self.condition(inner),
            _ => None,
        }
    }
}

/// The text of a single-quoted string literal.
fn text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}
