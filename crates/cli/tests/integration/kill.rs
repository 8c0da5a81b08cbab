//! Crash safety: runs of `davsync sync` killed with SIGKILL at random moments,
//! while both folders keep changing between runs, lose nothing, duplicate
//! nothing and leave nothing behind; a clean run afterwards converges to
//! exactly what the edits say.
//!
//! The randomness comes from a small xorshift with a fixed seed, printed in
//! every failure message; `DAVSYNC_KILL_SEED=<n>` replays another seed and
//! `DAVSYNC_KILL_ROUNDS=<n>` runs more rounds than the default 30.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, Ending, Run, assert_clean, assert_idle, vdir_profile};
use davsync_testkit::folder::{files, items_by_uid, tree, write_file};
use davsync_testkit::items::event_modified;
use davsync_testkit::rng::Rng;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const DEFAULT_SEED: u64 = 0x0da7_5eed_2026_0001;
const INITIAL_ITEMS: usize = 300;
const DEFAULT_ROUNDS: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// The folders, the expected items and the bookkeeping of the edits.
struct World {
    seed: u64,
    rng: Rng,
    root: PathBuf,
    a: PathBuf,
    b: PathBuf,
    davsync: Davsync,
    /// UID → the SUMMARY its latest edit gave it (deleted UIDs are absent).
    model: BTreeMap<String, String>,
    /// UIDs that a run finished without errors has synced (so the status
    /// database knows them); only these are deleted, see `delete_some`.
    known: BTreeSet<String>,
    /// Next UID number and next LAST-MODIFIED minute: never reused.
    next_uid: usize,
    next_minute: usize,
    log: Vec<String>,
}

