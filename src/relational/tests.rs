//! Tests of the relational stage against real SQLite.

use serde_json::{json, Map, Value};

use super::{Evaluator, RelationalError};
use crate::plan::TableColumn;
use crate::rows::Rows;

fn col(name: &str, ty: &str) -> TableColumn {
    TableColumn {
        name: name.to_string(),
        ty: ty.to_string(),
        format: None,
    }
}

fn objects(v: Value) -> Vec<Map<String, Value>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::Object(m) => m,
                other => panic!("not an object: {other}"),
            })
            .collect(),
        other => panic!("not an array: {other}"),
    }
}

fn secret_columns() -> Vec<TableColumn> {
    vec![
        col("id", "string"),
        col("status", "string"),
        col("client_secret", "string"),
        col("created", "string"),
        col("lastUpdated", "string"),
        col("_links", "object"),
        col("appId", "string"),
        col("subdomain", "string"),
    ]
}

fn secrets() -> Vec<Map<String, Value>> {
    objects(json!([
        {"id": "ocs1", "status": "ACTIVE", "client_secret": "{\"looks\":\"like json\"}",
         "created": "2024-01-01", "lastUpdated": "2024-03-01",
         "_links": {"delete": {"href": "https://acme/secrets/ocs1", "hints": {"allow": ["DELETE"]}},
                    "self": {"href": "https://acme/self/ocs1"}},
         "appId": "0oa1", "subdomain": "acme"},
        {"id": "ocs2", "status": "INACTIVE", "client_secret": "s2",
         "created": "2024-02-01", "lastUpdated": "2024-02-02",
         "_links": {"self": {"href": "https://acme/self/ocs2"}},
         "appId": "0oa1", "subdomain": "acme"},
        {"id": "ocs3", "status": "ACTIVE", "client_secret": "[1,2]",
         "created": "2024-03-01",
         "_links": {"activate": {"href": "https://acme/a/ocs3"}},
         "appId": "0oa2", "subdomain": "acme"}
    ]))
}

fn evaluator() -> Evaluator {
    let mut ev = Evaluator::new().unwrap();
    ev.load("t0", &secret_columns(), &secrets()).unwrap();
    ev
}

fn q(ev: &Evaluator, sql: &str) -> Rows {
    ev.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn column0(rows: &Rows) -> Vec<Value> {
    rows.rows.iter().map(|r| r[0].clone()).collect()
}

#[test]
fn projection_keeps_order_and_names() {
    let rows = q(&evaluator(), "SELECT status, id AS secret FROM t0");
    assert_eq!(rows.columns, vec!["status", "secret"]);
    assert_eq!(rows.rows[0], vec![json!("ACTIVE"), json!("ocs1")]);
    assert_eq!(rows.len(), 3);
}

#[test]
fn where_order_limit_offset() {
    let ev = evaluator();
    let rows = q(
        &ev,
        "SELECT id FROM t0 WHERE status = 'ACTIVE' ORDER BY created DESC",
    );
    assert_eq!(column0(&rows), vec![json!("ocs3"), json!("ocs1")]);
    let rows = q(&ev, "SELECT id FROM t0 ORDER BY id LIMIT 1 OFFSET 1");
    assert_eq!(column0(&rows), vec![json!("ocs2")]);
}

#[test]
fn missing_keys_are_null() {
    let rows = q(&evaluator(), "SELECT lastUpdated FROM t0 WHERE id = 'ocs3'");
    assert_eq!(rows.rows, vec![vec![Value::Null]]);
    let rows = q(
        &evaluator(),
        "SELECT count(*) FROM t0 WHERE lastUpdated IS NULL",
    );
    assert_eq!(rows.rows, vec![vec![json!(1)]]);
}

#[test]
fn distinct_group_by_having_count_case_like() {
    let ev = evaluator();
    let rows = q(&ev, "SELECT DISTINCT appId FROM t0 ORDER BY 1");
    assert_eq!(column0(&rows), vec![json!("0oa1"), json!("0oa2")]);

    let rows = q(
        &ev,
        "SELECT appId, count(*) AS n FROM t0 GROUP BY appId HAVING count(*) > 1 ORDER BY appId",
    );
    assert_eq!(rows.columns, vec!["appId", "n"]);
    assert_eq!(rows.rows, vec![vec![json!("0oa1"), json!(2)]]);

    let rows = q(
        &ev,
        "SELECT CASE WHEN status = 'ACTIVE' THEN 'on' ELSE 'off' END FROM t0 ORDER BY id",
    );
    assert_eq!(column0(&rows), vec![json!("on"), json!("off"), json!("on")]);

    let rows = q(&ev, "SELECT id FROM t0 WHERE status LIKE 'in%'");
    assert_eq!(column0(&rows), vec![json!("ocs2")]);
}

#[test]
fn json_extract_and_json_each() {
    let ev = evaluator();
    let rows = q(
        &ev,
        "SELECT json_extract(_links, '$.delete.href') AS href FROM t0 ORDER BY id",
    );
    assert_eq!(
        column0(&rows),
        vec![json!("https://acme/secrets/ocs1"), Value::Null, Value::Null]
    );

    // An object extracted from an object column comes back as an object.
    let rows = q(
        &ev,
        "SELECT json_extract(_links, '$.delete') FROM t0 WHERE id = 'ocs1'",
    );
    assert_eq!(
        rows.rows[0][0],
        json!({"href": "https://acme/secrets/ocs1", "hints": {"allow": ["DELETE"]}})
    );

    let rows = q(
        &ev,
        "SELECT t0.id, l.key FROM t0, json_each(t0._links) AS l ORDER BY t0.id, l.key",
    );
    let pairs: Vec<(Value, Value)> = rows
        .rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            (json!("ocs1"), json!("delete")),
            (json!("ocs1"), json!("self")),
            (json!("ocs2"), json!("self")),
            (json!("ocs3"), json!("activate")),
        ]
    );
    // The arrow operators: `->` gives JSON, `->>` gives SQL values.
    let rows = q(
        &ev,
        "SELECT _links -> '$.self', _links ->> '$.self.href' FROM t0 WHERE id = 'ocs2'",
    );
    assert_eq!(
        rows.rows[0],
        vec![
            json!({"href": "https://acme/self/ocs2"}),
            json!("https://acme/self/ocs2")
        ]
    );

    // json_each's value column gives objects as objects.
    let rows = q(
        &ev,
        "SELECT value FROM t0, json_each(_links) WHERE t0.id = 'ocs2'",
    );
    assert_eq!(rows.rows[0][0], json!({"href": "https://acme/self/ocs2"}));
}

