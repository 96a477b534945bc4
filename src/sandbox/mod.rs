//! The Okta sandbox: a local HTTP server that behaves like Okta's Management API for the
//! resources oktaql supports.
