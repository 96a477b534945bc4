//! Tab completion candidates, from the provider registry and the statement being typed.
//!
//! Owns: what may come at the cursor — meta commands at the start of the input; keywords;
//! `okta.` → services → resources; method names after `EXEC okta.apps.secrets.`; `@param=`
//! names for the chosen method; columns and parameters of the resources the statement
//! names (`data__` body columns in an `INSERT`). Must not: do I/O beyond reading the
//! registry (service documents load lazily on first use).

use crate::provider::{Registry, Resource, Service, SqlVerb};

use super::lex::{self, Kind, Token};
use super::meta::COMMANDS;

/// SQL and StackQL keywords offered for completion.
pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "LIKE",
    "AS",
    "ORDER",
    "BY",
    "GROUP",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "DISTINCT",
    "COUNT",
    "JOIN",
    "LEFT",
    "INNER",
    "ON",
    "ASC",
    "DESC",
    "INSERT",
    "INTO",
    "VALUES",
    "RETURNING",
    "DELETE",
    "EXEC",
    "SHOW",
    "SERVICES",
    "RESOURCES",
    "METHODS",
    "PROVIDERS",
    "DESCRIBE",
    "EXTENDED",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "TRUE",
    "FALSE",
    "UNION",
    "ALL",
];

/// What completes the word at the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Byte offset where the replaced word starts.
    pub start: usize,
    /// Replacements for `line[start..pos]`, most relevant first.
    pub candidates: Vec<String>,
}

/// A resource named in the statement, resolved in the registry.
struct Named {
    service: std::sync::Arc<Service>,
    index: usize,
}

impl Named {
    fn resource(&self) -> &Resource {
        &self.service.resources[self.index]
    }
}

/// Candidates for the word ending at byte `pos` of `line` (the whole input buffer).
/// `recent` names resources (`okta.apps.secrets`) used by earlier statements: their columns
/// are offered while the statement being typed names none yet (`SELECT id, st|`).
pub fn complete(registry: &Registry, line: &str, pos: usize, recent: &[String]) -> Completion {
    let pos = pos.min(line.len());
    let before = &line[..pos];
    let tokens = lex::tokens(line);
    // Inside a string or comment: nothing to offer.
    if tokens.iter().any(|t| {
        matches!(t.kind, Kind::Str | Kind::Comment | Kind::Quoted)
            && t.range.start < pos
            && (pos < t.range.end || (pos == t.range.end && !t.closed))
    }) {
        return Completion::default();
    }
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| lex::is_word_char(*c))
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &line[start..pos];
    // Meta commands at the very start of the input.
    if word.starts_with('.') && line[..start].trim().is_empty() {
        return Completion {
            start,
            candidates: matching(COMMANDS.iter().map(|(n, _, _)| n.to_string()), word),
        };
    }
    let range = lex::statement_at(&tokens, line, pos);
    let statement: Vec<&Token> = tokens[range]
        .iter()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    // The statement's tokens before the word being completed.
    let preceding: Vec<&Token> = statement
        .iter()
        .copied()
        .filter(|t| t.range.end <= start)
        .collect();
    let verb = statement
        .first()
        .filter(|t| t.kind == Kind::Word && t.range.start < start)
        .map(|t| t.text(line).to_ascii_uppercase())
        .unwrap_or_default();
    let previous = preceding
        .last()
        .map(|t| t.text(line).to_ascii_uppercase())
        .unwrap_or_default();

    let candidates =
        if let Some(name) = word.strip_prefix('@') {
            exec_args(registry, line, &statement, name)
        } else if word.contains('.') {
            dotted(registry, line, &statement, &verb, word)
        } else if verb == "EXEC" && preceding.len() >= 2 && !word.is_empty() {
            // After the method: its arguments.
            exec_args(registry, line, &statement, word)
        } else if matches!(
            previous.as_str(),
            "FROM" | "JOIN" | "INTO" | "DESCRIBE" | "EXTENDED" | "EXEC" | "IN" | "DELETE"
        ) && !statement_names_resource(registry, line, &statement)
        {
            let wants_bare =
                previous == "IN" && preceding.iter().any(|t| t.is_word(line, "SERVICES"));
            let providers = registry.provider_names().into_iter().map(|p| {
                if wants_bare {
                    p
                } else {
                    format!("{p}.")
                }
            });
            let mut out = matching(providers, word);
            out.extend(keywords(word));
            out
        } else {
            let mut cols = columns(registry, line, &statement, &verb);
            if cols.is_empty() && matches!(verb.as_str(), "SELECT" | "") && !word.is_empty() {
                cols = recent_columns(registry, recent);
            }
            let mut out = matching(cols, word);
            if out.len() > 1 || !word.is_empty() {
                out.extend(keywords(word));
            }
            if word.is_empty() && out.is_empty() && verb.is_empty() {
                out = keywords(word);
            }
            out
        };
    Completion {
        start,
        candidates: dedup(candidates),
    }
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|s| seen.insert(s.clone()));
    items
}

