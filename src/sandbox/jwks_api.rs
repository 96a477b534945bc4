//! HTTP handlers of `/api/v1/apps/{appId}/credentials/jwks`: list, get, add, delete, activate
//! and deactivate an OAuth 2.0 client's JSON Web Keys. The rules live in [`super::jwks`]; this
//! module only reads requests and writes answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::errors::ApiError;
use super::jwks::{self, NewJwk};
use super::model::App;
use super::server::{ctx, json, OrgCtx, Shared, MAX_BODY_BYTES};
use super::syslog::{self, Action, Credential};

/// The System Log event of a change to a JSON Web Key, by the token's principal.
fn jwk_event(action: Action, app: &App, k: &jwks::Jwk, actor: &syslog::Party) -> syslog::LogEvent {
    syslog::credential_event(
        action,
        app,
        Credential::Jwk {
            id: &k.id,
            kid: k.kid.as_deref(),
        },
        actor.clone(),
        &super::model::now(),
    )
}

/// The routes, to merge into the sandbox's router.
pub fn routes() -> Router<Arc<Shared>> {
    let base = "/{org}/api/v1/apps/{app_id}/credentials/jwks";
    Router::new()
        .route(base, get(list).post(add))
        .route(&format!("{base}/{{key_id}}"), get(one).delete(delete))
        .route(
            &format!("{base}/{{key_id}}/lifecycle/activate"),
            post(activate),
        )
        .route(
            &format!("{base}/{{key_id}}/lifecycle/deactivate"),
            post(deactivate),
        )
}

async fn list(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let views: Vec<_> = entry
        .jwks()
        .iter()
        .map(|k| jwks::view(k, &ctx.base, &app_id))
        .collect();
    Ok(json(StatusCode::OK, &views))
}

async fn one(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, key_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let key = ctx.org.app(&app_id)?.jwk(&key_id)?;
    Ok(json(StatusCode::OK, &jwks::view(&key, &ctx.base, &app_id)))
}

/// Reads an add-key body: a JSON object of the key's fields.
fn parse_new_jwk(body: &[u8]) -> Result<NewJwk, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::malformed_body(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::malformed_body(
            "the body must be a JSON Web Key object such as {\"kid\": \"…\", \"kty\": \"RSA\", \
             \"e\": \"AQAB\", \"n\": \"…\", \"use\": \"sig\", \"status\": \"ACTIVE\"}",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        ApiError::malformed_body(format!(
            "a JSON Web Key has the string fields kid, status, kty, use, alg, e, n, crv, x, y: {e}"
        ))
    })
}

async fn add(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(MAX_BODY_BYTES)
        } else {
            ApiError::malformed_body(e.body_text())
        }
    })?;
    let req = parse_new_jwk(&body)?;
    let key = shared
        .write(
            &ctx.org,
            &entry,
            || entry.add_jwk(req),
            |k| jwk_event(Action::Create, &entry.app, k, &ctx.actor),
        )
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &jwks::view(&key, &ctx.base, &app_id),
    ))
}

async fn delete(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, key_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    shared
        .write(
            &ctx.org,
            &entry,
            || entry.delete_jwk(&key_id),
            |k| jwk_event(Action::Delete, &entry.app, k, &ctx.actor),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_status(
    shared: Arc<Shared>,
    org: Option<Extension<OrgCtx>>,
    app_id: String,
    key_id: String,
    active: bool,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let key = shared
        .write(
            &ctx.org,
            &entry,
            || entry.set_jwk_status(&key_id, active),
            |k| {
                let action = if active {
                    Action::Activate
                } else {
                    Action::Deactivate
                };
                jwk_event(action, &entry.app, k, &ctx.actor)
            },
        )
        .await?;
    Ok(json(StatusCode::OK, &jwks::view(&key, &ctx.base, &app_id)))
}

async fn activate(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, key_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    set_status(shared, org, app_id, key_id, true).await
}

async fn deactivate(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, key_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    set_status(shared, org, app_id, key_id, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_bodies() {
        assert_eq!(parse_new_jwk(b"").unwrap_err().code, "E0000003");
        assert_eq!(parse_new_jwk(b"[1]").unwrap_err().code, "E0000003");
        assert_eq!(
            parse_new_jwk(br#"{"kty": 5}"#).unwrap_err().code,
            "E0000003"
        );
        assert_eq!(
            parse_new_jwk(br#"{"kty": "RSA", "private": "d"}"#)
                .unwrap_err()
                .code,
            "E0000003"
        );
        let k = parse_new_jwk(br#"{"kty": "RSA", "use": "sig"}"#).unwrap();
        assert_eq!(k.use_.as_deref(), Some("sig"));
    }
}
