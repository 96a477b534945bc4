//! Cursors: `DECLARE name CURSOR FOR query`, `FETCH n FROM name`, `MOVE … IN name`,
//! `CLOSE name`, as PostgreSQL's `postgres_fdw` reads a foreign table. The query runs when
//! the cursor is declared; its rows are kept on the connection until it is closed (at most
//! [`MAX_CURSORS`] cursors per connection).

use std::collections::HashMap;
use std::sync::Mutex;

use pgwire::error::PgWireError;
use serde_json::Value;

use super::error::{pg_error, state};
use super::types::Col;

/// Open cursors per connection.
pub const MAX_CURSORS: usize = 64;

/// One open cursor: its columns, rows and how many were fetched.
#[derive(Debug)]
pub(crate) struct Cursor {
    cols: Vec<Col>,
    rows: Vec<Vec<Value>>,
    at: usize,
}

/// The open cursors of one connection, by lower-case name.
pub(crate) type Cursors = Mutex<HashMap<String, Cursor>>;

/// A cursor statement, parsed.
#[derive(Debug, PartialEq)]
pub(crate) enum CursorStatement<'a> {
    /// `DECLARE name … CURSOR … FOR query`.
    Declare {
        /// Cursor name.
        name: String,
        /// The query.
        query: &'a str,
    },
    /// `FETCH`/`MOVE` (`moves`: no rows returned): `count` rows forward (`None`: all),
    /// or back to the start (`rewind`).
    Fetch {
        /// Cursor name.
        name: String,
        /// Rows to step over; `None` is ALL.
        count: Option<usize>,
        /// `BACKWARD ALL`, `ABSOLUTE 0`: back to before the first row.
        rewind: bool,
        /// `MOVE`: step without returning rows.
        moves: bool,
    },
    /// `CLOSE name` or `CLOSE ALL` (`None`).
    Close(Option<String>),
}

/// The cursor statement `sql` is, if it is one.
pub(crate) fn parse(sql: &str) -> Option<Result<CursorStatement<'_>, PgWireError>> {
    let sql = sql.trim().trim_end_matches(';').trim();
    let first = sql.split_whitespace().next()?.to_ascii_uppercase();
    let bad = |what: &str| {
        Some(Err(pg_error(
            state::SYNTAX,
            format!("cannot read this {what} statement: {sql}"),
        )))
    };
    match first.as_str() {
        "DECLARE" => {
            // The query follows the first word FOR (the options before it never hold one).
            let mut words = sql
                .split_whitespace()
                .map(|w| (w.as_ptr() as usize - sql.as_ptr() as usize, w));
            let name = words.nth(1)?.1;
            let Some((at, _)) = words.find(|(_, w)| w.eq_ignore_ascii_case("FOR")) else {
                return bad("DECLARE");
            };
            Some(Ok(CursorStatement::Declare {
                name: unquote(name),
                query: sql[at + 3..].trim(),
            }))
        }
        "FETCH" | "MOVE" => {
            let words: Vec<&str> = sql.split_whitespace().skip(1).collect();
            let Some(name) = words.last() else {
                return bad(&first);
            };
            let upper: Vec<String> = words[..words.len() - 1]
                .iter()
                .map(|w| w.to_ascii_uppercase())
                .filter(|w| w != "FROM" && w != "IN")
                .collect();
            let rewind = upper
                .iter()
                .any(|w| w == "BACKWARD" || w == "ABSOLUTE" || w == "FIRST");
            let count = if upper.iter().any(|w| w == "ALL") {
                None
            } else {
                match upper.iter().find_map(|w| w.parse::<usize>().ok()) {
                    Some(n) => Some(n),
                    None => Some(1),
                }
            };
            Some(Ok(CursorStatement::Fetch {
                name: unquote(name),
                count,
                rewind,
                moves: first == "MOVE",
            }))
        }
        "CLOSE" => {
            let name = sql.split_whitespace().nth(1)?;
            Some(Ok(CursorStatement::Close(
                (!name.eq_ignore_ascii_case("ALL")).then(|| unquote(name)),
            )))
        }
        _ => None,
    }
}

