//! What BI tools and drivers ask to list tables and columns, against `oktaql serve
//! --sandbox`: `information_schema` queries (Grafana's PostgreSQL data source's own table,
//! schema and column queries among them) over both query protocols, psql's `\d` types, and
//! the types of expression columns.

use oktaql::sandbox::DEMO_APP_TWO_SECRETS;
use tokio_postgres::types::Type;
use tokio_postgres::SimpleQueryMessage;

use crate::serve_support::{has, psql, Served};

/// The search-path test Grafana's PostgreSQL data source puts in its table and column
/// queries (from its query builder, as it sends it).
const GRAFANA_SCHEMA_CONSTRAINT: &str = "
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '\"$user\"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )";

/// Grafana's table list without a schema: tables on the search path by name, the others
/// as schema.table.
fn grafana_tables() -> String {
    format!(
        "SELECT
    CASE WHEN {c}
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS \"table\"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN {c} THEN 0 ELSE 1 END, 1",
        c = GRAFANA_SCHEMA_CONSTRAINT
    )
}

/// Grafana's column list of `table` (`schema.table` or a name on the search path).
fn grafana_columns(table: &str) -> String {
    let t = format!("'{}'", table.replace('\'', "''"));
    format!(
        "SELECT quote_ident(column_name) AS \"column\", data_type AS \"type\"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident({t}),1) = 2
        THEN quote_ident(table_schema) = (parse_ident({t}))[1]
          AND quote_ident(table_name) = (parse_ident({t}))[2]
        ELSE quote_ident(table_name) = {t}
          AND {c}
      END",
        c = GRAFANA_SCHEMA_CONSTRAINT
    )
}

/// Grafana's schema list.
const GRAFANA_SCHEMAS: &str = "SELECT schema_name AS \"name\"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name";

/// Grafana's table list of one schema.
const GRAFANA_APPS_TABLES: &str = "SELECT quote_ident(table_name) AS \"table\"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'apps'
      ORDER BY 1";

