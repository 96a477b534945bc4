//! HTTP handler of `GET /api/v1/logs`, the System Log: reads the query parameters, pages
//! with a `next` Link, and renders Okta's LogEvent objects. Query rules live in
//! [`super::syslog`].

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::errors::ApiError;
use super::server::{ctx, json, OrgCtx, Shared};
use super::syslog;

/// The route, to merge into the sandbox's router.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/{org}/api/v1/logs", get(list))
}

#[derive(Deserialize)]
struct Params {
    since: Option<String>,
    until: Option<String>,
    filter: Option<String>,
    q: Option<String>,
    #[serde(rename = "sortOrder")]
    sort_order: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

async fn list(
    org: Option<Extension<OrgCtx>>,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let ctx = ctx(org)?;
    let Query(p) =
        params.map_err(|e| ApiError::validation("query", format!("query string: {e}")))?;
    let query = syslog::Query::parse(
        p.since.as_deref(),
        p.until.as_deref(),
        p.filter.as_deref(),
        p.q.as_deref(),
        p.sort_order.as_deref(),
        p.limit.as_deref(),
        time::OffsetDateTime::now_utc(),
    )?;
    let after = match p.after.as_deref() {
        None | Some("") => 0,
        Some(a) => a.parse::<usize>().map_err(|_| {
            ApiError::validation(
                "after",
                format!("after: {a:?} is not a cursor; take it from the next link"),
            )
        })?,
    };
    let (page, next) = ctx.org.with_log(|events| query.page(events, after));
    let body: Vec<serde_json::Value> = page.iter().map(|e| e.to_json()).collect();
    let mut response = json(StatusCode::OK, &body);
    // The next link repeats the query as given, with the bounds made explicit.
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let mut q = format!("since={}&limit={}", enc(&query.since), query.limit);
    if let Some(u) = &query.until {
        q.push_str(&format!("&until={}", enc(u)));
    }
    for (name, v) in [
        ("filter", &p.filter),
        ("q", &p.q),
        ("sortOrder", &p.sort_order),
    ] {
        if let Some(v) = v {
            q.push_str(&format!("&{name}={}", enc(v)));
        }
    }
    let base = format!("{}/api/v1/logs", ctx.base);
    let links = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("<{base}?{q}>; rel=\"self\"")) {
        links.append(header::LINK, v);
    }
    if let Some(n) = next {
        if let Ok(v) = HeaderValue::from_str(&format!("<{base}?{q}&after={n}>; rel=\"next\"")) {
            links.append(header::LINK, v);
        }
    }
    Ok(response)
}
