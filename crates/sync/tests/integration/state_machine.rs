//! Property-based state-machine test of the engine on real folders: random
//! creations, edits and deletions on both sides between syncs in random modes
//! and policies (and a lost status database now and then), the second folder
//! plain or answering as a server does (sync tokens and deltas in each shape
//! servers give them, reads before overwrites: `testkit::shaped`). After
//! every sync the invariants must hold:
//! - no UID is held by two files on one side;
//! - two-way: both sides hold the same UIDs with equal contents;
//! - replicate: the target equals the source; merge: the target holds the
//!   source, and items created on the target were not touched;
//! - nothing is lost that the plan did not decide to drop, and everything a
//!   folder had overwritten or deleted is in its trash;
//! - a second sync in the same mode writes nothing;
//! - in two-way mode, an item changed on a side since the last sync is
//!   overwritten or deleted there only as a settled conflict.
//!
//! The server-shaped side may also lose answers to writes, lie with its
//! ETags and forget its tokens (`testkit::shaped::Faults`). Lost answers: a run may end with
//! errors (transport) for writes that were done; the runs after it must find
//! them done, and within a few runs the sync settles and every invariant
//! above holds. Lying ETags: an edit hidden under a kept ETag is invisible
//! until the engine catches the store at it (a read-back before an
//! overwrite, or a write answered with the old ETag) and distrusts it; so
//! the safety invariants hold always, and the sides are compared (and the
//! second sync checked) only when the engine has seen every change: no lie
//! told yet, the store distrusted when the run began, or a first sync.
//! Forgotten tokens: the changes since a token the server forgot are its
//! full listing in disguise, which names nothing as deleted; nothing in the
//! answer tells, so a deletion is seen only at the engine's next full
//! listing (`full_listing_every`): the safety invariants hold always, the
//! sides are compared only when no deletion is hidden, and the final check
//! lists in full.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_pim::Item;
use davsync_store::ServerFailure;
use davsync_store::VdirStore;
use davsync_sync::report::{Outcome, Report};
use davsync_sync::status::StatusRow;
use davsync_sync::{
    Action, CategoryFilter, ConflictPolicy, KindFilter, MapContext, Mapping, Mode, Side, StatusDb,
    SyncJob, SyncOptions, Transform,
};
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items;
use davsync_testkit::shaped::{DeltaShape, Faults, LostAs, ServerShaped, TokenLog};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Debug, Clone)]
enum Step {
    /// A new item with a never-used UID on one side.
    Create { side: Side, summary: u8 },
    /// The same new UID on both sides (equal or different content).
    CreateBoth { local: u8, server: u8 },
    /// An edit of the `pick`-th item of a side (`modified`: LAST-MODIFIED hour, if any).
    Edit {
        side: Side,
        pick: usize,
        summary: u8,
        modified: Option<u8>,
    },
    /// Deletion of the `pick`-th item of a side.
    Delete { side: Side, pick: usize },
    /// Deletion of the newest item of a side (by UID): often one the last
    /// sync just copied there, after the token it took (issue 11's case).
    DeleteNewest { side: Side },
    /// The status database is lost.
    LoseStatus,
    /// Local item `pick` gets these categories (index into `CATEGORY_SETS`).
    Recategorize { pick: usize, set: usize },
    /// A sync.
    Sync { mode: Mode, policy: ConflictPolicy },
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Local), Just(Side::Server)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (side(), 0u8..4).prop_map(|(side, summary)| Step::Create { side, summary }),
        1 => (0u8..3, 0u8..3).prop_map(|(local, server)| Step::CreateBoth { local, server }),
        4 => (side(), any::<usize>(), 0u8..4, proptest::option::of(0u8..24))
            .prop_map(|(side, pick, summary, modified)| Step::Edit { side, pick, summary, modified }),
        2 => (side(), any::<usize>()).prop_map(|(side, pick)| Step::Delete { side, pick }),
        3 => side().prop_map(|side| Step::DeleteNewest { side }),
        1 => Just(Step::LoseStatus),
        2 => (any::<usize>(), 0..CATEGORY_SETS.len()).prop_map(|(pick, set)| Step::Recategorize { pick, set }),
        4 => (prop::sample::select(Mode::ALL.to_vec()), prop::sample::select(ConflictPolicy::ALL.to_vec()))
            .prop_map(|(mode, policy)| Step::Sync { mode, policy }),
    ]
}

