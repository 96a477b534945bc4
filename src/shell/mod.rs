//! The interactive shell: a rustyline prompt over the same runner as `oktaql exec` (the
//! prompt itself needs the `shell` feature; the pure parts — lexing, completion, meta
//! commands, history redaction — build without it).
//!
//! Owns: the read–run loop; multi-line input to `;` (several statements per input);
//! meta commands ([`meta::MetaCommand`]); the history file (XDG data directory, mode 0600,
//! secrets redacted before a line enters the history — [`redact`]); completion, hints and
//! highlighting ([`editor`]); Ctrl-C cancelling a running statement (its HTTP requests are
//! dropped) or clearing a partial input; Ctrl-D leaving. An error never ends the shell.
//! Must not: parse or plan SQL itself (the runner and engine do), or write a secret to disk.

pub mod catalog;
pub mod complete;
#[cfg(feature = "shell")]
pub mod editor;
pub mod highlight;
pub mod lex;
pub mod meta;
pub mod pager;
pub mod redact;

#[cfg(feature = "shell")]
use std::io::Write;
#[cfg(feature = "shell")]
use std::path::{Path, PathBuf};

#[cfg(feature = "shell")]
use rustyline::config::{ColorMode, CompletionType, Config, EditMode};
#[cfg(feature = "shell")]
use rustyline::error::ReadlineError;
#[cfg(feature = "shell")]
use rustyline::history::FileHistory;
#[cfg(feature = "shell")]
use rustyline::Editor;

#[cfg(feature = "shell")]
use crate::engine::Engine;
#[cfg(feature = "shell")]
use crate::runner::{run_scripts, RunError, RunOptions, Script};
#[cfg(feature = "shell")]
use crate::template::Vars;

#[cfg(feature = "shell")]
use editor::LineSupport;
#[cfg(feature = "shell")]
use meta::{Help, MetaCommand};

#[cfg(feature = "shell")]
/// Why the shell could not start or went on no further.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The line editor failed (the terminal went away, …).
    #[error("the line editor failed: {0}")]
    Editor(#[from] ReadlineError),
    /// Writing to the terminal failed.
    #[error("cannot write to the terminal: {0}")]
    Output(#[from] std::io::Error),
}

#[cfg(feature = "shell")]
/// How to run the shell.
#[derive(Debug, Clone, Default)]
pub struct ShellConfig {
    /// Output format, renderer settings, template variables, timer, dry run.
    pub options: RunOptions,
    /// The history file; `None` keeps history in memory only.
    pub history: Option<PathBuf>,
    /// Colour: keyword highlighting and grey hints (off with `NO_COLOR` or no terminal).
    pub color: bool,
    /// Follow the terminal's width for tables (re-read before each statement).
    pub fit_terminal: bool,
    /// Lines printed when the shell starts.
    pub banner: String,
    /// Send results taller than the terminal through `$PAGER` (`.pager on|off`); never
    /// when standard output is not a terminal.
    pub pager: bool,
}

#[cfg(feature = "shell")]
/// The prompt of a fresh input.
pub const PROMPT: &str = "oktaql> ";
#[cfg(feature = "shell")]
/// The prompt while a statement continues (when input comes from a non-terminal).
pub const CONTINUATION: &str = "   ...> ";

#[cfg(feature = "shell")]
/// The default history file: `$XDG_DATA_HOME/oktaql/history`, else the platform data
/// directory (`~/.local/share/oktaql/history`). `OKTAQL_HISTORY` overrides it; set it
/// empty (or to `off`) to keep no history file.
pub fn default_history_path() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("OKTAQL_HISTORY") {
        let s = v.to_string_lossy();
        if s.is_empty() || s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("none") {
            return None;
        }
        return Some(PathBuf::from(v));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::data_dir)?;
    Some(base.join("oktaql").join("history"))
}

#[cfg(feature = "shell")]
/// Creates the history file's directory (mode 0700) and the file itself (mode 0600) when
/// missing, and tightens an existing file to 0600.
fn prepare_history_file(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let mut file = open.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    // A new file starts with the header of the format that keeps multi-line entries.
    if file.metadata()?.len() == 0 {
        file.write_all(b"#V2\n")?;
    }
    Ok(())
}

