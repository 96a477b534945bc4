//! The JSON Web Keys of an OAuth 2.0 client app (`/api/v1/apps/{appId}/credentials/jwks`):
//! how a key is stored and rendered, and Okta's rules for adding, activating, deactivating and
//! deleting one.
//!
//! Plain data and pure functions over one app's key list; the caller holds the app's lock
//! while a rule is checked and the change applied. The same checks serve the API and the
//! state-file loader ([`validate_keys`]), so a loaded state can never hold what the API refuses.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::model::{self, App, ACTIVE, INACTIVE};

/// Most JSON Web Keys one client may hold (Okta's limit, active or not).
pub const MAX_JWKS: usize = 50;
/// Smallest RSA modulus Okta accepts, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Longest `kid`, `alg`, key coordinate or modulus the sandbox keeps (bounds the state file).
const MAX_FIELD_LEN: usize = 2048;

/// What Okta names in every JWK validation error.
const WHAT: &str = "JsonWebKey";

/// One JSON Web Key of a client, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Jwk {
    /// `pks` + 17 alphanumerics.
    pub id: String,
    /// The key's `kid` in the client's JWKS (may be absent, as Okta allows for a lone key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `RSA` or `EC`.
    pub kty: String,
    /// `sig` (signing) or `enc` (encryption, RSA only).
    #[serde(rename = "use")]
    pub use_: String,
    /// The algorithm (`RS256`, `ES256`, …), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// RSA exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// EC curve (`P-256`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Creation time.
    pub created: String,
    /// Last update time.
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
}

/// The body of an add-JWK request (Okta's signing or encryption key request).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJwk {
    /// The key's `kid`.
    pub kid: Option<String>,
    /// `ACTIVE` (default) or `INACTIVE`.
    pub status: Option<String>,
    /// `RSA` or `EC`.
    pub kty: Option<String>,
    /// `sig` (default) or `enc`.
    #[serde(rename = "use")]
    pub use_: Option<String>,
    /// The algorithm.
    pub alg: Option<String>,
    /// RSA exponent.
    pub e: Option<String>,
    /// RSA modulus.
    pub n: Option<String>,
    /// EC curve.
    pub crv: Option<String>,
    /// EC x coordinate.
    pub x: Option<String>,
    /// EC y coordinate.
    pub y: Option<String>,
    /// Okta's own request example carries the key's `id`; it is accepted and ignored.
    #[serde(rename = "id")]
    pub _id: Option<serde::de::IgnoredAny>,
}

fn invalid(cause: impl Into<String>) -> ApiError {
    ApiError::validation(WHAT, cause)
}

/// Okta's 404 for a key id the client does not have.
pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(&format!("{id} (OAuth2ClientJsonWebKey)"))
}

/// Refuses apps that are not OAuth 2.0 clients (they have no JWKS).
pub fn require_client(app: &App) -> Result<(), ApiError> {
    if app.token_endpoint_auth_method.is_none() {
        return Err(invalid(format!(
            "JSON Web Keys exist only for OAuth 2.0 client apps; '{}' signs on with '{}'.",
            app.label, app.sign_on_mode
        )));
    }
    Ok(())
}

