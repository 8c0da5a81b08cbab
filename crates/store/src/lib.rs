//! The storage contract of davsync: what the sync engine needs from any place
//! that holds items (a vdir folder now, a CalDAV/CardDAV collection next), and
//! the backends that fulfil it.

pub mod dav;
mod digest;
mod names;
mod platform;
pub mod vdir;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::future::{BoxFuture, LocalBoxFuture};
use futures_util::{FutureExt, StreamExt};

pub use dav::DavStore;
pub use davsync_dav::{LinkedFile, shown_url};
pub use digest::digest128;
pub use names::file_stem_for_uid;
pub use vdir::VdirStore;

/// An item's address within its store (a file name, or a URL path on a server).
pub type Href = String;

/// An opaque version: equal strings mean an unchanged item (mtime+size+inode
/// for files, the ETag on a server).
pub type Version = String;

/// One entry of a listing: where an item is and which version it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Address within the store.
    pub href: Href,
    /// Cheap version, compared for equality only.
    pub version: Version,
}

/// An item read from a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Address within the store.
    pub href: Href,
    /// Version of exactly this body.
    pub version: Version,
    /// The body as stored.
    pub body: String,
    /// The store's own modification time of the item, where it has one (file mtime).
    pub modified: Option<DateTime<Utc>>,
}

/// Where a write left an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Address of the item.
    pub href: Href,
    /// Version after the write.
    pub version: Version,
}

/// One write of a wave (see [`Store::write_all`]), its text borrowed (`S`:
/// `&str`) or owned (`String`, to go to another thread).
#[derive(Debug, Clone, Copy)]
pub enum WriteOp<S> {
    /// A new item ([`Store::create`]).
    Create {
        /// Its UID.
        uid: S,
        /// Its text.
        body: S,
    },
    /// An item replaced if it still has its version ([`Store::update`]).
    Update {
        /// Its address.
        href: S,
        /// The version it must still have.
        version: S,
        /// Its new text.
        body: S,
    },
    /// An item deleted if it still has its version ([`Store::delete`]).
    Delete {
        /// Its address.
        href: S,
        /// The version it must still have.
        version: S,
    },
}

impl WriteOp<&str> {
    /// The same write, owning its text.
    pub fn owned(&self) -> WriteOp<String> {
        match *self {
            WriteOp::Create { uid, body } => WriteOp::Create {
                uid: uid.into(),
                body: body.into(),
            },
            WriteOp::Update {
                href,
                version,
                body,
            } => WriteOp::Update {
                href: href.into(),
                version: version.into(),
                body: body.into(),
            },
            WriteOp::Delete { href, version } => WriteOp::Delete {
                href: href.into(),
                version: version.into(),
            },
        }
    }
}

/// What a write of a wave did: what was written, or `None` for a deletion.
pub type WriteResult = Result<Option<Written>, StoreError>;

/// What changed in a store since an earlier listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// Every item (what is not listed is not there).
    Full(Vec<Listed>),
    /// Only what changed since the state given; every other item is as it was.
    Delta {
        /// Items added or changed.
        changed: Vec<Listed>,
        /// Items deleted.
        deleted: Vec<Href>,
    },
}

/// A listing together with the state to ask from next time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// What changed.
    pub changes: Changes,
    /// Opaque state (sync token, ctag) for the next `list_changes`; `None` when
    /// the store has no cheaper way than a full listing.
    pub state: Option<String>,
}

/// How many items are read from a store per request, by default.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// How many requests are in flight at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How [`Store::read_all`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Items per request.
    pub batch_size: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Only items that meet this UTC range `[start, end)` are needed: a store
    /// may leave others out (a server filters with `calendar-query`). A hint:
    /// the caller checks the range itself.
    pub time_range: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            time_range: None,
        }
    }
}

/// Receives items as [`Store::read_all`] reads them.
pub type Sink<'s> = dyn FnMut(Result<Fetched, StoreError>) + 's;

/// Collection metadata (vdirsyncer's `displayname` and `color` files; DAV properties).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Human name of the collection.
    pub displayname: Option<String>,
    /// Colour as `#RRGGBB` or `#RRGGBBAA`.
    pub color: Option<String>,
}

