//! A folder that answers as a server does, for engine tests without a
//! server: ETags that change with the content only, a sync token, the
//! changes since a token in the shape a chosen server gives them, and the
//! engine's read-back before overwrites. The
//! folder stays the truth: a test edits its files as another client would
//! edit the collection, and the store's writes go through [`VdirStore`]
//! (with its trash). Every method of [`Store`] is forwarded or answered here,
//! so the engine meets the same behaviour as with a real store.

use async_trait::async_trait;
use davsync_store::{
    ChangeSet, Changes, Fetched, Href, Listed, Metadata, Store, StoreError, VdirStore, Written,
};
use std::collections::BTreeSet;
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

/// What the store remembers between runs, as a server does: the listing
/// behind every token it gave, and the items it created since each.
#[derive(Debug, Default)]
pub struct TokenLog {
    /// Per token: the listing then, and the hrefs created through the store since.
    tokens: Mutex<Vec<(Vec<Listed>, BTreeSet<Href>)>>,
}

/// A folder answering as a server collection (see the module's text).
pub struct ServerShaped<'l> {
    inner: VdirStore,
    shape: DeltaShape,
    log: &'l TokenLog,
    reads: AtomicUsize,
}

/// An ETag as a server gives it: the same exactly while the content is.
fn etag_of(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

impl<'l> ServerShaped<'l> {
    /// `inner` with changes in `shape`, its tokens kept in `log` (which
    /// outlives one store, as a server outlives a run).
    pub fn new(inner: VdirStore, shape: DeltaShape, log: &'l TokenLog) -> Self {
        ServerShaped {
            inner,
            shape,
            log,
            reads: AtomicUsize::new(0),
        }
    }

    /// How many times items were read (`get_many` calls).
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// Every item with its body and the folder's own version.
    async fn bodies(&self) -> Result<Vec<Fetched>, StoreError> {
        let hrefs: Vec<Href> = self
            .inner
            .list()
            .await?
            .into_iter()
            .map(|l| l.href)
            .collect();
        // An item removed between the listing and the read is simply gone.
        Ok(self
            .inner
            .get_many(&hrefs)
            .await
            .into_iter()
            .filter_map(Result::ok)
            .collect())
    }

    /// The item at `href` if its ETag is `etag`: its folder version.
    async fn current(&self, href: &str, etag: &str) -> Result<String, StoreError> {
        let found = self
            .inner
            .get_many(&[href.to_string()])
            .await
            .pop()
            .expect("one answer per href")?;
        if etag_of(&found.body) != etag {
            return Err(StoreError::PreconditionFailed {
                href: href.to_string(),
                expected: etag.to_string(),
            });
        }
        Ok(found.version)
    }

    fn created(&self, href: &str) {
        for (_, created) in self.log.tokens.lock().expect("log").iter_mut() {
            created.insert(href.to_string());
        }
    }
}

#[async_trait]
impl Store for ServerShaped<'_> {
    fn describe(&self) -> String {
        format!("server-shaped {}", self.inner.describe())
    }

    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        Ok(self
            .bodies()
            .await?
            .into_iter()
            .map(|f| Listed {
                version: etag_of(&f.body),
                href: f.href,
            })
            .collect())
    }

    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let now = self.list().await?;
        let mut tokens = self.log.tokens.lock().expect("log");
        let then = since
            .and_then(|t| t.strip_prefix("token-"))
            .and_then(|t| t.parse::<usize>().ok())
            .and_then(|t| tokens.get(t));
        let changes = match then {
            None => Changes::Full(now.clone()),
            Some((then, created)) => {
                let present = |href: &str| now.iter().any(|l| l.href == href);
                let mut gone: BTreeSet<Href> = then
                    .iter()
                    .map(|l| l.href.clone())
                    .filter(|h| !present(h))
                    .collect();
                if self.shape == DeltaShape::NamesGone {
                    gone.extend(created.iter().filter(|h| !present(h)).cloned());
                }
                Changes::Delta {
                    changed: now.iter().filter(|l| !then.contains(l)).cloned().collect(),
                    deleted: gone.into_iter().collect(),
                }
            }
        };
        tokens.push((now, BTreeSet::new()));
        Ok(ChangeSet {
            changes,
            state: Some(format!("token-{}", tokens.len() - 1)),
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

    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let mut fetched = self.inner.get_many(hrefs).await;
        for f in fetched.iter_mut().flatten() {
            f.version = etag_of(&f.body);
        }
        fetched
    }

    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        let written = self.inner.create(uid, body).await?;
        self.created(&written.href);
        Ok(Written {
            href: written.href,
            version: etag_of(body),
        })
    }

    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        let current = self.current(href, version).await?;
        let written = self.inner.update(href, &current, body).await?;
        Ok(Written {
            href: written.href,
            version: etag_of(body),
        })
    }

    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError> {
        let current = self.current(href, version).await?;
        self.inner.delete(href, &current).await
    }

    async fn metadata(&self) -> Result<Metadata, StoreError> {
        self.inner.metadata().await
    }

    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError> {
        self.inner.set_metadata(metadata).await
    }
}
