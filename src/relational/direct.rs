//! Answering a [`DirectQuery`] from fetched rows without SQLite.
//!
//! The planner recognises queries that only pick columns of one table and compare columns
//! with text. Their result is what SQLite would return after loading the rows, provided
//! each value comes back from SQLite unchanged, which depends on the value and its column's
//! kind (a string in an `integer` column would be converted, a boolean in an untyped column
//! would come back as 0/1, text that looks like JSON in an untyped column would come back
//! parsed). [`project`] checks every value it touches and gives up — returning `None`, so
//! the caller runs the query in SQLite — on any value it cannot prove is returned as is.

use serde_json::{Map, Value};

use super::kind::Kind;
use super::load::loaded_kind;
use crate::plan::bind::EXTRA_COLUMN;
use crate::plan::{DirectQuery, TableColumn};
use crate::rows::Rows;

/// The result of `query` over `rows` of a table with `columns`, or `None` when only SQLite
/// can say exactly what it is.
pub fn project(
    columns: &[TableColumn],
    rows: &[Map<String, Value>],
    query: &DirectQuery,
) -> Option<Rows> {
    let kind_of = |name: &str| loaded_kind(columns, name).ok_or(());
    // The undeclared fields are gathered as SQLite loads the row.
    if query.columns.iter().any(|c| c.source == EXTRA_COLUMN)
        || query.conditions.iter().any(|c| c.column == EXTRA_COLUMN)
    {
        return None;
    }
    let outputs: Vec<(&str, Kind)> = query
        .columns
        .iter()
        .map(|c| kind_of(&c.source).map(|k| (c.source.as_str(), k)))
        .collect::<Result<_, ()>>()
        .ok()?;
    // A text literal compares as text only with columns without a numeric affinity.
    for c in &query.conditions {
        if !matches!(
            kind_of(&c.column).ok()?,
            Kind::Text | Kind::Timestamp | Kind::Any
        ) {
            return None;
        }
    }
    let mut out = Rows::new(query.columns.iter().map(|c| c.name.clone()).collect());
    for row in rows {
        let mut keep = true;
        for c in &query.conditions {
            match row.get(&c.column) {
                // NULL = 'x' is not true: the row is left out.
                None | Some(Value::Null) => keep = false,
                Some(Value::String(s)) => keep &= c.values.iter().any(|v| v == s),
                Some(_) => return None,
            }
        }
        if !keep {
            continue;
        }
        let mut cells = Vec::with_capacity(outputs.len());
        for (name, kind) in &outputs {
            cells.push(unchanged(*kind, row.get(*name))?);
        }
        out.rows.push(cells);
    }
    Some(out)
}

