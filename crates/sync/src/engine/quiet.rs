//! Quiet items: a status row whose item is listed on both sides at the
//! address and version it records (or, in a delta, not named) is only
//! counted, not held, so that a run with little to do holds little.

use super::detect::{Detector, side_status};
use super::known::uid_key;
use super::*;

/// Where an unchanged item is listed, and its new version if the store gave
/// it one.
pub(super) struct Unchanged<'l> {
    at: Option<usize>,
    fresh: Option<&'l String>,
}

/// One side's listing, looked up by address while the status is loaded.
pub(super) enum QuietCheck<'l> {
    /// A full listing, sorted by href, and which entries belong to quiet items.
    Full {
        listed: &'l mut Vec<Listed>,
        quiet: Vec<bool>,
        /// The store's versions are not trusted: no item is taken as unchanged.
        distrusted: bool,
    },
    /// A delta: the hrefs it names (changed or deleted).
    Delta { named: HashSet<String> },
}

impl<'l> QuietCheck<'l> {
    pub(super) fn new(changes: &'l mut Changes, distrusted: bool) -> Self {
        match changes {
            Changes::Full(listed) => {
                listed.sort_unstable_by(|a, b| a.href.cmp(&b.href));
                let quiet = vec![false; listed.len()];
                QuietCheck::Full {
                    listed,
                    quiet,
                    distrusted,
                }
            }
            Changes::Delta { changed, deleted } => QuietCheck::Delta {
                named: changed
                    .iter()
                    .map(|l| l.href.clone())
                    .chain(deleted.iter().cloned())
                    .collect(),
            },
        }
    }

    /// `Some` when the item this side of a status row records is there as
    /// recorded (same address, and the same version or one the store
    /// confirms as the same item), with its listing entry if any.
    pub(super) fn unchanged(
        &self,
        known: &SideStatus,
        store: &dyn Store,
        confirmed: &HashMap<String, String>,
    ) -> Option<Unchanged<'_>> {
        match self {
            QuietCheck::Full {
                distrusted: true, ..
            } => None,
            QuietCheck::Full { listed, .. } => {
                let at = listed
                    .binary_search_by(|l| l.href.as_str().cmp(&known.href))
                    .ok()?;
                let version = &listed[at].version;
                if *version == known.version {
                    Some(Unchanged {
                        at: Some(at),
                        fresh: None,
                    })
                } else {
                    let same = confirmed.get(&known.href) == Some(version)
                        || store.still_is(&known.href, version, &known.version);
                    same.then_some(Unchanged {
                        at: Some(at),
                        fresh: Some(version),
                    })
                }
            }
            QuietCheck::Delta { named } => (!named.contains(&known.href)).then_some(Unchanged {
                at: None,
                fresh: None,
            }),
        }
    }

    /// Marks a listing entry as a quiet item's.
    pub(super) fn take(&mut self, at: Option<usize>) {
        if let (QuietCheck::Full { quiet, .. }, Some(at)) = (self, at) {
            quiet[at] = true;
        }
    }

    /// Drops the quiet items' entries from the listing.
    pub(super) fn finish(self) {
        if let QuietCheck::Full { listed, quiet, .. } = self {
            let mut at = 0;
            listed.retain(|_| {
                at += 1;
                !quiet[at - 1]
            });
        }
    }
}

impl<'s, 'a, 'j> Detector<'s, 'a, 'j> {
    /// Loads the status rows, but only of items that may need work: a row
    /// whose item is listed on both sides at the address and version it
    /// records (or, in a delta, not named) is counted as quiet and its
    /// listing entries are dropped. A run with little to do then holds little.
    pub(super) fn load_status(&mut self, listings: &mut [ChangeSet; 2]) -> Result<(), EngineError> {
        let [l, s] = listings.each_mut();
        let mut sides = [
            QuietCheck::new(&mut l.changes, self.reader.trust.distrusts(Side::Local)),
            QuietCheck::new(&mut s.changes, self.reader.trust.distrusts(Side::Server)),
        ];
        let (local, server) = (self.job.local, self.job.server);
        let confirmed = std::mem::take(&mut self.reader.known.confirmed);
        let mut status = HashMap::new();
        let mut quiet_uids = HashSet::new();
        // New versions of unchanged items (every file after a big download,
        // once confirmed by its bytes), recorded after the rows are read.
        let mut fresh: Vec<(String, Side, String)> = Vec::new();
        self.job.status.each(|row| {
            let [l, s] = &sides;
            let (Some(lu), Some(su)) = (
                l.unchanged(&row.local, local, &confirmed.local),
                s.unchanged(&row.server, server, &confirmed.server),
            ) else {
                status.insert(row.uid.clone(), row);
                return;
            };
            for (side, unchanged) in [(Side::Local, &lu), (Side::Server, &su)] {
                if let Some(version) = unchanged.fresh {
                    fresh.push((row.uid.clone(), side, version.clone()));
                }
            }
            let (la, sa) = (lu.at, su.at);
            let [l, s] = &mut sides;
            l.take(la);
            s.take(sa);
            quiet_uids.insert(uid_key(&row.uid));
        })?;
        for side in sides {
            side.finish();
        }
        self.reader.known.fresh = fresh;
        self.reader.known.quiet = quiet_uids.len();
        self.reader.known.quiet_uids = quiet_uids;
        self.reader.known.rows = status;
        Ok(())
    }

    /// Confirms a fully listed side's new versions of unchanged items before
    /// the status is loaded: run while the server works on its answer, it
    /// takes the one-time cost after a big download off the run's length.
    pub(super) fn confirm_fresh(
        &mut self,
        side: Side,
        changes: &mut ChangeSet,
    ) -> Result<(), EngineError> {
        if self.job.options.dry_run || !matches!(changes.changes, Changes::Full(_)) {
            return Ok(());
        }
        let check = QuietCheck::new(&mut changes.changes, self.reader.trust.distrusts(side));
        let store = self.job.store(side);
        let none = HashMap::new();
        let mut confirmed = HashMap::new();
        self.job.status.each(|row| {
            let known = side_status(&row, side);
            if let Some(Unchanged {
                fresh: Some(version),
                ..
            }) = check.unchanged(known, store, &none)
            {
                confirmed.insert(known.href.clone(), version.clone());
            }
        })?;
        self.reader.known.confirmed[side] = confirmed;
        Ok(())
    }
}
