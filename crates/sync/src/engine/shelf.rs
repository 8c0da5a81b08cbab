//! A first download into an empty folder, a chunk at a time. The server's
//! items are parked whole (what reading them told, and their bodies) in the
//! run's spool as they arrive, and memory keeps each UID (end to end in one
//! string) and where its item lies; once all are read, the items are put in
//! the order of their UIDs (a UID held twice is found there), the UIDs
//! dropped, and a chunk at a time is taken back, planned and executed on the
//! usual path. Held in the snapshot instead, each item costs about 700
//! bytes from detection to the end of the run (100,000 events: 70 MB); on
//! the shelf, under 100 (its entry, its UID while reading, spare capacity).
//!
//! Why the order of UIDs: the status database keeps its rows in B-trees by
//! UID, and a chunk of rows in random order touches a page of each tree per
//! row, rewritten by every commit; in order, a chunk fills pages one after
//! the other. Measured with the database's statements alone, 100,000 rows
//! in chunks of 100 took 12.7 s in the order sent and 2.5 s in UID order.
//!
//! Only where the plan can hold nothing but copies into the folder: a
//! first sync (no status rows, no listing state), nothing of the profile in
//! the folder, a mode that takes the server's items in (two-way, replicate
//! or merge towards the folder), not a dry run. Then no decision depends on
//! another item, except that of a UID held twice, which the shelf finds
//! before anything is written, as detection does.

use super::execute::{Executor, flush_stores};
use super::plan::{Op, Plan};
use super::reader::Reader;
use super::*;

/// A side's items read onto the shelf; in the order they came until
/// [`Shelf::sort`], then in the order of their UIDs.
#[derive(Default)]
pub(super) struct Shelf {
    entries: Vec<Shelved>,
    /// The UIDs of `entries`, end to end (each entry knows its span);
    /// emptied by [`Shelf::sort`].
    uids: String,
}

/// One item on the shelf.
struct Shelved {
    at: Stored,
    /// Where its UID is in [`Shelf::uids`].
    uid_start: usize,
    uid_len: u32,
    /// A list or group vCard: written after the contacts (see
    /// [`Executor::execute`]).
    group: bool,
}

enum Stored {
    /// Parked in the spool: its facts as [`encode`] writes them, which name
    /// the slot of its parked body.
    Parked(Slot),
    /// Kept in memory: the spool could not take it.
    Held(Box<(String, Found)>),
}

impl Shelved {
    fn uid<'u>(&self, uids: &'u str) -> &'u str {
        &uids[self.uid_start..self.uid_start + self.uid_len as usize]
    }

    /// Its href, taken back from the spool if parked there.
    fn href(&self, reader: &Reader<'_, '_>) -> Option<String> {
        match &self.at {
            Stored::Held(held) => Some(held.1.href.clone()),
            Stored::Parked(slot) => take_back(reader, *slot).ok().map(|(_, f)| f.href),
        }
    }
}

impl Shelf {
    /// Items on the shelf.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Puts an item on the shelf (where it came: [`Shelf::sort`] orders them).
    pub(super) fn put(&mut self, reader: &mut Reader<'_, '_>, uid: String, found: Found) {
        let group = found.read.as_ref().is_some_and(|r| r.group);
        let parked = encode(&uid, &found).and_then(|text| reader.spool.as_ref()?.put(&text));
        let uid_start = self.uids.len();
        // A UID is part of an item's body, which is far below 4 GiB.
        let uid_len = u32::try_from(uid.len()).unwrap_or(u32::MAX);
        self.uids.push_str(&uid);
        let at = match parked {
            Some(slot) => Stored::Parked(slot),
            None => Stored::Held(Box::new((uid, found))),
        };
        self.entries.push(Shelved {
            at,
            uid_start,
            uid_len,
            group,
        });
    }

