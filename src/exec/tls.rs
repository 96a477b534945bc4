//! The TLS crypto provider: rustls with *ring*.
//!
//! reqwest is built without a provider of its own (its default, aws-lc-rs, compiles a C
//! library with cmake, most of a first build's time), so one must be installed for the
//! process before any reqwest client is built; [`super::Client`] does it on first use.
//! Must not: choose anything else about TLS (roots and versions are reqwest's defaults).

use std::sync::Once;

/// Installs rustls's *ring* provider as the process default, once. A provider installed
/// before (by a program embedding oktaql) is kept, and reqwest uses that one. Call it
/// before building a `reqwest::Client` of your own in the same process.
pub fn install_tls_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // An error means another provider is already the default: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::install_tls_provider;

    #[test]
    fn clients_build_once_a_provider_is_installed() {
        install_tls_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        reqwest::Client::builder()
            .https_only(true)
            .build()
            .expect("an HTTPS client builds");
        // Idempotent.
        install_tls_provider();
    }
}