/// A cursor name as PostgreSQL folds it.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None => name.to_ascii_lowercase(),
    }
}

/// Opens cursor `name` over a result.
pub(crate) fn declare(
    cursors: &Cursors,
    name: String,
    cols: Vec<Col>,
    rows: Vec<Vec<Value>>,
) -> Result<(), PgWireError> {
    let mut open = cursors.lock().unwrap_or_else(|e| e.into_inner());
    if open.contains_key(&name) {
        return Err(pg_error(
            "42P03",
            format!("cursor \"{name}\" already exists: CLOSE it first"),
        ));
    }
    if open.len() >= MAX_CURSORS {
        return Err(pg_error(
            state::LIMIT,
            format!("at most {MAX_CURSORS} cursors may be open on one connection: CLOSE some"),
        ));
    }
    open.insert(name, Cursor { cols, rows, at: 0 });
    Ok(())
}

/// Steps cursor `name`: its columns and the rows stepped over.
pub(crate) fn fetch(
    cursors: &Cursors,
    name: &str,
    count: Option<usize>,
    rewind: bool,
) -> Result<(Vec<Col>, Vec<Vec<Value>>), PgWireError> {
    let mut open = cursors.lock().unwrap_or_else(|e| e.into_inner());
    let Some(c) = open.get_mut(name) else {
        return Err(pg_error(
            "34000",
            format!("cursor \"{name}\" does not exist"),
        ));
    };
    if rewind {
        c.at = 0;
        return Ok((c.cols.clone(), Vec::new()));
    }
    let end = match count {
        Some(n) => c.at.saturating_add(n).min(c.rows.len()),
        None => c.rows.len(),
    };
    let rows = c.rows[c.at..end].to_vec();
    c.at = end;
    Ok((c.cols.clone(), rows))
}

/// Closes cursor `name`, or all.
pub(crate) fn close(cursors: &Cursors, name: Option<&str>) {
    let mut open = cursors.lock().unwrap_or_else(|e| e.into_inner());
    match name {
        Some(n) => {
            open.remove(n);
        }
        None => open.clear(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_fdw_cursor_statements_are_read() {
        assert_eq!(
            parse("DECLARE c1 CURSOR FOR\nSELECT id FROM apps.secrets")
                .unwrap()
                .unwrap(),
            CursorStatement::Declare {
                name: "c1".into(),
                query: "SELECT id FROM apps.secrets"
            }
        );
        assert_eq!(
            parse("FETCH 100 FROM c1").unwrap().unwrap(),
            CursorStatement::Fetch {
                name: "c1".into(),
                count: Some(100),
                rewind: false,
                moves: false
            }
        );
        assert_eq!(
            parse("MOVE BACKWARD ALL IN c1").unwrap().unwrap(),
            CursorStatement::Fetch {
                name: "c1".into(),
                count: None,
                rewind: true,
                moves: true
            }
        );
        assert_eq!(
            parse("CLOSE c1").unwrap().unwrap(),
            CursorStatement::Close(Some("c1".into()))
        );
        assert!(parse("SELECT 1").is_none());
    }

    #[test]
    fn fetch_steps_through_the_rows() {
        let cursors = Cursors::default();
        let rows: Vec<Vec<Value>> = (0..5).map(|i| vec![Value::from(i)]).collect();
        declare(&cursors, "c".into(), vec![Col::text("n")], rows).unwrap();
        assert_eq!(fetch(&cursors, "c", Some(2), false).unwrap().1.len(), 2);
        assert_eq!(fetch(&cursors, "c", Some(10), false).unwrap().1.len(), 3);
        assert_eq!(fetch(&cursors, "c", Some(10), false).unwrap().1.len(), 0);
        fetch(&cursors, "c", None, true).unwrap();
        assert_eq!(fetch(&cursors, "c", None, false).unwrap().1.len(), 5);
        close(&cursors, Some("c"));
        assert!(fetch(&cursors, "c", None, false).is_err());
    }
}
