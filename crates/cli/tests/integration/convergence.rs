//! Convergence with a second client at random moments, against every server
//! of the suite (Radicale, Xandikos, SOGo, and sabre/dav 1.8 for servers
//! without `sync-collection`): between runs of `davsync sync` (two-way, `automatic` or
//! `keep-both`, `max_delete = 100`), a seeded second client creates, edits
//! and deletes items on the server (and in the folder), at once after a run
//! (in the second of davsync's own writes and its sync token), at the start
//! of the next second, or later; often to the very items davsync just wrote,
//! on the side it wrote them to. Some items are changed on both sides, or
//! changed on one and deleted on the other: conflicts, settled by the
//! policy. After every run both sides must hold exactly what a model of the
//! mode and policy says: nothing lost, nothing doubled, nothing resurrected.
//! The same runs with a server on both sides (Radicale as `local`, Xandikos
//! as `server`).
//!
//! The harness is the kill tests' ([`davsync_testkit::world`]); the seed is in
//! every failure message. `DAVSYNC_CONVERGE_SEED=<n>` replays another seed and
//! `DAVSYNC_CONVERGE_ROUNDS=<n>` runs another number of rounds than the default.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::CollectionKind;
use davsync_testkit::cli::{Davsync, assert_clean, assert_idle, toml_string};
use davsync_testkit::rng::env_or;
use davsync_testkit::servers::{self, PASSWORD_ENV, Server};
use davsync_testkit::world::{FolderAndServer, Place, Side, World};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const DEFAULT_SEED: u64 = 0x0da7_5eed_2026_0011;
const DEFAULT_ROUNDS: u64 = 30;
const INITIAL_ITEMS: usize = 16;
/// The password variable of a `local` side that is a server.
const LOCAL_PASSWORD_ENV: &str = "DAVSYNC_TEST_LOCAL_DAV_PASSWORD";

/// The two-way conflict policies the test runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// The later edit wins; a deletion wins over an edit.
    Automatic,
    /// The later edit wins and the other is kept as a copy; an edit wins over a deletion.
    KeepBoth,
}

impl Policy {
    fn name(self) -> &'static str {
        match self {
            Policy::Automatic => "automatic",
            Policy::KeepBoth => "keep-both",
        }
    }
}

/// A conflict copy the keep-both policy is to make in the next run: the
/// losing version of `uid`, which was `summary` on the `side` that lost.
struct ExpectedCopy {
    uid: String,
    summary: String,
    side: Side,
}

/// The test's state beside the world: the policy and what the model cannot
/// say before davsync runs.
struct Test {
    w: World,
    policy: Policy,
    /// Conflict copies the next run makes (their UIDs carry a hash).
    copies: Vec<ExpectedCopy>,
    /// What the last run wrote, by UID, and on which side.
    just_written: Vec<(String, Side)>,
}

/// How long after a run the second client starts.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// At once: in the second of the run's last writes and of its token.
    AtOnce,
    /// As the next wall-clock second begins.
    NextSecond,
    /// After a random pause of up to a second.
    Later(u64),
}

impl Test {
    fn random_side(&mut self) -> Side {
        if self.w.rng.chance(50) {
            Side::Local
        } else {
            Side::Server
        }
    }

    fn edit(&mut self, side: Side, uid: &str, round: usize) -> String {
        let summary = format!("{uid} edited on {} in round {round}", side.name());
        self.w.write(side, uid, summary.clone());
        self.w
            .log
            .push(format!("r{round}: edit {uid} on {}", side.name()));
        summary
    }

    fn delete(&mut self, side: Side, uid: &str, round: usize) {
        self.w.delete(side, uid);
        self.w
            .log
            .push(format!("r{round}: delete {uid} on {}", side.name()));
    }

    /// Both sides write `uid` (an edit, or a new item on both), `first`
    /// before the other: a conflict the later write wins.
    fn both_write(&mut self, first: Side, uid: &str, round: usize, new: bool) {
        let verb = if new { "created" } else { "edited" };
        let mut summaries = Vec::new();
        for side in [first, first.other()] {
            let summary = format!("{uid} {verb} on {} in round {round} (both)", side.name());
            self.w.write(side, uid, summary.clone());
            summaries.push(summary);
        }
        self.w.log.push(format!(
            "r{round}: {verb} {uid} on both sides, {} first",
            first.name()
        ));
        if self.policy == Policy::KeepBoth {
            self.copies.push(ExpectedCopy {
                uid: uid.to_string(),
                summary: summaries.swap_remove(0),
                side: first,
            });
        }
    }

    /// An edit on one side meets a deletion on the other.
    fn edit_meets_delete(&mut self, edited: Side, uid: &str, round: usize) {
        let edit_first = self.w.rng.chance(50);
        let summary = format!("{uid} edited on {} in round {round}", edited.name());
        let edit = |t: &mut Test| t.w.write(edited, uid, summary.clone());
        if edit_first {
            edit(self);
            self.w.delete(edited.other(), uid);
        } else {
            self.w.delete(edited.other(), uid);
            edit(self);
        }
        self.w.log.push(format!(
            "r{round}: edit {uid} on {}, delete it on {} ({} first)",
            edited.name(),
            edited.other().name(),
            if edit_first { "edit" } else { "delete" }
        ));
        match self.policy {
            Policy::Automatic => {
                self.w.model.remove(uid);
            }
            Policy::KeepBoth => {
                self.w.model.insert(uid.to_string(), summary);
            }
        }
    }

