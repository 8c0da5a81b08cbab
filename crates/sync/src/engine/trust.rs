//! Trust in a store's versions: a store caught changing an item without
//! changing its version (ETag) is distrusted from then on, and the engine
//! reads what it names as changed instead of believing its versions.

use crate::per_side::PerSide;
use crate::planner::Side;
use crate::status::{StatusDb, StatusError};
use davsync_store::Store;

/// What the run knows of each side's versions.
#[derive(Default)]
pub(super) struct Trust {
    /// Sides whose store was caught before changing an item without changing
    /// its version: every item it names as changed is read (and its full
    /// listings are read whole), since its versions say nothing.
    distrusted: PerSide<bool>,
    /// Sides caught at it in this run (an item and its version, for the note).
    caught: PerSide<Option<String>>,
    /// Sides whose listing vouched for an item found gone in this run (a
    /// deletion its changes left out, or one made during the run): an
    /// example, for the log.
    missed: PerSide<Option<String>>,
}

impl Trust {
    /// What earlier runs found out.
    pub(super) fn load(db: &StatusDb) -> Result<Trust, StatusError> {
        let mut trust = Trust::default();
        for side in [Side::Local, Side::Server] {
            trust.distrusted[side] = db.versions_untrusted(side)?;
        }
        Ok(trust)
    }

    /// Whether `side`'s versions are not to be believed.
    pub(super) fn distrusts(&self, side: Side) -> bool {
        self.distrusted[side]
    }

    /// Notes that `store` (on `side`) changed the item at `href` without
    /// changing its version. Only stores whose versions are their word
    /// (servers) are held to it: a folder's versions are its file times.
    pub(super) fn catch(&mut self, side: Side, store: &dyn Store, href: &str, version: &str) {
        if store.checks_content_before_overwrite() {
            self.caught[side].get_or_insert_with(|| format!("{href} kept {version}"));
        }
    }

    /// Notes that the item at `href` on `side`, taken as unchanged from the
    /// listing without a read, was gone when read.
    pub(super) fn missed(&mut self, side: Side, href: &str) {
        self.missed[side].get_or_insert_with(|| href.to_string());
    }

    /// The sides whose listing vouched for an item that was gone, each with
    /// an example: their changes since the last run are not taken on their
    /// word next time.
    pub(super) fn take_missed(&mut self) -> Vec<(Side, String)> {
        [Side::Local, Side::Server]
            .into_iter()
            .filter_map(|side| Some((side, self.missed[side].take()?)))
            .collect()
    }

    /// The sides caught in this run that were trusted until now, each with
    /// an example.
    pub(super) fn newly_caught(&mut self) -> Vec<(Side, String)> {
        [Side::Local, Side::Server]
            .into_iter()
            .filter_map(|side| {
                let example = self.caught[side].take()?;
                (!self.distrusted[side]).then_some((side, example))
            })
            .collect()
    }
}
