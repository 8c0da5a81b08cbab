//! Focused engine scenarios on real folders: bad files, duplicate UIDs, the
//! safety rails, edits racing a run, and a keep-both interrupted half-way.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::fixture::{Fixture, StopOnWrite, fill, mode};
use async_trait::async_trait;
use davsync_pim::ItemKind;
use davsync_pim::{Item, ItemError};
use davsync_store::{
    ChangeSet, Changes, Fetched, Href, Listed, ReadOptions, Sink, Store, StoreError, VdirStore,
    Written,
};
use davsync_sync::engine::Refusal;
use davsync_sync::report::{DuplicateGroup, Outcome, Report};
use davsync_sync::{
    Action, CategoryFilter, ConflictPolicy, Duplicates, KindFilter, MapContext, Mapping, Mode,
    Side, StatusDb, SyncOptions, Transform,
};
use davsync_testkit::folder::{content_by_uid, files, write_file};
use davsync_testkit::forward::{Forward, ReadAllFuture, Wrap, read_all_by_listing};
use davsync_testkit::items::{self, event_on, weekly_from};
use davsync_testkit::shaped::{DeltaShape, ServerShaped, TokenLog};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn unparseable_files_are_reported_and_never_deleted_even_when_replicating() {
    let f = Fixture::new();
    fill(&f.server(), 3);
    std::fs::write(
        f.local().join("broken.ics"),
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n",
    )
    .unwrap();
    std::fs::write(f.local().join("binary.ics"), [0xff, 0xfe, 0x00]).unwrap();
    let report = f.run(mode(Mode::ToLocal));
    assert_eq!(report.local.created, 3);
    let hrefs: Vec<_> = report
        .errors
        .iter()
        .filter_map(|e| e.href.clone())
        .collect();
    assert!(
        hrefs.contains(&"broken.ics".to_string()) && hrefs.contains(&"binary.ics".to_string()),
        "{hrefs:?}"
    );
    assert!(f.local().join("broken.ics").exists() && f.local().join("binary.ics").exists());
}

#[test]
fn a_file_that_turns_bad_is_left_alone_on_both_sides() {
    let f = Fixture::new();
    fill(&f.local(), 2);
    assert!(f.run(mode(Mode::TwoWay)).errors.is_empty());
    write_file(&f.local(), "e0.ics", "not a calendar");
    let report = f.run(mode(Mode::TwoWay));
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(
        report.errors[0].uid.as_deref(),
        Some("e0"),
        "the error names the UID the file held"
    );
    assert_eq!(
        report.server.deleted, 0,
        "a broken local file is no deletion"
    );
    assert!(f.server().join("e0.ics").exists());
}

#[test]
fn duplicate_uids_in_one_folder_are_left_alone() {
    let f = Fixture::new();
    write_file(&f.local(), "a.ics", &items::event("dup", "One", ""));
    write_file(&f.local(), "b.ics", &items::event("dup", "Two", ""));
    fill(&f.local(), 1);
    let report = f.run(mode(Mode::TwoWay));
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.uid.as_deref() == Some("dup") && e.message.contains("a.ics"))
    );
    assert_eq!(report.server.created, 1, "the other item still syncs");
    assert!(!content_by_uid(&f.server(), "ics").contains_key("dup"));
}

/// Items unchanged on both sides are not held in memory during a run; a
/// second file taking the UID of one of them must still be seen as a
/// duplicate, on either side, and never be sent as a new item.
#[test]
fn a_second_file_with_the_uid_of_a_synced_item_is_left_alone() {
    for side in [Side::Local, Side::Server] {
        let f = Fixture::new();
        fill(&f.local(), 3);
        f.run(mode(Mode::TwoWay));
        let (dir, other) = match side {
            Side::Local => (f.local(), f.server()),
            Side::Server => (f.server(), f.local()),
        };
        let before = content_by_uid(&other, "ics");
        write_file(&dir, "copy.ics", &items::event("e1", "A copy", ""));
        let report = f.run(mode(Mode::TwoWay));
        assert!(
            report.errors.iter().any(|e| e.uid.as_deref() == Some("e1")
                && e.message.contains("e1.ics")
                && e.message.contains("copy.ics")),
            "{side}: {:?}",
            report.errors
        );
        assert_eq!(content_by_uid(&other, "ics"), before, "{side}");
        assert_eq!(report.unchanged, 2, "{side}");
        std::fs::remove_file(dir.join("copy.ics")).unwrap();
        let report = f.run(mode(Mode::TwoWay));
        assert!(report.errors.is_empty(), "{side}: {:?}", report.errors);
        assert_eq!(report.unchanged, 3, "{side}");
        assert_eq!(
            content_by_uid(&f.local(), "ics"),
            content_by_uid(&f.server(), "ics")
        );
    }
}

/// A run counts the items it left alone because nothing changed, whether it
/// held them or not, and does the work the rest needs.
#[test]
fn a_run_with_a_few_changes_among_many_unchanged_items() {
    let f = Fixture::new();
    fill(&f.local(), 20);
    f.run(mode(Mode::TwoWay));
    write_file(&f.local(), "e3.ics", &items::event("e3", "Edited here", ""));
    std::fs::remove_file(f.server().join("e5.ics")).unwrap();
    write_file(
        &f.server(),
        "new.ics",
        &items::event("new", "New there", ""),
    );
    let report = f.run(mode(Mode::TwoWay));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.unchanged, 18);
    assert_eq!(
        (
            report.server.updated,
            report.local.deleted,
            report.local.created
        ),
        (1, 1, 1)
    );
    let local = content_by_uid(&f.local(), "ics");
    assert_eq!(local, content_by_uid(&f.server(), "ics"));
    assert_eq!(local.len(), 20);
    let idle = f.run(mode(Mode::TwoWay));
    assert_eq!((idle.unchanged, idle.items.len()), (20, 0));
}

#[test]
fn an_emptied_side_is_not_propagated_without_force() {
    let f = Fixture::new();
    fill(&f.local(), 5);
    f.run(mode(Mode::TwoWay));
    for name in files(&f.local(), "ics").keys() {
        std::fs::remove_file(f.local().join(name)).unwrap();
    }
    let report = f.run(mode(Mode::TwoWay));
    let refused = Refusal::SideEmptied {
        emptied: Side::Local,
        side: Side::Server,
        known: 5,
        deletes: 5,
    };
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.refusal.as_ref() == Some(&refused) && e.message.contains("no items")),
        "{:?}",
        report.errors
    );
    assert_eq!(files(&f.server(), "ics").len(), 5, "nothing deleted");
    assert!(report.items.iter().all(|i| i.outcome == Outcome::Planned));
    let forced = f.run(SyncOptions {
        force: true,
        ..mode(Mode::TwoWay)
    });
    assert!(forced.errors.is_empty());
    assert_eq!(forced.server.deleted, 5);
}

