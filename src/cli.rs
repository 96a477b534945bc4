//! Command-line arguments of the `oktaql` binary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use oktaql::render::OutputFormat;
use oktaql::sandbox::cli::SandboxArgs;

/// SQL over the Okta Management API.
#[derive(Parser, Debug)]
#[command(name = "oktaql", version, about, long_about = None, after_help = ENV_HELP)]
pub struct Cli {
    /// What to do; with none, an interactive shell on a terminal, or a script read from
    /// standard input otherwise.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Environment variables, listed under `--help` (docs/auth.md explains each).
pub const ENV_HELP: &str = "Environment variables (flags override them; they override okta.yaml and the config file):
  OKTA_CLIENT_ORGURL             the org's URL (https://acme.okta.com)
  OKTA_CLIENT_AUTHORIZATIONMODE  SSWS (API token) or PrivateKey (OAuth 2.0 service app)
  OKTA_CLIENT_TOKEN              API token of that org
  OKTA_CLIENT_CLIENTID           service app's client id
  OKTA_CLIENT_SCOPES             scopes granted to the service app (comma or space separated)
  OKTA_CLIENT_PRIVATEKEY         service app's private key: PEM or JWK text, or a file path
  OKTA_CLIENT_PRIVATEKEYID       key id (kid) of that key
  OKTAQL_DPOP                    1: send DPoP proofs from the first token request
  OKTA_API_TOKEN                 API token without an org (StackQL's): one Okta-domain org per run
  OKTAQL_CONFIG                  oktaql's config file of named orgs (default <config dir>/oktaql/config.yaml)
  OKTAQL_SERVER_URL              server URL template, e.g. http://127.0.0.1:8787/{subdomain}
  OKTAQL_CACHE_DIR, OKTAQL_NO_CACHE  --registry cache location, or 1 to turn it off
  NO_COLOR                       no colours
Files: ./.okta.yaml and ~/.okta/okta.yaml (okta.client.* keys, as Okta's SDKs read them).";

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run SQL statements from the command line, files (-f) or standard input.
    Exec(ExecArgs),
    /// Start the interactive SQL shell.
    Shell(SessionArgs),
    /// Run the local Okta sandbox server.
    Sandbox(SandboxArgs),
    /// List the configured orgs: name, URL, method, and where each setting came from.
    Orgs(SessionArgs),
    /// Check each org's credential: get a token (service app) or make one cheap call.
    Check(SessionArgs),
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
    /// Read the API token from this file (must be readable by its owner only). With
    /// --org-url it is that org's; alone, it goes to one Okta-domain org per run.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The org's URL for the credential given by flags or OKTA_CLIENT_* (https://acme.okta.com).
    #[arg(long, value_name = "URL")]
    pub org_url: Option<String>,
    /// The configured org used by statements that name no subdomain.
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// Service app client id (OAuth 2.0 client credentials, private_key_jwt).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Service app private key file: PEM (PKCS#1, PKCS#8, SEC1) or JWK; owner-only.
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<PathBuf>,
    /// Key id (kid) registered with the service app's public key.
    #[arg(long, value_name = "KID")]
    pub key_id: Option<String>,
    /// Scopes granted to the service app (space or comma separated); a run requests only
    /// those its statements need.
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,
    /// Send DPoP proofs from the first token request.
    #[arg(long)]
    pub dpop: bool,
    /// oktaql's config file of named orgs (must be owner-only).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
            org_url: None,
            org: None,
            client_id: None,
            private_key: None,
            key_id: None,
            scopes: None,
            dpop: false,
            config: None,
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
