//! Executing the plan a chunk at a time: targets read back before they are
//! overwritten, sources read, creates noted in the journal, writes sent with
//! a bounded number in flight, and the status of the chunk committed.

use super::*;

impl<'a, 'j> Run<'a, 'j> {
    /// Runs one chunk of decisions: reads the sources they need in batches,
    /// sends the copies and deletions with a bounded number in flight, then
    /// records the outcomes in order, with the status of the whole chunk in one
    /// transaction (a crash before its commit leaves writes without status rows,
    /// which the next run finds equal on both sides and links).
    pub(super) async fn execute_chunk(
        &mut self,
        chunk: &[&Decision],
        views: &mut PerSide<SideView>,
    ) -> Result<(), String> {
        let (decisions, mut failed, settled) = self.check_targets(chunk, views).await;
        let chunk: Vec<&Decision> = decisions.iter().collect();
        let chunk = chunk.as_slice();
        self.prefetch(chunk, views).await;
        let lines: Vec<ItemReport> = chunk.iter().map(|d| self.line_for(d, views)).collect();
        let writes: Vec<Vec<(Side, Write)>> = chunk.iter().map(|d| writes_of(d, views)).collect();
        let mut prepared: HashMap<usize, PreparedWrite> = HashMap::new();
        for (i, decision) in chunk.iter().enumerate() {
            if failed.contains_key(&i) {
                continue;
            }
            let write = match decision.action {
                Action::Copy { to } => self.prepare_copy(&decision.uid, to, views).await,
                Action::Delete { on } => Ok(self.prepare_delete(&decision.uid, on, views)),
                _ => continue,
            };
            match write {
                Ok(w) => {
                    prepared.insert(i, w);
                }
                Err(f) => {
                    failed.insert(i, f);
                }
            }
        }
        let order: Vec<usize> = (0..chunk.len())
            .filter(|i| prepared.contains_key(i))
            .collect();
        self.note_creates(order.iter().map(|i| &prepared[i]))?;
        let results: Vec<Result<Option<Written>, StoreError>> =
            stream::iter(order.iter().map(|i| {
                let write = &prepared[i];
                write.run(self.store(write.side))
            }))
            .buffered(self.job.options.concurrency.max(1))
            .collect()
            .await;
        let mut results: HashMap<usize, Result<Option<Written>, StoreError>> =
            order.into_iter().zip(results).collect();
        self.second_look(&prepared, &mut results).await;
        self.job.status.begin().map_err(|e| e.to_string())?;
        for uid in &settled {
            self.refresh_status(uid, views);
        }
        for (i, (decision, mut line)) in chunk.iter().zip(lines).enumerate() {
            tracing::debug!(uid = %decision.uid, action = ?decision.action, "executing");
            let outcome = if let Some(write) = prepared.remove(&i) {
                let result = results.remove(&i).expect("a result per write");
                self.finish_write(write, result, views)
            } else if let Some(failure) = failed.remove(&i) {
                Err(failure)
            } else {
                self.execute(decision, views).await
            };
            match outcome {
                Ok(()) => {
                    line.outcome = Outcome::Done;
                    self.tally(&writes[i]);
                }
                Err(failure) => {
                    line.outcome = Outcome::Failed;
                    line.message = Some(failure.message.clone());
                    self.failure_message(failure, &decision.uid);
                }
            }
            self.report.items.push(line);
        }
        // Done with (their status rows are written): only the chunks still to
        // run are held.
        for uid in chunk.iter().map(|d| &d.uid).chain(&settled) {
            for (_, view) in views.iter_mut() {
                view.items.remove(uid);
            }
        }
        // The chunk's writes are made durable before their status rows are.
        for side in [Side::Local, Side::Server] {
            if let Err(e) = self.store(side).flush().await {
                let _ = self.job.status.rollback();
                return Err(format!(
                    "{side} store: {e}; the status of this chunk was not recorded"
                ));
            }
        }
        self.job.status.commit().map_err(|e| e.to_string())
    }

