//! `parse_service_document` must return `Ok` or an error for any text, never panic or
//! hang: random mutations of a real service document and random YAML-ish text.

use oktaql::provider::parse_service_document;
use proptest::prelude::*;

const APPS: &str = include_str!("../../providers/okta/v00.00.00000/services/apps.yaml");

/// Characters that matter to YAML, JSON pointers and templates.
const NASTY: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ":",
    "'",
    "\"",
    "&a",
    "*a",
    "!",
    "|",
    ">",
    "-",
    "#",
    "\n",
    " ",
    "~1",
    "/",
    "$ref: '#/'",
    "{id}",
    "\t",
    "? ",
    "<<: ",
    "---\n",
    "%",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 64).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            Edit::Insert(at, which) => {
                let at = (at % len).min(bytes.len());
                let piece = NASTY[which % NASTY.len()].as_bytes();
                bytes.splice(at..at, piece.iter().copied());
            }
            Edit::Duplicate(at, n) => {
                let at = (at % len).min(bytes.len());
                let end = (at + n % 400).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Insert(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::common::proptest_cases(150)))]

    #[test]
    fn mutated_documents_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        let text = apply(APPS, &edits);
        let _ = parse_service_document("okta", "apps", "apps.yaml", &text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n]{0,300}") {
        let _ = parse_service_document("okta", "apps", "apps.yaml", &text);
    }
}

#[test]
fn the_unmutated_document_parses() {
    let service = parse_service_document("okta", "apps", "apps.yaml", APPS).unwrap();
    assert_eq!(service.resources.len(), 5);
}
