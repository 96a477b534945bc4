//! `oktaql sandbox`: runs the sandbox in the foreground until Ctrl-C.
//!
//! Owns the subcommand's arguments and what it prints; the server itself is [`super::Sandbox`].

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{Sandbox, SandboxConfig, SandboxError, Seed, DEFAULT_DEMO_APPS, DEFAULT_TOKEN};

/// Arguments of `oktaql sandbox`.
#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Persist every acknowledged write to FILE, and start from it when it exists.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Initial data when there is no state file.
    #[arg(long, value_enum, default_value_t = Seed::Demo)]
    pub seed: Seed,
    /// The API token clients must send (as 'Authorization: SSWS TOKEN').
    #[arg(long, default_value = DEFAULT_TOKEN)]
    pub token: String,
    /// Requests per minute per org: N for every bucket, or BUCKET=N/min for one (buckets:
    /// apps = /api/v1/apps*, logs = /api/v1/logs, default = the rest); repeatable, later
    /// ones win. Beyond it the sandbox answers 429 (E0000047).
    #[arg(long, value_name = "[BUCKET=]N[/min]")]
    pub rate_limit: Vec<super::limits::RateLimitSpec>,
    /// Most requests of one org in flight at once; the first over it is answered 429, as
    /// Okta does (75 for most orgs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub concurrency_limit: Option<u32>,
    /// A fixed delay in milliseconds added to every request.
    #[arg(long, value_name = "MS")]
    pub latency: Option<u64>,
    /// Number of apps in the demo org.
    #[arg(long = "apps", value_name = "N", default_value_t = DEFAULT_DEMO_APPS)]
    pub apps: usize,
    /// The service app's private key (PEM): its key pair signs client assertions. Created
    /// (EC P-256, mode 0600) when the file does not exist; without it, a new key each start.
    #[arg(long, value_name = "FILE")]
    pub service_app_key: Option<PathBuf>,
    /// The service app requires DPoP-bound access tokens (with the nonce challenge).
    #[arg(long)]
    pub require_dpop: bool,
}

impl SandboxArgs {
    /// The [`SandboxConfig`] these arguments describe.
    pub fn config(&self) -> Result<SandboxConfig, SandboxError> {
        let service_app_key = match &self.service_app_key {
            Some(path) => Some(service_app_key(path)?),
            None => None,
        };
        Ok(SandboxConfig {
            listen: self.listen,
            token: self.token.clone(),
            seed: self.seed,
            demo_apps: self.apps,
            state_file: self.state.clone(),
            rate_limit: None,
            bucket_limits: self.rate_limit.clone(),
            concurrency_limit: self.concurrency_limit,
            latency: self.latency.map(Duration::from_millis),
            service_app_key,
            require_dpop: self.require_dpop,
            token_lifetime: super::oauth::TOKEN_LIFETIME,
        })
    }
}

/// Starts the sandbox, prints how to reach it, serves until Ctrl-C, then stops cleanly.
pub async fn run(args: SandboxArgs, out: &mut impl Write) -> Result<(), SandboxError> {
    let sandbox = Sandbox::start(args.config()?).await?;
    let io = |source| SandboxError::Io {
        context: "writing to standard output".into(),
        source,
    };
    print_banner(&sandbox, &args, out).map_err(io)?;
    out.flush().map_err(io)?;
    let waited = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    waited.map_err(|source| SandboxError::Io {
        context: "waiting for Ctrl-C".into(),
        source,
    })?;
    writeln!(out, "sandbox stopped").map_err(io)?;
    Ok(())
}

