//! Server lists (SOGo's VLIST) written while a member contact was not on the
//! server (its upload failed, or it is no contact of the book yet): the list
//! names it as an outside member (`Item::awaited_members`), and the status
//! database keeps which (`status/awaiting.rs`). Once one of those contacts
//! is on the server, the list's folder copy is marked as changed and `sync`
//! makes one more pass (`engine.rs`), which writes the list again through
//! the usual stages, the contact now a `CARD` line.

use super::dangling::repairs;
use super::*;
use crate::status::StatusError;

/// Marks the folder copies of the lists that await a contact now on the
/// server as changed; returns how many. Lists no longer synced are
/// forgotten. Nothing in modes where the folder is no source.
pub(super) fn mark_due(job: &SyncJob<'_>) -> Result<usize, StatusError> {
    if repairs(job).is_none() {
        return Ok(0);
    }
    let db = job.status;
    let mut due = 0;
    for (list, members) in db.awaiting_members()? {
        let Some(mut row) = db.get(&list)? else {
            db.set_awaiting_members(&list, &[])?;
            continue;
        };
        let mut arrived = false;
        for member in &members {
            arrived |= db.get(member)?.is_some();
        }
        if !arrived {
            continue;
        }
        // No version and no hash: the next detection reads the file and
        // finds it changed, and the plan takes it to the server.
        row.local.version.clear();
        row.local.hash.clear();
        db.put(&row)?;
        due += 1;
    }
    Ok(due)
}
