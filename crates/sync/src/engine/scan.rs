//! The scan: what a side's listing names as changed is read, parsed,
//! judged (filters, time range, content against the status) and parked in
//! the spool; unchanged items are taken from the status without a read.

use super::detect::side_status;
use super::*;

impl<'a, 'j> Run<'a, 'j> {
    /// Sorts a side's listing into items unchanged since the status (taken
    /// from it) and items to read, reads what changed, and sorts the items by
    /// UID. What is read is parked in the spool, so memory holds a batch of
    /// bodies at a time.
    pub(super) async fn scan(
        &mut self,
        side: Side,
        changes: ChangeSet,
    ) -> Result<SideView, EngineError> {
        let store = self.store(side);
        let mut view = SideView::default();
        self.new_state[side] = changes.state;
        let mut by_href: HashMap<&str, &StatusRow> = HashMap::new();
        for row in self.known.rows.values() {
            by_href.insert(side_status(row, side).href.as_str(), row);
        }
        // What a distrusted store lists (in full) or names as changed is read:
        // its version says nothing.
        let distrusted = self.trust.distrusts(side);
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
                None if self.outside.before[side]
                    .get(&entry.href)
                    .is_some_and(|o| o.version == entry.version) =>
                {
                    // Outside the range last time and unchanged: not read again.
                    let (href, row) = self.outside.before[side]
                        .remove_entry(&entry.href)
                        .expect("checked");
                    let mut item = Found::unread(href.clone(), entry.version, Hash::new(&row.hash));
                    item.changed = true;
                    view.outside.insert(row.uid.clone(), item);
                    self.outside.now[side].insert(href, row);
                }
                row => {
                    owners.push(row.map(|r| r.uid.clone()));
                    to_read.push(entry.href);
                }
            }
        }
        drop(by_href);
        for (uid, found) in unread {
            self.collect(side, uid, found, &mut view);
        }
        for (_, href) in &journal {
            if !listed_hrefs.contains(href) && !to_read.contains(href) {
                to_read.push(href.clone());
                owners.push(None);
            }
        }
        let options = self.read_options();
        let mut asked = to_read.iter().zip(owners);
        let mut sink = |result| {
            let (href, owner) = asked
                .next()
                .map_or((None, None), |(h, o)| (Some(h.as_str()), o));
            self.take_read(side, href, owner, result, &mut view);
            self.tell_read(side, &view);
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
        for (href, row) in &self.outside.before[side] {
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
                self.journaled.insert((side, uid));
            } else {
                self.stale_journal.push((side, uid));
            }
        }
    }

    pub(super) fn read_options(&self) -> ReadOptions {
        ReadOptions {
            batch_size: self.job.options.batch_size.max(1),
            concurrency: self.job.options.concurrency.max(1),
            time_range: self.job.options.time_range.map(|r| (r.start, r.end)),
        }
    }

    /// An item read during the scan, parsed; `None` when it is gone since
    /// the listing, or could not be read or parsed (reported, and the UID
    /// the status knows at its address, `owner`, is left alone).
    fn parse_read(
        &mut self,
        side: Side,
        asked: Option<&str>,
        owner: Option<String>,
        result: Result<Fetched, StoreError>,
    ) -> Option<(Item, String, String, Option<DateTime<Utc>>)> {
        let fetched = match result {
            Ok(f) => f,
            Err(StoreError::NotFound { .. }) => return None,
            Err(e) => {
                let href = match &e {
                    _ if asked.is_some() => asked.map(str::to_string),
                    StoreError::PreconditionFailed { href, .. }
                    | StoreError::AlreadyExists { href }
                    | StoreError::InvalidHref { href }
                    | StoreError::TooLarge { href, .. }
                    | StoreError::NotText { href } => Some(href.clone()),
                    _ => None,
                };
                self.item_message(
                    false,
                    side,
                    href.as_deref(),
                    owner.as_deref(),
                    format!("cannot read: {e}; left alone"),
                );
                self.untouchable.extend(owner);
                return None;
            }
        };
        let Fetched {
            href,
            version,
            body,
            modified,
        } = fetched;
        match Item::parse(body) {
            Ok(item) => Some((item, href, version, modified)),
            Err(e) => {
                self.item_message(
                    false,
                    side,
                    Some(&href),
                    owner.as_deref(),
                    format!("cannot be parsed: {e}; left alone"),
                );
                self.untouchable.extend(owner);
                None
            }
        }
    }

    /// Takes in one item read during the scan (`owner`: the UID the status
    /// knows at its address): parsed, judged, and its body parked in the spool.
    pub(super) fn take_read(
        &mut self,
        side: Side,
        asked: Option<&str>,
        owner: Option<String>,
        result: Result<Fetched, StoreError>,
        view: &mut SideView,
    ) {
        let Some((item, href, version, modified)) = self.parse_read(side, asked, owner, result)
        else {
            return;
        };
        let uid = item.uid().to_string();
        if !self.job.mapping.admits(side, &item) {
            view.foreign.insert(uid);
            return;
        }
        if let Some(range) = self.job.options.time_range
            && !self.is_known(&uid)
            && !item.meets_time_range(range.start, range.end)
        {
            // New and outside the range: left out, and remembered so that it
            // is not read again while it stays as it is.
            let hash = item.content_hash().to_string();
            let mut outside = Found::unread(href.clone(), version.clone(), Hash::new(&hash));
            outside.changed = true;
            outside.read = Some(Box::new(ReadFacts {
                modified: item.modified().or(modified),
                summary: item.summary().map(str::to_string),
                ..ReadFacts::default()
            }));
            view.outside.insert(uid.clone(), outside);
            self.outside.now[side].insert(href, OutsideRow { version, uid, hash });
            self.outside.changed[side] = true;
            return;
        }
        self.is_known(&uid);
        // The content decides: a new version of the same content is no change
        // (a server that rewrote it), and the same version with other content
        // is one (a server that does not change its ETags), said once here.
        let (changed, same_version) = match self.known.rows.get(&uid) {
            Some(row) => {
                let known = side_status(row, side);
                (
                    known.hash != item.content_hash(),
                    known.version == version && known.href == href,
                )
            }
            None => (true, false),
        };
        if changed && same_version {
            self.catch(side, &href, &version);
            self.item_message(
                true,
                side,
                Some(&href),
                Some(&uid),
                format!(
                    "the {side} store changed this item without changing its version (ETag \
                     {version})"
                ),
            );
        }
        let server_hash = match side {
            Side::Local => self
                .map_to(Side::Server, item.clone())
                .ok()
                .map(|mapped| Hash::new(mapped.content_hash())),
            Side::Server => None,
        };
        let spooled = self.park(item.body());
        let found = Found {
            href,
            version,
            hash: Hash::new(item.content_hash()),
            changed,
            read: Some(Box::new(ReadFacts {
                spooled,
                modified: item.modified().or(modified),
                summary: item.summary().map(str::to_string),
                server_hash,
            })),
            item: if spooled.is_some() {
                None
            } else {
                Some(Box::new(item))
            },
        };
        self.collect(side, uid, found, view);
    }

    /// Tells the progress hook of the items read on a side so far (every
    /// hundredth, so that the hook costs nothing on a large collection).
    pub(super) fn tell_read(&self, side: Side, view: &SideView) {
        let read = view.items.len() + view.outside.len() + view.foreign.len();
        if read.is_multiple_of(100) && read > 0 {
            self.tell(Progress::Read { side, read });
        }
    }

    /// Parks a body in the run's spool (made on first use); `None` keeps it in memory.
    pub(super) fn park(&mut self, body: &str) -> Option<Slot> {
        if self.spool.is_none() {
            match Spool::new(self.job.scratch_dir) {
                Ok(spool) => self.spool = Some(spool),
                Err(e) => {
                    tracing::warn!("no scratch file for item bodies ({e}); keeping them in memory");
                    return None;
                }
            }
        }
        self.spool.as_ref().and_then(|spool| spool.put(body))
    }
}
