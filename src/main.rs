//! The `oktaql` binary: argument parsing, wiring, exit codes. Everything else is in the
//! library.

mod cli;
mod progress;

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;

use oktaql::auth::sources::{Flags, Inputs};
use oktaql::auth::Credentials;
use oktaql::exec::{ClientConfig, Diagnostics, StderrDiagnostics};
use oktaql::provider::{Registry, ServiceCache};
use oktaql::render::{terminal_width, RenderOptions};
use oktaql::runner::{run_scripts, RunError, RunOptions, Script};
use oktaql::sandbox::{Sandbox, SandboxConfig};
use oktaql::shell::ShellConfig;
use oktaql::template::Vars;
use oktaql::{Engine, EngineConfig};

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

/// Longest `--timeout` accepted.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Exit status when writes were applied but their output could not be saved where asked
/// (it is kept in an owner-only file beside it, or printed to stderr).
const EXIT_OUTPUT_LOST: u8 = 3;

/// The engine and, with `--sandbox`, the sandbox it talks to (kept alive with it).
struct Session {
    engine: Engine,
    sandbox: Option<Sandbox>,
    options: RunOptions,
}

async fn session(args: &SessionArgs) -> Result<Session> {
    let registry = match &args.registry {
        Some(dir) => Registry::from_dir_with_cache(dir, ServiceCache::from_env())
            .with_context(|| format!("cannot load the registry at {}", dir.display()))?,
        None => Registry::embedded(),
    };
    let mut server_url = args.server_url.clone().filter(|u| !u.trim().is_empty());
    let credentials;
    let sandbox = if args.sandbox {
        let sb = Sandbox::start(SandboxConfig {
            latency: args.sandbox_latency.map(Duration::from_millis),
            ..SandboxConfig::default()
        })
        .await
        .context("cannot start the built-in sandbox")?;
        server_url = Some(sb.url_template());
        // The sandbox's token is bound to the sandbox's server.
        credentials = Credentials::default().with_loose_token(
            sb.token(),
            "the sandbox token",
            server_url.clone(),
        );
        Some(sb)
    } else {
        credentials = load_credentials(args, server_url.clone())?;
        None
    };
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT);
    let Some(timeout) = timeout else {
        bail!(
            "--timeout must be a positive number of seconds, at most {} (a day)",
            MAX_TIMEOUT.as_secs()
        );
    };
    let client = ClientConfig {
        credentials: Some(Arc::new(credentials)),
        timeout,
        concurrency: usize::from(args.concurrency),
        rate_share: args.rate_share,
        org_concurrency: usize::from(args.org_concurrency),
        max_pages: args.max_pages,
        max_body_bytes: args.max_body_mb as usize * 1024 * 1024,
        debug: args.debug,
        ..ClientConfig::default()
    };
    // Progress only on a terminal's stderr, never with --quiet; notices then print above it.
    let progress =
        (!args.quiet && std::io::stderr().is_terminal()).then(progress::TerminalProgress::new);
    let diagnostics: Arc<dyn Diagnostics> = match &progress {
        Some(p) => Arc::new(progress::BarDiagnostics(p.clone())),
        None => Arc::new(StderrDiagnostics),
    };
    let config = EngineConfig {
        registry,
        server_url,
        client,
        strict: args.strict,
        diagnostics,
    };
    let mut engine = Engine::new(config)?;
    if let Some(p) = progress {
        engine = engine.with_progress(p);
    }
    let mut vars = Vars::default();
    if let Some(file) = &args.vars_file {
        vars = Vars::from_json_file(file)?;
    }
    vars.merge(Vars::from_pairs(&args.vars)?);
    let to_terminal = args.outfile.is_none() && std::io::stdout().is_terminal();
    let options = RunOptions {
        format: args.output,
        render: RenderOptions {
            hide_headers: args.hide_headers,
            width: if to_terminal { terminal_width() } else { None },
            color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
            expanded: false,
        },
        vars,
        continue_on_error: false,
        dry_run: false,
        summaries: std::io::stderr().is_terminal(),
        timer: false,
        writes: Arc::default(),
        one_document: false,
    };
    Ok(Session {
        engine,
        sandbox,
        options,
    })
}

/// Reads the credentials from flags, the environment, okta.yaml files and the config file.
fn load_credentials(args: &SessionArgs, server_template: Option<String>) -> Result<Credentials> {
    let flags = Flags {
        org_url: args.org_url.clone(),
        org: args.org.clone(),
        token_file: args.token_file.clone(),
        client_id: args.client_id.clone(),
        private_key: args.private_key.clone(),
        key_id: args.key_id.clone(),
        scopes: args.scopes.clone(),
        dpop: args.dpop,
        config: args.config.clone(),
    };
    let env = |k: &str| std::env::var(k).ok();
    let inputs = Inputs {
        flags: &flags,
        env: &env,
        home: dirs::home_dir(),
        cwd: std::env::current_dir().unwrap_or_default(),
        config_dir: dirs::config_dir(),
        server_template,
    };
    Ok(oktaql::auth::sources::load(&inputs)?)
}

