//! Results streamed from SQLite to the output: the runner writes each row as SQLite steps
//! through it, and the bytes are the same as rendering the collected result
//! (`Engine::execute` then `render`), in every format, against the sandbox.

use std::io::Write;

use oktaql::provider::Registry;
use oktaql::render::{render, OutputFormat, RenderOptions};
use oktaql::runner::{run_scripts, RunError, RunOptions, Script};
use oktaql::sandbox::{Sandbox, SandboxConfig, DEMO_APP_TWO_SECRETS, DEMO_ORG};
use oktaql::sql::Source;
use oktaql::{Engine, EngineConfig, Rows};

const ALL: [OutputFormat; 6] = [
    OutputFormat::Table,
    OutputFormat::Json,
    OutputFormat::Jsonl,
    OutputFormat::Csv,
    OutputFormat::Text,
    OutputFormat::Markdown,
];

/// Apps in the demo org: one more than the largest page (200), so every list is two pages
/// and no more rows than that are rendered nine ways.
const APPS: usize = 201;

/// The sandbox (its demo org has more apps than one page holds) and an engine using it.
async fn env() -> (Engine, Sandbox) {
    let sandbox = Sandbox::start(SandboxConfig {
        demo_apps: APPS,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mut config = EngineConfig::new(Registry::embedded());
    config.server_url = Some(sandbox.url_template());
    config.client.token = Some(sandbox.token().to_string());
    let engine = Engine::new(config).unwrap();
    // Responses are kept for the run: each statement is rendered ten ways and the subject is
    // the rendering, not fetching the same 201 apps again.
    engine.client().set_cache(oktaql::exec::CacheScope::Run);
    (engine, sandbox)
}

fn options(format: OutputFormat, render: RenderOptions) -> RunOptions {
    RunOptions {
        format,
        render,
        summaries: true,
        ..RunOptions::default()
    }
}

/// Runs one statement through the runner: (output, diagnostics, statements that failed).
async fn streamed(engine: &Engine, sql: &str, options: &RunOptions) -> (String, String, usize) {
    let script = Script {
        name: "<test>".into(),
        text: sql.to_string(),
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let report = run_scripts(engine, &[script], options, &mut out, &mut diag)
        .await
        .unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(diag).unwrap(),
        report.failed,
    )
}

/// The statement executed whole (`Engine::run`, which reads every row first).
async fn collected(engine: &Engine, sql: &str) -> Rows {
    engine.run(&Source::new(sql)).await.unwrap().rows.unwrap()
}

/// Collected rows rendered in one call.
fn rendered(rows: &Rows, options: &RunOptions) -> String {
    let mut out = Vec::new();
    render(rows, options.format, &options.render, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Statement `sql` streamed in every format (and the headerless ones) is the collected
/// result rendered: same bytes, and the row count after the rows.
async fn streamed_is_collected(sql: &str) {
    let (engine, _sandbox) = env().await;
    let hidden = RenderOptions {
        hide_headers: true,
        ..RenderOptions::default()
    };
    let cases = ALL
        .iter()
        .map(|f| options(*f, RenderOptions::default()))
        .chain(
            [OutputFormat::Table, OutputFormat::Csv, OutputFormat::Text]
                .iter()
                .map(|f| options(*f, hidden)),
        );
    let cases: Vec<RunOptions> = cases.collect();
    let rows = collected(&engine, sql).await;
    let n = rows.len();
    let count = if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    };
    for opts in &cases {
        let (got, diag, failed) = streamed(&engine, sql, opts).await;
        assert_eq!(failed, 0, "{sql}: {diag}");
        assert_eq!(got, rendered(&rows, opts), "{:?}: {sql}", opts.format);
        // The row count comes after the rows, and counts what was written.
        assert_eq!(diag, format!("{count}\n"), "{sql}");
    }
}

// One test per statement, so that they run side by side.

/// Every column, objects included, over several pages.
#[tokio::test]
async fn streamed_output_is_the_collected_output_for_every_column() {
    streamed_is_collected(&format!(
        "SELECT * FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}'"
    ))
    .await;
}

/// Expressions, JSON functions, ordering.
#[tokio::test]
async fn streamed_output_is_the_collected_output_for_expressions() {
    streamed_is_collected(&format!(
        "SELECT id, label, json_extract(_links, '$.users') AS users, \
         json_object('s', status) AS o, length(label) AS n \
         FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' ORDER BY label DESC LIMIT 40"
    ))
    .await;
}

/// Aggregates.
#[tokio::test]
async fn streamed_output_is_the_collected_output_for_aggregates() {
    streamed_is_collected(&format!(
        "SELECT status, count(*) AS n, json_group_array(id) AS ids \
         FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' GROUP BY status"
    ))
    .await;
}

/// No matching row.
#[tokio::test]
async fn streamed_output_is_the_collected_output_for_no_rows() {
    streamed_is_collected(&format!(
        "SELECT id, status FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}' AND status = 'NONE'"
    ))
    .await;
}

/// A list with objects, and a static result.
#[tokio::test]
async fn streamed_output_is_the_collected_output_for_objects_and_static_results() {
    streamed_is_collected(&format!(
        "SELECT * FROM okta.apps.secrets WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'"
    ))
    .await;
    streamed_is_collected("SHOW RESOURCES IN okta.apps").await;
}

#[tokio::test]
async fn a_query_failing_part_way_is_a_failed_statement() {
    let (engine, _sandbox) = env().await;
    // SQLite fails on the last row, after the others were written.
    let sql = format!(
        "SELECT CASE WHEN rowid = {APPS} THEN abs(-9223372036854775808) ELSE id END AS x \
         FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}'; \
         SELECT count(*) AS after FROM okta.apps.secrets \
         WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'"
    );
    let opts = options(OutputFormat::Csv, RenderOptions::default());
    let (out, diag, failed) = streamed(&engine, &sql, &opts).await;
    assert_eq!(failed, 1);
    assert!(diag.contains("integer overflow"), "{diag}");
    assert!(
        diag.contains("stopped: 0 of 2 statements completed"),
        "{diag}"
    );
    assert!(
        !diag.contains(" rows\n"),
        "no row count for a failed statement: {diag}"
    );
    // The rows before the failing one were written as they came: the header and all but one.
    assert!(out.starts_with("x\n"), "{out}");
    assert_eq!(out.lines().count(), APPS, "{out}");
    assert!(
        !out.contains("after"),
        "the next statement did not run: {out}"
    );

    // Going on after the error runs the next statement.
    let opts = RunOptions {
        continue_on_error: true,
        ..opts
    };
    let (out, diag, failed) = streamed(&engine, &sql, &opts).await;
    assert_eq!(failed, 1);
    assert!(out.ends_with("after\n2\n"), "{out}");
    // The last statement's summary, then the run's closing summary.
    assert!(
        diag.contains("1 row\nran 2 statement(s): 1 succeeded, 1 failed\n"),
        "{diag}"
    );
    assert!(diag.contains("  failed: <test>:1: "), "{diag}");
}

/// A writer that takes `left` bytes, then reports a closed pipe.
struct ClosesAfter {
    left: usize,
    taken: Vec<u8>,
}

impl Write for ClosesAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_reader_going_away_mid_result_stops_the_run_quietly() {
    let (engine, _sandbox) = env().await;
    let script = Script {
        name: "<test>".into(),
        text: format!(
            "SELECT * FROM okta.apps.applications WHERE subdomain = '{DEMO_ORG}'; \
             SELECT count(*) AS after FROM okta.apps.secrets \
         WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'"
        ),
    };
    for format in ALL {
        let mut out = ClosesAfter {
            left: 20_000,
            taken: Vec::new(),
        };
        let mut diag = Vec::new();
        let result = run_scripts(
            &engine,
            std::slice::from_ref(&script),
            &options(format, RenderOptions::default()),
            &mut out,
            &mut diag,
        )
        .await;
        assert!(
            matches!(result, Err(RunError::BrokenPipe)),
            "{format:?}: {result:?}"
        );
        assert_eq!(out.taken.len(), 20_000, "{format:?}");
        assert!(
            diag.is_empty(),
            "{format:?}: {}",
            String::from_utf8_lossy(&diag)
        );
    }
}

#[tokio::test]
async fn results_with_client_secrets_are_flagged_when_streamed() {
    let (engine, _sandbox) = env().await;
    let script = Script {
        name: "<test>".into(),
        text: format!(
            "SELECT id, client_secret FROM okta.apps.secrets \
             WHERE subdomain = '{DEMO_ORG}' AND appId = '{DEMO_APP_TWO_SECRETS}'"
        ),
    };
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let report = run_scripts(
        &engine,
        &[script],
        &options(OutputFormat::Jsonl, RenderOptions::default()),
        &mut out,
        &mut diag,
    )
    .await
    .unwrap();
    assert!(report.wrote_secrets);
    assert_eq!(report.succeeded, 1);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
}
