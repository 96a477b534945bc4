//! The sandbox's data: apps and their client secrets, how their ids, hashes and timestamps are
//! made, and how they are rendered as Okta renders them.
//!
//! This module holds plain data and pure functions only; locking, rules and HTTP live elsewhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The alphabet Okta's object ids are drawn from.
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The base64url alphabet, used for generated client secrets.
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Length of a system-generated client secret.
pub const GENERATED_SECRET_LEN: usize = 40;

/// An app's lifecycle status.
pub type Status = String;

/// `ACTIVE`.
pub const ACTIVE: &str = "ACTIVE";
/// `INACTIVE`.
pub const INACTIVE: &str = "INACTIVE";

/// One app of an org, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct App {
    /// `0oa` + 17 alphanumerics.
    pub id: String,
    /// The app's integration name (`oidc_client` for OIDC apps).
    pub name: String,
    /// The label people see.
    pub label: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: Status,
    /// `OPENID_CONNECT`, `SAML_2_0`, `BOOKMARK`, ….
    #[serde(rename = "signOnMode")]
    pub sign_on_mode: String,
    /// Creation time, `YYYY-MM-DDTHH:MM:SS.000Z`.
    pub created: String,
    /// Last update time, same format.
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
    /// For OIDC apps: `credentials.oauthClient.token_endpoint_auth_method`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// For OIDC apps: `settings.oauthClient.application_type` (`web`, `service`, `browser`, `native`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
}

impl App {
    /// Renders the app as Okta's Application object; `base` is `http://host/{org}`.
    pub fn to_json(&self, base: &str) -> serde_json::Value {
        let mut app = serde_json::json!({
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "lastUpdated": self.last_updated,
            "created": self.created,
            "accessibility": {"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null},
            "visibility": {"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}},
            "features": [],
            "signOnMode": self.sign_on_mode,
        });
        let mut credentials = serde_json::json!({
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {}
        });
        let mut settings = serde_json::json!({"app": {}});
        if let Some(method) = &self.token_endpoint_auth_method {
            credentials["oauthClient"] = serde_json::json!({
                "autoKeyRotation": true,
                "client_id": self.id,
                "token_endpoint_auth_method": method,
                "pkce_required": method == "none",
            });
            let app_type = self.application_type.as_deref().unwrap_or("web");
            let grants: &[&str] = if app_type == "service" {
                &["client_credentials"]
            } else {
                &["authorization_code", "refresh_token"]
            };
            let redirect = format!(
                "https://{}.example.com/authorization-code/callback",
                slug(&self.label)
            );
            settings["oauthClient"] = serde_json::json!({
                "redirect_uris": if app_type == "service" { vec![] } else { vec![redirect] },
                "response_types": if app_type == "service" { vec!["token"] } else { vec!["code"] },
                "grant_types": grants,
                "application_type": app_type,
                "consent_method": "REQUIRED",
                "issuer_mode": "DYNAMIC",
            });
        }
        app["credentials"] = credentials;
        app["settings"] = settings;
        let href = format!("{base}/api/v1/apps/{}", self.id);
        let lifecycle = if self.status == ACTIVE {
            "deactivate"
        } else {
            "activate"
        };
        app["_links"] = serde_json::json!({
            "appLinks": [],
            "groups": {"href": format!("{href}/groups")},
            "logo": [],
            "users": {"href": format!("{href}/users")},
            lifecycle: {"href": format!("{href}/lifecycle/{lifecycle}")},
            "self": {"href": href},
        });
        app
    }
}

/// One client secret of an OAuth 2.0 app, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Secret {
    /// `ocs` + 17 alphanumerics.
    pub id: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: Status,
    /// The secret itself, returned in clear.
    pub client_secret: String,
    /// base64url (no padding) of the first 16 bytes of SHA-256(client_secret).
    pub secret_hash: String,
    /// Creation time.
    pub created: String,
    /// Last update time.
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
}

/// A `_links` entry: `href` and the methods it allows.
#[derive(Serialize)]
struct Link {
    href: String,
    hints: Hints,
}

#[derive(Serialize)]
struct Hints {
    allow: [&'static str; 1],
}

#[derive(Serialize)]
struct SecretLinks {
    #[serde(skip_serializing_if = "Option::is_none")]
    activate: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deactivate: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete: Option<Link>,
}

/// The wire form of a secret, field order as Okta sends it.
#[derive(Serialize)]
pub struct SecretView<'a> {
    id: &'a str,
    status: &'a str,
    client_secret: &'a str,
    secret_hash: &'a str,
    created: &'a str,
    #[serde(rename = "lastUpdated")]
    last_updated: &'a str,
    #[serde(rename = "_links")]
    links: SecretLinks,
}

impl Secret {
    /// Makes a secret with a fresh id; `now` is the creation time.
    pub fn new(client_secret: String, status: &str, now: &str) -> Secret {
        Secret {
            id: new_id("ocs"),
            status: status.to_string(),
            secret_hash: secret_hash(&client_secret),
            client_secret,
            created: now.to_string(),
            last_updated: now.to_string(),
        }
    }

