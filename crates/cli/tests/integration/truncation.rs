//! Answers cut short, made by the fault proxy in front of Radicale, as no
//! server here truncates: sync-collection answers (RFC 6578 §3.6: a 507 for
//! the collection itself, and a token to go on with; `--sync-page`), whose
//! pages a run follows to the end, a run killed between two pages leaving a
//! state from which the next run brings everything, once; and a first
//! read's query answer (a 507 for the collection, `--query-limit`), whose
//! rest a run reads with a listing and multigets.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{PASSWORD_VAR, Setup, folder_items, writes};
use davsync_dav::CollectionKind;
use davsync_testkit::cli::{Davsync, toml_string};
use davsync_testkit::faults::{FaultProxy, Rates, origin};
use davsync_testkit::items::event;
use std::time::{Duration, Instant};

#[test]
fn truncated_changes_are_followed_within_the_run_and_after_a_kill() {
    let s = Setup::new("radicale");
    let cal = s.collection(CollectionKind::Calendar);
    let local = s.folder("local");
    for i in 0..6 {
        s.put(
            &cal,
            &format!("old{i}"),
            &event(&format!("old{i}"), "Old", ""),
        );
    }
    let proxy = FaultProxy::start_with(
        &origin(&s.server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
        &["--sync-page", "4", "--page-delay", "0.5"],
    );
    let direct = s.server.url_of(&cal);
    let config = s
        .profile("cal", "events", &local, &cal, "")
        .replace(&toml_string(&direct), &toml_string(&proxy.url(&direct)));
    s.sync(&config, &[]);
    // An idle run: the token is one the server issued for a delta.
    assert_eq!(writes(&s.sync(&config, &[])["cal"]), 0);
    assert_eq!(proxy.injected("sync-page"), 0, "six items, nothing changed");

    // Eleven changes: three pages of four, two of them cut.
    for i in 0..8 {
        s.put(
            &cal,
            &format!("new{i}"),
            &event(&format!("new{i}"), "New", ""),
        );
    }
    for i in 0..2 {
        s.put(
            &cal,
            &format!("old{i}"),
            &event(&format!("old{i}"), "Edited", ""),
        );
    }
    s.remove(&cal, "old5");
    let r = &s.sync(&config, &[])["cal"];
    assert_eq!(proxy.injected("sync-page"), 2, "{r:#}");
    assert_eq!(
        (
            &r["local"]["created"],
            &r["local"]["updated"],
            &r["local"]["deleted"]
        ),
        (&8.into(), &2.into(), &1.into()),
        "{r:#}"
    );
    assert_eq!(folder_items(&local, "ics"), s.server_items(&cal));

    // Ten more, and the run killed while the proxy holds back a cut page.
    for i in 0..9 {
        s.put(
            &cal,
            &format!("late{i}"),
            &event(&format!("late{i}"), "Late", ""),
        );
    }
    s.remove(&cal, "new0");
    let before = folder_items(&local, "ics");
    let path = s.root.join("killed.toml");
    std::fs::write(&path, &config).unwrap();
    let mut child = Davsync::new(env!("CARGO_BIN_EXE_davsync"), &path, s.root.join("data"))
        .command(&["sync", "--json"])
        .env(PASSWORD_VAR, &s.server.password)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while proxy.injected("sync-page") < 3 {
        assert!(Instant::now() < deadline, "no cut page reached the run");
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Nothing of a listing is acted on before its last page.
    assert_eq!(folder_items(&local, "ics"), before);

    let r = &s.sync(&config, &[])["cal"];
    assert!(proxy.injected("sync-page") >= 5, "{r:#}");
    assert_eq!(
        (&r["local"]["created"], &r["local"]["deleted"]),
        (&9.into(), &1.into()),
        "{r:#}"
    );
    assert_eq!(folder_items(&local, "ics"), s.server_items(&cal));
    assert_eq!(writes(&s.sync(&config, &[])["cal"]), 0);
}

/// A query's answer cut short (a 507 for the collection, as a server with a
/// limit on a query's matches gives it): the first read takes what came and
/// reads the rest with a listing and multigets, with and without a time
/// range; every item comes once, and the next run has nothing to do.
#[test]
fn a_first_read_whose_query_is_cut_short_reads_the_rest() {
    let s = Setup::new("radicale");
    let cal = s.collection(CollectionKind::Calendar);
    for i in 0..12 {
        s.put(
            &cal,
            &format!("q{i}"),
            &event(&format!("q{i}"), "Query", ""),
        );
    }
    let proxy = FaultProxy::start_with(
        &origin(&s.server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
        &["--query-limit", "5"],
    );
    let direct = s.server.url_of(&cal);
    for (name, extra) in [("ranged", ""), ("all", "time_range = false")] {
        let local = s.folder(name);
        let config = s
            .profile(name, "events", &local, &cal, extra)
            .replace(&toml_string(&direct), &toml_string(&proxy.url(&direct)));
        let cuts = proxy.injected("query-limit");
        let r = &s.sync(&config, &[])[name];
        assert!(proxy.injected("query-limit") > cuts, "{name}: {r:#}");
        assert_eq!(r["local"]["created"], 12, "{name}: {r:#}");
        assert_eq!(folder_items(&local, "ics"), s.server_items(&cal), "{name}");
        assert_eq!(writes(&s.sync(&config, &[])[name]), 0, "{name}");
    }
}
