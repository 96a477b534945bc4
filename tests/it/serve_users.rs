//! `oktaql serve` with users from the `serve:` section of the config file: each logs in
//! with its own password and not with another's, an unknown user is answered like a wrong
//! password, a user kept read-only cannot write, and a section that cannot be used stops
//! the server before it listens, saying what to fix and never a password.

use std::path::{Path, PathBuf};
use std::process::Command;

use oktaql::sandbox::DEMO_APP_ONE_SECRET;
use tokio_postgres::error::SqlState;

use crate::serve_support::{Served, PASSWORD};

const GRAFANA_PW: &str = "grafana-pw-1";
const ANALYST_PW: &str = "analyst-pw-2";

/// Writes `text` to `dir/name` with `mode`.
fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

/// A config file with two users: grafana (password from a variable, read-only) and
/// analyst (password from an owner-only file).
fn config(dir: &Path) -> PathBuf {
    let pw = write(dir, "analyst.pw", &format!("{ANALYST_PW}\n"), 0o600);
    write(
        dir,
        "config.yaml",
        &format!(
            "serve:\n  users:\n    - name: grafana\n      password_env: GRAFANA_PG_PASSWORD\n      allow_writes: false\n    - name: analyst\n      password_file: {}\n",
            pw.display()
        ),
        0o600,
    )
}

/// The failure of connecting as `user` with `password`, or `None` when it logs in.
async fn login(served: &Served, user: &str, password: &str) -> Option<String> {
    match tokio_postgres::connect(&served.conninfo_as(user, password), tokio_postgres::NoTls).await
    {
        Ok((client, conn)) => {
            tokio::spawn(conn);
            let rows = client.query("SELECT current_user", &[]).await.unwrap();
            assert_eq!(rows[0].get::<_, String>(0), user);
            None
        }
        Err(e) => Some(match e.as_db_error() {
            Some(db) => format!("{} {}", db.code().code(), db.message()),
            None => e.to_string(),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_users_log_in_with_their_own_passwords_only() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let served = Served::start_without(
        &["--sandbox"],
        &[
            ("OKTAQL_CONFIG", cfg.display().to_string()),
            ("GRAFANA_PG_PASSWORD", GRAFANA_PW.to_string()),
        ],
        &["OKTAQL_SERVE_PASSWORD"],
    );
    assert_eq!(login(&served, "grafana", GRAFANA_PW).await, None);
    assert_eq!(login(&served, "analyst", ANALYST_PW).await, None);
    let wrong = login(&served, "grafana", ANALYST_PW)
        .await
        .expect("refused");
    assert!(wrong.contains("28P01"), "{wrong}");
    assert!(login(&served, "analyst", GRAFANA_PW).await.is_some());
    // Without OKTAQL_SERVE_PASSWORD the default user has no password.
    assert!(login(&served, "oktaql", PASSWORD).await.is_some());
    // A name that is not a user: the same answer as a wrong password, apart from the name.
    let unknown = login(&served, "nobody", GRAFANA_PW).await.expect("refused");
    assert_eq!(
        unknown.replace("nobody", "grafana"),
        wrong,
        "an unknown user is told apart from a wrong password"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_user_logs_in_beside_the_config_users() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let served = Served::start(
        &["--sandbox"],
        &[
            ("OKTAQL_CONFIG", cfg.display().to_string()),
            ("GRAFANA_PG_PASSWORD", GRAFANA_PW.to_string()),
        ],
    );
    assert_eq!(login(&served, "oktaql", PASSWORD).await, None);
    assert_eq!(login(&served, "analyst", ANALYST_PW).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_kept_read_only_cannot_write_on_a_server_that_allows_writes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let served = Served::start_without(
        &["--sandbox", "--allow-writes"],
        &[
            ("OKTAQL_CONFIG", cfg.display().to_string()),
            ("GRAFANA_PG_PASSWORD", GRAFANA_PW.to_string()),
        ],
        &["OKTAQL_SERVE_PASSWORD"],
    );
    let (client, conn) = tokio_postgres::connect(
        &served.conninfo_as("grafana", GRAFANA_PW),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let insert = format!(
        "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'my-org', '{DEMO_APP_ONE_SECRET}'"
    );
    let err = client.simple_query(&insert).await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
        "{err}"
    );
    let text = err.as_db_error().unwrap().message().to_string();
    assert!(text.contains("grafana is read-only"), "{text}");
    // Reading still works for that user.
    let rows = client
        .query(
            &format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_ONE_SECRET}'"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

/// Runs `oktaql serve --sandbox` with the config file `cfg` and `env`, without
/// OKTAQL_SERVE_PASSWORD unless given; returns its exit code and stderr.
fn refused(cfg: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oktaql"));
    cmd.args(["serve", "--sandbox", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("OKTAQL_CONFIG", cfg)
        .env_remove("OKTAQL_SERVE_PASSWORD")
        .env_remove("GRAFANA_PG_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.stdout.is_empty(), "it listened");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Environment variables of one start.
type Vars = &'static [(&'static str, &'static str)];

#[test]
fn start_up_refuses_a_section_that_cannot_be_used() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let open = write(d, "open.pw", "leaked-pw-3", 0o644);
    let entry = |body: &str| format!("serve:\n  users:\n    - name: grafana\n{body}");
    let cases: Vec<(String, Vars, &str)> = vec![
        (
            entry(&format!("      password_file: {}\n", open.display())),
            &[],
            "chmod 600",
        ),
        (
            entry("      password_env: GRAFANA_PG_PASSWORD\n"),
            &[],
            "GRAFANA_PG_PASSWORD (password_env) is not set",
        ),
        (
            entry("      password_env: GRAFANA_PG_PASSWORD\n"),
            &[("GRAFANA_PG_PASSWORD", "")],
            "GRAFANA_PG_PASSWORD (password_env) is empty",
        ),
        (
            entry("      password_env: GRAFANA_PG_PASSWORD\n    - name: grafana\n      password_env: GRAFANA_PG_PASSWORD\n"),
            &[("GRAFANA_PG_PASSWORD", "leaked-pw-4")],
            "'grafana' twice",
        ),
        (
            entry("      pasword_env: GRAFANA_PG_PASSWORD\n"),
            &[("GRAFANA_PG_PASSWORD", "leaked-pw-4")],
            "unknown field `pasword_env`",
        ),
        ("serve:\n  users: []\n".to_string(), &[], "OKTAQL_SERVE_PASSWORD"),
    ];
    for (text, env, want) in cases {
        let cfg = write(d, "config.yaml", &text, 0o600);
        let (code, err) = refused(&cfg, &[], env);
        assert_eq!(code, Some(2), "{text}: {err}");
        assert!(err.contains(want), "{text}: {err}");
        assert!(!err.contains("leaked-pw"), "a password was printed: {err}");
    }
    // --user without a password from anywhere.
    let cfg = write(
        d,
        "config.yaml",
        &entry("      password_env: GRAFANA_PG_PASSWORD\n"),
        0o600,
    );
    let (code, err) = refused(
        &cfg,
        &["--user", "someone"],
        &[("GRAFANA_PG_PASSWORD", "leaked-pw-4")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--user someone has no password"), "{err}");
    // A config file others can read, once it names server users.
    let cfg = write(d, "config.yaml", &entry("      password_env: G\n"), 0o644);
    let (code, err) = refused(&cfg, &[], &[("G", "leaked-pw-5")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
}
