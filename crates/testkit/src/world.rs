//! The two sides of a profile, edited between runs of `davsync sync` as other
//! programs would (a folder as an editor does, a server collection through
//! the DAV API as another client does), with a model of the items both must
//! end up holding: the harness of the randomized end-to-end tests between
//! two folders or against real servers (runs killed at random moments, a
//! second client editing at random moments). Everything random comes from
//! one seeded generator; the seed is in every failure message, with the
//! variable that replays it.

use crate::cli::{Davsync, Run, assert_clean, assert_idle, vdir_profile};
use crate::folder::{files, tree, write_file};
use crate::items::event_modified;
use crate::rng::Rng;
use crate::servers::{self, PASSWORD_ENV, Server, ServerItem};
use davsync_dav::{Collection, CollectionKind};
use davsync_pim::Item;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One side of the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The profile's `local` store.
    Local,
    /// The profile's `server` store.
    Server,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Local => Side::Server,
            Side::Server => Side::Local,
        }
    }

    /// The side as davsync names it in its messages (`local`, `server`).
    pub fn name(self) -> &'static str {
        match self {
            Side::Local => "local",
            Side::Server => "server",
        }
    }
}

/// Where one side's items are.
pub enum Place {
    /// A vdir folder of `.ics` files.
    Folder(PathBuf),
    /// A collection on a server (reached without keep-alive, see
    /// [`Server::blocking_collection`](crate::servers::Server::blocking_collection)).
    Collection(Collection),
}

/// Items by UID, each with every file name or href holding it.
pub type ByUid = BTreeMap<String, Vec<(String, Item)>>;

/// What changes when anything is written to a side: its file names with
/// size and modification time, or its hrefs with their ETags.
pub type Signature = [Vec<(String, String)>; 2];

/// A vdir folder and a fresh calendar on a server, in a temporary
/// directory with the configuration and the data directory: what the
/// randomized tests between a folder and a server start from.
pub struct FolderAndServer {
    /// The temporary directory (removed when this is dropped: keep it).
    pub dir: tempfile::TempDir,
    /// The runtime of the test's own requests.
    pub runtime: tokio::runtime::Runtime,
    /// The folder (`local`) and the collection (`server`).
    pub places: [Place; 2],
    /// The binary `bin` with the profile, given the server's password.
    pub davsync: Davsync,
}

impl FolderAndServer {
    /// The profile `profile` (events, with the further keys `extra`, see
    /// [`Server::profile`]) between a new folder and a new calendar on `server`.
    pub fn new(server: &Server, bin: &str, profile: &str, extra: &[(&str, &str)]) -> Self {
        let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        let (local, data, config) = (
            root.join("local"),
            root.join("data"),
            root.join("config.toml"),
        );
        fs::create_dir(&local).expect("the local folder");
        let text = server.profile(
            profile,
            "events",
            &local,
            &server.url_of(&collection),
            extra,
        );
        fs::write(&config, text).expect("the configuration");
        let davsync = Davsync::new(bin, &config, &data).with_env(PASSWORD_ENV, &server.password);
        FolderAndServer {
            dir,
            runtime,
            places: [Place::Folder(local), Place::Collection(collection)],
            davsync,
        }
    }
}

/// Two vdir folders, `local` and `server`, in a temporary directory with the
/// configuration and the data directory: what the randomized tests between
/// two folders start from (the same fields as [`FolderAndServer`]).
pub struct TwoFolders {
    /// The temporary directory (removed when this is dropped: keep it).
    pub dir: tempfile::TempDir,
    /// A runtime for [`World::new`] (two folders make no requests).
    pub runtime: tokio::runtime::Runtime,
    /// The two folders (`local` and `server`).
    pub places: [Place; 2],
    /// The binary `bin` with the profile.
    pub davsync: Davsync,
}

