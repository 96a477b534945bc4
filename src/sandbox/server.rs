//! The HTTP layer: routes, the per-request envelope (latency, rate limit, auth, Okta's headers)
//! and the handlers that turn requests into calls on [`Store`].
//!
//! Handlers never hold a lock across an await; writes are made durable (when a state file is
//! set) before the response is sent.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::lifecycle;
use super::limits::{Bucket, Limits, RateHeaders, Verdict};
use super::model::{App, ACTIVE, INACTIVE};
use super::persist;
use super::state::{NewSecret, Org, Store};
use super::syslog::{self, Action};

/// Default page size of `GET /api/v1/apps`.
const DEFAULT_APPS_LIMIT: usize = 20;
/// Largest page size of `GET /api/v1/apps`.
const MAX_APPS_LIMIT: usize = 200;

static X_RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-rate-limit-limit");
static X_RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
static X_RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");
static X_OKTA_REQUEST_ID: HeaderName = HeaderName::from_static("x-okta-request-id");

/// What every request shares.
pub struct Shared {
    /// The data.
    pub store: Store,
    /// The accepted API token.
    pub token: String,
    /// Per-minute limits per bucket and the concurrency limit, per org.
    pub limits: Limits,
    /// A fixed delay added to every request.
    pub latency: Option<Duration>,
    /// Where writes are persisted, if anywhere.
    pub persister: Option<Persister>,
    /// The org authorization server (service app, access tokens).
    pub oauth: Arc<super::oauth::AuthServer>,
    /// Counts requests for `X-Okta-Request-Id` and windows of requests outside any org.
    requests: AtomicU64,
    request_prefix: String,
    no_org: Arc<Org>,
    /// The wall clock when the sandbox started, and the same moment on tokio's clock.
    started: (u64, tokio::time::Instant),
}

/// The state file and the version of the state last written to it.
pub struct Persister {
    path: PathBuf,
    written: tokio::sync::Mutex<u64>,
    /// The state file's lock, held while the sandbox runs.
    _lock: std::fs::File,
}

impl Persister {
    /// A persister writing to `path`, which already holds the state at `version`, holding
    /// the file's `lock`.
    pub fn new(path: PathBuf, version: u64, lock: std::fs::File) -> Persister {
        Persister {
            path,
            written: tokio::sync::Mutex::new(version),
            _lock: lock,
        }
    }
}

impl Shared {
    /// Wraps the store and settings.
    pub fn new(
        store: Store,
        token: String,
        limits: Limits,
        latency: Option<Duration>,
        persister: Option<Persister>,
        oauth: Arc<super::oauth::AuthServer>,
    ) -> Shared {
        Shared {
            store,
            token,
            limits,
            latency,
            persister,
            oauth,
            requests: AtomicU64::new(0),
            request_prefix: super::model::new_id("")[..16].to_string(),
            no_org: Arc::new(Org::detached("")),
            started: (wall_epoch(), tokio::time::Instant::now()),
        }
    }

    /// Now in epoch seconds: the start's wall clock advanced by tokio's clock, so that a
    /// test on a paused clock decides when a rate-limit window ends.
    fn epoch_now(&self) -> u64 {
        let (epoch, instant) = self.started;
        epoch.saturating_add(instant.elapsed().as_secs())
    }

