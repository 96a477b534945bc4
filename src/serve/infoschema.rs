//! `information_schema` for BI tools and drivers (Grafana, Metabase, DBeaver, JDBC's
//! `DatabaseMetaData`): `schemata`, `tables` and `columns` built from the provider documents
//! into an in-memory SQLite database, and each client query evaluated there as SQL, not
//! matched against known query texts.
//!
//! A client's PostgreSQL is brought to what SQLite runs: `::type` casts become `CAST`s (or
//! go, for types SQLite has no use for), `user`/`current_user` become the logged-in user, a
//! subscript `a[i]` reads a JSON array, a set-returning function in `FROM`
//! (`generate_series`, `unnest`, `string_to_array(...) s`) becomes a subquery, and
//! PostgreSQL's functions that catalog queries use (`quote_ident`, `current_setting`,
//! `string_to_array`, `array_lower`/`array_upper`/`array_length`, `parse_ident`, `version`,
//! `current_schema`, …) are defined on the connection; arrays are JSON arrays.
//!
//! Owns: the tables, that rewriting, and running one read-only query with bounded work
//! ([`MAX_CATALOG_STEPS`]) and rows ([`MAX_CATALOG_ROWS`]). Must not: run anything but one
//! `SELECT`, or send requests.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Mutex;

use pgwire::api::Type;
use pgwire::error::PgWireError;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::Value;
use sqlparser::ast::{
    AccessExpr, CastKind, Expr, FunctionArguments, Ident, ObjectName, ObjectNamePart, SetExpr,
    Statement, Subscript, TableFactor, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::catalog::{Answer, DATABASE, SERVER_VERSION};
use super::error::{pg_error, state};
use super::types::{infer_type, Col};

/// Rows one `information_schema` query may return; more is an error asking for a filter.
pub const MAX_CATALOG_ROWS: usize = 100_000;

/// SQLite virtual-machine steps one query may take (in thousands: the work of joining the
/// catalog with itself a few times); more is an error rather than a busy server.
pub const MAX_CATALOG_STEPS: u64 = 200_000;

/// Values `generate_series` yields at most.
const MAX_SERIES: i64 = 10_000;

/// One column of a table, as the catalog describes it.
#[derive(Debug, Clone)]
pub(crate) struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Its type on the wire.
    pub ty: Type,
    /// What `DESCRIBE` says of it.
    pub description: Option<String>,
}

/// What the session functions answer for one query.
pub(crate) struct Facts {
    /// The logged-in user.
    pub user: String,
    /// Every setting `current_setting` knows (lower-case names).
    pub settings: HashMap<String, String>,
    /// `current_schema()`.
    pub schema: String,
    /// `pg_backend_pid()`.
    pub pid: i32,
}

/// The in-memory `information_schema`.
#[derive(Debug)]
pub(crate) struct InfoSchema {
    conn: Mutex<Connection>,
}

/// How PostgreSQL names a wire type in `information_schema` (`data_type`, `udt_name`,
/// numeric precision, datetime precision).
fn type_facts(ty: &Type) -> (&'static str, &'static str, Option<i64>, Option<i64>) {
    match *ty {
        Type::INT8 => ("bigint", "int8", Some(64), None),
        Type::FLOAT8 => ("double precision", "float8", Some(53), None),
        Type::BOOL => ("boolean", "bool", None, None),
        Type::JSONB => ("jsonb", "jsonb", None, None),
        Type::JSON => ("json", "json", None, None),
        Type::TIMESTAMPTZ => ("timestamp with time zone", "timestamptz", None, Some(6)),
        _ => ("text", "text", None, None),
    }
}

const SCHEMA_SQL: &str = "
CREATE TABLE information_schema.schemata (
  catalog_name TEXT, schema_name TEXT, schema_owner TEXT,
  default_character_set_catalog TEXT, default_character_set_schema TEXT,
  default_character_set_name TEXT, sql_path TEXT);
CREATE TABLE information_schema.tables (
  table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT,
  self_referencing_column_name TEXT, reference_generation TEXT,
  user_defined_type_catalog TEXT, user_defined_type_schema TEXT, user_defined_type_name TEXT,
  is_insertable_into TEXT, is_typed TEXT, commit_action TEXT);
