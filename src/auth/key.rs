//! Private keys of service apps: PEM (PKCS#1, PKCS#8, SEC1) or JWK, RSA (RS256) or EC P-256
//! (ES256), read once and held as a signing key; fresh P-256 keys for DPoP and the sandbox.
//!
//! Must not: show key material in any text (`Debug` prints the algorithm and key id only),
//! or implement any cryptography itself (signing is `jsonwebtoken`'s, keys are RustCrypto's).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::traits::PublicKeyParts as _;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Why a private key could not be used.
#[derive(Debug, Error, PartialEq)]
#[error("{0}")]
pub struct KeyError(pub String);

#[derive(Clone)]
enum Material {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
}

/// A private key that signs client assertions (RS256 or ES256) or DPoP proofs (ES256).
#[derive(Clone)]
pub struct SigningKey {
    material: Material,
    encoding: EncodingKey,
    /// The text the key was read from, when it was read (to mask it by value).
    original: Option<String>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({:?}, ****)", self.algorithm())
    }
}

impl SigningKey {
    /// Reads a key from PEM text (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, `PRIVATE KEY`) or a
    /// JWK (a JSON object with `kty` `RSA` or `EC`, and the private parts).
    pub fn from_text(text: &str) -> Result<SigningKey, KeyError> {
        let t = text.trim();
        if t.starts_with('{') {
            return SigningKey::from_jwk(t);
        }
        let mut key = SigningKey::from_pem(t)?;
        key.original = Some(t.to_string());
        Ok(key)
    }

