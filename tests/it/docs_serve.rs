//! Runs the commands of `docs/serve.md` against `oktaql serve --sandbox`: the psql lines,
//! the psycopg snippet, and the postgres_fdw set-up and federated join in a throwaway
//! PostgreSQL cluster. Each part says SKIPPED when its client or server is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::serve_support::{has, Served};

/// The password the doc uses.
const DOC_PASSWORD: &str = "change-me";

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/serve.md")).unwrap()
}

/// The bodies of the doc's blocks fenced as `lang`.
fn fenced(doc: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("```{lang}") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push(body.join("\n"));
        }
    }
    out
}

fn serve() -> Served {
    Served::start(
        &["--sandbox"],
        &[("OKTAQL_SERVE_PASSWORD", DOC_PASSWORD.to_string())],
    )
}

#[test]
fn the_doc_starts_the_server_the_tests_start() {
    let sh = fenced(&doc(), "sh").join("\n");
    // The tests start exactly these commands (on a free port): serve here, mcp in tests/mcp.rs.
    assert!(sh.contains("OKTAQL_SERVE_PASSWORD=change-me oktaql serve --sandbox"));
    assert!(sh.contains("oktaql mcp --sandbox"));
}

#[test]
fn psql_lines_run() {
    if !has("psql", &["--version"]) {
        eprintln!("SKIPPED: psql is not installed");
        return;
    }
    let served = serve();
    let lines: Vec<String> = fenced(&doc(), "sh")
        .iter()
        .flat_map(|b| b.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|l| l.starts_with("PGPASSWORD=") && l.contains("psql "))
        .collect();
    assert_eq!(lines.len(), 3);
    let mut all = String::new();
    for line in lines {
        let line = line.replace("-p 5433", &format!("-p {}", served.port));
        let out = Command::new("sh").args(["-c", &line]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        println!("$ {line}\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{line}");
        all.push_str(&stdout);
    }
    assert!(all.contains("Table \"apps.secrets\""), "{all}");
    assert!(all.contains("(2 rows)"), "{all}");
    // The information_schema line: the two columns, created as a timestamp.
    assert!(
        all.lines()
            .any(|l| l.contains("created") && l.contains("timestamp with time zone")),
        "{all}"
    );
}

#[test]
fn the_serve_section_of_the_doc_is_accepted_and_its_users_log_in() {
    let yaml = fenced(&doc(), "yaml").pop().expect("a yaml block");
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".config").join("oktaql");
    std::fs::create_dir_all(&dir).unwrap();
    let secret = |path: &Path, text: &str| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    let config = dir.join("config.yaml");
    secret(&config, &yaml);
    secret(&dir.join("analyst.pw"), "analyst-doc-pw\n");
    let served = Served::start_without(
        &["--sandbox"],
        &[
            ("HOME", home.path().display().to_string()),
            ("OKTAQL_CONFIG", config.display().to_string()),
            ("GRAFANA_PG_PASSWORD", "grafana-doc-pw".to_string()),
        ],
        &["OKTAQL_SERVE_PASSWORD"],
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (user, password) in [("grafana", "grafana-doc-pw"), ("analyst", "analyst-doc-pw")] {
        let conninfo = served.conninfo_as(user, password);
        let logged_in = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
                .await
                .expect("log in");
            tokio::spawn(conn);
            client
                .query_one("SELECT current_user", &[])
                .await
                .unwrap()
                .get::<_, String>(0)
        });
        assert_eq!(logged_in, user);
    }
}

#[test]
fn psycopg_snippet_runs() {
    if !has("python3", &["-c", "import psycopg"]) {
        eprintln!("SKIPPED: psycopg is not installed (pip install 'psycopg[binary]')");
        return;
    }
    let served = serve();
    let code = fenced(&doc(), "python")
        .pop()
        .unwrap()
        .replace("port=5433", &format!("port={}", served.port));
    let out = Command::new("python3")
        .args(["-c", &code])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("ocs") && l.contains("ACTIVE")),
        "{stdout}"
    );
}

