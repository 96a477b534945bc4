//! The HTTP client: one reused `reqwest::Client` (rustls, connection pooling), the retry
//! loop, pagination and fan-out. URL rules live in [`super::urls`], retry timing in
//! [`super::retry`], credentials and the `Authorization` header in [`super::auth`].
//!
//! Must not: parse SQL, choose methods, or print anything except through [`Diagnostics`].

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use reqwest::{redirect, Url};
use serde_json::{Map, Value};

use super::body::{add_bound, rows_from_body};
use super::budget::{self, Budget, Slot};
use super::diagnostics::{Diagnostics, StderrDiagnostics};
use super::memo::{self, CacheScope, Memo};
use super::okta_error::{error_from_answer, human_duration, is_safe};
use super::paginate::{next_link, same_origin, Visited, DEFAULT_MAX_PAGES};
use super::progress::{NoProgress, Progress, REPORTED_WAIT};
use super::retry::{self, MAX_RATE_LIMIT_RETRIES, MAX_TRANSIENT_RETRIES};
use super::urls::{append_query, checked_url, host_port};
use super::{auth, trace, ExecError};
use crate::plan::HttpRequest;
use crate::secrets::SecretValues;

/// How the client talks to Okta.
#[derive(Clone)]
pub struct ClientConfig {
    /// API token; the header value is `auth_prefix + token`. `None` sends no `Authorization`.
    pub token: Option<String>,
    /// Every org's credential. `None`: the `token` alone, bound by the loose-token rules
    /// (one Okta-domain org per run).
    pub credentials: Option<Arc<crate::auth::Credentials>>,
    /// Prefix of the `Authorization` value (`SSWS `, from the provider config).
    pub auth_prefix: String,
    /// Timeout of each request (sending it and reading the whole answer); default 30 s.
    pub timeout: Duration,
    /// Most pages to follow per request (a warning says when more remain); `None` means
    /// [`DEFAULT_MAX_PAGES`].
    pub max_pages: Option<usize>,
    /// Most requests in flight at once in [`Client::send_all`]; default 8.
    pub concurrency: usize,
    /// Share (0–1] of each rate-limit bucket and of the org's concurrency limit this client
    /// uses at most; default [`budget::DEFAULT_RATE_SHARE`] (half).
    pub rate_share: f64,
    /// Orgs that use another share than `rate_share`, by base URL (the config file's
    /// per-org `rate_share`); default none.
    pub org_rate_shares: Vec<(String, f64)>,
    /// The org's concurrency limit (requests in flight across the whole org) until a
    /// concurrency 429 says otherwise; default [`budget::DEFAULT_ORG_CONCURRENCY`] (75).
    pub org_concurrency: usize,
    /// Longest wait for a rate-limit reset before giving up; default 60 s.
    pub max_rate_limit_wait: Duration,
    /// `User-Agent` header (`oktaql/<version>`).
    pub user_agent: String,
    /// Trace each request and answer through the diagnostics sink, secrets masked.
    pub debug: bool,
    /// Largest answer body read, in bytes; default [`super::DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// Secret values seen in this run: the token, secrets sent and secrets received are
    /// registered here, and traces are masked with it.
    pub secrets: Arc<SecretValues>,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            token: None,
            credentials: None,
            auth_prefix: "SSWS ".to_string(),
            timeout: Duration::from_secs(30),
            max_pages: None,
            concurrency: 8,
            rate_share: budget::DEFAULT_RATE_SHARE,
            org_rate_shares: Vec::new(),
            org_concurrency: budget::DEFAULT_ORG_CONCURRENCY,
            max_rate_limit_wait: Duration::from_secs(60),
            user_agent: format!("oktaql/{}", env!("CARGO_PKG_VERSION")),
            debug: false,
            max_body_bytes: super::DEFAULT_MAX_BODY_BYTES,
            secrets: SecretValues::new(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("auth_prefix", &self.auth_prefix)
            .field("timeout", &self.timeout)
            .field("max_pages", &self.max_pages)
            .field("concurrency", &self.concurrency)
            .field("rate_share", &self.rate_share)
            .field("org_rate_shares", &self.org_rate_shares)
            .field("org_concurrency", &self.org_concurrency)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("user_agent", &self.user_agent)
            .field("debug", &self.debug)
            .finish()
    }
}