#[test]
fn cte_window_union() {
    let ev = evaluator();
    let rows = q(
        &ev,
        "WITH active AS (SELECT id, _links FROM t0 WHERE status = 'ACTIVE') \
         SELECT id, _links FROM active ORDER BY id",
    );
    assert_eq!(rows.len(), 2);
    // Through a CTE the object column is still an object.
    assert_eq!(
        rows.rows[1][1],
        json!({"activate": {"href": "https://acme/a/ocs3"}})
    );

    let rows = q(
        &ev,
        "SELECT id, row_number() OVER (PARTITION BY appId ORDER BY created) AS rn \
         FROM t0 ORDER BY id",
    );
    assert_eq!(
        rows.rows,
        vec![
            vec![json!("ocs1"), json!(1)],
            vec![json!("ocs2"), json!(2)],
            vec![json!("ocs3"), json!(1)],
        ]
    );

    let rows = q(
        &ev,
        "SELECT id FROM t0 WHERE status = 'ACTIVE' UNION SELECT 'extra' ORDER BY 1",
    );
    assert_eq!(
        column0(&rows),
        vec![json!("extra"), json!("ocs1"), json!("ocs3")]
    );
}

#[test]
fn join_between_two_tables() {
    let mut ev = evaluator();
    let apps = objects(json!([
        {"id": "0oa1", "label": "Portal", "settings": {"app": {"url": "https://p"}}},
        {"id": "0oa2", "label": "Wiki", "settings": null}
    ]));
    ev.load(
        "t1",
        &[
            col("id", "string"),
            col("label", "string"),
            col("settings", "object"),
        ],
        &apps,
    )
    .unwrap();
    let rows = q(
        &ev,
        "SELECT a.label, count(s.id) AS secrets, a.settings FROM t1 a \
         LEFT JOIN t0 s ON s.appId = a.id GROUP BY a.id ORDER BY a.label",
    );
    assert_eq!(rows.columns, vec!["label", "secrets", "settings"]);
    assert_eq!(
        rows.rows,
        vec![
            vec![
                json!("Portal"),
                json!(2),
                json!({"app": {"url": "https://p"}})
            ],
            vec![json!("Wiki"), json!(1), Value::Null],
        ]
    );
}

