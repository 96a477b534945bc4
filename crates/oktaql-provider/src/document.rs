//! A provider document as a JSON tree: YAML parsing, JSON-pointer `$ref` resolution and the
//! accessors that turn a wrong shape into a [`ProviderError::Invalid`] naming the place.
//!
//! Owns: turning text into a [`Value`] quickly (the `components.examples` section, which
//! nothing here reads and which is most of a large OpenAPI document, is cut out before
//! parsing when that can be done safely), and following local `$ref`s with a bound on the
//! number of hops. Must not: know about OpenAPI semantics beyond `$ref`.

use serde_json::{Map, Value};

use super::ProviderError;

/// Most `$ref` hops followed from one place before the chain is declared a cycle.
const MAX_REF_HOPS: usize = 32;

/// Parses YAML (or JSON, which is YAML) text into a tree.
///
/// Two shortcuts keep large OpenAPI documents fast; neither changes the result:
/// - the hundreds of response examples under `components.examples`, which nothing here
///   reads, are cut from the text before parsing (block-style documents only);
/// - a large document's `paths` section is parsed on a second thread while the rest is
///   parsed on this one.
///
/// If a shortened or split text does not parse (an anchor defined in a removed part and
/// used elsewhere, say), the whole text is parsed as is, so errors and results never
/// depend on the shortcuts.
pub fn parse_yaml(path: &str, text: &str) -> Result<Value, ProviderError> {
    // The YAML parser's time grows with the square of the nesting depth: check it first,
    // in one pass.
    let depth = flow_nesting(text);
    if depth > MAX_NESTING {
        return Err(ProviderError::Invalid {
            path: path.to_string(),
            message: format!(
                "nested {depth} levels deep in [ ] / {{ }}, more than the {MAX_NESTING} a provider document may use; this is not a provider document"
            ),
        });
    }
    let pruned = without_component_examples(text);
    let fast = pruned.as_deref().unwrap_or(text);
    if let Some(value) = parse_split(fast) {
        return Ok(value);
    }
    if pruned.is_some() {
        if let Ok(value) = serde_norway::from_str::<Value>(fast) {
            return Ok(value);
        }
    }
    serde_norway::from_str::<Value>(text).map_err(|e| ProviderError::Invalid {
        path: path.to_string(),
        message: format!("not valid YAML: {e}; fix the syntax at that line"),
    })
}

/// Deepest `[`/`{` nesting accepted in a document (real provider documents use a handful).
const MAX_NESTING: usize = 256;

/// The deepest nesting of flow collections (`[ ]`, `{ }`) in `text`, brackets inside quoted
/// scalars and comments not counted. Linear in the text; a quote runs to the end of its line
/// at most, so a stray apostrophe cannot hide the rest of the document.
fn flow_nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for line in text.lines() {
        let mut quote: Option<u8> = None;
        let mut prev = b' ';
        for &b in line.as_bytes() {
            match quote {
                Some(q) => {
                    if b == q {
                        quote = None;
                    }
                }
                None => match b {
                    b'#' if prev == b' ' || prev == b'\t' => break,
                    b'"' | b'\'' if depth > 0 || matches!(prev, b' ' | b':' | b'-') => {
                        quote = Some(b)
                    }
                    b'[' | b'{' => {
                        depth += 1;
                        deepest = deepest.max(depth);
                    }
                    b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            prev = b;
        }
    }
    deepest
}

/// Below this size a document is parsed on one thread.
const SPLIT_THRESHOLD: usize = 64 * 1024;

/// Parses the top-level `paths:` block and the rest of the document in parallel and joins
/// them; `None` when the document is small, has no such block, or either half fails.
fn parse_split(text: &str) -> Option<Value> {
    if text.len() < SPLIT_THRESHOLD {
        return None;
    }
    let (start, end) = top_level_block(text, "paths")?;
    let paths_text = &text[start..end];
    let mut rest = String::with_capacity(text.len() - paths_text.len());
    rest.push_str(&text[..start]);
    rest.push_str(&text[end..]);
    let (paths, rest) = std::thread::scope(|scope| {
        let paths = scope.spawn(|| serde_norway::from_str::<Value>(paths_text));
        let rest = serde_norway::from_str::<Value>(&rest);
        (paths.join(), rest)
    });
    let mut paths = paths.ok()?.ok()?;
    let mut rest = rest.ok()?;
    let paths_value = paths.as_object_mut()?.remove("paths")?;
    rest.as_object_mut()?.insert("paths".into(), paths_value);
    Some(rest)
}

/// Byte range of the block-style top-level `key:` and its indented value.
fn top_level_block(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let first = line.as_bytes().first().copied().unwrap_or(b' ');
        if matches!(first, b' ' | b'\t' | b'\n' | b'\r' | b'#') {
            continue;
        }
        if let Some(start) = start {
            return Some((start, line_start));
        }
        if is_key_line(line.trim_end(), key) {
            start = Some(line_start);
        }
    }
    start.map(|s| (s, text.len()))
}

