//! Credentials on requests: which credential a request carries (only its own org's, see
//! [`crate::auth::Credentials`]), the `Authorization` header (`SSWS`, `Bearer` or `DPoP`),
//! DPoP proofs, and each org's access token, cached until shortly before it expires and
//! fetched again once when the server calls it invalid.
//!
//! Must not: send management requests itself, or let a credential's value reach any text
//! (errors, traces, `Debug`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use tokio::time::Instant;

use super::ExecError;
use crate::auth::oauth::{self, AccessToken, TOKEN_PATH};
use crate::auth::secrets::register;
use crate::auth::{AuthError, Credentials, Grant, Org, ServiceApp, SigningKey};
use crate::secrets::SecretValues;

/// A cached token is fetched again this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Longest a token is cached for, whatever lifetime the server gives it (Okta's are an hour).
pub const MAX_TOKEN_LIFE: Duration = Duration::from_secs(86_400);
/// Most token requests for one token (a DPoP nonce challenge takes two).
const MAX_TOKEN_ATTEMPTS: usize = 3;

/// The `Authorization` value `prefix + token`, marked sensitive (hidden from `Debug`).
pub(crate) fn header_value(prefix: &str, token: &str) -> Result<HeaderValue, ExecError> {
    let mut v = HeaderValue::from_str(&format!("{prefix}{token}")).map_err(|_| ExecError::Client {
        detail: "the credential contains characters that cannot be sent in an HTTP header (a line break or control character?); check the token you set".to_string(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// Where `--debug` traces of token requests go (masked by the caller).
pub(crate) type Tracer<'a> = Option<&'a (dyn Fn(String) + Send + Sync)>;

/// One service-app org's state in this run.
struct OrgState {
    token: tokio::sync::Mutex<Option<Cached>>,
    dpop_key: SigningKey,
    dpop: AtomicBool,
    auth_nonce: Mutex<Option<String>>,
    api_nonce: Mutex<Option<String>>,
}

/// Attaches credentials to requests and keeps the run's access tokens.
pub struct Authenticator {
    credentials: Arc<Credentials>,
    secrets: Arc<SecretValues>,
    auth_prefix: String,
    states: Mutex<HashMap<String, Arc<OrgState>>>,
    token_requests: AtomicUsize,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

/// What the token check of an org found.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Token endpoint requests it took.
    pub requests: usize,
}

impl Authenticator {
    /// An authenticator over `credentials`; API tokens are sent as `auth_prefix + token`.
    /// Every credential, and each assertion, proof and token it makes or receives, is
    /// registered with `secrets`.
    pub fn new(
        credentials: Arc<Credentials>,
        auth_prefix: &str,
        secrets: Arc<SecretValues>,
    ) -> Authenticator {
        crate::auth::secrets::register_credentials(&credentials, &secrets);
        Authenticator {
            credentials,
            secrets,
            auth_prefix: auth_prefix.to_string(),
            states: Mutex::new(HashMap::new()),
            token_requests: AtomicUsize::new(0),
        }
    }

    /// The credentials it attaches.
    pub fn credentials(&self) -> &Arc<Credentials> {
        &self.credentials
    }

    /// Token endpoint requests sent so far.
    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::Relaxed)
    }

    fn state(&self, org: &Org, app: &ServiceApp) -> Arc<OrgState> {
        let mut s = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        s.entry(org.url.clone())
            .or_insert_with(|| {
                Arc::new(OrgState {
                    token: tokio::sync::Mutex::new(None),
                    dpop_key: SigningKey::generate_es256(),
                    dpop: AtomicBool::new(app.dpop),
                    auth_nonce: Mutex::new(None),
                    api_nonce: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Adds the credential for `url` to `headers`, getting an access token first when the
    /// org's service app has none valid. Fails, sending nothing, when no credential belongs
    /// to the URL's org.
    pub(crate) async fn apply(
        &self,
        http: &reqwest::Client,
        verb: &str,
        url: &Url,
        headers: &mut HeaderMap,
        tracer: Tracer<'_>,
    ) -> Result<(), ExecError> {
        match self.credentials.grant_for_url(url)? {
            Grant::Token { token, .. } => {
                headers.insert(
                    AUTHORIZATION,
                    header_value(&self.auth_prefix, token.expose())?,
                );
            }
            Grant::ServiceApp(org, app) => {
                let state = self.state(org, app);
                let token = self.token(http, org, app, &state, tracer).await?;
                if token.token_type.eq_ignore_ascii_case("DPoP") {
                    let nonce = lock(&state.api_nonce).clone();
                    let proof = oauth::dpop_proof(
                        &state.dpop_key,
                        verb,
                        url.as_str(),
                        nonce.as_deref(),
                        Some(token.value.expose()),
                    )?;
                    register(&self.secrets, &proof);
                    headers.insert(AUTHORIZATION, header_value("DPoP ", token.value.expose())?);
                    headers.insert(HeaderName::from_static("dpop"), header_value("", &proof)?);
                } else {
                    headers.insert(
                        AUTHORIZATION,
                        header_value("Bearer ", token.value.expose())?,
                    );
                }
            }
        }
        Ok(())
    }

    /// After a 401 from `url`: remembers a DPoP nonce or drops the org's cached token, and
    /// says whether sending again may succeed.
    pub(crate) async fn retry_after_401(&self, url: &Url, answer: &HeaderMap) -> bool {
        let Ok(Grant::ServiceApp(org, app)) = self.credentials.grant_for_url(url) else {
            return false;
        };
        let state = self.state(org, app);
        let challenge = answer
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        let nonce = answer.get("dpop-nonce").and_then(|v| v.to_str().ok());
        if challenge.contains("use_dpop_nonce") {
            if let Some(n) = nonce {
                *lock(&state.api_nonce) = Some(n.to_string());
                return true;
            }
            return false;
        }
        // invalid_token (expired or revoked): fetch a new one.
        *state.token.lock().await = None;
        true
    }

    /// The org's access token: the cached one while it is fresh and has the scopes the run
    /// needs, else a new one.
    async fn token(
        &self,
        http: &reqwest::Client,
        org: &Org,
        app: &ServiceApp,
        state: &OrgState,
        tracer: Tracer<'_>,
    ) -> Result<AccessToken, ExecError> {
        let mut cached = state.token.lock().await;
        let wanted = self.credentials.scopes_for(org, app);
        if let Some(c) = cached.as_ref() {
            if Instant::now() < c.refresh_at && wanted.iter().all(|s| c.token.scopes.contains(s)) {
                return Ok(c.token.clone());
            }
        }
        let token = self
            .fetch_token(http, org, app, state, &wanted, tracer)
            .await?;
        // `expires_in` is the server's number: capped, so that adding it to the clock
        // cannot overflow (a panic) however large it is.
        let life = Duration::from_secs(token.expires_in).min(MAX_TOKEN_LIFE);
        // Refresh a minute early, or at half the lifetime of a token shorter than two minutes.
        let margin = REFRESH_MARGIN.min(life / 2);
        *cached = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + life - margin,
        });
        Ok(token)
    }

    async fn fetch_token(
        &self,
        http: &reqwest::Client,
        org: &Org,
        app: &ServiceApp,
        state: &OrgState,
        scopes: &[String],
        tracer: Tracer<'_>,
    ) -> Result<AccessToken, ExecError> {
        let token_url = format!("{}{TOKEN_PATH}", org.url);
        let failed = |detail: String| {
            ExecError::Auth(AuthError::Token {
                org: org.name.clone(),
                client_id: app.client_id.clone(),
                detail,
            })
        };
        let mut last = String::new();
        for _ in 0..MAX_TOKEN_ATTEMPTS {
            let assertion = oauth::client_assertion(app, &token_url)?;
            register(&self.secrets, &assertion);
            let dpop_on = state.dpop.load(Ordering::Relaxed);
            if let Some(t) = tracer {
                t(format!(
                    "> POST {token_url}{}\n> grant_type=client_credentials&scope={}&client_assertion_type=…jwt-bearer&client_assertion=****",
                    if dpop_on { "\n> dpop: ****" } else { "" },
                    scopes.join("+")
                ));
            }
            let started = Instant::now();
            let mut req = http
                .post(&token_url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "application/json")
                .body(oauth::token_form(scopes, &assertion));
            if state.dpop.load(Ordering::Relaxed) {
                let nonce = lock(&state.auth_nonce).clone();
                let proof =
                    oauth::dpop_proof(&state.dpop_key, "POST", &token_url, nonce.as_deref(), None)?;
                register(&self.secrets, &proof);
                req = req.header("DPoP", proof);
            }
            self.token_requests.fetch_add(1, Ordering::Relaxed);
            let resp = req.send().await.map_err(|e| {
                failed(format!(
                    "the token endpoint {token_url} could not be reached: {}",
                    self.secrets.mask_text(&e.to_string())
                ))
            })?;
            let status = resp.status().as_u16();
            let nonce = resp
                .headers()
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = resp.bytes().await.map_err(|e| failed(e.to_string()))?;
            if let Some(t) = tracer {
                t(format!(
                    "< {status} in {} ms{}\n< {}",
                    started.elapsed().as_millis(),
                    nonce
                        .as_ref()
                        .map(|_| "\n< dpop-nonce: (set)")
                        .unwrap_or_default(),
                    super::trace::body_text(&body)
                ));
            }
            match oauth::read_answer(status, nonce, &body) {
                Ok(t) => {
                    register(&self.secrets, t.value.expose());
                    return Ok(t);
                }
                Err(r) if r.error == "use_dpop_nonce" && r.nonce.is_some() => {
                    state.dpop.store(true, Ordering::Relaxed);
                    *lock(&state.auth_nonce) = r.nonce.clone();
                    last = oauth::refusal_hint(&r);
                }
                Err(r)
                    if r.error == "invalid_dpop_proof" && !state.dpop.load(Ordering::Relaxed) =>
                {
                    // The app requires DPoP: send proofs from now on.
                    state.dpop.store(true, Ordering::Relaxed);
                    last = oauth::refusal_hint(&r);
                }
                Err(r) => {
                    let hint = oauth::refusal_hint(&r);
                    return Err(failed(self.secrets.mask_text(&hint).into_owned()));
                }
            }
        }
        Err(failed(last))
    }

    /// Gets a token for the service app of `org` now (the check command).
    pub async fn check_token(
        &self,
        http: &reqwest::Client,
        org: &Org,
    ) -> Result<TokenInfo, ExecError> {
        let crate::auth::Credential::ServiceApp(app) = &org.credential else {
            return Err(ExecError::Client {
                detail: format!("org '{}' uses an API token, not a service app", org.name),
            });
        };
        let state = self.state(org, app);
        let before = self.token_requests();
        let t = self.token(http, org, app, &state, None).await?;
        Ok(TokenInfo {
            token_type: t.token_type.clone(),
            scopes: t.scopes.iter().cloned().collect(),
            expires_in: t.expires_in,
            requests: self.token_requests() - before,
        })
    }
}

/// The scope named by a 403's `WWW-Authenticate: Bearer … error="insufficient_scope",
/// scope="…"` (empty when it names none), or `None` when the 403 is not about scope.
pub(crate) fn insufficient_scope(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("insufficient_scope"))?;
    let scope = v
        .split(',')
        .filter_map(|p| p.trim().strip_prefix("scope="))
        .map(|s| s.trim_matches('"').to_string())
        .next()
        .unwrap_or_default();
    Some(scope)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
