//! `davsync daemon` as a real process against real servers (Radicale and
//! SOGo): local changes reach the server without any `sync` command, server
//! changes arrive within the interval, davsync's own writes start no run,
//! SIGHUP takes up a new profile, SIGTERM ends it cleanly (also during a
//! large first sync, which the next run finishes without duplicates), a
//! stopped server is offline (warnings) and caught up with when it is back,
//! and a second daemon on the same data directory refuses. Bounds are
//! generous: the machine may be a loaded 2-core one.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::cli::Davsync;
use davsync_testkit::faults::{FaultProxy, origin};
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items::event;
use davsync_testkit::servers::{self, PASSWORD_ENV, Server, put_event};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
/// The longest wait for something the daemon is to do.
const WITHIN: Duration = Duration::from_secs(30);

/// A daemon process, its output in files; killed if still running when dropped.
struct Daemon {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Daemon {
    fn start(davsync: &Davsync, dir: &Path, name: &str) -> Daemon {
        let (out, err) = (
            dir.join(format!("{name}.out")),
            dir.join(format!("{name}.err")),
        );
        let child = davsync
            .command(&["daemon"])
            .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
            .spawn()
            .unwrap();
        Daemon { child, out, err }
    }

    /// What it printed so far.
    fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            std::fs::read_to_string(&self.out).unwrap_or_default(),
            std::fs::read_to_string(&self.err).unwrap_or_default()
        )
    }

    /// Its summary lines of profile `name` (one per run).
    fn runs_of(&self, name: &str) -> usize {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(&format!("{name}: ")))
            .count()
    }

    /// Sends `signal` (`TERM`, `HUP`, ...) with kill(1).
    fn signal(&self, signal: &str) {
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal}");
    }

    /// Sends SIGTERM and waits for the exit; its exit code.
    fn terminate(mut self) -> (Option<i32>, String) {
        self.signal("TERM");
        let deadline = Instant::now() + WITHIN;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), self.output());
            }
            assert!(
                Instant::now() < deadline,
                "no exit after SIGTERM\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done()` holds, for up to [`WITHIN`]; panics with `what`.
#[track_caller]
fn eventually(what: &str, context: impl Fn() -> String, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WITHIN;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {WITHIN:?}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The UIDs of a collection, sorted (a UID at two hrefs shows twice).
fn server_uids(runtime: &tokio::runtime::Runtime, collection: &Collection) -> Vec<String> {
    runtime.block_on(async {
        servers::items_by_uid(collection)
            .await
            .into_iter()
            .flat_map(|(uid, items)| std::iter::repeat_n(uid, items.len()))
            .collect()
    })
}

fn local_uids(folder: &Path) -> Vec<String> {
    items_by_uid(folder, "ics").into_keys().collect()
}

/// A profile of `server` between `folder` and a new calendar; the calendar.
struct Calendar {
    runtime: tokio::runtime::Runtime,
    collection: Collection,
    folder: PathBuf,
}

impl Calendar {
    fn new(server: &Server, root: &Path, name: &str) -> Calendar {
        let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
        let folder = root.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        Calendar {
            runtime,
            collection,
            folder,
        }
    }

    fn profile(
        &self,
        server: &Server,
        name: &str,
        url: Option<&str>,
        extra: &[(&str, &str)],
    ) -> String {
        let url = url.map_or_else(|| server.url_of(&self.collection), str::to_string);
        server.profile(name, "events", &self.folder, &url, extra)
    }

    fn on_server(&self) -> Vec<String> {
        server_uids(&self.runtime, &self.collection)
    }

    fn put_on_server(&self, uid: &str) {
        self.runtime.block_on(put_event(
            &self.collection,
            None,
            uid,
            &event(uid, "From another client", ""),
            String::new,
        ));
    }
}

fn davsync(root: &Path, config: &str, password: &str) -> Davsync {
    let path = root.join("config.toml");
    std::fs::write(&path, config).unwrap();
    Davsync::new(BIN, path, root.join("data")).with_env(PASSWORD_ENV, password)
}

#[test]
fn the_daemon_syncs_changes_both_ways_takes_up_new_profiles_and_ends_on_sigterm() {
    let (radicale, sogo) = (servers::get("radicale"), servers::get("sogo"));
    assert_eq!(
        radicale.password, sogo.password,
        "one password variable for both"
    );
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (r, s) = (
        Calendar::new(&radicale, root, "r"),
        Calendar::new(&sogo, root, "s"),
    );
    write_file(&r.folder, "r0.ics", &event("r0", "Before", ""));
    let fast = [("interval", "\"2s\""), ("time_range", "false")];
    let config = format!(
        "{}{}",
        r.profile(&radicale, "rad", None, &fast),
        s.profile(&sogo, "sogo", None, &fast)
    );
    let cli = davsync(root, &config, &radicale.password);
    let daemon = Daemon::start(&cli, root, "daemon");
    let context = || daemon.output();
    eventually("the first run", context, || r.on_server() == ["r0"]);

    // A second daemon on the same data directory refuses.
    let second = cli.run(&["daemon"]);
    second.expect_code(1);
    assert!(
        second.stderr.contains("another davsync daemon is running"),
        "{}",
        second.describe()
    );

    // Written into the folders: on the servers, without a `sync` command.
    write_file(&r.folder, "r1.ics", &event("r1", "Written here", ""));
    write_file(&s.folder, "s1.ics", &event("s1", "Written here", ""));
    eventually("r1 on Radicale", context, || r.on_server() == ["r0", "r1"]);
    eventually("s1 on SOGo", context, || s.on_server() == ["s1"]);
    // Written on the servers: here within the interval.
    r.put_on_server("r2");
    s.put_on_server("s2");
    eventually("r2 here", context, || {
        local_uids(&r.folder) == ["r0", "r1", "r2"]
    });
    eventually("s2 here", context, || local_uids(&s.folder) == ["s1", "s2"]);

    // `status` shows the daemon and what it does with each profile.
    let status: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(status["daemon"]["pid"], daemon.child.id(), "{status:#}");
    for profile in status["profiles"].as_array().unwrap() {
        assert_eq!(profile["daemon"]["watching"], true, "{status:#}");
        assert_eq!(profile["daemon"]["failures"], 0, "{status:#}");
    }

    // SIGHUP: a profile added to the file is taken up.
    let n = Calendar::new(&radicale, root, "n");
    write_file(&n.folder, "n1.ics", &event("n1", "New profile", ""));
    std::fs::write(
        &cli.config,
        format!("{config}{}", n.profile(&radicale, "new", None, &fast)),
    )
    .unwrap();
    daemon.signal("HUP");
    eventually("the new profile synced", context, || {
        n.on_server() == ["n1"]
    });

    let (code, output) = daemon.terminate();
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("davsync daemon: stopping"), "{output}");
    // Nothing left to do, nothing lost.
    let after = cli.run(&["sync", "--json"]);
    after.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    for report in json["reports"].as_array().unwrap() {
        assert_eq!(report["items"], serde_json::json!([]), "{report:#}");
    }
}

#[test]
fn the_daemon_s_own_writes_start_no_run() {
    let radicale = servers::get("radicale");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let r = Calendar::new(&radicale, root, "r");
    // Only after a local change: any run after the first is one a change started.
    let extra = [("interval", "\"off\""), ("time_range", "false")];
    let cli = davsync(
        root,
        &r.profile(&radicale, "rad", None, &extra),
        &radicale.password,
    );
    let daemon = Daemon::start(&cli, root, "daemon");
    let context = || daemon.output();
    eventually("the first run", context, || daemon.runs_of("rad") == 1);
    // A change here and one on the server: the run it starts writes into the
    // folder (the server's item), and that write starts nothing.
    r.put_on_server("from-server");
    write_file(&r.folder, "here.ics", &event("here", "Written here", ""));
    eventually("the run after the change", context, || {
        local_uids(&r.folder) == ["from-server", "here"]
    });
    assert_eq!(r.on_server(), ["from-server", "here"]);
    std::thread::sleep(3 * Duration::from_secs(2) + Duration::from_secs(1));
    assert_eq!(daemon.runs_of("rad"), 2, "{}", context());
    // An edit of the file davsync wrote is a change of the user's.
    write_file(
        &r.folder,
        "from-server.ics",
        &event("from-server", "Edited here", ""),
    );
    eventually("the run after the edit", context, || {
        daemon.runs_of("rad") == 3
    });
    let (code, output) = daemon.terminate();
    assert_eq!(code, Some(0), "{output}");
}

#[test]
fn sigterm_during_a_large_first_sync_ends_cleanly_and_the_next_run_finishes_it() {
    let radicale = servers::get("radicale");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let r = Calendar::new(&radicale, root, "r");
    let uids: Vec<String> = (0..300).map(|i| format!("e{i:03}")).collect();
    for uid in &uids {
        write_file(&r.folder, &format!("{uid}.ics"), &event(uid, "Many", ""));
    }
    let extra = [
        ("chunk_size", "5"),
        ("concurrency", "1"),
        ("time_range", "false"),
    ];
    let cli = davsync(
        root,
        &r.profile(&radicale, "rad", None, &extra),
        &radicale.password,
    );
    let daemon = Daemon::start(&cli, root, "daemon");
    let context = || daemon.output();
    eventually("the upload under way", context, || {
        r.on_server().len() >= 10
    });
    let (code, output) = daemon.terminate();
    assert_eq!(code, Some(0), "{output}");
    let partial = r.on_server().len();
    assert!(
        partial < uids.len(),
        "stopped before the end: {partial}\n{output}"
    );
    assert!(
        output.contains("stopped before the end, as asked"),
        "{output}"
    );
    let next = cli.run(&["sync"]);
    next.expect_code(0);
    assert_eq!(r.on_server(), uids, "every item once");
    assert_eq!(local_uids(&r.folder), uids);
}

#[test]
fn a_stopped_server_is_offline_for_the_daemon_which_catches_up_when_it_is_back() {
    let radicale = servers::get("radicale");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let r = Calendar::new(&radicale, root, "r");
    let upstream = origin(&radicale.base_url);
    let proxy = FaultProxy::plain(&upstream, 0);
    let port = proxy.port;
    let url = proxy.url(&radicale.url_of(&r.collection));
    let extra = [("interval", "\"1s\""), ("time_range", "false")];
    let cli = davsync(
        root,
        &r.profile(&radicale, "rad", Some(&url), &extra),
        &radicale.password,
    );
    write_file(&r.folder, "a.ics", &event("a", "Before", ""));
    let daemon = Daemon::start(&cli, root, "daemon");
    let context = || daemon.output();
    eventually("the first run", context, || r.on_server() == ["a"]);

    drop(proxy);
    write_file(&r.folder, "b.ics", &event("b", "While offline", ""));
    eventually("offline runs", context, || {
        std::fs::read_to_string(&daemon.out)
            .unwrap_or_default()
            .matches("skipped: offline")
            .count()
            >= 2
    });
    let _proxy = FaultProxy::plain(&upstream, port);
    eventually("caught up", context, || r.on_server() == ["a", "b"]);
    let (code, output) = daemon.terminate();
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(local_uids(&r.folder), ["a", "b"]);
}
