//! What PostgreSQL clients ask besides SQL over Okta: transaction and session statements
//! (`BEGIN`, `SET`, `SHOW`), session functions (`version()`, `current_schema()`), and the
//! `pg_catalog` queries behind psql's `\dt`, `\dn` and `\d`, answered from the provider
//! documents: the database is `okta`, each service a schema, each resource a table, and a
//! table's columns are what `DESCRIBE` lists.
//!
//! Owns: recognising those statements and building their answers. Any other catalog query
//! gets a clear "not supported" error, never a hang. Must not: send requests.

use std::collections::HashMap;
use std::sync::OnceLock;

use pgwire::api::Type;
use pgwire::error::PgWireError;
use serde_json::Value;
use std::ops::ControlFlow;

use sqlparser::ast::{
    visit_relations_mut, Expr, FunctionArguments, Ident, ObjectNamePart, SelectItem, SetExpr,
    Statement,
};
use sqlparser::dialect::{GenericDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

use super::error::{pg_error, state};
use super::infoschema::{self, ColumnInfo, Facts, InfoSchema};
use super::pattern::{pattern_after, regex_matches};
use super::types::{schema_pg_type, Col};
use crate::engine::Engine;
use crate::plan::Plan;
use crate::provider::{ProviderError, Registry};
use crate::sql::Source;

/// The one database: the provider.
pub const DATABASE: &str = "okta";

/// The server version reported to clients (psql adapts its catalog queries to it).
pub const SERVER_VERSION: &str = "16.6";

/// First table OID (PostgreSQL's first OID for user objects).
const FIRST_TABLE_OID: u32 = 16_384;
/// First schema OID.
const FIRST_SCHEMA_OID: u32 = 10_000;

/// One resource as a table.
#[derive(Debug, Clone)]
struct Table {
    oid: u32,
    schema: String,
    name: String,
    title: Option<String>,
}

/// The services and resources of the provider, as schemas and tables with stable OIDs.
#[derive(Debug)]
pub(crate) struct Catalog {
    schemas: Vec<(u32, String, Option<String>)>,
    tables: Vec<Table>,
    read_only: bool,
    /// `information_schema`, built at its first query (every table's columns).
    info: OnceLock<Result<InfoSchema, String>>,
}

/// The per-connection facts a catalog answer may need.
pub(crate) struct Session<'a> {
    /// Settings changed with `SET` on this connection (lower-case names).
    pub settings: &'a mut HashMap<String, String>,
    /// The logged-in user.
    pub user: String,
    /// The backend process id told to the client.
    pub pid: i32,
}

/// What a statement answered here produces.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Rows.
    Rows {
        /// Columns.
        cols: Vec<Col>,
        /// Cells.
        rows: Vec<Vec<Value>>,
    },
    /// A command without rows (`SET`).
    Tag(String),
    /// `BEGIN`: a transaction block starts (statements still run one by one).
    Begin,
    /// `COMMIT` / `ROLLBACK` (with that tag).
    End(String),
}

impl Catalog {
    /// Reads every service and resource of the provider `okta`.
    pub(crate) fn load(registry: &Registry, read_only: bool) -> Result<Catalog, ProviderError> {
        let mut schemas = Vec::new();
        let mut tables = Vec::new();
        let mut entries = registry.services(DATABASE)?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for (i, entry) in entries.iter().enumerate() {
            let service = registry.service(DATABASE, &entry.name)?;
            schemas.push((
                FIRST_SCHEMA_OID + i as u32,
                service.name.clone(),
                entry.title.clone(),
            ));
            let mut names: Vec<_> = service
                .resources
                .iter()
                .map(|r| (r.name.clone(), r.title.clone()))
                .collect();
            names.sort();
            for (name, title) in names {
                tables.push(Table {
                    oid: 0,
                    schema: service.name.clone(),
                    name,
                    title,
                });
            }
        }
        for (i, t) in tables.iter_mut().enumerate() {
            t.oid = FIRST_TABLE_OID + i as u32;
        }
        Ok(Catalog {
            schemas,
            tables,
            read_only,
            info: OnceLock::new(),
        })
    }

