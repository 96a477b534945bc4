//! Placing variable values into SQL text so that no value can change a statement's
//! structure.
//!
//! Rendering writes a marker for every `{{ … }}` output and keeps the value aside; this
//! module then reads the rendered SQL, sees where each marker stands, and puts the value
//! in escaped for that place:
//! - inside `'…'` (and `"…"`, `` `…` ``): quotes doubled, so the value stays one literal;
//! - inside a `$tag$…$tag$` string, a `-- …` or `/* … */` comment: as it is, unless it
//!   would end that string or comment (then the run stops);
//! - anywhere else: only a plain name (`acme`, `okta.apps`) or number (`20`, `-1.5`);
//!   anything else stops the run, naming the variable.
//!
//! A value marked `| safe` in the template goes in as it is, wherever it stands: the
//! template author takes responsibility for it being SQL.

use std::sync::{Arc, Mutex};

use super::TemplateError;

/// Starts a marker (a private-use character; the marker is `OPEN index CLOSE`).
const OPEN: char = '\u{E000}';
/// Ends a marker.
const CLOSE: char = '\u{E001}';

/// One value written by the template.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    /// The value as text.
    pub text: String,
    /// Marked `| safe`: placed as it is.
    pub raw: bool,
}

/// The values written during one rendering, in order.
pub(super) type Slots = Arc<Mutex<Vec<Slot>>>;

/// Records `slot` and returns its marker.
pub(super) fn marker(slots: &Slots, slot: Slot) -> String {
    let mut all = slots.lock().unwrap_or_else(|e| e.into_inner());
    all.push(slot);
    format!("{OPEN}{}{CLOSE}", all.len() - 1)
}

/// Where a marker stands in the SQL text.
#[derive(Debug, Clone, PartialEq)]
enum At {
    Code,
    /// In `'…'`; `backslash` for `E'…'` strings, where `\` escapes too.
    Single {
        backslash: bool,
    },
    Double,
    Backtick,
    Dollar(String),
    LineComment,
    BlockComment(usize),
}

/// Why a value cannot go where it stands (never quoting the value).
fn refusal(at: &At, value: &str) -> Option<&'static str> {
    match at {
        At::Code => (!is_plain(value)).then_some(
            "outside quotes a value must be a plain name or number, and this one is empty or holds other characters",
        ),
        At::Dollar(tag) => value
            .contains(&format!("${tag}$"))
            .then_some("it would end the $…$ string it stands in"),
        At::LineComment => value
            .contains(['\n', '\r'])
            .then_some("it has a line break and stands in a -- comment"),
        At::BlockComment(_) => (value.contains("*/") || value.contains("/*"))
            .then_some("it would end or open a /* */ comment"),
        At::Single { .. } | At::Double | At::Backtick => None,
    }
}