/// Category lists a local item may carry (the profile's category is `Work`).
const CATEGORY_SETS: [&str; 4] = ["", "Work", "Home", "Home,Work"];

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    next_uid: usize,
    runtime: tokio::runtime::Runtime,
    /// The profile's category filter, if any.
    category: Option<CategoryFilter>,
    /// How the server folder answers, if as a server.
    shape: Option<DeltaShape>,
    /// The server folder's tokens, kept across runs.
    log: TokenLog,
    /// How the server-shaped folder misbehaves.
    faults: Faults,
    /// How long the server side's changes are taken on its word (the
    /// final check of a world whose server forgets tokens lists in full).
    full_listing_every: Option<std::time::Duration>,
}

impl World {
    fn new(category: Option<CategoryFilter>) -> Self {
        Self::shaped(category, None)
    }

    fn shaped(category: Option<CategoryFilter>, shape: Option<DeltaShape>) -> Self {
        Self::faulty(category, shape, Faults::default())
    }

    fn faulty(category: Option<CategoryFilter>, shape: Option<DeltaShape>, faults: Faults) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        for d in ["local", "server"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        World {
            _dir: dir,
            root,
            next_uid: 0,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap(),
            category,
            shape,
            log: TokenLog::default(),
            faults,
            // A server that forgets tokens hides deletions until the
            // engine lists it in full: never, until the final check.
            full_listing_every: if faults.forgotten_tokens == 0 {
                SyncOptions::default().full_listing_every
            } else {
                None
            },
        }
    }

    fn folder(&self, side: Side) -> PathBuf {
        self.root.join(side.to_string())
    }

    fn trash(&self, side: Side) -> PathBuf {
        self.root.join("trash").join(side.to_string())
    }

    fn fresh_uid(&mut self) -> String {
        self.next_uid += 1;
        format!("uid-{}", self.next_uid)
    }