    /// `sql` with its `schema.table` names (a schema of this database) written
    /// `okta.schema.table`, as PostgreSQL resolves them (postgres_fdw sends such names);
    /// `None` when it has none to rewrite.
    pub(crate) fn qualify(&self, sql: &str) -> Option<String> {
        let mut statements = Parser::parse_sql(&GenericDialect {}, sql).ok()?;
        let mut changed = false;
        for s in &mut statements {
            let _ = visit_relations_mut(s, |name| {
                if let [ObjectNamePart::Identifier(first), _] = name.0.as_slice() {
                    if self
                        .schemas
                        .iter()
                        .any(|(_, s, _)| s.eq_ignore_ascii_case(&first.value))
                    {
                        name.0
                            .insert(0, ObjectNamePart::Identifier(Ident::new(DATABASE)));
                        changed = true;
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        }
        changed.then(|| {
            statements
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// `information_schema`, built from every table's columns at its first use.
    fn info_schema(&self, engine: &Engine) -> Result<&InfoSchema, PgWireError> {
        let built = self.info.get_or_init(|| {
            let schemas: Vec<String> = self.schemas.iter().map(|(_, s, _)| s.clone()).collect();
            let mut tables = Vec::with_capacity(self.tables.len());
            for t in &self.tables {
                let columns = table_columns(engine, t).map_err(|e| format!("{e:?}"))?;
                tables.push((t.schema.clone(), t.name.clone(), columns));
            }
            InfoSchema::build(&schemas, &tables, "oktaql", self.read_only)
                .map_err(|e| e.to_string())
        });
        built.as_ref().map_err(|e| {
            pg_error(
                state::INTERNAL,
                format!("cannot build information_schema: {e}"),
            )
        })
    }

    /// Every setting `SHOW` knows, as this connection sees it.
    fn settings(&self, session: &Session<'_>) -> HashMap<String, String> {
        let mut all: HashMap<String, String> = SETTINGS
            .iter()
            .filter_map(|n| Some((n.to_string(), self.setting(n, session)?)))
            .collect();
        for (k, v) in session.settings.iter() {
            all.insert(k.clone(), v.clone());
        }
        all
    }

    /// The value of a setting: changed on this connection, else the server's.
    fn setting(&self, name: &str, session: &Session<'_>) -> Option<String> {
        let name = name.to_ascii_lowercase();
        if let Some(v) = session.settings.get(&name) {
            return Some(v.clone());
        }
        let on_off = |b: bool| if b { "on" } else { "off" }.to_string();
        Some(match name.as_str() {
            "server_version" => SERVER_VERSION.to_string(),
            "server_version_num" => "160006".into(),
            "server_encoding" | "client_encoding" => "UTF8".into(),
            "datestyle" => "ISO, MDY".into(),
            "timezone" | "log_timezone" => "UTC".into(),
            "intervalstyle" => "postgres".into(),
            "search_path" => "public".into(),
            "transaction_isolation" | "default_transaction_isolation" => "read committed".into(),
            "transaction_read_only" | "default_transaction_read_only" => on_off(self.read_only),
            "standard_conforming_strings" | "integer_datetimes" => "on".into(),
            "is_superuser" => "off".into(),
            "max_identifier_length" => "63".into(),
            "application_name" => String::new(),
            "lc_collate" | "lc_ctype" | "lc_messages" => "C".into(),
            "extra_float_digits" => "1".into(),
            "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => {
                "0".into()
            }
            "bytea_output" => "hex".into(),
            "session_authorization" => session.user.clone(),
            _ => return None,
        })
    }
}

/// The settings the server has values for.
const SETTINGS: &[&str] = &[
    "server_version",
    "server_version_num",
    "server_encoding",
    "client_encoding",
    "datestyle",
    "timezone",
    "log_timezone",
    "intervalstyle",
    "search_path",
    "transaction_isolation",
    "default_transaction_isolation",
    "transaction_read_only",
    "default_transaction_read_only",
    "standard_conforming_strings",
    "integer_datetimes",
    "is_superuser",
    "max_identifier_length",
    "application_name",
    "lc_collate",
    "lc_ctype",
    "lc_messages",
    "extra_float_digits",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "bytea_output",
    "session_authorization",
];

/// The answer to `sql` when it is one of the statements answered here (`None`: the engine's).
///
/// `typed`: expression columns of an `information_schema` query are typed by their values
/// (the simple protocol); otherwise they are text, as a Describe before execution says.
pub(crate) fn answer(
    sql: &str,
    cat: &Catalog,
    engine: &Engine,
    session: &mut Session<'_>,
    typed: bool,
) -> Option<Result<Answer, PgWireError>> {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(3)
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .collect();
    let first = words.first().map(String::as_str).unwrap_or_default();
    let second = words.get(1).map(String::as_str).unwrap_or_default();
    match first {
        "BEGIN" | "START" => return Some(Ok(Answer::Begin)),
        "COMMIT" | "END" => return Some(Ok(Answer::End("COMMIT".into()))),
        "ROLLBACK" | "ABORT" => return Some(Ok(Answer::End("ROLLBACK".into()))),
        "SET" => return Some(set(sql, session)),
        "RESET" => {
            match second {
                "ALL" | "" => session.settings.clear(),
                name => {
                    session.settings.remove(&name.to_ascii_lowercase());
                }
            }
            return Some(Ok(Answer::Tag("RESET".into())));
        }
        "DISCARD" => {
            session.settings.clear();
            return Some(Ok(Answer::Tag("DISCARD ALL".into())));
        }
        "DEALLOCATE" => return Some(Ok(Answer::Tag("DEALLOCATE".into()))),
        // The engine's own SHOW statements (SHOW SERVICES IN okta, …) go to the engine.
        "SHOW" if !matches!(second, "PROVIDERS" | "SERVICES" | "RESOURCES" | "METHODS") => {
            return Some(show(cat, second, session));
        }
        _ => {}
    }
    let lower = sql.to_ascii_lowercase();
    if lower.contains("information_schema") && infoschema::reads_info_schema(sql) {
        return Some(info_answer(sql, cat, engine, session, typed));
    }
    if [
        "pg_catalog",
        "information_schema",
        "pg_class",
        "pg_namespace",
        "pg_type",
        "pg_attribute",
        "pg_database",
        "pg_settings",
        "pg_proc",
        "pg_extension",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        return Some(catalog_query(sql, &lower, cat, engine, session));
    }
    if first == "SELECT" {
        if let Some(a) = session_select(sql, cat, session) {
            return Some(Ok(a));
        }
        // Session functions in expressions (`current_setting('server_version_num')::int / 100`,
        // as Grafana asks): evaluated like information_schema queries.
        let session_function = [
            "current_setting(",
            "version(",
            "current_schema",
            "current_database(",
            "current_user",
            "session_user",
            "pg_backend_pid(",
        ]
        .iter()
        .any(|f| lower.contains(f));
        if session_function && infoschema::reads_no_table(sql) {
            return Some(info_answer(sql, cat, engine, session, typed));
        }
    }
    None
}

/// The answer of the in-memory `information_schema` database.
fn info_answer(
    sql: &str,
    cat: &Catalog,
    engine: &Engine,
    session: &Session<'_>,
    typed: bool,
) -> Result<Answer, PgWireError> {
    let facts = Facts {
        user: session.user.clone(),
        settings: cat.settings(session),
        schema: current_schema(cat, session),
        pid: session.pid,
    };
    cat.info_schema(engine)
        .and_then(|info| info.query(sql, facts, typed))
}

/// `SET name = value`, `SET name TO value`, `SET SESSION …`, `SET TIME ZONE …`.
fn set(sql: &str, session: &mut Session<'_>) -> Result<Answer, PgWireError> {
    let rest = sql.trim().trim_end_matches(';').trim();
    let mut rest = rest[3..].trim_start();
    for scope in ["SESSION ", "LOCAL "] {
        if rest.len() >= scope.len() && rest[..scope.len()].eq_ignore_ascii_case(scope) {
            rest = rest[scope.len()..].trim_start();
        }
    }
    let upper = rest.to_ascii_uppercase();
    let (name, value) = if let Some(v) = upper.strip_prefix("TIME ZONE") {
        ("timezone".to_string(), rest[rest.len() - v.len()..].trim())
    } else if upper.starts_with("CHARACTERISTICS") || upper.starts_with("TRANSACTION") {
        return Ok(Answer::Tag("SET".into()));
    } else {
        let split = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..split].trim().to_ascii_lowercase();
        let mut value = rest[split..].trim_start();
        if let Some(v) = value.strip_prefix('=') {
            value = v.trim_start();
        } else if value.len() >= 2 && value[..2].eq_ignore_ascii_case("TO") {
            value = value[2..].trim_start();
        }
        (name, value)
    };
    if name.is_empty() {
        return Err(pg_error(
            state::SYNTAX,
            "SET needs a setting and a value: SET name = value",
        ));
    }
    let value = value.trim_matches('\'').to_string();
    if value.eq_ignore_ascii_case("DEFAULT") {
        session.settings.remove(&name);
    } else {
        session.settings.insert(name, value);
    }
    Ok(Answer::Tag("SET".into()))
}

/// `SHOW name` and `SHOW ALL`.
fn show(cat: &Catalog, name: &str, session: &Session<'_>) -> Result<Answer, PgWireError> {
    let name = name.trim_matches('"').to_ascii_lowercase();
    if name == "all" {
        let names = [
            "application_name",
            "client_encoding",
            "datestyle",
            "default_transaction_read_only",
            "integer_datetimes",
            "intervalstyle",
            "search_path",
            "server_encoding",
            "server_version",
            "standard_conforming_strings",
            "timezone",
            "transaction_isolation",
            "transaction_read_only",
        ];
        let rows = names
            .iter()
            .map(|n| {
                vec![
                    Value::from(*n),
                    Value::from(cat.setting(n, session).unwrap_or_default()),
                    Value::Null,
                ]
            })
            .collect();
        return Ok(Answer::Rows {
            cols: vec![
                Col::text("name"),
                Col::text("setting"),
                Col::text("description"),
            ],
            rows,
        });
    }
    match cat.setting(&name, session) {
        Some(v) => Ok(Answer::Rows {
            cols: vec![Col::text(&name)],
            rows: vec![vec![Value::from(v)]],
        }),
        None => Err(pg_error(
            state::UNDEFINED_OBJECT,
            format!("unrecognized configuration parameter \"{name}\""),
        )),
    }
}

/// A `SELECT` without `FROM` of session functions and literals (`SELECT version()`,
/// `SELECT current_schema(), 1`); `None` when an item is anything else.
fn session_select(sql: &str, cat: &Catalog, session: &Session<'_>) -> Option<Answer> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let [Statement::Query(q)] = statements.as_slice() else {
        return None;
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    if !select.from.is_empty() || select.selection.is_some() {
        return None;
    }
    let mut cols = Vec::new();
    let mut row = Vec::new();
    let mut any_function = false;
    for item in &select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            _ => return None,
        };
        let (name, ty, value, is_function) = session_value(expr, cat, session)?;
        any_function |= is_function;
        cols.push(Col {
            name: alias.unwrap_or(name),
            ty,
        });
        row.push(value);
    }
    // Plain literals (`SELECT 1`) are the engine's.
    any_function.then_some(Answer::Rows {
        cols,
        rows: vec![row],
    })
}

/// Name, type, value and whether it is a function call, of one session expression.
fn session_value(
    expr: &Expr,
    cat: &Catalog,
    session: &Session<'_>,
) -> Option<(String, Type, Value, bool)> {
    let text = |name: &str, v: String| Some((name.to_string(), Type::TEXT, Value::from(v), true));
    match expr {
        Expr::Value(v) => {
            let value = match &v.value {
                sqlparser::ast::Value::Number(n, _) => {
                    let ty = if n.contains(['.', 'e', 'E']) {
                        Type::FLOAT8
                    } else {
                        Type::INT8
                    };
                    let json: Value = serde_json::from_str(n).ok()?;
                    return Some(("?column?".into(), ty, json, false));
                }
                sqlparser::ast::Value::SingleQuotedString(s) => Value::from(s.clone()),
                sqlparser::ast::Value::Boolean(b) => {
                    return Some(("?column?".into(), Type::BOOL, Value::from(*b), false))
                }
                sqlparser::ast::Value::Null => Value::Null,
                _ => return None,
            };
            Some(("?column?".into(), Type::TEXT, value, false))
        }
        Expr::Identifier(id) => match id.value.to_ascii_lowercase().as_str() {
            n @ ("current_user" | "session_user" | "user" | "current_role") => {
                text(n, session.user.clone())
            }
            n @ "current_catalog" => text(n, DATABASE.into()),
            n @ "current_schema" => text(n, current_schema(cat, session)),
            _ => None,
        },
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name
                .strip_prefix("pg_catalog.")
                .unwrap_or(&name)
                .to_string();
            let args: Vec<String> = match &f.args {
                FunctionArguments::List(l) => l
                    .args
                    .iter()
                    .map(|a| a.to_string().trim_matches('\'').to_string())
                    .collect(),
                _ => Vec::new(),
            };
            match name.as_str() {
                "version" => text(
                    &name,
                    format!(
                        "PostgreSQL {SERVER_VERSION} (oktaql {}: SQL over the Okta Management API)",
                        env!("CARGO_PKG_VERSION")
                    ),
                ),
                "current_schema" => text(&name, current_schema(cat, session)),
                "current_database" | "current_catalog" => text(&name, DATABASE.into()),
                "current_user" | "session_user" | "user" => text(&name, session.user.clone()),
                "current_setting" => {
                    let setting = args.first()?;
                    text(&name, cat.setting(setting, session)?)
                }
                "pg_backend_pid" => Some((name, Type::INT8, Value::from(session.pid), true)),
                "pg_is_in_recovery" => Some((name, Type::BOOL, Value::from(false), true)),
                _ => None,
            }
        }
        Expr::Nested(e) => session_value(e, cat, session),
        _ => None,
    }
}

/// The first schema of the search path that exists, else the search path's first entry.
fn current_schema(cat: &Catalog, session: &Session<'_>) -> String {
    let path = cat.setting("search_path", session).unwrap_or_default();
    let entries: Vec<String> = path
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    entries
        .iter()
        .find(|e| cat.schemas.iter().any(|(_, s, _)| s == *e))
        .or(entries.first())
        .cloned()
        .unwrap_or_default()
}

/// Catalogs that describe what oktaql has none of (indexes, constraints, policies, …):
/// queries over them have no rows.
const EMPTY_CATALOGS: &[&str] = &[
    "pg_policy",
    "pg_statistic_ext",
    "pg_publication",
    "pg_inherits",
    "pg_constraint",
    "pg_trigger",
    "pg_index",
    "pg_rewrite",
    "pg_foreign_table",
    "pg_partitioned_table",
    "pg_event_trigger",
    "pg_description",
    "pg_sequence",
    "pg_extension",
];

/// A query over `pg_catalog`: psql's `\dt`, `\dn`, `\d` and the like; others are refused.
fn catalog_query(
    sql: &str,
    lower: &str,
    cat: &Catalog,
    engine: &Engine,
    session: &Session<'_>,
) -> Result<Answer, PgWireError> {
    let projection = projection(sql);
    let names: Vec<String> = projection.iter().map(|(n, _)| n.clone()).collect();
    // \d step 3: the columns of one table.
    if lower.contains("pg_catalog.pg_attribute a") && lower.contains("attrelid") {
        let table = oid_filter(lower).and_then(|oid| cat.tables.iter().find(|t| t.oid == oid));
        let columns = match table {
            Some(t) => table_columns(engine, t)?,
            None => Vec::new(),
        };
        let rows = columns
            .iter()
            .map(|c| {
                let ty = type_name(&c.ty);
                projection
                    .iter()
                    .map(|(n, e)| attribute_cell(n, e, &c.name, &ty, &c.description))
                    .collect()
            })
            .collect();
        return Ok(text_rows(&names, rows));
    }
    // \d step 2: what kind of relation it is.
    if lower.contains("c.relchecks") {
        let found = oid_filter(lower).is_some_and(|oid| cat.tables.iter().any(|t| t.oid == oid));
        let rows = if found {
            vec![projection.iter().map(|(_, e)| relation_cell(e)).collect()]
        } else {
            Vec::new()
        };
        return Ok(text_rows(&names, rows));
    }
    if EMPTY_CATALOGS.iter().any(|c| lower.contains(c)) {
        return Ok(text_rows(&names, Vec::new()));
    }
    let schema_re = pattern_after(sql, "nspname");
    let table_re = pattern_after(sql, "relname");
    let schema_ok = |s: &str| schema_re.as_deref().is_none_or(|p| regex_matches(p, s));
    let table_ok = |t: &str| table_re.as_deref().is_none_or(|p| regex_matches(p, t));
    if lower.contains("pg_catalog.pg_class c") {
        // Tables only: views, indexes, sequences and the like do not exist here.
        let wants_tables = match lower.find("c.relkind in (") {
            Some(at) => lower[at..].split(')').next().unwrap_or("").contains("'r'"),
            None => true,
        };
        let tables: Vec<&Table> = cat
            .tables
            .iter()
            .filter(|t| wants_tables && schema_ok(&t.schema) && table_ok(&t.name))
            .collect();
        // \d step 1: oid, schema, name of the matching tables.
        if names.len() == 3 && names[0] == "oid" && names[1] == "nspname" {
            let rows = tables
                .iter()
                .map(|t| {
                    vec![
                        Value::from(t.oid.to_string()),
                        Value::from(t.schema.clone()),
                        Value::from(t.name.clone()),
                    ]
                })
                .collect();
            return Ok(text_rows(&names, rows));
        }
        // \dt, \d and \dt+: a listing with a "Schema" and a "Name" column.
        if names.iter().any(|n| n == "Schema") && names.iter().any(|n| n == "Name") {
            let rows = tables
                .iter()
                .map(|t| {
                    names
                        .iter()
                        .map(|n| match n.as_str() {
                            "Schema" => Value::from(t.schema.clone()),
                            "Name" => Value::from(t.name.clone()),
                            "Type" => Value::from("table"),
                            "Owner" => Value::from(session.user.clone()),
                            "Persistence" => Value::from("permanent"),
                            "Access method" => Value::from("okta"),
                            "Size" => Value::from("0 bytes"),
                            "Description" => t.title.clone().map_or(Value::Null, Value::from),
                            _ => Value::Null,
                        })
                        .collect()
                })
                .collect();
            return Ok(text_rows(&names, rows));
        }
    }
    // \dn: the schemas.
    if lower.contains("pg_catalog.pg_namespace n") && names.iter().any(|n| n == "Name") {
        let rows = cat
            .schemas
            .iter()
            .filter(|(_, s, _)| schema_ok(s))
            .map(|(_, s, title)| {
                names
                    .iter()
                    .map(|n| match n.as_str() {
                        "Name" => Value::from(s.clone()),
                        "Owner" => Value::from(session.user.clone()),
                        "Description" => title.clone().map_or(Value::Null, Value::from),
                        _ => Value::Null,
                    })
                    .collect()
            })
            .collect();
        return Ok(text_rows(&names, rows));
    }
    Err(pg_error(
        state::NOT_SUPPORTED,
        "oktaql does not answer this catalog query. It answers psql's \\dt, \\dn and \\d, \
         information_schema queries, SET, SHOW, version() and current_schema(); list tables \
         with SHOW RESOURCES IN okta.<service> and columns with DESCRIBE \
         okta.<service>.<resource>",
    ))
}

/// A result of text columns.
fn text_rows(names: &[String], rows: Vec<Vec<Value>>) -> Answer {
    Answer::Rows {
        cols: names.iter().map(|n| Col::text(n)).collect(),
        rows,
    }
}

/// The name and SQL text of each item of a query's select list (of its first `SELECT`
/// when it is a `UNION`).
fn projection(sql: &str) -> Vec<(String, String)> {
    let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return vec![("?column?".into(), String::new())];
    };
    let Some(Statement::Query(q)) = statements.first() else {
        return vec![("?column?".into(), String::new())];
    };
    let mut body = q.body.as_ref();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left.as_ref(),
            SetExpr::Query(q) => body = q.body.as_ref(),
            _ => break,
        }
    }
    let SetExpr::Select(select) = body else {
        return vec![("?column?".into(), String::new())];
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias } => (alias.value.clone(), expr.to_string()),
            SelectItem::UnnamedExpr(e) => {
                let name = match e {
                    Expr::Identifier(i) => i.value.clone(),
                    Expr::CompoundIdentifier(parts) => {
                        parts.last().map(|p| p.value.clone()).unwrap_or_default()
                    }
                    Expr::Function(f) => f.name.0.last().map(|p| p.to_string()).unwrap_or_default(),
                    _ => "?column?".into(),
                };
                (name, e.to_string())
            }
            other => ("?column?".into(), other.to_string()),
        })
        .collect()
}

