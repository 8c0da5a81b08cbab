//! Executing the plan a chunk at a time, on one path for every operation:
//! targets verified, sources read and mapped, creates noted in the journal,
//! conflict copies sent before anything they keep is overwritten, the other
//! writes sent with a bounded number in flight, the writes made durable, and
//! then the chunk's status committed in one transaction (no request is made
//! while it is open).

use super::detect::Listing;
use super::lines::line_for;
use super::plan::Op;
use super::reader::Reader;
use super::record::Journal;
use super::verify::Verified;
use super::writes::{Prepared, PreparedWrite, Sent};
use super::*;

/// A chunk whose writes are sent, with what recording them needs once
/// they are durable.
pub(super) struct SentChunk {
    ops: Vec<Op>,
    lines: Vec<ItemReport>,
    prepared: Vec<Option<Prepared>>,
    failed: HashMap<usize, Failure>,
    settled: Vec<String>,
}

/// Makes both stores' writes so far durable.
pub(super) async fn flush_stores(job: &SyncJob<'_>) -> Result<(), EngineError> {
    for side in [Side::Local, Side::Server] {
        if let Err(source) = job.store(side).flush().await {
            return Err(EngineError::Flush { side, source });
        }
    }
    Ok(())
}

/// The execution stage: runs the plan a chunk at a time, reading targets
/// back and sources through the reader, and commits each chunk's status.
pub(super) struct Executor<'s, 'a, 'j> {
    pub(super) job: &'j SyncJob<'a>,
    pub(super) reader: &'s mut Reader<'a, 'j>,
    pub(super) report: &'s mut Report,
    /// The create journal.
    pub(super) journal: Journal,
    /// Sides that keep a listing state (their writes are noted for the
    /// next delta, see [`StatusDb::note_written`]).
    pub(super) keeps_state: PerSide<bool>,
    /// Contacts being deleted, with what is known of them (groups naming
    /// them are repaired after the run, see `dangling.rs`).
    pub(super) deleting: HashMap<String, CardRef>,
    /// Those deleted.
    pub(super) gone: HashMap<String, CardRef>,
}

impl<'s, 'a, 'j> Executor<'s, 'a, 'j> {
    /// An executor of what detection found.
    pub(super) fn new(
        job: &'j SyncJob<'a>,
        reader: &'s mut Reader<'a, 'j>,
        report: &'s mut Report,
        journal: Journal,
        listing: &Listing,
    ) -> Self {
        Executor {
            job,
            reader,
            report,
            journal,
            keeps_state: PerSide::from_fn(|side| listing.new_state[side].is_some()),
            deleting: HashMap::new(),
            gone: HashMap::new(),
        }
    }

    /// Runs the plan a chunk at a time (stopping before the next chunk
    /// when the job is asked to stop). Lists and groups come last, in
    /// chunks of their own: their server form names the resources of their
    /// member contacts, which are written by then.
    pub(super) async fn execute(
        &mut self,
        ops: Vec<Op>,
        snapshot: &mut Snapshot,
    ) -> Result<(), EngineError> {
        let planned = ops.len();
        // A report line each, the list made at its size at once.
        self.report.items.reserve(planned);
        let is_group = |op: &Op| {
            snapshot.iter().any(|(_, view)| {
                view.items
                    .get(op.uid())
                    .and_then(|f| f.read.as_ref())
                    .is_some_and(|r| r.group)
            })
        };
        // Taken out in place: a partition into two new vectors would hold
        // the plan three times over at its peak (100,000 operations).
        let mut contacts = ops;
        let groups: Vec<Op> = contacts.extract_if(.., |op| is_group(op)).collect();
        let mut done = 0;
        for part in [contacts, groups] {
            let mut ops = part.into_iter().peekable();
            while ops.peek().is_some() {
                self.before_chunk(done, planned)?;
                let chunk: Vec<Op> = ops
                    .by_ref()
                    .take(self.job.options.batch_size.max(1))
                    .collect();
                done += chunk.len();
                self.execute_chunk(chunk, snapshot).await?;
            }
        }
        self.job.tell(Progress::Done {
            done: planned,
            planned,
        });
        Ok(())
    }

