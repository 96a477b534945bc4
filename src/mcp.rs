//! The Model Context Protocol server (`oktaql mcp`): AI agents list and describe resources
//! and run SQL through the engine, over stdio.
//!
//! Tools: `list_resources`, `describe_resource`, `query` (rows as JSON, at most
//! [`DEFAULT_MAX_ROWS`] unless raised, read-only unless writes are allowed) and, when writes
//! are allowed, `dry_run` (the exact REST calls a statement would make, nothing sent).
//! Secret values are masked in every result (the rule of [`crate::secrets`]) unless the
//! server was started to reveal them.
//! Owns: the tool definitions and turning results and errors into tool results. Must not:
//! plan or execute itself, or write anything to stdout but the protocol.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};

use crate::engine::Engine;
use crate::plan::{plan_text, Plan};
use crate::secrets::{is_secret_key, MASK};
use crate::sql::Source;

/// Rows a `query` returns unless the server or the call asks for more.
pub const DEFAULT_MAX_ROWS: usize = 200;

/// Server settings.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// Allow INSERT, DELETE and EXEC that change Okta (and offer `dry_run`).
    pub allow_writes: bool,
    /// Show secret values instead of masking them.
    pub reveal_secrets: bool,
    /// Most rows one `query` returns (a call may ask for fewer, or more up to this).
    pub max_rows: usize,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            allow_writes: false,
            reveal_secrets: false,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}

/// Arguments of `describe_resource`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct DescribeArgs {
    /// The resource: `okta.apps.secrets`.
    pub resource: String,
}

/// Arguments of `list_resources`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ListArgs {
    /// Keep only names containing this text (or matching this glob: `okta.apps.*`).
    #[serde(default)]
    pub pattern: Option<String>,
}

/// Arguments of `query` and `dry_run`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct QueryArgs {
    /// One SQL statement: SELECT, SHOW, DESCRIBE (and INSERT, DELETE, EXEC when the server
    /// allows writes).
    pub sql: String,
    /// Most rows to return (at most the server's limit).
    #[serde(default)]
    pub max_rows: Option<usize>,
}

/// The MCP server over one engine.
#[derive(Clone)]
pub struct OktaqlMcp {
    engine: Engine,
    config: McpConfig,
    /// The tools offered (`dry_run` only when writes are allowed).
    tool_router: ToolRouter<OktaqlMcp>,
}

impl std::fmt::Debug for OktaqlMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaqlMcp")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A tool failure as a tool result the agent reads (not a protocol error).
fn failure(message: String) -> CallToolResult {
    CallToolResult::structured_error(json!({ "error": message }))
}

#[tool_router]
impl OktaqlMcp {
    /// A server over `engine`.
    pub fn new(engine: Engine, config: McpConfig) -> OktaqlMcp {
        let mut tool_router = Self::tool_router();
        if !config.allow_writes {
            tool_router.remove_route("dry_run");
        }
        OktaqlMcp {
            engine,
            config,
            tool_router,
        }
    }

