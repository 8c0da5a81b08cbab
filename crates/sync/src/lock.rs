//! A per-profile lock, so two runs of one profile never overlap.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Held while a profile runs; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct ProfileLock {
    _file: File,
    path: PathBuf,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("another davsync run is syncing this profile (lock {0})")]
    Busy(PathBuf),
    /// The lock file could not be opened.
    #[error("lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl ProfileLock {
    /// Takes the lock at `path` without waiting.
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(ProfileLock {
                _file: file,
                path: path.to_path_buf(),
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Busy(path.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/p.lock");
        let first = ProfileLock::acquire(&path).unwrap();
        assert!(matches!(
            ProfileLock::acquire(&path),
            Err(LockError::Busy(_))
        ));
        drop(first);
        ProfileLock::acquire(&path).unwrap();
    }
}
