//! The relational stage: SQL over fetched rows, evaluated by embedded SQLite.
//!
//! Owns: loading fetched rows into in-memory tables (objects and arrays as JSON text, so
//! `json_extract` and `json_each` work on them) and running the rewritten statement;
//! converting results back to JSON values with their types (objects stay objects, integers
//! stay integers, booleans come back as booleans).
//! Must not: do network I/O, or evaluate SQL itself: every query is SQLite's. The one
//! shortcut, [`project`], picks columns and compares text for the simplest queries only
//! when it can prove the result is the one SQLite would give, and otherwise declines.
//!
//! How types survive the trip: each loaded column is declared with a type that names its
//! kind (`TEXT`, `INTEGER`, `REAL`, `BOOLEAN`, `JSON TEXT`). SQLite reports the declared type
//! of each result column that is a plain column reference, through aliases, subqueries and
//! CTEs, so a `string` column is never reinterpreted even if its text looks like JSON, and an
//! `object` column always comes back as an object. Expressions have no declared type: their
//! text is read back as JSON only when it is a JSON object or array (as `json_extract` and
//! `json_group_array` return).

mod direct;
mod error;
mod kind;
mod load;
mod pool;

#[cfg(test)]
mod tests;

use std::cell::RefCell;

use rusqlite::{config::DbConfig, Connection};
use serde_json::{Map, Value};

pub use direct::project;
pub use error::RelationalError;
pub use kind::ColumnType;
use kind::Kind;
use load::{LoadMode, LoadedColumn};

use crate::plan::TableColumn;
use crate::rows::Rows;

/// An in-memory SQLite database holding the fetched tables of one statement.
///
/// Databases are reused: dropping an evaluator empties its tables and keeps the database
/// for the next one (see `pool`), which makes a statement's relational stage cost
/// microseconds rather than the hundreds that opening a database and creating its tables
/// take. What a query sees is the same either way: only the tables this evaluator loaded.
#[derive(Debug)]
pub struct Evaluator {
    /// Always `Some` until the evaluator is dropped.
    conn: Option<Connection>,
    /// Loaded tables and their columns, in load order.
    tables: Vec<(String, Vec<LoadedColumn>)>,
    /// Empty tables left in a reused database by earlier statements and not loaded by this
    /// one: dropped before the first query, so a query cannot see them.
    leftover: RefCell<Vec<(String, Vec<LoadedColumn>)>>,
    /// Rows loaded so far (a database that held many is closed, not reused).
    rows_loaded: usize,
}