/// A plain name (`acme`, `okta.apps`, `my-org` is not one) or number (`20`, `-1.5`); not
/// nothing (an empty value would leave a hole in the statement).
fn is_plain(v: &str) -> bool {
    let name = |p: &str| {
        let mut c = p.chars();
        matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
            && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let number = |v: &str| {
        let digits = v.strip_prefix('-').unwrap_or(v);
        let mut parts = digits.splitn(2, '.');
        let whole = parts.next().unwrap_or("");
        !whole.is_empty()
            && whole.chars().all(|c| c.is_ascii_digit())
            && parts
                .next()
                .is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
    };
    !v.is_empty() && (v.split('.').all(name) || number(v))
}

/// The value escaped for where it stands.
fn escaped(at: &At, value: &str) -> String {
    match at {
        At::Single { backslash: false } => value.replace('\'', "''"),
        At::Single { backslash: true } => value.replace('\\', "\\\\").replace('\'', "''"),
        At::Double => value.replace('"', "\"\""),
        At::Backtick => value.replace('`', "``"),
        _ => value.to_string(),
    }
}

/// A value that cannot be placed: the variable (by `name_of`), the line and the reason.
pub(super) struct Refused {
    pub index: usize,
    pub line: usize,
    pub reason: &'static str,
}

/// Puts every marked value of `rendered` in place. Fails on the first value that would
/// change the statement.
pub(super) fn place(rendered: &str, slots: &[Slot]) -> Result<String, Refused> {
    if !rendered.contains(OPEN) {
        return Ok(rendered.to_string());
    }
    let chars: Vec<char> = rendered.chars().collect();
    let mut out = String::with_capacity(rendered.len());
    let mut at = At::Code;
    let mut line = 1;
    let mut i = 0;
    let word_before = |i: usize| i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == OPEN {
            let end = chars[i..].iter().position(|&c| c == CLOSE).map(|p| i + p);
            let index: Option<usize> =
                end.and_then(|e| chars[i + 1..e].iter().collect::<String>().parse().ok());
            if let (Some(end), Some(slot)) = (end, index.and_then(|n| slots.get(n))) {
                if slot.raw {
                    out.push_str(&slot.text);
                } else {
                    if let Some(reason) = refusal(&at, &slot.text) {
                        return Err(Refused {
                            index: index.unwrap_or(0),
                            line,
                            reason,
                        });
                    }
                    out.push_str(&escaped(&at, &slot.text));
                }
                i = end + 1;
                continue;
            }
        }
        if c == '\n' {
            line += 1;
        }
        out.push(c);
        i += 1;
        match &mut at {
            At::Code => match c {
                '\'' => {
                    let e_prefix =
                        i >= 2 && matches!(chars[i - 2], 'e' | 'E') && !word_before(i - 2);
                    at = At::Single {
                        backslash: e_prefix,
                    };
                }
                '"' => at = At::Double,
                '`' => at = At::Backtick,
                '-' if next == Some('-') => {
                    out.push('-');
                    i += 1;
                    at = At::LineComment;
                }
                '/' if next == Some('*') => {
                    out.push('*');
                    i += 1;
                    at = At::BlockComment(1);
                }
                '$' if !word_before(i - 1) => {
                    let tag: String = chars[i..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                        .collect();
                    if chars.get(i + tag.chars().count()) == Some(&'$')
                        && !tag.starts_with(|c: char| c.is_ascii_digit())
                    {
                        out.push_str(&tag);
                        out.push('$');
                        i += tag.chars().count() + 1;
                        at = At::Dollar(tag);
                    }
                }
                _ => {}
            },
            At::Single { backslash } => {
                if *backslash && c == '\\' {
                    if let Some(n) = next {
                        out.push(n);
                        i += 1;
                    }
                } else if c == '\'' {
                    if next == Some('\'') {
                        out.push('\'');
                        i += 1;
                    } else {
                        at = At::Code;
                    }
                }
            }
            At::Double | At::Backtick => {
                let q = if at == At::Double { '"' } else { '`' };
                if c == q {
                    if next == Some(q) {
                        out.push(q);
                        i += 1;
                    } else {
                        at = At::Code;
                    }
                }
            }
            At::Dollar(tag) => {
                let close = format!("${tag}$");
                if c == '$'
                    && chars[i - 1..]
                        .iter()
                        .take(close.chars().count())
                        .collect::<String>()
                        == close
                {
                    let rest = close.chars().count() - 1;
                    out.extend(&chars[i..i + rest]);
                    i += rest;
                    at = At::Code;
                }
            }
            At::LineComment => {
                if c == '\n' {
                    at = At::Code;
                }
            }
            At::BlockComment(depth) => {
                if c == '*' && next == Some('/') {
                    out.push('/');
                    i += 1;
                    *depth -= 1;
                    if *depth == 0 {
                        at = At::Code;
                    }
                } else if c == '/' && next == Some('*') {
                    out.push('*');
                    i += 1;
                    *depth += 1;
                }
            }
        }
    }
    Ok(out)
}

/// Builds the error for a refused value, naming the variable whose value it is.
pub(super) fn refused_error(
    r: &Refused,
    slots: &[Slot],
    vars: &serde_json::Map<String, serde_json::Value>,
) -> TemplateError {
    let text = slots.get(r.index).map(|s| s.text.as_str()).unwrap_or("");
    let names: Vec<&str> = vars
        .iter()
        .filter(|(_, v)| match v {
            serde_json::Value::String(s) => s == text,
            other => {
                let shown = other.to_string();
                shown == text
            }
        })
        .map(|(k, _)| k.as_str())
        .collect();
    let name = if names.is_empty() {
        "a template expression".to_string()
    } else {
        format!("variable {}", names.join(" / "))
    };
    TemplateError::UnsafeValue {
        line: r.line,
        what: name,
        reason: r.reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(template: &str, values: &[&str]) -> Result<String, &'static str> {
        let slots: Slots = Arc::default();
        let mut text = template.to_string();
        for v in values {
            let m = marker(
                &slots,
                Slot {
                    text: v.to_string(),
                    raw: false,
                },
            );
            text = text.replacen("{}", &m, 1);
        }
        let all = slots.lock().unwrap().clone();
        place(&text, &all).map_err(|r| r.reason)
    }

    #[test]
    fn literals_are_escaped_and_code_must_be_plain() {
        assert_eq!(
            run("a = '{}' AND b = \"{}\"", &["x'; DROP", "q\"x"]).unwrap(),
            "a = 'x''; DROP' AND b = \"q\"\"x\""
        );
        assert_eq!(run("LIMIT {}", &["20"]).unwrap(), "LIMIT 20");
        assert_eq!(
            run("FROM okta.{}", &["apps.secrets"]).unwrap(),
            "FROM okta.apps.secrets"
        );
        assert!(run("LIMIT {}", &["1; DELETE"]).is_err());
        assert!(run("x = {}", &["'a'"]).is_err());
        assert!(run("x = {}", &["my-org"]).is_err());
    }

    #[test]
    fn the_place_is_followed_through_quotes_comments_and_dollars() {
        // A quote doubled inside a literal does not end it.
        assert_eq!(run("'it''s {}'", &["a'b"]).unwrap(), "'it''s a''b'");
        assert!(run("-- {}\nSELECT 1", &["x\nDELETE"]).is_err());
        assert!(run("/* {} */", &["*/ DELETE /*"]).is_err());
        assert!(run("$$ {} $$", &["$$; DELETE"]).is_err());
        assert_eq!(run("$t$ {} $t$", &["$$ ok"]).unwrap(), "$t$ $$ ok $t$");
        assert!(
            run("$$ x $$ {}", &["1;"]).is_err(),
            "after the $$ string it is code"
        );
        assert_eq!(run("E'{}'", &["a\\'"]).unwrap(), "E'a\\\\'''");
    }
}
