//! Shell meta commands (`.help`, `.output json`, `.timer on`, `.set subdomain acme`, …) as a
//! typed enum, parsed from a line that starts a fresh input.
//!
//! Owns: the command names, their arguments and the help text. Must not: run anything.

use std::fmt;

use crate::render::OutputFormat;

/// A meta command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaCommand {
    /// `.help`: statements with examples and the meta commands.
    Help,
    /// `.output [FORMAT]`: set (or show) the output format.
    Output(Option<OutputFormat>),
    /// `.timer on|off`: show elapsed time after each statement.
    Timer(bool),
    /// `.dryrun on|off`: print plans instead of sending requests.
    DryRun(bool),
    /// `.cache SECONDS|off`: keep GET answers across statements for SECONDS (writes forget
    /// them); `None` is off. `.cache` alone shows the setting.
    Cache(Option<u64>),
    /// `.cache`: show the cache setting.
    CacheShow,
    /// `.headers on|off`: show or hide header rows.
    Headers(bool),
    /// `.vars`: list template variables.
    Vars,
    /// `.set NAME VALUE`: set a template variable.
    Set {
        /// Variable name.
        name: String,
        /// Its value (quotes removed).
        value: String,
    },
    /// `.unset NAME`: remove a template variable.
    Unset(String),
    /// `.tables [PATTERN]`, `\dt [PATTERN]`, bare `\d`: list resources, optionally only
    /// those whose full name matches PATTERN (a substring, or a glob with `*` and `?`).
    Tables(Option<String>),
    /// `.schema RESOURCE`, `\d RESOURCE`: the resource's columns (its `DESCRIBE`).
    Schema(String),
    /// `\x [on|off]`, `.expanded [on|off]`: expanded display (toggles without an argument).
    Expanded(Option<bool>),
    /// `.pager on|off`: results taller than the terminal go through `$PAGER`.
    Pager(bool),
    /// `.quit`, `.exit`, `\q`, `exit`, `quit`: leave the shell.
    Quit,
}

/// A meta command that could not be parsed; the message says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MetaError(pub String);

/// The commands, for completion and `.help`: name, arguments, what it does.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (".help", "", "statements with examples, and these commands"),
    (
        ".output",
        "[table|json|jsonl|csv|text|markdown]",
        "set or show the output format",
    ),
    (
        ".timer",
        "on|off",
        "show the elapsed time after each statement",
    ),
    (
        ".dryrun",
        "on|off",
        "print each statement's plan instead of sending it",
    ),
    (
        ".cache",
        "SECONDS|off",
        "reuse GET answers across statements for SECONDS (a write forgets them)",
    ),
    (".headers", "on|off", "show or hide header rows"),
    (
        ".vars",
        "",
        "list template variables (secret values masked)",
    ),
    (
        ".set",
        "NAME VALUE",
        "set a template variable for {{ NAME }}",
    ),
    (".unset", "NAME", "remove a template variable"),
    (
        ".tables",
        "[PATTERN]",
        "list resources, or those matching PATTERN (also \\dt)",
    ),
    (
        ".schema",
        "RESOURCE",
        "the columns of a resource (also \\d RESOURCE)",
    ),
    (
        ".expanded",
        "[on|off]",
        "one block per row, column | value (also \\x)",
    ),
    (
        ".pager",
        "on|off",
        "page results taller than the terminal with $PAGER (default less -S)",
    ),
    (
        ".quit",
        "",
        "leave the shell (also .exit, \\q, exit, Ctrl-D)",
    ),
];

/// Whether `input` (a fresh input, before any statement text) is a meta command rather
/// than SQL: it starts with `.` or `\`, or is just `exit` / `quit`.
pub fn is_meta(input: &str) -> bool {
    let t = input.trim();
    t.starts_with('.') || t.starts_with('\\') || is_bare_quit(t)
}

fn is_bare_quit(t: &str) -> bool {
    let t = t.trim_end_matches(';').trim();
    t.eq_ignore_ascii_case("exit") || t.eq_ignore_ascii_case("quit")
}

