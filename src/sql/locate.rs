//! Finding the token an error is about in a statement's text, so that plan, bind and
//! evaluation errors point at it (`file:line:col` and a caret) the way parse errors do.
//!
//! Owns: matching a name or a literal value against the statement's tokens and mapping the
//! match back to the original input. Must not: decide which token an error is about (each
//! error says so, see `crate::Error::needle`).

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::cursor::map_position;
use super::Source;

/// What an error names, to be found in the statement text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    /// A name as the error spells it: one identifier or a dotted name
    /// (`okta.apps.secrets`, `s.stauts`); compared without regard to case or quotes.
    Name(String),
    /// A literal value: a string literal (`'..'`) or a number with this text.
    Literal(String),
}

/// Where a token is in the original input, and how many characters it spans on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line (1-based).
    pub line: usize,
    /// Column (1-based, in characters).
    pub column: usize,
    /// Characters to underline (at least 1).
    pub width: usize,
}

/// The first place in `source` where `needle` is written; `None` when it is not there (the
/// value came from elsewhere, say a default) or the text does not tokenize.
///
/// A single name prefers a word that is not part of a dotted name (`status`, not the
/// `status` of `t.status`), then takes any.
pub fn locate(source: &Source, needle: &Needle) -> Option<Position> {
    let tokens: Vec<TokenWithSpan> = Tokenizer::new(&GenericDialect {}, &source.text)
        .tokenize_with_location()
        .ok()?
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let (first, last) = match needle {
        Needle::Literal(value) => {
            let i = tokens.iter().position(|t| match &t.token {
                Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s == value,
                Token::Number(n, _) => n == value,
                _ => false,
            })?;
            (i, i)
        }
        Needle::Name(name) => {
            let parts: Vec<&str> = name.split('.').collect();
            let span = 2 * parts.len() - 1;
            let matches_at = |i: usize| {
                parts.iter().enumerate().all(|(k, part)| {
                    let word = matches!(tokens.get(i + 2 * k),
                        Some(TokenWithSpan { token: Token::Word(w), .. })
                            if w.value.eq_ignore_ascii_case(part));
                    let dot = k + 1 == parts.len()
                        || matches!(tokens.get(i + 2 * k + 1), Some(t) if t.token == Token::Period);
                    word && dot
                })
            };
            let is_period = |i: Option<usize>| {
                i.and_then(|i| tokens.get(i))
                    .is_some_and(|t| t.token == Token::Period)
            };
            let standalone = |i: usize| !is_period(i.checked_sub(1)) && !is_period(Some(i + span));
            let candidates: Vec<usize> = (0..tokens.len()).filter(|&i| matches_at(i)).collect();
            let i = candidates
                .iter()
                .copied()
                .find(|&i| standalone(i))
                .or_else(|| candidates.first().copied())?;
            (i, i + span - 1)
        }
    };
    let start = tokens[first].span.start;
    let end = tokens[last].span.end;
    let (line, column) = map_position(source, start.line as usize, start.column as usize);
    let width = if end.line == start.line && end.column > start.column {
        (end.column - start.column) as usize
    } else {
        1
    };
    Some(Position {
        line,
        column,
        width,
    })
}

/// The line of `source` holding `position`, and the caret line under it
/// (`    ^^^^`), both without a trailing newline; `None` when the position is not in it.
pub fn caret(source: &Source, position: Position) -> Option<(String, String)> {
    let index = position.line.checked_sub(source.line)?;
    let text = source.text.lines().nth(index)?;
    // The statement's first line starts at its source column: pad so columns line up.
    let line = if index == 0 {
        format!("{}{text}", " ".repeat(source.column.saturating_sub(1)))
    } else {
        text.to_string()
    };
    let column = position.column.checked_sub(1)?;
    if column > line.chars().count() {
        return None;
    }
    let caret = format!(
        "{}{}",
        " ".repeat(column),
        "^".repeat(position.width.max(1))
    );
    Some((line, caret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            text: text.into(),
            line: 3,
            column: 5,
        }
    }

    #[test]
    fn names_and_literals_are_found_where_written() {
        let s = source("SELECT id FROM okta.apps.secrets\n  WHERE appId = '..' AND stauts = 1");
        let at = |n: Needle| locate(&s, &n).map(|p| (p.line, p.column, p.width));
        assert_eq!(
            at(Needle::Name("okta.apps.secrets".into())),
            Some((3, 20, 17))
        );
        assert_eq!(at(Needle::Name("STAUTS".into())), Some((4, 26, 6)));
        assert_eq!(at(Needle::Literal("..".into())), Some((4, 17, 4)));
        assert_eq!(at(Needle::Name("secrets".into())), Some((3, 30, 7)));
        assert_eq!(at(Needle::Name("nowhere".into())), None);
    }

    #[test]
    fn a_single_name_prefers_the_standalone_word() {
        let s = source("SELECT t.status, status FROM x t");
        let p = locate(&s, &Needle::Name("status".into())).unwrap();
        assert_eq!((p.line, p.column), (3, 5 + 17));
    }

    #[test]
    fn the_caret_lines_up_under_the_token() {
        let s = source("SELECT id FROM okta.apps.secrets");
        let p = locate(&s, &Needle::Name("okta.apps.secrets".into())).unwrap();
        let (line, caret) = caret(&s, p).unwrap();
        assert_eq!(line, "    SELECT id FROM okta.apps.secrets");
        assert_eq!(caret, format!("{}{}", " ".repeat(19), "^".repeat(17)));
    }
}
