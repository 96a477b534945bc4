//! Identical GETs answered once: within a statement (a join's dependent lookups, an `IN` list
//! naming one app twice), within a run of statements, or across shell statements for a TTL
//! (`.cache 300`). Any write through the client forgets every answer, so a read after a
//! write always goes to Okta.
//!
//! Owns: the keys, the scope and the expiry. Must not: send requests (the client does, through
//! the closure it passes) or decide what is a write.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::ExecError;
use crate::plan::HttpRequest;

/// How long identical GETs share one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheScope {
    /// Every request is sent (a bare [`super::Client`]'s default: it knows no statements).
    #[default]
    Off,
    /// Within one statement (the engine's and the shell's default).
    Statement,
    /// For the whole run until a write (`oktaql exec`'s default).
    Run,
    /// Across statements, each answer for this long, until a write (`.cache SECONDS`).
    Ttl(Duration),
}

type Rows = Vec<Map<String, Value>>;

/// A kept answer. A GET read in one page keeps its body, not its rows: the body is moved in,
/// while copying the rows on every GET cost about half as much as reading them (a reused
/// answer is read again from the same bytes, the way it was read the first time).
#[derive(Debug, Clone)]
pub(crate) enum Kept {
    /// The rows of every page (a request collected whole).
    Rows(Rows),
    /// The status and body of a one-page answer.
    Page { status: u16, body: Arc<Vec<u8>> },
}

impl Kept {
    /// The rows of the answer, as `req` (identical to the request that got it) reads them.
    /// A kept body read when it was kept, so reading it again gives the same rows.
    fn rows(&self, req: &HttpRequest) -> Result<Rows, ExecError> {
        match self {
            Kept::Rows(rows) => Ok(rows.clone()),
            Kept::Page { status, body } => {
                let mut rows = super::body::rows_from_body(req, &req.url, *status, body)?;
                super::body::add_bound(&mut rows, &req.bound);
                Ok(rows)
            }
        }
    }
}

/// Most answers kept; beyond it every answer is forgotten (a bound, not a policy).
pub const MAX_ENTRIES: usize = 10_000;
/// Longest TTL `.cache` accepts, in seconds (a day).
pub const MAX_TTL_SECS: u64 = 86_400;

struct Entry {
    at: Instant,
    cell: OnceCell<Kept>,
}

/// The answers of GETs, by request.
#[derive(Default)]
pub(crate) struct Memo {
    scope: Mutex<CacheScope>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    /// Requests answered from an earlier identical one.
    reused: AtomicU64,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("scope", &self.scope())
            .finish_non_exhaustive()
    }
}

/// The key of a request whose answer may be shared: GETs only, the whole request.
pub(crate) fn key(req: &HttpRequest) -> Option<String> {
    if !req.http_method.eq_ignore_ascii_case("GET") {
        return None;
    }
    serde_json::to_string(&(
        &req.url,
        &req.query,
        req.paginate,
        &req.bound,
        &req.method,
        &req.resource,
    ))
    .ok()
}

