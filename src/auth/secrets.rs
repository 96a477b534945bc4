//! The values of authentication secrets seen in this run (API tokens, private keys, client
//! assertions, access tokens, DPoP proofs), and masking them out of any text.
//!
//! Every secret kind this module knows is handed over through [`register`] where it is made
//! or read, and every text that leaves the process through traces or errors passes
//! [`mask`]. That keeps the rule for the new secret kinds in one place.
//!
//! Must not: keep anything but the values (no names, no places), or be bypassed by code that
//! creates a new kind of authentication secret.

use std::sync::{Mutex, PoisonError};

/// The mask shown instead of a secret.
pub const MASK: &str = "****";
/// Values shorter than this are not registered (they would mask ordinary words).
const MIN_LEN: usize = 8;
/// Most values remembered; the oldest are forgotten first (a run makes few).
const MAX_VALUES: usize = 4096;

static VALUES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a secret value so that [`mask`] hides it. A PEM key is registered line by line
/// as well, so a fragment of it is hidden too.
pub fn register(value: &str) {
    let value = value.trim();
    if value.len() < MIN_LEN {
        return;
    }
    let mut values = VALUES.lock().unwrap_or_else(PoisonError::into_inner);
    let mut add = |v: &str| {
        if v.len() >= MIN_LEN && !values.iter().any(|x| x == v) {
            if values.len() >= MAX_VALUES {
                values.remove(0);
            }
            values.push(v.to_string());
        }
    };
    add(value);
    if value.contains("-----BEGIN") {
        for line in value.lines().filter(|l| !l.starts_with("-----")) {
            add(line.trim());
        }
    }
    // A JWT: its signature alone is enough to hide.
    if let Some(sig) = value
        .rsplit('.')
        .next()
        .filter(|_| value.matches('.').count() == 2)
    {
        add(sig);
    }
}

/// `text` with every registered secret value replaced by [`MASK`] (longest first, so a
/// value that contains another is hidden whole).
pub fn mask(text: &str) -> String {
    let values = VALUES.lock().unwrap_or_else(PoisonError::into_inner);
    let mut hits: Vec<&String> = values
        .iter()
        .filter(|v| text.contains(v.as_str()))
        .collect();
    if hits.is_empty() {
        return text.to_string();
    }
    hits.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_string();
    for v in hits {
        out = out.replace(v.as_str(), MASK);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_masked_whole_and_in_part() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTESTKEYLINEONE\nTESTKEYLINETWOabcdefgh\n-----END PRIVATE KEY-----\n";
        register(pem);
        register("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.SIGNATUREpartXYZ123");
        register("short");
        let t = mask("key: TESTKEYLINETWOabcdefgh; proof SIGNATUREpartXYZ123; word short");
        assert!(!t.contains("TESTKEYLINETWO"), "{t}");
        assert!(!t.contains("SIGNATUREpart"), "{t}");
        assert!(t.contains("short"), "{t}");
        assert_eq!(mask("nothing here"), "nothing here");
    }
}
