//! Fault injection end to end: `davsync sync` between a folder and a real
//! server (Radicale, SOGo) reached through a proxy that drops connections
//! before and after the server saw the request, delays, answers 500/503
//! itself and cuts answers short. Runs may fail while that goes on; run
//! again, they come to a clean end, and then nothing is lost and nothing is
//! duplicated (no UID in two files, none at two hrefs on the server), and a
//! run straight to the server, without the proxy, has nothing left to do.
//!
//! The proxy's choices come from a fixed seed, printed in every failure
//! message; `DAVSYNC_FAULT_SEED=<n>` tries another.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::cli::{Davsync, Run, assert_clean, assert_idle, counts};
use davsync_testkit::faults::{FaultProxy, Rates, origin};
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items::event_modified;
use davsync_testkit::rng::{Rng, env_or};
use davsync_testkit::servers::{self, PASSWORD_ENV, ServerItem};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const DEFAULT_SEED: u64 = 20_261_124;
const LOCAL_ITEMS: usize = 200;
const SERVER_ITEMS: usize = 100;
/// Runs through the proxy before one must have come to a clean end.
const MAX_RUNS: usize = 10;
const PROFILE: &str = "faults";

const RATES: Rates = Rates {
    drop: 0.05,
    drop_after: 0.05,
    error: 0.1,
    delay: 0.05,
    truncate: 0.03,
};

struct Fixture {
    server: String,
    seed: u64,
    rng: Rng,
    runtime: tokio::runtime::Runtime,
    /// The collection, reached directly (for the test's own edits and checks).
    collection: Collection,
    local: PathBuf,
    proxy: FaultProxy,
    /// The profile with the proxy's URL, and the same profile (same name, same
    /// data directory, so the same status database) with the server's own.
    proxied: Davsync,
    direct: Davsync,
    /// UID → the SUMMARY its latest edit gave it (deleted UIDs are absent).
    model: BTreeMap<String, String>,
    next_minute: usize,
    log: Vec<String>,
}

impl Fixture {
    fn context(&self) -> String {
        format!(
            "{} behind the fault proxy, seed {} (try another with DAVSYNC_FAULT_SEED=<n>); \
             runs so far: {:#?}",
            self.server, self.seed, self.log
        )
    }

    /// A strictly increasing LAST-MODIFIED for every edit.
    fn last_modified(&mut self) -> String {
        let n = self.next_minute;
        self.next_minute += 1;
        format!(
            "202603{:02}T{:02}{:02}00Z",
            1 + n / 1440,
            (n / 60) % 24,
            n % 60
        )
    }

    fn read_server(&self) -> BTreeMap<String, Vec<ServerItem>> {
        self.runtime
            .block_on(servers::items_by_uid(&self.collection))
    }

    fn write_local(&mut self, uid: &str, summary: String) {
        let body = event_modified(uid, &summary, &self.last_modified());
        write_file(&self.local, &format!("{uid}.ics"), &body);
        self.model.insert(uid.to_string(), summary);
    }

    /// Creates `uid` on the server, or replaces `existing` with a new version.
    fn write_server(&mut self, uid: &str, summary: String, existing: Option<&ServerItem>) {
        let body = event_modified(uid, &summary, &self.last_modified());
        self.runtime.block_on(servers::put_event(
            &self.collection,
            existing,
            uid,
            &body,
            || self.context(),
        ));
        self.model.insert(uid.to_string(), summary);
    }

    /// `sync --json` with `davsync`: the run and its JSON.
    fn sync(&self, davsync: &Davsync) -> (Run, Value) {
        davsync.sync_json(&[], || self.context())
    }