#[test]
fn max_delete_refuses_large_deletions() {
    let f = Fixture::new();
    fill(&f.local(), 10);
    f.run(mode(Mode::TwoWay));
    for i in 0..6 {
        std::fs::remove_file(f.local().join(format!("e{i}.ics"))).unwrap();
    }
    let refused = f.run(mode(Mode::TwoWay));
    let refusal = Refusal::TooManyDeletes {
        side: Side::Server,
        deletes: 6,
        of: 10,
        percent: 60,
        limit_percent: 50,
    };
    assert!(
        refused
            .errors
            .iter()
            .any(|e| e.refusal.as_ref() == Some(&refusal)),
        "{:?}",
        refused.errors
    );
    assert_eq!(files(&f.server(), "ics").len(), 10);
    let allowed = f.run(SyncOptions {
        max_delete_percent: 60,
        ..mode(Mode::TwoWay)
    });
    assert!(allowed.errors.is_empty(), "{:?}", allowed.errors);
    assert_eq!(allowed.server.deleted, 6);
}

#[test]
fn replicating_onto_a_folder_of_unknown_items_needs_force() {
    let f = Fixture::new();
    fill(&f.local(), 4);
    write_file(
        &f.server(),
        "mine.ics",
        &items::event("mine", "Server only", ""),
    );
    // First to-server run: replicate would delete the one server-only item of one (100 %).
    let report = f.run(mode(Mode::ToServer));
    let refusal = Refusal::TooManyDeletes {
        side: Side::Server,
        deletes: 1,
        of: 1,
        percent: 100,
        limit_percent: 50,
    };
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.refusal.as_ref() == Some(&refusal)),
        "{:?}",
        report.errors
    );
    assert!(f.server().join("mine.ics").exists());
}

/// When another program edits `e0.ics` during a run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EditWhen {
    /// Right before the engine overwrites it.
    BeforeUpdate,
    /// Right before the engine reads items after the scan.
    BeforeRead,
}

/// A folder store in which another program edits `e0.ics` once, at a chosen
/// moment of the run, as a real user or tool could.
struct Interfering {
    inner: VdirStore,
    when: EditWhen,
    summary: &'static str,
    armed: AtomicBool,
}

impl Interfering {
    fn new(inner: VdirStore, when: EditWhen, summary: &'static str) -> Forward<Self> {
        Forward(Interfering {
            inner,
            when,
            summary,
            armed: AtomicBool::new(true),
        })
    }

    fn interfere(&self, now: EditWhen) {
        if now == self.when && self.armed.swap(false, Ordering::SeqCst) {
            write_file(
                self.inner.path(),
                "e0.ics",
                &items::event("e0", self.summary, ""),
            );
        }
    }
}

#[async_trait]
impl Wrap for Interfering {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.interfere(EditWhen::BeforeRead);
        self.inner.get_many(hrefs).await
    }
    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        self.interfere(EditWhen::BeforeUpdate);
        self.inner.update(href, version, body).await
    }
}

#[test]
fn an_edit_racing_the_run_is_not_overwritten_and_syncs_next_time() {
    let f = Fixture::new();
    fill(&f.local(), 1);
    f.run(mode(Mode::TwoWay));
    write_file(
        &f.server(),
        "e0.ics",
        &items::event("e0", "Changed on the server", ""),
    );
    let racing = Interfering::new(
        f.store(&f.local()),
        EditWhen::BeforeUpdate,
        "Edited during the run",
    );
    let report = f.run_with(&racing, &f.store(&f.server()), mode(Mode::TwoWay));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.warnings.len(),
        1,
        "a changed item is a warning: {:?}",
        report.warnings
    );
    assert_eq!(report.items[0].outcome, Outcome::Failed);
    let local = std::fs::read_to_string(f.local().join("e0.ics")).unwrap();
    assert!(
        local.contains("Edited during the run"),
        "the racing edit survives"
    );
    // Next run: both changed → a conflict settled by the policy; nothing lost (keep-both).
    let next = f.run(SyncOptions {
        conflicts: ConflictPolicy::KeepBoth,
        ..mode(Mode::TwoWay)
    });
    assert!(next.errors.is_empty() && next.warnings.is_empty());
    assert_eq!(next.conflicts, 1);
    let local = content_by_uid(&f.local(), "ics");
    assert_eq!(local, content_by_uid(&f.server(), "ics"));
    assert_eq!(local.len(), 2, "the original and one conflict copy");
}

#[test]
fn keep_both_interrupted_after_the_copy_makes_no_second_copy() {
    let f = Fixture::new();
    fill(&f.local(), 1);
    f.run(mode(Mode::TwoWay));
    write_file(
        &f.local(),
        "e0.ics",
        &items::event_modified("e0", "Local edit", "20260101T100000Z"),
    );
    write_file(
        &f.server(),
        "e0.ics",
        &items::event_modified("e0", "Server edit", "20260101T110000Z"),
    );
    let keep_both = SyncOptions {
        conflicts: ConflictPolicy::KeepBoth,
        ..mode(Mode::TwoWay)
    };
    // A kill between making the copy and overwriting the loser is simulated
    // below: after a full run, the loser is put back and its status dropped.
    let plan = f.run(SyncOptions {
        dry_run: true,
        ..keep_both
    });
    assert_eq!(
        plan.items[0].action,
        Action::KeepBoth {
            winner: Side::Server
        }
    );
    let report = f.run(keep_both);
    let copies: Vec<String> = content_by_uid(&f.local(), "ics")
        .into_keys()
        .filter(|u| u.contains("-conflict-"))
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(report.local.created, 1);
    // Put the loser back as if the overwrite never happened, and drop the
    // original's status so the conflict comes up again.
    write_file(
        &f.local(),
        "e0.ics",
        &items::event_modified("e0", "Local edit", "20260101T100000Z"),
    );
    let status = StatusDb::open(&f.root.join("status.sqlite")).unwrap();
    status.remove("e0").unwrap();
    drop(status);
    let again = f.run(keep_both);
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    let local = content_by_uid(&f.local(), "ics");
    assert_eq!(
        local.keys().filter(|u| u.contains("-conflict-")).count(),
        1,
        "{local:?}"
    );
    assert_eq!(local, content_by_uid(&f.server(), "ics"));
}

