//! Loading fetched rows into an in-memory table.
//!
//! One transaction, one prepared (and cached) `INSERT` run once per row with its values
//! bound. A table that already has the right columns (a reused database) is emptied and
//! refilled rather than dropped and created again, which costs SQLite far more. (Binding
//! the whole array as one JSON parameter and selecting from `json_each` was measured too: on
//! 100,000 rows of 10 columns it took about 1 s against about 0.2 s for prepared inserts.)

use std::collections::HashSet;

use rusqlite::{types::Null, Connection, Statement};
use serde_json::{Map, Value};

use super::kind::Kind;
use super::RelationalError;
use crate::plan::bind::EXTRA_COLUMN;
use crate::plan::TableColumn;

/// A column as loaded: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadedColumn {
    /// Name, as in the provider (SQLite matches it case-insensitively).
    pub(crate) name: String,
    /// How values are stored.
    pub(crate) kind: Kind,
}

/// Quotes an SQL identifier: `"name"`, with inner quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The columns to create: the given ones without case-insensitive duplicates (the first
/// wins, as SQLite cannot hold two columns whose names differ only in case), or, when none
/// are given, the keys of the rows in first-seen order with kinds taken from their values.
pub(crate) fn plan_columns(
    columns: &[TableColumn],
    rows: &[Map<String, Value>],
) -> Vec<LoadedColumn> {
    let mut out: Vec<LoadedColumn> = Vec::with_capacity(columns.len());
    let push = |name: &str, kind: Kind, out: &mut Vec<LoadedColumn>| {
        if let Some(existing) = out.iter_mut().find(|c| c.name.eq_ignore_ascii_case(name)) {
            if existing.kind == Kind::Any {
                existing.kind = kind;
            }
        } else {
            out.push(LoadedColumn {
                name: name.to_string(),
                kind,
            });
        }
    };
    if columns.is_empty() {
        for row in rows {
            for (key, value) in row {
                push(key, Kind::of_value(value), &mut out);
            }
        }
    } else {
        for c in columns {
            push(&c.name, Kind::of_column(c), &mut out);
        }
    }
    out
}

/// The kind of the loaded column named exactly `name` among [`plan_columns`]`(columns, &[])`
/// (`None`: no such loaded column), worked out without building the whole list: a direct
/// query asks for a few columns of a table of dozens, once per statement.
pub(crate) fn loaded_kind(columns: &[TableColumn], name: &str) -> Option<Kind> {
    let mut group = columns.iter().filter(|c| c.name.eq_ignore_ascii_case(name));
    // The first column of the case-insensitive group names the loaded column.
    let first = group.next().filter(|c| c.name == name)?;
    // Its kind, unless untyped: then the next column's of the group, as `plan_columns` does.
    Some(group.fold(Kind::of_column(first), |kind, c| {
        if kind == Kind::Any {
            Kind::of_column(c)
        } else {
            kind
        }
    }))
}

/// How to make the table before inserting rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadMode {
    /// No table of that name exists: create it.
    Create,
    /// A table of that name exists with other columns: drop it and create it.
    Replace,
    /// The table exists with exactly these columns: delete its rows.
    Refill,
    /// The table exists with exactly these columns: add to its rows.
    Append,
}

