//! The daemon's state file (`<data_dir>/daemon.json`): per profile, the last
//! run, its result, the next run, whether its folder is watched and the
//! failures in a row. Written after every change (temporary file and
//! rename); `davsync status` reads it while the daemon runs.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DaemonState {
    /// The daemon's process id.
    pub pid: u32,
    /// When it started (RFC 3339).
    pub started: String,
    /// Its profiles, by name.
    pub profiles: Vec<ProfileState>,
}

/// One profile as the daemon sees it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ProfileState {
    /// The profile's name.
    pub name: String,
    /// When its last run (by the daemon) ended (RFC 3339).
    pub last_run: Option<String>,
    /// That run's result (`ok`, `warnings`, `errors`, `offline`).
    pub result: Option<String>,
    /// When it runs next (RFC 3339); `null`: only after a local change.
    pub next_run: Option<String>,
    /// Whether it is running now.
    pub running: bool,
    /// Whether its local folder is watched.
    pub watching: bool,
    /// Runs in a row that ended with errors.
    pub failures: u32,
}

/// `<data_dir>/daemon.json`.
pub(crate) fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("daemon.json")
}

/// `<data_dir>/locks/daemon.lock`: held while a daemon runs on the data directory.
pub(crate) fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("locks").join("daemon.lock")
}

impl DaemonState {
    /// Writes the file atomically.
    pub(crate) fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let path = path(data_dir);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, &path)
    }

    /// The state of the daemon running on `data_dir`, if one runs (its lock
    /// is held) and its file reads.
    pub(crate) fn of_running(data_dir: &Path) -> Option<DaemonState> {
        if !lock_path(data_dir).exists() {
            return None;
        }
        match davsync_sync::lock::ProfileLock::acquire(&lock_path(data_dir)) {
            // Nobody holds it: no daemon (the file is an old one's).
            Ok(_) => None,
            Err(davsync_sync::lock::LockError::Busy(_)) => {
                let text = std::fs::read_to_string(path(data_dir)).ok()?;
                serde_json::from_str(&text).ok()
            }
            Err(_) => None,
        }
    }

    /// The profile named `name`, if the daemon syncs it.
    pub(crate) fn profile(&self, name: &str) -> Option<&ProfileState> {
        self.profiles.iter().find(|p| p.name == name)
    }
}
