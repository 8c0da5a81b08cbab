//! One sync run: update detection on both sides, the plan, the safety rails,
//! and the execution of the plan with the status committed item by item.

use crate::hash::Hash;
use crate::mapping::Mapping;
use crate::per_side::PerSide;
use crate::planner::{self, Action, ConflictPolicy, Decision, Entry, Mode, Present, Side};
use crate::report::{ItemReport, Message, Outcome, Report};
use crate::spool::{Slot, Spool};
use crate::status::{OutsideRow, RunRecord, SideStatus, StatusDb, StatusRow};
use crate::time_range::TimeRange;
use chrono::{DateTime, Utc};
use davsync_pim::Item;
use davsync_store::{
    ChangeSet, Changes, Fetched, Href, Listed, Metadata, ReadOptions, ServerFailure, Store,
    StoreError, Written, read_in_batches,
};
use futures_util::stream::{self, StreamExt};
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many items are read from a store per request.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// How many requests are in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How long the server's listing request is given to go out (connect, send)
/// before the folder is scanned on the same thread; the server works on its
/// answer meanwhile. An answer that comes sooner is taken at once.
const SEND_WINDOW: std::time::Duration = std::time::Duration::from_millis(50);

/// The settings of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// The synchronization mode.
    pub mode: Mode,
    /// How two-way conflicts are settled.
    pub conflicts: ConflictPolicy,
    /// Largest share (percent) of a side's items one run may delete.
    pub max_delete_percent: u8,
    /// Override the safety rails.
    pub force: bool,
    /// Plan only; write nothing.
    pub dry_run: bool,
    /// Items read per request, and decisions per status transaction.
    pub batch_size: usize,
    /// Requests in flight at once (reads and writes).
    pub concurrency: usize,
    /// Only items meeting this range are taken up (calendars); items already
    /// synced stay synced when they leave it, and are never deleted for that.
    pub time_range: Option<TimeRange>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            mode: Mode::TwoWay,
            conflicts: ConflictPolicy::Automatic,
            max_delete_percent: 50,
            force: false,
            dry_run: false,
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            time_range: None,
        }
    }
}

/// What a run works on.
pub struct SyncJob<'a> {
    /// The profile's name (for reports).
    pub name: &'a str,
    /// The local store.
    pub local: &'a dyn Store,
    /// The server store.
    pub server: &'a dyn Store,
    /// The profile's mapping (filters and transforms).
    pub mapping: &'a Mapping,
    /// The profile's status database.
    pub status: &'a StatusDb,
    /// The run's settings.
    pub options: SyncOptions,
    /// Where the run parks the bodies it reads (an unnamed file, gone when
    /// the run ends); the system's temporary folder when `None`.
    pub scratch_dir: Option<&'a std::path::Path>,
}

/// An item as found on one side in this run.
#[derive(Debug, Clone)]
struct Found {
    href: String,
    version: String,
    /// Content hash (from the status when the item was not read).
    hash: Hash,
    /// Changed since the status (true when there is no status).
    changed: bool,
    /// The parsed item, held only while its chunk runs (or, without a spool,
    /// from the scan on).
    item: Option<Box<Item>>,
    /// What the scan learnt from reading the item (boxed: most items of a
    /// large collection are not read, and a lean entry keeps the maps small).
    read: Option<Box<ReadFacts>>,
}

/// What reading an item during the scan told.
#[derive(Debug, Clone, Default)]
struct ReadFacts {
    /// Where its body is parked.
    spooled: Option<Slot>,
    /// Its LAST-MODIFIED/REV, else the store's own time.
    modified: Option<DateTime<Utc>>,
    /// Its summary (for the report).
    summary: Option<String>,
    /// A local item: the content hash of its server form.
    server_hash: Option<Hash>,
}

impl Found {
    /// An item not read in this run: what the status knows of it.
    fn unread(href: String, version: String, hash: Hash) -> Found {
        Found {
            href,
            version,
            hash,
            changed: false,
            item: None,
            read: None,
        }
    }
}

/// One side's items for this run, by UID.
#[derive(Default)]
struct SideView {
    items: HashMap<String, Found>,
    /// UIDs found on this side that do not belong to the profile (filtered out).
    foreign: HashSet<String>,
    /// New items outside the time range, by UID: taken up only if the other
    /// side holds the same UID inside it.
    outside: HashMap<String, Found>,
}

