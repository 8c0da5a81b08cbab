//! Update detection: what changed on each side since the last clean run.
//! Listing (a delta or everything), the checks that make a delta answer for
//! what it leaves out (`settle`, `vouch`), the status rows of items that
//! may need work, and the scan that reads what changed.

use super::map::Around;
use super::parse_ahead::ParseAhead;
use super::reader::Reader;
use super::record::Journal;
use super::shelf::Shelf;
use super::*;

/// What the profile takes up (mode, filters) as text, and whether it
/// differs from the last clean run's: then items left alone before may be
/// wanted now, and no delta would name them, so both sides are listed in
/// full.
#[derive(Default)]
pub(super) struct Selection {
    pub(super) key: String,
    pub(super) changed: bool,
}

impl Selection {
    /// Compares what the profile takes up now with the last clean run's.
    pub(super) fn load(
        db: &StatusDb,
        mode: Mode,
        mapping: &Mapping,
    ) -> Result<Selection, crate::status::StatusError> {
        let key = format!("{mode:?}; {}", mapping.selection());
        let changed = db.selection_key()?.as_ref() != Some(&key);
        Ok(Selection { key, changed })
    }
}

pub(super) fn side_status(row: &StatusRow, side: Side) -> &SideStatus {
    match side {
        Side::Local => &row.local,
        Side::Server => &row.server,
    }
}

/// Each side's listing as detection found it: kept for the next run if
/// this one ends clean.
#[derive(Default)]
pub(super) struct Listing {
    /// The listing state to ask from next time (a sync token, say).
    pub(super) new_state: PerSide<Option<String>>,
    /// Whether the side was listed in full (rather than as changes since
    /// last time).
    pub(super) full: PerSide<bool>,
}

/// What detection hands on: the snapshot (with the status rows it was read
/// against, in the reader's [`Known`]), and what the rest of the run keeps.
pub(super) struct Detected {
    /// What both sides hold now, by UID.
    pub(super) snapshot: Snapshot,
    /// A first download's server items, when they wait on the shelf rather
    /// than in the snapshot.
    pub(super) shelf: Option<Shelf>,
    /// Each side's listing.
    pub(super) listing: Listing,
    /// The create journal as detection found it.
    pub(super) journal: Journal,
    /// What the profile takes up.
    pub(super) selection: Selection,
}

/// The detection stage: lists both sides, loads the status rows of what
/// may need work, and reads what changed through the reader.
pub(super) struct Detector<'s, 'a, 'j> {
    pub(super) job: &'j SyncJob<'a>,
    pub(super) reader: &'s mut Reader<'a, 'j>,
    pub(super) report: &'s mut Report,
    pub(super) listing: Listing,
    pub(super) journal: Journal,
    pub(super) selection: Selection,
}

impl<'s, 'a, 'j> Detector<'s, 'a, 'j> {
    /// A detector reading through `reader`, reporting to `report`.
    pub(super) fn new(
        job: &'j SyncJob<'a>,
        reader: &'s mut Reader<'a, 'j>,
        report: &'s mut Report,
    ) -> Self {
        Detector {
            job,
            reader,
            report,
            listing: Listing::default(),
            journal: Journal::default(),
            selection: Selection::default(),
        }
    }

    /// Detection: what both sides hold now, by UID, read against the status
    /// (which `known` then holds, as far as the plan needs it). Writes
    /// nothing: what it learns for the status database (confirmed versions,
    /// stale journal notes) is recorded by `record_detected`.
    pub(super) async fn detect(mut self) -> Result<Detected, EngineError> {
        let db = self.job.status;
        self.reader.outside = Outside::load(db, self.job.options.time_range)?;
        self.selection = Selection::load(db, self.job.options.mode, self.job.mapping)?;
        self.reader.trust = Trust::load(db)?;
        self.reader.known.total = db.count()?;
        // A first sync (or a lost status database): everything is read. A
        // profile whose last clean run ended with nothing on either side
        // kept a listing state, and asks for the changes since, as any.
        let first = self.reader.known.total == 0 && db.state(Side::Server)?.is_none();
        let mut shelf = None;
        let (mut local, mut server) = if first {
            let local = self.read_everything(Side::Local).await?;
            let server = if self.shelves_the_server(&local) {
                let (view, shelved) = self.read_onto_shelf(Side::Server).await?;
                shelf = Some(shelved);
                view
            } else {
                self.read_everything(Side::Server).await?
            };
            (local, server)
        } else {
            self.changes_since_last_run().await?
        };
        if let Some(spool) = &self.reader.spool {
            spool.settle();
        }
        self.pair_forms(&local, &mut server);
        self.reader
            .outside
            .take_up(&mut local, &server, Side::Local);
        self.reader
            .outside
            .take_up(&mut server, &local, Side::Server);
        self.report.outside_time_range = local
            .outside
            .keys()
            .chain(server.outside.keys())
            .collect::<HashSet<_>>()
            .len();
        self.report.lists_skipped = local.foreign_lists.union(&server.foreign_lists).count();
        Ok(Detected {
            snapshot: PerSide::new(local, server),
            shelf,
            listing: self.listing,
            journal: self.journal,
            selection: self.selection,
        })
    }

