//! Real PostgreSQL clients against `oktaql serve --sandbox`: psql (scripted `\dt`,
//! `\dt apps.*`, `\d okta.apps.secrets` and a SELECT) and psycopg 3 (a parameterised query).
//! Each skips with a visible notice when its client is not installed.

use std::process::Command;

use oktaql::sandbox::DEMO_APP_TWO_SECRETS;

use crate::serve_support::{has, psql, Served, PASSWORD};

/// The (schema, name) pairs of a psql relation listing.
fn listed(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() == 4 && cells[2] == "table").then(|| (cells[0].into(), cells[1].into()))
        })
        .collect()
}

#[test]
fn psql_lists_describes_and_queries_tables() {
    if !has("psql", &["--version"]) {
        eprintln!("SKIPPED: psql is not installed");
        return;
    }
    let served = Served::start(&["--sandbox"], &[]);
    let all = psql(&served, &["\\dt"]);
    assert!(
        listed(&all).contains(&("apps".into(), "secrets".into())),
        "{all}"
    );
    assert!(
        listed(&all).contains(&("apps".into(), "applications".into())),
        "{all}"
    );
    assert!(listed(&all).iter().any(|(s, _)| s == "logs"), "{all}");
    let apps = psql(&served, &["\\dt apps.*"]);
    assert!(
        listed(&apps).contains(&("apps".into(), "secrets".into())),
        "{apps}"
    );
    assert!(listed(&apps).iter().all(|(s, _)| s == "apps"), "{apps}");
    let table = psql(&served, &["\\d okta.apps.secrets"]);
    assert!(table.contains("Table \"apps.secrets\""), "{table}");
    assert!(table.contains(" client_secret "), "{table}");
    assert!(table.contains(" jsonb "), "{table}");
    let created = psql(
        &served,
        &[&format!(
            "SELECT created FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' ORDER BY id"
        )],
    );
    // psql prints timestamptz as PostgreSQL does: date, space, time, UTC offset.
    let first = created
        .lines()
        .nth(2)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(
        first.len() >= 22 && first.as_bytes()[10] == b' ' && first.ends_with("+00"),
        "{created}"
    );
    let rows = psql(
        &served,
        &[&format!(
            "SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' ORDER BY id"
        )],
    );
    assert!(rows.contains("(2 rows)"), "{rows}");
}

#[test]
fn psycopg_runs_a_parameterised_query() {
    if !has("python3", &["-c", "import psycopg"]) {
        eprintln!("SKIPPED: psycopg is not installed (pip install 'psycopg[binary]')");
        return;
    }
    let served = Served::start(&["--sandbox"], &[]);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/psycopg_query.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(served.port.to_string())
        .arg(PASSWORD)
        .arg(DEMO_APP_TWO_SECRETS)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the psycopg script failed");
    assert!(stdout.contains("ok"), "{stdout}");
}

#[test]
fn psql_connects_over_tls_with_the_given_certificate() {
    if !has("psql", &["--version"]) || !has("openssl", &["version"]) {
        eprintln!("SKIPPED: psql or openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success());
    let served = Served::start(
        &[
            "--sandbox",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    let out = Command::new("psql")
        .arg("-X")
        .arg(format!(
            "host=127.0.0.1 port={} user=oktaql dbname=okta sslmode=require",
            served.port
        ))
        .args(["-c", "\\conninfo", "-c", "SELECT current_database()"])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(stdout.contains("SSL connection"), "{stdout}");
    assert!(stdout.contains(" okta"), "{stdout}");
}
