//! `$1`, `$2`, … placeholders of the extended query protocol: counting them, and putting
//! each bound value into the statement as a SQL literal before the engine parses it.
//!
//! Values are data: a string becomes one quoted literal (quotes doubled), a number is
//! checked to be a number, so no value can change the statement's shape.

use pgwire::api::portal::Portal;
use pgwire::api::Type;
use pgwire::error::PgWireError;

use super::error::{pg_error, state};
use super::handler::Prepared;

/// Most placeholders in one statement (PostgreSQL's own limit).
pub const MAX_PARAMS: usize = 65_535;

/// A bound value, ready to be written into SQL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    /// `NULL`.
    Null,
    /// A string: written quoted.
    Text(String),
    /// A number, already checked to be one: written as is.
    Number(String),
    /// `TRUE` / `FALSE`.
    Bool(bool),
}

impl Literal {
    /// The literal's SQL text.
    fn sql(&self) -> String {
        match self {
            Literal::Null => "NULL".into(),
            Literal::Text(s) => format!("'{}'", s.replace('\'', "''")),
            Literal::Number(n) => n.clone(),
            Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        }
    }

    /// A stand-in value of type `ty`, for planning a statement before its values are known.
    pub(crate) fn stand_in(ty: &Type) -> Literal {
        if is_number(ty) {
            Literal::Number("1".into())
        } else if *ty == Type::BOOL {
            Literal::Bool(true)
        } else {
            Literal::Text("x".into())
        }
    }
}

/// Whether values of `ty` are numbers.
fn is_number(ty: &Type) -> bool {
    [
        Type::INT2,
        Type::INT4,
        Type::INT8,
        Type::FLOAT4,
        Type::FLOAT8,
        Type::NUMERIC,
        Type::OID,
    ]
    .contains(ty)
}