#[test]
fn a_source_edited_after_the_scan_is_not_copied_half_seen() {
    let f = Fixture::new();
    fill(&f.local(), 1);
    f.run(mode(Mode::TwoWay));
    // The server copy is edited: to-server restores it from the unchanged local
    // file, which the engine reads only now — and which changes just before.
    write_file(
        &f.server(),
        "e0.ics",
        &items::event("e0", "Server edit", ""),
    );
    let local = Interfering::new(
        f.store(&f.local()),
        EditWhen::BeforeRead,
        "Edited while syncing",
    );
    let report = f.run_with(&local, &f.store(&f.server()), mode(Mode::ToServer));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0]
            .message
            .contains("changed during the run")
    );
    let server = std::fs::read_to_string(f.server().join("e0.ics")).unwrap();
    assert!(
        server.contains("Server edit"),
        "nothing was written on a stale plan"
    );
    // The next run sees the local edit and carries it over.
    let next = f.run(mode(Mode::ToServer));
    assert!(
        next.errors.is_empty() && next.warnings.is_empty(),
        "{next:?}"
    );
    let server = std::fs::read_to_string(f.server().join("e0.ics")).unwrap();
    assert!(server.contains("Edited while syncing"));
}

/// Two-way with a time range from `start` to `end` (`YYYY-MM-DD`, UTC midnight).
fn within(start: &str, end: &str) -> SyncOptions {
    let at = |d: &str| format!("{d}T00:00:00Z").parse().unwrap();
    SyncOptions {
        time_range: Some(davsync_sync::TimeRange {
            start: at(start),
            end: at(end),
        }),
        ..SyncOptions::default()
    }
}

fn uids(dir: &Path) -> Vec<String> {
    content_by_uid(dir, "ics").into_keys().collect()
}

#[test]
fn a_time_range_takes_up_only_new_items_that_meet_it() {
    let f = Fixture::new();
    write_file(&f.local(), "in.ics", &event_on("in", "20260610", "In"));
    write_file(
        &f.local(),
        "before.ics",
        &event_on("before", "20260101", "Before"),
    );
    write_file(
        &f.local(),
        "after.ics",
        &event_on("after", "20270101", "After"),
    );
    // A series that began long before the range and goes on through it.
    write_file(
        &f.local(),
        "series.ics",
        &weekly_from("series", "20250106", "COUNT=100"),
    );
    // A series that ended before the range.
    write_file(
        &f.local(),
        "ended.ics",
        &weekly_from("ended", "20250106", "UNTIL=20250601T000000Z"),
    );
    write_file(
        &f.server(),
        "in2.ics",
        &event_on("in2", "20260615", "In too"),
    );
    write_file(
        &f.server(),
        "out2.ics",
        &event_on("out2", "20261201", "Out too"),
    );
    let options = within("2026-06-01", "2026-07-01");
    let report = f.run(options);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.outside_time_range, 4, "before, after, ended, out2");
    assert_eq!(uids(&f.server()), ["in", "in2", "out2", "series"]);
    assert_eq!(
        uids(&f.local()),
        ["after", "before", "ended", "in", "in2", "series"]
    );
    // Nothing left to do, and the items outside stay where they are.
    let again = f.run(options);
    assert_eq!(
        (again.local, again.server, again.items.len()),
        (Default::default(), Default::default(), 0),
        "{:?}",
        again.items
    );
    assert_eq!(again.outside_time_range, 4);
}

#[test]
fn items_that_leave_the_range_are_never_deleted_and_stay_in_sync() {
    let f = Fixture::new();
    write_file(&f.local(), "a.ics", &event_on("a", "20260610", "A"));
    write_file(&f.local(), "b.ics", &event_on("b", "20260611", "B"));
    write_file(&f.local(), "c.ics", &event_on("c", "20260612", "C"));
    assert_eq!(f.run(within("2026-06-01", "2026-07-01")).server.created, 3);
    // A new day: the range has moved past all three.
    let later = within("2026-08-01", "2026-09-01");
    let report = f.run(later);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.local, report.server), Default::default());
    assert_eq!(uids(&f.server()), ["a", "b", "c"]);
    // An edit of an item outside the range still goes across (it is synced);
    // an edit that moves one further out too; a real deletion is a deletion.
    write_file(&f.local(), "a.ics", &event_on("a", "20260610", "A edited"));
    write_file(
        &f.local(),
        "b.ics",
        &event_on("b", "20200101", "B moved far back"),
    );
    std::fs::remove_file(f.server().join("c.ics")).unwrap();
    let report = f.run(later);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.server.updated, 2);
    assert_eq!(report.local.deleted, 1);
    let server = files(&f.server(), "ics");
    assert!(
        server["a.ics"].contains("A edited") && server["b.ics"].contains("B moved far back"),
        "{server:?}"
    );
    assert_eq!(uids(&f.local()), ["a", "b"]);
}

#[test]
fn items_are_taken_up_when_the_range_moves_onto_them() {
    let f = Fixture::new();
    write_file(
        &f.server(),
        "aug.ics",
        &event_on("aug", "20260815", "August"),
    );
    let june = f.run(within("2026-06-01", "2026-07-01"));
    assert_eq!((june.local.created, june.outside_time_range), (0, 1));
    let august = f.run(within("2026-08-01", "2026-09-01"));
    assert_eq!((august.local.created, august.outside_time_range), (1, 0));
    assert_eq!(uids(&f.local()), ["aug"]);
}

