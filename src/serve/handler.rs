//! The query handlers: simple and extended protocol, both through the same steps — answer
//! session and catalog statements here, otherwise plan with the engine, refuse a write
//! unless writes are allowed, describe the result's columns, execute, encode the rows.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::{stream, Sink};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{DescribePortalResponse, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type, METADATA_USER};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use serde_json::Value;

use super::catalog::{self, Answer, Catalog, Session};
use super::cursor::{self, CursorStatement, Cursors};
use super::error::{engine_error, pg_error, state};
use super::explain;
use super::params::{self, Literal};
use super::types::{self, Col};
use super::users::Verifiers;
use crate::engine::Engine;
use crate::plan::Plan;
use crate::provider::SqlVerb;
use crate::relational::ColumnType;
use crate::sql::Source;

/// What every connection shares: the engine, the catalog, the write switch.
pub(crate) struct Shared {
    /// The engine, with the configured org credentials.
    pub engine: Engine,
    /// Schemas and tables.
    pub catalog: Catalog,
    /// INSERT, DELETE and writing EXEC are allowed (for users not kept read-only).
    pub allow_writes: bool,
    /// The users, and which of them may write.
    pub users: Arc<Verifiers>,
}

/// What one statement produced.
enum Reply {
    /// Nothing to run (blank text).
    Empty,
    /// Rows, and the command tag they complete with (`SELECT`, `INSERT 0`).
    Rows {
        cols: Vec<Col>,
        rows: Vec<Vec<Value>>,
        tag: String,
    },
    /// A command without rows.
    Done(Tag),
    /// `BEGIN`.
    Begin,
    /// `COMMIT` / `ROLLBACK`.
    End(String),
}

/// A statement prepared with Parse: its text, how many parameters it takes and the types
/// the client declared for them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    sql: String,
    params: usize,
    types: Vec<Option<Type>>,
}

/// Settings changed with `SET` on one connection.
type Settings = Mutex<HashMap<String, String>>;

impl Shared {
    /// Masks secret values in a message.
    fn mask(&self, s: &str) -> String {
        self.engine.secrets().mask_text(s).into_owned()
    }

    /// Plans one statement, refusing writes unless they are allowed; `user` (the logged-in
    /// user, when known) may be kept read-only by the config file.
    fn plan(&self, sql: &str, user: Option<&str>) -> PgWireResult<Plan> {
        let text = self.catalog.qualify(sql).unwrap_or_else(|| sql.to_string());
        let source = Source {
            text,
            line: 1,
            column: 1,
        };
        let plan = self
            .engine
            .plan_source(&source)
            .map_err(|e| engine_error(&e, |s| self.mask(s)))?;
        if !self.allow_writes && crate::runner::is_write(&plan) {
            return Err(pg_error(
                state::READ_ONLY,
                "this server is read-only: INSERT, DELETE and EXEC that change Okta are refused; \
                 start it with oktaql serve --allow-writes to allow them",
            ));
        }
        if let Some(user) = user.filter(|u| !self.users.may_write(u)) {
            if crate::runner::is_write(&plan) {
                return Err(pg_error(
                    state::READ_ONLY,
                    format!(
                        "the user {user} is read-only (allow_writes: false under serve.users \
                         in the config file): INSERT, DELETE and EXEC that change Okta are refused"
                    ),
                ));
            }
        }
        Ok(plan)
    }

    /// The result columns of a plan, as declared (an expression is text: see
    /// [`Shared::typed`]).
    fn columns(&self, plan: &Plan) -> PgWireResult<Option<Vec<Col>>> {
        Ok(self.declared(plan)?.map(|cols| {
            cols.into_iter()
                .map(|(name, ty)| Col {
                    name,
                    ty: types::pg_type(ty),
                })
                .collect()
        }))
    }

    /// The result columns of a plan with the engine's types (`Any`: an expression).
    fn declared(&self, plan: &Plan) -> PgWireResult<Option<Vec<(String, ColumnType)>>> {
        self.engine
            .describe(plan)
            .map_err(|e| engine_error(&e, |s| self.mask(s)))
    }

