//! The vdir store: one folder per collection, one `.ics` or `.vcf` file per item,
//! the layout khal, khard, todoman and vdirsyncer share.
//!
//! The file system calls block, and the engine runs on a current-thread
//! runtime: each async method runs its work on Tokio's blocking threads
//! (`spawn_blocking`), so that listing a large folder does not hold up the
//! server's request meanwhile. The work itself is the plain `*_now` functions.

use crate::names::file_stem_for_uid;
use crate::platform::{name_unnamed, stat_version, sync_dir, sync_files, unnamed_file};
use crate::{Fetched, Href, Listed, Metadata, Store, StoreError, WriteOp, WriteResult, Written};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Default largest item read, as for server items.
pub const DEFAULT_MAX_ITEM_SIZE: u64 = 10 * 1024 * 1024;

/// A vdir collection on the local file system.
#[derive(Debug, Clone)]
pub struct VdirStore {
    path: PathBuf,
    extension: String,
    trash: Option<PathBuf>,
    max_item_size: u64,
    /// Files put in place since the last `flush`, whose content is not yet
    /// known to be on disk (see `flush_now`).
    unsynced: Arc<Mutex<Vec<PathBuf>>>,
    /// Whether new files are written unnamed, then named (see
    /// [`unnamed_file`]); cleared the first time that cannot be done here.
    unnamed: Arc<AtomicBool>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Files modified this recently may change again within the same tick of the
/// file system's clock without their stat data changing ("racy" files, as git
/// calls them); their version also carries a hash of their content.
const RACY_WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

/// What davsync writes is dated this far back (set on the temporary file,
/// before it gets its name, so no other program can have written to it
/// meanwhile): its version is then plain stat data at once, and any later
/// write by another program, however soon, gives the file a newer time. Were
/// it dated "now", every file of a big download would be racy and its
/// version confirmed by reading it on the next run.
const WRITTEN_AGE: std::time::Duration = std::time::Duration::from_secs(3);

/// Temporary files left by a killed run are removed once they are this old.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(600);

fn is_racy(meta: &fs::Metadata) -> bool {
    match meta.modified() {
        Ok(mtime) => match std::time::SystemTime::now().duration_since(mtime) {
            Ok(age) => age < RACY_WINDOW,
            Err(_) => true, // modified "in the future": trust nothing
        },
        Err(_) => true,
    }
}

/// A short hash of a file's content.
fn content_tag(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The version of a file with this metadata and content: its stat data, and
/// for a racy file `-h` and a hash of its content.
fn version_of(meta: &fs::Metadata, content: &[u8]) -> String {
    let base = stat_version(meta);
    if !is_racy(meta) {
        return base;
    }
    format!("{base}-h{}", content_tag(content))
}

/// Splits a version into its stat part and its content hash, if it has one.
fn split_version(version: &str) -> (&str, Option<&str>) {
    match version.rsplit_once("-h") {
        Some((stat, tag)) => (stat, Some(tag)),
        None => (version, None),
    }
}

/// The version of the file at `path`; its content is read only when it is racy.
fn version_at(path: &Path) -> std::io::Result<String> {
    let meta = fs::metadata(path)?;
    if is_racy(&meta) {
        Ok(version_of(&meta, &fs::read(path)?))
    } else {
        Ok(stat_version(&meta))
    }
}

/// Runs `work` (file system calls) on a blocking thread and waits for it
/// without blocking the runtime. A panic in `work` becomes an error of the
/// operation (`what`), not a panic of the run.
async fn blocking<T: Send + 'static>(
    what: impl Into<String>,
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => {
            let why = if e.is_panic() {
                "the file system task panicked"
            } else {
                "the file system task was cancelled"
            };
            Err(StoreError::io(
                what,
                std::io::Error::other(format!("{why}: {e}")),
            ))
        }
    }
}