#[test]
fn one_uid_judged_inside_on_one_side_and_outside_on_the_other_stays_one_item() {
    let f = Fixture::new();
    // The same event, edited differently on each side before the first sync:
    // inside the range locally, moved out of it on the server.
    write_file(&f.local(), "x.ics", &event_on("x", "20260610", "Local"));
    write_file(&f.server(), "x.ics", &event_on("x", "20261010", "Server"));
    let report = f.run(within("2026-06-01", "2026-07-01"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.outside_time_range, 0,
        "taken up: the local side has it"
    );
    for dir in [f.local(), f.server()] {
        assert_eq!(
            files(&dir, "ics").len(),
            1,
            "one file with UID x in {}",
            dir.display()
        );
    }
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
}

/// A folder that answers like a server with a change log: once it has given a
/// state, "nothing changed" (a delta), until told to list in full again; and
/// that records what is read from it.
struct ChangeLog {
    inner: VdirStore,
    full: AtomicBool,
    reads: std::sync::Mutex<Vec<Href>>,
}

#[async_trait]
impl Wrap for ChangeLog {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let changes = if since.is_some() && !self.full.swap(false, Ordering::SeqCst) {
            Changes::Delta {
                changed: Vec::new(),
                deleted: Vec::new(),
            }
        } else {
            Changes::Full(self.inner.list().await?)
        };
        Ok(ChangeSet {
            changes,
            state: Some("token".into()),
        })
    }
    // A first sync reads through the change log too (and keeps its token).
    fn read_all<'s>(
        &'s self,
        outer: &'s dyn Store,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> ReadAllFuture<'s> {
        read_all_by_listing(outer, options, sink)
    }
    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.reads.lock().unwrap().extend_from_slice(hrefs);
        self.inner.get_many(hrefs).await
    }
}

#[test]
fn items_outside_the_range_are_remembered_through_runs_that_list_changes_only() {
    let f = Fixture::new();
    write_file(&f.server(), "in.ics", &event_on("in", "20260610", "In"));
    write_file(&f.server(), "out.ics", &event_on("out", "20261201", "Out"));
    let server = Forward(ChangeLog {
        inner: f.store(&f.server()),
        full: AtomicBool::new(false),
        reads: Default::default(),
    });
    let june = within("2026-06-01", "2026-07-01");
    let first = f.run_with(&f.store(&f.local()), &server, june);
    assert_eq!((first.local.created, first.outside_time_range), (1, 1));
    // Nothing changed: a delta, which names neither item.
    let idle = f.run_with(&f.store(&f.local()), &server, june);
    assert!(idle.items.is_empty(), "{:?}", idle.items);
    // A full listing again (an expired token, say): the item outside the range
    // is known from before and not read again.
    server.reads.lock().unwrap().clear();
    server.full.store(true, Ordering::SeqCst);
    let full = f.run_with(&f.store(&f.local()), &server, june);
    assert_eq!(full.outside_time_range, 1);
    assert!(full.items.is_empty(), "{:?}", full.items);
    assert_eq!(*server.reads.lock().unwrap(), Vec::<Href>::new());
}

/// A folder whose writes are recorded with a version that carries more
/// detail than its listing shows (as a folder does for files younger than
/// 2 s), confirmed by `still_is`; counts the confirmations and the reads.
struct Fresh {
    inner: VdirStore,
    confirmed: std::sync::atomic::AtomicUsize,
    reads: std::sync::atomic::AtomicUsize,
}

impl Fresh {
    fn written(w: Written) -> Written {
        Written {
            version: format!("{}-fresh", w.version),
            ..w
        }
    }
}

#[async_trait]
impl Wrap for Fresh {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    fn still_is(&self, _href: &str, listed: &str, known: &str) -> bool {
        if listed == known {
            return true;
        }
        self.confirmed.fetch_add(1, Ordering::SeqCst);
        known == format!("{listed}-fresh")
    }
    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.reads.fetch_add(hrefs.len(), Ordering::SeqCst);
        self.inner.get_many(hrefs).await
    }
    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        self.inner.create(uid, body).await.map(Fresh::written)
    }
    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        self.inner
            .update(href, version, body)
            .await
            .map(Fresh::written)
    }
}

/// After a big download every version is a fresh one; the next run confirms
/// them without reading an item (once per item: a folder's are confirmed
/// while the server works), records them, and the run after that has
/// nothing left to confirm. On either side.
#[test]
fn fresh_versions_are_confirmed_once_and_recorded() {
    for fresh_side in [Side::Local, Side::Server] {
        let f = Fixture::new();
        let (source, target) = match fresh_side {
            Side::Local => (f.server(), f.local()),
            Side::Server => (f.local(), f.server()),
        };
        fill(&source, 30);
        let fresh = Forward(Fresh {
            inner: f.store(&target),
            confirmed: Default::default(),
            reads: Default::default(),
        });
        let plain = f.store(&source);
        let run = |options: SyncOptions| match fresh_side {
            Side::Local => f.run_with(&fresh, &plain, options),
            Side::Server => f.run_with(&plain, &fresh, options),
        };
        let counts = || {
            (
                fresh.confirmed.swap(0, Ordering::SeqCst),
                fresh.reads.swap(0, Ordering::SeqCst),
            )
        };
        let first = run(mode(Mode::TwoWay));
        assert_eq!(first.counts(fresh_side).created, 30, "{fresh_side}");
        counts();
        // A dry run confirms but records nothing.
        let dry = run(SyncOptions {
            dry_run: true,
            ..mode(Mode::TwoWay)
        });
        assert_eq!((dry.unchanged, dry.items.len()), (30, 0), "{fresh_side}");
        assert_eq!(counts(), (30, 0), "{fresh_side}");
        let second = run(mode(Mode::TwoWay));
        assert!(
            second.errors.is_empty(),
            "{fresh_side}: {:?}",
            second.errors
        );
        assert_eq!(
            (second.unchanged, second.items.len()),
            (30, 0),
            "{fresh_side}"
        );
        assert_eq!(
            counts(),
            (30, 0),
            "{fresh_side}: confirmed once each, not read"
        );
        let third = run(mode(Mode::TwoWay));
        assert_eq!(
            (third.unchanged, third.items.len()),
            (30, 0),
            "{fresh_side}"
        );
        assert_eq!(counts(), (0, 0), "{fresh_side}: recorded by the run before");
        // An item changed behind a fresh version is still seen.
        write_file(&target, "e7.ics", &items::event("e7", "Edited there", ""));
        let fourth = run(mode(Mode::TwoWay));
        assert_eq!(fourth.counts(fresh_side.other()).updated, 1, "{fresh_side}");
        assert_eq!(
            content_by_uid(&f.local(), "ics"),
            content_by_uid(&f.server(), "ics")
        );
    }
}

