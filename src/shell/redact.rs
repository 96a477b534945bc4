//! Removing secret values from shell input before it enters the history.
//!
//! Owns the rules that decide which literals are secrets:
//! - the value paired with a `data__client_secret` column of an `INSERT` (by position in the
//!   `VALUES` tuples or the `SELECT` list; when the position cannot be found, every literal of
//!   that statement);
//! - a literal compared to or assigned to a secret-named column or argument
//!   (`client_secret = '…'`, `@client_secret='…'`);
//! - `client_secret` members inside an `@@json='{…}'` body;
//! - any literal that looks like an API token or generated secret (30 or more characters
//!   of `[A-Za-z0-9_-]` mixing letter cases or digits);
//! - the value of `.set NAME VALUE` when the name or the value looks secret.
//!
//! Literals that are template expressions (`'{{ new_secret }}'`) are kept: they hold a
//! variable name, not a value. Must not: change anything but the secret literals.

use std::borrow::Cow;

use super::lex::{self, Kind, Token};

/// What a removed value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Whether a column, argument or variable name holds secrets (the one rule of
/// [`crate::secrets::is_secret_key`]).
pub fn is_secret_name(name: &str) -> bool {
    crate::secrets::is_secret_key(name)
}

/// Whether a value looks like an API token or a generated secret: 30 or more characters of
/// the token alphabet, mixing at least two of lower case, upper case and digits.
pub fn looks_like_token(value: &str) -> bool {
    let value = value.trim();
    if value.chars().count() < 30
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return false;
    }
    let classes = [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
    ];
    classes.iter().filter(|b| **b).count() >= 2
}

/// `input` with every secret value replaced by `'<redacted>'`.
pub fn redact(input: &str) -> Cow<'_, str> {
    if let Some(rest) = meta_set(input) {
        return rest;
    }
    let tokens = lex::tokens(input);
    let mut secret: Vec<usize> = Vec::new();
    // A statement that does not parse cannot be followed: none of its literals is kept.
    let mut offset = 0;
    for source in crate::sql::split(input) {
        if crate::sql::parse(&source).is_err() {
            let at = input[offset..]
                .find(source.text.as_str())
                .map_or(offset, |i| offset + i);
            let range = at..at + source.text.len();
            secret.extend(
                tokens
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.kind == Kind::Str && range.contains(&t.range.start))
                    .map(|(i, _)| i),
            );
            offset = range.end;
        }
    }
    // Statement by statement.
    let mut start = 0;
    for end in tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.is_punct(input, ';'))
        .map(|(i, _)| i)
        .chain(std::iter::once(tokens.len()))
    {
        statement_secrets(input, &tokens[start..end], start, &mut secret);
        start = end + 1;
        if start > tokens.len() {
            break;
        }
    }
    let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != Kind::Str {
            continue;
        }
        let value = t.string_value(input);
        if is_template(&value) {
            continue;
        }
        if secret.contains(&i) || looks_like_token(&value) {
            replacements.push((t.range.clone(), format!("'{REDACTED}'")));
        } else if value.to_ascii_lowercase().contains("client_secret") {
            if let Some(clean) = redact_json(&value) {
                replacements.push((t.range.clone(), format!("'{}'", clean.replace('\'', "''"))));
            }
        }
    }
    if replacements.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut at = 0;
    for (range, text) in replacements {
        out.push_str(&input[at..range.start]);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&input[at..]);
    Cow::Owned(out)
}

fn is_template(value: &str) -> bool {
    crate::template::has_template_syntax(value)
}

/// `.set NAME VALUE` with a secret-looking name or value: the value replaced.
fn meta_set(input: &str) -> Option<Cow<'_, str>> {
    let trimmed = input.trim_start();
    let rest = trimmed.strip_prefix(".set")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let (name, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let value = value.trim();
    let unquoted = value.trim_matches(|c| c == '\'' || c == '"');
    if value.is_empty()
        || is_template(unquoted)
        || !(is_secret_name(name) || looks_like_token(unquoted))
    {
        return Some(Cow::Borrowed(input));
    }
    Some(Cow::Owned(format!(".set {name} {REDACTED}")))
}