    /// Runs through the proxy until one comes to a clean end (exit code 0, no
    /// error, no warning, no item failed); after every run, failed or not,
    /// no UID may be twice on a side.
    fn sync_until_clean(&mut self, phase: &str) {
        for attempt in 1..=MAX_RUNS {
            let seen = self.proxy.faults().len();
            let t0 = Instant::now();
            let (run, json) = self.sync(&self.proxied);
            let elapsed = t0.elapsed();
            let faults: Vec<String> = self.proxy.faults().split_off(seen);
            let report = &json["reports"][0];
            let errors = report["errors"].as_array().map_or(0, Vec::len);
            let warnings = report["warnings"].as_array().map_or(0, Vec::len);
            let failed = report["items"].as_array().map_or(0, |items| {
                items.iter().filter(|i| i["outcome"] == "failed").count()
            });
            let clean = run.code == Some(0) && errors + warnings + failed == 0;
            self.log.push(format!(
                "{phase} run {attempt}: exit {:?} after {elapsed:?}, {errors} errors, {warnings} \
                 warnings, {failed} items failed, {} faults ({}), writes {:?}",
                run.code,
                faults.len(),
                fault_counts(&faults),
                counts(report),
            ));
            // What went wrong, in short: each kind of message once, with a count.
            let mut messages: BTreeMap<String, usize> = BTreeMap::new();
            for m in ["errors", "warnings"]
                .iter()
                .flat_map(|k| report[k].as_array().into_iter().flatten())
            {
                let text = m["message"].as_str().unwrap_or("").to_string();
                *messages.entry(text).or_default() += 1;
            }
            for line in report["items"].as_array().into_iter().flatten() {
                if line["outcome"] == "failed" {
                    let text = line["message"].as_str().unwrap_or("").to_string();
                    *messages.entry(format!("item: {text}")).or_default() += 1;
                }
            }
            for (text, n) in messages {
                self.log.push(format!("    {n} × {text}"));
            }
            self.check_no_duplicates(&format!("{phase} run {attempt}"), &faults, report);
            if clean {
                return;
            }
        }
        panic!(
            "{phase}: no clean run in {MAX_RUNS}; the last report: {:#}\n{}",
            self.sync(&self.proxied).1,
            self.context()
        );
    }

    /// Panics when a UID is in two files or at two hrefs, naming the run and
    /// the faults it met (the lines on the UID's hrefs first).
    fn check_no_duplicates(&self, when: &str, faults: &[String], report: &Value) {
        let local = items_by_uid(&self.local, "ics");
        let server = self.read_server();
        let mut problems = Vec::new();
        let mut related = BTreeSet::new();
        for (uid, files) in local.iter().filter(|(_, f)| f.len() > 1) {
            let names: Vec<&String> = files.iter().map(|f| &f.0).collect();
            problems.push(format!(
                "{uid} is in {} local files: {names:?}",
                files.len()
            ));
        }
        for (uid, items) in server.iter().filter(|(_, i)| i.len() > 1) {
            let hrefs: Vec<&String> = items.iter().map(|i| &i.href).collect();
            problems.push(format!("{uid} is on the server at {hrefs:?}"));
            for href in hrefs {
                let name = href.rsplit('/').next().unwrap_or(href);
                related.extend(faults.iter().filter(|f| f.contains(name)).cloned());
            }
        }
        assert!(
            problems.is_empty(),
            "{when}: duplicates: {problems:#?}\nfaults on their hrefs: {related:#?}\n\
             all faults of the run: {faults:#?}\nthe run's report: {report:#}\n{}",
            self.context()
        );
    }

    /// Checks that both sides hold exactly the model.
    fn check(&self, when: &str) {
        let server = self.read_server();
        servers::assert_agree(&self.local, &server, &self.model, when, || self.context());
    }

