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
    for command in [
        "sync",
        "status",
        "reports",
        "discover",
        "presets",
        "config",
        "completions",
        "man",
    ] {
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

/// The page at `path` as man(1) shows it on an 80-column terminal, without
/// the overstrikes of bold and underlined text and with spaces for tabs (`col -bx`); panics when man
/// fails or warns.
fn rendered(path: &Path) -> String {
    let program = "man -l \"$1\" | col -bx";
    let output = tool(
        "sh",
        &["-c", program, "sh", path.to_str().unwrap()],
        &[
            ("MANWIDTH", "80"),
            ("MANPAGER", "cat"),
            ("PAGER", "cat"),
            ("LC_ALL", "C.UTF-8"),
        ],
    );
    expect_success(&output, &format!("man -l {}", path.display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Without man (or col) the pipe would still succeed: sh names the missing one here.
    assert!(
        stderr.is_empty(),
        "man -l {}: {stderr}(the test needs man-db: tests/servers/install.sh installs it)",
        path.display()
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        text.contains("NAME"),
        "man -l {} showed no page:\n{text}",
        path.display()
    );
    text
}

/// The exit statuses `davsync --help` lists: (code, first words of the meaning).
fn help_exit_statuses(tmp: &Path) -> Vec<(String, String)> {
    let run = davsync(tmp).run(&["--help"]);
    run.expect_code(0);
    let statuses: Vec<(String, String)> = run
        .stdout
        .lines()
        .skip_while(|l| *l != "Exit status:")
        .skip(1)
        .filter_map(|l| {
            let (code, meaning) = l.trim_start().split_once("  ")?;
            code.parse::<u8>().ok()?;
            let words: Vec<&str> = meaning.split_whitespace().take(4).collect();
            Some((code.to_string(), words.join(" ")))
        })
        .collect();
    assert_eq!(statuses.len(), 3, "{}", run.stdout);
    statuses
}

#[test]
fn the_man_page_renders_with_the_commands_and_the_exit_statuses() {
    let tmp = tempfile::tempdir().unwrap();
    let run = davsync(tmp.path()).run(&["man"]);
    run.expect_code(0);
    let page = tmp.path().join("davsync.1");
    std::fs::write(&page, &run.stdout).unwrap();
    let text = rendered(&page);
    for section in [
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "CONFIGURATION",
    ] {
        assert!(text.lines().any(|l| l == section), "{section}:\n{text}");
    }
    for command in [
        "sync",
        "status",
        "reports",
        "discover",
        "config",
        "completions",
        "man",
    ] {
        assert!(
            text.contains(&format!("davsync-{command}(1)")),
            "{command}:\n{text}"
        );
    }
    assert!(text.contains("--data-dir"), "{text}");
    assert!(text.contains("[profiles.work]"), "{text}");
    // The section after EXIT STATUS, with a line per status as --help has them.
    let exit_status: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "EXIT STATUS")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect();
    for (code, meaning) in help_exit_statuses(tmp.path()) {
        let line = format!("{code} {meaning}");
        assert!(
            exit_status.iter().any(|l| l
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(&line)),
            "{line:?} not in the EXIT STATUS section:\n{text}"
        );
    }
}

#[test]
fn man_dir_writes_a_page_per_command_into_a_new_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("share/man/man1");
    let written = |run: &Run| -> Vec<String> {
        run.expect_code(0);
        run.stdout.lines().map(str::to_string).collect()
    };
    let first = written(&davsync(tmp.path()).run(&["man", "--dir", dir.to_str().unwrap()]));
    let expected: Vec<String> = [
        "davsync",
        "davsync-sync",
        "davsync-status",
        "davsync-reports",
        "davsync-reports-show",
        "davsync-daemon",
        "davsync-service",
        "davsync-service-install",
        "davsync-service-uninstall",
        "davsync-check",
        "davsync-discover",
        "davsync-presets",
        "davsync-create",
        "davsync-config",
        "davsync-config-keys",
        "davsync-completions",
        "davsync-man",
    ]
    .iter()
    .map(|name| dir.join(format!("{name}.1")).display().to_string())
    .collect();
    assert_eq!(first, expected);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    // Nothing else: no temporary file left behind.
    assert_eq!(files, sorted);

    let sync = rendered(&dir.join("davsync-sync.1"));
    for text in ["davsync-sync", "--dry-run", "EXIT STATUS", "davsync(1)"] {
        assert!(sync.contains(text), "{text}:\n{sync}");
    }
    assert!(rendered(&dir.join("davsync-config-keys.1")).contains("--json"));
    // The same printed page as without --dir.
    let stdout = davsync(tmp.path()).run(&["man"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("davsync.1")).unwrap(),
        stdout.stdout
    );

    // Again, over the pages there: each replaced, the same list.
    std::fs::write(dir.join("davsync-sync.1"), "stale").unwrap();
    let second = written(&davsync(tmp.path()).run(&["man", "--dir", dir.to_str().unwrap()]));
    assert_eq!(second, expected);
    assert!(rendered(&dir.join("davsync-sync.1")).contains("--dry-run"));
}

#[test]
fn man_dir_that_cannot_be_created_fails_with_its_name() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let dir = file.join("man1");
    let run = davsync(tmp.path()).run(&["man", "--dir", dir.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(&dir.display().to_string()),
        "{}",
        run.describe()
    );
    assert!(run.stdout.is_empty(), "{}", run.describe());
}