/// Indexes (into the whole token list) of the string literals of one statement that hold
/// secret values. `offset` is the index of the statement's first token.
fn statement_secrets(input: &str, tokens: &[Token], offset: usize, out: &mut Vec<usize>) {
    let code: Vec<(usize, &Token)> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != Kind::Comment)
        .map(|(i, t)| (i + offset, t))
        .collect();
    // `name = 'value'` and `@name='value'` for secret names.
    for w in code.windows(3) {
        let (name, op, value) = (w[0].1, w[1].1, w[2].1);
        if matches!(name.kind, Kind::Word | Kind::Quoted)
            && is_secret_name(name.text(input))
            && op.is_punct(input, '=')
            && value.kind == Kind::Str
        {
            out.push(w[2].0);
        }
    }
    // INSERT INTO x (…, data__client_secret, …) VALUES (…) | SELECT …
    let is_insert = code
        .first()
        .is_some_and(|(_, t)| t.is_word(input, "INSERT"));
    if !is_insert {
        return;
    }
    let Some(open) = code.iter().position(|(_, t)| t.is_punct(input, '(')) else {
        return;
    };
    let Some(columns) = list_items(input, &code[open + 1..]) else {
        return;
    };
    let secret_positions: Vec<usize> = columns
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            item.len() == 1
                && matches!(item[0].1.kind, Kind::Word | Kind::Quoted)
                && is_secret_name(item[0].1.text(input))
        })
        .map(|(i, _)| i)
        .collect();
    if secret_positions.is_empty() {
        return;
    }
    let rest = &code[open + 1 + columns.consumed..];
    let mut found = false;
    let mut take = |items: &[Vec<(usize, &Token)>], out: &mut Vec<usize>| {
        for &p in &secret_positions {
            if let Some(item) = items.get(p) {
                for (i, t) in item {
                    if t.kind == Kind::Str {
                        out.push(*i);
                        found = true;
                    }
                }
            }
        }
    };
    match rest.first() {
        Some((_, t)) if t.is_word(input, "VALUES") => {
            let mut at = 1;
            while let Some((_, t)) = rest.get(at) {
                if !t.is_punct(input, '(') {
                    at += 1;
                    continue;
                }
                match list_items(input, &rest[at + 1..]) {
                    Some(tuple) => {
                        take(&tuple.items, out);
                        at += 1 + tuple.consumed;
                    }
                    None => break,
                }
            }
        }
        Some((_, t)) if t.is_word(input, "SELECT") => {
            // Every SELECT of a `UNION [ALL]` chain gives rows.
            let mut at = 1;
            loop {
                let items = select_items(input, &rest[at..]);
                take(&items, out);
                let Some(next) = rest[at..]
                    .iter()
                    .position(|(_, t)| t.is_word(input, "SELECT"))
                    .map(|p| p + at + 1)
                    .filter(|_| rest[at..].iter().any(|(_, t)| t.is_word(input, "UNION")))
                else {
                    break;
                };
                at = next;
            }
        }
        _ => {}
    }
    if !found {
        // The position could not be followed: keep no literal of this statement.
        out.extend(
            rest.iter()
                .filter(|(_, t)| t.kind == Kind::Str)
                .map(|(i, _)| *i),
        );
    }
}

struct Items<'t> {
    items: Vec<Vec<(usize, &'t Token)>>,
    /// Tokens consumed, including the closing `)`.
    consumed: usize,
}

/// The comma-separated items of a parenthesised list whose `(` was just passed; `None`
/// when the list is not closed.
fn list_items<'t>(input: &str, tokens: &[(usize, &'t Token)]) -> Option<Items<'t>> {
    let mut items = vec![Vec::new()];
    let mut depth = 0usize;
    for (n, &(i, t)) in tokens.iter().enumerate() {
        if t.is_punct(input, '(') {
            depth += 1;
        } else if t.is_punct(input, ')') {
            if depth == 0 {
                return Some(Items {
                    items,
                    consumed: n + 1,
                });
            }
            depth -= 1;
        } else if depth == 0 && t.is_punct(input, ',') {
            items.push(Vec::new());
            continue;
        }
        if let Some(last) = items.last_mut() {
            last.push((i, t));
        }
    }
    None
}

