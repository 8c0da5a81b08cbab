//! The CalDAV/CardDAV store: one server collection behind the `Store` trait.

mod href_set;

use crate::names::file_stem_for_uid;
use crate::{
    ChangeSet, Changes, Fetched, Href, LinkedFile, Listed, Metadata, ReadOptions, ServerFailure,
    Sink, Store, StoreError, Written, read_in_batches,
};
use async_trait::async_trait;
use davsync_dav::{
    CalendarComponent, Collection, Created, DavError, Properties, QueryFilter, QueryItem,
    SyncReport,
};
use futures_util::future::LocalBoxFuture;
use href_set::HrefSet;
use std::collections::HashMap;
use std::sync::Mutex;

/// Items per multiget request.
pub const DEFAULT_MULTIGET_BATCH: usize = 100;

/// A calendar or address book on a server.
pub struct DavStore {
    collection: Collection,
    /// Hrefs of the last listing (as digests): a create never targets one of
    /// them, even on servers that ignore `If-None-Match: *`.
    listed: Mutex<HrefSet>,
    /// Properties read by the last `list_changes`, so `metadata` needs no request.
    properties: Mutex<Option<Properties>>,
    batch: usize,
    max_item_size: u64,
}

/// The state kept between runs after a full read: the sync token (see
/// [`listing_token`]) and the ctag, one per line.
fn encode_state(props: &Properties) -> Option<String> {
    if props.sync_token.is_none() && props.ctag.is_none() {
        return None;
    }
    Some(format!(
        "token={}\nctag={}",
        props
            .sync_token
            .as_deref()
            .map(listing_token)
            .unwrap_or_default(),
        props.ctag.as_deref().unwrap_or("")
    ))
}

/// The token to ask from after a listing whose state was read with PROPFIND.
///
/// SOGo's token is the newest modification time of the collection in whole
/// seconds, and its sync report names the items modified *after* it: an item
/// changed later in the same second as the listing would never be reported.
/// Its own sync-collection answers guard against this (they give one second
/// less when the newest change is from the current second), its PROPFIND
/// does not. So a token that is a plain number is taken one less, which
/// reports the items of that last second once more (unchanged ETags, so no
/// download) and never misses one. Other servers' tokens are URLs or hashes
/// (Radicale, Xandikos, sabre/dav, DAViCal's `data:,N`) and are kept as they
/// are; a plain counter taken one less would only report one change twice.
fn listing_token(token: &str) -> String {
    match token.parse::<u64>() {
        Ok(n) if n > 0 && token.bytes().all(|b| b.is_ascii_digit()) => (n - 1).to_string(),
        _ => token.to_owned(),
    }
}

fn decode_state(state: &str) -> (Option<&str>, Option<&str>) {
    let mut token = None;
    let mut ctag = None;
    for line in state.lines() {
        if let Some(t) = line.strip_prefix("token=") {
            token = Some(t).filter(|t| !t.is_empty());
        } else if let Some(c) = line.strip_prefix("ctag=") {
            ctag = Some(c).filter(|c| !c.is_empty());
        }
    }
    (token, ctag)
}

fn listed(resources: Vec<davsync_dav::Resource>) -> Vec<Listed> {
    resources
        .into_iter()
        .map(|r| Listed {
            href: r.href,
            version: r.etag,
        })
        .collect()
}

impl DavStore {
    /// Hands an item of a first read to `sink`, once per href.
    fn hand_over(&self, delivered: &mut HrefSet, sink: &mut Sink<'_>, item: QueryItem) {
        if !delivered.insert(&item.href) {
            return;
        }
        sink(match item.result {
            Ok(body) => self.fetched(item.href, body),
            Err(e) => Err(store_error(&item.href, "", e)),
        });
    }