/// Sends planned requests to Okta. Cheap to clone: clones share one connection pool, one
/// rate-limit budget and one diagnostics sink.
#[derive(Clone)]
pub struct Client {
    /// Built on first use: `[plain, tls]`, the first for `http://` (loopback) URLs, the
    /// second for `https://`. Setting up TLS reads the system's root certificates, which
    /// costs milliseconds that statements answered without HTTPS should not pay.
    http: Arc<[OnceLock<reqwest::Client>; 2]>,
    config: Arc<ClientConfig>,
    auth: Arc<auth::Authenticator>,
    diagnostics: Arc<dyn Diagnostics>,
    budget: Arc<Budget>,
    /// A pace notice was shown without `-v` (once a run; `-v` shows every one).
    paced: Arc<AtomicBool>,
    /// Answers of identical GETs, shared.
    memo: Arc<Memo>,
    progress: Arc<dyn Progress>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A complete answer: status, headers, whole body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The body was longer than `max_body_bytes` (and `body` is empty).
    too_large: bool,
}

impl Client {
    /// Builds the client. Fails when the token cannot be sent in a header; TLS is set up on
    /// the first request (and a failure to set it up is that request's error). Notices go to stderr until [`Client::with_diagnostics`] says otherwise.
    pub fn new(config: ClientConfig) -> Result<Client, ExecError> {
        if let Some(token) = &config.token {
            config.secrets.register(token);
            auth::header_value(&config.auth_prefix, token)?;
        }
        let credentials = match (&config.credentials, &config.token) {
            (Some(c), _) => c.clone(),
            (None, Some(t)) => Arc::new(crate::auth::Credentials::default().with_loose_token(
                t,
                "OKTA_API_TOKEN",
                None,
            )),
            (None, None) => Arc::new(crate::auth::Credentials::default()),
        };
        let auth = Arc::new(auth::Authenticator::new(
            credentials,
            &config.auth_prefix,
            config.secrets.clone(),
        ));
        Ok(Client {
            http: Arc::new([OnceLock::new(), OnceLock::new()]),
            auth,
            diagnostics: Arc::new(StderrDiagnostics),
            budget: Arc::new(
                Budget::new(config.rate_share, config.org_concurrency)
                    .with_org_shares(&config.org_rate_shares),
            ),
            paced: Arc::new(AtomicBool::new(false)),
            memo: Arc::new(Memo::default()),
            progress: Arc::new(NoProgress),
            config: Arc::new(config),
        })
    }

    /// The HTTP client for a URL's scheme, built on first use and shared by every clone.
    fn http(&self, url: &Url) -> Result<&reqwest::Client, ExecError> {
        let tls = url.scheme() == "https";
        let cell = &self.http[usize::from(tls)];
        if let Some(http) = cell.get() {
            return Ok(http);
        }
        // Follow redirects only on the same scheme, host and port: the token stays there.
        let policy = redirect::Policy::custom(|attempt| {
            let same = attempt
                .previous()
                .first()
                .is_some_and(|first| same_origin(first, attempt.url()));
            if same && attempt.previous().len() <= 5 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        super::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(self.config.timeout)
            .redirect(policy);
        if !tls {
            // Plain HTTP never negotiates TLS (redirects and next-page links keep the scheme),
            // so no roots are read; with none, an HTTPS attempt through it would fail.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let built = builder.build().map_err(|e| ExecError::Client {
            detail: error_chain(&e),
        })?;
        // Another task may have built one meanwhile; either serves.
        Ok(cell.get_or_init(|| built))
    }

    /// The same client reporting fan-outs, pages and rate-limit waits to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Client {
        self.progress = progress;
        self
    }

    /// Where progress events go ([`NoProgress`] unless [`Client::with_progress`] said).
    pub fn progress(&self) -> &Arc<dyn Progress> {
        &self.progress
    }

    /// The same client reporting notices and traces to `diagnostics`.
    pub fn with_diagnostics(mut self, diagnostics: Arc<dyn Diagnostics>) -> Client {
        self.diagnostics = diagnostics;
        self
    }

