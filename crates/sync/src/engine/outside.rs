//! The time range's bookkeeping: items found outside it are remembered (not
//! read again while they stay), and taken up when the other side holds them
//! inside it.

use super::*;

impl<'a, 'j> Run<'a, 'j> {
    /// Reads what the last clean run left outside the time range, if the
    /// range is still the same.
    pub(super) fn load_outside(&mut self) -> Result<(), crate::status::StatusError> {
        let key = self.job.options.time_range.map(|r| r.key());
        let before = self.job.status.range_key()?;
        // Also when the filter was turned off: what it left out is wanted now.
        self.range_changed = key != before;
        if key.is_some() && !self.range_changed {
            for side in [Side::Local, Side::Server] {
                self.outside_before[side] = self.job.status.outside(side)?;
            }
        }
        Ok(())
    }

    /// Keeps what is outside the time range now, and the range, for the next
    /// run; written only where something changed.
    pub(super) fn save_outside(&self) -> Result<(), crate::status::StatusError> {
        for side in [Side::Local, Side::Server] {
            // Left over from last time: gone, changed or taken up since.
            let vanished = !self.outside_before[side].is_empty();
            if self.range_changed || vanished || self.outside_changed[side] {
                let rows = &self.outside_now[side];
                self.job
                    .status
                    .set_outside(side, rows.iter().map(|(h, r)| (h.as_str(), r)))?;
            }
        }
        if self.range_changed {
            let key = self.job.options.time_range.map(|r| r.key());
            self.job.status.set_range_key(key.as_deref())?;
        }
        Ok(())
    }

    /// Takes up items outside the time range on `side` whose UID the other
    /// side holds inside it: one item, judged differently (a time zone, an
    /// edit), must not become two.
    pub(super) fn take_up_outside(&mut self, view: &mut SideView, other: &SideView, side: Side) {
        let uids: Vec<String> = view
            .outside
            .keys()
            .filter(|uid| other.items.contains_key(*uid))
            .cloned()
            .collect();
        for uid in uids {
            if let Some(found) = view.outside.remove(&uid) {
                self.outside_now[side].remove(&found.href);
                self.outside_changed[side] = true;
                view.items.entry(uid).or_insert(found);
            }
        }
    }
}
