//! A run's scratch file for items: what the scan reads is parked on disk (in
//! its parked form, `Item::park`: taken back without a second parse) until
//! its decision runs, so that memory holds one chunk of bodies at a time
//! however large the collection (50,000 events are about 70 MB of text).

use std::fs::File;
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
/// dies), created readable by its owner only: it holds user data. What is
/// put in is gathered in memory and written a block at a time (a first
/// download puts two records an item: a system call each would cost more
/// than the rest of the spool's work).
pub(crate) struct Spool {
    file: Mutex<Inner>,
}

struct Inner {
    file: File,
    /// Bytes in the file.
    written: u64,
    /// Bytes put since, to be written at `written`.
    pending: Vec<u8>,
    /// The bytes last read from the file, from the offset held: the read
    /// that follows is often of the bytes just before (see [`BEHIND`]).
    window: (u64, Vec<u8>),
    /// Reads from the file so far.
    reads: u64,
}

/// Bytes read besides a slot, before it: what is put together is taken back
/// together, the later first (a first download parks an item's body, then
/// its facts; it reads the facts back, then the body): one read for both.
const BEHIND: u64 = 1 << 14;

/// What the spool gathers before it writes (a first download of 10,000
/// events, 14 MB of text: about 60 writes).
const BLOCK: usize = 1 << 18;

impl Inner {
    /// Writes what is pending; a buffer that one large body grew past a
    /// block goes.
    fn write_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        write_at(&self.file, &self.pending, self.written)?;
        self.written += self.pending.len() as u64;
        if self.pending.capacity() > BLOCK {
            self.pending = Vec::new();
        } else {
            self.pending.clear();
        }
        Ok(())
    }
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
            file: Mutex::new(Inner {
                file,
                written: 0,
                pending: Vec::new(),
                window: (0, Vec::new()),
                reads: 0,
            }),
        })
    }

    /// Appends `body`; `None` when it cannot be parked (the caller keeps it in
    /// memory instead: a full disk slows the run down, it does not fail it).
    /// A failure to write what was put before shows when that is taken back.
    pub(crate) fn put(&self, body: &str) -> Option<Slot> {
        let len = u32::try_from(body.len()).ok()?;
        let mut inner = self.file.lock().ok()?;
        if inner.pending.len() + body.len() > BLOCK {
            inner.write_pending().ok()?;
        }
        if inner.pending.capacity() == 0 {
            // One block at once: grown by doubling from one body's size, the
            // buffer ended up half again as large as a block.
            inner.pending.reserve_exact(BLOCK.max(body.len()));
        }
        let offset = inner.written + inner.pending.len() as u64;
        inner.pending.extend_from_slice(body.as_bytes());
        Some(Slot { offset, len })
    }

    /// Writes what is pending and lets the buffer go, for a run whose
    /// reading is over (it takes bodies back, and seldom puts one): the
    /// buffer would otherwise be held to the end, through the writing,
    /// where memory peaks. A failed write keeps what is pending in memory.
    pub(crate) fn settle(&self) {
        if let Ok(mut inner) = self.file.lock()
            && inner.write_pending().is_ok()
        {
            inner.pending = Vec::new();
        }
    }

    /// Reads back a body parked by `put`; a read from the file takes up to
    /// [`BEHIND`] bytes before it too, kept for the next one.
    pub(crate) fn get(&self, slot: Slot) -> std::io::Result<String> {
        let mut inner = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("spool lock poisoned"))?;
        let mut bytes = vec![0; slot.len as usize];
        let end = slot.offset + u64::from(slot.len);
        if end > inner.written {
            if slot.offset >= inner.written {
                // Still in memory.
                let start = (slot.offset - inner.written) as usize;
                let pending = inner
                    .pending
                    .get(start..start + bytes.len())
                    .ok_or_else(|| std::io::Error::other("no such slot in the spool"))?;
                bytes.copy_from_slice(pending);
                return utf8(bytes);
            }
            inner.write_pending()?;
        }
        let (at, window) = &inner.window;
        if let Some(start) = slot.offset.checked_sub(*at)
            && let Some(held) = window.get(start as usize..start as usize + bytes.len())
        {
            bytes.copy_from_slice(held);
            return utf8(bytes);
        }
        inner.reads += 1;
        if u64::from(slot.len) > BEHIND {
            // A large body alone (the window stays small).
            read_at(&inner.file, &mut bytes, slot.offset)?;
            return utf8(bytes);
        }
        // Written and not in the window: read with what lies just before it.
        let from = slot.offset.saturating_sub(BEHIND);
        let Inner { file, window, .. } = &mut *inner;
        window.1.resize((end - from) as usize, 0);
        window.0 = from;
        if let Err(e) = read_at(file, &mut window.1, from) {
            window.1.clear();
            return Err(e);
        }
        bytes.copy_from_slice(&window.1[(slot.offset - from) as usize..]);
        utf8(bytes)
    }
}

fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(unix)]
fn read_at(file: &File, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn read_at(mut file: &File, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(bytes)
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
        // Bodies across the block size: some written, some still gathered.
        let big: Vec<String> = (0..40).map(|i| format!("{i:>3}").repeat(10_000)).collect();
        let big_slots: Vec<Slot> = big.iter().map(|b| spool.put(b).unwrap()).collect();
        for (body, slot) in big.iter().zip(&big_slots).rev() {
            assert_eq!(spool.get(*slot).unwrap(), *body);
        }
        for (body, slot) in bodies.iter().zip(&slots) {
            assert_eq!(spool.get(*slot).unwrap(), *body);
        }
        // The file is unnamed: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// An item's body, put just before its facts, is taken back with them
    /// in one read: at most one read a pair, whatever order the pairs come
    /// back in (two before).
    #[test]
    fn what_was_put_just_before_comes_from_the_same_read() {
        let spool = Spool::new(None).unwrap();
        let body = "BEGIN:VEVENT\r\nSUMMARY:körper\r\nEND:VEVENT\r\n".repeat(20);
        let count = 500;
        let pairs: Vec<(Slot, Slot)> = (0..count)
            .map(|i| {
                let b = spool.put(&format!("{i}{body}")).unwrap();
                (b, spool.put(&format!("facts of {i}")).unwrap())
            })
            .collect();
        spool.settle();
        let reads = || spool.file.lock().unwrap().reads;
        // Taken back in another order than put (as a shelf sorted by UID does).
        for i in (0..count).map(|k| k * 7 % count) {
            let (b, f) = pairs[i];
            let before = reads();
            assert_eq!(spool.get(f).unwrap(), format!("facts of {i}"));
            let facts_read = reads() - before;
            assert_eq!(spool.get(b).unwrap(), format!("{i}{body}"));
            assert!(reads() - before <= 1, "{i}: one read for both");
            if facts_read == 1 {
                assert_eq!(reads() - before, 1, "{i}: the body came with its facts");
            }
        }
        assert!(
            reads() <= count as u64,
            "{} reads for {count} pairs",
            reads()
        );
        // A body larger than the window is read whole, and then what follows it.
        let big = "q".repeat(BEHIND as usize + 5);
        let b = spool.put(&big).unwrap();
        let f = spool.put("after").unwrap();
        spool.settle();
        assert_eq!(spool.get(f).unwrap(), "after");
        assert_eq!(spool.get(b).unwrap(), big);
        assert_eq!(spool.get(pairs[0].0).unwrap(), format!("0{body}"));
        assert_eq!(spool.get(f).unwrap(), "after");
    }

    fn buffer(spool: &Spool) -> usize {
        spool.file.lock().unwrap().pending.capacity()
    }

    #[test]
    fn the_buffer_holds_a_block_and_goes_when_settled() {
        let spool = Spool::new(None).unwrap();
        let body = "BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n".repeat(30);
        let mut slots = Vec::new();
        for _ in 0..2 * BLOCK / body.len() {
            slots.push(spool.put(&body).unwrap());
            assert_eq!(buffer(&spool), BLOCK, "one block, never doubled past it");
        }
        // A body larger than a block has a buffer of its size, let go once written.
        let large = "z".repeat(BLOCK + 10);
        let large_slot = spool.put(&large).unwrap();
        let after = spool.put(&body).unwrap();
        assert_eq!(buffer(&spool), BLOCK);
        spool.settle();
        assert_eq!(buffer(&spool), 0, "settled: no buffer held");
        assert_eq!(spool.get(large_slot).unwrap(), large);
        assert_eq!(spool.get(after).unwrap(), body);
        for slot in slots {
            assert_eq!(spool.get(slot).unwrap(), body);
        }
        // Put after settling: gathered again, and found.
        let again = spool.put("again").unwrap();
        assert_eq!(spool.get(again).unwrap(), "again");
    }
}
