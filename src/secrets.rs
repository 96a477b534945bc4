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
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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
/// Registering is a hash insert and nothing is ever rebuilt: a value is indexed by its first
/// [`MIN_SECRET_LEN`] bytes, and a search reads the text once, testing each position's next
/// eight bytes against a bit filter and, on a hit, the values that start with them. (An
/// automaton over every value had to be rebuilt for each new value; a runbook that creates a
/// secret every few statements spent most of its time building them.) Values shorter than
/// [`MIN_SECRET_LEN`] are ignored.
#[derive(Default)]
pub struct SecretValues {
    inner: Arc<RwLock<Index>>,
}

/// The secret values known at one moment ([`SecretValues::matcher`]).
#[derive(Clone)]
pub struct SecretMatcher {
    index: Arc<RwLock<Index>>,
    /// How many values were known: later ones are not searched for.
    known: usize,
}

impl std::fmt::Debug for SecretMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("SecretMatcher")
            .field("known", &self.known)
            .finish()
    }
}

impl SecretMatcher {
    /// Whether no value was known.
    pub fn is_empty(&self) -> bool {
        self.known == 0
    }

    /// Whether `text` contains any of the values, as [`SecretValues::contains_secret`].
    pub fn contains_secret(&self, text: &str) -> bool {
        self.known > 0
            && text.len() >= MIN_SECRET_LEN
            && read(&self.index)
                .find_from(text.as_bytes(), 0, self.known)
                .is_some()
    }

    /// Whether a JSON value holds one of the values: a string, member name or number
    /// containing one, at any depth (searched where they are, not in a serialised copy).
    pub fn in_json(&self, value: &Value) -> bool {
        fn walk(index: &Index, known: usize, value: &Value) -> bool {
            let has = |text: &str| index.find_from(text.as_bytes(), 0, known).is_some();
            match value {
                Value::String(s) => has(s),
                Value::Array(items) => items.iter().any(|v| walk(index, known, v)),
                Value::Object(map) => map.iter().any(|(k, v)| has(k) || walk(index, known, v)),
                // Only a number of eight characters or more can hold one.
                Value::Number(n) => {
                    !n.as_i64()
                        .is_some_and(|i| (-999_999..=9_999_999).contains(&i))
                        && has(&n.to_string())
                }
                Value::Bool(_) | Value::Null => false,
            }
        }
        match value {
            Value::Bool(_) | Value::Null => false,
            // One look at the shared index for the whole value.
            _ => self.known > 0 && walk(&read(&self.index), self.known, value),
        }
    }
}

/// The first [`MIN_SECRET_LEN`] bytes of `bytes` (at least that long) as one number.
fn head(bytes: &[u8]) -> u64 {
    let mut h = [0u8; MIN_SECRET_LEN];
    h.copy_from_slice(&bytes[..MIN_SECRET_LEN]);
    u64::from_le_bytes(h)
}

/// Every value, indexed by its first [`MIN_SECRET_LEN`] bytes.
struct Index {
    /// The values in the order registered (a matcher searches a prefix of them).
    values: Vec<Box<str>>,
    /// Positions in `values` by head, longest value first.
    by_head: HashMap<u64, Vec<u32>>,
    /// One bit per filter slot ([`Index::slot`]): clear when no value's head maps to it.
    filter: Vec<u64>,
    /// `64 - log2(filter bits)`.
    shift: u32,
    /// The values' distinct first bytes while there are at most three; `None` after.
    firsts: Option<Vec<u8>>,
}

/// Filter bits to begin with (8 KiB); doubled to keep at least 16 bits a head.
const FILTER_BITS: usize = 1 << 16;

impl Default for Index {
    fn default() -> Index {
        Index {
            values: Vec::new(),
            by_head: HashMap::new(),
            filter: vec![0; FILTER_BITS / 64],
            shift: 64 - FILTER_BITS.trailing_zeros(),
            firsts: Some(Vec::new()),
        }
    }
}