/// The text without the block under `components:` → `examples:`, or `None` when there is
/// no such block (or the document is not laid out in block style with `components:` at the
/// start of a line).
fn without_component_examples(text: &str) -> Option<String> {
    let mut in_components = false;
    let mut child_indent: Option<usize> = None;
    let mut cut: Option<(usize, usize)> = None; // (start offset, key indent) while cutting
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = content.len() - trimmed.len();
        if content.as_bytes()[..indent].iter().any(|b| *b != b' ') {
            return None; // tabs in indentation: not a layout this shortcut understands
        }
        if let Some((cut_start, key_indent)) = cut {
            if indent > key_indent {
                continue;
            }
            ranges.push((cut_start, start));
            cut = None;
        }
        if indent == 0 {
            in_components = is_key_line(trimmed, "components");
            child_indent = None;
            continue;
        }
        if in_components {
            let child = *child_indent.get_or_insert(indent);
            if indent == child && is_key_line(trimmed, "examples") {
                cut = Some((start, indent));
            }
        }
    }
    if let Some((cut_start, _)) = cut {
        ranges.push((cut_start, text.len()));
    }
    if ranges.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (from, to) in ranges {
        out.push_str(&text[pos..from]);
        pos = to;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

/// Whether `line` (already trimmed at the start) is `key:` with nothing after it but an
/// optional comment, i.e. a mapping key whose value is the indented block below.
fn is_key_line(line: &str, key: &str) -> bool {
    line.strip_prefix(key)
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|rest| {
            let rest = rest.trim_start();
            rest.is_empty() || rest.starts_with('#')
        })
}

/// One parsed document and the name to blame in errors.
pub struct Doc<'a> {
    /// The whole document.
    pub root: &'a Value,
    /// The file, for error messages.
    pub path: &'a str,
}

impl<'a> Doc<'a> {
    /// An [`ProviderError::Invalid`] for this document.
    pub fn invalid(&self, message: impl Into<String>) -> ProviderError {
        ProviderError::Invalid {
            path: self.path.to_string(),
            message: message.into(),
        }
    }