/// Checks one key's own fields: type, use, status, key material and sizes.
fn check_key(k: &Jwk) -> Result<(), ApiError> {
    for (name, v) in [
        ("kid", &k.kid),
        ("alg", &k.alg),
        ("e", &k.e),
        ("n", &k.n),
        ("crv", &k.crv),
        ("x", &k.x),
        ("y", &k.y),
    ] {
        if v.as_ref().is_some_and(|v| v.len() > MAX_FIELD_LEN) {
            return Err(invalid(format!(
                "'{name}' is longer than {MAX_FIELD_LEN} characters."
            )));
        }
    }
    if k.kid.as_deref() == Some("") {
        return Err(invalid("'kid' can't be empty; omit it or give a value."));
    }
    if k.status != ACTIVE && k.status != INACTIVE {
        return Err(invalid(format!(
            "status: '{}' is not a valid status; use 'ACTIVE' or 'INACTIVE'.",
            k.status
        )));
    }
    if k.use_ != "sig" && k.use_ != "enc" {
        return Err(invalid(format!(
            "use: '{}' is not a valid key use; use 'sig' or 'enc'.",
            k.use_
        )));
    }
    let b64 = |name: &str, v: &Option<String>| -> Result<Vec<u8>, ApiError> {
        let v = v
            .as_deref()
            .ok_or_else(|| invalid(format!("'{name}' is required for a '{}' key.", k.kty)))?;
        URL_SAFE_NO_PAD
            .decode(v.trim_end_matches('='))
            .map_err(|_| invalid(format!("'{name}' is not base64url-encoded.")))
    };
    match k.kty.as_str() {
        "RSA" => {
            b64("e", &k.e)?;
            let n = b64("n", &k.n)?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < MIN_RSA_BITS {
                return Err(invalid(
                    "RSA key length in the 'jwks' is less than '2,048' bits for the given key.",
                ));
            }
        }
        "EC" => {
            if k.use_ == "enc" {
                return Err(invalid(
                    "Okta supports only RSA keys for encryption ('use': 'enc').",
                ));
            }
            b64("x", &k.x)?;
            b64("y", &k.y)?;
        }
        other => {
            return Err(invalid(format!(
                "kty: '{other}' is not a supported key type; use 'RSA' or 'EC'."
            )))
        }
    }
    Ok(())
}

/// Checks the rules between the keys of one client: unique ids and `kid`s, every key with a
/// `kid` when there are several, at most [`MAX_JWKS`], at most one active encryption key, and
/// (for `private_key_jwt` clients with keys) an active signing key.
fn check_set(keys: &[Jwk], method: Option<&str>) -> Result<(), ApiError> {
    if keys.len() > MAX_JWKS {
        return Err(invalid(format!(
            "You can't create a new key. You have reached the maximum number of keys allowed \
             ({MAX_JWKS}). To add another key, you must first delete an existing one."
        )));
    }
    if keys.len() > 1 && keys.iter().any(|k| k.kid.is_none()) {
        return Err(invalid(
            "Each key should have a unique kid when adding multiple keys. Give every key a kid, \
             or delete the key without one and add it again with a kid.",
        ));
    }
    let mut kids = std::collections::HashSet::new();
    let mut ids = std::collections::HashSet::new();
    for k in keys {
        if let Some(kid) = &k.kid {
            if !kids.insert(kid.as_str()) {
                return Err(invalid("All keys in the 'jwks' must have a unique `kid`."));
            }
        }
        if !ids.insert(k.id.as_str()) {
            return Err(invalid(format!("key id {} is repeated", k.id)));
        }
    }
    let active = |u: &str| {
        keys.iter()
            .filter(|k| k.status == ACTIVE && k.use_ == u)
            .count()
    };
    if active("enc") > 1 {
        return Err(invalid(
            "The client can have only one active encryption key in the 'jwks'.",
        ));
    }
    if method == Some("private_key_jwt") && !keys.is_empty() && active("sig") == 0 {
        return Err(only_active_pkjwt());
    }
    Ok(())
}

fn only_active_pkjwt() -> ApiError {
    invalid(
        "Can't deactivate the only active JSON Web Key when the value for \
         `token_endpoint_auth_method` is `private_key_jwt`.",
    )
}

/// Checks a stored key list (the state-file loader's view of the API rules).
pub fn validate_keys(app: &App, keys: &[Jwk]) -> Result<(), String> {
    let cause = |e: ApiError| e.causes().join("; ");
    if !keys.is_empty() {
        require_client(app).map_err(cause)?;
    }
    for k in keys {
        if !k.id.starts_with("pks") {
            return Err(format!("key id {} does not start with pks", k.id));
        }
        check_key(k).map_err(|e| format!("key {}: {}", k.id, cause(e)))?;
    }
    check_set(keys, app.token_endpoint_auth_method.as_deref()).map_err(cause)
}