/// The first column of every row of a simple query, as text.
fn first_cells(messages: &[SimpleQueryMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or_default().to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grafanas_table_and_column_queries_are_answered() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    // Both protocols: Grafana's backend sends its queries with the extended one.
    for extended in [false, true] {
        let run = |sql: String| {
            let client = &client;
            async move {
                if extended {
                    client
                        .query(&sql, &[])
                        .await
                        .unwrap_or_else(|e| panic!("{e:?}\n{sql}"))
                        .iter()
                        .map(|r| r.get::<_, String>(0))
                        .collect::<Vec<_>>()
                } else {
                    first_cells(
                        &client
                            .simple_query(&sql)
                            .await
                            .unwrap_or_else(|e| panic!("{e:?}\n{sql}")),
                    )
                }
            }
        };
        let tables = run(grafana_tables()).await;
        // No schema is on the search path (public), so every table is schema.table.
        assert!(tables.contains(&"apps.secrets".to_string()), "{tables:?}");
        assert!(tables.iter().all(|t| t.contains('.')), "{tables:?}");
        let mut sorted = tables.clone();
        sorted.sort();
        assert_eq!(tables, sorted);
        let schemas = run(GRAFANA_SCHEMAS.to_string()).await;
        assert!(schemas.contains(&"apps".to_string()), "{schemas:?}");
        assert!(schemas.contains(&"logs".to_string()), "{schemas:?}");
        let apps = run(GRAFANA_APPS_TABLES.to_string()).await;
        assert!(apps.contains(&"secrets".to_string()), "{apps:?}");
        assert!(apps.contains(&"applications".to_string()), "{apps:?}");
        let columns = run(grafana_columns("apps.secrets")).await;
        assert!(
            columns.contains(&"client_secret".to_string()),
            "{columns:?}"
        );
        // Mixed-case names come quoted, as quote_ident quotes them.
        assert!(
            columns.contains(&"\"lastUpdated\"".to_string()),
            "{columns:?}"
        );
    }
    // The column types Grafana reads.
    let rows = client
        .query(&grafana_columns("apps.secrets"), &[])
        .await
        .unwrap();
    let types: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    assert!(
        types.contains(&("created".into(), "timestamp with time zone".into())),
        "{types:?}"
    );
    assert!(types.contains(&("id".into(), "text".into())), "{types:?}");
    assert!(
        types.contains(&("_links".into(), "jsonb".into())),
        "{types:?}"
    );
    // With apps on the search path, its tables are listed by name.
    client
        .simple_query("SET search_path TO apps")
        .await
        .unwrap();
    let tables = first_cells(&client.simple_query(&grafana_tables()).await.unwrap());
    assert!(tables.contains(&"secrets".to_string()), "{tables:?}");
    assert!(tables.iter().any(|t| t.starts_with("logs.")), "{tables:?}");
    // Tables on the search path come first.
    let first_other = tables.iter().position(|t| t.contains('.')).unwrap();
    assert!(
        tables[..first_other].iter().all(|t| !t.contains('.')),
        "{tables:?}"
    );
    let columns = first_cells(
        &client
            .simple_query(&grafana_columns("secrets"))
            .await
            .unwrap(),
    );
    assert!(
        columns.contains(&"client_secret".to_string()),
        "{columns:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typical_information_schema_queries_are_evaluated() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let rows = client
        .query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'apps'",
            &[],
        )
        .await
        .unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert!(names.contains(&"secrets".to_string()), "{names:?}");
    let rows = client
        .query(
            "SELECT column_name, data_type, ordinal_position, is_nullable, udt_name FROM information_schema.columns WHERE table_schema='apps' AND table_name='secrets' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows[0].columns()[2].type_(), &Type::INT8);
    let positions: Vec<i64> = rows.iter().map(|r| r.get(2)).collect();
    assert_eq!(positions, (1..=rows.len() as i64).collect::<Vec<_>>());
    let created = rows
        .iter()
        .find(|r| r.get::<_, String>(0) == "created")
        .expect("created");
    assert_eq!(created.get::<_, String>(4), "timestamptz");
    // A parameter, a join and an aggregate: evaluated, not matched.
    let row = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name WHERE t.table_schema = $1 AND t.table_name = $2",
            &[&"apps", &"secrets"],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0).parse::<usize>().unwrap(),
        rows.len()
    );
    // What cannot be answered is a clear error, not a hang.
    let err = client
        .simple_query("SELECT * FROM information_schema.sequences")
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "0A000", "{db:?}");
    assert!(db.message().contains("information_schema"), "{db:?}");
    let err = client
        .simple_query("DELETE FROM information_schema.tables")
        .await
        .unwrap_err();
    assert!(err.as_db_error().is_some(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expression_columns_are_typed_by_their_values_on_the_simple_protocol() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let sql = format!(
        "SELECT count(*) AS n, length(id) AS len, id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' GROUP BY id ORDER BY id"
    );
    // The simple protocol's row description carries the types (tokio-postgres's
    // simple_query keeps only names, so read them through psql-like raw rows elsewhere):
    // here the extended protocol keeps text for expressions, as documented.
    let rows = client.query(&sql, &[]).await.unwrap();
    assert_eq!(rows[0].columns()[0].type_(), &Type::TEXT);
    let messages = client.simple_query(&sql).await.unwrap();
    assert_eq!(first_cells(&messages), vec!["1", "1"]);
}

/// psql's `\d` and a query through psql, with their column types shown by `\gdesc`.
#[test]
fn psql_shows_timestamps_and_expression_types() {
    if !has("psql", &["--version"]) {
        eprintln!("SKIPPED: psql is not installed");
        return;
    }
    let served = Served::start(&["--sandbox"], &[]);
    let run = |commands: &[&str]| psql(&served, commands);
    let table = run(&["\\d okta.apps.secrets"]);
    let line = |name: &str| {
        table
            .lines()
            .find(|l| l.split('|').next().is_some_and(|c| c.trim() == name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("created").contains("timestamp with time zone"),
        "{table}"
    );
    assert!(
        line("lastUpdated").contains("timestamp with time zone"),
        "{table}"
    );
    assert!(line("id").contains("text"), "{table}");
    // psql aligns numbers right and text left: count(*) is a number.
    let counted = run(&[&format!(
        "SELECT count(*) AS number_of_secrets, 'x' AS label FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}'"
    )]);
    assert!(
        counted
            .lines()
            .any(|l| l.ends_with("2 | x") && l.trim_start().starts_with("2 |")),
        "count(*) was not sent as a number:\n{counted}"
    );
}