impl TwoFolders {
    /// The profile `profile` (events, with the further keys `extra`, see
    /// [`vdir_profile`]) between two new folders.
    pub fn new(bin: &str, profile: &str, extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        let (local, server, data, config) = (
            root.join("local"),
            root.join("server"),
            root.join("data"),
            root.join("config.toml"),
        );
        for folder in [&local, &server] {
            fs::create_dir(folder).expect("a folder");
        }
        let text = vdir_profile(profile, "events", &local, &server, extra);
        fs::write(&config, text).expect("the configuration");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        TwoFolders {
            dir,
            runtime,
            places: [Place::Folder(local), Place::Folder(server)],
            davsync: Davsync::new(bin, &config, &data),
        }
    }
}

/// How many edits one round of [`World::change_both_sides`] makes, each
/// count drawn from its range: new items on each side, edits, deletes.
#[derive(Debug, Clone)]
pub struct EditCounts {
    /// New items on each side.
    pub creates: Range<usize>,
    /// Edits of items of the model, on a side that has them.
    pub edits: Range<usize>,
    /// Deletes of items the status database knows.
    pub deletes: Range<usize>,
}

/// What davsync keeps in its data directory (see [`World::check_left_behind`]).
const DATA_DIR_ENTRIES: [&str; 4] = ["status", "reports", "locks", "trash"];

/// Both sides, the model, and the bookkeeping of the edits.
pub struct World {
    /// What the test runs against, for messages (`radicale`, `radicale+xandikos`).
    pub name: String,
    /// The seed of `rng`.
    pub seed: u64,
    /// The environment variable that replays a seed.
    pub seed_var: &'static str,
    /// The test's random choices.
    pub rng: Rng,
    /// The local and the server side.
    pub places: [Place; 2],
    /// The runtime of the test's own requests.
    pub runtime: tokio::runtime::Runtime,
    /// The binary with the profile's configuration.
    pub davsync: Davsync,
    /// UID → the SUMMARY its latest edit gave it (deleted UIDs are absent).
    pub model: BTreeMap<String, String>,
    /// UIDs that a run finished without errors has synced (so the status
    /// database knows them).
    pub known: BTreeSet<String>,
    /// The collections' items by UID, as read by [`World::refresh`]: what
    /// [`World::write`] and [`World::delete`] write over.
    listing: [BTreeMap<String, Vec<ServerItem>>; 2],
    next_uid: usize,
    next_minute: usize,
    /// What happened, newest last (the failure messages show the tail).
    pub log: Vec<String>,
}

impl World {
    /// A world over `places`, its randomness from `seed` (replayed with `seed_var`).
    pub fn new(
        name: &str,
        seed_var: &'static str,
        seed: u64,
        places: [Place; 2],
        runtime: tokio::runtime::Runtime,
        davsync: Davsync,
    ) -> World {
        World {
            name: name.to_string(),
            seed,
            seed_var,
            rng: Rng::new(seed),
            places,
            runtime,
            davsync,
            model: BTreeMap::new(),
            known: BTreeSet::new(),
            listing: Default::default(),
            next_uid: 0,
            next_minute: 0,
            log: Vec::new(),
        }
    }

    /// Context for every failure message.
    pub fn context(&self) -> String {
        let tail: Vec<&String> = self.log.iter().rev().take(24).collect();
        format!(
            "{}: seed {:#x} (replay with {}={}); recent events, newest first: {tail:#?}",
            self.name, self.seed, self.seed_var, self.seed
        )
    }

    /// A strictly increasing LAST-MODIFIED, so that with the automatic and
    /// keep-both policies the later of two edits wins a conflict.
    pub fn last_modified(&mut self) -> String {
        let n = self.next_minute;
        self.next_minute += 1;
        assert!(
            n < 27 * 24 * 60,
            "too many edits for the LAST-MODIFIED scheme"
        );
        format!(
            "202602{:02}T{:02}{:02}00Z",
            1 + n / 1440,
            (n / 60) % 24,
            n % 60
        )
    }

    fn place(&self, side: Side) -> &Place {
        &self.places[side as usize]
    }

