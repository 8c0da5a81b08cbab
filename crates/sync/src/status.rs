//! The status database: what both sides held after the last successful
//! operation on each item, one SQLite file per profile, committed per item.

use crate::report::{RunResult, RunSummary};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::HashMap;
use std::path::Path;

mod awaiting;
mod event_keys;
pub use event_keys::Keyed;

/// Schema version written to `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// Errors of the status database.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// SQLite failed.
    #[error("status database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A database written by a newer davsync.
    #[error(
        "status database {path} has schema {found}, newer than this davsync ({SCHEMA_VERSION}); upgrade davsync"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// Its schema version.
        found: i64,
    },
}

/// An item found outside the time range: not synced, not read again while
/// its version stays and the range is the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideRow {
    /// Its version when it was read.
    pub version: String,
    /// Its UID.
    pub uid: String,
    /// Its content hash.
    pub hash: String,
}

/// One side of a synced item as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideStatus {
    /// Address in that store.
    pub href: String,
    /// Version after the last operation.
    pub version: String,
    /// Content hash of the body that version holds.
    pub hash: String,
}

/// A synced item: its UID and both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The item's UID.
    pub uid: String,
    /// The local side.
    pub local: SideStatus,
    /// The server side.
    pub server: SideStatus,
}

/// The outcome of a run, for `davsync status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRecord {
    /// When the run started (RFC 3339).
    pub started: String,
    /// How it ended.
    pub result: RunResult,
    /// Its counts (kept as JSON in the database; `None` for a row that
    /// does not read as one).
    pub summary: Option<RunSummary>,
}

/// The status database of one profile.
pub struct StatusDb {
    conn: Connection,
    path: String,
}

/// An open transaction of a [`StatusDb`] (see [`StatusDb::transaction`]).
pub struct StatusTransaction<'d> {
    tx: Transaction<'d>,
    db: &'d StatusDb,
}

impl StatusTransaction<'_> {
    /// Commits the writes made since the transaction began.
    pub fn commit(self) -> Result<(), StatusError> {
        let StatusTransaction { tx, db } = self;
        tx.commit().map_err(|e| db.err(e))
    }
}