    /// The result columns of a statement, worked out without running it.
    fn describe(&self, sql: &str) -> PgWireResult<Vec<Col>> {
        // Cursor statements return no rows (FETCH's are described when it runs).
        if sql.trim().trim_end_matches(';').trim().is_empty() || cursor::parse(sql).is_some() {
            return Ok(Vec::new());
        }
        if explain::query(sql).is_some() {
            return Ok(vec![Col::text("QUERY PLAN")]);
        }
        let mut settings = HashMap::new();
        let mut session = Session {
            settings: &mut settings,
            user: String::new(),
            pid: 0,
        };
        if let Some(answer) = catalog::answer(sql, &self.catalog, &self.engine, &mut session, false)
        {
            return Ok(match answer? {
                Answer::Rows { cols, .. } => cols,
                _ => Vec::new(),
            });
        }
        let plan = self.plan(sql, None)?;
        Ok(self.columns(&plan)?.unwrap_or_default())
    }

    /// Runs one statement: a cursor statement here, any other through [`Shared::run_one`].
    /// `typed`: type expression columns by their values (see [`types::infer_type`]), which
    /// the simple protocol allows (its row description is sent after the rows are known).
    async fn run<C: ClientInfo>(&self, client: &C, sql: &str, typed: bool) -> PgWireResult<Reply> {
        let Some(statement) = cursor::parse(sql) else {
            return self.run_one(client, sql, typed).await;
        };
        let cursors = client
            .session_extensions()
            .get_or_insert_with::<Cursors>(Default::default);
        Ok(match statement? {
            CursorStatement::Declare { name, query } => {
                let (cols, rows) = match self.run_one(client, query, typed).await? {
                    Reply::Rows { cols, rows, .. } => (cols, rows),
                    _ => {
                        return Err(pg_error(
                            state::SYNTAX,
                            "a cursor needs a query that returns rows",
                        ))
                    }
                };
                cursor::declare(&cursors, name, cols, rows)?;
                Reply::Done(Tag::new("DECLARE CURSOR"))
            }
            CursorStatement::Fetch {
                name,
                count,
                rewind,
                moves,
            } => {
                let (cols, rows) = cursor::fetch(&cursors, &name, count, rewind)?;
                if moves {
                    Reply::Done(Tag::new("MOVE").with_rows(rows.len()))
                } else {
                    Reply::Rows {
                        cols,
                        rows,
                        tag: "FETCH".into(),
                    }
                }
            }
            CursorStatement::Close(name) => {
                cursor::close(&cursors, name.as_deref());
                Reply::Done(Tag::new("CLOSE CURSOR"))
            }
        })
    }

    /// Runs one statement that is not a cursor statement.
    async fn run_one<C: ClientInfo>(
        &self,
        client: &C,
        sql: &str,
        typed: bool,
    ) -> PgWireResult<Reply> {
        let sql = sql.trim();
        if sql.trim_end_matches(';').trim().is_empty() {
            return Ok(Reply::Empty);
        }
        if let Some(query) = explain::query(sql) {
            let plan = self.plan(&explain::stand_ins(query), None).ok();
            return Ok(Reply::Rows {
                cols: vec![Col::text("QUERY PLAN")],
                rows: vec![vec![Value::from(explain::line(plan.as_ref()))]],
                tag: "EXPLAIN".into(),
            });
        }
        let settings = client
            .session_extensions()
            .get_or_insert_with::<Settings>(Default::default);
        let user = client
            .metadata()
            .get(METADATA_USER)
            .cloned()
            .unwrap_or_default();
        let answered = {
            let mut settings = settings.lock().unwrap_or_else(|e| e.into_inner());
            let mut session = Session {
                settings: &mut settings,
                user: user.clone(),
                pid: client.pid_and_secret_key().0,
            };
            catalog::answer(sql, &self.catalog, &self.engine, &mut session, typed)
        };
        if let Some(answer) = answered {
            return Ok(match answer? {
                Answer::Rows { cols, rows } => Reply::Rows {
                    cols,
                    rows,
                    tag: "SELECT".into(),
                },
                Answer::Tag(t) => Reply::Done(Tag::new(&t)),
                Answer::Begin => Reply::Begin,
                Answer::End(t) => Reply::End(t),
            });
        }
        let plan = self.plan(sql, Some(&user))?;
        let declared = self.declared(&plan)?;
        let outcome = self
            .engine
            .execute(&plan)
            .await
            .map_err(|e| engine_error(&e, |s| self.mask(s)))?;
        let (rows_tag, done) = match &plan {
            Plan::Mutation(m) => {
                let n = m.requests.len();
                match m.verb {
                    SqlVerb::Insert => (
                        "INSERT 0".to_string(),
                        Tag::new("INSERT").with_oid(0).with_rows(n),
                    ),
                    SqlVerb::Delete => ("DELETE".to_string(), Tag::new("DELETE").with_rows(n)),
                    _ => ("SELECT".to_string(), Tag::new("EXEC")),
                }
            }
            _ => ("SELECT".to_string(), Tag::new("SELECT").with_rows(0)),
        };
        Ok(match (declared, outcome.rows) {
            (Some(declared), Some(rows)) => Reply::Rows {
                cols: declared
                    .into_iter()
                    .enumerate()
                    .map(|(i, (name, ty))| Col {
                        name,
                        ty: if typed && ty == ColumnType::Any {
                            types::infer_type(rows.rows.iter().filter_map(|r| r.get(i)))
                        } else {
                            types::pg_type(ty)
                        },
                    })
                    .collect(),
                rows: rows.rows,
                tag: rows_tag,
            },
            _ => Reply::Done(done),
        })
    }
}

