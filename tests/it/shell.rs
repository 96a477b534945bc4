//! The interactive shell driven through a real pseudo-terminal: prompt, multi-line input,
//! Tab completion, meta commands, errors that keep the shell, Ctrl-C cancelling a slow
//! statement and clearing a partial one, the history file (mode 0600, secrets redacted,
//! kept across runs) and Ctrl-D.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Regex};

const APP: &str = "0oa8f2kr7HwM3cPeL9s2";
const PROMPT: &str = "oktaql> ";

type Session = expectrl::session::OsSession;

/// Starts `oktaql shell ARGS` on a pseudo-terminal with its history under `data_home`.
/// `OKTAQL_TEST_BIN` runs it from another build (an earlier one, to see a test fail).
fn shell(data_home: &Path, args: &[&str], env: &[(&str, &str)]) -> Session {
    let bin =
        std::env::var_os("OKTAQL_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_oktaql").into());
    let mut cmd = Command::new(bin);
    cmd.arg("shell")
        .args(args)
        .env("XDG_DATA_HOME", data_home)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        // Results taller than the terminal go to the pager: print them as they are.
        .env("PAGER", "cat")
        .env_remove("OKTAQL_HISTORY")
        .env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut session = Session::spawn(cmd).expect("spawn the shell on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

/// Types a line and presses Enter.
fn enter(s: &mut Session, line: &str) {
    s.send(line).unwrap();
    s.send("\r").unwrap();
}

/// Presses Ctrl-C at the prompt and waits for a fresh one. The line editor drops keys
/// that arrive in the same read as the Ctrl-C, so the next keys wait until it was read.
fn interrupt(s: &mut Session) {
    s.send("\x03").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.expect(PROMPT).unwrap();
}

/// At the prompt, presses Ctrl-D and checks the shell exits with status 0.
fn leave_with_ctrl_d(mut s: Session) {
    s.send("\x04").unwrap();
    s.expect(Eof).unwrap();
    let status = s.get_process_mut().wait().unwrap();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "exit status: {status:?}"
    );
}

#[test]
fn multi_line_statement_timer_and_errors_keep_the_shell() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), &["--sandbox"], &[]);
    s.expect("demo org 'my-org'").unwrap();
    s.expect(PROMPT).unwrap();

    enter(&mut s, ".timer on");
    s.expect("timer: on").unwrap();
    s.expect(PROMPT).unwrap();

    // Enter before the `;` continues the statement on the next line.
    enter(&mut s, "SELECT id, status");
    enter(
        &mut s,
        &format!("FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';"),
    );
    s.expect("ocsnpBqEzjeUjeBLRktC").unwrap();
    s.expect(Regex(r"2 rows \([0-9.]+ m?s\)")).unwrap();
    s.expect(PROMPT).unwrap();

    // A statement that fails to plan, then one that fails at Okta: the shell stays.
    enter(
        &mut s,
        &format!(
            "SELECT nosuch FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';"
        ),
    );
    s.expect("<shell>:1:8: unknown column nosuch").unwrap();
    s.expect("  1 | SELECT nosuch FROM").unwrap();
    s.expect("    |        ^^^^^^\r\n").unwrap();
    s.expect(PROMPT).unwrap();
    // Over two lines, the position is the line of the entry that names the table.
    enter(&mut s, "SELECT id");
    enter(
        &mut s,
        "  FROM okta.apps.secrets WHERE subdomain = 'my-org';",
    );
    s.expect("<shell>:2:8: okta.apps.secrets: missing required parameter appId")
        .unwrap();
    s.expect("    |        ^^^^^^^^^^^^^^^^^\r\n").unwrap();
    s.expect(PROMPT).unwrap();
    enter(
        &mut s,
        "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '0oaNOPE';",
    );
    s.expect("404").unwrap();
    s.expect(PROMPT).unwrap();

    // Several statements on one line, and a meta command with a bad argument.
    enter(
        &mut s,
        "SHOW SERVICES IN okta; SHOW RESOURCES IN okta.apps;",
    );
    s.expect("okta.apps.secrets").unwrap();
    enter(&mut s, ".output xml");
    s.expect("unknown output format 'xml'").unwrap();
    s.expect(PROMPT).unwrap();

    // Ctrl-C on a partial statement clears it.
    enter(&mut s, "SELECT id");
    interrupt(&mut s);
    enter(&mut s, ".output csv");
    s.expect("output: csv").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, "SHOW SERVICES IN okta;");
    s.expect("name,title,description").unwrap();
    s.expect("3 rows").unwrap();

    // Templates from .set.
    enter(&mut s, ".set app 0oa8f2kr7HwM3cPeL9s2");
    s.expect("app is set").unwrap();
    enter(
        &mut s,
        "SELECT count(*) AS n FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{{ app }}';",
    );
    s.expect("n\r\n2").unwrap();
    s.expect(PROMPT).unwrap();
    leave_with_ctrl_d(s);
}