/// The OID a catalog query filters on (`c.oid = '16384'`, `a.attrelid = '16384'`).
fn oid_filter(lower: &str) -> Option<u32> {
    let mut rest = lower;
    while let Some(at) = rest.find("= '") {
        let after = &rest[at + 3..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && after[digits.len()..].starts_with('\'') {
            return digits.parse().ok();
        }
        rest = after;
    }
    None
}

/// Each column of a table: its name, wire type and description, from `DESCRIBE` (a
/// `string` column whose schema format is `date-time` is a timestamptz, as its values are
/// sent).
fn table_columns(engine: &Engine, t: &Table) -> Result<Vec<ColumnInfo>, PgWireError> {
    let source = Source {
        text: format!("DESCRIBE EXTENDED {DATABASE}.{}.{}", t.schema, t.name),
        line: 1,
        column: 1,
    };
    let plan = engine
        .plan_source(&source)
        .map_err(|e| pg_error(state::INTERNAL, e.to_string()))?;
    let Plan::Static(rows) = plan else {
        return Ok(Vec::new());
    };
    let at = |n: &str| rows.columns.iter().position(|c| c == n);
    let (Some(name), Some(ty)) = (at("name"), at("type")) else {
        return Ok(Vec::new());
    };
    let kind = at("kind");
    let desc = at("description");
    // The date-time columns of the resource's responses.
    let timestamps: Vec<String> = engine
        .registry()
        .service(DATABASE, &t.schema)
        .ok()
        .and_then(|service| {
            let resource = service.resources.iter().find(|r| r.name == t.name)?;
            Some(
                resource
                    .select_columns()
                    .into_iter()
                    .filter(|c| c.ty == "string" && c.format.as_deref() == Some("date-time"))
                    .map(|c| c.name.clone())
                    .collect(),
            )
        })
        .unwrap_or_default();
    Ok(rows
        .rows
        .iter()
        .map(|r| {
            let s = |i: Option<usize>| i.and_then(|i| r[i].as_str()).map(str::to_string);
            let column = s(Some(name)).unwrap_or_default();
            let is_column = s(kind).is_none_or(|k| k == "column");
            let ty = if is_column && timestamps.contains(&column) {
                Type::TIMESTAMPTZ
            } else {
                schema_pg_type(&s(Some(ty)).unwrap_or_default())
            };
            let description = match (s(kind), s(desc)) {
                (Some(k), Some(d)) if k != "column" => Some(format!("{k}: {d}")),
                (Some(k), None) if k != "column" => Some(k),
                (_, d) => d,
            };
            ColumnInfo {
                name: column,
                ty,
                description,
            }
        })
        .collect())
}

/// How PostgreSQL's `format_type` spells a type.
fn type_name(ty: &Type) -> String {
    match *ty {
        Type::INT8 => "bigint".into(),
        Type::FLOAT8 => "double precision".into(),
        Type::BOOL => "boolean".into(),
        Type::TIMESTAMPTZ => "timestamp with time zone".into(),
        _ => ty.name().to_string(),
    }
}

/// One cell of psql's column query (`\d` step 3), by the select item it answers.
fn attribute_cell(
    name: &str,
    expr: &str,
    column: &str,
    ty: &str,
    description: &Option<String>,
) -> Value {
    let e = expr.to_ascii_lowercase();
    if name == "attname" {
        Value::from(column)
    } else if e.contains("format_type") {
        Value::from(ty)
    } else if e.contains("attnotnull") {
        Value::from("f")
    } else if e.contains("attidentity") || e.contains("attgenerated") {
        Value::from("")
    } else if e.contains("attstorage") {
        Value::from("x")
    } else if e.contains("col_description") {
        description.clone().map_or(Value::Null, Value::from)
    } else {
        Value::Null
    }
}

/// One cell of psql's relation query (`\d` step 2): a plain table, without indexes, rules,
/// triggers, row security or options.
fn relation_cell(expr: &str) -> Value {
    let e = expr.to_ascii_lowercase();
    Value::from(if e.contains("relchecks") || e.contains("reltablespace") {
        "0"
    } else if e.contains("relkind") {
        "r"
    } else if e.contains("relpersistence") {
        "p"
    } else if e.contains("relreplident") {
        "d"
    } else if e.contains("amname") {
        "heap"
    } else if e.contains("reloptions") || e.contains("reloftype") {
        ""
    } else {
        "f"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_filters_are_read_from_psql_queries() {
        let q = "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(secrets)$' COLLATE pg_catalog.default AND n.nspname OPERATOR(pg_catalog.~) '^(apps)$'";
        assert_eq!(pattern_after(q, "relname").as_deref(), Some("^(secrets)$"));
        assert_eq!(oid_filter("where c.oid = '16390';"), Some(16390));
        assert_eq!(oid_filter("where c.relkind = 'r'"), None);
    }
}
