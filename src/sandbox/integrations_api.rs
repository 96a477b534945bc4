//! HTTP handlers of `/integrations/api/v1/api-services`: list, create, get and delete API
//! service integrations, and list, create, activate, deactivate and delete their client
//! secrets. The rules live in [`super::integrations`] and the shared secret rules in
//! [`super::state`]; this module reads requests, writes answers and names the events.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::errors::ApiError;
use super::integrations::{self, Instance, NewInstance};
use super::model::Secret;
use super::server::{ctx, json, OrgCtx, Shared};
use super::state;
use super::syslog::{self, Action, Credential, LogEvent, Party};

/// The routes, to merge into the sandbox's router.
pub fn routes() -> Router<Arc<Shared>> {
    let base = "/{org}/integrations/api/v1/api-services";
    let secrets = format!("{base}/{{service_id}}/credentials/secrets");
    Router::new()
        .route(base, get(list).post(create))
        .route(&format!("{base}/{{service_id}}"), get(one).delete(delete))
        .route(&secrets, get(list_secrets).post(create_secret))
        .route(
            &format!("{secrets}/{{secret_id}}"),
            axum::routing::delete(delete_secret),
        )
        .route(
            &format!("{secrets}/{{secret_id}}/lifecycle/activate"),
            post(activate_secret),
        )
        .route(
            &format!("{secrets}/{{secret_id}}/lifecycle/deactivate"),
            post(deactivate_secret),
        )
}

fn secret_event(action: Action, i: &Instance, s: &Secret, actor: &Party) -> LogEvent {
    syslog::credential_event(
        action,
        &integrations::as_app(i),
        Credential::Secret {
            id: &s.id,
            hash: &s.secret_hash,
        },
        actor.clone(),
        &super::model::now(),
    )
}

#[derive(Deserialize)]
struct ListParams {
    after: Option<String>,
}

async fn list(
    org: Option<Extension<OrgCtx>>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let Query(p) =
        params.map_err(|e| ApiError::validation("query", format!("query string: {e}")))?;
    let all = ctx.org.integrations();
    let start = p
        .after
        .as_deref()
        .and_then(|a| all.iter().position(|i| i.id == a))
        .map(|i| i + 1)
        .unwrap_or(0);
    let end = (start + integrations::DEFAULT_LIMIT).min(all.len());
    let views: Vec<_> = all[start..end]
        .iter()
        .map(|i| integrations::view(i, &ctx.base))
        .collect();
    let mut response = json(StatusCode::OK, &views);
    if end < all.len() {
        let link = format!(
            "<{}/integrations/api/v1/api-services?after={}>; rel=\"next\"",
            ctx.base,
            all[end - 1].id
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().append(header::LINK, v);
        }
    }
    Ok(response)
}

async fn one(
    org: Option<Extension<OrgCtx>>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let mut list = ctx.org.integrations();
    let i = integrations::find(&mut list, &id)?;
    Ok(json(StatusCode::OK, &integrations::view(i, &ctx.base)))
}

fn parse_new(body: &[u8]) -> Result<NewInstance, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::malformed_body(format!(
            "the body must be {{\"type\": \"…\", \"grantedScopes\": [\"okta.…\"]}}: {e}"
        ))
    })
}

async fn create(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let req = parse_new(&body)?;
    let org = ctx.org.clone();
    let (instance, secret) = shared
        .write_undoable(
            &org,
            || org.integrations(),
            |before| org.restore_integrations(before),
            || integrations::create(&mut org.lock_integrations(), req, &ctx.actor.id),
            |(i, s)| {
                let app = integrations::as_app(i);
                vec![
                    syslog::app_event(Action::Create, &app, ctx.actor.clone(), &i.created_at),
                    secret_event(Action::Create, i, s, &ctx.actor),
                ]
            },
        )
        .await?;
    let mut v = integrations::view(&instance, &ctx.base);
    // The secret in clear, this once (as Okta's create response).
    v["clientSecret"] = secret.client_secret.into();
    Ok(json(StatusCode::CREATED, &v))
}

async fn delete(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let org = ctx.org.clone();
    shared
        .write_undoable(
            &org,
            || org.integrations(),
            |before| org.restore_integrations(before),
            || {
                let mut list = org.lock_integrations();
                let pos = list
                    .iter()
                    .position(|i| i.id == id)
                    .ok_or_else(|| integrations::not_found(&id))?;
                Ok(list.remove(pos))
            },
            |i| {
                let app = integrations::as_app(i);
                vec![syslog::app_event(
                    Action::Delete,
                    &app,
                    ctx.actor.clone(),
                    &super::model::now(),
                )]
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_secrets(
    org: Option<Extension<OrgCtx>>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let mut list = ctx.org.integrations();
    let i = integrations::find(&mut list, &id)?;
    let href = integrations::secrets_href(&ctx.base, &id);
    let views: Vec<_> = i
        .secrets
        .iter()
        .map(|s| s.view_under(&href, false))
        .collect();
    Ok(json(StatusCode::OK, &views))
}

/// Applies `change` to one integration's secrets under the org's lock and logs `action`.
async fn secret_write(
    shared: Arc<Shared>,
    ctx: OrgCtx,
    id: String,
    action: Action,
    change: impl FnOnce(&mut Vec<Secret>) -> Result<Secret, ApiError>,
) -> Result<(Instance, Secret), ApiError> {
    let org = ctx.org.clone();
    shared
        .write_undoable(
            &org,
            || org.integrations(),
            |before| org.restore_integrations(before),
            || {
                let mut list = org.lock_integrations();
                let i = integrations::find(&mut list, &id)?;
                let s = change(&mut i.secrets)?;
                Ok((i.clone(), s))
            },
            |(i, s)| vec![secret_event(action, i, s, &ctx.actor)],
        )
        .await
}

async fn create_secret(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let base = ctx.base.clone();
    let href = integrations::secrets_href(&base, &id);
    let (_, s) = secret_write(shared, ctx, id, Action::Create, |secrets| {
        let now = super::model::now();
        let s = Secret::new(super::model::generate_secret(), super::model::ACTIVE, &now);
        state::add_secret(secrets, s)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &s.view_under(&href, true)))
}

async fn delete_secret(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, id, secret_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    secret_write(shared, ctx, id, Action::Delete, |secrets| {
        state::delete_secret_in(secrets, &secret_id)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_status(
    shared: Arc<Shared>,
    org: Option<Extension<OrgCtx>>,
    id: String,
    secret_id: String,
    active: bool,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let href = integrations::secrets_href(&ctx.base, &id);
    let action = if active {
        Action::Activate
    } else {
        Action::Deactivate
    };
    let (_, s) = secret_write(shared, ctx, id, action, |secrets| {
        state::set_secret_status(secrets, &secret_id, active)
    })
    .await?;
    Ok(json(StatusCode::OK, &s.view_under(&href, false)))
}

async fn activate_secret(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, id, secret_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    set_status(shared, org, id, secret_id, true).await
}

async fn deactivate_secret(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, id, secret_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    set_status(shared, org, id, secret_id, false).await
}
