//! The sandbox as Okta's org authorization server: one service app (the demo org's
//! "Data Sync Service", client id [`super::DEMO_APP_PRIVATE_KEY_JWT`]) whose public key is
//! registered; `POST /{org}/oauth2/v1/token` verifies client assertions as Okta does
//! (signature, iss = sub = client id, aud = the token URL, exp, `jti` replay refused) and
//! issues access tokens (`expires_in` 3600, scopes ⊆ granted); optionally DPoP-bound with the
//! `use_dpop_nonce` challenge. Management endpoints accept those tokens as `Bearer` or
//! `DPoP` and enforce scopes (403 `insufficient_scope`); expired tokens get 401.
//!
//! Must not: accept an assertion or proof it has not verified, or touch the org data.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::errors::ApiError;
use super::server::Shared;
use crate::auth::key::{decoding_key, sha256_b64, thumbprint};
use crate::auth::oauth::{new_jti, now_secs};
use crate::auth::SigningKey;

/// Lifetime of issued access tokens, as Okta's default.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Scopes the sandbox's service app is granted.
pub const GRANTED_SCOPES: [&str; 3] = ["okta.apps.read", "okta.apps.manage", "okta.logs.read"];
/// How far a DPoP proof's `iat` may be from now.
const PROOF_WINDOW: u64 = 300;
/// Longest client assertion lifetime accepted (Okta: one hour).
const MAX_ASSERTION_LIFETIME: u64 = 3600;
/// Most `jti` values remembered against replay (a sandbox run makes few).
const MAX_SEEN: usize = 100_000;

struct Issued {
    scopes: Vec<String>,
    expires: Instant,
    jkt: Option<String>,
}

/// The authorization server's state.
pub struct AuthServer {
    client_id: String,
    key: DecodingKey,
    alg: Algorithm,
    require_dpop: bool,
    lifetime: Duration,
    tokens: Mutex<HashMap<String, Issued>>,
    seen: Mutex<HashSet<String>>,
    nonce: String,
    token_requests: AtomicUsize,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("client_id", &self.client_id)
            .field("require_dpop", &self.require_dpop)
            .finish_non_exhaustive()
    }
}

impl AuthServer {
    /// A server whose service app `client_id` holds `key`'s public key.
    pub fn new(
        client_id: &str,
        key: &SigningKey,
        require_dpop: bool,
        lifetime: Duration,
    ) -> AuthServer {
        AuthServer {
            client_id: client_id.to_string(),
            // A key we hold always has a public form.
            key: key
                .decoding_key()
                .expect("the service app key has a public key"),
            alg: key.algorithm(),
            require_dpop,
            lifetime,
            tokens: Mutex::new(HashMap::new()),
            seen: Mutex::new(HashSet::new()),
            nonce: new_jti(),
            token_requests: AtomicUsize::new(0),
        }
    }

