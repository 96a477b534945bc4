//! Parsing every statement kind, and every error path with its exact position.

use oktaql::sql::{
    parse, split, split_checked, statement_kind, ObjectRef, Source, SqlError, Statement,
};
use serde_json::json;

/// Parses text that starts the input.
fn p(text: &str) -> Result<Statement, SqlError> {
    parse(&Source::new(text))
}

/// Parses text that starts at line 3, column 5 of some larger input.
fn p_at(text: &str) -> Result<Statement, SqlError> {
    parse(&Source {
        text: text.to_string(),
        line: 3,
        column: 5,
    })
}

fn err(text: &str) -> SqlError {
    match p_at(text) {
        Ok(s) => panic!("expected an error for {text:?}, got {s:?}"),
        Err(e) => e,
    }
}

fn apps_secrets() -> ObjectRef {
    ObjectRef {
        provider: "okta".into(),
        service: "apps".into(),
        resource: "secrets".into(),
    }
}

/// Parses, prints back, and checks the printed form equals `canonical` (sqlparser's
/// `verified_stmt` idea); the printed form must parse to the same statement.
fn round_trip(text: &str, canonical: &str) -> Statement {
    let stmt = p(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let printed = match &stmt {
        Statement::Select(q) => q.to_string(),
        Statement::Insert(i) => i.to_string(),
        Statement::Delete(d) => d.to_string(),
        other => panic!("not a sqlparser statement: {other:?}"),
    };
    assert_eq!(printed, canonical);
    let again = p(&printed).expect("printed form parses");
    assert_eq!(statement_kind(&again), statement_kind(&stmt));
    stmt
}

// ---------------------------------------------------------------- the StackQL seed examples

const SEED: &str = "\
SELECT id, _links, client_secret, created, lastUpdated, secret_hash, status FROM okta.apps.secrets WHERE subdomain = 'acme' -- required
;
INSERT INTO okta.apps.secrets (data__client_secret, data__status, subdomain) SELECT 'abc', 'ACTIVE', 'acme' RETURNING id, _links, client_secret, created, lastUpdated, secret_hash, status;
DELETE FROM okta.apps.secrets WHERE subdomain = 'acme' --required
;
EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='acme' --required
;
";

#[test]
fn seed_examples_parse() {
    let sources = split_checked(SEED).unwrap();
    let kinds: Vec<_> = sources
        .iter()
        .map(|s| statement_kind(&parse(s).unwrap_or_else(|e| panic!("{}: {e}", s.text))))
        .collect();
    assert_eq!(kinds, ["select", "insert", "delete", "exec"]);
    assert_eq!(
        sources.iter().map(|s| s.line).collect::<Vec<_>>(),
        [1, 3, 4, 6]
    );
}

#[test]
fn select_keeps_case_and_three_part_names() {
    let stmt = round_trip(
        "SELECT id, lastUpdated FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1' -- required",
        "SELECT id, lastUpdated FROM okta.apps.secrets WHERE subdomain = 'acme' AND appId = '0oa1'",
    );
    let Statement::Select(q) = stmt else {
        panic!("not a select")
    };
    let sqlparser::ast::SetExpr::Select(select) = q.body.as_ref() else {
        panic!("not a plain select")
    };
    let from = select.from[0].relation.to_string();
    assert_eq!(from, "okta.apps.secrets");
}

#[test]
fn select_with_union_and_subqueries() {
    round_trip(
        "with a as (select id from okta.apps.secrets where subdomain='acme') select * from a union all select 'x'",
        "WITH a AS (SELECT id FROM okta.apps.secrets WHERE subdomain = 'acme') SELECT * FROM a UNION ALL SELECT 'x'",
    );
    round_trip("(SELECT 1)", "(SELECT 1)");
    round_trip(
        "SELECT status, count(*) FROM okta.apps.secrets WHERE subdomain = 'acme' GROUP BY status ORDER BY 2 DESC LIMIT 3",
        "SELECT status, count(*) FROM okta.apps.secrets WHERE subdomain = 'acme' GROUP BY status ORDER BY 2 DESC LIMIT 3",
    );
}

#[test]
fn insert_select_returning_keeps_returning_on_the_insert() {
    let stmt = round_trip(
        "INSERT INTO okta.apps.secrets (data__client_secret, data__status, subdomain) SELECT 'abc', 'ACTIVE', 'acme' RETURNING id, _links, status",
        "INSERT INTO okta.apps.secrets (data__client_secret, data__status, subdomain) SELECT 'abc', 'ACTIVE', 'acme' RETURNING id, _links, status",
    );
    let Statement::Insert(insert) = stmt else {
        panic!("not an insert")
    };
    let returning: Vec<String> = insert
        .returning
        .as_ref()
        .expect("RETURNING kept")
        .iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(returning, ["id", "_links", "status"]);
    let source = insert.source.as_ref().expect("a source query").to_string();
    assert_eq!(source, "SELECT 'abc', 'ACTIVE', 'acme'");
    assert_eq!(
        insert
            .columns
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        ["data__client_secret", "data__status", "subdomain"]
    );
}

#[test]
fn insert_values_with_and_without_returning() {
    let Statement::Insert(i) = round_trip(
        "insert into okta.apps.secrets (subdomain, appId) values ('acme', '0oa1')",
        "INSERT INTO okta.apps.secrets (subdomain, appId) VALUES ('acme', '0oa1')",
    ) else {
        panic!("not an insert")
    };
    assert!(i.returning.is_none());
    round_trip(
        "INSERT INTO okta.apps.secrets (subdomain) VALUES ('acme') RETURNING id",
        "INSERT INTO okta.apps.secrets (subdomain) VALUES ('acme') RETURNING id",
    );
}

#[test]
fn delete_with_where() {
    let Statement::Delete(d) = round_trip(
        "DELETE FROM okta.apps.secrets WHERE subdomain = 'acme' AND secretId = 's1' --required",
        "DELETE FROM okta.apps.secrets WHERE subdomain = 'acme' AND secretId = 's1'",
    ) else {
        panic!("not a delete")
    };
    assert!(d.selection.is_some());
}

// ---------------------------------------------------------------- EXEC

#[test]
fn exec_with_arguments_of_every_type() {
    let stmt = p("exec okta.apps.secrets.activate_oauth2_client_secret @subdomain='acme', @appId = 'it''s' @limit=20, @ratio=-2.5 @big=1e3 @on=TRUE @off=false @none=NULL").unwrap();
    assert_eq!(
        stmt,
        Statement::Exec {
            target: apps_secrets(),
            method: "activate_oauth2_client_secret".into(),
            args: vec![
                ("subdomain".into(), json!("acme")),
                ("appId".into(), json!("it's")),
                ("limit".into(), json!(20)),
                ("ratio".into(), json!(-2.5)),
                ("big".into(), json!(1000.0)),
                ("on".into(), json!(true)),
                ("off".into(), json!(false)),
                ("none".into(), json!(null)),
            ],
            body: None,
        }
    );
    assert_eq!(statement_kind(&stmt), "exec");
}

#[test]
fn exec_with_json_body_comments_and_trailing_semicolon() {
    let stmt = p("EXECUTE okta.apps.secrets.create /* body follows */\n  @subdomain='acme',\n  @@json='{\"client_secret\": \"abc\", \"status\": \"ACTIVE\"}' --required\n;").unwrap();
    let Statement::Exec {
        method, args, body, ..
    } = stmt
    else {
        panic!("not an exec")
    };
    assert_eq!(method, "create");
    assert_eq!(args, vec![("subdomain".to_string(), json!("acme"))]);
    assert_eq!(
        body,
        Some(json!({"client_secret": "abc", "status": "ACTIVE"}))
    );
}

#[test]
fn exec_without_arguments_and_quoted_names() {
    let stmt = p("EXEC \"okta\".apps.secrets.\"list\"").unwrap();
    let Statement::Exec {
        target,
        method,
        args,
        ..
    } = stmt
    else {
        panic!("not an exec")
    };
    assert_eq!(target, apps_secrets());
    assert_eq!(method, "list");
    assert!(args.is_empty());
    assert_eq!(target.to_string(), "okta.apps.secrets");
}

#[test]
fn exec_errors_name_the_problem_and_position() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("EXEC okta.apps @a=1", 3, 10, "expected provider.service.resource.method after EXEC, found 'okta.apps'"),
        ("EXEC", 3, 9, "expected provider.service.resource.method after EXEC, found end of statement"),
        ("EXEC okta.apps.secrets.", 3, 28, "expected a name after 'okta.apps.secrets.', found end of statement"),
        ("EXEC okta.apps.secrets.m @a=1,", 3, 35, "expected an argument @name=value after ',', found end of statement — remove the trailing ','"),
        ("EXEC okta.apps.secrets.m @a", 3, 32, "expected '=' after @a, found end of statement — write @a=value"),
        ("EXEC okta.apps.secrets.m @a=\"x\"", 3, 33, "expected a value after @a=, found '\"x\"' — strings take single quotes: 'text', not \"text\""),
        ("EXEC okta.apps.secrets.m @a=", 3, 33, "expected a value after @a=, found end of statement — use 'text', a number, true, false or null"),
        ("EXEC okta.apps.secrets.m @a=-'x'", 3, 34, "expected a value after @a=, found ''x'' — use 'text', a number, true, false or null"),
        ("EXEC okta.apps.secrets.m @a=1 @a=2", 3, 35, "argument @a given twice — pass each argument once"),
        ("EXEC okta.apps.secrets.m a=1", 3, 30, "expected an argument @name=value, found 'a' — write arguments like @appId='0oa1', @limit=20"),
        ("EXEC okta.apps.secrets.m @@xml='x'", 3, 30, "unknown argument @@xml — the only @@ argument is @@json='{…}' (the request body)"),
        ("EXEC okta.apps.secrets.m @@json=1", 3, 37, "@@json takes the request body as JSON in single quotes, e.g. @@json='{\"name\": \"x\"}'"),
        ("EXEC okta.apps.secrets.m @@json='{}' @@json='{}'", 3, 42, "@@json given twice — pass the whole request body in one @@json"),
        ("EXEC okta.apps.secrets.m @a='x", 3, 33, "unterminated string literal — close it with '"),
        ("EXEC okta.apps.secrets.m @a=1 ; SELECT", 3, 37, "unexpected 'SELECT' at the end of the EXEC statement — remove it, or end the statement with ';' before it"),
    ];
    for (text, line, column, message) in cases {
        let e = err(text);
        assert_eq!(
            (&e.message.as_str(), e.line, e.column),
            (message, *line, *column),
            "{text}"
        );
    }
    let e = err("EXEC okta.apps.secrets.m @@json='{bad'");
    assert_eq!((e.line, e.column), (3, 37));
    assert!(
        e.message
            .starts_with("invalid JSON in @@json (key must be a string at line 1 column 2)"),
        "{}",
        e.message
    );
}