    fn request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        format!("{}{:011}", self.request_prefix, n)
    }

    /// Applies one write to an app's credentials, records its System Log event, and, with a
    /// state file, makes both durable before they count (see [`Shared::write_events`]).
    pub(super) async fn write<T>(
        self: &Arc<Self>,
        org: &Org,
        entry: &super::state::AppEntry,
        apply: impl FnOnce() -> Result<T, ApiError>,
        event: impl FnOnce(&T) -> super::syslog::LogEvent,
    ) -> Result<T, ApiError> {
        self.write_events(org, entry, apply, |done| vec![event(done)])
            .await
    }

    /// Applies one write to an app's credentials, records its System Log events, and, with a
    /// state file, makes both durable before they count: writes take turns, and when the save
    /// fails the app's credentials and the log are put back as they were, so a failed save
    /// changes nothing (the answer is a 500).
    pub(super) async fn write_events<T>(
        self: &Arc<Self>,
        org: &Org,
        entry: &super::state::AppEntry,
        apply: impl FnOnce() -> Result<T, ApiError>,
        events: impl FnOnce(&T) -> Vec<super::syslog::LogEvent>,
    ) -> Result<T, ApiError> {
        self.write_undoable(
            org,
            || entry.snapshot(),
            |before| entry.restore(before),
            apply,
            events,
        )
        .await
    }

    /// The one write path: `apply` a change, record its `events`, and with a state file save
    /// both before they count; when the save fails, `restore` what `snapshot` copied and drop
    /// the events, so a failed save changes nothing (the answer is a 500).
    pub(super) async fn write_undoable<T, S>(
        self: &Arc<Self>,
        org: &Org,
        snapshot: impl FnOnce() -> S,
        restore: impl FnOnce(S),
        apply: impl FnOnce() -> Result<T, ApiError>,
        events: impl FnOnce(&T) -> Vec<super::syslog::LogEvent>,
    ) -> Result<T, ApiError> {
        let Some(p) = &self.persister else {
            let done = apply()?;
            for e in events(&done) {
                org.record(e);
            }
            self.store.bump();
            return Ok(done);
        };
        let mut written = p.written.lock().await;
        let before = snapshot();
        let done = apply()?;
        let recorded = events(&done);
        let uuids: Vec<String> = recorded.iter().map(|e| e.uuid.clone()).collect();
        for e in recorded {
            org.record(e);
        }
        let version = self.store.bump();
        let shared = self.clone();
        let path = p.path.clone();
        let saved =
            tokio::task::spawn_blocking(move || persist::save(&path, shared.store.to_data()))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
        match saved {
            Ok(()) => {
                *written = version;
                Ok(done)
            }
            Err(e) => {
                restore(before);
                org.unrecord(&uuids);
                Err(ApiError::internal(format!(
                    "the sandbox could not save its state, so nothing was changed: {e}"
                )))
            }
        }
    }
}

/// The org a request addresses and the absolute base of its URLs (`http://host/{org}`).
#[derive(Clone)]
pub(super) struct OrgCtx {
    pub(super) org: Arc<Org>,
    pub(super) base: Arc<str>,
    /// The principal of the request's credential: the actor of the events it causes.
    pub(super) actor: syslog::Party,
}

/// Largest request body the sandbox reads (axum's default limit, stated here so the 413
/// can say it).
pub(super) const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Builds the sandbox's router.
pub fn router(shared: Arc<Shared>) -> Router {
    let secrets = "/{org}/api/v1/apps/{app_id}/credentials/secrets";
    Router::new()
        .route("/{org}/oauth2/v1/token", post(super::oauth::token_endpoint))
        .route("/{org}/api/v1/apps", get(list_apps))
        .route("/{org}/api/v1/apps/{app_id}", get(get_app))
        .route(
            "/{org}/api/v1/apps/{app_id}/lifecycle/activate",
            post(activate_app),
        )
        .route(
            "/{org}/api/v1/apps/{app_id}/lifecycle/deactivate",
            post(deactivate_app),
        )
        .route(secrets, get(list_secrets).post(create_secret))
        .route(
            &format!("{secrets}/{{secret_id}}"),
            get(get_secret).delete(delete_secret),
        )
        .merge(super::lifecycle::status_routes(
            &format!("{secrets}/{{secret_id}}"),
            set_status,
        ))
        .merge(super::jwks_api::routes())
        .merge(super::keys_api::routes())
        .merge(super::tokens_api::routes())
        .merge(super::integrations_api::routes())
        .merge(super::syslog_api::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), envelope))
        .with_state(shared)
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) of epoch seconds.
fn http_date(epoch: u64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(epoch).ok()?).ok()?;
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&fmt).ok()
}

fn wall_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether the `Authorization` header carries the token: `SSWS <t>`, `SSWS<t>` or `Bearer <t>`.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let value = value.trim();
    let given = if value.len() >= 4 && value[..4].eq_ignore_ascii_case("SSWS") {
        value[4..].trim_start()
    } else if value.len() >= 7 && value[..7].eq_ignore_ascii_case("Bearer ") {
        value[7..].trim_start()
    } else {
        return false;
    };
    !given.is_empty() && given == token
}

/// The org segment of `/{org}/api/...`, if the path has that shape.
fn org_segment(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let (org, tail) = rest.split_once('/')?;
    // API service integrations live under /integrations/api/…, the rest under /api/….
    let tail = tail.strip_prefix("integrations/").unwrap_or(tail);
    (!org.is_empty() && (tail == "api" || tail.starts_with("api/"))).then_some(org)
}

