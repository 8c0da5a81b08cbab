//! Tests of the status database: rows, transactions, listing states, runs.

use super::*;

fn row(uid: &str, v: &str) -> StatusRow {
    let side = |h: &str| SideStatus {
        href: format!("{uid}.{h}"),
        version: v.into(),
        hash: "h".into(),
    };
    StatusRow {
        uid: uid.into(),
        local: side("ics"),
        server: side("srv"),
    }
}

#[test]
fn a_transaction_dropped_before_its_commit_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let db = StatusDb::open(&path).unwrap();
    db.put(&row("kept", "1")).unwrap();
    {
        let _abandoned = db.transaction().unwrap();
        db.put(&row("a", "1")).unwrap();
        db.remove("kept").unwrap();
    }
    let transaction = db.transaction().unwrap();
    db.put(&row("b", "1")).unwrap();
    transaction.commit().unwrap();
    drop(db);
    let db = StatusDb::open(&path).unwrap();
    assert!(
        db.get("a").unwrap().is_none(),
        "the dropped one left nothing"
    );
    assert!(db.get("kept").unwrap().is_some(), "nor removed anything");
    assert_eq!(db.get("b").unwrap(), Some(row("b", "1")));
}

#[test]
fn rows_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    {
        let db = StatusDb::open(&path).unwrap();
        db.put(&row("a", "1")).unwrap();
        db.put(&row("b", "1")).unwrap();
        db.put(&row("a", "2")).unwrap();
        db.remove("b").unwrap();
    }
    let db = StatusDb::open(&path).unwrap();
    let rows = db.load().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows["a"], row("a", "2"));
    assert_eq!(db.count().unwrap(), 1);
}

#[test]
fn runs_keep_the_latest() {
    let db = StatusDb::in_memory().unwrap();
    assert_eq!(db.last_run().unwrap(), None);
    for i in 0..105 {
        db.record_run(&RunRecord {
            started: format!("t{i}"),
            result: RunResult::Ok,
            summary: Some(RunSummary::default()),
        })
        .unwrap();
    }
    assert_eq!(db.last_run().unwrap().unwrap().started, "t104");
    let n: i64 = db
        .conn
        .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 100);
}

#[test]
fn writes_are_noted_until_a_state_taken_after_them_is_kept() {
    use crate::planner::Side;
    let db = StatusDb::in_memory().unwrap();
    db.note_written(Side::Server, "/c/b.ics").unwrap();
    db.note_written(Side::Server, "/c/a.ics").unwrap();
    db.note_written(Side::Local, "a.ics").unwrap();
    // A run that ends without keeping a state keeps the notes.
    db.age_written().unwrap();
    assert_eq!(db.written(Side::Server).unwrap(), ["/c/a.ics", "/c/b.ics"]);
    // The next run writes again, and ends clean: its state came after the
    // earlier writes, not after its own.
    db.age_written().unwrap();
    db.note_written(Side::Server, "/c/c.ics").unwrap();
    db.note_written(Side::Server, "/c/a.ics").unwrap();
    db.set_state(Side::Server, Some("token=2")).unwrap();
    assert_eq!(db.written(Side::Server).unwrap(), ["/c/a.ics", "/c/c.ics"]);
    assert_eq!(db.written(Side::Local).unwrap(), ["a.ics"]);
    assert_eq!(db.state(Side::Server).unwrap().as_deref(), Some("token=2"));
    db.age_written().unwrap();
    db.set_state(Side::Server, None).unwrap();
    db.set_state(Side::Local, None).unwrap();
    assert!(db.written(Side::Server).unwrap().is_empty());
    assert!(db.written(Side::Local).unwrap().is_empty());
}

#[test]
fn a_run_recorded_by_the_earlier_version_reads_back_typed() {
    // The row as davsync 0.1 of session 9 wrote it (summary_json).
    let db = StatusDb::in_memory().unwrap();
    db.conn
        .execute(
            "INSERT INTO runs (started, result, summary) VALUES (?1, ?2, ?3)",
            params![
                "2026-11-24T06:13:31Z",
                "warnings",
                r#"{"conflicts":2,"duration_ms":17,"errors":0,"local":{"created":1,"deleted":0,"updated":3},"server":{"created":4,"deleted":5,"updated":0},"warnings":1}"#
            ],
        )
        .unwrap();
    let run = db.last_run().unwrap().unwrap();
    assert_eq!(run.result, RunResult::Warnings);
    let summary = run.summary.unwrap();
    assert_eq!(
        (
            summary.local.updated,
            summary.server.deleted,
            summary.conflicts
        ),
        (3, 5, 2)
    );
    assert_eq!((summary.warnings, summary.duration_ms), (1, 17));
    // And what this version writes reads back the same.
    db.record_run(&RunRecord {
        started: "t".into(),
        result: RunResult::Errors,
        summary: Some(summary),
    })
    .unwrap();
    let again = db.last_run().unwrap().unwrap();
    assert_eq!(
        (again.result, again.summary),
        (RunResult::Errors, Some(summary))
    );
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    assert!(matches!(
        StatusDb::open(&path),
        Err(StatusError::TooNew { .. })
    ));
}

/// The index of duplicate keys, set aside for a first download, is made
/// again by `restore_key_index`, or on opening after a run that stopped
/// before; the keys are kept throughout.
#[test]
fn the_duplicate_keys_index_set_aside_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let indexes = |db: &StatusDb| -> i64 {
        db.conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_keys_by_key'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    {
        let db = StatusDb::open(&path).unwrap();
        assert_eq!(indexes(&db), 1);
        db.set_key_index_aside().unwrap();
        assert_eq!(indexes(&db), 0);
        db.put(&row("a", "1")).unwrap();
        db.set_event_key("a", "h", Some("k"), "1|a").unwrap();
        db.restore_key_index().unwrap();
        assert_eq!(indexes(&db), 1);
        db.set_key_index_aside().unwrap();
    }
    let db = StatusDb::open(&path).unwrap();
    assert_eq!(indexes(&db), 1, "made again on opening");
    assert!(db.unkeyed().unwrap().is_empty(), "the key is kept");
}

#[test]
fn the_offline_streak_and_the_last_full_listings_are_kept() {
    let db = StatusDb::in_memory().unwrap();
    assert_eq!(db.offline_streak().unwrap(), 0);
    db.set_offline_streak(3).unwrap();
    assert_eq!(db.offline_streak().unwrap(), 3);
    db.set_offline_streak(0).unwrap();
    assert_eq!(db.offline_streak().unwrap(), 0);

    use crate::planner::Side;
    assert_eq!(db.listed_in_full(Side::Server).unwrap(), None);
    let when = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00.250Z")
        .unwrap()
        .to_utc();
    db.set_listed_in_full(Side::Server, when).unwrap();
    assert_eq!(db.listed_in_full(Side::Server).unwrap(), Some(when));
    assert_eq!(db.listed_in_full(Side::Local).unwrap(), None);
    // Neither is taken for a side's listing state.
    assert_eq!(db.state(Side::Server).unwrap(), None);
}