/// The run's working state.
struct Run<'a, 'j> {
    job: &'j SyncJob<'a>,
    report: Report,
    status: HashMap<String, StatusRow>,
    /// UIDs left alone this run (unreadable files, duplicate UIDs).
    untouchable: BTreeSet<String>,
    /// Each side's listing state to keep for the next run, if this one ends clean.
    new_state: PerSide<Option<String>>,
    /// Whether the plan was refused by a safety rail.
    refused: bool,
    /// Whether each side was listed in full (rather than as changes since last time).
    full_listing: PerSide<bool>,
    /// Bodies read during the scan, parked until their chunk runs.
    spool: Option<Spool>,
    /// Items each side held outside the time range last time (by href).
    outside_before: PerSide<HashMap<String, OutsideRow>>,
    /// Items each side holds outside the time range now (by href).
    outside_now: PerSide<HashMap<String, OutsideRow>>,
    /// Whether a side's items outside the range differ from last time (so
    /// that an idle run does not rewrite them).
    outside_changed: PerSide<bool>,
    /// The time range differs from the last clean run's (a new day, or the
    /// filter turned on or off): every item outside it is looked at again.
    range_changed: bool,
    /// What the profile takes up (mode, filters) as text, and whether it
    /// differs from the last clean run's: then items left alone before may
    /// be wanted now, and no delta would name them, so both sides are
    /// listed in full.
    selection: (String, bool),
    /// Status rows at the start of the run (those held in `status` and the quiet ones).
    known_total: usize,
    /// Items unchanged on both sides since the status: their rows are not
    /// held (`status` has the rest), so that memory does not grow with the
    /// collection on a run with little to do.
    quiet: usize,
    /// Hashes of the quiet items' UIDs: a UID read this run that may be one
    /// of them is looked up (its row is taken in again).
    quiet_uids: HashSet<u64>,
    /// Quiet rows taken in again because an item read this run had their UID.
    revived: Vec<StatusRow>,
    /// UIDs with a create noted in the journal (from a killed run, or this
    /// one) that no status row settles yet.
    journaled: HashSet<(Side, String)>,
    /// Sides whose store was caught before changing an item without changing
    /// its version: every item it names as changed is read (and its full
    /// listings are read whole), since its versions say nothing.
    distrusted: PerSide<bool>,
    /// Sides caught at it in this run (an item and its version, for the note).
    caught: PerSide<Option<String>>,
}

/// Runs one sync of a profile and returns its report (also recorded as the
/// profile's last run in the status database, unless it was a dry run).
/// Needs a Tokio runtime with its timer enabled.
pub async fn sync(job: &SyncJob<'_>) -> Report {
    let mut run = Run {
        job,
        report: Report::new(job.name, job.options.dry_run),
        status: HashMap::new(),
        untouchable: BTreeSet::new(),
        new_state: PerSide::default(),
        refused: false,
        full_listing: PerSide::default(),
        spool: None,
        outside_before: Default::default(),
        outside_now: Default::default(),
        outside_changed: PerSide::default(),
        range_changed: false,
        selection: (String::new(), false),
        known_total: 0,
        quiet: 0,
        quiet_uids: HashSet::new(),
        revived: Vec::new(),
        journaled: HashSet::new(),
        distrusted: PerSide::default(),
        caught: PerSide::default(),
    };
    run.report.local_store = job.local.describe();
    run.report.server_store = job.server.describe();
    let result = run.run().await;
    if let Err(stopped) = &result {
        run.report.errors.push(Message {
            kind: stopped.kind,
            ..Message::run(stopped.message.clone())
        });
    }
    run.note_caught();
    // A listing state is kept only after a clean run: otherwise the next run
    // must see the same changes again (never advance past what was not applied).
    let clean = result.is_ok()
        && !run.refused
        && run.report.errors.is_empty()
        && run.report.items.iter().all(|i| i.outcome == Outcome::Done);
    if clean && !job.options.dry_run {
        for side in [Side::Local, Side::Server] {
            if let Err(e) = job.status.set_state(side, run.new_state[side].as_deref()) {
                run.report.errors.push(Message::run(e.to_string()));
            }
        }
        if let Err(e) = run.save_outside() {
            run.report.errors.push(Message::run(e.to_string()));
        }
        if run.selection.1
            && let Err(e) = job.status.set_selection_key(&run.selection.0)
        {
            run.report.errors.push(Message::run(e.to_string()));
        }
    }
    run.report.requests = [job.local.requests(), job.server.requests()];
    run.report.finish();
    if !job.options.dry_run {
        let record = RunRecord {
            started: run
                .report
                .started
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            result: run.report.result,
            summary: Some(run.report.summary()),
        };
        if let Err(e) = job.status.record_run(&record) {
            run.report.errors.push(Message::run(e.to_string()));
            run.report.finish();
        }
    }
    run.report
}

/// A UID's key in [`Run::quiet_uids`].
fn uid_key(uid: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    uid.hash(&mut hasher);
    hasher.finish()
}

/// Where an unchanged item is listed, and its new version if the store gave
/// it one.
struct Unchanged<'l> {
    at: Option<usize>,
    fresh: Option<&'l String>,
}