    /// What attaches credentials to requests (and keeps the run's access tokens).
    pub fn authenticator(&self) -> &auth::Authenticator {
        &self.auth
    }

    /// Gets an access token for a configured service-app org now, and says what it grants.
    pub async fn check_token(&self, org: &crate::auth::Org) -> Result<auth::TokenInfo, ExecError> {
        let url = Url::parse(&org.url).map_err(|e| ExecError::Client {
            detail: format!("org URL {}: {e}", org.url),
        })?;
        let http = self.http(&url)?;
        self.auth.check_token(http, org).await
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// How long identical GETs share one answer (writes always forget every answer).
    pub fn set_cache(&self, scope: CacheScope) {
        self.memo.set_scope(scope);
    }

    /// The cache scope now.
    pub fn cache(&self) -> CacheScope {
        self.memo.scope()
    }

    /// Ends a statement: in [`CacheScope::Statement`], its answers are forgotten.
    pub fn end_statement(&self) {
        self.memo.end_statement();
    }

    /// Requests answered from an earlier identical GET so far.
    pub fn reused_answers(&self) -> u64 {
        self.memo.reused()
    }

    /// Sends one planned request; returns the rows: each element of an array response (or
    /// the single object; nothing for 204/Empty), following `Link: <url>; rel="next"` when
    /// `req.paginate`, with each `req.bound` (name, value) added to every row that lacks
    /// that key. An identical GET answered earlier in the cache's scope is not sent again.
    pub async fn send(&self, req: &HttpRequest) -> Result<Vec<Map<String, Value>>, ExecError> {
        let Some(key) = memo::key(req) else {
            return self.send_uncached(req).await;
        };
        let (rows, reused) = self
            .memo
            .get_or_send(key, req, || self.send_uncached(req))
            .await?;
        if reused {
            self.note_reused(req);
        }
        Ok(rows)
    }

    /// Says (with `-v`) that a request was answered by an identical earlier one.
    fn note_reused(&self, req: &HttpRequest) {
        if self.config.debug {
            let url = checked_url(req).map(|mut u| {
                append_query(&mut u, &req.query);
                u.to_string()
            });
            self.trace(format!(
                "= {} {} answered by an identical earlier request (not sent)",
                req.http_method.to_ascii_uppercase(),
                url.unwrap_or_else(|_| req.url.clone())
            ));
        }
    }

    async fn send_uncached(&self, req: &HttpRequest) -> Result<Vec<Map<String, Value>>, ExecError> {
        let mut rows = Vec::new();
        self.send_pages(req, |mut page| {
            rows.append(&mut page);
            Ok::<(), ExecError>(())
        })
        .await?;
        Ok(rows)
    }

    /// Sends one planned request like [`Client::send`], but hands the rows of each page to
    /// `on_page` as the page arrives instead of collecting them, so a long paginated list
    /// is never held whole. An error of `on_page` stops the request and is returned.
    pub async fn send_pages<E, F>(&self, req: &HttpRequest, mut on_page: F) -> Result<(), E>
    where
        E: From<ExecError>,
        F: FnMut(Vec<Map<String, Value>>) -> Result<(), E>,
    {
        self.send_pages_until(req, |page| on_page(page).map(|()| true))
            .await
    }

    /// Like [`Client::send_pages`], but `on_page` says whether more rows are wanted: when it
    /// returns `false`, no further page is asked for (a LIMIT that the rows so far meet).
    /// A GET answered in one page is kept for identical ones in the cache's scope.
    pub async fn send_pages_until<E, F>(&self, req: &HttpRequest, mut on_page: F) -> Result<(), E>
    where
        E: From<ExecError>,
        F: FnMut(Vec<Map<String, Value>>) -> Result<bool, E>,
    {
        let key = memo::key(req);
        if let Some(rows) = key.as_deref().and_then(|k| self.memo.lookup(k, req)) {
            self.note_reused(req);
            on_page(rows)?;
            return Ok(());
        }
        let mut single: Option<memo::Kept> = None;
        let mut pages = 0usize;
        // Kept only when the caller read to the end: a LIMIT that stopped early is not the answer.
        let mut read_all = false;
        self.stream_pages(req, |page, status, body| {
            pages += 1;
            if key.is_some() {
                single = (pages == 1).then(|| memo::Kept::Page {
                    status,
                    body: Arc::new(body),
                });
            }
            let more = on_page(page);
            read_all = matches!(more, Ok(true));
            more
        })
        .await?;
        if let (Some(key), Some(kept), 1, true) = (key, single, pages, read_all) {
            self.memo.store(key, kept);
        }
        Ok(())
    }

    /// Sends one request page by page, as [`Client::send_pages_until`] describes.
    /// `on_page` also gets each page's status and body (moved, not copied), which the cache
    /// keeps for a one-page answer.
    async fn stream_pages<E, F>(&self, req: &HttpRequest, mut on_page: F) -> Result<(), E>
    where
        E: From<ExecError>,
        F: FnMut(Vec<Map<String, Value>>, u16, Vec<u8>) -> Result<bool, E>,
    {
        let mut url = checked_url(req)?;
        append_query(&mut url, &req.query);
        let first = url.clone();
        let mut visited = Visited::new(&first);
        let mut count = 0usize;
        let mut pages = 0usize;
        let mut list = ListEnd(&*self.progress, &req.method, false);
        loop {
            let mut answer = self.fetch(req, &url).await?;
            pages += 1;
            let mut rows = rows_from_body(req, url.as_str(), answer.status, &answer.body)?;
            add_bound(&mut rows, &req.bound);
            rows.iter()
                .for_each(|r| self.config.secrets.register_members(r));
            count += rows.len();
            let page_len = rows.len();
            let more = on_page(rows, answer.status, std::mem::take(&mut answer.body))?;
            if !req.paginate || !more {
                break;
            }
            let next =
                next_link(&answer.headers, &url).map_err(|reason| ExecError::InvalidUrl {
                    method: req.method.clone(),
                    url: url.to_string(),
                    reason: format!("the next-page link is not a valid URL ({reason})"),
                })?;
            let Some(next) = next else { break };
            if page_len == 0 {
                // A poll (Okta's ascending System Log query without `until`) answers every
                // page with a next link, forever: an empty page means it has caught up.
                self.diagnostics.warn(&format!(
                    "{}: stopped at the newest row after {pages} page{} ({count} rows): the \
                     server still offers a next page after an empty one, as a poll does (an \
                     ascending System Log query without until never ends); bound the query \
                     with until to read a fixed range",
                    req.method,
                    if pages == 1 { "" } else { "s" },
                ));
                break;
            }
            if !same_origin(&first, &next) {
                return Err(ExecError::ForeignNextPage {
                    method: req.method.clone(),
                    url: url.to_string(),
                    next: next.to_string(),
                }
                .into());
            }
            if next == url {
                break; // a page that links to itself is the last
            }
            if !visited.first_visit(&next) {
                return Err(ExecError::PaginationCycle {
                    method: req.method.clone(),
                    url: url.to_string(),
                    next: next.to_string(),
                    pages,
                }
                .into());
            }
            {
                let max = self.config.max_pages.unwrap_or(DEFAULT_MAX_PAGES);
                if pages >= max {
                    self.diagnostics.warn(&format!(
                        "{}: result truncated at {pages} page{} ({count} rows); more pages remain — raise the limit with --max-pages",
                        req.method,
                        if pages == 1 { "" } else { "s" },
                    ));
                    break;
                }
            }
            self.progress.page(&req.method, pages, count);
            list.2 = true;
            url = next;
        }
        Ok(())
    }

    /// Sends many requests concurrently (at most `concurrency` in flight) and returns the
    /// results in the order of `reqs`, one per request. Dropping the future cancels every
    /// request still in flight.
    ///
    /// The requests are announced to the rate-limit budget first, so that a fan-out larger
    /// than what a bucket allows until its reset is spread evenly instead of sent in a burst.
    pub async fn send_all(
        &self,
        reqs: &[HttpRequest],
    ) -> Vec<Result<Vec<Map<String, Value>>, ExecError>> {
        let fan_out = (reqs.len() > 1).then(|| reqs[0].resource.as_str());
        if let Some(label) = fan_out {
            self.progress.fanout_started(label, reqs.len());
        }
        // Reports the end of the fan-out also when the statement is cancelled part-way.
        let _finished = fan_out.map(|label| FanoutEnd(&*self.progress, label));
        let keys: Vec<Option<(String, String)>> = reqs
            .iter()
            .map(|r| checked_url(r).ok().map(|u| budget::bucket_key(&u)))
            .collect();
        let mut counts: HashMap<(String, String), usize> = HashMap::new();
        for key in keys.iter().flatten() {
            *counts.entry(key.clone()).or_default() += 1;
        }
        let demands: HashMap<(String, String), budget::Demand> = counts
            .into_iter()
            .map(|(key, n)| (key.clone(), self.budget.demand(key, n)))
            .collect();
        let demands = &demands;
        // The futures are made first (they do nothing until polled): a stream over a
        // mapping closure is not `Send` for every lifetime (a rustc limitation), and
        // servers run statements on spawned tasks.
        let sends: Vec<_> = reqs
            .iter()
            .zip(keys)
            .map(|(r, key)| async move {
                let result = self.send(r).await;
                if let Some(d) = key.as_ref().and_then(|k| demands.get(k)) {
                    d.done();
                }
                if let Some(label) = fan_out {
                    self.progress.fanout_request_done(label);
                }
                result
            })
            .collect();
        stream::iter(sends)
            .buffered(self.config.concurrency.max(1))
            .collect()
            .await
    }

    /// Waits for a slot in the bucket of `key`: returns whether one was taken (and must
    /// be given back or observed).
    async fn take_slot(&self, key: &(String, String), label: &str) -> bool {
        loop {
            let (slot, notice) = self.budget.reserve(key, tokio::time::Instant::now());
            if let Some(notice) = notice {
                if self.config.debug || !self.paced.swap(true, Ordering::Relaxed) {
                    self.diagnostics.warn(&notice);
                }
            }
            match slot {
                Slot::Unknown => return false,
                Slot::After(wait) => {
                    if wait >= REPORTED_WAIT {
                        self.progress.rate_limit_wait(label, wait);
                    }
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return true;
                }
                Slot::Reset(wait) => {
                    if wait >= REPORTED_WAIT {
                        self.progress.rate_limit_wait(label, wait);
                    }
                    // At least a moment, so that a reset already due is not spun on.
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                }
            }
        }
    }

    /// Sends one page, retrying as allowed, until a success (2xx) answer or an error.
    async fn fetch(&self, req: &HttpRequest, url: &Url) -> Result<Answer, ExecError> {
        let verb = req.http_method.to_ascii_uppercase();
        let method =
            reqwest::Method::from_bytes(verb.as_bytes()).map_err(|_| ExecError::Request {
                method: req.method.clone(),
                url: url.to_string(),
                detail: format!(
                    "{:?} is not an HTTP verb; check the provider document",
                    verb
                ),
            })?;
        let safe = is_safe(&verb);
        // A write makes every kept answer stale: forgotten before it is sent and after.
        let _forget = (verb != "GET").then(|| ForgetOnDrop::new(&self.memo));
        if let Some(b) = &req.body {
            self.config.secrets.register_json(b);
        }
        let body = req.body.as_ref().map(|b| b.to_string().into_bytes());
        let base_headers = self.headers(body.is_some());
        let http = self.http(url)?;
        let mut transient = 0u32;
        let mut limited = 0u32;
        let mut reauth = 0u32;
        loop {
            let mut headers = base_headers.clone();
            let tracer = |text: String| self.trace(text);
            let tracer: auth::Tracer<'_> = if self.config.debug {
                Some(&tracer)
            } else {
                None
            };
            self.auth
                .apply(http, &verb, url, &mut headers, tracer)
                .await?;
            let key = budget::bucket_key(url);
            let slot = SlotGuard {
                budget: &self.budget,
                key: &key,
                taken: self.take_slot(&key, &req.method).await,
            };
            let pass = self.budget.enter(&key.0).await;
            if self.config.debug {
                self.trace(trace::request(
                    &verb,
                    url.as_str(),
                    &headers,
                    body.as_deref(),
                    &self.config.auth_prefix,
                ));
            }
            let started = Instant::now();
            let cap = self.config.max_body_bytes;
            let result = Self::attempt(
                http,
                method.clone(),
                url,
                headers.clone(),
                body.clone(),
                cap,
            )
            .await;
            drop(pass);
            let failure = match result {
                Ok(answer) if answer.too_large => {
                    return Err(ExecError::BodyTooLarge {
                        method: req.method.clone(),
                        url: url.to_string(),
                        limit: cap,
                    })
                }
                Ok(answer) => {
                    if self.config.debug {
                        self.trace(trace::response(
                            answer.status,
                            started.elapsed(),
                            &answer.headers,
                            &answer.body,
                            &self.config.auth_prefix,
                        ));
                    }
                    if let Some(notice) = self.budget.observe(
                        &key,
                        &answer.headers,
                        answer.status,
                        slot.taken,
                        tokio::time::Instant::now(),
                    ) {
                        self.diagnostics.warn(&notice);
                    }
                    slot.observed();
                    // A DPoP nonce challenge or an expired token: once each, then the 401 stands.
                    if answer.status == 401
                        && reauth < 2
                        && self.auth.retry_after_401(url, &answer.headers).await
                    {
                        reauth += 1;
                        continue;
                    }
                    match answer.status {
                        200..=299 => return Ok(answer),
                        300..=399 => return Err(redirect_error(req, url, &answer)),
                        429 => {
                            limited += 1;
                            let wait = retry::rate_limit_wait(&answer.headers);
                            let cap = self.config.max_rate_limit_wait;
                            if wait > cap || limited > MAX_RATE_LIMIT_RETRIES {
                                let detail = if wait > cap {
                                    format!(
                                        "Okta asks to wait {} for the reset, longer than the {} allowed",
                                        human_duration(wait),
                                        human_duration(cap)
                                    )
                                } else {
                                    format!("still 429 after {MAX_RATE_LIMIT_RETRIES} waits")
                                };
                                return Err(ExecError::RateLimited {
                                    method: req.method.clone(),
                                    url: url.to_string(),
                                    detail,
                                });
                            }
                            self.diagnostics.warn(&format!(
                                "{}: Okta rate limit reached (429); waiting {} for the reset, then retrying ({limited} of {MAX_RATE_LIMIT_RETRIES})",
                                req.method,
                                human_duration(wait)
                            ));
                            self.progress.rate_limit_wait(&req.method, wait);
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        502..=504 => {
                            if !safe {
                                return Err(ExecError::OutcomeUnknown {
                                    method: req.method.clone(),
                                    http_method: verb,
                                    url: url.to_string(),
                                    detail: format!("the server answered {}", answer.status),
                                });
                            }
                            error_from_answer(
                                answer.status,
                                &answer.body,
                                request_id(&answer.headers),
                                &req.method,
                                url.as_str(),
                            )
                        }
                        403 if auth::insufficient_scope(&answer.headers).is_some() => {
                            let scope =
                                auth::insufficient_scope(&answer.headers).unwrap_or_default();
                            return Err(crate::auth::AuthError::InsufficientScope {
                                method: req.method.clone(),
                                scope,
                                org: crate::auth::org_label(url),
                            }
                            .into());
                        }
                        // A write answered by a server failure may have been applied.
                        500..=599 if !safe => {
                            return Err(ExecError::OutcomeUnknown {
                                method: req.method.clone(),
                                http_method: verb,
                                url: url.to_string(),
                                detail: format!(
                                    "the server answered {}",
                                    super::okta_error::answer_summary(answer.status, &answer.body)
                                ),
                            });
                        }
                        status => {
                            return Err(error_from_answer(
                                status,
                                &answer.body,
                                request_id(&answer.headers),
                                &req.method,
                                url.as_str(),
                            ))
                        }
                    }
                }
                Err(e) => self.transport_error(req, &verb, url, e)?,
            };
            // A transient failure of a safe request: back off and retry a few times.
            if transient >= MAX_TRANSIENT_RETRIES {
                return Err(failure);
            }
            let delay = retry::backoff(transient);
            transient += 1;
            self.diagnostics.warn(&format!(
                "{}: {}; retrying in {} ({transient} of {MAX_TRANSIENT_RETRIES})",
                req.method,
                short(&failure),
                human_duration(delay)
            ));
            tokio::time::sleep(delay).await;
        }
    }

    /// Classifies a transport error: `Ok(error)` when a retry is allowed (safe request,
    /// transient failure), `Err(error)` when it must be returned now.
    fn transport_error(
        &self,
        req: &HttpRequest,
        verb: &str,
        url: &Url,
        e: reqwest::Error,
    ) -> Result<ExecError, ExecError> {
        let safe = is_safe(verb);
        if e.is_timeout() {
            return Err(ExecError::Timeout {
                method: req.method.clone(),
                http_method: verb.to_string(),
                url: url.to_string(),
                timeout: self.config.timeout,
            });
        }
        if e.is_connect() {
            let err = ExecError::Connect {
                method: req.method.clone(),
                host: host_port(url),
                url: url.to_string(),
                detail: error_chain(&e),
            };
            // Not connected means not sent, but only safe requests are retried.
            return if safe { Ok(err) } else { Err(err) };
        }
        if safe {
            Ok(ExecError::Request {
                method: req.method.clone(),
                url: url.to_string(),
                detail: error_chain(&e),
            })
        } else {
            Err(ExecError::OutcomeUnknown {
                method: req.method.clone(),
                http_method: verb.to_string(),
                url: url.to_string(),
                detail: error_chain(&e),
            })
        }
    }

    /// One exchange: send, then read the whole body.
    async fn attempt(
        http: &reqwest::Client,
        method: reqwest::Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        cap: usize,
    ) -> Result<Answer, reqwest::Error> {
        let mut builder = http.request(method, url.clone()).headers(headers);
        if let Some(b) = body {
            builder = builder.body(b);
        }
        let resp = builder.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = super::body::read_capped(resp, cap).await?;
        Ok(Answer {
            status,
            headers,
            too_large: body.is_none(),
            body: body.unwrap_or_default(),
        })
    }

    /// The headers of every request.
    fn headers(&self, with_body: bool) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if with_body {
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Ok(ua) = HeaderValue::from_str(&self.config.user_agent) {
            h.insert(USER_AGENT, ua);
        }
        h
    }

    /// Reports a debug trace, with the token scrubbed as a last guard.
    fn trace(&self, text: String) {
        let text = trace::scrub(text, self.config.token.as_deref());
        self.diagnostics.warn(&self.config.secrets.mask_text(&text));
    }
}

/// Forgets every kept answer now and when dropped (around a write).
struct ForgetOnDrop<'a>(&'a Memo);

