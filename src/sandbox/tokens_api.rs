//! HTTP handlers of `/api/v1/apps/{appId}/tokens`: list (paged with a `next` Link), get,
//! revoke one and revoke all of an app's OAuth 2.0 refresh tokens. The rules live in
//! [`super::tokens`]; this module only reads requests and writes answers.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::errors::ApiError;
use super::model::App;
use super::server::{ctx, json, OrgCtx, Shared};
use super::syslog::{self, Action, Credential};
use super::tokens::{self, RefreshToken};

/// The System Log event of a refresh token revoked.
fn revoke_event(app: &App, t: &RefreshToken, actor: &syslog::Party) -> syslog::LogEvent {
    syslog::credential_event(
        Action::Revoke,
        app,
        Credential::Token {
            id: &t.id,
            user_id: &t.user_id,
        },
        actor.clone(),
        &super::model::now(),
    )
}

/// The routes, to merge into the sandbox's router.
pub fn routes() -> Router<Arc<Shared>> {
    let base = "/{org}/api/v1/apps/{app_id}/tokens";
    Router::new()
        .route(base, get(list).delete(revoke_all))
        .route(&format!("{base}/{{token_id}}"), get(one).delete(revoke))
}

#[derive(Deserialize)]
struct ListParams {
    expand: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError::validation("query", format!("query string: {e}"))
}

async fn list(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let Query(p) = params.map_err(query_error)?;
    let limit = tokens::parse_limit(p.limit.as_deref())?;
    let expand = tokens::parse_expand(p.expand.as_deref())?;
    let all = entry.tokens();
    let (page, next) = tokens::page(&all, p.after.as_deref(), limit);
    let views: Vec<_> = page
        .iter()
        .map(|t| tokens::view(t, &entry.app, &ctx.base, expand))
        .collect();
    let mut response = json(StatusCode::OK, &views);
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let mut q = format!("limit={limit}");
    if expand {
        q.push_str("&expand=scope");
    }
    let base = format!("{}/api/v1/apps/{}/tokens", ctx.base, enc(&app_id));
    let links = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("<{base}?{q}>; rel=\"self\"")) {
        links.append(header::LINK, v);
    }
    if let Some(n) = next {
        let link = format!("<{base}?{q}&after={}>; rel=\"next\"", enc(n));
        if let Ok(v) = HeaderValue::from_str(&link) {
            links.append(header::LINK, v);
        }
    }
    Ok(response)
}

#[derive(Deserialize)]
struct OneParams {
    expand: Option<String>,
}

async fn one(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, token_id)): Path<(String, String, String)>,
    params: Result<Query<OneParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let Query(p) = params.map_err(query_error)?;
    let expand = tokens::parse_expand(p.expand.as_deref())?;
    let t = entry.token(&token_id)?;
    Ok(json(
        StatusCode::OK,
        &tokens::view(&t, &entry.app, &ctx.base, expand),
    ))
}

async fn revoke(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, token_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    shared
        .write(
            &ctx.org,
            &entry,
            || entry.revoke_token(&token_id),
            |t| revoke_event(&entry.app, t, &ctx.actor),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn revoke_all(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    shared
        .write_events(
            &ctx.org,
            &entry,
            || entry.revoke_all_tokens(),
            |all| {
                all.iter()
                    .map(|t| revoke_event(&entry.app, t, &ctx.actor))
                    .collect()
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