CREATE TABLE information_schema.columns (
  table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT,
  ordinal_position INTEGER, column_default TEXT, is_nullable TEXT, data_type TEXT,
  character_maximum_length INTEGER, character_octet_length INTEGER,
  numeric_precision INTEGER, numeric_precision_radix INTEGER, numeric_scale INTEGER,
  datetime_precision INTEGER, interval_type TEXT, interval_precision INTEGER,
  character_set_catalog TEXT, character_set_schema TEXT, character_set_name TEXT,
  collation_catalog TEXT, collation_schema TEXT, collation_name TEXT,
  domain_catalog TEXT, domain_schema TEXT, domain_name TEXT,
  udt_catalog TEXT, udt_schema TEXT, udt_name TEXT,
  scope_catalog TEXT, scope_schema TEXT, scope_name TEXT,
  maximum_cardinality INTEGER, dtd_identifier TEXT, is_self_referencing TEXT,
  is_identity TEXT, identity_generation TEXT, identity_start TEXT, identity_increment TEXT,
  identity_maximum TEXT, identity_minimum TEXT, identity_cycle TEXT,
  is_generated TEXT, generation_expression TEXT, is_updatable TEXT);
CREATE TABLE information_schema.views (
  table_catalog TEXT, table_schema TEXT, table_name TEXT, view_definition TEXT,
  check_option TEXT, is_updatable TEXT, is_insertable_into TEXT,
  is_trigger_updatable TEXT, is_trigger_deletable TEXT, is_trigger_insertable_into TEXT);
CREATE TABLE information_schema.table_constraints (
  constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT,
  table_catalog TEXT, table_schema TEXT, table_name TEXT, constraint_type TEXT,
  is_deferrable TEXT, initially_deferred TEXT, enforced TEXT, nulls_distinct TEXT);
CREATE TABLE information_schema.key_column_usage (
  constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT,
  table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT,
  ordinal_position INTEGER, position_in_unique_constraint INTEGER);
CREATE TABLE information_schema.referential_constraints (
  constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT,
  unique_constraint_catalog TEXT, unique_constraint_schema TEXT, unique_constraint_name TEXT,
  match_option TEXT, update_rule TEXT, delete_rule TEXT);
CREATE TABLE information_schema.routines (
  specific_catalog TEXT, specific_schema TEXT, specific_name TEXT,
  routine_catalog TEXT, routine_schema TEXT, routine_name TEXT, routine_type TEXT,
  data_type TEXT);
";

impl InfoSchema {
    /// Builds the tables: `schemas` (name, title) and `tables` (schema, name, columns).
    pub(crate) fn build(
        schemas: &[String],
        tables: &[(String, String, Vec<ColumnInfo>)],
        user: &str,
        read_only: bool,
    ) -> rusqlite::Result<InfoSchema> {
        let mut conn = Connection::open_in_memory()?;
        conn.execute_batch("ATTACH DATABASE ':memory:' AS information_schema")?;
        conn.execute_batch(SCHEMA_SQL)?;
        let tx = conn.transaction()?;
        {
            let mut s = tx.prepare(
                "INSERT INTO information_schema.schemata (catalog_name, schema_name, schema_owner) VALUES (?1, ?2, ?3)",
            )?;
            for name in schemas {
                s.execute((DATABASE, name, user))?;
            }
            let mut t = tx.prepare(
                "INSERT INTO information_schema.tables (table_catalog, table_schema, table_name, table_type, is_insertable_into, is_typed) VALUES (?1, ?2, ?3, 'BASE TABLE', ?4, 'NO')",
            )?;
            let mut c = tx.prepare(
                "INSERT INTO information_schema.columns (table_catalog, table_schema, table_name, column_name, ordinal_position, is_nullable, data_type, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, udt_catalog, udt_schema, udt_name, dtd_identifier, is_self_referencing, is_identity, is_generated, is_updatable) VALUES (?1, ?2, ?3, ?4, ?5, 'YES', ?6, ?7, ?8, ?9, ?10, ?1, 'pg_catalog', ?11, ?5, 'NO', 'NO', 'NEVER', 'NO')",
            )?;
            let insertable = if read_only { "NO" } else { "YES" };
            for (schema, table, columns) in tables {
                t.execute((DATABASE, schema, table, insertable))?;
                for (i, col) in columns.iter().enumerate() {
                    let (data_type, udt, precision, datetime) = type_facts(&col.ty);
                    c.execute(rusqlite::params![
                        DATABASE,
                        schema,
                        table,
                        col.name,
                        i as i64 + 1,
                        data_type,
                        precision,
                        precision.map(|_| 2),
                        precision.filter(|p| *p == 64).map(|_| 0),
                        datetime,
                        udt,
                    ])?;
                }
            }
        }
        tx.commit()?;
        define_functions(&conn)?;
        conn.execute_batch("PRAGMA query_only = ON")?;
        Ok(InfoSchema {
            conn: Mutex::new(conn),
        })
    }