/// The envelope of every request: the org's concurrency limit, latency, the bucket's rate
/// limit, auth, and Okta's response headers.
async fn envelope(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let request_id = shared.request_id();
    let org = org_segment(req.uri().path()).and_then(|name| shared.store.org(name));
    let counters = org.clone().unwrap_or_else(|| shared.no_org.clone());
    let bucket = Bucket::of_path(req.uri().path());
    // In flight from arrival to answer, the latency included, as Okta counts it.
    let admitted = counters.limits().enter(&shared.limits, shared.epoch_now());
    if let Some(delay) = shared.latency {
        tokio::time::sleep(delay).await;
    }
    let _in_flight = match admitted {
        Ok(guard) => guard,
        Err((headers, event)) => {
            if let (Some(org), Some(event)) = (&org, event) {
                org.record(*event);
            }
            let response = ApiError::rate_limited().into_response();
            return finish(response, headers, &request_id, shared.epoch_now());
        }
    };
    let (verdict, events) = counters
        .limits()
        .hit(&shared.limits, bucket, shared.epoch_now());
    if let Some(org) = &org {
        events.into_iter().for_each(|e| org.record(e));
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    // The token endpoint authenticates the client itself; everything else needs the API
    // token or an access token with the method's scope.
    let token_endpoint = req.uri().path().ends_with("/oauth2/v1/token");
    let api_token = authorized(req.headers(), &shared.token);
    let denied = if token_endpoint || api_token {
        None
    } else {
        let url = format!("http://{host}{}", req.uri());
        shared
            .oauth
            .authorize(req.method().as_str(), &url, req.headers())
    };
    let (response, headers) = match (denied, verdict) {
        (Some(denied), Verdict::Serve(h) | Verdict::Refuse(h)) => (denied, h),
        (None, Verdict::Refuse(h)) => (ApiError::rate_limited().into_response(), h),
        (None, Verdict::Serve(h)) => {
            if let Some(org) = org {
                let base: Arc<str> = format!("http://{host}/{}", org.name).into();
                // The API token is the admin's; an access token is the service app's.
                let actor = if api_token {
                    syslog::admin()
                } else {
                    let id = shared.oauth.client_id();
                    let label = org.app(id).map(|e| e.app.label.clone()).ok();
                    syslog::client_app(id, label.as_deref())
                };
                req.extensions_mut().insert(OrgCtx { org, base, actor });
            }
            (next.run(req).await, h)
        }
    };
    finish(response, headers, &request_id, shared.epoch_now())
}

/// Adds the rate-limit headers, the request id and the `Date` to an answer. The `Date` is
/// the sandbox's clock, the one its windows reset by, so a client measuring the reset
/// against it is right on tokio's paused clock too.
fn finish(mut response: Response, rate: RateHeaders, request_id: &str, now: u64) -> Response {
    let headers = response.headers_mut();
    if let Some(date) = http_date(now).and_then(|d| HeaderValue::from_str(&d).ok()) {
        headers.insert(header::DATE, date);
    }
    headers.insert(X_RATE_LIMIT_LIMIT.clone(), HeaderValue::from(rate.limit));
    headers.insert(
        X_RATE_LIMIT_REMAINING.clone(),
        HeaderValue::from(rate.remaining),
    );
    headers.insert(X_RATE_LIMIT_RESET.clone(), HeaderValue::from(rate.reset));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(X_OKTA_REQUEST_ID.clone(), id);
    }
    response
}

async fn not_found(req: Request) -> ApiError {
    let path = req.uri().path();
    let mut err = ApiError::not_found(&format!("{path} (path)"));
    if org_segment(path).is_none() {
        err.causes.push(format!(
            "Sandbox paths start with the org: /{{org}}/api/v1/…, e.g. /{}/api/v1/apps",
            super::DEMO_ORG
        ));
    }
    err
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// A JSON response.
pub(super) fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("encoding the response failed: {e}")).into_response(),
    }
}

/// The org of a routed request (the envelope put it there; a missing one is an unknown org).
pub(super) fn ctx(ctx: Option<Extension<OrgCtx>>) -> Result<OrgCtx, ApiError> {
    ctx.map(|Extension(c)| c)
        .ok_or_else(|| ApiError::not_found("org (Organization)"))
}