    /// Edits, deletes and creates on both sides, no UID touched twice.
    fn change_both_sides(&mut self) {
        let listing = self.read_server();
        let mut pool: Vec<String> = self.model.keys().cloned().collect();
        let mut take = |rng: &mut Rng| pool.swap_remove(rng.below(pool.len()));
        let (mut local_edits, mut local_deletes, mut server_edits, mut server_deletes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..20 {
            local_edits.push(take(&mut self.rng));
            server_edits.push(take(&mut self.rng));
        }
        for _ in 0..10 {
            local_deletes.push(take(&mut self.rng));
            server_deletes.push(take(&mut self.rng));
        }
        for uid in local_edits {
            self.write_local(&uid, format!("{uid} edited locally"));
        }
        for uid in server_edits {
            let item = &listing[&uid][0];
            self.write_server(&uid, format!("{uid} edited on the server"), Some(item));
        }
        for uid in local_deletes {
            fs::remove_file(self.local.join(format!("{uid}.ics"))).unwrap();
            self.model.remove(&uid);
        }
        for uid in server_deletes {
            let item = &listing[&uid][0];
            if let Err(e) = self
                .runtime
                .block_on(self.collection.delete(&item.href, &item.etag))
            {
                panic!("cannot delete {uid} on the server: {e}\n{}", self.context());
            }
            self.model.remove(&uid);
        }
        for i in 0..20 {
            self.write_local(&format!("l2-{i:03}"), format!("New local item {i}"));
            self.write_server(&format!("s2-{i:03}"), format!("New server item {i}"), None);
        }
    }
}

/// How many faults of each kind `faults` (log lines) holds.
fn fault_counts(faults: &[String]) -> String {
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for line in faults {
        *by_kind
            .entry(line.split(' ').next().unwrap_or(""))
            .or_default() += 1;
    }
    by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn faulty_connections_lose_nothing_and_duplicate_nothing(name: &str) {
    let started = Instant::now();
    let seed = env_or("DAVSYNC_FAULT_SEED", DEFAULT_SEED);
    let server = servers::get(name);
    let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
    let direct_url = server.url_of(&collection);
    let proxy = FaultProxy::start(
        &origin(&server.base_url),
        RATES,
        seed,
        Duration::from_millis(300),
    );
    let proxied_url = proxy.url(&direct_url);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (local, data) = (root.join("local"), root.join("data"));
    fs::create_dir(&local).unwrap();
    // Retries pause (half a second, doubled each time, or as Retry-After
    // says): more requests in flight keep the runs short.
    let extra = [("conflicts", "\"automatic\""), ("concurrency", "16")];
    let config = |file: &str, url: &str| {
        let path = root.join(file);
        fs::write(
            &path,
            server.profile(PROFILE, "events", &local, url, &extra),
        )
        .unwrap();
        Davsync::new(BIN, path, &data).with_env(PASSWORD_ENV, &server.password)
    };
    let mut f = Fixture {
        server: name.to_string(),
        seed,
        rng: Rng::new(seed),
        proxied: config("proxied.toml", &proxied_url),
        direct: config("direct.toml", &direct_url),
        runtime,
        collection,
        local,
        proxy,
        model: BTreeMap::new(),
        next_minute: 0,
        log: Vec::new(),
    };

    // 200 items in the folder, 100 on the server (put there directly).
    for i in 0..LOCAL_ITEMS {
        f.write_local(&format!("l{i:03}"), format!("Local item {i}"));
    }
    for i in 0..SERVER_ITEMS {
        f.write_server(&format!("s{i:03}"), format!("Server item {i}"), None);
    }
    f.log.push(format!("set up in {:?}", started.elapsed()));
    f.sync_until_clean("first sync");
    f.check("after the first sync");

    // Changes on both sides, synced through the proxy again.
    f.change_both_sides();
    f.sync_until_clean("sync of the changes");
    f.check("after the sync of the changes");

    // Straight to the server: nothing left to do.
    let (run, json) = f.sync(&f.direct);
    let report = &json["reports"][0];
    f.log.push(format!(
        "direct run: exit {:?}, writes {:?}",
        run.code,
        counts(report)
    ));
    assert_clean(&run, report, "the run without the proxy", || f.context());
    assert_idle(&run, report, "the run without the proxy", || f.context());
    f.check("after the run without the proxy");
    let status: Value = serde_json::from_str(&f.direct.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["profiles"][0]["items"],
        f.model.len(),
        "{status:#}\n{}",
        f.context()
    );

    for fault in ["drop", "drop_after", "error"] {
        assert!(
            f.proxy.injected(fault) > 0,
            "no {fault} fault was injected\n{}",
            f.context()
        );
    }
    eprintln!(
        "{name}: {} items, {} faults injected ({}), {:?} in all; runs: {:#?}",
        f.model.len(),
        f.proxy.faults().len(),
        fault_counts(&f.proxy.faults()),
        started.elapsed(),
        f.log
    );
}

#[test]
fn radicale_faulty_connections_lose_nothing_and_duplicate_nothing() {
    faulty_connections_lose_nothing_and_duplicate_nothing("radicale");
}

#[test]
fn sogo_faulty_connections_lose_nothing_and_duplicate_nothing() {
    faulty_connections_lose_nothing_and_duplicate_nothing("sogo");
}
