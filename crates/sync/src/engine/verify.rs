//! Verification, before and after a chunk's writes: the targets a server
//! write would overwrite or delete are read back first (a server's ETag is
//! only its word) and what changed after all is planned again, once; after
//! the writes, a refused repeat of a request whose answer was lost is
//! looked at (it may have been this run's own write).

use super::execute::Executor;
use super::plan::{self, Op};
use super::writes::Sent;
use super::*;

/// A chunk as it stands after its targets were read back.
pub(super) struct Verified {
    /// The operations still to run (those that turned out to need nothing
    /// are gone).
    pub(super) ops: Vec<Op>,
    /// Operations that cannot run, by index into `ops`.
    pub(super) failed: HashMap<usize, Failure>,
    /// UIDs that turned out to need nothing (their status is brought up to date).
    pub(super) settled: Vec<String>,
}

impl<'s, 'a, 'j> Executor<'s, 'a, 'j> {
    /// Reads back the items a chunk would overwrite or delete on a store that
    /// wants its content checked first (a server), unless this run read them
    /// already, and compares them with the last sync. One changed after all
    /// is planned again with what is there now (a conflict, usually); one
    /// gone is planned again as deleted, and so is an operation whose source
    /// is found gone as it is read.
    pub(super) async fn verify(&mut self, chunk: Vec<Op>, snapshot: &mut Snapshot) -> Verified {
        let mut ops = chunk;
        let mut failed: HashMap<usize, Failure> = HashMap::new();
        let mut again: Vec<usize> = Vec::new();
        for side in [Side::Local, Side::Server] {
            if self.job.store(side).checks_content_before_overwrite() {
                self.read_back(side, &mut ops, snapshot, &mut failed, &mut again)
                    .await;
            }
        }
        // A source found gone is planned again too.
        let gone: HashSet<String> = self
            .reader
            .prefetch(&ops, snapshot)
            .await
            .into_iter()
            .collect();
        for (i, op) in ops.iter().enumerate() {
            if gone.contains(op.uid()) && !again.contains(&i) {
                again.push(i);
            }
        }
        let mut settled = Vec::new();
        for i in again {
            if failed.contains_key(&i) {
                continue;
            }
            let uid = ops[i].uid().to_string();
            let known = self.reader.known.rows.contains_key(&uid);
            let (mode, policy) = (self.job.options.mode, self.job.options.conflicts);
            let op = plan::decide(&uid, known, snapshot, mode, policy);
            tracing::info!(uid = %uid, action = ?op.action(), "planned again after reading the target back");
            if op.action() == Action::Nothing {
                self.report.unchanged += 1;
                settled.push(uid);
            }
            ops[i] = op;
        }
        // Keep the indexes of `failed` pointing at the same operations.
        let mut kept = Vec::with_capacity(ops.len());
        let mut failures = HashMap::new();
        for (i, op) in ops.into_iter().enumerate() {
            if op.action() == Action::Nothing && !failed.contains_key(&i) {
                continue;
            }
            if let Some(f) = failed.remove(&i) {
                failures.insert(kept.len(), f);
            }
            kept.push(op);
        }
        Verified {
            ops: kept,
            failed: failures,
            settled,
        }
    }

    /// Reads back the targets of `ops` on `side` that this run did not read:
    /// a target as synced last time lets its write go ahead (at the version
    /// read); a changed or gone one is noted in `again`; one that cannot be
    /// read or parsed fails its operation.
    async fn read_back(
        &mut self,
        side: Side,
        ops: &mut [Op],
        snapshot: &mut Snapshot,
        failed: &mut HashMap<usize, Failure>,
        again: &mut Vec<usize>,
    ) {
        let targets: Vec<(usize, String)> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                matches!(op.action(), Action::Copy { to } | Action::Delete { on: to } if to == side)
            })
            .filter_map(|(i, op)| {
                let found = snapshot[side].items.get(op.uid())?;
                // Read during the scan: its content was compared then.
                (found.read.is_none() && found.item.is_none()).then(|| (i, found.href.clone()))
            })
            .collect();
        if targets.is_empty() {
            return;
        }
        let hrefs: Vec<String> = targets.iter().map(|(_, h)| h.clone()).collect();
        let fetched = self.reader.fetch_many(side, &hrefs).await;
        for ((i, href), result) in targets.into_iter().zip(fetched) {
            let uid = ops[i].uid().to_string();
            let view = &mut snapshot[side];
            let fetched = match result {
                Ok(fetched) => fetched,
                Err(StoreError::NotFound { .. }) => {
                    // Not read in this run: its listing vouched for it.
                    view.items.remove(&uid);
                    self.reader.trust.missed(side, &href);
                    again.push(i);
                    continue;
                }
                Err(e) => {
                    let message =
                        format!("cannot be read back before it is overwritten: {e}; left alone");
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
            let Some(found) = view.items.get_mut(&uid) else {
                continue;
            };
            if found.hash.is(item.content_hash()) {
                // As synced last time (perhaps under a new version: a server
                // that rewrote it); the write goes ahead against what is there.
                found.version = fetched.version.clone();
                if let Some(target) = &mut ops[i].target {
                    target.version = fetched.version;
                }
                continue;
            }
            view.items.remove(&uid);
            let read = Fetched {
                href: fetched.href,
                version: fetched.version,
                body: item.body().to_string(),
                modified: fetched.modified,
            };
            self.reader.take_read(
                self.report,
                side,
                Some(&href),
                Some(uid.clone()),
                Ok(read),
                view,
            );
            if snapshot[side].items.contains_key(&uid) {
                again.push(i);
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

    /// A write refused because the target was not as expected (a create that
    /// found something there, an update whose version no longer matched, a
    /// delete that found nothing) may have met this run's own write: a request whose answer was lost on the
    /// way (a dropped connection) is sent again, and the server refuses the
    /// repeat. If the item there now is exactly what was to be written, the
    /// write is done; anything else stays refused.
    pub(super) async fn second_look(&self, wave: &mut [&mut Sent]) {
        // A deletion refused as "not found" left the item gone, as planned
        // (a repeat of a delete that was done, or another program's delete).
        for sent in wave.iter_mut() {
            if sent.write.content.is_none()
                && matches!(sent.result, Some(Err(StoreError::NotFound { .. })))
            {
                tracing::info!(uid = %sent.write.uid, "already gone from the {} store", sent.write.side);
                sent.result = Some(Ok(None));
            }
        }
        for side in [Side::Local, Side::Server] {
            let mut asked: Vec<(&mut Sent, String)> = wave
                .iter_mut()
                .map(|sent| &mut **sent)
                .filter(|sent| sent.write.side == side && sent.write.content.is_some())
                .filter_map(|sent| match &sent.result {
                    Some(Err(StoreError::AlreadyExists { href }))
                    | Some(Err(StoreError::PreconditionFailed { href, .. })) => {
                        let href = href.clone();
                        Some((sent, href))
                    }
                    _ => None,
                })
                .collect();
            if asked.is_empty() {
                continue;
            }
            asked.sort_by(|a, b| a.1.cmp(&b.1));
            let hrefs: Vec<String> = asked.iter().map(|(_, h)| h.clone()).collect();
            let fetched = self.reader.fetch_many(side, &hrefs).await;
            for ((sent, href), result) in asked.into_iter().zip(fetched) {
                let Some((_, mapped)) = &sent.write.content else {
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
                    sent.result = Some(Ok(Some(Written {
                        href,
                        version: fetched.version,
                    })));
                }
            }
        }
    }
}
