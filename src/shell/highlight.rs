//! Keyword highlighting of the input line with ANSI colours.
//!
//! Tokens come from `sqlparser`'s tokenizer; a line it cannot tokenize (a half-typed
//! string) is shown plain. Only the colour changes: the text and its display width stay
//! the same, as the line editor requires. Must not: decide whether colour is wanted (the
//! caller knows about `NO_COLOR` and terminals).

use std::borrow::Cow;

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::complete::KEYWORDS;

const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[90m";
const RESET: &str = "\x1b[0m";

/// Grey, for hints.
pub const HINT: &str = "\x1b[90m";

/// `line` with keywords, strings, numbers and comments coloured; unchanged when it cannot
/// be tokenized or has nothing to colour.
pub fn highlight(line: &str) -> Cow<'_, str> {
    let dialect = GenericDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, line).tokenize_with_location() else {
        return Cow::Borrowed(line);
    };
    let starts = line_starts(line);
    let mut spans: Vec<(usize, usize, &str)> = Vec::new();
    for t in &tokens {
        let colour = match &t.token {
            Token::Word(w)
                if w.quote_style.is_none()
                    && KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&w.value)) =>
            {
                KEYWORD
            }
            Token::SingleQuotedString(_) => STRING,
            Token::Number(..) => NUMBER,
            Token::Whitespace(
                Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_),
            ) => COMMENT,
            _ => continue,
        };
        let (Some(a), Some(b)) = (
            offset(line, &starts, t.span.start.line, t.span.start.column),
            offset(line, &starts, t.span.end.line, t.span.end.column),
        ) else {
            return Cow::Borrowed(line);
        };
        // A line comment's span includes its newline: keep that outside the colour.
        let b = if line[a..b].ends_with('\n') { b - 1 } else { b };
        if a < b {
            spans.push((a, b, colour));
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + spans.len() * 10);
    let mut at = 0;
    for (a, b, colour) in spans {
        if a < at {
            return Cow::Borrowed(line);
        }
        out.push_str(&line[at..a]);
        out.push_str(colour);
        out.push_str(&line[a..b]);
        out.push_str(RESET);
        at = b;
    }
    out.push_str(&line[at..]);
    Cow::Owned(out)
}

/// Byte offsets at which each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The byte offset of a 1-based line and character column.
fn offset(text: &str, starts: &[usize], line: u64, column: u64) -> Option<usize> {
    let start = *starts.get(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let column = usize::try_from(column).ok()?.checked_sub(1)?;
    let rest = &text[start..];
    if column == 0 {
        return Some(start);
    }
    match rest.char_indices().nth(column) {
        Some((i, _)) => Some(start + i),
        None if rest.chars().count() == column => Some(text.len()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for n in chars.by_ref() {
                    if n == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn keywords_and_literals_are_coloured_text_kept() {
        let line = "SELECT id, 'x' FROM t WHERE n = 5 -- c\nLIMIT 1";
        let out = highlight(line);
        assert!(out.contains("\x1b[1;34mSELECT\x1b[0m"), "{out:?}");
        assert!(out.contains("\x1b[32m'x'\x1b[0m"), "{out:?}");
        assert!(out.contains("\x1b[36m5\x1b[0m"), "{out:?}");
        assert!(out.contains("\x1b[90m-- c\x1b[0m\n"), "{out:?}");
        assert!(!out.contains("\x1b[1;34mid"), "{out:?}");
        assert_eq!(strip(&out), line);
    }

    #[test]
    fn half_typed_strings_stay_plain() {
        assert!(matches!(highlight("SELECT 'abc"), Cow::Borrowed(_)));
    }

    #[test]
    fn non_ascii_text_keeps_its_place() {
        let line = "SELECT 'é' AS ü FROM t";
        assert_eq!(strip(&highlight(line)), line);
    }
}
