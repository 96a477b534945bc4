//! Building request URLs: the server from the `subdomain`, and percent-encoded path
//! parameters. This is where the token's destination is decided, so it is strict.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::PlanError;

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `name=value&…` as sent: names and values percent-encoded except RFC 3986 unreserved
/// characters. The client sends exactly this and `--dry-run` prints exactly this.
pub fn query_string(query: &[(String, String)]) -> String {
    let mut q = String::new();
    for (k, v) in query {
        if !q.is_empty() {
            q.push('&');
        }
        q.extend(utf8_percent_encode(k, SEGMENT));
        q.push('=');
        q.extend(utf8_percent_encode(v, SEGMENT));
    }
    q
}

/// Percent-encodes one path parameter so that it stays a single path segment.
///
/// Refuses values that no encoding can keep in place: the empty string and the dot
/// segments `.` and `..` (URL parsers remove those, moving the request to another path).
pub fn encode_segment(param: &str, value: &str) -> Result<String, PlanError> {
    if value.is_empty() {
        return Err(PlanError::BadValue {
            value: value.to_string(),
            message: format!("parameter {param} is empty: give the id of an existing object"),
        });
    }
    if value == "." || value == ".." {
        return Err(PlanError::BadValue {
            value: value.to_string(),
            message: format!(
                "parameter {param} = '{value}' is not a valid id (a dot segment would change the request path)"
            ),
        });
    }
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

/// Checks that `subdomain` is a host name: dot-separated labels of ASCII letters, digits and
/// `-` (not at either end of a label), at most 253 characters.
pub fn check_subdomain(value: &str) -> Result<(), PlanError> {
    let bad = |why: &str| {
        Err(PlanError::BadValue {
            value: value.to_string(),
            message: format!(
                "subdomain '{value}' is not a valid host name ({why}): use your org's subdomain \
                 (acme) or its full host (acme.oktapreview.com)"
            ),
        })
    };
    if value.is_empty() {
        return bad("it is empty");
    }
    if value.len() > 253 {
        return bad("it is longer than 253 characters");
    }
    // `127.1`, `0x7f.1`, `2130706433`: URL parsers read these as IP addresses, so the
    // request would go to an address that is not the name written.
    if let Some(last) = value.rsplit('.').next() {
        let numeric = !last.is_empty() && last.chars().all(|c| c.is_ascii_digit());
        let hex = last.len() > 2
            && last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
            && last
                .get(2..)
                .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
        if numeric || hex {
            return bad("it looks like an IP address; use your org's host name");
        }
    }
    for label in value.split('.') {
        if label.is_empty() {
            return bad("it has an empty label");
        }
        if label.len() > 63 {
            return bad("a label is longer than 63 characters");
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return bad(&format!("it contains '{c}'"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a label starts or ends with '-'");
        }
    }
    Ok(())
}

/// True when `host` is a loopback address or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Checks a server URL template given with `--server-url`: it must contain `{subdomain}`
/// and use HTTPS, or plain HTTP to a loopback address.
pub fn check_server_template(template: &str) -> Result<(), PlanError> {
    // Every statement checks the run's one template (twice): the last template this thread
    // accepted is remembered, and the check is a pure function of the text.
    thread_local! {
        static ACCEPTED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    if ACCEPTED.with(|a| !a.borrow().is_empty() && *a.borrow() == template) {
        return Ok(());
    }
    check_server_template_in_full(template)?;
    ACCEPTED.with(|a| {
        let mut a = a.borrow_mut();
        a.clear();
        a.push_str(template);
    });
    Ok(())
}

/// [`check_server_template`] without the memory of the last accepted template.
fn check_server_template_in_full(template: &str) -> Result<(), PlanError> {
    if !template.contains("{subdomain}") {
        return Err(PlanError::Invalid(format!(
            "server URL '{template}' has no {{subdomain}} placeholder: write it like \
             https://{{subdomain}}.okta.com or http://127.0.0.1:8787/{{subdomain}}"
        )));
    }
    let probe = template.replace("{subdomain}", "org");
    let (scheme, rest) = probe.split_once("://").ok_or_else(|| {
        PlanError::Invalid(format!(
            "server URL '{template}' has no scheme: start it with https://"
        ))
    })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host_of_authority(authority);
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback_host(host) => Ok(()),
        "http" => Err(PlanError::Invalid(format!(
            "server URL '{template}' uses plain HTTP to {host}: the API token would travel \
             unencrypted. Use https://, or http:// only to a loopback address such as the sandbox"
        ))),
        other => Err(PlanError::Invalid(format!(
            "server URL '{template}' has scheme {other}: use https://"
        ))),
    }
}

/// The host part of `user@host:port` (IPv6 brackets kept).
fn host_of_authority(authority: &str) -> &str {
    let a = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    if a.starts_with('[') {
        return a
            .split_once(']')
            .map(|(h, _)| &a[..h.len() + 1])
            .unwrap_or(a);
    }
    a.split(':').next().unwrap_or(a)
}

/// The base URL (no trailing `/`) for `subdomain`.
///
/// With an override template (`--server-url`), `{subdomain}` is replaced as is. With the
/// provider's template (`https://{subdomain}.okta.com/`), a subdomain that contains a dot is
/// taken as the whole host (`acme.oktapreview.com`, a custom domain).
pub fn server_base(
    provider_template: &str,
    override_template: Option<&str>,
    orgs: &[(String, String)],
    subdomain: &str,
) -> Result<String, PlanError> {
    check_subdomain(subdomain)?;
    // A configured org's name stands for its URL (a custom domain, a sandbox path).
    if let Some((_, url)) = orgs.iter().find(|(n, _)| n.eq_ignore_ascii_case(subdomain)) {
        return Ok(url.trim_end_matches('/').to_string());
    }
    let base = match override_template {
        Some(t) => {
            check_server_template(t)?;
            t.replace("{subdomain}", subdomain)
        }
        None if subdomain.contains('.') => {
            let scheme = provider_template
                .split_once("://")
                .map(|(s, _)| s)
                .unwrap_or("https");
            format!("{scheme}://{subdomain}/")
        }
        None => provider_template.replace("{subdomain}", subdomain),
    };
    Ok(base.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_into_one() {
        assert_eq!(encode_segment("appId", "0oa1").unwrap(), "0oa1");
        assert_eq!(
            encode_segment("appId", "../../users").unwrap(),
            "..%2F..%2Fusers"
        );
        assert_eq!(encode_segment("appId", "a/b?c#d").unwrap(), "a%2Fb%3Fc%23d");
        assert_eq!(encode_segment("appId", "a b%").unwrap(), "a%20b%25");
        assert!(encode_segment("appId", "..").is_err());
        assert!(encode_segment("appId", ".").is_err());
        assert!(encode_segment("appId", "").is_err());
    }

    #[test]
    fn subdomains_must_be_host_names() {
        for ok in [
            "acme",
            "acme-dev",
            "acme.oktapreview.com",
            "login.example.co.uk",
            "a1",
        ] {
            assert!(check_subdomain(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "evil.example/x#",
            "a@evil.example",
            "acme:8080",
            "ac me",
            "a%2e",
            "x?y",
            "-acme",
            "acme..com",
            "acme.",
            "127.1",
            "0x7f.1",
            "169.254.43518",
            "2130706433",
            "10.0.0.1",
            "aé",
        ] {
            let err = check_subdomain(bad).unwrap_err().to_string();
            assert!(err.contains("not a valid host name"), "{bad}: {err}");
        }
    }

    #[test]
    fn server_base_from_provider_template() {
        let t = "https://{subdomain}.okta.com/";
        assert_eq!(
            server_base(t, None, &[], "acme").unwrap(),
            "https://acme.okta.com"
        );
        assert_eq!(
            server_base(t, None, &[], "acme.oktapreview.com").unwrap(),
            "https://acme.oktapreview.com"
        );
    }

    #[test]
    fn a_remembered_template_does_not_let_another_through() {
        let good = "http://127.0.0.1:8787/{subdomain}";
        let bad = [
            "http://example.com/{subdomain}",
            "http://127.0.0.1:8787/",
            "http://127.0.0.1.evil.com/{subdomain}",
            "ftp://127.0.0.1:8787/{subdomain}",
            "",
        ];
        for round in 0..3 {
            assert!(check_server_template(good).is_ok(), "round {round}");
            for b in bad {
                let remembered = check_server_template(b).map_err(|e| e.to_string());
                let in_full = check_server_template_in_full(b).map_err(|e| e.to_string());
                assert!(remembered.is_err(), "{b:?} accepted in round {round}");
                assert_eq!(remembered, in_full, "{b:?}");
            }
            assert!(check_server_template("https://{subdomain}.okta.com").is_ok());
        }
    }

    #[test]
    fn override_templates_are_checked() {
        let t = "https://{subdomain}.okta.com/";
        assert_eq!(
            server_base(t, Some("http://127.0.0.1:8787/{subdomain}"), &[], "acme").unwrap(),
            "http://127.0.0.1:8787/acme"
        );
        assert!(server_base(t, Some("http://localhost:1/{subdomain}"), &[], "a").is_ok());
        assert!(server_base(t, Some("http://[::1]:1/{subdomain}"), &[], "a").is_ok());
        let e = server_base(t, Some("http://example.com/{subdomain}"), &[], "acme")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain HTTP"), "{e}");
        let e = server_base(t, Some("http://127.0.0.1.evil.com/{subdomain}"), &[], "a")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain HTTP"), "{e}");
        let e = server_base(t, Some("http://127.0.0.1@evil.com/{subdomain}"), &[], "a")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain HTTP"), "{e}");
        assert!(server_base(t, Some("https://okta.example.com/"), &[], "a").is_err());
    }
}
