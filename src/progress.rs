//! The progress display of the `oktaql` binary: indicatif bars on stderr for fan-outs
//! (done/total, rate, ETA), long paginated lists (rows and pages so far, rate) and waits for
//! Okta's rate limit (a countdown).
//!
//! Owns: drawing the library's [`Progress`] events, and printing notices above the bars.
//! Must not: write to stdout, or draw when stderr is not a terminal (the caller only builds
//! one for a terminal without `--quiet`; indicatif's stderr target hides itself otherwise).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use oktaql::exec::{Diagnostics, Progress, StderrDiagnostics};

/// How often bars are redrawn at most (and the countdown of a wait ticks).
const TICK: Duration = Duration::from_millis(100);

/// Bars on stderr, one per fan-out, list or wait in progress.
pub struct TerminalProgress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl TerminalProgress {
    /// Bars drawn on stderr.
    pub fn new() -> Arc<TerminalProgress> {
        Arc::new(TerminalProgress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)),
            bars: Mutex::new(HashMap::new()),
        })
    }

    fn bars(&self) -> std::sync::MutexGuard<'_, HashMap<String, ProgressBar>> {
        self.bars.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a bar under `key`, replacing (and clearing) one already there.
    fn add(&self, key: String, bar: ProgressBar) -> ProgressBar {
        let bar = self.multi.add(bar);
        if let Some(old) = self.bars().insert(key, bar.clone()) {
            old.finish_and_clear();
        }
        bar
    }

    fn remove(&self, key: &str) {
        if let Some(bar) = self.bars().remove(key) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }
}

/// `12.5/s`: the bar's rate.
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{:.1}/s", state.per_sec());
}

/// `ETA 7s`, or nothing before the rate is known.
fn eta(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    if state.pos() > 0 {
        let secs = state.eta().as_secs();
        let _ = if secs >= 60 {
            write!(w, "ETA {}m{:02}s", secs / 60, secs % 60)
        } else {
            write!(w, "ETA {secs}s")
        };
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", rate)
        .with_key("eta_short", eta)
        .progress_chars("=> ")
}

impl Progress for TerminalProgress {
    fn fanout_started(&self, label: &str, total: usize) {
        let bar = ProgressBar::new(total as u64)
            .with_style(style("{msg} {pos}/{len} [{bar:30}] {rate} {eta_short}"))
            .with_message(label.to_string());
        let bar = self.add(format!("fanout {label}"), bar);
        bar.enable_steady_tick(TICK);
    }

    fn fanout_request_done(&self, label: &str) {
        if let Some(bar) = self.bars().get(&format!("fanout {label}")) {
            bar.inc(1);
        }
    }

    fn fanout_finished(&self, label: &str) {
        self.remove(&format!("fanout {label}"));
    }

    fn page(&self, label: &str, pages: usize, rows: usize) {
        let key = format!("list {label}");
        let existing = self.bars().get(&key).cloned();
        let bar = existing.unwrap_or_else(|| {
            let bar = ProgressBar::new_spinner()
                .with_style(style("{spinner} {msg}: {pos} rows {rate}"))
                .with_message(label.to_string());
            let bar = self.add(key, bar);
            bar.enable_steady_tick(TICK);
            bar
        });
        bar.set_position(rows as u64);
        bar.set_message(format!("{label}, page {pages}"));
    }

    fn list_finished(&self, label: &str) {
        self.remove(&format!("list {label}"));
    }

    fn rate_limit_wait(&self, label: &str, wait: Duration) {
        let key = format!("wait {label}");
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let bar = ProgressBar::new(millis.max(1))
            .with_style(style("{msg} [{bar:30}] {eta_short}"))
            .with_message(format!("{label}: waiting for Okta's rate limit"));
        let bar = self.add(key.clone(), bar);
        // The countdown runs beside the wait; the bar goes when the wait is over.
        let started = std::time::Instant::now();
        let handle = bar.clone();
        std::thread::spawn(move || {
            while !handle.is_finished() {
                let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                if elapsed >= millis {
                    break;
                }
                handle.set_position(elapsed);
                std::thread::sleep(TICK);
            }
            handle.finish_and_clear();
        });
    }
}

/// Notices printed above the bars rather than through them.
pub struct BarDiagnostics(pub Arc<TerminalProgress>);

impl Diagnostics for BarDiagnostics {
    fn warn(&self, msg: &str) {
        self.0.multi.suspend(|| StderrDiagnostics.warn(msg));
    }
}