#[cfg(feature = "shell")]
/// The running shell.
struct Shell<'a> {
    runtime: &'a tokio::runtime::Handle,
    engine: &'a Engine,
    config: ShellConfig,
    editor: Editor<LineSupport, FileHistory>,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
}

#[cfg(feature = "shell")]
/// Runs the interactive shell on the terminal until the user leaves it (`.quit`, Ctrl-D).
/// Statements run on `runtime`; this function blocks the calling thread, which must not
/// be one of the runtime's (call it outside `block_on`).
pub fn run(
    runtime: &tokio::runtime::Handle,
    engine: &Engine,
    config: ShellConfig,
) -> Result<(), ShellError> {
    // Own SIGINT from the start: Ctrl-C outside a statement must not kill the shell.
    #[cfg(unix)]
    let _sigint = runtime.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()
    });
    let rl_config = Config::builder()
        .edit_mode(EditMode::Emacs)
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .history_ignore_space(true)
        .color_mode(if config.color {
            ColorMode::Enabled
        } else {
            ColorMode::Disabled
        })
        .max_history_size(2000)?
        .history_ignore_dups(true)?
        .build();
    let mut editor: Editor<LineSupport, FileHistory> = Editor::with_config(rl_config)?;
    editor.set_helper(Some(LineSupport::new(
        engine.registry().clone(),
        config.color,
    )));
    let mut err: Box<dyn Write> = Box::new(std::io::stderr());
    if let Some(path) = &config.history {
        match prepare_history_file(path) {
            Ok(()) => {
                // A history file that cannot be read is not worth failing for.
                let _ = editor.load_history(path);
            }
            Err(e) => {
                writeln!(
                    err,
                    "warning: history will not be saved: cannot use {}: {e} (set OKTAQL_HISTORY to another file)",
                    path.display()
                )?;
            }
        }
    }
    let mut shell = Shell {
        runtime,
        engine,
        config,
        editor,
        out: Box::new(std::io::stdout()),
        err,
    };
    shell.run()
}