    /// Reads back the items a chunk would overwrite or delete on a store that
    /// wants its content checked first (a server: its ETag is only its word),
    /// unless this run read them already, and compares them with the last
    /// sync. One changed after all is decided again with what is there now (a
    /// conflict, usually); one gone is decided again as deleted. Returns the
    /// chunk's decisions (as they stand now, without those that became
    /// nothing to do), the failures found by index, and the UIDs that turned
    /// out to need nothing (their status is brought up to date).
    pub(super) async fn check_targets(
        &mut self,
        chunk: &[&Decision],
        views: &mut PerSide<SideView>,
    ) -> (Vec<Decision>, HashMap<usize, Failure>, Vec<String>) {
        let mut decisions: Vec<Decision> = chunk.iter().map(|d| (*d).clone()).collect();
        let mut failed: HashMap<usize, Failure> = HashMap::new();
        let mut redecide: Vec<usize> = Vec::new();
        for side in [Side::Local, Side::Server] {
            if !self.store(side).checks_content_before_overwrite() {
                continue;
            }
            let targets: Vec<(usize, String)> = decisions
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    matches!(d.action, Action::Copy { to } | Action::Delete { on: to } if to == side)
                })
                .filter_map(|(i, d)| {
                    let found = views[side].items.get(&d.uid)?;
                    // Read during the scan: its content was compared then.
                    (found.read.is_none() && found.item.is_none()).then(|| (i, found.href.clone()))
                })
                .collect();
            if targets.is_empty() {
                continue;
            }
            let hrefs: Vec<String> = targets.iter().map(|(_, h)| h.clone()).collect();
            let fetched = self.fetch_many(side, &hrefs).await;
            for ((i, href), result) in targets.into_iter().zip(fetched) {
                let uid = decisions[i].uid.clone();
                let view = &mut views[side];
                let fetched = match result {
                    Ok(fetched) => fetched,
                    Err(StoreError::NotFound { .. }) => {
                        view.items.remove(&uid);
                        redecide.push(i);
                        continue;
                    }
                    Err(e) => {
                        let message = format!(
                            "cannot be read back before it is overwritten: {e}; left alone"
                        );
                        failed.insert(i, Failure::new(side, Some(href), message));
                        continue;
                    }
                };
                let item = match Item::parse(fetched.body) {
                    Ok(item) => item,
                    Err(e) => {
                        let message = format!("cannot be parsed: {e}; left alone");
                        failed.insert(i, Failure::new(side, Some(href), message));
                        continue;
                    }
                };
                let found = view.items.get_mut(&uid).expect("a target");
                if found.hash.is(item.content_hash()) {
                    // As synced last time (perhaps under a new version: a server
                    // that rewrote it); the write goes ahead against what is there.
                    found.version = fetched.version;
                    continue;
                }
                view.items.remove(&uid);
                let again = Fetched {
                    href: fetched.href,
                    version: fetched.version,
                    body: item.body().to_string(),
                    modified: fetched.modified,
                };
                self.take_read(side, Some(&href), Some(uid.clone()), Ok(again), view);
                if views[side].items.contains_key(&uid) {
                    redecide.push(i);
                } else {
                    failed.entry(i).or_insert_with(|| {
                        Failure::transient(
                            side,
                            Some(href),
                            format!(
                                "changed on the {side} side since it was listed; it will be \
                                 synced on the next run"
                            ),
                        )
                    });
                }
            }
        }
        let mut settled = Vec::new();
        for i in redecide {
            if failed.contains_key(&i) {
                continue;
            }
            let (local, server) = (&views.local, &views.server);
            let decision = self.decide(&decisions[i].uid, local, server);
            tracing::info!(uid = %decision.uid, action = ?decision.action, "decided again after reading the target back");
            match (decisions[i].conflict.is_some(), decision.conflict.is_some()) {
                (false, true) => self.report.conflicts += 1,
                (true, false) => self.report.conflicts -= 1,
                _ => {}
            }
            if decision.action == Action::Nothing {
                self.report.unchanged += 1;
                settled.push(decision.uid.clone());
            }
            decisions[i] = decision;
        }
        // Keep the indexes of `failed` pointing at the same decisions.
        let mut kept = Vec::with_capacity(decisions.len());
        let mut failures = HashMap::new();
        for (i, decision) in decisions.into_iter().enumerate() {
            if decision.action == Action::Nothing && !failed.contains_key(&i) {
                continue;
            }
            if let Some(f) = failed.remove(&i) {
                failures.insert(kept.len(), f);
            }
            kept.push(decision);
        }
        (kept, failures, settled)
    }

    /// A write refused because the target was not as expected (a create that
    /// found something there, an update whose version no longer matched) may
    /// have met this run's own write: a request whose answer was lost on the
    /// way (a dropped connection) is sent again, and the server refuses the
    /// repeat. If the item there now is exactly what was to be written, the
    /// write is done; anything else stays refused.
    pub(super) async fn second_look(
        &self,
        prepared: &HashMap<usize, PreparedWrite>,
        results: &mut HashMap<usize, Result<Option<Written>, StoreError>>,
    ) {
        for side in [Side::Local, Side::Server] {
            let mut asked: Vec<(usize, String)> = results
                .iter()
                .filter(|(i, _)| prepared[*i].side == side && prepared[*i].content.is_some())
                .filter_map(|(i, result)| match result {
                    Err(StoreError::AlreadyExists { href })
                    | Err(StoreError::PreconditionFailed { href, .. }) => Some((*i, href.clone())),
                    _ => None,
                })
                .collect();
            if asked.is_empty() {
                continue;
            }
            asked.sort();
            let hrefs: Vec<String> = asked.iter().map(|(_, h)| h.clone()).collect();
            let fetched = self.fetch_many(side, &hrefs).await;
            for ((i, href), result) in asked.into_iter().zip(fetched) {
                let Some((_, mapped)) = &prepared[&i].content else {
                    continue;
                };
                let Ok(fetched) = result else { continue };
                let Ok(there) = Item::parse(fetched.body) else {
                    continue;
                };
                if there.uid() == mapped.uid() && there.content_hash() == mapped.content_hash() {
                    tracing::info!(
                        uid = %mapped.uid(),
                        %href,
                        "the {side} store already holds what was to be written (a repeated request)"
                    );
                    results.insert(
                        i,
                        Ok(Some(Written {
                            href,
                            version: fetched.version,
                        })),
                    );
                }
            }
        }
    }

    /// Notes the chunk's creates whose address the store tells in advance,
    /// in one transaction, before any is sent (see [`StatusDb::journal_add`]).
    pub(super) fn note_creates<'w>(
        &mut self,
        writes: impl Iterator<Item = &'w PreparedWrite>,
    ) -> Result<(), String> {
        let creates: Vec<(Side, &str, Href)> = writes
            .filter(|w| w.content.is_some() && w.target.is_none())
            .filter_map(|w| {
                let href = self.store(w.side).planned_href(&w.uid)?;
                Some((w.side, w.uid.as_str(), href))
            })
            .collect();
        if creates.is_empty() {
            return Ok(());
        }
        let db = self.job.status;
        db.begin().map_err(|e| e.to_string())?;
        for (side, uid, href) in &creates {
            if let Err(e) = db.journal_add(*side, uid, href) {
                let _ = db.rollback();
                return Err(e.to_string());
            }
        }
        db.commit().map_err(|e| e.to_string())?;
        self.journaled.extend(
            creates
                .into_iter()
                .map(|(side, uid, _)| (side, uid.to_string())),
        );
        Ok(())
    }

    /// Brings in the items a chunk's decisions need: from the spool where the
    /// scan parked them, else read in batches (they had not changed, so the
    /// scan did not read them). Items that fail here are read again one by one
    /// when their decision runs, which reports the error.
    pub(super) async fn prefetch(&mut self, chunk: &[&Decision], views: &mut PerSide<SideView>) {
        for side in [Side::Local, Side::Server] {
            for decision in chunk {
                if let Some(found) = views[side].items.get_mut(&decision.uid) {
                    self.unpark(found);
                }
            }
            let needs = |d: &&&Decision| match d.action {
                Action::Copy { to } => to != side,
                Action::Link | Action::KeepBoth { .. } => true,
                _ => false,
            };
            let wanted: Vec<(String, String)> = chunk
                .iter()
                .filter(needs)
                .filter_map(|d| {
                    let found = views[side].items.get(&d.uid)?;
                    found
                        .item
                        .is_none()
                        .then(|| (d.uid.clone(), found.href.clone()))
                })
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let hrefs: Vec<String> = wanted.iter().map(|(_, h)| h.clone()).collect();
            let fetched = self.fetch_many(side, &hrefs).await;
            for ((uid, _), result) in wanted.into_iter().zip(fetched) {
                let Ok(fetched) = result else { continue };
                let Ok(item) = Item::parse(fetched.body) else {
                    continue;
                };
                if let Some(found) = views[side].items.get_mut(&uid)
                    && still_as_listed(found, &fetched.version, &item)
                {
                    found.item = Some(Box::new(item));
                    found.version = fetched.version;
                }
            }
        }
    }

    /// Parses a body the scan parked (a failure leaves the item to be read
    /// again from its store).
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
        match spool.get(slot).map(Item::parse) {
            Ok(Ok(item)) => found.item = Some(Box::new(item)),
            Ok(Err(e)) => tracing::warn!("{}: parked body no longer parses: {e}", found.href),
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
        read_in_batches(self.store(side), hrefs, &self.read_options(), &mut keep).await;
        fetched
    }

    /// Reads an item that was not read during the scan (it had not changed).
    pub(super) async fn load(
        &self,
        side: Side,
        uid: &str,
        views: &mut PerSide<SideView>,
    ) -> Result<Item, Failure> {
        let found = views[side]
            .items
            .get_mut(uid)
            .ok_or_else(|| Failure::new(side, None, format!("the {side} item is gone")))?;
        self.unpark(found);
        let found = &views[side].items[uid];
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
        if let Some(f) = views[side].items.get_mut(uid) {
            f.item = Some(Box::new(item.clone()));
            f.version = version;
        }
        Ok(item)
    }

    pub(super) async fn execute(
        &mut self,
        decision: &Decision,
        views: &mut PerSide<SideView>,
    ) -> Result<(), Failure> {
        let uid = decision.uid.as_str();
        match decision.action {
            Action::Nothing => Ok(()),
            Action::Link => {
                let local = self.load(Side::Local, uid, views).await?;
                let server = self.load(Side::Server, uid, views).await?;
                let row = self.row_for(uid, views, &local, &server);
                self.put(row, false)
            }
            Action::Forget => self.forget(uid),
            Action::Delete { on } => {
                let write = self.prepare_delete(uid, on, views);
                let result = write.run(self.store(on)).await;
                self.finish_write(write, result, views)
            }
            Action::Copy { to } => self.copy(uid, to, views).await,
            Action::KeepBoth { winner } => {
                let loser = winner.other();
                let loser_item = self.load(loser, uid, views).await?;
                let copy_uid = conflict_copy_uid(uid, &loser_item);
                // A run killed after making the copy left it behind: the copy's own
                // entry carries it on, and no second copy is made.
                let exists = self.is_known(&copy_uid)
                    || views.iter().any(|(_, v)| v.items.contains_key(&copy_uid))
                    || matches!(self.job.status.get(&copy_uid), Ok(Some(_)));
                if !exists {
                    self.keep_copy(&copy_uid, loser, &loser_item).await?;
                }
                self.copy(uid, loser, views).await
            }
        }
    }

    /// Writes the version of `to.other()` onto `to`.
    pub(super) async fn copy(
        &mut self,
        uid: &str,
        to: Side,
        views: &mut PerSide<SideView>,
    ) -> Result<(), Failure> {
        let write = self.prepare_copy(uid, to, views).await?;
        let result = write.run(self.store(to)).await;
        self.finish_write(write, result, views)
    }

    /// Everything a copy onto `to` needs, read and mapped, ready to be sent.
    pub(super) async fn prepare_copy(
        &self,
        uid: &str,
        to: Side,
        views: &mut PerSide<SideView>,
    ) -> Result<PreparedWrite, Failure> {
        if views[to].foreign.contains(uid) {
            // The same UID outside the profile (another profile's category, or a
            // task in an events profile): copying would put two files with one UID
            // in the folder, deleting could lose data. Leave both alone and say so.
            return Err(Failure::transient(
                to,
                None,
                format!(
                    "an item with this UID exists on the {to} side but does not belong to this \
                     profile (category or content filter); both are left alone"
                ),
            ));
        }
        let source = self.load(to.other(), uid, views).await?;
        let mapped = self
            .job
            .mapping
            .map(to, source.clone())
            .map_err(|e| Failure::new(to, None, e.to_string()))?;
        let target = views[to].items.get(uid);
        Ok(PreparedWrite {
            uid: uid.to_string(),
            side: to,
            target: target.map(|t| (t.href.clone(), t.version.clone())),
            content: Some((source, mapped)),
        })
    }

    /// A delete on `on`, ready to be sent (`None`: nothing there to delete).
    pub(super) fn prepare_delete(
        &self,
        uid: &str,
        on: Side,
        views: &PerSide<SideView>,
    ) -> PreparedWrite {
        PreparedWrite {
            uid: uid.to_string(),
            side: on,
            target: views[on]
                .items
                .get(uid)
                .map(|t| (t.href.clone(), t.version.clone())),
            content: None,
        }
    }

    /// Records the outcome of a write: the status row and the new view.
    pub(super) fn finish_write(
        &mut self,
        write: PreparedWrite,
        result: Result<Option<Written>, StoreError>,
        views: &mut PerSide<SideView>,
    ) -> Result<(), Failure> {
        let PreparedWrite {
            uid,
            side,
            target,
            content,
        } = write;
        let written = result.map_err(|e| {
            Failure::from_store(
                side,
                target.as_ref().map_or("", |(href, _)| href.as_str()),
                e,
            )
        })?;
        let Some((source, mapped)) = content else {
            if let Some((href, _)) = &target {
                self.note_written(side, href)?;
            }
            return self.forget(&uid);
        };
        let written = written.expect("a copy writes");
        self.note_written(side, &written.href)?;
        if let Some((href, before)) = &target
            && *before == written.version
            && views[side]
                .items
                .get(&uid)
                .is_some_and(|f| !f.hash.is(mapped.content_hash()))
        {
            self.catch(side, href, before);
            self.item_message(
                true,
                side,
                Some(href),
                Some(&uid),
                format!(
                    "the {side} store kept the version (ETag {before}) of this item when its \
                     content was replaced"
                ),
            );
        }
        let written_found = Found::unread(
            written.href,
            written.version,
            Hash::new(mapped.content_hash()),
        );
        views[side].items.insert(uid.clone(), written_found);
        let (local, server) = match side {
            Side::Local => (mapped, source),
            Side::Server => (source, mapped),
        };
        let row = self.row_for(&uid, views, &local, &server);
        self.put(row, false)
    }

    /// Keeps `item` (the losing version, as held on `side`) as a new item with
    /// its own UID on both sides, so that nothing is lost.
    pub(super) async fn keep_copy(
        &mut self,
        copy_uid: &str,
        side: Side,
        item: &Item,
    ) -> Result<(), Failure> {
        let note = format!(
            "conflict copy: {side} version of {}",
            Utc::now().format("%Y-%m-%d %H:%M UTC")
        );
        let copy = item
            .with_uid(copy_uid)
            .and_then(|i| i.with_summary_note(&note))
            .map_err(|e| Failure::new(side, None, format!("cannot make the conflict copy: {e}")))?;
        let other = side.other();
        let mapped = self
            .job
            .mapping
            .map(other, copy.clone())
            .map_err(|e| Failure::new(other, None, e.to_string()))?;
        let here = self
            .store(side)
            .create(copy_uid, copy.body())
            .await
            .map_err(|e| Failure::from_store(side, "", e))?;
        let there = self
            .store(other)
            .create(copy_uid, mapped.body())
            .await
            .map_err(|e| Failure::from_store(other, "", e))?;
        self.note_written(side, &here.href)?;
        self.note_written(other, &there.href)?;
        let (here_status, there_status) = (
            SideStatus {
                href: here.href,
                version: here.version,
                hash: copy.content_hash().to_string(),
            },
            SideStatus {
                href: there.href,
                version: there.version,
                hash: mapped.content_hash().to_string(),
            },
        );
        let (local, server) = match side {
            Side::Local => (here_status, there_status),
            Side::Server => (there_status, here_status),
        };
        self.put(
            StatusRow {
                uid: copy_uid.to_string(),
                local,
                server,
            },
            true,
        )
    }

    pub(super) fn row_for(
        &self,
        uid: &str,
        views: &PerSide<SideView>,
        local: &Item,
        server: &Item,
    ) -> StatusRow {
        let side = |s: Side, item: &Item| {
            let f = &views[s].items[uid];
            SideStatus {
                href: f.href.clone(),
                version: f.version.clone(),
                hash: item.content_hash().to_string(),
            }
        };
        StatusRow {
            uid: uid.to_string(),
            local: side(Side::Local, local),
            server: side(Side::Server, server),
        }
    }

    /// Records a row in the database. The in-memory status served the plan;
    /// after it only conflict copies are looked up there (`remember`), so the
    /// rows of a large first run are not held twice.
    pub(super) fn put(&mut self, row: StatusRow, remember: bool) -> Result<(), Failure> {
        self.job
            .status
            .put(&row)
            .map_err(|e| Failure::new(Side::Local, None, e.to_string()))?;
        for side in [Side::Local, Side::Server] {
            if self.journaled.remove(&(side, row.uid.clone())) {
                self.job
                    .status
                    .journal_remove(side, &row.uid)
                    .map_err(|e| Failure::new(side, None, e.to_string()))?;
            }
        }
        if remember {
            self.status.insert(row.uid.clone(), row);
        }
        Ok(())
    }

    /// Notes a write on a side whose store keeps a listing state (see
    /// [`StatusDb::note_written`]), in the transaction of its status row.
    pub(super) fn note_written(&self, side: Side, href: &str) -> Result<(), Failure> {
        if self.new_state[side].is_none() {
            return Ok(());
        }
        self.job
            .status
            .note_written(side, href)
            .map_err(|e| Failure::new(side, Some(href.to_string()), e.to_string()))
    }

    pub(super) fn forget(&mut self, uid: &str) -> Result<(), Failure> {
        self.job
            .status
            .remove(uid)
            .map_err(|e| Failure::new(Side::Local, None, e.to_string()))?;
        self.status.remove(uid);
        Ok(())
    }
}

