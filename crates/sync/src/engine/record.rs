//! The status bookkeeping of execution: creates noted in the journal before
//! they are sent, status rows written and dropped, writes noted for the
//! next delta (all inside the chunk's transaction, except the journal's own).

use super::execute::Executor;
use super::writes::PreparedWrite;
use super::*;

/// The create journal as the run holds it.
#[derive(Default)]
pub(super) struct Journal {
    /// UIDs with a create noted in the journal (from a killed run, or this
    /// one) that no status row settles yet.
    pub(super) journaled: HashSet<(Side, String)>,
    /// Creates noted in the journal that were never made (or are gone
    /// since): their notes are dropped before execution.
    pub(super) stale: Vec<(Side, String)>,
}

impl<'s, 'a, 'j> Executor<'s, 'a, 'j> {
    /// Notes the chunk's creates whose address the store tells in advance,
    /// in one transaction, before any is sent (see [`StatusDb::journal_add`]).
    pub(super) fn note_creates<'w>(
        &mut self,
        writes: impl Iterator<Item = &'w PreparedWrite>,
    ) -> Result<(), EngineError> {
        let creates: Vec<(Side, &str, Href)> = writes
            .filter(|w| w.content.is_some() && w.target.is_none())
            .filter_map(|w| {
                let href = self.job.store(w.side).planned_href(&w.uid)?;
                Some((w.side, w.uid.as_str(), href))
            })
            .collect();
        if creates.is_empty() {
            return Ok(());
        }
        let db = self.job.status;
        let transaction = db.transaction()?;
        for (side, uid, href) in &creates {
            db.journal_add(*side, uid, href)?;
        }
        transaction.commit()?;
        self.journal.journaled.extend(
            creates
                .into_iter()
                .map(|(side, uid, _)| (side, uid.to_string())),
        );
        Ok(())
    }

    pub(super) fn row_for(
        &self,
        uid: &str,
        snapshot: &Snapshot,
        local: &Item,
        server: &Item,
    ) -> StatusRow {
        let side = |s: Side, item: &Item| {
            let f = &snapshot[s].items[uid];
            SideStatus {
                href: f.href.clone(),
                version: f.version.clone(),
                hash: item.content_hash().to_string(),
            }
        };
        StatusRow {
            uid: uid.to_string(),
            local: side(Side::Local, local),
            server: side(Side::Server, server),
        }
    }

    /// Records a row in the database. The in-memory status served the plan;
    /// after it only conflict copies are looked up there (`remember`), so the
    /// rows of a large first run are not held twice.
    pub(super) fn put(&mut self, row: StatusRow, remember: bool) -> Result<(), Failure> {
        self.job
            .status
            .put(&row)
            .map_err(|e| Failure::new(Side::Local, None, e.to_string()))?;
        for side in [Side::Local, Side::Server] {
            if self.journal.journaled.remove(&(side, row.uid.clone())) {
                self.job
                    .status
                    .journal_remove(side, &row.uid)
                    .map_err(|e| Failure::new(side, None, e.to_string()))?;
            }
        }
        if remember {
            self.reader.known.rows.insert(row.uid.clone(), row);
        }
        Ok(())
    }

    /// Notes a write on a side whose store keeps a listing state (see
    /// [`StatusDb::note_written`]), in the transaction of its status row.
    pub(super) fn note_written(&self, side: Side, href: &str) -> Result<(), Failure> {
        if !self.keeps_state[side] {
            return Ok(());
        }
        self.job
            .status
            .note_written(side, href)
            .map_err(|e| Failure::new(side, Some(href.to_string()), e.to_string()))
    }

    pub(super) fn forget(&mut self, uid: &str) -> Result<(), Failure> {
        self.job
            .status
            .remove(uid)
            .map_err(|e| Failure::new(Side::Local, None, e.to_string()))?;
        self.reader.known.rows.remove(uid);
        Ok(())
    }

    /// Records what detection learnt, in one transaction before anything is
    /// written (detection itself writes nothing): earlier runs' `written`
    /// notes marked as older than this run, versions confirmed as the same
    /// items (every file after a big download), journal notes of creates
    /// never made, and fresh rows of unchanged items that moved or got a new
    /// version.
    pub(super) fn record_detected(
        &mut self,
        unchanged: &[String],
        snapshot: &Snapshot,
    ) -> Result<(), EngineError> {
        let db = self.job.status;
        let transaction = db.transaction()?;
        db.age_written()?;
        for (uid, side, version) in std::mem::take(&mut self.reader.known.fresh) {
            db.set_version(&uid, side, &version)?;
        }
        for (side, uid) in std::mem::take(&mut self.journal.stale) {
            db.journal_remove(side, &uid)?;
        }
        for uid in unchanged {
            self.refresh_status(uid, snapshot);
        }
        Ok(transaction.commit()?)
    }

    /// Writes a fresh status row when an unchanged item moved or got a new version.
    pub(super) fn refresh_status(&mut self, uid: &str, snapshot: &Snapshot) {
        let (Some(row), Some(l), Some(s)) = (
            self.reader.known.rows.get(uid),
            snapshot[Side::Local].items.get(uid),
            snapshot[Side::Server].items.get(uid),
        ) else {
            return;
        };
        let fresh = StatusRow {
            uid: uid.to_string(),
            local: SideStatus {
                href: l.href.clone(),
                version: l.version.clone(),
                hash: l.hash.to_string(),
            },
            server: SideStatus {
                href: s.href.clone(),
                version: s.version.clone(),
                hash: s.hash.to_string(),
            },
        };
        if &fresh != row
            && let Err(e) = self.job.status.put(&fresh)
        {
            self.report.errors.push(Message::run(e.to_string()));
        }
    }
}
