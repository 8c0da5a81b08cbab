//! The layout of the data directory: one status database, report folder, lock
//! and trash per profile, and the marker of the retention note.

use davsync_sync::Side;
use std::path::PathBuf;

/// The data directory.
pub(crate) struct DataDir(pub PathBuf);

impl DataDir {
    /// `status/<profile>.sqlite`
    pub(crate) fn status_db(&self, profile: &str) -> PathBuf {
        self.0.join("status").join(format!("{profile}.sqlite"))
    }

    /// `reports/<profile>/`
    pub(crate) fn reports(&self, profile: &str) -> PathBuf {
        self.0.join("reports").join(profile)
    }

    /// `locks/<profile>.lock`
    pub(crate) fn lock(&self, profile: &str) -> PathBuf {
        self.0.join("locks").join(format!("{profile}.lock"))
    }

    /// `trash/<profile>/<side>/`: every item davsync overwrote or deleted in a folder.
    pub(crate) fn trash(&self, profile: &str, side: Side) -> PathBuf {
        self.0.join("trash").join(profile).join(side.to_string())
    }

    /// `retention-noted`: there once pruning has said that it is new (said once
    /// per data directory).
    pub(crate) fn retention_noted(&self) -> PathBuf {
        self.0.join("retention-noted")
    }
}
