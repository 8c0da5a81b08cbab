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
//! - a second sync in the same mode writes nothing.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_pim::Item;
use davsync_store::VdirStore;
use davsync_sync::report::{Outcome, Report};
use davsync_sync::{
    Action, CategoryFilter, ConflictPolicy, KindFilter, Mapping, Mode, Side, StatusDb, SyncJob,
    SyncOptions, Transform,
};
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items;
use davsync_testkit::shaped::{DeltaShape, ServerShaped, TokenLog};
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
}

impl World {
    fn new(category: Option<CategoryFilter>) -> Self {
        Self::shaped(category, None)
    }

    fn shaped(category: Option<CategoryFilter>, shape: Option<DeltaShape>) -> Self {
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

    fn sync(&self, mode: Mode, policy: ConflictPolicy) -> (Report, BTreeSet<String>) {
        self.sync_or_plan(mode, policy, false)
    }

    /// A sync, or with `dry_run` its plan (which keeps no token: the next
    /// sync asks from the same one, as after a sync that wrote).
    fn sync_or_plan(
        &self,
        mode: Mode,
        policy: ConflictPolicy,
        dry_run: bool,
    ) -> (Report, BTreeSet<String>) {
        let local = VdirStore::open(self.folder(Side::Local), "ics")
            .unwrap()
            .with_trash(self.trash(Side::Local));
        let folder = VdirStore::open(self.folder(Side::Server), "ics")
            .unwrap()
            .with_trash(self.trash(Side::Server));
        let server: Box<dyn davsync_store::Store + '_> = match self.shape {
            Some(shape) => Box::new(ServerShaped::new(folder, shape, &self.log)),
            None => Box::new(folder),
        };
        let status = StatusDb::open(&self.root.join("status.sqlite")).unwrap();
        let known: BTreeSet<String> = status.load().unwrap().into_keys().collect();
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
            options: SyncOptions {
                mode,
                conflicts: policy,
                force: true,
                dry_run,
                // Small chunks, so that runs span several (status transactions,
                // batched reads, writes in flight together).
                batch_size: 3,
                concurrency: 2,
                ..SyncOptions::default()
            },
        };
        (self.runtime.block_on(davsync_sync::sync(&job)), known)
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

fn check_sync(world: &World, mode: Mode, policy: ConflictPolicy) -> Result<(), TestCaseError> {
    let before = [world.contents(Side::Local)?, world.contents(Side::Server)?];
    let (report, known) = world.sync(mode, policy);
    prop_assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    prop_assert!(
        report.warnings.is_empty(),
        "warnings: {:?}",
        report.warnings
    );
    prop_assert!(report.items.iter().all(|i| i.outcome == Outcome::Done));
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
    let conflict_copies = |side: Side| {
        after[side as usize]
            .keys()
            .filter(|u| u.contains("-conflict-"))
            .count()
    };
    let keep_boths = report
        .items
        .iter()
        .filter(|i| matches!(i.action, Action::KeepBoth { .. }))
        .count();
    if keep_boths > 0 {
        prop_assert!(
            conflict_copies(Side::Local) >= keep_boths
                && conflict_copies(Side::Server) >= keep_boths
        );
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
                    if !src_before.contains_key(uid) && !known.contains(uid) {
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
    fn category_filter_state_machine(
        steps in prop::collection::vec(step(), 1..40),
        include_uncategorized in any::<bool>(),
        negate in any::<bool>(),
    ) {
        let filter = CategoryFilter {
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
        if filter.admits(Side::Local, item) {
            prop_assert_eq!(files.len(), 1, "duplicate UID {}", uid);
            let mapped = filter.map(Side::Server, item.clone()).unwrap();
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
            if !filter.admits(Side::Local, item) {
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
