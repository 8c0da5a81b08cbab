//! Sync-collection answers cut short (RFC 6578 §3.6: a 507 for the
//! collection itself, and a token to go on with), made by the fault proxy's
//! `--sync-page` in front of Radicale, as no server here truncates: a run
//! follows the pages to the end (of a delta, and of a first read), and a
//! run killed between two pages leaves a state from which the next run
//! brings everything, once.

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

    // A first read without a time range comes by sync-collection too (items
    // and token in one request), cut and followed the same way.
    let all_local = s.folder("all");
    let all = s
        .profile("all", "events", &all_local, &cal, "time_range = false")
        .replace(&toml_string(&direct), &toml_string(&proxy.url(&direct)));
    let pages = proxy.injected("sync-page");
    let r = &s.sync(&all, &[])["all"];
    assert_eq!(r["local"]["created"], 21, "{r:#}");
    assert!(proxy.injected("sync-page") >= pages + 5, "{r:#}");
    assert_eq!(folder_items(&all_local, "ics"), s.server_items(&cal));
    assert_eq!(writes(&s.sync(&all, &[])["all"]), 0);
}