/// The items that start with `prefix` (ignoring case), sorted.
fn matching(items: impl IntoIterator<Item = String>, prefix: &str) -> Vec<String> {
    let lower = prefix.to_ascii_lowercase();
    let mut out: Vec<String> = items
        .into_iter()
        .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
        .collect();
    out.sort_by_key(|c| c.to_ascii_lowercase());
    out
}

/// Keywords starting with `prefix`, in its case (lower case when typed in lower case).
fn keywords(prefix: &str) -> Vec<String> {
    let lower = !prefix.is_empty() && prefix.chars().all(|c| !c.is_ascii_uppercase());
    matching(KEYWORDS.iter().map(|k| k.to_string()), prefix)
        .into_iter()
        .map(|k| if lower { k.to_ascii_lowercase() } else { k })
        .collect()
}

/// Resources the statement names (`okta.apps.secrets`, also as `okta.apps.secrets.method`
/// in EXEC), resolved in the registry.
fn named_resources(registry: &Registry, line: &str, statement: &[&Token]) -> Vec<Named> {
    let mut out: Vec<Named> = Vec::new();
    for t in statement.iter().filter(|t| t.kind == Kind::Word) {
        let parts: Vec<&str> = t.text(line).split('.').collect();
        if parts.len() < 3 || parts.iter().take(3).any(|p| p.is_empty()) {
            continue;
        }
        if let Ok((service, index)) = registry.resource(parts[0], parts[1], parts[2]) {
            if !out
                .iter()
                .any(|n| n.resource().id == service.resources[index].id)
            {
                out.push(Named { service, index });
            }
        }
    }
    out
}

/// The resources (`okta.apps.secrets`) that `text` names, resolved in the registry.
pub fn resources_named(registry: &Registry, text: &str) -> Vec<String> {
    let tokens = lex::tokens(text);
    let refs: Vec<&Token> = tokens.iter().collect();
    named_resources(registry, text, &refs)
        .iter()
        .map(|n| n.resource().id.clone())
        .collect()
}

/// Select columns of recently used resources.
fn recent_columns(registry: &Registry, recent: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in recent {
        let parts: Vec<&str> = id.split('.').collect();
        if parts.len() != 3 {
            continue;
        }
        if let Ok((svc, index)) = registry.resource(parts[0], parts[1], parts[2]) {
            out.extend(
                svc.resources[index]
                    .select_columns()
                    .iter()
                    .map(|c| c.name.clone()),
            );
        }
    }
    out
}

fn statement_names_resource(registry: &Registry, line: &str, statement: &[&Token]) -> bool {
    !named_resources(registry, line, statement).is_empty()
}

