//! The OAuth 2.0 refresh tokens issued for an app (`/api/v1/apps/{appId}/tokens`): how one is
//! stored and rendered as Okta's OAuth2RefreshToken, paging of the list, and revocation (a
//! revoked token is gone: listing and getting it no longer find it, as in Okta).
//!
//! Plain data and pure functions over one app's token list; the caller holds the app's lock.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::model::{self, App, ACTIVE};

/// Most refresh tokens one app holds in the sandbox (bounds the state file; raise it here).
pub const MAX_TOKENS: usize = 10_000;
/// Default page size of the list.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page size of the list.
pub const MAX_LIMIT: usize = 200;
/// Scopes every seeded refresh token carries.
const SCOPES: [&str; 3] = ["offline_access", "openid", "profile"];

/// One refresh token, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefreshToken {
    /// `oar` + 17 alphanumerics.
    pub id: String,
    /// The user the token was issued to (`00u…`).
    #[serde(rename = "userId")]
    pub user_id: String,
    /// Always `ACTIVE` while stored (revoked tokens are removed).
    pub status: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// Issue time.
    pub created: String,
    /// Last update time.
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
    /// When the token expires.
    #[serde(rename = "expiresAt")]
    pub expires_at: String,
}

/// Okta's 404 for a token id the app does not have.
pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(&format!("{id} (OAuth2RefreshToken)"))
}

/// A refresh token issued at `created` (epoch seconds) to a random user, valid 90 days.
pub fn new_token(rng: &mut impl Rng, created: i64) -> RefreshToken {
    let at = |s: i64| {
        model::format_time(
            time::OffsetDateTime::from_unix_timestamp(s)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        )
    };
    RefreshToken {
        id: model::new_id_with(rng, "oar"),
        user_id: model::new_id_with(rng, "00u"),
        status: ACTIVE.to_string(),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        created: at(created),
        last_updated: at(created),
        expires_at: at(created + 90 * 86_400),
    }
}

/// Reads the list's `limit`: 1 to [`MAX_LIMIT`] (larger values are capped), default 20.
pub fn parse_limit(limit: Option<&str>) -> Result<usize, ApiError> {
    match limit.map(str::trim) {
        None | Some("") | Some("-1") => Ok(DEFAULT_LIMIT),
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n >= 1 => Ok((n as usize).min(MAX_LIMIT)),
            _ => Err(ApiError::validation(
                "limit",
                format!("limit: {l:?} is not a page size; use 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// Reads `expand`: only `scope` (embeds the scope objects) is known.
pub fn parse_expand(expand: Option<&str>) -> Result<bool, ApiError> {
    match expand.map(str::trim) {
        None | Some("") => Ok(false),
        Some("scope") => Ok(true),
        Some(other) => Err(ApiError::validation(
            "expand",
            format!("expand: {other:?} is not supported; the only value is 'scope'"),
        )),
    }
}

/// One page: the tokens after the one with id `after` (from the start when absent or
/// unknown), at most `limit`; and the id to continue after, when more follow.
pub fn page<'a>(
    tokens: &'a [RefreshToken],
    after: Option<&str>,
    limit: usize,
) -> (&'a [RefreshToken], Option<&'a str>) {
    let start = after
        .and_then(|a| tokens.iter().position(|t| t.id == a))
        .map(|i| i + 1)
        .unwrap_or(0);
    let end = (start + limit).min(tokens.len());
    let page = &tokens[start..end];
    let next = (end < tokens.len())
        .then(|| page.last().map(|t| t.id.as_str()))
        .flatten();
    (page, next)
}

/// Revokes (removes) one token; returns it.
pub fn revoke(tokens: &mut Vec<RefreshToken>, id: &str) -> Result<RefreshToken, ApiError> {
    let pos = tokens
        .iter()
        .position(|t| t.id == id)
        .ok_or_else(|| not_found(id))?;
    Ok(tokens.remove(pos))
}

/// Checks a stored token list (the state-file loader's view of the API's rules).
pub fn validate_tokens(tokens: &[RefreshToken]) -> Result<(), String> {
    if tokens.len() > MAX_TOKENS {
        return Err(format!(
            "{} refresh tokens (at most {MAX_TOKENS})",
            tokens.len()
        ));
    }
    for t in tokens {
        if !t.id.starts_with("oar") || t.status != ACTIVE {
            return Err(format!(
                "refresh token {:?} must have an oar… id and status ACTIVE (revoked tokens are removed)",
                t.id
            ));
        }
    }
    Ok(())
}

/// The wire form (Okta's OAuth2RefreshToken); `base` is `http://host/{org}`. With `expand`,
/// the scope objects are embedded.
pub fn view(t: &RefreshToken, app: &App, base: &str, expand: bool) -> serde_json::Value {
    let app_href = format!("{base}/api/v1/apps/{}", app.id);
    let href = format!("{app_href}/tokens/{}", t.id);
    let mut v = serde_json::json!({
        "clientId": app.id,
        "created": t.created,
        "expiresAt": t.expires_at,
        "id": t.id,
        "issuer": base,
        "lastUpdated": t.last_updated,
        "scopes": t.scopes,
        "status": t.status,
        "userId": t.user_id,
        "_links": {
            "app": {"href": app_href, "title": app.label},
            "self": {"href": href},
            "revoke": {"href": href, "hints": {"allow": ["DELETE"]}},
            "client": {"href": format!("{base}/oauth2/v1/clients/{}", app.id), "title": app.label},
            "user": {"href": format!("{base}/api/v1/users/{}", t.user_id)},
            "authorizationServer": {"href": format!("{base}/api/v1/authorizationServers/org")}
        }
    });
    if expand {
        let scopes: Vec<_> = t
            .scopes
            .iter()
            .map(|s| serde_json::json!({"id": format!("scp-{s}"), "name": s, "displayName": s, "description": format!("The {s} scope")}))
            .collect();
        v["_embedded"] = serde_json::json!({"scopes": scopes});
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pages_and_revocation() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut tokens: Vec<_> = (0..5)
            .map(|i| new_token(&mut rng, 1_700_000_000 + i))
            .collect();
        let (p, next) = page(&tokens, None, 2);
        assert_eq!(p.len(), 2);
        let (p2, next2) = page(&tokens, next, 2);
        assert_eq!(p2[0].id, tokens[2].id);
        let (p3, end) = page(&tokens, next2, 2);
        assert_eq!((p3.len(), end), (1, None));
        let id = tokens[1].id.clone();
        assert_eq!(revoke(&mut tokens, &id).unwrap().id, id);
        assert_eq!(revoke(&mut tokens, &id).unwrap_err().code, "E0000007");
        assert_eq!(tokens.len(), 4);
        assert!(validate_tokens(&tokens).is_ok());
        tokens[0].status = "REVOKED".into();
        assert!(validate_tokens(&tokens).is_err());
        assert_eq!(parse_limit(Some("500")).unwrap(), MAX_LIMIT);
        assert!(parse_limit(Some("0")).is_err());
        assert!(parse_expand(Some("scope")).unwrap());
        assert!(parse_expand(Some("user")).is_err());
    }
}
