//! Templates: `{{ var }}` rendering with Jinja semantics before statements are parsed.
//!
//! Owns: the variables given with `--var name=value` and `--vars file.json` ([`Vars`]),
//! rendering with minijinja in strict mode (a missing variable is an error that names it),
//! and finding every missing variable up front ([`undefined_variables`]) so a batch run can
//! report them all before running any statement.
//! A variable is data: every value is placed into the SQL by [`place`] so that it cannot
//! change the statement (escaped inside quotes, only a plain name or number elsewhere,
//! unless marked `| safe`).
//! Must not: parse SQL statements or log variable values (they may hold client secrets).

mod place;

use std::fmt;
use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, Template, UndefinedBehavior};
use serde_json::{Map, Value};
use thiserror::Error;

/// A template that could not be rendered, or variables that could not be read.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum TemplateError {
    /// The template text is not valid Jinja.
    #[error("template syntax error at line {line}: {message}")]
    Syntax {
        /// Line in the template text (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Variables the template uses but nobody defined (sorted, without duplicates).
    #[error(
        "undefined template variable(s): {} — pass them with --var name=value or --vars file.json",
        names.join(", ")
    )]
    Undefined {
        /// The missing names.
        names: Vec<String>,
    },
    /// Rendering failed for another reason (an unknown filter, a missing attribute, …).
    #[error("template error at line {line}: {message}")]
    Render {
        /// Line in the template text (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that would change the statement's structure where the template puts it.
    /// The value itself is never shown (it may be a secret).
    #[error(
        "template {what} at line {line} cannot be placed: {reason} — nothing was sent; put it inside '…' (where it is escaped), or, if it is meant to be SQL, mark it {{{{ name | safe }}}} (see \"What a variable can do\" in docs/security.md)"
    )]
    UnsafeValue {
        /// `variable app_id`, or `a template expression`.
        what: String,
        /// Line of the rendered text (1-based).
        line: usize,
        /// Why it cannot go there.
        reason: String,
    },
    /// A `--var` argument that is not `name=value`. Only the name part is kept: the value
    /// may be a secret.
    #[error(
        "invalid --var '{shown}': {reason} — write --var name=value, e.g. --var subdomain=acme"
    )]
    InvalidVar {
        /// The argument up to its `=` (the whole argument when it has no `=`).
        shown: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--vars` file that cannot be read or is not a JSON object.
    #[error("cannot use --vars file {}: {message}", path.display())]
    VarsFile {
        /// The file as given.
        path: PathBuf,
        /// What is wrong, and what it must look like.
        message: String,
    },
}

/// Template variables by name. Later sources win when merged (`--vars` file, then `--var`).
///
/// `Debug` shows the names only: values may be secrets.
#[derive(Clone, Default, PartialEq)]
pub struct Vars(Map<String, Value>);

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vars")
            .field("names", &self.0.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl From<Map<String, Value>> for Vars {
    fn from(map: Map<String, Value>) -> Self {
        Self(map)
    }
}

impl Vars {
    /// No variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `--var name=value` arguments. The value is kept as a string (it may contain `=`);
    /// the name must be a template identifier (letters, digits, `_`, not starting with a digit).
    pub fn from_pairs<I>(pairs: I) -> Result<Self, TemplateError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut vars = Self::new();
        for pair in pairs {
            let pair = pair.as_ref();
            let Some((name, value)) = pair.split_once('=') else {
                return Err(TemplateError::InvalidVar {
                    shown: pair.to_string(),
                    reason: "there is no '='".to_string(),
                });
            };
            let name = name.trim();
            if !is_identifier(name) {
                return Err(TemplateError::InvalidVar {
                    shown: format!("{name}=…"),
                    reason: if name.is_empty() {
                        "the name is empty".to_string()
                    } else {
                        format!("'{name}' is not a valid variable name (use letters, digits and _, not starting with a digit)")
                    },
                });
            }
            vars.set(name, value);
        }
        Ok(vars)
    }

    /// Reads a `--vars` file: a JSON object whose members become variables (any JSON value).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, TemplateError> {
        let path = path.as_ref();
        let fail = |message: String| TemplateError::VarsFile {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            fail(format!(
                "{e} — check the path and that the file is readable"
            ))
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            fail(format!(
                "not valid JSON ({e}) — it must be a JSON object like {{\"subdomain\": \"acme\"}}"
            ))
        })?;
        match value {
            Value::Object(map) => Ok(Self(map)),
            other => Err(fail(format!(
                "the top level is {}, not an object — it must be a JSON object like {{\"subdomain\": \"acme\"}}",
                json_kind(&other)
            ))),
        }
    }

    /// Adds every variable of `other`, replacing variables of the same name.
    pub fn merge(&mut self, other: Vars) {
        self.0.extend(other.0);
    }

    /// Sets one variable.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(name.into(), value.into());
    }

    /// One variable's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Whether `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The variables in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many variables there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The variables as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether `text` has any template syntax at all (`{{`, `{%` or `{#`).
pub fn has_template_syntax(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%' | b'#'))
}

/// Instructions a template may run before rendering stops with an error.
pub const TEMPLATE_FUEL: u64 = 5_000_000;

/// The environment: strict undefined, no autoescape, trailing newline kept, bounded work;
/// every `{{ … }}` output is recorded in `slots` and written as a marker for [`place`].
fn environment(slots: place::Slots) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_formatter(move |out, state, value| {
        if value.is_undefined() {
            // The default formatter reports an undefined value as strict mode requires.
            return minijinja::escape_formatter(out, state, value);
        }
        let slot = place::Slot {
            text: value.to_string(),
            raw: value.is_safe(),
        };
        out.write_str(&place::marker(&slots, slot))
            .map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string()))
    });
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // A runbook's templates are small; a bound on the work they may do keeps a runaway loop
    // from hanging a batch (the error says the template did too much work).
    env.set_fuel(Some(TEMPLATE_FUEL));
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env
}

