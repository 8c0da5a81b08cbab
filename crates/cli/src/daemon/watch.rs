//! Watching a profile's local folder: file system events become a run
//! (debounced) unless they are davsync's own writes, which the status
//! database already records with the versions they left behind.

use davsync_store::{Store, VdirStore};
use davsync_sync::StatusDb;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// How long a folder must be quiet after a change before the run starts
/// (an editor writes a file in several steps; a sync tool many files).
pub(super) const DEBOUNCE: std::time::Duration = std::time::Duration::from_secs(2);

/// A file system event for a profile: its name and the paths touched.
pub(super) type Event = (String, Vec<PathBuf>);

/// Starts watching `folder` for profile `name`; events go to `events`.
pub(super) fn watch(
    name: &str,
    folder: &Path,
    events: UnboundedSender<Event>,
) -> notify::Result<RecommendedWatcher> {
    let profile = name.to_string();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        match event {
            Ok(event) if !event.kind.is_access() => {
                // The daemon gone: nothing to tell any more.
                let _ = events.send((profile.clone(), event.paths));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("watching the folder of {profile}: {e}"),
        }
    })?;
    watcher.watch(folder, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Whether any of `paths` (in the folder `folder` of items ending in
/// `extension`) differs from what the status database at `db` records: a
/// file that is new, changed or gone since the last run. davsync's own
/// writes are recorded there with the version they left, so they are not
/// changes; nor are files of other kinds (temporary files, say). When in
/// doubt (no database, a folder that cannot be listed): a change.
pub(super) async fn changed_since_last_run(
    folder: &Path,
    extension: &str,
    db: &Path,
    paths: &BTreeSet<PathBuf>,
) -> bool {
    let names: BTreeSet<String> = paths
        .iter()
        .filter(|p| p.parent() == Some(folder))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .collect();
    if names.is_empty() {
        return false;
    }
    let Ok(store) = VdirStore::open(folder, extension) else {
        return true;
    };
    let Ok(listed) = store.list().await else {
        return true;
    };
    if !db.exists() {
        return true;
    }
    let Ok(status) = StatusDb::open(db) else {
        return true;
    };
    let mut recorded: HashMap<String, String> = HashMap::new();
    let read = status.each(|row| {
        if names.contains(&row.local.href) {
            recorded.insert(row.local.href, row.local.version);
        }
    });
    if read.is_err() {
        return true;
    }
    let now: HashMap<&str, &str> = listed
        .iter()
        .filter(|l| names.contains(&l.href))
        .map(|l| (l.href.as_str(), l.version.as_str()))
        .collect();
    names.iter().any(|name| {
        match (now.get(name.as_str()), recorded.get(name)) {
            (Some(version), Some(known)) => {
                *version != known && !store.still_is(name, version, known)
            }
            // New, or gone since the last run.
            (Some(_), None) | (None, Some(_)) => true,
            // Made and removed again (a temporary file by that name).
            (None, None) => false,
        }
    })
}
