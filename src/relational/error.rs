//! Errors of the relational stage.
//!
//! SQLite's own messages are kept, and turned into a message that names the fix where the
//! fix is obvious (an unknown column lists the columns there are).

use thiserror::Error;

/// SQLite refused or failed a statement, or rows could not be loaded.
#[derive(Debug, Error)]
pub enum RelationalError {
    /// The statement names a column no loaded table has.
    #[error("unknown column {column} (available: {}){}{}",
        available.join(", "),
        suggestion.as_ref().map(|s| format!("; did you mean {s}?")).unwrap_or_default(),
        if *quoted { format!("; a string value needs single quotes: '{column}'") } else { String::new() })]
    UnknownColumn {
        /// The name as SQLite reported it (may carry a table qualifier).
        column: String,
        /// Columns of the loaded tables, in load order, without duplicates.
        available: Vec<String>,
        /// The closest available column, when one is close.
        suggestion: Option<String>,
        /// The statement wrote the name in double quotes, which SQL reads as an identifier.
        quoted: bool,
    },
    /// The column exists in a loaded table but not where the statement uses it.
    #[error(
        "column {column} is not visible here: select it in the subquery or CTE that feeds \
             this query, or qualify it with the right table alias"
    )]
    ColumnNotInScope {
        /// The name as SQLite reported it.
        column: String,
    },
    /// The statement names a table that was not loaded.
    #[error("unknown table {table} (loaded: {})", if loaded.is_empty() { "none".to_string() } else { loaded.join(", ") })]
    UnknownTable {
        /// The name as SQLite reported it.
        table: String,
        /// Tables loaded so far.
        loaded: Vec<String>,
    },
    /// A column name appears in more than one table of a join.
    #[error("ambiguous column {column}: qualify it with a table name or alias (e.g. a.{column})")]
    AmbiguousColumn {
        /// The unqualified name.
        column: String,
    },
    /// The statement does not produce rows or would change the database.
    #[error(
        "not a query: only statements that read rows (SELECT, WITH, VALUES) run over fetched rows"
    )]
    NotAQuery,
    /// Rows could not be loaded into a table.
    #[error("cannot load rows into table {table}: {message}")]
    Load {
        /// Table name.
        table: String,
        /// What went wrong and how to fix it.
        message: String,
    },
    /// Any other SQLite error, with SQLite's message.
    #[error("SQL error: {0}")]
    Sql(String),
}
