//! Server-to-server profiles: the first copy of a whole account onto another
//! server (a calendar with events and tasks, an address book) by three
//! profiles whose `local` side is the old server, in `to-server` mode.
//! `davsync create` makes the new collections, named after the old ones;
//! `davsync sync` fills them; a second run has nothing to do. SOGo onto
//! Radicale, and Radicale onto DAViCal with runs killed while they write:
//! the run after the kills ends the copy with nothing lost and nothing
//! doubled.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::cli::{Davsync, Run, assert_idle, toml_string};
use davsync_testkit::items::{day, event_on, recurring_event, task, vcard3, vcard4};
use davsync_testkit::servers::{self, PASSWORD_ENV, Server, by_href, differences, items_by_uid};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
/// The password variable of the old server (the profiles' `local` side).
const OLD_PASSWORD_ENV: &str = "DAVSYNC_TEST_OLD_DAV_PASSWORD";

/// One side of the copy: a calendar and an address book.
struct Account {
    calendar: Collection,
    book: Collection,
}

/// UID → SUMMARY (FN for cards) of what the old account holds.
type Expected = BTreeMap<String, String>;

/// A task without dates (DAViCal finds none such in a time-range query).
fn undated_task(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

/// Fills the old account: `n` events (from a year back to a year ahead, one
/// of them a series with a moved occurrence), `n / 4` tasks (half without
/// dates) and `n / 2` cards (vCard 3.0 and 4.0).
fn fill(runtime: &tokio::runtime::Runtime, old: &Account, n: usize, tag: &str) -> Expected {
    let mut expected = Expected::new();
    runtime.block_on(async {
        let put = |c: &Collection, uid: String, body: String| {
            let href = format!("{}{uid}.{}", c.href(), c.kind().extension());
            let c = c.clone();
            async move {
                c.create(&href, &body)
                    .await
                    .unwrap_or_else(|e| panic!("{href}: {e}"));
            }
        };
        for i in 0..n {
            let uid = format!("ev{i}-{tag}");
            let summary = format!("Event {i}");
            let body = if i == 0 {
                recurring_event(&uid, &summary)
            } else {
                let offset = (i as i64 * 37) % 730 - 365;
                event_on(&uid, &day(offset), &summary)
            };
            put(&old.calendar, uid.clone(), body).await;
            expected.insert(uid, summary);
        }
        for i in 0..n / 4 {
            let uid = format!("task{i}-{tag}");
            let summary = format!("Task {i}");
            let body = if i % 2 == 0 {
                undated_task(&uid, &summary)
            } else {
                task(&uid, &summary)
            };
            put(&old.calendar, uid.clone(), body).await;
            expected.insert(uid, summary);
        }
        for i in 0..n / 2 {
            let uid = format!("card{i}-{tag}");
            let name = format!("Person {i}");
            let body = if i % 2 == 0 {
                vcard3(&uid, &name)
            } else {
                vcard4(&uid, &name)
            };
            put(&old.book, uid.clone(), body).await;
            expected.insert(uid, name);
        }
    });
    expected
}

/// The three profiles of the copy: events and tasks from the old calendar,
/// contacts from the old address book, each onto its new collection.
fn config(old: (&Server, &Account), new: (&Server, &str, &str)) -> String {
    let store = |s: &Server, url: &str, env: &str, kind: &str| {
        format!(
            "{{ type = \"{kind}\", url = {}, username = {}, password_env = \"{env}\" }}",
            toml_string(url),
            toml_string(&s.user)
        )
    };
    let (old_server, old) = old;
    let (new_server, calendar, book) = new;
    let mut out = String::new();
    for (name, kind, from, to) in [
        (
            "events",
            "caldav",
            old_server.url_of(&old.calendar),
            calendar,
        ),
        (
            "tasks",
            "caldav",
            old_server.url_of(&old.calendar),
            calendar,
        ),
        ("contacts", "carddav", old_server.url_of(&old.book), book),
    ] {
        out.push_str(&format!(
            "[profiles.{name}]\ncontent = \"{name}\"\nmode = \"to-server\"\ntime_range = false\n\
             local = {}\nserver = {}\n\n",
            store(old_server, &from, OLD_PASSWORD_ENV, kind),
            store(new_server, to, PASSWORD_ENV, kind),
        ));
    }
    out
}

/// Panics unless the new account holds what the old one does, each item
/// once, with the same content.
fn assert_copied(
    runtime: &tokio::runtime::Runtime,
    old: &Account,
    new: &Account,
    expected: &Expected,
    when: &str,
) {
    let read = |a: &Account| {
        runtime.block_on(async {
            let mut all = items_by_uid(&a.calendar).await;
            all.extend(items_by_uid(&a.book).await);
            by_href(all)
        })
    };
    let problems = differences(&read(old), &read(new), expected);
    assert!(problems.is_empty(), "{when}: {problems:#?}");
}

/// The old and new accounts' collections, the new ones made by `davsync
/// create` (named and coloured after the old calendar).
struct Copy {
    runtime: tokio::runtime::Runtime,
    old: Account,
    new: Account,
    davsync: Davsync,
    _dir: tempfile::TempDir,
}

impl Copy {
    fn new(from: &str, to: &str) -> (Copy, String) {
        let (old_server, new_server) = (servers::get(from), servers::get(to));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let old = Account {
            calendar: runtime.block_on(old_server.new_collection(CollectionKind::Calendar)),
            book: runtime.block_on(old_server.new_collection(CollectionKind::AddressBook)),
        };
        let tag = old
            .calendar
            .href()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        runtime
            .block_on(
                old.calendar
                    .set_properties(Some(&format!("Team {tag}")), Some("#3A87AD")),
            )
            .unwrap();
        let client = new_server.client();
        let urls = [CollectionKind::Calendar, CollectionKind::AddressBook]
            .map(|kind| client.url_of(&new_server.unused_href(kind)));
        let new = Account {
            calendar: Collection::new(client.clone(), &urls[0], CollectionKind::Calendar).unwrap(),
            book: Collection::new(client, &urls[1], CollectionKind::AddressBook).unwrap(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            config((&old_server, &old), (&new_server, &urls[0], &urls[1])),
        )
        .unwrap();
        let davsync = Davsync::new(BIN, &path, dir.path().join("data"))
            .with_env(OLD_PASSWORD_ENV, &old_server.password)
            .with_env(PASSWORD_ENV, &new_server.password);
        let made = davsync.run(&["create", "events", "tasks", "contacts"]);
        made.expect_code(0);
        let copy = Copy {
            runtime,
            old,
            new,
            davsync,
            _dir: dir,
        };
        (copy, tag)
    }

    fn sync(&self) -> (Run, serde_json::Value) {
        self.davsync.sync_json(&[], String::new)
    }

    /// The new calendar is named and coloured after the old one.
    fn assert_named(&self, tag: &str) {
        let props = self
            .runtime
            .block_on(self.new.calendar.properties())
            .unwrap();
        assert_eq!(props.displayname.as_deref(), Some(&*format!("Team {tag}")));
        assert!(
            props
                .color
                .as_deref()
                .is_some_and(|c| c.to_ascii_uppercase().starts_with("#3A87AD")),
            "{props:?}"
        );
    }

    /// The items of the new calendar.
    fn new_calendar_items(&self) -> usize {
        self.runtime
            .block_on(self.new.calendar.list())
            .map_or(0, |l| l.len())
    }
}

/// A run that copies everything (`created` items, when it is the first),
/// then one with nothing to do.
fn copy_and_settle(copy: &Copy, expected: &Expected, created: Option<u64>) {
    let (run, json) = copy.sync();
    run.expect_code(0);
    let made: u64 = json["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["server"]["created"].as_u64().unwrap())
        .sum();
    if let Some(created) = created {
        assert_eq!(made, created, "{json:#}");
    }
    assert_copied(
        &copy.runtime,
        &copy.old,
        &copy.new,
        expected,
        "after the copy",
    );
    let (run, json) = copy.sync();
    for report in json["reports"].as_array().unwrap() {
        assert_idle(&run, report, "the run after the copy", String::new);
    }
}

#[test]
fn sogo_account_copied_onto_radicale() {
    let (copy, tag) = Copy::new("sogo", "radicale");
    copy.assert_named(&tag);
    let expected = fill(&copy.runtime, &copy.old, 16, &tag);
    copy_and_settle(&copy, &expected, Some(expected.len() as u64));
}

#[test]
fn radicale_account_copied_onto_davical_with_kills() {
    let (copy, tag) = Copy::new("radicale", "davical");
    copy.assert_named(&tag);
    let expected = fill(&copy.runtime, &copy.old, 80, &tag);
    // Killed while it writes: once the new calendar holds 5, then 30, then
    // 60 items (or when the run has not got there within a minute).
    let mut killed_between = Vec::new();
    for at in [5, 30, 60] {
        let mut child = copy
            .davsync
            .command(&["sync", "--json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let finished = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if copy.new_calendar_items() >= at || Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if finished {
            break;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        killed_between.push(copy.new_calendar_items());
    }
    let calendar_items = expected.keys().filter(|u| !u.starts_with("card")).count();
    assert!(
        killed_between.iter().any(|&n| n > 0 && n < calendar_items),
        "no run was killed halfway: {killed_between:?} of {calendar_items}"
    );
    copy_and_settle(&copy, &expected, None);
}
