//! Reusing in-memory databases between statements.
//!
//! Opening an in-memory SQLite database, reading its empty schema and creating a table cost
//! far more than the few rows a statement usually loads (about 300,000 instructions against
//! a few thousand). An [`Evaluator`](super::Evaluator) therefore takes a database from this
//! pool when one is free and gives it back, emptied of rows, when it is dropped; the tables
//! stay, so the next statement that loads a table of the same name and columns only inserts
//! its rows. Databases that held many rows are closed instead, so their memory goes back.
//!
//! Must not: keep rows. Every table of a pooled database is empty.

use std::sync::Mutex;

use rusqlite::Connection;

use super::load::LoadedColumn;

/// Most databases kept for reuse.
const CAPACITY: usize = 4;

/// Databases that loaded more rows than this in their use are closed, not pooled: SQLite
/// keeps the pages of deleted rows, so a pooled database keeps the size of its largest use.
pub(crate) const MAX_ROWS: usize = 2_000;

/// Most tables a pooled database may hold.
pub(crate) const MAX_TABLES: usize = 16;

/// An empty database and the (empty) tables it holds.
pub(crate) struct Pooled {
    /// The database.
    pub(crate) conn: Connection,
    /// Its tables and their columns.
    pub(crate) tables: Vec<(String, Vec<LoadedColumn>)>,
}

static POOL: Mutex<Vec<Pooled>> = Mutex::new(Vec::new());

/// A free database, if there is one.
pub(crate) fn take() -> Option<Pooled> {
    POOL.lock().ok()?.pop()
}

/// Gives a database back (closed instead when the pool is full).
pub(crate) fn put(db: Pooled) {
    if let Ok(mut pool) = POOL.lock() {
        if pool.len() < CAPACITY {
            pool.push(db);
        }
    }
}
