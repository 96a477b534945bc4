//! Command-line arguments of the `oktaql` binary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use oktaql::render::OutputFormat;
use oktaql::sandbox::cli::SandboxArgs;

/// SQL over the Okta Management API.
#[derive(Parser, Debug)]
#[command(name = "oktaql", version, about, long_about = None)]
pub struct Cli {
    /// What to do; with none, an interactive shell on a terminal, or a script read from
    /// standard input otherwise.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run SQL statements from the command line, files (-f) or standard input.
    Exec(ExecArgs),
    /// Start the interactive SQL shell.
    Shell(SessionArgs),
    /// Run the local Okta sandbox server.
    Sandbox(SandboxArgs),
}

/// Arguments of `oktaql exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// SQL statements (separated by `;`). With no SQL and no -f, standard input is read.
    pub sql: Vec<String>,
    /// Run statements from a file (repeatable; `-` is standard input).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Plan every statement and print the plans; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep running after a failed statement (exit status is still 1).
    #[arg(long)]
    pub continue_on_error: bool,
    #[command(flatten)]
    /// Settings shared with the shell.
    pub session: SessionArgs,
}

/// Settings shared by `exec` and `shell`.
#[derive(Args, Debug, Clone)]
pub struct SessionArgs {
    /// Run against a built-in sandbox started in this process (demo org `my-org`).
    #[arg(long)]
    pub sandbox: bool,
    /// Load providers from this registry directory instead of the built-in ones. The
    /// services read from it are cached in the user's cache directory (OKTAQL_CACHE_DIR
    /// moves the cache, OKTAQL_NO_CACHE=1 turns it off).
    #[arg(long, value_name = "DIR")]
    pub registry: Option<PathBuf>,
    /// Server URL template replacing the provider's; must contain {subdomain}.
    #[arg(long, env = "OKTAQL_SERVER_URL", value_name = "TEMPLATE")]
    pub server_url: Option<String>,
    /// Read the API token from this file (must be readable by its owner only).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Write results to this file (atomically: replaced only when the run succeeds).
    #[arg(long, value_name = "PATH")]
    pub outfile: Option<PathBuf>,
    /// Leave out header rows.
    #[arg(long)]
    pub hide_headers: bool,
    /// Template variable `name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Template variables from a JSON object file.
    #[arg(long = "vars", value_name = "FILE.json")]
    pub vars_file: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Requests in flight at once in a fan-out.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Stop following next-page links after this many pages (and say so).
    #[arg(long, value_name = "N")]
    pub max_pages: Option<usize>,
    /// Largest answer body read, in MiB (an answer over it is an error).
    #[arg(long, default_value_t = 64, value_name = "MiB", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_body_mb: u32,
    /// Fail a fan-out when any of its requests fails, instead of warning and going on.
    #[arg(long)]
    pub strict: bool,
    /// Trace HTTP requests on standard error (token and secrets masked).
    #[arg(short = 'v', long = "debug")]
    pub debug: bool,
}

impl Default for ExecArgs {
    /// The arguments of a bare `oktaql exec`, with every clap default (and environment
    /// variable) applied.
    fn default() -> Self {
        match Cli::try_parse_from(["oktaql", "exec"]) {
            Ok(Cli {
                command: Some(Command::Exec(args)),
            }) => args,
            // A bad environment value (OKTAQL_SERVER_URL) is reported when used.
            _ => ExecArgs {
                sql: Vec::new(),
                files: Vec::new(),
                dry_run: false,
                continue_on_error: false,
                session: SessionArgs::fallback(),
            },
        }
    }
}

impl Default for SessionArgs {
    /// The settings of a bare `oktaql shell`, with every clap default applied.
    fn default() -> Self {
        ExecArgs::default().session
    }
}

impl SessionArgs {
    fn fallback() -> SessionArgs {
        SessionArgs {
            sandbox: false,
            registry: None,
            server_url: None,
            token_file: None,
            output: OutputFormat::Table,
            outfile: None,
            hide_headers: false,
            vars: Vec::new(),
            vars_file: None,
            timeout: 30.0,
            concurrency: 8,
            max_pages: None,
            max_body_mb: 64,
            strict: false,
            debug: false,
        }
    }
}

impl From<&SessionArgs> for oktaql::session::Settings {
    fn from(a: &SessionArgs) -> Self {
        oktaql::session::Settings {
            sandbox: a.sandbox,
            registry: a.registry.clone(),
            server_url: a.server_url.clone(),
            token_file: a.token_file.clone(),
            output: a.output,
            outfile: a.outfile.clone(),
            hide_headers: a.hide_headers,
            vars: a.vars.clone(),
            vars_file: a.vars_file.clone(),
            timeout: a.timeout,
            concurrency: a.concurrency,
            max_pages: a.max_pages,
            max_body_mb: a.max_body_mb,
            strict: a.strict,
            debug: a.debug,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let args = ExecArgs::default();
        assert_eq!(args.session.timeout, 30.0);
        assert_eq!(args.session.concurrency, 8);
        assert_eq!(args.session.output, OutputFormat::Table);
        assert_eq!(SessionArgs::default().timeout, 30.0);
        let fallback = SessionArgs::fallback();
        assert_eq!(fallback.timeout, args.session.timeout);
        assert_eq!(fallback.concurrency, args.session.concurrency);
    }
}
