//! Executing the plan a chunk at a time, on one path for every operation:
//! targets verified, sources read and mapped, creates noted in the journal,
//! conflict copies sent before anything they keep is overwritten, the other
//! writes sent with a bounded number in flight, the writes made durable, and
//! then the chunk's status committed in one transaction (no request is made
//! while it is open).

use super::plan::{Op, Target};
use super::verify::Verified;
use super::*;

/// An operation made ready to run: its sources read and mapped, its writes
/// built (and, once sent, their results).
pub(super) enum Prepared {
    /// A copy or a deletion: one write.
    Write(Sent),
    /// Keep both: the losing version kept as a new item on both sides (unless
    /// a killed run made that copy already), then the winner copied over it.
    KeepBoth {
        copies: Option<Box<[Sent; 2]>>,
        main: Sent,
    },
    /// The same item on both sides: its status row.
    Link(StatusRow),
    /// Gone from both sides: its status row is dropped.
    Forget(String),
}

/// A write and, once sent, its result.
pub(super) struct Sent {
    pub(super) write: PreparedWrite,
    pub(super) result: Option<Result<Option<Written>, StoreError>>,
}

impl Sent {
    fn new(write: PreparedWrite) -> Sent {
        Sent {
            write,
            result: None,
        }
    }
}

impl Prepared {
    /// Its writes, to be sent or sent.
    pub(super) fn sent_mut(&mut self) -> Vec<&mut Sent> {
        match self {
            Prepared::Write(sent) => vec![sent],
            Prepared::KeepBoth { copies, main } => {
                let mut all: Vec<&mut Sent> =
                    copies.iter_mut().flat_map(|c| c.iter_mut()).collect();
                all.push(main);
                all
            }
            Prepared::Link(_) | Prepared::Forget(_) => Vec::new(),
        }
    }

    /// The writes of one wave: conflict copies first, so that the losing
    /// version is kept before it is overwritten; then the rest, except the
    /// overwrite of a loser whose copy failed.
    fn wave(&mut self, copies_first: bool) -> Vec<&mut Sent> {
        match (self, copies_first) {
            (Prepared::KeepBoth { copies, .. }, true) => {
                copies.iter_mut().flat_map(|c| c.iter_mut()).collect()
            }
            (Prepared::KeepBoth { copies, main }, false) => {
                let kept = copies
                    .as_ref()
                    .is_none_or(|c| c.iter().all(|s| matches!(s.result, Some(Ok(_)))));
                if kept { vec![main] } else { Vec::new() }
            }
            (Prepared::Write(sent), false) => vec![sent],
            _ => Vec::new(),
        }
    }
}