    /// The wire form; `base` is `http://host/{org}`.
    pub fn view<'a>(&'a self, base: &str, app_id: &str) -> SecretView<'a> {
        let secrets = format!("{base}/api/v1/apps/{app_id}/credentials/secrets");
        self.view_under(&secrets, true)
    }

    /// The wire form with links under `secrets` (the URL of the client's secret list). When
    /// not `disclose`d, `client_secret` carries the hash instead (as Okta answers for API
    /// service integration secrets after the create response).
    pub fn view_under<'a>(&'a self, secrets: &str, disclose: bool) -> SecretView<'a> {
        let href = format!("{secrets}/{}", self.id);
        let links = if self.status == ACTIVE {
            SecretLinks {
                activate: None,
                deactivate: Some(Link {
                    href: format!("{href}/lifecycle/deactivate"),
                    hints: Hints { allow: ["POST"] },
                }),
                delete: None,
            }
        } else {
            SecretLinks {
                activate: Some(Link {
                    href: format!("{href}/lifecycle/activate"),
                    hints: Hints { allow: ["POST"] },
                }),
                deactivate: None,
                delete: Some(Link {
                    href,
                    hints: Hints { allow: ["DELETE"] },
                }),
            }
        };
        SecretView {
            id: &self.id,
            status: &self.status,
            client_secret: if disclose {
                &self.client_secret
            } else {
                &self.secret_hash
            },
            secret_hash: &self.secret_hash,
            created: &self.created,
            last_updated: &self.last_updated,
            links,
        }
    }
}

/// base64url without padding of the first 16 bytes of SHA-256(`secret`).
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// An Okta-style object id: `prefix` + 17 alphanumerics.
pub fn new_id(prefix: &str) -> String {
    new_id_with(&mut rand::rng(), prefix)
}

/// Like [`new_id`], from the given random source (the demo seed is deterministic).
pub fn new_id_with(rng: &mut impl Rng, prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    for _ in 0..17 {
        id.push(ALNUM[rng.random_range(0..ALNUM.len())] as char);
    }
    id
}

/// A system-generated client secret: 40 characters of the base64url alphabet.
pub fn generate_secret() -> String {
    generate_secret_with(&mut rand::rng())
}

/// Like [`generate_secret`], from the given random source.
pub fn generate_secret_with(rng: &mut impl Rng) -> String {
    (0..GENERATED_SECRET_LEN)
        .map(|_| B64URL[rng.random_range(0..B64URL.len())] as char)
        .collect()
}

/// Formats a time as Okta does: `YYYY-MM-DDTHH:MM:SS.000Z` (UTC, milliseconds zeroed).
pub fn format_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The current time in Okta's format.
pub fn now() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

/// A lowercase, dash-separated form of a label, for example URLs.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_base64url_of_first_16_bytes() {
        // SHA-256("abc") starts ba7816bf8f01cfea414140de5dae2223.
        let expected = URL_SAFE_NO_PAD.encode([
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23,
        ]);
        assert_eq!(secret_hash("abc"), expected);
        assert_eq!(secret_hash("abc").len(), 22);
    }

    #[test]
    fn ids_and_secrets_have_okta_shapes() {
        let id = new_id("ocs");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("ocs") && id.chars().all(|c| c.is_ascii_alphanumeric()));
        let s = generate_secret();
        assert_eq!(s.len(), 40);
        assert!(s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn time_format_has_zero_millis() {
        let t = time::macros::datetime!(2024-03-05 07:08:09.123 UTC);
        assert_eq!(format_time(t), "2024-03-05T07:08:09.000Z");
    }

    #[test]
    fn links_follow_status() {
        let mut s = Secret::new("x".repeat(20), ACTIVE, "2024-01-01T00:00:00.000Z");
        let v = serde_json::to_value(s.view("http://h/o", "0oa1")).unwrap();
        assert!(v["_links"]["deactivate"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/lifecycle/deactivate"));
        assert!(v["_links"].get("delete").is_none());
        s.status = INACTIVE.into();
        let v = serde_json::to_value(s.view("http://h/o", "0oa1")).unwrap();
        assert_eq!(v["_links"]["delete"]["hints"]["allow"][0], "DELETE");
        assert_eq!(v["_links"]["activate"]["hints"]["allow"][0], "POST");
        assert!(v["_links"].get("deactivate").is_none());
    }
}
