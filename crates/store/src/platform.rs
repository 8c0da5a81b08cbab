//! The few platform-specific calls of the vdir store, each with a portable fallback.

use std::fs::{File, Metadata};
use std::path::Path;

/// A cheap version string: modification time in nanoseconds, size, and (on Unix) inode.
pub(crate) fn stat_version(meta: &Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{mtime}-{}{}", meta.len(), inode_suffix(meta))
}

#[cfg(unix)]
fn inode_suffix(meta: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("-{}", meta.ino())
}

#[cfg(not(unix))]
fn inode_suffix(_meta: &Metadata) -> String {
    String::new()
}

/// Makes a rename or unlink in `dir` durable (a no-op where directories cannot be opened).
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
