//! Command-line arguments of the `oktaql` binary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use oktaql::auth::sources::Flags;
use oktaql::render::OutputFormat;
use oktaql::sandbox::cli::SandboxArgs;
use oktaql::session::SessionSettings;

/// SQL over the Okta Management API.
#[derive(Parser, Debug)]
#[command(
    name = "oktaql",
    version,
    about = ABOUT,
    after_help = help::TOP,
    after_long_help = help::TOP
)]
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
    #[command(after_help = help::EXEC)]
    Exec(ExecArgs),
    /// Start the interactive SQL shell.
    #[command(after_help = help::SHELL)]
    Shell(SessionArgs),
    /// Run the local Okta sandbox server.
    #[command(after_help = help::SANDBOX)]
    Sandbox(SandboxArgs),
    /// Serve SQL over the PostgreSQL wire protocol (psql, drivers, BI tools, postgres_fdw).
    #[cfg(feature = "serve")]
    #[command(after_help = help::SERVE)]
    Serve(ServeArgs),
    /// Serve the Model Context Protocol on stdio (for AI agents): list, describe, query.
    #[cfg(feature = "mcp")]
    #[command(after_help = help::MCP)]
    Mcp(McpArgs),
    /// List the configured orgs: name, URL, method, and where each setting came from.
    #[command(after_help = help::ORGS)]
    Orgs(SessionArgs),
    /// Check each org's credential: get a token (service app) or make one cheap call.
    #[command(after_help = help::CHECK)]
    Check(SessionArgs),
    /// Print a shell completion script on standard output.
    #[command(after_help = help::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on standard output.
    #[command(after_help = help::MAN)]
    Man,
    /// Write one Markdown reference page per resource into a directory.
    #[command(after_help = help::DOCS)]
    Docs(DocsArgs),
}