#[test]
fn tab_completes_names_methods_and_arguments() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), &["--sandbox"], &[]);
    s.expect(PROMPT).unwrap();

    // okta.ap<Tab> → okta.apps (the only service starting so).
    s.send("SHOW RESOURCES IN okta.ap").unwrap();
    s.send("\t").unwrap();
    s.expect("okta.apps").unwrap();
    enter(&mut s, ";");
    s.expect("okta.apps.secrets").unwrap();
    s.expect("5 rows").unwrap();
    s.expect(PROMPT).unwrap();

    // Resources, then a column in WHERE, then run it.
    s.send("SELECT id FROM okta.apps.sec").unwrap();
    s.send("\t").unwrap();
    s.expect("okta.apps.secrets").unwrap();
    s.send(" WHERE subdomain = 'my-org' AND app").unwrap();
    s.send("\t").unwrap();
    s.expect("appId").unwrap();
    enter(&mut s, &format!(" = '{APP}';"));
    s.expect("ocsnpBqEzjeUjeBLRktC").unwrap();
    s.expect(PROMPT).unwrap();

    // EXEC: method names, then @param= names of that method.
    s.send("EXEC okta.apps.secrets.deac").unwrap();
    s.send("\t").unwrap();
    s.expect("deactivate_oauth2_client_secret").unwrap();
    s.send(" @sec").unwrap();
    s.send("\t").unwrap();
    s.expect("@secretId=").unwrap();
    s.send("'x', @").unwrap();
    s.send("\t").unwrap();
    s.send("\t").unwrap();
    // The second Tab lists the remaining arguments.
    s.expect("@appId=").unwrap();
    s.expect("@subdomain=").unwrap();
    // The line is drawn again below the list.
    s.expect("@secretId='x', @").unwrap();
    interrupt(&mut s);

    // Meta commands complete too.
    s.send(".tim").unwrap();
    s.send("\t").unwrap();
    s.expect(".timer").unwrap();
    enter(&mut s, " on");
    s.expect("timer: on").unwrap();

    // .dryrun prints the plan, with the secret masked, and sends nothing.
    enter(&mut s, ".dryrun on");
    s.expect("dry run: on").unwrap();
    enter(
        &mut s,
        &format!("INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) SELECT 'dry-run-secret-1234', 'my-org', '{APP}';"),
    );
    s.expect("create_oauth2_client_secret").unwrap();
    s.expect(r#"body: {"client_secret":"****"}"#).unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, ".quit");
    s.expect(Eof).unwrap();
}

/// `oktaql sandbox` as a child process; killed on drop.
struct SlowSandbox {
    child: Child,
    url: String,
}

impl SlowSandbox {
    fn start(latency_ms: u64) -> SlowSandbox {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oktaql"))
            .args(["sandbox", "--listen", "127.0.0.1:0", "--latency"])
            .arg(latency_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sandbox");
        let stdout = child.stdout.take().unwrap();
        let mut url = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(u) = line.trim().strip_prefix("server URL template:") {
                url = Some(u.trim().to_string());
                break;
            }
        }
        SlowSandbox {
            child,
            url: url.expect("the sandbox prints its server URL template"),
        }
    }
}

impl Drop for SlowSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ctrl_c_cancels_a_running_statement() {
    let sandbox = SlowSandbox::start(6000);
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(
        home.path(),
        &["--server-url", &sandbox.url],
        &[("OKTA_API_TOKEN", "sandbox-token")],
    );
    s.expect(PROMPT).unwrap();
    enter(
        &mut s,
        &format!(
            "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';"
        ),
    );
    s.expect(format!("'{APP}';").as_str()).unwrap();
    let started = Instant::now();
    // Give the statement time to start its request (nothing is printed while it waits).
    std::thread::sleep(Duration::from_millis(600));
    s.send("\x03").unwrap();
    s.expect("cancelled").unwrap();
    s.expect(PROMPT).unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "Ctrl-C should not wait for the 6 s response, took {took:?}"
    );
    // The shell goes on: a statement answered from the provider runs at once.
    enter(&mut s, "SHOW RESOURCES IN okta.apps;");
    s.expect("okta.apps.secrets").unwrap();
    s.expect(PROMPT).unwrap();
    leave_with_ctrl_d(s);
}