/// Creates, replaces or empties `table` and inserts `rows`, in one transaction.
pub(crate) fn load_table(
    conn: &mut Connection,
    table: &str,
    columns: &[LoadedColumn],
    rows: &[Map<String, Value>],
    mode: LoadMode,
) -> rusqlite::Result<()> {
    let quoted = quote_ident(table);
    let tx = conn.transaction()?;
    match mode {
        LoadMode::Append => {}
        LoadMode::Refill => {
            tx.prepare_cached(&format!("DELETE FROM {quoted}"))?
                .raw_execute()?;
        }
        LoadMode::Replace | LoadMode::Create => {
            let defs: Vec<String> = columns
                .iter()
                .map(|c| {
                    format!("{} {}", quote_ident(&c.name), c.kind.decl())
                        .trim_end()
                        .to_string()
                })
                .collect();
            let drop = if mode == LoadMode::Replace {
                format!("DROP TABLE IF EXISTS {quoted}; ")
            } else {
                String::new()
            };
            tx.execute_batch(&format!(
                "{drop}CREATE TABLE {quoted} ({});",
                defs.join(", ")
            ))?;
        }
    }
    if rows.is_empty() {
        return tx.commit();
    }
    {
        let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let mut insert = tx.prepare_cached(&format!(
            "INSERT INTO {quoted} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        ))?;
        let extra = columns.iter().position(|c| c.name == EXTRA_COLUMN);
        let declared: HashSet<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for row in rows {
            for (i, column) in columns.iter().enumerate() {
                if Some(i) == extra && !row.contains_key(EXTRA_COLUMN) {
                    let rest = undeclared(&declared, row);
                    bind(&mut insert, i + 1, rest.as_ref())?;
                } else {
                    bind(&mut insert, i + 1, row.get(&column.name))?;
                }
            }
            insert.raw_execute()?;
        }
    }
    tx.commit()
}

/// The fields of `row` that no column holds, as one object; `None` when there are none.
pub(crate) fn undeclared(declared: &HashSet<&str>, row: &Map<String, Value>) -> Option<Value> {
    // Most rows have every field declared: nothing is allocated for them.
    if row.keys().all(|k| declared.contains(k.as_str())) {
        return None;
    }
    let rest: Map<String, Value> = row
        .iter()
        .filter(|(k, _)| !declared.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Value::Object(rest))
}

/// Binds one JSON value: null/missing → NULL, booleans → 0/1, numbers → INTEGER or REAL,
/// strings → TEXT, objects and arrays → compact JSON text.
fn bind(stmt: &mut Statement<'_>, index: usize, value: Option<&Value>) -> rusqlite::Result<()> {
    match value {
        None | Some(Value::Null) => stmt.raw_bind_parameter(index, Null),
        Some(Value::Bool(b)) => stmt.raw_bind_parameter(index, i64::from(*b)),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => stmt.raw_bind_parameter(index, i),
            None => stmt.raw_bind_parameter(index, n.as_f64()),
        },
        Some(Value::String(s)) => stmt.raw_bind_parameter(index, s.as_str()),
        Some(v) => {
            // Serializing a `Value` cannot fail.
            let text = serde_json::to_string(v).unwrap_or_default();
            stmt.raw_bind_parameter(index, text.as_str())
        }
    }
}

/// The error for a failed load, with the fix when it is known.
pub(crate) fn load_error(table: &str, err: rusqlite::Error) -> RelationalError {
    let message = super::sqlite_message(&err);
    let message = if message.contains("reserved for internal use") {
        format!("{message}; choose a table name that does not start with sqlite_")
    } else {
        message
    };
    RelationalError::Load {
        table: table.to_string(),
        message,
    }
}

#[cfg(test)]
mod undeclared_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_no_column_holds() {
        let declared: HashSet<&str> = ["id", "status"].into_iter().collect();
        let row = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            undeclared(&declared, &row(json!({"id": 1, "status": "A"}))),
            None
        );
        assert_eq!(undeclared(&declared, &row(json!({"id": 1}))), None);
        assert_eq!(
            undeclared(
                &declared,
                &row(json!({"id": 1, "name": "x", "Id": 2, "settings": {"a": [1]}, "n": null}))
            ),
            Some(json!({"name": "x", "Id": 2, "settings": {"a": [1]}, "n": null}))
        );
    }
}

#[cfg(test)]
mod loaded_kind_tests {
    use super::*;
    use proptest::prelude::*;

    fn column(name: &str, ty: &str, format: Option<&str>) -> TableColumn {
        TableColumn {
            name: name.into(),
            ty: ty.into(),
            format: format.map(str::to_string),
        }
    }

    /// What `loaded_kind` replaces: the whole list, then the column of that exact name.
    fn by_list(columns: &[TableColumn], name: &str) -> Option<Kind> {
        plan_columns(columns, &[])
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.kind)
    }

    #[test]
    fn the_first_spelling_names_the_column_and_an_untyped_one_takes_the_next_kind() {
        let cols = [
            column("id", "", None),
            column("ID", "string", None),
            column("Id", "integer", None),
            column("created", "string", Some("date-time")),
        ];
        assert_eq!(loaded_kind(&cols, "id"), Some(Kind::Text));
        assert_eq!(loaded_kind(&cols, "ID"), None, "not the loaded spelling");
        assert_eq!(loaded_kind(&cols, "created"), Some(Kind::Timestamp));
        assert_eq!(loaded_kind(&cols, "missing"), None);
    }

    proptest! {
        /// For any columns and any name, the kind is the one the whole list gives.
        #[test]
        fn the_kind_is_the_one_the_loaded_list_gives(
            cols in prop::collection::vec(
                (
                    prop::sample::select(vec!["id", "ID", "Id", "name", "NAME", "x"]),
                    prop::sample::select(vec!["", "string", "String ", "integer", "number", "boolean", "object", "array", "weird"]),
                    prop::option::of(prop::sample::select(vec!["date-time", "uri"])),
                ),
                0..8,
            ),
            name in prop::sample::select(vec!["id", "ID", "Id", "iD", "name", "NAME", "x", "X", "y"]),
        ) {
            let cols: Vec<TableColumn> = cols.iter().map(|(n, t, f)| column(n, t, *f)).collect();
            prop_assert_eq!(loaded_kind(&cols, name), by_list(&cols, name));
        }
    }
}