    /// File name → UID of a side, sorted, for picking.
    fn files(&self, side: Side) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = items_by_uid(&self.folder(side), "ics")
            .into_iter()
            .flat_map(|(uid, files)| files.into_iter().map(move |(name, _)| (name, uid.clone())))
            .collect();
        out.sort();
        out
    }

    fn apply(&mut self, step: &Step) -> Option<(Mode, ConflictPolicy)> {
        match *step {
            Step::Create { side, summary } => {
                let uid = self.fresh_uid();
                write_file(
                    &self.folder(side),
                    &format!("{uid}.ics"),
                    &items::event(&uid, &format!("S{summary}"), ""),
                );
            }
            Step::CreateBoth { local, server } => {
                let uid = self.fresh_uid();
                for (side, s) in [(Side::Local, local), (Side::Server, server)] {
                    write_file(
                        &self.folder(side),
                        &format!("{uid}.ics"),
                        &items::event(&uid, &format!("S{s}"), ""),
                    );
                }
            }
            Step::Edit {
                side,
                pick,
                summary,
                modified,
            } => {
                let files = self.files(side);
                if let Some((name, uid)) = files.get(pick % files.len().max(1)) {
                    let extra = modified
                        .map(|h| format!("LAST-MODIFIED:20260101T{h:02}0000Z\r\n"))
                        .unwrap_or_default();
                    write_file(
                        &self.folder(side),
                        name,
                        &items::event(uid, &format!("E{summary}"), &extra),
                    );
                }
            }
            Step::Delete { side, pick } => {
                let files = self.files(side);
                if let Some((name, _)) = files.get(pick % files.len().max(1)) {
                    std::fs::remove_file(self.folder(side).join(name)).unwrap();
                }
            }
            Step::DeleteNewest { side } => {
                let newest = self
                    .files(side)
                    .into_iter()
                    .filter_map(|(name, uid)| {
                        let n: usize = uid.strip_prefix("uid-")?.parse().ok()?;
                        Some((n, name))
                    })
                    .max();
                if let Some((_, name)) = newest {
                    std::fs::remove_file(self.folder(side).join(name)).unwrap();
                }
            }
            Step::LoseStatus => {
                let _ = std::fs::remove_file(self.root.join("status.sqlite"));
                let _ = std::fs::remove_file(self.root.join("status.sqlite-wal"));
                let _ = std::fs::remove_file(self.root.join("status.sqlite-shm"));
            }
            Step::Recategorize { pick, set } => {
                let files = self.files(Side::Local);
                if let Some((name, uid)) = files.get(pick % files.len().max(1)) {
                    let extra = match CATEGORY_SETS[set] {
                        "" => String::new(),
                        cats => format!("CATEGORIES:{cats}\r\n"),
                    };
                    write_file(
                        &self.folder(Side::Local),
                        name,
                        &items::event(uid, "R", &extra),
                    );
                }
            }
            Step::Sync { mode, policy } => return Some((mode, policy)),
        }
        None
    }

    fn sync(&self, mode: Mode, policy: ConflictPolicy) -> (Report, Before) {
        self.sync_or_plan(mode, policy, false)
    }

    /// A sync, or with `dry_run` its plan (which keeps no token: the next
    /// sync asks from the same one, as after a sync that wrote).
    fn sync_or_plan(&self, mode: Mode, policy: ConflictPolicy, dry_run: bool) -> (Report, Before) {
        let local = VdirStore::open(self.folder(Side::Local), "ics")
            .unwrap()
            .with_trash(self.trash(Side::Local));
        let folder = VdirStore::open(self.folder(Side::Server), "ics")
            .unwrap()
            .with_trash(self.trash(Side::Server));
        let server: Box<dyn davsync_store::Store + '_> = match self.shape {
            Some(shape) => {
                Box::new(ServerShaped::new(folder, shape, &self.log).with_faults(self.faults))
            }
            None => Box::new(folder),
        };
        let status = StatusDb::open(&self.root.join("status.sqlite")).unwrap();
        let before = Before {
            status: status.load().unwrap().into_iter().collect(),
            distrusted: status.versions_untrusted(Side::Server).unwrap(),
            lost: self.log.lost_answers(),
        };
        let mut mapping = Mapping::new().with(KindFilter(davsync_pim::ItemKind::Event));
        if let Some(filter) = &self.category {
            mapping = mapping.with(filter.clone());
        }
        let job = SyncJob {
            name: "prop",
            local: &local,
            server: server.as_ref(),
            mapping: &mapping,
            status: &status,
            scratch_dir: Some(&self.root),
            stop: None,
            progress: None,
            options: SyncOptions {
                mode,
                conflicts: policy,
                force: true,
                dry_run,
                // Small chunks, so that runs span several (status transactions,
                // batched reads, writes in flight together).
                batch_size: 3,
                concurrency: 2,
                full_listing_every: self.full_listing_every,
                ..SyncOptions::default()
            },
        };
        (self.runtime.block_on(davsync_sync::sync(&job)), before)
    }

    /// UID → content hash; fails on a duplicate UID.
    fn contents(&self, side: Side) -> Result<BTreeMap<String, String>, TestCaseError> {
        let mut out = BTreeMap::new();
        for (uid, files) in items_by_uid(&self.folder(side), "ics") {
            prop_assert_eq!(
                files.len(),
                1,
                "UID {} held by several files on the {} side",
                uid,
                side
            );
            out.insert(uid, files[0].1.content_hash().to_string());
        }
        Ok(out)
    }

    fn trash_hashes(&self, side: Side) -> BTreeSet<String> {
        let Ok(entries) = std::fs::read_dir(self.trash(side)) else {
            return BTreeSet::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .filter_map(|body| Item::parse(body).ok())
            .map(|item| item.content_hash().to_string())
            .collect()
    }
}

