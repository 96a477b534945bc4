//! What is secret, decided in one place: by field name ([`is_secret_key`]) and by value
//! ([`SecretValues`], every secret value this run has sent or received).
//!
//! Every place that shows or stores text asks this module: `--dry-run` plans, `--debug`
//! traces, error messages, what EXEC prints, whether an `--outfile` must be owner-only, and
//! what the shell keeps in its history. A value is recognised wherever it ends up — under
//! another column name (`client_secret AS cs`), inside a function's result
//! (`upper(client_secret)` is caught by name on the way in and by value on the way out only
//! when unchanged; `json_group_array(client_secret)` contains it verbatim), or quoted in an
//! error body.
//!
//! Owners of credentials (the API token, OAuth access tokens, client assertions, private
//! keys, DPoP proofs) [`SecretValues::register`] them as soon as they hold them.
//! Must not: print or log anything.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use aho_corasick::AhoCorasick;
use serde_json::{Map, Value};

/// What a masked secret is shown as.
pub const MASK: &str = "****";

/// Values shorter than this are not registered: masking every `abc` in every message would
/// hide ordinary text, and Okta's generated secrets and tokens are far longer (a client
/// secret has 40 or more characters, an API token 42).
pub const MIN_SECRET_LEN: usize = 8;

/// Whether a field, column, argument or variable name holds a secret (`client_secret`,
/// `data__client_secret`, `@client_secret`, `password`, `access_token`, `privateKey`, …).
///
/// Compared without case, `_`, `-`, quotes, `@` and a `data__` prefix. Names that merely
/// describe a secret (`secret_hash`, `secretId`, `tokenEndpointAuthMethod`) are not secret.
pub fn is_secret_key(name: &str) -> bool {
    let name = name.trim_matches(|c| matches!(c, '"' | '`' | '@' | '\''));
    let base = match name.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("data__") => &name[6..],
        _ => name,
    };
    // The name lower-cased without `_` and `-`, in a buffer on the stack: this runs for every
    // member of every answer. Working on bytes is exact: `_`, `-` and ASCII letters are
    // never part of a multi-byte character.
    let folded = || {
        base.bytes()
            .filter(|b| *b != b'_' && *b != b'-')
            .map(|b| b.to_ascii_lowercase())
    };
    let mut buf = [0u8; 64];
    let mut len = 0;
    for b in folded() {
        let Some(slot) = buf.get_mut(len) else {
            // Longer than the buffer (rare): on the heap.
            return is_secret_normalized(&folded().collect::<Vec<u8>>());
        };
        *slot = b;
        len += 1;
    }
    is_secret_normalized(&buf[..len])
}

/// The rule on a name lower-cased without `_` and `-`.
fn is_secret_normalized(k: &[u8]) -> bool {
    k.ends_with(b"secret")
        || k.ends_with(b"password")
        || k.ends_with(b"token")
        || k.windows(10).any(|w| w == b"privatekey")
        || k == b"clientassertion"
        || k == b"dpop"
}

/// A copy of `value` with the value of every secret-named member replaced by [`MASK`] (at
/// any depth; `null` stays `null`, so "no secret" is still visible).
pub fn mask_json_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = if is_secret_key(k) && !v.is_null() {
                        Value::String(MASK.into())
                    } else {
                        mask_json_keys(v)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_json_keys).collect()),
        other => other.clone(),
    }
}

/// Masks the value after each secret-named key in text that is not JSON: form bodies
/// (`client_secret=…&`), broken JSON (`"client_secret": "…`), `key: value` text.
pub fn mask_text_keys(text: &str) -> Cow<'_, str> {
    const KEYS: &[&str] = &[
        "client_secret",
        "password",
        "access_token",
        "refresh_token",
        "id_token",
        "client_assertion",
        "private_key",
        "privatekey",
    ];
    let lower = text.to_ascii_lowercase();
    let mut hits: Vec<usize> = Vec::new();
    let bytes = text.as_bytes();
    for key in KEYS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key) {
            let start = from + pos;
            // A whole name only: `create_oauth2_client_secret: POST` names a method.
            let whole = start == 0
                || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
            if whole {
                hits.push(start + key.len());
            }
            from = start + key.len();
        }
    }
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    hits.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for key_end in hits {
        if key_end < at {
            continue;
        }
        let mut j = key_end;
        // Skip the rest of a longer name (`client_secret_basic` is an auth method, not a value).
        if j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            continue;
        }
        // `key=`, `key: `, `"key": "`: a separator must follow (in prose, `client_secret
        // must be …` is not a value).
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b' ') {
            j += 1;
        }
        if !matches!(bytes.get(j), Some(b':' | b'=')) {
            continue;
        }
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b':' | b'=' | b' ') {
            j += 1;
        }
        let mut k = j;
        while k < bytes.len()
            && !matches!(
                bytes[k],
                b'"' | b'\'' | b'&' | b',' | b'}' | b' ' | b'\n' | b'\r'
            )
        {
            k += 1;
        }
        if k > j {
            out.push_str(&text[at..j]);
            out.push_str(MASK);
            at = k;
        }
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The secret values this run has sent or received, shared (through an `Arc`) by the HTTP
/// client, the runner, the renderer and the shell of one run.
///
/// Registering is cheap; searching uses a few automata (segments) over every value. New
/// values form a new segment, and segments of similar size are merged, so each value is
/// compiled O(log n) times over a run instead of once per change (a run that met a new secret
/// in every statement spent time growing with the number of secrets on each statement).
/// Values shorter than [`MIN_SECRET_LEN`] are ignored.
#[derive(Default)]
pub struct SecretValues {
    inner: RwLock<Inner>,
}

