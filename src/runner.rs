//! Running scripts: template rendering, splitting, planning every statement before the
//! first one runs, executing in order, and rendering each result.
//!
//! Used by `oktaql exec` (command-line SQL, `-f` files, standard input) and by the shell.
//! Owns: stop-at-first-failure (or `--continue-on-error`), reporting the file, line and
//! statement that failed and which statements had completed, and `--dry-run`.
//! Writes only to the writers it is given; statement text quoted in messages has its
//! secret values redacted.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::engine::{Engine, StreamedOutcome};
use crate::error::Error;
use crate::exec::CacheScope;
use crate::plan::{plan_text_noted, HttpRequest, Plan, RequestNote};
use crate::render::{OutputFormat, RenderError, RenderOptions, RowWriter};
use crate::secrets::{is_secret_key, SecretValues};
use crate::sql::{self, Source};
use crate::template::{self, Vars};

/// One input to run: a file, standard input, or the command line.
#[derive(Debug, Clone)]
pub struct Script {
    /// What to call it in messages (`runbook.sql`, `<stdin>`, `<command line>`).
    pub name: String,
    /// Its text, before template rendering.
    pub text: String,
}

impl Script {
    /// The script in the SQL file at `path`, named by its path.
    pub fn from_file(path: &std::path::Path) -> Result<Script, ScriptError> {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Script { name, text }),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(ScriptError::NotUtf8 { path: name })
            }
            Err(error) => Err(ScriptError::File { path: name, error }),
        }
    }

    /// The script read to its end from `input` (standard input), named `<stdin>`.
    pub fn from_stdin(mut input: impl std::io::Read) -> Result<Script, ScriptError> {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(ScriptError::Stdin)?;
        Ok(Script {
            name: "<stdin>".into(),
            text,
        })
    }
}

/// Why a script could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file is not UTF-8 text.
    #[error("the SQL file {path} is not UTF-8 text: save it as UTF-8")]
    NotUtf8 {
        /// The file.
        path: String,
    },
    /// The file cannot be read.
    #[error(
        "cannot read the SQL file {path}: {error} — check the path (use -f - for standard input)"
    )]
    File {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// Standard input cannot be read.
    #[error("cannot read standard input")]
    Stdin(#[source] std::io::Error),
}

/// How to run scripts.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output format of result rows.
    pub format: OutputFormat,
    /// Renderer settings.
    pub render: RenderOptions,
    /// Template variables.
    pub vars: Vars,
    /// Keep going after a failed statement.
    pub continue_on_error: bool,
    /// Plan and print each plan; send nothing.
    pub dry_run: bool,
    /// Write a one-line summary of each statement (`2 rows`) to the diagnostics writer.
    pub summaries: bool,
    /// Add each statement's elapsed time to its summary (`2 rows (41.2 ms)`).
    pub timer: bool,
    /// Where the run records the writes it sends, so that whoever stops it (a failed
    /// output file, a signal) can say what was applied.
    pub writes: Arc<WriteLog>,
    /// With JSON output, write the whole run as one document: an array holding each
    /// statement's array of rows, in order (`--one-document`).
    pub one_document: bool,
}

/// The writes (INSERT, DELETE, EXEC of a non-GET method) a run has sent: those applied, and
/// the one in flight. Shared with the caller, who reads it after the run stopped.
#[derive(Debug, Default)]
pub struct WriteLog {
    inner: Mutex<WriteState>,
}

#[derive(Debug, Default)]
struct WriteState {
    applied: Vec<WriteLabel>,
    in_flight: Option<WriteLabel>,
}

/// Where a write is (`file:line`) and its statement; shown redacted, and only when read: a
/// runbook of writes would otherwise redact every statement for a report seldom printed.
#[derive(Debug)]
struct WriteLabel {
    at: String,
    text: String,
}

impl WriteLabel {
    fn shown(&self) -> String {
        format!("{}: {}", self.at, first_line(&self.text))
    }
}

impl WriteLog {
    /// The writes that completed, as `file:line: statement` (secret values redacted).
    pub fn applied(&self) -> Vec<String> {
        self.lock().applied.iter().map(WriteLabel::shown).collect()
    }