/// One side's listing, looked up by address while the status is loaded.
enum QuietCheck<'l> {
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
    fn new(changes: &'l mut Changes, distrusted: bool) -> Self {
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
    fn unchanged(&self, known: &SideStatus, store: &dyn Store) -> Option<Unchanged<'_>> {
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
                    store
                        .still_is(&known.href, version, &known.version)
                        .then_some(Unchanged {
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
    fn take(&mut self, at: Option<usize>) {
        if let (QuietCheck::Full { quiet, .. }, Some(at)) = (self, at) {
            quiet[at] = true;
        }
    }

    /// Drops the quiet items' entries from the listing.
    fn finish(self) {
        if let QuietCheck::Full { listed, quiet, .. } = self {
            let mut at = 0;
            listed.retain(|_| {
                at += 1;
                !quiet[at - 1]
            });
        }
    }
}

fn side_status(row: &StatusRow, side: Side) -> &SideStatus {
    match side {
        Side::Local => &row.local,
        Side::Server => &row.server,
    }
}

impl<'a, 'j> Run<'a, 'j> {
    fn store(&self, side: Side) -> &'a dyn Store {
        match side {
            Side::Local => self.job.local,
            Side::Server => self.job.server,
        }
    }

    /// A store caught changing items without changing their versions is
    /// distrusted from now on, and listed in full next time: what it named
    /// as changed this run before it was caught was not all read.
    fn note_caught(&mut self) {
        for side in [Side::Local, Side::Server] {
            let Some(example) = self.caught[side].take() else {
                continue;
            };
            if self.distrusted[side] || self.job.options.dry_run {
                continue;
            }
            self.new_state[side] = None;
            if let Err(e) = self.job.status.distrust_versions(side, &example) {
                self.report.errors.push(Message::run(e.to_string()));
            }
            self.report.warnings.push(Message::run(format!(
                "the {side} store ({}) changed items without changing their versions (ETags; \
                 {example}): its versions are not trusted any more. Every item it names as \
                 changed is read and compared from now on, and the next run reads all of it once",
                self.store(side).describe()
            )));
        }
    }

    /// Notes that a side's store changed an item without changing its version.
    fn catch(&mut self, side: Side, href: &str, version: &str) {
        if self.store(side).checks_content_before_overwrite() {
            self.caught[side].get_or_insert_with(|| format!("{href} kept {version}"));
        }
    }

    /// Records why an item's operation failed: a warning when it is to be
    /// tried again on the next run, else an error.
    fn failure_message(&mut self, failure: Failure, uid: &str) {
        let message = Message {
            side: Some(failure.side),
            href: failure.href,
            uid: Some(uid.to_string()),
            message: failure.message,
            kind: failure.kind,
        };
        if failure.transient {
            self.report.warnings.push(message);
        } else {
            self.report.errors.push(message);
        }
    }

    /// Records an error (or, with `warning`, a warning) about one item.
    fn item_message(
        &mut self,
        warning: bool,
        side: Side,
        href: Option<&str>,
        uid: Option<&str>,
        message: String,
    ) {
        let message = Message {
            side: Some(side),
            href: href.map(str::to_string),
            uid: uid.map(str::to_string),
            message,
            kind: None,
        };
        if warning {
            self.report.warnings.push(message);
        } else {
            self.report.errors.push(message);
        }
    }

    async fn run(&mut self) -> Result<(), Stopped> {
        self.load_outside().map_err(|e| e.to_string())?;
        if !self.job.options.dry_run {
            self.job.status.age_written().map_err(|e| e.to_string())?;
        }
        for side in [Side::Local, Side::Server] {
            self.distrusted[side] = self
                .job
                .status
                .versions_untrusted(side)
                .map_err(|e| e.to_string())?;
        }
        self.known_total = self.job.status.count().map_err(|e| e.to_string())?;
        let (mut local, mut server) = if self.known_total == 0 {
            (
                self.read_everything(Side::Local).await?,
                self.read_everything(Side::Server).await?,
            )
        } else {
            // The server's answer takes longest (Radicale hashes the whole
            // collection to answer a sync-collection): it is asked first, and
            // the folder is listed while it works.
            let since = self.listing_since(Side::Server)?;
            let server_store = self.job.server;
            let mut listing = std::pin::pin!(server_store.list_changes(since.as_deref()));
            let early = tokio::time::timeout(SEND_WINDOW, listing.as_mut())
                .await
                .ok();
            let local = self.list(Side::Local).await?;
            let local = self.settle(Side::Local, local).await?;
            let mut local = self.vouch(Side::Local, local).await?;
            self.confirm_fresh(Side::Local, &mut local)?;
            let server = match early {
                Some(changes) => changes,
                None => listing.await,
            }
            .map_err(|e| self.listing_error(Side::Server, e))?;
            let server = self.settle(Side::Server, server).await?;
            let server = self.vouch(Side::Server, server).await?;
            let mut listings = [local, server];
            self.load_status(&mut listings)?;
            let [local, server] = listings;
            let mut local = self.scan(Side::Local, local).await?;
            let mut server = self.scan(Side::Server, server).await?;
            self.revive_quiet(&mut local, &mut server);
            (local, server)
        };
        self.take_up_outside(&mut local, &server, Side::Local);
        self.take_up_outside(&mut server, &local, Side::Server);
        self.report.outside_time_range = local
            .outside
            .keys()
            .chain(server.outside.keys())
            .collect::<HashSet<_>>()
            .len();
        let decisions = self.plan(&local, &server);
        self.report.unchanged = self.quiet
            + decisions
                .iter()
                .filter(|d| d.action == Action::Nothing)
                .count();
        let refused = self.safety_rails(&decisions, &local, &server);
        self.refused = refused;
        tracing::info!(
            profile = self.job.name,
            local = local.items.len() + self.quiet,
            server = server.items.len() + self.quiet,
            known = self.known_total,
            quiet = self.quiet,
            planned = decisions
                .iter()
                .filter(|d| d.action != Action::Nothing)
                .count(),
            refused,
            "planned"
        );
        // Collection metadata is compared when a side was listed in full (first
        // run, reset token, stores without change tracking), so that a run with
        // nothing to do stays one request per collection.
        if !refused && self.full_listing.local && self.full_listing.server {
            self.sync_metadata().await;
        }
        let mut views = PerSide::new(local, server);
        let mut pending: Vec<&Decision> = Vec::new();
        // Fresh versions of unchanged items (thousands after a big first run)
        // are written in one transaction, not one commit each.
        let refreshing = !self.job.options.dry_run;
        if refreshing {
            self.job.status.begin().map_err(|e| e.to_string())?;
        }
        for decision in &decisions {
            if decision.action == Action::Nothing {
                if !self.job.options.dry_run {
                    self.refresh_status(&decision.uid, &views);
                }
                continue;
            }
            if decision.conflict.is_some() {
                self.report.conflicts += 1;
            }
            if refused || self.job.options.dry_run {
                if !refused {
                    let writes = writes_of(decision, &views);
                    self.tally(&writes);
                }
                let line = self.line_for(decision, &views);
                self.report.items.push(line);
                continue;
            }
            pending.push(decision);
        }
        if refreshing {
            self.job.status.commit().map_err(|e| e.to_string())?;
        }
        for chunk in pending.chunks(self.job.options.batch_size.max(1)) {
            self.execute_chunk(chunk, &mut views).await?;
        }
        Ok(())
    }

    /// The report line of a decision, before it runs.
    fn line_for(&self, decision: &Decision, views: &PerSide<SideView>) -> ItemReport {
        ItemReport {
            uid: decision.uid.clone(),
            action: decision.action,
            local_state: decision.local,
            server_state: decision.server,
            conflict: decision.conflict,
            summary: self.summary_of(&decision.uid, views),
            outcome: Outcome::Planned,
            message: None,
        }
    }

    /// Runs one chunk of decisions: reads the sources they need in batches,
    /// sends the copies and deletions with a bounded number in flight, then
    /// records the outcomes in order, with the status of the whole chunk in one
    /// transaction (a crash before its commit leaves writes without status rows,
    /// which the next run finds equal on both sides and links).
    async fn execute_chunk(
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
    async fn check_targets(
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
    async fn second_look(
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
    fn note_creates<'w>(
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
    async fn prefetch(&mut self, chunk: &[&Decision], views: &mut PerSide<SideView>) {
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
    fn unpark(&self, found: &mut Found) {
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
    async fn fetch_many(&self, side: Side, hrefs: &[String]) -> Vec<Result<Fetched, StoreError>> {
        let mut fetched = Vec::with_capacity(hrefs.len());
        let mut keep = |result| fetched.push(result);
        read_in_batches(self.store(side), hrefs, &self.read_options(), &mut keep).await;
        fetched
    }

    /// Carries the collection's display name and colour across: in one-way modes
    /// from the source, in two-way mode only into a side that has none.
    async fn sync_metadata(&mut self) {
        let (local, server) = match (
            self.job.local.metadata().await,
            self.job.server.metadata().await,
        ) {
            (Ok(l), Ok(s)) => (l, s),
            (Err(e), _) | (_, Err(e)) => {
                self.report
                    .warnings
                    .push(Message::run(format!("collection metadata: {e}")));
                return;
            }
        };
        let pick = |source: &Option<String>, target: &Option<String>, overwrite: bool| match (
            source, target,
        ) {
            (Some(s), Some(t)) if overwrite && s != t => Some(s.clone()),
            (Some(s), None) => Some(s.clone()),
            _ => None,
        };
        let mut updates = Vec::new();
        for to in [Side::Local, Side::Server] {
            let (source, target) = match to {
                Side::Local => (&server, &local),
                Side::Server => (&local, &server),
            };
            let overwrite = match self.job.options.mode.one_way() {
                Some((src, _)) if src == to => continue,
                Some(_) => true,
                None => false,
            };
            let update = Metadata {
                displayname: pick(&source.displayname, &target.displayname, overwrite),
                color: pick(&source.color, &target.color, overwrite),
            };
            if update != Metadata::default() {
                updates.push((to, update));
            }
        }
        for (to, update) in updates {
            if self.job.options.dry_run {
                continue;
            }
            if let Err(e) = self.store(to).set_metadata(&update).await {
                self.report.warnings.push(Message::run(format!(
                    "writing collection metadata on the {to} side: {e}"
                )));
            }
        }
    }

    /// The listing state to ask a side's store from (none after a change of
    /// the time range or of what the profile takes up: a full listing then).
    fn listing_since(&self, side: Side) -> Result<Option<String>, String> {
        if self.range_changed || self.selection.1 {
            return Ok(None);
        }
        self.job.status.state(side).map_err(|e| e.to_string())
    }

    fn listing_error(&self, side: Side, e: StoreError) -> Stopped {
        Stopped {
            kind: e.server_failure(),
            message: format!(
                "listing the {side} store ({}): {e}",
                self.store(side).describe()
            ),
        }
    }

    /// A first sync (or a lost status): every item must be read, which a
    /// server does fastest as one query rather than listing + multigets.
    async fn read_everything(&mut self, side: Side) -> Result<SideView, Stopped> {
        let store = self.store(side);
        let mut view = SideView::default();
        let options = self.read_options();
        let mut sink = |result| self.take_read(side, None, None, result, &mut view);
        let state = store.read_all(&options, &mut sink).await;
        self.new_state[side] = state.map_err(|e| self.listing_error(side, e))?;
        self.full_listing[side] = true;
        Ok(view)
    }

    /// What changed on a side since the last clean run (a new time range: a
    /// full listing, so that items which moved into it are found).
    async fn list(&self, side: Side) -> Result<ChangeSet, Stopped> {
        let since = self.listing_since(side)?;
        self.store(side)
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
    async fn settle(&mut self, side: Side, mut changes: ChangeSet) -> Result<ChangeSet, Stopped> {
        if let Changes::Delta { changed, .. } = &changes.changes
            && self.known_total > 0
            && changed.len() >= self.known_total
            && !self.names_every_known(side, changed)?
        {
            let listed = self.store(side).list().await;
            changes.changes = Changes::Full(listed.map_err(|e| self.listing_error(side, e))?);
        }
        self.full_listing[side] = matches!(changes.changes, Changes::Full(_));
        Ok(changes)
    }

    /// Whether `changed` names the item of every status row on `side`.
    fn names_every_known(&self, side: Side, changed: &[Listed]) -> Result<bool, String> {
        let named: HashSet<&str> = changed.iter().map(|l| l.href.as_str()).collect();
        let mut known = 0;
        self.job
            .status
            .each(|row| known += usize::from(named.contains(side_status(&row, side).href.as_str())))
            .map_err(|e| e.to_string())?;
        Ok(known == self.known_total)
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
    async fn vouch(&mut self, side: Side, mut changes: ChangeSet) -> Result<ChangeSet, Stopped> {
        let Changes::Delta { changed, deleted } = &mut changes.changes else {
            return Ok(changes);
        };
        let written = self.job.status.written(side).map_err(|e| e.to_string())?;
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
        let looked = self.fetch_many(side, &unnamed).await;
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
                        self.store(side).describe()
                    );
                    let listed = self.store(side).list().await;
                    changes.changes =
                        Changes::Full(listed.map_err(|e| self.listing_error(side, e))?);
                    self.full_listing[side] = true;
                    return Ok(changes);
                }
            }
        }
        tracing::info!(
            "{}: {} item(s) written by an earlier run were not named in the changes since              then: {} still there, {} gone",
            self.store(side).describe(),
            found.len() + gone.len(),
            found.len(),
            gone.len()
        );
        changed.extend(found);
        deleted.extend(gone);
        Ok(changes)
    }

    /// Loads the status rows, but only of items that may need work: a row
    /// whose item is listed on both sides at the address and version it
    /// records (or, in a delta, not named) is counted as quiet and its
    /// listing entries are dropped. A run with little to do then holds little.
    fn load_status(&mut self, listings: &mut [ChangeSet; 2]) -> Result<(), String> {
        let [l, s] = listings.each_mut();
        let mut sides = [
            QuietCheck::new(&mut l.changes, self.distrusted.local),
            QuietCheck::new(&mut s.changes, self.distrusted.server),
        ];
        let (local, server) = (self.job.local, self.job.server);
        let mut status = HashMap::new();
        let mut quiet_uids = HashSet::new();
        // New versions of unchanged items (every file after a big download,
        // once confirmed by its bytes), recorded after the rows are read.
        let mut fresh: Vec<(String, Side, String)> = Vec::new();
        self.job
            .status
            .each(|row| {
                let [l, s] = &sides;
                let (Some(lu), Some(su)) = (
                    l.unchanged(&row.local, local),
                    s.unchanged(&row.server, server),
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
            })
            .map_err(|e| e.to_string())?;
        for side in sides {
            side.finish();
        }
        self.record_fresh(&fresh)?;
        self.quiet = quiet_uids.len();
        self.quiet_uids = quiet_uids;
        self.status = status;
        Ok(())
    }

    /// Records the new versions a side's store confirmed as the same items
    /// (every file after a big download), in one transaction.
    fn record_fresh(&self, fresh: &[(String, Side, String)]) -> Result<(), String> {
        if fresh.is_empty() || self.job.options.dry_run {
            return Ok(());
        }
        let db = self.job.status;
        db.begin().map_err(|e| e.to_string())?;
        for (uid, side, version) in fresh {
            if let Err(e) = db.set_version(uid, *side, version) {
                let _ = db.rollback();
                return Err(e.to_string());
            }
        }
        db.commit().map_err(|e| e.to_string())
    }

    /// Confirms a fully listed side's new versions of unchanged items before
    /// the status is loaded: run while the server works on its answer, it
    /// takes the one-time cost after a big download off the run's length.
    fn confirm_fresh(&mut self, side: Side, changes: &mut ChangeSet) -> Result<(), String> {
        if self.job.options.dry_run || !matches!(changes.changes, Changes::Full(_)) {
            return Ok(());
        }
        let check = QuietCheck::new(&mut changes.changes, self.distrusted[side]);
        let store = self.store(side);
        let mut fresh = Vec::new();
        self.job
            .status
            .each(|row| {
                let unchanged = check.unchanged(side_status(&row, side), store);
                if let Some(Unchanged {
                    fresh: Some(version),
                    ..
                }) = unchanged
                {
                    fresh.push((row.uid, side, version.clone()));
                }
            })
            .map_err(|e| e.to_string())?;
        self.record_fresh(&fresh)
    }

    /// Whether a UID is in the status, held or quiet (a quiet one is taken in again).
    fn is_known(&mut self, uid: &str) -> bool {
        if self.status.contains_key(uid) {
            return true;
        }
        if !self.quiet_uids.contains(&uid_key(uid)) {
            return false;
        }
        match self.job.status.get(uid) {
            Ok(Some(row)) => {
                self.quiet_uids.remove(&uid_key(uid));
                self.quiet -= 1;
                self.status.insert(row.uid.clone(), row.clone());
                self.revived.push(row);
                true
            }
            Ok(None) => false,
            Err(e) => {
                // Not knowing would make a duplicate: the item is left alone.
                self.report.errors.push(Message::run(e.to_string()));
                self.untouchable.insert(uid.to_string());
                true
            }
        }
    }

    /// Puts the quiet items taken in again back into both sides' views (as
    /// the status has them); the item read with the same UID at another
    /// address makes the UID held twice on that side.
    fn revive_quiet(&mut self, local: &mut SideView, server: &mut SideView) {
        for side in [Side::Local, Side::Server] {
            let view = match side {
                Side::Local => &*local,
                Side::Server => &*server,
            };
            let uids: Vec<String> = view.outside.keys().cloned().collect();
            for uid in uids {
                self.is_known(&uid);
            }
        }
        for row in std::mem::take(&mut self.revived) {
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
                        let message = format!(
                            "UID {} is held by both {} and {}; both are left alone until one is removed",
                            row.uid, known.href, other.href
                        );
                        self.item_message(false, side, Some(&other.href), Some(&row.uid), message);
                        self.untouchable.insert(row.uid.clone());
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Sorts a side's listing into items unchanged since the status (taken
    /// from it) and items to read, reads what changed, and sorts the items by
    /// UID. What is read is parked in the spool, so memory holds a batch of
    /// bodies at a time.
    async fn scan(&mut self, side: Side, changes: ChangeSet) -> Result<SideView, String> {
        let store = self.store(side);
        let mut view = SideView::default();
        self.new_state[side] = changes.state;
        let mut by_href: HashMap<&str, &StatusRow> = HashMap::new();
        for row in self.status.values() {
            by_href.insert(side_status(row, side).href.as_str(), row);
        }
        // What a distrusted store lists (in full) or names as changed is read:
        // its version says nothing.
        let distrusted = self.distrusted[side];
        let mut named: Option<HashSet<String>> = None;
        let listed = match changes.changes {
            Changes::Full(listed) => listed,
            Changes::Delta { changed, deleted } => {
                if distrusted {
                    named = Some(changed.iter().map(|l| l.href.clone()).collect());
                }
                let deleted: HashSet<&str> = deleted.iter().map(String::as_str).collect();
                let mut listed: HashMap<String, String> = by_href
                    .iter()
                    .filter(|(href, _)| !deleted.contains(*href))
                    .map(|(href, row)| (href.to_string(), side_status(row, side).version.clone()))
                    .collect();
                // Items outside the time range are not in the status either: the
                // ones the delta does not name are as they were.
                for (href, row) in &self.outside_before[side] {
                    if !deleted.contains(href.as_str()) {
                        listed
                            .entry(href.clone())
                            .or_insert_with(|| row.version.clone());
                    }
                }
                for entry in changed {
                    listed.insert(entry.href, entry.version);
                }
                listed
                    .into_iter()
                    .map(|(href, version)| Listed { href, version })
                    .collect()
            }
        };
        // Creates a killed run noted: their addresses are read whatever the
        // listing says (a server that lists late would make them duplicates).
        let journal = self.job.status.journal(side).map_err(|e| e.to_string())?;
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
                None if self.outside_before[side]
                    .get(&entry.href)
                    .is_some_and(|o| o.version == entry.version) =>
                {
                    // Outside the range last time and unchanged: not read again.
                    let (href, row) = self.outside_before[side]
                        .remove_entry(&entry.href)
                        .expect("checked");
                    let mut item = Found::unread(href.clone(), entry.version, Hash::new(&row.hash));
                    item.changed = true;
                    view.outside.insert(row.uid.clone(), item);
                    self.outside_now[side].insert(href, row);
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
        };
        read_in_batches(store, &to_read, &options, &mut sink).await;
        for (uid, href) in journal {
            if view.items.get(&uid).is_some_and(|f| f.href == href) {
                // There: settled when its status row is written.
                self.journaled.insert((side, uid));
            } else if !self.job.options.dry_run {
                // Never made (or gone since): nothing to find.
                self.job
                    .status
                    .journal_remove(side, &uid)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(view)
    }

    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            batch_size: self.job.options.batch_size.max(1),
            concurrency: self.job.options.concurrency.max(1),
            time_range: self.job.options.time_range.map(|r| (r.start, r.end)),
        }
    }

    /// Takes in one item read during the scan (`owner`: the UID the status
    /// knows at its address): parsed, judged, and its body parked in the spool.
    fn take_read(
        &mut self,
        side: Side,
        asked: Option<&str>,
        owner: Option<String>,
        result: Result<Fetched, StoreError>,
        view: &mut SideView,
    ) {
        let fetched = match result {
            Ok(f) => f,
            Err(StoreError::NotFound { .. }) => return, // gone since the listing
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
                return;
            }
        };
        let Fetched {
            href,
            version,
            body,
            modified,
        } = fetched;
        let item = match Item::parse(body) {
            Ok(item) => item,
            Err(e) => {
                self.item_message(
                    false,
                    side,
                    Some(&href),
                    owner.as_deref(),
                    format!("cannot be parsed: {e}; left alone"),
                );
                self.untouchable.extend(owner);
                return;
            }
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
            self.outside_now[side].insert(href, OutsideRow { version, uid, hash });
            self.outside_changed[side] = true;
            return;
        }
        self.is_known(&uid);
        // The content decides: a new version of the same content is no change
        // (a server that rewrote it), and the same version with other content
        // is one (a server that does not change its ETags), said once here.
        let (changed, same_version) = match self.status.get(&uid) {
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
                .job
                .mapping
                .map(Side::Server, item.clone())
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

    /// Parks a body in the run's spool (made on first use); `None` keeps it in memory.
    fn park(&mut self, body: &str) -> Option<Slot> {
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

    /// Reads what the last clean run left outside the time range, if the
    /// range is still the same.
    fn load_outside(&mut self) -> Result<(), crate::status::StatusError> {
        let selection = format!(
            "{:?}; {}",
            self.job.options.mode,
            self.job.mapping.selection()
        );
        let changed = self.job.status.selection_key()?.as_ref() != Some(&selection);
        self.selection = (selection, changed);
        let key = self.job.options.time_range.map(|r| r.key());
        let before = self.job.status.range_key()?;
        // Also when the filter was turned off: what it left out is wanted now.
        self.range_changed = key != before;
        if key.is_some() && !self.range_changed {
            for side in [Side::Local, Side::Server] {
                self.outside_before[side] = self.job.status.outside(side)?;
            }
        }
        Ok(())
    }

    /// Keeps what is outside the time range now, and the range, for the next
    /// run; written only where something changed.
    fn save_outside(&self) -> Result<(), crate::status::StatusError> {
        for side in [Side::Local, Side::Server] {
            // Left over from last time: gone, changed or taken up since.
            let vanished = !self.outside_before[side].is_empty();
            if self.range_changed || vanished || self.outside_changed[side] {
                let rows = &self.outside_now[side];
                self.job
                    .status
                    .set_outside(side, rows.iter().map(|(h, r)| (h.as_str(), r)))?;
            }
        }
        if self.range_changed {
            let key = self.job.options.time_range.map(|r| r.key());
            self.job.status.set_range_key(key.as_deref())?;
        }
        Ok(())
    }

    /// Takes up items outside the time range on `side` whose UID the other
    /// side holds inside it: one item, judged differently (a time zone, an
    /// edit), must not become two.
    fn take_up_outside(&mut self, view: &mut SideView, other: &SideView, side: Side) {
        let uids: Vec<String> = view
            .outside
            .keys()
            .filter(|uid| other.items.contains_key(*uid))
            .cloned()
            .collect();
        for uid in uids {
            if let Some(found) = view.outside.remove(&uid) {
                self.outside_now[side].remove(&found.href);
                self.outside_changed[side] = true;
                view.items.entry(uid).or_insert(found);
            }
        }
    }

    /// Takes in what a scan found, by UID; a UID held twice is left alone.
    fn collect(&mut self, side: Side, uid: String, item: Found, view: &mut SideView) {
        if let Some(other) = view.items.get(&uid) {
            let message = format!(
                "UID {uid} is held by both {} and {}; both are left alone until one is removed",
                other.href, item.href
            );
            self.item_message(false, side, Some(&item.href), Some(&uid), message);
            self.untouchable.insert(uid);
            return;
        }
        view.items.insert(uid, item);
    }

    /// One decision per UID known to the status or found on a side (each
    /// entry made as it is decided: at 50,000 items they add up).
    fn plan(&self, local: &SideView, server: &SideView) -> Vec<Decision> {
        let mut uids: BTreeSet<&String> = self.status.keys().collect();
        uids.extend(local.items.keys());
        uids.extend(server.items.keys());
        uids.into_iter()
            .filter(|uid| !self.untouchable.contains(*uid))
            .map(|uid| self.decide(uid, local, server))
            .collect()
    }

    /// The decision on one UID, from what both sides hold of it now.
    fn decide(&self, uid: &str, local: &SideView, server: &SideView) -> Decision {
        let known = self.status.contains_key(uid);
        let l = local.items.get(uid);
        let s = server.items.get(uid);
        // The item's own LAST-MODIFIED/REV, else the store's time (a file's
        // mtime; a server without one leaves it empty, and then wins).
        let present = |f: &Found| Present {
            changed: !known || f.changed,
            modified: f.read.as_ref().and_then(|r| r.modified),
        };
        // Read this run, the local item's server form is known.
        let server_form = l.and_then(|f| f.read.as_ref()?.server_hash.as_ref());
        let same_content = match (server_form, s) {
            (Some(mapped), Some(s)) => *mapped == s.hash,
            _ => false,
        };
        let entry = Entry {
            uid: uid.to_string(),
            known,
            local: l.map(present),
            server: s.map(present),
            same_content,
        };
        planner::decide(&entry, self.job.options.mode, self.job.options.conflicts)
    }

    /// Refuses every write when a side turned empty or too much would be deleted.
    fn safety_rails(
        &mut self,
        decisions: &[Decision],
        local: &SideView,
        server: &SideView,
    ) -> bool {
        if self.job.options.force {
            return false;
        }
        let mut refused = false;
        for (side, view, other) in [(Side::Local, local, server), (Side::Server, server, local)] {
            let deletes = decisions
                .iter()
                .filter(|d| d.action == Action::Delete { on: side })
                .count();
            if deletes == 0 {
                continue;
            }
            let other_side = side.other();
            if other.items.len() + self.quiet == 0 && self.known_total > 0 {
                self.report.errors.push(Message::run(format!(
                    "the {other_side} store ({}) has no items although {} were synced before; \
                     refusing to delete {deletes} items on the {side} side. If the {other_side} store \
                     really was emptied on purpose, run again with --force",
                    self.store(other_side).describe(),
                    self.known_total,
                )));
                refused = true;
                continue;
            }
            let base = (view.items.len() + self.quiet).max(self.known_total);
            let limit = self.job.options.max_delete_percent as usize;
            if deletes * 100 > limit * base {
                self.report.errors.push(Message::run(format!(
                    "{deletes} of {base} items ({}%) would be deleted on the {side} side, more than \
                     max_delete = {limit}%; nothing was written. Check the plan with --dry-run, then run \
                     with --force (or raise max_delete) if it is intended",
                    deletes * 100 / base.max(1)
                )));
                refused = true;
            }
        }
        refused
    }

    fn summary_of(&self, uid: &str, views: &PerSide<SideView>) -> Option<String> {
        views
            .iter()
            .filter_map(|(_, v)| v.items.get(uid))
            .find_map(|f| {
                f.read.as_ref().and_then(|r| r.summary.clone()).or_else(|| {
                    f.item
                        .as_ref()
                        .and_then(|i| i.summary().map(str::to_string))
                })
            })
    }

    fn tally(&mut self, writes: &[(Side, Write)]) {
        for (side, write) in writes {
            let counts = self.report.counts_mut(*side);
            match write {
                Write::Create => counts.created += 1,
                Write::Update => counts.updated += 1,
                Write::Delete => counts.deleted += 1,
            }
        }
    }

    /// Writes a fresh status row when an unchanged item moved or got a new version.
    fn refresh_status(&mut self, uid: &str, views: &PerSide<SideView>) {
        let (Some(row), Some(l), Some(s)) = (
            self.status.get(uid),
            views[Side::Local].items.get(uid),
            views[Side::Server].items.get(uid),
        ) else {
            return;
        };
        let fresh = StatusRow {
            uid: uid.to_string(),
            local: SideStatus {
                href: l.href.clone(),
                version: l.version.clone(),
                hash: l.hash.to_string(),
            },
            server: SideStatus {
                href: s.href.clone(),
                version: s.version.clone(),
                hash: s.hash.to_string(),
            },
        };
        if &fresh != row
            && let Err(e) = self.job.status.put(&fresh)
        {
            self.report.errors.push(Message::run(e.to_string()));
        }
    }

    /// Reads an item that was not read during the scan (it had not changed).
    async fn load(
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

    async fn execute(
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
    async fn copy(
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
    async fn prepare_copy(
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
    fn prepare_delete(&self, uid: &str, on: Side, views: &PerSide<SideView>) -> PreparedWrite {
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
    fn finish_write(
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
    async fn keep_copy(&mut self, copy_uid: &str, side: Side, item: &Item) -> Result<(), Failure> {
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

    fn row_for(
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
    fn put(&mut self, row: StatusRow, remember: bool) -> Result<(), Failure> {
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
    fn note_written(&self, side: Side, href: &str) -> Result<(), Failure> {
        if self.new_state[side].is_none() {
            return Ok(());
        }
        self.job
            .status
            .note_written(side, href)
            .map_err(|e| Failure::new(side, Some(href.to_string()), e.to_string()))
    }

    fn forget(&mut self, uid: &str) -> Result<(), Failure> {
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
fn still_as_listed(found: &Found, version: &str, item: &Item) -> bool {
    found.version == version || found.hash.is(item.content_hash())
}

/// A write to one store, prepared so that many can be sent at once.
struct PreparedWrite {
    uid: String,
    side: Side,
    /// The item there now (href, version), if any.
    target: Option<(String, String)>,
    /// For a copy: the source item and its mapped form; `None` for a delete.
    content: Option<(Item, Item)>,
}

impl PreparedWrite {
    /// Sends the write; `Ok(None)` for a delete (or nothing to delete).
    async fn run(&self, store: &dyn Store) -> Result<Option<Written>, StoreError> {
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
fn conflict_copy_uid(uid: &str, loser: &Item) -> String {
    format!("{uid}-conflict-{}", &loser.content_hash()[..8])
}

/// One write to a store, for the counts.
#[derive(Debug, Clone, Copy)]
enum Write {
    Create,
    Update,
    Delete,
}

/// The writes a decision makes, judged before it runs.
fn writes_of(decision: &Decision, views: &PerSide<SideView>) -> Vec<(Side, Write)> {
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

/// Why a run stopped before its end.
#[derive(Debug)]
struct Stopped {
    message: String,
    /// The kind of server failure that stopped it, if one did.
    kind: Option<ServerFailure>,
}

impl From<String> for Stopped {
    fn from(message: String) -> Self {
        Stopped {
            message,
            kind: None,
        }
    }
}

/// Why one item's operation failed.
#[derive(Debug)]
struct Failure {
    side: Side,
    href: Option<String>,
    message: String,
    /// Changed under our feet: the next run re-plans it; a warning, not an error.
    transient: bool,
    /// The kind of server failure, if it was one.
    kind: Option<ServerFailure>,
}

impl Failure {
    fn new(side: Side, href: Option<String>, message: String) -> Self {
        Failure {
            side,
            href,
            message,
            transient: false,
            kind: None,
        }
    }

    fn transient(side: Side, href: Option<String>, message: String) -> Self {
        Failure {
            side,
            href,
            message,
            transient: true,
            kind: None,
        }
    }

    fn from_store(side: Side, href: &str, e: StoreError) -> Self {
        let href = (!href.is_empty()).then(|| href.to_string());
        match e {
            StoreError::PreconditionFailed { .. } | StoreError::NotFound { .. } => {
                Failure::transient(
                    side,
                    href,
                    format!(
                        "{e}; it changed on the {side} side during the run and will be synced on the next run"
                    ),
                )
            }
            other => Failure {
                kind: other.server_failure(),
                ..Failure::new(side, href, format!("{side} store: {other}"))
            },
        }
    }
}
