//! The progress bar of `davsync sync`: drawn on a terminal (a pseudo-terminal
//! made by `script`) for a run that moves many items; absent with `--json`,
//! with `--quiet`, and when standard error is a pipe.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, vdir_profile};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
/// What the bar shows while items are written.
const BAR: &str = "p: writing [";

/// A profile between two folders, `n` events on the local side.
fn setup(root: &Path, n: usize) -> Davsync {
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    for i in 0..n {
        write_file(&a, &format!("e{i}.ics"), &event(&format!("e{i}"), "E", ""));
    }
    let config = root.join("config.toml");
    std::fs::write(&config, vdir_profile("p", "events", &a, &b, &[])).unwrap();
    Davsync::new(BIN, config, root.join("data"))
}

/// Runs `davsync ARGS` on a pseudo-terminal (stdout and stderr both); what
/// the terminal got.
fn on_a_terminal(davsync: &Davsync, args: &[&str]) -> String {
    let mut command = vec![
        BIN.to_string(),
        "--config".into(),
        davsync.config.display().to_string(),
        "--data-dir".into(),
        davsync.data_dir.display().to_string(),
    ];
    command.extend(args.iter().map(|a| a.to_string()));
    let line = command
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .expect("`script` (util-linux) makes the pseudo-terminal: install bsdutils");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_large_run_on_a_terminal_shows_a_bar_then_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let davsync = setup(tmp.path(), 300);
    let terminal = on_a_terminal(&davsync, &["sync"]);
    assert!(terminal.contains(BAR), "{terminal}");
    assert!(terminal.contains("300/300"), "{terminal}");
    assert!(terminal.contains("items/s"), "{terminal}");
    assert!(
        terminal.contains("p: changed local +0 ~0 -0, server +300 ~0 -0"),
        "{terminal}"
    );
}

#[test]
fn no_bar_with_json_quiet_or_a_pipe_nor_for_a_small_quick_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let json = setup(&root.join("json"), 300);
    let terminal = on_a_terminal(&json, &["sync", "--json"]);
    assert!(!terminal.contains(BAR), "{terminal}");
    assert!(terminal.contains("\"created\": 300"), "{terminal}");

    let quiet = setup(&root.join("quiet"), 300);
    let terminal = on_a_terminal(&quiet, &["sync", "--quiet", "--dry-run"]);
    assert!(!terminal.contains(BAR), "{terminal}");
    // The summary line stays; the plan's lines of items do not.
    assert!(terminal.contains("p: would change"), "{terminal}");
    assert!(!terminal.contains("copy to server"), "{terminal}");

    let piped = setup(&root.join("piped"), 300);
    let run = piped.run(&["sync"]);
    run.expect_code(0);
    assert!(
        !run.stderr.contains(BAR) && !run.stdout.contains(BAR),
        "{}",
        run.describe()
    );

    let small = setup(&root.join("small"), 3);
    let terminal = on_a_terminal(&small, &["sync"]);
    assert!(!terminal.contains(BAR), "{terminal}");
}
