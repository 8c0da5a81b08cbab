//! The sources a chunk's writes need: bodies parked by the scan taken back,
//! the rest read in batches, and an item read alone when that failed.

use super::plan::Op;
use super::reader::Reader;
use super::*;

impl<'a, 'j> Reader<'a, 'j> {
    /// Brings in the items a chunk's decisions need: from the spool where the
    /// scan parked them, else read in batches (they had not changed, so the
    /// scan did not read them). Items that fail here are read again one by one
    /// when their decision runs, which reports the error; except an item
    /// found gone, which leaves the snapshot: its UID is returned, to be
    /// planned again (its listing vouched for it, so the listing missed a
    /// deletion, or it was deleted since: either way it is gone).
    pub(super) async fn prefetch(&mut self, chunk: &[Op], snapshot: &mut Snapshot) -> Vec<String> {
        let mut gone = Vec::new();
        for side in [Side::Local, Side::Server] {
            for op in chunk {
                if let Some(found) = snapshot[side].items.get_mut(op.uid()) {
                    self.unpark(found);
                }
            }
            // A lossy mapping merges into the target, which is read too.
            let lossy = self.job.mapping.lossy(side.other());
            // A contact to delete is read first when groups may name it
            // (`dangling.rs`).
            let repairs = super::dangling::repairs(self.job).is_some();
            let needs = |op: &&Op| match op.action() {
                Action::Copy { to } => to != side || lossy,
                Action::Link | Action::KeepBoth { .. } => true,
                Action::Delete { on } => on == side && repairs,
                _ => false,
            };
            let wanted: Vec<(String, String)> = chunk
                .iter()
                .filter(needs)
                .filter_map(|op| {
                    let found = snapshot[side].items.get(op.uid())?;
                    found
                        .item
                        .is_none()
                        .then(|| (op.uid().to_string(), found.href.clone()))
                })
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let hrefs: Vec<String> = wanted.iter().map(|(_, h)| h.clone()).collect();
            let fetched = self.fetch_many(side, &hrefs).await;
            for ((uid, href), result) in wanted.into_iter().zip(fetched) {
                let fetched = match result {
                    Ok(fetched) => fetched,
                    Err(StoreError::NotFound { .. }) => {
                        tracing::info!("{href}: gone from the {side} side since it was listed");
                        if snapshot[side]
                            .items
                            .remove(&uid)
                            .is_some_and(|f| f.read.is_none())
                        {
                            self.trust.missed(side, &href);
                        }
                        gone.push(uid);
                        continue;
                    }
                    Err(_) => continue,
                };
                let Ok(item) = Item::parse(fetched.body) else {
                    continue;
                };
                if let Some(found) = snapshot[side].items.get_mut(&uid)
                    && still_as_listed(found, &fetched.version, &item)
                {
                    found.item = Some(Box::new(item));
                    found.version = fetched.version;
                }
            }
        }
        gone
    }

    /// Takes back an item the scan parked, without parsing it again (a
    /// failure leaves the item to be read again from its store).
    pub(super) fn unpark(&self, found: &mut Found) {
        if found.item.is_some() {
            return;
        }
        let Some(spool) = &self.spool else {
            return;
        };
        let Some(slot) = found.read.as_mut().and_then(|r| r.spooled.take()) else {
            return;
        };
        match spool.get(slot).map(Item::unpark) {
            Ok(Ok(item)) => found.item = Some(Box::new(item)),
            Ok(Err(e)) => tracing::warn!("{}: the parked item is unusable: {e}", found.href),
            Err(e) => tracing::warn!("{}: cannot read the parked body: {e}", found.href),
        }
    }

    /// Reads `hrefs` from a side's store, a batch per request, a bounded
    /// number of requests in flight; one result per href, in order.
    pub(super) async fn fetch_many(
        &self,
        side: Side,
        hrefs: &[String],
    ) -> Vec<Result<Fetched, StoreError>> {
        let mut fetched = Vec::with_capacity(hrefs.len());
        let mut keep = |result| fetched.push(result);
        read_in_batches(self.store(side), hrefs, &self.job.read_options(), &mut keep).await;
        fetched
    }

    /// Reads an item that was not read during the scan (it had not changed).
    pub(super) async fn load(
        &self,
        side: Side,
        uid: &str,
        snapshot: &mut Snapshot,
    ) -> Result<Item, Failure> {
        let found = snapshot[side]
            .items
            .get_mut(uid)
            .ok_or_else(|| Failure::new(side, None, format!("the {side} item is gone")))?;
        self.unpark(found);
        let found = &snapshot[side].items[uid];
        if let Some(item) = &found.item {
            return Ok(Item::clone(item));
        }
        let href = found.href.clone();
        let fetched = self
            .store(side)
            .get_many(std::slice::from_ref(&href))
            .await
            .pop()
            .unwrap_or(Err(StoreError::NotFound { href: href.clone() }))
            .map_err(|e| Failure::from_store(side, &href, e))?;
        let version = fetched.version;
        let item = Item::parse(fetched.body).map_err(|e| {
            Failure::new(side, Some(href.clone()), format!("cannot be parsed: {e}"))
        })?;
        if !still_as_listed(found, &version, &item) {
            return Err(Failure::transient(
                side,
                Some(href),
                "changed during the run; it will be synced on the next run".into(),
            ));
        }
        if let Some(f) = snapshot[side].items.get_mut(uid) {
            f.item = Some(Box::new(item.clone()));
            f.version = version;
        }
        Ok(item)
    }
}

/// Whether an item read after the scan is the one the plan was made with: the
/// same version, or (a version string can change by itself, as a vdir file's
/// when it ages out of its racy window) the same UID and content.
pub(super) fn still_as_listed(found: &Found, version: &str, item: &Item) -> bool {
    found.version == version || found.hash.is(item.content_hash())
}
