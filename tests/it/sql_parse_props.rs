//! Property tests of the parser: no panics, EXEC arguments come back as written, and error
//! positions always point into the input.

use oktaql::sql::{parse, split, Source, Statement};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arg_value() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        "[a-zA-Z0-9 ';%_-]{0,12}".prop_map(|s| (format!("'{}'", s.replace('\'', "''")), json!(s))),
        any::<i64>().prop_map(|n| (n.to_string(), json!(n))),
        any::<bool>().prop_map(|b| (if b { "TRUE" } else { "false" }.to_string(), json!(b))),
        Just(("null".to_string(), Value::Null)),
    ]
}

/// Every input line's length in characters, to check positions against.
fn line_lengths(input: &str) -> Vec<usize> {
    input.split('\n').map(|l| l.chars().count()).collect()
}

proptest! {
    #[test]
    fn parse_never_panics(input in "\\PC{0,60}") {
        let _ = parse(&Source::new(input.clone()));
        for source in split(&input) {
            let _ = parse(&source);
        }
    }

    #[test]
    fn statement_like_input_never_panics(
        head in prop_oneof![Just("EXEC"), Just("SHOW"), Just("DESCRIBE"), Just("SELECT"), Just("DESC")],
        rest in "[a-z.@=',;0-9 \\-\"()*]{0,40}",
    ) {
        let _ = parse(&Source::new(format!("{head} {rest}")));
    }

    #[test]
    fn error_positions_point_into_the_input(input in "[A-Za-z.@=',;0-9 \n\\-()*]{0,60}") {
        let lengths = line_lengths(&input);
        for source in split(&input) {
            if let Err(e) = parse(&source) {
                prop_assert!(e.line >= 1 && e.line <= lengths.len(), "{e} in {input:?}");
                prop_assert!(e.column >= 1 && e.column <= lengths[e.line - 1] + 1, "{e} in {input:?}");
            }
        }
    }

    #[test]
    fn exec_arguments_come_back(
        method in "[a-z][a-z_0-9]{0,10}",
        args in prop::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,6}", arg_value(), any::<bool>()), 0..5),
    ) {
        let mut seen = std::collections::HashSet::new();
        let args: Vec<_> = args.into_iter().filter(|(n, _, _)| seen.insert(n.clone())).collect();
        let mut text = format!("EXEC okta.apps.secrets.{method}");
        for (i, (name, (written, _), comma)) in args.iter().enumerate() {
            if i > 0 && *comma {
                text.push(',');
            }
            text.push_str(&format!(" @{name}={written}"));
        }
        let stmt = parse(&Source::new(text.clone())).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let Statement::Exec { method: m, args: got, body, .. } = stmt else {
            return Err(TestCaseError::fail("not an exec"));
        };
        prop_assert_eq!(m, method);
        prop_assert_eq!(body, None);
        let want: Vec<(String, Value)> = args.into_iter().map(|(n, (_, v), _)| (n, v)).collect();
        prop_assert_eq!(got, want);
    }
}