    /// The write sent and not yet answered, if any.
    pub fn in_flight(&self) -> Option<String> {
        self.lock().in_flight.as_ref().map(WriteLabel::shown)
    }

    /// Writes to `diag` which writes were applied and which was in flight; returns whether
    /// any was applied.
    pub fn report(&self, diag: &mut dyn Write) -> bool {
        let st = self.lock();
        // A report that cannot be written has nowhere else to go.
        if !st.applied.is_empty() {
            let _ = writeln!(diag, "{} write(s) applied:", st.applied.len());
            for w in &st.applied {
                let _ = writeln!(diag, "  {}", w.shown());
            }
        }
        if let Some(w) = &st.in_flight {
            let _ = writeln!(
                diag,
                "a write was in flight and may have been applied (check with a SELECT):\n  {}",
                w.shown()
            );
        }
        !st.applied.is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WriteState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the write of the statement `text` at `at` (`file:line`) as in flight.
    pub(crate) fn start(&self, at: String, text: &str) {
        self.lock().in_flight = Some(WriteLabel {
            at,
            text: text.to_string(),
        });
    }

    pub(crate) fn finish(&self, applied: bool) {
        let mut st = self.lock();
        if let Some(what) = st.in_flight.take() {
            if applied {
                st.applied.push(what);
            }
        }
    }
}

/// Whether executing `plan` changes something at Okta: an INSERT or DELETE, or an EXEC whose
/// request is not a GET.
pub fn is_write(plan: &Plan) -> bool {
    match plan {
        Plan::Mutation(m) => {
            m.requests.is_empty()
                || m.requests
                    .iter()
                    .any(|r| !matches!(r.http_method.as_str(), "GET" | "HEAD"))
        }
        _ => false,
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Statements that completed.
    pub succeeded: usize,
    /// Statements that failed (or were not run because an earlier one failed planning).
    pub failed: usize,
    /// Statements skipped after a failure.
    pub skipped: usize,
    /// Whether any rendered row set had a secret-named column or a cell holding a secret
    /// value this run received or sent (whatever the column is called).
    pub wrote_secrets: bool,
    /// Where each failure is: `file:line: first line of the statement`.
    pub failures: Vec<String>,
}

/// Why a run ended early without a statement failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output was closed (`| head`): stop quietly.
    #[error("output closed")]
    BrokenPipe,
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[source] RenderError),
}

struct Prepared {
    script: usize,
    source: Source,
    plan: Result<Plan, Error>,
}

/// Below this many statements, planning on one thread is quicker than starting others.
const PARALLEL_PLANNING_FROM: usize = 64;

/// Parses and plans every statement, in order. A long batch is planned on several threads
/// (planning is pure and each statement's plan stands alone), so a runbook of thousands of
/// statements does not wait for them one after another before the first request.
fn plan_all(engine: &Engine, sources: &[(usize, Source)]) -> Vec<Result<Plan, Error>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(sources.len() / (PARALLEL_PLANNING_FROM / 2))
        .max(1);
    if threads == 1 {
        return sources.iter().map(|(_, s)| engine.plan_source(s)).collect();
    }
    // The first statement loads the provider documents it needs, once, before the others
    // start (most statements of a batch use the same ones).
    let (first, rest) = sources.split_at(1);
    let mut plans: Vec<Result<Plan, Error>> = vec![engine.plan_source(&first[0].1)];
    let chunk = rest.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rest
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, s)| engine.plan_source(s))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for w in workers {
            // Planning does not panic (it is fuzzed); if it ever did, the panic goes on as it
            // would have on this thread.
            plans.extend(w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
    });
    plans
}

