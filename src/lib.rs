//! oktaql: SQL over the Okta Management API.
//!
//! Every statement takes the same way through the same stages:
//!
//! ```text
//! text ─template─▶ text ─sql─▶ Statement ─plan─▶ Plan ─exec─▶ rows ─relational─▶ Rows ─render─▶ bytes
//! ```
//!
//! The library holds everything but argument parsing; the `oktaql` binary is a thin wrapper.
#![warn(missing_docs)]

pub mod auth;
pub mod engine;
pub mod error;
pub mod exec;
pub mod plan;
pub mod provider;
pub mod reference;
pub mod relational;
pub mod render;
pub mod rows;
pub mod runner;
pub mod sandbox;
pub mod secrets;
pub mod shell;
pub mod sql;
pub mod template;

pub use engine::{Engine, EngineConfig, Outcome, ResultRows, StreamedOutcome};
pub use error::Error;
pub use rows::Rows;