impl<'a> ForgetOnDrop<'a> {
    fn new(memo: &'a Memo) -> ForgetOnDrop<'a> {
        memo.forget();
        ForgetOnDrop(memo)
    }
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.forget();
    }
}

/// A slot taken in a bucket: given back when no answer was observed for it (a transport
/// failure, a cancelled request).
struct SlotGuard<'a> {
    budget: &'a Budget,
    key: &'a (String, String),
    taken: bool,
}

impl SlotGuard<'_> {
    /// The answer was observed (which gave the slot back).
    fn observed(mut self) {
        self.taken = false;
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        if self.taken {
            self.budget.release(self.key);
        }
    }
}

/// `X-Okta-Request-Id` of an answer.
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-okta-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The error for a redirect that was not followed.
fn redirect_error(req: &HttpRequest, url: &Url, answer: &Answer) -> ExecError {
    let location = answer
        .headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let location_host = url
        .join(&location)
        .ok()
        .filter(|_| !location.is_empty())
        .map(|l| host_port(&l))
        .unwrap_or_else(|| "an unknown location".to_string());
    ExecError::Redirect {
        method: req.method.clone(),
        url: url.to_string(),
        status: answer.status,
        location,
        location_host,
    }
}

/// An error and its sources as one line, skipping repeated text.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    // The outer messages of reqwest and hyper only repeat the URL or the error kind; the
    // causes say what happened.
    while parts.len() > 1
        && (parts[0].starts_with("error sending request") || parts[0].starts_with("client error ("))
    {
        parts.remove(0);
    }
    parts.join(": ")
}