/// Runs scripts in order. Every statement of every script is rendered, parsed and planned
/// before the first is executed, so a mistake anywhere stops the run before anything is
/// sent. Result rows go to `out`, errors and summaries to `diag`.
///
/// With `continue_on_error`, a closing summary (statements run, failed, and where each
/// failure is) ends the diagnostics. With `one_document` and JSON output, `out` receives one
/// JSON array whose elements are the statements' row arrays.
pub async fn run_scripts(
    engine: &Engine,
    scripts: &[Script],
    options: &RunOptions,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> Result<RunReport, RunError> {
    let document = options.one_document && options.format == OutputFormat::Json && !options.dry_run;
    if document {
        write_out(out, b"[\n")?;
    }
    let report = run_inner(engine, scripts, options, out, diag).await?;
    if document {
        write_out(out, b"]\n")?;
    }
    if options.continue_on_error {
        let ran = report.succeeded + report.failed;
        let _ = writeln!(
            diag,
            "ran {ran} statement(s): {} succeeded, {} failed",
            report.succeeded, report.failed
        );
        for f in &report.failures {
            let _ = writeln!(diag, "  failed: {f}");
        }
    }
    Ok(report)
}

async fn run_inner(
    engine: &Engine,
    scripts: &[Script],
    options: &RunOptions,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> Result<RunReport, RunError> {
    let mut report = RunReport::default();
    let document = options.one_document && options.format == OutputFormat::Json && !options.dry_run;
    // 1. Templates: report every undefined variable of every script up front.
    let mut rendered = Vec::with_capacity(scripts.len());
    let mut template_failed = false;
    for s in scripts {
        let result = template::undefined_variables(&s.text, &options.vars).and_then(|missing| {
            if missing.is_empty() {
                template::render(&s.text, &options.vars)
            } else {
                Err(template::TemplateError::Undefined { names: missing })
            }
        });
        match result {
            Ok(text) => rendered.push(text),
            Err(e) => {
                let text = engine.secrets().mask_text(&e.to_string()).into_owned();
                let _ = writeln!(diag, "error: {}: {text}", s.name);
                report.failures.push(format!("{}: template", s.name));
                template_failed = true;
                rendered.push(String::new());
            }
        }
    }
    if template_failed {
        report.failed += 1;
        return Ok(report);
    }
    // 2. Split, parse and plan everything.
    let mut split = Vec::new();
    for (i, text) in rendered.iter().enumerate() {
        match sql::split_checked(text) {
            Ok(sources) => split.extend(sources.into_iter().map(|source| (i, source))),
            Err(e) => {
                let _ = writeln!(
                    diag,
                    "error: {}:{}:{}: {}",
                    scripts[i].name, e.line, e.column, e.message
                );
                report.failures.push(format!(
                    "{}:{}: could not be split",
                    scripts[i].name, e.line
                ));
                report.failed += 1;
            }
        }
    }
    let plans = plan_all(engine, &split);
    let prepared: Vec<Prepared> = split
        .into_iter()
        .zip(plans)
        .map(|((script, source), plan)| Prepared {
            script,
            source,
            plan,
        })
        .collect();
    if report.failed > 0 && !options.continue_on_error {
        return Ok(report);
    }
    let plan_failures = prepared.iter().filter(|p| p.plan.is_err()).count();
    if plan_failures > 0 && !options.continue_on_error {
        for p in prepared.iter().filter(|p| p.plan.is_err()) {
            if let Err(e) = &p.plan {
                statement_error(
                    diag,
                    &scripts[p.script].name,
                    &p.source,
                    e,
                    engine.secrets(),
                );
            }
        }
        if prepared.len() > 1 {
            let _ = writeln!(
                diag,
                "nothing was run: {} of {} statements could not be planned",
                plan_failures,
                prepared.len()
            );
        }
        report.failed += plan_failures;
        report.skipped += prepared.len() - plan_failures;
        return Ok(report);
    }
    // 3. Execute (or print plans). Consecutive reads are pipelined: up to the client's
    // concurrency of them run at once, their output still in statement order; a write is a
    // barrier (everything before it has finished, nothing after it has started).
    let total = prepared.len();
    let mut results = 0usize;
    let depth = engine.client().config().concurrency.max(1);
    let mut ahead = futures::stream::FuturesOrdered::new();
    // Reads that finished early because an earlier statement failed (below), in order.
    let mut finished = std::collections::VecDeque::new();
    let mut started_upto = 0usize;
    let mut shared_gets = DryRunGets::new(engine.client().cache());
    for (n, p) in prepared.iter().enumerate() {
        let name = &scripts[p.script].name;
        let plan = match &p.plan {
            Ok(plan) => plan,
            Err(e) => {
                settle(&mut ahead, &mut finished).await;
                statement_error(diag, name, &p.source, e, engine.secrets());
                report.failures.push(failure(name, &p.source));
                report.failed += 1;
                continue;
            }
        };
        if options.dry_run {
            let notes = shared_gets.notes(plan, &format!("{name}:{}", p.source.line));
            // Both walks visit the plan's ready requests in the same order as `notes`.
            let mut shown_as = notes.iter().map(|(note, _)| note.clone());
            let shown =
                plan_text_noted(plan, &mut |_| shown_as.next().unwrap_or(RequestNote::Plain));
            let mut sent = notes.iter().map(|(_, sent)| *sent);
            let orgs = engine.plan_orgs_sent(plan, &mut |_| sent.next().unwrap_or(true));
            let text = format!(
                "-- {name}:{}: {}\n{}{}",
                p.source.line,
                first_line(&p.source.text),
                shown,
                if orgs.is_empty() {
                    String::new()
                } else {
                    format!("sent to:\n{orgs}")
                }
            );
            write_out(out, text.as_bytes())?;
            report.succeeded += 1;
            continue;
        }
        let write = is_write(plan);
        let (started, executed) = if write {
            options
                .writes
                .start(format!("{name}:{}", p.source.line), &p.source.text);
            let started = Instant::now();
            let executed = engine.execute_streamed(plan).await;
            options.writes.finish(executed.is_ok());
            (started, executed)
        } else {
            // Start this read and the reads after it, up to the depth and the next write.
            started_upto = started_upto.max(n);
            while started_upto < total && ahead.len() + finished.len() < depth {
                match &prepared[started_upto].plan {
                    Err(_) => {}
                    Ok(next) if is_write(next) => break,
                    Ok(next) => ahead.push_back(async move {
                        let started = Instant::now();
                        (started, engine.execute_streamed(next).await)
                    }),
                }
                started_upto += 1;
            }
            let next = match finished.pop_front() {
                Some(done) => Some(done),
                None => futures::StreamExt::next(&mut ahead).await,
            };
            match next {
                Some(done) => done,
                // Unreachable: this read was started above; run it here all the same.
                None => (Instant::now(), engine.execute_streamed(plan).await),
            }
        };
        if document && executed.is_ok() {
            // A statement that failed before any output leaves no element: the separator
            // goes only between results.
            if results > 0 {
                write_out(out, b",\n")?;
            }
            results += 1;
        }
        // EXEC answers carry Okta's `_links` (lifecycle URLs): noise in a table or text
        // line, kept in the machine formats (JSON, JSONL, CSV) where a script may want them.
        let hide_links = matches!(plan, Plan::Mutation(m) if m.verb == crate::provider::SqlVerb::Exec)
            && matches!(options.format, OutputFormat::Table | OutputFormat::Text);
        // A write that prints no rows says what it did (`deleted 1 from …`) on the
        // diagnostics writer in the formats read by people, as psql says `DELETE 1`; the
        // machine formats stay as they were, and rows never share stdout with it.
        let report_write = write && options.format.is_for_people();
        let done = match executed {
            Ok(outcome) => emit(
                outcome,
                hide_links,
                report_write,
                started,
                options,
                engine.secrets(),
                out,
                diag,
                &mut report,
            ),
            Err(e) => Err(Emit::Statement(e)),
        };
        match done {
            Ok(()) => report.succeeded += 1,
            Err(Emit::Output(e)) => return Err(e),
            Err(Emit::Statement(e)) => {
                settle(&mut ahead, &mut finished).await;
                statement_error(diag, name, &p.source, &e, engine.secrets());
                report.failures.push(failure(name, &p.source));
                report.failed += 1;
                if !options.continue_on_error {
                    report.skipped = total - n - 1;
                    if total == 1 {
                        return Ok(report);
                    }
                    let _ = writeln!(
                        diag,
                        "stopped: {} of {total} statements completed{}",
                        report.succeeded,
                        completed_list(&prepared[..n])
                    );
                    return Ok(report);
                }
            }
        }
    }
    Ok(report)
}

/// What a dry run says of identical GETs: the client answers them once within a statement
/// and, for the whole run ([`CacheScope::Run`], `oktaql exec`) or across shell statements
/// ([`CacheScope::Ttl`]), from an earlier statement until a write.
struct DryRunGets {
    scope: CacheScope,
    /// GETs of earlier statements since the last write, with where they are.
    earlier: std::collections::HashMap<String, String>,
}

impl DryRunGets {
    fn new(scope: CacheScope) -> DryRunGets {
        DryRunGets {
            scope,
            earlier: std::collections::HashMap::new(),
        }
    }

    /// How each planned request of `plan` (the statement at `place`) is shown, and whether
    /// it is sent, in plan order.
    fn notes(&mut self, plan: &Plan, place: &str) -> Vec<(RequestNote, bool)> {
        let requests: Vec<&HttpRequest> = crate::engine::ready_requests(plan)
            .into_iter()
            .flat_map(|(_, _, requests)| requests)
            .collect();
        if self.scope == CacheScope::Off {
            return vec![(RequestNote::Plain, true); requests.len()];
        }
        let write = is_write(plan);
        if write {
            self.earlier.clear();
        }
        let keys: Vec<Option<String>> = requests
            .iter()
            .map(|r| crate::exec::shared_get_key(r))
            .collect();
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for k in keys.iter().flatten() {
            *counts.entry(k).or_default() += 1;
        }
        let across = matches!(self.scope, CacheScope::Run | CacheScope::Ttl(_));
        let mut seen = std::collections::HashSet::new();
        let mut notes = Vec::with_capacity(requests.len());
        for key in &keys {
            let Some(key) = key else {
                notes.push((RequestNote::Plain, true));
                continue;
            };
            if !seen.insert(key.as_str()) {
                // The first line (with its note) stands for every identical GET.
                notes.push((RequestNote::Hidden, false));
                continue;
            }
            let n = counts.get(key.as_str()).copied().unwrap_or(1);
            let (others, verb) = match n - 1 {
                1 => (
                    "the other identical GET of this statement".to_string(),
                    "is",
                ),
                k => (
                    format!("the {k} other identical GETs of this statement"),
                    "are",
                ),
            };
            let note = match self.earlier.get(key).filter(|_| across) {
                Some(first) if n > 1 => (
                    RequestNote::Noted(format!(
                        "answered from the identical GET of {first}, as {verb} {others}: not sent"
                    )),
                    false,
                ),
                Some(first) => (
                    RequestNote::Noted(format!(
                        "answered from the identical GET of {first}: not sent"
                    )),
                    false,
                ),
                None if n > 1 => (
                    RequestNote::Noted(format!("sent once: {others} {verb} answered from it")),
                    true,
                ),
                None => (RequestNote::Plain, true),
            };
            notes.push(note);
        }
        if across && !write {
            for key in keys.into_iter().flatten() {
                self.earlier.entry(key).or_insert_with(|| place.to_string());
            }
        }
        notes
    }
}

/// Lets every read still in flight finish, keeping its result in order in `finished`:
/// a failure's message is masked with every secret those reads received, as it would be
/// had the statements run one by one (a secret learned a moment later is still masked).
async fn settle<F: std::future::Future>(
    ahead: &mut futures::stream::FuturesOrdered<F>,
    finished: &mut std::collections::VecDeque<F::Output>,
) {
    while let Some(done) = futures::StreamExt::next(ahead).await {
        finished.push_back(done);
    }
}

/// Why writing a statement's result stopped.
enum Emit {
    /// The statement failed while its rows were read (SQLite stopped on a row).
    Statement(Error),
    /// The output failed or was closed.
    Output(RunError),
}

impl From<Error> for Emit {
    fn from(e: Error) -> Self {
        Emit::Statement(e)
    }
}

impl From<RunError> for Emit {
    fn from(e: RunError) -> Self {
        Emit::Output(e)
    }
}

impl From<RenderError> for Emit {
    fn from(e: RenderError) -> Self {
        Emit::Output(if e.is_broken_pipe() {
            RunError::BrokenPipe
        } else {
            RunError::Output(e)
        })
    }
}

/// Writes a statement's rows to `out` as they are read (the result is never held whole),
/// then its summary to `diag`: with `summaries`, or for a write (`report_write`) that
/// printed no rows.
#[allow(clippy::too_many_arguments)]
fn emit(
    mut outcome: StreamedOutcome,
    hide_links: bool,
    report_write: bool,
    started: Instant,
    options: &RunOptions,
    secrets: &SecretValues,
    out: &mut dyn Write,
    diag: &mut dyn Write,
    report: &mut RunReport,
) -> Result<(), Emit> {
    let mut written = 0;
    if let Some(rows) = outcome.rows.take() {
        let secret = std::cell::Cell::new(report.wrote_secrets);
        // Which columns are shown (all but `_links` when hidden).
        let shown = std::cell::RefCell::new(Vec::<bool>::new());
        let mut kept: Vec<serde_json::Value> = Vec::new();
        let writer = rows.for_each(
            |columns| {
                if columns.iter().any(|c| is_secret_key(c)) {
                    secret.set(true);
                }
                let keep: Vec<bool> = columns
                    .iter()
                    .map(|c| !(hide_links && c == "_links"))
                    .collect();
                let names: Vec<String> = columns
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(c, _)| c.clone())
                    .collect();
                *shown.borrow_mut() = keep;
                Ok::<_, Emit>(RowWriter::new(
                    options.format,
                    &options.render,
                    &names,
                    &mut *out,
                )?)
            },
            |writer, cells| {
                // A secret is a secret under any name and inside any function's result.
                // One look at the known values per row, not per cell.
                if !secret.get() {
                    let known = secrets.matcher();
                    if !known.is_empty() {
                        secret.set(cells.iter().any(|c| known.in_json(c)));
                    }
                }
                let shown = shown.borrow();
                if shown.iter().all(|k| *k) {
                    return Ok(writer.write_row(cells)?);
                }
                kept.clear();
                kept.extend(
                    cells
                        .iter()
                        .zip(shown.iter())
                        .filter(|(_, k)| **k)
                        .map(|(c, _)| c.clone()),
                );
                Ok(writer.write_row(&kept)?)
            },
        )?;
        report.wrote_secrets = secret.get();
        written = writer.rows();
        writer.finish()?;
        write_out(out, b"")?;
    } else if options.format == OutputFormat::Json {
        // One JSON document per statement, so `jq` sees as many documents as statements.
        write_out(out, b"[]\n")?;
    }
    if options.summaries || (report_write && written == 0) {
        let message = outcome.message(written);
        if options.timer {
            let _ = writeln!(diag, "{message} ({})", elapsed_text(started.elapsed()));
        } else {
            let _ = writeln!(diag, "{message}");
        }
    }
    Ok(())
}

/// `41.2 ms`, `3.08 s`.
pub fn elapsed_text(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn write_out(out: &mut dyn Write, bytes: &[u8]) -> Result<(), RunError> {
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(RunError::BrokenPipe),
        Err(e) => Err(RunError::Output(RenderError::from(e))),
    }
}

/// The first non-blank line of a statement, for messages: secret values redacted (the
/// statement may hold a client secret from a template variable), at most 80 characters.
fn first_line(text: &str) -> String {
    let text = crate::shell::redact::redact(text);
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>())
    } else {
        line.to_string()
    }
}

