//! Crash safety against real servers (Radicale, SOGo): runs of `davsync sync`
//! between a folder and a fresh collection, killed with SIGKILL at random
//! moments while both sides keep changing between runs (the server's side
//! through the DAV API, as another client would), lose nothing, duplicate
//! nothing (no UID at two hrefs on the server, in two files locally), and a
//! clean run afterwards converges to exactly what the edits say.
//!
//! The randomness comes from a seeded generator; the seed is printed in every
//! failure message. `DAVSYNC_KILL_SEED=<n>` replays another seed and
//! `DAVSYNC_KILL_ROUNDS=<n>` runs another number of rounds than the default 36.

use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::cli::{Davsync, Ending, Run, assert_clean, assert_idle};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event_modified;
use davsync_testkit::rng::{Rng, env_or};
use davsync_testkit::servers::{self, PASSWORD_ENV, ServerItem};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const DEFAULT_SEED: u64 = 0x0da7_5eed_2026_0002;
const INITIAL_ITEMS: usize = 60;
const DEFAULT_ROUNDS: u64 = 36;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Local,
    Server,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Local => Side::Server,
            Side::Server => Side::Local,
        }
    }
}

/// The folder's files (name → size, modification time) and the server's
/// hrefs with their ETags: changes when anything is written.
type Signature = (BTreeMap<String, (u64, SystemTime)>, Vec<(String, String)>);

/// The folder, the collection, the expected items and the bookkeeping of the edits.
struct World {
    server: String,
    seed: u64,
    rng: Rng,
    local: PathBuf,
    collection: Collection,
    runtime: tokio::runtime::Runtime,
    davsync: Davsync,
    /// UID → the SUMMARY its latest edit gave it (deleted UIDs are absent).
    model: BTreeMap<String, String>,
    /// UIDs that a run finished without errors has synced (so the status
    /// database knows them); only these are deleted, see `delete_some`.
    known: BTreeSet<String>,
    /// The server's items by UID, as read at the start of the round's edits.
    listing: BTreeMap<String, Vec<ServerItem>>,
    /// Next UID number and next LAST-MODIFIED minute: never reused.
    next_uid: usize,
    next_minute: usize,
    log: Vec<String>,
}