    /// The value a local reference (`#/components/schemas/Foo`) points to.
    pub fn pointer(&self, reference: &str, at: &str) -> Result<&'a Value, ProviderError> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(self.invalid(format!(
                "{at}: $ref '{reference}' points outside this document; only local references \
                 ('#/components/…') are supported, so inline the target"
            )));
        };
        let fragment = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
        if fragment.is_empty() {
            return Ok(self.root);
        }
        let Some(rest) = fragment.strip_prefix('/') else {
            return Err(self.invalid(format!(
                "{at}: $ref '{reference}' is not a JSON pointer; write it as '#/path/to/target'"
            )));
        };
        let mut node = self.root;
        let mut walked = String::from("#");
        for token in rest.split('/') {
            let key = unescape_token(token);
            let next = match node {
                Value::Object(map) => map.get(key.as_ref()),
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(v) => node = v,
                None => {
                    return Err(self.invalid(format!(
                        "{at}: $ref '{reference}' points to nothing: no '{key}' under '{walked}'; \
                         fix the reference or add the target"
                    )))
                }
            }
            walked.push('/');
            walked.push_str(token);
        }
        Ok(node)
    }

    /// Follows `$ref`s from `value` until a node without one, failing on dangling refs and
    /// on chains longer than [`MAX_REF_HOPS`] (which is how a cycle shows).
    pub fn deref(&self, value: &'a Value, at: &str) -> Result<&'a Value, ProviderError> {
        let mut node = value;
        for _ in 0..MAX_REF_HOPS {
            match ref_of(node) {
                Some(reference) => node = self.pointer(reference, at)?,
                None => return Ok(node),
            }
        }
        Err(self.cycle(value, at))
    }

    /// The error for a `$ref` chain that does not end.
    pub fn cycle(&self, value: &Value, at: &str) -> ProviderError {
        let reference = ref_of(value).unwrap_or("(inline)");
        self.invalid(format!(
            "{at}: $ref '{reference}' does not resolve: the references form a cycle (or nest \
             deeper than {MAX_REF_HOPS}); break the cycle"
        ))
    }
}

/// The `$ref` string of a node, if it has one.
pub fn ref_of(value: &Value) -> Option<&str> {
    value.as_object()?.get("$ref")?.as_str()
}

/// Decodes one JSON-pointer token (`~1` → `/`, then `~0` → `~`).
pub fn unescape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// The object at `value`, or an error saying what `at` should have been.
pub fn expect_object<'a>(
    doc: &Doc<'_>,
    value: &'a Value,
    at: &str,
) -> Result<&'a Map<String, Value>, ProviderError> {
    value
        .as_object()
        .ok_or_else(|| doc.invalid(format!("{at} must be a mapping, found {}", kind_of(value))))
}

/// An optional string field: absent or null is `None`; a number or boolean is written out;
/// anything else is an error.
pub fn opt_string(
    doc: &Doc<'_>,
    map: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, ProviderError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => scalar_string(v).map(Some).ok_or_else(|| {
            doc.invalid(format!("{at}.{key} must be a string, found {}", kind_of(v)))
        }),
    }
}

