//! The relational stage: SQL over fetched rows, evaluated by embedded SQLite.
//!
//! Owns: loading fetched rows into in-memory tables (objects and arrays as JSON text) and
//! running the rewritten statement; converting results back to JSON values.
//! Must not: do network I/O.

mod error;

pub use error::RelationalError;