fn writes(report: &Report) -> usize {
    let c = |c: &davsync_sync::report::Counts| c.created + c.updated + c.deleted;
    c(&report.local) + c(&report.server)
}

/// What was known as a sync began.
struct Before {
    /// The status rows.
    status: BTreeMap<String, StatusRow>,
    /// Whether the server side's versions were distrusted.
    distrusted: bool,
    /// Answers the server side had lost so far.
    lost: usize,
}

/// One sync and the sides around it.
struct Ran {
    report: Report,
    known: Before,
    before: [BTreeMap<String, String>; 2],
    after: [BTreeMap<String, String>; 2],
}

/// Whether a run's error is one the faults explain: a write whose answer was
/// lost on the way (a transport failure).
fn explained_error(world: &World, message: &davsync_sync::report::Message) -> bool {
    world.faults.lost_answers != 0
        && world.faults.lost_as == LostAs::Transport
        && message.kind == Some(ServerFailure::Unreachable)
}

/// Whether a run's warning is one the faults explain: an ETag kept over a
/// change, said as the engine catches it.
fn explained_warning(world: &World, message: &davsync_sync::report::Message) -> bool {
    world.faults.lying_etags != 0
        && (message.message.contains("without changing")
            || message.message.contains("kept the version"))
}

/// One sync, and the invariants that hold after every sync, whatever the
/// faults: no UID twice on a side, nothing changed without a decision (and
/// the old version in the trash), conflict copies made, and (two-way) no
/// change overwritten unless as a conflict.
fn sync_safely(world: &World, mode: Mode, policy: ConflictPolicy) -> Result<Ran, TestCaseError> {
    let before = [world.contents(Side::Local)?, world.contents(Side::Server)?];
    let (report, known) = world.sync(mode, policy);
    let errors: Vec<_> = report
        .errors
        .iter()
        .filter(|e| !explained_error(world, e))
        .collect();
    prop_assert!(errors.is_empty(), "errors: {:?}", errors);
    let warnings: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| !explained_warning(world, w))
        .collect();
    prop_assert!(warnings.is_empty(), "warnings: {:?}", warnings);
    if report.errors.is_empty() {
        prop_assert!(report.items.iter().all(|i| i.outcome == Outcome::Done));
    }
    let after = [world.contents(Side::Local)?, world.contents(Side::Server)?];
    let decision = |uid: &str| report.items.iter().find(|i| i.uid == uid).map(|i| i.action);

    // Nothing lost that the plan did not decide to drop; dropped versions are in the trash.
    for side in [Side::Local, Side::Server] {
        let trash = world.trash_hashes(side);
        for (uid, hash) in &before[side as usize] {
            if after[side as usize].get(uid) == Some(hash) {
                continue;
            }
            let action = decision(uid);
            let allowed = matches!(
                action,
                Some(Action::Copy { to }) if to == side
            ) || matches!(action, Some(Action::Delete { on }) if on == side)
                || matches!(action, Some(Action::KeepBoth { winner }) if winner != side);
            prop_assert!(
                allowed,
                "{} on the {} side changed without a decision ({:?})",
                uid,
                side,
                action
            );
            prop_assert!(
                trash.contains(hash),
                "the old {} version of {} is not in the trash",
                side,
                uid
            );
        }
    }
    // Two-way: a version that changed since the last sync is overwritten or
    // deleted only as a conflict, settled by the policy (an ETag that hid the
    // change must not let it pass for the last sync's version).
    if mode == Mode::TwoWay {
        for item in &report.items {
            let side = match item.action {
                Action::Copy { to } => to,
                Action::Delete { on } => on,
                _ => continue,
            };
            let (Some(row), Some(there)) = (
                known.status.get(&item.uid),
                before[side as usize].get(&item.uid),
            ) else {
                continue;
            };
            let synced = match side {
                Side::Local => &row.local.hash,
                Side::Server => &row.server.hash,
            };
            let overwritten = after[side as usize].get(&item.uid) != Some(there);
            prop_assert!(
                !overwritten || there == synced || item.conflict.is_some(),
                "{} changed on the {} side since the last sync, and was overwritten \
                 without a conflict ({:?})",
                item.uid,
                side,
                item.action
            );
        }
    }
    let conflict_copies = |side: Side| {
        after[side as usize]
            .keys()
            .filter(|u| u.contains("-conflict-"))
            .count()
    };
    let keep_boths = report
        .items
        .iter()
        .filter(|i| matches!(i.action, Action::KeepBoth { .. }) && i.outcome == Outcome::Done)
        .count();
    if keep_boths > 0 {
        prop_assert!(
            conflict_copies(Side::Local) >= keep_boths
                && conflict_copies(Side::Server) >= keep_boths
        );
    }
    Ok(Ran {
        report,
        known,
        before,
        after,
    })
}