/// `oktaql orgs` (and `oktaql check`): the configured orgs, never a secret; with `check`,
/// each credential tried once.
async fn orgs(args: SessionArgs, check: bool) -> Result<ExitCode> {
    let server = args.server_url.clone().filter(|u| !u.trim().is_empty());
    let creds = Arc::new(load_credentials(&args, server)?);
    let default = creds.default_org().map(|o| o.name.clone());
    let mut out = std::io::stdout().lock();
    if creds.orgs().is_empty() && creds.loose_token().is_none() {
        writeln!(
            out,
            "no orgs configured: see oktaql --help for the variables, and docs/auth.md"
        )?;
        return Ok(ExitCode::from(1));
    }
    let client = oktaql::exec::Client::new(ClientConfig {
        credentials: Some(creds.clone()),
        timeout: Duration::from_secs_f64(args.timeout),
        ..ClientConfig::default()
    })?;
    let mut failed = false;
    for org in creds.orgs() {
        let mark = if default.as_deref() == Some(org.name.as_str()) {
            " (default)"
        } else {
            ""
        };
        writeln!(
            out,
            "{}{mark}\n  url:    {}\n  method: {}",
            org.name,
            org.url,
            org.credential.mode()
        )?;
        if let oktaql::auth::Credential::ServiceApp(app) = &org.credential {
            writeln!(
                out,
                "  client id: {}\n  key:    {:?}{}\n  scopes: {}\n  dpop:   {}",
                app.client_id,
                app.key.algorithm(),
                app.key_id
                    .as_ref()
                    .map(|k| format!(" (kid {k})"))
                    .unwrap_or_default(),
                app.scopes.join(" "),
                if app.dpop {
                    "always"
                } else {
                    "when the server asks"
                }
            )?;
        }
        for (setting, source) in &org.origins {
            writeln!(out, "  {setting} from {source}")?;
        }
        if check {
            match check_org(&client, org).await {
                Ok(line) => writeln!(out, "  check:  ok — {line}")?,
                Err(e) => {
                    failed = true;
                    writeln!(
                        out,
                        "  check:  FAILED — {}",
                        client.config().secrets.mask_text(&format!("{e:#}"))
                    )?
                }
            }
        }
    }
    if let Some(t) = creds.loose_token() {
        writeln!(
            out,
            "(no name)\n  method: SSWS\n  token from {}\n  goes to: {}",
            t.source,
            t.template
                .as_deref()
                .unwrap_or("one org per run on Okta's own domains")
        )?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One cheap proof that an org's credential works.
async fn check_org(client: &oktaql::exec::Client, org: &oktaql::auth::Org) -> Result<String> {
    match &org.credential {
        oktaql::auth::Credential::ServiceApp(_) => {
            let info = client.check_token(org).await?;
            Ok(format!(
                "{} token, scopes granted: {}, expires in {} s ({} token request{})",
                info.token_type,
                info.scopes.join(" "),
                info.expires_in,
                info.requests,
                if info.requests == 1 { "" } else { "s" }
            ))
        }
        oktaql::auth::Credential::ApiToken(_) => {
            let req = oktaql::plan::HttpRequest {
                resource: "okta.apps.applications".into(),
                method: "list_applications".into(),
                http_method: "GET".into(),
                url: format!("{}/api/v1/apps", org.url),
                query: vec![("limit".into(), "1".into())],
                body: None,
                paginate: false,
                response_shape: oktaql::provider::ResponseShape::Array,
                bound: vec![],
            };
            client.send(&req).await?;
            Ok("SSWS token accepted (GET /api/v1/apps?limit=1)".into())
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
            let text = std::fs::read_to_string(file).map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => anyhow::anyhow!(
                    "the SQL file {} is not UTF-8 text: save it as UTF-8",
                    file.display()
                ),
                _ => anyhow::anyhow!(
                    "cannot read the SQL file {}: {e} — check the path (use -f - for standard input)",
                    file.display()
                ),
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
    let mut s = session(&args.session).await?;
    // A run reads each identical GET once until it writes.
    s.engine.client().set_cache(oktaql::exec::CacheScope::Run);
    s.options.continue_on_error = args.continue_on_error;
    s.options.dry_run = args.dry_run;
    s.options.one_document = args.one_document;
    let writes = s.options.writes.clone();
    let stop = stop_signal();
    let work = async {
        let report = match &args.session.outfile {
            Some(path) => match write_outfile(path, &s, &scripts).await? {
                Saved::Yes(report) => report,
                Saved::No => return Ok(ExitCode::from(EXIT_OUTPUT_LOST)),
            },
            None => {
                let mut out = std::io::stdout().lock();
                let mut err = std::io::stderr();
                match run_scripts(&s.engine, &scripts, &s.options, &mut out, &mut err).await {
                    Ok(r) => r,
                    Err(RunError::BrokenPipe) => return Ok(ExitCode::SUCCESS),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return Ok(if report_writes(&s.options.writes) {
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
            report_writes(&writes);
            Ok(ExitCode::from(code))
        }
    }
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

/// Says which writes were applied and which was in flight; whether any was applied.
fn report_writes(writes: &oktaql::runner::WriteLog) -> bool {
    let applied = writes.applied();
    if !applied.is_empty() {
        eprintln!("{} write(s) applied:", applied.len());
        for w in &applied {
            eprintln!("  {w}");
        }
    }
    if let Some(w) = writes.in_flight() {
        eprintln!("a write was in flight and may have been applied (check with a SELECT):\n  {w}");
    }
    !applied.is_empty()
}

/// Whether the output reached its file.
enum Saved {
    Yes(oktaql::runner::RunReport),
    /// Writes were applied and the output could not be put in place (reported).
    No,
}

/// Refuses an output target that cannot take the result, before anything is sent.
fn check_outfile(path: &Path) -> Result<()> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            bail!("cannot write the output to {shown}: it is a directory — nothing was sent; give a file name")
        }
        Ok(m) if !m.is_file() => {
            bail!("cannot write the output to {shown}: it is not a regular file — nothing was sent")
        }
        Ok(_) => {
            if let Err(e) = std::fs::OpenOptions::new().append(true).open(path) {
                bail!("cannot write the output to {shown}: {e} — nothing was sent");
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!("cannot write the output to {shown}: {e} — nothing was sent"),
    }
    Ok(())
}

/// Keeps the temporary output (owner-only) after writes were applied; names it, or prints
/// the output to stderr when even that fails.
fn keep_output(tmp: tempfile::NamedTempFile) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600));
    }
    match tmp.keep() {
        Ok((_, kept)) => eprintln!("the output was kept in {} (owner-only)", kept.display()),
        Err(e) => {
            let text = std::fs::read_to_string(e.file.path()).unwrap_or_default();
            eprintln!("the output, which could not be saved anywhere:\n{text}");
        }
    }
}

/// Runs into a temporary file beside `path` and renames it over `path` only when every
/// statement succeeded; files holding secrets stay owner-only. The target is checked before
/// anything is sent; when the output cannot be put in place after writes were applied, it
/// is kept in the (owner-only) temporary file and the writes are listed.
async fn write_outfile(path: &Path, s: &Session, scripts: &[Script]) -> Result<Saved> {
    check_outfile(path)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".oktaql-")
        .tempfile_in(&dir)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create a temporary file in {}: {e} — nothing was sent",
                dir.display()
            )
        })?;
    let mut err = std::io::stderr();
    let written = {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let r = run_scripts(&s.engine, scripts, &s.options, &mut w, &mut err).await;
        w.flush().map_err(|e| RunError::Output(e.into())).and(r)
    };
    let report = match written {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot write the output file: {e}");
            if report_writes(&s.options.writes) {
                keep_output(tmp);
                return Ok(Saved::No);
            }
            return Err(anyhow::anyhow!("{} was not written", path.display()));
        }
    };
    if report.failed > 0 {
        eprintln!(
            "{} was not written because a statement failed",
            path.display()
        );
        if report_writes(&s.options.writes) {
            keep_output(tmp);
        }
        return Ok(Saved::Yes(report));
    }
    tmp.as_file().sync_all().ok();
    // The temporary file is owner-only; without secrets in it, give the result the mode
    // of the file it replaces, or the usual mode of a new file.
    #[cfg(unix)]
    if !report.wrote_secrets {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(m) => m.permissions().mode() & 0o777,
            Err(_) => 0o666 & !current_umask(),
        };
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode)).ok();
    }
    if let Err(e) = tmp.persist(path) {
        let problem = format!("cannot write {}: {}", path.display(), e.error);
        if !s.options.writes.applied().is_empty() {
            eprintln!("error: {problem}");
            report_writes(&s.options.writes);
            keep_output(e.file);
            return Ok(Saved::No);
        }
        bail!(problem);
    }
    Ok(Saved::Yes(report))
}

/// The process umask (read by setting and restoring it).
#[cfg(unix)]
fn current_umask() -> u32 {
    // SAFETY: umask only swaps the process file-mode mask; the value is restored at once.
    let old = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    #[allow(clippy::useless_conversion)] // mode_t is u16 on some platforms
    u32::from(old)
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
    let mut s = runtime.block_on(session(&args))?;
    s.options.summaries = true;
    let to_terminal = std::io::stdout().is_terminal();
    let mut banner = format!(
        "oktaql {} — SQL over the Okta Management API. .help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION")
    );
    if s.sandbox.is_some() {
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