#[cfg(feature = "shell")]
impl Shell<'_> {
    fn run(&mut self) -> Result<(), ShellError> {
        if !self.config.banner.is_empty() {
            writeln!(self.out, "{}", self.config.banner)?;
            self.out.flush()?;
        }
        let mut pending = String::new();
        loop {
            let prompt = if pending.is_empty() {
                PROMPT
            } else {
                CONTINUATION
            };
            match self.editor.readline(prompt) {
                Ok(line) => {
                    if pending.is_empty() && meta::is_meta(&line) {
                        self.remember(line.trim());
                        match MetaCommand::parse(&line) {
                            Ok(MetaCommand::Quit) => break,
                            Ok(cmd) => self.meta(cmd)?,
                            Err(e) => writeln!(self.err, "error: {e}")?,
                        }
                        continue;
                    }
                    pending.push_str(&line);
                    pending.push('\n');
                    if !crate::sql::is_complete(&pending) {
                        continue;
                    }
                    let input = std::mem::take(&mut pending);
                    if input.trim().is_empty() {
                        continue;
                    }
                    self.remember(input.trim_end());
                    if let Some(h) = self.editor.helper_mut() {
                        h.used(&input);
                    }
                    self.execute(input)?;
                }
                // Ctrl-C at the prompt: drop what was typed.
                Err(ReadlineError::Interrupted) => pending.clear(),
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Adds an input to the history, secrets redacted, and appends it to the file.
    fn remember(&mut self, input: &str) {
        let clean = redact::redact(input);
        // Values this run has seen as secrets are masked wherever they stand.
        let clean = self.engine.secrets().mask_text(&clean).into_owned();
        if clean.trim().is_empty() {
            return;
        }
        let _ = self.editor.add_history_entry(clean.as_str());
        if let Some(path) = &self.config.history {
            let _ = self.editor.append_history(path);
        }
    }

    /// Runs one input (one or more statements); Ctrl-C cancels it.
    fn execute(&mut self, text: String) -> Result<(), ShellError> {
        let mut options = self.config.options.clone();
        if self.config.fit_terminal {
            options.render.width = crate::render::terminal_width();
        }
        let script = Script {
            name: "<shell>".into(),
            text: text.clone(),
        };
        let engine = self.engine;
        // With the pager on, both streams are held in order until the input has run, to
        // see whether the result fits the terminal.
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let paging = self.config.pager && terminal;
        let held = std::cell::RefCell::new(Vec::new());
        let mut held_out = pager::Held::new(&held, false);
        let mut held_err = pager::Held::new(&held, true);
        let (out, err): (&mut dyn Write, &mut dyn Write) = if paging {
            (&mut held_out, &mut held_err)
        } else {
            (&mut self.out, &mut self.err)
        };
        let result = self.runtime.block_on(async {
            let run = run_scripts(engine, std::slice::from_ref(&script), &options, out, err);
            tokio::select! {
                r = run => Some(r),
                () = interrupted() => None,
            }
        });
        if paging {
            self.show(held.into_inner(), terminal)?;
        }
        match result {
            Some(Ok(_)) => {}
            Some(Err(RunError::BrokenPipe)) => {}
            Some(Err(e)) => writeln!(self.err, "error: {e}")?,
            None => {
                writeln!(self.err)?;
                let first = text.split_whitespace().next().unwrap_or("");
                let changes = ["INSERT", "DELETE", "EXEC", "UPDATE"]
                    .iter()
                    .any(|w| first.eq_ignore_ascii_case(w));
                if changes {
                    writeln!(
                        self.err,
                        "cancelled: requests in flight were dropped; a change Okta had already received may have been applied — check with SELECT"
                    )?;
                } else {
                    writeln!(self.err, "cancelled")?;
                }
            }
        }
        self.out.flush()?;
        self.err.flush()?;
        Ok(())
    }

    /// Writes held output: the results through the pager when they are taller than the
    /// terminal, then the messages (summaries, errors); otherwise both as they came.
    fn show(&mut self, held: Vec<(bool, Vec<u8>)>, terminal: bool) -> Result<(), ShellError> {
        let results: Vec<u8> = held
            .iter()
            .filter(|(err, _)| !err)
            .flat_map(|(_, bytes)| bytes.iter().copied())
            .collect();
        let lines = results.iter().filter(|&&b| b == b'\n').count();
        if pager::should_page(self.config.pager, terminal, lines, pager::terminal_height()) {
            let command = pager::pager_command();
            match pager::page(&command, &results) {
                Ok(()) => {
                    for (_, bytes) in held.iter().filter(|(err, _)| *err) {
                        self.err.write_all(bytes)?;
                    }
                    self.err.flush()?;
                    return Ok(());
                }
                Err(e) => writeln!(
                    self.err,
                    "warning: cannot run the pager '{command}': {e} (set PAGER, or .pager off)"
                )?,
            }
        }
        for (err, bytes) in &held {
            if *err {
                self.err.write_all(bytes)?;
                self.err.flush()?;
            } else {
                self.out.write_all(bytes)?;
                self.out.flush()?;
            }
        }
        Ok(())
    }

    fn meta(&mut self, cmd: MetaCommand) -> Result<(), ShellError> {
        let opts = &mut self.config.options;
        match cmd {
            MetaCommand::Help => writeln!(self.out, "{Help}")?,
            MetaCommand::Output(None) => {
                writeln!(self.out, "output: {}", format_name(opts.format))?;
            }
            MetaCommand::Output(Some(f)) => {
                opts.format = f;
                writeln!(self.err, "output: {}", format_name(f))?;
            }
            MetaCommand::Timer(on) => {
                opts.timer = on;
                writeln!(self.err, "timer: {}", on_off(on))?;
            }
            MetaCommand::DryRun(on) => {
                opts.dry_run = on;
                writeln!(
                    self.err,
                    "dry run: {}{}",
                    on_off(on),
                    if on {
                        " (statements are planned and printed, nothing is sent)"
                    } else {
                        ""
                    }
                )?;
            }
            MetaCommand::Cache(ttl) => {
                let client = self.engine.client();
                match ttl {
                    Some(secs) => {
                        client.set_cache(crate::exec::CacheScope::Ttl(
                            std::time::Duration::from_secs(secs),
                        ));
                        writeln!(
                            self.err,
                            "cache: GET answers reused for {secs} s across statements (a write forgets them)"
                        )?;
                    }
                    None => {
                        client.set_cache(crate::exec::CacheScope::Statement);
                        writeln!(
                            self.err,
                            "cache: off (identical GETs shared within a statement only)"
                        )?;
                    }
                }
            }
            MetaCommand::CacheShow => {
                let text = match self.engine.client().cache() {
                    crate::exec::CacheScope::Ttl(d) => {
                        format!("{} s across statements (a write forgets them)", d.as_secs())
                    }
                    crate::exec::CacheScope::Run => "for the run, until a write".to_string(),
                    crate::exec::CacheScope::Statement => {
                        "off (identical GETs shared within a statement only)".to_string()
                    }
                    crate::exec::CacheScope::Off => "off (every request sent)".to_string(),
                };
                writeln!(self.out, "cache: {text}")?;
            }
            MetaCommand::Headers(on) => {
                opts.render.hide_headers = !on;
                writeln!(self.err, "headers: {}", on_off(on))?;
            }
            MetaCommand::Vars => {
                if opts.vars.is_empty() {
                    writeln!(
                        self.out,
                        "no template variables (set one with .set NAME VALUE)"
                    )?;
                }
                for (name, value) in opts.vars.iter() {
                    writeln!(self.out, "{name} = {}", shown_value(name, value))?;
                }
            }
            MetaCommand::Set { name, value } => {
                opts.vars.set(name.clone(), value);
                writeln!(
                    self.err,
                    "{name} is set: use {{{{ {name} }}}} in statements"
                )?;
            }
            MetaCommand::Unset(name) => {
                if opts.vars.contains(&name) {
                    let mut map = opts.vars.as_map().clone();
                    map.remove(&name);
                    opts.vars = Vars::from(map);
                    writeln!(self.err, "{name} is unset")?;
                } else {
                    writeln!(self.err, "error: no variable {name} (.vars lists them)")?;
                }
            }
            MetaCommand::Tables(pattern) => {
                match catalog::resource_names(self.engine.registry(), pattern.as_deref()) {
                    Ok(names) if names.is_empty() => writeln!(
                        self.err,
                        "no resource matches '{}' (.tables lists them all)",
                        pattern.unwrap_or_default()
                    )?,
                    Ok(names) => {
                        for name in names {
                            writeln!(self.out, "{name}")?;
                        }
                    }
                    Err(e) => writeln!(self.err, "error: {e}")?,
                }
            }
            MetaCommand::Schema(resource) => {
                // The same answer as the statement, rendered in the current output format.
                self.execute(format!("DESCRIBE {resource};"))?;
            }
            MetaCommand::Expanded(on) => {
                let on = on.unwrap_or(!opts.render.expanded);
                opts.render.expanded = on;
                writeln!(self.err, "expanded display: {}", on_off(on))?;
            }
            MetaCommand::Pager(on) => {
                self.config.pager = on;
                writeln!(self.err, "pager: {}", on_off(on))?;
            }
            MetaCommand::Quit => {}
        }
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(feature = "shell")]
fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

#[cfg(feature = "shell")]
fn format_name(f: crate::render::OutputFormat) -> String {
    f.name().to_string()
}

#[cfg(feature = "shell")]
/// A variable's value for `.vars`: secret-looking values masked.
fn shown_value(name: &str, value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if redact::is_secret_name(name) || redact::looks_like_token(&text) {
        "****".to_string()
    } else {
        format!("'{text}'")
    }
}

#[cfg(feature = "shell")]
/// Resolves when the user presses Ctrl-C (SIGINT) from now on.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::interrupt()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(all(test, feature = "shell"))]
mod tests {
    use super::*;

    #[test]
    fn secret_variables_are_masked_in_listings() {
        assert_eq!(shown_value("subdomain", &"my-org".into()), "'my-org'");
        assert_eq!(shown_value("new_secret", &"abc".into()), "****");
        assert_eq!(
            shown_value("x", &"00abcdefghijklmnopqrstuvwxyzABCDEFGHIJ1234".into()),
            "****"
        );
    }

    #[test]
    fn history_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep").join("oktaql").join("history");
        prepare_history_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
    }

    #[test]
    fn format_names() {
        assert_eq!(format_name(crate::render::OutputFormat::Jsonl), "jsonl");
    }
}