    fn from_pem(t: &str) -> Result<SigningKey, KeyError> {
        if t.contains("ENCRYPTED PRIVATE KEY") || t.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(KeyError(
                "the private key is encrypted: give it unencrypted (openssl pkey -in key.pem -out plain.pem) in an owner-only file".into(),
            ));
        }
        let material = if t.contains("-----BEGIN RSA PRIVATE KEY-----") {
            Material::Rsa(Box::new(rsa::RsaPrivateKey::from_pkcs1_pem(t).map_err(
                |e| KeyError(format!("the RSA (PKCS#1) private key cannot be read: {e}")),
            )?))
        } else if t.contains("-----BEGIN EC PRIVATE KEY-----") {
            Material::Ec(p256::SecretKey::from_sec1_pem(t).map_err(|e| {
                KeyError(format!(
                    "the EC (SEC1) private key cannot be read as a P-256 key: {e}"
                ))
            })?)
        } else if t.contains("-----BEGIN PRIVATE KEY-----") {
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(t) {
                Material::Rsa(Box::new(k))
            } else {
                Material::Ec(p256::SecretKey::from_pkcs8_pem(t).map_err(|_| {
                    KeyError("the PKCS#8 private key is neither RSA nor EC P-256: service apps sign with RS256 or ES256".into())
                })?)
            }
        } else {
            return Err(KeyError(
                "no private key found: give a PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) or a JWK with its private parts".into(),
            ));
        };
        SigningKey::from_material(material)
    }

    /// Reads a private JWK (`kty` `RSA` with `n e d p q`, or `EC` `P-256` with `x y d`).
    pub fn from_jwk(json_text: &str) -> Result<SigningKey, KeyError> {
        let v: Value = serde_json::from_str(json_text)
            .map_err(|e| KeyError(format!("the JWK is not valid JSON: {e}")))?;
        let field = |name: &str| -> Result<Vec<u8>, KeyError> {
            let s = v.get(name).and_then(Value::as_str).ok_or_else(|| {
                KeyError(format!("the JWK has no \"{name}\": give the private key (with its private parts), not the public one"))
            })?;
            URL_SAFE_NO_PAD
                .decode(s.trim_end_matches('='))
                .map_err(|_| KeyError(format!("the JWK's \"{name}\" is not base64url")))
        };
        let material = match v.get("kty").and_then(Value::as_str) {
            Some("RSA") => {
                let n = rsa::BigUint::from_bytes_be(&field("n")?);
                let e = rsa::BigUint::from_bytes_be(&field("e")?);
                let d = rsa::BigUint::from_bytes_be(&field("d")?);
                let p = rsa::BigUint::from_bytes_be(&field("p")?);
                let q = rsa::BigUint::from_bytes_be(&field("q")?);
                let key = rsa::RsaPrivateKey::from_components(n, e, d, vec![p, q])
                    .map_err(|e| KeyError(format!("the RSA JWK is not a valid key: {e}")))?;
                Material::Rsa(Box::new(key))
            }
            Some("EC") => Material::Ec(p256::SecretKey::from_jwk_str(json_text).map_err(|_| {
                KeyError("the EC JWK is not a P-256 private key (crv P-256 with x, y and d)".into())
            })?),
            other => {
                return Err(KeyError(format!(
                "the JWK has kty {other:?}: service apps sign with RSA (RS256) or EC P-256 (ES256)"
            )))
            }
        };
        let mut key = SigningKey::from_material(material)?;
        key.original = Some(json_text.to_string());
        Ok(key)
    }

    /// A new random EC P-256 key (DPoP proofs, the sandbox's default service-app key).
    pub fn generate_es256() -> SigningKey {
        let key = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        // A freshly made key always converts.
        SigningKey::from_material(Material::Ec(key)).expect("a new P-256 key encodes")
    }

    /// A new random RSA key of `bits` bits (tests, and a sandbox asked for an RS256 key).
    pub fn generate_rs256(bits: usize) -> Result<SigningKey, KeyError> {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
            .map_err(|e| KeyError(format!("cannot make an RSA key: {e}")))?;
        SigningKey::from_material(Material::Rsa(Box::new(key)))
    }

    fn from_material(material: Material) -> Result<SigningKey, KeyError> {
        let pem = pem_of(&material)?;
        let encoding = match &material {
            Material::Rsa(_) => EncodingKey::from_rsa_pem(pem.as_bytes()),
            Material::Ec(_) => EncodingKey::from_ec_pem(pem.as_bytes()),
        }
        .map_err(|e| KeyError(format!("the private key cannot be used for signing: {e}")))?;
        Ok(SigningKey {
            material,
            encoding,
            original: None,
        })
    }

    /// The secret texts of this key: its PEM, and the text it was read from.
    pub fn secret_texts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.to_pem().into_iter().collect();
        v.extend(self.original.clone());
        v
    }

    /// The key as PEM: PKCS#1 for RSA, PKCS#8 for EC (what `--service-app-key` writes).
    pub fn to_pem(&self) -> Result<String, KeyError> {
        pem_of(&self.material)
    }

    /// RS256 for RSA keys, ES256 for P-256 keys.
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::Rsa(_) => Algorithm::RS256,
            Material::Ec(_) => Algorithm::ES256,
        }
    }

    /// Signs `claims` as a JWT with this key's algorithm and the given header fields.
    pub fn sign(
        &self,
        typ: Option<&str>,
        kid: Option<&str>,
        with_jwk: bool,
        claims: &impl Serialize,
    ) -> Result<String, KeyError> {
        let mut header = Header::new(self.algorithm());
        header.typ = typ.map(str::to_string);
        header.kid = kid.map(str::to_string);
        if with_jwk {
            header.jwk =
                Some(serde_json::from_value(self.public_jwk()).map_err(|e| {
                    KeyError(format!("cannot put the public key in the header: {e}"))
                })?);
        }
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError(format!("cannot sign: {e}")))
    }

    /// The public key as a JWK (`kty`, and `n e` or `crv x y`).
    pub fn public_jwk(&self) -> Value {
        match &self.material {
            Material::Rsa(k) => json!({
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(k.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(k.e().to_bytes_be()),
            }),
            Material::Ec(k) => {
                let jwk: Value =
                    serde_json::from_str(&k.public_key().to_jwk_string()).unwrap_or(Value::Null);
                json!({"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]})
            }
        }
    }

    /// The RFC 7638 thumbprint of the public key (base64url SHA-256 of its canonical JWK).
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.public_jwk()).unwrap_or_default()
    }

    /// The key that verifies this key's signatures.
    pub fn decoding_key(&self) -> Result<DecodingKey, KeyError> {
        decoding_key(&self.public_jwk())
    }
}

fn pem_of(material: &Material) -> Result<String, KeyError> {
    match material {
        Material::Rsa(k) => k
            .to_pkcs1_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .map_err(|e| KeyError(format!("cannot encode the RSA key: {e}"))),
        Material::Ec(k) => k
            .to_pkcs8_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .map_err(|e| KeyError(format!("cannot encode the EC key: {e}"))),
    }
}