/// The secret values known at one moment ([`SecretValues::matcher`]).
#[derive(Clone)]
pub struct SecretMatcher {
    segments: Arc<Vec<Arc<Segment>>>,
}

impl std::fmt::Debug for SecretMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("SecretMatcher")
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl SecretMatcher {
    /// Whether no value was known.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Whether `text` contains any of the values, as [`SecretValues::contains_secret`].
    pub fn contains_secret(&self, text: &str) -> bool {
        text.len() >= MIN_SECRET_LEN && self.segments.iter().any(|s| s.automaton.is_match(text))
    }

    /// Whether a JSON value holds one of the values: a string containing one, or an array
    /// or object whose JSON text does.
    pub fn in_json(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => self.contains_secret(s),
            Value::Array(_) | Value::Object(_) => self.contains_secret(&value.to_string()),
            _ => false,
        }
    }
}

/// One automaton over part of the values.
struct Segment {
    values: Vec<String>,
    automaton: AhoCorasick,
}

impl Segment {
    fn build(values: Vec<String>) -> Option<Segment> {
        // Leftmost-longest: a value that contains another is masked whole.
        let automaton = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&values)
            .ok()?;
        Some(Segment { values, automaton })
    }
}

#[derive(Default)]
struct Inner {
    /// Every value, for de-duplication and the count.
    seen: HashSet<String>,
    /// Values registered since the segments were last brought up to date.
    pending: Vec<String>,
    /// Segments, largest first; each at least twice the size of the next after a merge.
    segments: Arc<Vec<Arc<Segment>>>,
}

impl Inner {
    /// Moves the pending values into a segment, merging segments of similar size.
    fn compile(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut segments: Vec<Arc<Segment>> = self.segments.as_ref().clone();
        let mut values = std::mem::take(&mut self.pending);
        // Merge while the previous segment is not more than twice as large (a binary counter).
        while let Some(last) = segments.last() {
            if last.values.len() > 2 * values.len() {
                break;
            }
            let mut merged = last.values.clone();
            merged.append(&mut values);
            values = merged;
            segments.pop();
        }
        match Segment::build(values.clone()) {
            Some(seg) => segments.push(Arc::new(seg)),
            // Unbuildable (a size limit): keep them pending rather than lose them.
            None => self.pending = values,
        }
        self.segments = Arc::new(segments);
    }
}

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValues")
            .field("count", &self.len())
            .finish()
    }
}

impl SecretValues {
    /// An empty set, ready to share.
    pub fn new() -> Arc<SecretValues> {
        Arc::new(SecretValues::default())
    }

    /// Remembers `value` as secret for the rest of the run (surrounding whitespace ignored),
    /// with its upper- and lower-case forms (`upper(client_secret)` still holds the secret).
    pub fn register(&self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        for form in [
            value.to_string(),
            value.to_uppercase(),
            value.to_lowercase(),
        ] {
            if inner.seen.insert(form.clone()) {
                inner.pending.push(form);
            }
        }
    }

    /// Registers the string value of every secret-named member of `value`, at any depth.
    pub fn register_json(&self, value: &Value) {
        match value {
            Value::Object(map) => self.register_members(map),
            Value::Array(items) => items.iter().for_each(|v| self.register_json(v)),
            _ => {}
        }
    }

    /// Registers the secret-named members of one row or object.
    pub fn register_members(&self, map: &Map<String, Value>) {
        for (k, v) in map {
            match v {
                Value::String(s) if is_secret_key(k) => self.register(s),
                Value::Object(_) | Value::Array(_) => self.register_json(v),
                _ => {}
            }
        }
    }

