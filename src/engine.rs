//! The engine: runs statements through every stage — parse, plan, execute, relational.
//!
//! Owns: the order of stages for one statement, validating a query against empty tables
//! before any request is sent, fetching tables concurrently, per-request failures inside a
//! fan-out, and the one-line summary of each statement. Must not: print (callers render).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::exec::{Client, ClientConfig, Diagnostics, ExecError};
use crate::plan::{
    self, DirectQuery, HttpRequest, MutationPlan, Plan, PlanContext, QueryPlan, Requests,
    TableFetch,
};
use crate::provider::{Registry, SqlVerb};
use crate::relational::{ColumnType, Evaluator, RelationalError};
use crate::rows::Rows;
use crate::sql::{self, Source, Statement};

/// Engine settings.
#[derive(Clone)]
pub struct EngineConfig {
    /// Providers.
    pub registry: Registry,
    /// `--server-url` template replacing the provider's server URL.
    pub server_url: Option<String>,
    /// HTTP client settings (token, timeout, concurrency, …).
    pub client: ClientConfig,
    /// Fail a whole fan-out when one of its requests fails (`--strict`).
    pub strict: bool,
    /// Where warnings go (skipped requests of a fan-out, retries).
    pub diagnostics: Arc<dyn Diagnostics>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("server_url", &self.server_url)
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// Settings for `registry` with defaults otherwise (no token, provider server URLs).
    pub fn new(registry: Registry) -> EngineConfig {
        EngineConfig {
            registry,
            server_url: None,
            client: ClientConfig::default(),
            strict: false,
            diagnostics: Arc::new(crate::exec::StderrDiagnostics),
        }
    }
}

/// Runs statements. Cheap to share: clone it or put it in an `Arc`.
#[derive(Clone)]
pub struct Engine {
    registry: Registry,
    server_url: Option<String>,
    /// Configured orgs as `(name, URL)`, for `subdomain = '<name>'`.
    orgs: Vec<(String, String)>,
    /// The org of statements that bind no `subdomain`.
    default_org: Option<String>,
    client: Client,
    strict: bool,
    diagnostics: Arc<dyn Diagnostics>,
    /// Parsed statements by shape (a runbook repeats statements with other literals).
    shapes: Arc<sql::ShapeCache>,
    /// Plans by shape, for the shapes whose plans can be kept.
    plans: Arc<plan::PlanShapes>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

/// What one statement produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Rows to print, if the statement returns any.
    pub rows: Option<Rows>,
    /// A one-line summary (`2 rows`, `deleted 1 from okta.apps.secrets`).
    pub message: String,
}

/// What one statement produced, with a query's rows not read yet: the caller steps through
/// them ([`ResultRows::for_each`]) while it writes them out, so a large result is never held
/// whole. [`StreamedOutcome::collect`] turns it into an [`Outcome`].
#[derive(Debug)]
pub struct StreamedOutcome {
    /// Rows to print, if the statement returns any.
    pub rows: Option<ResultRows>,
    /// The summary when it is not the row count (`deleted 1 from okta.apps.secrets`).
    message: Option<String>,
}

impl StreamedOutcome {
    /// The one-line summary once `rows` rows were read (`2 rows`, `deleted 1 from …`).
    pub fn message(&self, rows: usize) -> String {
        self.message.clone().unwrap_or_else(|| count(rows))
    }

    /// Reads every row: the [`Outcome`] [`Engine::execute`] returns.
    pub fn collect(self) -> Result<Outcome, Error> {
        let rows = self.rows.map(ResultRows::collect).transpose()?;
        let message = match self.message {
            Some(m) => m,
            None => count(rows.as_ref().map_or(0, Rows::len)),
        };
        Ok(Outcome { rows, message })
    }
}

/// The rows of a statement's result: built already, or a query over the fetched tables that
/// SQLite has yet to step through.
#[derive(Debug)]
pub struct ResultRows(Held);

/// What a [`ResultRows`] holds.
#[derive(Debug)]
enum Held {
    /// Built rows (static results, EXEC output).
    Ready(Rows),
    /// The loaded tables and the query to run over them.
    Query { ev: Evaluator, sql: String },
}

impl ResultRows {
    /// Rows that are already built.
    pub fn ready(rows: Rows) -> ResultRows {
        ResultRows(Held::Ready(rows))
    }

