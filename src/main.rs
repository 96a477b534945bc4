//! The `oktaql` binary: argument parsing, wiring, exit codes. Everything else is in the
//! library.

mod cli;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use oktaql::runner::{run_scripts, RunError, Script};
use oktaql::session::{write_outfile, Session};
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
            scripts.push(read_stdin()?);
        } else {
            let text = std::fs::read_to_string(file).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the SQL file {}: {e} — check the path (use -f - for standard input)",
                    file.display()
                )
            })?;
            scripts.push(Script {
                name: file.display().to_string(),
                text,
            });
        }
    }
    if scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            bail!("no SQL given: pass statements as an argument, a file with -f, or on standard input (try: oktaql exec --sandbox \"SHOW SERVICES IN okta\")");
        }
        scripts.push(read_stdin()?);
    }
    let mut s = Session::start(&(&args.session).into()).await?;
    s.options.continue_on_error = args.continue_on_error;
    s.options.dry_run = args.dry_run;
    let work = async {
        let report = match &args.session.outfile {
            Some(path) => write_outfile(path, &s, &scripts, &mut std::io::stderr()).await?,
            None => {
                let mut out = std::io::stdout().lock();
                let mut err = std::io::stderr();
                match run_scripts(&s.engine, &scripts, &s.options, &mut out, &mut err).await {
                    Ok(r) => r,
                    Err(RunError::BrokenPipe) => return Ok(ExitCode::SUCCESS),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Ok::<ExitCode, anyhow::Error>(if report.failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    };
    // Ctrl-C drops the run: requests in flight are cancelled and a half-written --outfile
    // temporary file is removed.
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: requests in flight were cancelled (a write already sent may have taken effect; check with a SELECT)");
            Ok(ExitCode::from(130))
        }
    }
}

fn read_stdin() -> Result<Script> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read standard input")?;
    Ok(Script {
        name: "<stdin>".into(),
        text,
    })
}

fn shell(runtime: &tokio::runtime::Runtime, args: SessionArgs) -> Result<ExitCode> {
    if args.outfile.is_some() {
        bail!("--outfile is for oktaql exec; in the shell, results go to the terminal");
    }
    let mut s = runtime.block_on(Session::start(&(&args).into()))?;
    s.options.summaries = true;
    let to_terminal = std::io::stdout().is_terminal();
    let mut banner = format!(
        "oktaql {} — SQL over the Okta Management API. .help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION")
    );
    if s.uses_sandbox() {
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
    };
    let result = oktaql::shell::run(runtime.handle(), &s.engine, config);
    drop(s);
    result?;
    Ok(ExitCode::SUCCESS)
}
