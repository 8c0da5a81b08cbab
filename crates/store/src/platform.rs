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

/// Makes the contents of `files` (written into `dir` without a sync each)
/// durable, all at once: on Linux one `syncfs` of the folder's file system
/// (the kernel writes them out together, with one journal commit); on macOS
/// `F_FULLFSYNC` on the folder after an fsync of each file (a plain fsync
/// there does not reach the disk's platters); elsewhere an fsync of each.
/// A file removed since is skipped: what replaced or deleted it is synced by
/// then or by the folder's sync.
pub(crate) fn sync_files(dir: &Path, files: &[std::path::PathBuf]) -> std::io::Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    sync_all_of(dir, files)
}

#[cfg(target_os = "linux")]
fn sync_all_of(dir: &Path, _files: &[std::path::PathBuf]) -> std::io::Result<()> {
    let folder = File::open(dir)?;
    rustix::fs::syncfs(&folder).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn sync_all_of(dir: &Path, files: &[std::path::PathBuf]) -> std::io::Result<()> {
    for path in files {
        // Windows flushes a file only through a handle that may write to it.
        let open = std::fs::OpenOptions::new()
            .read(true)
            .write(cfg!(windows))
            .open(path);
        match open {
            Ok(file) => file.sync_all()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(target_os = "macos")]
    {
        let folder = File::open(dir)?;
        rustix::fs::fcntl_fullfsync(&folder).map_err(std::io::Error::from)?;
    }
    #[cfg(not(target_os = "macos"))]
    let _ = dir;
    Ok(())
}

/// Moves `from` to `to` unless `to` exists, in one call where the system has
/// one (Linux's `renameat2` with `RENAME_NOREPLACE`): `Ok(false)` when it
/// cannot (another system, or a file system without the flag), and the
/// caller links and unlinks instead; an `AlreadyExists` error when `to` is
/// there.
#[cfg(target_os = "linux")]
pub(crate) fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// See the Linux version: elsewhere the caller links and unlinks.
#[cfg(not(target_os = "linux"))]
pub(crate) fn rename_no_replace(_from: &Path, _to: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// A new file in `dir` that has no name yet (Linux's `O_TMPFILE`), to be
/// written and then given its name by [`name_unnamed`]: a crash before that
/// leaves nothing behind, and naming it changes the folder once, where a
/// temporary name and a rename change it twice (a first download of 10,000
/// files with four at a time: about half the time, measured on ext4).
/// `Ok(None)` where the system or the file system has no such files.
#[cfg(target_os = "linux")]
pub(crate) fn unnamed_file(dir: &Path) -> std::io::Result<Option<File>> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    use rustix::io::Errno;
    let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
    // The mode of a file `File::create` makes (the umask applies).
    match openat(CWD, dir, flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// See the Linux version: elsewhere there are no unnamed files.
#[cfg(not(target_os = "linux"))]
pub(crate) fn unnamed_file(_dir: &Path) -> std::io::Result<Option<File>> {
    Ok(None)
}

/// Gives a file from [`unnamed_file`] the name `to`, unless `to` exists (an
/// `AlreadyExists` error). Through `/proc/self/fd`, which needs no
/// privilege (unlike `AT_EMPTY_PATH`); an `Unsupported` error when it cannot
/// be named so (no `/proc`, say): the caller writes the file the usual way
/// instead.
#[cfg(target_os = "linux")]
pub(crate) fn name_unnamed(file: &File, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    use rustix::io::Errno;
    use std::os::fd::AsRawFd;
    let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
    match linkat(CWD, proc.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(()),
        Err(Errno::EXIST) => Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
        // The usual way then meets (and reports) a real problem, such as
        // a folder removed meanwhile.
        Err(_) => Err(std::io::Error::from(std::io::ErrorKind::Unsupported)),
    }
}

/// See the Linux version.
#[cfg(not(target_os = "linux"))]
pub(crate) fn name_unnamed(_file: &File, _to: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Where the file system has the flag, one call moves or refuses;
    /// where it has not, nothing is touched and the caller links instead.
    #[test]
    fn a_rename_that_refuses_to_replace_keeps_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        let refused = rename_no_replace(&a, &b);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "b");
        match refused {
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists),
            Ok(moved) => assert!(!moved, "a rename over an existing file"),
        }
        if rename_no_replace(&a, &c).unwrap() {
            assert!(!a.exists());
            assert_eq!(std::fs::read_to_string(&c).unwrap(), "a");
        } else {
            assert!(a.exists() && !c.exists());
        }
    }
}
