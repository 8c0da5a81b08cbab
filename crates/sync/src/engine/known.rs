//! What the status database says of the items, as far as a run needs it:
//! the rows of items that may need work are held; rows of items unchanged on
//! both sides ("quiet") are only counted, so that memory does not grow with
//! the collection on a run with little to do.

use crate::per_side::PerSide;
use crate::planner::Side;
use crate::status::{StatusDb, StatusError, StatusRow};
use std::collections::{HashMap, HashSet};

/// The status rows a run knows of.
#[derive(Default)]
pub(super) struct Known {
    /// Rows of items that may need work, by UID.
    pub(super) rows: HashMap<String, StatusRow>,
    /// Status rows at the start of the run (held and quiet).
    pub(super) total: usize,
    /// Items unchanged on both sides since the status (rows not held).
    pub(super) quiet: usize,
    /// Hashes of the quiet items' UIDs: a UID read this run that may be one
    /// of them is looked up (its row is taken in again).
    pub(super) quiet_uids: HashSet<u64>,
    /// Quiet rows taken in again because an item read this run had their UID.
    pub(super) revived: Vec<StatusRow>,
    /// New versions a store confirmed as the same items (UID, side, version:
    /// every file after a big download), recorded before execution.
    pub(super) fresh: Vec<(String, Side, String)>,
    /// New versions confirmed early (href → version, while the server
    /// worked on its answer), so that loading the status does not confirm
    /// them again.
    pub(super) confirmed: PerSide<HashMap<String, String>>,
}

/// A UID's key in [`Known::quiet_uids`].
pub(super) fn uid_key(uid: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    uid.hash(&mut hasher);
    hasher.finish()
}

impl Known {
    /// Whether a UID has a status row, held or quiet (a quiet one is read
    /// from the database and held from now on).
    pub(super) fn knows(&mut self, uid: &str, db: &StatusDb) -> Result<bool, StatusError> {
        if self.rows.contains_key(uid) {
            return Ok(true);
        }
        if !self.quiet_uids.contains(&uid_key(uid)) {
            return Ok(false);
        }
        let Some(row) = db.get(uid)? else {
            return Ok(false);
        };
        self.quiet_uids.remove(&uid_key(uid));
        self.quiet -= 1;
        self.rows.insert(row.uid.clone(), row.clone());
        self.revived.push(row);
        Ok(true)
    }
}