/// A name nobody else picks: process id, time and a counter.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl VdirStore {
    /// A store over `path` whose items end in `extension` (`ics` or `vcf`, without the dot).
    /// The folder is created when missing, but not its parent: a missing parent
    /// (an unmounted disk) is an error, not a new empty collection.
    pub fn open(path: impl Into<PathBuf>, extension: &str) -> Result<Self, StoreError> {
        let path = path.into();
        if !path.is_dir() {
            match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
                    return Err(StoreError::NoCollection(format!(
                        "{} (its parent folder is missing too)",
                        path.display()
                    )));
                }
                _ => fs::create_dir(&path)
                    .map_err(|e| StoreError::io(format!("creating {}", path.display()), e))?,
            }
        }
        let store = VdirStore {
            path,
            extension: extension.trim_start_matches('.').to_string(),
            trash: None,
            max_item_size: DEFAULT_MAX_ITEM_SIZE,
            unsynced: Arc::default(),
            unnamed: Arc::new(AtomicBool::new(true)),
        };
        store.remove_stale_temps();
        Ok(store)
    }

    /// Keeps a copy of every item this store overwrites or deletes in `dir`.
    pub fn with_trash(mut self, dir: impl Into<PathBuf>) -> Self {
        self.trash = Some(dir.into());
        self
    }

    /// Refuses to read items larger than `bytes`.
    pub fn with_max_item_size(mut self, bytes: u64) -> Self {
        self.max_item_size = bytes;
        self
    }

    /// The collection folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Maps an href to a path, refusing anything that is not a plain item file name.
    fn item_path(&self, href: &str) -> Result<PathBuf, StoreError> {
        let valid = !href.is_empty()
            && !href.starts_with('.')
            && !href.contains(['/', '\\', '\0', '\n', '\r'])
            && href.len() <= 255
            && self.is_item_name(href);
        if valid {
            Ok(self.path.join(href))
        } else {
            Err(StoreError::InvalidHref {
                href: href.to_string(),
            })
        }
    }

    fn is_item_name(&self, name: &str) -> bool {
        name.strip_suffix(&self.extension)
            .and_then(|stem| stem.strip_suffix('.'))
            .is_some_and(|stem| !stem.is_empty())
    }

    /// Removes temporary files that a killed run left behind.
    fn remove_stale_temps(&self) {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !(name.starts_with(".davsync-") && name.ends_with(".tmp")) {
                continue;
            }
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_TEMP);
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Whether the file still is the version `expected`. A version taken while
    /// the file was racy carries a content hash; the file may have aged since, so
    /// the stat data must match and, where there is a hash, the content too.
    fn check_version(&self, href: &str, path: &Path, expected: &str) -> Result<(), StoreError> {
        let io = |e: std::io::Error| match e.kind() {
            ErrorKind::NotFound => StoreError::NotFound {
                href: href.to_string(),
            },
            _ => StoreError::io(format!("reading {}", path.display()), e),
        };
        let meta = fs::metadata(path).map_err(io)?;
        let (stat, tag) = split_version(expected);
        let same = stat == stat_version(&meta)
            && match tag {
                None => true,
                Some(tag) => content_tag(&fs::read(path).map_err(io)?) == tag,
            };
        if same {
            Ok(())
        } else {
            Err(StoreError::PreconditionFailed {
                href: href.to_string(),
                expected: expected.to_string(),
            })
        }
    }

    /// Writes `body` to a fresh temporary file in the folder, and tells its
    /// metadata (what its version is made of: a rename keeps it). Not synced
    /// to disk here: `flush` makes every file written since the last one
    /// durable at once, before the engine records any of them
    /// (ARCHITECTURE.md, "Durability").
    fn write_temp(&self, body: &str) -> Result<(PathBuf, fs::Metadata), StoreError> {
        let tmp = self.path.join(format!(".davsync-{}.tmp", unique_suffix()));
        let result = (|| {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            file.write_all(body.as_bytes())?;
            // Best effort: a file system that refuses keeps the file racy (and
            // its version confirmed by content), which is safe, only slower.
            let _ = file.set_modified(std::time::SystemTime::now() - WRITTEN_AGE);
            file.metadata()
        })();
        match result {
            Ok(meta) => Ok((tmp, meta)),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(StoreError::io(format!("writing {}", tmp.display()), e))
            }
        }
    }

    /// Copies the current file into the trash before it is overwritten or deleted.
    fn keep_in_trash(&self, href: &str, path: &Path) -> Result<(), StoreError> {
        let Some(trash) = &self.trash else {
            return Ok(());
        };
        fs::create_dir_all(trash)
            .map_err(|e| StoreError::io(format!("creating {}", trash.display()), e))?;
        let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let target = trash.join(format!(
            "{stamp}-{}-{href}",
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::copy(path, &target)
            .map_err(|e| StoreError::io(format!("keeping {} in the trash", path.display()), e))?;
        Ok(())
    }

    /// The result of a write of `body` as `href`: the version computed from
    /// the metadata of the file written (taken from the open file, not by
    /// looking its name up again: that is another file if something
    /// replaced it since) and the body (no need to read it back). The
    /// folder itself is synced by `flush`, once per batch of writes.
    fn written(href: String, meta: &fs::Metadata, body: &str) -> Written {
        let version = version_of(meta, body.as_bytes());
        Written { href, version }
    }

    fn read_one(&self, href: &str) -> Result<Fetched, StoreError> {
        let path = self.item_path(href)?;
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    href: href.to_string(),
                });
            }
            Err(e) => return Err(StoreError::io(format!("reading {}", path.display()), e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| StoreError::io(format!("reading {}", path.display()), e))?;
        if meta.len() > self.max_item_size {
            return Err(StoreError::TooLarge {
                href: href.to_string(),
                size: meta.len(),
                limit: self.max_item_size,
            });
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        Read::by_ref(&mut file)
            .take(self.max_item_size + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::io(format!("reading {}", path.display()), e))?;
        let version = version_of(&meta, &bytes);
        let body = String::from_utf8(bytes).map_err(|_| StoreError::NotText {
            href: href.to_string(),
        })?;
        Ok(Fetched {
            href: href.to_string(),
            version,
            body,
            modified: meta.modified().ok().map(DateTime::<Utc>::from),
        })
    }

    fn read_meta_file(&self, name: &str) -> Result<Option<String>, StoreError> {
        match fs::read_to_string(self.path.join(name)) {
            Ok(s) => {
                let s = s.trim().to_string();
                Ok((!s.is_empty()).then_some(s))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(
                format!("reading {name} in {}", self.path.display()),
                e,
            )),
        }
    }

    fn write_meta_file(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let (tmp, _) = self.write_temp(&format!("{value}\n"))?;
        let target = self.path.join(name);
        fs::rename(&tmp, &target).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io(format!("writing {}", target.display()), e)
        })?;
        self.note_unsynced(target);
        self.flush_now()
    }

    /// Remembers a file put in place, for the next `flush`.
    fn note_unsynced(&self, path: PathBuf) {
        self.unsynced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(path);
    }

    /// Moves `tmp` to `target` only if `target` does not exist yet: one
    /// rename that refuses to replace where the system has it (a first
    /// download of 50,000 items makes 50,000 fewer directory changes than
    /// with a link and an unlink), else a hard link and an unlink.
    fn place_new(&self, tmp: &Path, target: &Path) -> std::io::Result<()> {
        if crate::platform::rename_no_replace(tmp, target)? {
            return Ok(());
        }
        match fs::hard_link(tmp, target) {
            Ok(()) => {
                fs::remove_file(tmp)?;
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
            Err(_) => {
                // File systems without hard links (FAT, some network shares).
                if target.exists() {
                    return Err(std::io::Error::from(ErrorKind::AlreadyExists));
                }
                fs::rename(tmp, target)
            }
        }
    }
}