    /// One round of the second client (and of edits in the folder).
    fn change(&mut self, round: usize) {
        let moment = match self.w.rng.below(3) {
            0 => Moment::AtOnce,
            1 => Moment::NextSecond,
            _ => Moment::Later(self.w.rng.below(1000) as u64),
        };
        match moment {
            Moment::AtOnce => {}
            Moment::NextSecond => {
                let into = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .subsec_millis();
                std::thread::sleep(Duration::from_millis(u64::from(1000 - into) + 5));
            }
            Moment::Later(ms) => std::thread::sleep(Duration::from_millis(ms)),
        }
        self.w.log.push(format!("r{round}: edits {moment:?}"));
        self.w.refresh();
        let synced: BTreeSet<String> = self.w.model.keys().cloned().collect();
        let mut touched: BTreeSet<String> = BTreeSet::new();
        // Mostly the items the last run wrote, on the side it wrote them to.
        let just: Vec<(String, Side)> = self
            .just_written
            .iter()
            .filter(|(uid, _)| synced.contains(uid))
            .cloned()
            .collect();
        for _ in 0..1 + self.w.rng.below(5) {
            let (uid, side) = if !just.is_empty() && self.w.rng.chance(60) {
                let (uid, side) = just[self.w.rng.below(just.len())].clone();
                if touched.contains(&uid) {
                    continue;
                }
                (uid, side)
            } else {
                let Some(uid) = self.w.pick(&synced, &touched) else {
                    break;
                };
                let side = self.random_side();
                (uid, side)
            };
            touched.insert(uid.clone());
            match self.w.rng.below(100) {
                0..30 => {
                    self.edit(side, &uid, round);
                }
                30..55 => self.delete(side, &uid, round),
                55..75 => self.both_write(side, &uid, round, false),
                75..90 => self.edit_meets_delete(side.other(), &uid, round),
                _ => {
                    self.w.delete(side, &uid);
                    self.w.delete(side.other(), &uid);
                    self.w
                        .log
                        .push(format!("r{round}: delete {uid} on both sides"));
                }
            }
        }
        for side in [Side::Local, Side::Server] {
            for _ in 0..self.w.rng.below(3) {
                self.w.create(side, round);
            }
        }
        if self.w.rng.chance(15) {
            let uid = self.w.new_uid();
            let first = self.random_side();
            self.both_write(first, &uid, round, true);
        }
    }

    /// Gives the conflict copies the last run made their UIDs in the model:
    /// each must be there once, with the losing version's SUMMARY and a note.
    fn take_up_copies(&mut self) {
        if self.copies.is_empty() {
            return;
        }
        let local = self.w.read(Side::Local);
        for copy in std::mem::take(&mut self.copies) {
            let prefix = format!("{}-conflict-", copy.uid);
            let found: Vec<(&String, Option<&str>)> = local
                .iter()
                .filter(|(uid, _)| uid.starts_with(&prefix) && !self.w.model.contains_key(*uid))
                .map(|(uid, items)| (uid, items[0].1.summary()))
                .collect();
            let note = format!(
                "{} (conflict copy: {} version of ",
                copy.summary,
                copy.side.name()
            );
            let [(uid, Some(summary))] = found.as_slice() else {
                panic!(
                    "expected one conflict copy of {} ({note}…), found {found:?}\n{}",
                    copy.uid,
                    self.w.context()
                );
            };
            assert!(
                summary.starts_with(&note),
                "the conflict copy {uid} of {} is {summary:?}, expected {note:?}…\n{}",
                copy.uid,
                self.w.context()
            );
            self.w.model.insert(uid.to_string(), summary.to_string());
        }
    }