/// A server folder whose answers to creates get lost (the write is done, the
/// client hears an error, as when a connection drops after the request) and
/// whose change listing, afterwards, names nothing new (as a server that
/// lists late would): only the journal of creates can tell the next run
/// where the item went.
struct LostAnswers {
    inner: VdirStore,
    lose_answers: AtomicBool,
    /// Writes are done, then refused as their repeat would be (a create: "already
    /// exists"; an update: "precondition failed"), as after an answer lost and
    /// the request sent again.
    refuse_repeats: AtomicBool,
    creates: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl Wrap for LostAnswers {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let changes = match since {
            Some(_) => Changes::Delta {
                changed: Vec::new(),
                deleted: Vec::new(),
            },
            None => Changes::Full(self.inner.list().await?),
        };
        Ok(ChangeSet {
            changes,
            state: Some("token".into()),
        })
    }
    // A first sync reads through the change log too (and keeps its token).
    fn read_all<'s>(
        &'s self,
        outer: &'s dyn Store,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> ReadAllFuture<'s> {
        read_all_by_listing(outer, options, sink)
    }
    fn planned_href(&self, uid: &str) -> Option<Href> {
        Some(format!("{}.ics", davsync_store::file_stem_for_uid(uid)))
    }
    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        let written = self.inner.create(uid, body).await?;
        if self.lose_answers.load(Ordering::SeqCst) {
            return Err(StoreError::server(
                davsync_store::ServerFailure::Unreachable,
                "connection reset after the request",
            ));
        }
        if self.refuse_repeats.load(Ordering::SeqCst) {
            return Err(StoreError::AlreadyExists { href: written.href });
        }
        Ok(written)
    }
    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        let written = self.inner.update(href, version, body).await?;
        if self.refuse_repeats.load(Ordering::SeqCst) {
            return Err(StoreError::PreconditionFailed {
                href: written.href,
                expected: version.to_string(),
            });
        }
        Ok(written)
    }
}

#[test]
fn a_create_whose_answer_was_lost_is_found_through_the_journal() {
    let f = Fixture::new();
    fill(&f.local(), 3);
    let server = Forward(LostAnswers {
        inner: f.store(&f.server()),
        lose_answers: AtomicBool::new(false),
        refuse_repeats: AtomicBool::new(false),
        creates: Default::default(),
    });
    let first = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert_eq!(first.server.created, 3);
    // Two new items; their creates are done but the answers lost.
    write_file(&f.local(), "n1.ics", &items::event("n1", "New one", ""));
    write_file(&f.local(), "n2.ics", &items::event("n2", "New two", ""));
    server.lose_answers.store(true, Ordering::SeqCst);
    let lost = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert_eq!(lost.errors.len(), 2, "{:?}", lost.errors);
    server.lose_answers.store(false, Ordering::SeqCst);
    server.creates.store(0, Ordering::SeqCst);
    // The listing names nothing new; the journal says where to look.
    let next = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert!(next.errors.is_empty(), "{:?}", next.errors);
    assert_eq!(server.creates.load(Ordering::SeqCst), 0, "no second create");
    assert_eq!(files(&f.server(), "ics").len(), 5, "no duplicates");
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
    let status = StatusDb::open(&f.root.join("status.sqlite")).unwrap();
    assert!(status.journal(Side::Server).unwrap().is_empty(), "settled");
    assert_eq!(status.count().unwrap(), 5);
}

#[test]
fn a_write_whose_repeat_was_refused_is_found_done() {
    let f = Fixture::new();
    fill(&f.local(), 2);
    let server = Forward(LostAnswers {
        inner: f.store(&f.server()),
        lose_answers: AtomicBool::new(false),
        refuse_repeats: AtomicBool::new(true),
        creates: Default::default(),
    });
    // Creates: done, but the answers say "already exists".
    let first = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert!(
        first.errors.is_empty() && first.warnings.is_empty(),
        "{first:?}"
    );
    assert_eq!(first.server.created, 2, "{:?}", first.items);
    // An update: done, but the answer says "precondition failed".
    write_file(&f.local(), "e1.ics", &items::event("e1", "Edited", ""));
    let edit = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert!(
        edit.errors.is_empty() && edit.warnings.is_empty(),
        "{edit:?}"
    );
    assert_eq!(edit.server.updated, 1, "{:?}", edit.items);
    server.refuse_repeats.store(false, Ordering::SeqCst);
    let next = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert!(next.items.is_empty(), "{:?}", next.items);
    assert_eq!(files(&f.server(), "ics").len(), 2, "no duplicates");
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
}

/// A server folder that hands out one ETag for everything (as a server whose
/// ETags do not follow the content): listings say "something changed" with
/// a fresh version, but items read back carry the old one.
struct SameEtag {
    inner: VdirStore,
    listed: std::sync::atomic::AtomicU64,
}

#[async_trait]
impl Wrap for SameEtag {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    // Its listing is its own, with or without a state to list from.
    async fn list_changes(&self, _since: Option<&str>) -> Result<ChangeSet, StoreError> {
        Ok(ChangeSet {
            changes: Changes::Full(self.list().await?),
            state: None,
        })
    }
    fn read_all<'s>(
        &'s self,
        outer: &'s dyn Store,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> ReadAllFuture<'s> {
        read_all_by_listing(outer, options, sink)
    }
    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let n = self.listed.fetch_add(1, Ordering::SeqCst);
        let mut listed = self.inner.list().await?;
        for l in &mut listed {
            l.version = format!("listed-{n}");
        }
        Ok(listed)
    }
    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        let mut out = self.inner.get_many(hrefs).await;
        for f in out.iter_mut().flatten() {
            f.version = "etag".into();
        }
        out
    }
    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        let w = self.inner.create(uid, body).await?;
        Ok(Written {
            version: "etag".into(),
            ..w
        })
    }
    async fn update(&self, href: &str, _version: &str, body: &str) -> Result<Written, StoreError> {
        let current = self.inner.list().await?;
        let version = current
            .iter()
            .find(|l| l.href == href)
            .map(|l| l.version.clone())
            .unwrap_or_default();
        let w = self.inner.update(href, &version, body).await?;
        Ok(Written {
            version: "etag".into(),
            ..w
        })
    }
    async fn delete(&self, href: &str, _version: &str) -> Result<(), StoreError> {
        let current = self.inner.list().await?;
        let version = current
            .iter()
            .find(|l| l.href == href)
            .map(|l| l.version.clone())
            .unwrap_or_default();
        self.inner.delete(href, &version).await
    }
}