/// Adds a key under Okta's rules; returns it.
pub fn add(app: &App, keys: &mut Vec<Jwk>, req: NewJwk, now: &str) -> Result<Jwk, ApiError> {
    require_client(app)?;
    let kty = req
        .kty
        .ok_or_else(|| invalid("'kty' is required: 'RSA' or 'EC'."))?;
    let key = Jwk {
        id: model::new_id("pks"),
        kid: req.kid,
        status: req.status.unwrap_or_else(|| ACTIVE.to_string()),
        kty,
        use_: req.use_.unwrap_or_else(|| "sig".to_string()),
        alg: req.alg,
        e: req.e,
        n: req.n,
        crv: req.crv,
        x: req.x,
        y: req.y,
        created: now.to_string(),
        last_updated: now.to_string(),
    };
    check_key(&key)?;
    if keys.len() >= MAX_JWKS {
        // Checked before the set so the limit is the error named, whatever else is wrong.
        keys.push(key);
        let e = check_set(keys, None);
        keys.pop();
        return Err(e.err().unwrap_or_else(|| invalid("too many keys")));
    }
    let mut next = keys.clone();
    next.push(key.clone());
    check_set(&next, app.token_endpoint_auth_method.as_deref())?;
    *keys = next;
    Ok(key)
}

/// Activates a key. Activating an encryption key deactivates the active one (Okta allows
/// one); activating an active key changes nothing. Returns the key.
pub fn activate(keys: &mut [Jwk], id: &str, now: &str) -> Result<Jwk, ApiError> {
    let pos = keys
        .iter()
        .position(|k| k.id == id)
        .ok_or_else(|| not_found(id))?;
    if keys[pos].status == ACTIVE {
        return Ok(keys[pos].clone());
    }
    if keys[pos].use_ == "enc" {
        for k in keys.iter_mut() {
            if k.use_ == "enc" && k.status == ACTIVE {
                k.status = INACTIVE.to_string();
                k.last_updated = now.to_string();
            }
        }
    }
    keys[pos].status = ACTIVE.to_string();
    keys[pos].last_updated = now.to_string();
    Ok(keys[pos].clone())
}

/// Deactivates a signing key. Encryption keys cannot be deactivated (activate another one
/// instead), nor the only active signing key of a `private_key_jwt` client.
pub fn deactivate(app: &App, keys: &mut [Jwk], id: &str, now: &str) -> Result<Jwk, ApiError> {
    let pos = keys
        .iter()
        .position(|k| k.id == id)
        .ok_or_else(|| not_found(id))?;
    if keys[pos].status == INACTIVE {
        return Ok(keys[pos].clone());
    }
    if keys[pos].use_ == "enc" {
        return Err(invalid("You can't deactivate the active encryption key."));
    }
    let active_sig = keys
        .iter()
        .filter(|k| k.status == ACTIVE && k.use_ == "sig")
        .count();
    if app.token_endpoint_auth_method.as_deref() == Some("private_key_jwt") && active_sig <= 1 {
        return Err(only_active_pkjwt());
    }
    keys[pos].status = INACTIVE.to_string();
    keys[pos].last_updated = now.to_string();
    Ok(keys[pos].clone())
}

/// Deletes an INACTIVE key; an ACTIVE one is refused. Returns the deleted key.
pub fn delete(keys: &mut Vec<Jwk>, id: &str) -> Result<Jwk, ApiError> {
    let pos = keys
        .iter()
        .position(|k| k.id == id)
        .ok_or_else(|| not_found(id))?;
    if keys[pos].status == ACTIVE {
        return Err(invalid(
            "You can't delete an active JSON Web Key. Deactivate the key before deleting it.",
        ));
    }
    Ok(keys.remove(pos))
}