    /// The folder of `side`; panics when that side is a collection.
    pub fn folder(&self, side: Side) -> &Path {
        match self.place(side) {
            Place::Folder(dir) => dir,
            Place::Collection(_) => panic!("the {} side is not a folder", side.name()),
        }
    }

    fn collection_items(&self, collection: &Collection) -> BTreeMap<String, Vec<ServerItem>> {
        self.runtime.block_on(servers::items_by_uid(collection))
    }

    /// A side's items by UID (read while nothing else writes there).
    pub fn read(&self, side: Side) -> ByUid {
        match self.place(side) {
            Place::Folder(dir) => crate::folder::items_by_uid(dir, "ics"),
            Place::Collection(c) => servers::by_href(self.collection_items(c)),
        }
    }

    /// Reads the collections' items, which the following edits write over.
    pub fn refresh(&mut self) {
        for side in [Side::Local, Side::Server] {
            self.listing[side as usize] = match self.place(side) {
                Place::Folder(_) => BTreeMap::new(),
                Place::Collection(c) => self.collection_items(c),
            };
        }
    }

    /// What changes when anything is written, on both sides.
    pub fn signature(&self) -> Signature {
        [Side::Local, Side::Server].map(|side| match self.place(side) {
            Place::Folder(dir) => {
                let mut files: Vec<(String, String)> = fs::read_dir(dir)
                    .unwrap()
                    .filter_map(|e| {
                        let e = e.ok()?;
                        let meta = e.metadata().ok()?;
                        Some((
                            e.file_name().to_string_lossy().into_owned(),
                            format!("{} {:?}", meta.len(), meta.modified().ok()?),
                        ))
                    })
                    .collect();
                files.sort();
                files
            }
            Place::Collection(c) => {
                let mut listed: Vec<(String, String)> = self
                    .runtime
                    .block_on(c.list())
                    .unwrap_or_else(|e| {
                        panic!("cannot list the collection: {e}\n{}", self.context())
                    })
                    .into_iter()
                    .map(|r| (r.href, r.etag))
                    .collect();
                listed.sort();
                listed
            }
        })
    }

