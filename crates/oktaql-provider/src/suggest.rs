//! "Did you mean …?": the nearest existing name to a misspelt one.
//!
//! Owns the similarity rule used by every `unknown …` error of the provider layer (and by
//! callers that want the same rule for columns or parameters). Must not allocate more than
//! the lowercase copies it compares.

/// The lowest Jaro-Winkler similarity (of the lower-cased names) that still earns a
/// suggestion. `secret`/`secrets` score 0.97, `appz`/`apps` 0.88, `users`/`apps` 0.0.
const THRESHOLD: f64 = 0.8;

/// The candidate closest to `name`, compared case-insensitively, if it is close enough to
/// be worth suggesting. An exact (case-insensitive) match is returned as is.
///
/// ```
/// use oktaql_provider::nearest;
/// assert_eq!(nearest("secret", ["applications", "secrets"]), Some("secrets"));
/// assert_eq!(nearest("zzz", ["applications", "secrets"]), None);
/// ```
pub fn nearest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted = name.to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let lower = candidate.to_lowercase();
        let mut score = strsim::jaro_winkler(&wanted, &lower);
        // A name typed without its underscores or with a missing suffix is still a good
        // guess (`clientsecrets` for `client_secrets`).
        if lower.replace('_', "") == wanted.replace('_', "") {
            score = score.max(0.99);
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, _)| *score >= THRESHOLD)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn suggests_only_close_names() {
        let names = ["applications", "secrets", "group_assignments"];
        assert_eq!(nearest("secret", names), Some("secrets"));
        assert_eq!(nearest("SECRETS", names), Some("secrets"));
        assert_eq!(nearest("aplications", names), Some("applications"));
        assert_eq!(
            nearest("groupassignments", names),
            Some("group_assignments")
        );
        assert_eq!(nearest("users", names), None);
        assert_eq!(nearest("x", names), None);
        assert_eq!(nearest("anything", std::iter::empty()), None);
    }
}
