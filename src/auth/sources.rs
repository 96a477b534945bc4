//! Where credentials come from, highest first: command-line flags; environment variables
//! (Okta's SDK conventions `OKTA_CLIENT_*`, and StackQL's `OKTA_API_TOKEN`); `./.okta.yaml`,
//! then `~/.okta/okta.yaml` (`okta.client.*` keys); oktaql's own config file of named orgs
//! (`<config dir>/oktaql/config.yaml`, or `OKTAQL_CONFIG`), refused unless owner-only.
//!
//! The settings of Okta's SDK (flags, environment, okta.yaml) describe one org; they are
//! merged key by key, and override the settings of the named org with the same URL or name.
//!
//! Must not: read the environment or files except through [`Inputs`] (tests give their own),
//! or put a secret value into an error or an origin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{AuthError, Credential, Credentials, Org, Secret, ServiceApp, SigningKey};

/// Every environment variable read here, for `--help` and docs.
pub const ENV_VARS: [(&str, &str); 10] = [
    (
        "OKTA_CLIENT_ORGURL",
        "the org's URL (https://acme.okta.com)",
    ),
    (
        "OKTA_CLIENT_AUTHORIZATIONMODE",
        "SSWS (API token) or PrivateKey (service app)",
    ),
    ("OKTA_CLIENT_TOKEN", "API token of that org"),
    ("OKTA_CLIENT_CLIENTID", "service app's client id"),
    (
        "OKTA_CLIENT_SCOPES",
        "scopes granted to the service app (comma or space separated)",
    ),
    (
        "OKTA_CLIENT_PRIVATEKEY",
        "service app's private key: PEM or JWK text, or a file path",
    ),
    (
        "OKTA_CLIENT_PRIVATEKEYID",
        "the key id (kid) registered with its public key",
    ),
    (
        "OKTAQL_DPOP",
        "1: send DPoP proofs from the first token request",
    ),
    (
        "OKTA_API_TOKEN",
        "API token without an org: one Okta-domain org per run",
    ),
    (
        "OKTAQL_CONFIG",
        "path of oktaql's config file of named orgs",
    ),
];