/// Free space a memory file system must have to hold the throwaway cluster (about 40 MB of
/// files) with room to spare, PostgreSQL's shared memory segments included.
const IN_MEMORY_ROOM: u64 = 256 << 20;

/// Bytes free for us on the file system holding `dir`, when it can be asked.
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `stat` is a valid, writable statvfs.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// A throwaway PostgreSQL cluster, stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts one, or says why it cannot.
    fn start(bin: &Path) -> Result<Cluster, String> {
        if !bin.join("initdb").exists() {
            return Err(format!("no initdb in {}", bin.display()));
        }
        // PostgreSQL refuses to run as root: run it as the postgres user when we are root.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        if as_postgres && !has("runuser", &["-u", "postgres", "--", "true"]) {
            return Err("running as root and cannot run as the postgres user".into());
        }
        // In memory where the system has room for it: on a disk, creating the cluster's
        // files is most of initdb's time.
        let shm = Path::new("/dev/shm");
        let dir = if free_bytes(shm).is_some_and(|free| free >= IN_MEMORY_ROOM) {
            tempfile::Builder::new().tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .map_err(|e| e.to_string())?;
        if as_postgres {
            let _ = Command::new("chown")
                .args(["postgres"])
                .arg(dir.path())
                .status();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            bin: bin.to_path_buf(),
            dir,
            port,
            as_postgres,
        };
        let init = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            // Trust on a unix socket only (below: no TCP listener), in a directory of ours;
            // nothing is synced to disk: the cluster is gone when the test ends.
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .map_err(|e| e.to_string())?;
        if !init.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr)
            ));
        }
        let opts = format!(
            "-p {port} -k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c shared_buffers=16MB",
            cluster.dir.path().display()
        );
        let start = cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(cluster.data())
            .args(["-o", &opts, "-w", "-l"])
            .arg(cluster.dir.path().join("log"))
            .arg("start")
            .output()
            .map_err(|e| e.to_string())?;
        if !start.status.success() {
            return Err(format!(
                "pg_ctl start failed: {}",
                String::from_utf8_lossy(&start.stderr)
            ));
        }
        Ok(cluster)
    }

    /// Runs SQL in it with psql; stdout.
    fn psql(&self, sql: &str) -> String {
        let file = self.dir.path().join("step.sql");
        std::fs::write(&file, sql).unwrap();
        let out = self
            .command("psql")
            .args([
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .arg("-h")
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-f"])
            .arg(&file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{sql}");
        stdout
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

#[test]
fn postgres_fdw_joins_okta_with_a_local_table() {
    let bin = PathBuf::from(
        std::env::var("OKTAQL_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into()),
    );
    if !bin.join("psql").exists() && !has("psql", &["--version"]) {
        eprintln!("SKIPPED: no PostgreSQL server binaries (set OKTAQL_PG_BIN)");
        return;
    }
    // The cluster starts while the server does.
    let starting = std::thread::spawn(move || Cluster::start(&bin));
    let served = serve();
    let cluster = match starting.join().unwrap() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("SKIPPED: cannot start a PostgreSQL cluster: {why}");
            return;
        }
    };
    let blocks = fenced(&doc(), "sql");
    let setup = blocks
        .iter()
        .find(|b| b.starts_with("-- step: fdw-setup"))
        .unwrap();
    let join = blocks
        .iter()
        .find(|b| b.starts_with("-- step: fdw-join"))
        .unwrap();
    cluster.psql(&setup.replace("port '5433'", &format!("port '{}'", served.port)));
    let out = cluster.psql(join);
    assert!(out.contains("grafana-team"), "{out}");
    assert!(out.contains("payroll-team"), "{out}");
    assert!(out.contains("(3 rows)"), "{out}");
}