/// Arguments of `oktaql serve`.
#[cfg(feature = "serve")]
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (a non-loopback address needs --tls-cert/--tls-key or
    /// --insecure-listen).
    #[arg(long, value_name = "ADDR", default_value = oktaql::serve::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Allow INSERT, DELETE and EXEC that change Okta (read-only otherwise).
    #[arg(long)]
    pub allow_writes: bool,
    /// The user who logs in with OKTAQL_SERVE_PASSWORD [default: oktaql]; more users, each
    /// with its own password, under serve.users in the config file.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// TLS certificate chain (PEM); with --tls-key, clients may connect with sslmode=require.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Listen on a non-loopback address without TLS (passwords are still SCRAM; data is not
    /// encrypted).
    #[arg(long)]
    pub insecure_listen: bool,
    /// Connections served at once; more are closed.
    #[arg(long, value_name = "N", default_value_t = oktaql::serve::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Org, credentials and engine settings, as for exec.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `oktaql mcp`.
#[cfg(feature = "mcp")]
#[derive(Args, Debug)]
pub struct McpArgs {
    /// Allow INSERT, DELETE and EXEC that change Okta, and offer the dry_run tool.
    #[arg(long)]
    pub allow_writes: bool,
    /// Show secret values in results (masked otherwise).
    #[arg(long)]
    pub reveal_secrets: bool,
    /// Most rows one query returns.
    #[arg(long, value_name = "N", default_value_t = oktaql::mcp::DEFAULT_MAX_ROWS)]
    pub max_rows: usize,
    /// Org, credentials and engine settings, as for exec.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `oktaql docs`.
#[derive(Args, Debug)]
pub struct DocsArgs {
    /// Read providers from this registry directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub registry: Option<PathBuf>,
    /// Directory to write the pages into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Arguments of `oktaql completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The one-line description shown above the usage.
const ABOUT: &str = "SQL over the Okta Management API: SELECT reads, INSERT/DELETE/EXEC write.";

/// Every help text beyond the flags, kept together so that additions (new variables, new
/// subcommands) land in one place.
pub mod help {
    /// Shown after the top-level flags: overview, examples, environment, exit codes, docs.
    pub const TOP: &str = "\
Without a subcommand oktaql starts the shell on a terminal, or runs the SQL read from
standard input otherwise.

Examples:
  oktaql exec --sandbox \"SHOW RESOURCES IN okta.apps\"
  oktaql exec --sandbox \"SELECT id, status FROM okta.apps.secrets
      WHERE subdomain='my-org' AND appId='0oa8f2kr7HwM3cPeL9s2'\"
  OKTA_API_TOKEN=... oktaql exec -f rotate.sql --var app=0oa... -o json
  oktaql shell --sandbox          (try .help, .tables, \\d okta.apps.secrets)

Environment (flags override them; they override okta.yaml and the config file):
  OKTA_CLIENT_ORGURL             the org's URL (https://acme.okta.com)
  OKTA_CLIENT_AUTHORIZATIONMODE  SSWS (API token) or PrivateKey (OAuth 2.0 service app)
  OKTA_CLIENT_TOKEN              API token of that org
  OKTA_CLIENT_CLIENTID           service app's client id
  OKTA_CLIENT_SCOPES             scopes granted to the service app (comma or space separated)
  OKTA_CLIENT_PRIVATEKEY         service app's private key: PEM or JWK text, or a file path
  OKTA_CLIENT_PRIVATEKEYID       key id (kid) of that key
  OKTAQL_DPOP                    1: send DPoP proofs from the first token request
  OKTA_API_TOKEN                 API token without an org (StackQL's): one Okta-domain org per run
  OKTAQL_CONFIG                  config file of named orgs (default <config dir>/oktaql/config.yaml)
  OKTAQL_SERVER_URL              server URL template, e.g. http://127.0.0.1:8787/{subdomain}
  OKTAQL_CACHE_DIR, OKTAQL_NO_CACHE  --registry cache location, or 1 to turn it off
  OKTAQL_HISTORY, NO_COLOR       the shell's history file (off: none); no colours
Files: ./.okta.yaml and ~/.okta/okta.yaml (okta.client.* keys, as Okta's SDKs read them);
docs/auth.md explains each.

Exit status:
  0  every statement succeeded
  1  a statement failed (with --continue-on-error: after running the rest)
  2  usage error: bad arguments, unreadable files, an --outfile that cannot be written
  3  writes were applied but the output could not be saved (kept beside it, or on stderr)
  129, 130, 143  stopped by SIGHUP, Ctrl-C, SIGTERM

Docs: README.md and docs/ in the source tree (shell.md, serve.md, rotation.md, sandbox.md);
docs/reference/ has a page per resource; 'oktaql man' prints the manual page.";

    /// After `oktaql exec --help`.
    pub const EXEC: &str = "\
Examples:
  oktaql exec --sandbox \"SELECT id, label FROM okta.apps.applications WHERE subdomain='my-org' LIMIT 5\"
  oktaql exec -f rotate.sql --var app=0oa... --continue-on-error
  oktaql exec -f audit.sql -o json --one-document | jq '.[1]'
  echo \"SHOW SERVICES IN okta\" | oktaql exec --sandbox -o csv

Environment: OKTA_CLIENT_* (the org and its credential), OKTA_API_TOKEN, OKTAQL_CONFIG,
OKTAQL_DPOP, OKTAQL_SERVER_URL (same as --server-url), OKTAQL_CACHE_DIR and
OKTAQL_NO_CACHE (registry cache), NO_COLOR; oktaql --help lists them all.";

    /// After `oktaql shell --help`.
    pub const SHELL: &str = "\
Examples:
  oktaql shell --sandbox
  OKTA_API_TOKEN=... oktaql shell
Inside: .help, .tables [pattern], .schema RESOURCE, \\d RESOURCE, \\dt, \\x, \\?.

Environment: OKTA_CLIENT_*, OKTA_API_TOKEN, OKTAQL_CONFIG, OKTAQL_SERVER_URL,
OKTAQL_HISTORY (history file), OKTAQL_CACHE_DIR, OKTAQL_NO_CACHE, NO_COLOR.";

    /// After `oktaql sandbox --help`.
    pub const SANDBOX: &str = "\
The demo org is my-org. Point oktaql at the sandbox with the export line it prints.

Examples:
  oktaql sandbox
  oktaql sandbox --listen 127.0.0.1:0 --state org.json --apps 30 --rate-limit 600

Environment: none read by the sandbox; clients use OKTAQL_SERVER_URL and OKTA_API_TOKEN.";

    /// After `oktaql serve --help`.
    pub const SERVE: &str = "\
The database is okta, each service a schema, each resource a table:
  SELECT id, status FROM okta.apps.secrets WHERE appId = '0oa...'

Examples:
  OKTAQL_SERVE_PASSWORD=pw oktaql serve --sandbox
  psql 'host=127.0.0.1 port=5433 user=oktaql dbname=okta'      (\\dt, \\d okta.apps.secrets)
  OKTAQL_SERVE_PASSWORD=pw oktaql serve --listen 0.0.0.0:5433 --tls-cert c.pem --tls-key k.pem

Users: --user (default oktaql) with the password OKTAQL_SERVE_PASSWORD, and the users listed
under serve.users in the config file (each with password_env or an owner-only
password_file, optionally allow_writes: false); SCRAM-SHA-256. One of them is required.
Environment: OKTAQL_SERVE_PASSWORD, and the org settings of exec (OKTA_CLIENT_*,
OKTA_API_TOKEN, OKTAQL_CONFIG, OKTAQL_SERVER_URL).
docs/serve.md has psql, Python, Grafana and postgres_fdw set-ups and the serve: section.";

    /// After `oktaql mcp --help`.
    pub const MCP: &str = "\
Tools: list_resources, describe_resource, query (JSON rows, at most --max-rows), and with
--allow-writes dry_run (the exact REST calls, nothing sent). Secrets are masked unless
--reveal-secrets.

Examples:
  oktaql mcp --sandbox
  an MCP client configuration: {\"command\": \"oktaql\", \"args\": [\"mcp\"]}

Environment: the org settings of exec (OKTA_CLIENT_*, OKTA_API_TOKEN, OKTAQL_CONFIG,
OKTAQL_SERVER_URL).";

    /// After `oktaql completions --help`.
    pub const COMPLETIONS: &str = "\
Examples:
  oktaql completions bash > ~/.local/share/bash-completion/completions/oktaql
  oktaql completions zsh > ~/.zfunc/_oktaql
  oktaql completions fish > ~/.config/fish/completions/oktaql.fish
  oktaql completions powershell >> $PROFILE

Environment: none.";

    /// After `oktaql orgs --help`.
    pub const ORGS: &str = "\
Examples:
  oktaql orgs
  OKTA_CLIENT_ORGURL=https://acme.okta.com OKTA_CLIENT_TOKEN=... oktaql orgs

Environment: OKTA_CLIENT_* (an org from the environment), OKTA_API_TOKEN, OKTAQL_CONFIG;
files ./.okta.yaml and ~/.okta/okta.yaml.";

    /// After `oktaql check --help`.
    pub const CHECK: &str = "\
Examples:
  oktaql check
  oktaql check --sandbox

Environment: OKTA_CLIENT_* (an org from the environment), OKTA_API_TOKEN, OKTAQL_CONFIG,
OKTAQL_DPOP, OKTAQL_SERVER_URL.";

    /// After `oktaql docs --help`.
    pub const DOCS: &str = "\
Examples:
  oktaql docs --out docs/reference
  oktaql docs --registry ./stackql-registry --out ref

Environment: OKTAQL_CACHE_DIR and OKTAQL_NO_CACHE (registry cache).";

    /// After `oktaql man --help`.
    pub const MAN: &str = "\
Examples:
  oktaql man > oktaql.1 && man ./oktaql.1
  oktaql man | gzip > /usr/local/share/man/man1/oktaql.1.gz

Environment: none.";
}

/// Arguments of `oktaql exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// SQL statements (separated by ';'). With no SQL and no -f, standard input is read.
    pub sql: Vec<String>,
    /// Run statements from a file (repeatable; - is standard input).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Plan every statement and print the plans; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep running after a failed statement (exit status is still 1); a closing summary
    /// on stderr lists where each failure is.
    #[arg(long)]
    pub continue_on_error: bool,
    /// With -o json, print the whole run as one JSON document: an array holding each
    /// statement's array of rows, in order.
    #[arg(long)]
    pub one_document: bool,
    #[command(flatten)]
    /// Settings shared with the shell.
    pub session: SessionArgs,
}

/// Settings shared by `exec` and `shell`.
#[derive(Args, Debug, Clone)]
pub struct SessionArgs {
    /// Run against a built-in sandbox started in this process (demo org my-org).
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
    /// Template variable name=value (repeatable).
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
    /// Most of each Okta rate limit this run uses, per bucket and of the org's concurrency
    /// limit (50% leaves half to the org's other integrations; 100% takes it all). Default:
    /// the config file's rate_share (per org, then top level), else 50%.
    #[arg(long, env = "OKTAQL_RATE_SHARE", value_name = "PERCENT", value_parser = oktaql::exec::budget::parse_share)]
    pub rate_share: Option<f64>,
    /// The org's limit on requests in flight (Okta: 75 for most orgs, 35 on the Integrator
    /// Free plan); a concurrency 429 lowers it. The run keeps its --rate-share of it.
    #[arg(long, default_value_t = 75, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub org_concurrency: u16,
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
    /// No progress display. Progress (fan-outs, long lists, rate-limit waits: done/total,
    /// rate, ETA) is only ever drawn on standard error, and only when it is a terminal.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// With --sandbox: a fixed delay in milliseconds added to every request, to see how a
    /// slow org behaves.
    #[arg(long, value_name = "MS", requires = "sandbox")]
    pub sandbox_latency: Option<u64>,
    /// Statement shapes (text but for its literals) whose parse is kept for the next
    /// statement of the same shape; 0 parses every statement in full (to compare).
    #[arg(long, env = "OKTAQL_SHAPE_CACHE", default_value_t = oktaql::sql::DEFAULT_SHAPES, value_name = "N", hide = true)]
    pub shape_cache: usize,
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
                one_document: false,
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
    /// The library's session settings for these arguments.
    pub fn settings(&self) -> SessionSettings {
        SessionSettings {
            sandbox: self.sandbox,
            registry: self.registry.clone(),
            server_url: self.server_url.clone(),
            credentials: Flags {
                org_url: self.org_url.clone(),
                org: self.org.clone(),
                token_file: self.token_file.clone(),
                client_id: self.client_id.clone(),
                private_key: self.private_key.clone(),
                key_id: self.key_id.clone(),
                scopes: self.scopes.clone(),
                dpop: self.dpop,
                config: self.config.clone(),
            },
            output: self.output,
            outfile: self.outfile.is_some(),
            hide_headers: self.hide_headers,
            vars: self.vars.clone(),
            vars_file: self.vars_file.clone(),
            timeout_secs: self.timeout,
            concurrency: self.concurrency,
            rate_share: self.rate_share,
            org_concurrency: self.org_concurrency,
            max_pages: self.max_pages,
            max_body_mb: self.max_body_mb,
            strict: self.strict,
            debug: self.debug,
            sandbox_latency: self.sandbox_latency.map(std::time::Duration::from_millis),
            shape_cache: self.shape_cache,
        }
    }

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
            rate_share: None,
            org_concurrency: 75,
            max_pages: None,
            max_body_mb: 64,
            strict: false,
            debug: false,
            quiet: false,
            sandbox_latency: None,
            shape_cache: oktaql::sql::DEFAULT_SHAPES,
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
        // The library's defaults are the command line's.
        let lib = SessionSettings::default();
        let cli = args.session.settings();
        assert_eq!(lib.timeout_secs, cli.timeout_secs);
        assert_eq!(lib.concurrency, cli.concurrency);
        assert_eq!(lib.max_body_mb, cli.max_body_mb);
        assert_eq!(lib.output, cli.output);
    }

    /// Every command and subcommand, with its path (`oktaql exec`).
    fn all_commands() -> Vec<(String, clap::Command)> {
        let mut root = <Cli as clap::CommandFactory>::command();
        root.build();
        let mut out = Vec::new();
        let mut stack = vec![("oktaql".to_string(), root)];
        while let Some((path, cmd)) = stack.pop() {
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    stack.push((format!("{path} {}", sub.get_name()), sub.clone()));
                }
            }
            out.push((path, cmd));
        }
        out
    }

    #[test]
    fn no_help_text_carries_rustdoc_markup() {
        let commands = all_commands();
        assert!(commands.len() >= 6, "top level and five subcommands");
        for (path, mut cmd) in commands {
            for text in [cmd.render_help(), cmd.render_long_help()] {
                let text = text.to_string();
                assert!(!text.contains('`'), "{path} help has a backtick:\n{text}");
                for link in ["[Self", "[crate::", "[super::", "[`"] {
                    assert!(
                        !text.contains(link),
                        "{path} help has a doc link {link}:\n{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_subcommand_names_its_environment_and_gives_an_example() {
        for (path, mut cmd) in all_commands() {
            let text = cmd.render_long_help().to_string();
            assert!(
                text.contains("Examples:"),
                "{path} help has no example:\n{text}"
            );
            assert!(
                text.contains("Environment"),
                "{path} help names no env vars:\n{text}"
            );
        }
    }

    #[test]
    fn top_level_help_teaches() {
        let mut root = <Cli as clap::CommandFactory>::command();
        let text = root.render_long_help().to_string();
        for needle in [
            "OKTA_API_TOKEN",
            "OKTAQL_SERVER_URL",
            "OKTAQL_CACHE_DIR",
            "Exit status",
            "  3  writes were applied",
            "README.md and docs/",
            "oktaql exec --sandbox",
            "completions",
        ] {
            assert!(
                text.contains(needle),
                "top-level help lacks {needle:?}:\n{text}"
            );
        }
        // One screen: the overview part fits in a tall terminal.
        assert!(
            text.lines().count() <= 60,
            "help is {} lines",
            text.lines().count()
        );
    }

    #[test]
    fn sandbox_help_names_the_demo_org() {
        let root = <Cli as clap::CommandFactory>::command();
        let mut sandbox = root.find_subcommand("sandbox").unwrap().clone();
        let text = sandbox.render_long_help().to_string();
        assert!(text.contains("my-org"), "{text}");
        assert!(!text.contains("DEMO_ORG]"), "{text}");
    }
}
