//! OAuth 2.0 client credentials with `private_key_jwt` (and DPoP, RFC 9449), client side:
//! client assertions, DPoP proofs, the token request and its answer.
//!
//! Must not: cache tokens or decide when to fetch one (the HTTP client's authenticator
//! does, and registers each assertion, proof and token with the run's secret values as it
//! is made or received).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use rand::Rng;
use serde_json::{json, Value};

use super::{AuthError, Secret, ServiceApp, SigningKey};

/// Lifetime of a client assertion (Okta allows at most an hour; short is safer).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);
/// Path of Okta's org authorization server token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";

/// An access token as issued.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token.
    pub value: Secret,
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// Scopes granted.
    pub scopes: BTreeSet<String>,
    /// Seconds it was valid for when issued.
    pub expires_in: u64,
}

/// A token endpoint answer that is not a token.
#[derive(Debug, Clone)]
pub struct TokenRefusal {
    /// HTTP status.
    pub status: u16,
    /// OAuth `error`.
    pub error: String,
    /// OAuth `error_description`.
    pub description: String,
    /// `DPoP-Nonce` header, when the server sent one.
    pub nonce: Option<String>,
}

/// Seconds since the Unix epoch (JWT `iat`/`exp` are wall-clock times).
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A unique id for `jti`: 128 random bits, hex.
pub fn new_jti() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signed client assertion: iss = sub = client id, aud = the token URL, short expiry,
/// unique `jti`, `kid` when known.
pub fn client_assertion(app: &ServiceApp, token_url: &str) -> Result<String, AuthError> {
    let iat = now_secs();
    let claims = json!({
        "iss": app.client_id,
        "sub": app.client_id,
        "aud": token_url,
        "iat": iat,
        "exp": iat + ASSERTION_LIFETIME.as_secs(),
        "jti": new_jti(),
    });
    Ok(app.key.sign(None, app.key_id.as_deref(), false, &claims)?)
}

/// A DPoP proof for `htm` `htu` (no query or fragment), with the server's nonce and the
/// access token's hash (`ath`) on resource calls.
pub fn dpop_proof(
    key: &SigningKey,
    htm: &str,
    htu: &str,
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Result<String, AuthError> {
    let htu = htu.split(['?', '#']).next().unwrap_or(htu);
    let mut claims = json!({"htm": htm, "htu": htu, "iat": now_secs(), "jti": new_jti()});
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    if let Some(t) = access_token {
        claims["ath"] = json!(super::key::sha256_b64(t));
    }
    Ok(key.sign(Some("dpop+jwt"), None, true, &claims)?)
}

/// The form body of a client-credentials token request.
pub fn token_form(scopes: &[String], assertion: &str) -> String {
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    format!(
        "grant_type=client_credentials&scope={}&client_assertion_type={}&client_assertion={}",
        enc(&scopes.join(" ")),
        enc("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        enc(assertion)
    )
}

/// Reads a token endpoint answer.
pub fn read_answer(
    status: u16,
    nonce: Option<String>,
    body: &[u8],
) -> Result<AccessToken, TokenRefusal> {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if (200..300).contains(&status) && !s("access_token").is_empty() {
        return Ok(AccessToken {
            value: Secret::new(s("access_token")),
            token_type: if s("token_type").is_empty() {
                "Bearer".into()
            } else {
                s("token_type")
            },
            scopes: s("scope")
                .split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect(),
            expires_in: v.get("expires_in").and_then(Value::as_u64).unwrap_or(3600),
        });
    }
    Err(TokenRefusal {
        status,
        error: if s("error").is_empty() {
            format!("HTTP {status}")
        } else {
            s("error")
        },
        description: s("error_description"),
        nonce,
    })
}

/// What to tell the user about a refusal.
pub fn refusal_hint(r: &TokenRefusal) -> String {
    let fix = match r.error.as_str() {
        "invalid_client" => "check the client id, that the app uses public key / private key authentication, and that the public key of this private key (and its key id) is registered on the app",
        "invalid_scope" => "grant the scopes to the service app (Applications → the app → Okta API Scopes) or configure fewer",
        "unauthorized_client" => "allow the Client Credentials grant on the app",
        "invalid_dpop_proof" => "the server refused the DPoP proof; check the system clock",
        _ => "see the error above",
    };
    let desc = if r.description.is_empty() {
        String::new()
    } else {
        format!(" ({})", r.description)
    };
    format!(
        "the token endpoint answered {} {}{desc}: {fix}",
        r.status, r.error
    )
}
