//! Items parsed on a second thread while a store's answer is still being
//! read. Reading a collection in full (a first sync) is one thread's work:
//! the answer's XML, then each item parsed, judged and parked, one after
//! the other, while the other core waits (the server is done with the
//! answer by then). Here the parsing (a third of that thread's time at
//! 10,000 events) moves to a thread of its own: the items go to it in
//! batches (one wake-up per batch, not per item) and come back parsed in
//! the order they came, to be judged and parked as before. A few batches
//! at most are on their way (a few hundred kilobytes).

use chrono::{DateTime, Utc};
use davsync_pim::{Item, ItemError};
use davsync_store::{Fetched, StoreError};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

/// Items handed to the parser at once.
const BATCH: usize = 16;

/// Batches waiting for the parser, besides the one it parses.
const WAITING: usize = 1;

/// An item read and parsed (or refused by the parser).
pub(super) struct Parsed {
    pub(super) href: String,
    pub(super) version: String,
    pub(super) modified: Option<DateTime<Utc>>,
    pub(super) item: Result<Item, ItemError>,
}

impl Parsed {
    /// Parses what a store read.
    pub(super) fn parse(fetched: Fetched) -> Parsed {
        let Fetched {
            href,
            version,
            body,
            modified,
        } = fetched;
        Parsed {
            href,
            version,
            modified,
            item: Item::parse(body),
        }
    }
}

/// What a store hands over: an item, or why one could not be read.
type Read<T> = Result<T, StoreError>;

/// The parser's thread and the batches on their way to it and back.
pub(super) struct ParseAhead {
    /// The batch being filled.
    batch: Vec<Read<Fetched>>,
    /// `None` where no thread could be started: items are parsed here.
    thread: Option<Thread>,
}

struct Thread {
    to: Option<SyncSender<Vec<Read<Fetched>>>>,
    back: Receiver<Vec<Read<Parsed>>>,
    handle: Option<JoinHandle<()>>,
}

impl ParseAhead {
    /// Starts the parser's thread (or, where none can be started, parses
    /// on the caller's).
    pub(super) fn start() -> ParseAhead {
        let (to, work) = sync_channel::<Vec<Read<Fetched>>>(WAITING);
        let (done, back) = channel();
        let spawned = std::thread::Builder::new()
            .name("davsync-parse".into())
            .spawn(move || {
                for batch in work {
                    let parsed = batch.into_iter().map(|r| r.map(Parsed::parse)).collect();
                    if done.send(parsed).is_err() {
                        return;
                    }
                }
            });
        let thread = spawned.ok().map(|handle| Thread {
            to: Some(to),
            back,
            handle: Some(handle),
        });
        ParseAhead {
            batch: Vec::with_capacity(BATCH),
            thread,
        }
    }

    /// Hands one item over; gives back those parsed meanwhile, in the
    /// order they were handed over.
    pub(super) fn put(&mut self, read: Read<Fetched>) -> Vec<Read<Parsed>> {
        let Some(thread) = &mut self.thread else {
            return vec![read.map(Parsed::parse)];
        };
        self.batch.push(read);
        if self.batch.len() == BATCH {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            thread.send(batch);
        }
        thread.ready()
    }

    /// Hands the last items over and waits for all to come back parsed.
    pub(super) fn finish(mut self) -> Vec<Read<Parsed>> {
        let batch = std::mem::take(&mut self.batch);
        let Some(thread) = &mut self.thread else {
            return batch.into_iter().map(|r| r.map(Parsed::parse)).collect();
        };
        if !batch.is_empty() {
            thread.send(batch);
        }
        // No more work: the thread ends once it has sent back the rest.
        thread.to = None;
        let mut out = Vec::new();
        for parsed in thread.back.iter() {
            out.extend(parsed);
        }
        thread.join();
        out
    }
}

impl Thread {
    /// Sends a batch, waiting while the parser is behind.
    fn send(&mut self, batch: Vec<Read<Fetched>>) {
        let sent = self.to.as_ref().map(|to| to.send(batch));
        if !matches!(sent, Some(Ok(()))) {
            // The thread is gone: only a panic ends it early.
            self.join();
        }
    }

    /// The batches parsed so far, flattened in order.
    fn ready(&self) -> Vec<Read<Parsed>> {
        let mut out = Vec::new();
        while let Ok(parsed) = self.back.try_recv() {
            out.extend(parsed);
        }
        out
    }

    /// Waits for the thread to end; its panic, if it panicked, goes on
    /// here (items it took would otherwise be silently missing).
    fn join(&mut self) {
        self.to = None;
        if let Some(handle) = self.handle.take()
            && let Err(panic) = handle.join()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for Thread {
    /// A read that failed half way drops what is on its way: the thread
    /// ends once it has parsed it.
    fn drop(&mut self) {
        self.to = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(n: usize) -> Read<Fetched> {
        if n % 7 == 3 {
            return Err(StoreError::NotFound {
                href: format!("{n}.ics"),
            });
        }
        let body = if n % 5 == 1 {
            "not an item".to_string()
        } else {
            format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u{n}\r\n\
                 DTSTART:20260101T100000Z\r\nSUMMARY:n{n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            )
        };
        Ok(Fetched {
            href: format!("{n}.ics"),
            version: format!("\"{n}\""),
            body,
            modified: None,
        })
    }

    /// Every item comes back once, in the order handed over, parsed as on
    /// the caller's thread; what could not be read passes through.
    #[test]
    fn items_come_back_parsed_in_the_order_they_went() {
        for count in [0, 1, BATCH - 1, BATCH, 5 * BATCH + 3] {
            let mut ahead = ParseAhead::start();
            let mut back = Vec::new();
            for n in 0..count {
                back.extend(ahead.put(fetched(n)));
            }
            back.extend(ahead.finish());
            assert_eq!(back.len(), count);
            for (n, got) in back.into_iter().enumerate() {
                let here = fetched(n).map(Parsed::parse);
                match (got, here) {
                    (Ok(got), Ok(here)) => {
                        assert_eq!(got.href, format!("{n}.ics"));
                        assert_eq!(got.version, here.version);
                        match (got.item, here.item) {
                            (Ok(a), Ok(b)) => assert_eq!(a.content_hash(), b.content_hash()),
                            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                            (a, b) => panic!("{n}: {:?} against {:?}", a.is_ok(), b.is_ok()),
                        }
                    }
                    (Err(got), Err(here)) => assert_eq!(got.to_string(), here.to_string()),
                    (got, _) => panic!("{n}: came back {}", got.is_ok()),
                }
            }
        }
    }
}