    /// After a first read that broke off: what it did not hand over, by a
    /// listing and multigets.
    async fn read_the_rest(
        &self,
        delivered: &HrefSet,
        options: &ReadOptions,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError> {
        let rest: Vec<Href> = self
            .list()
            .await?
            .into_iter()
            .map(|l| l.href)
            .filter(|href| !delivered.contains(href))
            .collect();
        read_in_batches(self, &rest, options, sink).await;
        Ok(())
    }

    /// A store over `collection`.
    pub fn new(collection: Collection) -> Self {
        DavStore {
            collection,
            listed: Mutex::new(HrefSet::default()),
            properties: Mutex::new(None),
            batch: DEFAULT_MULTIGET_BATCH,
            max_item_size: crate::vdir::DEFAULT_MAX_ITEM_SIZE,
        }
    }

    /// Items larger than this many bytes are refused (an error for that item
    /// alone); 10 MiB unless set.
    pub fn with_max_item_size(mut self, bytes: u64) -> Self {
        self.max_item_size = bytes;
        self
    }

    /// An item as read, or the error for one too large to take.
    fn fetched(&self, href: String, body: davsync_dav::Body) -> Result<Fetched, StoreError> {
        let size = body.data.len() as u64;
        if size > self.max_item_size {
            return Err(StoreError::TooLarge {
                href,
                size,
                limit: self.max_item_size,
            });
        }
        Ok(Fetched {
            href,
            version: body.etag,
            body: body.data,
            modified: None,
        })
    }

    /// Items per multiget request.
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The collection.
    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    fn owned(&self, href: &str) -> Result<(), StoreError> {
        if self.collection.owns(href) {
            Ok(())
        } else {
            Err(StoreError::InvalidHref {
                href: href.to_string(),
            })
        }
    }

    /// The ETag after a write: the one the server sent, else asked for.
    /// The address of a new item: its UID as a file name, or, where another
    /// UID already lives at that name, the name with a hash of the UID (the
    /// same in every run, so that a create noted in the journal is found).
    fn href_for(&self, uid: &str) -> String {
        let kind = self.collection.kind();
        let stem = file_stem_for_uid(uid);
        let plain = format!("{}{stem}.{}", self.collection.href(), kind.extension());
        if !self.listed.lock().expect("listing lock").contains(&plain) {
            return plain;
        }
        use sha2::Digest;
        let digest = sha2::Sha256::digest(uid.as_bytes());
        let tag: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!(
            "{}{stem}-{tag}.{}",
            self.collection.href(),
            kind.extension()
        )
    }

    async fn etag_after_write(
        &self,
        href: &str,
        sent: Option<String>,
    ) -> Result<String, StoreError> {
        match sent {
            Some(etag) => Ok(etag),
            None => self
                .collection
                .etag(href)
                .await
                .map_err(|e| store_error(href, "", e)),
        }
    }
}

/// Maps a DAV error about `href` to a store error (`expected`: the version a
/// conditional request asked for, if any).
fn store_error(href: &str, expected: &str, e: DavError) -> StoreError {
    match e {
        DavError::NotFound { .. } => StoreError::NotFound {
            href: href.to_string(),
        },
        DavError::PreconditionFailed { .. } => StoreError::PreconditionFailed {
            href: href.to_string(),
            expected: expected.to_string(),
        },
        other => server_error(other),
    }
}

/// A DAV error as a store's server failure, its kind kept.
fn server_error(e: DavError) -> StoreError {
    let kind = match &e {
        DavError::Unauthorized { .. } => ServerFailure::Unauthorized,
        DavError::Forbidden { .. } => ServerFailure::Forbidden,
        DavError::ProxyAuthentication { .. } => ServerFailure::ProxyAuthentication,
        DavError::Transport { .. } => ServerFailure::Unreachable,
        DavError::Offline { .. } => ServerFailure::Offline,
        DavError::Timeout { .. } => ServerFailure::Timeout,
        DavError::Tls(_) => ServerFailure::Tls,
        DavError::UntrustedCertificate { .. } => ServerFailure::UntrustedCertificate,
        DavError::TooLarge { .. } => ServerFailure::TooLarge,
        DavError::Protocol { .. } => ServerFailure::Protocol,
        _ => ServerFailure::Other,
    };
    StoreError::server(kind, e.to_string())
}

#[async_trait]
impl Store for DavStore {
    fn describe(&self) -> String {
        let kind = match self.collection.kind() {
            davsync_dav::CollectionKind::Calendar => "calendar",
            davsync_dav::CollectionKind::AddressBook => "address book",
        };
        format!(
            "{kind} {}",
            self.collection.client().url_of(self.collection.href())
        )
    }

    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        // SOGo's contact lists (`text/x-vlist`, `docs/sogo-lists.md`) are
        // items like contacts: the engine reads them as lists.
        let resources = self.collection.list().await.map_err(server_error)?;
        *self.listed.lock().expect("listing lock") =
            resources.iter().map(|r| r.href.as_str()).collect();
        Ok(listed(resources))
    }

    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        let server = server_error;
        let (old_token, old_ctag) = since.map(decode_state).unwrap_or((None, None));
        // With a token, sync-collection is the cheap check itself: one request,
        // and it returns the next token (a server that truncates its answer with
        // 507 is asked again with the token it gave, until it is complete). (Comparing tokens instead would miss
        // changes on SOGo, whose token only has a resolution of one second.)
        if let Some(token) = old_token {
            let report = match self.collection.sync_collection_all(Some(token)).await {
                Ok(report) => report,
                // A server that cannot answer the delta (Radicale caps a REPORT at
                // 10,000 items and answers 400; others truncate with 507; a server
                // without sync-collection, such as sabre/dav 1.8 after a move of
                // the profile, refuses the REPORT with 403): a full listing, which
                // needs no REPORT, is always possible (and says so if the
                // collection itself is forbidden).
                Err(DavError::Status { status, .. })
                    if matches!(status.as_u16(), 400 | 413 | 415 | 501 | 507) =>
                {
                    tracing::info!(
                        "{}: sync-collection refused ({status}); listing everything",
                        self.describe()
                    );
                    SyncReport::InvalidToken
                }
                Err(DavError::Forbidden { .. }) => {
                    tracing::info!(
                        "{}: sync-collection refused (403); listing everything",
                        self.describe()
                    );
                    SyncReport::InvalidToken
                }
                Err(e) => return Err(server(e)),
            };
            match report {
                SyncReport::Changes {
                    token,
                    changed,
                    deleted,
                } => {
                    self.listed
                        .lock()
                        .expect("listing lock")
                        .extend(changed.iter().map(|r| r.href.as_str()));
                    let changed = listed(changed);
                    return Ok(ChangeSet {
                        changes: Changes::Delta { changed, deleted },
                        state: Some(format!("token={token}\nctag=")),
                    });
                }
                SyncReport::InvalidToken => {
                    tracing::info!(
                        "{}: sync token no longer valid; listing everything",
                        self.describe()
                    );
                }
            }
        }
        // A server that gave a tag and no token last time is asked for both
        // at once (one request for an idle run); others for the token first.
        let props = if old_ctag.is_some() && old_token.is_none() {
            self.collection.properties().await
        } else {
            self.collection.token_properties().await
        }
        .map_err(server)?;
        *self.properties.lock().expect("properties lock") = Some(props.clone());
        // The state is read before the listing: changes made meanwhile show up
        // again next time, never get lost.
        let state = encode_state(&props);
        if props.sync_token.is_none()
            && let (Some(now), Some(then)) = (&props.ctag, old_ctag)
            && now == then
        {
            tracing::debug!("{}: collection tag unchanged", self.describe());
            return Ok(ChangeSet {
                changes: Changes::Delta {
                    changed: Vec::new(),
                    deleted: Vec::new(),
                },
                state,
            });
        }
        Ok(ChangeSet {
            changes: Changes::Full(self.list().await?),
            state,
        })
    }

    fn checks_content_before_overwrite(&self) -> bool {
        true
    }

    fn requests(&self) -> Option<u64> {
        Some(self.collection.client().requests())
    }

    /// The collection's sync token (or tag), then one
    /// `calendar-query`/`addressbook-query` that returns every item with its
    /// data, parsed as it streams in (limited to the time range, if one is
    /// given, with the listing beside it so that every href is known). Should
    /// the server refuse the query (Radicale answers 400 above its limit of
    /// items per REPORT), cut its answer short (a 507) or the answer break
    /// off, what is missing is read with a listing and multigets.
    ///
    /// Not a `sync-collection` from the empty token asking for the data,
    /// though it brings items and token in one answer: measured on the six
    /// servers of the suite, it saves little at best (Cyrus: 0.21 s against
    /// 0.34 s for 5,000 events; SOGo even), Xandikos and
    /// DAViCal give no data in it (DAViCal takes 7 s for 5,000 events to
    /// say so), and Radicale 3.9 takes time growing with the square of the
    /// items for it (50,000 events: 33 s against 11 s; 80 s against 35 s on
    /// a collection it had worked out no token for).
    fn read_all<'s>(
        &'s self,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> LocalBoxFuture<'s, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let mut delivered = HrefSet::default();
            let props = self
                .collection
                .token_properties()
                .await
                .map_err(server_error)?;
            *self.properties.lock().expect("properties lock") = Some(props.clone());
            // The state is read before the items: changes made meanwhile show up
            // again next time, never get lost.
            let state = encode_state(&props);
            let filters = match options.time_range {
                Some((start, end)) => {
                    self.list().await?;
                    // Tasks and journal entries unfiltered: DAViCal finds no
                    // task without dates in any time range (RFC 4791 §9.9 says
                    // such a task meets every range); the engine judges each
                    // item it reads against the range itself.
                    vec![
                        QueryFilter {
                            time_range: Some((start, end)),
                            components: vec![CalendarComponent::Event],
                        },
                        QueryFilter {
                            time_range: None,
                            components: vec![CalendarComponent::Todo, CalendarComponent::Journal],
                        },
                    ]
                }
                None => vec![QueryFilter::everything()],
            };
            let mut on_item = |item: QueryItem| self.hand_over(&mut delivered, sink, item);
            let mut queried = Ok(());
            for filter in &filters {
                queried = self.collection.query(filter, &mut on_item).await;
                if queried.is_err() {
                    break;
                }
            }
            match queried {
                Ok(()) => {
                    if options.time_range.is_none() {
                        // Nothing at all: the listing says whether the URL is
                        // the collection's own (a query answer cannot tell).
                        if delivered.is_empty() {
                            self.list().await?;
                        }
                        *self.listed.lock().expect("listing lock") = delivered;
                    }
                }
                // Timed out before any item: a server too slow for the
                // timeout would be as slow to answer a listing and
                // multigets, and it goes on with the request the client gave
                // up on: asking again only piles work on it (Radicale 3.9
                // with 100,000 events: minutes busy, then an error all the
                // same).
                Err(e @ DavError::Timeout { .. }) if delivered.is_empty() => {
                    return Err(server_error(e));
                }
                Err(e) => {
                    tracing::info!(
                        "{}: the query failed ({e}); reading the rest with a listing and multigets",
                        self.describe()
                    );
                    self.read_the_rest(&delivered, options, sink).await?;
                }
            }
            Ok(state)
        })
    }

    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        let mut out = Vec::with_capacity(hrefs.len());
        for chunk in hrefs.chunks(self.batch) {
            let asked: Vec<String> = chunk
                .iter()
                .filter(|h| self.collection.owns(h))
                .cloned()
                .collect();
            let mut answers: HashMap<String, Result<davsync_dav::Body, StoreError>> =
                match self.collection.multiget(&asked).await {
                    Ok(answers) => asked
                        .iter()
                        .zip(answers)
                        .map(|(href, r)| (href.clone(), r.map_err(|e| store_error(href, "", e))))
                        .collect(),
                    Err(e) => {
                        let kind = server_error(e);
                        let message = kind.to_string();
                        let kind = kind.server_failure().unwrap_or(ServerFailure::Other);
                        asked
                            .iter()
                            .map(|href| (href.clone(), Err(StoreError::server(kind, &message))))
                            .collect()
                    }
                };
            for href in chunk {
                out.push(match answers.remove(href) {
                    Some(Ok(body)) => self.fetched(href.clone(), body),
                    Some(Err(e)) => Err(e),
                    None if self.collection.owns(href) => Err(StoreError::server(
                        ServerFailure::Other,
                        format!("{href}: asked twice in one request"),
                    )),
                    None => Err(StoreError::InvalidHref { href: href.clone() }),
                });
            }
        }
        out
    }

    fn planned_href(&self, uid: &str) -> Option<Href> {
        Some(self.href_for(uid))
    }

    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        let href = self.href_for(uid);
        match self.collection.create(&href, body).await {
            Ok(Created::New(etag)) => {
                let version = self.etag_after_write(&href, etag).await?;
                self.listed.lock().expect("listing lock").insert(&href);
                Ok(Written { href, version })
            }
            Ok(Created::Replaced(_)) => Err(StoreError::server(
                ServerFailure::Other,
                format!(
                    "{}: the server answered the create as an overwrite although it was told not to \
                 overwrite (If-None-Match: *); an item appeared there during the run. The next run \
                 re-reads it",
                    self.collection.client().url_of(&href)
                ),
            )),
            // 412: something is at this href; 409: another item has this UID.
            Err(DavError::PreconditionFailed { .. } | DavError::Conflict { .. }) => {
                Err(StoreError::AlreadyExists { href })
            }
            Err(e) => Err(store_error(&href, "", e)),
        }
    }

    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        self.owned(href)?;
        let sent = self
            .collection
            .update(href, version, body)
            .await
            .map_err(|e| store_error(href, version, e))?;
        let version = self.etag_after_write(href, sent).await?;
        Ok(Written {
            href: href.to_string(),
            version,
        })
    }

    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError> {
        self.owned(href)?;
        // Some servers (SOGo) ignore If-Match on DELETE: check first, so that an
        // item changed since it was listed is never deleted unseen.
        let current = self
            .collection
            .etag(href)
            .await
            .map_err(|e| store_error(href, "", e))?;
        if current != version {
            return Err(StoreError::PreconditionFailed {
                href: href.to_string(),
                expected: version.to_string(),
            });
        }
        self.collection
            .delete(href, version)
            .await
            .map_err(|e| store_error(href, version, e))
    }

    async fn fetch_linked(&self, url: &str) -> Result<LinkedFile, StoreError> {
        self.collection
            .client()
            .get_linked(url, self.max_item_size)
            .await
            .map_err(server_error)
    }

    async fn metadata(&self) -> Result<Metadata, StoreError> {
        let cached = self.properties.lock().expect("properties lock").clone();
        let props = match cached {
            Some(props) => props,
            None => self
                .collection
                .display_properties()
                .await
                .map_err(server_error)?,
        };
        Ok(Metadata {
            displayname: props.displayname,
            color: props.color,
        })
    }

    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError> {
        *self.properties.lock().expect("properties lock") = None;
        self.collection
            .set_properties(metadata.displayname.as_deref(), metadata.color.as_deref())
            .await
            .map_err(server_error)
    }
}