    /// How many values are known.
    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.seen.len()).unwrap_or(0)
    }

    /// Whether no value is known yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segments, with every registered value compiled in.
    fn segments(&self) -> Arc<Vec<Arc<Segment>>> {
        {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            if inner.pending.is_empty() {
                return inner.segments.clone();
            }
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.compile();
        inner.segments.clone()
    }

    /// The values known now, to test many texts with one look at the shared state (a
    /// result row's cells). Values registered afterwards are not in it.
    pub fn matcher(&self) -> SecretMatcher {
        SecretMatcher {
            segments: self.segments(),
        }
    }

    /// Whether `text` contains any known secret value.
    pub fn contains_secret(&self, text: &str) -> bool {
        if text.len() < MIN_SECRET_LEN {
            return false;
        }
        self.segments().iter().any(|s| s.automaton.is_match(text))
    }

    /// `text` with every known secret value replaced by [`MASK`], and the values of
    /// secret-named keys masked too ([`mask_text_keys`]).
    pub fn mask_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let by_key = mask_text_keys(text);
        let segments = self.segments();
        let hay = by_key.as_ref();
        if !segments.iter().any(|s| s.automaton.is_match(hay)) {
            return by_key;
        }
        Cow::Owned(replace_leftmost_longest(&segments, hay))
    }

    /// A copy of `value` with secret-named members and every string holding a known secret
    /// value masked.
    pub fn mask_json(&self, value: &Value) -> Value {
        fn walk(s: &SecretValues, v: &Value) -> Value {
            match v {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let masked = if is_secret_key(k) && !v.is_null() {
                                Value::String(MASK.into())
                            } else {
                                walk(s, v)
                            };
                            (k.clone(), masked)
                        })
                        .collect(),
                ),
                Value::Array(items) => Value::Array(items.iter().map(|v| walk(s, v)).collect()),
                Value::String(text) => Value::String(s.mask_text(text).into_owned()),
                other => other.clone(),
            }
        }
        walk(self, value)
    }
}