impl Index {
    /// The filter slot of a head (Fibonacci hashing: the high bits of a multiplication).
    fn slot(&self, head: u64) -> usize {
        (head.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn set_bit(&mut self, head: u64) {
        let slot = self.slot(head);
        self.filter[slot / 64] |= 1 << (slot % 64);
    }

    /// Adds `value` unless it is known.
    fn insert(&mut self, value: &str) {
        let h = head(value.as_bytes());
        let values = &self.values;
        if let Some(ids) = self.by_head.get(&h) {
            if ids.iter().any(|&id| &*values[id as usize] == value) {
                return;
            }
        }
        if let Some(firsts) = &mut self.firsts {
            let first = value.as_bytes()[0];
            if !firsts.contains(&first) {
                if firsts.len() == 3 {
                    self.firsts = None;
                } else {
                    firsts.push(first);
                }
            }
        }
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(value.into());
        let values = &self.values;
        let ids = self.by_head.entry(h).or_default();
        // Longest first, so the first value that matches at a position is the longest one.
        let at = ids.partition_point(|&i| values[i as usize].len() >= value.len());
        ids.insert(at, id);
        if self.by_head.len() * 16 > self.filter.len() * 64 {
            self.grow_filter();
        } else {
            self.set_bit(h);
        }
    }

    /// Doubles the filter and sets every head's bit again.
    fn grow_filter(&mut self) {
        let bits = self.filter.len() * 64 * 2;
        self.filter = vec![0; bits / 64];
        self.shift = 64 - bits.trailing_zeros();
        let heads: Vec<u64> = self.by_head.keys().copied().collect();
        for h in heads {
            self.set_bit(h);
        }
    }

    /// The leftmost match at or after `from` among the first `known` values, the longest at
    /// that position: `(start, end)`.
    fn find_from(&self, hay: &[u8], from: usize, known: usize) -> Option<(usize, usize)> {
        if known == 0 || hay.len() < from + MIN_SECRET_LEN {
            return None;
        }
        // Where a value can start: every position but the last seven.
        let starts = &hay[from..=hay.len() - MIN_SECRET_LEN];
        let at = |i: usize| self.match_at(hay, from + i, known);
        // With few first bytes (a run that knows only its token), jump between them.
        match self.firsts.as_deref() {
            Some(&[a]) => memchr::memchr_iter(a, starts).find_map(at),
            Some(&[a, b]) => memchr::memchr2_iter(a, b, starts).find_map(at),
            Some(&[a, b, c]) => memchr::memchr3_iter(a, b, c, starts).find_map(at),
            _ => (0..starts.len()).find_map(at),
        }
    }

    /// The longest of the first `known` values that starts at `start` (at least
    /// [`MIN_SECRET_LEN`] bytes from the end of `hay`).
    fn match_at(&self, hay: &[u8], start: usize, known: usize) -> Option<(usize, usize)> {
        let h = head(&hay[start..]);
        let slot = self.slot(h);
        if self.filter[slot / 64] & (1 << (slot % 64)) == 0 {
            return None;
        }
        let rest = &hay[start..];
        // Longest first: the first that matches is the longest.
        self.by_head
            .get(&h)?
            .iter()
            .filter(|&&id| (id as usize) < known)
            .map(|&id| self.values[id as usize].as_bytes())
            .find(|v| rest.starts_with(v))
            .map(|v| (start, start + v.len()))
    }

    /// `hay` with every match (leftmost-longest, as one automaton over every value) replaced
    /// by [`MASK`]; `None` when nothing matched.
    fn replace(&self, hay: &str) -> Option<String> {
        let known = self.values.len();
        let (mut start, mut end) = self.find_from(hay.as_bytes(), 0, known)?;
        let mut out = String::with_capacity(hay.len());
        let mut at = 0;
        loop {
            // A match starts and ends on character boundaries: a value is whole UTF-8.
            out.push_str(&hay[at..start]);
            out.push_str(MASK);
            at = end;
            match self.find_from(hay.as_bytes(), at, known) {
                Some(m) => (start, end) = m,
                None => break,
            }
        }
        out.push_str(&hay[at..]);
        Some(out)
    }
}

/// The index, read even if a writer panicked (it is only ever appended to).
fn read(index: &RwLock<Index>) -> std::sync::RwLockReadGuard<'_, Index> {
    index.read().unwrap_or_else(|e| e.into_inner())
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
            Cow::Borrowed(value),
            Cow::Owned(value.to_uppercase()),
            Cow::Owned(value.to_lowercase()),
        ] {
            // A case form can be shorter in bytes (`K`, the Kelvin sign, lowers to `k`).
            if form.len() >= MIN_SECRET_LEN {
                inner.insert(&form);
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
        read(&self.inner).values.len()
    }

    /// Whether no value is known yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values known now, to test many texts with one look at the shared state (a
    /// result row's cells). Values registered afterwards are not in it.
    pub fn matcher(&self) -> SecretMatcher {
        SecretMatcher {
            index: self.inner.clone(),
            known: self.len(),
        }
    }

    /// Whether `text` contains any known secret value.
    pub fn contains_secret(&self, text: &str) -> bool {
        if text.len() < MIN_SECRET_LEN {
            return false;
        }
        let index = read(&self.inner);
        index
            .find_from(text.as_bytes(), 0, index.values.len())
            .is_some()
    }

    /// `text` with every known secret value replaced by [`MASK`], and the values of
    /// secret-named keys masked too ([`mask_text_keys`]).
    pub fn mask_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let by_key = mask_text_keys(text);
        match read(&self.inner).replace(by_key.as_ref()) {
            Some(masked) => Cow::Owned(masked),
            None => by_key,
        }
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

    /// The reference: one leftmost-longest automaton over every value.
    fn one_automaton(values: &[String], text: &str) -> String {
        let by_key = mask_text_keys(text);
        if values.is_empty() {
            return by_key.into_owned();
        }
        let m = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(values)
            .unwrap();
        m.replace_all(by_key.as_ref(), &vec![MASK; m.patterns_len()])
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The index answers exactly as one automaton over every value, whatever the order of
        /// registration, overlaps between values (many share their first eight bytes), and
        /// interleaving of searches; with non-ASCII values too.
        #[test]
        fn the_index_answers_as_one_automaton(
            secrets in proptest::collection::vec("[ab]{8,12}|[abc]{8,20}|[aé]{5,9}", 1..30),
            texts in proptest::collection::vec("[abcé =]{0,60}", 1..4),
            search_every in 1usize..8,
        ) {
            let s = SecretValues::new();
            let mut values: Vec<String> = Vec::new();
            for (i, secret) in secrets.iter().enumerate() {
                s.register(secret);
                // Values (and case forms) shorter than the minimum are not registered.
                for form in [secret.clone(), secret.to_uppercase(), secret.to_lowercase()] {
                    if secret.len() >= MIN_SECRET_LEN
                        && form.len() >= MIN_SECRET_LEN
                        && !values.contains(&form)
                    {
                        values.push(form);
                    }
                }
                if i % search_every == 0 {
                    for t in &texts {
                        let embedded = format!("{t}{secret}{t}");
                        let upper = format!("{t}{}{t}", secret.to_uppercase());
                        for text in [t.as_str(), embedded.as_str(), upper.as_str()] {
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

    /// A JSON value of strings, numbers and nested arrays and objects, over the secrets'
    /// alphabet (no quotes or backslashes, so its JSON text holds each string as it is).
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            "[abé]{0,24}".prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (10_000_000i64..10_000_020).prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[abé]{0,12}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Searching a JSON value where its strings, names and numbers are finds what
        /// searching its JSON text finds.
        #[test]
        fn a_json_value_is_searched_as_its_text(
            secrets in proptest::collection::vec("[ab]{8,10}|[abé]{6,12}|1000001[0-9]|00[0-9]{6}", 1..6),
            value in json_value(),
        ) {
            let s = SecretValues::new();
            secrets.iter().for_each(|v| s.register(v));
            let text = value.to_string();
            proptest::prop_assert_eq!(s.matcher().in_json(&value), s.contains_secret(&text));
        }
    }

    #[test]
    fn a_secret_per_statement_is_indexed_not_rebuilt() {
        // A search after every new secret: each value is indexed once, the filter grows to
        // keep at least 16 bits a head, and every value is still found, in either case.
        let s = SecretValues::new();
        for i in 0..5000 {
            s.register(&format!("{i:08}-value-of-a-secret"));
            assert!(!s.contains_secret("no secret in this text"));
        }
        assert_eq!(s.len(), 2 * 5000, "the value and its upper case");
        {
            let index = read(&s.inner);
            assert_eq!(index.by_head.len(), 5000);
            assert!(index.filter.len() * 64 > FILTER_BITS, "the filter grew");
            assert!(index.by_head.len() * 16 <= index.filter.len() * 64);
        }
        assert!(s.contains_secret("x 00004999-value-of-a-secret x"));
        assert!(s.contains_secret("x 00000000-VALUE-OF-A-SECRET x"));
        assert_eq!(s.mask_text("a 00001234-value-of-a-secret b"), "a **** b");
    }

    #[test]
    fn values_sharing_their_first_bytes_mask_the_longest() {
        // Access tokens of one org begin alike (a JWT header): all share a head.
        let s = SecretValues::new();
        s.register("eyJraWQiOiJ.short");
        s.register("eyJraWQiOiJ.a-much-longer-one");
        s.register("eyJraWQiOiJ.a-much");
        assert_eq!(
            s.mask_text("t=eyJraWQiOiJ.a-much-longer-one; u=eyJraWQiOiJ.a-much-less"),
            "t=****; u=****-less"
        );
        assert_eq!(s.mask_text("eyJraWQiOiJ.other"), "eyJraWQiOiJ.other");
    }

    #[test]
    fn a_matcher_searches_the_values_known_when_it_was_made() {
        let s = SecretValues::new();
        assert!(s.matcher().is_empty());
        s.register("first-secret-value");
        let m = s.matcher();
        s.register("second-secret-value");
        assert!(m.contains_secret("a first-secret-value"));
        assert!(!m.contains_secret("a second-secret-value"));
        assert!(s.matcher().contains_secret("a second-secret-value"));
        assert!(m.in_json(&json!({"x": ["first-secret-value"]})));
        assert!(!m.in_json(&json!(12345678901_u64)));
    }

    #[test]
    fn a_case_form_shorter_than_the_minimum_is_not_registered() {
        // The Kelvin sign is three bytes; its lower case `k` is one.
        let s = SecretValues::new();
        s.register("\u{212A}\u{212A}\u{212A}");
        assert_eq!(s.len(), 1);
        assert!(s.contains_secret("x \u{212A}\u{212A}\u{212A} x"));
        assert!(!s.contains_secret("kkk-----"));
    }
}
