//! HTTP handlers of `/api/v1/apps/{appId}/credentials/jwks`: list, get, add, delete, activate
//! and deactivate an OAuth 2.0 client's JSON Web Keys. The rules live in [`super::jwks`]; this
//! module only reads requests and writes answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use super::errors::ApiError;
use super::jwks::{self, NewJwk};
use super::lifecycle;
use super::server::{ctx, json, OrgCtx, Shared};
use super::syslog::Action;

/// The routes, to merge into the sandbox's router.
pub fn routes() -> Router<Arc<Shared>> {
    let base = "/{org}/api/v1/apps/{app_id}/credentials/jwks";
    Router::new()
        .route(base, get(list).post(add))
        .route(&format!("{base}/{{key_id}}"), get(one).delete(delete))
        .merge(lifecycle::status_routes(
            &format!("{base}/{{key_id}}"),
            set_status,
        ))
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
    let req = parse_new_jwk(&lifecycle::body(body)?)?;
    let key =
        lifecycle::change(&shared, &ctx, &entry, Action::Create, || entry.add_jwk(req)).await?;
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
    lifecycle::remove(&shared, org, &app_id, Action::Delete, |e| {
        e.delete_jwk(&key_id)
    })
    .await
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
    let action = lifecycle::status_action(active);
    let key = lifecycle::change(&shared, &ctx, &entry, action, || {
        entry.set_jwk_status(&key_id, active)
    })
    .await?;
    Ok(json(StatusCode::OK, &jwks::view(&key, &ctx.base, &app_id)))
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
