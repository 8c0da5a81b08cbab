//! End-to-end: the mapping options and event clean-ups on real servers
//! (Radicale and SOGo at least), each followed by a run with nothing to do,
//! and the mapped folders read by real clients (khal, todoman).

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{Setup, folder_items, writes};
use davsync_dav::CollectionKind;
use davsync_testkit::clients;
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event;

/// A run after a mapped write has nothing to do: no writes, one request
/// to the server.
fn assert_idle(report: &serde_json::Value, what: &str) {
    assert_eq!(writes(report), 0, "{what}: {report:#}");
    assert_eq!(report["requests"][1], 1, "{what}: one request: {report:#}");
}

fn sticky_category_filter(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile(
        "work",
        "events",
        &local,
        &cal,
        "category = \"Work\"\ncategory_sticky = true",
    );
    write_file(
        &local,
        "a.ics",
        &event("a", "Standup", "CATEGORIES:Work\r\n"),
    );
    write_file(
        &local,
        "b.ics",
        &event("b", "Dinner", "CATEGORIES:Home\r\n"),
    );
    let first = &s.sync(&config, &[])["work"];
    assert_eq!(first["server"]["created"], 1, "{name}: {first:#}");
    // The category is removed locally: the item stays, on both sides.
    write_file(
        &local,
        "a.ics",
        &event("a", "Standup moved", "CATEGORIES:Home\r\n"),
    );
    let report = &s.sync(&config, &[])["work"];
    assert_eq!(report["server"]["deleted"], 0, "{name}: {report:#}");
    let server = s.server_items(&cal);
    assert_eq!(
        server.get("a").map(String::as_str),
        Some("Standup moved"),
        "{name}"
    );
    assert!(!server.contains_key("b"), "{name}: {server:?}");
    assert_idle(&s.sync(&config, &[])["work"], name);
    assert_eq!(
        clients::khal_titles(&local).len(),
        2,
        "{name}: khal reads the folder"
    );
}

fn duplicate_events_removed(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile("cal", "events", &local, &cal, "duplicates = \"remove\"");
    let same = |uid: &str, created: &str| event(uid, "Standup", &format!("CREATED:{created}\r\n"));
    write_file(&local, "old.ics", &same("old", "20200101T000000Z"));
    write_file(&local, "other.ics", &event("other", "Review", ""));
    s.sync(&config, &[]);
    // A second copy arrives from another client, on the server.
    s.put(&cal, "new", &same("new", "20250101T000000Z"));
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["local"]["created"], 1, "{name}: {report:#}");
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["duplicates"][0]["kept"], "old", "{name}: {report:#}");
    assert_eq!(
        report["duplicates"][0]["removed"][0], "new",
        "{name}: {report:#}"
    );
    assert_eq!(report["server"]["deleted"], 1, "{name}: {report:#}");
    let server: Vec<String> = s.server_items(&cal).into_keys().collect();
    assert_eq!(server, ["old", "other"], "{name}");
    assert_eq!(folder_items(&local, "ics").len(), 2, "{name}");
    let idle = &s.sync(&config, &[])["cal"];
    assert_idle(idle, name);
    assert!(idle["duplicates"].is_null(), "{name}: {idle:#}");
    let mut titles = clients::khal_titles(&local);
    titles.sort();
    assert_eq!(titles, ["Review", "Standup"], "{name}");
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        mod $server {
            const NAME: &str = stringify!($server);
            #[test]
            fn sticky_category_filter() { super::sticky_category_filter(NAME) }
            #[test]
            fn duplicate_events_removed() { super::duplicate_events_removed(NAME) }
        }
    )*};
}

per_server!(radicale, sogo);