#[derive(Deserialize)]
struct ListAppsParams {
    q: Option<String>,
    after: Option<String>,
    limit: Option<String>,
    filter: Option<String>,
}

/// A parsed `filter`: conjunctions of `status eq "…"` and `name eq "…"`.
#[derive(Default)]
struct AppFilter {
    status: Option<String>,
    name: Option<String>,
}

fn parse_filter(filter: &str) -> Result<AppFilter, ApiError> {
    let mut out = AppFilter::default();
    let lower = filter.to_ascii_lowercase();
    let mut start = 0;
    let mut parts = Vec::new();
    while let Some(pos) = lower[start..].find(" and ") {
        parts.push(&filter[start..start + pos]);
        start += pos + 5;
    }
    parts.push(&filter[start..]);
    for part in parts {
        let bad = || {
            ApiError::invalid_search(format!(
                "filter: cannot read {part:?}; the sandbox supports status eq \"ACTIVE\"|\"INACTIVE\" \
                 and name eq \"…\", joined with and"
            ))
        };
        let mut words = part.trim().splitn(3, ' ');
        let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next())
        else {
            return Err(bad());
        };
        let value = value.trim();
        if !op.eq_ignore_ascii_case("eq")
            || value.len() < 2
            || !value.starts_with('"')
            || !value.ends_with('"')
        {
            return Err(bad());
        }
        let value = value[1..value.len() - 1].to_string();
        match field {
            "status" if value == ACTIVE || value == INACTIVE => out.status = Some(value),
            "name" => out.name = Some(value),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

fn enc(s: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(s, NON_ALPHANUMERIC)
}

async fn list_apps(
    org: Option<Extension<OrgCtx>>,
    params: Result<Query<ListAppsParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let Query(p) =
        params.map_err(|e| ApiError::validation("query", format!("query string: {e}")))?;
    let limit = match p.limit.as_deref() {
        None | Some("") | Some("-1") => DEFAULT_APPS_LIMIT,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n >= 1 => usize::try_from(n).map_or(MAX_APPS_LIMIT, |n| n.min(MAX_APPS_LIMIT)),
            _ => {
                return Err(ApiError::validation(
                    "limit",
                    format!("limit: {l:?} is not a page size; use 1 to {MAX_APPS_LIMIT}"),
                ))
            }
        },
    };
    let filter = match p.filter.as_deref() {
        Some(f) if !f.trim().is_empty() => parse_filter(f)?,
        _ => AppFilter::default(),
    };
    let q = p.q.as_deref().unwrap_or("").to_lowercase();
    let keep = |app: &App| {
        filter.status.as_deref().is_none_or(|s| app.status == s)
            && filter.name.as_deref().is_none_or(|n| app.name == n)
            && (q.is_empty()
                || app.name.to_lowercase().starts_with(&q)
                || app.label.to_lowercase().starts_with(&q))
    };
    let (page, more) = ctx.org.list_apps(p.after.as_deref(), limit, keep);
    let body: Vec<serde_json::Value> = page
        .iter()
        .map(|e| e.current().to_json(&ctx.base))
        .collect();
    let mut response = json(StatusCode::OK, &body);
    let mut query = String::new();
    if let Some(q) = p.q.as_deref() {
        query.push_str(&format!("&q={}", enc(q)));
    }
    if let Some(f) = p.filter.as_deref() {
        query.push_str(&format!("&filter={}", enc(f)));
    }
    let base = format!("{}/api/v1/apps", ctx.base);
    let this_after = p
        .after
        .as_deref()
        .map(|a| format!("&after={}", enc(a)))
        .unwrap_or_default();
    let links = response.headers_mut();
    let self_link = format!("<{base}?limit={limit}{this_after}{query}>; rel=\"self\"");
    if let Ok(v) = HeaderValue::from_str(&self_link) {
        links.append(header::LINK, v);
    }
    if more {
        if let Some(last) = page.last() {
            let next = format!(
                "<{base}?after={}&limit={limit}{query}>; rel=\"next\"",
                enc(&last.app.id)
            );
            if let Ok(v) = HeaderValue::from_str(&next) {
                links.append(header::LINK, v);
            }
        }
    }
    Ok(response)
}

async fn get_app(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    Ok(json(StatusCode::OK, &entry.current().to_json(&ctx.base)))
}

/// Activates or deactivates an app and logs `application.lifecycle.(de)activate`; Okta
/// answers both with an empty JSON object.
async fn set_app_status(
    shared: Arc<Shared>,
    org: Option<Extension<OrgCtx>>,
    app_id: String,
    active: bool,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let action = lifecycle::status_action(active);
    shared
        .write(
            &ctx.org,
            &entry,
            || Ok(entry.set_app_status(active)),
            |app| syslog::app_event(action, app, ctx.actor.clone(), &super::model::now()),
        )
        .await?;
    Ok(json(StatusCode::OK, &serde_json::json!({})))
}

async fn activate_app(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    set_app_status(shared, org, app_id, true).await
}

async fn deactivate_app(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    set_app_status(shared, org, app_id, false).await
}

async fn list_secrets(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let secrets = entry.secrets();
    let views: Vec<_> = secrets.iter().map(|s| s.view(&ctx.base, &app_id)).collect();
    Ok(json(StatusCode::OK, &views))
}

async fn create_secret(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id)): Path<(String, String)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let req = parse_new_secret(&lifecycle::body(body)?)?;
    let secret = lifecycle::change(&shared, &ctx, &entry, Action::Create, || {
        entry.create_secret(req)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &secret.view(&ctx.base, &app_id)))
}