    /// Revokes every access token issued (the next use gets 401 `invalid_token`).
    pub fn revoke_all(&self) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Requests the token endpoint has answered.
    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::Relaxed)
    }

    fn first_use(&self, jti: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= MAX_SEEN {
            seen.clear();
        }
        seen.insert(jti.to_string())
    }

    /// Verifies a DPoP proof for `htm` `htu`; returns the key's thumbprint.
    fn verify_proof(
        &self,
        proof: &str,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
    ) -> Result<String, String> {
        let header =
            decode_header(proof).map_err(|e| format!("the DPoP proof is not a JWT ({e})"))?;
        if header.typ.as_deref() != Some("dpop+jwt") {
            return Err("the DPoP proof's typ is not dpop+jwt".into());
        }
        let jwk = header.jwk.ok_or("the DPoP proof has no jwk header")?;
        let jwk = serde_json::to_value(jwk).map_err(|e| e.to_string())?;
        let key = decoding_key(&jwk).map_err(|e| e.0)?;
        let mut v = Validation::new(header.alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims = HashSet::new();
        let claims = decode::<Value>(proof, &key, &v)
            .map_err(|e| format!("the DPoP proof's signature does not verify ({e})"))?
            .claims;
        let s = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default();
        if !s("htm").eq_ignore_ascii_case(htm) || s("htu") != htu {
            return Err(format!(
                "the DPoP proof is for {} {}, not {htm} {htu}",
                s("htm"),
                s("htu")
            ));
        }
        let iat = claims.get("iat").and_then(Value::as_u64).unwrap_or(0);
        if now_secs().abs_diff(iat) > PROOF_WINDOW {
            return Err("the DPoP proof's iat is not recent".into());
        }
        if s("jti").is_empty() || !self.first_use(&format!("dpop:{}", s("jti"))) {
            return Err("the DPoP proof's jti is missing or was used before".into());
        }
        if let Some(t) = access_token {
            if s("ath") != sha256_b64(t) {
                return Err("the DPoP proof's ath does not match the access token".into());
            }
        } else if s("nonce") != self.nonce {
            return Err("use_dpop_nonce".into());
        }
        thumbprint(&jwk).ok_or_else(|| "the DPoP proof's key has no thumbprint".into())
    }

    /// The service app's client id: the principal of every access token it issues.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Checks the credential of a management request that is not the API token: `Bearer`
    /// or `DPoP` access tokens, valid, unexpired, with the scope the method needs
    /// (`okta.logs.read` for the System Log, the apps scopes elsewhere). Returns the
    /// refusal to send, if any.
    pub fn authorize(&self, method: &str, url: &str, headers: &HeaderMap) -> Option<Response> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (scheme, token) = value.split_once(' ').unwrap_or(("", ""));
        let token = token.trim();
        let dpop = scheme.eq_ignore_ascii_case("DPoP");
        if !(dpop || scheme.eq_ignore_ascii_case("Bearer")) || token.is_empty() {
            return Some(unauthorized(
                "invalid_token",
                "The access token is invalid.",
            ));
        }
        let (scopes, jkt) = {
            let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            match tokens.get(token) {
                Some(t) if Instant::now() < t.expires => (t.scopes.clone(), t.jkt.clone()),
                Some(_) => {
                    return Some(unauthorized(
                        "invalid_token",
                        "The access token is expired.",
                    ))
                }
                None => {
                    return Some(unauthorized(
                        "invalid_token",
                        "The access token is invalid.",
                    ))
                }
            }
        };
        match (&jkt, dpop) {
            (Some(jkt), true) => {
                let proof = headers
                    .get("dpop")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let htu = url.split(['?', '#']).next().unwrap_or(url);
                match self.verify_proof(proof, method, htu, Some(token)) {
                    Ok(k) if &k == jkt => {}
                    Ok(_) => {
                        return Some(unauthorized(
                            "invalid_dpop_proof",
                            "The DPoP proof key does not match the access token.",
                        ))
                    }
                    Err(e) => return Some(unauthorized("invalid_dpop_proof", &e)),
                }
            }
            (Some(_), false) => {
                return Some(unauthorized(
                    "invalid_token",
                    "The access token is DPoP-bound: send it as Authorization: DPoP with a proof.",
                ))
            }
            (None, true) => {
                return Some(unauthorized(
                    "invalid_token",
                    "The access token is not DPoP-bound.",
                ))
            }
            (None, false) => {}
        }
        let read = matches!(method, "GET" | "HEAD");
        let path = url.split(['?', '#']).next().unwrap_or(url);
        // The System Log has its own scope; the apps scopes do not reach it.
        let logs = path.ends_with("/api/v1/logs");
        let ok = if logs {
            scopes.iter().any(|s| s == "okta.logs.read")
        } else {
            scopes
                .iter()
                .any(|s| s == "okta.apps.manage" || (read && s == "okta.apps.read"))
        };
        if !ok {
            let needed = if logs {
                "okta.logs.read"
            } else if read {
                "okta.apps.read"
            } else {
                "okta.apps.manage"
            };
            let mut r = ApiError {
                status: StatusCode::FORBIDDEN,
                code: "E0000006",
                summary: "You do not have permission to perform the requested action".into(),
                causes: vec![],
            }
            .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_str(&format!(
                    "Bearer authorization_uri=\"\", realm=\"http://okta.com\", scope=\"{needed}\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", resource=\"{}\"",
                    url.split('?').next().unwrap_or(url)
                ))
                .unwrap_or(HeaderValue::from_static("Bearer error=\"insufficient_scope\"")),
            );
            return Some(r);
        }
        None
    }

    fn token(&self, token_url: &str, headers: &HeaderMap, body: &[u8]) -> Response {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
        let form: HashMap<String, String> = form_pairs(body);
        let f = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        if f("grant_type") != "client_credentials" {
            return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].");
        }
        if f("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            || f("client_assertion").is_empty()
        {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed: a private_key_jwt client assertion is required.",
            );
        }
        let mut v = Validation::new(self.alg);
        v.set_audience(&[token_url]);
        v.set_issuer(&[&self.client_id]);
        v.sub = Some(self.client_id.clone());
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        let claims = match decode::<Value>(f("client_assertion"), &self.key, &v) {
            Ok(d) => d.claims,
            Err(e) => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    &format!("The client_assertion is invalid: {e}."),
                )
            }
        };
        let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        if exp > now_secs() + MAX_ASSERTION_LIFETIME + 60 {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The client_assertion token has an expiration too far into the future.",
            );
        }
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if jti.is_empty() || !self.first_use(&format!("assertion:{jti}")) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The client_assertion token has already been used (jti replay) or has no jti.",
            );
        }
        let requested: Vec<String> = f("scope")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if requested.is_empty() {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.");
        }
        let refused: Vec<&String> = requested
            .iter()
            .filter(|s| !GRANTED_SCOPES.contains(&s.as_str()))
            .collect();
        if !refused.is_empty() {
            let list: Vec<&str> = refused.iter().map(|s| s.as_str()).collect();
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!(
                    "The following scopes are not allowed: [{}].",
                    list.join(", ")
                ),
            );
        }
        let mut jkt = None;
        match headers.get("dpop").and_then(|v| v.to_str().ok()) {
            Some(proof) => match self.verify_proof(proof, "POST", token_url, None) {
                Ok(k) => jkt = Some(k),
                Err(e) if e == "use_dpop_nonce" => {
                    let mut r = oauth_error(
                        StatusCode::BAD_REQUEST,
                        "use_dpop_nonce",
                        "Authorization server requires nonce in DPoP proof.",
                    );
                    if let Ok(n) = HeaderValue::from_str(&self.nonce) {
                        r.headers_mut().insert("dpop-nonce", n);
                    }
                    return r;
                }
                Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", &e),
            },
            None if self.require_dpop => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_dpop_proof",
                    "The DPoP proof JWT header is missing.",
                )
            }
            None => {}
        }
        let token = format!("{}{}", new_jti(), new_jti());
        let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                token.clone(),
                Issued {
                    scopes: requested.clone(),
                    expires: Instant::now() + self.lifetime,
                    jkt,
                },
            );
        let mut r = (
            StatusCode::OK,
            axum::Json(json!({
                "token_type": token_type,
                "expires_in": self.lifetime.as_secs(),
                "access_token": token,
                "scope": requested.join(" "),
            })),
        )
            .into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// `POST /{org}/oauth2/v1/token`.
pub async fn token_endpoint(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let token_url = format!("http://{host}/{org}/oauth2/v1/token");
    shared.oauth.token(&token_url, &headers, &body)
}

/// An OAuth error in Okta's shape (`error`, `error_description`).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// 401 with Okta's `WWW-Authenticate` challenge and `E0000011` body.
fn unauthorized(error: &str, description: &str) -> Response {
    let mut r = ApiError::invalid_token().into_response();
    let scheme = if error == "invalid_dpop_proof" {
        "DPoP"
    } else {
        "Bearer"
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{scheme} authorization_uri=\"\", realm=\"http://okta.com\", error=\"{error}\", error_description=\"{}\"",
        description.replace('"', "'")
    )) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// `application/x-www-form-urlencoded` pairs.
fn form_pairs(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}