    /// Serves the protocol on standard input and output until the client leaves.
    pub async fn serve_stdio(self) -> Result<(), std::io::Error> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(std::io::Error::other)?;
        running.waiting().await.map_err(std::io::Error::other)?;
        Ok(())
    }

    /// Masks secrets in a message.
    fn mask(&self, s: &str) -> String {
        self.engine.secrets().mask_text(s).into_owned()
    }

    /// Plans one statement, refusing writes unless they are allowed.
    fn plan(&self, sql: &str) -> Result<Plan, String> {
        let sources = crate::sql::split_checked(sql).map_err(|e| e.to_string())?;
        let [source] = sources.as_slice() else {
            return Err(format!(
                "give exactly one SQL statement ({} given)",
                sources.len()
            ));
        };
        let source = Source {
            text: source.text.clone(),
            line: 1,
            column: 1,
        };
        let plan = self
            .engine
            .plan_source(&source)
            .map_err(|e| self.mask(&e.to_string()))?;
        if !self.config.allow_writes && crate::runner::is_write(&plan) {
            return Err(
                "this server is read-only: INSERT, DELETE and EXEC that change Okta \
                        are refused; start it with oktaql mcp --allow-writes to allow them"
                    .into(),
            );
        }
        Ok(plan)
    }

    /// A row as a JSON object, secrets masked unless revealed.
    fn row_object(&self, columns: &[String], row: Vec<Value>) -> Value {
        let mut out = Map::new();
        for (name, value) in columns.iter().zip(row) {
            let value = if self.config.reveal_secrets || value.is_null() {
                value
            } else if is_secret_key(name) {
                Value::from(MASK)
            } else {
                self.engine.secrets().mask_json(&value)
            };
            out.insert(name.clone(), value);
        }
        Value::Object(out)
    }

    #[tool(
        description = "List the resources (tables) that SQL can query, as okta.<service>.<resource> names."
    )]
    async fn list_resources(&self, Parameters(args): Parameters<ListArgs>) -> CallToolResult {
        match crate::shell::catalog::resource_names(self.engine.registry(), args.pattern.as_deref())
        {
            Ok(names) => CallToolResult::structured(json!({ "resources": names })),
            Err(e) => failure(e.to_string()),
        }
    }

    #[tool(
        description = "Describe a resource: its columns (with JSON types) and the parameters a query binds in WHERE (required ones must be given)."
    )]
    async fn describe_resource(
        &self,
        Parameters(args): Parameters<DescribeArgs>,
    ) -> CallToolResult {
        let name = args.resource.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return failure(format!(
                "{name:?} is not a resource name: give okta.<service>.<resource>, as list_resources names them"
            ));
        }
        match self.plan(&format!("DESCRIBE EXTENDED {name}")) {
            Ok(Plan::Static(rows)) => {
                let columns = rows.columns.clone();
                let out: Vec<Value> = rows
                    .rows
                    .into_iter()
                    .map(|r| Value::Object(columns.iter().cloned().zip(r).collect()))
                    .collect();
                CallToolResult::structured(json!({ "resource": name, "columns": out }))
            }
            Ok(_) => failure("DESCRIBE did not describe".into()),
            Err(e) => failure(e),
        }
    }

    #[tool(
        description = "Run one SQL statement against Okta and return its rows as JSON objects (row-limited; see truncated). SELECT … FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '…'. Secrets are masked unless the server reveals them. Writes (INSERT, DELETE, EXEC) are refused unless the server allows them."
    )]
    async fn query(&self, Parameters(args): Parameters<QueryArgs>) -> CallToolResult {
        let plan = match self.plan(&args.sql) {
            Ok(p) => p,
            Err(e) => return failure(e),
        };
        let limit = args
            .max_rows
            .unwrap_or(self.config.max_rows)
            .min(self.config.max_rows);
        let outcome = match self.engine.execute(&plan).await {
            Ok(o) => o,
            Err(e) => return failure(self.mask(&e.to_string())),
        };
        let rows = outcome.rows.unwrap_or_default();
        let total = rows.rows.len();
        let out: Vec<Value> = rows
            .rows
            .into_iter()
            .take(limit)
            .map(|r| self.row_object(&rows.columns, r))
            .collect();
        CallToolResult::structured(json!({
            "columns": rows.columns,
            "rows": out,
            "row_count": total,
            "truncated": total > limit,
            "message": outcome.message,
        }))
    }

    #[tool(
        description = "Show the exact REST calls (method, URL, query, body) a SQL statement would make, without sending anything. Use it before a write."
    )]
    async fn dry_run(&self, Parameters(args): Parameters<QueryArgs>) -> CallToolResult {
        let sources = match crate::sql::split_checked(&args.sql) {
            Ok(s) => s,
            Err(e) => return failure(e.to_string()),
        };
        let [source] = sources.as_slice() else {
            return failure("give exactly one SQL statement".into());
        };
        match self.engine.plan_source(source) {
            Ok(plan) => {
                let text = self.mask(&plan_text(&plan));
                let orgs = self.mask(&self.engine.plan_orgs(&plan));
                CallToolResult::structured(json!({
                    "plan": text,
                    "requests": orgs,
                    "writes": crate::runner::is_write(&plan),
                }))
            }
            Err(e) => failure(self.mask(&e.to_string())),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for OktaqlMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("oktaql", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "SQL over the Okta Management API. Find tables with list_resources, their \
                 columns and required WHERE parameters with describe_resource, then run \
                 SELECT with query. The database is okta; tables are okta.<service>.<resource>.",
            )
    }
}

// Keeps `ErrorData` named for the macros' generated code.
#[allow(dead_code)]
type McpError = ErrorData;