/// Command-line settings (the highest source).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--org-url`.
    pub org_url: Option<String>,
    /// `--org`: the org used when a statement names none.
    pub org: Option<String>,
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--client-id`.
    pub client_id: Option<String>,
    /// `--private-key FILE`.
    pub private_key: Option<PathBuf>,
    /// `--key-id`.
    pub key_id: Option<String>,
    /// `--scopes`.
    pub scopes: Option<String>,
    /// `--dpop`.
    pub dpop: bool,
    /// `--config FILE`.
    pub config: Option<PathBuf>,
}

/// What the sources are read from: flags, a way to read variables, and the directories.
pub struct Inputs<'a> {
    /// Command-line settings.
    pub flags: &'a Flags,
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory (`~/.okta/okta.yaml`).
    pub home: Option<PathBuf>,
    /// The working directory (`./.okta.yaml`).
    pub cwd: PathBuf,
    /// The user's config directory (`oktaql/config.yaml` in it).
    pub config_dir: Option<PathBuf>,
    /// `--server-url` / `OKTAQL_SERVER_URL`, which a loose token is bound to.
    pub server_template: Option<String>,
}

/// One org's settings as read, each with its origin.
#[derive(Debug, Default, Clone)]
struct Settings(BTreeMap<&'static str, (String, String)>);

impl Settings {
    fn set(&mut self, key: &'static str, value: Option<String>, origin: &str) {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            self.0.entry(key).or_insert((v, origin.to_string()));
        }
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|(v, _)| v.as_str())
    }
    fn origin(&self, key: &str) -> String {
        self.0.get(key).map(|(_, o)| o.clone()).unwrap_or_default()
    }
}

/// Reads every source and builds the run's credentials.
pub fn load(inputs: &Inputs<'_>) -> Result<Credentials, AuthError> {
    let env = |k: &str| (inputs.env)(k).filter(|v| !v.trim().is_empty());
    let f = inputs.flags;
    // Okta SDK settings: flags, then environment, then ./.okta.yaml, then ~/.okta/okta.yaml
    // (the first source to set a key wins).
    let mut sdk = Settings::default();
    sdk.set("url", f.org_url.clone(), "--org-url");
    sdk.set("client_id", f.client_id.clone(), "--client-id");
    sdk.set("key_id", f.key_id.clone(), "--key-id");
    sdk.set("scopes", f.scopes.clone(), "--scopes");
    if let Some(p) = &f.private_key {
        sdk.set(
            "private_key",
            Some(p.display().to_string()),
            "--private-key",
        );
        sdk.set("mode", Some("PrivateKey".into()), "--private-key");
    }
    if let Some(p) = &f.token_file {
        sdk.set("token_file", Some(p.display().to_string()), "--token-file");
    }
    if f.dpop {
        sdk.set("dpop", Some("true".into()), "--dpop");
    }
    for (key, var) in [
        ("url", "OKTA_CLIENT_ORGURL"),
        ("mode", "OKTA_CLIENT_AUTHORIZATIONMODE"),
        ("token", "OKTA_CLIENT_TOKEN"),
        ("client_id", "OKTA_CLIENT_CLIENTID"),
        ("scopes", "OKTA_CLIENT_SCOPES"),
        ("private_key", "OKTA_CLIENT_PRIVATEKEY"),
        ("key_id", "OKTA_CLIENT_PRIVATEKEYID"),
        ("key_id", "OKTA_CLIENT_KID"),
        ("dpop", "OKTAQL_DPOP"),
    ] {
        sdk.set(key, env(var), var);
    }
    let mut yamls = vec![inputs.cwd.join(".okta.yaml")];
    if let Some(h) = &inputs.home {
        yamls.push(h.join(".okta").join("okta.yaml"));
    }
    for path in yamls.iter().filter(|p| p.is_file()) {
        read_okta_yaml(path, &mut sdk)?;
    }

    // oktaql's own config file of named orgs.
    let own_path = config_path(
        f.config.as_deref(),
        env("OKTAQL_CONFIG"),
        inputs.config_dir.as_deref(),
    );
    let mut named: Vec<(String, Settings)> = Vec::new();
    let mut default = None;
    let mut shares = Shares::default();
    if let Some(path) = own_path.as_ref().filter(|p| p.is_file()) {
        let (orgs, d, s) = read_own_config(path, &read_config(path)?.doc)?;
        named = orgs;
        default = d;
        shares = s;
    }

    if sdk.get("url").is_some() {
        let url = normalise_url(sdk.get("url").unwrap_or_default())?;
        let pos = named.iter().position(|(n, s)| {
            s.get("url").map(|u| u.trim_end_matches('/')) == Some(url.as_str())
                || n.eq_ignore_ascii_case(&name_of(&url))
        });
        match pos {
            Some(i) => {
                // Key by key: the SDK sources are higher than the config file.
                let mut merged = sdk.clone();
                for (k, v) in named[i].1 .0.clone() {
                    merged.0.entry(k).or_insert(v);
                }
                named[i].1 = merged;
            }
            None => named.push((name_of(&url), sdk.clone())),
        }
    } else if let Some(k) = ["token", "client_id", "private_key"]
        .iter()
        .find(|k| sdk.get(k).is_some())
    {
        return Err(AuthError::Config(format!(
            "{} is set but no org URL is: set OKTA_CLIENT_ORGURL (or --org-url) to your org's URL, e.g. https://acme.okta.com",
            sdk.origin(k)
        )));
    }

    let mut orgs = Vec::new();
    for (name, s) in named {
        orgs.push(build_org(name, &s, env("OKTA_API_TOKEN"))?);
    }
    let org_rate_shares: Vec<(String, f64)> = shares
        .per_org
        .iter()
        .filter_map(|(name, share)| {
            orgs.iter()
                .find(|o| o.name == *name)
                .map(|o| (o.url.clone(), *share))
        })
        .collect();
    let default = f.org.clone().or(default);
    if let Some(d) = &default {
        if !orgs.iter().any(|o| o.name.eq_ignore_ascii_case(d)) && !orgs.is_empty() {
            return Err(AuthError::Config(format!(
                "default org '{d}' is not configured (configured: {})",
                orgs.iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut creds = Credentials::new(orgs, default);
    creds.rate_share = shares.top;
    creds.org_rate_shares = org_rate_shares;
    creds.config_hint = own_path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the oktaql config file".into());
    // A token file without an org URL, or OKTA_API_TOKEN unused by an org: a loose token.
    let sdk_org = sdk.get("url").is_some();
    let loose = match (&f.token_file, sdk_org) {
        (Some(p), false) => Some((read_secret_file(p, "token file")?, "--token-file")),
        _ if !creds
            .orgs()
            .iter()
            .any(|o| o.origins.iter().any(|(_, src)| src == "OKTA_API_TOKEN")) =>
        {
            env("OKTA_API_TOKEN").map(|t| (t, "OKTA_API_TOKEN"))
        }
        _ => None,
    };
    if let Some((token, source)) = loose {
        creds = creds.with_loose_token(token.trim(), source, inputs.server_template.clone());
    }
    Ok(creds)
}

/// Where oktaql's own config file is: `--config`, else `OKTAQL_CONFIG`, else
/// `oktaql/config.yaml` in the user's config directory (`None`: no such directory).
pub fn config_path(
    flag: Option<&Path>,
    env_value: Option<String>,
    config_dir: Option<&Path>,
) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| {
            env_value
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| config_dir.map(|d| d.join("oktaql").join("config.yaml")))
}

/// An org's name from its URL: the first label of an Okta host, the last path segment of
/// a URL with a path (the sandbox), or the whole host.
pub fn name_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if let Some(seg) = path.rsplit('/').find(|s| !s.is_empty()) {
        return seg.to_string();
    }
    let host = host.split(':').next().unwrap_or(host);
    if super::is_okta_domain(host) {
        host.split('.').next().unwrap_or(host).to_string()
    } else {
        host.to_string()
    }
}

fn normalise_url(url: &str) -> Result<String, AuthError> {
    let u = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(u).map_err(|e| {
        AuthError::Config(format!(
            "org URL '{u}' is not a URL ({e}): write it like https://acme.okta.com"
        ))
    })?;
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" => {}
        "http" if crate::plan::url::is_loopback_host(host) => {}
        _ => {
            return Err(AuthError::Config(format!(
                "org URL '{u}' must use https:// (plain http:// only to a loopback address)"
            )))
        }
    }
    if parsed.query().is_some() || !parsed.username().is_empty() {
        return Err(AuthError::Config(format!(
            "org URL '{u}' must be a base URL (no query, no user)"
        )));
    }
    Ok(u.to_string())
}

fn build_org(name: String, s: &Settings, api_token: Option<String>) -> Result<Org, AuthError> {
    let url = normalise_url(s.get("url").unwrap_or_default())?;
    let mut origins = vec![("url".to_string(), s.origin("url"))];
    let mode = s.get("mode").map(str::to_ascii_lowercase);
    let private = matches!(mode.as_deref(), Some("privatekey"))
        || (mode.is_none() && s.get("client_id").is_some() && s.get("private_key").is_some());
    let credential = if private {
        let client_id = s.get("client_id").ok_or_else(|| {
            AuthError::Config(format!("org '{name}' uses PrivateKey but has no client id: set OKTA_CLIENT_CLIENTID (the service app's 0oa… id)"))
        })?;
        let key_text = s.get("private_key").ok_or_else(|| {
            AuthError::Config(format!("org '{name}' uses PrivateKey but has no private key: set OKTA_CLIENT_PRIVATEKEY to the PEM/JWK or a file holding it"))
        })?;
        let key_text = if key_text.contains("-----BEGIN") || key_text.trim_start().starts_with('{')
        {
            key_text.to_string()
        } else {
            read_secret_file(Path::new(key_text), "private key file")?
        };
        let key = SigningKey::from_text(&key_text).map_err(|e| {
            AuthError::Config(format!(
                "org '{name}': private key from {}: {e}",
                s.origin("private_key")
            ))
        })?;
        let scopes: Vec<String> = s
            .get("scopes")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect();
        for k in [
            "mode",
            "client_id",
            "private_key",
            "key_id",
            "scopes",
            "dpop",
        ] {
            if s.get(k).is_some() {
                origins.push((k.to_string(), s.origin(k)));
            }
        }
        Credential::ServiceApp(Box::new(ServiceApp {
            client_id: client_id.to_string(),
            key,
            key_id: s.get("key_id").map(str::to_string),
            scopes,
            dpop: matches!(s.get("dpop"), Some("1" | "true" | "yes")),
        }))
    } else {
        let (token, origin) = if let Some(t) = s.get("token") {
            (t.to_string(), s.origin("token"))
        } else if let Some(p) = s.get("token_file") {
            (
                read_secret_file(Path::new(p), "token file")?,
                s.origin("token_file"),
            )
        } else if let Some(t) = api_token {
            (t, "OKTA_API_TOKEN".to_string())
        } else {
            return Err(AuthError::Config(format!(
                "org '{name}' ({url}) has no credential: give it a token (OKTA_CLIENT_TOKEN, token: in the config file) or a service app (OKTA_CLIENT_AUTHORIZATIONMODE=PrivateKey with client id and private key)"
            )));
        };
        origins.push(("token".to_string(), origin));
        Credential::ApiToken(Secret::new(token.trim()))
    };
    Ok(Org {
        name,
        url,
        credential,
        origins,
    })
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => Some(a.iter().filter_map(text).collect::<Vec<_>>().join(" ")),
        _ => None,
    }
}

/// The largest settings or secret file read (config file, `okta.yaml`, token, password and
/// key files), in bytes: such a file is a few kilobytes, so a bigger one is a wrong path.
/// Raise the constant if a real file ever needs more.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads `path` as text, refusing a file over [`MAX_FILE_BYTES`] without reading all of it.
fn read_bounded(path: &Path, what: &str) -> Result<String, AuthError> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| {
        AuthError::Config(format!("cannot read {what} {}: {e}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(AuthError::Config(format!(
            "{what} {} is larger than {} KiB: give the path of the right file",
            path.display(),
            MAX_FILE_BYTES / 1024
        )));
    }
    Ok(text)
}

/// The document of a YAML file's text (`path` names the file in the error).
fn parse_yaml(path: &Path, raw: &str) -> Result<Value, AuthError> {
    serde_norway::from_str(raw)
        .map_err(|e| AuthError::Config(format!("{} is not valid YAML: {e}", path.display())))
}

/// oktaql's own config file as read by everything that reads it (the org credentials here,
/// the server users of `oktaql serve`): its text and YAML document.
#[derive(Debug)]
pub struct ConfigFile {
    /// The file's text (a reader with its own schema parses it again, for line numbers).
    pub text: String,
    /// The parsed document.
    pub doc: Value,
}

/// Reads oktaql's config file at `path`: refused when users other than its owner can read or
/// write it (it names where secrets are), when it is a directory, over [`MAX_FILE_BYTES`] or
/// not valid YAML.
pub fn read_config(path: &Path) -> Result<ConfigFile, AuthError> {
    owner_only(path, "config file")?;
    let text = read_bounded(path, "config file")?;
    let doc = parse_yaml(path, &text)?;
    Ok(ConfigFile { text, doc })
}

fn read_okta_yaml(path: &Path, sdk: &mut Settings) -> Result<(), AuthError> {
    let doc = parse_yaml(path, &read_bounded(path, "SDK settings file")?)?;
    let c = &doc["okta"]["client"];
    let origin = path.display().to_string();
    for (key, yaml_key) in [
        ("url", "orgUrl"),
        ("mode", "authorizationMode"),
        ("token", "token"),
        ("client_id", "clientId"),
        ("scopes", "scopes"),
        ("private_key", "privateKey"),
        ("key_id", "privateKeyId"),
        ("key_id", "kid"),
    ] {
        sdk.set(key, c.get(yaml_key).and_then(text), &origin);
    }
    if c.get("dpop").is_some() {
        sdk.set(
            "dpop",
            c["dpop"].get("enabled").or(c.get("dpop")).and_then(text),
            &origin,
        );
    }
    Ok(())
}

/// Named orgs of the config file, in file order.
type NamedOrgs = Vec<(String, Settings)>;

/// The config file's `rate_share` settings.
#[derive(Debug, Default)]
struct Shares {
    /// Top level: every org's.
    top: Option<f64>,
    /// Per org, by name.
    per_org: Vec<(String, f64)>,
}

/// A `rate_share` value of the config file: `30%`, `30` or `0.3`.
fn read_share(v: &Value, place: &str) -> Result<f64, AuthError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    crate::exec::budget::parse_share(&text).map_err(|e| {
        AuthError::Config(format!(
            "{place}: rate_share: {e} (or a fraction such as 0.5)"
        ))
    })
}

fn read_own_config(
    path: &Path,
    doc: &Value,
) -> Result<(NamedOrgs, Option<String>, Shares), AuthError> {
    let origin = path.display().to_string();
    let mut orgs = Vec::new();
    let mut shares = Shares::default();
    if let Some(v) = doc.get("rate_share") {
        shares.top = Some(read_share(v, &origin)?);
    }
    if let Some(map) = doc.get("orgs").and_then(Value::as_object) {
        for (name, o) in map {
            if let Some(v) = o.get("rate_share") {
                let share = read_share(v, &format!("{origin}: org '{name}'"))?;
                shares.per_org.push((name.clone(), share));
            }
            let mut s = Settings::default();
            for key in [
                "url",
                "mode",
                "token",
                "token_file",
                "client_id",
                "scopes",
                "private_key",
                "key_id",
                "dpop",
            ] {
                s.set(key, o.get(key).and_then(text), &origin);
            }
            if s.get("url").is_none() {
                return Err(AuthError::Config(format!(
                    "{origin}: org '{name}' has no url"
                )));
            }
            orgs.push((name.clone(), s));
        }
    } else if doc.get("orgs").is_some() {
        return Err(AuthError::Config(format!(
            "{origin}: orgs must be a map of org name to settings"
        )));
    }
    Ok((orgs, doc.get("default").and_then(text), shares))
}

/// Refuses a file that users other than its owner can read or write.
pub fn owner_only(path: &Path, what: &str) -> Result<(), AuthError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| {
            AuthError::Config(format!("cannot read {what} {}: {e}", path.display()))
        })?;
        if meta.is_dir() {
            return Err(AuthError::Config(format!(
                "{what} {} is a directory: give the path of the file that holds it",
                path.display()
            )));
        }
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(AuthError::Config(format!(
                "{what} {} can be read by other users (mode {:o}): run chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    Ok(())
}

/// Reads a secret from an owner-only file.
pub fn read_secret_file(path: &Path, what: &str) -> Result<String, AuthError> {
    owner_only(path, what)?;
    let text = read_bounded(path, what)?;
    if text.trim().is_empty() {
        return Err(AuthError::Config(format!(
            "{what} {} is empty",
            path.display()
        )));
    }
    Ok(text.trim().to_string())
}