/// `hay` with every match replaced by [`MASK`], leftmost-longest over the union of the
/// segments: exactly what one leftmost-longest automaton over all their values gives (the
/// earliest start across segments wins; at equal starts, the longest match).
fn replace_leftmost_longest(segments: &[Arc<Segment>], hay: &str) -> String {
    use aho_corasick::{Input, Match};
    // The next match of each segment at or after the scan position, found once and reused.
    let mut next: Vec<Option<Match>> = segments.iter().map(|s| s.automaton.find(hay)).collect();
    let mut out = String::with_capacity(hay.len());
    let mut at = 0;
    loop {
        for (slot, seg) in next.iter_mut().zip(segments) {
            if slot.is_some_and(|m| m.start() < at) {
                *slot = seg.automaton.find(Input::new(hay).range(at..));
            }
        }
        let best = next
            .iter()
            .flatten()
            .min_by_key(|m| (m.start(), std::cmp::Reverse(m.end())));
        let Some(m) = best.copied() else { break };
        out.push_str(&hay[at..m.start()]);
        out.push_str(MASK);
        at = m.end();
    }
    out.push_str(&hay[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The rule as first written, with copies of the name: the reference for the one that
    /// makes none.
    fn is_secret_key_by_copies(name: &str) -> bool {
        let name = name.trim_matches(|c| matches!(c, '"' | '`' | '@' | '\''));
        let lower = name.to_ascii_lowercase();
        let base = lower.strip_prefix("data__").unwrap_or(&lower);
        let k: String = base.chars().filter(|c| *c != '_' && *c != '-').collect();
        k.ends_with("secret")
            || k.ends_with("password")
            || k.ends_with("token")
            || k.contains("privatekey")
            || k == "clientassertion"
            || k == "dpop"
    }

    proptest! {
        /// Names made of the rule's own words, separators, quotes, capitals and
        /// multi-byte characters, short and over 64 bytes.
        #[test]
        fn the_rule_without_copies_is_the_rule(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "data__", "DATA__", "client", "_", "-", "Secret", "secret", "PASS", "word",
                    "token", "Token", "private", "KEY", "assertion", "dpop", "DPoP", "\"", "`",
                    "@", "'", "é", "ß", "€", "x", "id", "access", "_", "0123456789",
                ]),
                0..24,
            ),
        ) {
            let name: String = parts.concat();
            prop_assert_eq!(is_secret_key(&name), is_secret_key_by_copies(&name), "{:?}", name);
        }
    }

    const S: &str = "Xk2lP9qRt5vW8yZb3nM6cF1hJ4gD7sA0eQu";

    #[test]
    fn names() {
        for n in [
            "client_secret",
            "data__client_secret",
            "@client_secret",
            "\"CLIENT_SECRET\"",
            "password",
            "access_token",
            "privateKey",
            "client_assertion",
        ] {
            assert!(is_secret_key(n), "{n}");
        }
        for n in [
            "secret_hash",
            "secretId",
            "tokenEndpointAuthMethod",
            "status",
        ] {
            assert!(!is_secret_key(n), "{n}");
        }
    }

    #[test]
    fn values_are_found_and_masked_wherever_they_are() {
        let s = SecretValues::new();
        assert!(!s.contains_secret(&format!("x{S}x")));
        s.register_json(&json!([{"id": "a", "client_secret": S, "short": {"password": "abc"}}]));
        assert_eq!(
            s.len(),
            3,
            "one value in three cases; short values are not registered"
        );
        assert!(s.contains_secret(&S.to_lowercase()));
        assert!(s.contains_secret(&format!("[\"{S}\"]")));
        assert!(!s.contains_secret("no secret here at all"));
        assert_eq!(s.mask_text(&format!("a {S} b {S}")), "a **** b ****");
        let m = s.mask_json(&json!({"cs": S, "list": [format!("<{S}>")]}));
        assert_eq!(m, json!({"cs": "****", "list": ["<****>"]}));
    }

    #[test]
    fn text_keys_masked_but_auth_method_names_kept() {
        assert_eq!(
            mask_text_keys("grant_type=x&client_secret=s3cr3t&scope=a"),
            "grant_type=x&client_secret=****&scope=a"
        );
        assert_eq!(
            mask_text_keys(r#"{"client_secret": "s3cr3t", broken"#),
            r#"{"client_secret": "****", broken"#
        );
        let t = "tokenEndpointAuthMethod client_secret_basic";
        assert_eq!(mask_text_keys(t), t);
        let t = "the value for data__client_secret must be a literal";
        assert_eq!(mask_text_keys(t), t);
        let t = "create_oauth2_client_secret: POST https://x failed";
        assert_eq!(mask_text_keys(t), t);
        assert!(matches!(mask_text_keys("plain"), Cow::Borrowed(_)));
    }

    /// The rule before segments: one leftmost-longest automaton over every value.
    fn one_automaton(values: &[String], text: &str) -> String {
        let by_key = mask_text_keys(text);
        if values.is_empty() {
            return by_key.into_owned();
        }
        let m = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(values)
            .unwrap();
        m.replace_all(by_key.as_ref(), &vec![MASK; m.patterns_len()])
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Segments answer exactly as one automaton over every value, whatever the order of
        /// registration, overlaps between values and interleaving of searches.
        #[test]
        fn segments_answer_as_one_automaton(
            secrets in proptest::collection::vec("[ab]{8,12}|[abc]{8,20}", 1..30),
            texts in proptest::collection::vec("[abc =]{0,60}", 1..4),
            search_every in 1usize..8,
        ) {
            let s = SecretValues::new();
            let mut values: Vec<String> = Vec::new();
            for (i, secret) in secrets.iter().enumerate() {
                s.register(secret);
                for form in [secret.clone(), secret.to_uppercase(), secret.to_lowercase()] {
                    if !values.contains(&form) {
                        values.push(form);
                    }
                }
                if i % search_every == 0 {
                    for t in &texts {
                        let embedded = format!("{t}{secret}{t}");
                        for text in [t.as_str(), embedded.as_str()] {
                            proptest::prop_assert_eq!(
                                s.mask_text(text).into_owned(),
                                one_automaton(&values, text)
                            );
                            proptest::prop_assert_eq!(
                                s.contains_secret(text),
                                text.len() >= MIN_SECRET_LEN
                                    && one_automaton(&values, text) != mask_text_keys(text)
                            );
                        }
                    }
                }
            }
            proptest::prop_assert_eq!(s.len(), values.len());
        }
    }

    #[test]
    fn segments_stay_few_when_every_statement_brings_a_new_secret() {
        // A search after every new secret must not leave one automaton per secret, nor
        // recompile every value each time: the number of segments stays logarithmic.
        let s = SecretValues::new();
        for i in 0..3000 {
            s.register(&format!("secret-value-{i:08}"));
            assert!(!s.contains_secret("no secret in this text"));
            let n = s.len();
            let bound = 2 * (usize::BITS - n.leading_zeros()) as usize + 1;
            assert!(
                s.segments().len() <= bound,
                "{} segments for {n}",
                s.segments().len()
            );
        }
        assert!(s.contains_secret("x secret-value-00002999 x"));
        assert!(s.contains_secret("x SECRET-VALUE-00000000 x"));
        assert_eq!(s.mask_text("a secret-value-00001234 b"), "a **** b");
    }
}