    /// Hands the rows over one at a time, as [`Evaluator::query_each`] does: `start` gets
    /// the column names before the first row and returns the state that `row` then gets
    /// with each row's cells (which it may take); the state is returned at the end.
    /// A failure of the query (SQLite stops on a row) is an [`Error`] turned into `E`; an
    /// error from either callback stops the rows and is returned as it is.
    pub fn for_each<S, E>(
        self,
        start: impl FnOnce(&[String]) -> Result<S, E>,
        mut row: impl FnMut(&mut S, &mut Vec<Value>) -> Result<(), E>,
    ) -> Result<S, E>
    where
        E: From<Error>,
    {
        match self.0 {
            Held::Ready(rows) => {
                let mut state = start(&rows.columns)?;
                for mut cells in rows.rows {
                    row(&mut state, &mut cells)?;
                }
                Ok(state)
            }
            Held::Query { ev, sql } => {
                /// The query's own failure, or the caller's.
                enum Failure<E> {
                    Query(RelationalError),
                    Caller(E),
                }
                impl<E> From<RelationalError> for Failure<E> {
                    fn from(e: RelationalError) -> Self {
                        Failure::Query(e)
                    }
                }
                ev.query_each(
                    &sql,
                    |columns| start(columns).map_err(Failure::Caller),
                    |state, cells| row(state, cells).map_err(Failure::Caller),
                )
                .map_err(|f| match f {
                    Failure::Query(e) => E::from(Error::from(e)),
                    Failure::Caller(e) => e,
                })
            }
        }
    }

    /// Reads every row.
    pub fn collect(self) -> Result<Rows, Error> {
        match self.0 {
            Held::Ready(rows) => Ok(rows),
            Held::Query { ev, sql } => Ok(ev.query(&sql)?),
        }
    }
}

impl Engine {
    /// An engine with the given settings.
    pub fn new(config: EngineConfig) -> Result<Engine, Error> {
        if let Some(t) = &config.server_url {
            plan::url::check_server_template(t)?;
        }
        let mut client_config = config.client;
        if client_config.credentials.is_none() {
            // An API token given without an org: bound to the server URL template the user
            // gave, or to one Okta-domain org per run.
            let mut creds = crate::auth::Credentials::default();
            if let Some(t) = &client_config.token {
                creds = creds.with_loose_token(t, "OKTA_API_TOKEN", config.server_url.clone());
            }
            client_config.credentials = Some(std::sync::Arc::new(creds));
        }
        let orgs = client_config
            .credentials
            .as_ref()
            .map(|c| c.org_urls())
            .unwrap_or_default();
        let default_org = client_config
            .credentials
            .as_ref()
            .and_then(|c| c.default_org().map(|o| o.name.clone()));
        let client = Client::new(client_config)?.with_diagnostics(config.diagnostics.clone());
        // Identical GETs of one statement (a join's lookups) are sent once.
        client.set_cache(crate::exec::CacheScope::Statement);
        Ok(Engine {
            orgs,
            default_org,
            registry: config.registry,
            server_url: config.server_url,
            client,
            strict: config.strict,
            diagnostics: config.diagnostics,
            shapes: Arc::new(sql::ShapeCache::default()),
            plans: Arc::default(),
        })
    }

    /// The same engine keeping parsed statements of at most `limit` shapes (default
    /// [`sql::DEFAULT_SHAPES`]; 0: parse every statement in full). The kept shapes are
    /// shared with the clones made after this call.
    pub fn with_shape_cache(mut self, limit: usize) -> Engine {
        self.shapes = Arc::new(sql::ShapeCache::new(limit));
        self.plans = Arc::default();
        self
    }

    /// How many statements were planned from the kept plan of their shape rather than in
    /// full (see [`plan::PlanShapes`]).
    pub fn reused_plans(&self) -> u64 {
        self.plans.reused()
    }