    /// Tells how far the run got, and ends it here if it was asked to stop
    /// (what is done is committed: the next run goes on from there).
    pub(super) fn before_chunk(&self, done: usize, planned: usize) -> Result<(), EngineError> {
        self.job.tell(Progress::Done { done, planned });
        if self.job.stopping() {
            return Err(EngineError::Stopped { done, planned });
        }
        Ok(())
    }

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
        let sent = self.send_chunk(chunk, snapshot).await?;
        // The chunk's status rows are recorded while its writes are made
        // durable, and committed only once they are: no committed row names
        // a file that a power cut could lose. Until the commit the rows stay
        // in the database's cache (or, for a very large chunk, in frames of
        // its write-ahead log that a crash discards). The transaction makes
        // no request.
        let job = self.job;
        let transaction = job.status.transaction()?;
        let recorded = async { self.record_chunk(sent, snapshot) };
        let (flushed, ()) = tokio::join!(flush_stores(job), recorded);
        // A failed flush leaves the transaction uncommitted: its rows are
        // rolled back (the report still tells what was written), the run
        // ends with the flush's error, and the next run finds the files
        // equal on both sides and links them.
        flushed?;
        Ok(transaction.commit()?)
    }

    /// A chunk verified, prepared and sent: what recording it needs is
    /// returned.
    pub(super) async fn send_chunk(
        &mut self,
        chunk: Vec<Op>,
        snapshot: &mut Snapshot,
    ) -> Result<SentChunk, EngineError> {
        let Verified {
            ops,
            mut failed,
            settled,
        } = self.verify(chunk, snapshot).await;
        // Sources of operations planned again (a gone one is reported as
        // its operation runs).
        self.reader.prefetch(&ops, snapshot).await;
        let lines: Vec<ItemReport> = ops.iter().map(|op| line_for(op, snapshot)).collect();
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
        Ok(SentChunk {
            ops,
            lines,
            prepared,
            failed,
            settled,
        })
    }

    /// Records a sent chunk's outcomes in order (status rows, report lines)
    /// in the transaction the caller holds, and drops its items.
    pub(super) fn record_chunk(&mut self, sent: SentChunk, snapshot: &mut Snapshot) {
        let SentChunk {
            ops,
            lines,
            mut prepared,
            mut failed,
            settled,
        } = sent;
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
        // Done with (their status rows are written): only the chunks still
        // to run are held.
        let done = ops
            .iter()
            .map(Op::uid)
            .chain(settled.iter().map(String::as_str));
        for uid in done {
            for (_, view) in snapshot.iter_mut() {
                view.items.remove(uid);
            }
        }
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

    /// Sends writes with a bounded number in flight on each side (both
    /// sides at once) and keeps their results.
    async fn send(&self, wave: &mut [&mut Sent]) {
        let concurrency = self.job.options.concurrency.max(1);
        let per_side = |side: Side| {
            let (at, ops): (Vec<usize>, Vec<WriteOp<&str>>) = wave
                .iter()
                .enumerate()
                .filter(|(_, sent)| sent.write.side == side)
                .filter_map(|(i, sent)| sent.write.op().map(|op| (i, op)))
                .unzip();
            async move {
                if ops.is_empty() {
                    return Vec::new();
                }
                let results = self.job.store(side).write_all(&ops, concurrency).await;
                at.into_iter().zip(results).collect::<Vec<_>>()
            }
        };
        let (local, server) = tokio::join!(per_side(Side::Local), per_side(Side::Server));
        let mut results: Vec<Option<WriteResult>> = wave.iter().map(|_| None).collect();
        for (i, result) in local.into_iter().chain(server) {
            results[i] = Some(result);
        }
        for (sent, result) in wave.iter_mut().zip(results) {
            sent.result = Some(match (result, sent.write.op().is_some()) {
                (Some(result), _) => result,
                // A deletion with nothing to delete.
                (None, false) => Ok(None),
                (None, true) => Err(StoreError::server(
                    ServerFailure::Other,
                    "the store gave no answer for this write",
                )),
            });
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
            Action::Delete { on } => {
                self.note_deleting(uid, on, snapshot).await;
                Ok(Prepared::Write(Sent::new(PreparedWrite {
                    uid: uid.to_string(),
                    side: on,
                    target: op.target.as_deref().cloned(),
                    content: None,
                })))
            }
            Action::Link => {
                let local = self.reader.load(Side::Local, uid, snapshot).await?;
                let server = self.reader.load(Side::Server, uid, snapshot).await?;
                Ok(Prepared::Link(self.row_for(uid, snapshot, &local, &server)))
            }
            Action::Forget => Ok(Prepared::Forget(uid.to_string())),
            Action::KeepBoth { winner } => self.prepare_keep_both(op, winner, snapshot).await,
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
}
