//! Credentials on requests: the `Authorization` header a request carries.
//!
//! Must not: send requests itself, or let a credential's value reach any text (errors,
//! traces, `Debug`).

use reqwest::header::HeaderValue;

use super::ExecError;

/// The `Authorization` value `prefix + token`, marked sensitive (hidden from `Debug`).
pub(crate) fn header_value(prefix: &str, token: &str) -> Result<HeaderValue, ExecError> {
    let mut v = HeaderValue::from_str(&format!("{prefix}{token}")).map_err(|_| ExecError::Client {
        detail: "the API token contains characters that cannot be sent in an HTTP header (a line break or control character?); check the token you set".to_string(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}