/// `file:line: first line` of a failed statement, for the closing summary.
fn failure(name: &str, source: &Source) -> String {
    format!("{name}:{}: {}", source.line, first_line(&source.text))
}

fn completed_list(done: &[Prepared]) -> String {
    if done.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = done
        .iter()
        .map(|p| format!("line {}", p.source.line))
        .collect();
    format!(" (completed: {})", lines.join(", "))
}

/// Writes a failed statement's error with where it is, every known secret value masked.
pub fn statement_error(
    diag: &mut dyn Write,
    name: &str,
    source: &Source,
    e: &Error,
    secrets: &SecretValues,
) {
    let position = e.position(source);
    let (line, column) = position.map_or((source.line, source.column), |p| (p.line, p.column));
    // A syntax error's own text repeats the position the prefix already gives.
    let text = match e {
        Error::Sql(s) => format!("syntax error: {}", s.message),
        _ => e.to_string(),
    };
    let _ = writeln!(
        diag,
        "error: {name}:{line}:{column}: {}",
        secrets.mask_text(&text)
    );
    match position.and_then(|p| pointer(source, p, secrets)) {
        Some(lines) => {
            let _ = write!(diag, "{lines}");
        }
        None => {
            let _ = writeln!(diag, "  in: {}", first_line(&source.text));
        }
    }
}

