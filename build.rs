//! Build script: turns the compiled-in service documents (`providers/**/services/*.yaml`)
//! into their service models at build time, so that a start-up reads a compact JSON model
//! instead of parsing YAML.
//!
//! The model is built by the very code the library uses at run time: the `oktaql-provider`
//! crate, a build-dependency as well as a dependency.
//!
//! Writes `$OUT_DIR/prebuilt/<provider>/<version>/<service>.json` and
//! `$OUT_DIR/prebuilt_services.rs`, the list `src/provider/load.rs` includes. A document that
//! does not parse fails the build with the parser's message.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=providers");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let providers = manifest.join("providers");

    let mut index = String::from("&[\n");
    for document in service_documents(&providers) {
        let relative = document
            .strip_prefix(&providers)
            .expect("found below providers/");
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        // <provider>/<version>/services/<service>.yaml
        let [provider, version, _, file] = parts.as_slice() else {
            continue;
        };
        let service = file.trim_end_matches(".yaml");
        let text = std::fs::read_to_string(&document)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", document.display()));
        let shown = format!("providers/{provider}/{version}/services/{file}");
        let model = oktaql_provider::parse_service_document(provider, service, &shown, &text)
            .unwrap_or_else(|e| panic!("the compiled-in provider does not load: {e}"));
        let json = serde_json::to_string(&model).expect("a service model serializes");
        let target = out
            .join("prebuilt")
            .join(provider)
            .join(version)
            .join(format!("{service}.json"));
        std::fs::create_dir_all(target.parent().expect("has a parent"))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
        std::fs::write(&target, json)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
        writeln!(
            index,
            "    PrebuiltService {{ file: {:?}, provider: {provider:?}, service: {service:?}, \
             model: include_str!(concat!(env!(\"OUT_DIR\"), {:?})) }},",
            format!("{provider}/{version}/services/{file}"),
            format!("/prebuilt/{provider}/{version}/{service}.json"),
        )
        .expect("writing to a String");
    }
    index.push_str("]\n");
    let index_path = out.join("prebuilt_services.rs");
    std::fs::write(&index_path, index)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", index_path.display()));
}

/// `<root>/<provider>/<version>/services/*.yaml`, sorted.
fn service_documents(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for provider in subdirectories(root) {
        for version in subdirectories(&provider) {
            let Ok(entries) = std::fs::read_dir(version.join("services")) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() && path.extension().is_some_and(|e| e == "yaml") {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    found
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}