/// Whether an item read after the scan is the one the plan was made with: the
/// same version, or (a version string can change by itself, as a vdir file's
/// when it ages out of its racy window) the same UID and content.
pub(super) fn still_as_listed(found: &Found, version: &str, item: &Item) -> bool {
    found.version == version || found.hash.is(item.content_hash())
}

/// A write to one store, prepared so that many can be sent at once.
pub(super) struct PreparedWrite {
    uid: String,
    side: Side,
    /// The item there now (href, version), if any.
    target: Option<(String, String)>,
    /// For a copy: the source item and its mapped form; `None` for a delete.
    content: Option<(Item, Item)>,
}

impl PreparedWrite {
    /// Sends the write; `Ok(None)` for a delete (or nothing to delete).
    pub(super) async fn run(&self, store: &dyn Store) -> Result<Option<Written>, StoreError> {
        match (&self.content, &self.target) {
            (Some((_, mapped)), Some((href, version))) => {
                store.update(href, version, mapped.body()).await.map(Some)
            }
            (Some((_, mapped)), None) => store.create(&self.uid, mapped.body()).await.map(Some),
            (None, Some((href, version))) => store.delete(href, version).await.map(|()| None),
            (None, None) => Ok(None),
        }
    }
}

/// The UID of the conflict copy of `loser`: the same for the same losing
/// version, so that a run killed half-way never makes a second copy.
pub(super) fn conflict_copy_uid(uid: &str, loser: &Item) -> String {
    format!("{uid}-conflict-{}", &loser.content_hash()[..8])
}

/// One write to a store, for the counts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Write {
    Create,
    Update,
    Delete,
}

/// The writes a decision makes, judged before it runs.
pub(super) fn writes_of(decision: &Decision, views: &PerSide<SideView>) -> Vec<(Side, Write)> {
    let present = |side: Side| views[side].items.contains_key(&decision.uid);
    match decision.action {
        Action::Copy { to } if present(to) => vec![(to, Write::Update)],
        Action::Copy { to } => vec![(to, Write::Create)],
        Action::Delete { on } if present(on) => vec![(on, Write::Delete)],
        Action::KeepBoth { winner } => vec![
            (winner, Write::Create),
            (winner.other(), Write::Create),
            (winner.other(), Write::Update),
        ],
        Action::Delete { .. } | Action::Nothing | Action::Link | Action::Forget => Vec::new(),
    }
}
