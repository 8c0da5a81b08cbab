//! A folder that answers as a server does, for engine tests without a
//! server: ETags that change with the content only, a sync token, the
//! changes since a token in the shape a chosen server gives them, and the
//! engine's read-back before overwrites. The
//! folder stays the truth: a test edits its files as another client would
//! edit the collection, and the store's writes go through [`VdirStore`]
//! (with its trash). Every method of [`Store`] is forwarded or answered here,
//! so the engine meets the same behaviour as with a real store.
//!
//! Three misbehaviours of real servers can be switched on ([`Faults`]): lost
//! answers (a write is done, but the client hears a failure) and lying ETags
//! (an item's content changes and its ETag does not); and forgotten tokens
//! (the changes since a token are its full listing in disguise, with
//! nothing named as deleted). The store's change log
//! follows the content, not the ETags: a delta names an item whose content
//! changed under a kept ETag, as a server's own log of writes would.

use async_trait::async_trait;
use davsync_store::{
    ChangeSet, Changes, Fetched, Href, Listed, Metadata, ServerFailure, Store, StoreError,
    VdirStore, Written,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How the changes since a token speak of an item created after the token
/// and deleted since (RFC 6578 allows both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaShape {
    /// Named as deleted, as Radicale and SOGo do.
    NamesGone,
    /// Not named at all, as Xandikos does.
    OmitsGone,
}

impl DeltaShape {
    /// Every shape.
    pub const ALL: [DeltaShape; 2] = [DeltaShape::NamesGone, DeltaShape::OmitsGone];
}

/// How a lost answer reaches the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LostAs {
    /// A transport failure (the connection dropped after the request).
    #[default]
    Transport,
    /// The refusal of the request's repeat (a client library that sent it
    /// again): a create hears "already exists", an update "precondition
    /// failed", a delete "not found".
    RefusedRepeat,
}

/// Misbehaviours of a [`ServerShaped`] store, each off by default. The
/// masks choose which events misbehave: event `n` does if bit `n % 8` is set
/// (deterministic, so that a failing case replays and shrinks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Lost answers: the store's `n`-th write (creates, updates and deletes,
    /// counted from 0 by each store) is done, and its answer lost.
    pub lost_answers: u8,
    /// How a lost answer shows.
    pub lost_as: LostAs,
    /// Answers to deletes are never lost (only to creates and updates).
    pub deletes_answered: bool,
    /// Lying ETags: the `n`-th change of an existing item's content that the
    /// server sees (its own writes and other clients' edits alike, counted
    /// over the [`TokenLog`]'s life) keeps the item's ETag.
    pub lying_etags: u8,
    /// Forgotten tokens: the `n`-th request for the changes since a token
    /// (counted over the [`TokenLog`]'s life) is answered with the full
    /// listing, passed off as the changes, as SOGo and DAViCal answer a
    /// token they do not know: what was deleted since is not named.
    pub forgotten_tokens: u8,
}

/// The ETag an item has, and the content it was given for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    etag: String,
    content: u64,
}

/// What the server remembers between runs.
#[derive(Debug, Default)]
struct Memory {
    /// Per token: every item then, and the hrefs created through the store since.
    tokens: Vec<(BTreeMap<Href, Tag>, BTreeSet<Href>)>,
    /// Every item's current ETag.
    etags: HashMap<Href, Tag>,
    /// Changes of content seen so far (what the lying mask counts).
    changes: usize,
    /// Changes of content hidden under a kept ETag so far.
    lies: usize,
    /// Answers lost so far.
    lost: usize,
    /// Requests for the changes since a known token so far.
    deltas: usize,
    /// Whether an answer in disguise left out a deletion that no full
    /// listing has shown since.
    blind: bool,
}

/// What the store remembers between runs, as a server does: the listing
/// behind every token it gave, the items it created since each, the ETags
/// it gave; and, for the test, how often it misbehaved.
#[derive(Debug, Default)]
pub struct TokenLog {
    memory: Mutex<Memory>,
}

