//! The shell's pager: a result taller than the terminal goes through `$PAGER` (default
//! `less -S`, which scrolls wide tables sideways instead of wrapping them), as in psql.
//!
//! Owns: the decision to page (a pure function, unit-tested), the terminal's height and
//! running the pager. Must not: page anything when standard output is not a terminal.

use std::io::Write;
use std::process::{Command, Stdio};

/// The pager when `$PAGER` is unset or empty.
pub const DEFAULT_PAGER: &str = "less -S";

/// Whether output of `lines` lines goes through the pager: paging is on, standard output
/// is a terminal of known height, and the output would not fit above the prompt.
pub fn should_page(
    enabled: bool,
    stdout_is_terminal: bool,
    lines: usize,
    height: Option<u16>,
) -> bool {
    enabled && stdout_is_terminal && height.is_some_and(|h| h > 0 && lines >= usize::from(h))
}

/// The pager command: `$PAGER`, or [`DEFAULT_PAGER`] when it is unset or blank.
pub fn pager_command() -> String {
    std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PAGER.to_string())
}

/// The number of rows of the terminal on standard output, when it is one and says.
pub fn terminal_height() -> Option<u16> {
    #[cfg(unix)]
    {
        let mut size = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes one winsize into the struct we own.
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
        (ok && size.ws_row > 0).then_some(size.ws_row)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Runs `command` through `sh -c` (as git and man do, so `PAGER='less -R'` works) and
/// writes `text` to it; returns when the pager exits. The user leaving the pager before
/// the end (a closed pipe) is not an error.
pub fn page(command: &str, text: &[u8]) -> std::io::Result<()> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        match stdin.write_all(text) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    }
    child.wait()?;
    Ok(())
}

/// One writer of output held in order across two streams (results, messages), so that it
/// can be replayed as it came or its results paged.
pub struct Held<'a> {
    chunks: &'a std::cell::RefCell<Vec<(bool, Vec<u8>)>>,
    /// Whether this writer stands for the message stream (standard error).
    err: bool,
}

impl<'a> Held<'a> {
    /// A writer appending to `chunks` as the results (`err` false) or messages stream.
    pub fn new(chunks: &'a std::cell::RefCell<Vec<(bool, Vec<u8>)>>, err: bool) -> Held<'a> {
        Held { chunks, err }
    }
}

impl Write for Held<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut chunks = self.chunks.borrow_mut();
        match chunks.last_mut() {
            Some((err, bytes)) if *err == self.err => bytes.extend_from_slice(buf),
            _ => chunks.push((self.err, buf.to_vec())),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_only_taller_output_on_a_terminal_when_on() {
        assert!(should_page(true, true, 30, Some(24)));
        assert!(
            should_page(true, true, 24, Some(24)),
            "the prompt needs a line too"
        );
        assert!(!should_page(true, true, 23, Some(24)));
        assert!(!should_page(false, true, 300, Some(24)), ".pager off");
        assert!(
            !should_page(true, false, 300, Some(24)),
            "stdout is not a terminal"
        );
        assert!(!should_page(true, true, 300, None), "height unknown");
        assert!(
            !should_page(true, true, 300, Some(0)),
            "a terminal of no size"
        );
    }

    #[test]
    fn the_pager_reads_what_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("paged");
        page(&format!("cat > '{}'", file.display()), b"a\nb\n").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"a\nb\n");
        // A pager that quits at once (closed pipe) is fine.
        page("true", &vec![b'x'; 1 << 20]).unwrap();
    }
}
