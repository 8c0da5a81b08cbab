//! The read path, shared by detection and execution: an item read from a
//! store is parsed, judged (the profile's filters, the time range, its
//! content against the status, a version that lies) and its body parked in
//! the spool. Verification reads targets back through the same path. The
//! reader holds what that judging needs and learns: the status rows
//! ([`Known`]), the UIDs left alone, the spool, the time range's bookkeeping
//! and the trust in each store's versions.

use super::detect::side_status;
use super::map::Around;
use super::parse_ahead::Parsed;
use super::*;
use crate::mapping::MapContext;

/// The run's read path and what it holds.
pub(super) struct Reader<'a, 'j> {
    pub(super) job: &'j SyncJob<'a>,
    /// The status rows the run knows of.
    pub(super) known: Known,
    /// UIDs left alone this run (unreadable items, duplicate UIDs).
    pub(super) untouchable: BTreeSet<String>,
    /// Bodies read, parked until their chunk runs.
    pub(super) spool: Option<Spool>,
    /// What each side holds outside the time range.
    pub(super) outside: Outside,
    /// Whether each side's versions are believed.
    pub(super) trust: Trust,
}

impl<'a, 'j> Reader<'a, 'j> {
    /// A reader holding nothing yet (detection loads the status it needs).
    pub(super) fn new(job: &'j SyncJob<'a>) -> Self {
        Reader {
            job,
            known: Known::default(),
            untouchable: BTreeSet::new(),
            spool: None,
            outside: Outside::default(),
            trust: Trust::default(),
        }
    }

    /// A side's store.
    pub(super) fn store(&self, side: Side) -> &'a dyn Store {
        self.job.store(side)
    }

    /// Notes that a side's store changed an item without changing its version.
    pub(super) fn catch(&mut self, side: Side, href: &str, version: &str) {
        self.trust.catch(side, self.job.store(side), href, version);
    }

    /// Whether a UID is in the status, held or quiet (a quiet one is taken in
    /// again). Not knowing would make a duplicate: a UID whose row cannot be
    /// read is left alone.
    pub(super) fn is_known(&mut self, report: &mut Report, uid: &str) -> bool {
        match self.known.knows(uid, self.job.status) {
            Ok(known) => known,
            Err(e) => {
                report.errors.push(Message::run(e.to_string()));
                self.untouchable.insert(uid.to_string());
                true
            }
        }
    }

    /// Takes in what a scan found, by UID; a UID held twice is left alone.
    pub(super) fn collect(
        &mut self,
        report: &mut Report,
        side: Side,
        uid: String,
        item: Found,
        view: &mut SideView,
    ) {
        if let Some(other) = view.items.get(&uid) {
            let message = super::shelf::held_twice(&uid, &other.href, &item.href);
            report.item_message(false, side, Some(&item.href), Some(&uid), message);
            self.untouchable.insert(uid);
            return;
        }
        view.items.insert(uid, item);
    }

    /// An item read during the scan, parsed; `None` when it is gone since
    /// the listing, or could not be read or parsed (reported, and the UID
    /// the status knows at its address, `owner`, is left alone).
    fn parse_read(
        &mut self,
        report: &mut Report,
        side: Side,
        asked: Option<&str>,
        owner: Option<String>,
        result: Result<Parsed, StoreError>,
    ) -> Option<(Item, String, String, Option<DateTime<Utc>>)> {
        let parsed = match result {
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
                report.item_message(
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
        let Parsed {
            href,
            version,
            modified,
            item,
        } = parsed;
        match item {
            Ok(item) => Some((item, href, version, modified)),
            Err(e) => {
                report.item_message(
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
        report: &mut Report,
        side: Side,
        asked: Option<&str>,
        owner: Option<String>,
        result: Result<Fetched, StoreError>,
        view: &mut SideView,
    ) {
        let parsed = result.map(Parsed::parse);
        self.take_parsed(report, side, asked, owner, parsed, view);
    }

    /// [`Reader::take_read`] for an item parsed already (see `parse_ahead.rs`).
    pub(super) fn take_parsed(
        &mut self,
        report: &mut Report,
        side: Side,
        asked: Option<&str>,
        owner: Option<String>,
        result: Result<Parsed, StoreError>,
        view: &mut SideView,
    ) {
        let Some((item, href, version, modified)) =
            self.parse_read(report, side, asked, owner, result)
        else {
            return;
        };
        let uid = item.uid().to_string();
        // A sticky filter keeps what it took up before: it asks for the row.
        let row = if self.is_known(report, &uid) {
            self.known.rows.get(&uid)
        } else {
            None
        };
        let context = MapContext {
            row,
            current: None,
            warnings: None,
            members: None,
            linked: None,
        };
        if !self.job.mapping.admits(side, &item, &context) {
            if item.is_group_or_list() {
                view.foreign_lists.insert(uid.clone());
            }
            view.foreign.insert(uid);
            return;
        }
        if let Some(range) = self.job.options.time_range
            && !self.is_known(report, &uid)
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
        self.is_known(report, &uid);
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
            report.item_message(
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
        // A local item's server form (a server item's folder form is taken
        // for pairs only, by `Detector::pair_forms`: a first download pays
        // nothing for it).
        let mapped_hash = match side {
            Side::Local => self
                .map_to(Side::Server, item.clone(), None, Around::default(), None)
                .ok()
                .map(|mapped| Hash::new(mapped.content_hash())),
            Side::Server => None,
        };
        let spooled = self.park(&item);
        let found = Found {
            href,
            version,
            hash: Hash::new(item.content_hash()),
            changed,
            read: Some(Box::new(ReadFacts {
                spooled,
                modified: item.modified().or(modified),
                summary: item.summary().map(str::to_string),
                mapped_hash,
                group: item.is_group_or_list(),
            })),
            item: if spooled.is_some() {
                None
            } else {
                Some(Box::new(item))
            },
        };
        self.collect(report, side, uid, found, view);
    }

    /// Tells the progress hook of the items read on a side so far (every
    /// hundredth, so that the hook costs nothing on a large collection).
    pub(super) fn tell_read(&self, side: Side, view: &SideView) {
        let read = view.items.len() + view.outside.len() + view.foreign.len();
        if read.is_multiple_of(100) && read > 0 {
            self.job.tell(Progress::Read { side, read });
        }
    }

    /// Parks an item in the run's spool (made on first use), in its parked
    /// form, so that it comes back without a second parse; `None` keeps it
    /// in memory.
    pub(super) fn park(&mut self, item: &Item) -> Option<Slot> {
        if self.spool.is_none() {
            match Spool::new(self.job.scratch_dir) {
                Ok(spool) => self.spool = Some(spool),
                Err(e) => {
                    tracing::warn!("no scratch file for item bodies ({e}); keeping them in memory");
                    return None;
                }
            }
        }
        self.spool
            .as_ref()
            .and_then(|spool| spool.put(&item.park()))
    }
}
