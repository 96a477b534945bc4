//! Turning failure answers into [`ExecError`]s: Okta's JSON error bodies, OAuth-style
//! `{error, error_description}` bodies, and anything else (HTML from a proxy) as a short
//! excerpt. Also the `Display` text of the errors that need more than a format string.
//!
//! Must not: send requests or decide about retries.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::ExecError;

/// An error answer from Okta, parsed from its body (`errorCode`, `errorSummary`,
/// `errorCauses`) and the `X-Okta-Request-Id` header.
///
/// Displays as `Okta returned 400 Bad Request (E0000001): Api validation failed: … — cause:
/// … [create_oauth2_client_secret, request id abc]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaError {
    /// HTTP status.
    pub status: u16,
    /// Okta error code (`E0000001`; `invalid_client` for OAuth-style bodies).
    pub code: String,
    /// Okta error summary.
    pub summary: String,
    /// The `errorSummary` of each of `errorCauses`.
    pub causes: Vec<String>,
    /// `X-Okta-Request-Id` (or the body's `errorId`), for Okta support.
    pub request_id: Option<String>,
    /// Method name (`create_oauth2_client_secret`).
    pub method: String,
    /// The URL requested.
    pub url: String,
}

impl fmt::Display for OktaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_okta(
            self.status,
            &self.code,
            &self.summary,
            &self.causes,
            self.request_id.as_deref(),
            &self.method,
        ))
    }
}

impl std::error::Error for OktaError {}

/// Longest excerpt of a non-JSON body kept in an error.
const EXCERPT_CHARS: usize = 200;

/// Builds the error for a failure answer (`status` not 2xx/3xx) from its body.
pub(crate) fn error_from_answer(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    method: &str,
    url: &str,
) -> ExecError {
    if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(printable);
        let okta = text("errorCode").or_else(|| text("errorSummary")).is_some();
        let oauth = text("error").is_some();
        if okta || oauth {
            let (code, summary) = if okta {
                (
                    text("errorCode").unwrap_or_default(),
                    text("errorSummary").unwrap_or_default(),
                )
            } else {
                (
                    text("error").unwrap_or_default(),
                    text("error_description").unwrap_or_default(),
                )
            };
            let causes = obj
                .get("errorCauses")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.get("errorSummary").and_then(Value::as_str))
                        .map(printable)
                        .collect()
                })
                .unwrap_or_default();
            return ExecError::Okta(Box::new(OktaError {
                status,
                code,
                summary,
                causes,
                request_id: request_id.or_else(|| text("errorId")),
                method: method.to_string(),
                url: url.to_string(),
            }));
        }
    }
    ExecError::Http {
        status,
        excerpt: excerpt(body),
        method: method.to_string(),
        url: url.to_string(),
    }
}

/// What a failure answer says, in a few words: Okta's summary and causes, else the start of
/// the body (for messages that add their own advice).
pub(crate) fn answer_summary(status: u16, body: &[u8]) -> String {
    let said = match error_from_answer(status, body, None, "", "") {
        ExecError::Okta(e) if e.causes.is_empty() => e.summary.clone(),
        ExecError::Okta(e) => format!("{} — {}", e.summary, e.causes.join("; ")),
        ExecError::Http { excerpt, .. } => excerpt,
        _ => String::new(),
    };
    if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {said}")
    }
}

/// Server text made safe for a terminal: control characters (escape sequences, bells,
/// carriage returns) become spaces.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The start of a body as one short line: tags stripped, whitespace collapsed, control
/// characters removed, values of secret-named keys masked (`client_secret=****`), at most
/// 200 characters (with `…` when cut).
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = printable(&crate::secrets::mask_text_keys(&text));
    let mut stripped = String::with_capacity(text.len().min(4096));
    let mut in_tag = false;
    let mut in_skipped = false; // inside <script> or <style>
    let lower = text.to_ascii_lowercase();
    let lower = lower.as_bytes();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if in_skipped {
            if lower[i..].starts_with(b"</script") || lower[i..].starts_with(b"</style") {
                in_skipped = false;
                in_tag = true;
            }
            i += 1;
            continue;
        }
        let c = bytes[i];
        if in_tag {
            if c == b'>' {
                in_tag = false;
                stripped.push(' ');
            }
            i += 1;
            continue;
        }
        if c == b'<' && looks_like_tag(&bytes[i + 1..]) {
            in_tag = true;
            if lower[i..].starts_with(b"<script") || lower[i..].starts_with(b"<style") {
                in_skipped = true;
            }
            i += 1;
            continue;
        }
        // Push the whole UTF-8 character starting here.
        let ch = text.get(i..).and_then(|t| t.chars().next()).unwrap_or(' ');
        stripped.push(ch);
        i += ch.len_utf8();
        if stripped.len() > 8 * EXCERPT_CHARS {
            break;
        }
    }
    let collapsed = stripped.split_whitespace().collect::<Vec<_>>().join(" ");
    let collapsed = decode_entities(&collapsed);
    if collapsed.chars().count() > EXCERPT_CHARS {
        let cut: String = collapsed.chars().take(EXCERPT_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        collapsed
    }
}

/// Whether the bytes after a `<` start a tag, a closing tag, a comment or a doctype.
fn looks_like_tag(rest: &[u8]) -> bool {
    matches!(rest.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'!')
}