    /// Whether a first sync reads the server onto the shelf (see
    /// `shelf.rs`): the folder holds nothing of the profile (`local`, read in
    /// full), and every server item can only be copied into it.
    fn shelves_the_server(&self, local: &SideView) -> bool {
        let takes_in = matches!(
            self.job.options.mode,
            Mode::TwoWay | Mode::ToLocal | Mode::ToLocalMerge
        );
        takes_in
            && !self.job.options.dry_run
            && local.items.is_empty()
            && local.outside.is_empty()
            && self.reader.untouchable.is_empty()
    }

    /// [`read_everything`](Self::read_everything) onto a [`Shelf`]: each
    /// item as it arrives is read as usual, then parked whole. The view
    /// keeps what is not the profile's and what is outside the time range.
    async fn read_onto_shelf(&mut self, side: Side) -> Result<(SideView, Shelf), EngineError> {
        let store = self.job.store(side);
        let mut view = SideView::default();
        let mut shelf = Shelf::default();
        let options = self.job.read_options();
        let mut take = |parsed| {
            self.reader
                .take_parsed(self.report, side, None, None, parsed, &mut view);
            for (uid, found) in view.items.drain() {
                shelf.put(self.reader, uid, found);
            }
            let read = shelf.len() + view.outside.len() + view.foreign.len();
            if read.is_multiple_of(100) && read > 0 {
                self.job.tell(Progress::Read { side, read });
            }
        };
        let mut ahead = ParseAhead::start();
        let mut sink = |result| ahead.put(result).into_iter().for_each(&mut take);
        let state = store.read_all(&options, &mut sink).await;
        ahead.finish().into_iter().for_each(&mut take);
        self.listing.new_state[side] = state.map_err(|e| self.listing_error(side, e))?;
        self.listing.full[side] = true;
        shelf.sort(self.reader, self.report, side);
        tracing::info!(
            "{}: first download of {} items, to be written a chunk at a time",
            store.describe(),
            shelf.len()
        );
        Ok((view, shelf))
    }

    /// Both sides' changes since the last clean run, made to answer for what
    /// they leave out, with the status rows of what may need work loaded and
    /// what changed read.
    async fn changes_since_last_run(&mut self) -> Result<(SideView, SideView), EngineError> {
        // The server's answer takes longest (Radicale hashes the whole
        // collection to answer a sync-collection): the folder is listed
        // (on blocking threads) and checked while the server works.
        let since = self.listing_since(Side::Server)?;
        let server_store = self.job.server;
        let server_listing = server_store.list_changes(since.as_deref());
        let local_listing = async {
            let local = self.list(Side::Local).await?;
            let local = self.settle(Side::Local, local).await?;
            let mut local = self.vouch(Side::Local, local).await?;
            self.confirm_fresh(Side::Local, &mut local)?;
            Ok::<_, EngineError>(local)
        };
        let (local, server) = tokio::join!(local_listing, server_listing);
        let local = local?;
        let server = server.map_err(|e| self.listing_error(Side::Server, e))?;
        let server = self.settle(Side::Server, server).await?;
        let server = self.vouch(Side::Server, server).await?;
        let mut listings = [local, server];
        self.load_status(&mut listings)?;
        let [local, server] = listings;
        let mut local = self.scan(Side::Local, local).await?;
        let mut server = self.scan(Side::Server, server).await?;
        self.revive_quiet(&mut local, &mut server);
        Ok((local, server))
    }

    /// The listing state to ask a side's store from (none after a change of
    /// the time range or of what the profile takes up: a full listing then).
    pub(super) fn listing_since(&self, side: Side) -> Result<Option<String>, EngineError> {
        if self.reader.outside.range_changed
            || self.selection.changed
            || self.full_listing_due(side)?
        {
            return Ok(None);
        }
        Ok(self.job.status.state(side)?)
    }

