//! A first download into an empty folder: read onto the shelf and written a
//! chunk at a time in the order of the UIDs, a UID held twice left
//! alone as on any run, a stop that the next run goes on from, and a run
//! without a scratch file.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::fixture::{Fixture, StopOnWrite, fill, mode};
use async_trait::async_trait;
use davsync_store::{ChangeSet, Changes, ReadOptions, Sink, Store, StoreError, VdirStore};
use davsync_sync::report::RunResult;
use davsync_sync::{Duplicates, Mode, StatusDb, SyncOptions};
use davsync_testkit::folder::{content_by_uid, write_file};
use davsync_testkit::forward::{Forward, ReadAllFuture, Wrap, read_all_by_listing};
use davsync_testkit::items;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

/// A store that lists in full (and so sends a first read) in reverse order of
/// href: not the order of the UIDs, which the shelf writes in.
struct Reversed(VdirStore);

#[async_trait]
impl Wrap for Reversed {
    fn inner(&self) -> &dyn Store {
        &self.0
    }
    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let mut changes = self.0.list_changes(since).await?;
        if let Changes::Full(listed) = &mut changes.changes {
            listed.sort_by(|a, b| b.href.cmp(&a.href));
        }
        Ok(changes)
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

fn uids(f: &Fixture) -> BTreeSet<String> {
    content_by_uid(&f.local(), "ics").into_keys().collect()
}

/// Chunk by chunk in the order of the UIDs (e0, e1, e2 first, where the
/// server sent e9, e8, e7 first): a stop after the first chunk leaves those
/// three written and recorded, and the next run brings the rest without
/// writing any twice.
#[test]
fn a_first_download_is_written_a_chunk_at_a_time_in_uid_order() {
    let f = Fixture::new();
    fill(&f.server(), 10);
    let server = Forward(Reversed(f.store(&f.server())));
    let stop = AtomicBool::new(false);
    let local = Forward(StopOnWrite {
        inner: f.store(&f.local()),
        stop: &stop,
    });
    let options = SyncOptions {
        batch_size: 3,
        ..mode(Mode::TwoWay)
    };
    let stopped = f.run_stoppable(&local, &server, options, Some(&stop));
    assert_eq!(stopped.result, RunResult::Warnings, "{stopped:#?}");
    assert_eq!(stopped.local.created, 3, "{stopped:#?}");
    assert!(
        stopped.warnings[0]
            .message
            .contains("3 of 10 operations done"),
        "{stopped:#?}"
    );
    let first: BTreeSet<String> = ["e0", "e1", "e2"].map(String::from).into();
    assert_eq!(uids(&f), first);
    // Recorded and committed, though the chunk shares its transaction with
    // the nine that would have followed.
    let status = StatusDb::open(&f.root.join("status.sqlite")).unwrap();
    for uid in &first {
        assert!(status.get(uid).unwrap().is_some(), "{uid} has its row");
    }
    assert!(status.get("e3").unwrap().is_none());
    drop(status);
    stop.store(false, Ordering::SeqCst);
    let next = f.run_with(&f.store(&f.local()), &server, options);
    assert_eq!(next.local.created, 7, "{next:#?}");
    assert!(
        next.errors.is_empty() && next.warnings.is_empty(),
        "{next:#?}"
    );
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
    let after = f.run_with(&f.store(&f.local()), &server, options);
    assert!(after.items.is_empty(), "{after:#?}");
}

/// Two server items with one UID, sent far apart (first and last): neither
/// is written, in every mode that downloads, as the run says; the others are.
#[test]
fn a_uid_held_twice_on_the_server_is_left_alone_in_a_first_download() {
    for m in [Mode::TwoWay, Mode::ToLocal, Mode::ToLocalMerge] {
        let f = Fixture::new();
        fill(&f.server(), 5);
        write_file(&f.server(), "a-dup.ics", &items::event("dup", "One", ""));
        write_file(&f.server(), "z-dup.ics", &items::event("dup", "Two", ""));
        let server = Forward(Reversed(f.store(&f.server())));
        let options = SyncOptions {
            batch_size: 2,
            ..mode(m)
        };
        for run in 0..2 {
            let report = f.run_with(&f.store(&f.local()), &server, options);
            assert!(
                report.errors.iter().any(|e| e.uid.as_deref() == Some("dup")
                    && e.message.contains("a-dup.ics")
                    && e.message.contains("z-dup.ics")),
                "{m:?} run {run}: {:?}",
                report.errors
            );
            assert_eq!(report.local.created, if run == 0 { 5 } else { 0 }, "{m:?}");
            let expected: BTreeSet<String> = (0..5).map(|i| format!("e{i}")).collect();
            assert_eq!(uids(&f), expected, "{m:?} run {run}");
        }
    }
}

/// Without a scratch file for the bodies (its folder cannot be made), a
/// first download keeps its items in memory and still brings them all.
#[test]
fn a_first_download_without_a_scratch_file_keeps_its_items_in_memory() {
    let mut f = Fixture::new();
    let blocker = f.root.join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    f.scratch = blocker.join("scratch");
    fill(&f.server(), 7);
    let options = SyncOptions {
        batch_size: 2,
        ..mode(Mode::TwoWay)
    };
    let report = f.run(options);
    assert_eq!(report.local.created, 7, "{report:#?}");
    assert!(report.errors.is_empty(), "{report:#?}");
    assert_eq!(
        content_by_uid(&f.local(), "ics"),
        content_by_uid(&f.server(), "ics")
    );
}

/// An events download that keeps duplicate keys sets their index aside
/// while it writes (see `StatusDb::set_key_index_aside`) and makes it again
/// at the end: every key is there, and indexed.
#[test]
fn a_first_download_leaves_the_duplicate_keys_indexed() {
    let f = Fixture::new();
    fill(&f.server(), 5);
    let options = SyncOptions {
        batch_size: 2,
        duplicates: Duplicates::Report,
        ..mode(Mode::TwoWay)
    };
    let report = f.run(options);
    assert_eq!(report.local.created, 5, "{report:#?}");
    let db = rusqlite::Connection::open(f.root.join("status.sqlite")).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_keys_by_key'"),
        1
    );
    assert_eq!(count("SELECT COUNT(*) FROM event_keys"), 5);
}