impl Evaluator {
    /// An empty in-memory database: a reused one when one is free, else a new one.
    ///
    /// Double-quoted strings are identifiers only (as in standard SQL and our parser), and
    /// the defensive mode is on.
    pub fn new() -> Result<Evaluator, RelationalError> {
        if let Some(db) = pool::take() {
            return Ok(Evaluator {
                conn: Some(db.conn),
                tables: Vec::new(),
                leftover: RefCell::new(db.tables),
                rows_loaded: 0,
            });
        }
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
            conn: Some(conn),
            tables: Vec::new(),
            leftover: RefCell::new(Vec::new()),
            rows_loaded: 0,
        })
    }

    /// The database (present for the evaluator's whole life).
    fn conn(&self) -> Result<&Connection, RelationalError> {
        self.conn
            .as_ref()
            .ok_or_else(|| RelationalError::Sql("the in-memory database is closed".into()))
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
        // An existing table of that name (left by an earlier statement, or loaded before by
        // this one) is emptied and refilled when its columns are the same, else replaced.
        let same_name = |(t, _): &(String, Vec<LoadedColumn>)| t.eq_ignore_ascii_case(name);
        let existing = {
            let mut leftover = self.leftover.borrow_mut();
            match leftover.iter().position(same_name) {
                Some(i) => Some(leftover.remove(i)),
                None => self.tables.iter().find(|t| same_name(t)).cloned(),
            }
        };
        let mode = match existing {
            Some((t, cols)) if t == name && cols == planned => LoadMode::Refill,
            Some(_) => LoadMode::Replace,
            None => LoadMode::Create,
        };
        let conn = self.conn.as_mut().ok_or_else(|| RelationalError::Load {
            table: name.to_string(),
            message: "the in-memory database is closed".into(),
        })?;
        let loaded = load::load_table(conn, name, &planned, rows, mode);
        self.tables.retain(|t| !same_name(t));
        if let Err(e) = loaded {
            // The table may be half made: drop it, so a later load starts afresh.
            let _ =
                conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", load::quote_ident(name)));
            return Err(load::load_error(name, e));
        }
        self.rows_loaded += rows.len();
        self.tables.push((name.to_string(), planned));
        Ok(())
    }

    /// Adds rows to table `name`, loaded before by [`Evaluator::load`] (with its columns):
    /// the rows of a long list can go in page by page as they arrive.
    pub fn append(
        &mut self,
        name: &str,
        rows: &[Map<String, Value>],
    ) -> Result<(), RelationalError> {
        let Some((table, columns)) = self
            .tables
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(name))
        else {
            return Err(RelationalError::Load {
                table: name.to_string(),
                message: "rows were appended to a table that was not loaded; load it first"
                    .to_string(),
            });
        };
        if rows.is_empty() {
            return Ok(());
        }
        let conn = self.conn.as_mut().ok_or_else(|| RelationalError::Load {
            table: name.to_string(),
            message: "the in-memory database is closed".into(),
        })?;
        load::load_table(conn, table, columns, rows, LoadMode::Append)
            .map_err(|e| load::load_error(name, e))?;
        self.rows_loaded += rows.len();
        Ok(())
    }

    /// Runs a query and returns its rows, with JSON types preserved.
    ///
    /// Only statements that read rows run (`SELECT`, `WITH`, `VALUES`); the column names are
    /// known even when no row matches. This is [`Evaluator::query_each`] keeping every row.
    pub fn query(&self, sql: &str) -> Result<Rows, RelationalError> {
        self.query_each(
            sql,
            |columns| Ok(Rows::new(columns.to_vec())),
            |out, cells| {
                out.rows.push(std::mem::take(cells));
                Ok(())
            },
        )
    }

    /// Runs a query and hands its rows over one at a time, as SQLite steps through them, so
    /// that a large result is never held whole.
    ///
    /// `start` gets the column names once, before the first row (also when no row matches),
    /// and returns a state; `row` then gets that state and each row's cells, converted as
    /// [`Evaluator::query`] converts them (the same JSON types; objects stay objects). `row`
    /// may keep the cells by taking them out of the vector (`std::mem::take`), which is
    /// otherwise reused for the next row. The state is returned at the end. An error from
    /// either callback stops the query and is returned as it is.
    pub fn query_each<S, E>(
        &self,
        sql: &str,
        start: impl FnOnce(&[String]) -> Result<S, E>,
        mut row: impl FnMut(&mut S, &mut Vec<Value>) -> Result<(), E>,
    ) -> Result<S, E>
    where
        E: From<RelationalError>,
    {
        let conn = self.conn()?;
        self.drop_leftovers(conn)?;
        let mut stmt = conn.prepare(sql).map_err(|e| self.diagnose(e, sql))?;
        if stmt.column_count() == 0 || !stmt.readonly() {
            return Err(RelationalError::NotAQuery.into());
        }
        let columns: Vec<String> = stmt.column_names().map(String::from).collect();
        let kinds: Vec<Kind> = stmt
            .columns()
            .map(|c| Kind::from_decl(c.decl_type()))
            .collect();
        let mut state = start(&columns)?;
        let mut cells: Vec<Value> = Vec::with_capacity(kinds.len());
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next().map_err(|e| self.diagnose(e, sql))? {
            cells.clear();
            cells.reserve(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                let value = r.get_ref(i).map_err(|e| self.diagnose(e, sql))?;
                cells.push(kind.to_json(value));
            }
            row(&mut state, &mut cells)?;
        }
        Ok(state)
    }

    /// The names and types of a query's result columns, without running it (the tables may
    /// be empty): a plain column reference has its column's type, an expression
    /// [`ColumnType::Any`].
    pub fn describe(&self, sql: &str) -> Result<Vec<(String, ColumnType)>, RelationalError> {
        let conn = self.conn()?;
        self.drop_leftovers(conn)?;
        let stmt = conn.prepare(sql).map_err(|e| self.diagnose(e, sql))?;
        if stmt.column_count() == 0 || !stmt.readonly() {
            return Err(RelationalError::NotAQuery);
        }
        Ok(stmt
            .columns()
            .map(|c| {
                let ty = Kind::from_decl(c.decl_type()).column_type();
                (c.name().to_string(), ty)
            })
            .collect())
    }

    /// Drops the tables an earlier statement left, so that queries see only this one's.
    fn drop_leftovers(&self, conn: &Connection) -> Result<(), RelationalError> {
        let mut leftover = self.leftover.borrow_mut();
        if leftover.is_empty() {
            return Ok(());
        }
        let sql: String = leftover
            .iter()
            .map(|(t, _)| format!("DROP TABLE IF EXISTS {};", load::quote_ident(t)))
            .collect();
        leftover.clear();
        conn.execute_batch(&sql)
            .map_err(|e| RelationalError::Sql(sqlite_message(&e)))
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
            let suggestion = crate::provider::nearest(bare, available.iter().map(String::as_str))
                .map(str::to_string);
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

impl Drop for Evaluator {
    /// Empties the tables and gives the database back to the pool, unless it held many rows
    /// (its memory is then returned by closing it) or something about it is unusual.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut tables = std::mem::take(&mut self.tables);
        tables.append(self.leftover.get_mut());
        if self.rows_loaded > pool::MAX_ROWS
            || tables.len() > pool::MAX_TABLES
            || !conn.is_autocommit()
        {
            return;
        }
        for (t, _) in &tables {
            let emptied = conn
                .prepare_cached(&format!("DELETE FROM {}", load::quote_ident(t)))
                .and_then(|mut stmt| stmt.raw_execute());
            if emptied.is_err() {
                return;
            }
        }
        pool::put(pool::Pooled { conn, tables });
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