    /// Whether a side's last full listing is older than the options allow
    /// (or unknown, or in the future: a clock set back): its changes since
    /// then rest on the store's word alone (see
    /// [`SyncOptions::full_listing_every`]).
    fn full_listing_due(&self, side: Side) -> Result<bool, EngineError> {
        let Some(every) = self.job.options.full_listing_every else {
            return Ok(false);
        };
        let Some(last) = self.job.status.listed_in_full(side)? else {
            return Ok(true);
        };
        let due = match (self.report.started - last).to_std() {
            Ok(since) => since >= every,
            Err(_) => true,
        };
        if due {
            tracing::info!(
                "{}: last listed in full at {last}; listing everything again",
                self.job.store(side).describe()
            );
        }
        Ok(due)
    }

    /// For a UID read on both sides whose local item's server form is not
    /// the server's item: the server item's folder form, since the pair is
    /// the same item when that is the folder's item (a mapping that adds to
    /// the server copy, `SCHEDULE-AGENT` say, makes the server form differ).
    /// Only such pairs pay for it; the body goes back to the spool.
    fn pair_forms(&mut self, local: &SideView, server: &mut SideView) {
        for (uid, found) in server.items.iter_mut() {
            let Some(l) = local.items.get(uid) else {
                continue;
            };
            let server_form = l.read.as_ref().and_then(|r| r.mapped_hash.as_ref());
            if found.read.is_none() || l.read.is_none() || server_form == Some(&found.hash) {
                continue;
            }
            self.reader.unpark(found);
            let Some(item) = found.item.take() else {
                continue;
            };
            let folder_form = self
                .reader
                .map_to(
                    Side::Local,
                    Item::clone(&item),
                    None,
                    Around::default(),
                    None,
                )
                .ok()
                .map(|mapped| Hash::new(mapped.content_hash()));
            let spooled = self.reader.park(&item);
            if spooled.is_none() {
                found.item = Some(item);
            }
            if let Some(read) = found.read.as_mut() {
                read.mapped_hash = folder_form;
                read.spooled = spooled;
            }
        }
    }

    pub(super) fn listing_error(&self, side: Side, source: StoreError) -> EngineError {
        EngineError::Listing {
            side,
            store: self.job.store(side).describe(),
            source,
        }
    }

    /// A first sync (or a lost status): every item must be read, which a
    /// server does fastest as one query rather than listing + multigets.
    pub(super) async fn read_everything(&mut self, side: Side) -> Result<SideView, EngineError> {
        let store = self.job.store(side);
        let mut view = SideView::default();
        let options = self.job.read_options();
        let mut take = |parsed| {
            self.reader
                .take_parsed(self.report, side, None, None, parsed, &mut view);
            self.reader.tell_read(side, &view);
        };
        let mut ahead = ParseAhead::start();
        let mut sink = |result| ahead.put(result).into_iter().for_each(&mut take);
        let state = store.read_all(&options, &mut sink).await;
        ahead.finish().into_iter().for_each(&mut take);
        self.listing.new_state[side] = state.map_err(|e| self.listing_error(side, e))?;
        self.listing.full[side] = true;
        Ok(view)
    }

    /// What changed on a side since the last clean run (a new time range: a
    /// full listing, so that items which moved into it are found).
    pub(super) async fn list(&self, side: Side) -> Result<ChangeSet, EngineError> {
        let since = self.listing_since(side)?;
        self.job
            .store(side)
            .list_changes(since.as_deref())
            .await
            .map_err(|e| self.listing_error(side, e))
    }

    /// A delta as long as everything known may be a full listing in disguise
    /// (SOGo and DAViCal answer an expired token with one), in which an item
    /// not named is gone, not "unchanged": then everything is listed, to be
    /// sure. Unless it names every known item: then nothing is left to read
    /// into what it leaves out (SOGo names the items of the second of its
    /// token once more, all of a small collection written in one second).
    pub(super) async fn settle(
        &mut self,
        side: Side,
        mut changes: ChangeSet,
    ) -> Result<ChangeSet, EngineError> {
        if let Changes::Delta { changed, .. } = &changes.changes
            && self.reader.known.total > 0
            && changed.len() >= self.reader.known.total
            && !self.names_every_known(side, changed)?
        {
            let listed = self.job.store(side).list().await;
            changes.changes = Changes::Full(listed.map_err(|e| self.listing_error(side, e))?);
        }
        self.listing.full[side] = matches!(changes.changes, Changes::Full(_));
        Ok(changes)
    }