impl Memo {
    /// The scope now.
    pub(crate) fn scope(&self) -> CacheScope {
        *self.scope.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the scope; answers kept so far are forgotten.
    pub(crate) fn set_scope(&self, scope: CacheScope) {
        *self.scope.lock().unwrap_or_else(|e| e.into_inner()) = scope;
        self.forget();
    }

    /// Forgets every answer (after a write, or when a statement ends in statement scope).
    pub(crate) fn forget(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// A statement ended.
    pub(crate) fn end_statement(&self) {
        if self.scope() == CacheScope::Statement {
            self.forget();
        }
    }

    /// A kept answer of `key` (the key of `req`), if one is ready and valid (counted as
    /// reused).
    pub(crate) fn lookup(&self, key: &str, req: &HttpRequest) -> Option<Rows> {
        if self.scope() == CacheScope::Off {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        if let CacheScope::Ttl(d) = self.scope() {
            if Instant::now().duration_since(entry.at) >= d {
                return None;
            }
        }
        let rows = entry.cell.get()?.rows(req).ok()?;
        self.reused.fetch_add(1, Ordering::Relaxed);
        Some(rows)
    }

    /// Keeps the answer of `key` (a request answered in one page), unless one is kept.
    pub(crate) fn store(&self, key: String, answer: Kept) {
        if self.scope() == CacheScope::Off {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let entry = entries.entry(key).or_insert_with(|| {
            Arc::new(Entry {
                at: Instant::now(),
                cell: OnceCell::new(),
            })
        });
        let _ = entry.cell.set(answer);
    }

    /// Requests answered from an earlier identical one so far.
    pub(crate) fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// The answer of `key` (the key of `req`): an earlier one still valid, or the one `send`
    /// gets (identical requests in flight at once wait for the first). A failure is not kept:
    /// the next identical request sends again. The flag says whether the answer was reused.
    pub(crate) async fn get_or_send<F, Fut>(
        &self,
        key: String,
        req: &HttpRequest,
        send: F,
    ) -> Result<(Rows, bool), ExecError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Rows, ExecError>>,
    {
        let now = Instant::now();
        let ttl = match self.scope() {
            CacheScope::Off => return send().await.map(|rows| (rows, false)),
            CacheScope::Ttl(d) => Some(d),
            _ => None,
        };
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let expired = |e: &Entry| ttl.is_some_and(|d| now.duration_since(e.at) >= d);
            if entries.get(&key).is_some_and(|e| expired(e)) {
                entries.remove(&key);
            }
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                entries.clear();
            }
            entries
                .entry(key)
                .or_insert_with(|| {
                    Arc::new(Entry {
                        at: now,
                        cell: OnceCell::new(),
                    })
                })
                .clone()
        };
        let mut sent = false;
        let kept = entry
            .cell
            .get_or_try_init(|| {
                sent = true;
                async { send().await.map(Kept::Rows) }
            })
            .await?;
        let rows = kept.rows(req)?;
        if !sent {
            self.reused.fetch_add(1, Ordering::Relaxed);
        }
        Ok((rows, !sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn get(url: &str) -> HttpRequest {
        HttpRequest {
            resource: "okta.apps.applications".into(),
            method: "get_application".into(),
            http_method: "GET".into(),
            url: url.into(),
            query: vec![],
            body: None,
            paginate: false,
            response_shape: crate::provider::ResponseShape::Object,
            bound: vec![],
        }
    }

    async fn ask(memo: &Memo, url: &str, sends: &AtomicUsize) -> bool {
        let req = get(url);
        let k = key(&req).unwrap();
        let (_, reused) = memo
            .get_or_send(k, &req, || async {
                sends.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ExecError>(vec![Map::new()])
            })
            .await
            .unwrap();
        reused
    }

    #[test]
    fn only_gets_have_keys() {
        let mut r = get("http://o/api/v1/apps/1");
        assert!(key(&r).is_some());
        r.http_method = "POST".into();
        assert!(key(&r).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn scopes_and_expiry() {
        let memo = Memo::default();
        let sends = AtomicUsize::new(0);
        // Off: every request sent.
        assert!(!ask(&memo, "u1", &sends).await);
        assert!(!ask(&memo, "u1", &sends).await);
        sends.store(0, Ordering::SeqCst);
        // Statement scope: shared within, forgotten at the end.
        memo.set_scope(CacheScope::Statement);
        assert!(!ask(&memo, "u1", &sends).await);
        assert!(ask(&memo, "u1", &sends).await);
        assert!(!ask(&memo, "u2", &sends).await);
        memo.end_statement();
        assert!(!ask(&memo, "u1", &sends).await);
        assert_eq!(sends.load(Ordering::SeqCst), 3);
        // TTL: kept across statements until it expires.
        memo.set_scope(CacheScope::Ttl(Duration::from_secs(300)));
        assert!(!ask(&memo, "u1", &sends).await);
        memo.end_statement();
        tokio::time::advance(Duration::from_secs(299)).await;
        assert!(ask(&memo, "u1", &sends).await);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(!ask(&memo, "u1", &sends).await);
        // A write forgets everything.
        memo.forget();
        assert!(!ask(&memo, "u1", &sends).await);
        assert_eq!(memo.reused(), 2);
    }

    #[test]
    fn a_kept_page_reads_as_the_first_answer_with_its_bound_parameters() {
        let memo = Memo::default();
        memo.set_scope(CacheScope::Run);
        let mut req = get("http://o/api/v1/apps/0oa1/credentials/secrets");
        req.bound = vec![("appId".into(), Value::String("0oa1".into()))];
        req.response_shape = crate::provider::ResponseShape::Array;
        let body = br#"[{"id":"s1","status":"ACTIVE"},{"id":"s2","appId":"other"}]"#.to_vec();
        let mut first = super::super::body::rows_from_body(&req, &req.url, 200, &body).unwrap();
        super::super::body::add_bound(&mut first, &req.bound);
        let k = key(&req).unwrap();
        assert!(memo.lookup(&k, &req).is_none());
        memo.store(
            k.clone(),
            Kept::Page {
                status: 200,
                body: Arc::new(body),
            },
        );
        let again = memo.lookup(&k, &req).expect("kept");
        assert_eq!(again, first);
        assert_eq!(again[0]["appId"], "0oa1", "bound parameter added again");
        assert_eq!(again[1]["appId"], "other", "a value of the answer wins");
        assert_eq!(memo.reused(), 1);
        // A 204 kept reads as no rows, as it did.
        let k2 = key(&get("http://o/x")).unwrap();
        memo.store(
            k2.clone(),
            Kept::Page {
                status: 204,
                body: Arc::new(Vec::new()),
            },
        );
        assert_eq!(memo.lookup(&k2, &get("http://o/x")), Some(Vec::new()));
    }

    #[tokio::test]
    async fn identical_requests_in_flight_share_one_send_and_failures_are_not_kept() {
        let memo = Memo::default();
        memo.set_scope(CacheScope::Statement);
        let sends = AtomicUsize::new(0);
        let req = get("u");
        let k = key(&req).unwrap();
        let both = futures::future::join_all((0..2).map(|_| {
            memo.get_or_send(k.clone(), &req, || async {
                sends.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Err::<Rows, _>(ExecError::Client {
                    detail: "boom".into(),
                })
            })
        }))
        .await;
        assert!(both.iter().all(Result::is_err));
        // The failure was not kept: each sent (one after the other).
        assert_eq!(sends.load(Ordering::SeqCst), 2);
    }
}
