//! What the line editor asks of the shell: completion, history hints, highlighting and the validator
//! that keeps Enter inserting new lines until a statement ends with `;`.
//!
//! Owns the glue between rustyline's traits and [`super::complete`], [`super::highlight`]
//! and [`crate::sql::is_complete`]. Must not: run statements.

use std::borrow::Cow;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use crate::provider::Registry;

use super::{complete, highlight, meta};

/// Completion, hints, highlighting and validation for the line editor.
pub struct LineSupport {
    registry: Registry,
    color: bool,
    hinter: HistoryHinter,
    /// Resources named by statements already run, most recent first.
    recent: Vec<String>,
}

impl LineSupport {
    /// Support completing from `registry`; `color` turns on highlighting and hints.
    pub fn new(registry: Registry, color: bool) -> LineSupport {
        LineSupport {
            registry,
            color,
            hinter: HistoryHinter::new(),
            recent: Vec::new(),
        }
    }

    /// Notes the resources a statement that ran named, for completion of later ones.
    pub fn used(&mut self, text: &str) {
        for id in complete::resources_named(&self.registry, text)
            .into_iter()
            .rev()
        {
            self.recent.retain(|r| r != &id);
            self.recent.insert(0, id);
        }
        self.recent.truncate(3);
    }
}

/// Whether the input buffer is ready to run: a meta command, blank, or complete SQL.
pub fn input_is_ready(input: &str) -> bool {
    input.trim().is_empty() || meta::is_meta(input) || crate::sql::is_complete(input)
}

impl Completer for LineSupport {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let c = complete::complete(&self.registry, line, pos, &self.recent);
        let pairs = c
            .candidates
            .into_iter()
            .map(|s| Pair {
                display: s.clone(),
                replacement: s,
            })
            .collect();
        Ok((c.start, pairs))
    }
}

impl Hinter for LineSupport {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if !self.color {
            return None;
        }
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for LineSupport {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color && !meta::is_meta(line) {
            highlight::highlight(line)
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("{}{hint}\x1b[0m", highlight::HINT))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Validator for LineSupport {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if input_is_ready(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Helper for LineSupport {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_continues_until_the_statement_ends() {
        assert!(!input_is_ready("SELECT id"));
        assert!(!input_is_ready("SELECT id FROM t WHERE a = 'x;"));
        assert!(!input_is_ready("SELECT 1; SELECT 2"));
        assert!(input_is_ready("SELECT id\nFROM t;"));
        assert!(input_is_ready("SELECT 1; SELECT 2; -- done"));
        assert!(input_is_ready(".output json"));
        assert!(input_is_ready("exit"));
        assert!(input_is_ready("   "));
    }
}
