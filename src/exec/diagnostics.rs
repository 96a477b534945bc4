//! Where the execute stage reports what is not an error: retry and rate-limit notices,
//! truncated pagination, and `--debug` HTTP traces.
//!
//! Must not: receive the API token or secrets unmasked (callers mask before reporting).

use std::sync::Mutex;

/// A sink for notices; the CLI prints them on stderr, tests capture them.
pub trait Diagnostics: Send + Sync {
    /// Reports one notice (may span several lines).
    fn warn(&self, msg: &str);
}

/// Prints each notice on stderr, prefixed with `warning: ` (debug traces unprefixed).
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrDiagnostics;

impl Diagnostics for StderrDiagnostics {
    fn warn(&self, msg: &str) {
        // Notices quote server text: nothing in them may drive the terminal.
        let msg: String = msg
            .chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect();
        if msg.starts_with("> ") || msg.starts_with("< ") {
            eprintln!("{msg}");
        } else {
            eprintln!("warning: {msg}");
        }
    }
}

/// Keeps every notice in memory, in order (for tests and for callers that show notices
/// after the result).
#[derive(Debug, Default)]
pub struct MemoryDiagnostics {
    messages: Mutex<Vec<String>>,
}

impl MemoryDiagnostics {
    /// An empty sink.
    pub fn new() -> MemoryDiagnostics {
        MemoryDiagnostics::default()
    }

    /// The notices so far.
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Diagnostics for MemoryDiagnostics {
    fn warn(&self, msg: &str) {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(msg.to_string());
    }
}