impl World {
    /// Context for every failure message.
    fn context(&self) -> String {
        let tail: Vec<&String> = self.log.iter().rev().take(16).collect();
        format!(
            "{}: seed {:#x} (replay with DAVSYNC_KILL_SEED={}); recent events, newest first: {tail:#?}",
            self.server, self.seed, self.seed
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

    fn file(&self, uid: &str) -> PathBuf {
        self.local.join(format!("{uid}.ics"))
    }

    /// Reads the server's items (between runs, when nothing else writes there).
    fn read_server(&self) -> BTreeMap<String, Vec<ServerItem>> {
        self.runtime
            .block_on(servers::items_by_uid(&self.collection))
    }

    /// What changes when anything is written: the folder's file names, sizes
    /// and modification times, and the server's hrefs and ETags.
    fn signature(&self) -> Signature {
        let files = fs::read_dir(&self.local)
            .unwrap()
            .filter_map(|e| {
                let e = e.ok()?;
                let meta = e.metadata().ok()?;
                Some((
                    e.file_name().to_string_lossy().into_owned(),
                    (meta.len(), meta.modified().ok()?),
                ))
            })
            .collect();
        let mut listed: Vec<(String, String)> = self
            .runtime
            .block_on(self.collection.list())
            .unwrap_or_else(|e| panic!("cannot list the collection: {e}\n{}", self.context()))
            .into_iter()
            .map(|r| (r.href, r.etag))
            .collect();
        listed.sort();
        (files, listed)
    }

    /// The signature once the server has stood still for a moment: a killed
    /// run's last request may still be carried out after the kill, and the
    /// test's next edits must come after it (SOGo, for one, ignores If-Match
    /// on DELETE: a late delete would take the test's edit with it).
    fn quiet_signature(&self) -> Signature {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = self.signature();
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let now = self.signature();
            if now == last {
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "the server kept changing after the kill\n{}",
                self.context()
            );
            last = now;
        }
    }

    /// Whether `side` has `uid` (the server as read at the start of the round).
    fn has(&self, side: Side, uid: &str) -> bool {
        match side {
            Side::Local => self.file(uid).exists(),
            Side::Server => self.listing.contains_key(uid),
        }
    }

    /// Creates or edits `uid` on `side`: a file written as an editor does, or
    /// a PUT to the server as another client does.
    fn write(&mut self, side: Side, uid: &str, summary: String) {
        let body = event_modified(uid, &summary, &self.last_modified());
        match side {
            Side::Local => write_file(&self.local, &format!("{uid}.ics"), &body),
            Side::Server => {
                let existing = self.listing.get(uid).and_then(|items| items.first());
                self.runtime.block_on(servers::put_event(
                    &self.collection,
                    existing,
                    uid,
                    &body,
                    || self.context(),
                ));
            }
        }
        self.model.insert(uid.to_string(), summary);
    }

    fn delete(&mut self, side: Side, uid: &str) {
        match side {
            Side::Local => fs::remove_file(self.file(uid)).unwrap(),
            Side::Server => {
                let item = &self.listing[uid][0];
                if let Err(e) = self
                    .runtime
                    .block_on(self.collection.delete(&item.href, &item.etag))
                {
                    panic!("cannot delete {uid} on the server: {e}\n{}", self.context());
                }
            }
        }
        self.model.remove(uid);
        self.known.remove(uid);
    }

    fn create(&mut self, side: Side, round: usize) -> String {
        let uid = format!("k{:05}", self.next_uid);
        self.next_uid += 1;
        self.write(
            side,
            &uid,
            format!("{uid} created on {side:?} in round {round}"),
        );
        self.log.push(format!("r{round}: create {uid} on {side:?}"));
        uid
    }

    /// A random UID of `pool` not yet touched this round.
    fn pick(&mut self, pool: &BTreeSet<String>, touched: &BTreeSet<String>) -> Option<String> {
        let free: Vec<&String> = pool.difference(touched).collect();
        (!free.is_empty()).then(|| free[self.rng.below(free.len())].clone())
    }

    /// A random side that has `uid` (an item not synced yet may be on one side only).
    fn side_with(&mut self, uid: &str) -> Option<Side> {
        let first = if self.rng.chance(50) {
            Side::Local
        } else {
            Side::Server
        };
        [first, first.other()]
            .into_iter()
            .find(|s| self.has(*s, uid))
    }

    /// One round of edits on both sides: each UID is touched at most once per
    /// round (so never edited on both sides in one round). An edit may meet
    /// an edit of an earlier round that a killed run did not carry over: a
    /// conflict, which the automatic policy settles by LAST-MODIFIED, that
    /// is for the later edit, as the model says.
    fn change_both_sides(&mut self, round: usize) {
        self.listing = self.read_server();
        let mut touched = BTreeSet::new();
        for side in [Side::Local, Side::Server] {
            for _ in 0..self.rng.below(4) {
                touched.insert(self.create(side, round));
            }
        }
        let in_model: BTreeSet<String> = self.model.keys().cloned().collect();
        for _ in 0..2 + self.rng.below(6) {
            let Some(uid) = self.pick(&in_model, &touched) else {
                break;
            };
            touched.insert(uid.clone());
            let Some(side) = self.side_with(&uid) else {
                continue;
            };
            self.write(
                side,
                &uid,
                format!("{uid} edited on {side:?} in round {round}"),
            );
            self.log.push(format!("r{round}: edit {uid} on {side:?}"));
        }
        // Deletes: only UIDs the status database is sure to know. An item a
        // killed run created on the other side just before its status row was
        // written is, to the next run, indistinguishable from an item created
        // there by someone else, and would rightly come back. A delete meeting
        // an unsynced edit of an earlier round wins (automatic policy), and is
        // the later of the two, as the model says.
        let known = self.known.clone();
        for _ in 0..1 + self.rng.below(3) {
            let Some(uid) = self.pick(&known, &touched) else {
                break;
            };
            touched.insert(uid.clone());
            let Some(side) = self.side_with(&uid) else {
                continue;
            };
            self.delete(side, &uid);
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
        if json["ok"] == true
            && report["errors"].as_array().is_some_and(Vec::is_empty)
            && report["warnings"].as_array().is_some_and(Vec::is_empty)
        {
            self.known = self.model.keys().cloned().collect();
        }
    }

    /// Checks that both sides hold exactly the model: each UID once (one
    /// file, one href), with its SUMMARY, the same content on both sides.
    fn check(&self, when: &str) {
        let server = self.read_server();
        servers::assert_agree(&self.local, &server, &self.model, when, || self.context());
    }
}

fn killed_runs_lose_nothing_and_duplicate_nothing(name: &str) {
    let started = Instant::now();
    let seed = env_or("DAVSYNC_KILL_SEED", DEFAULT_SEED);
    let rounds = env_or("DAVSYNC_KILL_ROUNDS", DEFAULT_ROUNDS) as usize;
    let server = servers::get(name);
    let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (local, data, config) = (
        root.join("local"),
        root.join("data"),
        root.join("config.toml"),
    );
    fs::create_dir(&local).unwrap();
    fs::write(
        &config,
        server.profile(
            "kill",
            "events",
            &local,
            &server.url_of(&collection),
            &[("conflicts", "\"automatic\""), ("max_delete", "100")],
        ),
    )
    .unwrap();
    let mut w = World {
        server: name.to_string(),
        seed,
        rng: Rng::new(seed),
        local,
        collection,
        runtime,
        davsync: Davsync::new(BIN, &config, &data).with_env(PASSWORD_ENV, &server.password),
        model: BTreeMap::new(),
        known: BTreeSet::new(),
        listing: BTreeMap::new(),
        next_uid: 0,
        next_minute: 0,
        log: Vec::new(),
    };

    // The initial state: 60 items, two thirds local, a third on the server, synced once.
    for i in 0..INITIAL_ITEMS {
        w.create(
            if i % 3 == 2 {
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
    assert_eq!(w.known.len(), INITIAL_ITEMS, "{json:#}\n{}", w.context());
    w.check("after the initial sync");

    // How long a run with a round's worth of changes takes: the kill window,
    // measured again by every run that finishes. The delay before the kill is
    // drawn from one and a half windows: a run after killed ones carries
    // their work too, and is longer than the window; and some runs should
    // finish (so that their items can be deleted later on).
    w.change_both_sides(0);
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
    let mut window_ms = (window.as_millis() as usize).max(5);
    let first_window_ms = window_ms;

    let (mut killed, mut killed_writing, mut finished) = (0, 0, 0);
    for round in 1..=rounds {
        w.change_both_sides(round);
        let before = w.signature();
        let delay = w.rng.below(window_ms * 3 / 2 + 1);
        let ending = w
            .davsync
            .sync_killed_after(Duration::from_millis(delay as u64), || w.context());
        match ending {
            Ending::Killed => {
                killed += 1;
                let wrote = w.quiet_signature() != before;
                killed_writing += usize::from(wrote);
                w.log.push(format!(
                    "r{round}: killed after {delay} ms{}",
                    if wrote { ", having written" } else { "" }
                ));
            }
            Ending::Finished { code, took, json } => {
                finished += 1;
                window_ms = (took.as_millis() as usize).max(5);
                w.log.push(format!(
                    "r{round}: finished with {code} after {window_ms} ms, before the kill at {delay} ms"
                ));
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
        "{name}, seed {seed:#x}: {rounds} rounds in {:?} with a kill window of {first_window_ms} ms \
         at first, {window_ms} ms at last: \
         {killed} killed ({killed_writing} after writing to a side), {finished} finished",
        started.elapsed()
    );

    // A clean run converges; after a second (SOGo's sync tokens count
    // seconds), a second clean run has nothing to write.
    let (run, json) = w.sync(&[]);
    assert_clean(
        &run,
        &json["reports"][0],
        "clean run after the kills",
        || w.context(),
    );
    w.check("after the clean run");
    let (run, json) = w.sync(&[]);
    assert_idle(&run, &json["reports"][0], "the second clean run", || {
        w.context()
    });
    w.check("after the second clean run");
    let status: Value = serde_json::from_str(&w.davsync.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["profiles"][0]["items"],
        w.model.len(),
        "{status:#}\n{}",
        w.context()
    );
    eprintln!(
        "{name} kill test: {} items at the end, {:?} in all",
        w.model.len(),
        started.elapsed()
    );
}

#[test]
fn radicale_killed_runs_lose_nothing_and_duplicate_nothing() {
    killed_runs_lose_nothing_and_duplicate_nothing("radicale");
}

#[test]
fn sogo_killed_runs_lose_nothing_and_duplicate_nothing() {
    killed_runs_lose_nothing_and_duplicate_nothing("sogo");
}
