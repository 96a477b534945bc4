//! The provider loader on arbitrary YAML: a service document parses or gives an error, never
//! a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oktaql::provider::parse_service_document;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_service_document("okta", "apps", "fuzz.yaml", text);
});
