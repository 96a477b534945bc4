//! `oktaql serve` driven by tokio-postgres over real TCP against the sandbox: simple and
//! extended queries, result types, read-only refusal, writes when allowed, bad passwords,
//! cancel requests, concurrent connections and the session/catalog statements clients send.

use std::time::{Duration, Instant};

use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_ONE_SECRET, DEMO_APP_TWO_SECRETS};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::SimpleQueryMessage;

use crate::serve_support::{Served, PASSWORD};

/// What an error says: the server's message and detail, or the client's own text.
fn msg(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}", db.message(), db.detail().unwrap_or_default()),
        None => format!("{e:?}"),
    }
}

/// The data rows of a simple query.
fn data_rows(messages: &[SimpleQueryMessage]) -> Vec<&tokio_postgres::SimpleQueryRow> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_returns_the_rows_exec_returns() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let sql = format!(
        "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' ORDER BY id"
    );
    let messages = client.simple_query(&sql).await.unwrap();
    let rows = data_rows(&messages);
    // The same statement through `oktaql exec` against its own sandbox (seeded alike).
    let exec = std::process::Command::new(env!("CARGO_BIN_EXE_oktaql"))
        .args(["exec", "--sandbox", "-o", "csv", "--hide-headers", &sql])
        .output()
        .unwrap();
    assert!(
        exec.status.success(),
        "{}",
        String::from_utf8_lossy(&exec.stderr)
    );
    let expected: Vec<String> = String::from_utf8(exec.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let got: Vec<String> = rows
        .iter()
        .map(|r| format!("{},{}", r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 2, "the demo app has two secrets");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_query_binds_parameters_and_types_the_columns() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let stmt = client
        .prepare(
            "SELECT id, status, _links FROM okta.apps.secrets WHERE subdomain = $1 AND appId = $2",
        )
        .await
        .unwrap();
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(types, vec![Type::TEXT, Type::TEXT, Type::JSONB]);
    assert_eq!(stmt.params(), &[Type::TEXT, Type::TEXT]);
    let rows = client
        .query(&stmt, &[&"my-org", &DEMO_APP_ONE_SECRET])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the demo app has one secret");
    let id: String = rows[0].get("id");
    assert!(id.starts_with("ocs"), "{id}");
    let links: serde_json::Value = rows[0].get("_links");
    assert!(links.is_object(), "{links}");
    // A value that tries to close the literal stays a value.
    let none = client.query(&stmt, &[&"my-org", &"x' OR '1'='1"]).await;
    match none {
        Ok(rows) => assert!(rows.is_empty()),
        Err(e) => assert!(e.as_db_error().is_some(), "{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_time_columns_arrive_as_timestamptz_with_the_instant_exec_shows() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let sql = format!(
        "SELECT id, created FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}'"
    );
    // The same statement through `oktaql exec`: its text is unchanged RFC 3339.
    let exec = std::process::Command::new(env!("CARGO_BIN_EXE_oktaql"))
        .args(["exec", "--sandbox", "-o", "csv", "--hide-headers", &sql])
        .output()
        .unwrap();
    assert!(
        exec.status.success(),
        "{}",
        String::from_utf8_lossy(&exec.stderr)
    );
    let line = String::from_utf8(exec.stdout).unwrap();
    let (_, created_text) = line.trim().split_once(',').unwrap();
    let expected =
        time::OffsetDateTime::parse(created_text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("exec printed {created_text:?}: {e}"));
    // Extended protocol (binary results): the column is typed and carries that instant.
    let stmt = client.prepare(&sql).await.unwrap();
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(types, vec![Type::TEXT, Type::TIMESTAMPTZ]);
    let rows = client.query(&stmt, &[]).await.unwrap();
    assert_eq!(rows.len(), 1, "the demo app has one secret");
    let created: std::time::SystemTime = rows[0].get("created");
    assert_eq!(created, std::time::SystemTime::from(expected));
    // Simple protocol (text results): PostgreSQL's own timestamptz text, the same instant.
    let messages = client.simple_query(&sql).await.unwrap();
    let text = data_rows(&messages)[0].get(1).unwrap().to_string();
    let want = expected.to_offset(time::UtcOffset::UTC);
    let prefix = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        want.year(),
        u8::from(want.month()),
        want.day(),
        want.hour(),
        want.minute(),
        want.second()
    );
    assert!(text.starts_with(&prefix), "{text} vs {prefix}");
    assert!(text.ends_with("+00") || text.ends_with("+00:00"), "{text}");
    // Read as text, it is what Okta sent.
    let as_text = client
        .simple_query(&sql.replace("created", "CAST(created AS TEXT) AS created"))
        .await
        .unwrap();
    assert_eq!(data_rows(&as_text)[0].get(1), Some(created_text));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_refused_unless_allowed() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let insert = format!(
        "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'my-org', '{DEMO_APP_ONE_SECRET}'"
    );
    let err = client.simple_query(&insert).await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
        "{err}"
    );
    assert!(msg(&err).contains("--allow-writes"), "{err}");

    let served = Served::start(&["--sandbox", "--allow-writes"], &[]);
    let client = served.connect().await;
    let count = format!(
        "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}'"
    );
    let before = client.query(&count, &[]).await.unwrap().len();
    let returned = client
        .query(&format!("{insert} RETURNING id, status"), &[])
        .await
        .unwrap();
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].get::<_, String>("status"), "INACTIVE");
    let after = client.query(&count, &[]).await.unwrap().len();
    assert_eq!(after, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_password_or_user_is_refused() {
    let served = Served::start(&["--sandbox"], &[]);
    for conninfo in [
        served.conninfo("wrong"),
        served
            .conninfo(PASSWORD)
            .replace("user=oktaql", "user=someone"),
    ] {
        let err = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .err()
            .expect("refused");
        assert!(
            msg(&err)
                .to_lowercase()
                .contains("password authentication failed"),
            "{err}"
        );
    }
}

#[test]
fn the_server_refuses_to_start_without_a_password_or_on_a_public_address_without_tls() {
    let run = |args: &[&str], password: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_oktaql"));
        cmd.arg("serve")
            .args(args)
            .env_remove("OKTAQL_SERVE_PASSWORD");
        if let Some(p) = password {
            cmd.env("OKTAQL_SERVE_PASSWORD", p);
        }
        cmd.output().unwrap()
    };
    let out = run(&["--sandbox", "--listen", "127.0.0.1:0"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OKTAQL_SERVE_PASSWORD"));
    let out = run(&["--sandbox", "--listen", "0.0.0.0:0"], Some("pw"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without TLS"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_request_stops_the_slow_query() {
    let latency = Duration::from_secs(10);
    let sandbox = Sandbox::start(SandboxConfig {
        latency: Some(latency),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let served = Served::start(
        &[],
        &[
            ("OKTAQL_SERVER_URL", sandbox.url_template()),
            ("OKTA_API_TOKEN", sandbox.token().to_string()),
        ],
    );
    let client = served.connect().await;
    let cancel = client.cancel_token();
    let started = Instant::now();
    let query = tokio::spawn(async move {
        client
            .simple_query(&format!(
                "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}'"
            ))
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    cancel.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let err = query.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
    assert!(
        started.elapsed() < latency,
        "the query ran to the end: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_served_concurrently() {
    let latency = Duration::from_millis(800);
    let sandbox = Sandbox::start(SandboxConfig {
        latency: Some(latency),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let served = Served::start(
        &[],
        &[
            ("OKTAQL_SERVER_URL", sandbox.url_template()),
            ("OKTA_API_TOKEN", sandbox.token().to_string()),
        ],
    );
    let n = 8;
    let mut clients = Vec::new();
    for _ in 0..n {
        clients.push(served.connect().await);
    }
    let started = Instant::now();
    let results = futures::future::join_all(clients.iter().map(|c| {
        c.query(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = $1 AND appId = $2",
            &[&"my-org", &DEMO_APP_TWO_SECRETS],
        )
    }))
    .await;
    let elapsed = started.elapsed();
    for r in results {
        assert_eq!(r.unwrap().len(), 2);
    }
    // One after another would take n × latency.
    assert!(
        elapsed < latency * (n as u32) / 2,
        "{n} queries took {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_statements_and_catalog_queries_are_answered() {
    let served = Served::start(&["--sandbox"], &[]);
    let client = served.connect().await;
    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(version.starts_with("PostgreSQL "), "{version}");
    assert!(version.contains("oktaql"), "{version}");
    client.simple_query("SET search_path = apps").await.unwrap();
    let schema: String = client
        .query_one("SELECT current_schema()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(schema, "apps");
    let path = client.simple_query("SHOW search_path").await.unwrap();
    assert_eq!(data_rows(&path)[0].get(0), Some("apps"));
    let ro = client
        .simple_query("SHOW transaction_read_only")
        .await
        .unwrap();
    assert_eq!(data_rows(&ro)[0].get(0), Some("on"));
    client.simple_query("BEGIN").await.unwrap();
    client.simple_query("COMMIT").await.unwrap();
    // The engine's own statements work too.
    let services = client.simple_query("SHOW SERVICES IN okta").await.unwrap();
    assert!(data_rows(&services)
        .iter()
        .any(|r| r.get(0) == Some("apps")));
    // A catalog query nobody answers is a clear error, not a hang.
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        client.simple_query("SELECT * FROM pg_catalog.pg_stat_activity"),
    )
    .await
    .expect("answered")
    .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::FEATURE_NOT_SUPPORTED), "{err}");
    let err = client
        .simple_query("SHOW no_such_setting")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_OBJECT), "{err}");
    // An Okta error carries Okta's code.
    let err = client
        .simple_query("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaNOSUCHAPP'")
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert!(
        db.message().contains("E0000007") || db.detail().unwrap_or_default().contains("E0000007"),
        "{db:?}"
    );
}
