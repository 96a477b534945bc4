//! Splitting input text into statements.
//!
//! One pass over the characters with a small state machine: top level, `'…'` strings (with
//! `''` escapes), `"…"` identifiers, `` `…` `` identifiers, `$tag$…$tag$` strings (as
//! `sqlparser` reads them), `--` line comments and `/* … */` block comments. Only a `;` at top level ends a statement. Positions are 1-based and counted
//! in characters, the way `sqlparser`'s tokenizer counts them.

use super::{Source, SqlError};

/// Where the scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside any quote or comment.
    Top,
    /// Inside a quote that closes with this character.
    Quoted(char),
    /// Inside `-- …` up to the end of the line.
    LineComment,
    /// Inside `/* … */`, nested this deep (GenericDialect nests block comments).
    BlockComment(usize),
    /// Inside a `$tag$…$tag$` string (the tag is kept beside the state).
    Dollar,
}

/// The length in bytes of the tag of a dollar quote opening at `rest` (just after its
/// first `$`): `Some(0)` for `$$`, `Some(3)` for `$abc$`.
fn dollar_tag_len(rest: &str) -> Option<usize> {
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (rest[len..].starts_with('$') && !rest.starts_with(|c: char| c.is_ascii_digit())).then_some(len)
}

/// A statement as found by the scanner: byte range of its text and its start position.
struct Piece {
    start: usize,
    end: usize,
    line: usize,
    column: usize,
}

/// What a full scan of the input found.
struct Scan {
    /// Statements that contain something besides whitespace and comments.
    pieces: Vec<Piece>,
    /// The state at the end of the input and where that state was entered.
    end_state: State,
    open_line: usize,
    open_column: usize,
    /// Whether anything but whitespace/comments follows the last top-level `;`.
    pending: bool,
}

fn scan(input: &str) -> Scan {
    let mut pieces = Vec::new();
    let mut state = State::Top;
    let (mut line, mut column) = (1usize, 1usize);
    let (mut open_line, mut open_column) = (1usize, 1usize);
    // Start of the current statement's text (first significant character), if any yet.
    let mut current: Option<(usize, usize, usize)> = None;
    // Byte end of the last significant character/quote/comment of the current statement.
    let mut last_end = 0usize;
    let mut chars = input.char_indices().peekable();
    // The tag of the dollar-quoted string being read, and the character before this one.
    let mut tag = "";
    let mut prev = ' ';

    while let Some((at, c)) = chars.next() {
        let before = std::mem::replace(&mut prev, c);
        let (here_line, here_column) = (line, column);
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
        match state {
            State::Top => match c {
                ';' => {
                    if let Some((start, l, col)) = current.take() {
                        pieces.push(Piece {
                            start,
                            end: last_end,
                            line: l,
                            column: col,
                        });
                    }
                }
                '-' if matches!(chars.peek(), Some((_, '-'))) => {
                    chars.next();
                    column += 1;
                    state = State::LineComment;
                    (open_line, open_column) = (here_line, here_column);
                    if current.is_some() {
                        last_end = at + 2;
                    }
                }
                '/' if matches!(chars.peek(), Some((_, '*'))) => {
                    chars.next();
                    column += 1;
                    state = State::BlockComment(1);
                    (open_line, open_column) = (here_line, here_column);
                    if current.is_some() {
                        last_end = at + 2;
                    }
                }
                c if c.is_whitespace() => {}
                c => {
                    if current.is_none() {
                        current = Some((at, here_line, here_column));
                    }
                    last_end = at + c.len_utf8();
                    let word_before = before.is_alphanumeric() || before == '_';
                    if let Some(len) = (c == '$' && !word_before)
                        .then(|| dollar_tag_len(&input[at + 1..]))
                        .flatten()
                    {
                        tag = &input[at + 1..at + 1 + len];
                        for _ in 0..=len {
                            chars.next();
                            column += 1;
                        }
                        last_end = at + len + 2;
                        state = State::Dollar;
                        (open_line, open_column) = (here_line, here_column);
                    } else if matches!(c, '\'' | '"' | '`') {
                        state = State::Quoted(c);
                        (open_line, open_column) = (here_line, here_column);
                    }
                }
            },
            State::Quoted(q) => {
                if c == q {
                    if matches!(chars.peek(), Some((_, n)) if *n == q) {
                        // A doubled quote is an escaped quote.
                        chars.next();
                        column += 1;
                        last_end = at + 2;
                        continue;
                    }
                    state = State::Top;
                }
                last_end = at + c.len_utf8();
            }
            State::Dollar => {
                let closes = c == '$' && {
                    let rest = &input[at + 1..];
                    rest.starts_with(tag) && rest[tag.len()..].starts_with('$')
                };
                if closes {
                    for _ in 0..=tag.len() {
                        chars.next();
                        column += 1;
                    }
                    last_end = at + tag.len() + 2;
                    state = State::Top;
                } else {
                    last_end = at + c.len_utf8();
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Top;
                } else if current.is_some() {
                    last_end = at + c.len_utf8();
                }
            }
            State::BlockComment(depth) => {
                let step = match (c, chars.peek()) {
                    ('*', Some((_, '/'))) => Some(depth - 1),
                    ('/', Some((_, '*'))) => Some(depth + 1),
                    _ => None,
                };
                if let Some(depth) = step {
                    chars.next();
                    column += 1;
                    state = if depth == 0 {
                        State::Top
                    } else {
                        State::BlockComment(depth)
                    };
                    if current.is_some() {
                        last_end = at + 2;
                    }
                } else if current.is_some() {
                    last_end = at + c.len_utf8();
                }
            }
        }
    }
    let pending = current.is_some();
    if let Some((start, l, col)) = current {
        // An open quote or comment runs to the end of the input.
        let end = if state == State::Top || state == State::LineComment {
            last_end
        } else {
            input.len()
        };
        pieces.push(Piece {
            start,
            end,
            line: l,
            column: col,
        });
    }
    Scan {
        pieces,
        end_state: state,
        open_line,
        open_column,
        pending,
    }
}