/// Decodes the few HTML entities that commonly appear in error pages.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The reason phrase of a status (`Bad Request`), or empty.
fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// What to do about a failure status, when there is a usual fix.
fn hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("check that the API token is valid for this org and has not expired"),
        403 => Some("the API token's admin role does not allow this operation"),
        404 => Some("check the ids in the statement and the subdomain"),
        500..=599 => Some("Okta or a proxy in between failed; try again later"),
        _ => None,
    }
}

/// `Display` of [`ExecError::Okta`]:
/// `Okta returned 400 Bad Request (E0000001): Api validation failed: … — cause: … [create_x, request id abc]`.
fn display_okta(
    status: u16,
    code: &str,
    summary: &str,
    causes: &[String],
    request_id: Option<&str>,
    method: &str,
) -> String {
    let mut s = format!("Okta returned {status}");
    let r = reason(status);
    if !r.is_empty() {
        s.push(' ');
        s.push_str(r);
    }
    if !code.is_empty() {
        s.push_str(&format!(" ({code})"));
    }
    if !summary.is_empty() {
        s.push_str(": ");
        s.push_str(summary);
    }
    match causes {
        [] => {}
        [one] => s.push_str(&format!(" — cause: {one}")),
        many => s.push_str(&format!(" — causes: {}", many.join("; "))),
    }
    if let Some(h) = hint(status) {
        s.push_str(&format!(" — {h}"));
    }
    match request_id {
        Some(id) => s.push_str(&format!(" [{method}, request id {id}]")),
        None => s.push_str(&format!(" [{method}]")),
    }
    s
}

/// `Display` of [`ExecError::Http`].
pub(crate) fn display_http(status: u16, excerpt: &str, method: &str, url: &str) -> String {
    let mut s = format!("{method}: HTTP {status} {} from {url}", reason(status));
    if excerpt.is_empty() {
        s.push_str(" with an empty body");
    } else {
        s.push_str(&format!(": \"{excerpt}\""));
    }
    if let Some(h) = hint(status) {
        s.push_str(&format!(" — {h}"));
    }
    s
}

/// `Display` of [`ExecError::Timeout`].
pub(crate) fn display_timeout(
    method: &str,
    http_method: &str,
    url: &str,
    timeout: Duration,
) -> String {
    let mut s = format!(
        "{method}: no answer from {http_method} {url} within {} (raise it with --timeout)",
        human_duration(timeout)
    );
    if !is_safe(http_method) {
        s.push_str(
            "; the request may have reached Okta, so its outcome is unknown — check with a SELECT before running it again",
        );
    }
    s
}

/// `30 s`, `1.5 s`, `250 ms`.
pub(crate) fn human_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Whether a request with this verb may be sent again without changing anything.
pub(crate) fn is_safe(http_method: &str) -> bool {
    http_method.eq_ignore_ascii_case("GET") || http_method.eq_ignore_ascii_case("HEAD")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_body_becomes_okta_error() {
        let body = br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: client_secret",
            "errorLink":"E0000001","errorId":"oaeX","errorCauses":[{"errorSummary":"You can't have more than two client secrets."}]}"#;
        let e = error_from_answer(
            400,
            body,
            Some("abc".into()),
            "create_oauth2_client_secret",
            "https://x.okta.com/a",
        );
        assert_eq!(
            e.to_string(),
            "Okta returned 400 Bad Request (E0000001): Api validation failed: client_secret — cause: You can't have more than two client secrets. [create_oauth2_client_secret, request id abc]"
        );
    }

    #[test]
    fn error_id_used_without_header() {
        let body = br#"{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: 0oa1 (AppInstance)","errorId":"oae1"}"#;
        let e = error_from_answer(404, body, None, "get_app", "u");
        match &e {
            ExecError::Okta(o) => {
                assert_eq!(o.request_id.as_deref(), Some("oae1"));
                assert!(o.causes.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(e.to_string().contains("check the ids"), "{e}");
    }

    #[test]
    fn oauth_style_body() {
        let body =
            br#"{"error":"invalid_client","error_description":"Client authentication failed."}"#;
        let e = error_from_answer(401, body, None, "m", "u");
        assert!(
            e.to_string().starts_with(
                "Okta returned 401 Unauthorized (invalid_client): Client authentication failed."
            ),
            "{e}"
        );
    }

    #[test]
    fn html_body_becomes_short_excerpt() {
        let body = b"<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body>\n  <h1>Bad   Gateway</h1> &amp; more</body></html>";
        match error_from_answer(502, body, None, "m", "u") {
            ExecError::Http { excerpt, .. } => {
                assert_eq!(excerpt, "502 Bad Gateway Bad Gateway & more")
            }
            other => panic!("unexpected {other:?}"),
        }
        let long = "word ".repeat(500);
        let ex = excerpt(long.as_bytes());
        assert!(ex.chars().count() <= 200, "{}", ex.chars().count());
        assert!(ex.ends_with('…'));
    }

    #[test]
    fn json_without_error_fields_is_http_excerpt() {
        match error_from_answer(500, br#"{"message":"boom"}"#, None, "m", "u") {
            ExecError::Http { excerpt, .. } => assert_eq!(excerpt, r#"{"message":"boom"}"#),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn excerpt_keeps_non_ascii_and_comparisons() {
        assert_eq!(excerpt("a < b — ünïcode".as_bytes()), "a < b — ünïcode");
    }
}