/// Runs after which lost answers must have settled: each run that loses
/// answers still does its writes, so the next one has fewer to do.
const SETTLING_RUNS: usize = 6;

fn check_sync(world: &World, mode: Mode, policy: ConflictPolicy) -> Result<(), TestCaseError> {
    let mut ran = sync_safely(world, mode, policy)?;
    let mut runs = 1;
    // Lost answers: the next runs find the writes done; it settles.
    while world.log.lost_answers() > ran.known.lost {
        prop_assert!(
            runs < SETTLING_RUNS,
            "answers are still lost after {} runs: {:?}",
            runs,
            ran.report.items
        );
        ran = sync_safely(world, mode, policy)?;
        runs += 1;
    }
    let Ran {
        report,
        known,
        before,
        after,
    } = ran;
    prop_assert!(
        report.errors.is_empty() && report.items.iter().all(|i| i.outcome == Outcome::Done),
        "a run without lost answers fails: {:?}",
        report
    );
    // Lying ETags: only a store caught (distrusted) has all its changes seen.
    // Forgotten tokens: a deletion left out of a full listing in disguise
    // is seen at the next full listing.
    let all_seen = (world.log.lies() == 0 || known.distrusted || known.status.is_empty())
        && !world.log.blind();
    if !all_seen {
        return Ok(());
    }

    match mode.one_way() {
        None => prop_assert_eq!(&after[0], &after[1], "two-way: sides differ"),
        Some((source, replicate)) => {
            let (src, tgt) = (&after[source as usize], &after[source.other() as usize]);
            if replicate {
                prop_assert_eq!(src, tgt, "replicate: target differs from source");
            } else {
                for (uid, hash) in src {
                    prop_assert_eq!(
                        tgt.get(uid),
                        Some(hash),
                        "merge: {} missing or different on target",
                        uid
                    );
                }
                let tgt_before = &before[source.other() as usize];
                let src_before = &before[source as usize];
                for (uid, hash) in tgt_before {
                    if !src_before.contains_key(uid) && !known.status.contains_key(uid) {
                        prop_assert_eq!(
                            tgt.get(uid),
                            Some(hash),
                            "merge touched target-only {}",
                            uid
                        );
                    }
                }
            }
        }
    }

    // Converged: the same sync again writes nothing. Against a server-shaped
    // side it is only planned, so that the next step's edits meet the token
    // taken before this sync's writes.
    let (again, _) = world.sync_or_plan(mode, policy, world.shape.is_some());
    prop_assert!(again.errors.is_empty(), "errors: {:?}", again.errors);
    prop_assert_eq!(writes(&again), 0, "second run wrote: {:?}", again.items);
    prop_assert_eq!(again.conflicts, 0);
    Ok(())
}

