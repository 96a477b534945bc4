//! Parsing one statement.
//!
//! The first keyword decides the parser: `SELECT`/`WITH`/`INSERT`/`DELETE` go to `sqlparser`
//! (GenericDialect), `EXEC`/`SHOW`/`DESCRIBE` to the small parsers in this module's siblings
//! (sqlparser reads those lossily). Positions in errors are mapped back to the original input.

use sqlparser::ast;
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::cursor::{end_of_text, error_at, Cursor};
use super::{exec, show, Source, SqlError, Statement};

/// The statements oktaql runs, for messages.
const SUPPORTED: &str = "SELECT, INSERT, DELETE, EXEC, SHOW and DESCRIBE";

/// The same list as alternatives.
const ONE_OF: &str = "SELECT, INSERT, DELETE, EXEC, SHOW or DESCRIBE";

/// First keywords of the statements oktaql knows, for "did you mean" hints.
const KEYWORDS: &[&str] = &[
    "SELECT", "WITH", "INSERT", "DELETE", "EXEC", "SHOW", "DESCRIBE",
];

/// Parses one statement (as cut by [`super::split`]).
///
/// Positions in errors are in the original input: the [`Source`]'s line and column are added
/// to positions inside the statement.
pub fn parse(source: &Source) -> Result<Statement, SqlError> {
    // Most statements are SQL that sqlparser reads whole: go straight there rather than
    // tokenizing the text twice. Errors take the long way, so they read the same.
    if starts_with_sql_keyword(&source.text) {
        if let Ok(statement) = parse_sql(source) {
            return Ok(statement);
        }
    }
    parse_tokens(source)
}

/// Parses one statement by its first token: StackQL's own statements here, SQL through
/// sqlparser.
fn parse_tokens(source: &Source) -> Result<Statement, SqlError> {
    let mut cur = Cursor::new(source)?;
    let Some(first) = cur.peek().cloned() else {
        return Err(cur.error_here(format!("empty statement — write one of {ONE_OF}")));
    };
    match &first.token {
        Token::Word(w) if w.quote_style.is_none() => {
            let upper = w.value.to_ascii_uppercase();
            match upper.as_str() {
                "EXEC" | "EXECUTE" => {
                    cur.next_token();
                    exec::parse_exec(&mut cur, &upper)
                }
                "SHOW" => {
                    cur.next_token();
                    show::parse_show(&mut cur)
                }
                "DESCRIBE" | "DESC" => {
                    cur.next_token();
                    show::parse_describe(&mut cur, &upper)
                }
                "SELECT" | "WITH" | "VALUES" | "INSERT" | "DELETE" => parse_sql(source),
                _ if w.keyword != Keyword::NoKeyword => Err(cur.error_at(
                    first.span.start,
                    format!(
                        "{upper} statements are not supported — oktaql runs {SUPPORTED} statements"
                    ),
                )),
                _ => Err(cur.error_at(
                    first.span.start,
                    format!(
                        "expected a statement ({ONE_OF}), found '{}'{}",
                        w.value,
                        suggestion(&upper)
                    ),
                )),
            }
        }
        Token::LParen => parse_sql(source),
        _ => Err(cur.error_here(format!(
            "expected a statement ({ONE_OF}), found {}",
            cur.found()
        ))),
    }
}

/// Whether the first word of `text`, after whitespace and comments, is one that
/// [`parse`] hands to sqlparser (`SELECT`, `WITH`, `VALUES`, `INSERT`, `DELETE`).
fn starts_with_sql_keyword(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            match after.find('\n') {
                Some(i) => rest = &after[i + 1..],
                None => return false,
            }
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.find("*/") {
                Some(i) => rest = &after[i + 2..],
                None => return false,
            }
        } else {
            break;
        }
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(rest.len());
    let word = &rest[..end];
    // A word followed by a character that could continue an identifier is not a keyword.
    if rest[end..].starts_with(|c: char| !c.is_ascii()) {
        return false;
    }
    ["SELECT", "WITH", "VALUES", "INSERT", "DELETE"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

/// ` — did you mean SELECT?` when `word` is close to a known first keyword (the one
/// suggestion rule, [`crate::provider::nearest`]).
fn suggestion(word: &str) -> String {
    crate::provider::nearest(word, KEYWORDS.iter().copied())
        .map(|k| format!(" — did you mean {k}?"))
        .unwrap_or_default()
}

/// SELECT/INSERT/DELETE through sqlparser.
fn parse_sql(source: &Source) -> Result<Statement, SqlError> {
    let mut statements =
        Parser::parse_sql(&GenericDialect {}, &source.text).map_err(|e| sql_error(source, e))?;
    if statements.len() != 1 {
        return Err(error_at(
            source,
            1,
            1,
            format!(
                "expected one statement, found {} — split the input at ';' first",
                statements.len()
            ),
        ));
    }
    match statements.remove(0) {
        ast::Statement::Query(query) => Ok(Statement::Select(query)),
        ast::Statement::Insert(insert) => Ok(Statement::Insert(Box::new(insert))),
        ast::Statement::Delete(delete) => Ok(Statement::Delete(Box::new(delete))),
        other => Err(error_at(
            source,
            1,
            1,
            format!(
                "this {} statement is not supported — oktaql runs {SUPPORTED} statements",
                other
                    .to_string()
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
            ),
        )),
    }
}

/// Turns a sqlparser error (`… at Line: 2, Column: 18`) into a [`SqlError`] in input positions.
fn sql_error(source: &Source, e: ParserError) -> SqlError {
    let raw = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => {
            return error_at(
                source,
                1,
                1,
                "statement nested too deeply — simplify the expression or subqueries".to_string(),
            );
        }
    };
    let (message, position) = split_location(&raw);
    let (line, column) = position.unwrap_or_else(|| end_of_text(&source.text));
    let message = if message.starts_with("Unterminated") || message.starts_with("unterminated") {
        describe_tokenizer_error(message)
    } else {
        describe_parser_error(message)
    };
    error_at(source, line, column, message)
}

