//! `EXEC provider.service.resource.method [@name=value[,] …] [@@json='{…}']`.
//!
//! StackQL's grammar: arguments are `@name=value` with a string, number, boolean or null value,
//! commas between them are optional, and `@@json` carries the request body as a JSON string.

use serde_json::Value;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::cursor::Cursor;
use super::{Literal, ObjectRef, SqlError, Statement};

/// Parses the rest of an `EXEC` statement; the `EXEC` keyword is already consumed.
pub(super) fn parse_exec(cur: &mut Cursor<'_>, keyword: &str) -> Result<Statement, SqlError> {
    let mut parts = cur.name_of(&["provider", "service", "resource", "method"], keyword)?;
    let method = parts.pop().unwrap_or_default();
    let resource = parts.pop().unwrap_or_default();
    let service = parts.pop().unwrap_or_default();
    let provider = parts.pop().unwrap_or_default();

    let mut args: Vec<(String, Literal)> = Vec::new();
    let mut body: Option<Value> = None;
    let mut after_comma = false;
    while let Some(next) = cur.peek().cloned() {
        let name = match &next.token {
            Token::Word(w) if w.quote_style.is_none() && w.value.starts_with('@') => {
                w.value.clone()
            }
            Token::SemiColon if !after_comma => break,
            _ => {
                return Err(cur.error_here(format!(
                    "expected an argument @name=value{}, found {} — write arguments like @appId='0oa1', @limit=20",
                    if after_comma { " after ','" } else { "" },
                    cur.found()
                )))
            }
        };
        cur.next_token();
        if name == "@" || name == "@@" {
            return Err(cur.error_at(
                next.span.start,
                format!("'{name}' needs a name right after it, as in @appId='0oa1'"),
            ));
        }
        if !cur.consume(&Token::Eq) {
            return Err(cur.error_here(format!(
                "expected '=' after {name}, found {} — write {name}=value",
                cur.found()
            )));
        }
        let value_at = cur.peek().map(|t| t.span.start);
        let value = literal(cur, &name)?;
        if let Some(json_name) = name.strip_prefix("@@") {
            if !json_name.eq_ignore_ascii_case("json") {
                return Err(cur.error_at(
                    next.span.start,
                    format!("unknown argument {name} — the only @@ argument is @@json='{{…}}' (the request body)"),
                ));
            }
            if body.is_some() {
                return Err(cur.error_at(
                    next.span.start,
                    "@@json given twice — pass the whole request body in one @@json".to_string(),
                ));
            }
            let Value::String(text) = value else {
                return Err(cur.error_at(
                    value_at.unwrap_or(next.span.start),
                    "@@json takes the request body as JSON in single quotes, e.g. @@json='{\"name\": \"x\"}'"
                        .to_string(),
                ));
            };
            let parsed: Value = serde_json::from_str(&text).map_err(|e| {
                cur.error_at(
                    value_at.unwrap_or(next.span.start),
                    format!(
                        "invalid JSON in @@json ({e}) — pass the request body as valid JSON in single quotes, e.g. @@json='{{\"name\": \"x\"}}'"
                    ),
                )
            })?;
            body = Some(parsed);
        } else {
            let plain = name[1..].to_string();
            if args.iter().any(|(n, _)| *n == plain) {
                return Err(cur.error_at(
                    next.span.start,
                    format!("argument {name} given twice — pass each argument once"),
                ));
            }
            args.push((plain, value));
        }
        after_comma = cur.consume(&Token::Comma);
    }
    if after_comma {
        return Err(cur.error_here(
            "expected an argument @name=value after ',', found end of statement — remove the trailing ','"
                .to_string(),
        ));
    }
    cur.finish("EXEC")?;
    Ok(Statement::Exec {
        target: ObjectRef {
            provider,
            service,
            resource,
        },
        method,
        args,
        body,
    })
}

/// A literal value: `'string'`, a number (optionally signed), `true`, `false` or `null`.
fn literal(cur: &mut Cursor<'_>, name: &str) -> Result<Literal, SqlError> {
    let negative = if cur.consume(&Token::Minus) {
        true
    } else {
        cur.consume(&Token::Plus);
        false
    };
    let Some(TokenWithSpan { token, span }) = cur.peek().cloned() else {
        return Err(bad_value(cur, name));
    };
    let value = match token {
        Token::SingleQuotedString(s) if !negative => Value::String(s),
        Token::Number(digits, _) => number(&digits, negative).ok_or_else(|| {
            cur.error_at(
                span.start,
                format!("number {digits} for {name} is out of range"),
            )
        })?,
        Token::Word(w) if w.quote_style.is_none() && !negative => {
            match w.value.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => return Err(bad_value(cur, name)),
            }
        }
        _ => return Err(bad_value(cur, name)),
    };
    cur.next_token();
    Ok(value)
}

fn bad_value(cur: &Cursor<'_>, name: &str) -> SqlError {
    let hint = match cur.peek().map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style == Some('"') => {
            " — strings take single quotes: 'text', not \"text\""
        }
        _ => " — use 'text', a number, true, false or null",
    };
    cur.error_here(format!(
        "expected a value after {name}=, found {}{hint}",
        cur.found()
    ))
}

/// A number as written, with its sign (see [`super::number_value`]).
fn number(digits: &str, negative: bool) -> Option<Value> {
    if negative {
        super::number_value(&format!("-{digits}"))
    } else {
        super::number_value(digits)
    }
}
