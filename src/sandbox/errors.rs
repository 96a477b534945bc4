//! Okta's error responses: `{errorCode, errorSummary, errorLink, errorId, errorCauses[]}` with
//! the HTTP status Okta pairs with each code.
//!
//! Only the shapes live here; which rule raises which error is decided in `state` and `server`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error as Okta's Management API sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `E0000001`, `E0000007`, ….
    pub code: &'static str,
    /// The one-line summary.
    pub summary: String,
    /// `errorCauses[].errorSummary`, in order.
    pub causes: Vec<String>,
}

#[derive(Serialize)]
struct Cause<'a> {
    #[serde(rename = "errorSummary")]
    error_summary: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "errorCode")]
    error_code: &'a str,
    #[serde(rename = "errorSummary")]
    error_summary: &'a str,
    #[serde(rename = "errorLink")]
    error_link: &'a str,
    #[serde(rename = "errorId")]
    error_id: String,
    #[serde(rename = "errorCauses")]
    error_causes: Vec<Cause<'a>>,
}

impl ApiError {
    /// 400 `E0000001`: an endpoint's precondition was violated. `what` names the object or field
    /// (Okta: `Api validation failed: client_secret`), `cause` explains the rule.
    pub fn validation(what: &str, cause: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "E0000001",
            summary: format!("Api validation failed: {what}"),
            causes: vec![cause.into()],
        }
    }

    /// 400 `E0000003`: the request body was not well-formed JSON.
    pub fn malformed_body(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "E0000003",
            summary: "The request body was not well-formed.".into(),
            causes: vec![detail.into()],
        }
    }

    /// 404 `E0000007`: no such resource. `what` is e.g. `0oa… (AppInstance)`.
    pub fn not_found(what: &str) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "E0000007",
            summary: format!("Not found: Resource not found: {what}"),
            causes: Vec::new(),
        }
    }

    /// 401 `E0000011`: missing or wrong API token.
    pub fn invalid_token() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "E0000011",
            summary: "Invalid token provided".into(),
            causes: Vec::new(),
        }
    }

    /// 405 `E0000022`: the path exists but not for this method.
    pub fn method_not_allowed() -> ApiError {
        ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "E0000022",
            summary: "The endpoint does not support the provided HTTP method".into(),
            causes: Vec::new(),
        }
    }

    /// 400 `E0000031`: a `filter` or `q` expression the sandbox does not understand.
    pub fn invalid_search(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "E0000031",
            summary: "Invalid search criteria.".into(),
            causes: vec![detail.into()],
        }
    }

    /// 429 `E0000047`: over the rate limit.
    pub fn rate_limited() -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "E0000047",
            summary: "API call exceeded rate limit due to too many requests.".into(),
            causes: Vec::new(),
        }
    }

    /// 413 `E0000003`-style answer for a body over the sandbox's limit, as JSON like every
    /// other error.
    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "E0000003",
            summary: "The request body was too large.".into(),
            causes: vec![format!(
                "the sandbox accepts bodies of at most {limit} bytes"
            )],
        }
    }

    /// 500 `E0000009`: the sandbox could not complete the request (e.g. the state file could not
    /// be written).
    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "E0000009",
            summary: "Internal Server Error".into(),
            causes: vec![detail.into()],
        }
    }

    /// The causes' texts.
    pub fn causes(&self) -> &[String] {
        &self.causes
    }

    /// The JSON body Okta sends for this error.
    pub fn body(&self) -> String {
        let body = Body {
            error_code: self.code,
            error_summary: &self.summary,
            error_link: self.code,
            error_id: error_id(),
            error_causes: self
                .causes
                .iter()
                .map(|c| Cause { error_summary: c })
                .collect(),
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// An `errorId` shaped like Okta's: `oae` + 22 characters.
fn error_id() -> String {
    let id = super::model::new_id("oae");
    // 17 random characters after the prefix; pad to Okta's 25 with a second draw.
    let more = super::model::new_id("");
    format!("{id}{}", &more[..5])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_okta_fields() {
        let e = ApiError::validation("client_secret", "too short");
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(v["errorCode"], "E0000001");
        assert_eq!(v["errorLink"], "E0000001");
        assert_eq!(v["errorSummary"], "Api validation failed: client_secret");
        assert_eq!(v["errorCauses"][0]["errorSummary"], "too short");
        let id = v["errorId"].as_str().unwrap();
        assert!(id.starts_with("oae") && id.len() == 25);
    }
}
