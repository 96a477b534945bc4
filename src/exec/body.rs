//! Turning a success body into rows: each element of an array, the single object, nothing
//! for `204`/[`ResponseShape::Empty`]; and adding the bound parameter columns to each row.
//!
//! Must not: send requests.

use serde_json::{Map, Value};

use super::ExecError;
use crate::plan::HttpRequest;
use crate::provider::ResponseShape;

/// Largest answer body read by default (64 MiB): an Okta page is at most a few hundred
/// kilobytes; `--max-body-mb` raises it.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Reads an answer's body, chunk by chunk, up to `cap` bytes: `Ok(None)` when the body is
/// longer (reading stops there, so a huge or endless body costs at most `cap`).
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The rows of one success answer.
///
/// Lenient about the declared shape: an object where an array was declared is one row, an
/// array where an object was declared gives a row per element. Elements that are not
/// objects become `{"value": element}`.
pub(crate) fn rows_from_body(
    req: &HttpRequest,
    url: &str,
    status: u16,
    body: &[u8],
) -> Result<Vec<Map<String, Value>>, ExecError> {
    if status == 204
        || req.response_shape == ResponseShape::Empty
        || body.iter().all(u8::is_ascii_whitespace)
    {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| ExecError::InvalidJson {
        method: req.method.clone(),
        url: url.to_string(),
        detail: format!(
            "{e}; the body starts with \"{}\"",
            super::okta_error::excerpt(&body[..body.len().min(400)])
        ),
    })?;
    Ok(match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.into_iter().map(into_row).collect(),
        other => vec![into_row(other)],
    })
}

/// An element as a row.
fn into_row(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("value".to_string(), other);
            m
        }
    }
}

/// The rows found at `key` inside each answer row, for a method whose rows are not the body
/// itself (`response.objectKey`: `$.items`, `$.data[*]`, `$.a.b`): an array there gives a row
/// per element, an object one row, anything else none. Each row gets the bound parameters.
pub fn rows_under(
    rows: Vec<Map<String, Value>>,
    key: &str,
    bound: &[(String, Value)],
) -> Vec<Map<String, Value>> {
    let path = key.trim().trim_start_matches('$').trim_start_matches('.');
    let mut out = Vec::new();
    for row in rows {
        let mut here = Value::Object(row);
        for segment in path.split('.').filter(|s| !s.is_empty()) {
            here = match here {
                Value::Object(mut m) => m
                    .remove(segment.trim_end_matches("[*]"))
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            };
        }
        match here {
            Value::Array(items) => out.extend(items.into_iter().map(into_row)),
            Value::Object(m) => out.push(m),
            _ => {}
        }
    }
    add_bound(&mut out, bound);
    out
}

/// Adds each bound `(name, value)` to every row that lacks the key.
pub fn add_bound(rows: &mut [Map<String, Value>], bound: &[(String, Value)]) {
    if bound.is_empty() {
        return;
    }
    for row in rows {
        for (k, v) in bound {
            if !row.contains_key(k) {
                row.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(shape: ResponseShape) -> HttpRequest {
        HttpRequest {
            resource: "okta.apps.secrets".into(),
            method: "list_oauth2_client_secrets".into(),
            http_method: "GET".into(),
            url: "https://x.okta.com/api".into(),
            query: vec![],
            body: None,
            paginate: false,
            response_shape: shape,
            bound: vec![],
        }
    }

    #[test]
    fn shapes() {
        let r = req(ResponseShape::Array);
        let rows = rows_from_body(&r, "u", 200, br#"[{"id":1},{"id":2}, 3]"#).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2]["value"], json!(3));
        let rows = rows_from_body(&r, "u", 200, br#"{"id":1}"#).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows_from_body(&r, "u", 200, b"  \n").unwrap().is_empty());
        assert!(rows_from_body(&r, "u", 204, b"").unwrap().is_empty());
        let e = req(ResponseShape::Empty);
        assert!(rows_from_body(&e, "u", 200, br#"{"id":1}"#)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn invalid_json_names_method_and_url() {
        let r = req(ResponseShape::Object);
        let err = rows_from_body(&r, "https://x/y", 200, b"<html>hi</html>").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("list_oauth2_client_secrets"), "{text}");
        assert!(text.contains("https://x/y"), "{text}");
        assert!(text.contains("not valid JSON"), "{text}");
    }

    #[test]
    fn rows_under_an_object_key() {
        let row = |v: Value| v.as_object().unwrap().clone();
        let bound = [("userId".to_string(), json!("00u1"))];
        let got = rows_under(
            vec![row(json!({"items": [{"a": 1}, 2], "total": 2}))],
            "$.items",
            &bound,
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0]["a"], json!(1));
        assert_eq!(got[1]["value"], json!(2));
        assert_eq!(got[1]["userId"], json!("00u1"));
        let got = rows_under(
            vec![row(json!({"data": {"x": {"id": 1}}}))],
            "$.data.x",
            &[],
        );
        assert_eq!(got, [row(json!({"id": 1}))]);
        assert!(rows_under(vec![row(json!({"data": 3}))], "$.data[*]", &[]).is_empty());
        assert!(rows_under(vec![row(json!({}))], "$.missing", &[]).is_empty());
    }

    #[test]
    fn bound_added_only_when_missing() {
        let mut rows = vec![
            json!({"id": "a"}).as_object().unwrap().clone(),
            json!({"id": "b", "appId": "own"})
                .as_object()
                .unwrap()
                .clone(),
        ];
        add_bound(
            &mut rows,
            &[
                ("appId".into(), json!("0oa1")),
                ("subdomain".into(), json!("acme")),
            ],
        );
        assert_eq!(rows[0]["appId"], json!("0oa1"));
        assert_eq!(rows[1]["appId"], json!("own"));
        assert_eq!(rows[1]["subdomain"], json!("acme"));
    }
}