impl TokenLog {
    /// How many changes of content were hidden under a kept ETag so far.
    pub fn lies(&self) -> usize {
        self.memory.lock().unwrap().lies
    }

    /// How many answers were lost so far.
    pub fn lost_answers(&self) -> usize {
        self.memory.lock().unwrap().lost
    }

    /// Whether a full listing in disguise left out a deletion that the
    /// client has not been shown since (by a full listing): until it is,
    /// the client cannot know of it.
    pub fn blind(&self) -> bool {
        self.memory.lock().unwrap().blind
    }
}

/// A folder answering as a server collection (see the module's text).
pub struct ServerShaped<'l> {
    inner: VdirStore,
    shape: DeltaShape,
    log: &'l TokenLog,
    faults: Faults,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

/// A hash of the content.
fn content_of(body: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

impl<'l> ServerShaped<'l> {
    /// `inner` with changes in `shape`, its tokens kept in `log` (which
    /// outlives one store, as a server outlives a run).
    pub fn new(inner: VdirStore, shape: DeltaShape, log: &'l TokenLog) -> Self {
        ServerShaped {
            inner,
            shape,
            log,
            faults: Faults::default(),
            reads: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
        }
    }

    /// The same store, misbehaving as `faults` says.
    pub fn with_faults(self, faults: Faults) -> Self {
        ServerShaped { faults, ..self }
    }

    /// How many times items were read (`get_many` calls).
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// The ETag of the item at `href` that holds `body`: the one it had
    /// while its content is the same; else a new one, unless this change is
    /// one to hide (lying ETags).
    fn etag(&self, href: &str, body: &str) -> String {
        let content = content_of(body);
        let mut memory = self.log.memory.lock().unwrap();
        let memory = &mut *memory;
        let before = memory.etags.get(href).cloned();
        if let Some(tag) = &before
            && tag.content == content
        {
            return tag.etag.clone();
        }
        let n = memory.changes;
        memory.changes += 1;
        let etag = match before {
            Some(tag) if self.faults.lying_etags & (1 << (n % 8)) != 0 => {
                memory.lies += 1;
                tag.etag
            }
            _ => format!("\"{content:016x}-{n}\""),
        };
        memory.etags.insert(
            href.to_string(),
            Tag {
                etag: etag.clone(),
                content,
            },
        );
        etag
    }

    /// Every item with its tag.
    async fn tags(&self) -> Result<BTreeMap<Href, Tag>, StoreError> {
        let hrefs: Vec<Href> = self
            .inner
            .list()
            .await?
            .into_iter()
            .map(|l| l.href)
            .collect();
        // An item removed between the listing and the read is simply gone.
        let now: BTreeMap<Href, Tag> = self
            .inner
            .get_many(&hrefs)
            .await
            .into_iter()
            .filter_map(Result::ok)
            .map(|f| {
                let tag = Tag {
                    etag: self.etag(&f.href, &f.body),
                    content: content_of(&f.body),
                };
                (f.href, tag)
            })
            .collect();
        // A gone item's ETag is forgotten: one created there later is new.
        self.log
            .memory
            .lock()
            .unwrap()
            .etags
            .retain(|href, _| now.contains_key(href));
        Ok(now)
    }

    /// The item at `href` if its ETag is `etag`: its folder version.
    async fn current(&self, href: &str, etag: &str) -> Result<String, StoreError> {
        let found = self
            .inner
            .get_many(&[href.to_string()])
            .await
            .pop()
            .expect("one answer per href")?;
        if self.etag(href, &found.body) != etag {
            return Err(StoreError::PreconditionFailed {
                href: href.to_string(),
                expected: etag.to_string(),
            });
        }
        Ok(found.version)
    }

    fn created(&self, href: &str) {
        for (_, created) in self.log.memory.lock().unwrap().tokens.iter_mut() {
            created.insert(href.to_string());
        }
    }

    /// Whether the answer to the write just done is to be lost.
    fn loses_answer(&self) -> bool {
        let n = self.writes.fetch_add(1, Ordering::SeqCst);
        let lost = self.faults.lost_answers & (1 << (n % 8)) != 0;
        if lost {
            self.log.memory.lock().unwrap().lost += 1;
        }
        lost
    }

    /// The answer a lost one turns into; `refused` is what the repeat hears.
    fn lost(&self, refused: StoreError) -> StoreError {
        match self.faults.lost_as {
            LostAs::Transport => StoreError::server(
                ServerFailure::Unreachable,
                "connection reset after the request was sent (answer lost)",
            ),
            LostAs::RefusedRepeat => refused,
        }
    }
}

#[async_trait]
impl Store for ServerShaped<'_> {
    fn describe(&self) -> String {
        format!("server-shaped {}", self.inner.describe())
    }

    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let tags = self.tags().await?;
        self.log.memory.lock().unwrap().blind = false;
        Ok(tags
            .into_iter()
            .map(|(href, tag)| Listed {
                href,
                version: tag.etag,
            })
            .collect())
    }

    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let now = self.tags().await?;
        let listed = |(href, tag): (&Href, &Tag)| Listed {
            href: href.clone(),
            version: tag.etag.clone(),
        };
        let mut memory = self.log.memory.lock().unwrap();
        let memory = &mut *memory;
        let then = since
            .and_then(|t| t.strip_prefix("token-"))
            .and_then(|t| t.parse::<usize>().ok())
            .and_then(|t| memory.tokens.get(t));
        let changes = match then {
            None => {
                memory.blind = false;
                Changes::Full(now.iter().map(listed).collect())
            }
            Some((then, created)) => {
                let mut gone: BTreeSet<Href> = then
                    .keys()
                    .filter(|h| !now.contains_key(*h))
                    .cloned()
                    .collect();
                if self.shape == DeltaShape::NamesGone {
                    gone.extend(created.iter().filter(|h| !now.contains_key(*h)).cloned());
                }
                let n = memory.deltas;
                memory.deltas += 1;
                let forgotten = self.faults.forgotten_tokens & (1 << (n % 8)) != 0;
                if forgotten {
                    memory.blind |= !gone.is_empty();
                }
                Changes::Delta {
                    // What changed in content or ETag (the log follows writes).
                    changed: now
                        .iter()
                        .filter(|(href, tag)| forgotten || then.get(*href) != Some(tag))
                        .map(listed)
                        .collect(),
                    deleted: if forgotten {
                        Vec::new()
                    } else {
                        gone.into_iter().collect()
                    },
                }
            }
        };
        memory.tokens.push((now, BTreeSet::new()));
        Ok(ChangeSet {
            changes,
            state: Some(format!("token-{}", memory.tokens.len() - 1)),
        })
    }

    fn planned_href(&self, uid: &str) -> Option<Href> {
        self.inner.planned_href(uid)
    }

    fn checks_content_before_overwrite(&self) -> bool {
        true
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush().await
    }

    fn requests(&self) -> Option<u64> {
        self.inner.requests()
    }

    async fn fetch_linked(&self, url: &str) -> Result<davsync_store::LinkedFile, StoreError> {
        self.inner.fetch_linked(url).await
    }

    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let mut fetched = self.inner.get_many(hrefs).await;
        for f in fetched.iter_mut().flatten() {
            f.version = self.etag(&f.href, &f.body);
        }
        fetched
    }

    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        let written = self.inner.create(uid, body).await?;
        self.created(&written.href);
        let version = self.etag(&written.href, body);
        if self.loses_answer() {
            return Err(self.lost(StoreError::AlreadyExists { href: written.href }));
        }
        Ok(Written {
            href: written.href,
            version,
        })
    }

    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        let current = self.current(href, version).await?;
        let written = self.inner.update(href, &current, body).await?;
        let etag = self.etag(href, body);
        if self.loses_answer() {
            return Err(self.lost(StoreError::PreconditionFailed {
                href: written.href,
                expected: version.to_string(),
            }));
        }
        Ok(Written {
            href: written.href,
            version: etag,
        })
    }

    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError> {
        let current = self.current(href, version).await?;
        self.inner.delete(href, &current).await?;
        self.log.memory.lock().unwrap().etags.remove(href);
        if !self.faults.deletes_answered && self.loses_answer() {
            return Err(self.lost(StoreError::NotFound {
                href: href.to_string(),
            }));
        }
        Ok(())
    }

    async fn metadata(&self) -> Result<Metadata, StoreError> {
        self.inner.metadata().await
    }

    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError> {
        self.inner.set_metadata(metadata).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder::write_file;
    use crate::items;

    fn folder() -> (tempfile::TempDir, VdirStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = VdirStore::open(dir.path().join("server"), "ics").unwrap();
        (dir, store)
    }

    /// A lost answer: the write is done, the caller hears a failure, as the
    /// faults say (a transport failure, or the refusal of its repeat).
    #[tokio::test]
    async fn a_lost_answer_leaves_the_write_done() {
        let (_dir, inner) = folder();
        let log = TokenLog::default();
        let store =
            ServerShaped::new(inner.clone(), DeltaShape::NamesGone, &log).with_faults(Faults {
                // The second write (the update) loses its answer.
                lost_answers: 0b10,
                ..Faults::default()
            });
        let body = items::event("u1", "One", "");
        let created = store.create("u1", &body).await.unwrap();
        let edited = items::event("u1", "Two", "");
        let lost = store
            .update(&created.href, &created.version, &edited)
            .await
            .unwrap_err();
        assert_eq!(lost.server_failure(), Some(ServerFailure::Unreachable));
        let read = store
            .get_many(std::slice::from_ref(&created.href))
            .await
            .remove(0);
        assert_eq!(read.unwrap().body, edited, "the update was done");
        assert_eq!(log.lost_answers(), 1);

        let store = ServerShaped::new(inner, DeltaShape::NamesGone, &log).with_faults(Faults {
            lost_answers: 0b1,
            lost_as: LostAs::RefusedRepeat,
            ..Faults::default()
        });
        let refused = store.create("u2", &body.replace("u1", "u2")).await;
        assert!(
            matches!(refused, Err(StoreError::AlreadyExists { .. })),
            "{refused:?}"
        );
        assert_eq!(store.list().await.unwrap().len(), 2, "the create was done");
    }

    /// Lying ETags: a change of content keeps the ETag (another client's
    /// edit, or the store's own write), and the change log still names it.
    #[tokio::test]
    async fn a_lying_etag_is_kept_over_a_change_that_the_delta_names() {
        let (_dir, inner) = folder();
        let log = TokenLog::default();
        let store =
            ServerShaped::new(inner.clone(), DeltaShape::NamesGone, &log).with_faults(Faults {
                // Changes 0 and 1 are the creates (new items get new ETags
                // whatever the mask); 2 and 3 (the own update, then the
                // edit the listing meets) lie.
                lying_etags: 0b1100,
                ..Faults::default()
            });
        let a = store
            .create("a", &items::event("a", "A", ""))
            .await
            .unwrap();
        let b = store
            .create("b", &items::event("b", "B", ""))
            .await
            .unwrap();
        let token = store.list_changes(None).await.unwrap().state.unwrap();
        // Another client's edit, seen at the listing below.
        write_file(inner.path(), &a.href, &items::event("a", "A edited", ""));
        // The store's own write.
        let b2 = store
            .update(&b.href, &b.version, &items::event("b", "B edited", ""))
            .await
            .unwrap();
        assert_eq!(b2.version, b.version, "the own write kept its ETag");
        let listed = store.list().await.unwrap();
        assert_eq!(listed[0].version, a.version, "the edit kept its ETag");
        let delta = store.list_changes(Some(&token)).await.unwrap().changes;
        let Changes::Delta { changed, deleted } = delta else {
            panic!("a delta: {delta:?}")
        };
        let named: Vec<&str> = changed.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(named, [a.href.as_str(), b.href.as_str()]);
        assert!(deleted.is_empty());
        assert_eq!(log.lies(), 2);
        // A change not chosen to lie gets a new ETag.
        write_file(inner.path(), &a.href, &items::event("a", "A again", ""));
        assert_ne!(store.list().await.unwrap()[0].version, a.version);
    }
}