/// Columns and parameters of the named resources; in an INSERT, `data__` body columns.
fn columns(registry: &Registry, line: &str, statement: &[&Token], verb: &str) -> Vec<String> {
    let mut out = Vec::new();
    for named in named_resources(registry, line, statement) {
        let resource = named.resource();
        let (sql_verb, prefix_body) = match verb {
            "INSERT" => (SqlVerb::Insert, true),
            "DELETE" => (SqlVerb::Delete, false),
            _ => (SqlVerb::Select, false),
        };
        if sql_verb == SqlVerb::Select || verb == "INSERT" {
            out.extend(resource.select_columns().iter().map(|c| c.name.clone()));
        }
        let mut methods = resource.methods_for(sql_verb);
        if methods.is_empty() {
            methods = resource.methods.iter().collect();
        }
        for m in methods {
            if prefix_body {
                if let Some(body) = &m.request_body {
                    out.extend(body.columns.iter().map(|c| format!("data__{}", c.name)));
                }
            }
            out.extend(
                m.params
                    .iter()
                    .filter(|p| p.location != crate::provider::ParamLocation::Header)
                    .map(|p| p.name.clone()),
            );
        }
    }
    out
}

/// `okta.` → services, `okta.apps.` → resources, `okta.apps.secrets.` → methods (EXEC);
/// `alias.` → columns of the named resources.
fn dotted(
    registry: &Registry,
    line: &str,
    statement: &[&Token],
    verb: &str,
    word: &str,
) -> Vec<String> {
    let parts: Vec<&str> = word.split('.').collect();
    let provider = registry
        .provider_names()
        .into_iter()
        .find(|p| p.eq_ignore_ascii_case(parts[0]));
    let Some(provider) = provider else {
        // `t.` with `t` an alias or table: the columns of what the statement names.
        let head = parts[..parts.len() - 1].join(".");
        let cols = columns(registry, line, statement, verb)
            .into_iter()
            .map(|c| format!("{head}.{c}"));
        return matching(cols, word);
    };
    match parts.len() {
        2 => {
            let services = registry.services(&provider).unwrap_or_default();
            matching(
                services
                    .into_iter()
                    .map(|s| format!("{provider}.{}", s.name)),
                word,
            )
        }
        3 => match registry.service(&provider, parts[1]) {
            Ok(svc) => matching(
                svc.resources
                    .iter()
                    .map(|r| format!("{provider}.{}.{}", svc.name, r.name)),
                word,
            ),
            Err(_) => Vec::new(),
        },
        4 if verb == "EXEC" || statement.is_empty() || verb.is_empty() => {
            match registry.resource(&provider, parts[1], parts[2]) {
                Ok((svc, index)) => {
                    let r = &svc.resources[index];
                    matching(
                        r.methods
                            .iter()
                            .map(|m| format!("{provider}.{}.{}.{}", svc.name, r.name, m.name)),
                        word,
                    )
                }
                Err(_) => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// `@name=` arguments of the EXEC statement's method, those not given yet first.
fn exec_args(registry: &Registry, line: &str, statement: &[&Token], prefix: &str) -> Vec<String> {
    let Some(target) = statement.get(1).filter(|t| t.kind == Kind::Word) else {
        return Vec::new();
    };
    let parts: Vec<&str> = target.text(line).split('.').collect();
    if parts.len() != 4 {
        return Vec::new();
    }
    let Ok((svc, index)) = registry.resource(parts[0], parts[1], parts[2]) else {
        return Vec::new();
    };
    let Some(method) = svc.resources[index].method(parts[3]) else {
        return Vec::new();
    };
    let given: Vec<String> = statement
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .filter_map(|t| t.text(line).strip_prefix('@'))
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let mut names: Vec<String> = method
        .params
        .iter()
        .filter(|p| p.location != crate::provider::ParamLocation::Header)
        .filter(|p| {
            !given.contains(&p.name.to_ascii_lowercase()) || p.name.eq_ignore_ascii_case(prefix)
        })
        .map(|p| p.name.clone())
        .collect();
    if method.request_body.is_some() {
        names.push("@json".to_string());
    }
    matching(names, prefix.trim_start_matches('@'))
        .into_iter()
        .map(|n| format!("@{n}="))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(line: &str) -> Vec<String> {
        complete(&Registry::embedded(), line, line.len(), &[]).candidates
    }

    #[test]
    fn services_then_resources() {
        assert_eq!(c("SHOW RESOURCES IN okta.ap"), vec!["okta.apps"]);
        let r = c("SELECT * FROM okta.apps.");
        assert!(r.contains(&"okta.apps.secrets".to_string()), "{r:?}");
        assert!(r.contains(&"okta.apps.applications".to_string()), "{r:?}");
        assert_eq!(c("select * from okta.apps.sec"), vec!["okta.apps.secrets"]);
    }

    #[test]
    fn providers_after_from() {
        assert_eq!(c("SELECT id FROM ok"), vec!["okta."]);
        assert_eq!(c("SHOW SERVICES IN ok"), vec!["okta"]);
    }

    #[test]
    fn columns_after_select_and_in_where() {
        let line = "SELECT st FROM okta.apps.secrets";
        let r = complete(&Registry::embedded(), line, 9, &[]);
        assert_eq!(r.start, 7);
        assert!(r.candidates.contains(&"status".to_string()), "{r:?}");
        let r = c("SELECT id FROM okta.apps.secrets WHERE app");
        assert_eq!(r[0], "appId", "{r:?}");
        let r = c("SELECT id FROM okta.apps.secrets WHERE sub");
        assert!(r.contains(&"subdomain".to_string()), "{r:?}");
    }

    #[test]
    fn insert_offers_body_columns() {
        let r = c("INSERT INTO okta.apps.secrets (data__");
        assert!(r.contains(&"data__client_secret".to_string()), "{r:?}");
        assert!(r.contains(&"data__status".to_string()), "{r:?}");
    }

    #[test]
    fn exec_methods_and_arguments() {
        let r = c("EXEC okta.apps.secrets.");
        assert!(
            r.iter()
                .any(|m| m == "okta.apps.secrets.deactivate_oauth2_client_secret"),
            "{r:?}"
        );
        let r = c("EXEC okta.apps.secrets.deactivate_oauth2_client_secret @");
        for want in ["@subdomain=", "@appId=", "@secretId="] {
            assert!(r.contains(&want.to_string()), "{want} in {r:?}");
        }
        let r = c("EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='x', @app");
        assert_eq!(r, vec!["@appId="]);
        let r = c("EXEC okta.apps.secrets.deactivate_oauth2_client_secret @subdomain='x', @");
        assert!(!r.contains(&"@subdomain=".to_string()), "{r:?}");
    }

    #[test]
    fn keywords_follow_the_typed_case() {
        assert_eq!(c("SEL"), vec!["SELECT"]);
        assert_eq!(c("sel"), vec!["select"]);
        assert!(c("SELECT id FROM okta.apps.secrets WH").contains(&"WHERE".to_string()));
    }

    #[test]
    fn meta_commands_at_the_start() {
        assert_eq!(c(".ti"), vec![".timer"]);
        assert!(c(".").len() > 5);
    }

    #[test]
    fn nothing_inside_strings() {
        assert!(c("SELECT id FROM okta.apps.secrets WHERE subdomain = 'my").is_empty());
    }

    #[test]
    fn recent_resources_help_before_from_is_typed() {
        let registry = Registry::embedded();
        let recent = resources_named(&registry, "SELECT id FROM okta.apps.secrets WHERE x = 1");
        assert_eq!(recent, vec!["okta.apps.secrets"]);
        let r = complete(&registry, "SELECT id, st", 13, &recent).candidates;
        assert!(r.contains(&"status".to_string()), "{r:?}");
        assert!(complete(&registry, "SELECT id, st", 13, &[])
            .candidates
            .is_empty());
    }

    #[test]
    fn only_the_current_statement_counts() {
        let r = c("SELECT id FROM okta.apps.secrets; SELECT st");
        assert!(!r.contains(&"status".to_string()), "{r:?}");
    }
}
