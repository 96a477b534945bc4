//! Authentication secrets handed to the run's secret values ([`crate::secrets`], the one
//! rule for masking): API tokens, private keys (whole and line by line), client assertions,
//! access tokens and DPoP proofs are registered as soon as they are read or made, so traces,
//! errors and output files mask them by value.
//!
//! Must not: keep values of its own, or mask anything itself.

use crate::secrets::SecretValues;

use super::{Credential, Credentials};

/// Registers a secret text; a PEM key line by line as well, and a JWT's signature alone too,
/// so a fragment is hidden where it appears.
pub fn register(into: &SecretValues, value: &str) {
    into.register(value);
    if value.contains("-----BEGIN") {
        for line in value.lines().filter(|l| !l.starts_with("-----")) {
            into.register(line.trim());
        }
    }
    if value.matches('.').count() == 2 && !value.contains(char::is_whitespace) {
        if let Some(sig) = value.rsplit('.').next() {
            into.register(sig);
        }
    }
}

/// Registers every credential of `creds`: API tokens and private keys (as read and as held).
pub fn register_credentials(creds: &Credentials, into: &SecretValues) {
    for org in creds.orgs() {
        match &org.credential {
            Credential::ApiToken(t) => register(into, t.expose()),
            Credential::ServiceApp(app) => {
                for text in app.key.secret_texts() {
                    register(into, &text);
                }
            }
        }
    }
    if let Some(t) = creds.loose_token() {
        register(into, t.token().expose());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_jwts_are_masked_whole_and_in_part() {
        let values = SecretValues::new();
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTESTKEYLINEONE\nTESTKEYLINETWOabcdefgh\n-----END PRIVATE KEY-----\n";
        register(&values, pem);
        register(
            &values,
            "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.SIGNATUREpartXYZ123",
        );
        let t = values.mask_text("key: TESTKEYLINETWOabcdefgh; proof SIGNATUREpartXYZ123");
        assert!(!t.contains("TESTKEYLINETWO"), "{t}");
        assert!(!t.contains("SIGNATUREpart"), "{t}");
    }
}
