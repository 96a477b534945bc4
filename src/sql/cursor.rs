//! A token cursor for the hand-written statement parsers (`EXEC`, `SHOW`, `DESCRIBE`).
//!
//! Tokens come from `sqlparser`'s tokenizer (GenericDialect); whitespace and comments are
//! skipped. Every error is built here so that positions are mapped from the statement text
//! back to the original input in one place.

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Word};

use super::{Source, SqlError};

/// Maps a 1-based position inside `source.text` to the original input.
pub(super) fn map_position(source: &Source, line: usize, column: usize) -> (usize, usize) {
    if line <= 1 {
        (source.line, source.column + column.max(1) - 1)
    } else {
        (source.line + line - 1, column.max(1))
    }
}

/// The position just past the last character of `source.text`, in statement coordinates.
pub(super) fn end_of_text(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// An error at a position inside the statement text.
pub(super) fn error_at(source: &Source, line: usize, column: usize, message: String) -> SqlError {
    let (line, column) = map_position(source, line, column);
    SqlError {
        message,
        line,
        column,
    }
}

/// A dotted name as written (`okta.apps.secrets`), with where it starts.
pub(super) struct DottedName {
    pub parts: Vec<String>,
    pub at: Location,
}

impl DottedName {
    /// The name as written, joined with dots.
    pub fn joined(&self) -> String {
        self.parts.join(".")
    }
}

/// Non-whitespace tokens of one statement and a read position.
pub(super) struct Cursor<'a> {
    source: &'a Source,
    tokens: Vec<TokenWithSpan>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Tokenizes `source.text`; a tokenizer error (say, an open string) becomes a [`SqlError`].
    pub fn new(source: &'a Source) -> Result<Self, SqlError> {
        let tokens = Tokenizer::new(&GenericDialect {}, &source.text)
            .tokenize_with_location()
            .map_err(|e| {
                error_at(
                    source,
                    e.location.line as usize,
                    e.location.column as usize,
                    super::parse::describe_tokenizer_error(&e.message),
                )
            })?
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        Ok(Self {
            source,
            tokens,
            pos: 0,
        })
    }

    /// The next token without consuming it.
    pub fn peek(&self) -> Option<&TokenWithSpan> {
        self.tokens.get(self.pos)
    }

    /// Consumes and returns the next token.
    pub fn next_token(&mut self) -> Option<TokenWithSpan> {
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// Where the next token starts, or the end of the statement.
    pub fn here(&self) -> (usize, usize) {
        match self.peek() {
            Some(t) => (t.span.start.line as usize, t.span.start.column as usize),
            None => end_of_text(&self.source.text),
        }
    }

    /// An error at a token location.
    pub fn error_at(&self, at: Location, message: String) -> SqlError {
        error_at(self.source, at.line as usize, at.column as usize, message)
    }

    /// An error at the next token (or at the end of the statement).
    pub fn error_here(&self, message: String) -> SqlError {
        let (line, column) = self.here();
        error_at(self.source, line, column, message)
    }

    /// The next token as shown in messages: `'okta'`, or `end of statement`.
    pub fn found(&self) -> String {
        match self.peek() {
            Some(t) => format!("'{}'", t.token),
            None => "end of statement".to_string(),
        }
    }

    /// Whether the next token is the unquoted word `kw` (any case).
    pub fn peek_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(TokenWithSpan { token: Token::Word(w), .. }) if is_keyword(w, kw))
    }

    /// Consumes the unquoted word `kw` (any case) if it comes next.
    pub fn keyword(&mut self, kw: &str) -> bool {
        let yes = self.peek_keyword(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Consumes `token` if it comes next.
    pub fn consume(&mut self, token: &Token) -> bool {
        let yes = matches!(self.peek(), Some(t) if &t.token == token);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Reads `name(.name)*`; `None` (nothing consumed) when no name comes next.
    /// Quoted parts (`"apps"`) are accepted and unquoted; a part starting with `@` is not a name.
    pub fn dotted_name(&mut self) -> Result<Option<DottedName>, SqlError> {
        let Some(first) = self.peek() else {
            return Ok(None);
        };
        let at = first.span.start;
        let Token::Word(w) = &first.token else {
            return Ok(None);
        };
        if w.value.starts_with('@') {
            return Ok(None);
        }
        let mut parts = vec![w.value.clone()];
        self.pos += 1;
        while self.consume(&Token::Period) {
            match self.peek() {
                Some(TokenWithSpan {
                    token: Token::Word(w),
                    ..
                }) if !w.value.starts_with('@') => {
                    parts.push(w.value.clone());
                    self.pos += 1;
                }
                _ => {
                    return Err(self.error_here(format!(
                        "expected a name after '{}.', found {}",
                        parts.join("."),
                        self.found()
                    )))
                }
            }
        }
        Ok(Some(DottedName { parts, at }))
    }

    /// Reads a dotted name of exactly `shape.len()` parts; `shape` is the expected form
    /// (`["provider", "service"]`) and `after` the words it follows, for the message.
    pub fn name_of(&mut self, shape: &[&str], after: &str) -> Result<Vec<String>, SqlError> {
        let expected = shape.join(".");
        match self.dotted_name()? {
            Some(name) if name.parts.len() == shape.len() => Ok(name.parts),
            Some(name) => Err(self.error_at(
                name.at,
                format!(
                    "expected {expected} after {after}, found '{}'",
                    name.joined()
                ),
            )),
            None => Err(self.error_here(format!(
                "expected {expected} after {after}, found {}",
                self.found()
            ))),
        }
    }

    /// Accepts an optional trailing `;` and requires the end of the statement.
    pub fn finish(&mut self, statement: &str) -> Result<(), SqlError> {
        self.consume(&Token::SemiColon);
        if self.peek().is_none() {
            Ok(())
        } else {
            Err(self.error_here(format!(
                "unexpected {} at the end of the {statement} statement — remove it, or end the statement with ';' before it",
                self.found()
            )))
        }
    }
}

/// Whether `w` is the unquoted word `kw`, ignoring case.
pub(super) fn is_keyword(w: &Word, kw: &str) -> bool {
    w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw)
}