    /// Puts the items in the order of their UIDs, once all are read. A UID
    /// held twice is reported and left alone (with the first that came), as
    /// [`Reader::collect`] does.
    pub(super) fn sort(&mut self, reader: &mut Reader<'_, '_>, report: &mut Report, side: Side) {
        let Shelf { entries, uids } = self;
        // Stable: of the items with one UID, the first that came stays.
        entries.sort_by(|a, b| a.uid(uids).cmp(b.uid(uids)));
        entries.dedup_by(|later, first| {
            let uid = later.uid(uids);
            if uid != first.uid(uids) {
                return false;
            }
            let other = first.href(reader);
            let other = other.as_deref().unwrap_or("another item");
            let href = later.href(reader);
            let href = href.as_deref().unwrap_or("another item");
            let message = held_twice(uid, other, href);
            report.item_message(false, side, Some(href), Some(uid), message);
            reader.untouchable.insert(uid.to_string());
            true
        });
        // Held through the writing, where memory peaks: no spare capacity
        // (a vector doubled as the items came is up to half empty).
        entries.shrink_to_fit();
        *uids = String::new();
    }
}

/// The report's words for a UID that two items of one side hold.
pub(super) fn held_twice(uid: &str, one: &str, other: &str) -> String {
    format!("UID {uid} is held by both {one} and {other}; both are left alone until one is removed")
}

/// Takes an item's facts back from the spool.
fn take_back(reader: &Reader<'_, '_>, slot: Slot) -> std::io::Result<(String, Found)> {
    let spool = reader
        .spool
        .as_ref()
        .ok_or_else(|| std::io::Error::other("no scratch file"))?;
    let text = spool.get(slot)?;
    decode(&text).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "an item's facts in the scratch file are unreadable",
        )
    })
}

