//! The order that makes a folder's writes safe against a power cut (see
//! ARCHITECTURE.md, "Durability"): a run's system calls, recorded with
//! `strace` (with the data of each write), show that no write to the status
//! database names an item whose file is not yet durable: put in place
//! (rename, or link for a new one) before a `syncfs` began that has ended
//! by then; and no fsync per file. A kill cannot show this: the page cache
//! survives it.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::vdir_profile;
use davsync_testkit::folder::write_file;
use davsync_testkit::items::{day, event_on};
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const ITEMS: usize = 250;

/// One system call of the trace, with what it did and to what.
#[derive(Debug, PartialEq)]
enum Call {
    /// An item file of the folder put in place: its UID (the file's stem).
    Placed(String),
    /// A `syncfs` began (the number tells its end from another's).
    SyncBegan(usize),
    /// That `syncfs` ended, successfully.
    SyncEnded(usize),
    /// An fsync or fdatasync of an item file (or its temporary file).
    FileSynced(String),
    /// A write to the status database (or its WAL), where it began, with
    /// the data written (from strace's dump after the call).
    StatusWrite(Vec<u8>),
}

/// The bytes of one line of strace's dump of written data
/// (` | 00000  68 65 ...  hello... |`): `None` for any other line.
fn dumped(line: &str) -> Option<Vec<u8>> {
    let rest = line.strip_prefix(" | ")?;
    let hex = rest.get(7..56)?;
    hex.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

/// The calls of an `strace -f -y -e write=all` output that matter here, in
/// order: a call split by another thread's (`<unfinished ...>`, then
/// `<... NAME resumed>`) counts where it ended, but a status write and a
/// `syncfs` where they began (and a `syncfs` ends where it ended).
fn calls(trace: &str, folder: &str) -> Vec<Call> {
    let mut open: HashMap<&str, String> = HashMap::new();
    // The status write of each thread whose data comes next, and of the
    // thread whose call was printed last.
    let mut writes: HashMap<&str, usize> = HashMap::new();
    let mut last_write: Option<usize> = None;
    let mut syncs: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for line in trace.lines() {
        if let Some(bytes) = dumped(line) {
            if let Some(Call::StatusWrite(data)) = last_write.and_then(|i| out.get_mut(i)) {
                data.extend(bytes);
            }
            continue;
        }
        last_write = None;
        let (pid, rest) = line.split_once(' ').unwrap_or(("", line));
        let rest = rest.trim_start();
        let text = if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            if head.starts_with("write(") || head.starts_with("pwrite64(") {
                if is_status_db(head) {
                    writes.insert(pid, out.len());
                    out.push(Call::StatusWrite(Vec::new()));
                }
            } else {
                if head.starts_with("syncfs(") {
                    syncs.insert(pid, out.len());
                    out.push(Call::SyncBegan(out.len()));
                }
                open.insert(pid, head.to_string());
            }
            continue;
        } else if let Some(after) = rest.strip_prefix("<... ") {
            if after.starts_with("write resumed>") || after.starts_with("pwrite64 resumed>") {
                last_write = writes.remove(pid);
                continue;
            }
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
                if let Some(file) = target.strip_prefix(folder)
                    && let Some(uid) = file.strip_suffix(".ics")
                {
                    out.push(Call::Placed(uid.to_string()));
                }
            }
            "syncfs" => {
                let began = match syncs.remove(pid) {
                    Some(began) => began,
                    None => {
                        out.push(Call::SyncBegan(out.len()));
                        out.len() - 1
                    }
                };
                if ok {
                    out.push(Call::SyncEnded(began));
                }
            }
            "fsync" | "fdatasync" if text.contains(folder) => {
                out.push(Call::FileSynced(text.clone()));
            }
            "write" | "pwrite64" if is_status_db(&text) => {
                last_write = Some(out.len());
                out.push(Call::StatusWrite(Vec::new()));
            }
            _ => {}
        }
    }
    out
}

/// Whether a call's text names the status database's files (`.sqlite`,
/// `.sqlite-wal`): not the run's spool beside them, which parks the items
/// read before any is written.
fn is_status_db(call: &str) -> bool {
    call.contains("/status/") && call.contains(".sqlite")
}