    fn plan_context(&self) -> PlanContext<'_> {
        PlanContext {
            registry: &self.registry,
            server_url: self.server_url.as_deref(),
            orgs: &self.orgs,
            default_org: self.default_org.as_deref(),
        }
    }

    /// The same engine reporting fan-outs, pages and rate-limit waits to `progress` (a
    /// progress bar, a test's counter); nothing is reported without it.
    pub fn with_progress(mut self, progress: std::sync::Arc<dyn crate::exec::Progress>) -> Engine {
        self.client = self.client.with_progress(progress);
        self
    }

    /// The secret values this engine has sent or received so far (shared with its client).
    pub fn secrets(&self) -> &std::sync::Arc<crate::secrets::SecretValues> {
        &self.client.config().secrets
    }

    /// The providers this engine plans against.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Plans a parsed statement (no I/O).
    pub fn plan(&self, statement: &Statement) -> Result<Plan, Error> {
        let plan = plan::plan(statement, &self.plan_context())?;
        self.check_credentials(&plan)?;
        // Check the SQL against empty tables now, so an unknown column fails before any
        // request is sent.
        match &plan {
            // Checked by the planner: plain columns of the table and text comparisons.
            Plan::Query(q) if q.direct.is_some() => {}
            Plan::Query(q) => {
                let mut ev = Evaluator::new()?;
                for t in &q.tables {
                    ev.load(&t.table, &t.columns, &[])?;
                }
                for d in q.tables.iter().flat_map(|t| t.depends()) {
                    ev.query(&d.sql)?;
                }
                ev.query(&q.sql)?;
            }
            Plan::Mutation(m) if m.output_sql.is_some() && m.output_columns.is_none() => {
                let sql = m.output_sql.as_deref().unwrap_or_default();
                let mut ev = Evaluator::new()?;
                ev.load(&m.table, &m.columns, &[])?;
                ev.query(sql)?;
            }
            _ => {}
        }
        Ok(plan)
    }

    /// The names and types of the rows that executing `plan` returns, worked out without
    /// sending anything (`None`: it returns no rows). A wire protocol describes a result
    /// this way before running it; the rows then come with exactly these columns.
    pub fn describe(&self, plan: &Plan) -> Result<Option<Vec<(String, ColumnType)>>, Error> {
        match plan {
            Plan::Static(rows) => Ok(Some(
                rows.columns
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let ty = rows
                            .rows
                            .iter()
                            .filter_map(|r| r.get(i))
                            .find(|v| !v.is_null())
                            .map_or(ColumnType::Any, ColumnType::of_value);
                        (name.clone(), ty)
                    })
                    .collect(),
            )),
            Plan::Query(q) => {
                let mut ev = Evaluator::new()?;
                for t in &q.tables {
                    ev.load(&t.table, &t.columns, &[])?;
                }
                Ok(Some(ev.describe(&q.sql)?))
            }
            Plan::Mutation(m) => match (&m.output_columns, &m.output_sql) {
                (Some(columns), _) => Ok(Some(
                    columns
                        .iter()
                        .map(|c| {
                            let ty = m
                                .columns
                                .iter()
                                .find(|t| t.name == *c)
                                .map_or(ColumnType::Any, ColumnType::of_column);
                            (c.clone(), ty)
                        })
                        .collect(),
                )),
                (None, Some(sql)) => {
                    let mut ev = Evaluator::new()?;
                    ev.load(&m.table, &m.columns, &[])?;
                    Ok(Some(ev.describe(sql)?))
                }
                (None, None) => Ok(None),
            },
        }
    }

    /// Refuses a plan with a request that no credential of its org would go with, or whose
    /// method needs a scope the org's service app is not configured with: nothing is sent.
    /// An engine with no credential at all plans freely (plans are data: the corpus,
    /// `--dry-run`), and its client refuses every request before sending it.
    fn check_credentials(&self, plan: &Plan) -> Result<(), Error> {
        if self.client.authenticator().credentials().is_empty() {
            return Ok(());
        }
        for (resource, method, requests) in ready_requests(plan) {
            let scopes = self.method_scopes(resource, method);
            for req in requests {
                self.client
                    .authenticator()
                    .credentials()
                    .check(&req.method, &req.url, &scopes)
                    .map_err(ExecError::from)?;
            }
        }
        Ok(())
    }

    /// One line per planned request naming the org and credential it goes with (`--dry-run`).
    pub fn plan_orgs(&self, plan: &Plan) -> String {
        self.plan_orgs_sent(plan, &mut |_| true)
    }

    /// [`Engine::plan_orgs`] for the requests `sent` keeps (asked in plan order): a request
    /// answered from an identical earlier one goes nowhere.
    pub fn plan_orgs_sent(
        &self,
        plan: &Plan,
        sent: &mut dyn FnMut(&HttpRequest) -> bool,
    ) -> String {
        let creds = self.client.authenticator().credentials();
        let mut out = String::new();
        for req in ready_requests(plan)
            .into_iter()
            .flat_map(|(_, _, r)| r)
            .filter(|r| sent(r))
        {
            out.push_str(&format!(
                "  {} {} -> {}\n",
                req.http_method,
                req.url,
                creds.describe(&req.url)
            ));
        }
        out
    }

    /// The OAuth 2.0 scopes the provider document gives a method.
    fn method_scopes(&self, resource: &str, method: &str) -> Vec<String> {
        let mut parts = resource.splitn(3, '.');
        let (p, s, r) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        plan::resolve::resource(&self.registry, p, s, r)
            .ok()
            .and_then(|res| res.resource().method(method).map(|m| m.scopes.clone()))
            .unwrap_or_default()
    }

    /// The HTTP client (its authenticator, the check command).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Parses and plans one statement's text. A statement of a shape parsed before (the
    /// same text but for its literals) is not parsed again ([`sql::ShapeCache`]), and when
    /// the shape's plan can be kept, not planned again either ([`plan::PlanShapes`]); should
    /// either fail, the statement is parsed and planned in full, so the error is the one the
    /// full path gives.
    pub fn plan_source(&self, source: &Source) -> Result<Plan, Error> {
        let reading = self.shapes.read(source);
        if let Some((id, values)) = reading.values() {
            if let Some(plan) = self.plans.plan(id, &values, &self.plan_context()) {
                // Credentials are the org's: checked for every statement.
                if self.check_credentials(&plan).is_ok() {
                    return Ok(plan);
                }
            }
        }
        let (statement, shape) = self.shapes.parse_read(source, reading)?;
        match self.plan(&statement) {
            Ok(plan) => {
                if let Some(id) = shape {
                    self.plans
                        .learn(id, &statement, &plan, &self.plan_context());
                }
                Ok(plan)
            }
            Err(_) => self.plan(&sql::parse(source)?),
        }
    }

    /// Parses, plans and executes one statement's text.
    pub async fn run(&self, source: &Source) -> Result<Outcome, Error> {
        let plan = self.plan_source(source)?;
        self.execute(&plan).await
    }

    /// Executes a plan and reads every result row.
    pub async fn execute(&self, plan: &Plan) -> Result<Outcome, Error> {
        self.execute_streamed(plan).await?.collect()
    }

    /// Executes a plan up to its result rows, which the caller then steps through: a query's
    /// rows are read from SQLite one at a time as the caller asks for them.
    pub async fn execute_streamed(&self, plan: &Plan) -> Result<StreamedOutcome, Error> {
        let outcome = self.execute_plan(plan).await;
        self.client.end_statement();
        outcome
    }

    async fn execute_plan(&self, plan: &Plan) -> Result<StreamedOutcome, Error> {
        match plan {
            Plan::Static(rows) => Ok(StreamedOutcome {
                rows: Some(ResultRows::ready(rows.clone())),
                message: None,
            }),
            Plan::Query(q) => self.query(q).await,
            Plan::Mutation(m) => self.mutate(m).await,
        }
    }

    async fn query(&self, q: &QueryPlan) -> Result<StreamedOutcome, Error> {
        if let (Some(direct), [t]) = (&q.direct, q.tables.as_slice()) {
            if let Requests::Ready(requests) = &t.requests {
                if let [req] = requests.as_slice() {
                    return Ok(StreamedOutcome {
                        rows: Some(self.query_direct(q, direct, t, req).await?),
                        message: None,
                    });
                }
            }
        }
        let mut ev = Evaluator::new()?;
        // Tables bound by literals only: all at once.
        let mut independent: Vec<(&TableFetch, &[HttpRequest])> = Vec::new();
        let mut dependent: Vec<(&TableFetch, &plan::Deferred)> = Vec::new();
        for t in &q.tables {
            match &t.requests {
                Requests::Ready(r) => independent.push((t, r)),
                Requests::Deferred(d) => dependent.push((t, d)),
            }
        }
        match independent.as_slice() {
            // One list, one request: stream its pages into SQLite as they arrive, so a long
            // paginated list is never held whole in memory.
            [(t, [one])] => self.stream(t, one, &mut ev).await?,
            _ => {
                let fetched =
                    futures::future::join_all(independent.iter().map(|(t, r)| self.fetch(t, r)))
                        .await;
                for ((t, _), rows) in independent.iter().zip(fetched) {
                    ev.load(&t.table, &t.columns, &rows?)?;
                }
            }
        }
        // Tables bound from other tables' rows: in plan order, each after its sources.
        for (t, deferred) in dependent {
            let requests = deferred.requests(|sql| ev.query(sql).map_err(Error::from))?;
            if let [one] = requests.as_slice() {
                self.stream(t, one, &mut ev).await?;
            } else {
                let rows = self.fetch(t, &requests).await?;
                ev.load(&t.table, &t.columns, &rows)?;
            }
        }
        Ok(StreamedOutcome {
            rows: Some(ResultRows(Held::Query {
                ev,
                sql: q.sql.clone(),
            })),
            message: None,
        })
    }

    /// A query with a direct form over one request: when the answer is one page and its
    /// values allow it, the rows are picked out of the response without SQLite; a longer
    /// list streams into SQLite page by page as usual, and so do values only SQLite can
    /// convert exactly.
    async fn query_direct(
        &self,
        q: &QueryPlan,
        direct: &DirectQuery,
        t: &TableFetch,
        req: &HttpRequest,
    ) -> Result<ResultRows, Error> {
        let mut first: Option<Vec<Map<String, Value>>> = None;
        let mut ev: Option<Evaluator> = None;
        self.client
            .send_pages(req, |page| {
                let page = rows_of(t, req, page);
                if let Some(ev) = ev.as_mut() {
                    return ev.append(&t.table, &page).map_err(Error::from);
                }
                match first.take() {
                    None => first = Some(page),
                    Some(earlier) => {
                        let mut e = Evaluator::new()?;
                        e.load(&t.table, &t.columns, &earlier)?;
                        e.append(&t.table, &page)?;
                        ev = Some(e);
                    }
                }
                Ok::<(), Error>(())
            })
            .await?;
        let ev = match ev {
            Some(ev) => ev,
            // One page: picked out of the response, unless only SQLite can convert it.
            None => {
                let first = first.unwrap_or_default();
                if let Some(rows) = crate::relational::project(&t.columns, &first, direct) {
                    return Ok(ResultRows::ready(rows));
                }
                let mut e = Evaluator::new()?;
                e.load(&t.table, &t.columns, &first)?;
                e
            }
        };
        Ok(ResultRows(Held::Query {
            ev,
            sql: q.sql.clone(),
        }))
    }

    /// Loads one request's rows into `t`'s table page by page.
    async fn stream(
        &self,
        t: &TableFetch,
        req: &HttpRequest,
        ev: &mut Evaluator,
    ) -> Result<(), Error> {
        ev.load(&t.table, &t.columns, &[])?;
        let mut fetched = 0usize;
        self.client
            .send_pages_until(req, |page| {
                let page = rows_of(t, req, page);
                fetched += page.len();
                ev.append(&t.table, &page)?;
                // A LIMIT pushed down: more pages only while the rows so far fall short.
                Ok::<bool, Error>(match &t.stop_after {
                    None => true,
                    Some(stop) => match &stop.count_sql {
                        None => fetched < stop.rows,
                        Some(sql) => {
                            let passing = ev.query(sql)?;
                            let n = passing
                                .rows
                                .first()
                                .and_then(|r| r.first())
                                .and_then(Value::as_u64)
                                .unwrap_or(0);
                            usize::try_from(n).unwrap_or(usize::MAX) < stop.rows
                        }
                    },
                })
            })
            .await
    }

    /// All rows of one table: its requests sent concurrently, in order. In a fan-out, a
    /// request Okta refuses (400/404) is reported and skipped unless `strict`.
    async fn fetch(
        &self,
        t: &TableFetch,
        requests: &[HttpRequest],
    ) -> Result<Vec<Map<String, Value>>, Error> {
        let results = self.client.send_all(requests).await;
        let fan_out = requests.len() > 1;
        let mut rows = Vec::new();
        for (req, result) in requests.iter().zip(results) {
            match result {
                Ok(r) => rows.append(&mut rows_of(t, req, r)),
                Err(e) if fan_out && !self.strict && skippable(&e) => {
                    let which: Vec<String> = req
                        .bound
                        .iter()
                        .filter(|(k, _)| !k.eq_ignore_ascii_case("subdomain"))
                        .map(|(k, v)| format!("{k}={}", plan::bind::value_text(v)))
                        .collect();
                    self.diagnostics.warn(&format!(
                        "skipped {} for {}: {e} (use --strict to fail instead)",
                        t.resource,
                        which.join(", ")
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(rows)
    }

    /// Sends a mutation's requests one after another; the rows of their answers.
    async fn mutate_each(&self, m: &MutationPlan) -> Result<Vec<Map<String, Value>>, Error> {
        let total = m.requests.len();
        let mut rows = Vec::new();
        for (done, req) in m.requests.iter().enumerate() {
            match self.client.send(req).await {
                Ok(r) => rows.append(&mut rows_under(&m.rows_at, req, r)),
                Err(e) if total > 1 => {
                    return Err(Error::Incomplete {
                        completed: done,
                        total,
                        source: Box::new(e.into()),
                    })
                }
                Err(e) => return Err(e.into()),
            }
            if total > 1 {
                self.client.progress().fanout_request_done(&m.resource);
            }
        }
        Ok(rows)
    }

    async fn mutate(&self, m: &MutationPlan) -> Result<StreamedOutcome, Error> {
        let total = m.requests.len();
        let progress = self.client.progress();
        if total > 1 {
            progress.fanout_started(&m.resource, total);
        }
        let result = self.mutate_each(m).await;
        if total > 1 {
            progress.fanout_finished(&m.resource);
        }
        let rows = result?;
        let what = &m.resource;
        let message = match m.verb {
            SqlVerb::Insert => format!("inserted {total} into {what}"),
            SqlVerb::Delete => format!("deleted {total} from {what}"),
            _ => format!("{what}.{}: done", m.method),
        };
        let out = match (&m.output_columns, &m.output_sql) {
            // Every listed column of each response object, as is: no SQL needed.
            (Some(columns), _) => Some(ResultRows::ready(Rows {
                columns: columns.clone(),
                rows: rows
                    .iter()
                    .map(|r| {
                        columns
                            .iter()
                            .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                            .collect()
                    })
                    .collect(),
            })),
            (None, Some(sql)) => {
                let mut ev = Evaluator::new()?;
                ev.load(&m.table, &m.columns, &rows)?;
                Some(ResultRows(Held::Query {
                    ev,
                    sql: sql.clone(),
                }))
            }
            (None, None) => None,
        };
        Ok(StreamedOutcome {
            rows: out,
            message: Some(message),
        })
    }
}

/// The rows of one answer page of a table: the page itself, or what is at the method's
/// object key.
fn rows_of(
    t: &TableFetch,
    req: &HttpRequest,
    page: Vec<Map<String, Value>>,
) -> Vec<Map<String, Value>> {
    rows_under(&t.rows_at, req, page)
}

/// The rows of one answer page: the page itself, or what is at `rows_at`.
fn rows_under(
    rows_at: &Option<String>,
    req: &HttpRequest,
    page: Vec<Map<String, Value>>,
) -> Vec<Map<String, Value>> {
    match rows_at {
        Some(key) => crate::exec::rows_under(page, key, &req.bound),
        None => page,
    }
}

/// The requests a plan knows before it runs, with their resource and method (a table bound
/// from other tables' rows has none yet).
pub(crate) fn ready_requests(plan: &Plan) -> Vec<(&str, &str, &[HttpRequest])> {
    match plan {
        Plan::Static(_) => Vec::new(),
        Plan::Query(q) => q
            .tables
            .iter()
            .filter_map(|t| match &t.requests {
                Requests::Ready(r) => Some((t.resource.as_str(), t.method.as_str(), r.as_slice())),
                Requests::Deferred(_) => None,
            })
            .collect(),
        Plan::Mutation(m) => vec![(
            m.resource.as_str(),
            m.method.as_str(),
            m.requests.as_slice(),
        )],
    }
}

/// Failures in a fan-out that concern one item only (Okta refused that app), not the run.
fn skippable(e: &ExecError) -> bool {
    matches!(e, ExecError::Okta(o) if o.status == 400 || o.status == 404)
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}
