//! Property tests of the statement splitter.

use oktaql::sql::{is_complete, split, split_checked};
use proptest::prelude::*;

/// One fragment of a statement: a word, a number, a quoted string or identifier, an operator
/// or a comment. None of them may hide a `;` from the splitter except inside quotes/comments.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,8}",
        "[0-9]{1,4}",
        "[a-z ;'-]{0,6}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        "[a-z ;\"]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        "[a-z ;`]{0,6}".prop_map(|s| format!("`{}`", s.replace('`', "``"))),
        "[a-z ;*/-]{0,6}"
            .prop_map(|s| format!("/* {} */", s.replace("*/", "* /").replace("/*", "/ *"))),
        "[a-z ;'\"]{0,6}".prop_map(|s| format!("--{s}\n")),
        Just("=".to_string()),
        Just(",".to_string()),
        Just(".".to_string()),
        Just("(".to_string()),
    ]
}

/// A statement: starts with a word, ends with a word, fragments in between.
fn statement() -> impl Strategy<Value = String> {
    (
        "[A-Za-z][A-Za-z0-9_]{0,6}",
        prop::collection::vec((fragment(), "[ \n\t]{0,2}"), 0..8),
        "[A-Za-z][A-Za-z0-9_]{0,6}",
    )
        .prop_map(|(first, middle, last)| {
            let mut s = first;
            for (f, ws) in middle {
                s.push(' ');
                s.push_str(&f);
                s.push_str(&ws);
            }
            s.push(' ');
            s.push_str(&last);
            s
        })
}

/// Whitespace and comments that may sit between statements.
fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[ \n\t]{0,3}",
            "[a-z ;]{0,5}".prop_map(|s| format!("/*{s}*/")),
            "[a-z ;]{0,5}".prop_map(|s| format!("--{s}\n")),
        ],
        0..3,
    )
    .prop_map(|v| v.concat())
}

/// 1-based (line, column) of byte offset `at` in `input`, counting characters.
fn position(input: &str, at: usize) -> (usize, usize) {
    let before = &input[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

proptest! {
    #[test]
    fn never_panics(input in "\\PC{0,80}") {
        let _ = split(&input);
        let _ = split_checked(&input);
        let _ = is_complete(&input);
    }

    #[test]
    fn never_panics_on_sql_like_noise(input in "[a-z'\"`;/*\\- \n]{0,60}") {
        let parts = split(&input);
        for p in &parts {
            prop_assert!(!p.text.trim().is_empty());
        }
        let _ = split_checked(&input);
        let _ = is_complete(&input);
    }

    #[test]
    fn joined_statements_split_back(
        stmts in prop::collection::vec((filler(), statement()), 1..6),
        tail in filler(),
    ) {
        let mut input = String::new();
        let mut starts = Vec::new();
        for (pre, s) in &stmts {
            input.push_str(pre);
            starts.push(input.len());
            input.push_str(s);
            input.push(';');
        }
        input.push_str(&tail);
        let got = split_checked(&input).expect("balanced input splits");
        prop_assert_eq!(got.len(), stmts.len());
        for ((src, (_, want)), at) in got.iter().zip(&stmts).zip(&starts) {
            prop_assert_eq!(&src.text, want);
            prop_assert_eq!((src.line, src.column), position(&input, *at));
        }
        prop_assert!(is_complete(&input));
        // Without the final `;` the input is incomplete but keeps every statement.
        let open = &input[..starts[starts.len() - 1] + stmts[stmts.len() - 1].1.len()];
        prop_assert!(!is_complete(open));
        prop_assert_eq!(split(open).len(), stmts.len());
    }
}