#[test]
fn json_types_are_preserved() {
    let mut ev = Evaluator::new().unwrap();
    let rows = objects(json!([
        {"n": 42, "x": 1.5, "b": true, "o": {"k": [1, 2]}, "a": ["x", {"y": null}], "s": "[\"no\"]"},
        {"n": -7, "x": 2.0, "b": false, "o": {}, "a": [], "s": "{}"}
    ]));
    let cols = [
        col("n", "integer"),
        col("x", "number"),
        col("b", "boolean"),
        col("o", "object"),
        col("a", "array"),
        col("s", "string"),
    ];
    ev.load("t", &cols, &rows).unwrap();
    let out = q(&ev, "SELECT * FROM t");
    assert_eq!(out.columns, vec!["n", "x", "b", "o", "a", "s"]);
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!(42),
                json!(1.5),
                json!(true),
                json!({"k": [1, 2]}),
                json!(["x", {"y": null}]),
                json!("[\"no\"]")
            ],
            vec![
                json!(-7),
                json!(2.0),
                json!(false),
                json!({}),
                json!([]),
                json!("{}")
            ],
        ]
    );
    // Booleans are 0/1 to SQL.
    let out = q(&ev, "SELECT n FROM t WHERE b");
    assert_eq!(out.rows, vec![vec![json!(42)]]);
    let out = q(&ev, "SELECT sum(n), typeof(x), typeof(n) FROM t");
    assert_eq!(
        out.rows[0],
        vec![json!(35), json!("real"), json!("integer")]
    );
    // A plain text column that looks like JSON stays a string, even through a subquery.
    let out = q(&ev, "SELECT s FROM (SELECT s, n FROM t) ORDER BY n DESC");
    assert_eq!(column0(&out), vec![json!("[\"no\"]"), json!("{}")]);
    // Aggregates that build JSON come back as JSON.
    let out = q(&ev, "SELECT json_group_array(n) FROM t");
    assert_eq!(out.rows[0][0], json!([42, -7]));
}

#[test]
fn column_names_are_case_insensitive() {
    let ev = evaluator();
    let rows = q(&ev, "SELECT APPID, lastupdated FROM t0 WHERE ID = 'ocs1'");
    assert_eq!(rows.rows, vec![vec![json!("0oa1"), json!("2024-03-01")]]);
    // A plain column keeps the provider's name; an alias names its column.
    assert_eq!(rows.columns, vec!["appId", "lastUpdated"]);
    let rows = q(&ev, "SELECT appid AS APPID FROM t0 LIMIT 1");
    assert_eq!(rows.columns, vec!["APPID"]);
}

#[test]
fn empty_result_keeps_columns() {
    let ev = evaluator();
    let rows = q(&ev, "SELECT id, status FROM t0 WHERE status = 'NOPE'");
    assert_eq!(rows.columns, vec!["id", "status"]);
    assert!(rows.is_empty());

    let mut ev = Evaluator::new().unwrap();
    ev.load("t0", &secret_columns(), &[]).unwrap();
    let rows = q(&ev, "SELECT * FROM t0");
    assert_eq!(rows.columns.len(), 8);
    assert_eq!(rows.columns[5], "_links");
    assert!(rows.is_empty());
}

#[test]
fn load_replaces_and_quotes_names() {
    let mut ev = evaluator();
    let weird = [
        col("we\"ird", "string"),
        col("select", "integer"),
        col("Has Space", "string"),
    ];
    let rows = objects(json!([{"we\"ird": "q", "select": 1, "Has Space": "s"}]));
    ev.load("my \"table\"", &weird, &rows).unwrap();
    let out = q(
        &ev,
        r#"SELECT "we""ird", "select", "has space" FROM "my ""table""""#,
    );
    assert_eq!(out.rows, vec![vec![json!("q"), json!(1), json!("s")]]);

    // Loading the same name again replaces the table.
    ev.load(
        "t0",
        &[col("id", "string")],
        &objects(json!([{"id": "only"}])),
    )
    .unwrap();
    assert_eq!(column0(&q(&ev, "SELECT * FROM t0")), vec![json!("only")]);
    assert_eq!(ev.tables().collect::<Vec<_>>(), vec!["my \"table\"", "t0"]);
}

#[test]
fn duplicate_and_inferred_columns() {
    let mut ev = Evaluator::new().unwrap();
    // A parameter column that repeats a response column (in another case) is loaded once.
    ev.load(
        "t",
        &[col("appId", "string"), col("appid", "string")],
        &objects(json!([{"appId": "a"}])),
    )
    .unwrap();
    assert_eq!(q(&ev, "SELECT * FROM t").columns, vec!["appId"]);

    // Without columns, the keys of the rows are the columns.
    ev.load(
        "u",
        &[],
        &objects(json!([{"a": 1}, {"b": {"c": true}, "a": 2}])),
    )
    .unwrap();
    let out = q(&ev, "SELECT a, b FROM u ORDER BY a");
    assert_eq!(
        out.rows,
        vec![
            vec![json!(1), Value::Null],
            vec![json!(2), json!({"c": true})]
        ]
    );

    let err = ev.load("v", &[], &[]).unwrap_err();
    assert!(matches!(err, RelationalError::Load { .. }), "{err}");
}

