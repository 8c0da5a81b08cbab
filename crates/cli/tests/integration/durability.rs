//! The order that makes a folder's writes safe against a power cut (see
//! ARCHITECTURE.md, "Durability"): a run's system calls, recorded with
//! `strace`, show every item file put in place (rename, or link for a new
//! one) made durable by a `syncfs` before any later write to the status
//! database, which is where the rows naming it commit; and no fsync per
//! file. A kill cannot show this: the page cache survives it.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::vdir_profile;
use davsync_testkit::folder::write_file;
use davsync_testkit::items::{day, event_on};
use std::collections::HashMap;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const ITEMS: usize = 250;

/// One system call of the trace, with what it did and to what.
#[derive(Debug, PartialEq)]
enum Call {
    /// An item file of the folder put in place.
    Placed(String),
    /// A `syncfs`.
    Synced,
    /// An fsync or fdatasync of an item file (or its temporary file).
    FileSynced(String),
    /// A write to the status database (or its WAL).
    StatusWrite,
}

/// The calls of an `strace -f -y` output that matter here, in order: a call
/// split by another thread's (`<unfinished ...>`, then `<... NAME resumed>`)
/// counts where it ended, but a status write where it began.
fn calls(trace: &str, folder: &str) -> Vec<Call> {
    let mut open: HashMap<&str, String> = HashMap::new();
    let mut out = Vec::new();
    for line in trace.lines() {
        let (pid, rest) = line.split_once(' ').unwrap_or(("", line));
        let rest = rest.trim_start();
        let text = if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            if head.starts_with("write(") || head.starts_with("pwrite64(") {
                if head.contains("/status/") {
                    out.push(Call::StatusWrite);
                }
            } else {
                open.insert(pid, head.to_string());
            }
            continue;
        } else if rest.starts_with("<... ") {
            match open.remove(pid) {
                Some(head) => format!("{head}{}", rest.split_once("resumed>").unwrap().1),
                None => continue,
            }
        } else {
            rest.to_string()
        };
        let name = text.split('(').next().unwrap_or("");
        let ok = text.trim_end().ends_with("= 0");
        match name {
            "rename" | "renameat" | "renameat2" | "link" | "linkat" if ok => {
                // The target is the last quoted path.
                let target = text.rsplit('"').nth(1).unwrap_or("");
                if target.starts_with(folder) && target.ends_with(".ics") {
                    out.push(Call::Placed(target.to_string()));
                }
            }
            "syncfs" if ok => out.push(Call::Synced),
            "fsync" | "fdatasync" if text.contains(folder) => {
                out.push(Call::FileSynced(text.clone()));
            }
            "write" | "pwrite64" if text.contains("/status/") => out.push(Call::StatusWrite),
            _ => {}
        }
    }
    out
}

#[test]
fn each_chunk_s_files_are_durable_before_the_status_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (local, server) = (root.join("local"), root.join("server"));
    std::fs::create_dir(&local).unwrap();
    std::fs::create_dir(&server).unwrap();
    for i in 0..ITEMS {
        let uid = format!("ev{i:03}");
        write_file(
            &server,
            &format!("{uid}.ics"),
            &event_on(&uid, &day(i as i64 % 30), "Event"),
        );
    }
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        vdir_profile("p", "events", &local, &server, &[("chunk_size", "10")]),
    )
    .unwrap();
    let trace = root.join("trace");
    let out = Command::new("strace")
        .args(["-f", "-y", "-qq", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=rename,renameat,renameat2,link,linkat,syncfs,fsync,fdatasync,write,pwrite64",
        ])
        .arg(BIN)
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(root.join("data"))
        .args(["sync", "--json"])
        .env_remove("DAVSYNC_CONFIG")
        .env_remove("DAVSYNC_DATA_DIR")
        .output()
        .expect("strace runs (tests/servers/install.sh installs it)");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(&local).unwrap().count(), ITEMS);
    let text = std::fs::read_to_string(&trace).unwrap();
    let folder = format!("{}/", local.display());
    let found = calls(&text, &folder);

    let placed = found
        .iter()
        .filter(|c| matches!(c, Call::Placed(_)))
        .count();
    assert_eq!(placed, ITEMS, "every file put in place once");
    let per_file: Vec<&Call> = found
        .iter()
        .filter(|c| matches!(c, Call::FileSynced(_)))
        .collect();
    assert!(per_file.is_empty(), "no fsync per file: {per_file:?}");
    let syncs = found.iter().filter(|c| **c == Call::Synced).count();
    assert!(
        (3..=6).contains(&syncs),
        "a first download syncs once per ten chunks (of 10 here: three times), not per file: \
         {syncs}"
    );
    // The order: nothing written to the status database while a file put
    // in place is not yet durable.
    let mut waiting: Vec<&str> = Vec::new();
    for call in &found {
        match call {
            Call::Placed(path) => waiting.push(path),
            Call::Synced => waiting.clear(),
            Call::StatusWrite => assert!(
                waiting.is_empty(),
                "the status database was written while {} file(s) were not durable, \
                 such as {}",
                waiting.len(),
                waiting[0]
            ),
            Call::FileSynced(_) => {}
        }
    }
    assert!(waiting.is_empty(), "files left not durable: {waiting:?}");
    // And the parser finds what it must (a check of the check).
    let sample = format!(
        "10 linkat(AT_FDCWD</x>, \"{f}.davsync-1.tmp\", AT_FDCWD</x>, \"{f}a.ics\", 0 <unfinished ...>\n\
         11 pwrite64(7</d/status/p.sqlite-wal>, \"x\", 1, 0) = 1\n\
         10 <... linkat resumed>) = 0\n\
         12 syncfs(9</x>) = 0\n",
        f = folder
    );
    assert_eq!(
        calls(&sample, &folder),
        [
            Call::StatusWrite,
            Call::Placed(format!("{folder}a.ics")),
            Call::Synced
        ]
    );
}
