//! Planning: choosing the method for each statement and binding its parameters.
//!
//! Owns: picking the method for a verb (`sqlVerbs`) from the parameters a statement
//! supplies; binding WHERE equalities and `IN` lists, INSERT columns (`data__` prefix) and
//! EXEC `@args` to path/query/body/server parameters; building each HTTP request's URL
//! (server template, percent-encoded path); what is left of a WHERE becomes residual SQL for
//! the relational stage; discovery statements are answered here from the provider.
//! Must not: do any I/O. A [`Plan`] is plain data that tests assert on and `--dry-run` prints.

use std::sync::Arc;

use serde_json::Value;
use sqlparser::ast::ObjectName;

use crate::provider::{Registry, ResponseShape, SqlVerb};
use crate::rows::Rows;
use crate::sql::{ObjectRef, Statement};

pub mod bind;
mod call;
mod deferred;
mod delete;
mod direct;
pub mod discovery;
mod display;
mod error;
mod insert;
mod limit;
pub mod resolve;
mod reuse;
mod rewrite;
mod select;
pub mod url;

pub use call::quote_ident;
pub use deferred::Deferred;
pub use display::{is_secret_key, mask_secrets, plan_text, plan_text_noted, RequestNote};
pub use error::{DeferredError, PlanError};
pub use insert::DATA_PREFIX;
pub use reuse::PlanShapes;

/// What planning needs besides the statement.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    /// Where providers come from.
    pub registry: &'a Registry,
    /// `--server-url` template replacing the provider's server (must contain `{subdomain}`).
    pub server_url: Option<&'a str>,
    /// Configured orgs as `(name, base URL)`: `subdomain = '<name>'` goes to that URL.
    pub orgs: &'a [(String, String)],
    /// The org a statement that binds no `subdomain` goes to (the only or default
    /// configured org).
    pub default_org: Option<&'a str>,
}

/// Plans one statement. Does no I/O: the plan can be printed, asserted on, or executed.
pub fn plan(statement: &Statement, ctx: &PlanContext<'_>) -> Result<Plan, PlanError> {
    if let Some(t) = ctx.server_url {
        url::check_server_template(t)?;
    }
    Ok(match statement {
        Statement::Select(q) => Plan::Query(select::plan_select(q, ctx)?),
        Statement::Insert(i) => Plan::Mutation(Box::new(insert::plan_insert(i, ctx)?)),
        Statement::Delete(d) => Plan::Mutation(Box::new(delete::plan_delete(d, ctx)?)),
        Statement::Exec {
            target,
            method,
            args,
            body,
        } => Plan::Mutation(Box::new(call::plan_exec(
            target,
            method,
            args,
            body.as_ref(),
            ctx,
        )?)),
        Statement::ShowProviders => Plan::Static(discovery::show_providers(ctx)),
        Statement::ShowServices { provider, like } => {
            Plan::Static(discovery::show_services(ctx, provider, like.as_deref())?)
        }
        Statement::ShowResources {
            provider,
            service,
            like,
        } => Plan::Static(discovery::show_resources(
            ctx,
            provider,
            service,
            like.as_deref(),
        )?),
        Statement::ShowMethods { target } => Plan::Static(discovery::show_methods(ctx, target)?),
        Statement::Describe { extended, target } => {
            Plan::Static(discovery::describe(ctx, target, *extended)?)
        }
    })
}

/// Resolves a three-part table name of an INSERT or DELETE.
fn resolve_object(
    ctx: &PlanContext<'_>,
    name: &ObjectName,
) -> Result<(resolve::Resolved, String), PlanError> {
    let target = ObjectRef::from_sql(name).ok_or_else(|| {
        PlanError::Invalid(format!(
            "{name} is not a resource name: write provider.service.resource, e.g. okta.apps.secrets"
        ))
    })?;
    let resolved = resolve::object(ctx.registry, &target)?;
    let id = resolved.resource().id.clone();
    Ok((resolved, id))
}

/// One HTTP call, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Resource id (`okta.apps.secrets`).
    pub resource: String,
    /// Method name (`list_oauth2_client_secrets`).
    pub method: String,
    /// HTTP verb, upper case.
    pub http_method: String,
    /// Absolute URL without query string; path parameters percent-encoded.
    pub url: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Follow `Link: <…>; rel="next"` until the last page.
    pub paginate: bool,
    /// Shape of the success response.
    pub response_shape: ResponseShape,
    /// Parameter values bound for this call, added as columns to each row it returns.
    pub bound: Vec<(String, Value)>,
}

/// The fetch for one table reference of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFetch {
    /// Name of the table the relational stage loads the rows into (the resource id with
    /// `_` for `.`: `okta_apps_secrets`, then `okta_apps_secrets_2` for a second reference).
    pub table: String,
    /// Resource id.
    pub resource: String,
    /// Chosen method.
    pub method: String,
    /// Columns of the table: response columns, then parameter columns (shared by the plans
    /// of one statement shape).
    pub columns: Arc<[TableColumn]>,
    /// The calls to make: built now, or from the rows of tables fetched before.
    pub requests: Requests,
    /// WHERE conjuncts bound to API parameters (as SQL text, for display).
    pub bound: Vec<String>,
    /// WHERE conjuncts left to the relational stage (as SQL text, for display).
    pub residual: Vec<String>,
    /// Query parameters that push residual conditions down to the API (exact: the
    /// conditions stay in the SQL too).
    pub pushed: Vec<(String, String)>,
    /// Stop following next-page links once these rows are in (a LIMIT pushed down).
    pub stop_after: Option<StopAfter>,
    /// Where the rows are inside each answer (`response.objectKey`, `$.items`), when they
    /// are not the answer itself.
    pub rows_at: Option<String>,
}

