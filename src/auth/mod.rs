//! Credentials and the orgs they belong to.
//!
//! An org is a base URL (`https://acme.okta.com`, a custom domain, or `http://127.0.0.1:PORT/acme`
//! on loopback) with exactly one way to authenticate: an API token (`SSWS`) or an OAuth 2.0
//! service app (client credentials with `private_key_jwt`, optionally DPoP). A request carries
//! a credential only when its URL lies under that credential's org URL; [`Credentials::check`]
//! refuses everything else at plan time, before anything is sent.
//!
//! `OKTA_API_TOKEN` alone (StackQL's variable, no org named) is a [`LooseToken`]: it may go to
//! one org per run on Okta's own domains, or to the server of a URL template the user gave
//! explicitly (`--server-url`), never to another host.
//!
//! Must not: send requests (the token endpoint is [`oauth`]'s, called by the HTTP client), or
//! show a secret in any text: [`Secret`] and [`key::SigningKey`] print as `****`, and
//! [`secrets`] hands the values of every new secret kind to the run's secret values
//! ([`crate::secrets`]), which mask them wherever they would appear.

pub mod key;
pub mod oauth;
pub mod secrets;
pub mod sources;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

use reqwest::Url;
use thiserror::Error;

pub use key::{KeyError, SigningKey};

/// A secret text: prints as `****`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// An OAuth 2.0 service app (client credentials with `private_key_jwt`).
#[derive(Debug, Clone)]
pub struct ServiceApp {
    /// The app's client id (Okta: the app's `0oa…` id).
    pub client_id: String,
    /// The private key whose public key is registered on the app.
    pub key: SigningKey,
    /// The key id (`kid`) registered with the public key, when known.
    pub key_id: Option<String>,
    /// The scopes configured for this org: a run requests the ones its statements need.
    pub scopes: Vec<String>,
    /// Send DPoP proofs from the first token request (otherwise only when the server asks).
    pub dpop: bool,
}

/// How an org authenticates.
#[derive(Debug, Clone)]
pub enum Credential {
    /// `Authorization: SSWS <token>`.
    ApiToken(Secret),
    /// OAuth 2.0 access tokens obtained as a service app.
    ServiceApp(Box<ServiceApp>),
}

impl Credential {
    /// `SSWS` or `PrivateKey`, as Okta's SDKs call them (`authorizationMode`).
    pub fn mode(&self) -> &'static str {
        match self {
            Credential::ApiToken(_) => "SSWS",
            Credential::ServiceApp(_) => "PrivateKey",
        }
    }
}

/// A configured org.
#[derive(Debug, Clone)]
pub struct Org {
    /// Its name: what `subdomain = '…'` selects it by.
    pub name: String,
    /// Its base URL, without a trailing `/`.
    pub url: String,
    /// Its one credential.
    pub credential: Credential,
    /// Where each setting came from (`url` → `OKTA_CLIENT_ORGURL`, …); never a value.
    pub origins: Vec<(String, String)>,
}

/// An API token without an org (`OKTA_API_TOKEN`, `--token-file`).
#[derive(Debug)]
pub struct LooseToken {
    token: Secret,
    /// Where it came from (`OKTA_API_TOKEN`, `--token-file`).
    pub source: String,
    /// The server URL template it is bound to (`--server-url`), when the user gave one.
    pub template: Option<String>,
    bound: Mutex<Option<String>>,
}

/// Every configured org, the default one, and a loose token.
#[derive(Debug, Default)]
pub struct Credentials {
    orgs: Vec<Org>,
    /// Each org's URL parsed once (`None` when it does not parse: nothing goes under it),
    /// in the order of `orgs`: every request is matched against them.
    bases: Vec<Option<Url>>,
    default: Option<String>,
    loose: Option<LooseToken>,
    /// Scopes each service-app org needs, recorded as statements are checked.
    needed: Mutex<Vec<(String, BTreeSet<String>)>>,
    /// Where the config files would be, for hints.
    pub config_hint: String,
    /// The config file's top-level `rate_share` (0–1], when it sets one.
    pub rate_share: Option<f64>,
    /// The config file's per-org `rate_share`, as (org base URL, share).
    pub org_rate_shares: Vec<(String, f64)>,
}

/// What a request to a URL is sent with.
#[derive(Debug, Clone, Copy)]
pub enum Grant<'a> {
    /// An API token for the org at `org`.
    Token {
        /// The org's base URL.
        org: &'a str,
        /// The token.
        token: &'a Secret,
    },
    /// A service app of a configured org.
    ServiceApp(&'a Org, &'a ServiceApp),
}