/// The work of each [`Store`] method, blocking: run on a blocking thread.
impl VdirStore {
    fn list_now(&self) -> Result<Vec<Listed>, StoreError> {
        let entries = fs::read_dir(&self.path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => StoreError::NoCollection(self.path.display().to_string()),
            _ => StoreError::io(format!("listing {}", self.path.display()), e),
        })?;
        let mut listed = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| StoreError::io(format!("listing {}", self.path.display()), e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue; // not UTF-8: never one of ours, and not addressable
            };
            if name.starts_with('.') || !self.is_item_name(&name) {
                continue;
            }
            let meta = match fs::metadata(entry.path()) {
                Ok(m) => m,
                Err(e) if e.kind() == ErrorKind::NotFound => continue, // deleted meanwhile
                Err(e) => {
                    return Err(StoreError::io(
                        format!("reading {}", entry.path().display()),
                        e,
                    ));
                }
            };
            if meta.is_file() {
                let path = entry.path();
                let version = match version_at(&path) {
                    Ok(v) => v,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(StoreError::io(format!("reading {}", path.display()), e)),
                };
                listed.push(Listed {
                    href: name,
                    version,
                });
            }
        }
        listed.sort_by(|a, b| a.href.cmp(&b.href));
        Ok(listed)
    }

    fn get_many_now(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        hrefs.iter().map(|href| self.read_one(href)).collect()
    }

    fn create_now(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        let stem = file_stem_for_uid(uid);
        if self.unnamed.load(Ordering::Relaxed) {
            match self.create_unnamed(&stem, body)? {
                Some(written) => return Ok(written),
                None => self.unnamed.store(false, Ordering::Relaxed),
            }
        }
        let (tmp, meta) = self.write_temp(body)?;
        let (href, placed) =
            self.place_under_new_name(&stem, |target| self.place_new(&tmp, target));
        if let Err(e) = placed {
            let _ = fs::remove_file(&tmp);
            return Err(self.create_error(href, e));
        }
        Ok(Self::written(href, &meta, body))
    }

    /// [`VdirStore::create_now`] with a file written unnamed, then named:
    /// `Ok(None)` where that cannot be done (nothing is left behind then).
    fn create_unnamed(&self, stem: &str, body: &str) -> Result<Option<Written>, StoreError> {
        let io = |e| StoreError::io(format!("writing in {}", self.path.display()), e);
        let Some(mut file) = unnamed_file(&self.path).map_err(io)? else {
            return Ok(None);
        };
        file.write_all(body.as_bytes()).map_err(io)?;
        // As in `write_temp`: dated back before anyone else can see it.
        let _ = file.set_modified(std::time::SystemTime::now() - WRITTEN_AGE);
        let meta = file.metadata().map_err(io)?;
        let (href, placed) = self.place_under_new_name(stem, |target| name_unnamed(&file, target));
        match placed {
            Ok(()) => Ok(Some(Self::written(href, &meta, body))),
            Err(e) if e.kind() == ErrorKind::Unsupported => Ok(None),
            Err(e) => Err(self.create_error(href, e)),
        }
    }

    /// Puts a new file in place as `STEM.EXT`, or under a name of its own when
    /// that one is taken (another UID maps to it: a case-insensitive file
    /// system, say), rather than overwrite; `place` puts it at a path,
    /// refusing (`AlreadyExists`) one that exists. The href, and whether it
    /// was placed (it then waits for the next flush).
    fn place_under_new_name(
        &self,
        stem: &str,
        mut place: impl FnMut(&Path) -> std::io::Result<()>,
    ) -> (String, std::io::Result<()>) {
        let mut href = format!("{stem}.{}", self.extension);
        let mut result = place(&self.path.join(&href));
        if matches!(&result, Err(e) if e.kind() == ErrorKind::AlreadyExists) {
            href = format!("{stem}-{}.{}", unique_suffix(), self.extension);
            result = place(&self.path.join(&href));
        }
        if result.is_ok() {
            self.note_unsynced(self.path.join(&href));
        }
        (href, result)
    }

    /// The error of a create whose file could not be put in place as `href`.
    fn create_error(&self, href: String, e: std::io::Error) -> StoreError {
        match e.kind() {
            ErrorKind::AlreadyExists => StoreError::AlreadyExists { href },
            _ => StoreError::io(format!("creating {}", self.path.join(&href).display()), e),
        }
    }

    /// One write of a wave, on the calling thread.
    fn write_now(&self, write: WriteOp<String>) -> WriteResult {
        match write {
            WriteOp::Create { uid, body } => self.create_now(&uid, &body).map(Some),
            WriteOp::Update {
                href,
                version,
                body,
            } => self.update_now(&href, &version, &body).map(Some),
            WriteOp::Delete { href, version } => self.delete_now(&href, &version).map(|()| None),
        }
    }

    fn update_now(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        let path = self.item_path(href)?;
        self.check_version(href, &path, version)?;
        self.keep_in_trash(href, &path)?;
        let (tmp, meta) = self.write_temp(body)?;
        // The window between the check and the rename is as small as a folder allows.
        self.check_version(href, &path, version).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })?;
        fs::rename(&tmp, &path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io(format!("replacing {}", path.display()), e)
        })?;
        self.note_unsynced(path);
        Ok(Self::written(href.to_string(), &meta, body))
    }

    fn delete_now(&self, href: &str, version: &str) -> Result<(), StoreError> {
        let path = self.item_path(href)?;
        self.check_version(href, &path, version)?;
        self.keep_in_trash(href, &path)?;
        fs::remove_file(&path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => StoreError::NotFound {
                href: href.to_string(),
            },
            _ => StoreError::io(format!("deleting {}", path.display()), e),
        })
    }

    /// Makes every write since the last flush durable: the files' contents
    /// (all at once, see `platform::sync_files`), then the folder (their
    /// names, and the removals).
    fn flush_now(&self) -> Result<(), StoreError> {
        let files = std::mem::take(
            &mut *self
                .unsynced
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let synced = sync_files(&self.path, &files).and_then(|()| sync_dir(&self.path));
        synced.map_err(|e| {
            // Kept for the next flush: nothing is recorded after a failed one.
            self.unsynced
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(files);
            StoreError::io(format!("syncing {}", self.path.display()), e)
        })
    }

    fn metadata_now(&self) -> Result<Metadata, StoreError> {
        Ok(Metadata {
            displayname: self.read_meta_file("displayname")?,
            color: self.read_meta_file("color")?,
        })
    }

    fn set_metadata_now(&self, metadata: &Metadata) -> Result<(), StoreError> {
        if let Some(name) = &metadata.displayname {
            self.write_meta_file("displayname", name)?;
        }
        if let Some(color) = &metadata.color {
            self.write_meta_file("color", color)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Store for VdirStore {
    fn describe(&self) -> String {
        format!("folder {}", self.path.display())
    }

    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let store = self.clone();
        blocking(format!("listing {}", self.path.display()), move || {
            store.list_now()
        })
        .await
    }

    /// A version taken while the file was fresh carries a hash of its content;
    /// once the file has aged, its listing carries the stat data only. The
    /// file still is the one recorded if its stat data are the same and its
    /// bytes still have that hash (read, not parsed: after a run that wrote
    /// thousands of files, the next one checks them at a fraction of the cost).
    /// (A plain call, as the trait has it: it reads one small file, and only
    /// for a version taken while the file was fresh.)
    fn still_is(&self, href: &str, listed: &str, known: &str) -> bool {
        if listed == known {
            return true;
        }
        let (stat, Some(tag)) = split_version(known) else {
            return false;
        };
        if stat != listed {
            return false;
        }
        let Ok(path) = self.item_path(href) else {
            return false;
        };
        let same_bytes = fs::read(&path).is_ok_and(|bytes| content_tag(&bytes) == tag);
        // Not changed while it was read, either.
        same_bytes && fs::metadata(&path).is_ok_and(|meta| stat_version(&meta) == stat)
    }

    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        let store = self.clone();
        let asked = hrefs.to_vec();
        let read = blocking(format!("reading from {}", self.path.display()), move || {
            Ok(store.get_many_now(&asked))
        })
        .await;
        match read {
            Ok(results) => results,
            // One result per href, as the contract wants; StoreError is not Clone.
            Err(e) => hrefs
                .iter()
                .map(|href| {
                    Err(StoreError::io(
                        format!("reading {href}"),
                        std::io::Error::other(e.to_string()),
                    ))
                })
                .collect(),
        }
    }

    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        let (store, uid, body) = (self.clone(), uid.to_string(), body.to_string());
        blocking(
            format!("creating {uid} in {}", self.path.display()),
            move || store.create_now(&uid, &body),
        )
        .await
    }

    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        let store = self.clone();
        let (href, version, body) = (href.to_string(), version.to_string(), body.to_string());
        blocking(
            format!("replacing {href} in {}", self.path.display()),
            move || store.update_now(&href, &version, &body),
        )
        .await
    }

    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError> {
        let (store, href, version) = (self.clone(), href.to_string(), version.to_string());
        blocking(
            format!("deleting {href} in {}", self.path.display()),
            move || store.delete_now(&href, &version),
        )
        .await
    }

    async fn write_all(&self, writes: &[WriteOp<&str>], concurrency: usize) -> Vec<WriteResult> {
        // A few threads, each writing its share in turn: handing each file
        // to a thread of its own and back cost more than writing it.
        let share = writes.len().div_ceil(concurrency.max(1)).max(1);
        let groups: Vec<_> = writes
            .chunks(share)
            .map(|group| {
                let group: Vec<WriteOp<String>> = group.iter().map(WriteOp::owned).collect();
                let (store, count) = (self.clone(), group.len());
                let written = blocking(
                    format!("writing {count} items in {}", self.path.display()),
                    move || Ok(group.into_iter().map(|w| store.write_now(w)).collect()),
                );
                async move {
                    written.await.unwrap_or_else(|e| {
                        let message = e.to_string();
                        (0..count)
                            .map(|_| {
                                Err(StoreError::Io {
                                    context: message.clone(),
                                    source: std::io::Error::other("not written"),
                                })
                            })
                            .collect::<Vec<WriteResult>>()
                    })
                }
            })
            .collect();
        futures_util::future::join_all(groups)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    async fn flush(&self) -> Result<(), StoreError> {
        let store = self.clone();
        blocking(format!("syncing {}", self.path.display()), move || {
            store.flush_now()
        })
        .await
    }

    async fn metadata(&self) -> Result<Metadata, StoreError> {
        let store = self.clone();
        blocking(
            format!("reading the metadata of {}", self.path.display()),
            move || store.metadata_now(),
        )
        .await
    }

    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError> {
        let (store, metadata) = (self.clone(), metadata.clone());
        blocking(
            format!("writing the metadata of {}", self.path.display()),
            move || store.set_metadata_now(&metadata),
        )
        .await
    }
}

#[cfg(test)]
mod tests;