/// Reads a create-secret body: empty or `{}` means "generate one".
fn parse_new_secret(body: &[u8]) -> Result<NewSecret, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(NewSecret::default());
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::malformed_body(format!("the body is not valid JSON: {e}")))?;
    if value.is_null() {
        return Ok(NewSecret::default());
    }
    if !value.is_object() {
        return Err(ApiError::malformed_body(
            "the body must be a JSON object such as {\"client_secret\": \"…\", \"status\": \"ACTIVE\"}",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        ApiError::malformed_body(format!(
            "client_secret and status must be strings (or absent): {e}"
        ))
    })
}

async fn get_secret(
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, secret_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let secret = ctx.org.app(&app_id)?.secret(&secret_id)?;
    Ok(json(StatusCode::OK, &secret.view(&ctx.base, &app_id)))
}

async fn delete_secret(
    State(shared): State<Arc<Shared>>,
    org: Option<Extension<OrgCtx>>,
    Path((_, app_id, secret_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    lifecycle::remove(&shared, org, &app_id, Action::Delete, |e| {
        e.delete_secret(&secret_id)
    })
    .await
}

async fn set_status(
    shared: Arc<Shared>,
    org: Option<Extension<OrgCtx>>,
    app_id: String,
    secret_id: String,
    active: bool,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let entry = ctx.org.app(&app_id)?;
    let action = lifecycle::status_action(active);
    let secret = lifecycle::change(&shared, &ctx, &entry, action, || {
        entry.set_status(&secret_id, active)
    })
    .await?;
    Ok(json(StatusCode::OK, &secret.view(&ctx.base, &app_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_schemes() {
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, "t0k"));
        for (v, ok) in [
            ("SSWS t0k", true),
            ("SSWSt0k", true),
            ("Bearer t0k", true),
            ("SSWS wrong", false),
            ("Basic t0k", false),
            ("SSWS ", false),
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            assert_eq!(authorized(&h, "t0k"), ok, "{v}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(784111777).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
    }

    #[test]
    fn org_segments() {
        assert_eq!(org_segment("/acme/api/v1/apps"), Some("acme"));
        assert_eq!(org_segment("/api/v1/apps"), None);
        assert_eq!(org_segment("/favicon.ico"), None);
    }

    #[test]
    fn filters() {
        let f = parse_filter("status eq \"ACTIVE\" and name eq \"oidc_client\"").unwrap();
        assert_eq!(f.status.as_deref(), Some("ACTIVE"));
        assert_eq!(f.name.as_deref(), Some("oidc_client"));
        assert!(parse_filter("status eq \"BROKEN\"").is_err());
        assert!(parse_filter("label sw \"x\"").is_err());
    }

    #[test]
    fn create_bodies() {
        assert!(parse_new_secret(b"").unwrap().client_secret.is_none());
        assert!(parse_new_secret(b"{}").unwrap().status.is_none());
        assert_eq!(parse_new_secret(b"{").unwrap_err().code, "E0000003");
        assert_eq!(parse_new_secret(b"[1]").unwrap_err().code, "E0000003");
        assert_eq!(
            parse_new_secret(br#"{"client_secret": 5}"#)
                .unwrap_err()
                .code,
            "E0000003"
        );
    }
}