#[test]
fn content_changed_under_the_same_etag_is_taken_and_reported() {
    let f = Fixture::new();
    fill(&f.local(), 2);
    let server = Forward(SameEtag {
        inner: f.store(&f.server()),
        listed: Default::default(),
    });
    let first = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert_eq!(first.server.created, 2);
    write_file(
        &f.server(),
        "e1.ics",
        &items::event("e1", "Edited there", ""),
    );
    let next = f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert_eq!(next.local.updated, 1, "{:?}", next.items);
    assert!(
        next.warnings.iter().any(|w| w.uid.as_deref() == Some("e1")
            && w.message.contains("without changing its version")),
        "{:?}",
        next.warnings
    );
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
}

#[test]
fn an_item_created_and_deleted_since_the_token_is_seen_gone() {
    let f = Fixture::new();
    fill(&f.local(), 3);
    let log = TokenLog::default();
    let server = ServerShaped::new(f.store(&f.server()), DeltaShape::OmitsGone, &log);
    let run = || f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    let first = run();
    assert_eq!(first.server.created, 3);
    // Another client deletes one of them: the token of the first run came
    // before its creation, and the change log does not name it.
    std::fs::remove_file(f.server().join("e1.ics")).unwrap();
    let second = run();
    assert_eq!(second.local.deleted, 1, "{second:#?}");
    assert!(!f.local().join("e1.ics").exists());

    // A run that does not end clean keeps the older token; what it wrote
    // stays noted for the runs after it.
    write_file(&f.local(), "n1.ics", &items::event("n1", "New", ""));
    std::fs::write(f.local().join("broken.ics"), "BEGIN:VCALENDAR\r\n").unwrap();
    let third = run();
    assert_eq!(third.server.created, 1);
    assert!(!third.errors.is_empty(), "the broken file is an error");
    std::fs::remove_file(f.local().join("broken.ics")).unwrap();
    std::fs::remove_file(f.server().join("n1.ics")).unwrap();
    let reads = server.reads();
    let fourth = run();
    assert_eq!(fourth.local.deleted, 1, "{fourth:#?}");
    assert!(!f.local().join("n1.ics").exists());
    assert!(server.reads() > reads, "looked at");
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
    // Its clean end kept a token from after those writes: nothing is looked
    // at any more.
    let reads = server.reads();
    let fifth = run();
    assert_eq!(
        (fifth.items.len(), fifth.errors.len()),
        (0, 0),
        "{fifth:#?}"
    );
    assert_eq!(server.reads(), reads, "nothing read");
}

#[test]
fn a_deletion_hidden_by_a_forgotten_token_is_found_when_a_full_listing_is_due() {
    let f = Fixture::new();
    fill(&f.server(), 3);
    let log = TokenLog::default();
    // Every request for changes is answered with the full listing in disguise.
    let server = ServerShaped::new(f.store(&f.server()), DeltaShape::NamesGone, &log).with_faults(
        davsync_testkit::shaped::Faults {
            forgotten_tokens: u8::MAX,
            ..Default::default()
        },
    );
    let run = |every: Option<std::time::Duration>| {
        f.run_with(
            &f.store(&f.local()),
            &server,
            SyncOptions {
                full_listing_every: every,
                ..mode(Mode::TwoWay)
            },
        )
    };
    let day = Some(std::time::Duration::from_secs(86_400));
    assert_eq!(run(day).local.created, 3);
    std::fs::remove_file(f.server().join("e1.ics")).unwrap();
    // The answer looks like changes that name two items unchanged: nothing
    // in it tells of the deletion, and the last full listing is recent.
    for every in [None, day] {
        let report = run(every);
        assert_eq!(report.items.len(), 0, "{report:#?}");
        assert!(f.local().join("e1.ics").exists());
        assert!(log.blind());
    }
    // Once a full listing is due, the deletion is found.
    let due = run(Some(std::time::Duration::ZERO));
    assert_eq!(due.local.deleted, 1, "{due:#?}");
    assert!(!f.local().join("e1.ics").exists());
    assert!(!log.blind());
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
}

#[test]
fn a_status_without_a_full_listing_on_record_lists_in_full_once() {
    let f = Fixture::new();
    fill(&f.server(), 2);
    let log = TokenLog::default();
    let server = ServerShaped::new(f.store(&f.server()), DeltaShape::NamesGone, &log).with_faults(
        davsync_testkit::shaped::Faults {
            forgotten_tokens: u8::MAX,
            ..Default::default()
        },
    );
    let run = || f.run_with(&f.store(&f.local()), &server, mode(Mode::TwoWay));
    assert_eq!(run().local.created, 2);
    // As a status database of an earlier version: no full listing on record.
    let status = StatusDb::open(&f.root.join("status.sqlite")).unwrap();
    let listed = status.listed_in_full(Side::Server).unwrap();
    assert!(listed.is_some());
    forget_listed_in_full(&f.root.join("status.sqlite"));
    assert_eq!(status.listed_in_full(Side::Server).unwrap(), None);
    std::fs::remove_file(f.server().join("e0.ics")).unwrap();
    let report = run();
    assert_eq!(report.local.deleted, 1, "{report:#?}");
    assert!(status.listed_in_full(Side::Server).unwrap() >= listed);
}

/// Removes the record of the last full listings, as a database written
/// before it was kept.
fn forget_listed_in_full(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "DELETE FROM listing_state WHERE side LIKE 'listed-in-full-%'",
        [],
    )
    .unwrap();
}

/// A folder that cannot be reached while `offline` is set: every listing and
/// read fails as an unreachable server's does.
struct Unplugged {
    inner: VdirStore,
    offline: AtomicBool,
}