/// `value` as SQLite returns it from a column of `kind`, when that is the value itself.
fn unchanged(kind: Kind, value: Option<&Value>) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let looks_structured = |s: &str| {
        let t = s.trim_start();
        t.starts_with('{') || t.starts_with('[')
    };
    let same = match (kind, value) {
        (_, Value::Null) => true,
        (Kind::Text | Kind::Timestamp, Value::String(_)) => true,
        (Kind::Json | Kind::Any, Value::String(s)) => !looks_structured(s),
        (Kind::Json | Kind::Any, Value::Object(_) | Value::Array(_)) => true,
        (Kind::Integer | Kind::Any, Value::Number(n)) => n.is_i64(),
        (Kind::Boolean, Value::Bool(_)) => true,
        _ => false,
    };
    same.then(|| value.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{DirectColumn, DirectCondition};
    use crate::relational::Evaluator;

    fn columns() -> Vec<TableColumn> {
        [
            ("id", "string"),
            ("status", "string"),
            ("count", "integer"),
            ("enabled", "boolean"),
            ("_links", "object"),
            ("extra", ""),
            ("ratio", "number"),
            ("appId", "string"),
        ]
        .iter()
        .map(|(n, t)| TableColumn {
            name: n.to_string(),
            ty: t.to_string(),
            format: None,
        })
        .collect()
    }

    fn col(source: &str, name: &str) -> DirectColumn {
        DirectColumn {
            source: source.into(),
            name: name.into(),
        }
    }

    fn rows(values: Vec<Value>) -> Vec<Map<String, Value>> {
        values
            .into_iter()
            .map(|v| v.as_object().cloned().unwrap_or_default())
            .collect()
    }

    /// The same query through SQLite.
    fn via_sqlite(rows: &[Map<String, Value>], query: &DirectQuery) -> Rows {
        let mut ev = Evaluator::new().unwrap();
        ev.load("t0", &columns(), rows).unwrap();
        let items: Vec<String> = query
            .columns
            .iter()
            .map(|c| format!("\"{}\" AS \"{}\"", c.source, c.name))
            .collect();
        let mut sql = format!("SELECT {} FROM t0", items.join(", "));
        for (i, c) in query.conditions.iter().enumerate() {
            let values: Vec<String> = c.values.iter().map(|v| format!("'{v}'")).collect();
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(&format!("\"{}\" IN ({})", c.column, values.join(", ")));
        }
        ev.query(&sql).unwrap()
    }

    #[test]
    fn picks_columns_and_filters_like_sqlite() {
        let data = rows(vec![
            json!({"id": "a", "status": "ACTIVE", "count": 3, "enabled": true,
                   "_links": {"x": {"href": "h"}}, "extra": "plain", "appId": "0oa1"}),
            json!({"id": "b", "status": "INACTIVE", "count": null, "enabled": false,
                   "_links": [1, 2], "extra": 7, "appId": "0oa1"}),
            json!({"id": "c", "status": "ACTIVE", "appId": "0oa2"}),
            json!({"id": "d", "appId": "0oa1"}),
        ]);
        let query = DirectQuery {
            columns: vec![
                col("id", "id"),
                col("count", "n"),
                col("enabled", "enabled"),
                col("_links", "_links"),
                col("extra", "extra"),
            ],
            conditions: vec![DirectCondition {
                column: "appId".into(),
                values: vec!["0oa1".into()],
            }],
        };
        let direct = project(&columns(), &data, &query).expect("direct");
        assert_eq!(direct, via_sqlite(&data, &query));
        assert_eq!(direct.rows.len(), 3);
        assert_eq!(direct.columns[1], "n");
        assert_eq!(direct.rows[0][3], json!({"x": {"href": "h"}}));

        let active = DirectQuery {
            columns: vec![col("id", "id")],
            conditions: vec![DirectCondition {
                column: "status".into(),
                values: vec!["ACTIVE".into(), "PENDING".into()],
            }],
        };
        let direct = project(&columns(), &data, &active).expect("direct");
        assert_eq!(direct, via_sqlite(&data, &active));
        assert_eq!(direct.rows, vec![vec![json!("a")], vec![json!("c")]]);
    }

    #[test]
    fn gives_up_on_values_sqlite_would_change() {
        let q = |source: &str| DirectQuery {
            columns: vec![col(source, source)],
            conditions: vec![],
        };
        for (source, value) in [
            ("id", json!(5)),               // number in a text column: becomes "5"
            ("count", json!("12")),         // text in an integer column: becomes 12
            ("enabled", json!(1)),          // number in a boolean column
            ("extra", json!(true)),         // boolean without a type: becomes 1
            ("extra", json!("{\"a\": 1}")), // JSON-looking text without a type: parsed
            ("_links", json!("[not json")), // text in an object column that looks like JSON
            ("ratio", json!(1.5)),          // REAL columns are left to SQLite
            ("count", json!(1.5)),          // a float in an integer column
        ] {
            let data = rows(vec![json!({ source: value })]);
            assert_eq!(
                project(&columns(), &data, &q(source)),
                None,
                "{source}: {value}"
            );
        }
        // A condition on a non-text column, or over a non-text value, is left to SQLite.
        let on_count = DirectQuery {
            columns: vec![col("id", "id")],
            conditions: vec![DirectCondition {
                column: "count".into(),
                values: vec!["3".into()],
            }],
        };
        let data = rows(vec![json!({"id": "a", "count": 3, "extra": 3})]);
        assert_eq!(project(&columns(), &data, &on_count), None);
        let on_extra = DirectQuery {
            conditions: vec![DirectCondition {
                column: "extra".into(),
                values: vec!["3".into()],
            }],
            ..on_count
        };
        assert_eq!(project(&columns(), &data, &on_extra), None);
    }

    /// Any JSON value a response might hold in a column, including the awkward ones.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        // Weighted towards strings and nulls, so that many rows pass every check and the
        // comparison covers results of several rows.
        let leaf = prop_oneof![
            2 => Just(Value::Null),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => any::<i64>().prop_map(Value::from),
            1 => (-1.0e6f64..1.0e6).prop_map(Value::from),
            1 => Just(json!(u64::MAX)),
            8 => prop::sample::select(vec![
                "a", "b", "ACTIVE", "", " ", "0", "12", "1.5", "true", "{", "[", "{\"a\": 1}",
                "[1, 2]", " [3]", "null", "é", "a\u{0}b",
            ])
            .prop_map(|s: &str| Value::from(s)),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            // Objects and arrays appear less often than scalars (one level in four).
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::vec(("[a-c]", inner), 0..3)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Mostly plain text and nulls (which pass every check, so results have several rows),
    /// sometimes any value at all.
    fn cell() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            6 => prop::sample::select(vec!["a", "b", "ACTIVE", "12", ""]).prop_map(Value::from),
            2 => Just(Value::Null),
            2 => any_value(),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 1000, ..Default::default() })]

        /// Whenever the direct projection answers, SQLite answers the same.
        #[test]
        fn direct_answers_are_sqlites_answers(
            cells in proptest::collection::vec(proptest::collection::vec(cell(), 8), 0..6),
            picks in proptest::collection::vec(0usize..8, 1..5),
            conditions in proptest::collection::vec(
                (0usize..8, proptest::collection::vec(
                    proptest::sample::select(vec!["a", "b", "ACTIVE", "12", "", "{\"a\": 1}"]), 1..3)),
                0..3),
        ) {
            let cols = columns();
            let data: Vec<Map<String, Value>> = cells
                .into_iter()
                .map(|row| cols.iter().map(|c| c.name.clone()).zip(row).collect())
                .collect();
            let query = DirectQuery {
                columns: picks
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| col(&cols[c].name, &format!("c{i}")))
                    .collect(),
                conditions: conditions
                    .into_iter()
                    .map(|(c, values)| DirectCondition {
                        column: cols[c].name.clone(),
                        values: values.into_iter().map(String::from).collect(),
                    })
                    .collect(),
            };
            if let Some(direct) = project(&cols, &data, &query) {
                proptest::prop_assert_eq!(direct, via_sqlite(&data, &query));
            }
        }
    }

    #[test]
    fn numbers_inside_objects_come_back_from_sqlite_exactly() {
        // Found by the property test below: without exact float parsing, JSON text read back
        // from SQLite changed the last digit of such numbers.
        let data = rows(vec![json!({
            "_links": {"a": -907580.2845163781},
            "extra": [951228.7398343977, 0.1, 1e-7]
        })]);
        let query = DirectQuery {
            columns: vec![col("_links", "_links"), col("extra", "extra")],
            conditions: vec![],
        };
        let sqlite = via_sqlite(&data, &query);
        assert_eq!(sqlite.rows[0][0], data[0]["_links"]);
        assert_eq!(sqlite.rows[0][1], data[0]["extra"]);
        assert_eq!(project(&columns(), &data, &query), Some(sqlite));
    }

    #[test]
    fn unknown_columns_are_left_to_sqlite() {
        let q = DirectQuery {
            columns: vec![col("nope", "nope")],
            conditions: vec![],
        };
        assert_eq!(project(&columns(), &[], &q), None);
    }
}