/// A scalar written as a string (`"x"`, `3`, `true`); `None` for null, lists and maps.
pub fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A trimmed, non-empty description.
pub fn text(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A word for the kind of a value, for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nesting_is_measured_outside_quotes_and_comments() {
        assert_eq!(super::flow_nesting("a: [1, {b: [2]}]\n"), 3);
        assert_eq!(super::flow_nesting("a: \"[[[[\" # [[[\nb: it's [x]\n"), 1);
        assert_eq!(super::flow_nesting(&"[".repeat(1000)), 1000);
    }

    use super::*;

    const DOC: &str = "\
openapi: 3.0.3
paths:
  /a/{id}:
    get:
      responses: {}
components:
  schemas:
    A:
      type: object
  examples:
    Big:
      value:
        nested: |
          text
# a comment at column 0 inside the examples
        more: 1

    Other:
      value: 2
  parameters:
    p:
      name: p
servers:
  - url: https://x/
";

    #[test]
    fn cuts_only_component_examples() {
        let pruned = without_component_examples(DOC).expect("has examples");
        assert!(!pruned.contains("Big"), "{pruned}");
        assert!(!pruned.contains("Other"), "{pruned}");
        let full: Value = serde_norway::from_str(DOC).unwrap();
        let mut expected = full.clone();
        expected["components"]
            .as_object_mut()
            .unwrap()
            .remove("examples");
        let short: Value = serde_norway::from_str(&pruned).unwrap();
        assert_eq!(short, expected);
        assert_eq!(parse_yaml("x", DOC).unwrap(), expected);
    }

    #[test]
    fn leaves_documents_without_examples_alone() {
        assert!(without_component_examples("a: 1\ncomponents:\n  schemas: {}\n").is_none());
        assert!(without_component_examples("{\"components\": {\"examples\": {}}}").is_none());
        // `examples` deeper than a direct child of components is data, not the section.
        assert!(without_component_examples(
            "components:\n  schemas:\n    examples:\n      type: object\n"
        )
        .is_none());
    }

    #[test]
    fn split_parse_equals_whole_parse() {
        let mut big = String::from("openapi: 3.0.3\npaths:\n");
        for i in 0..3000 {
            big.push_str(&format!("  /p{i}:\n    get: {{operationId: op{i}}}\n"));
        }
        big.push_str("# trailing comment\ncomponents:\n  schemas:\n");
        for i in 0..1500 {
            big.push_str(&format!("    S{i}: {{type: object}}\n"));
        }
        assert!(big.len() > SPLIT_THRESHOLD);
        assert_eq!(
            top_level_block("a: 1\npaths:\n  x: 1\n# c\nb: 2\n", "paths"),
            Some((5, 23))
        );
        let whole: Value = serde_norway::from_str(&big).unwrap();
        assert_eq!(parse_split(&big).expect("splits"), whole);
        // An alias across the halves makes the split fail; the whole text still parses.
        let aliased = big
            .replace("openapi: 3.0.3", "x: &a 1")
            .replace("    get: {operationId: op0}", "    get: {operationId: *a}");
        assert!(parse_split(&aliased).is_none());
        assert_eq!(
            parse_yaml("x", &aliased).unwrap()["paths"]["/p0"]["get"]["operationId"],
            1
        );
    }

    #[test]
    fn shortcuts_match_a_plain_parse_of_the_stackql_document() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/stackql-registry/okta/v00.00.00000/services/apps.yaml"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            // The reference registry is not checked out next to the crate: say so past the
            // harness's capture rather than pass as if the comparison had run.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED (reference data absent: ../shared/reference/stackql-registry is not checked out): shortcuts_match_a_plain_parse_of_the_stackql_document"
            );
            return;
        };
        let mut plain: Value = serde_norway::from_str(&text).unwrap();
        plain["components"]
            .as_object_mut()
            .unwrap()
            .remove("examples");
        assert_eq!(parse_yaml("apps.yaml", &text).unwrap(), plain);
    }

    #[test]
    fn falls_back_when_the_cut_breaks_an_alias() {
        let text = "components:\n  examples:\n    E: &shared\n      value: 1\n  schemas:\n    S: *shared\n";
        let v = parse_yaml("x", text).unwrap();
        assert_eq!(v["components"]["schemas"]["S"]["value"], 1);
    }

    #[test]
    fn pointers_unescape_and_report_dangling_targets() {
        let root = parse_yaml("x", DOC).unwrap();
        let doc = Doc {
            root: &root,
            path: "x",
        };
        assert!(doc.pointer("#/paths/~1a~1{id}/get", "here").is_ok());
        assert!(doc.pointer("#/paths/~1a~1%7Bid%7D/get", "here").is_ok());
        assert_eq!(
            doc.pointer("#/components/schemas/A/type", "here").unwrap(),
            "object"
        );
        let err = doc.pointer("#/components/schemas/B", "here").unwrap_err();
        assert!(
            err.to_string()
                .contains("no 'B' under '#/components/schemas'"),
            "{err}"
        );
        assert!(doc.pointer("other.yaml#/x", "here").is_err());
        assert!(doc.pointer("#nope", "here").is_err());
    }

    #[test]
    fn ref_cycles_are_errors() {
        let root: Value =
            serde_norway::from_str("a: {$ref: '#/b'}\nb: {$ref: '#/a'}\nself: {$ref: '#/self'}\n")
                .unwrap();
        let doc = Doc {
            root: &root,
            path: "x",
        };
        let err = doc.deref(&root["a"], "a").unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
        assert!(doc.deref(&root["self"], "self").is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        for text in ["a: [", "\t- x: : :", "a: !custom 3", "? [1]\n: 2\n"] {
            assert!(parse_yaml("bad.yaml", text).is_err(), "{text}");
        }
    }
}