impl StatusDb {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StatusError> {
        let name = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| StatusError::Sqlite {
            path: name.clone(),
            source,
        })?;
        Self::init(conn, name)
    }

    /// A database that lives in memory only (tests, dry runs of unknown profiles).
    pub fn in_memory() -> Result<Self, StatusError> {
        let conn = Connection::open_in_memory().map_err(|source| StatusError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, path: String) -> Result<Self, StatusError> {
        let db = StatusDb { conn, path };
        let version: i64 = db
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db.err(e))?;
        if version > SCHEMA_VERSION {
            return Err(StatusError::TooNew {
                path: db.path,
                found: version,
            });
        }
        // WAL keeps every committed row through a crash of the process; NORMAL
        // sync is enough for that and avoids an fsync per item.
        // The index of duplicate keys is made again here if a first download
        // stopped while it was set aside (see `set_key_index_aside`).
        db.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS items (
                     uid TEXT PRIMARY KEY NOT NULL,
                     local_href TEXT NOT NULL,
                     local_version TEXT NOT NULL,
                     local_hash TEXT NOT NULL,
                     server_href TEXT NOT NULL,
                     server_version TEXT NOT NULL,
                     server_hash TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS items_by_server_href ON items (server_href);
                 CREATE TABLE IF NOT EXISTS listing_state (
                     side TEXT PRIMARY KEY NOT NULL,
                     state TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS outside_range (
                     side TEXT NOT NULL,
                     href TEXT NOT NULL,
                     version TEXT NOT NULL,
                     uid TEXT NOT NULL,
                     hash TEXT NOT NULL,
                     PRIMARY KEY (side, href)
                 );
                 CREATE TABLE IF NOT EXISTS journal (
                     side TEXT NOT NULL,
                     uid TEXT NOT NULL,
                     href TEXT NOT NULL,
                     PRIMARY KEY (side, uid)
                 );
                 CREATE TABLE IF NOT EXISTS written (
                     side TEXT NOT NULL,
                     href TEXT NOT NULL,
                     before_run INTEGER NOT NULL,
                     PRIMARY KEY (side, href)
                 );
                 CREATE TABLE IF NOT EXISTS event_keys (
                     uid TEXT PRIMARY KEY NOT NULL,
                     local_hash TEXT NOT NULL,
                     key TEXT NOT NULL,
                     age TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS event_keys_by_key ON event_keys (key);
                 CREATE TABLE IF NOT EXISTS runs (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     started TEXT NOT NULL,
                     result TEXT NOT NULL,
                     summary TEXT NOT NULL
                 );
                 PRAGMA user_version = 1;",
            )
            .map_err(|e| db.err(e))?;
        Ok(db)
    }

    fn err(&self, source: rusqlite::Error) -> StatusError {
        StatusError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs a statement kept prepared: those of each item's rows run
    /// thousands of times a run, and parsing their SQL each time cost a
    /// first download of 20,000 events more than running them.
    fn execute_cached(&self, sql: &str, params: impl rusqlite::Params) -> Result<(), StatusError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Every row, by UID.
    pub fn load(&self) -> Result<HashMap<String, StatusRow>, StatusError> {
        let mut out = HashMap::new();
        self.each(|row| {
            out.insert(row.uid.clone(), row);
        })?;
        Ok(out)
    }

    /// Hands every row to `f`, one at a time (nothing is held beyond the row).
    pub fn each(&self, mut f: impl FnMut(StatusRow)) -> Result<(), StatusError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM items"))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], row_of).map_err(|e| self.err(e))?;
        for row in rows {
            f(row.map_err(|e| self.err(e))?);
        }
        Ok(())
    }

    /// The row of one UID, if there is one.
    pub fn get(&self, uid: &str) -> Result<Option<StatusRow>, StatusError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM items WHERE uid = ?1"),
                [uid],
                row_of,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The UID of the item the server holds at `href`, if the status knows
    /// one (how a list's members, which name resources, are resolved).
    pub fn uid_at_server_href(&self, href: &str) -> Result<Option<String>, StatusError> {
        self.conn
            .query_row(
                "SELECT uid FROM items WHERE server_href = ?1",
                [href],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets the index of duplicate keys aside for a first download, which
    /// writes thousands of keys in no order the index keeps: each row would
    /// dirty a page of it at random (the statements of 100,000 rows in
    /// chunks of 100, in UID order: 3.9 s with it, 2.0 s without).
    /// [`restore_key_index`](Self::restore_key_index) makes it again in one
    /// sort; a run that stops before has it made when the database opens.
    /// It stays in other runs: without it the duplicate groups' query is
    /// faster (100,000 keys: 0.13 s against 0.54 s) but sorts every key, up
    /// to 2 MB more memory in a run with nothing to do.
    pub fn set_key_index_aside(&self) -> Result<(), StatusError> {
        self.conn
            .execute_batch("DROP INDEX IF EXISTS event_keys_by_key")
            .map_err(|e| self.err(e))
    }

    /// Makes the index of duplicate keys again (see
    /// [`set_key_index_aside`](Self::set_key_index_aside)).
    pub fn restore_key_index(&self) -> Result<(), StatusError> {
        self.conn
            .execute_batch("CREATE INDEX IF NOT EXISTS event_keys_by_key ON event_keys (key)")
            .map_err(|e| self.err(e))
    }

    /// Number of rows.
    pub fn count(&self) -> Result<usize, StatusError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// Starts a transaction: the writes made through this database while it
    /// is held are committed together by [`StatusTransaction::commit`], and
    /// abandoned if it is dropped first (an early return, a panic), so no
    /// half of a chunk is ever recorded.
    pub fn transaction(&self) -> Result<StatusTransaction<'_>, StatusError> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        Ok(StatusTransaction { tx, db: self })
    }

    /// Inserts or replaces a row (committed at once outside a transaction).
    pub fn put(&self, row: &StatusRow) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO items VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                row.uid,
                row.local.href,
                row.local.version,
                row.local.hash,
                row.server.href,
                row.server.version,
                row.server.hash
            ],
        )
    }

    /// Records a side's new version of an item whose row is otherwise as it
    /// was (committed at once outside a transaction).
    pub fn set_version(
        &self,
        uid: &str,
        side: crate::planner::Side,
        version: &str,
    ) -> Result<(), StatusError> {
        let sql = match side {
            crate::planner::Side::Local => "UPDATE items SET local_version = ?2 WHERE uid = ?1",
            crate::planner::Side::Server => "UPDATE items SET server_version = ?2 WHERE uid = ?1",
        };
        self.execute_cached(sql, params![uid, version])
    }

    /// Notes that an item is about to be created at `href` on `side`
    /// (committed at once outside a transaction): a run killed after the
    /// create and before its status row leaves the note, and the next run
    /// looks at that address whatever the side's listing says.
    pub fn journal_add(
        &self,
        side: crate::planner::Side,
        uid: &str,
        href: &str,
    ) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO journal VALUES (?1, ?2, ?3)",
            params![side.to_string(), uid, href],
        )
    }

    /// The creates noted on `side` and not yet settled: (UID, href).
    pub fn journal(
        &self,
        side: crate::planner::Side,
    ) -> Result<Vec<(String, String)>, StatusError> {
        let mut stmt = self
            .conn
            .prepare("SELECT uid, href FROM journal WHERE side = ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![side.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Settles a noted create (it is recorded in the status now, or known
    /// not to have happened).
    pub fn journal_remove(&self, side: crate::planner::Side, uid: &str) -> Result<(), StatusError> {
        self.execute_cached(
            "DELETE FROM journal WHERE side = ?1 AND uid = ?2",
            params![side.to_string(), uid],
        )
    }

    /// Removes a row (committed at once).
    pub fn remove(&self, uid: &str) -> Result<(), StatusError> {
        self.execute_cached("DELETE FROM items WHERE uid = ?1", params![uid])
    }

    /// The listing state (sync token, ctag) a side's store gave at the end of
    /// the last clean run.
    pub fn state(&self, side: crate::planner::Side) -> Result<Option<String>, StatusError> {
        self.conn
            .query_row(
                "SELECT state FROM listing_state WHERE side = ?1",
                params![side.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The time range (as a key such as `2026-09-25/2027-11-25`) of the last
    /// clean run with a time-range filter.
    pub fn range_key(&self) -> Result<Option<String>, StatusError> {
        self.conn
            .query_row(
                "SELECT state FROM listing_state WHERE side = 'time-range'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Keeps (or, with `None`, forgets) the time range of this run.
    pub fn set_range_key(&self, key: Option<&str>) -> Result<(), StatusError> {
        let result = match key {
            Some(key) => self.conn.execute(
                "INSERT OR REPLACE INTO listing_state VALUES ('time-range', ?1)",
                params![key],
            ),
            None => self
                .conn
                .execute("DELETE FROM listing_state WHERE side = 'time-range'", []),
        };
        result.map(drop).map_err(|e| self.err(e))
    }

    /// What the last clean run took up (mode and filters, see
    /// [`Transform::selection`](crate::Transform::selection)).
    pub fn selection_key(&self) -> Result<Option<String>, StatusError> {
        self.conn
            .query_row(
                "SELECT state FROM listing_state WHERE side = 'selection'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Keeps what this run took up.
    pub fn set_selection_key(&self, key: &str) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO listing_state VALUES ('selection', ?1)",
            params![key],
        )
    }

    /// The items of a side found outside the time range (by href), as the last
    /// run left them: they are not read again while their version stays.
    pub fn outside(
        &self,
        side: crate::planner::Side,
    ) -> Result<HashMap<String, OutsideRow>, StatusError> {
        let mut stmt = self
            .conn
            .prepare("SELECT href, version, uid, hash FROM outside_range WHERE side = ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![side.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    OutsideRow {
                        version: r.get(1)?,
                        uid: r.get(2)?,
                        hash: r.get(3)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Replaces a side's items outside the time range, in one transaction.
    pub fn set_outside<'r>(
        &self,
        side: crate::planner::Side,
        rows: impl IntoIterator<Item = (&'r str, &'r OutsideRow)>,
    ) -> Result<(), StatusError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        tx.execute(
            "DELETE FROM outside_range WHERE side = ?1",
            params![side.to_string()],
        )
        .map_err(|e| self.err(e))?;
        {
            let mut insert = tx
                .prepare("INSERT OR REPLACE INTO outside_range VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(|e| self.err(e))?;
            for (href, row) in rows {
                insert
                    .execute(params![
                        side.to_string(),
                        href,
                        row.version,
                        row.uid,
                        row.hash
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Whether a side's store was caught changing an item without changing
    /// its version (a server whose ETags do not follow the content).
    pub fn versions_untrusted(&self, side: crate::planner::Side) -> Result<bool, StatusError> {
        self.conn
            .query_row(
                "SELECT 1 FROM listing_state WHERE side = ?1",
                params![format!("untrusted-versions-{side}")],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.err(e))
    }

    /// Notes that a side's versions cannot be trusted (see
    /// [`StatusDb::versions_untrusted`]), with when and why.
    pub fn distrust_versions(
        &self,
        side: crate::planner::Side,
        why: &str,
    ) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO listing_state VALUES (?1, ?2)",
            params![format!("untrusted-versions-{side}"), why],
        )
    }

    /// How many runs in a row found a store offline (0 when the last run
    /// reached its stores).
    pub fn offline_streak(&self) -> Result<u32, StatusError> {
        let streak: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM listing_state WHERE side = 'offline-streak'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(streak.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    /// Keeps the number of runs in a row that found a store offline.
    pub fn set_offline_streak(&self, streak: u32) -> Result<(), StatusError> {
        let done = if streak == 0 {
            self.conn.execute(
                "DELETE FROM listing_state WHERE side = 'offline-streak'",
                [],
            )
        } else {
            self.conn.execute(
                "INSERT OR REPLACE INTO listing_state VALUES ('offline-streak', ?1)",
                params![streak.to_string()],
            )
        };
        done.map(drop).map_err(|e| self.err(e))
    }

    /// When a clean run last listed a side in full (rather than asking for
    /// the changes since a state).
    pub fn listed_in_full(
        &self,
        side: crate::planner::Side,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StatusError> {
        let when: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM listing_state WHERE side = ?1",
                params![format!("listed-in-full-{side}")],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        // A time that does not read is taken as never: a full listing is due.
        Ok(when.and_then(|w| {
            chrono::DateTime::parse_from_rfc3339(&w)
                .ok()
                .map(|t| t.to_utc())
        }))
    }

    /// Notes that a clean run listed a side in full (see
    /// [`listed_in_full`](Self::listed_in_full)).
    pub fn set_listed_in_full(
        &self,
        side: crate::planner::Side,
        when: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO listing_state VALUES (?1, ?2)",
            params![
                format!("listed-in-full-{side}"),
                when.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ],
        )
    }

    /// Keeps (or, with `None`, forgets) a side's listing state, taken at the
    /// start of this run; the writes noted before this run (see
    /// [`note_written`](Self::note_written)) came before it, and are
    /// forgotten in the same transaction.
    pub fn set_state(
        &self,
        side: crate::planner::Side,
        state: Option<&str>,
    ) -> Result<(), StatusError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        match state {
            Some(state) => tx.execute(
                "INSERT OR REPLACE INTO listing_state VALUES (?1, ?2)",
                params![side.to_string(), state],
            ),
            None => tx.execute(
                "DELETE FROM listing_state WHERE side = ?1",
                params![side.to_string()],
            ),
        }
        .map_err(|e| self.err(e))?;
        tx.execute(
            "DELETE FROM written WHERE side = ?1 AND before_run = 1",
            params![side.to_string()],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Notes that this run wrote (created, replaced or deleted) the item at
    /// `href` on `side`, after that side's listing state was taken: the state
    /// cannot vouch for the item. A server may leave an item created and
    /// deleted since a sync token out of the changes it reports from that
    /// token (RFC 6578 allows either), so a later run looks at every noted
    /// item that its changes do not name. Committed with the item's status
    /// row (inside the caller's transaction), kept until a clean run keeps a
    /// newer state.
    pub fn note_written(&self, side: crate::planner::Side, href: &str) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO written VALUES (?1, ?2, 0)",
            params![side.to_string(), href],
        )
    }

    /// The items written on `side` since its listing state was taken
    /// (see [`note_written`](Self::note_written)), sorted.
    pub fn written(&self, side: crate::planner::Side) -> Result<Vec<String>, StatusError> {
        let mut stmt = self
            .conn
            .prepare("SELECT href FROM written WHERE side = ?1 ORDER BY href")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![side.to_string()], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Marks every noted write as made before this run (called as a run
    /// starts): the state the run keeps, if it ends clean, was taken after
    /// them, and [`set_state`](Self::set_state) forgets them then.
    pub fn age_written(&self) -> Result<(), StatusError> {
        self.execute_cached("UPDATE written SET before_run = 1", [])
    }

    /// Records a finished run, keeping the last 100.
    pub fn record_run(&self, run: &RunRecord) -> Result<(), StatusError> {
        let summary = run
            .summary
            .map(|s| serde_json::to_string(&s).expect("counts serialise"))
            .unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO runs (started, result, summary) VALUES (?1, ?2, ?3)",
                params![run.started, run.result.as_str(), summary],
            )
            .and_then(|_| {
                self.conn.execute(
                    "DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - 100",
                    [],
                )
            })
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The latest run, if any.
    pub fn last_run(&self) -> Result<Option<RunRecord>, StatusError> {
        self.conn
            .query_row(
                "SELECT started, result, summary FROM runs ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    let result: String = r.get(1)?;
                    let summary: String = r.get(2)?;
                    Ok(RunRecord {
                        started: r.get(0)?,
                        // A word this davsync does not know reads as errors:
                        // never taken for a clean run.
                        result: RunResult::from_word(&result).unwrap_or(RunResult::Errors),
                        summary: serde_json::from_str(&summary).ok(),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

/// The columns [`row_of`] reads, in its order.
const COLUMNS: &str =
    "uid, local_href, local_version, local_hash, server_href, server_version, server_hash";

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<StatusRow> {
    Ok(StatusRow {
        uid: r.get(0)?,
        local: SideStatus {
            href: r.get(1)?,
            version: r.get(2)?,
            hash: r.get(3)?,
        },
        server: SideStatus {
            href: r.get(4)?,
            version: r.get(5)?,
            hash: r.get(6)?,
        },
    })
}

#[cfg(test)]
mod tests;