#[test]
fn history_is_private_redacted_and_kept_across_runs() {
    let home = tempfile::tempdir().unwrap();
    let secret = "S3cr3t-value-that-must-never-reach-the-disk";
    let token = "00abcdefghijklmnopqrstuvwxyzABCDEFGHIJ1234";
    let mut s = shell(home.path(), &["--sandbox"], &[]);
    s.expect(PROMPT).unwrap();
    enter(
        &mut s,
        &format!(
            "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId)\r\
             SELECT '{secret}', 'my-org', '0oa8f2kq1XnT5bRzY4d7' RETURNING id, status;"
        ),
    );
    s.expect("ACTIVE").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, &format!(".set api_token {token}"));
    s.expect("api_token is set").unwrap();
    enter(&mut s, ".vars");
    s.expect("api_token = ****").unwrap();
    s.expect(PROMPT).unwrap();
    leave_with_ctrl_d(s);

    let path = home.path().join("oktaql").join("history");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(secret), "secret in history:\n{text}");
    assert!(!text.contains(token), "token in history:\n{text}");
    assert!(text.contains("'<redacted>', 'my-org'"), "{text}");
    assert!(text.contains(".set api_token <redacted>"), "{text}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "history file mode {mode:o}");
    }

    // A new shell starts with that history: Up recalls the last entry.
    let mut s = shell(home.path(), &["--sandbox"], &[]);
    s.expect(PROMPT).unwrap();
    s.send("\x1b[A").unwrap();
    s.expect(".vars").unwrap();
    interrupt(&mut s);
    leave_with_ctrl_d(s);
}

#[test]
fn bare_oktaql_on_a_terminal_opens_the_shell() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oktaql"));
    cmd.env("XDG_DATA_HOME", home.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        // Results taller than the terminal go to the pager: print them as they are.
        .env("PAGER", "cat")
        .env_remove("OKTAQL_HISTORY");
    let mut s = Session::spawn(cmd).unwrap();
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect(PROMPT).unwrap();
    // Discovery needs no org: it is answered from the provider.
    enter(&mut s, ".output csv");
    s.expect("output: csv").unwrap();
    enter(&mut s, "SHOW METHODS IN okta.apps.secrets;");
    s.expect("deactivate_oauth2_client_secret").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, "\\q");
    s.expect(Eof).unwrap();
    let status = s.get_process_mut().wait().unwrap();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
}

#[test]
fn history_redacts_union_rows_dollar_strings_and_refuses_a_hostile_set() {
    let home = tempfile::tempdir().unwrap();
    let (first, second, dollar) = (
        "UnionRowOneSecretValue-abcdefghijkl",
        "UnionRowTwoSecretValue-abcdefghijkl",
        "DollarQuotedSecretValue-abcdefghijk",
    );
    let mut s = shell(home.path(), &["--sandbox"], &[]);
    s.expect(PROMPT).unwrap();
    // The app already has its two secrets: the creates fail; only the history matters.
    enter(
        &mut s,
        &format!(
            "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) \
             SELECT 'x{first}', 'my-org', '{APP}' UNION ALL SELECT 'x{second}', 'my-org', '{APP}';"
        ),
    );
    s.expect("error:").unwrap();
    s.expect(PROMPT).unwrap();
    enter(
        &mut s,
        &format!(
            "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) \
             SELECT $$x{dollar}$$, 'my-org', '{APP}' RETURNING id;"
        ),
    );
    s.expect("must be a literal").unwrap();
    s.expect(PROMPT).unwrap();
    // `.set` values are data too: outside quotes only a plain value may stand.
    enter(&mut s, ".set n 1; DELETE FROM okta.apps.secrets");
    s.expect("n is set").unwrap();
    enter(
        &mut s,
        &format!("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}' LIMIT {{{{ n }}}};"),
    );
    s.expect("variable n").unwrap();
    s.expect(PROMPT).unwrap();
    leave_with_ctrl_d(s);
    let text = std::fs::read_to_string(home.path().join("oktaql").join("history")).unwrap();
    for secret in [first, second, dollar] {
        assert!(!text.contains(secret), "{secret} in history:\n{text}");
    }
    assert!(text.contains("'my-org'"), "{text}");
}

#[test]
fn tables_schema_and_expanded_display_as_in_sqlite3_and_psql() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), &["--sandbox"], &[]);
    s.expect(PROMPT).unwrap();

    enter(&mut s, ".tables secret");
    s.expect("okta.apps.secrets\r\n").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, "\\dt okta.apps.*");
    s.expect("okta.apps.applications\r\n").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, ".tables nothing-like-this");
    s.expect("no resource matches 'nothing-like-this'").unwrap();
    s.expect(PROMPT).unwrap();

    // \d RESOURCE is its DESCRIBE: the columns with their types.
    enter(&mut s, "\\d okta.apps.secrets");
    s.expect("client_secret").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, ".schema okta.apps.nosuch");
    s.expect("nosuch").unwrap();
    s.expect(PROMPT).unwrap();

    // \x toggles expanded display: one block per row.
    enter(&mut s, "\\x");
    s.expect("expanded display: on").unwrap();
    s.expect(PROMPT).unwrap();
    enter(
        &mut s,
        &format!("SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}';"),
    );
    s.expect("-[ RECORD 1 ]").unwrap();
    s.expect("status | INACTIVE").unwrap();
    s.expect("-[ RECORD 2 ]").unwrap();
    s.expect("status | ACTIVE").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, "\\x off");
    s.expect("expanded display: off").unwrap();
    s.expect(PROMPT).unwrap();
    enter(&mut s, "\\?");
    s.expect(".tables").unwrap();
    s.expect(PROMPT).unwrap();
    leave_with_ctrl_d(s);
}

