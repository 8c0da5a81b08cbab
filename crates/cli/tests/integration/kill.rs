//! Crash safety: runs of `davsync sync` killed with SIGKILL at random moments,
//! while both folders keep changing between runs, lose nothing, duplicate
//! nothing and leave nothing behind; a clean run afterwards converges to
//! exactly what the edits say. The harness (the two folders, the model, the
//! edits, the checks) is `testkit::world`, as for `server_kill.rs`.
//!
//! The randomness comes from a seeded generator; the seed is printed in every
//! failure message. `DAVSYNC_KILL_SEED=<n>` replays another seed and
//! `DAVSYNC_KILL_ROUNDS=<n>` runs another number of rounds than the default 30.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::Ending;
use davsync_testkit::items::event_modified;
use davsync_testkit::rng::env_or;
use davsync_testkit::world::{EditCounts, Side, TwoFolders, World};
use std::fs;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const DEFAULT_SEED: u64 = 0x0da7_5eed_2026_0001;
const INITIAL_ITEMS: usize = 300;
const DEFAULT_ROUNDS: u64 = 30;

/// A round's edits: up to 5 new items on each folder, 4 to 16 edits, 1 to 6 deletes.
const EDITS: EditCounts = EditCounts {
    creates: 0..6,
    edits: 4..17,
    deletes: 1..7,
};

#[test]
fn killed_runs_lose_nothing_and_duplicate_nothing() {
    let started = Instant::now();
    let seed = env_or("DAVSYNC_KILL_SEED", DEFAULT_SEED);
    let rounds = env_or("DAVSYNC_KILL_ROUNDS", DEFAULT_ROUNDS) as usize;
    let TwoFolders {
        dir,
        runtime,
        places,
        davsync,
    } = TwoFolders::new(BIN, "kill", &[("conflicts", "\"automatic\"")]);
    let mut w = World::new(
        "two folders",
        "DAVSYNC_KILL_SEED",
        seed,
        places,
        runtime,
        davsync,
    );

    // The initial state: 300 items, most local, some on the other side, synced once.
    for i in 0..INITIAL_ITEMS {
        w.create(
            if i % 4 == 3 {
                Side::Server
            } else {
                Side::Local
            },
            0,
        );
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
    w.check("after the initial sync");
    assert_eq!(w.known.len(), INITIAL_ITEMS, "{json:#}\n{}", w.context());

    // How long a run with a round's worth of changes takes: the kill window.
    w.change_both_sides(0, &EDITS);
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
    w.check("after the calibration run");
    let window_ms = (window.as_millis() as usize).max(5);

    let (mut killed, mut killed_writing, mut finished) = (0, 0, 0);
    for round in 1..=rounds {
        w.change_both_sides(round, &EDITS);
        let before = w.signature();
        let delay = w.rng.below(window_ms + 1);
        let ending = w
            .davsync
            .sync_killed_after(Duration::from_millis(delay as u64), || w.context());
        match ending {
            Ending::Killed => {
                killed += 1;
                let wrote = w.signature() != before;
                killed_writing += usize::from(wrote);
                w.log.push(format!(
                    "r{round}: killed after {delay} ms{}",
                    if wrote { ", having written" } else { "" }
                ));
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
    let (local, server) = (w.folder(Side::Local), w.folder(Side::Server));
    let decoy = event_modified("hidden-decoy", "Hidden", "20260101T000000Z");
    fs::write(local.join(".decoy.ics"), &decoy).unwrap();
    fs::write(local.join(".davsync-decoy.tmp"), &decoy).unwrap();
    if let Some(uid) = w.model.keys().next() {
        let body = fs::read_to_string(local.join(format!("{uid}.ics"))).unwrap_or_default();
        fs::write(server.join(format!(".{uid}.ics.swp")), body).unwrap();
    }

    // Clean runs, without --force: the first converges, the second writes nothing.
    // They start at once, while files are still in the vdir store's 2 s "racy"
    // window, so files aging out of it during a run are exercised as well.
    let [first, second] = w.clean_runs("the kills");
    for line in first["items"].as_array().unwrap() {
        assert!(
            !line["uid"].as_str().unwrap_or("").contains("decoy"),
            "a hidden file was synced: {line:#}\n{}",
            w.context()
        );
    }
    assert!(
        second["items"].as_array().unwrap().is_empty(),
        "{second:#}\n{}",
        w.context()
    );

    // Nothing left behind but items, killed runs' hidden temp files, and the decoys.
    w.check_left_behind(dir.path(), |name| {
        (name.starts_with(".davsync-") && name.ends_with(".tmp"))
            || name == ".decoy.ics"
            || name.ends_with(".ics.swp")
    });
    let (local, server) = (w.folder(Side::Local), w.folder(Side::Server));
    assert!(local.join(".decoy.ics").exists(), "{}", w.context());
    assert!(
        !server.join(".decoy.ics").exists() && !server.join("hidden-decoy.ics").exists(),
        "{}",
        w.context()
    );
    eprintln!(
        "kill test: {} items at the end, {:?} in all",
        w.model.len(),
        started.elapsed()
    );
}