fn context(vars: &Map<String, Value>) -> minijinja::Value {
    minijinja::Value::from(Serde(vars))
}

fn convert(e: &minijinja::Error) -> TemplateError {
    let line = e.line().unwrap_or(1);
    let message = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    match e.kind() {
        ErrorKind::SyntaxError | ErrorKind::BadEscape => TemplateError::Syntax { line, message },
        ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction => {
            TemplateError::Render {
                line,
                message: format!("{message} — check the spelling"),
            }
        }
        _ => TemplateError::Render { line, message },
    }
}

/// Renders `text` with `vars` (Jinja semantics: `{{ x }}`, filters, `{% if %}`, `{% for %}`,
/// `{% set %}`). Text without template syntax comes back unchanged without invoking the
/// engine. A variable that is used but not defined is a [`TemplateError::Undefined`] naming
/// every such variable.
pub fn render(text: &str, vars: &Vars) -> Result<String, TemplateError> {
    if !has_template_syntax(text) {
        return Ok(text.to_string());
    }
    let slots = place::Slots::default();
    let env = environment(slots.clone());
    let template = env.template_from_str(text).map_err(|e| convert(&e))?;
    match template.render(context(&vars.0)) {
        Ok(out) => {
            let all = slots.lock().unwrap_or_else(|e| e.into_inner()).clone();
            place::place(&out, &all).map_err(|r| place::refused_error(&r, &all, &vars.0))
        }
        Err(e) if e.kind() == ErrorKind::UndefinedError => {
            let names = missing(&env, &template, vars);
            if names.is_empty() {
                Err(convert(&e))
            } else {
                Err(TemplateError::Undefined { names })
            }
        }
        Err(e) => Err(convert(&e)),
    }
}

