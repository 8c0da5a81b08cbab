//! A run's scratch file for items: what the scan reads is parked on disk (in
//! its parked form, `Item::park`: taken back without a second parse) until
//! its decision runs, so that memory holds one chunk of bodies at a time
//! however large the collection (50,000 events are about 70 MB of text).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

/// Where a body lies in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    offset: u64,
    len: u32,
}

impl Slot {
    /// Where the body starts, and its length in bytes.
    pub(crate) fn parts(self) -> (u64, u32) {
        (self.offset, self.len)
    }

    /// The slot `parts` told.
    pub(crate) fn from_parts(offset: u64, len: u32) -> Slot {
        Slot { offset, len }
    }
}

/// An unnamed temporary file (deleted by the system when the run ends or
/// dies), created readable by its owner only: it holds user data.
pub(crate) struct Spool {
    file: Mutex<(File, u64)>,
}

impl Spool {
    /// A fresh spool in `dir` (the system's temporary folder when `None`).
    pub(crate) fn new(dir: Option<&Path>) -> std::io::Result<Spool> {
        let file = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                tempfile::tempfile_in(dir)?
            }
            None => tempfile::tempfile()?,
        };
        Ok(Spool {
            file: Mutex::new((file, 0)),
        })
    }

    /// Appends `body`; `None` when it cannot be parked (the caller keeps it in
    /// memory instead: a full disk slows the run down, it does not fail it).
    pub(crate) fn put(&self, body: &str) -> Option<Slot> {
        let len = u32::try_from(body.len()).ok()?;
        let mut guard = self.file.lock().ok()?;
        let (file, end) = &mut *guard;
        let offset = *end;
        file.seek(SeekFrom::Start(offset)).ok()?;
        file.write_all(body.as_bytes()).ok()?;
        *end += u64::from(len);
        Some(Slot { offset, len })
    }

    /// Reads back a body parked by `put`.
    pub(crate) fn get(&self, slot: Slot) -> std::io::Result<String> {
        let mut guard = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("spool lock poisoned"))?;
        let (file, _) = &mut *guard;
        file.seek(SeekFrom::Start(slot.offset))?;
        let mut bytes = vec![0; slot.len as usize];
        file.read_exact(&mut bytes)?;
        String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_come_back_as_parked_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(Some(dir.path())).unwrap();
        let bodies = [
            "",
            "BEGIN:VCARD\r\nFN:Zoë\r\nEND:VCARD\r\n",
            "x",
            &"y".repeat(100_000),
        ];
        let slots: Vec<Slot> = bodies.iter().map(|b| spool.put(b).unwrap()).collect();
        for (body, slot) in bodies.iter().zip(&slots).rev() {
            assert_eq!(spool.get(*slot).unwrap(), *body);
        }
        // The file is unnamed: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