/// When to stop reading a paginated list: the query's LIMIT is met by the rows so far.
#[derive(Debug, Clone, PartialEq)]
pub struct StopAfter {
    /// Rows needed: LIMIT plus OFFSET.
    pub rows: usize,
    /// SQL counting the loaded rows that pass the query's WHERE, when a condition may reject
    /// rows; `None` when every fetched row is a result row.
    pub count_sql: Option<String>,
    /// The clause, for display (`LIMIT 5 OFFSET 2`).
    pub clause: String,
}

impl TableFetch {
    /// What this table's parameters take from other tables (empty when its requests are
    /// ready).
    pub fn depends(&self) -> &[Dependency] {
        match &self.requests {
            Requests::Ready(_) => &[],
            Requests::Deferred(d) => &d.depends,
        }
    }
}

/// The requests of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Requests {
    /// Every parameter is bound to literals: the calls, in order (several for a fan-out
    /// over an `IN` list).
    Ready(Vec<HttpRequest>),
    /// Some parameters are bound from the rows of other tables (a join or `IN (SELECT …)`):
    /// the calls are built once those rows are known ([`Deferred::requests`]).
    Deferred(Box<Deferred>),
}

/// Parameters of a table whose values come from SQL over tables fetched before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// The parameters bound, in the order of the SQL's result columns.
    pub params: Vec<String>,
    /// SQL over fetched tables returning one column per parameter (distinct rows).
    pub sql: String,
    /// Tables that must be fetched and loaded before the SQL runs.
    pub after: Vec<String>,
}

/// A column of a fetched table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Name (case as in the provider).
    pub name: String,
    /// JSON schema type; `object` and `array` are stored as JSON text.
    pub ty: String,
    /// The schema's `format` (`date-time` marks an RFC 3339 timestamp), if any.
    pub format: Option<String>,
}

/// A `SELECT`: fetches, then SQL over the fetched tables.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    /// One per table reference.
    pub tables: Vec<TableFetch>,
    /// The statement rewritten to read from the fetched tables, run by SQLite.
    pub sql: String,
    /// Set when the query only picks columns of one table's rows and compares columns
    /// with text: the engine may then answer it without SQLite (same result).
    pub direct: Option<DirectQuery>,
}

/// A query answered by picking columns out of one table's rows (see [`QueryPlan::direct`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DirectQuery {
    /// The output columns, in order.
    pub columns: Vec<DirectColumn>,
    /// Conditions every output row meets (all of them).
    pub conditions: Vec<DirectCondition>,
}

/// One output column of a [`DirectQuery`].
#[derive(Debug, Clone, PartialEq)]
pub struct DirectColumn {
    /// The table column it reads (as in [`TableFetch::columns`]).
    pub source: String,
    /// Its name in the output (the alias, or the table column's name, as SQLite names it).
    pub name: String,
}

/// `column = 'text'` or `column IN ('text', …)` in a [`DirectQuery`].
#[derive(Debug, Clone, PartialEq)]
pub struct DirectCondition {
    /// The table column compared.
    pub column: String,
    /// The texts it may equal.
    pub values: Vec<String>,
}

/// An `INSERT`, `DELETE` or `EXEC`: its calls, sent one after another, and the rows its
/// responses give.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationPlan {
    /// The verb.
    pub verb: SqlVerb,
    /// Resource id.
    pub resource: String,
    /// Chosen method.
    pub method: String,
    /// The calls, in order (one per inserted row, one per value of an `IN` list).
    pub requests: Vec<HttpRequest>,
    /// Conditions or arguments bound to API parameters (as SQL text, for display).
    pub bound: Vec<String>,
    /// Name of the table the responses are loaded into for `output_sql`.
    pub table: String,
    /// Columns of that table: the method's response columns, then its parameters.
    pub columns: Arc<[TableColumn]>,
    /// SQL over `table` that produces the output rows (RETURNING, or every column for
    /// EXEC); `None` when the statement prints no rows.
    pub output_sql: Option<String>,
    /// When the output is just these response columns in this order (EXEC), the engine
    /// builds the rows directly instead of running `output_sql`.
    pub output_columns: Option<Vec<String>>,
    /// Where the rows are inside each answer (`response.objectKey`), when they are not the
    /// answer itself.
    pub rows_at: Option<String>,
}

impl MutationPlan {
    /// The plan of `verb` calling `method` of `resource` with `requests`, printing no rows
    /// and showing no bound conditions until the caller sets them.
    fn new(
        verb: SqlVerb,
        resource: &crate::provider::Resource,
        method: &crate::provider::Method,
        requests: Vec<HttpRequest>,
    ) -> MutationPlan {
        MutationPlan {
            verb,
            resource: resource.id.clone(),
            method: method.name.clone(),
            requests,
            bound: Vec::new(),
            table: resource.id.replace('.', "_"),
            columns: bind::table_columns(resource, method).into(),
            output_sql: None,
            output_columns: None,
            rows_at: method.object_key.clone(),
        }
    }
}

/// What a statement will do.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Answered from the provider (SHOW, DESCRIBE): no HTTP.
    Static(Rows),
    /// A query.
    Query(QueryPlan),
    /// A write or lifecycle call.
    Mutation(Box<MutationPlan>),
}
