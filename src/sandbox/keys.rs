//! The signing key credentials of an app (`/api/v1/apps/{appId}/credentials/keys`): X.509
//! certificates with an RSA public key, as Okta keeps them for SAML and WS-Federation apps;
//! Okta's rules for generating one (`validityYears` 2–10) and cloning one to another app (the
//! target may not hold the same `kid`).
//!
//! Plain data and pure functions over one app's key list; the caller holds the app's lock.
//! The sandbox holds no private keys: a certificate is well-formed DER (version 3, the key's
//! modulus and exponent, the validity that `expiresAt` reports, the app's label as subject and
//! issuer) whose signature bytes are random, so its `x5t#S256` thumbprint is real but it
//! verifies against nothing.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::errors::ApiError;
use super::model;

/// Fewest years a generated certificate is valid for (Okta's rule).
pub const MIN_VALIDITY_YEARS: i64 = 2;
/// Most years a generated certificate is valid for (Okta's rule).
pub const MAX_VALIDITY_YEARS: i64 = 10;
/// Most key credentials one app holds in the sandbox (bounds the state file; raise it here).
pub const MAX_APP_KEYS: usize = 100;

/// One key credential of an app, as the sandbox stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppKey {
    /// The key's id, unique within the app (43 base64url characters, as Okta's).
    pub kid: String,
    /// Always `RSA`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// RSA exponent (base64url).
    pub e: String,
    /// RSA modulus (base64url, 2048 bits).
    pub n: String,
    /// The certificate, standard base64 DER, as a one-element chain.
    pub x5c: Vec<String>,
    /// base64url SHA-256 of the certificate's DER.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
    /// Creation time.
    pub created: String,
    /// Last update time.
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
    /// When the certificate expires (its notAfter).
    #[serde(rename = "expiresAt")]
    pub expires_at: String,
}

/// Okta's 404 for a `kid` the app does not have.
pub fn not_found(kid: &str) -> ApiError {
    ApiError::not_found(&format!("{kid} (AppInstanceKeyCredential)"))
}

/// Reads `validityYears`: a whole number from 2 to 10, else Okta's 400.
pub fn parse_validity(years: Option<&str>) -> Result<i64, ApiError> {
    let range = || {
        ApiError::validation(
            "generateKey",
            "Validity years out of range. It should be 2 - 10 years.",
        )
    };
    let Some(text) = years.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(ApiError::validation(
            "generateKey",
            "validityYears is required: the years the certificate is valid for, 2 to 10 \
             (…/credentials/keys/generate?validityYears=2).",
        ));
    };
    let years: i64 = text.parse().map_err(|_| {
        ApiError::validation(
            "generateKey",
            format!("validityYears: {text:?} is not a whole number of years; use 2 to 10."),
        )
    })?;
    if !(MIN_VALIDITY_YEARS..=MAX_VALIDITY_YEARS).contains(&years) {
        return Err(range());
    }
    Ok(years)
}

/// The moment `years` calendar years after `t` (Feb 29 becomes Feb 28 in common years).
fn add_years(t: time::OffsetDateTime, years: i64) -> time::OffsetDateTime {
    let year = t.year() + years as i32;
    t.replace_year(year)
        .or_else(|_| t.replace_day(28).and_then(|t| t.replace_year(year)))
        .unwrap_or(t + time::Duration::days(365 * years))
}

/// A new key credential valid from `created` for `years` years (expiring one second before
/// the anniversary, as Okta's do), drawn from `rng`.
pub fn new_key(
    rng: &mut impl Rng,
    label: &str,
    created: time::OffsetDateTime,
    years: i64,
) -> AppKey {
    let expires = add_years(created, years) - time::Duration::seconds(1);
    let mut n = [0u8; 256];
    rng.fill(&mut n[..]);
    n[0] |= 0x80;
    n[255] |= 1;
    let mut kid = [0u8; 32];
    rng.fill(&mut kid[..]);
    let mut serial = [0u8; 16];
    rng.fill(&mut serial[..]);
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let mut signature = [0u8; 256];
    rng.fill(&mut signature[..]);
    let der = certificate(label, &serial, &n, created, expires, &signature);
    AppKey {
        kid: URL_SAFE_NO_PAD.encode(kid),
        kty: "RSA".to_string(),
        use_: "sig".to_string(),
        e: "AQAB".to_string(),
        n: URL_SAFE_NO_PAD.encode(n),
        x5t_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
        x5c: vec![STANDARD.encode(&der)],
        created: model::format_time(created),
        last_updated: model::format_time(created),
        expires_at: model::format_time(expires),
    }
}

/// Generates a key for an app under Okta's rules; returns it.
pub fn generate(
    label: &str,
    keys: &mut Vec<AppKey>,
    years: i64,
    now: time::OffsetDateTime,
) -> Result<AppKey, ApiError> {
    check_room(keys)?;
    let key = new_key(&mut rand::rng(), label, now, years);
    keys.push(key.clone());
    Ok(key)
}

fn check_room(keys: &[AppKey]) -> Result<(), ApiError> {
    if keys.len() >= MAX_APP_KEYS {
        return Err(ApiError::validation(
            "keyCredential",
            format!(
                "The app holds {MAX_APP_KEYS} key credentials, the most the sandbox keeps for \
                 one app; no more can be generated or cloned to it."
            ),
        ));
    }
    Ok(())
}

/// Adds a copy of `key` (same `kid` and certificate) to a target app's keys; refused when the
/// target already holds that `kid`. Returns the copy.
pub fn clone_to(key: &AppKey, target: &mut Vec<AppKey>, now: &str) -> Result<AppKey, ApiError> {
    if target.iter().any(|k| k.kid == key.kid) {
        return Err(ApiError::validation(
            "cloneKey",
            "Key already exists in the list of key credentials for the target app.",
        ));
    }
    check_room(target)?;
    let mut copy = key.clone();
    copy.created = now.to_string();
    copy.last_updated = now.to_string();
    target.push(copy.clone());
    Ok(copy)
}