impl Source {
    /// A statement text that starts the input (line 1, column 1), e.g. one typed on its own.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            line: 1,
            column: 1,
        }
    }
}

fn to_sources(input: &str, pieces: Vec<Piece>) -> Vec<Source> {
    pieces
        .into_iter()
        .map(|p| Source {
            text: input[p.start..p.end].to_string(),
            line: p.line,
            column: p.column,
        })
        .collect()
}

/// Splits `input` at top-level `;` (not inside quotes, `--` or `/* */` comments), dropping
/// statements that are empty or hold only comments. A final statement without `;` is kept.
///
/// Each [`Source`] starts at the statement's first character that is neither whitespace nor
/// part of a comment, and runs to the end of its last token or trailing comment (trailing
/// whitespace is dropped); the text in between is verbatim. An unterminated quote or block
/// comment runs to the end of the input; use [`split_checked`] to reject it.
pub fn split(input: &str) -> Vec<Source> {
    to_sources(input, scan(input).pieces)
}

/// Like [`split`], but an unterminated string, quoted identifier or block comment is an error
/// pointing at where it opens.
pub fn split_checked(input: &str) -> Result<Vec<Source>, SqlError> {
    let scan = scan(input);
    let (what, close) = match scan.end_state {
        State::Top | State::LineComment => return Ok(to_sources(input, scan.pieces)),
        State::Quoted('\'') => ("string literal", "'"),
        State::Quoted('"') => ("quoted identifier", "\""),
        State::Quoted(_) => ("quoted identifier", "`"),
        State::BlockComment(_) => ("block comment", "*/"),
        State::Dollar => ("dollar-quoted string", "the $…$ that opened it"),
    };
    Err(SqlError {
        message: format!(
            "unterminated {what} starting at line {}, column {} — close it with {close}",
            scan.open_line, scan.open_column
        ),
        line: scan.open_line,
        column: scan.open_column,
    })
}

