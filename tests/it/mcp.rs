//! `oktaql mcp --sandbox` driven by rmcp's client over stdio: initialize, list tools,
//! list and describe resources, a query (secrets masked), a refused write, and with
//! `--allow-writes` the dry_run tool.

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{object, ServiceExt};
use serde_json::Value;

use oktaql::sandbox::DEMO_APP_TWO_SECRETS;

/// Starts `oktaql mcp --sandbox` with `extra` flags and completes the handshake.
async fn start(extra: &[&str]) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_oktaql")).configure(|c| {
        c.args(["mcp", "--sandbox"]).args(&extra);
    });
    ().serve(TokioChildProcess::new(cmd).unwrap())
        .await
        .expect("initialize")
}

/// The structured content of a tool result.
fn content(r: &CallToolResult) -> &Value {
    r.structured_content.as_ref().expect("structured content")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_lists_describes_and_queries() {
    let client = start(&[]).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("oktaql")
    );
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(tools.len(), 3, "{tools:?}");
    for t in ["list_resources", "describe_resource", "query"] {
        assert!(tools.contains(&t.to_string()), "{tools:?}");
    }
    let listed = client
        .call_tool(CallToolRequestParams::new("list_resources").with_arguments(object!({})))
        .await
        .unwrap();
    let names = content(&listed)["resources"].as_array().unwrap();
    assert!(names.iter().any(|n| n == "okta.apps.secrets"), "{names:?}");

    let described = client
        .call_tool(
            CallToolRequestParams::new("describe_resource")
                .with_arguments(object!({ "resource": "okta.apps.secrets" })),
        )
        .await
        .unwrap();
    let columns = content(&described)["columns"].as_array().unwrap();
    assert!(
        columns.iter().any(|c| c["name"] == "client_secret"),
        "{columns:?}"
    );
    assert!(columns
        .iter()
        .any(|c| c["name"] == "appId" && c["kind"] == "required parameter"));

    let sql = format!(
        "SELECT id, status, client_secret FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}'"
    );
    let result = client
        .call_tool(
            CallToolRequestParams::new("query")
                .with_arguments(object!({ "sql": sql.clone(), "max_rows": 1 })),
        )
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let out = content(&result);
    assert_eq!(out["row_count"], 2);
    assert_eq!(out["truncated"], true);
    let rows = out["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["client_secret"], "****", "secrets are masked");

    let write = client
        .call_tool(CallToolRequestParams::new("query").with_arguments(object!({
            "sql": format!("DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' AND secretId = 'x'")
        })))
        .await
        .unwrap();
    assert_eq!(write.is_error, Some(true));
    assert!(
        content(&write)["error"]
            .as_str()
            .unwrap()
            .contains("--allow-writes"),
        "{write:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_writes_allowed_dry_run_shows_the_calls_and_secrets_can_be_revealed() {
    let client = start(&["--allow-writes", "--reveal-secrets"]).await;
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(tools.contains(&"dry_run".to_string()), "{tools:?}");
    let plan = client
        .call_tool(CallToolRequestParams::new("dry_run").with_arguments(object!({
            "sql": format!("DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}' AND secretId = 'ocsX'")
        })))
        .await
        .unwrap();
    let text = content(&plan)["requests"].as_str().unwrap().to_string();
    assert!(text.contains("DELETE"), "{text}");
    assert!(
        text.contains(&format!(
            "/api/v1/apps/{DEMO_APP_TWO_SECRETS}/credentials/secrets/ocsX"
        )),
        "{text}"
    );
    let result = client
        .call_tool(CallToolRequestParams::new("query").with_arguments(object!({
            "sql": format!("SELECT client_secret FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{DEMO_APP_TWO_SECRETS}'")
        })))
        .await
        .unwrap();
    let rows = content(&result)["rows"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .all(|r| r["client_secret"] != "****" && r["client_secret"].is_string()),
        "{rows:?}"
    );
    client.cancel().await.unwrap();
}
