//! Starting `oktaql serve` on an ephemeral port for the wire-protocol tests, and connecting
//! to it with tokio-postgres.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The password every test server is started with.
pub const PASSWORD: &str = "s3rve-test-pw";

/// A running `oktaql serve`; killed when dropped.
pub struct Served {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `oktaql serve --listen 127.0.0.1:0` with `args` and `env`, and waits until it
    /// names its address.
    pub fn start(args: &[&str], env: &[(&str, String)]) -> Served {
        Served::start_without(args, env, &[])
    }

    /// As [`Served::start`], with the variables `remove` unset (`OKTAQL_SERVE_PASSWORD`
    /// included, to log in only as the config file's users).
    pub fn start_without(args: &[&str], env: &[(&str, String)], remove: &[&str]) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oktaql"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("OKTAQL_SERVE_PASSWORD", PASSWORD)
            .env_remove("OKTA_API_TOKEN")
            .env_remove("OKTAQL_SERVER_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        for k in remove {
            cmd.env_remove(k);
        }
        let mut child = cmd.spawn().expect("start oktaql serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("oktaql serve did not name its address: {line:?}"));
        Served { child, port }
    }

    /// A libpq-style connection string for `password`.
    pub fn conninfo(&self, password: &str) -> String {
        self.conninfo_as("oktaql", password)
    }

    /// A libpq-style connection string for `user` with `password`.
    pub fn conninfo_as(&self, user: &str, password: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} password={password} dbname=okta",
            self.port
        )
    }

    /// A connected tokio-postgres client (its connection driven by a spawned task).
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, conn) =
            tokio_postgres::connect(&self.conninfo(PASSWORD), tokio_postgres::NoTls)
                .await
                .expect("connect to oktaql serve");
        tokio::spawn(conn);
        client
    }
}

pub use crate::common::has;

/// Runs psql with `commands` (each a -c) against the server; its stdout.
pub fn psql(served: &Served, commands: &[&str]) -> String {
    let mut cmd = Command::new("psql");
    cmd.args([
        "-X",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-U",
        "oktaql",
        "-d",
        "okta",
    ])
    .args(["-p", &served.port.to_string()])
    .env("PGPASSWORD", PASSWORD)
    .env("PGCONNECT_TIMEOUT", "10");
    for c in commands {
        cmd.args(["-c", c]);
    }
    let out = cmd.output().expect("run psql");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