impl<'a, 'j> Run<'a, 'j> {
    /// Runs one chunk of the plan: verifies its targets, reads the sources it
    /// needs in batches, sends the copies and deletions with a bounded number
    /// in flight, makes them durable, then records the outcomes in order,
    /// with the status of the whole chunk in one transaction (a crash before
    /// its commit leaves writes without status rows, which the next run finds
    /// equal on both sides and links).
    pub(super) async fn execute_chunk(
        &mut self,
        chunk: Vec<Op>,
        snapshot: &mut Snapshot,
    ) -> Result<(), EngineError> {
        let Verified {
            ops,
            mut failed,
            settled,
        } = self.verify(chunk, snapshot).await;
        // Sources of operations planned again (a gone one is reported as
        // its operation runs).
        self.prefetch(&ops, snapshot).await;
        let lines: Vec<ItemReport> = ops.iter().map(|op| self.line_for(op, snapshot)).collect();
        let mut prepared = self.prepare_all(&ops, &mut failed, snapshot).await;
        self.note_creates(
            prepared
                .iter_mut()
                .flatten()
                .flat_map(Prepared::sent_mut)
                .map(|sent| &sent.write),
        )?;
        for copies_first in [true, false] {
            let mut wave: Vec<&mut Sent> = prepared
                .iter_mut()
                .flatten()
                .flat_map(|p| p.wave(copies_first))
                .collect();
            self.send(&mut wave).await;
            self.second_look(&mut wave).await;
        }
        // The chunk's writes are made durable before their status rows are
        // written, and the transaction that writes them makes no request.
        for side in [Side::Local, Side::Server] {
            if let Err(source) = self.store(side).flush().await {
                return Err(EngineError::Flush { side, source });
            }
        }
        let db = self.job.status;
        let transaction = db.transaction()?;
        for uid in &settled {
            self.refresh_status(uid, snapshot);
        }
        for (i, (op, line)) in ops.iter().zip(lines).enumerate() {
            let outcome = match (prepared[i].take(), failed.remove(&i)) {
                (_, Some(failure)) => Err(failure),
                (Some(ready), None) => self.record(ready, snapshot),
                (None, None) => Ok(()),
            };
            self.report_outcome(op, line, outcome);
        }
        // Done with (their status rows are written): only the chunks still to
        // run are held.
        let done = ops
            .iter()
            .map(Op::uid)
            .chain(settled.iter().map(String::as_str));
        for uid in done {
            for (_, view) in snapshot.iter_mut() {
                view.items.remove(uid);
            }
        }
        Ok(transaction.commit()?)
    }