#[test]
fn unknown_column_lists_available_and_suggests() {
    let ev = evaluator();
    let err = ev.query("SELECT stauts FROM t0").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown column stauts (available: id, status, client_secret,"),
        "{msg}"
    );
    assert!(msg.contains("did you mean status?"), "{msg}");

    let err = ev
        .query("SELECT id FROM t0 WHERE status = \"ACTIVE\"")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unknown column ACTIVE (available: id,"),
        "{err}"
    );
    assert!(
        err.to_string().contains("needs single quotes: 'ACTIVE'"),
        "{err}"
    );

    // A column that exists but is not visible where it is used.
    let err = ev
        .query("SELECT status FROM (SELECT id FROM t0)")
        .unwrap_err();
    assert!(
        matches!(err, RelationalError::ColumnNotInScope { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not visible here"), "{err}");
}

#[test]
fn other_errors_are_clear() {
    let mut ev = evaluator();
    let err = ev.query("SELECT * FROM t9").unwrap_err();
    assert_eq!(err.to_string(), "unknown table t9 (loaded: t0)");

    ev.load("t1", &[col("id", "string")], &[]).unwrap();
    let err = ev.query("SELECT id FROM t0, t1").unwrap_err();
    assert!(
        matches!(err, RelationalError::AmbiguousColumn { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("qualify it"), "{err}");

    let err = ev.query("SELEC id FROM t0").unwrap_err();
    assert!(err.to_string().contains("syntax error"), "{err}");

    for sql in [
        "DELETE FROM t0",
        "DROP TABLE t0",
        "ATTACH ':memory:' AS other",
    ] {
        let err = ev.query(sql).unwrap_err();
        assert!(matches!(err, RelationalError::NotAQuery), "{sql}: {err}");
    }
    // Nothing was changed by the refused statements.
    assert_eq!(q(&ev, "SELECT count(*) FROM t0").rows[0][0], json!(3));
    assert!(ev.query("SELECT 1; SELECT 2").is_err());
}

/// Databases are reused between evaluators (see `pool`): whatever an earlier evaluator
/// loaded must be invisible to a later one. Repeated, as other tests share the pool.
#[test]
fn reused_databases_show_nothing_of_earlier_statements() {
    for round in 0..20 {
        {
            let mut ev = evaluator();
            ev.load(
                "extra",
                &[col("x", "string")],
                &objects(json!([{"x": "old"}])),
            )
            .unwrap();
            ev.load(
                "t0",
                &[col("id", "string")],
                &objects(json!([{"id": "old"}])),
            )
            .unwrap();
        }
        let mut ev = Evaluator::new().unwrap();
        // Same name and columns: refilled; the earlier rows are gone.
        ev.load("t0", &[col("id", "string")], &[]).unwrap();
        assert!(q(&ev, "SELECT * FROM t0").is_empty(), "round {round}");
        // A table this evaluator did not load does not exist.
        let err = ev.query("SELECT * FROM extra").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown table extra (loaded: t0)",
            "round {round}"
        );
        // Same name, other columns and types: replaced.
        ev.load(
            "t0",
            &[col("id", "integer"), col("flag", "boolean")],
            &objects(json!([{"id": 7, "flag": true}])),
        )
        .unwrap();
        let rows = q(&ev, "SELECT * FROM t0");
        assert_eq!(rows.columns, vec!["id", "flag"], "round {round}");
        assert_eq!(
            rows.rows,
            vec![vec![json!(7), json!(true)]],
            "round {round}"
        );
        drop(ev);
        // The next one sees the replaced table empty, under another case too.
        let mut ev = Evaluator::new().unwrap();
        ev.load("T0", &[col("id", "integer"), col("flag", "boolean")], &[])
            .unwrap();
        assert!(q(&ev, "SELECT * FROM t0").is_empty(), "round {round}");
        assert_eq!(ev.tables().collect::<Vec<_>>(), vec!["T0"]);
    }
}

/// A failed load leaves no half-made table behind for the next load or evaluator.
#[test]
fn failed_load_leaves_nothing_behind() {
    let mut ev = evaluator();
    let err = ev
        .load("sqlite_bad", &[col("id", "string")], &[])
        .unwrap_err();
    assert!(err.to_string().contains("sqlite_"), "{err}");
    ev.load("t1", &[col("id", "string")], &objects(json!([{"id": "a"}])))
        .unwrap();
    assert_eq!(column0(&q(&ev, "SELECT id FROM t1")), vec![json!("a")]);
}

#[test]
fn rows_can_be_appended_page_by_page() {
    let mut ev = Evaluator::new().unwrap();
    let cols = [col("id", "string"), col("n", "integer")];
    ev.load("t0", &cols, &objects(json!([{"id": "a", "n": 1}])))
        .unwrap();
    ev.append("T0", &objects(json!([{"id": "b", "n": 2}, {"id": "c"}])))
        .unwrap();
    ev.append("t0", &[]).unwrap();
    let rows = q(&ev, "SELECT id, n FROM t0 ORDER BY id");
    assert_eq!(
        rows.rows,
        vec![
            vec![json!("a"), json!(1)],
            vec![json!("b"), json!(2)],
            vec![json!("c"), Value::Null]
        ]
    );
    let err = ev.append("t9", &[]).unwrap_err();
    assert!(err.to_string().contains("load it first"), "{err}");
}

#[test]
fn query_each_hands_over_the_rows_query_returns() {
    let ev = evaluator();
    for sql in [
        "SELECT * FROM t0",
        "SELECT id, _links, json_extract(_links, '$.self') AS s, 1.5 AS x FROM t0 ORDER BY id DESC",
        "SELECT id FROM t0 WHERE 0",
    ] {
        let collected = q(&ev, sql);
        let streamed = ev
            .query_each(
                sql,
                |columns| Ok::<_, RelationalError>(Rows::new(columns.to_vec())),
                |out, cells| {
                    out.rows.push(cells.clone());
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(streamed, collected, "{sql}");
    }
}

#[test]
fn query_each_gives_columns_before_rows_and_stops_on_a_callback_error() {
    let ev = evaluator();
    // Columns arrive once, before the rows; the state comes back.
    let (columns, seen) = ev
        .query_each(
            "SELECT id, status FROM t0 ORDER BY id",
            |columns| Ok::<_, RelationalError>((columns.to_vec(), Vec::new())),
            |(_, seen), cells| {
                seen.push(cells[0].clone());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(columns, vec!["id", "status"]);
    assert_eq!(seen, vec![json!("ocs1"), json!("ocs2"), json!("ocs3")]);

    // An error from the row callback stops the query at that row.
    #[derive(Debug)]
    enum Stop {
        Here(usize),
        Sql(RelationalError),
    }
    impl From<RelationalError> for Stop {
        fn from(e: RelationalError) -> Self {
            Stop::Sql(e)
        }
    }
    let mut calls = 0;
    let err = ev
        .query_each(
            "SELECT id FROM t0",
            |_| Ok(()),
            |_, _| {
                calls += 1;
                if calls == 2 {
                    Err(Stop::Here(calls))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
    assert!(matches!(err, Stop::Here(2)), "{err:?}");
    assert_eq!(calls, 2);

    // SQLite's own errors come through `From`, with the usual diagnosis.
    let err = ev
        .query_each("SELECT nope FROM t0", |_| Ok(()), |_, _| Ok(()))
        .unwrap_err();
    assert!(
        matches!(err, Stop::Sql(RelationalError::UnknownColumn { .. })),
        "{err:?}"
    );
    // A failure on a row after the first: the earlier rows were handed over.
    let mut before = 0;
    let err = ev
        .query_each(
            "SELECT CASE WHEN id = 'ocs3' THEN abs(-9223372036854775808) ELSE id END FROM t0",
            |_| Ok(()),
            |_, _| {
                before += 1;
                Ok::<_, RelationalError>(())
            },
        )
        .unwrap_err();
    assert_eq!(before, 2);
    assert!(err.to_string().contains("integer overflow"), "{err}");
}

#[test]
fn query_each_lets_the_callback_keep_the_cells() {
    let ev = evaluator();
    let kept = ev
        .query_each(
            "SELECT id, _links FROM t0 ORDER BY id",
            |_| Ok::<_, RelationalError>(Vec::new()),
            |kept, cells| {
                kept.push(std::mem::take(cells));
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(
        kept[1],
        vec![
            json!("ocs2"),
            json!({"self": {"href": "https://acme/self/ocs2"}})
        ]
    );
}
