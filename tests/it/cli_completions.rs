//! `oktaql completions SHELL` and `oktaql man`, through the binary: each completion script
//! parses in its shell (skipped, with a printed notice, where that shell is not installed),
//! names the subcommands and flags, and the manual page is roff covering them.

use std::process::Command as Process;

use assert_cmd::Command;

use crate::common::has;

fn oktaql() -> Command {
    Command::cargo_bin("oktaql").unwrap()
}

fn script(shell: &str) -> String {
    let out = oktaql().args(["completions", shell]).output().unwrap();
    assert!(out.status.success(), "completions {shell}: {out:?}");
    assert!(out.stderr.is_empty(), "nothing on stderr: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Checks `text` with `program args… FILE` (a syntax-only run), or says why it was skipped.
fn parses_in(program: &str, version_flag: &str, args: &[&str], text: &str, ext: &str) {
    if !has(program, &[version_flag]) {
        crate::common::skipped(&format!(
            "{program} is not installed; its completion script was not parsed"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("oktaql.{ext}"));
    std::fs::write(&path, text).unwrap();
    let out = Process::new(program)
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} rejects the script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_script_names_the_subcommands_and_flags() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let text = script(shell);
        for word in [
            "exec",
            "shell",
            "sandbox",
            "completions",
            "continue-on-error",
        ] {
            assert!(text.contains(word), "{shell} script lacks {word}");
        }
    }
}

#[test]
fn bash_script_parses_and_completes_subcommands() {
    let text = script("bash");
    parses_in("bash", "--version", &["-n"], &text, "bash");
    // Sourced, it registers a completion for oktaql that offers the subcommands.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oktaql.bash");
    std::fs::write(&path, &text).unwrap();
    let probe = format!(
        "source '{}'; COMP_WORDS=(oktaql ''); COMP_CWORD=1; COMP_LINE='oktaql '; COMP_POINT=7; \
         _oktaql oktaql '' oktaql; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Process::new("bash").args(["-c", &probe]).output().unwrap();
    let offered = String::from_utf8_lossy(&out.stdout);
    for sub in ["exec", "shell", "sandbox", "completions", "man"] {
        assert!(
            offered.lines().any(|l| l == sub),
            "bash offers no {sub}: {offered} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn zsh_script_parses() {
    parses_in("zsh", "--version", &["-n"], &script("zsh"), "zsh");
}

#[test]
fn fish_script_parses() {
    parses_in(
        "fish",
        "--version",
        &["--no-execute"],
        &script("fish"),
        "fish",
    );
}

#[test]
fn powershell_script_parses() {
    let text = script("powershell");
    assert!(text.contains("Register-ArgumentCompleter"), "{text}");
    // pwsh has no syntax-only switch: parse the file with the language parser.
    if !has("pwsh", &["-Version"]) {
        crate::common::skipped("pwsh is not installed; the PowerShell script was not parsed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oktaql.ps1");
    std::fs::write(&path, &text).unwrap();
    let cmd = format!(
        "$e=$null; [System.Management.Automation.Language.Parser]::ParseFile('{}',[ref]$null,[ref]$e) | Out-Null; if ($e.Count) {{ $e; exit 1 }}",
        path.display()
    );
    let out = Process::new("pwsh")
        .args(["-NoProfile", "-Command", &cmd])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn unknown_shell_is_a_usage_error_naming_the_choices() {
    let out = oktaql().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bash") && err.contains("powershell"), "{err}");
}

#[test]
fn man_page_is_roff_covering_every_subcommand() {
    let out = oktaql().arg("man").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.starts_with(".TH"),
        "roff: {}",
        &text[..80]
    );
    assert!(text.contains(".TH oktaql 1"), "title header");
    for word in [
        "exec",
        "sandbox",
        "completions",
        "OKTA_API_TOKEN",
        "Exit status",
    ] {
        assert!(text.contains(word), "man page lacks {word}");
    }
    if has("groff", &["--version"]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oktaql.1");
        std::fs::write(&path, &text).unwrap();
        let out = Process::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    } else {
        crate::common::skipped("groff is not installed; the man page was not rendered");
    }
}
