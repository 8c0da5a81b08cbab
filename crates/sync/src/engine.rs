//! One sync run: update detection on both sides, the plan, the safety rails,
//! and the execution of the plan with the status committed item by item.

use crate::hash::Hash;
use crate::mapping::Mapping;
use crate::per_side::PerSide;
use crate::planner::{Action, ConflictPolicy, Mode, Side};
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

mod detect;
mod error;
mod execute;
mod known;
mod map;
mod metadata;
mod outside;
mod plan;
mod record;
mod scan;
mod sources;
mod trust;
mod verify;

pub use error::EngineError;
use error::Failure;
pub use plan::Refusal;

use detect::Selection;
use known::Known;
use outside::Outside;
use plan::{Holdings, Op, Plan, Write};
use trust::Trust;

pub use davsync_store::{DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY};

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
    /// How long a store's changes since the last run (a sync token's delta)
    /// are taken on its word before the store is listed in full again
    /// (`None`: for as long as it gives them). A server that answers a token
    /// it has forgotten with its full listing, as if it were the changes
    /// (SOGo and DAViCal do), leaves out what was deleted, and nothing in
    /// the answer tells; the full listing finds it.
    pub full_listing_every: Option<std::time::Duration>,
    /// How many runs in a row may find a store offline (cannot reach it at
    /// all) and end as skipped, a warning; the next one is an error.
    pub offline_tolerance: u32,
}

/// [`SyncOptions::offline_tolerance`]'s default.
pub const DEFAULT_OFFLINE_TOLERANCE: u32 = 3;

/// [`SyncOptions::full_listing_every`]'s default: a day.
pub const DEFAULT_FULL_LISTING_EVERY: std::time::Duration =
    std::time::Duration::from_secs(24 * 60 * 60);

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
            full_listing_every: Some(DEFAULT_FULL_LISTING_EVERY),
            offline_tolerance: DEFAULT_OFFLINE_TOLERANCE,
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
    /// Once set, the run stops before its next chunk (a daemon asked to
    /// end): what is done is committed, the listing state is not kept, and
    /// the next run goes on from there.
    pub stop: Option<&'a std::sync::atomic::AtomicBool>,
    /// Told how the run gets on (a progress bar), if given.
    pub progress: Option<&'a dyn Fn(Progress)>,
}

/// How a run gets on, as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Items read so far from a side while detecting changes (every item
    /// of a first sync; what changed, later).
    Read {
        /// The side.
        side: Side,
        /// Items read so far on that side.
        read: usize,
    },
    /// Operations done (or tried) of those planned.
    Done {
        /// Done so far.
        done: usize,
        /// Planned.
        planned: usize,
    },
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

/// What detection found on both sides, by UID: the plan's input, with the
/// status rows [`Known`] holds. Execution keeps it up to date (a target read
/// back, an item written) and drops each chunk's items when it is done.
type Snapshot = PerSide<SideView>;

/// The run's working state.
struct Run<'a, 'j> {
    job: &'j SyncJob<'a>,
    report: Report,
    /// The status rows the run knows of.
    known: Known,
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
    /// What each side holds outside the time range.
    outside: Outside,
    /// What the profile takes up (mode, filters), and whether it changed.
    selection: Selection,
    /// UIDs with a create noted in the journal (from a killed run, or this
    /// one) that no status row settles yet.
    journaled: HashSet<(Side, String)>,
    /// Creates noted in the journal that were never made (or are gone
    /// since): their notes are dropped before execution.
    stale_journal: Vec<(Side, String)>,
    /// Whether each side's versions are believed.
    trust: Trust,
}

