//! Pagination: finding the `rel="next"` link in `Link` headers and checking that it stays on
//! the server the first request went to (the API token is never sent anywhere else).
//!
//! Must not: send requests.

use std::collections::HashSet;

use reqwest::header::{HeaderMap, LINK};
use reqwest::Url;

/// Most pages followed for one request unless `--max-pages` says otherwise: 10,000 pages
/// of 200 rows is two million rows, far beyond any org's secrets or apps, and it ends a
/// server that hands out new next links forever.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// The pages of one request fetched so far, to stop on a link back to any of them.
#[derive(Debug, Default)]
pub(crate) struct Visited {
    seen: HashSet<String>,
}

impl Visited {
    /// Starts with the first page.
    pub(crate) fn new(first: &Url) -> Visited {
        let mut v = Visited::default();
        v.seen.insert(key(first));
        v
    }

    /// Records `next`; `false` when it was fetched before.
    pub(crate) fn first_visit(&mut self, next: &Url) -> bool {
        self.seen.insert(key(next))
    }
}

/// A page's identity: the URL without its fragment (which is never sent).
fn key(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

/// The `rel="next"` target among all `Link` headers, resolved against `base`.
///
/// Handles several links in one header (`<a>; rel="self", <b>; rel="next"`), several `Link`
/// headers, unquoted `rel=next`, and space-separated relation lists (`rel="next last"`).
/// Returns `Err(text)` when a next link is present but is not a valid URL.
pub(crate) fn next_link(headers: &HeaderMap, base: &Url) -> Result<Option<Url>, String> {
    for value in headers.get_all(LINK) {
        let Ok(value) = value.to_str() else { continue };
        for (target, params) in parse_link_header(value) {
            if params_have_next(params) {
                return base
                    .join(target.trim())
                    .map(Some)
                    .map_err(|e| format!("{target}: {e}"));
            }
        }
    }
    Ok(None)
}

/// Whether two URLs share scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Splits one `Link` header value into `(target, params)` pairs.
fn parse_link_header(value: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close_rel) = rest[open..].find('>') else {
            break;
        };
        let close = open + close_rel;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // The parameters run to the next comma that is not inside quotes.
        let mut in_quotes = false;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push((target, &after[..end]));
        rest = if end < after.len() {
            &after[end + 1..]
        } else {
            ""
        };
    }
    out
}

/// Whether `; rel="next"` (or a relation list containing `next`) is among the params.
fn params_have_next(params: &str) -> bool {
    params.split(';').any(|p| {
        let Some((name, value)) = p.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("next"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(LINK, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn base() -> Url {
        Url::parse("https://acme.okta.com/api/v1/users?limit=2").unwrap()
    }

    #[test]
    fn next_among_several_links_in_one_header() {
        let h = headers(&[
            r#"<https://acme.okta.com/api/v1/users?limit=2>; rel="self", <https://acme.okta.com/api/v1/users?after=00u2&limit=2>; rel="next""#,
        ]);
        let next = next_link(&h, &base()).unwrap().unwrap();
        assert_eq!(
            next.as_str(),
            "https://acme.okta.com/api/v1/users?after=00u2&limit=2"
        );
    }

    #[test]
    fn next_in_a_second_header_unquoted_and_relative() {
        let h = headers(&[
            r#"<https://acme.okta.com/api/v1/users?limit=2>; rel="self""#,
            r#"</api/v1/users?after=x%2Cy>; title="a, b"; rel=next"#,
        ]);
        let next = next_link(&h, &base()).unwrap().unwrap();
        assert_eq!(
            next.as_str(),
            "https://acme.okta.com/api/v1/users?after=x%2Cy"
        );
    }

    #[test]
    fn relation_lists_and_absent_next() {
        let h = headers(&[r#"<https://acme.okta.com/p2>; rel="last next""#]);
        assert!(next_link(&h, &base()).unwrap().is_some());
        let h = headers(&[
            r#"<https://acme.okta.com/p1>; rel="self", <https://acme.okta.com/p0>; rel="prev""#,
        ]);
        assert!(next_link(&h, &base()).unwrap().is_none());
        assert!(next_link(&HeaderMap::new(), &base()).unwrap().is_none());
        let h = headers(&[r#"<https://acme.okta.com/p1>; rel="nextpage""#]);
        assert!(next_link(&h, &base()).unwrap().is_none());
    }

    #[test]
    fn a_link_back_to_any_page_is_seen() {
        let a = Url::parse("https://acme.okta.com/p?after=A").unwrap();
        let b = Url::parse("https://acme.okta.com/p?after=B").unwrap();
        let mut v = Visited::new(&a);
        assert!(v.first_visit(&b));
        assert!(!v.first_visit(&Url::parse("https://acme.okta.com/p?after=A#x").unwrap()));
    }

    #[test]
    fn origin_comparison() {
        let a = Url::parse("https://acme.okta.com/a").unwrap();
        assert!(same_origin(
            &a,
            &Url::parse("https://ACME.okta.com:443/b?c").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://acme.okta.com/a").unwrap()
        ));
        assert!(!same_origin(&a, &Url::parse("https://evil.com/a").unwrap()));
        assert!(!same_origin(
            &a,
            &Url::parse("https://acme.okta.com:8443/a").unwrap()
        ));
    }
}