    /// Runs one client query over the tables.
    /// `typed`: columns without a declared type are typed by their values (else text).
    pub(crate) fn query(
        &self,
        sql: &str,
        facts: Facts,
        typed: bool,
    ) -> Result<Answer, PgWireError> {
        let translated = translate(sql, &facts.user)?;
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        session_functions(&mut conn, facts)
            .map_err(|e| pg_error(state::INTERNAL, e.to_string()))?;
        run(&conn, &translated, typed)
    }
}

/// Whether `sql` reads a table of `information_schema`.
pub(crate) fn reads_info_schema(sql: &str) -> bool {
    let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return false;
    };
    let mut found = false;
    for s in &statements {
        let _ = sqlparser::ast::visit_relations(s, |name| {
            if name.0.iter().any(|p| match p {
                ObjectNamePart::Identifier(i) => i.value.eq_ignore_ascii_case("information_schema"),
                _ => false,
            }) {
                found = true;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    found
}

/// Whether `sql` is one query that reads no table at all.
pub(crate) fn reads_no_table(sql: &str) -> bool {
    let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return false;
    };
    let [statement @ Statement::Query(_)] = statements.as_slice() else {
        return false;
    };
    let mut none = true;
    let _ = sqlparser::ast::visit_relations(statement, |_| {
        none = false;
        ControlFlow::<()>::Break(())
    });
    none
}

/// A "not supported" error with SQLite's reason.
fn unsupported(reason: impl std::fmt::Display) -> PgWireError {
    pg_error(
        state::NOT_SUPPORTED,
        format!(
            "oktaql cannot answer this information_schema query: {reason}. It answers SELECT \
             queries over information_schema.schemata, tables, columns (and empty views, \
             table_constraints, key_column_usage, referential_constraints, routines)"
        ),
    )
}

/// Runs the translated query, bounded in work and rows; columns typed by their declared
/// type, or by their values when they are expressions.
fn run(conn: &Connection, sql: &str, typed: bool) -> Result<Answer, PgWireError> {
    let mut stmt = conn.prepare(sql).map_err(unsupported)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let declared: Vec<Option<Type>> = stmt
        .columns()
        .map(|c| {
            c.decl_type()
                .map(|d| match d.to_ascii_uppercase().as_str() {
                    "INTEGER" => Type::INT8,
                    "REAL" => Type::FLOAT8,
                    _ => Type::TEXT,
                })
        })
        .collect();
    let width = names.len();
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut result = stmt.query([]).map_err(unsupported)?;
    loop {
        let row = match result.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                return Err(pg_error(
                    state::LIMIT,
                    format!(
                        "this information_schema query took more than {MAX_CATALOG_STEPS} \
                         thousand steps: narrow it with WHERE"
                    ),
                ))
            }
            Err(e) => return Err(unsupported(e)),
        };
        if rows.len() == MAX_CATALOG_ROWS {
            return Err(pg_error(
                state::LIMIT,
                format!(
                    "this information_schema query returns more than {MAX_CATALOG_ROWS} rows: \
                     narrow it with WHERE or LIMIT"
                ),
            ));
        }
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(match row.get_ref(i).map_err(unsupported)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => Value::from(f),
                ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::from(String::from_utf8_lossy(b).into_owned()),
            });
        }
        rows.push(cells);
    }
    let cols = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| Col {
            ty: match &declared[i] {
                Some(ty) => ty.clone(),
                None if typed => infer_type(rows.iter().map(|r| &r[i])),
                None => Type::TEXT,
            },
            name,
        })
        .collect();
    Ok(Answer::Rows { cols, rows })
}

/// The client's query as SQLite runs it.
fn translate(sql: &str, user: &str) -> Result<String, PgWireError> {
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| pg_error(state::SYNTAX, e.to_string()))?;
    let [statement @ Statement::Query(_)] = statements.as_mut_slice() else {
        return Err(unsupported("only one SELECT is answered"));
    };
    let mut rewrite = Rewrite {
        user: user.to_string(),
    };
    if let ControlFlow::Break(reason) = statement.visit(&mut rewrite) {
        return Err(unsupported(reason));
    }
    if let Statement::Query(q) = statement {
        if !matches!(
            q.body.as_ref(),
            SetExpr::Select(_) | SetExpr::SetOperation { .. } | SetExpr::Query(_)
        ) {
            return Err(unsupported("only SELECT is answered"));
        }
    }
    Ok(statement.to_string())
}