#[cfg(test)]
mod tests {
    use super::{listing_token, server_error};
    use crate::ServerFailure;
    use davsync_dav::DavError;

    #[test]
    fn server_failures_keep_their_kind() {
        let url = || "https://dav.example.org/c/".to_string();
        for (error, kind) in [
            (
                DavError::Unauthorized { url: url() },
                ServerFailure::Unauthorized,
            ),
            (DavError::Forbidden { url: url() }, ServerFailure::Forbidden),
            (
                DavError::ProxyAuthentication { url: url() },
                ServerFailure::ProxyAuthentication,
            ),
            (
                DavError::Transport {
                    url: url(),
                    message: "connection refused".into(),
                },
                ServerFailure::Unreachable,
            ),
            (
                DavError::Offline {
                    url: url(),
                    message: "cannot connect: connection refused".into(),
                },
                ServerFailure::Offline,
            ),
            (
                DavError::Timeout {
                    url: url(),
                    message: "timed out".into(),
                },
                ServerFailure::Timeout,
            ),
            (
                DavError::UntrustedCertificate {
                    url: url(),
                    message: "invalid peer certificate: UnknownIssuer".into(),
                },
                ServerFailure::UntrustedCertificate,
            ),
            (
                DavError::TooLarge {
                    url: url(),
                    limit: 1,
                },
                ServerFailure::TooLarge,
            ),
            (
                DavError::Protocol {
                    url: url(),
                    message: "bad XML".into(),
                },
                ServerFailure::Protocol,
            ),
            (
                DavError::Status {
                    url: url(),
                    status: http::StatusCode::INTERNAL_SERVER_ERROR,
                },
                ServerFailure::Other,
            ),
        ] {
            let message = error.to_string();
            let e = server_error(error);
            assert_eq!(e.server_failure(), Some(kind), "{e}");
            assert_eq!(e.to_string(), message, "the words are kept");
        }
    }

    #[test]
    fn a_token_counting_seconds_is_taken_one_less() {
        assert_eq!(listing_token("1795534600"), "1795534599");
        // URLs, hashes, DAViCal's data: tokens, SOGo's -1 and 0 stay as they are.
        for kept in [
            "http://radicale.org/ns/sync/5d41402abc4b2a76",
            "3f786850e387550fdab836ed7e6dc881de23001b",
            "data:,42",
            "-1",
            "0",
            "+12",
            "",
        ] {
            assert_eq!(listing_token(kept), kept);
        }
    }
}
