//! HTTP handlers of `/api/v1/apps/{appId}/credentials/keys`: list, get, generate and clone an
//! app's signing key credentials. The rules live in [`super::keys`]; this module only reads
//! requests and writes answers.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::errors::ApiError;
use super::keys::{self, AppKey};
use super::model::App;
use super::server::{ctx, json, OrgCtx, Shared};
use super::syslog::{self, Action, Credential};

/// The System Log event of a key credential generated for, or cloned to, `app`.
fn key_event(action: Action, app: &App, k: &AppKey, actor: &syslog::Party) -> syslog::LogEvent {
    syslog::credential_event(
        action,
        app,
        Credential::Key {
            kid: &k.kid,
            expires_at: &k.expires_at,
        },
        actor.clone(),
        &super::model::now(),
    )
}

/// The routes, to merge into the sandbox's router.
pub fn routes() -> Router<Arc<Shared>> {
    let base = "/{org}/api/v1/apps/{app_id}/credentials/keys";
    Router::new()
        .route(base, get(list))
        .route(&format!("{base}/generate"), post(generate))
        .route(&format!("{base}/{{key_id}}"), get(one))
        .route(&format!("{base}/{{key_id}}/clone"), post(clone))
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError::validation("query", format!("query string: {e}"))
}

async fn list(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let views: Vec<_> = entry.keys().iter().map(keys::view).collect();
    Ok(json(StatusCode::OK, &views))
}

async fn one(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, key_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let key = ctx.org.app(&app_id)?.key(&key_id)?;
    Ok(json(StatusCode::OK, &keys::view(&key)))
}

#[derive(Deserialize)]
struct GenerateParams {
    #[serde(rename = "validityYears")]
    validity_years: Option<String>,
}

async fn generate(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
    params: Result<Query<GenerateParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let Query(p) = params.map_err(query_error)?;
    let years = keys::parse_validity(p.validity_years.as_deref())?;
    let key = shared
        .write(
            &ctx.org,
            &entry,
            || entry.generate_key(years),
            |k| key_event(Action::Generate, &entry.app, k, &ctx.actor),
        )
        .await?;
    Ok(json(StatusCode::CREATED, &keys::view(&key)))
}

#[derive(Deserialize)]
struct CloneParams {
    #[serde(rename = "targetAid")]
    target_aid: Option<String>,
}

async fn clone(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, key_id)): Path<(String, String, String)>,
    params: Result<Query<CloneParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let source = ctx.org.app(&app_id)?;
    let key = source.key(&key_id)?;
    let Query(p) = params.map_err(query_error)?;
    let target_id = p
        .target_aid
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            ApiError::validation(
                "cloneKey",
                "targetAid is required: the id of the app to clone the key credential to \
                 (…/keys/{kid}/clone?targetAid=0oa…).",
            )
        })?;
    let target = ctx.org.app(&target_id)?;
    let copy = shared
        .write(
            &ctx.org,
            &target,
            || target.clone_key_in(&key),
            |k| key_event(Action::Clone, &target.app, k, &ctx.actor),
        )
        .await?;
    Ok(json(StatusCode::CREATED, &keys::view(&copy)))
}