impl Executor<'_, '_, '_> {
    /// Takes the shelf's items back a chunk at a time (lists and groups
    /// last), each chunk planned on its own into `snapshot`'s server side and
    /// executed as any chunk is. A chunk's items are dropped once it is done.
    pub(super) async fn execute_shelf(
        &mut self,
        shelf: Shelf,
        snapshot: &mut Snapshot,
    ) -> Result<(), EngineError> {
        let keys = self.job.options.duplicates.on();
        if keys {
            self.job.status.set_key_index_aside()?;
        }
        let written = self.write_shelf(shelf, snapshot).await;
        if keys {
            self.job.status.restore_key_index()?;
        }
        written
    }

    /// Writes the shelf a chunk at a time. Into a folder (a store that makes
    /// no request), [`COMMIT_EVERY`] chunks share one transaction: each is
    /// sent and its rows recorded in turn, then their files are made durable
    /// at once and the rows committed; memory holds one chunk as before, and
    /// the folder is flushed a tenth as often. A store that talks to a
    /// server gets a commit per chunk: no transaction is held
    /// while a request is made. (Nor does a folder plan the names of its new
    /// files, `Store::planned_href`: `note_creates` journals nothing there,
    /// and so opens no transaction inside the one held.)
    async fn write_shelf(
        &mut self,
        shelf: Shelf,
        snapshot: &mut Snapshot,
    ) -> Result<(), EngineError> {
        let planned = shelf.len();
        // A line each in the report: its list made at its size at once, not
        // doubled past it as lines come (10,000 events: 0.8 MB instead of 1.3).
        self.report.items.reserve(planned);
        let Shelf { mut entries, .. } = shelf;
        let groups: Vec<Shelved> = entries.extract_if(.., |e| e.group).collect();
        let job = self.job;
        let grouped = job.store(Side::Local).requests().is_none();
        let mut done = 0;
        for part in [entries, groups] {
            let mut part = part.into_iter().peekable();
            while part.peek().is_some() {
                self.before_chunk(done, planned)?;
                if !grouped {
                    let (ops, size) = self.take_chunk(&mut part, snapshot)?;
                    done += size;
                    self.execute_chunk(ops, snapshot).await?;
                    // What was not planned (a UID held twice) goes too.
                    snapshot[Side::Server].items.clear();
                    continue;
                }
                let transaction = job.status.transaction()?;
                let mut failed = None;
                for i in 0..COMMIT_EVERY {
                    if part.peek().is_none() {
                        break;
                    }
                    if i > 0 {
                        // A stop asked for ends the run after what is sent.
                        if job.stopping() {
                            break;
                        }
                        job.tell(Progress::Done { done, planned });
                    }
                    let sent = match self.take_chunk(&mut part, snapshot) {
                        Ok((ops, size)) => {
                            done += size;
                            self.send_chunk(ops, snapshot).await
                        }
                        Err(e) => Err(e),
                    };
                    match sent {
                        Ok(chunk) => self.record_chunk(chunk, snapshot),
                        Err(e) => failed = Some(e),
                    }
                    snapshot[Side::Server].items.clear();
                    if failed.is_some() {
                        break;
                    }
                }
                // As in `execute_chunk`: committed once what the rows name
                // is durable (a failed flush rolls them back), and what was
                // recorded before an error is kept.
                flush_stores(job).await?;
                transaction.commit()?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
        }
        self.job.tell(Progress::Done {
            done: planned,
            planned,
        });
        Ok(())
    }

    /// Takes the next chunk back from the shelf into `snapshot` and plans
    /// it: its operations, and how many items it took.
    fn take_chunk(
        &mut self,
        part: &mut std::iter::Peekable<std::vec::IntoIter<Shelved>>,
        snapshot: &mut Snapshot,
    ) -> Result<(Vec<Op>, usize), EngineError> {
        let mut size = 0;
        for entry in part.by_ref().take(self.job.options.batch_size.max(1)) {
            let (uid, found) = match entry.at {
                Stored::Held(held) => *held,
                Stored::Parked(slot) => {
                    let (uid, mut found) =
                        take_back(self.reader, slot).map_err(EngineError::Scratch)?;
                    // Its body was parked just before its facts: taken back
                    // now, it comes from the same read (see `Spool::get`).
                    self.reader.unpark(&mut found);
                    (uid, found)
                }
            };
            snapshot[Side::Server].items.insert(uid, found);
            size += 1;
        }
        let plan = Plan::make(
            &self.reader.known.rows,
            &self.reader.untouchable,
            snapshot,
            self.job.options.mode,
            self.job.options.conflicts,
        );
        self.report.unchanged += plan.unchanged.len();
        Ok((plan.ops, size))
    }
}

/// Chunks of a first download into a folder committed together (see
/// `Executor::write_shelf`).
const COMMIT_EVERY: usize = 10;

/// An item's facts as text for the spool: its UID, href, version, hashes,
/// summary, time and body's slot, each field its length, a colon and its
/// text (`-`: none). `None` for an item whose body is not parked.
fn encode(uid: &str, found: &Found) -> Option<String> {
    let read = found.read.as_ref()?;
    let body = read.spooled?;
    if found.item.is_some() {
        return None;
    }
    let modified = read
        .modified
        .map(|t| format!("{}.{}", t.timestamp(), t.timestamp_subsec_nanos()));
    let (offset, len) = body.parts();
    let fields = [
        Some(uid.to_string()),
        Some(found.href.clone()),
        Some(found.version.clone()),
        Some(found.hash.to_string()),
        read.mapped_hash.as_ref().map(Hash::to_string),
        read.summary.clone(),
        modified,
        Some(format!("{offset}.{len}")),
        Some(format!(
            "{}{}",
            u8::from(found.changed),
            u8::from(read.group)
        )),
    ];
    let mut out = String::new();
    for field in fields {
        match field {
            Some(text) => {
                out.push_str(&text.len().to_string());
                out.push(':');
                out.push_str(&text);
            }
            None => out.push('-'),
        }
    }
    Some(out)
}