/// Splits `"… at Line: 2, Column: 18"` into the message and the position.
fn split_location(raw: &str) -> (&str, Option<(usize, usize)>) {
    let Some(at) = raw.rfind(" at Line: ") else {
        return (raw, None);
    };
    let rest = &raw[at + " at Line: ".len()..];
    let mut numbers = rest.split(", Column: ");
    let line = numbers.next().and_then(|s| s.trim().parse().ok());
    let column = numbers.next().and_then(|s| s.trim().parse().ok());
    match (line, column) {
        (Some(l), Some(c)) if l > 0 => (&raw[..at], Some((l, c))),
        _ => (raw, None),
    }
}

/// `Expected: an expression, found: =` → `expected an expression, found '='`.
fn describe_parser_error(message: &str) -> String {
    let Some(rest) = message.strip_prefix("Expected: ") else {
        return message.to_string();
    };
    match rest.rsplit_once(", found: ") {
        Some((expected, "EOF")) => {
            format!("expected {expected}, found end of statement — the statement is incomplete")
        }
        Some((expected, found)) => format!("expected {expected}, found '{found}'"),
        None => format!("expected {rest}"),
    }
}

/// Tokenizer messages, with the fix added for the common ones.
pub(super) fn describe_tokenizer_error(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.starts_with("unterminated string literal") {
        "unterminated string literal — close it with '".to_string()
    } else if lower.starts_with("unterminated multi-line comment")
        || lower.contains("unterminated multiline comment")
    {
        "unterminated block comment — close it with */".to_string()
    } else if lower.starts_with("unterminated") {
        format!("{message} — close the quote")
    } else {
        message.to_string()
    }
}

/// The statement's kind in lower case, for messages: `select`, `insert`, `delete`, `exec`,
/// `show providers`, `show services`, `show resources`, `show methods` or `describe`.
pub fn statement_kind(statement: &Statement) -> &'static str {
    match statement {
        Statement::Select(_) => "select",
        Statement::Insert(_) => "insert",
        Statement::Delete(_) => "delete",
        Statement::Exec { .. } => "exec",
        Statement::ShowProviders => "show providers",
        Statement::ShowServices { .. } => "show services",
        Statement::ShowResources { .. } => "show resources",
        Statement::ShowMethods { .. } => "show methods",
        Statement::Describe { .. } => "describe",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_suffix_is_split_off() {
        assert_eq!(
            split_location("Expected: an expression, found: = at Line: 2, Column: 18"),
            ("Expected: an expression, found: =", Some((2, 18)))
        );
        assert_eq!(split_location("no location"), ("no location", None));
        assert_eq!(
            split_location("odd at Line: x, Column: 1"),
            ("odd at Line: x, Column: 1", None)
        );
    }

    #[test]
    fn parser_messages_are_reworded() {
        assert_eq!(
            describe_parser_error("Expected: an expression, found: ="),
            "expected an expression, found '='"
        );
        assert_eq!(
            describe_parser_error("Expected: identifier, found: EOF"),
            "expected identifier, found end of statement — the statement is incomplete"
        );
        assert_eq!(describe_parser_error("other"), "other");
    }

    #[test]
    fn suggestions_for_typos() {
        assert_eq!(suggestion("SELEC"), " — did you mean SELECT?");
        assert_eq!(suggestion("EXECC"), " — did you mean EXEC?");
        assert_eq!(suggestion("FOOBAR"), "");
    }

    #[test]
    fn sql_keywords_are_found_after_whitespace_and_comments() {
        for yes in [
            "SELECT 1",
            "  select\n*",
            "-- note\nINSERT INTO t VALUES (1)",
            "/* a */ /* b */ with x AS (SELECT 1) SELECT * FROM x",
            "DELETE FROM t",
            "values (1)",
        ] {
            assert!(starts_with_sql_keyword(yes), "{yes}");
        }
        for no in [
            "EXEC okta.apps.secrets.m",
            "SHOW SERVICES IN okta",
            "\"SELECT\" 1",
            "SELECTED",
            "select_x",
            "selecté",
            "-- only a comment",
            "/* open",
            "",
            "(SELECT 1)",
        ] {
            assert!(!starts_with_sql_keyword(no), "{no}");
        }
    }

    #[test]
    fn the_short_way_and_the_long_way_agree() {
        for text in [
            "SELECT id FROM okta.apps.secrets WHERE appId = 'x'",
            "-- c\nwith a AS (SELECT 1) SELECT * FROM a",
            "INSERT INTO okta.apps.secrets (data__status, subdomain, appId) SELECT 'INACTIVE', 'o', 'a'",
            "DELETE FROM okta.apps.secrets WHERE subdomain = 'o'",
            "VALUES (1)",
            "SELECT 'open",
            "SELECT FROM WHERE",
            "DELETE okta",
            "INSERT INTO t",
        ] {
            let source = Source::new(text);
            let fast = parse(&source).map_err(|e| (e.message, e.line, e.column));
            let slow = parse_tokens(&source).map_err(|e| (e.message, e.line, e.column));
            assert_eq!(fast, slow, "{text}");
        }
    }
}