/// The wire form of a key, with `_links` to the operations its status allows; `base` is
/// `http://host/{org}`.
pub fn view(k: &Jwk, base: &str, app_id: &str) -> serde_json::Value {
    let href = format!("{base}/api/v1/apps/{app_id}/credentials/jwks/{}", k.id);
    let link = |href: String, method: &str| serde_json::json!({"href": href, "hints": {"allow": [method]}});
    let links = if k.status == ACTIVE {
        if k.use_ == "enc" {
            serde_json::json!({})
        } else {
            serde_json::json!({"deactivate": link(format!("{href}/lifecycle/deactivate"), "POST")})
        }
    } else {
        serde_json::json!({
            "activate": link(format!("{href}/lifecycle/activate"), "POST"),
            "delete": link(href.clone(), "DELETE"),
        })
    };
    let mut v = serde_json::to_value(k).unwrap_or_default();
    v["_links"] = links;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(method: &str) -> App {
        App {
            id: "0oa00000000000000001".into(),
            name: "oidc_client".into(),
            label: "Test".into(),
            status: ACTIVE.into(),
            sign_on_mode: "OPENID_CONNECT".into(),
            created: "2024-01-01T00:00:00.000Z".into(),
            last_updated: "2024-01-01T00:00:00.000Z".into(),
            token_endpoint_auth_method: Some(method.into()),
            application_type: Some("service".into()),
        }
    }

    /// A 2048-bit modulus (the sandbox checks its size, not its primes).
    fn modulus(bytes: usize) -> String {
        let mut n = vec![0xc5u8; bytes];
        n[0] = 0xd1;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn rsa(kid: &str, status: &str) -> NewJwk {
        NewJwk {
            kid: Some(kid.into()),
            status: Some(status.into()),
            kty: Some("RSA".into()),
            alg: Some("RS256".into()),
            e: Some("AQAB".into()),
            n: Some(modulus(256)),
            ..NewJwk::default()
        }
    }

    const T: &str = "2025-01-01T00:00:00.000Z";

    fn cause(e: ApiError) -> String {
        e.causes().join("; ")
    }

    #[test]
    fn add_checks_keys_and_the_set() {
        let a = app("private_key_jwt");
        let mut keys = Vec::new();
        let k = add(&a, &mut keys, rsa("k1", ACTIVE), T).unwrap();
        assert!(k.id.starts_with("pks") && k.id.len() == 20);
        assert_eq!(k.use_, "sig");
        let dup = add(&a, &mut keys, rsa("k1", ACTIVE), T).unwrap_err();
        assert!(cause(dup).contains("unique `kid`"));
        let short = NewJwk {
            n: Some(modulus(255)),
            ..rsa("k2", ACTIVE)
        };
        assert!(cause(add(&a, &mut keys, short, T).unwrap_err()).contains("2,048"));
        let no_kid = NewJwk {
            kid: None,
            ..rsa("", ACTIVE)
        };
        assert!(cause(add(&a, &mut keys, no_kid, T).unwrap_err()).contains("unique kid"));
        let enc = |kid: &str| NewJwk {
            use_: Some("enc".into()),
            ..rsa(kid, ACTIVE)
        };
        add(&a, &mut keys, enc("e1"), T).unwrap();
        assert!(
            cause(add(&a, &mut keys, enc("e2"), T).unwrap_err()).contains("one active encryption")
        );
        assert_eq!(keys.len(), 2, "refused adds change nothing");
        let ec_enc = NewJwk {
            kty: Some("EC".into()),
            x: Some("AQ".into()),
            y: Some("AQ".into()),
            ..enc("e3")
        };
        assert!(add(&a, &mut keys, ec_enc, T).is_err());
    }

    #[test]
    fn fifty_keys_at_most() {
        let a = app("private_key_jwt");
        let mut keys = Vec::new();
        for i in 0..MAX_JWKS {
            add(&a, &mut keys, rsa(&format!("k{i}"), ACTIVE), T).unwrap();
        }
        let e = add(&a, &mut keys, rsa("one-more", INACTIVE), T).unwrap_err();
        assert!(cause(e).contains("maximum number of keys allowed (50)"));
        assert_eq!(keys.len(), MAX_JWKS);
    }

    #[test]
    fn lifecycle_rules() {
        let a = app("private_key_jwt");
        let mut keys = Vec::new();
        let k1 = add(&a, &mut keys, rsa("k1", ACTIVE), T).unwrap();
        let e = deactivate(&a, &mut keys, &k1.id, T).unwrap_err();
        assert!(cause(e).contains("only active JSON Web Key"));
        assert!(cause(delete(&mut keys, &k1.id).unwrap_err()).contains("can't delete an active"));
        let k2 = add(&a, &mut keys, rsa("k2", INACTIVE), T).unwrap();
        activate(&mut keys, &k2.id, T).unwrap();
        assert_eq!(
            deactivate(&a, &mut keys, &k1.id, T).unwrap().status,
            INACTIVE
        );
        assert_eq!(delete(&mut keys, &k1.id).unwrap().id, k1.id);
        assert_eq!(delete(&mut keys, "pksnope").unwrap_err().code, "E0000007");
        // A client_secret_basic client may deactivate its last key.
        let b = app("client_secret_basic");
        let mut keys = Vec::new();
        let k = add(&b, &mut keys, rsa("k1", ACTIVE), T).unwrap();
        assert_eq!(
            deactivate(&b, &mut keys, &k.id, T).unwrap().status,
            INACTIVE
        );
    }

    #[test]
    fn encryption_keys_swap_on_activate_and_never_deactivate() {
        let a = app("client_secret_basic");
        let mut keys = Vec::new();
        let enc = |kid: &str, status: &str| NewJwk {
            use_: Some("enc".into()),
            ..rsa(kid, status)
        };
        let e1 = add(&a, &mut keys, enc("e1", ACTIVE), T).unwrap();
        let e2 = add(&a, &mut keys, enc("e2", INACTIVE), T).unwrap();
        assert!(cause(deactivate(&a, &mut keys, &e1.id, T).unwrap_err()).contains("encryption"));
        activate(&mut keys, &e2.id, T).unwrap();
        assert_eq!(keys[0].status, INACTIVE);
        assert_eq!(keys[1].status, ACTIVE);
    }

    #[test]
    fn loader_uses_the_same_rules() {
        let a = app("private_key_jwt");
        let mut keys = Vec::new();
        add(&a, &mut keys, rsa("k1", ACTIVE), T).unwrap();
        assert!(validate_keys(&a, &keys).is_ok());
        keys[0].status = INACTIVE.into();
        assert!(validate_keys(&a, &keys)
            .unwrap_err()
            .contains("private_key_jwt"));
        keys[0].status = "BROKEN".into();
        assert!(validate_keys(&a, &keys).unwrap_err().contains("BROKEN"));
        let mut saml = app("x");
        saml.token_endpoint_auth_method = None;
        keys[0].status = ACTIVE.into();
        assert!(validate_keys(&saml, &keys).is_err());
    }

    #[test]
    fn links_follow_status_and_use() {
        let a = app("client_secret_basic");
        let mut keys = Vec::new();
        let k = add(&a, &mut keys, rsa("k1", INACTIVE), T).unwrap();
        let v = view(&k, "http://h/o", "0oa1");
        assert_eq!(v["_links"]["delete"]["hints"]["allow"][0], "DELETE");
        assert_eq!(v["use"], "sig");
        assert_eq!(v["kid"], "k1");
        let k = activate(&mut keys, &k.id, T).unwrap();
        let v = view(&k, "http://h/o", "0oa1");
        assert!(v["_links"]["deactivate"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/lifecycle/deactivate"));
        assert!(v["_links"].get("delete").is_none());
    }
}