/// The facts [`encode`] wrote; `None` when the text is not such.
fn decode(text: &str) -> Option<(String, Found)> {
    let mut rest = text;
    let mut field = || -> Option<Option<&str>> {
        if let Some(after) = rest.strip_prefix('-') {
            rest = after;
            return Some(None);
        }
        let (len, after) = rest.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let value = after.get(..len)?;
        rest = &after[len..];
        Some(Some(value))
    };
    let uid = field()??.to_string();
    let href = field()??.to_string();
    let version = field()??.to_string();
    let hash = Hash::new(field()??);
    let mapped_hash = field()?.map(Hash::new);
    let summary = field()?.map(str::to_string);
    let modified = match field()? {
        Some(t) => {
            let (secs, nanos) = t.split_once('.')?;
            Some(DateTime::from_timestamp(
                secs.parse().ok()?,
                nanos.parse().ok()?,
            )?)
        }
        None => None,
    };
    let (offset, len) = field()??.split_once('.')?;
    let spooled = Slot::from_parts(offset.parse().ok()?, len.parse().ok()?);
    let flags = field()??.as_bytes();
    let [changed, group] = flags else {
        return None;
    };
    if !rest.is_empty() {
        return None;
    }
    let found = Found {
        href,
        version,
        hash,
        changed: *changed == b'1',
        item: None,
        read: Some(Box::new(ReadFacts {
            spooled: Some(spooled),
            modified,
            summary,
            mapped_hash,
            group: *group == b'1',
        })),
    };
    Some((uid, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(summary: Option<&str>, modified: Option<DateTime<Utc>>, group: bool) -> Found {
        Found {
            href: "/cal/a:b-1.ics".into(),
            version: "\"12:34\"".into(),
            hash: Hash::new(&"ab".repeat(32)),
            changed: true,
            item: None,
            read: Some(Box::new(ReadFacts {
                spooled: Some(Slot::from_parts(1 << 40, 77)),
                modified,
                summary: summary.map(str::to_string),
                mapped_hash: None,
                group,
            })),
        }
    }

    fn same(a: &Found, b: &Found) -> bool {
        let (ra, rb) = (a.read.as_ref().unwrap(), b.read.as_ref().unwrap());
        a.href == b.href
            && a.version == b.version
            && a.hash == b.hash
            && a.changed == b.changed
            && ra.spooled == rb.spooled
            && ra.modified == rb.modified
            && ra.summary == rb.summary
            && ra.mapped_hash == rb.mapped_hash
            && ra.group == rb.group
    }

    #[test]
    fn facts_come_back_as_they_were_written() {
        let time = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let cases = [
            (
                "uid-1",
                found(Some("Zoë: 3:4 - meeting"), Some(time), false),
            ),
            ("", found(None, None, true)),
            ("5:x-", found(Some(""), Some(time), false)),
            ("ünï\r\ncode", found(Some("-"), None, true)),
        ];
        for (uid, item) in cases {
            let text = encode(uid, &item).unwrap();
            let (back_uid, back) = decode(&text).unwrap();
            assert_eq!(back_uid, uid);
            assert!(same(&item, &back), "{text}");
        }
        let mut other = found(None, None, false);
        other.hash = Hash::new("not a sha");
        other.read.as_mut().unwrap().mapped_hash = Some(Hash::new(&"cd".repeat(32)));
        let (_, back) = decode(&encode("u", &other).unwrap()).unwrap();
        assert!(same(&other, &back));
    }

    #[test]
    fn an_item_held_in_memory_is_not_encoded() {
        let mut item = found(None, None, false);
        item.read.as_mut().unwrap().spooled = None;
        assert!(encode("u", &item).is_none());
    }

    #[test]
    fn damaged_facts_are_refused() {
        let text = encode("uid-1", &found(Some("s"), None, false)).unwrap();
        for cut in [0, 1, text.len() / 2, text.len() - 1] {
            assert!(decode(&text[..cut]).is_none(), "{cut}");
        }
        assert!(decode(&format!("{text}x")).is_none());
        assert!(decode(&text.replacen("5:", "9:", 1)).is_none());
    }
}
