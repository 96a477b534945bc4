//! URL rules of the HTTP client: which planned URLs may be contacted (`https://`, or plain
//! `http://` to loopback only; the host contacted is the host written; no user information)
//! and how query parameters are encoded.
//!
//! Must not: send anything or decide which credential goes with a URL (that is [`super::auth`]).

use std::net::IpAddr;

use reqwest::Url;

use super::ExecError;
use crate::plan::HttpRequest;

/// Parses the planned URL and refuses anything but `https://` (or `http://` to loopback).
pub(crate) fn checked_url(req: &HttpRequest) -> Result<Url, ExecError> {
    let url = Url::parse(&req.url).map_err(|e| ExecError::InvalidUrl {
        method: req.method.clone(),
        url: req.url.clone(),
        reason: e.to_string(),
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ExecError::InvalidUrl {
            method: req.method.clone(),
            url: req.url.clone(),
            reason: "it has no host".to_string(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ExecError::InvalidUrl {
            method: req.method.clone(),
            url: req.url.clone(),
            reason: "it carries user information before the host".to_string(),
        });
    }
    // The host contacted must be the host written in the plan: URL parsers read a host
    // whose last label is a number (`0x7f.1`, `127.1`) as an IPv4 address.
    let written = written_host(&req.url).to_ascii_lowercase();
    if url.host_str() != Some(written.as_str()) {
        return Err(ExecError::InvalidUrl {
            method: req.method.clone(),
            url: req.url.clone(),
            reason: format!(
                "its host {written} would be read as {}; write the org's host name (or the IP address in its usual form)",
                url.host_str().unwrap_or("")
            ),
        });
    }
    let ok = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        _ => false,
    };
    if !ok {
        return Err(ExecError::InsecureUrl {
            method: req.method.clone(),
            url: req.url.clone(),
        });
    }
    Ok(url)
}

/// The host of a URL as written: between `://` (or the user information) and the port,
/// path, query or fragment; IPv6 brackets kept.
pub(crate) fn written_host(raw: &str) -> &str {
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port
            .find(']')
            .map_or(host_port, |end| &host_port[..=end]);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

/// Whether the URL's host is `localhost`, `127.0.0.0/8` or `[::1]`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Appends query parameters, percent-encoding everything but unreserved characters.
pub(crate) fn append_query(url: &mut Url, query: &[(String, String)]) {
    if query.is_empty() {
        return;
    }
    let mut q = url.query().unwrap_or("").to_string();
    if !q.is_empty() {
        q.push('&');
    }
    q.push_str(&crate::plan::url::query_string(query));
    url.set_query(Some(&q));
}

/// `host` or `host:port` of a URL.
pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("an unknown host");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encoding() {
        let mut u = Url::parse("https://x.okta.com/api/v1/users").unwrap();
        append_query(
            &mut u,
            &[
                ("search".into(), "profile.lastName eq \"O'Neil&Co\"".into()),
                ("limit".into(), "2".into()),
            ],
        );
        assert_eq!(
            u.as_str(),
            "https://x.okta.com/api/v1/users?search=profile.lastName%20eq%20%22O%27Neil%26Co%22&limit=2"
        );
    }

    #[test]
    fn loopback_detection() {
        for ok in [
            "http://localhost:8080/a",
            "http://127.0.0.1/a",
            "http://127.1.2.3:1/",
            "http://[::1]:9/",
        ] {
            assert!(is_loopback(&Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://localhost.evil.com/",
            "http://[::2]/",
        ] {
            assert!(!is_loopback(&Url::parse(bad).unwrap()), "{bad}");
        }
    }

    #[test]
    fn contacted_host_is_the_written_host() {
        let check = |u: &str| {
            checked_url(&crate::plan::HttpRequest {
                resource: "okta.apps.secrets".into(),
                method: "m".into(),
                http_method: "GET".into(),
                url: u.to_string(),
                query: vec![],
                body: None,
                paginate: false,
                response_shape: crate::provider::ResponseShape::Array,
                bound: vec![],
            })
        };
        for ok in [
            "https://acme.okta.com/api/v1/apps",
            "https://ACME.Okta.com:443/api",
            "http://127.0.0.1:8787/my-org/api",
            "http://[::1]:9/a",
            "http://localhost/a",
            "https://10.1.2.3/a",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://0x7f.1/api/v1/apps",
            "https://127.1/api",
            "https://169.254.43518/api",
            "https://2130706433.1/x",
            "https://user@acme.okta.com/x",
        ] {
            let err = check(bad).unwrap_err();
            assert!(
                matches!(err, ExecError::InvalidUrl { .. }),
                "{bad}: {err:?}"
            );
        }
        assert!(check("https://0x7f.1/")
            .unwrap_err()
            .to_string()
            .contains("would be read as 127.0.0.1"));
        assert_eq!(written_host("https://a.b:1/c"), "a.b");
        assert_eq!(written_host("http://[::1]:9/"), "[::1]");
        assert_eq!(written_host("https://u:p@h?x"), "h");
    }
}