/// Where each `$n` placeholder of `sql` is: byte range and number. Quoted strings,
/// quoted identifiers, dollar-quoted strings and comments are skipped.
fn placeholders(sql: &str) -> Vec<(std::ops::Range<usize>, usize)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n = sql[start + 1..i].parse().unwrap_or(usize::MAX);
                out.push((start..i, n));
            }
            b'$' => {
                // A dollar quote `$tag$ … $tag$` (tag: letters, digits, `_`).
                let tag_end = sql[i + 1..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e) if b[e] == b'$' => {
                        let tag = &sql[i..=e];
                        match sql[e + 1..].find(tag) {
                            Some(p) => i = e + 1 + p + tag.len(),
                            None => i = b.len(),
                        }
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// How many parameters `sql` takes: its highest `$n`.
pub(crate) fn count(sql: &str) -> Result<usize, PgWireError> {
    let n = placeholders(sql).iter().map(|(_, n)| *n).max().unwrap_or(0);
    if n > MAX_PARAMS {
        return Err(pg_error(
            state::SYNTAX,
            format!("a statement takes at most {MAX_PARAMS} parameters ($1 … ${MAX_PARAMS})"),
        ));
    }
    Ok(n)
}

/// `sql` with each `$n` replaced by the literal of `values[n - 1]`.
pub(crate) fn substitute(sql: &str, values: &[Literal]) -> Result<String, PgWireError> {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for (range, n) in placeholders(sql) {
        let Some(value) = n.checked_sub(1).and_then(|i| values.get(i)) else {
            return Err(pg_error(
                state::SYNTAX,
                format!(
                    "there is no parameter ${n}: the statement was given {} value(s)",
                    values.len()
                ),
            ));
        };
        out.push_str(&sql[at..range.start]);
        out.push_str(&value.sql());
        at = range.end + cast_len(&sql[range.end..]);
    }
    out.push_str(&sql[at..]);
    Ok(out)
}

/// Length of a `::type` cast right after a placeholder (`$1::text`, as postgres_fdw sends):
/// dropped, the literal already has its parameter's type.
fn cast_len(rest: &str) -> usize {
    let Some(after) = rest.strip_prefix("::") else {
        return 0;
    };
    let ty = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(after.len());
    if ty == 0 {
        0
    } else {
        2 + ty
    }
}

/// The type of parameter `i`: as the client declared it, else text.
pub(crate) fn param_type(declared: &[Option<Type>], i: usize) -> Type {
    match declared.get(i).cloned().flatten() {
        Some(t) if t != Type::UNKNOWN => t,
        _ => Type::TEXT,
    }
}

/// The bound values of a portal, read by their types.
pub(crate) fn values(
    portal: &Portal<Prepared>,
    declared: &[Option<Type>],
) -> Result<Vec<Literal>, PgWireError> {
    let mut out = Vec::with_capacity(portal.parameter_len());
    for i in 0..portal.parameter_len() {
        let ty = param_type(declared, i);
        let bad = |e: PgWireError| {
            pg_error(
                state::INVALID_PARAMETER,
                format!("parameter ${}: cannot read it as {}: {e}", i + 1, ty.name()),
            )
        };
        let value = match ty {
            Type::INT2 => portal
                .parameter::<i16>(i, &ty)
                .map_err(bad)?
                .map(|v| Literal::Number(v.to_string())),
            Type::INT4 => portal
                .parameter::<i32>(i, &ty)
                .map_err(bad)?
                .map(|v| Literal::Number(v.to_string())),
            Type::INT8 => portal
                .parameter::<i64>(i, &ty)
                .map_err(bad)?
                .map(|v| Literal::Number(v.to_string())),
            Type::FLOAT4 => portal
                .parameter::<f32>(i, &ty)
                .map_err(bad)?
                .map(|v| Literal::Number(v.to_string())),
            Type::FLOAT8 => portal
                .parameter::<f64>(i, &ty)
                .map_err(bad)?
                .map(|v| Literal::Number(v.to_string())),
            Type::BOOL => portal
                .parameter::<bool>(i, &ty)
                .map_err(bad)?
                .map(Literal::Bool),
            _ => text_param(portal, i, &ty)?,
        };
        out.push(value.unwrap_or(Literal::Null));
    }
    Ok(out)
}

/// A parameter of any other type: its text (text format), or its bytes as UTF-8 for the
/// text-like types sent in binary.
fn text_param(
    portal: &Portal<Prepared>,
    i: usize,
    ty: &Type,
) -> Result<Option<Literal>, PgWireError> {
    let Some(Some(bytes)) = portal.parameters.get(i) else {
        return Ok(None);
    };
    let text_like = [
        Type::TEXT,
        Type::VARCHAR,
        Type::BPCHAR,
        Type::NAME,
        Type::JSON,
    ];
    let bytes: &[u8] = if portal.parameter_format.is_binary(i) {
        if *ty == Type::JSONB {
            bytes.get(1..).unwrap_or_default()
        } else if text_like.contains(ty) {
            bytes
        } else {
            return Err(pg_error(
                state::NOT_SUPPORTED,
                format!(
                    "parameter ${}: type {} in binary format is not supported; send it as text",
                    i + 1,
                    ty.name()
                ),
            ));
        }
    } else {
        bytes
    };
    let text = std::str::from_utf8(bytes).map_err(|_| {
        pg_error(
            state::INVALID_PARAMETER,
            format!("parameter ${} is not UTF-8 text", i + 1),
        )
    })?;
    if is_number(ty) {
        if text.trim().parse::<f64>().is_err() {
            return Err(pg_error(
                state::INVALID_PARAMETER,
                format!("parameter ${}: {text:?} is not a number", i + 1),
            ));
        }
        return Ok(Some(Literal::Number(text.trim().to_string())));
    }
    Ok(Some(Literal::Text(text.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_quotes_and_comments_only() {
        let sql = "SELECT '$1', \"$2\", $$ $3 $$, $tag$ $4 $tag$ -- $5\n /* $6 */ FROM t WHERE a = $1 AND b=$12";
        let found: Vec<usize> = placeholders(sql).into_iter().map(|(_, n)| n).collect();
        assert_eq!(found, vec![1, 12]);
    }

    #[test]
    fn values_become_literals_that_cannot_change_the_statement() {
        let sql = "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d = $4";
        let out = substitute(
            sql,
            &[
                Literal::Text("x' OR '1'='1".into()),
                Literal::Number("5".into()),
                Literal::Bool(false),
                Literal::Null,
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "SELECT * FROM t WHERE a = 'x'' OR ''1''=''1' AND b = 5 AND c = FALSE AND d = NULL"
        );
        assert!(substitute("SELECT $3", &[Literal::Null]).is_err());
        assert_eq!(
            substitute("WHERE a = $1::text)", &[Literal::Text("x".into())]).unwrap(),
            "WHERE a = 'x')"
        );
        assert_eq!(count(sql).unwrap(), 4);
    }
}