/// Parses one expression of our own making.
fn expr(text: &str) -> Result<Expr, String> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| e.to_string())
}

/// A string literal.
fn literal(s: &str) -> Expr {
    Expr::value(sqlparser::ast::Value::SingleQuotedString(s.to_string()))
}

/// Brings PostgreSQL expressions and `FROM` items to SQLite's.
struct Rewrite {
    user: String,
}

impl VisitorMut for Rewrite {
    type Break = String;

    fn post_visit_relation(&mut self, name: &mut ObjectName) -> ControlFlow<String> {
        // okta.information_schema.tables: the database part goes.
        if name.0.len() == 3 {
            if let ObjectNamePart::Identifier(first) = &name.0[0] {
                if first.value.eq_ignore_ascii_case(DATABASE) {
                    name.0.remove(0);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<String> {
        let TableFactor::Table {
            name,
            alias,
            args: Some(args),
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        let function = name
            .0
            .last()
            .map(|p| p.to_string().to_ascii_lowercase())
            .unwrap_or_default();
        let function = function.trim_matches('"').to_string();
        let values: Vec<String> = args.args.iter().map(|a| a.to_string()).collect();
        let alias_name = alias
            .as_ref()
            .map_or_else(|| Ident::new(&function), |a| a.name.clone());
        let column = alias
            .as_ref()
            .and_then(|a| a.columns.first().map(|c| c.name.clone()))
            .unwrap_or_else(|| alias_name.clone());
        let subquery = match (function.as_str(), values.as_slice()) {
            ("generate_series", [from, to]) => format!(
                "(WITH RECURSIVE oktaql_series(v) AS (SELECT {from} UNION ALL SELECT v + 1 FROM \
                 oktaql_series WHERE v + 1 <= ({to}) AND v < ({from}) + {MAX_SERIES}) \
                 SELECT v AS {column} FROM oktaql_series)"
            ),
            ("unnest", [array]) => {
                format!("(SELECT value AS {column} FROM json_each({array}))")
            }
            ("generate_series", _) | ("unnest", _) => {
                return ControlFlow::Break(format!(
                    "{function} is answered with its plain form only"
                ))
            }
            _ => format!("(SELECT {name}({}) AS {column})", values.join(", ")),
        };
        let text = format!("SELECT * FROM {subquery} AS {alias_name}");
        let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &text).map_err(|e| e.to_string());
        let relation = match parsed {
            Ok(mut s) => match s.pop() {
                Some(Statement::Query(q)) => match *q.body {
                    SetExpr::Select(mut select) => select.from.pop().map(|f| f.relation),
                    _ => None,
                },
                _ => None,
            },
            Err(e) => return ControlFlow::Break(e),
        };
        match relation {
            Some(r) => {
                *factor = r;
                ControlFlow::Continue(())
            }
            None => ControlFlow::Break(format!("{function} in FROM")),
        }
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<String> {
        let replacement = match e {
            Expr::Cast {
                kind: CastKind::DoubleColon | CastKind::Cast,
                expr: inner,
                data_type,
                ..
            } => {
                let ty = data_type.to_string().to_ascii_lowercase();
                let target = if ty.contains("int") || ty == "oid" {
                    Some("INTEGER")
                } else if ["float", "double", "numeric", "real", "decimal"]
                    .iter()
                    .any(|t| ty.contains(t))
                {
                    Some("REAL")
                } else if ["text", "char", "name", "reg"]
                    .iter()
                    .any(|t| ty.contains(t))
                {
                    Some("TEXT")
                } else {
                    None
                };
                match target {
                    Some(t) => Some(expr(&format!("CAST(({inner}) AS {t})"))),
                    None => Some(Ok(inner.as_ref().clone())),
                }
            }
            Expr::Identifier(id) if id.quote_style.is_none() => {
                match id.value.to_ascii_lowercase().as_str() {
                    "user" | "current_user" | "session_user" | "current_role" => {
                        Some(Ok(literal(&self.user)))
                    }
                    "current_catalog" => Some(Ok(literal(DATABASE))),
                    "current_schema" => Some(expr("current_schema()")),
                    _ => None,
                }
            }
            Expr::Function(f) => {
                // pg_catalog.quote_ident(…) is quote_ident(…).
                if f.name.0.len() == 2 && f.name.0[0].to_string().eq_ignore_ascii_case("pg_catalog")
                {
                    f.name.0.remove(0);
                }
                let name = f.name.to_string().to_ascii_lowercase();
                match (&f.args, name.as_str()) {
                    // SQL's special functions without parentheses.
                    (
                        FunctionArguments::None,
                        "user" | "current_user" | "session_user" | "current_role",
                    ) => Some(Ok(literal(&self.user))),
                    (FunctionArguments::None, "current_catalog") => Some(Ok(literal(DATABASE))),
                    (FunctionArguments::None, "current_schema") => Some(expr("current_schema()")),
                    _ => None,
                }
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let mut text = root.to_string();
                for access in access_chain.iter() {
                    match access {
                        AccessExpr::Subscript(Subscript::Index { index }) => {
                            text = format!("oktaql_subscript({text}, {index})");
                        }
                        _ => return ControlFlow::Break("array slices and fields".into()),
                    }
                }
                Some(expr(&text))
            }
            Expr::ILike {
                negated,
                any,
                expr: inner,
                pattern,
                escape_char,
            } => Some(Ok(Expr::Like {
                negated: *negated,
                any: *any,
                expr: inner.clone(),
                pattern: pattern.clone(),
                escape_char: escape_char.clone(),
            })),
            _ => None,
        };
        match replacement {
            Some(Ok(r)) => {
                *e = r;
                ControlFlow::Continue(())
            }
            Some(Err(reason)) => ControlFlow::Break(reason),
            None => ControlFlow::Continue(()),
        }
    }
}

/// A JSON array's elements as text (`None`: not an array).
fn array(text: &str) -> Option<Vec<Value>> {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.as_array().cloned())
}

/// PostgreSQL's `quote_ident`: as is when it needs no quotes, else in double quotes.
pub(crate) fn quote_ident(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "system_user",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// PostgreSQL's `parse_ident`: the parts of a qualified name, unquoted names lower-cased.
fn parse_ident(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = s.trim().chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c if quoted => cur.push(c),
            c => cur.push(c.to_ascii_lowercase()),
        }
    }
    parts.push(cur);
    parts
}

/// The functions that do not depend on the session.
fn define_functions(conn: &Connection) -> rusqlite::Result<()> {
    let f = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("quote_ident", 1, f, |ctx| {
        Ok(ctx.get::<Option<String>>(0)?.map(|s| quote_ident(&s)))
    })?;
    conn.create_scalar_function("string_to_array", 2, f, |ctx| {
        let (Some(s), sep) = (ctx.get::<Option<String>>(0)?, ctx.get::<Option<String>>(1)?) else {
            return Ok(None);
        };
        let parts: Vec<String> = match sep.as_deref() {
            None => s.chars().map(String::from).collect(),
            Some("") => vec![s],
            Some(_) if s.is_empty() => Vec::new(),
            Some(sep) => s.split(sep).map(str::to_string).collect(),
        };
        Ok(Some(Value::from(parts).to_string()))
    })?;
    conn.create_scalar_function("parse_ident", 1, f, |ctx| {
        Ok(ctx
            .get::<Option<String>>(0)?
            .map(|s| Value::from(parse_ident(&s)).to_string()))
    })?;
    for (name, lower) in [
        ("array_lower", true),
        ("array_upper", false),
        ("array_length", false),
    ] {
        conn.create_scalar_function(name, 2, f, move |ctx| {
            let len = ctx
                .get::<Option<String>>(0)?
                .and_then(|s| array(&s))
                .map(|a| a.len() as i64)
                .filter(|n| *n > 0);
            Ok(len.map(|n| if lower { 1 } else { n }))
        })?;
    }
    conn.create_scalar_function("cardinality", 1, f, |ctx| {
        Ok(ctx
            .get::<Option<String>>(0)?
            .and_then(|s| array(&s))
            .map(|a| a.len() as i64))
    })?;
    conn.create_scalar_function("oktaql_subscript", 2, f, |ctx| {
        let (Some(a), Some(i)) = (ctx.get::<Option<String>>(0)?, ctx.get::<Option<i64>>(1)?) else {
            return Ok(None);
        };
        let item =
            array(&a).and_then(|a| usize::try_from(i - 1).ok().and_then(|i| a.get(i).cloned()));
        Ok(item.map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    })?;
    for (name, n) in [
        ("has_table_privilege", 2),
        ("has_table_privilege", 3),
        ("has_schema_privilege", 2),
        ("has_schema_privilege", 3),
        ("has_column_privilege", 3),
        ("has_column_privilege", 4),
    ] {
        conn.create_scalar_function(name, n, f, |_| Ok(true))?;
    }
    for (name, n) in [
        ("obj_description", 1),
        ("obj_description", 2),
        ("col_description", 2),
    ] {
        conn.create_scalar_function(name, n, f, |_| Ok(None::<String>))?;
    }
    conn.create_scalar_function("version", 0, f, |_| {
        Ok(format!(
            "PostgreSQL {SERVER_VERSION} (oktaql {}: SQL over the Okta Management API)",
            env!("CARGO_PKG_VERSION")
        ))
    })?;
    for name in ["current_database", "current_catalog"] {
        conn.create_scalar_function(name, 0, f, |_| Ok(DATABASE))?;
    }
    Ok(())
}

/// The functions that answer for the session, and the work limit of its query.
fn session_functions(conn: &mut Connection, facts: Facts) -> rusqlite::Result<()> {
    let f = FunctionFlags::SQLITE_UTF8;
    let Facts {
        user,
        settings,
        schema,
        pid,
    } = facts;
    for n in [1, 2] {
        let settings = settings.clone();
        conn.create_scalar_function("current_setting", n, f, move |ctx| {
            let name = ctx.get::<String>(0)?.to_ascii_lowercase();
            Ok(settings.get(&name).cloned())
        })?;
    }
    conn.create_scalar_function("current_schema", 0, f, move |_| Ok(schema.clone()))?;
    for name in ["current_user", "session_user"] {
        let user = user.clone();
        conn.create_scalar_function(name, 0, f, move |_| Ok(user.clone()))?;
    }
    conn.create_scalar_function("pg_backend_pid", 0, f, move |_| Ok(pid))?;
    // The work limit: the handler runs every thousand steps and stops the query when true.
    let mut steps = 0u64;
    conn.progress_handler(
        1000,
        Some(move || {
            steps += 1;
            steps > MAX_CATALOG_STEPS
        }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> InfoSchema {
        InfoSchema::build(
            &["apps".into(), "users".into()],
            &[
                (
                    "apps".into(),
                    "secrets".into(),
                    vec![
                        ColumnInfo {
                            name: "id".into(),
                            ty: Type::TEXT,
                            description: None,
                        },
                        ColumnInfo {
                            name: "created".into(),
                            ty: Type::TIMESTAMPTZ,
                            description: None,
                        },
                    ],
                ),
                ("users".into(), "users".into(), Vec::new()),
            ],
            "oktaql",
            true,
        )
        .unwrap()
    }

    fn facts() -> Facts {
        Facts {
            user: "grafana".into(),
            settings: [("search_path".to_string(), "public".to_string())].into(),
            schema: "public".into(),
            pid: 7,
        }
    }

    fn cells(a: Answer) -> Vec<Vec<Value>> {
        match a {
            Answer::Rows { rows, .. } => rows,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quote_ident_quotes_what_postgres_quotes() {
        assert_eq!(quote_ident("apps"), "apps");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("appId"), "\"appId\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(parse_ident("apps.\"Secrets\""), vec!["apps", "Secrets"]);
    }

    #[test]
    fn queries_are_evaluated_not_matched() {
        let s = schema();
        let rows = cells(
            s.query(
                "SELECT column_name, data_type::text FROM information_schema.columns WHERE table_schema='apps' AND table_name='secrets' ORDER BY ordinal_position DESC",
                facts(),
                true,
            )
            .unwrap(),
        );
        assert_eq!(
            rows,
            vec![
                vec![
                    Value::from("created"),
                    Value::from("timestamp with time zone")
                ],
                vec![Value::from("id"), Value::from("text")],
            ]
        );
        let rows = cells(
            s.query(
                "SELECT count(*), current_user FROM okta.information_schema.tables t JOIN information_schema.schemata s ON s.schema_name = t.table_schema WHERE t.table_name ILIKE 'SEC%'",
                facts(),
                true,
            )
            .unwrap(),
        );
        assert_eq!(rows, vec![vec![Value::from(1), Value::from("grafana")]]);
    }

    #[test]
    fn anything_but_one_select_is_refused() {
        let s = schema();
        for sql in [
            "DELETE FROM information_schema.tables",
            "SELECT 1 FROM information_schema.tables; SELECT 2",
            "SELECT * FROM information_schema.nope",
        ] {
            let e = s.query(sql, facts(), true).unwrap_err().to_string();
            assert!(e.contains("information_schema"), "{sql}: {e}");
        }
    }
}