/// Why a credential cannot be used for a request.
#[derive(Debug, Error)]
pub enum AuthError {
    /// No credential belongs to the org of the URL.
    #[error("no credentials for org '{org}': {hint}")]
    NoCredentials {
        /// The org (base URL) the statement names.
        org: String,
        /// How to configure it.
        hint: String,
    },
    /// A loose token was already used for another org in this run.
    #[error("{source_name} is already used for org '{bound}' in this run and goes to one org per run only; org '{org}' needs its own credential: {hint}")]
    LooseTokenBound {
        /// Where the token came from.
        source_name: String,
        /// The org it was used for.
        bound: String,
        /// The org now named.
        org: String,
        /// How to configure it.
        hint: String,
    },
    /// A loose token and a host that is not Okta's.
    #[error("{source_name} is only sent to Okta's own domains (*.okta.com, *.oktapreview.com, *.okta-emea.com, *.okta-gov.com, *.okta.mil); '{host}' is not one, so nothing was sent. If it is your org's custom domain: {hint}")]
    LooseTokenForeignHost {
        /// Where the token came from.
        source_name: String,
        /// The host the statement names.
        host: String,
        /// How to configure it.
        hint: String,
    },
    /// A statement needs a scope the org's service app is not configured with.
    #[error("{method} needs scope {scope}, which org '{org}' is not configured with (configured: {configured}): grant {scope} to the service app in Okta (Applications → the app → Okta API Scopes), then add it to the org's scopes (OKTA_CLIENT_SCOPES or the config file)")]
    MissingScope {
        /// The method that needs it.
        method: String,
        /// The scope.
        scope: String,
        /// The org.
        org: String,
        /// The scopes configured.
        configured: String,
    },
    /// Okta refused a call for a scope the access token lacks (403 `insufficient_scope`).
    #[error("{method}: Okta answered 403 E0000006 insufficient_scope for org '{org}': the service app lacks scope {scope}; grant it in Okta (Applications → the app → Okta API Scopes) and add it to the org's scopes")]
    InsufficientScope {
        /// The method refused.
        method: String,
        /// The scope Okta names (may be empty when it names none).
        scope: String,
        /// The org.
        org: String,
    },
    /// The token endpoint refused or failed.
    #[error("cannot get an access token for org '{org}' (client id {client_id}): {detail}")]
    Token {
        /// The org.
        org: String,
        /// The service app.
        client_id: String,
        /// What happened and what to do.
        detail: String,
    },
    /// A key could not be used.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// A configuration file or variable is wrong.
    #[error("{0}")]
    Config(String),
}

impl LooseToken {
    /// The token.
    pub fn token(&self) -> &Secret {
        &self.token
    }
}

impl Credentials {
    /// Configured orgs (names unique), with an optional default org name.
    pub fn new(orgs: Vec<Org>, default: Option<String>) -> Credentials {
        Credentials {
            bases: orgs.iter().map(|o| Url::parse(&o.url).ok()).collect(),
            orgs,
            default,
            ..Credentials::default()
        }
    }

    /// Adds an API token without an org: bound to `template`'s server when given, else to
    /// the first Okta-domain org it is used for.
    pub fn with_loose_token(
        mut self,
        token: &str,
        source: &str,
        template: Option<String>,
    ) -> Credentials {
        self.loose = Some(LooseToken {
            token: Secret::new(token),
            source: source.to_string(),
            template,
            bound: Mutex::new(None),
        });
        self
    }