/// The comma-separated items of a SELECT list, up to FROM/WHERE/RETURNING or the end.
fn select_items<'t>(input: &str, tokens: &[(usize, &'t Token)]) -> Vec<Vec<(usize, &'t Token)>> {
    const END: &[&str] = &[
        "FROM",
        "WHERE",
        "RETURNING",
        "UNION",
        "GROUP",
        "ORDER",
        "LIMIT",
    ];
    let mut items = vec![Vec::new()];
    let mut depth = 0usize;
    for &(i, t) in tokens {
        if depth == 0 && END.iter().any(|w| t.is_word(input, w)) {
            break;
        }
        if t.is_punct(input, '(') {
            depth += 1;
        } else if t.is_punct(input, ')') {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && t.is_punct(input, ',') {
            items.push(Vec::new());
            continue;
        }
        if let Some(last) = items.last_mut() {
            last.push((i, t));
        }
    }
    items
}

/// A JSON body with its `client_secret` members replaced; `None` when nothing changed.
/// Text that is not JSON but mentions `client_secret` is replaced whole.
fn redact_json(text: &str) -> Option<String> {
    fn walk(v: &mut serde_json::Value) -> bool {
        let mut changed = false;
        match v {
            serde_json::Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if is_secret_name(k) && !val.is_null() {
                        *val = serde_json::Value::String(REDACTED.into());
                        changed = true;
                    } else {
                        changed |= walk(val);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    changed |= walk(item);
                }
            }
            _ => {}
        }
        changed
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v) => walk(&mut v).then(|| v.to_string()),
        Err(_) => Some(REDACTED.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Xk2lP9qRt5vW8yZb3nM6cF1hJ4gD7sA0eQu";

    fn r(input: &str) -> String {
        redact(input).into_owned()
    }

    #[test]
    fn insert_select_by_position() {
        let sql = "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId)\n\
                   SELECT 'short-but-secret', 'my-org', '0oa8f2kr7HwM3cPeL9s2';";
        let out = r(sql);
        assert!(!out.contains("short-but-secret"), "{out}");
        assert!(out.contains("'my-org'") && out.contains("'0oa8f2kr7HwM3cPeL9s2'"));
        assert!(out.contains("'<redacted>'"));
    }

    #[test]
    fn insert_values_by_position_in_every_tuple() {
        let sql = "insert into okta.apps.secrets (subdomain, appId, \"data__client_secret\") \
                   values ('my-org', 'a', 'one'), ('my-org', 'b', 'two')";
        let out = r(sql);
        assert!(!out.contains("'one'") && !out.contains("'two'"), "{out}");
        assert!(out.contains("'a'") && out.contains("'b'"));
    }

    #[test]
    fn unfollowable_insert_hides_every_literal() {
        let sql = "INSERT INTO okta.apps.secrets (data__client_secret, appId) \
                   SELECT x, y FROM t WHERE z = 'hidden-maybe'";
        assert!(!r(sql).contains("hidden-maybe"));
    }

    #[test]
    fn exec_arguments_and_comparisons() {
        let out = r("EXEC okta.apps.secrets.m @appId='a', @client_secret='plain'");
        assert!(
            !out.contains("plain") && out.contains("@appId='a'"),
            "{out}"
        );
        let out = r("SELECT id FROM okta.apps.secrets WHERE client_secret = 'abc'");
        assert!(!out.contains("'abc'"), "{out}");
    }

    #[test]
    fn json_bodies_lose_only_the_secret() {
        let out = r(
            r#"EXEC okta.apps.secrets.create @appId='a' @@json='{"client_secret": "s3", "status": "ACTIVE"}'"#,
        );
        assert!(!out.contains("s3"), "{out}");
        assert!(out.contains("ACTIVE"), "{out}");
    }

    #[test]
    fn token_shaped_literals_anywhere() {
        let out = r(&format!("SELECT '{SECRET}' AS x"));
        assert_eq!(out, "SELECT '<redacted>' AS x");
        let token = "00abcdefghijklmnopqrstuvwxyzABCDEFGHIJ1234";
        assert!(looks_like_token(token));
        // Ids, labels and short values stay.
        assert!(!looks_like_token("0oa8f2kr7HwM3cPeL9s2"));
        assert!(!looks_like_token("a_long_snake_case_label_without_digits"));
        assert!(!looks_like_token(
            "with spaces in it but very long indeed yes"
        ));
    }

    #[test]
    fn templates_and_plain_statements_stay() {
        let sql = "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) \
                   SELECT '{{ new_secret }}', '{{ subdomain }}', 'x'";
        assert_eq!(r(sql), sql);
        let plain = "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org'";
        assert!(matches!(redact(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn union_rows_dollar_strings_and_unparsable_statements() {
        let sql = "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) \
                   SELECT 'first-secret', 'my-org', 'a' UNION ALL SELECT 'second-secret', 'my-org', 'b'";
        let out = r(sql);
        assert!(
            !out.contains("first-secret") && !out.contains("second-secret"),
            "{out}"
        );
        assert!(out.contains("'my-org'") && out.contains("'b'"), "{out}");
        let sql = "INSERT INTO okta.apps.secrets (data__client_secret, subdomain, appId) \
                   SELECT $$dollar-secret$$, 'my-org', 'a'";
        assert!(!r(sql).contains("dollar-secret"), "{}", r(sql));
        let sql = "INSERT INTO okta.apps.secrets (data__client_secret) VALUES ('half-typed',";
        assert!(!r(sql).contains("half-typed"), "{}", r(sql));
    }

    #[test]
    fn set_commands() {
        assert_eq!(
            r(".set client_secret hunter2"),
            ".set client_secret <redacted>"
        );
        assert_eq!(r(&format!(".set s {SECRET}")), ".set s <redacted>");
        assert_eq!(r(".set subdomain my-org"), ".set subdomain my-org");
    }

    #[test]
    fn secret_names() {
        for n in [
            "data__client_secret",
            "@client_secret",
            "CLIENT_SECRET",
            "api_token",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["secret_hash", "secretId", "subdomain", "status"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