/// The variables `text` needs that `vars` does not define, sorted. A variable used only
/// where it may be missing (`{{ x | default('y') }}`, `{% if x is defined %}`) is not
/// reported. An invalid template is a [`TemplateError::Syntax`].
pub fn undefined_variables(text: &str, vars: &Vars) -> Result<Vec<String>, TemplateError> {
    if !has_template_syntax(text) {
        return Ok(Vec::new());
    }
    let env = environment(place::Slots::default());
    let template = env.template_from_str(text).map_err(|e| convert(&e))?;
    Ok(missing(&env, &template, vars))
}

/// Names used by `template` and defined neither in `vars` nor as globals, narrowed to those
/// whose absence actually fails rendering.
fn missing(env: &Environment<'_>, template: &Template<'_, '_>, vars: &Vars) -> Vec<String> {
    let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
    let mut candidates: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|n| !vars.contains(n) && !globals.contains(&n.as_str()))
        .collect();
    candidates.sort();
    if candidates.is_empty() {
        return candidates;
    }
    // A template that renders with the variables given needs nothing more, even when a
    // branch not taken uses a name (`{% if a is defined %}{{ b }}{% endif %}`).
    if template.render(context(&vars.0)).is_ok() {
        return Vec::new();
    }
    // With every candidate set to a placeholder the template should render; then a candidate
    // is missing when leaving just it out makes rendering fail on an undefined value.
    let mut filled = vars.0.clone();
    for name in &candidates {
        filled.insert(name.clone(), Value::String(String::new()));
    }
    if template.render(context(&filled)).is_err() {
        return candidates;
    }
    candidates
        .into_iter()
        .filter(|name| {
            let mut without = filled.clone();
            without.remove(name);
            matches!(
                template.render(context(&without)),
                Err(e) if e.kind() == ErrorKind::UndefinedError
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn runaway_templates_stop_with_an_error() {
        let text =
            "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}";
        let err = super::render(text, &super::Vars::new())
            .unwrap_err()
            .to_string();
        assert!(err.to_lowercase().contains("fuel"), "{err}");
    }

    use super::*;
    use serde_json::json;

    fn vars(pairs: &[&str]) -> Vars {
        Vars::from_pairs(pairs).unwrap()
    }

    #[test]
    fn names_in_branches_not_taken_are_not_missing() {
        let text = "{% if other is defined %}{{ otheb }}{% else %}none{% endif %}";
        assert_eq!(render(text, &Vars::new()).unwrap(), "none");
        assert_eq!(
            undefined_variables(text, &Vars::new()).unwrap(),
            Vec::<String>::new()
        );
        let v = vars(&["other=1"]);
        assert_eq!(undefined_variables(text, &v).unwrap(), vec!["otheb"]);
        assert!(matches!(
            render(text, &v),
            Err(TemplateError::Undefined { names }) if names == vec!["otheb"]
        ));
    }

    #[test]
    fn plain_text_comes_back_unchanged() {
        let sql = "SELECT '{' || x FROM t -- a comment with { and }\n/* c */\n";
        assert!(!has_template_syntax(sql));
        assert_eq!(render(sql, &Vars::new()).unwrap(), sql);
        assert_eq!(
            undefined_variables(sql, &Vars::new()).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn detects_template_syntax() {
        assert!(has_template_syntax("a {{ b }}"));
        assert!(has_template_syntax("{% if x %}{% endif %}"));
        assert!(has_template_syntax("{# note #}"));
        assert!(!has_template_syntax("{ } {x} %} }}"));
    }

    #[test]
    fn renders_seed_examples_keeping_comments_and_newlines() {
        let v = vars(&["subdomain=acme", "client_secret=abc"]);
        let text = "SELECT id, status\nFROM okta.apps.secrets\nWHERE subdomain = '{{ subdomain }}' -- required\n;\n\
INSERT INTO okta.apps.secrets (data__client_secret, subdomain)\nSELECT '{{ client_secret }}', '{{ subdomain }}'\n;\n\
EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='{{ subdomain }}' --required\n;\n";
        let out = render(text, &v).unwrap();
        assert_eq!(
            out,
            "SELECT id, status\nFROM okta.apps.secrets\nWHERE subdomain = 'acme' -- required\n;\n\
INSERT INTO okta.apps.secrets (data__client_secret, subdomain)\nSELECT 'abc', 'acme'\n;\n\
EXEC okta.apps.secrets.activate_oauth2_client_secret @subdomain='acme' --required\n;\n"
        );
        // Each rendered statement parses.
        for source in crate::sql::split(&out) {
            crate::sql::parse(&source).unwrap();
        }
    }

    #[test]
    fn escapes_for_sql_not_html() {
        let v = vars(&["x=<a href=\"q\">&'"]);
        assert_eq!(render("'{{ x }}'", &v).unwrap(), "'<a href=\"q\">&'''");
        assert_eq!(render("{{ x | safe }}", &v).unwrap(), "<a href=\"q\">&'");
        let e = render("SELECT {{ x }}", &v).unwrap_err();
        assert!(
            matches!(&e, TemplateError::UnsafeValue { what, line: 1, .. } if what == "variable x"),
            "{e}"
        );
        assert!(!e.to_string().contains("href"), "{e}");
    }

    #[test]
    fn if_for_set_and_filters() {
        let mut v = vars(&["name=acme"]);
        v.set("ids", json!(["a", "b"]));
        v.set("prod", json!(false));
        let text = "{% set host = name ~ '.okta.com' %}{{ host }} {{ name | upper }} \
{{ missing | default('y') }} {% if prod %}P{% else %}T{% endif %} \
{% for i in ids %}'{{ i }}'{% if not loop.last %}, {% endif %}{% endfor %} {{ ids | tojson }}";
        assert_eq!(
            render(text, &v).unwrap(),
            "acme.okta.com ACME y T 'a', 'b' [\"a\", \"b\"]"
        );
    }

    #[test]
    fn strict_undefined_names_the_variables() {
        let err = render(
            "WHERE subdomain = '{{ subdomain }}' AND x = '{{ client_secret }}'",
            &Vars::new(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            TemplateError::Undefined {
                names: vec!["client_secret".into(), "subdomain".into()]
            }
        );
        assert_eq!(
            err.to_string(),
            "undefined template variable(s): client_secret, subdomain — pass them with --var name=value or --vars file.json"
        );
        // An undefined value in an `if` is an error too.
        let err = render("{% if flag %}x{% endif %}", &Vars::new()).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Undefined {
                names: vec!["flag".into()]
            }
        );
    }

    #[test]
    fn undefined_variables_are_all_found_up_front() {
        let text = "SELECT 1 FROM t WHERE a = '{{ b }}' AND c = '{{ a }}';\n\
{% set local = 1 %}{{ local }} {{ d | default('x') }} {% if e is defined %}{{ e }}{% endif %} \
{% for i in range(2) %}{{ i }}{% endfor %} {{ b }}";
        assert_eq!(
            undefined_variables(text, &vars(&["a=1"])).unwrap(),
            vec!["b".to_string()]
        );
        assert_eq!(
            undefined_variables(text, &vars(&["a=1", "b=2"])).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            undefined_variables("{{ x }} {{ y }}", &Vars::new()).unwrap(),
            vec!["x".to_string(), "y".to_string()]
        );
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let err = render(
            "SELECT 1;\nSELECT 2;\nSELECT '{{ subdomain ';",
            &Vars::new(),
        )
        .unwrap_err();
        let TemplateError::Syntax { line, .. } = &err else {
            panic!("not a syntax error: {err:?}")
        };
        assert_eq!(*line, 3);
        assert!(
            err.to_string()
                .starts_with("template syntax error at line 3: "),
            "{err}"
        );
        let err = undefined_variables("a\n{% if x %}", &Vars::new()).unwrap_err();
        assert!(matches!(err, TemplateError::Syntax { .. }), "{err:?}");
    }

    #[test]
    fn other_render_errors_carry_the_line() {
        let err = render("x\n{{ name | nosuchfilter }}", &vars(&["name=a"])).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Render {
                line: 2,
                message: "filter nosuchfilter is unknown — check the spelling".into()
            }
        );
        let err = render("{{ name.first }}", &vars(&["name=a"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template error at line 1: `name.first` is undefined"
        );
    }

    #[test]
    fn keeps_trailing_newline() {
        assert_eq!(render("{{ a }}\n", &vars(&["a=1"])).unwrap(), "1\n");
        assert_eq!(render("{{ a }}\n\n", &vars(&["a=1"])).unwrap(), "1\n\n");
    }

    #[test]
    fn var_pairs() {
        let v = Vars::from_pairs(["subdomain=acme", "q=a=b", "empty=", " spaced =x"]).unwrap();
        assert_eq!(v.get("subdomain"), Some(&json!("acme")));
        assert_eq!(v.get("q"), Some(&json!("a=b")));
        assert_eq!(v.get("empty"), Some(&json!("")));
        assert_eq!(v.get("spaced"), Some(&json!("x")));
        assert_eq!(v.len(), 4);
        // Values stay strings even when they look like numbers.
        assert_eq!(vars(&["n=5"]).get("n"), Some(&json!("5")));
        let names: Vec<&str> = v.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["subdomain", "q", "empty", "spaced"]);
    }

    #[test]
    fn bad_var_pairs_name_the_pair_but_not_the_value() {
        let err = Vars::from_pairs(["subdomain"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --var 'subdomain': there is no '=' — write --var name=value, e.g. --var subdomain=acme"
        );
        let err = Vars::from_pairs(["client-secret=hunter2"]).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with(
                "invalid --var 'client-secret=…': 'client-secret' is not a valid variable name"
            ),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(Vars::from_pairs(["=x"])
            .unwrap_err()
            .to_string()
            .contains("the name is empty"));
        assert!(Vars::from_pairs(["1a=x"]).is_err());
    }

    #[test]
    fn debug_hides_values() {
        let v = vars(&["client_secret=hunter2"]);
        let shown = format!("{v:?}");
        assert!(
            shown.contains("client_secret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn merge_set_and_later_wins() {
        let mut v = vars(&["a=1", "b=2"]);
        v.merge(vars(&["b=3", "c=4"]));
        v.set("d", json!({"k": [1, 2]}));
        assert_eq!(v.get("b"), Some(&json!("3")));
        assert_eq!(v.len(), 4);
        assert!(v.contains("c") && !v.contains("z"));
        assert_eq!(render("{{ d.k[1] }}-{{ b }}", &v).unwrap(), "2-3");
        assert!(Vars::new().is_empty());
        assert_eq!(v.as_map().len(), 4);
    }

    #[test]
    fn vars_from_json_file() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("vars.json");
        std::fs::write(&good, r#"{"subdomain": "acme", "limit": 5, "ids": ["a"]}"#).unwrap();
        let v = Vars::from_json_file(&good).unwrap();
        assert_eq!(v.get("limit"), Some(&json!(5)));
        assert_eq!(
            render("{{ subdomain }} {{ limit + 1 }} {{ ids[0] }}", &v).unwrap(),
            "acme 6 a"
        );

        let array = dir.path().join("array.json");
        std::fs::write(&array, "[1, 2]").unwrap();
        let err = Vars::from_json_file(&array).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot use --vars file {}: the top level is an array, not an object — it must be a JSON object like {{\"subdomain\": \"acme\"}}",
                array.display()
            )
        );

        let broken = dir.path().join("broken.json");
        std::fs::write(&broken, "{\"a\": ").unwrap();
        let err = Vars::from_json_file(&broken).unwrap_err().to_string();
        assert!(err.contains("broken.json: not valid JSON ("), "{err}");

        let missing = dir.path().join("missing.json");
        let err = Vars::from_json_file(&missing).unwrap_err().to_string();
        assert!(
            err.contains("missing.json: ") && err.contains("check the path"),
            "{err}"
        );
    }
}