impl World {
    fn dir(&self, side: Side) -> &Path {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// Context for every failure message.
    fn context(&self) -> String {
        let tail: Vec<&String> = self.log.iter().rev().take(12).collect();
        format!(
            "seed {:#x} (replay with DAVSYNC_KILL_SEED={}); recent events, newest first: {tail:?}",
            self.seed, self.seed
        )
    }

    /// A strictly increasing LAST-MODIFIED, so that with the automatic policy
    /// the latest edit always wins a conflict, as the model assumes.
    fn last_modified(&mut self) -> String {
        let n = self.next_minute;
        self.next_minute += 1;
        assert!(
            n < 27 * 24 * 60,
            "too many edits for the LAST-MODIFIED scheme"
        );
        format!(
            "202602{:02}T{:02}{:02}00Z",
            1 + n / 1440,
            (n / 60) % 24,
            n % 60
        )
    }

    fn file(uid: &str) -> String {
        format!("{uid}.ics")
    }

    /// Whether `side` currently has the file of `uid` (the test's UIDs are
    /// plain, so davsync names their files `<uid>.ics` too).
    fn has(&self, side: Side, uid: &str) -> bool {
        self.dir(side).join(Self::file(uid)).exists()
    }

    fn write(&mut self, side: Side, uid: &str, summary: String) {
        let body = event_modified(uid, &summary, &self.last_modified());
        write_file(self.dir(side), &Self::file(uid), &body);
        self.model.insert(uid.to_string(), summary);
    }

    fn create(&mut self, side: Side, round: usize) {
        let uid = format!("k{:05}", self.next_uid);
        self.next_uid += 1;
        self.write(
            side,
            &uid,
            format!("{uid} created on {side:?} in round {round}"),
        );
        self.log.push(format!("r{round}: create {uid} on {side:?}"));
    }

    /// A random UID of `pool` not yet touched this round.
    fn pick(&mut self, pool: &BTreeSet<String>, touched: &BTreeSet<String>) -> Option<String> {
        let free: Vec<&String> = pool.difference(touched).collect();
        (!free.is_empty()).then(|| free[self.rng.below(free.len())].clone())
    }

    /// One round of edits on both folders: each UID is touched at most once
    /// per round (so never edited on both sides in one round).
    fn change_both_folders(&mut self, round: usize) {
        let mut touched = BTreeSet::new();
        for side in [Side::A, Side::B] {
            for _ in 0..self.rng.below(6) {
                self.create(side, round);
                touched.insert(format!("k{:05}", self.next_uid - 1));
            }
        }
        let in_model: BTreeSet<String> = self.model.keys().cloned().collect();
        for _ in 0..4 + self.rng.below(13) {
            let Some(uid) = self.pick(&in_model, &touched) else {
                break;
            };
            touched.insert(uid.clone());
            let first = if self.rng.chance(50) {
                Side::A
            } else {
                Side::B
            };
            // An item not synced yet may be on one side only.
            let Some(side) = [first, other(first)]
                .into_iter()
                .find(|s| self.has(*s, &uid))
            else {
                continue;
            };
            self.write(
                side,
                &uid,
                format!("{uid} edited on {side:?} in round {round}"),
            );
            self.log.push(format!("r{round}: edit {uid} on {side:?}"));
        }
        self.delete_some(round, &mut touched);
    }

    /// Deletes a few items, on either side. Only UIDs the status database is
    /// sure to know are deleted: an item a killed run created on the other
    /// side just before its status row was written is, to the next run,
    /// indistinguishable from an item created there by the user, and would
    /// rightly come back.
    fn delete_some(&mut self, round: usize, touched: &mut BTreeSet<String>) {
        let known = self.known.clone();
        for _ in 0..1 + self.rng.below(6) {
            let Some(uid) = self.pick(&known, touched) else {
                break;
            };
            touched.insert(uid.clone());
            let first = if self.rng.chance(50) {
                Side::A
            } else {
                Side::B
            };
            let Some(side) = [first, other(first)]
                .into_iter()
                .find(|s| self.has(*s, &uid))
            else {
                continue;
            };
            fs::remove_file(self.dir(side).join(Self::file(&uid))).unwrap();
            self.model.remove(&uid);
            self.known.remove(&uid);
            self.log.push(format!("r{round}: delete {uid} on {side:?}"));
        }
    }

    /// `sync --json ARGS…` to the end.
    fn sync(&self, args: &[&str]) -> (Run, Value) {
        self.davsync.sync_json(args, || self.context())
    }

    /// After a run that finished without errors or warnings, everything in
    /// the model is synced and known to the status database.
    fn settled(&mut self, json: &Value) {
        let report = &json["reports"][0];
        if json["ok"] == true && report["warnings"].as_array().is_some_and(Vec::is_empty) {
            self.known = self.model.keys().cloned().collect();
        }
    }

    /// Checks that `side` holds exactly the model: each UID in one file, with its SUMMARY.
    fn check_folder(&self, side: Side) {
        let dir = self.dir(side);
        let found = items_by_uid(dir, "ics");
        let mut problems = Vec::new();
        for (uid, files) in &found {
            if files.len() != 1 {
                let names: Vec<&String> = files.iter().map(|f| &f.0).collect();
                problems.push(format!("{uid} is held by {} files: {names:?}", files.len()));
            }
            match self.model.get(uid) {
                None => problems.push(format!("{uid} should not exist (deleted or never created)")),
                Some(expected) => {
                    for (name, item) in files {
                        if item.summary() != Some(expected.as_str()) {
                            problems.push(format!(
                                "{uid} in {name}: {:?}, expected {expected:?}",
                                item.summary()
                            ));
                        }
                    }
                }
            }
        }
        for uid in self.model.keys() {
            if !found.contains_key(uid) {
                problems.push(format!("{uid} is lost"));
            }
        }
        assert!(
            problems.is_empty(),
            "folder {side:?} differs from the model ({} items expected, {} found): {problems:#?}\n{}",
            self.model.len(),
            found.len(),
            self.context()
        );
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::A => Side::B,
        Side::B => Side::A,
    }
}

/// Names, sizes and modification times of the files in `dir`: changes when anything is written.
fn signature(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let meta = e.metadata().ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                (meta.len(), meta.modified().ok()?),
            ))
        })
        .collect()
}