    /// Prepares each operation that has not failed yet (a failure to prepare
    /// joins `failed`); one slot per operation.
    async fn prepare_all(
        &mut self,
        ops: &[Op],
        failed: &mut HashMap<usize, Failure>,
        snapshot: &mut Snapshot,
    ) -> Vec<Option<Prepared>> {
        let mut prepared = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            if failed.contains_key(&i) {
                prepared.push(None);
                continue;
            }
            match self.prepare(op, snapshot).await {
                Ok(ready) => prepared.push(Some(ready)),
                Err(f) => {
                    failed.insert(i, f);
                    prepared.push(None);
                }
            }
        }
        prepared
    }

    /// Puts an operation's line, with how it ended, in the report.
    fn report_outcome(&mut self, op: &Op, mut line: ItemReport, outcome: Result<(), Failure>) {
        tracing::debug!(uid = %op.uid(), action = ?op.action(), ok = outcome.is_ok(), "recorded");
        match outcome {
            Ok(()) => {
                line.outcome = Outcome::Done;
                self.tally(&op.writes());
            }
            Err(failure) => {
                line.outcome = Outcome::Failed;
                line.message = Some(failure.message.clone());
                self.failure_message(failure, op.uid());
            }
        }
        self.push_line(line);
    }

    /// Sends writes with a bounded number in flight and keeps their results.
    async fn send(&self, wave: &mut [&mut Sent]) {
        if wave.is_empty() {
            return;
        }
        let results: Vec<Result<Option<Written>, StoreError>> = stream::iter(
            wave.iter()
                .map(|sent| sent.write.run(self.store(sent.write.side))),
        )
        .buffered(self.job.options.concurrency.max(1))
        .collect()
        .await;
        for (sent, result) in wave.iter_mut().zip(results) {
            sent.result = Some(result);
        }
    }

    /// Makes an operation ready: its sources read and mapped, its writes built.
    async fn prepare(&mut self, op: &Op, snapshot: &mut Snapshot) -> Result<Prepared, Failure> {
        let uid = op.uid();
        match op.action() {
            Action::Copy { to } => Ok(Prepared::Write(Sent::new(
                self.prepare_copy(uid, to, op.target.as_deref(), snapshot)
                    .await?,
            ))),
            Action::Delete { on } => Ok(Prepared::Write(Sent::new(PreparedWrite {
                uid: uid.to_string(),
                side: on,
                target: op.target.as_deref().cloned(),
                content: None,
            }))),
            Action::Link => {
                let local = self.load(Side::Local, uid, snapshot).await?;
                let server = self.load(Side::Server, uid, snapshot).await?;
                Ok(Prepared::Link(self.row_for(uid, snapshot, &local, &server)))
            }
            Action::Forget => Ok(Prepared::Forget(uid.to_string())),
            Action::KeepBoth { winner } => {
                let loser = winner.other();
                let loser_item = self.load(loser, uid, snapshot).await?;
                let copy_uid = conflict_copy_uid(uid, &loser_item);
                // A run killed after making the copy left it behind: the copy's own
                // entry carries it on, and no second copy is made.
                let exists = self.is_known(&copy_uid)
                    || snapshot
                        .iter()
                        .any(|(_, v)| v.items.contains_key(&copy_uid))
                    || matches!(self.job.status.get(&copy_uid), Ok(Some(_)));
                let copies = if exists {
                    None
                } else {
                    Some(Box::new(self.prepare_keep_copy(
                        &copy_uid,
                        loser,
                        &loser_item,
                    )?))
                };
                let main = Sent::new(
                    self.prepare_copy(uid, loser, op.target.as_deref(), snapshot)
                        .await?,
                );
                Ok(Prepared::KeepBoth { copies, main })
            }
            Action::Nothing => Err(Failure::new(
                Side::Local,
                None,
                "nothing to do was planned as an operation".into(),
            )),
        }
    }

    /// Records what an operation did: its status rows (a write refused or
    /// failed: why).
    fn record(&mut self, ready: Prepared, snapshot: &mut Snapshot) -> Result<(), Failure> {
        match ready {
            Prepared::Write(sent) => self.finish_write(sent, snapshot),
            Prepared::KeepBoth { copies, main } => {
                if let Some(copies) = copies {
                    self.finish_keep_copy(*copies)?;
                }
                self.finish_write(main, snapshot)
            }
            Prepared::Link(row) => self.put(row, false),
            Prepared::Forget(uid) => self.forget(&uid),
        }
    }

    /// Everything a copy onto `to` needs, read and mapped, ready to be sent.
    pub(super) async fn prepare_copy(
        &self,
        uid: &str,
        to: Side,
        target: Option<&Target>,
        snapshot: &mut Snapshot,
    ) -> Result<PreparedWrite, Failure> {
        if snapshot[to].foreign.contains(uid) {
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
        let source = self.load(to.other(), uid, snapshot).await?;
        let mapped = self.map_to(to, source.clone())?;
        Ok(PreparedWrite {
            uid: uid.to_string(),
            side: to,
            target: target.cloned(),
            content: Some((source, mapped)),
        })
    }

    /// Records the outcome of a write: the status row and the new view.
    pub(super) fn finish_write(
        &mut self,
        sent: Sent,
        snapshot: &mut Snapshot,
    ) -> Result<(), Failure> {
        let Sent {
            write:
                PreparedWrite {
                    uid,
                    side,
                    target,
                    content,
                },
            result,
        } = sent;
        let target_href = target.as_ref().map_or("", |t| t.href.as_str());
        let written = match result {
            Some(result) => result.map_err(|e| Failure::from_store(side, target_href, e))?,
            None => {
                return Err(Failure::new(
                    side,
                    None,
                    "not sent: the conflict copy that keeps the other version failed".into(),
                ));
            }
        };
        let Some((source, mapped)) = content else {
            if let Some(target) = &target {
                self.note_written(side, &target.href)?;
            }
            return self.forget(&uid);
        };
        let Some(written) = written else {
            return Err(Failure::new(side, None, "the store wrote nothing".into()));
        };
        self.note_written(side, &written.href)?;
        if let Some(Target {
            href,
            version: before,
            hash,
        }) = &target
            && *before == written.version
            && !hash.is(mapped.content_hash())
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
        snapshot[side].items.insert(uid.clone(), written_found);
        let (local, server) = match side {
            Side::Local => (mapped, source),
            Side::Server => (source, mapped),
        };
        let row = self.row_for(&uid, snapshot, &local, &server);
        self.put(row, false)
    }

    /// The writes that keep `item` (the losing version, as held on `side`)
    /// as a new item with its own UID on both sides, so that nothing is lost.
    pub(super) fn prepare_keep_copy(
        &self,
        copy_uid: &str,
        side: Side,
        item: &Item,
    ) -> Result<[Sent; 2], Failure> {
        let note = format!(
            "conflict copy: {side} version of {}",
            Utc::now().format("%Y-%m-%d %H:%M UTC")
        );
        let copy = item
            .with_uid(copy_uid)
            .and_then(|i| i.with_summary_note(&note))
            .map_err(|e| Failure::new(side, None, format!("cannot make the conflict copy: {e}")))?;
        let other = side.other();
        let mapped = self.map_to(other, copy.clone())?;
        let create = |side: Side, body: Item| {
            Sent::new(PreparedWrite {
                uid: copy_uid.to_string(),
                side,
                target: None,
                content: Some((copy.clone(), body)),
            })
        };
        Ok([create(side, copy.clone()), create(other, mapped)])
    }

    /// Records a conflict copy made on both sides (one made on one side
    /// only has no row: the next run takes it up as a new item).
    pub(super) fn finish_keep_copy(&mut self, copies: [Sent; 2]) -> Result<(), Failure> {
        let mut made: Vec<(Side, SideStatus)> = Vec::new();
        let mut failure = None;
        let uid = copies[0].write.uid.clone();
        for Sent { write, result } in copies {
            match result {
                Some(Ok(Some(written))) => {
                    self.note_written(write.side, &written.href)?;
                    let hash = write
                        .content
                        .as_ref()
                        .map(|(_, body)| body.content_hash().to_string())
                        .unwrap_or_default();
                    made.push((
                        write.side,
                        SideStatus {
                            href: written.href,
                            version: written.version,
                            hash,
                        },
                    ));
                }
                Some(Err(e)) => {
                    failure.get_or_insert(Failure::from_store(write.side, "", e));
                }
                Some(Ok(None)) | None => {
                    failure.get_or_insert(Failure::new(
                        write.side,
                        None,
                        "the conflict copy was not written".into(),
                    ));
                }
            }
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        let mut sides = made.into_iter();
        let (Some((a_side, a)), Some((_, b))) = (sides.next(), sides.next()) else {
            return Err(Failure::new(
                Side::Local,
                None,
                "the conflict copy was not written".into(),
            ));
        };
        let (local, server) = match a_side {
            Side::Local => (a, b),
            Side::Server => (b, a),
        };
        self.put(StatusRow { uid, local, server }, true)
    }
}

/// A write to one store, prepared so that many can be sent at once.
pub(super) struct PreparedWrite {
    pub(super) uid: String,
    pub(super) side: Side,
    /// The item there now, if any.
    pub(super) target: Option<Target>,
    /// For a copy: the source item and its mapped form (what is written);
    /// `None` for a delete.
    pub(super) content: Option<(Item, Item)>,
}

impl PreparedWrite {
    /// Sends the write; `Ok(None)` for a delete (or nothing to delete).
    pub(super) async fn run(&self, store: &dyn Store) -> Result<Option<Written>, StoreError> {
        match (&self.content, &self.target) {
            (Some((_, mapped)), Some(t)) => store
                .update(&t.href, &t.version, mapped.body())
                .await
                .map(Some),
            (Some((_, mapped)), None) => store.create(&self.uid, mapped.body()).await.map(Some),
            (None, Some(t)) => store.delete(&t.href, &t.version).await.map(|()| None),
            (None, None) => Ok(None),
        }
    }
}

/// The UID of the conflict copy of `loser`: the same for the same losing
/// version, so that a run killed half-way never makes a second copy.
pub(super) fn conflict_copy_uid(uid: &str, loser: &Item) -> String {
    format!("{uid}-conflict-{}", &loser.content_hash()[..8])
}