    /// No credential at all: nothing can be sent (each request is refused before sending).
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty() && self.loose.is_none()
    }

    /// The configured orgs.
    pub fn orgs(&self) -> &[Org] {
        &self.orgs
    }

    /// The loose token, if any.
    pub fn loose_token(&self) -> Option<&LooseToken> {
        self.loose.as_ref()
    }

    /// The org used when a statement names none: the configured default, or the only org.
    pub fn default_org(&self) -> Option<&Org> {
        match &self.default {
            Some(name) => self.org_named(name),
            None if self.orgs.len() == 1 => self.orgs.first(),
            None => None,
        }
    }

    /// The configured org called `name` (case-insensitive).
    pub fn org_named(&self, name: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.name.eq_ignore_ascii_case(name))
    }

    /// `(name, url)` of every configured org, for planning `subdomain = '<name>'`.
    pub fn org_urls(&self) -> Vec<(String, String)> {
        self.orgs
            .iter()
            .map(|o| (o.name.clone(), o.url.clone()))
            .collect()
    }

    /// Checks at plan time that a request to `url` (for `method`, which needs `scopes`)
    /// would carry a credential of its own org with those scopes; records the scopes so the
    /// run's token asks for them.
    pub fn check(&self, method: &str, url: &str, scopes: &[String]) -> Result<(), AuthError> {
        match self.grant_for(url)? {
            Grant::Token { .. } => Ok(()),
            Grant::ServiceApp(org, app) => {
                if let Some(missing) = scopes.iter().find(|s| !app.scopes.contains(s)) {
                    return Err(AuthError::MissingScope {
                        method: method.to_string(),
                        scope: missing.clone(),
                        org: org.name.clone(),
                        configured: if app.scopes.is_empty() {
                            "none".into()
                        } else {
                            app.scopes.join(" ")
                        },
                    });
                }
                let mut needed = self.needed.lock().unwrap_or_else(|e| e.into_inner());
                match needed.iter_mut().find(|(u, _)| *u == org.url) {
                    Some((_, set)) => set.extend(scopes.iter().cloned()),
                    None => needed.push((org.url.clone(), scopes.iter().cloned().collect())),
                }
                Ok(())
            }
        }
    }

    /// The scopes a token for `org` should carry: those the checked statements need, or
    /// every configured scope when none was recorded.
    pub fn scopes_for(&self, org: &Org, app: &ServiceApp) -> Vec<String> {
        let needed = self.needed.lock().unwrap_or_else(|e| e.into_inner());
        match needed.iter().find(|(u, _)| *u == org.url) {
            Some((_, set)) if !set.is_empty() => set.iter().cloned().collect(),
            _ => app.scopes.clone(),
        }
    }

    /// The credential a request to `url` carries, or why it carries none.
    pub fn grant_for(&self, url: &str) -> Result<Grant<'_>, AuthError> {
        let parsed =
            Url::parse(url).map_err(|e| AuthError::Config(format!("invalid URL {url}: {e}")))?;
        self.grant(url, &parsed)
    }

    /// [`Credentials::grant_for`] for a URL parsed already (the HTTP client's).
    pub fn grant_for_url(&self, parsed: &Url) -> Result<Grant<'_>, AuthError> {
        self.grant(parsed.as_str(), parsed)
    }

    /// The grant for `url`, which `parsed` is the parsed form of.
    fn grant(&self, url: &str, parsed: &Url) -> Result<Grant<'_>, AuthError> {
        if let Some(org) = self
            .orgs
            .iter()
            .zip(&self.bases)
            .filter(|(_, base)| base.as_ref().is_some_and(|b| under_url(parsed, b)))
            .map(|(o, _)| o)
            .max_by_key(|o| o.url.len())
        {
            return Ok(match &org.credential {
                Credential::ApiToken(t) => Grant::Token {
                    org: &org.url,
                    token: t,
                },
                Credential::ServiceApp(app) => Grant::ServiceApp(org, app),
            });
        }
        let Some(loose) = &self.loose else {
            let label = org_label(parsed);
            return Err(AuthError::NoCredentials {
                hint: self.hint(&label),
                org: label,
            });
        };
        if let Some(t) = &loose.template {
            return match template_org(t, url) {
                Some(_) => Ok(Grant::Token {
                    org: t,
                    token: &loose.token,
                }),
                None => {
                    let label = org_label(parsed);
                    Err(AuthError::NoCredentials {
                        hint: format!(
                            "{} is bound to the server URL template {t}, which does not serve it; {}",
                            loose.source,
                            self.hint(&label)
                        ),
                        org: label,
                    })
                }
            };
        }
        let label = org_label(parsed);
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        if parsed.scheme() != "https" || !is_okta_domain(&host) {
            return Err(AuthError::LooseTokenForeignHost {
                source_name: loose.source.clone(),
                hint: self.hint(&label),
                host,
            });
        }
        let mut bound = loose.bound.lock().unwrap_or_else(|e| e.into_inner());
        match bound.as_deref() {
            Some(b) if b != label => Err(AuthError::LooseTokenBound {
                source_name: loose.source.clone(),
                bound: b.to_string(),
                hint: self.hint(&label),
                org: label,
            }),
            _ => {
                *bound = Some(label);
                Ok(Grant::Token {
                    org: "",
                    token: &loose.token,
                })
            }
        }
    }

    /// Which org and credential a request to `url` goes with, for `--dry-run` (no secret).
    pub fn describe(&self, url: &str) -> String {
        match self.grant_for(url) {
            Ok(Grant::ServiceApp(org, app)) => format!(
                "org '{}' ({}), service app {} (PrivateKey{})",
                org.name,
                org.url,
                app.client_id,
                if app.dpop { ", DPoP" } else { "" }
            ),
            Ok(Grant::Token { org, .. }) => match self.orgs.iter().find(|o| o.url == org) {
                Some(o) => format!("org '{}' ({}), API token (SSWS)", o.name, o.url),
                None => {
                    let label = Url::parse(url).map(|u| org_label(&u)).unwrap_or_default();
                    let source = self.loose.as_ref().map_or("", |l| l.source.as_str());
                    format!("org {label}, API token from {source} (SSWS)")
                }
            },
            Err(e) => format!("nothing sent: {e}"),
        }
    }

    fn hint(&self, org: &str) -> String {
        format!(
            "set OKTA_CLIENT_ORGURL={org} with OKTA_CLIENT_TOKEN (an API token), or a service app \
             (OKTA_CLIENT_AUTHORIZATIONMODE=PrivateKey, OKTA_CLIENT_CLIENTID, OKTA_CLIENT_PRIVATEKEY, \
             OKTA_CLIENT_SCOPES), or name the org in {}; see docs/auth.md",
            if self.config_hint.is_empty() {
                "the oktaql config file"
            } else {
                &self.config_hint
            }
        )
    }
}