fn on_off(command: &str, arg: Option<&str>) -> Result<bool, MetaError> {
    match arg.map(|a| a.to_ascii_lowercase()).as_deref() {
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some("off" | "false" | "0" | "no") => Ok(false),
        _ => Err(MetaError(format!("usage: {command} on|off"))),
    }
}

/// A resource name as typed: `provider.service.resource`, letters, digits, `_` and `-`.
fn resource_name(name: &str) -> Result<String, MetaError> {
    let parts: Vec<&str> = name.split('.').collect();
    let plain = parts.iter().all(|p| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if parts.len() == 3 && plain {
        Ok(name.to_string())
    } else {
        Err(MetaError(format!(
            "'{name}' is not a resource name: write provider.service.resource (e.g. okta.apps.secrets); .tables lists them"
        )))
    }
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['\'', '"'] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

impl MetaCommand {
    /// Parses a meta command line (see [`is_meta`]); a trailing `;` is ignored.
    pub fn parse(input: &str) -> Result<MetaCommand, MetaError> {
        let line = input.trim();
        if is_bare_quit(line) {
            return Ok(MetaCommand::Quit);
        }
        let line = line.strip_suffix(';').unwrap_or(line).trim_end();
        let (command, rest) = match line.split_once(char::is_whitespace) {
            Some((c, r)) => (c, r.trim()),
            None => (line, ""),
        };
        let arg = rest.split_whitespace().next();
        let lower = command.to_ascii_lowercase();
        match lower.as_str() {
            ".help" | ".h" | "\\?" | "\\h" => Ok(MetaCommand::Help),
            ".quit" | ".exit" | ".q" | "\\q" => Ok(MetaCommand::Quit),
            ".output" | ".mode" | ".o" => match arg {
                None => Ok(MetaCommand::Output(None)),
                Some(a) => {
                    OutputFormat::from_name(a)
                        .map(|f| MetaCommand::Output(Some(f)))
                        .ok_or_else(|| {
                            MetaError(format!(
                                "unknown output format '{a}': use one of table, json, jsonl, csv, text, markdown"
                            ))
                        })
                }
            },
            ".timer" => on_off(".timer", arg).map(MetaCommand::Timer),
            ".pager" => on_off(".pager", arg).map(MetaCommand::Pager),
            ".dryrun" | ".dry-run" | ".dry_run" => on_off(".dryrun", arg).map(MetaCommand::DryRun),
            ".cache" => match arg {
                None => Ok(MetaCommand::CacheShow),
                Some(a) if a.eq_ignore_ascii_case("off") || a == "0" => Ok(MetaCommand::Cache(None)),
                Some(a) => match a.parse::<u64>() {
                    Ok(n) if n <= crate::exec::MAX_TTL_SECS => Ok(MetaCommand::Cache(Some(n))),
                    _ => Err(MetaError(format!(
                        "usage: .cache SECONDS|off (e.g. .cache 300); '{a}' is not a number of seconds from 1 to {}",
                        crate::exec::MAX_TTL_SECS
                    ))),
                },
            },
            ".headers" | ".header" => on_off(".headers", arg).map(MetaCommand::Headers),
            ".vars" | ".variables" => Ok(MetaCommand::Vars),
            ".set" => {
                let (name, value) = rest
                    .split_once(char::is_whitespace)
                    .map(|(n, v)| (n, v.trim()))
                    .unwrap_or((rest, ""));
                if name.is_empty() || value.is_empty() {
                    return Err(MetaError(
                        "usage: .set NAME VALUE (e.g. .set subdomain my-org), then use {{ NAME }} in statements"
                            .into(),
                    ));
                }
                if crate::template::Vars::from_pairs([format!("{name}=x")]).is_err() {
                    return Err(MetaError(format!(
                        "'{name}' is not a valid variable name: use letters, digits and _, not starting with a digit"
                    )));
                }
                Ok(MetaCommand::Set {
                    name: name.to_string(),
                    value: unquote(value).to_string(),
                })
            }
            ".tables" | "\\dt" => Ok(MetaCommand::Tables(arg.map(str::to_string))),
            ".schema" | "\\d" | "\\d+" => match arg {
                Some(name) => resource_name(name).map(MetaCommand::Schema),
                None if lower.starts_with('\\') => Ok(MetaCommand::Tables(None)),
                None => Err(MetaError(
                    "usage: .schema RESOURCE (e.g. .schema okta.apps.secrets); .tables lists them"
                        .into(),
                )),
            },
            ".expanded" | "\\x" => match arg {
                None => Ok(MetaCommand::Expanded(None)),
                Some(_) => on_off(command, arg).map(|on| MetaCommand::Expanded(Some(on))),
            },
            ".unset" => match arg {
                Some(name) => Ok(MetaCommand::Unset(name.to_string())),
                None => Err(MetaError("usage: .unset NAME".into())),
            },
            _ => {
                let names = COMMANDS.iter().map(|(n, _, _)| *n);
                let hint = crate::provider::nearest(&lower, names)
                    .map(|n| format!("did you mean {n}? "))
                    .unwrap_or_default();
                Err(MetaError(format!(
                    "unknown command {command}: {hint}.help lists the commands"
                )))
            }
        }
    }
}

/// The `.help` text.
pub struct Help;

impl fmt::Display for Help {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Statements end with ';' and may span lines. Tab completes keywords, names, columns and parameters.")?;
        writeln!(f)?;
        writeln!(f, "Discover:")?;
        writeln!(f, "  SHOW SERVICES IN okta;")?;
        writeln!(f, "  SHOW RESOURCES IN okta.apps;")?;
        writeln!(f, "  SHOW METHODS IN okta.apps.secrets;")?;
        writeln!(f, "  DESCRIBE okta.apps.secrets;")?;
        writeln!(f, "Query:")?;
        writeln!(
            f,
            "  SELECT id, label FROM okta.apps.applications WHERE subdomain = 'my-org' LIMIT 5;"
        )?;
        writeln!(f, "  SELECT id, status, created FROM okta.apps.secrets")?;
        writeln!(
            f,
            "    WHERE subdomain = 'my-org' AND appId = '0oa8f2kr7HwM3cPeL9s2';"
        )?;
        // A rotation of Grafana's secrets, in the order it is done: every example runs on
        // the demo org as written, one after another (the app holds at most two secrets).
        writeln!(
            f,
            "Change (rotate a secret: drop the inactive one, add, deactivate the old):"
        )?;
        writeln!(
            f,
            "  DELETE FROM okta.apps.secrets WHERE subdomain = 'my-org'"
        )?;
        writeln!(
            f,
            "    AND appId = '0oa8f2kr7HwM3cPeL9s2' AND secretId = 'ocsOBwKiaHGmdZc4DOc9';"
        )?;
        writeln!(f, "  INSERT INTO okta.apps.secrets (subdomain, appId)")?;
        writeln!(
            f,
            "    SELECT 'my-org', '0oa8f2kr7HwM3cPeL9s2' RETURNING id, status;"
        )?;
        writeln!(
            f,
            "  EXEC okta.apps.secrets.deactivate_oauth2_client_secret"
        )?;
        writeln!(
            f,
            "    @subdomain='my-org', @appId='0oa8f2kr7HwM3cPeL9s2', @secretId='ocsnpBqEzjeUjeBLRktC';"
        )?;
        writeln!(
            f,
            "Templates: .set subdomain my-org, then WHERE subdomain = '{{{{ subdomain }}}}'."
        )?;
        writeln!(f)?;
        writeln!(f, "Commands:")?;
        for (name, args, what) in COMMANDS {
            let usage = if args.is_empty() {
                name.to_string()
            } else {
                format!("{name} {args}")
            };
            writeln!(f, "  {usage:<48} {what}")?;
        }
        writeln!(f)?;
        write!(
            f,
            "Ctrl-C cancels a running statement or clears the input; Ctrl-D leaves."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<MetaCommand, MetaError> {
        MetaCommand::parse(s)
    }

    #[test]
    fn recognises_meta_input() {
        for s in [
            ".help",
            "  .output json",
            "\\q",
            "exit",
            "QUIT;",
            ".timer on",
        ] {
            assert!(is_meta(s), "{s}");
        }
        for s in ["SELECT 1", "exit_code", "explain"] {
            assert!(!is_meta(s), "{s}");
        }
    }

    #[test]
    fn parses_commands() {
        assert_eq!(p(".help"), Ok(MetaCommand::Help));
        assert_eq!(p("\\q"), Ok(MetaCommand::Quit));
        assert_eq!(p("exit"), Ok(MetaCommand::Quit));
        assert_eq!(p(".quit;"), Ok(MetaCommand::Quit));
        assert_eq!(
            p(".output JSON"),
            Ok(MetaCommand::Output(Some(OutputFormat::Json)))
        );
        assert_eq!(
            p(".mode md"),
            Ok(MetaCommand::Output(Some(OutputFormat::Markdown)))
        );
        assert_eq!(p(".output"), Ok(MetaCommand::Output(None)));
        assert_eq!(p(".timer on"), Ok(MetaCommand::Timer(true)));
        assert_eq!(p(".timer off;"), Ok(MetaCommand::Timer(false)));
        assert_eq!(p(".pager off"), Ok(MetaCommand::Pager(false)));
        assert_eq!(p(".pager on"), Ok(MetaCommand::Pager(true)));
        assert_eq!(p(".dryrun on"), Ok(MetaCommand::DryRun(true)));
        assert_eq!(p(".cache 300"), Ok(MetaCommand::Cache(Some(300))));
        assert_eq!(p(".cache off"), Ok(MetaCommand::Cache(None)));
        assert_eq!(p(".cache"), Ok(MetaCommand::CacheShow));
        assert!(p(".cache forever").unwrap_err().0.contains("usage: .cache"));
        assert_eq!(p(".headers off"), Ok(MetaCommand::Headers(false)));
        assert_eq!(p(".vars"), Ok(MetaCommand::Vars));
        assert_eq!(
            p(".set subdomain 'my org'"),
            Ok(MetaCommand::Set {
                name: "subdomain".into(),
                value: "my org".into()
            })
        );
        assert_eq!(
            p(".unset subdomain"),
            Ok(MetaCommand::Unset("subdomain".into()))
        );
        assert_eq!(p(".tables"), Ok(MetaCommand::Tables(None)));
        assert_eq!(p("\\dt"), Ok(MetaCommand::Tables(None)));
        assert_eq!(p("\\d"), Ok(MetaCommand::Tables(None)));
        assert_eq!(
            p(".tables secret*"),
            Ok(MetaCommand::Tables(Some("secret*".into())))
        );
        assert_eq!(
            p("\\d okta.apps.secrets"),
            Ok(MetaCommand::Schema("okta.apps.secrets".into()))
        );
        assert_eq!(
            p(".schema okta.apps.secrets;"),
            Ok(MetaCommand::Schema("okta.apps.secrets".into()))
        );
        assert_eq!(p("\\x"), Ok(MetaCommand::Expanded(None)));
        assert_eq!(p("\\x on"), Ok(MetaCommand::Expanded(Some(true))));
        assert_eq!(p(".expanded off"), Ok(MetaCommand::Expanded(Some(false))));
        assert_eq!(p("\\?"), Ok(MetaCommand::Help));
    }

    #[test]
    fn schema_takes_a_resource_name_only() {
        assert!(p(".schema").unwrap_err().0.contains(".schema RESOURCE"));
        let e = p("\\d okta.apps.secrets;DROP").unwrap_err().0;
        assert!(e.contains("provider.service.resource"), "{e}");
        assert!(p("\\d secrets").is_err());
    }

    #[test]
    fn errors_say_how() {
        assert!(p(".timer maybe").unwrap_err().0.contains("on|off"));
        assert!(p(".output xml").unwrap_err().0.contains("table, json"));
        assert!(p(".set x").unwrap_err().0.contains(".set NAME VALUE"));
        assert!(p(".set 1x y")
            .unwrap_err()
            .0
            .contains("not a valid variable name"));
        let e = p(".timr on").unwrap_err().0;
        assert!(e.contains("did you mean .timer"), "{e}");
    }

    #[test]
    fn help_lists_every_command() {
        let text = Help.to_string();
        for (name, _, _) in COMMANDS {
            assert!(text.contains(name), "{name}");
        }
        assert!(text.contains("{{ subdomain }}"));
    }
}