/// A failure in a few words for a retry notice.
fn short(e: &ExecError) -> String {
    match e {
        ExecError::Http { status, .. } => format!("the server answered {status}"),
        ExecError::Okta(o) => format!("the server answered {}", o.status),
        ExecError::Connect { host, detail, .. } => format!("cannot connect to {host} ({detail})"),
        ExecError::Request { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

/// Tells the progress observer that a list which reported pages ended, when dropped.
struct ListEnd<'a>(&'a dyn Progress, &'a str, bool);

impl Drop for ListEnd<'_> {
    fn drop(&mut self) {
        if self.2 {
            self.0.list_finished(self.1);
        }
    }
}

/// Tells the progress observer that a fan-out ended, when dropped.
struct FanoutEnd<'a>(&'a dyn Progress, &'a str);

impl Drop for FanoutEnd<'_> {
    fn drop(&mut self) {
        self.0.fanout_finished(self.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_clients_are_built_on_first_use_per_scheme_and_shared() {
        let c = Client::new(ClientConfig::default()).unwrap();
        assert!(c.http.iter().all(|cell| cell.get().is_none()));
        let other = c.clone();
        c.http(&Url::parse("http://127.0.0.1:1/x").unwrap())
            .unwrap();
        // The plain client only: nothing read the system's TLS roots.
        assert!(other.http[0].get().is_some());
        assert!(other.http[1].get().is_none());
        c.http(&Url::parse("https://acme.okta.com/").unwrap())
            .unwrap();
        assert!(other.http[1].get().is_some());
    }

    /// A paginated list against the sandbox: pages arrive one by one, each with the bound
    /// columns; `send` gives the same rows; an error of the callback stops the request.
    #[tokio::test]
    async fn pages_are_handed_over_as_they_arrive() {
        use crate::provider::ResponseShape;
        use crate::sandbox::{Sandbox, SandboxConfig, DEMO_ORG};
        let sandbox = Sandbox::start(SandboxConfig {
            demo_apps: 7,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let creds = crate::auth::Credentials::default().with_loose_token(
            sandbox.token(),
            "OKTA_API_TOKEN",
            Some(sandbox.url_template()),
        );
        let client = Client::new(ClientConfig {
            credentials: Some(Arc::new(creds)),
            ..ClientConfig::default()
        })
        .unwrap();
        let req = HttpRequest {
            resource: "okta.apps.applications".into(),
            method: "list_applications".into(),
            http_method: "GET".into(),
            url: format!("http://{}/{DEMO_ORG}/api/v1/apps", sandbox.addr()),
            query: vec![("limit".into(), "3".into())],
            body: None,
            paginate: true,
            response_shape: ResponseShape::Array,
            bound: vec![("subdomain".into(), Value::String(DEMO_ORG.into()))],
        };
        let mut sizes = Vec::new();
        let mut ids = Vec::new();
        client
            .send_pages(&req, |page| {
                sizes.push(page.len());
                for row in page {
                    assert_eq!(row["subdomain"], DEMO_ORG);
                    ids.push(row["id"].clone());
                }
                Ok::<(), ExecError>(())
            })
            .await
            .unwrap();
        assert_eq!(sizes, vec![3, 3, 1]);
        let all: Vec<Value> = client
            .send(&req)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r["id"].clone())
            .collect();
        assert_eq!(all, ids);
        // Stopping after the first page.
        let mut calls = 0;
        let err = client
            .send_pages(&req, |_| {
                calls += 1;
                Err(ExecError::Client {
                    detail: "enough".into(),
                })
            })
            .await
            .unwrap_err();
        assert_eq!(calls, 1);
        assert!(err.to_string().contains("enough"), "{err}");
        sandbox.shutdown().await;
    }

    #[test]
    fn config_debug_hides_token() {
        let c = ClientConfig {
            token: Some("00abcSECRET".into()),
            ..ClientConfig::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("SECRET"), "{d}");
        let client = Client::new(c).unwrap();
        assert!(!format!("{client:?}").contains("SECRET"));
    }
}