/// Whether `url` lies under the org URL `b`: same scheme, host (ignoring case) and port,
/// and a path that is the org's path or continues it after a `/`.
pub fn under_url(url: &Url, b: &Url) -> bool {
    if url.scheme() != b.scheme()
        || !url
            .host_str()
            .zip(b.host_str())
            .map_or(url.host_str() == b.host_str(), |(h, bh)| {
                h.eq_ignore_ascii_case(bh)
            })
        || url.port_or_known_default() != b.port_or_known_default()
    {
        return false;
    }
    let bp = b.path().trim_end_matches('/');
    let p = url.path();
    bp.is_empty()
        || p.strip_prefix(bp)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The org of a URL as shown in messages: `scheme://host[:port]`, plus the first path
/// segment for plain HTTP on loopback (where the sandbox serves each org under a path).
pub fn org_label(url: &Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(p) = url.port() {
        s.push_str(&format!(":{p}"));
    }
    if url.scheme() == "http" {
        if let Some(first) = url.path_segments().and_then(|mut p| p.next()) {
            if !first.is_empty() {
                s.push('/');
                s.push_str(first);
            }
        }
    }
    s
}

/// Okta's own org domains, where a loose API token may go.
pub fn is_okta_domain(host: &str) -> bool {
    const DOMAINS: [&str; 5] = [
        ".okta.com",
        ".oktapreview.com",
        ".okta-emea.com",
        ".okta-gov.com",
        ".okta.mil",
    ];
    DOMAINS.iter().any(|d| {
        host.ends_with(d) && host.len() > d.len() && !host[..host.len() - d.len()].contains('.')
    })
}

/// The base URL `url` falls under when it is served by the server URL template `t`
/// (`https://{subdomain}.okta.com`, `http://127.0.0.1:8787/{subdomain}`): the template with
/// one host label (or one path segment) in place of `{subdomain}`.
pub fn template_org(t: &str, url: &str) -> Option<String> {
    let (prefix, suffix) = t.split_once("{subdomain}")?;
    let suffix = suffix.trim_end_matches('/');
    let rest = url.strip_prefix(prefix).or_else(|| {
        // Scheme and host compare without regard to case.
        (url.len() >= prefix.len() && url[..prefix.len()].eq_ignore_ascii_case(prefix))
            .then(|| &url[prefix.len()..])
    })?;
    let end = rest.find(['/', '?', '#', ':', '@']).unwrap_or(rest.len());
    let mut sub_end = end;
    if !suffix.is_empty() {
        // The subdomain is a single label ending where the suffix begins.
        let label_end = rest[..end].find('.').unwrap_or(end);
        if !rest[label_end..].starts_with(suffix) {
            return None;
        }
        sub_end = label_end;
        let after = &rest[label_end + suffix.len()..];
        if !(after.is_empty() || after.starts_with('/')) {
            return None;
        }
    }
    let sub = &rest[..sub_end];
    if sub.is_empty() || sub.contains('.') {
        return None;
    }
    Some(format!("{prefix}{sub}{suffix}"))
}

#[cfg(test)]
mod tests;
