//! The time range's bookkeeping: items found outside it are remembered (not
//! read again while they stay), and taken up when the other side holds them
//! inside it.

use super::SideView;
use crate::per_side::PerSide;
use crate::planner::Side;
use crate::status::{OutsideRow, StatusDb, StatusError};
use crate::time_range::TimeRange;
use std::collections::HashMap;

/// What each side holds outside the time range, last time and now.
#[derive(Default)]
pub(super) struct Outside {
    /// Items each side held outside the time range last time (by href).
    pub(super) before: PerSide<HashMap<String, OutsideRow>>,
    /// Items each side holds outside the time range now (by href).
    pub(super) now: PerSide<HashMap<String, OutsideRow>>,
    /// Whether a side's items outside the range differ from last time (so
    /// that an idle run does not rewrite them).
    pub(super) changed: PerSide<bool>,
    /// The time range differs from the last clean run's (a new day, or the
    /// filter turned on or off): every item outside it is looked at again.
    pub(super) range_changed: bool,
}

impl Outside {
    /// Reads what the last clean run left outside the time range, if the
    /// range is still the same.
    pub(super) fn load(db: &StatusDb, range: Option<TimeRange>) -> Result<Outside, StatusError> {
        let mut outside = Outside::default();
        let key = range.map(|r| r.key());
        // Also when the filter was turned off: what it left out is wanted now.
        outside.range_changed = key != db.range_key()?;
        if key.is_some() && !outside.range_changed {
            for side in [Side::Local, Side::Server] {
                outside.before[side] = db.outside(side)?;
            }
        }
        Ok(outside)
    }

    /// Keeps what is outside the time range now, and the range, for the next
    /// run; written only where something changed.
    pub(super) fn save(&self, db: &StatusDb, range: Option<TimeRange>) -> Result<(), StatusError> {
        for side in [Side::Local, Side::Server] {
            // Left over from last time: gone, changed or taken up since.
            let vanished = !self.before[side].is_empty();
            if self.range_changed || vanished || self.changed[side] {
                let rows = &self.now[side];
                db.set_outside(side, rows.iter().map(|(h, r)| (h.as_str(), r)))?;
            }
        }
        if self.range_changed {
            db.set_range_key(range.map(|r| r.key()).as_deref())?;
        }
        Ok(())
    }

    /// Takes up items outside the time range on `side` whose UID the other
    /// side holds inside it: one item, judged differently (a time zone, an
    /// edit), must not become two.
    pub(super) fn take_up(&mut self, view: &mut SideView, other: &SideView, side: Side) {
        let uids: Vec<String> = view
            .outside
            .keys()
            .filter(|uid| other.items.contains_key(*uid))
            .cloned()
            .collect();
        for uid in uids {
            if let Some(found) = view.outside.remove(&uid) {
                self.now[side].remove(&found.href);
                self.changed[side] = true;
                view.items.entry(uid).or_insert(found);
            }
        }
    }
}
