//! Rendering result rows as bytes: table, JSON, JSONL, CSV, text, Markdown.
//!
//! Owns: turning [`Rows`] into the bytes of one output format, written to the writer the
//! caller gives (stdout, a file, a test buffer).
//! Must not: print directly, or decide where output goes; terminal detection is limited to
//! [`terminal_width`], which the caller may use to fill [`RenderOptions::width`].
//!
//! Cells are JSON values. Formats that keep types (JSON, JSONL) write them as they are;
//! the others show null as an empty cell, strings as their text, and objects and arrays as
//! compact JSON (`{"delete":{"href":"…"}}`).
//! Each call to [`render`] writes one complete result: one JSON document, one CSV file (with
//! its header unless hidden), one table. [`RowWriter`] writes the same bytes a row at a time,
//! for results stepped through as they are produced.

mod delimited;
mod expanded;
mod json;
mod markdown;
mod stream;
mod table;

use std::borrow::Cow;
use std::io::{self, Write};

use serde_json::Value;
use thiserror::Error;

use crate::rows::Rows;

pub use stream::RowWriter;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum OutputFormat {
    /// A boxed table (UTF-8 lines), fitted to a width when one is given.
    #[default]
    Table,
    /// One pretty-printed JSON array of objects keyed by column.
    Json,
    /// One compact JSON object per line.
    Jsonl,
    /// Comma-separated values, RFC 4180 quoting.
    Csv,
    /// Tab-separated values without quoting; tabs, newlines and backslashes in cells escaped.
    Text,
    /// A GitHub-flavoured Markdown pipe table.
    #[cfg_attr(feature = "cli", value(alias = "md"))]
    Markdown,
}

impl OutputFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [OutputFormat; 6] = [
        OutputFormat::Table,
        OutputFormat::Json,
        OutputFormat::Jsonl,
        OutputFormat::Csv,
        OutputFormat::Text,
        OutputFormat::Markdown,
    ];

    /// The format's name as options take it (`table`, `markdown`).
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Csv => "csv",
            OutputFormat::Text => "text",
            OutputFormat::Markdown => "markdown",
        }
    }

    /// The format of a name, in any case; `md` is `markdown`.
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        if name.eq_ignore_ascii_case("md") {
            return Some(OutputFormat::Markdown);
        }
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// How to render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Leave out the header row (table, CSV, text). Markdown tables always have one, as
    /// the format requires it.
    pub hide_headers: bool,
    /// Terminal width for the table format; `None` or 0 means no wrapping or truncation.
    pub width: Option<u16>,
    /// Style the table header (bold) with ANSI escapes.
    pub color: bool,
    /// Table format only: one block per row, a `column | value` line per column (the
    /// shell's `\x`, as in psql), for rows too wide to read across.
    pub expanded: bool,
}

/// Writing the output failed.
#[derive(Debug, Error)]
#[error("cannot write output: {source}")]
pub struct RenderError {
    #[from]
    source: io::Error,
}

impl RenderError {
    /// True when the reader went away (`| head`): the caller should stop quietly.
    pub fn is_broken_pipe(&self) -> bool {
        self.source.kind() == io::ErrorKind::BrokenPipe
    }

    /// The underlying I/O error.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }
}

impl From<csv::Error> for RenderError {
    fn from(err: csv::Error) -> Self {
        match err.into_kind() {
            csv::ErrorKind::Io(e) => RenderError { source: e },
            other => RenderError {
                source: io::Error::other(format!("{other:?}")),
            },
        }
    }
}

impl From<serde_json::Error> for RenderError {
    fn from(err: serde_json::Error) -> Self {
        RenderError { source: err.into() }
    }
}

/// Writes `rows` in `format` to `out`, then flushes it.
///
/// The same bytes as a [`RowWriter`] given the same rows; use that to write rows as they
/// are produced.
pub fn render(
    rows: &Rows,
    format: OutputFormat,
    opts: &RenderOptions,
    out: &mut (impl Write + ?Sized),
) -> Result<(), RenderError> {
    let mut writer = RowWriter::new(format, opts, &rows.columns, out)?;
    for cells in &rows.rows {
        writer.write_row(cells)?;
    }
    writer.finish()
}

/// The width of the terminal on stdout, or `None` when stdout is not a terminal.
///
/// A terminal that reports a width of 0 (a pseudo-terminal nobody sized) counts as none:
/// fitting to it would put every character on a line of its own.
pub fn terminal_width() -> Option<u16> {
    comfy_table::Table::new().width().filter(|&w| w > 0)
}

/// A cell as text: null is empty, strings are their text, other values compact JSON.
pub(crate) fn cell_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        other => Cow::Owned(other.to_string()),
    }
}

/// Replaces control characters that a terminal would act on (escape sequences, carriage
/// returns, tabs) with visible escapes (`\x1b`, `\r`, `\t`); newlines are kept when
/// `keep_newlines`, else shown as `\n`.
pub(crate) fn escape_controls(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = text
        .chars()
        .any(|c| c.is_control() && !(keep_newlines && c == '\n'));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_as_text() {
        assert_eq!(cell_text(&Value::Null), "");
        assert_eq!(cell_text(&json!("a\"b")), "a\"b");
        assert_eq!(cell_text(&json!(1.5)), "1.5");
        assert_eq!(cell_text(&json!(false)), "false");
        assert_eq!(
            cell_text(&json!({"delete": {"href": "x"}})),
            r#"{"delete":{"href":"x"}}"#
        );
        assert_eq!(cell_text(&json!([1, "a"])), r#"[1,"a"]"#);
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(escape_controls("plain", false), "plain");
        assert_eq!(escape_controls("a\u{1b}[31mb", true), "a\\x1b[31mb");
        assert_eq!(escape_controls("l1\nl2\tx\r", true), "l1\nl2\\tx\\r");
        assert_eq!(escape_controls("l1\nl2", false), "l1\\nl2");
    }

    #[test]
    fn renders_into_a_trait_object_writer() {
        let rows = Rows {
            columns: vec!["a".into()],
            rows: vec![vec![json!(1)]],
        };
        let mut buf = Vec::new();
        let out: &mut dyn Write = &mut buf;
        render(&rows, OutputFormat::Csv, &RenderOptions::default(), out).unwrap();
        assert_eq!(buf, b"a\n1\n");
    }

    #[test]
    fn broken_pipe_is_detectable() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let rows = Rows {
            columns: vec!["a".into()],
            rows: vec![vec![json!(1)]],
        };
        for format in [
            OutputFormat::Table,
            OutputFormat::Json,
            OutputFormat::Jsonl,
            OutputFormat::Csv,
            OutputFormat::Text,
            OutputFormat::Markdown,
        ] {
            let err = render(&rows, format, &RenderOptions::default(), &mut Closed).unwrap_err();
            assert!(err.is_broken_pipe(), "{format:?}: {err}");
        }
    }
}