// ---------------------------------------------------------------- SHOW and DESCRIBE

#[test]
fn show_statements() {
    assert_eq!(p("SHOW PROVIDERS").unwrap(), Statement::ShowProviders);
    assert_eq!(p("show providers;").unwrap(), Statement::ShowProviders);
    assert_eq!(
        p("SHOW SERVICES IN okta").unwrap(),
        Statement::ShowServices {
            provider: "okta".into(),
            like: None
        }
    );
    assert_eq!(
        p("show services from okta like '%app%'").unwrap(),
        Statement::ShowServices {
            provider: "okta".into(),
            like: Some("%app%".into())
        }
    );
    assert_eq!(
        p("Show Resources In okta.apps Like 'sec%' -- all secrets").unwrap(),
        Statement::ShowResources {
            provider: "okta".into(),
            service: "apps".into(),
            like: Some("sec%".into())
        }
    );
    let methods = p("SHOW METHODS IN okta.apps.secrets").unwrap();
    assert_eq!(
        methods,
        Statement::ShowMethods {
            target: apps_secrets()
        }
    );
    assert_eq!(statement_kind(&methods), "show methods");
}

#[test]
fn describe_statements() {
    for (text, extended) in [
        ("DESCRIBE okta.apps.secrets", false),
        ("desc okta.apps.secrets;", false),
        ("DESCRIBE EXTENDED okta.apps.secrets", true),
        ("Desc extended okta.apps.secrets /* c */", true),
    ] {
        let stmt = p(text).unwrap();
        assert_eq!(
            stmt,
            Statement::Describe {
                extended,
                target: apps_secrets()
            },
            "{text}"
        );
        assert_eq!(statement_kind(&stmt), "describe");
    }
}