/// Turns a reply into the protocol's response, encoding rows in `format`.
fn response(reply: Reply, format: Option<&Format>) -> Response {
    match reply {
        Reply::Empty => Response::EmptyQuery,
        Reply::Rows { cols, rows, tag } => {
            let fields: Arc<Vec<FieldInfo>> = Arc::new(types::fields(&cols, format));
            let encoded = types::encode(fields.clone(), rows);
            let mut q = QueryResponse::new(fields, stream::iter(encoded));
            q.set_command_tag(&tag);
            Response::Query(q)
        }
        Reply::Done(tag) => Response::Execution(tag),
        Reply::Begin => Response::TransactionStart(Tag::new("BEGIN")),
        Reply::End(t) => Response::TransactionEnd(Tag::new(&t)),
    }
}

/// The error fields of a failure.
fn error_info(e: PgWireError) -> Box<ErrorInfo> {
    match e {
        PgWireError::UserError(info) => info,
        other => Box::new(ErrorInfo::from(other)),
    }
}

/// Both query protocols over one [`Shared`].
pub(crate) struct Handler {
    shared: Arc<Shared>,
    parser: Arc<StatementParser>,
}

impl Handler {
    /// A handler over `shared`.
    pub(crate) fn new(shared: Arc<Shared>) -> Handler {
        Handler {
            parser: Arc::new(StatementParser {
                shared: shared.clone(),
            }),
            shared,
        }
    }
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let sources =
            crate::sql::split_checked(query).map_err(|e| pg_error(state::SYNTAX, e.to_string()))?;
        let mut out = Vec::with_capacity(sources.len());
        for source in sources {
            match self.shared.run(client, &source.text, true).await {
                Ok(reply) => out.push(response(reply, None)),
                Err(e) => {
                    // As PostgreSQL does: the first failure ends the query string.
                    out.push(Response::Error(error_info(e)));
                    break;
                }
            }
        }
        if out.is_empty() {
            out.push(Response::EmptyQuery);
        }
        Ok(out)
    }
}

/// Parses (remembers) statements of the extended protocol and describes them.
pub(crate) struct StatementParser {
    shared: Arc<Shared>,
}

impl StatementParser {
    /// The statement's text with stand-in values: what its result looks like does not
    /// depend on them.
    fn stand_in(&self, stmt: &Prepared) -> PgWireResult<String> {
        let values: Vec<Literal> = (0..stmt.params)
            .map(|i| Literal::stand_in(&params::param_type(&stmt.types, i)))
            .collect();
        params::substitute(&stmt.sql, &values)
    }
}

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Prepared>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let params = params::count(sql)?.max(types.len());
        Ok(Prepared {
            sql: sql.to_string(),
            params,
            types: types.to_vec(),
        })
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok((0..stmt.params)
            .map(|i| params::param_type(&stmt.types, i))
            .collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        let sql = self.stand_in(stmt)?;
        let cols = self.shared.describe(&sql)?;
        Ok(types::fields(&cols, column_format))
    }
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Prepared;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Self::Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let sql = bound_sql(portal)?;
        let cols = self.shared.describe(&sql)?;
        Ok(DescribePortalResponse::new(types::fields(
            &cols,
            Some(&portal.result_column_format),
        )))
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let sql = bound_sql(portal)?;
        let reply = self.shared.run(client, &sql, false).await?;
        Ok(response(reply, Some(&portal.result_column_format)))
    }
}

/// A portal's statement with its bound values in place.
fn bound_sql(portal: &Portal<Prepared>) -> PgWireResult<String> {
    let stmt: &StoredStatement<Prepared> = &portal.statement;
    let values = params::values(portal, &stmt.statement.types)?;
    params::substitute(&stmt.statement.sql, &values)
}
