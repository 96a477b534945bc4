//! The `oktaql` binary.
fn main() {}
