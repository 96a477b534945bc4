//! oktaql: SQL over the Okta Management API.
//!
//! Every statement takes the same way through the same stages:
//!
//! ```text
//! text ─template─▶ text ─sql─▶ Statement ─plan─▶ Plan ─exec─▶ rows ─relational─▶ Rows ─render─▶ bytes
//! ```
//!
//! The library holds everything but argument parsing; the `oktaql` binary is a thin wrapper
//! (arguments, wiring, signals, exit codes). [`session`] turns a run's settings into an
//! engine, [`runner`] runs scripts through it and [`outfile`] writes their output atomically.
//!
//! Cargo features (all on by default) add what an embedding program may not want:
//! `shell` (the interactive prompt, rustyline), `sandbox` (the built-in Okta sandbox,
//! axum) and `cli` (clap derives for the binary's options). Without them the library is
//! the engine alone: `cargo build --lib --no-default-features`.
#![warn(missing_docs)]

pub mod auth;
pub mod engine;
pub mod error;
pub mod exec;
pub mod outfile;
pub mod plan;
pub mod provider;
pub mod reference;
pub mod relational;
pub mod render;
pub mod rows;
pub mod runner;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secrets;
pub mod session;
pub mod shell;
pub mod sql;
pub mod template;

// The README's Rust example is compiled and run as a doc-test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

pub use engine::{Engine, EngineConfig, Outcome, ResultRows, StreamedOutcome};
pub use error::Error;
pub use rows::Rows;