/// The source line holding `position` with a caret under the token, psql-style:
///
/// ```text
///    4 | SELECT id FROM okta.apps.secrets
///      |                ^^^^^^^^^^^^^^^^^
/// ```
///
/// The line is shown with secrets redacted; the caret follows the token when redaction
/// changed only what stands before it. `None` when it cannot (the token itself was
/// redacted) or the line is too long to show whole.
fn pointer(
    source: &Source,
    position: crate::sql::Position,
    secrets: &SecretValues,
) -> Option<String> {
    /// Longer lines are shown by their first line only ("in: …").
    const MAX_LINE: usize = 200;
    let (line, mut caret) = crate::sql::caret(source, position)?;
    // Redacted as a whole statement: a line alone may not parse, and then loses every literal.
    let redacted = crate::shell::redact::redact(&source.text);
    let redacted = Source {
        text: secrets.mask_text(&redacted).into_owned(),
        ..source.clone()
    };
    let (shown, _) = crate::sql::caret(&redacted, position).unwrap_or_default();
    if shown.chars().count() > MAX_LINE {
        return None;
    }
    if shown != line {
        // The token and the rest of the line must be unchanged: then the caret moves by
        // what redaction changed before it.
        let rest: String = line.chars().skip(position.column - 1).collect();
        if rest.trim().is_empty() || !shown.ends_with(&rest) {
            return None;
        }
        let column = shown.chars().count() - rest.chars().count();
        caret = format!(
            "{}{}",
            " ".repeat(column),
            "^".repeat(position.width.max(1))
        );
    }
    let number = position.line.to_string();
    let pad = " ".repeat(number.len());
    Some(format!(
        "  {number} | {}\n  {pad} | {}\n",
        shown.trim_end(),
        caret
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_log_shows_where_each_write_is_with_its_secrets_redacted() {
        let log = WriteLog::default();
        let secret = "Zq8vN3xLw0Tr5YbK2mHs7PdE4cJ9aGfU";
        let insert = format!(
            "\n  INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId)\n  \
             SELECT '{secret}', 'acme', '0oa1';"
        );
        log.start("rotate.sql:3".into(), &insert);
        let in_flight = log.in_flight().unwrap();
        assert!(in_flight.starts_with("rotate.sql:3: INSERT INTO okta.apps.secrets"));
        log.finish(true);
        assert_eq!(log.in_flight(), None);
        log.start(
            "rotate.sql:9".into(),
            &format!("DELETE FROM t WHERE client_secret = '{secret}'"),
        );
        log.finish(false);
        log.start(
            "rotate.sql:12".into(),
            "EXEC okta.apps.secrets.deactivate @x = '1';",
        );
        let mut report = Vec::new();
        assert!(log.report(&mut report));
        let report = String::from_utf8(report).unwrap();
        assert!(!report.contains(secret), "{report}");
        assert_eq!(log.applied().len(), 1, "the failed DELETE was not applied");
        assert!(
            report.contains("1 write(s) applied:\n  rotate.sql:3: INSERT INTO"),
            "{report}"
        );
        assert!(
            report.contains(
                "in flight and may have been applied (check with a SELECT):\n  rotate.sql:12: EXEC"
            ),
            "{report}"
        );
        // The one-line form of a long statement is cut, and keeps its redaction.
        log.finish(true);
        log.start(
            "rotate.sql:20".into(),
            &format!("SELECT * FROM okta.apps.secrets WHERE subdomain = 'acme' AND client_secret = '{secret}' AND id = '1'"),
        );
        let shown = log.in_flight().unwrap();
        assert!(!shown.contains(secret) && shown.ends_with('…'), "{shown}");
    }
}