/// Whether `input` is ready to run: it is blank (only whitespace and comments), or it ends
/// with a top-level `;` followed by nothing but whitespace and comments. An open quote or
/// block comment is never complete. An interactive shell keeps reading lines until this holds.
pub fn is_complete(input: &str) -> bool {
    let scan = scan(input);
    matches!(scan.end_state, State::Top | State::LineComment) && !scan.pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<(String, usize, usize)> {
        split(input)
            .into_iter()
            .map(|s| (s.text, s.line, s.column))
            .collect()
    }

    fn t(text: &str, line: usize, column: usize) -> (String, usize, usize) {
        (text.to_string(), line, column)
    }

    #[test]
    fn splits_at_top_level_semicolons() {
        assert_eq!(
            texts("SELECT 1; SELECT 2;\n  SELECT 3"),
            vec![
                t("SELECT 1", 1, 1),
                t("SELECT 2", 1, 11),
                t("SELECT 3", 2, 3)
            ]
        );
    }

    #[test]
    fn dollar_quoted_strings_hold_quotes_and_semicolons() {
        let t = texts("SELECT $$ ' ; \" $$; SELECT $a$ $$ ; $a$;SELECT 1");
        assert_eq!(t.len(), 3, "{t:?}");
        assert_eq!(t[1].0, "SELECT $a$ $$ ; $a$");
        assert!(split_checked("SELECT $$ open").is_err());
        // `$` inside a word or before a digit is no quote.
        assert_eq!(texts("SELECT a$b$ ; SELECT $1; SELECT 2").len(), 3);
    }

    #[test]
    fn semicolons_inside_quotes_and_comments_do_not_split() {
        let input = "SELECT 'a;b''c;', \"x;y\", `p;q` -- z;w\nFROM t /* ; */ WHERE 1;";
        assert_eq!(
            texts(input),
            vec![t(
                "SELECT 'a;b''c;', \"x;y\", `p;q` -- z;w\nFROM t /* ; */ WHERE 1",
                1,
                1
            )]
        );
    }

    #[test]
    fn drops_empty_and_comment_only_statements() {
        assert_eq!(texts(""), vec![]);
        assert_eq!(texts(" ;; \n ; -- only a comment\n; /* c */ ;"), vec![]);
        assert_eq!(texts("SELECT 1; -- done"), vec![t("SELECT 1", 1, 1)]);
    }

    #[test]
    fn leading_comments_are_skipped_and_position_follows() {
        let input = "-- list secrets\n/* multi\nline */  SELECT 1;";
        assert_eq!(texts(input), vec![t("SELECT 1", 3, 10)]);
    }

    #[test]
    fn trailing_comments_are_kept_trailing_whitespace_dropped() {
        assert_eq!(
            texts("DELETE FROM t --required\n;\nEXEC a.b.c.d /* x */  \n"),
            vec![
                t("DELETE FROM t --required", 1, 1),
                t("EXEC a.b.c.d /* x */", 3, 1)
            ]
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            texts("SELECT 'é'; SELECT 2"),
            vec![t("SELECT 'é'", 1, 1), t("SELECT 2", 1, 13)]
        );
    }

    #[test]
    fn block_comments_nest_like_sqlparser_reads_them() {
        assert_eq!(
            texts("SELECT 1 /* a /* b; */ c; */ + 2; SELECT 3"),
            vec![
                t("SELECT 1 /* a /* b; */ c; */ + 2", 1, 1),
                t("SELECT 3", 1, 35)
            ]
        );
        assert!(!is_complete("SELECT 1; /* a /* b */ ;"));
        let err = split_checked("SELECT 1 /* a /* b */").unwrap_err();
        assert_eq!((err.line, err.column), (1, 10));
    }

    #[test]
    fn a_dash_or_slash_alone_is_not_a_comment() {
        assert_eq!(
            texts("SELECT 4-2/1; SELECT 1"),
            vec![t("SELECT 4-2/1", 1, 1), t("SELECT 1", 1, 15)]
        );
    }

    #[test]
    fn unterminated_string_is_reported_where_it_opens() {
        let err = split_checked("SELECT 1;\nSELECT * FROM t WHERE a = 'x;\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 27));
        assert_eq!(
            err.message,
            "unterminated string literal starting at line 2, column 27 — close it with '"
        );
        // The lenient splitter keeps the open string to the end.
        assert_eq!(texts("SELECT 'x;"), vec![t("SELECT 'x;", 1, 1)]);
    }

    #[test]
    fn unterminated_identifier_and_comment_are_reported() {
        let err = split_checked("SELECT \"a").unwrap_err();
        assert_eq!((err.line, err.column), (1, 8));
        assert!(err.message.contains("quoted identifier"), "{}", err.message);
        let err = split_checked("SELECT `a").unwrap_err();
        assert!(err.message.ends_with("close it with `"), "{}", err.message);
        let err = split_checked("SELECT 1 /* x\n y").unwrap_err();
        assert_eq!((err.line, err.column), (1, 10));
        assert!(err.message.contains("block comment"), "{}", err.message);
        assert!(split_checked("SELECT 1 -- open line comment").is_ok());
    }

    #[test]
    fn completeness_for_the_shell() {
        assert!(is_complete(""));
        assert!(is_complete("  \n"));
        assert!(is_complete("-- just a comment"));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- trailing\n"));
        assert!(is_complete("SELECT 1 ; /* c */  "));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT 1; SELECT"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1 -- ;"));
        assert!(!is_complete("SELECT 1; /* ;"));
        assert!(!is_complete("SELECT \";\""));
    }
}
