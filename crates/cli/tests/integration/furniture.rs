//! `davsync completions` and `davsync man`: the scripts are valid for their
//! shells and complete davsync's commands, the pages render with man(1).
//! The shells and man are needed, not optional: tests/servers/install.sh
//! installs them, and a test that cannot find one fails saying so.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, Run};
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// The binary, with a configuration file that does not exist: these
/// commands need none.
fn davsync(tmp: &Path) -> Davsync {
    Davsync::new(BIN, tmp.join("missing.toml"), tmp.join("data"))
}

/// Runs `program args…`, panicking with what to install when it is missing.
fn tool(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` ({e}): this test needs it; install it \
                 (tests/servers/install.sh does, as root: apt-get install zsh man-db)"
            )
        })
}

/// Panics, showing both outputs, unless `output` is a success.
#[track_caller]
fn expect_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `davsync completions SHELL`, which must succeed, saved in `tmp`.
fn script(tmp: &Path, shell: &str) -> (Run, std::path::PathBuf) {
    let run = davsync(tmp).run(&["completions", shell]);
    run.expect_code(0);
    let path = tmp.join(format!("davsync.{shell}"));
    std::fs::write(&path, &run.stdout).unwrap();
    (run, path)
}

#[test]
fn the_bash_completion_parses_loads_and_completes_the_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, path) = script(tmp.path(), "bash");
    let path = path.to_str().unwrap();
    expect_success(&tool("bash", &["-n", path], &[]), "bash -n");

    let loaded = tool(
        "bash",
        &[
            "--norc",
            "-c",
            "source \"$1\" && complete -p davsync",
            "bash",
            path,
        ],
        &[],
    );
    expect_success(&loaded, "complete -p davsync");
    let spec = String::from_utf8_lossy(&loaded.stdout);
    assert!(spec.trim_end().ends_with(" davsync"), "{spec}");

    // What bash offers after `davsync ` and after `davsync sync --d`.
    let complete = |words: &str| {
        let program = format!(
            "source \"$1\"; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
             _davsync davsync \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = tool("bash", &["--norc", "-c", &program, "bash", path], &[]);
        expect_success(&output, &program);
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let commands = complete("davsync ''");
    for command in ["sync", "status", "discover", "config", "completions"] {
        assert!(
            commands.iter().any(|c| c == command),
            "{command}: {commands:?}"
        );
    }
    let mut options = complete("davsync sync --d");
    options.sort();
    assert_eq!(options, ["--data-dir", "--dry-run"]);
}

#[test]
fn the_zsh_completion_parses() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, path) = script(tmp.path(), "zsh");
    assert!(run.stdout.starts_with("#compdef davsync"), "{}", run.stdout);
    expect_success(&tool("zsh", &["-n", path.to_str().unwrap()], &[]), "zsh -n");
}

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (run, _) = script(tmp.path(), shell);
        for command in ["sync", "discover", "completions"] {
            assert!(
                run.stdout.contains(command),
                "{shell}: {command}\n{}",
                run.stdout
            );
        }
    }
    let run = davsync(tmp.path()).run(&["completions", "tcsh"]);
    run.expect_code(2);
    assert!(run.stderr.contains("bash"), "{}", run.describe());
}
