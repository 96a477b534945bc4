//! The integration tests, as one test binary: each file here is a module (`mod foo;` for
//! `foo.rs`), so the library and its dependencies are linked once, not once per file.
//!
//! A new `tests/foo.rs` (with its own `mod common;`) runs as a test binary of its own; to
//! move it in, move the file here, drop its `mod common;` line and add `mod foo;` below.

#[path = "../common/mod.rs"]
mod common;

mod answers;
mod auth;
mod auth_cli;
mod cli_app_lifecycle;
mod cli_batch;
mod cli_completions;
mod cli_integrations;
mod cli_jwks;
mod cli_keys;
mod cli_progress;
mod cli_statements;
mod cli_syslog;
mod cli_tokens;
mod cli_write_reports;
mod conformance;
mod direct_query;
mod docs_credentials;
mod docs_rotation;
mod docs_serve;
mod exec;
mod exec_cache;
mod exec_pacing;
mod exec_retry;
mod grammar;
mod interrupt;
mod mcp;
mod pipelining;
mod pipes;
mod provider;
mod provider_cache;
mod provider_fuzz;
mod reference_pages;
mod render;
mod sandbox;
mod sandbox_durability;
mod sandbox_trust;
mod sdk_python;
mod security;
mod security_faults;
mod security_props;
mod security_trust;
mod serve;
mod serve_catalogs;
mod serve_clients;
mod serve_support;
mod serve_users;
mod shape_cache;
mod shell;
mod sql_over_api;
mod sql_parse;
mod sql_parse_props;
mod sql_split;
mod streaming;
mod template_props;