/// Runs one sync of a profile and returns its report (also recorded as the
/// profile's last run in the status database, unless it was a dry run).
/// Needs a Tokio runtime with its timer enabled.
pub async fn sync(job: &SyncJob<'_>) -> Report {
    let mut run = Run {
        job,
        report: Report::new(job.name, job.options.dry_run),
        known: Known::default(),
        untouchable: BTreeSet::new(),
        new_state: PerSide::default(),
        refused: false,
        full_listing: PerSide::default(),
        spool: None,
        outside: Outside::default(),
        selection: Selection::default(),
        journaled: HashSet::new(),
        stale_journal: Vec::new(),
        trust: Trust::default(),
    };
    run.report.local_store = job.local.describe();
    run.report.server_store = job.server.describe();
    let result = run.run().await;
    let offline = matches!(&result, Err(e) if e.server_failure() == Some(ServerFailure::Offline));
    if let Err(stopped) = &result {
        let message = Message {
            kind: stopped.server_failure(),
            ..Message::run(stopped.to_string())
        };
        if offline {
            run.skipped_offline(message);
        } else if matches!(stopped, EngineError::Stopped { .. }) {
            run.report.warnings.push(message);
        } else {
            run.report.errors.push(message);
        }
    }
    if !offline && !job.options.dry_run {
        run.reached();
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
            if run.full_listing[side]
                && let Err(e) = job.status.set_listed_in_full(side, run.report.started)
            {
                run.report.errors.push(Message::run(e.to_string()));
            }
        }
        if let Err(e) = run.outside.save(job.status, job.options.time_range) {
            run.report.errors.push(Message::run(e.to_string()));
        }
        if run.selection.changed
            && let Err(e) = job.status.set_selection_key(&run.selection.key)
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

impl<'a, 'j> Run<'a, 'j> {
    fn store(&self, side: Side) -> &'a dyn Store {
        match side {
            Side::Local => self.job.local,
            Side::Server => self.job.server,
        }
    }

    /// A store caught changing items without changing their versions is
    /// distrusted from now on, and listed in full next time: what it named
    /// as changed this run before it was caught was not all read. A store
    /// whose listing vouched for an item that was gone is listed in full
    /// next time.
    fn note_caught(&mut self) {
        for (side, example) in self.trust.take_missed() {
            if self.job.options.dry_run {
                continue;
            }
            // A delta that left out a deletion (a server answering a token
            // it forgot with its full listing) would leave it out again.
            tracing::info!(
                "{}: {example} was gone, though its listing vouched for it; the next run \
                 lists everything",
                self.store(side).describe()
            );
            self.new_state[side] = None;
            if let Err(e) = self.job.status.set_state(side, None) {
                self.report.errors.push(Message::run(e.to_string()));
            }
        }
        for (side, example) in self.trust.newly_caught() {
            if self.job.options.dry_run {
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

    /// A run that found a store offline (it could not reach it at all, so
    /// nothing was done): skipped, a warning, for up to the options' number
    /// of runs in a row; after that an error, each run, until one reaches it.
    fn skipped_offline(&mut self, message: Message) {
        let streak = match self.job.status.offline_streak() {
            Ok(n) => n.saturating_add(1),
            Err(e) => {
                self.report.errors.push(Message::run(e.to_string()));
                1
            }
        };
        if !self.job.options.dry_run
            && let Err(e) = self.job.status.set_offline_streak(streak)
        {
            self.report.errors.push(Message::run(e.to_string()));
        }
        let tolerated = self.job.options.offline_tolerance;
        if streak <= tolerated {
            self.report.warnings.push(Message {
                message: format!(
                    "skipped: offline ({streak} of {tolerated} runs in a row taken as a \
                     warning): {}",
                    message.message
                ),
                ..message
            });
        } else {
            self.report.errors.push(Message {
                message: format!("offline for {streak} runs in a row: {}", message.message),
                ..message
            });
        }
    }

    /// A run that reached its stores ends a streak of offline runs.
    fn reached(&mut self) {
        match self.job.status.offline_streak() {
            Ok(0) => {}
            Ok(_) => {
                if let Err(e) = self.job.status.set_offline_streak(0) {
                    self.report.errors.push(Message::run(e.to_string()));
                }
            }
            Err(e) => self.report.errors.push(Message::run(e.to_string())),
        }
    }

    /// Notes that a side's store changed an item without changing its version.
    fn catch(&mut self, side: Side, href: &str, version: &str) {
        self.trust.catch(side, self.store(side), href, version);
    }

    /// Records why an item's operation failed: a warning when it is to be
    /// tried again on the next run, else an error.
    fn failure_message(&mut self, failure: Failure, uid: &str) {
        let message = Message {
            side: Some(failure.side),
            href: failure.href,
            uid: Some(uid.to_string()),
            kind: failure.kind,
            ..Message::run(failure.message)
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
            ..Message::run(message)
        };
        if warning {
            self.report.warnings.push(message);
        } else {
            self.report.errors.push(message);
        }
    }

    /// One run: detect what changed, plan (the rails may refuse the plan),
    /// then execute it a chunk at a time.
    async fn run(&mut self) -> Result<(), EngineError> {
        let mut snapshot = self.detect().await?;
        let Plan { ops, unchanged } = self.plan(&snapshot);
        // Collection metadata is compared when a side was listed in full (first
        // run, reset token, stores without change tracking), so that a run with
        // nothing to do stays one request per collection.
        if !self.refused && self.full_listing.local && self.full_listing.server {
            self.sync_metadata().await;
        }
        if !self.job.options.dry_run {
            self.record_detected(&unchanged, &snapshot)?;
        }
        drop(unchanged);
        if self.refused || self.job.options.dry_run {
            // The plan is the report: what would be done (refused: nothing is).
            for op in &ops {
                if !self.refused {
                    self.tally(&op.writes());
                }
                let line = self.line_for(op, &snapshot);
                self.push_line(line);
            }
            return Ok(());
        }
        let planned = ops.len();
        let mut ops = ops.into_iter().peekable();
        while ops.peek().is_some() {
            let done = planned - ops.len();
            self.tell(Progress::Done { done, planned });
            if self
                .job
                .stop
                .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::SeqCst))
            {
                return Err(EngineError::Stopped { done, planned });
            }
            let chunk: Vec<Op> = ops
                .by_ref()
                .take(self.job.options.batch_size.max(1))
                .collect();
            self.execute_chunk(chunk, &mut snapshot).await?;
        }
        self.tell(Progress::Done {
            done: planned,
            planned,
        });
        Ok(())
    }

    /// Tells the job's progress hook, if it has one.
    fn tell(&self, progress: Progress) {
        if let Some(hook) = self.job.progress {
            hook(progress);
        }
    }

    /// The plan of what detection found, checked by the safety rails (a
    /// refusal is reported, and the run then writes nothing).
    fn plan(&mut self, snapshot: &Snapshot) -> Plan {
        let options = self.job.options;
        let plan = Plan::make(
            &self.known.rows,
            &self.untouchable,
            snapshot,
            options.mode,
            options.conflicts,
        );
        self.report.unchanged = self.known.quiet + plan.unchanged.len();
        let holdings = Holdings {
            held: PerSide::from_fn(|side| snapshot[side].items.len() + self.known.quiet),
            known: self.known.total,
        };
        let refusals = if options.force {
            Vec::new()
        } else {
            plan.rails(holdings, options.max_delete_percent)
        };
        self.refused = !refusals.is_empty();
        for refusal in refusals {
            self.report.refuse(refusal);
        }
        tracing::info!(
            profile = self.job.name,
            local = holdings.held.local,
            server = holdings.held.server,
            known = self.known.total,
            quiet = self.known.quiet,
            planned = plan.ops.len(),
            refused = self.refused,
            "planned"
        );
        plan
    }

    /// Records what detection learnt, in one transaction before anything is
    /// written (detection itself writes nothing): earlier runs' `written`
    /// notes marked as older than this run, versions confirmed as the same
    /// items (every file after a big download), journal notes of creates
    /// never made, and fresh rows of unchanged items that moved or got a new
    /// version.
    fn record_detected(
        &mut self,
        unchanged: &[String],
        snapshot: &Snapshot,
    ) -> Result<(), EngineError> {
        let db = self.job.status;
        let transaction = db.transaction()?;
        db.age_written()?;
        for (uid, side, version) in std::mem::take(&mut self.known.fresh) {
            db.set_version(&uid, side, &version)?;
        }
        for (side, uid) in std::mem::take(&mut self.stale_journal) {
            db.journal_remove(side, &uid)?;
        }
        for uid in unchanged {
            self.refresh_status(uid, snapshot);
        }
        Ok(transaction.commit()?)
    }

    /// Adds an operation's line to the report (a conflict is counted as such).
    fn push_line(&mut self, line: ItemReport) {
        if line.conflict.is_some() {
            self.report.conflicts += 1;
        }
        self.report.items.push(line);
    }

    /// The report line of an operation, before it runs.
    fn line_for(&self, op: &Op, snapshot: &Snapshot) -> ItemReport {
        let decision = &op.decision;
        ItemReport {
            uid: decision.uid.clone(),
            action: decision.action,
            local_state: decision.local,
            server_state: decision.server,
            conflict: decision.conflict,
            summary: self.summary_of(&decision.uid, snapshot),
            outcome: Outcome::Planned,
            message: None,
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

    fn summary_of(&self, uid: &str, snapshot: &Snapshot) -> Option<String> {
        snapshot
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
            write.add_to(self.report.counts_mut(*side));
        }
    }

    /// Writes a fresh status row when an unchanged item moved or got a new version.
    fn refresh_status(&mut self, uid: &str, snapshot: &Snapshot) {
        let (Some(row), Some(l), Some(s)) = (
            self.known.rows.get(uid),
            snapshot[Side::Local].items.get(uid),
            snapshot[Side::Server].items.get(uid),
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
}
