//! A variable is data: whatever a variable holds, the rendered statements have the same
//! structure as with a harmless value, or the run stops before anything is parsed.

use oktaql::template::{render, TemplateError, Vars};
use proptest::prelude::*;
use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

/// Values rich in what changes SQL: quotes, semicolons, comments, dollar quotes, newlines.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just("'".to_string()),
                Just("''".to_string()),
                Just("\"".to_string()),
                Just("`".to_string()),
                Just(";".to_string()),
                Just("--".to_string()),
                Just("/*".to_string()),
                Just("*/".to_string()),
                Just("$$".to_string()),
                Just("$t$".to_string()),
                Just("\n".to_string()),
                Just("\\".to_string()),
                Just("{{".to_string()),
                Just(" DELETE FROM okta.apps.secrets ".to_string()),
                "[a-z0-9]{1,3}",
            ],
            0..10,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// The statement's shape: its tokens with the contents of literals, names and comments
/// left out.
fn shape(sql: &str) -> Vec<String> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .expect("rendered SQL tokenizes");
    tokens
        .into_iter()
        .filter_map(|t| match t {
            Token::Whitespace(Whitespace::SingleLineComment { .. }) => Some("--".into()),
            Token::Whitespace(Whitespace::MultiLineComment(_)) => Some("/**/".into()),
            Token::Whitespace(_) => None,
            Token::SingleQuotedString(_) => Some("'str'".into()),
            Token::DoubleQuotedString(_) => Some("\"str\"".into()),
            Token::DollarQuotedString(_) => Some("$str$".into()),
            Token::EscapedStringLiteral(_) => Some("E'str'".into()),
            Token::Word(w) if w.quote_style.is_some() => Some("\"name\"".into()),
            Token::Word(_) | Token::Number(..) => Some("atom".into()),
            other => Some(format!("{other:?}")),
        })
        .collect()
}

/// Every place a variable can stand in a template.
const TEMPLATES: &[&str] = &[
    "SELECT id FROM okta.apps.secrets WHERE subdomain = 'my-org' AND appId = '{{ v }}'; SELECT 1",
    "SELECT \"{{ v }}\" FROM t; SELECT 1",
    "SELECT 1 -- {{ v }}\n; SELECT 2",
    "SELECT 1 /* {{ v }} */; SELECT 2",
    "SELECT $$ {{ v }} $$; SELECT 2",
    "SELECT $tag$ {{ v }} $tag$; SELECT 2",
    "SELECT E'{{ v }}'; SELECT 2",
    "SELECT id FROM t LIMIT {{ v }}; SELECT 2",
    "SELECT '{{ v | upper }}' || '{{ v }}'; SELECT 2",
];

/// Each template with a harmless value: its shape and statement count, worked out once
/// rather than again for every case.
fn harmless() -> &'static [(Vec<String>, usize)] {
    static HARMLESS: std::sync::OnceLock<Vec<(Vec<String>, usize)>> = std::sync::OnceLock::new();
    HARMLESS.get_or_init(|| {
        TEMPLATES
            .iter()
            .map(|t| {
                let text = rendered(t, "x").unwrap();
                (shape(&text), oktaql::sql::split(&text).len())
            })
            .collect()
    })
}

fn rendered(template: &str, value: &str) -> Result<String, TemplateError> {
    let mut vars = Vars::new();
    vars.set("v", value);
    render(template, &vars)
}

/// Cases per run: 600 keeps the test near a second in a debug build; CI also runs it with
/// `PROPTEST_CASES=1500` (the count it had), and a developer can raise it the same way.
const CASES: u32 = 600;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::common::proptest_cases(CASES)))]

    #[test]
    fn a_value_never_changes_the_statements(value in hostile()) {
        for (template, (harmless_shape, harmless_count)) in TEMPLATES.iter().zip(harmless()) {
            match rendered(template, &value) {
                Ok(text) => {
                    prop_assert_eq!(
                        &shape(&text),
                        harmless_shape,
                        "template {:?}, value {:?} gave {:?}",
                        template,
                        value,
                        text
                    );
                    prop_assert_eq!(
                        oktaql::sql::split(&text).len(),
                        *harmless_count
                    );
                }
                Err(TemplateError::UnsafeValue { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected error {e} for {value:?}"),
            }
        }
    }
}
