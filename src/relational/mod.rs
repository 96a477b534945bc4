//! The relational stage: SQL over fetched rows, evaluated by embedded SQLite.
//!
//! Owns: loading fetched rows into in-memory tables (objects and arrays as JSON text, so
//! `json_extract` and `json_each` work on them) and running the rewritten statement;
//! converting results back to JSON values with their types (objects stay objects, integers
//! stay integers, booleans come back as booleans).
//! Must not: do network I/O, or evaluate SQL itself: every query is SQLite's.
//!
//! How types survive the trip: each loaded column is declared with a type that names its
//! kind (`TEXT`, `INTEGER`, `REAL`, `BOOLEAN`, `JSON TEXT`). SQLite reports the declared type
//! of each result column that is a plain column reference, through aliases, subqueries and
//! CTEs, so a `string` column is never reinterpreted even if its text looks like JSON, and an
//! `object` column always comes back as an object. Expressions have no declared type: their
//! text is read back as JSON only when it is a JSON object or array (as `json_extract` and
//! `json_group_array` return).

mod error;
mod kind;
mod load;

#[cfg(test)]
mod tests;

use rusqlite::{config::DbConfig, Connection};
use serde_json::{Map, Value};

pub use error::RelationalError;
use kind::Kind;
use load::LoadedColumn;

use crate::plan::TableColumn;
use crate::rows::Rows;

/// An in-memory SQLite database holding the fetched tables of one statement.
#[derive(Debug)]
pub struct Evaluator {
    conn: Connection,
    /// Loaded tables and their columns, in load order.
    tables: Vec<(String, Vec<LoadedColumn>)>,
}

impl Evaluator {
    /// Opens an empty in-memory database.
    ///
    /// Double-quoted strings are identifiers only (as in standard SQL and our parser), and
    /// the defensive mode is on.
    pub fn new() -> Result<Evaluator, RelationalError> {
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open_in_memory()?;
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
            Ok(conn)
        };
        let conn = open().map_err(|e| {
            RelationalError::Sql(format!("cannot open the in-memory database: {e}"))
        })?;
        Ok(Evaluator {
            conn,
            tables: Vec::new(),
        })
    }

    /// Creates (or replaces) table `name` with the given columns and loads the rows.
    ///
    /// Each row is a JSON object keyed by column name (exact case). A missing key is NULL;
    /// objects and arrays are stored as JSON text; booleans as 0/1; numbers as INTEGER or
    /// REAL; strings as TEXT. Columns whose names differ only in case are loaded once (the
    /// first wins). With no columns given, the columns are the keys of the rows.
    pub fn load(
        &mut self,
        name: &str,
        columns: &[TableColumn],
        rows: &[Map<String, Value>],
    ) -> Result<(), RelationalError> {
        let planned = load::plan_columns(columns, rows);
        if planned.is_empty() {
            return Err(RelationalError::Load {
                table: name.to_string(),
                message: "the table has no columns and no rows to take them from; \
                          give the method a response schema"
                    .to_string(),
            });
        }
        load::load_table(&mut self.conn, name, &planned, rows)
            .map_err(|e| load::load_error(name, e))?;
        self.tables.retain(|(t, _)| !t.eq_ignore_ascii_case(name));
        self.tables.push((name.to_string(), planned));
        Ok(())
    }

    /// Runs a query and returns its rows, with JSON types preserved.
    ///
    /// Only statements that read rows run (`SELECT`, `WITH`, `VALUES`); the column names are
    /// known even when no row matches.
    pub fn query(&self, sql: &str) -> Result<Rows, RelationalError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.diagnose(e, sql))?;
        if stmt.column_count() == 0 || !stmt.readonly() {
            return Err(RelationalError::NotAQuery);
        }
        let columns: Vec<String> = stmt.column_names().map(String::from).collect();
        let kinds: Vec<Kind> = stmt
            .columns()
            .map(|c| Kind::from_decl(c.decl_type()))
            .collect();
        let mut out = Rows::new(columns);
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| self.diagnose(e, sql))? {
            let mut cells = Vec::with_capacity(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                let value = row.get_ref(i).map_err(|e| self.diagnose(e, sql))?;
                cells.push(kind.to_json(value));
            }
            out.rows.push(cells);
        }
        Ok(out)
    }

    /// Names of the loaded tables, in load order.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|(t, _)| t.as_str())
    }

    /// Column names of every loaded table, in load order, without case-insensitive duplicates.
    fn available_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, columns) in &self.tables {
            for c in columns {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&c.name)) {
                    out.push(c.name.clone());
                }
            }
        }
        out
    }

    /// Turns a SQLite error into a [`RelationalError`] that names the fix when it is known.
    fn diagnose(&self, err: rusqlite::Error, sql: &str) -> RelationalError {
        let message = sqlite_message(&err);
        if let Some(column) = message.strip_prefix("no such column: ") {
            // Recent SQLite adds a hint to double-quoted names; we give our own.
            let (column, hinted) = match column.split_once(" - should this be") {
                Some((c, _)) => (c.trim_matches('"'), true),
                None => (column, false),
            };
            let bare = column.rsplit_once('.').map_or(column, |(_, c)| c);
            let available = self.available_columns();
            if available.iter().any(|a| a.eq_ignore_ascii_case(bare)) && !hinted {
                return RelationalError::ColumnNotInScope {
                    column: column.to_string(),
                };
            }
            let suggestion = closest(bare, &available);
            let quoted = hinted || sql.contains(&format!("\"{bare}\""));
            return RelationalError::UnknownColumn {
                column: column.to_string(),
                available,
                suggestion,
                quoted,
            };
        }
        if let Some(table) = message.strip_prefix("no such table: ") {
            return RelationalError::UnknownTable {
                table: table.to_string(),
                loaded: self.tables().map(String::from).collect(),
            };
        }
        if let Some(column) = message.strip_prefix("ambiguous column name: ") {
            return RelationalError::AmbiguousColumn {
                column: column.to_string(),
            };
        }
        RelationalError::Sql(message)
    }
}

/// SQLite's own message for an error, without rusqlite's decoration.
fn sqlite_message(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::MultipleStatement => {
            "only one statement can run at a time; split the statements with ';'".to_string()
        }
        other => other.to_string(),
    }
}

/// The available name closest to `name`, when it is close enough to be a likely typo.
fn closest(name: &str, available: &[String]) -> Option<String> {
    let name = name.to_lowercase();
    available
        .iter()
        .map(|a| {
            (
                strsim::normalized_damerau_levenshtein(&name, &a.to_lowercase()),
                a,
            )
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a.clone())
}
