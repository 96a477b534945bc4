//! psql's name patterns as its catalog queries carry them: `n.nspname OPERATOR(pg_catalog.~)
//! '^(apps)$'`, read out of the query and matched against schema and table names.

/// The regular expression compared with `column` (`n.nspname OPERATOR(pg_catalog.~)
/// '^(apps)$'`), if the query has one.
pub(crate) fn pattern_after(sql: &str, column: &str) -> Option<String> {
    let mut rest = sql;
    while let Some(at) = rest.find(column) {
        let after = rest[at + column.len()..].trim_start();
        let after = after
            .strip_prefix("OPERATOR(pg_catalog.~)")
            .or_else(|| after.strip_prefix("~"))
            .map(str::trim_start);
        if let Some(quoted) = after.and_then(|a| a.strip_prefix('\'')) {
            let mut out = String::new();
            let mut chars = quoted.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        out.push('\'');
                        continue;
                    }
                    return Some(out);
                }
                out.push(c);
            }
            return None;
        }
        rest = &rest[at + column.len()..];
    }
    None
}

/// Whether `name` matches one of psql's name patterns turned into a regular expression:
/// `^(…)$` with `.` for any character, `.*` for any run, `\` escaping, `|` between
/// alternatives. Case-insensitive, as unquoted names are.
pub(crate) fn regex_matches(re: &str, name: &str) -> bool {
    let inner = re.strip_prefix('^').unwrap_or(re);
    let inner = inner.strip_suffix('$').unwrap_or(inner);
    let inner = inner
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(inner);
    let name: Vec<char> = name.to_lowercase().chars().collect();
    inner.split('|').any(|alt| {
        // Tokens: Some(c) a literal, None any character; the flag: repeated (`*`).
        let mut tokens: Vec<(Option<char>, bool)> = Vec::new();
        let mut chars = alt.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => tokens.push((chars.next().map(|c| c.to_ascii_lowercase()), false)),
                '.' => tokens.push((None, false)),
                '*' => {
                    if let Some(last) = tokens.last_mut() {
                        last.1 = true;
                    }
                }
                c => tokens.push((Some(c.to_ascii_lowercase()), false)),
            }
        }
        glob(&tokens, &name)
    })
}

/// Matches tokens against characters (backtracking over repeated tokens).
fn glob(tokens: &[(Option<char>, bool)], name: &[char]) -> bool {
    match tokens.split_first() {
        None => name.is_empty(),
        Some((&(tok, repeated), rest)) => {
            let fits = |c: &char| tok.is_none_or(|t| t == *c);
            if repeated {
                let mut i = 0;
                loop {
                    if glob(rest, &name[i..]) {
                        return true;
                    }
                    if i < name.len() && fits(&name[i]) {
                        i += 1;
                    } else {
                        return false;
                    }
                }
            } else {
                name.first().is_some_and(fits) && glob(rest, &name[1..])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_patterns_match_like_psql_means_them() {
        assert!(regex_matches("^(apps)$", "apps"));
        assert!(!regex_matches("^(apps)$", "apps2"));
        assert!(regex_matches("^(app.*)$", "applications"));
        assert!(regex_matches("^(s.crets)$", "secrets"));
        assert!(regex_matches("^(a|b)$", "b"));
        assert!(regex_matches("^(x\\.y)$", "x.y"));
        assert!(!regex_matches("^(x\\.y)$", "xzy"));
    }

    #[test]
    fn patterns_are_read_from_psql_queries() {
        let q = "WHERE c.relname OPERATOR(pg_catalog.~) '^(secrets)$' COLLATE pg_catalog.default AND n.nspname OPERATOR(pg_catalog.~) '^(apps)$'";
        assert_eq!(pattern_after(q, "nspname").as_deref(), Some("^(apps)$"));
        assert_eq!(pattern_after("n.nspname !~ '^pg_toast'", "nspname"), None);
    }
}