/// The key that verifies signatures of the public JWK `jwk` (RSA or EC P-256).
pub fn decoding_key(jwk: &Value) -> Result<DecodingKey, KeyError> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str).unwrap_or_default();
    match s("kty") {
        "RSA" => DecodingKey::from_rsa_components(s("n"), s("e"))
            .map_err(|e| KeyError(format!("bad RSA public key: {e}"))),
        "EC" if s("crv") == "P-256" => DecodingKey::from_ec_components(s("x"), s("y"))
            .map_err(|e| KeyError(format!("bad EC public key: {e}"))),
        other => Err(KeyError(format!("unsupported public key type {other:?}"))),
    }
}

/// RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in order.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    let canonical = match s("kty")? {
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e")?, s("n")?),
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv")?,
            s("x")?,
            s("y")?
        ),
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// base64url SHA-256 of a text (the `ath` of a DPoP proof).
pub fn sha256_b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, Validation};
    use p256::pkcs8::EncodePrivateKey;
    use rsa::traits::PrivateKeyParts as _;

    fn verifies(key: &SigningKey) {
        let jwt = key
            .sign(
                None,
                Some("k1"),
                false,
                &json!({"sub": "x", "exp": 4_000_000_000u64}),
            )
            .unwrap();
        let mut v = Validation::new(key.algorithm());
        v.validate_aud = false;
        let data = decode::<Value>(&jwt, &key.decoding_key().unwrap(), &v).unwrap();
        assert_eq!(data.claims["sub"], "x");
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
    }

    /// Every format the issue lists: RSA PKCS#1 and PKCS#8 PEM, EC SEC1 and PKCS#8 PEM, and
    /// JWKs of both kinds; each signs a JWT its public key verifies.
    #[test]
    fn every_key_format_signs() {
        let rsa_key = SigningKey::generate_rs256(2048).unwrap();
        let Material::Rsa(r) = &rsa_key.material else {
            panic!()
        };
        let pkcs1 = r.to_pkcs1_pem(LineEnding::LF).unwrap().to_string();
        let pkcs8 = r.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY"));
        assert!(pkcs8.contains("BEGIN PRIVATE KEY"));
        for pem in [&pkcs1, &pkcs8] {
            let k = SigningKey::from_text(pem).unwrap();
            assert_eq!(k.algorithm(), Algorithm::RS256);
            verifies(&k);
        }
        let ec = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let sec1 = ec.to_sec1_pem(LineEnding::LF).unwrap().to_string();
        let ec8 = ec.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        assert!(sec1.contains("BEGIN EC PRIVATE KEY"));
        for pem in [&sec1, &ec8] {
            let k = SigningKey::from_text(pem).unwrap();
            assert_eq!(k.algorithm(), Algorithm::ES256);
            verifies(&k);
        }
        // JWKs with the private parts.
        let ec_jwk = ec.to_jwk_string();
        let k = SigningKey::from_text(&ec_jwk).unwrap();
        assert_eq!(
            k.thumbprint(),
            SigningKey::from_text(&sec1).unwrap().thumbprint()
        );
        verifies(&k);
        let b = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
        let rsa_jwk = json!({
            "kty": "RSA", "n": b(r.n()), "e": b(r.e()), "d": b(r.d()),
            "p": b(&r.primes()[0]), "q": b(&r.primes()[1]),
        })
        .to_string();
        let k = SigningKey::from_text(&rsa_jwk).unwrap();
        assert_eq!(k.algorithm(), Algorithm::RS256);
        verifies(&k);
        assert_eq!(k.public_jwk(), rsa_key.public_jwk());
    }

    #[test]
    fn bad_keys_are_named() {
        let e = SigningKey::from_text("hello").unwrap_err().0;
        assert!(e.contains("no private key found"), "{e}");
        let e = SigningKey::from_text(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA\n-----END ENCRYPTED PRIVATE KEY-----",
        )
        .unwrap_err()
        .0;
        assert!(e.contains("encrypted"), "{e}");
        let public = SigningKey::generate_es256().public_jwk().to_string();
        let e = SigningKey::from_text(&public).unwrap_err().0;
        assert!(e.contains("private"), "{e}");
        let k = SigningKey::generate_es256();
        assert!(!format!("{k:?}").contains(&k.to_pem().unwrap()[30..60]));
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 section 3.1.
        let jwk = json!({"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