#[test]
fn a_terminal_that_reports_no_width_gets_whole_rows() {
    // `stty cols 0` is what a pseudo-terminal nobody sized reports: before, the table was
    // fitted to 0 columns and every cell came out one character per line.
    if Command::new("stty").arg("--version").output().is_err() {
        eprintln!("SKIPPED: stty is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_oktaql");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "stty cols 0 rows 0 && exec '{bin}' exec --sandbox \
             \"SELECT id, status FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{APP}'\""
        ))
        .env("NO_COLOR", "1")
        .env_remove("OKTAQL_SERVER_URL")
        .env_remove("OKTA_API_TOKEN");
    let mut s = Session::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    let out = s.expect(Eof).unwrap();
    let mut bytes = out.before().to_vec();
    out.matches().for_each(|m| bytes.extend_from_slice(m));
    let text = String::from_utf8_lossy(&bytes).to_string();
    assert!(
        text.contains("│ ocsnpBqEzjeUjeBLRktC ┆ ACTIVE   │"),
        "{text}"
    );
    assert!(text.lines().count() < 10, "{text}");
}

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .expect("run tmux")
}

/// Waits until `check` holds, up to 30 s.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tall_results_go_through_the_pager_until_pager_off() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed; the pager needs a real terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("paged.txt");
    // The pager: records what it is given, and a line for each time it ran.
    let pager = dir.path().join("pager.sh");
    std::fs::write(
        &pager,
        format!(
            "cat >> '{0}'; echo '=== pager ran' >> '{0}'\n",
            record.display()
        ),
    )
    .unwrap();
    let runs = || {
        std::fs::read_to_string(&record)
            .unwrap_or_default()
            .matches("=== pager ran")
            .count()
    };
    let socket = format!("oktaql-pager-{}", std::process::id());
    let command = format!(
        "env -u OKTAQL_SERVER_URL -u OKTA_API_TOKEN NO_COLOR=1 OKTAQL_HISTORY=off PAGER='sh {}' '{}' shell --sandbox",
        pager.display(),
        env!("CARGO_BIN_EXE_oktaql")
    );
    let started = tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "20",
            "sh",
            "-c",
            &command,
        ],
    );
    assert!(started.status.success(), "{started:?}");
    let pane =
        || String::from_utf8_lossy(&tmux(&socket, &["capture-pane", "-p"]).stdout).to_string();
    // tmux reads an argument ending in `;` as a command separator: the `;` goes as a key code.
    let send = |line: &str| {
        let text = line.strip_suffix(';').unwrap_or(line);
        tmux(&socket, &["send-keys", "-t", "0", "-l", text]);
        if text.len() < line.len() {
            tmux(&socket, &["send-keys", "-t", "0", "-H", "3b"]);
        }
        tmux(&socket, &["send-keys", "-t", "0", "Enter"]);
    };
    wait_for("the prompt", || pane().contains(PROMPT.trim_end()));

    // 40 rows on a 20-line terminal: paged, whole.
    let tall = "SELECT id, label FROM okta.apps.applications WHERE subdomain = 'my-org' LIMIT 40;";
    send(tall);
    wait_for("the pager", || runs() == 1);
    let paged = std::fs::read_to_string(&record).unwrap();
    assert_eq!(
        paged.lines().filter(|l| l.starts_with("│ 0oa")).count(),
        40,
        "{paged}"
    );

    // A short result is printed, not paged.
    send("SHOW SERVICES IN okta;");
    wait_for("the short result", || pane().contains("│ apps"));
    assert_eq!(runs(), 1);

    // .pager off: the tall result is printed too.
    send(".pager off");
    wait_for("pager: off", || pane().contains("pager: off"));
    send(tall);
    wait_for("the tall result on the terminal", || {
        pane().lines().filter(|l| l.starts_with("│ 0oa")).count() > 10
    });
    assert_eq!(runs(), 1);
    send(".quit");
    let _ = tmux(&socket, &["kill-server"]);
}
