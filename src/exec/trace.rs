//! `--debug` HTTP traces with secrets masked: the `Authorization` value (`SSWS ****`),
//! cookies, and JSON values of secret-like fields (`client_secret`, `password`, `*token`).
//!
//! Must not: let the API token through in any form — every trace line is also scrubbed of
//! the literal token as a last guard.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::plan::mask_secrets as mask_json;

use crate::secrets::MASK;
/// Longest body shown in a trace.
const MAX_TRACE_BODY: usize = 4000;

/// Masks `client_secret=…` / `"client_secret": "…"` in text that is not JSON.
fn mask_text(text: &str) -> String {
    crate::secrets::mask_text_keys(text).into_owned()
}

/// A body as shown in a trace: masked, cut to a few kilobytes.
pub(crate) fn body_text(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => mask_json(&v).to_string(),
        Err(_) => mask_text(&String::from_utf8_lossy(body)),
    };
    if text.len() > MAX_TRACE_BODY {
        let mut cut = MAX_TRACE_BODY;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}… ({} bytes in all)", &text[..cut], body.len())
    } else {
        text
    }
}

/// Replaces every occurrence of the token in a trace (a last guard).
pub(crate) fn scrub(text: String, token: Option<&str>) -> String {
    match token {
        Some(t) if t.len() >= 4 && text.contains(t) => text.replace(t, MASK),
        _ => text,
    }
}

/// Header lines of a trace, sensitive values masked.
fn header_lines(prefix: &str, headers: &HeaderMap, auth_prefix: &str, out: &mut String) {
    for (name, value) in headers {
        let shown = match name.as_str() {
            "authorization" | "proxy-authorization" => {
                // The scheme (SSWS, Bearer, DPoP) is shown, the credential never.
                let v = String::from_utf8_lossy(value.as_bytes());
                match v.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} {MASK}"),
                    None => format!("{}{MASK}", auth_prefix),
                }
            }
            "dpop" => MASK.to_string(),
            "cookie" | "set-cookie" => MASK.to_string(),
            _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        out.push_str(&format!("\n{prefix}{name}: {shown}"));
    }
}

/// The trace of a request about to be sent.
pub(crate) fn request(
    http_method: &str,
    url: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    auth_prefix: &str,
) -> String {
    let mut s = format!("> {http_method} {url}");
    header_lines("> ", headers, auth_prefix, &mut s);
    if let Some(b) = body {
        s.push_str(&format!("\n> {}", body_text(b)));
    }
    s
}

/// The trace of an answer.
pub(crate) fn response(
    status: u16,
    elapsed: Duration,
    headers: &HeaderMap,
    body: &[u8],
    auth_prefix: &str,
) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut s = format!("< {status} {reason} in {} ms", elapsed.as_millis());
    header_lines("< ", headers, auth_prefix, &mut s);
    if !body.is_empty() {
        s.push_str(&format!("\n< {}", body_text(body)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, AUTHORIZATION};
    use serde_json::json;

    #[test]
    fn json_secrets_masked_everywhere() {
        let v = json!([{"id": "s1", "client_secret": "abc", "secret_hash": "h",
            "credentials": {"password": {"value": "pw"}, "oauthClient": {"client_secret": null}},
            "access_token": "t", "tokenEndpointAuthMethod": "client_secret_basic"}]);
        let m = mask_json(&v);
        assert_eq!(
            m,
            json!([{"id": "s1", "client_secret": "****", "secret_hash": "h",
                "credentials": {"password": "****", "oauthClient": {"client_secret": null}},
                "access_token": "****", "tokenEndpointAuthMethod": "client_secret_basic"}])
        );
    }

    #[test]
    fn text_secrets_masked() {
        assert_eq!(
            mask_text("grant_type=x&client_secret=s3cr3t&scope=a"),
            "grant_type=x&client_secret=****&scope=a"
        );
        assert_eq!(
            mask_text(r#"{"client_secret": "s3cr3t", broken"#),
            r#"{"client_secret": "****", broken"#
        );
    }

    #[test]
    fn authorization_masked_and_token_scrubbed() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("SSWS tok-123456"));
        let t = request("GET", "https://x/?q=tok-123456", &h, None, "SSWS ");
        assert!(t.contains("authorization: SSWS ****"), "{t}");
        let t = scrub(t, Some("tok-123456"));
        assert!(!t.contains("tok-123456"), "{t}");
    }
}