#[test]
fn show_and_describe_errors() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("SHOW EXTENDED SERVICES IN okta", 3, 10, "SHOW EXTENDED is not supported — use SHOW SERVICES/RESOURCES/METHODS IN …, or DESCRIBE EXTENDED provider.service.resource for column descriptions"),
        ("SHOW TABLES", 3, 10, "expected PROVIDERS, SERVICES, RESOURCES or METHODS after SHOW, found 'TABLES' — e.g. SHOW RESOURCES IN okta.apps"),
        ("SHOW", 3, 9, "expected PROVIDERS, SERVICES, RESOURCES or METHODS after SHOW, found end of statement — e.g. SHOW RESOURCES IN okta.apps"),
        ("SHOW SERVICES okta", 3, 19, "expected IN after SHOW SERVICES, found 'okta' — e.g. SHOW SERVICES IN okta"),
        ("SHOW METHODS okta.apps.secrets", 3, 18, "expected IN after SHOW METHODS, found 'okta' — e.g. SHOW METHODS IN okta.apps.secrets"),
        ("SHOW SERVICES IN okta.apps", 3, 22, "expected provider after SHOW SERVICES IN, found 'okta.apps'"),
        ("SHOW RESOURCES IN okta", 3, 23, "expected provider.service after SHOW RESOURCES IN, found 'okta'"),
        ("SHOW METHODS IN okta.apps", 3, 21, "expected provider.service.resource after SHOW METHODS IN, found 'okta.apps'"),
        ("SHOW SERVICES IN okta LIKE x", 3, 32, "expected a pattern in single quotes after LIKE, found 'x' — e.g. LIKE '%secret%'"),
        ("SHOW PROVIDERS extra", 3, 20, "unexpected 'extra' at the end of the SHOW statement — remove it, or end the statement with ';' before it"),
        ("SHOW METHODS IN okta.apps.secrets LIKE '%'", 3, 39, "unexpected 'LIKE' at the end of the SHOW statement — remove it, or end the statement with ';' before it"),
        ("DESCRIBE okta.apps", 3, 14, "expected provider.service.resource after DESCRIBE, found 'okta.apps'"),
        ("DESC", 3, 9, "expected provider.service.resource after DESC, found end of statement"),
        ("DESCRIBE EXTENDED", 3, 22, "expected provider.service.resource after DESCRIBE EXTENDED, found end of statement"),
        ("DESCRIBE okta.apps.secrets.list", 3, 14, "expected provider.service.resource after DESCRIBE, found 'okta.apps.secrets.list'"),
    ];
    for (text, line, column, message) in cases {
        let e = err(text);
        assert_eq!(
            (&e.message.as_str(), e.line, e.column),
            (message, *line, *column),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------- errors of the SQL path

#[test]
fn sql_errors_map_positions_to_the_input() {
    let cases: &[(&str, usize, usize, &str)] = &[
        // Second line of the statement: the line moves, the column is the statement's own.
        ("SELECT *\nFROM t WHERE a = = 2", 4, 18, "expected an expression, found '='"),
        // First line: the column moves by the statement's column.
        ("SELECT 'é', = 1", 3, 17, "expected an expression, found '='"),
        ("SELECT * FROM", 3, 18, "expected identifier, found end of statement — the statement is incomplete"),
        ("SELECT * FROM t WHERE a = 'x", 3, 31, "unterminated string literal — close it with '"),
        ("SELEC 1", 3, 5, "expected a statement (SELECT, INSERT, DELETE, EXEC, SHOW or DESCRIBE), found 'SELEC' — did you mean SELECT?"),
        ("42", 3, 5, "expected a statement (SELECT, INSERT, DELETE, EXEC, SHOW or DESCRIBE), found '42'"),
        ("UPDATE t SET a = 1", 3, 5, "UPDATE statements are not supported — oktaql runs SELECT, INSERT, DELETE, EXEC, SHOW and DESCRIBE statements"),
        ("  create table t (a int)", 3, 7, "CREATE statements are not supported — oktaql runs SELECT, INSERT, DELETE, EXEC, SHOW and DESCRIBE statements"),
        ("SELECT 1; SELECT 2", 3, 5, "expected one statement, found 2 — split the input at ';' first"),
        ("", 3, 5, "empty statement — write one of SELECT, INSERT, DELETE, EXEC, SHOW or DESCRIBE"),
        ("-- only a comment\n", 4, 1, "empty statement — write one of SELECT, INSERT, DELETE, EXEC, SHOW or DESCRIBE"),
    ];
    for (text, line, column, message) in cases {
        let e = err(text);
        assert_eq!(
            (&e.message.as_str(), e.line, e.column),
            (message, *line, *column),
            "{text}"
        );
    }
}

#[test]
fn errors_display_with_position() {
    let e = err("SHOW TABLES");
    assert_eq!(
        e.to_string(),
        "syntax error at line 3, column 10: expected PROVIDERS, SERVICES, RESOURCES or METHODS after SHOW, found 'TABLES' — e.g. SHOW RESOURCES IN okta.apps"
    );
}

#[test]
fn split_then_parse_reports_positions_in_the_whole_input() {
    let input =
        "SELECT 1;\n-- second\n  SELECT *\n  FROM okta.apps.secrets WHERE = 1;\nSHOW PROVIDERS";
    let sources = split(input);
    assert_eq!(sources.len(), 3);
    let e = parse(&sources[1]).unwrap_err();
    // `=` is on input line 4, column 32.
    assert_eq!((e.line, e.column), (4, 32), "{e}");
    assert_eq!(parse(&sources[2]).unwrap(), Statement::ShowProviders);
}

#[test]
fn odd_input_is_an_error_pointing_inside_the_statement() {
    for text in [
        "EXEC @",
        "EXEC okta..apps",
        "SHOW SERVICES IN",
        "EXEC a.b.c.d @@",
        "DESCRIBE \"",
        "EXEC a.b.c.d @x=+",
        "SELECT (((",
        "EXEC a.b.c.d @x=1e999",
        ";",
        "SHOW PROVIDERS;;",
    ] {
        assert!(p(text).is_err(), "{text:?} parsed");
        let e = err(text);
        // The statement starts at line 3, column 5 and is one line long.
        let last_column = 5 + text.chars().count();
        assert!(
            e.line == 3 && (5..=last_column).contains(&e.column),
            "{text:?}: error at {}:{} — {e}",
            e.line,
            e.column
        );
        assert!(!e.to_string().is_empty(), "{text:?}");
    }
    // Odd but valid: a trailing `;` ends the statement; a number beyond u64 keeps its
    // digits (as text: a double would send 1e23).
    let Statement::Exec { args, .. } = p("EXEC a.b.c.d ;").unwrap() else {
        panic!("not an EXEC");
    };
    assert!(args.is_empty());
    let Statement::Exec { args, .. } = p("EXEC a.b.c.d @x=99999999999999999999999").unwrap() else {
        panic!("not an EXEC");
    };
    assert_eq!(
        args,
        [(
            "x".to_string(),
            serde_json::json!("99999999999999999999999")
        )]
    );
}

#[test]
fn exec_number_edge_cases() {
    let Statement::Exec { args, .. } =
        p("EXEC a.b.c.d @x=99999999999999999999 @y=+3 @z=18446744073709551615").unwrap()
    else {
        panic!("not an exec")
    };
    // One more 9 than a double holds: kept as written, not rounded to 1e20.
    assert_eq!(args[0].1, json!("99999999999999999999"));
    assert_eq!(args[2].1, json!(u64::MAX));
    assert_eq!(args[1].1, json!(3));
    let e = err("EXEC a.b.c.d @x=1e999");
    assert_eq!((e.line, e.column), (3, 21));
    assert_eq!(e.message, "number 1e999 for @x is out of range");
}
