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
use davsync_pim::{CardRef, Item, MemberDirectory};
use davsync_store::{
    ChangeSet, Changes, Fetched, Href, Listed, Metadata, ReadOptions, ServerFailure, Store,
    StoreError, WriteOp, WriteResult, Written, read_in_batches,
};
use std::collections::{BTreeSet, HashMap, HashSet};

mod awaiting;
mod dangling;
mod detect;
mod duplicates;
mod error;
mod execute;
mod finish;
mod keep_both;
mod known;
mod lines;
mod links;
mod map;
mod members;
mod metadata;
mod outside;
mod parse_ahead;
mod plan;
mod quiet;
mod reader;
mod record;
mod scan;
mod shelf;
mod sources;
mod trust;
mod verify;
mod writes;

pub use duplicates::Duplicates;
pub use error::EngineError;
use error::Failure;
pub use plan::Refusal;

use detect::{Detected, Detector};
use execute::Executor;
use finish::Kept;
use known::Known;
use outside::Outside;
use plan::{Holdings, Plan};
use reader::Reader;
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
    /// What the run does about duplicate events.
    pub duplicates: Duplicates,
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
            duplicates: Duplicates::Off,
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
    /// The content hash of the item as the mapping writes it on the other
    /// side (its server form, for a local item; its folder form, for a
    /// server item): an item found on both sides is the same item when
    /// either form matches the other side's (a mapping that adds to the
    /// server copy, such as `SCHEDULE-AGENT`, would otherwise make a first
    /// pairing a conflict).
    mapped_hash: Option<Hash>,
    /// Whether it is a list or a group vCard: its writes wait until the
    /// contacts it names are written.
    group: bool,
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
    /// Those of them that are lists or groups (counted in the report).
    foreign_lists: HashSet<String>,
    /// New items outside the time range, by UID: taken up only if the other
    /// side holds the same UID inside it.
    outside: HashMap<String, Found>,
}

/// What detection found on both sides, by UID: the plan's input, with the
/// status rows [`Known`] holds. Execution keeps it up to date (a target read
/// back, an item written) and drops each chunk's items when it is done.
type Snapshot = PerSide<SideView>;

impl<'a> SyncJob<'a> {
    /// A side's store.
    pub(crate) fn store(&self, side: Side) -> &'a dyn Store {
        match side {
            Side::Local => self.local,
            Side::Server => self.server,
        }
    }

    /// Tells the job's progress hook, if it has one.
    fn tell(&self, progress: Progress) {
        if let Some(hook) = self.progress {
            hook(progress);
        }
    }

    /// How the run reads items in batches.
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            batch_size: self.options.batch_size.max(1),
            concurrency: self.options.concurrency.max(1),
            time_range: self.options.time_range.map(|r| (r.start, r.end)),
        }
    }

    /// Whether the job was asked to stop.
    fn stopping(&self) -> bool {
        self.stop
            .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Runs one sync of a profile and returns its report (also recorded as the
/// profile's last run in the status database, unless it was a dry run).
/// Needs a Tokio runtime with its timer enabled.
pub async fn sync(job: &SyncJob<'_>) -> Report {
    let mut report = Report::new(job.name, job.options.dry_run);
    report.local_store = job.local.describe();
    report.server_store = job.server.describe();
    let mut reader = Reader::new(job);
    let mut result = run(job, &mut reader, &mut report).await;
    let gone = match &mut result {
        Ok(kept) => std::mem::take(&mut kept.gone),
        Err(_) => HashMap::new(),
    };
    finish::end_pass(job, reader, result, &mut report);
    // Contacts deleted while groups name them: the groups are repaired in
    // the folder, and a second pass takes them to the server.
    if !gone.is_empty() && report.errors.is_empty() && !job.stopping() {
        let mut reader = Reader::new(job);
        match dangling::repair_groups(job, &reader, &mut report, &gone).await {
            Ok(0) => {}
            Ok(_) => {
                let result = run(job, &mut reader, &mut report).await;
                finish::end_pass(job, reader, result, &mut report);
            }
            Err(e) => finish::end_pass(job, reader, Err(e), &mut report),
        }
    }
    // Server lists written while a member contact was not on the server yet:
    // once it is, a pass writes them again, naming it.
    if report.errors.is_empty() && !job.stopping() {
        match awaiting::mark_due(job) {
            Ok(0) => {}
            Ok(_) => {
                let mut reader = Reader::new(job);
                let result = run(job, &mut reader, &mut report).await;
                finish::end_pass(job, reader, result, &mut report);
            }
            Err(e) => report
                .warnings
                .push(Message::run(format!("lists awaiting members: {e}"))),
        }
    }
    finish::record(job, report)
}

/// One run, stage by stage: detect what changed, plan (the rails may refuse
/// the plan), then execute it a chunk at a time. Returns what a clean run
/// keeps for the next one.
async fn run<'a, 'j>(
    job: &'j SyncJob<'a>,
    reader: &mut Reader<'a, 'j>,
    report: &mut Report,
) -> Result<Kept, EngineError> {
    duplicates::look_for_duplicates(job, reader, report).await?;
    let Detected {
        mut snapshot,
        shelf,
        listing,
        journal,
        selection,
    } = Detector::new(job, reader, report).detect().await?;
    let (Plan { ops, unchanged }, refused) = checked_plan(job, reader, &snapshot, report);
    // Collection metadata is compared when a side was listed in full (first
    // run, reset token, stores without change tracking), so that a run with
    // nothing to do stays one request per collection.
    if !refused && listing.full.local && listing.full.server {
        metadata::sync_metadata(job, report).await;
    }
    let mut executor = Executor::new(job, reader, report, journal, &listing);
    if !job.options.dry_run {
        executor.record_detected(&unchanged, &snapshot)?;
    }
    drop(unchanged);
    if refused || job.options.dry_run {
        // The plan is the report: what would be done (refused: nothing is).
        executor.report_plan(&ops, !refused, &snapshot);
    } else {
        executor.execute(ops, &mut snapshot).await?;
        if let Some(shelf) = shelf {
            executor.execute_shelf(shelf, &mut snapshot).await?;
        }
    }
    let gone = std::mem::take(&mut executor.gone);
    Ok(Kept {
        listing,
        selection,
        refused,
        gone,
    })
}

/// The plan stage: the plan of what detection found, checked by the safety
/// rails (a refusal is reported, and the run then writes nothing; the
/// second value says so).
fn checked_plan(
    job: &SyncJob<'_>,
    reader: &Reader<'_, '_>,
    snapshot: &Snapshot,
    report: &mut Report,
) -> (Plan, bool) {
    let options = job.options;
    let known = &reader.known;
    let plan = Plan::make(
        &known.rows,
        &reader.untouchable,
        snapshot,
        options.mode,
        options.conflicts,
    );
    report.unchanged = known.quiet + plan.unchanged.len();
    let holdings = Holdings {
        held: PerSide::from_fn(|side| snapshot[side].items.len() + known.quiet),
        known: known.total,
    };
    let refusals = if options.force {
        Vec::new()
    } else {
        plan.rails(holdings, options.max_delete_percent)
    };
    let refused = !refusals.is_empty();
    for refusal in refusals {
        report.refuse(refusal);
    }
    tracing::info!(
        profile = job.name,
        local = holdings.held.local,
        server = holdings.held.server,
        known = known.total,
        quiet = known.quiet,
        planned = plan.ops.len(),
        refused,
        "planned"
    );
    (plan, refused)
}