    /// The signature once both sides have stood still for a moment: a killed
    /// run's last request may still be carried out after the kill, and the
    /// test's next edits must come after it (SOGo, for one, ignores If-Match
    /// on DELETE: a late delete would take the test's edit with it).
    pub fn quiet_signature(&self) -> Signature {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = self.signature();
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let now = self.signature();
            if now == last {
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "a side kept changing after the kill\n{}",
                self.context()
            );
            last = now;
        }
    }

    /// Whether `side` has `uid` (a collection as [`World::refresh`] read it).
    pub fn has(&self, side: Side, uid: &str) -> bool {
        match self.place(side) {
            Place::Folder(dir) => dir.join(format!("{uid}.ics")).exists(),
            Place::Collection(_) => self.listing[side as usize].contains_key(uid),
        }
    }

    /// Creates or edits `uid` on `side`, with a new LAST-MODIFIED: a file
    /// written as an editor does, or a PUT as another client does (over the
    /// item [`World::refresh`] read, with its ETag). The model follows.
    pub fn write(&mut self, side: Side, uid: &str, summary: String) {
        let body = event_modified(uid, &summary, &self.last_modified());
        match self.place(side) {
            Place::Folder(dir) => write_file(dir, &format!("{uid}.ics"), &body),
            Place::Collection(c) => {
                let existing = self.listing[side as usize]
                    .get(uid)
                    .and_then(|items| items.first());
                self.runtime
                    .block_on(servers::put_event(c, existing, uid, &body, || {
                        self.context()
                    }));
            }
        }
        self.model.insert(uid.to_string(), summary);
    }

    /// Deletes `uid` on `side` (a collection's item as [`World::refresh`]
    /// read it). The model follows.
    pub fn delete(&mut self, side: Side, uid: &str) {
        match self.place(side) {
            Place::Folder(dir) => {
                let file = dir.join(format!("{uid}.ics"));
                fs::remove_file(&file).unwrap_or_else(|e| {
                    panic!("cannot delete {}: {e}\n{}", file.display(), self.context())
                })
            }
            Place::Collection(c) => {
                let item = &self.listing[side as usize][uid][0];
                if let Err(e) = self.runtime.block_on(c.delete(&item.href, &item.etag)) {
                    panic!(
                        "cannot delete {uid} on the {} side: {e}\n{}",
                        side.name(),
                        self.context()
                    );
                }
            }
        }
        self.model.remove(uid);
        self.known.remove(uid);
    }

    /// A new UID, never used before.
    pub fn new_uid(&mut self) -> String {
        let uid = format!("k{:05}", self.next_uid);
        self.next_uid += 1;
        uid
    }

    /// Creates a new item on `side` and returns its UID.
    pub fn create(&mut self, side: Side, round: usize) -> String {
        let uid = self.new_uid();
        self.write(
            side,
            &uid,
            format!("{uid} created on {} in round {round}", side.name()),
        );
        self.log
            .push(format!("r{round}: create {uid} on {}", side.name()));
        uid
    }

    /// A random UID of `pool` not in `touched`.
    pub fn pick(&mut self, pool: &BTreeSet<String>, touched: &BTreeSet<String>) -> Option<String> {
        let free: Vec<&String> = pool.difference(touched).collect();
        (!free.is_empty()).then(|| free[self.rng.below(free.len())].clone())
    }

    /// A random side that has `uid` (an item not synced yet may be on one side only).
    pub fn side_with(&mut self, uid: &str) -> Option<Side> {
        let first = if self.rng.chance(50) {
            Side::Local
        } else {
            Side::Server
        };
        [first, first.other()]
            .into_iter()
            .find(|s| self.has(*s, uid))
    }

    /// A number in `range` (not empty).
    fn draw(&mut self, range: &Range<usize>) -> usize {
        range.start + self.rng.below(range.len())
    }

    /// One round of edits on both sides, as many as `counts` draws: each
    /// UID is touched at most once per round (so never edited on both sides
    /// in one round). An edit may meet an edit of an earlier round that a
    /// run (killed, say) did not carry over: a conflict, which the automatic
    /// policy settles by LAST-MODIFIED, that is for the later edit, as the
    /// model says.
    ///
    /// Deletes take only UIDs the status database is sure to know. An item
    /// a killed run created on the other side just before its status row was
    /// written is, to the next run, indistinguishable from an item created
    /// there by someone else, and would rightly come back. A delete meeting
    /// an unsynced edit of an earlier round wins (automatic policy), and is
    /// the later of the two, as the model says.
    pub fn change_both_sides(&mut self, round: usize, counts: &EditCounts) {
        self.refresh();
        let mut touched = BTreeSet::new();
        for side in [Side::Local, Side::Server] {
            for _ in 0..self.draw(&counts.creates) {
                touched.insert(self.create(side, round));
            }
        }
        let in_model: BTreeSet<String> = self.model.keys().cloned().collect();
        for _ in 0..self.draw(&counts.edits) {
            let Some(uid) = self.pick(&in_model, &touched) else {
                break;
            };
            touched.insert(uid.clone());
            let Some(side) = self.side_with(&uid) else {
                continue;
            };
            self.write(
                side,
                &uid,
                format!("{uid} edited on {} in round {round}", side.name()),
            );
            self.log
                .push(format!("r{round}: edit {uid} on {}", side.name()));
        }
        let known = self.known.clone();
        for _ in 0..self.draw(&counts.deletes) {
            let Some(uid) = self.pick(&known, &touched) else {
                break;
            };
            touched.insert(uid.clone());
            let Some(side) = self.side_with(&uid) else {
                continue;
            };
            self.delete(side, &uid);
            self.log
                .push(format!("r{round}: delete {uid} on {}", side.name()));
        }
    }

    /// `sync --json ARGS…` to the end.
    pub fn sync(&self, args: &[&str]) -> (Run, Value) {
        self.davsync.sync_json(args, || self.context())
    }

    /// After a run that finished without errors or warnings, everything in
    /// the model is synced and known to the status database.
    pub fn settled(&mut self, json: &Value) {
        let report = &json["reports"][0];
        if json["ok"] == true
            && report["errors"].as_array().is_some_and(Vec::is_empty)
            && report["warnings"].as_array().is_some_and(Vec::is_empty)
        {
            self.known = self.model.keys().cloned().collect();
        }
    }

    /// Checks that both sides hold exactly the model: each UID once (one
    /// file, one href), with its SUMMARY, the same content on both sides.
    pub fn check(&self, when: &str) {
        let [local, server] = [Side::Local, Side::Server].map(|side| self.read(side));
        let problems = servers::differences(&local, &server, &self.model);
        assert!(
            problems.is_empty(),
            "{when}: the sides differ from the model ({} items expected, {} local, {} on the \
             server): {problems:#?}\n{}",
            self.model.len(),
            local.len(),
            server.len(),
            self.context()
        );
    }

    /// Checks that the status database knows exactly as many items as the model.
    pub fn check_status(&self) {
        let run = self.davsync.run(&["status", "--json"]);
        let status: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("status printed no JSON ({e}): {}", run.describe()));
        assert_eq!(
            status["profiles"][0]["items"],
            self.model.len(),
            "{status:#}\n{}",
            self.context()
        );
    }

    /// Clean runs (without `--force`) after `what`: the first converges (no
    /// error, no warning, no failed item; both sides hold the model), the
    /// second writes nothing, and the status database then knows exactly
    /// the model's items. Returns the two runs' reports.
    pub fn clean_runs(&self, what: &str) -> [Value; 2] {
        let (run, json) = self.sync(&[]);
        let first = json["reports"][0].clone();
        assert_clean(&run, &first, &format!("clean run after {what}"), || {
            self.context()
        });
        self.check(&format!("after the clean run after {what}"));
        let (run, json) = self.sync(&[]);
        let second = json["reports"][0].clone();
        assert_idle(&run, &second, "the second clean run", || self.context());
        self.check(&format!("after the second clean run after {what}"));
        self.check_status();
        [first, second]
    }

    /// Checks that nothing is left behind: in `root` (the test's temporary
    /// directory) nothing but the folders, the configuration and the data
    /// directory; in the data directory nothing but what davsync keeps
    /// there; in each folder (recursively) nothing but one item file per
    /// item of the model and the files `allowed` lets be (by their path
    /// relative to the folder, such as `.davsync-1.tmp`).
    pub fn check_left_behind(&self, root: &Path, allowed: impl Fn(&str) -> bool) {
        let folders: Vec<(Side, &Path)> = [Side::Local, Side::Server]
            .into_iter()
            .filter_map(|side| match self.place(side) {
                Place::Folder(dir) => Some((side, dir.as_path())),
                Place::Collection(_) => None,
            })
            .collect();
        let expected: BTreeSet<&Path> = folders
            .iter()
            .map(|(_, dir)| *dir)
            .chain([self.davsync.data_dir.as_path(), &self.davsync.config])
            .filter(|path| path.parent() == Some(root))
            .collect();
        let found: Vec<PathBuf> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let found: BTreeSet<&Path> = found.iter().map(PathBuf::as_path).collect();
        assert_eq!(found, expected, "in {}\n{}", root.display(), self.context());
        for entry in fs::read_dir(&self.davsync.data_dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                DATA_DIR_ENTRIES.contains(&name.as_str()),
                "unexpected {name} in the data directory\n{}",
                self.context()
            );
        }
        for (side, dir) in folders {
            let items = files(dir, "ics");
            assert_eq!(
                items.len(),
                self.model.len(),
                "item files in the {} folder\n{}",
                side.name(),
                self.context()
            );
            for path in tree(dir) {
                let name = path.to_string_lossy();
                assert!(
                    items.contains_key(name.as_ref()) || allowed(&name),
                    "unexpected file {name} in the {} folder\n{}",
                    side.name(),
                    self.context()
                );
            }
        }
    }
}