/// Checks a stored key list (the state-file loader's view of the API rules).
pub fn validate_keys(keys: &[AppKey]) -> Result<(), String> {
    if keys.len() > MAX_APP_KEYS {
        return Err(format!(
            "{} key credentials (at most {MAX_APP_KEYS})",
            keys.len()
        ));
    }
    let mut kids = std::collections::HashSet::new();
    for k in keys {
        if k.kid.is_empty() || k.kid.len() > 256 || !kids.insert(k.kid.as_str()) {
            return Err(format!(
                "key credential kid {:?} is empty, too long or repeated",
                k.kid
            ));
        }
        if k.x5c.len() != 1 || k.x5c[0].len() > 8192 || STANDARD.decode(&k.x5c[0]).is_err() {
            return Err(format!(
                "key credential {}: x5c must hold one base64 certificate",
                k.kid
            ));
        }
    }
    Ok(())
}

/// The wire form of a key credential (Okta's JsonWebKey).
pub fn view(k: &AppKey) -> serde_json::Value {
    serde_json::to_value(k).unwrap_or_default()
}

/// DER: one tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive INTEGER from big-endian magnitude bytes.
fn uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend(trimmed);
    tlv(0x02, &v)
}

/// UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5).
fn der_time(t: time::OffsetDateTime) -> Vec<u8> {
    let body = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if t.year() < 2050 {
        tlv(0x17, format!("{:02}{body}", t.year() % 100).as_bytes())
    } else {
        tlv(0x18, format!("{:04}{body}", t.year()).as_bytes())
    }
}

/// A version-3 X.509 certificate for the RSA key `n` (exponent 65537).
fn certificate(
    label: &str,
    serial: &[u8],
    n: &[u8],
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
    signature: &[u8],
) -> Vec<u8> {
    const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    let null = vec![0x05, 0x00];
    let sig_alg = seq(&[tlv(0x06, SHA256_RSA), null.clone()]);
    let cn: String = label.chars().take(64).collect();
    let name = seq(&[tlv(0x31, &seq(&[tlv(0x06, CN), tlv(0x0c, cn.as_bytes())]))]);
    let public_key = seq(&[uint(n), uint(&[0x01, 0x00, 0x01])]);
    let mut bits = vec![0u8];
    bits.extend(public_key);
    let spki = seq(&[seq(&[tlv(0x06, RSA), null]), tlv(0x03, &bits)]);
    let tbs = seq(&[
        tlv(0xa0, &uint(&[2])),
        uint(serial),
        sig_alg.clone(),
        name.clone(),
        seq(&[der_time(not_before), der_time(not_after)]),
        name,
        spki,
    ]);
    let mut sig_bits = vec![0u8];
    sig_bits.extend_from_slice(signature);
    seq(&[tbs, sig_alg, tlv(0x03, &sig_bits)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn t(s: &str) -> time::OffsetDateTime {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn validity_years_are_two_to_ten() {
        for ok in ["2", "10", " 5 "] {
            assert!(parse_validity(Some(ok)).is_ok(), "{ok}");
        }
        for bad in ["1", "11", "0", "-3"] {
            let e = parse_validity(Some(bad)).unwrap_err();
            assert_eq!(e.code, "E0000001");
            assert!(e.causes()[0].contains("2 - 10 years"), "{bad}");
        }
        assert!(parse_validity(Some("five")).unwrap_err().causes()[0].contains("whole number"));
        assert!(parse_validity(None).unwrap_err().causes()[0].contains("required"));
    }

    #[test]
    fn keys_are_certificates_with_their_expiry() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let k = new_key(&mut rng, "Salesforce", t("2024-02-29T10:00:00Z"), 2);
        assert_eq!(k.expires_at, "2026-02-28T09:59:59.000Z");
        assert_eq!(k.kid.len(), 43);
        let der = STANDARD.decode(&k.x5c[0]).unwrap();
        assert_eq!(der[0], 0x30, "a DER SEQUENCE");
        assert_eq!(k.x5t_s256, URL_SAFE_NO_PAD.encode(Sha256::digest(&der)));
        let n = URL_SAFE_NO_PAD.decode(&k.n).unwrap();
        assert!(
            der.windows(n.len()).any(|w| w == n.as_slice()),
            "cert carries n"
        );
        assert!(der.windows(13).any(|w| w == b"260228095959Z"), "notAfter");
        let late = new_key(&mut rng, "x", t("2045-01-01T00:00:00Z"), 10);
        let der = STANDARD.decode(&late.x5c[0]).unwrap();
        assert!(der.windows(15).any(|w| w == b"20541231235959Z"));
    }

    #[test]
    fn clone_refuses_a_kid_the_target_holds() {
        let mut a = Vec::new();
        let k = generate("A", &mut a, 2, t("2025-01-01T00:00:00Z")).unwrap();
        let mut b = Vec::new();
        let c = clone_to(&k, &mut b, "2025-02-01T00:00:00.000Z").unwrap();
        assert_eq!((c.kid.as_str(), &c.x5c), (k.kid.as_str(), &k.x5c));
        let e = clone_to(&k, &mut b, "2025-02-01T00:00:00.000Z").unwrap_err();
        assert!(e.causes()[0].contains("Key already exists"));
        assert_eq!(b.len(), 1);
        assert!(validate_keys(&b).is_ok());
        b.push(b[0].clone());
        assert!(validate_keys(&b).unwrap_err().contains("repeated"));
    }
}