    /// Whether `changed` names the item of every status row on `side`.
    pub(super) fn names_every_known(
        &self,
        side: Side,
        changed: &[Listed],
    ) -> Result<bool, EngineError> {
        let named: HashSet<&str> = changed.iter().map(|l| l.href.as_str()).collect();
        let mut known = 0;
        self.job.status.each(|row| {
            known += usize::from(named.contains(side_status(&row, side).href.as_str()))
        })?;
        Ok(known == self.reader.known.total)
    }

    /// Makes a delta answer for the items this profile wrote on a side after
    /// the state it asks from was taken: a server may leave an item created
    /// and deleted since a sync token out of its changes altogether (RFC 6578
    /// allows it; Xandikos does), and "not named" would then be
    /// taken for "unchanged" for good. Each such item the delta does not name
    /// is looked at (read in batches): gone, it is added as deleted; there,
    /// as changed (with its version, so an unchanged one is not read again).
    /// Should that read fail, everything is listed instead. Nothing to look
    /// at in the usual case: a delta names what davsync wrote since the token.
    pub(super) async fn vouch(
        &mut self,
        side: Side,
        mut changes: ChangeSet,
    ) -> Result<ChangeSet, EngineError> {
        let Changes::Delta { changed, deleted } = &mut changes.changes else {
            return Ok(changes);
        };
        let written = self.job.status.written(side)?;
        let named: HashSet<&str> = changed
            .iter()
            .map(|l| l.href.as_str())
            .chain(deleted.iter().map(String::as_str))
            .collect();
        let unnamed: Vec<Href> = written
            .into_iter()
            .filter(|href| !named.contains(href.as_str()))
            .collect();
        if unnamed.is_empty() {
            return Ok(changes);
        }
        let looked = self.reader.fetch_many(side, &unnamed).await;
        let (mut found, mut gone) = (Vec::new(), Vec::new());
        for (href, result) in unnamed.into_iter().zip(looked) {
            match result {
                Ok(fetched) => found.push(Listed {
                    href,
                    version: fetched.version,
                }),
                Err(StoreError::NotFound { .. }) => gone.push(href),
                Err(e) => {
                    tracing::info!(
                        "{}: cannot look at {href}, written by an earlier run and not named in                          the changes since then ({e}); listing everything",
                        self.job.store(side).describe()
                    );
                    let listed = self.job.store(side).list().await;
                    changes.changes =
                        Changes::Full(listed.map_err(|e| self.listing_error(side, e))?);
                    self.listing.full[side] = true;
                    return Ok(changes);
                }
            }
        }
        tracing::info!(
            "{}: {} item(s) written by an earlier run were not named in the changes since              then: {} still there, {} gone",
            self.job.store(side).describe(),
            found.len() + gone.len(),
            found.len(),
            gone.len()
        );
        changed.extend(found);
        deleted.extend(gone);
        Ok(changes)
    }

    /// Puts the quiet items taken in again back into both sides' snapshot (as
    /// the status has them); the item read with the same UID at another
    /// address makes the UID held twice on that side.
    pub(super) fn revive_quiet(&mut self, local: &mut SideView, server: &mut SideView) {
        for side in [Side::Local, Side::Server] {
            let view = match side {
                Side::Local => &*local,
                Side::Server => &*server,
            };
            let uids: Vec<String> = view.outside.keys().cloned().collect();
            for uid in uids {
                self.reader.is_known(self.report, &uid);
            }
        }
        for row in std::mem::take(&mut self.reader.known.revived) {
            for (side, view) in [(Side::Local, &mut *local), (Side::Server, &mut *server)] {
                let known = side_status(&row, side);
                match view.items.get(&row.uid) {
                    None => {
                        let found = Found::unread(
                            known.href.clone(),
                            known.version.clone(),
                            Hash::new(&known.hash),
                        );
                        view.items.insert(row.uid.clone(), found);
                    }
                    Some(other) if other.href != known.href => {
                        let message = super::shelf::held_twice(&row.uid, &known.href, &other.href);
                        self.report.item_message(
                            false,
                            side,
                            Some(&other.href),
                            Some(&row.uid),
                            message,
                        );
                        self.reader.untouchable.insert(row.uid.clone());
                    }
                    Some(_) => {}
                }
            }
        }
    }
}
