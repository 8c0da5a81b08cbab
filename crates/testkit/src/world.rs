//! The two sides of a profile, edited between runs of `davsync sync` as other
//! programs would (a folder as an editor does, a server collection through
//! the DAV API as another client does), with a model of the items both must
//! end up holding: the harness of the randomized end-to-end tests against
//! real servers (runs killed at random moments, a second client editing at
//! random moments). Everything random comes from one seeded generator; the
//! seed is in every failure message, with the variable that replays it.

use crate::cli::{Davsync, Run};
use crate::folder::write_file;
use crate::items::event_modified;
use crate::rng::Rng;
use crate::servers::{self, PASSWORD_ENV, Server, ServerItem};
use davsync_dav::{Collection, CollectionKind};
use davsync_pim::Item;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
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

    fn file(&self, uid: &str) -> Option<PathBuf> {
        match &self.places[0] {
            Place::Folder(dir) => Some(dir.join(format!("{uid}.ics"))),
            Place::Collection(_) => None,
        }
    }

    fn place(&self, side: Side) -> &Place {
        &self.places[side as usize]
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
            Place::Folder(_) => {
                let file = self.file(uid).expect("a folder");
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
}