/// The UIDs of this test's items (`ev` and three digits) in `data`.
fn uids_in(data: &[u8]) -> BTreeSet<String> {
    data.windows(5)
        .filter(|w| w.starts_with(b"ev") && w[2..].iter().all(u8::is_ascii_digit))
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// Where the order is broken: the first status write naming a UID whose
/// file is not yet durable, with that UID.
fn first_broken(found: &[Call]) -> Option<(usize, String)> {
    let mut placed: Vec<&str> = Vec::new();
    // At each `syncfs`'s beginning, how many files were placed.
    let mut covered: HashMap<usize, usize> = HashMap::new();
    let mut durable: BTreeSet<&str> = BTreeSet::new();
    for (i, call) in found.iter().enumerate() {
        match call {
            Call::Placed(uid) => placed.push(uid),
            Call::SyncBegan(id) => {
                covered.insert(*id, placed.len());
            }
            Call::SyncEnded(id) => durable.extend(&placed[..covered[id]]),
            Call::StatusWrite(data) => {
                if let Some(uid) = uids_in(data)
                    .into_iter()
                    .find(|uid| !durable.contains(uid.as_str()))
                {
                    return Some((i, uid));
                }
            }
            Call::FileSynced(_) => {}
        }
    }
    None
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
        .args(["-f", "-y", "-qq", "-e", "write=all", "-o"])
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
    let syncs = found
        .iter()
        .filter(|c| matches!(c, Call::SyncEnded(_)))
        .count();
    assert!(
        (3..=6).contains(&syncs),
        "a first download syncs once per ten chunks (of 10 here: three times), not per file: \
         {syncs}"
    );
    // Every item's row reaches the database (what the order is checked on).
    let named: BTreeSet<String> = found
        .iter()
        .filter_map(|c| match c {
            Call::StatusWrite(data) => Some(uids_in(data)),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(named.len(), ITEMS, "rows naming every item written");
    // The order.
    if let Some((at, uid)) = first_broken(&found) {
        panic!(
            "the status database was written naming {uid} before its file was durable \
             (call {at} of {}: {:?})",
            found.len(),
            &found[at.saturating_sub(12)..=at]
                .iter()
                .map(|c| match c {
                    Call::StatusWrite(data) => format!("StatusWrite({:?})", uids_in(data)),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        );
    }
}

/// The parser finds what it must, and the order is judged by when a
/// `syncfs` began (a check of the check).
#[test]
fn the_trace_is_read_as_strace_writes_it() {
    let f = "/x/";
    let sample = "10 linkat(AT_FDCWD</x>, \"/x/.davsync-1.tmp\", AT_FDCWD</x>, \"/x/ev001.ics\", 0 <unfinished ...>\n\
         11 pwrite64(7</d/status/p.sqlite-wal>, \"ev000\", 5, 0 <unfinished ...>\n\
         10 <... linkat resumed>) = 0\n\
         11 <... pwrite64 resumed>) = 5\n \
         | 00000  65 76 30 30 30                                    ev000            |\n\
         12 syncfs(9</x> <unfinished ...>\n\
         10 linkat(AT_FDCWD</x>, \"/x/.davsync-2.tmp\", AT_FDCWD</x>, \"/x/ev002.ics\", 0) = 0\n\
         12 <... syncfs resumed>) = 0\n\
         11 pwrite64(7</d/status/p.sqlite-wal>, \"ev001\", 5, 0) = 5\n \
         | 00000  65 76 30 30 31 65 76 30  30 32                    ev001ev002       |\n";
    let found = calls(sample, f);
    assert_eq!(
        found,
        [
            Call::StatusWrite(b"ev000".to_vec()),
            Call::Placed("ev001".into()),
            Call::SyncBegan(2),
            Call::Placed("ev002".into()),
            Call::SyncEnded(2),
            Call::StatusWrite(b"ev001ev002".to_vec()),
        ]
    );
    // ev000 was never placed; ev002 was placed after the syncfs began.
    assert_eq!(first_broken(&found), Some((0, "ev000".into())));
    assert_eq!(first_broken(&found[1..]), Some((4, "ev002".into())));
    let fixed = [
        Call::Placed("ev001".into()),
        Call::SyncBegan(1),
        Call::SyncEnded(1),
        Call::StatusWrite(b"ev001".to_vec()),
    ];
    assert_eq!(first_broken(&fixed), None);
}