/// What kind of failure a server reported: kept from the DAV error, so that
/// a caller tells a password problem from an outage without reading words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerFailure {
    /// 401: the credentials were refused.
    Unauthorized,
    /// 403: the user may not do this.
    Forbidden,
    /// 407: the proxy refused its credentials.
    ProxyAuthentication,
    /// The server could not be reached at all (its name did not resolve,
    /// the connection was refused or found no route, connecting timed out):
    /// usually, being offline. Nothing was sent.
    Offline,
    /// No connection: it failed or broke.
    Unreachable,
    /// No answer within the timeout.
    Timeout,
    /// The TLS settings cannot be used.
    Tls,
    /// The server's certificate is not trusted (unknown CA, self-signed, a
    /// pin that does not match).
    UntrustedCertificate,
    /// An answer over the size limit.
    TooLarge,
    /// An answer that does not make sense (bad XML, missing fields).
    Protocol,
    /// Any other unexpected status or failure.
    Other,
}

/// What can go wrong in a store, per operation or per item.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The item is not there (any more).
    #[error("{href}: not found")]
    NotFound {
        /// The missing item.
        href: Href,
    },
    /// The item changed since it was listed; nothing was written.
    #[error("{href}: changed since it was read (expected version {expected})")]
    PreconditionFailed {
        /// The item.
        href: Href,
        /// The version the caller expected.
        expected: Version,
    },
    /// A create found an item already at that address; nothing was written.
    #[error("{href}: an item already exists there")]
    AlreadyExists {
        /// The occupied address.
        href: Href,
    },
    /// An address that does not name an item of this store.
    #[error("{href:?}: not a valid item address in this store")]
    InvalidHref {
        /// The rejected address.
        href: Href,
    },
    /// The item is larger than the store accepts.
    #[error("{href}: {size} bytes is more than the limit of {limit} bytes")]
    TooLarge {
        /// The item.
        href: Href,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The body is not UTF-8 text.
    #[error("{href}: not UTF-8 text")]
    NotText {
        /// The item.
        href: Href,
    },
    /// The server failed or refused (the message names the URL, never credentials).
    #[error("{message}")]
    Server {
        /// What kind of failure.
        kind: ServerFailure,
        /// What happened, in words.
        message: String,
    },
    /// The collection itself is not there.
    #[error("the collection {0} does not exist")]
    NoCollection(String),
    /// An I/O failure, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, and where.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// A server failure of `kind`.
    pub fn server(kind: ServerFailure, message: impl Into<String>) -> Self {
        StoreError::Server {
            kind,
            message: message.into(),
        }
    }

    /// The kind of server failure, if this is one.
    pub fn server_failure(&self) -> Option<ServerFailure> {
        match self {
            StoreError::Server { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// A place that holds one collection of items.
///
/// Writes are conditional: `update` and `delete` take the version the caller
/// last saw and fail with [`StoreError::PreconditionFailed`] when the item has
/// changed since; `create` fails with [`StoreError::AlreadyExists`] rather than
/// overwrite. Each write is atomic: a crash leaves the old or the new item.
#[async_trait]
pub trait Store: Send + Sync {
    /// A short description for messages (never contains secrets).
    fn describe(&self) -> String;

    /// Every item with its cheap version.
    async fn list(&self) -> Result<Vec<Listed>, StoreError>;

    /// What changed since `since` (a state an earlier call returned), as
    /// cheaply as the store can tell: nothing at all when its collection tag is
    /// unchanged, a delta where it keeps a change log, else a full listing.
    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let _ = since;
        Ok(ChangeSet {
            changes: Changes::Full(self.list().await?),
            state: None,
        })
    }

    /// Lists every item and reads it, handing each to `sink` as it arrives
    /// (in batches, a bounded number of requests in flight), and returns the
    /// state for the next `list_changes`. For a first sync, where everything
    /// must be read anyway: a server answers one query instead of a listing
    /// and a multiget per batch. Items that cannot be read reach `sink` as errors.
    ///
    /// (Not `Send`: the sink is the caller's, and may hold anything.)
    fn read_all<'s>(
        &'s self,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> LocalBoxFuture<'s, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let ChangeSet { changes, state } = self.list_changes(None).await?;
            let listed = match changes {
                Changes::Full(listed) => listed,
                Changes::Delta { changed, .. } => changed,
            };
            let hrefs: Vec<Href> = listed.into_iter().map(|l| l.href).collect();
            read_in_batches(self, &hrefs, options, sink).await;
            Ok(state)
        })
    }

    /// Where [`create`](Self::create) would put a new item with this UID, if
    /// the store chooses addresses itself and can say so in advance (a
    /// server collection). The engine notes it before creating, so that a
    /// run killed in between finds the item the next time, however the
    /// store's listing then looks.
    fn planned_href(&self, uid: &str) -> Option<Href> {
        let _ = uid;
        None
    }

    /// Whether the item listed at `href` with version `listed` still is the
    /// one recorded earlier as `known`. Equal versions are; a store whose
    /// versions carry more detail while an item is fresh (a folder adds a
    /// content hash to files younger than 2 s) checks that detail here, more
    /// cheaply than reading and parsing the item.
    fn still_is(&self, href: &str, listed: &str, known: &str) -> bool {
        let _ = href;
        listed == known
    }

    /// Whether the engine reads an unchanged-looking item back before it
    /// overwrites or deletes it, and compares its content with the last sync.
    /// A server's ETags are its word only (some servers keep an ETag when the
    /// content changes, and some ignore `If-Match`): one request per batch
    /// of such writes makes sure no change hidden that way is overwritten.
    /// A folder's versions come from the file system itself: no need.
    fn checks_content_before_overwrite(&self) -> bool {
        false
    }

    /// Makes every write done so far durable (a folder: syncs the directory,
    /// so that renames and removals survive a power cut). The engine calls it
    /// before it records a batch of writes in the status database. Each write
    /// is atomic on its own, flushed or not.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// How many requests the store has sent to a server, if it talks to one.
    fn requests(&self) -> Option<u64> {
        None
    }

    /// Fetches a file an item of this store links to (a contact's photo
    /// URL), within the store's item size limit. A server store fetches
    /// http(s) URLs with its proxy and TLS settings, its credentials only
    /// for its own origin; a store that fetches nothing says so.
    async fn fetch_linked(&self, url: &str) -> Result<LinkedFile, StoreError> {
        Err(StoreError::server(
            ServerFailure::Other,
            format!(
                "{}: {} does not fetch linked files",
                davsync_dav::shown_url(url),
                self.describe()
            ),
        ))
    }

    /// Reads the given items; each gets its own result, in the order asked.
    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>>;

    /// Stores a new item whose UID is `uid`; the store chooses the address.
    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError>;

    /// Replaces the item at `href` if it still has version `version`.
    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError>;

    /// Deletes the item at `href` if it still has version `version`.
    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError>;

    /// Sends a wave of writes, up to `concurrency` at once: one result per
    /// write, in the order given (`None` for a deletion). By default each is
    /// sent alone; a folder writes them in groups, a few threads each
    /// looping over its share, since handing every file to a thread of its
    /// own cost more than writing it.
    async fn write_all(&self, writes: &[WriteOp<&str>], concurrency: usize) -> Vec<WriteResult> {
        // Gathered first: a stream that maps as it goes would hold the
        // closure, which the `Send` future cannot.
        let sends: Vec<BoxFuture<'_, WriteResult>> = writes
            .iter()
            .map(|write| -> BoxFuture<'_, WriteResult> {
                match *write {
                    WriteOp::Create { uid, body } => {
                        self.create(uid, body).map(|r| r.map(Some)).boxed()
                    }
                    WriteOp::Update {
                        href,
                        version,
                        body,
                    } => self
                        .update(href, version, body)
                        .map(|r| r.map(Some))
                        .boxed(),
                    WriteOp::Delete { href, version } => {
                        self.delete(href, version).map(|r| r.map(|()| None)).boxed()
                    }
                }
            })
            .collect();
        futures_util::stream::iter(sends)
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    /// The collection's display name and colour.
    async fn metadata(&self) -> Result<Metadata, StoreError>;

    /// Sets the display name and colour (a `None` field is left as it is).
    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError>;
}

/// Reads `hrefs` with `get_many`, a batch per call and a bounded number of
/// calls in flight, handing every result to `sink` in order.
pub async fn read_in_batches<S: Store + ?Sized>(
    store: &S,
    hrefs: &[Href],
    options: &ReadOptions,
    sink: &mut Sink<'_>,
) {
    use futures_util::stream::{self, StreamExt};
    // The futures are made up front (they do nothing until polled): a lazy
    // map here trips the compiler's higher-ranked lifetime inference.
    let reads: Vec<_> = hrefs
        .chunks(options.batch_size.max(1))
        .map(|chunk| store.get_many(chunk))
        .collect();
    let mut batches = stream::iter(reads).buffered(options.concurrency.max(1));
    while let Some(results) = batches.next().await {
        for result in results {
            sink(result);
        }
    }
}