impl Unplugged {
    fn check(&self) -> Result<(), StoreError> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(StoreError::server(
                davsync_store::ServerFailure::Offline,
                "http://dav.example.org/cal/: cannot connect: connection refused",
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Wrap for Unplugged {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        self.check()?;
        self.inner.list().await
    }
    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        self.check()?;
        self.inner.list_changes(since).await
    }
    fn read_all<'s>(
        &'s self,
        outer: &'s dyn Store,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> ReadAllFuture<'s> {
        read_all_by_listing(outer, options, sink)
    }
}

#[test]
fn an_offline_server_is_a_warning_up_to_the_tolerance_then_an_error() {
    use davsync_sync::report::RunResult;
    let f = Fixture::new();
    fill(&f.local(), 2);
    let server = Forward(Unplugged {
        inner: f.store(&f.server()),
        offline: AtomicBool::new(true),
    });
    let options = SyncOptions {
        offline_tolerance: 2,
        ..mode(Mode::TwoWay)
    };
    let run = || f.run_with(&f.store(&f.local()), &server, options);
    let offline = |report: &Report| {
        report.warnings.iter().chain(&report.errors).all(|m| {
            m.kind == Some(davsync_store::ServerFailure::Offline) && m.message.contains("offline")
        })
    };
    // A first sync, then runs after one that reached the server: the count
    // starts again each time the server is reached.
    for round in 0..2 {
        for n in 1..=2 {
            let skipped = run();
            assert_eq!(
                skipped.result,
                RunResult::Offline,
                "{round}/{n}: {skipped:#?}"
            );
            assert_eq!((skipped.warnings.len(), skipped.errors.len()), (1, 0));
            assert!(offline(&skipped), "{skipped:#?}");
            assert!(skipped.warnings[0].message.contains(&format!("{n} of 2")));
            assert!(skipped.items.is_empty());
        }
        for n in 3..=4 {
            let failed = run();
            assert_eq!(failed.result, RunResult::Errors, "{round}/{n}: {failed:#?}");
            assert_eq!((failed.warnings.len(), failed.errors.len()), (0, 1));
            assert!(offline(&failed), "{failed:#?}");
            assert!(
                failed.errors[0]
                    .message
                    .contains(&format!("{n} runs in a row"))
            );
        }
        server.0.offline.store(false, Ordering::SeqCst);
        let back = run();
        assert_eq!(back.result, RunResult::Ok, "{back:#?}");
        assert_eq!(
            content_by_uid(&f.local(), "ics"),
            content_by_uid(&f.server(), "ics")
        );
        server.0.offline.store(true, Ordering::SeqCst);
    }
    // The count lives in the status database; a run that reached the
    // server ended it.
    let status = StatusDb::open(&f.root.join("status.sqlite")).unwrap();
    assert_eq!(status.offline_streak().unwrap(), 0);
    run();
    assert_eq!(status.offline_streak().unwrap(), 1);
}

/// A folder that asks the run to stop as its first item is written (a
/// daemon told to end while a run is under way).
#[test]
fn a_run_asked_to_stop_ends_after_its_chunk_and_the_next_goes_on() {
    use davsync_sync::report::RunResult;
    let f = Fixture::new();
    fill(&f.local(), 10);
    let stop = AtomicBool::new(false);
    let server = Forward(StopOnWrite {
        inner: f.store(&f.server()),
        stop: &stop,
    });
    let options = SyncOptions {
        batch_size: 3,
        ..mode(Mode::TwoWay)
    };
    let stopped = f.run_stoppable(&f.store(&f.local()), &server, options, Some(&stop));
    assert_eq!(stopped.result, RunResult::Warnings, "{stopped:#?}");
    assert_eq!(stopped.server.created, 3, "one chunk: {stopped:#?}");
    assert!(stopped.errors.is_empty());
    assert!(
        stopped.warnings[0]
            .message
            .contains("3 of 10 operations done"),
        "{stopped:#?}"
    );
    assert_eq!(files(&f.server(), "ics").len(), 3);
    // Not a clean end: the next run goes on (the stop is not asked again).
    stop.store(false, Ordering::SeqCst);
    let next = f.run(mode(Mode::TwoWay));
    assert_eq!(next.server.created, 7, "{next:#?}");
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
    assert!(f.run(mode(Mode::TwoWay)).items.is_empty());
}

/// A lossy mapping for the engine's sake: DESCRIPTION lines stay local.
/// Towards the local side, a copy without one takes the local item's back.
struct DescriptionStaysLocal;

impl Transform for DescriptionStaysLocal {
    fn name(&self) -> &'static str {
        "description stays local"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        let body = item.body();
        match to {
            Side::Server => Item::parse(
                body.split_inclusive("\r\n")
                    .filter(|l| !l.starts_with("DESCRIPTION"))
                    .collect::<String>(),
            ),
            Side::Local => {
                let kept = context.current.and_then(|current| {
                    current
                        .body()
                        .split_inclusive("\r\n")
                        .find(|l| l.starts_with("DESCRIPTION"))
                });
                match kept {
                    Some(line) if !body.contains("\r\nDESCRIPTION") => {
                        Item::parse(body.replacen("END:VEVENT", &format!("{line}END:VEVENT"), 1))
                    }
                    _ => Ok(item),
                }
            }
        }
    }
}

#[test]
fn a_lossy_mapping_merges_an_edit_of_the_poorer_copy_into_the_richer_one() {
    let fx = Fixture::new();
    let mapping = Mapping::new()
        .with(KindFilter(ItemKind::Event))
        .with(DescriptionStaysLocal);
    let run = || fx.run_mapping(&mapping);
    write_file(
        &fx.local(),
        "a.ics",
        &items::event("a", "Lunch", "DESCRIPTION:the notes\r\n"),
    );
    let report = run();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let (name, server) = files(&fx.server(), "ics").into_iter().next().unwrap();
    assert!(!server.contains("DESCRIPTION"), "{server}");
    // The server copy is edited: the edit reaches the folder, the notes stay.
    let edited = server.replace("SUMMARY:Lunch", "SUMMARY:Late lunch");
    write_file(&fx.server(), &name, &edited);
    let report = run();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.local.updated, 1, "{report:?}");
    let (_, local) = files(&fx.local(), "ics").into_iter().next().unwrap();
    assert!(local.contains("SUMMARY:Late lunch"), "{local}");
    assert!(local.contains("DESCRIPTION:the notes"), "{local}");
    // And a run after has nothing to do.
    let report = run();
    assert!(report.items.is_empty(), "{:?}", report.items);
    assert_eq!(report.local.updated + report.server.updated, 0);
}

