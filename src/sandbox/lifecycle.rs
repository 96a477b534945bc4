//! The shapes every credential-lifecycle handler shares: find the addressed app, apply one
//! change through [`Shared::write`], log the change's System Log event, and answer JSON, 204 or
//! an Okta error. A change to how credential writes are logged or answered is made here once.
//!
//! Owns: the credential a logged item names ([`Logged`]), the write-and-log helpers, the
//! activate/deactivate route pair, and body/query rejection errors. Must not: hold rules of a
//! credential kind (they live in `state`, `jwks`, `keys`, `tokens`, `integrations`).

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};

use super::errors::ApiError;
use super::jwks::Jwk;
use super::keys::AppKey;
use super::model::{App, Secret};
use super::server::{ctx, OrgCtx, Shared, MAX_BODY_BYTES};
use super::state::AppEntry;
use super::syslog::{self, Action, Credential, LogEvent, Party};
use super::tokens::RefreshToken;

/// A credential whose changes are logged: what its System Log event names as the target.
pub(super) trait Logged {
    /// The credential as the event's target.
    fn credential(&self) -> Credential<'_>;
}

impl Logged for Secret {
    fn credential(&self) -> Credential<'_> {
        Credential::Secret {
            id: &self.id,
            hash: &self.secret_hash,
        }
    }
}

impl Logged for Jwk {
    fn credential(&self) -> Credential<'_> {
        Credential::Jwk {
            id: &self.id,
            kid: self.kid.as_deref(),
        }
    }
}

impl Logged for AppKey {
    fn credential(&self) -> Credential<'_> {
        Credential::Key {
            kid: &self.kid,
            expires_at: &self.expires_at,
        }
    }
}

impl Logged for RefreshToken {
    fn credential(&self) -> Credential<'_> {
        Credential::Token {
            id: &self.id,
            user_id: &self.user_id,
        }
    }
}

/// The System Log event of `action` on credential `c` of `app`, by `actor`, now.
pub(super) fn event(action: Action, app: &App, c: &impl Logged, actor: &Party) -> LogEvent {
    syslog::credential_event(
        action,
        app,
        c.credential(),
        actor.clone(),
        &super::model::now(),
    )
}

/// `Activate` or `Deactivate`.
pub(super) fn status_action(active: bool) -> Action {
    if active {
        Action::Activate
    } else {
        Action::Deactivate
    }
}

/// Applies `apply` to `entry`'s credentials and logs `action` on the credential it returns.
pub(super) async fn change<T: Logged>(
    shared: &Arc<Shared>,
    ctx: &OrgCtx,
    entry: &AppEntry,
    action: Action,
    apply: impl FnOnce() -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    shared
        .write(&ctx.org, entry, apply, |c| {
            event(action, &entry.app, c, &ctx.actor)
        })
        .await
}

/// Applies `apply` to `entry`'s credentials and logs `action` on each credential it returns.
pub(super) async fn change_all<T: Logged>(
    shared: &Arc<Shared>,
    ctx: &OrgCtx,
    entry: &AppEntry,
    action: Action,
    apply: impl FnOnce() -> Result<Vec<T>, ApiError>,
) -> Result<Vec<T>, ApiError> {
    shared
        .write_events(&ctx.org, entry, apply, |all| {
            all.iter()
                .map(|c| event(action, &entry.app, c, &ctx.actor))
                .collect()
        })
        .await
}

/// Looks up the request's org and app `app_id`, then [`change`]s it; the answer of a delete or
/// revoke (204, no body).
pub(super) async fn remove<T: Logged>(
    shared: &Arc<Shared>,
    org: Option<Extension<OrgCtx>>,
    app_id: &str,
    action: Action,
    apply: impl FnOnce(&AppEntry) -> Result<T, ApiError>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(app_id)?;
    change(shared, &ctx, &entry, action, || apply(&entry)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A request body, or the Okta error of one that could not be read (413 when too large).
pub(super) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(MAX_BODY_BYTES)
        } else {
            ApiError::malformed_body(e.body_text())
        }
    })
}

/// The Okta error of a query string that could not be read.
pub(super) fn query_error(e: QueryRejection) -> ApiError {
    ApiError::validation("query", format!("query string: {e}"))
}

/// The `{item}/lifecycle/activate` and `…/deactivate` routes of a path `item` ending in two
/// parameters after the org (a parent id and the credential's id), both served by `set`
/// with `true` (activate) or `false` (deactivate).
pub(super) fn status_routes<F, Fut>(item: &str, set: F) -> Router<Arc<Shared>>
where
    F: Fn(Arc<Shared>, Option<Extension<OrgCtx>>, String, String, bool) -> Fut
        + Clone
        + Send
        + Sync
        + 'static,
    Fut: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    let to = |active: bool| {
        let set = set.clone();
        post(
            move |State(shared): State<Arc<Shared>>,
                  org: Option<Extension<OrgCtx>>,
                  Path((_, parent, id)): Path<(String, String, String)>| {
                set(shared, org, parent, id, active)
            },
        )
    };
    Router::new()
        .route(&format!("{item}/lifecycle/activate"), to(true))
        .route(&format!("{item}/lifecycle/deactivate"), to(false))
}