fn print_banner(
    sandbox: &Sandbox,
    args: &SandboxArgs,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let template = sandbox.url_template();
    let base = template.trim_end_matches("/{subdomain}");
    let token = sandbox.token();
    let org = super::DEMO_ORG;
    let app = super::DEMO_APP_TWO_SECRETS;
    // The address really bound (`0.0.0.0:…` listens on every interface); the URLs below
    // are how this machine reaches it.
    writeln!(out, "oktaql sandbox listening on {}", sandbox.addr())?;
    writeln!(out, "  base URL:            {base}")?;
    writeln!(out, "  token:               {token}")?;
    writeln!(out, "  server URL template: {template}")?;
    writeln!(
        out,
        "  service app:         client id: {} ({:?}{}; scopes {})",
        sandbox.client_id(),
        sandbox.service_app_key().algorithm(),
        match &args.service_app_key {
            Some(p) => format!(", key in {}", p.display()),
            None => ", key made for this run".into(),
        },
        super::oauth::GRANTED_SCOPES.join(" ")
    )?;
    if args.require_dpop {
        writeln!(
            out,
            "  DPoP:                required (nonce challenge on the token endpoint)"
        )?;
    }
    match &args.state {
        Some(path) => writeln!(out, "  state file:          {}", path.display())?,
        None => writeln!(
            out,
            "  state file:          none (changes are lost on exit)"
        )?,
    }
    // Counted from the running store: after a restart the state file decides, not --apps.
    let apps = sandbox.initial_apps(org);
    if args.seed == Seed::Demo || apps > 0 {
        writeln!(out, "  demo org:            {org} ({apps} apps)")?;
    }
    let limits = super::limits::Limits::from_specs(&args.rate_limit, args.concurrency_limit);
    if limits.any() {
        let buckets: Vec<String> = super::limits::Bucket::ALL
            .into_iter()
            .filter_map(|b| {
                limits
                    .per_minute(b)
                    .map(|n| format!("{b} ({}) {n}/min", b.endpoints()))
            })
            .collect();
        writeln!(
            out,
            "  rate limits:         per org: {}",
            buckets.join(", ")
        )?;
    }
    if let Some(n) = limits.concurrency {
        writeln!(out, "  concurrency limit:   {n} requests in flight per org")?;
    }
    writeln!(out, "Use it from oktaql in this shell:")?;
    writeln!(
        out,
        "  export OKTAQL_SERVER_URL='{template}' OKTA_API_TOKEN='{token}'"
    )?;
    writeln!(out, "Try:")?;
    writeln!(
        out,
        "  curl -H 'Authorization: SSWS {token}' {base}/{org}/api/v1/apps/{app}/credentials/secrets"
    )?;
    writeln!(
        out,
        "  oktaql exec \"SELECT id, status FROM okta.apps.secrets WHERE subdomain='{org}' AND appId='{app}'\""
    )?;
    writeln!(
        out,
        "(or let oktaql run its own in-process sandbox: oktaql exec --sandbox \"...\")"
    )?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    Ok(())
}

/// Reads the service app's PEM private key from `path`, or creates it (EC P-256, 0600).
fn service_app_key(path: &std::path::Path) -> Result<crate::auth::SigningKey, SandboxError> {
    let bad = |detail: String| SandboxError::Io {
        context: format!("the service app key {}", path.display()),
        source: std::io::Error::other(detail),
    };
    if path.exists() {
        let text = crate::auth::sources::read_secret_file(path, "service app key")
            .map_err(|e| bad(e.to_string()))?;
        return crate::auth::SigningKey::from_text(&text).map_err(|e| bad(e.0));
    }
    let key = crate::auth::SigningKey::generate_es256();
    let pem = key.to_pem().map_err(|e| bad(e.0))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| bad(e.to_string()))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| bad(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: SandboxArgs,
    }

    fn args(extra: &[&str]) -> SandboxArgs {
        let mut argv = vec!["sandbox", "--listen", "127.0.0.1:0"];
        argv.extend_from_slice(extra);
        Wrap::parse_from(argv).args
    }

    async fn banner(args: &SandboxArgs) -> String {
        let sandbox = Sandbox::start(args.config().unwrap()).await.unwrap();
        let mut out = Vec::new();
        print_banner(&sandbox, args, &mut out).unwrap();
        sandbox.shutdown().await;
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn banner_prints_the_export_line_a_client_needs() {
        let args = args(&[]);
        let text = banner(&args).await;
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("export "))
            .unwrap_or_else(|| panic!("no export line:\n{text}"));
        assert!(
            line.contains("OKTAQL_SERVER_URL='http://127.0.0.1:"),
            "{line}"
        );
        assert!(line.contains("/{subdomain}'"), "{line}");
        assert!(line.contains("OKTA_API_TOKEN='sandbox-token'"), "{line}");
        assert!(text.contains("my-org (260 apps)"), "{text}");
    }

    #[tokio::test]
    async fn rate_limits_per_bucket_and_concurrency_in_the_banner() {
        let args = args(&[
            "--rate-limit",
            "600",
            "--rate-limit",
            "apps=100/min",
            "--concurrency-limit",
            "75",
        ]);
        let limits = args.config().unwrap().limits();
        assert_eq!(
            limits.per_minute(super::super::limits::Bucket::Apps),
            Some(100)
        );
        assert_eq!(limits.concurrency, Some(75));
        let text = banner(&args).await;
        assert!(
            text.contains("apps (/api/v1/apps*) 100/min, logs (/api/v1/logs) 600/min"),
            "{text}"
        );
        assert!(text.contains("75 requests in flight per org"), "{text}");
        let bad = Wrap::try_parse_from(["sandbox", "--rate-limit", "users=5"]);
        let e = bad.err().unwrap().to_string();
        assert!(e.contains("not a rate-limit bucket"), "{e}");
    }

    #[tokio::test]
    async fn banner_counts_the_apps_of_the_state_file_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let state = state.to_str().unwrap();
        // First start seeds 30 apps into the state file.
        let first = banner(&args(&["--state", state, "--apps", "30"])).await;
        assert!(first.contains("my-org (30 apps)"), "{first}");
        // Restarted without --apps (default 260): the file's 30 apps are what is served.
        let again = banner(&args(&["--state", state])).await;
        assert!(again.contains("my-org (30 apps)"), "{again}");
    }
}