#[test]
fn a_sticky_category_filter_keeps_an_item_whose_category_was_removed() {
    for sticky in [true, false] {
        let fx = Fixture::new();
        let mapping = Mapping::new()
            .with(KindFilter(ItemKind::Event))
            .with(CategoryFilter {
                category: "Work".into(),
                include_uncategorized: false,
                negate: false,
                sticky,
            });
        let run = || fx.run_mapping(&mapping);
        write_file(
            &fx.local(),
            "a.ics",
            &items::event("a", "Standup", "CATEGORIES:Work\r\n"),
        );
        write_file(&fx.local(), "b.ics", &items::event("b", "Dinner", ""));
        write_file(
            &fx.local(),
            "c.ics",
            &items::event("c", "Review", "CATEGORIES:Work\r\n"),
        );
        let report = run();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.server.created, 2, "only the Work items are taken up");
        // The category is removed locally.
        write_file(
            &fx.local(),
            "a.ics",
            &items::event("a", "Standup", "CATEGORIES:Home\r\n"),
        );
        let report = run();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let server = content_by_uid(&fx.server(), "ics");
        if sticky {
            assert_eq!(report.server.deleted, 0, "{report:?}");
            assert!(server.contains_key("a"), "the server copy is kept");
            let (_, copy) = files(&fx.server(), "ics").into_iter().next().unwrap();
            assert!(
                copy.contains("CATEGORIES:Home"),
                "and follows the item: {copy}"
            );
            let report = run();
            assert!(report.items.is_empty(), "nothing to do: {:?}", report.items);
        } else {
            assert_eq!(report.server.deleted, 1, "{report:?}");
            assert!(!server.contains_key("a"), "{server:?}");
        }
        assert!(
            !server.contains_key("b"),
            "a new item without the category is not taken"
        );
        let local = content_by_uid(&fx.local(), "ics");
        assert_eq!(local.len(), 3, "no local item is touched: {local:?}");
    }
}

/// An event with its start, summary and CREATED stamp.
fn dated_event(uid: &str, summary: &str, created: &str) -> String {
    items::event(uid, summary, &format!("CREATED:{created}\r\n"))
}

#[test]
fn duplicate_events_are_reported_then_removed_on_both_sides_keeping_the_oldest() {
    let fx = Fixture::new();
    let with = |duplicates| SyncOptions {
        duplicates,
        ..SyncOptions::default()
    };
    write_file(
        &fx.local(),
        "new.ics",
        &dated_event("new", "Standup", "20250101T000000Z"),
    );
    write_file(
        &fx.local(),
        "old.ics",
        &dated_event("old", "Standup", "20200101T000000Z"),
    );
    write_file(
        &fx.local(),
        "other.ics",
        &dated_event("other", "Review", "20200101T000000Z"),
    );
    // Synced by a run that kept no keys: the next one takes them from the folder.
    let report = fx.run(with(Duplicates::Off));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.server.created, 3);
    assert!(report.duplicates.is_empty());
    let report = fx.run(with(Duplicates::Report));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.duplicates,
        [DuplicateGroup {
            kept: "old".into(),
            others: vec!["new".into()],
            removed: vec![],
        }]
    );
    assert!(
        report.items.is_empty(),
        "reporting writes nothing: {:?}",
        report.items
    );
    // A dry run of the removal reports and deletes nothing.
    let dry = fx.run(SyncOptions {
        dry_run: true,
        ..with(Duplicates::Remove)
    });
    assert_eq!(dry.duplicates[0].removed, Vec::<String>::new());
    assert_eq!(content_by_uid(&fx.local(), "ics").len(), 3);
    let report = fx.run(with(Duplicates::Remove));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.duplicates[0].removed, ["new"]);
    assert_eq!(
        (report.local.deleted, report.server.deleted),
        (1, 1),
        "{report:?}"
    );
    for side in [fx.local(), fx.server()] {
        let uids: Vec<String> = content_by_uid(&side, "ics").into_keys().collect();
        assert_eq!(uids, ["old", "other"], "{}", side.display());
    }
    let report = fx.run(with(Duplicates::Remove));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(
        report.items.is_empty() && report.duplicates.is_empty(),
        "{report:?}"
    );
    // A duplicate written by a run is keyed as it is written.
    write_file(
        &fx.server(),
        "copy.ics",
        &dated_event("copy", "Review", "20260101T000000Z"),
    );
    let report = fx.run(with(Duplicates::Report));
    assert_eq!(report.local.created, 1);
    let report = fx.run(with(Duplicates::Report));
    assert_eq!(report.duplicates.len(), 1, "{report:?}");
    assert_eq!(report.duplicates[0].kept, "other");
}

#[test]
fn duplicate_removal_stays_within_the_deletion_limit() {
    let fx = Fixture::new();
    for i in 0..4 {
        write_file(
            &fx.local(),
            &format!("d{i}.ics"),
            &dated_event(&format!("d{i}"), "Same", "20200101T000000Z"),
        );
    }
    let options = SyncOptions {
        duplicates: Duplicates::Remove,
        max_delete_percent: 50,
        ..SyncOptions::default()
    };
    fx.run(options);
    // Three of four would go: over the limit, so none does.
    let report = fx.run(options);
    assert!(
        report
            .errors
            .iter()
            .any(|e| matches!(e.refusal, Some(Refusal::TooManyDeletes { deletes: 3, .. }))),
        "{:?}",
        report.errors
    );
    assert_eq!(content_by_uid(&fx.local(), "ics").len(), 4);
    let forced = fx.run(SyncOptions {
        force: true,
        ..options
    });
    assert_eq!(forced.duplicates[0].removed.len(), 3, "{forced:?}");
    assert_eq!(content_by_uid(&fx.server(), "ics").len(), 1);
}

#[test]
fn a_mapping_that_cannot_apply_writes_the_item_as_it_is_with_a_warning() {
    use davsync_sync::mapping::{TimeZoneMapping, TimeZones};
    let fx = Fixture::new();
    let mapping = Mapping::new()
        .with(KindFilter(ItemKind::Event))
        .with(TimeZoneMapping {
            mode: TimeZones::Iana,
            history: false,
        });
    let odd = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VTIMEZONE\r\n\
               TZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n\
               TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
               BEGIN:VEVENT\r\nUID:odd\r\nDTSTAMP:20260101T000000Z\r\n\
               DTSTART;TZID=Customized Time Zone:20260105T100000\r\nSUMMARY:Odd\r\n\
               END:VEVENT\r\nEND:VCALENDAR\r\n";
    write_file(&fx.local(), "odd.ics", odd);
    let run = || fx.run_mapping(&mapping);
    let report = run();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.server.created, 1, "the item is not blocked");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.uid.as_deref() == Some("odd")
                && w.side == Some(Side::Server)
                && w.message.contains("time zones")),
        "{:?}",
        report.warnings
    );
    let (_, copy) = files(&fx.server(), "ics").into_iter().next().unwrap();
    assert!(copy.contains("TZID=Customized Time Zone"), "{copy}");
    let report = run();
    assert!(
        report.items.is_empty() && report.warnings.is_empty(),
        "{report:?}"
    );
}
