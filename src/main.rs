//! The `oktaql` binary: argument parsing, wiring, exit codes. Everything else is in the
//! library.

mod cli;
mod progress;

/// Small allocations (JSON values, plans) are most of a statement's own work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Parser;

use oktaql::outfile::{write_outfile, Saved};
use oktaql::provider::{Registry, ServiceCache};
use oktaql::runner::{run_scripts, RunError, Script};
use oktaql::session::{orgs_report, OrgsReport, Reporting, Session, Terminals};
use oktaql::shell::ShellConfig;

use cli::{Cli, Command, ExecArgs, SessionArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let interactive = std::io::stdin().is_terminal();
    // Running a script waits on one request at a time, or on a fan-out's requests together:
    // one thread drives them all, and each response wakes the statement on the thread that
    // read it (no hand-over between threads per request). The shell and the sandbox server
    // keep a pool of threads.
    let one_thread = match &cli.command {
        Some(Command::Exec(_)) => true,
        Some(Command::Shell(_)) | None => !interactive,
        Some(Command::Sandbox(_)) => false,
        // Many connections at once.
        #[cfg(feature = "serve")]
        Some(Command::Serve(_)) => false,
        #[cfg(feature = "mcp")]
        Some(Command::Mcp(_)) => false,
        Some(Command::Orgs(_)) | Some(Command::Check(_)) => true,
        // Printing text needs no runtime at all.
        Some(Command::Completions(args)) => return print_completions(args.shell),
        Some(Command::Man) => return print_man(),
        Some(Command::Docs(args)) => return write_docs(args),
    };
    let mut builder = if one_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        // The shell reads lines on this thread and runs each statement on the runtime.
        Some(Command::Shell(args)) if interactive => shell(&runtime, args),
        None if interactive => shell(&runtime, SessionArgs::default()),
        // Standard input that is not a terminal is a script.
        Some(Command::Shell(session)) => runtime.block_on(exec(ExecArgs {
            session,
            ..ExecArgs::default()
        })),
        None => runtime.block_on(exec(ExecArgs::default())),
        Some(Command::Exec(args)) => runtime.block_on(exec(args)),
        #[cfg(feature = "serve")]
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        #[cfg(feature = "mcp")]
        Some(Command::Mcp(args)) => runtime.block_on(mcp(args)),
        Some(Command::Orgs(args)) => runtime.block_on(orgs(args, false)),
        Some(Command::Check(args)) => runtime.block_on(orgs(args, true)),
        Some(Command::Completions(_) | Command::Man | Command::Docs(_)) => Ok(ExitCode::SUCCESS),
        Some(Command::Sandbox(args)) => runtime.block_on(async {
            let mut out = std::io::stdout();
            oktaql::sandbox::cli::run(args, &mut out).await?;
            Ok(ExitCode::SUCCESS)
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `oktaql completions SHELL`: the script for that shell on stdout.
fn print_completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "oktaql", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// `oktaql docs --out DIR`: the reference pages.
fn write_docs(args: &cli::DocsArgs) -> ExitCode {
    let registry = match &args.registry {
        Some(dir) => match Registry::from_dir_with_cache(dir, ServiceCache::from_env()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot load the registry at {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        },
        None => Registry::embedded(),
    };
    match oktaql::reference::write_pages(&registry, &args.out) {
        Ok(files) => {
            eprintln!("wrote {} page(s) under {}", files.len(), args.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `oktaql man`: the manual page (roff) on stdout.
fn print_man() -> ExitCode {
    let command = <Cli as clap::CommandFactory>::command();
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(command).render(&mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the manual page: {e}");
            ExitCode::from(2)
        }
    }
}

/// Exit status when writes were applied but their output could not be saved where asked
/// (it is kept in an owner-only file beside it, or printed to stderr).
const EXIT_OUTPUT_LOST: u8 = 3;

/// Where a session reports: progress bars only on a terminal's stderr and never with
/// --quiet; notices then print above them.
fn reporting(quiet: bool, terminals: Terminals) -> Reporting {
    match (!quiet && terminals.stderr).then(progress::TerminalProgress::new) {
        Some(p) => Reporting {
            diagnostics: Arc::new(progress::BarDiagnostics(p.clone())),
            progress: Some(p),
        },
        None => Reporting::default(),
    }
}

/// Which standard streams are terminals.
fn terminals() -> Terminals {
    Terminals {
        stdout: std::io::stdout().is_terminal(),
        stderr: std::io::stderr().is_terminal(),
    }
}

/// `oktaql orgs` (and `oktaql check`): exit 1 when no org is configured or a check failed.
async fn orgs(args: SessionArgs, check: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    Ok(
        match orgs_report(&args.settings(), check, &mut out).await? {
            OrgsReport::Ok => ExitCode::SUCCESS,
            OrgsReport::NoneConfigured | OrgsReport::CheckFailed => ExitCode::from(1),
        },
    )
}

async fn exec(args: ExecArgs) -> Result<ExitCode> {
    let mut scripts = Vec::new();
    for sql in &args.sql {
        scripts.push(Script {
            name: "<command line>".into(),
            text: sql.clone(),
        });
    }
    for file in &args.files {
        if file.as_os_str() == "-" {
            scripts.push(Script::from_stdin(std::io::stdin())?);
        } else {
            scripts.push(Script::from_file(file)?);
        }
    }
    if scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            bail!("no SQL given: pass statements as an argument, a file with -f, or on standard input (try: oktaql exec --sandbox \"SHOW SERVICES IN okta\")");
        }
        scripts.push(Script::from_stdin(std::io::stdin())?);
    }
    let terminals = terminals();
    let reporting = reporting(args.session.quiet, terminals);
    let mut s = Session::start(&args.session.settings(), terminals, reporting).await?;
    // A run reads each identical GET once until it writes.
    s.engine.client().set_cache(oktaql::exec::CacheScope::Run);
    s.options.continue_on_error = args.continue_on_error;
    s.options.dry_run = args.dry_run;
    s.options.one_document = args.one_document;
    let writes = s.options.writes.clone();
    let stop = stop_signal();
    let work = async {
        let mut err = std::io::stderr();
        let report = match &args.session.outfile {
            Some(path) => {
                match write_outfile(path, &s.engine, &scripts, &s.options, &mut err).await? {
                    Saved::Yes(report) => report,
                    Saved::No => return Ok(ExitCode::from(EXIT_OUTPUT_LOST)),
                }
            }
            None => {
                let mut out = std::io::stdout().lock();
                match run_scripts(&s.engine, &scripts, &s.options, &mut out, &mut err).await {
                    Ok(r) => r,
                    Err(RunError::BrokenPipe) => return Ok(ExitCode::SUCCESS),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return Ok(if s.options.writes.report(&mut err) {
                            ExitCode::from(EXIT_OUTPUT_LOST)
                        } else {
                            ExitCode::from(2)
                        });
                    }
                }
            }
        };
        Ok::<ExitCode, anyhow::Error>(if report.failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    };
    // Ctrl-C, SIGTERM and SIGHUP drop the run: requests in flight are cancelled and a
    // half-written --outfile temporary file is removed; what was applied is reported.
    tokio::select! {
        result = work => result,
        (name, code) = stop => {
            eprintln!("{name}: requests in flight were cancelled");
            writes.report(&mut std::io::stderr());
            Ok(ExitCode::from(code))
        }
    }
}

/// `oktaql serve`: the PostgreSQL wire-protocol server, until Ctrl-C or SIGTERM.
#[cfg(feature = "serve")]
async fn serve(args: cli::ServeArgs) -> Result<ExitCode> {
    use oktaql::serve::{ServeConfig, Server, TlsFiles, DATABASE, DEFAULT_USER, PASSWORD_ENV};
    // Users first: a server nobody can log in to is refused before anything starts.
    let config_path = oktaql::auth::sources::config_path(
        args.session.config.as_deref(),
        std::env::var("OKTAQL_CONFIG").ok(),
        dirs::config_dir().as_deref(),
    );
    let env = |k: &str| std::env::var(k).ok();
    let config_users = match &config_path {
        Some(path) => oktaql::serve::from_config(
            path,
            &oktaql::serve::Lookup {
                env: &env,
                home: dirs::home_dir(),
            },
        )?,
        None => Vec::new(),
    };
    let user = args.user.clone().unwrap_or_else(|| DEFAULT_USER.into());
    let (users, replaced) = oktaql::serve::combine(
        config_users,
        &user,
        args.user.is_some(),
        std::env::var(PASSWORD_ENV).ok(),
        config_path.as_deref(),
    )?;
    if let (true, Some(path)) = (replaced, &config_path) {
        eprintln!("{}", oktaql::serve::overridden_note(&user, path));
    }
    let names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
    let terminals = terminals();
    let reporting = reporting(args.session.quiet, terminals);
    let s = Session::start(&args.session.settings(), terminals, reporting).await?;
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let secure = tls.is_some();
    let config = ServeConfig {
        listen: args.listen,
        users,
        allow_writes: args.allow_writes,
        tls,
        insecure_listen: args.insecure_listen,
        max_connections: args.max_connections,
    };
    let server = Server::bind(s.engine.clone(), config).await?;
    let addr = server.local_addr()?;
    // The first line on stdout names the address (a script started with port 0 reads it).
    println!("listening on {addr}");
    std::io::Write::flush(&mut std::io::stdout()).ok();
    eprintln!(
        "oktaql serve: database {DATABASE}, {} {}, {}, {}{}",
        if names.len() == 1 { "user" } else { "users" },
        names.join(", "),
        if secure { "TLS" } else { "no TLS" },
        if args.allow_writes {
            "writes allowed"
        } else {
            "read-only"
        },
        if s.has_sandbox() {
            " (built-in sandbox, demo org my-org)"
        } else {
            ""
        }
    );
    let stop = stop_signal();
    tokio::select! {
        result = server.run() => result?,
        (name, _) = stop => eprintln!("{name}: the server stopped"),
    }
    drop(s);
    Ok(ExitCode::SUCCESS)
}

/// `oktaql mcp`: the Model Context Protocol on stdio, until the client leaves.
#[cfg(feature = "mcp")]
async fn mcp(args: cli::McpArgs) -> Result<ExitCode> {
    let terminals = terminals();
    let reporting = reporting(args.session.quiet, terminals);
    let s = Session::start(&args.session.settings(), terminals, reporting).await?;
    let config = oktaql::mcp::McpConfig {
        allow_writes: args.allow_writes,
        reveal_secrets: args.reveal_secrets,
        max_rows: args.max_rows.max(1),
    };
    oktaql::mcp::OktaqlMcp::new(s.engine.clone(), config)
        .serve_stdio()
        .await
        .map_err(|e| anyhow::anyhow!("the MCP session failed: {e}"))?;
    drop(s);
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP with what to call it and the exit status.
///
/// The handlers are installed when this is called, not when the future is first polled:
/// a signal that arrives while the run is starting (an outfile's temporary file already
/// exists) must be caught, not end the process with the file left behind.
fn stop_signal() -> impl std::future::Future<Output = (&'static str, u8)> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let streams = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        );
        async move {
            let (Ok(mut int), Ok(mut term), Ok(mut hup)) = streams else {
                let _ = tokio::signal::ctrl_c().await;
                return ("interrupted", 130);
            };
            tokio::select! {
                _ = int.recv() => ("interrupted", 130),
                _ = term.recv() => ("terminated (SIGTERM)", 143),
                _ = hup.recv() => ("hung up (SIGHUP)", 129),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
            ("interrupted", 130)
        }
    }
}

fn shell(runtime: &tokio::runtime::Runtime, args: SessionArgs) -> Result<ExitCode> {
    if args.outfile.is_some() {
        bail!("--outfile is for oktaql exec; in the shell, results go to the terminal");
    }
    let terminals = terminals();
    let reporting = reporting(args.quiet, terminals);
    let mut s = runtime.block_on(Session::start(&args.settings(), terminals, reporting))?;
    s.options.summaries = true;
    let to_terminal = terminals.stdout;
    let mut banner = format!(
        "oktaql {} — SQL over the Okta Management API. .help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION")
    );
    if s.has_sandbox() {
        banner.push_str(&format!(
            "\nConnected to the built-in sandbox: demo org '{}', app '{}'.",
            oktaql::sandbox::DEMO_ORG,
            oktaql::sandbox::DEMO_APP_TWO_SECRETS
        ));
    }
    let config = ShellConfig {
        options: s.options.clone(),
        history: oktaql::shell::default_history_path(),
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        fit_terminal: to_terminal,
        banner,
        pager: to_terminal,
    };
    let result = oktaql::shell::run(runtime.handle(), &s.engine, config);
    drop(s);
    result?;
    Ok(ExitCode::SUCCESS)
}