    /// A run that must end clean; then both sides must hold the model.
    fn run(&mut self, when: &str) -> Value {
        let (run, json) = self.w.sync(&[]);
        let report = &json["reports"][0];
        assert_clean(&run, report, when, || self.w.context());
        self.just_written = report["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["action"] == "copy")
            .filter_map(|i| {
                let side = match i["to"].as_str()? {
                    "local" => Side::Local,
                    _ => Side::Server,
                };
                Some((i["uid"].as_str()?.to_string(), side))
            })
            .collect();
        let c = davsync_testkit::cli::counts(report);
        self.w.log.push(format!(
            "{when}: local +{} ~{} -{}, server +{} ~{} -{}; {} conflicts",
            c[0], c[1], c[2], c[3], c[4], c[5], report["conflicts"]
        ));
        self.take_up_copies();
        self.w.check(when);
        json
    }
}

/// Runs the rounds on a profile over `places` (the profile is written to
/// `config` by the caller) and checks the model after each.
fn converge(
    name: &str,
    policy: Policy,
    places: [Place; 2],
    runtime: tokio::runtime::Runtime,
    davsync: Davsync,
) {
    let started = Instant::now();
    let seed = env_or("DAVSYNC_CONVERGE_SEED", DEFAULT_SEED);
    let rounds = env_or("DAVSYNC_CONVERGE_ROUNDS", DEFAULT_ROUNDS) as usize;
    let name = format!("{name}, {}", policy.name());
    let mut t = Test {
        w: World::new(
            &name,
            "DAVSYNC_CONVERGE_SEED",
            seed,
            places,
            runtime,
            davsync,
        ),
        policy,
        copies: Vec::new(),
        just_written: Vec::new(),
    };
    t.w.refresh();
    for i in 0..INITIAL_ITEMS {
        let side = if i % 2 == 0 {
            Side::Local
        } else {
            Side::Server
        };
        t.w.create(side, 0);
    }
    t.run("the first sync");
    let mut conflicts = 0;
    for round in 1..=rounds {
        t.change(round);
        let json = t.run(&format!("round {round}"));
        conflicts += json["reports"][0]["conflicts"].as_u64().unwrap_or(0);
    }
    let (run, json) = t.w.sync(&[]);
    assert_idle(
        &run,
        &json["reports"][0],
        "the run after the last round",
        || t.w.context(),
    );
    t.w.check("after the last run");
    t.w.check_status();
    assert!(
        conflicts > 0,
        "no conflict in {rounds} rounds\n{}",
        t.w.context()
    );
    eprintln!(
        "{name}, seed {seed:#x}: {rounds} rounds, {conflicts} conflicts, {} items at the end, {:?}",
        t.w.model.len(),
        started.elapsed()
    );
}

/// A folder synced with a fresh collection of `server_name`.
fn folder_with_server(server_name: &str, policy: Policy) {
    let setup = FolderAndServer::new(
        &servers::get(server_name),
        BIN,
        "converge",
        &[
            ("conflicts", &toml_string(policy.name())),
            ("max_delete", "100"),
            ("time_range", "false"),
        ],
    );
    converge(
        server_name,
        policy,
        setup.places,
        setup.runtime,
        setup.davsync,
    );
    drop(setup.dir);
}

/// A profile whose two sides are fresh collections on two servers.
fn server_with_server(local: &str, remote: &str, policy: Policy) {
    let servers: [Server; 2] = [servers::get(local), servers::get(remote)];
    let [(runtime, a), (_, b)] = servers
        .each_ref()
        .map(|s| s.blocking_collection(CollectionKind::Calendar));
    let collections = [a, b];
    let tmp = tempfile::tempdir().unwrap();
    let (data, config) = (tmp.path().join("data"), tmp.path().join("config.toml"));
    let store = |s: &Server, c: &davsync_dav::Collection, env: &str| {
        format!(
            "{{ type = \"caldav\", url = {}, username = {}, password_env = \"{env}\" }}",
            toml_string(&s.url_of(c)),
            toml_string(&s.user)
        )
    };
    fs::write(
        &config,
        format!(
            "[profiles.converge]\ncontent = \"events\"\nconflicts = {}\nmax_delete = 100\n\
             time_range = false\nlocal = {}\nserver = {}\n",
            toml_string(policy.name()),
            store(&servers[0], &collections[0], LOCAL_PASSWORD_ENV),
            store(&servers[1], &collections[1], PASSWORD_ENV),
        ),
    )
    .unwrap();
    let davsync = Davsync::new(BIN, &config, &data)
        .with_env(LOCAL_PASSWORD_ENV, &servers[0].password)
        .with_env(PASSWORD_ENV, &servers[1].password);
    let [a, b] = collections;
    converge(
        &format!("{local}+{remote}"),
        policy,
        [Place::Collection(a), Place::Collection(b)],
        runtime,
        davsync,
    );
}

/// Both policies on Radicale; one on each other server, the two policies
/// taking turns (each policy meets a server of every kind: with and without
/// sync-collection, with Basic and Digest), which keeps CI within its time.
macro_rules! per_server {
    ($($server:ident: $($policy:ident => $test:ident),+;)*) => {$(
        mod $server {
            use super::*;
            $(
                #[test]
                fn $test() {
                    folder_with_server(stringify!($server), Policy::$policy)
                }
            )+
        }
    )*};
}

per_server! {
    radicale:
        Automatic => a_second_client_at_random_moments_converges_automatic,
        KeepBoth => a_second_client_at_random_moments_converges_keep_both;
    xandikos: KeepBoth => a_second_client_at_random_moments_converges_keep_both;
    sogo: Automatic => a_second_client_at_random_moments_converges_automatic;
    sabredav: KeepBoth => a_second_client_at_random_moments_converges_keep_both;
    davical: Automatic => a_second_client_at_random_moments_converges_automatic;
    cyrus: KeepBoth => a_second_client_at_random_moments_converges_keep_both;
}

#[test]
fn radicale_with_xandikos_converges_automatic() {
    server_with_server("radicale", "xandikos", Policy::Automatic);
}

#[test]
fn radicale_with_xandikos_converges_keep_both() {
    server_with_server("radicale", "xandikos", Policy::KeepBoth);
}