#[test]
fn killed_runs_lose_nothing_and_duplicate_nothing() {
    let started = Instant::now();
    // DAVSYNC_KILL_SEED and DAVSYNC_KILL_ROUNDS replay or extend the test.
    let seed = std::env::var("DAVSYNC_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let rounds = std::env::var("DAVSYNC_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (a, b, data, config) = (
        root.join("a"),
        root.join("b"),
        root.join("data"),
        root.join("config.toml"),
    );
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    fs::write(
        &config,
        vdir_profile("kill", "events", &a, &b, &[("conflicts", "\"automatic\"")]),
    )
    .unwrap();
    let mut w = World {
        seed,
        rng: Rng::new(seed),
        root: root.clone(),
        a,
        b,
        davsync: Davsync::new(BIN, &config, &data),
        model: BTreeMap::new(),
        known: BTreeSet::new(),
        next_uid: 0,
        next_minute: 0,
        log: Vec::new(),
    };

    // The initial state: 300 items, most on A, some on B, synced once.
    for i in 0..INITIAL_ITEMS {
        w.create(if i % 4 == 3 { Side::B } else { Side::A }, 0);
    }
    let (run, json) = w.sync(&[]);
    assert_eq!(
        run.code,
        Some(0),
        "initial sync: {}\n{}",
        run.describe(),
        w.context()
    );
    w.settled(&json);
    w.check_folder(Side::A);
    w.check_folder(Side::B);
    assert_eq!(w.known.len(), INITIAL_ITEMS);

    // How long a run with a round's worth of changes takes: the kill window.
    w.change_both_folders(0);
    let t0 = Instant::now();
    let (run, json) = w.sync(&["--force"]);
    let window = t0.elapsed();
    assert_eq!(
        run.code,
        Some(0),
        "calibration run: {}\n{}",
        run.describe(),
        w.context()
    );
    w.settled(&json);
    w.check_folder(Side::A);
    w.check_folder(Side::B);
    let window_ms = (window.as_millis() as usize).max(5);

    let (mut killed, mut killed_writing, mut finished) = (0, 0, 0);
    for round in 1..=rounds {
        w.change_both_folders(round);
        let before = (signature(&w.a), signature(&w.b));
        let delay = w.rng.below(window_ms + 1);
        let ending = w
            .davsync
            .sync_killed_after(Duration::from_millis(delay as u64), || w.context());
        match ending {
            Ending::Killed => {
                killed += 1;
                if (signature(&w.a), signature(&w.b)) != before {
                    killed_writing += 1;
                }
                w.log.push(format!("r{round}: killed after {delay} ms"));
            }
            Ending::Finished { code, json, .. } => {
                finished += 1;
                w.log
                    .push(format!("r{round}: finished with {code} before {delay} ms"));
                assert_eq!(
                    code,
                    0,
                    "round {round}: a finished run failed: {json:#}\n{}",
                    w.context()
                );
                w.settled(&json);
            }
        }
    }
    eprintln!(
        "seed {seed:#x}: {rounds} rounds in {:?} with a kill window of {window_ms} ms: \
         {killed} killed ({killed_writing} after writing to a folder), {finished} finished",
        started.elapsed()
    );

    // Hidden files are never items: a hidden copy of an item, as an editor's
    // temp file, and a hidden file with a UID of its own stay where they are.
    let decoy = event_modified("hidden-decoy", "Hidden", "20260101T000000Z");
    fs::write(w.a.join(".decoy.ics"), &decoy).unwrap();
    fs::write(w.a.join(".davsync-decoy.tmp"), &decoy).unwrap();
    if let Some(uid) = w.model.keys().next().cloned() {
        let body = fs::read_to_string(w.a.join(format!("{uid}.ics"))).unwrap_or_default();
        fs::write(w.b.join(format!(".{uid}.ics.swp")), body).unwrap();
    }

    // Clean runs, without --force: the first converges, the second writes nothing.
    // They start at once, while files are still in the vdir store's 2 s "racy"
    // window, so files aging out of it during a run are exercised as well.
    let (run, json) = w.sync(&[]);
    let report = &json["reports"][0];
    assert_clean(&run, report, "clean run after the kills", || w.context());
    for line in report["items"].as_array().unwrap() {
        assert!(
            !line["uid"].as_str().unwrap_or("").contains("decoy"),
            "a hidden file was synced: {line:#}"
        );
    }
    w.check_folder(Side::A);
    w.check_folder(Side::B);
    let (run, json) = w.sync(&[]);
    let report = &json["reports"][0];
    assert_idle(&run, report, "the second clean run", || w.context());
    assert!(report["items"].as_array().unwrap().is_empty(), "{report:#}");
    w.check_folder(Side::A);
    w.check_folder(Side::B);
    let status: Value = serde_json::from_str(&w.davsync.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["profiles"][0]["items"],
        w.model.len(),
        "{status:#}\n{}",
        w.context()
    );

    // Nothing outside the folders but the data directory and the configuration.
    let top: BTreeSet<String> = fs::read_dir(&w.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = ["a", "b", "data", "config.toml"].map(String::from).into();
    assert_eq!(top, expected, "{}", w.context());
    let data_top: BTreeSet<String> = fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in &data_top {
        assert!(
            ["status", "reports", "locks", "trash"].contains(&name.as_str()),
            "data/{name}"
        );
    }
    // Inside the folders: items, killed runs' hidden temp files, and the decoys.
    for side in [Side::A, Side::B] {
        let dir = w.dir(side);
        let items = files(dir, "ics");
        assert_eq!(items.len(), w.model.len(), "{side:?}");
        for path in tree(dir) {
            let name = path.to_string_lossy().into_owned();
            let allowed = items.contains_key(&name)
                || (name.starts_with(".davsync-") && name.ends_with(".tmp"))
                || name == ".decoy.ics"
                || name.ends_with(".ics.swp");
            assert!(
                allowed,
                "unexpected file {name} in {side:?}\n{}",
                w.context()
            );
        }
    }
    assert!(!w.b.join(".decoy.ics").exists() && !w.b.join("hidden-decoy.ics").exists());
    let elapsed = started.elapsed();
    eprintln!(
        "kill test: {} items at the end, {elapsed:?} in all",
        w.model.len()
    );
}