/// Lost answers, shown either way (as a transport failure, or as a refused
/// repeat: "already exists", "precondition failed", "not found").
fn lost_answers() -> impl Strategy<Value = Faults> {
    (1..=u8::MAX, any::<bool>()).prop_map(|(lost_answers, refused)| Faults {
        lost_answers,
        lost_as: if refused {
            LostAs::RefusedRepeat
        } else {
            LostAs::Transport
        },
        deletes_answered: false,
        ..Faults::default()
    })
}

/// Faults of the server-shaped side: lost answers, lying ETags, or both.
fn faults() -> impl Strategy<Value = Faults> {
    prop_oneof![
        lost_answers(),
        (1..=u8::MAX).prop_map(|lying_etags| Faults {
            lying_etags,
            ..Faults::default()
        }),
        (lost_answers(), 1..=u8::MAX).prop_map(|(faults, lying_etags)| Faults {
            lying_etags,
            ..faults
        }),
        (1..=u8::MAX).prop_map(|forgotten_tokens| Faults {
            forgotten_tokens,
            ..Faults::default()
        }),
        (lost_answers(), 1..=u8::MAX).prop_map(|(faults, forgotten_tokens)| Faults {
            forgotten_tokens,
            ..faults
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn engine_state_machine(steps in prop::collection::vec(step(), 1..40)) {
        let mut world = World::new(None);
        for step in &steps {
            if let Some((mode, policy)) = world.apply(step) {
                check_sync(&world, mode, policy)?;
            }
        }
        check_sync(&world, Mode::TwoWay, ConflictPolicy::KeepBoth)?;
    }

    #[test]
    fn engine_state_machine_with_a_server_shaped_side(
        steps in prop::collection::vec(step(), 1..40),
        shape in prop::sample::select(DeltaShape::ALL.to_vec()),
    ) {
        let mut world = World::shaped(None, Some(shape));
        for step in &steps {
            if let Some((mode, policy)) = world.apply(step) {
                check_sync(&world, mode, policy)?;
            }
        }
        check_sync(&world, Mode::TwoWay, ConflictPolicy::KeepBoth)?;
    }

    #[test]
    fn engine_state_machine_with_a_faulty_server_shaped_side(
        steps in prop::collection::vec(step(), 1..40),
        shape in prop::sample::select(DeltaShape::ALL.to_vec()),
        faults in faults(),
    ) {
        let mut world = World::faulty(None, Some(shape), faults);
        for step in &steps {
            if let Some((mode, policy)) = world.apply(step) {
                check_sync(&world, mode, policy)?;
            }
        }
        // What a forgotten token hid is found by a full listing, which is
        // due (the last one being older than zero seconds) at every run now.
        world.full_listing_every = Some(std::time::Duration::ZERO);
        check_sync(&world, Mode::TwoWay, ConflictPolicy::KeepBoth)?;
        prop_assert!(!world.log.blind(), "still blind after a full listing");
    }

    #[test]
    fn category_filter_state_machine(
        steps in prop::collection::vec(step(), 1..40),
        include_uncategorized in any::<bool>(),
        negate in any::<bool>(),
    ) {
        let filter = CategoryFilter {
            sticky: false,
            category: "Work".into(),
            include_uncategorized: include_uncategorized && !negate,
            negate,
        };
        let mut world = World::new(Some(filter.clone()));
        for step in &steps {
            if let Some((_, policy)) = world.apply(step) {
                check_category_sync(&world, &filter, policy)?;
            }
        }
        check_category_sync(&world, &filter, ConflictPolicy::Automatic)?;
    }
}

/// Two-way with a category filter: the server holds exactly the local items the
/// profile owns (without the category, unless negated), local items it does not
/// own are never touched, and a second run writes nothing.
fn check_category_sync(
    world: &World,
    filter: &CategoryFilter,
    policy: ConflictPolicy,
) -> Result<(), TestCaseError> {
    let local_before = items_by_uid(&world.folder(Side::Local), "ics");
    let (report, _) = world.sync(Mode::TwoWay, policy);
    prop_assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    let local = items_by_uid(&world.folder(Side::Local), "ics");
    let server = world.contents(Side::Server)?;
    let mut owned = BTreeMap::new();
    for (uid, files) in &local {
        let (_, item) = &files[0];
        if filter.admits(Side::Local, item, &MapContext::default()) {
            prop_assert_eq!(files.len(), 1, "duplicate UID {}", uid);
            let mapped = filter
                .map(Side::Server, item.clone(), &MapContext::default())
                .unwrap();
            owned.insert(uid.clone(), mapped.content_hash().to_string());
        }
    }
    for (uid, hash) in &server {
        match owned.get(uid) {
            Some(h) => prop_assert_eq!(h, hash, "server {} differs from the local item", uid),
            None => {
                // Only a server item whose UID is taken locally by an item outside
                // the profile may stay unsynced, and the report must say so.
                prop_assert!(
                    local.contains_key(uid),
                    "server {} is not in the local folder",
                    uid
                );
                prop_assert!(
                    report
                        .warnings
                        .iter()
                        .any(|w| w.uid.as_deref() == Some(uid.as_str())),
                    "no warning for server {} left unsynced",
                    uid
                );
            }
        }
    }
    for uid in owned.keys() {
        prop_assert!(
            server.contains_key(uid),
            "owned local {} is not on the server",
            uid
        );
    }
    for (uid, files) in &local_before {
        for (name, item) in files {
            if !filter.admits(Side::Local, item, &MapContext::default()) {
                let now = local
                    .get(uid)
                    .and_then(|f| f.iter().find(|(n, _)| n == name));
                prop_assert_eq!(
                    now.map(|(_, i)| i.body()),
                    Some(item.body()),
                    "foreign local {} was touched",
                    uid
                );
            }
        }
    }
    let (again, _) = world.sync(Mode::TwoWay, policy);
    prop_assert!(again.errors.is_empty(), "errors: {:?}", again.errors);
    prop_assert_eq!(writes(&again), 0, "second run wrote: {:?}", again.items);
    Ok(())
}

/// Display name and colour: one-way modes copy them from the source, two-way
/// fills a side that has none and never overwrites.
#[test]
fn collection_metadata_follows_the_mode() {
    let world = World::new(None);
    let write = |side: Side, name: &str, value: &str| {
        std::fs::write(world.folder(side).join(name), value).unwrap()
    };
    let read = |side: Side, name: &str| {
        std::fs::read_to_string(world.folder(side).join(name))
            .ok()
            .map(|s| s.trim().to_string())
    };
    write(Side::Server, "displayname", "Work");
    write(Side::Server, "color", "#ff0000");
    write(Side::Local, "color", "#00ff00");
    let (report, _) = world.sync(Mode::TwoWay, ConflictPolicy::Automatic);
    assert!(
        report.errors.is_empty() && report.warnings.is_empty(),
        "{report:?}"
    );
    assert_eq!(read(Side::Local, "displayname").as_deref(), Some("Work"));
    assert_eq!(
        read(Side::Local, "color").as_deref(),
        Some("#00ff00"),
        "two-way never overwrites"
    );
    world.sync(Mode::ToLocal, ConflictPolicy::Automatic);
    assert_eq!(
        read(Side::Local, "color").as_deref(),
        Some("#ff0000"),
        "to-local copies the server's"
    );
    write(Side::Local, "displayname", "Mine");
    world.sync(Mode::ToServerMerge, ConflictPolicy::Automatic);
    assert_eq!(read(Side::Server, "displayname").as_deref(), Some("Mine"));
}
