//! The scan: what a side's listing names as changed is read, parsed,
//! judged (filters, time range, content against the status) and parked in
//! the spool; unchanged items are taken from the status without a read.

use super::detect::{Detector, side_status};
use super::*;

impl<'s, 'a, 'j> Detector<'s, 'a, 'j> {
    /// Sorts a side's listing into items unchanged since the status (taken
    /// from it) and items to read, reads what changed, and sorts the items by
    /// UID. What is read is parked in the spool, so memory holds a batch of
    /// bodies at a time.
    pub(super) async fn scan(
        &mut self,
        side: Side,
        changes: ChangeSet,
    ) -> Result<SideView, EngineError> {
        let store = self.job.store(side);
        let mut view = SideView::default();
        self.listing.new_state[side] = changes.state;
        let mut by_href: HashMap<&str, &StatusRow> = HashMap::new();
        for row in self.reader.known.rows.values() {
            by_href.insert(side_status(row, side).href.as_str(), row);
        }
        // What a distrusted store lists (in full) or names as changed is read:
        // its version says nothing.
        let distrusted = self.reader.trust.distrusts(side);
        let (listed, named) = self.listing_of(side, changes.changes, &by_href);
        // Creates a killed run noted: their addresses are read whatever the
        // listing says (a server that lists late would make them duplicates).
        let journal = self.job.status.journal(side)?;
        let listed_hrefs: HashSet<String> = if journal.is_empty() {
            HashSet::new()
        } else {
            listed.iter().map(|l| l.href.clone()).collect()
        };
        // Unchanged items are taken from the status; the rest is read.
        let mut unread: Vec<(String, Found)> = Vec::new();
        let mut to_read: Vec<Href> = Vec::new();
        let mut owners: Vec<Option<String>> = Vec::new();
        for entry in listed {
            let reread = distrusted && named.as_ref().is_none_or(|n| n.contains(&entry.href));
            match by_href.get(entry.href.as_str()) {
                Some(row)
                    if !reread
                        && store.still_is(
                            &entry.href,
                            &entry.version,
                            &side_status(row, side).version,
                        ) =>
                {
                    let hash = Hash::new(&side_status(row, side).hash);
                    let uid = row.uid.clone();
                    unread.push((uid, Found::unread(entry.href, entry.version, hash)));
                }
                None if self.reader.outside.before[side]
                    .get(&entry.href)
                    .is_some_and(|o| o.version == entry.version) =>
                {
                    // Outside the range last time and unchanged: not read again.
                    let (href, row) = self.reader.outside.before[side]
                        .remove_entry(&entry.href)
                        .expect("checked");
                    let mut item = Found::unread(href.clone(), entry.version, Hash::new(&row.hash));
                    item.changed = true;
                    view.outside.insert(row.uid.clone(), item);
                    self.reader.outside.now[side].insert(href, row);
                }
                row => {
                    owners.push(row.map(|r| r.uid.clone()));
                    to_read.push(entry.href);
                }
            }
        }
        drop(by_href);
        for (uid, found) in unread {
            self.reader
                .collect(self.report, side, uid, found, &mut view);
        }
        for (_, href) in &journal {
            if !listed_hrefs.contains(href) && !to_read.contains(href) {
                to_read.push(href.clone());
                owners.push(None);
            }
        }
        let options = self.job.read_options();
        let mut asked = to_read.iter().zip(owners);
        let mut sink = |result| {
            let (href, owner) = asked
                .next()
                .map_or((None, None), |(h, o)| (Some(h.as_str()), o));
            self.reader
                .take_read(self.report, side, href, owner, result, &mut view);
            self.reader.tell_read(side, &view);
        };
        read_in_batches(store, &to_read, &options, &mut sink).await;
        self.settle_journal(side, journal, &view);
        Ok(view)
    }

    /// Every item a side holds, with its version: a full listing as it is;
    /// a delta laid over what the status (and the time range's bookkeeping)
    /// knows of the side. With it, for a delta, the hrefs it names as changed.
    fn listing_of(
        &self,
        side: Side,
        changes: Changes,
        by_href: &HashMap<&str, &StatusRow>,
    ) -> (Vec<Listed>, Option<HashSet<String>>) {
        let (changed, deleted) = match changes {
            Changes::Full(listed) => return (listed, None),
            Changes::Delta { changed, deleted } => (changed, deleted),
        };
        let named = changed.iter().map(|l| l.href.clone()).collect();
        let deleted: HashSet<&str> = deleted.iter().map(String::as_str).collect();
        let mut listed: HashMap<String, String> = by_href
            .iter()
            .filter(|(href, _)| !deleted.contains(*href))
            .map(|(href, row)| (href.to_string(), side_status(row, side).version.clone()))
            .collect();
        // Items outside the time range are not in the status either: the
        // ones the delta does not name are as they were.
        for (href, row) in &self.reader.outside.before[side] {
            if !deleted.contains(href.as_str()) {
                listed
                    .entry(href.clone())
                    .or_insert_with(|| row.version.clone());
            }
        }
        for entry in changed {
            listed.insert(entry.href, entry.version);
        }
        let listed = listed
            .into_iter()
            .map(|(href, version)| Listed { href, version })
            .collect();
        (listed, Some(named))
    }

    /// Creates a killed run noted in the journal: one found where it was to
    /// be made is settled when its status row is written; one not there
    /// was never made (or is gone since), and its note is dropped before
    /// execution.
    fn settle_journal(&mut self, side: Side, journal: Vec<(String, Href)>, view: &SideView) {
        for (uid, href) in journal {
            if view.items.get(&uid).is_some_and(|f| f.href == href) {
                self.journal.journaled.insert((side, uid));
            } else {
                self.journal.stale.push((side, uid));
            }
        }
    }
}
