//! Test doubles that change one or two answers of a real store and forward
//! everything else: a double implements [`Wrap`] (its `inner` store, plus
//! the methods it changes) and is used as a store through [`Forward`]. Every
//! method of [`Store`], the defaulted policy methods too (`flush`,
//! `still_is`, `planned_href`, `checks_content_before_overwrite`, ...), is
//! forwarded unless the double says otherwise: a double written out by hand
//! tends to forget those, and the engine then meets other behaviour than
//! with the real store (no directory sync, no confirmation of fresh
//! versions).
//!
//! (A blanket `impl<W: Wrap> Store for W` is not allowed, as `Store` lives
//! in another crate: hence the [`Forward`] newtype.)

use async_trait::async_trait;
use davsync_store::{
    ChangeSet, Changes, Fetched, Href, LinkedFile, Listed, Metadata, ReadOptions, Sink, Store,
    StoreError, Written,
};
use std::future::Future;
use std::pin::Pin;

/// What [`Store::read_all`] returns (the store crate's `LocalBoxFuture`).
pub type ReadAllFuture<'s> = Pin<Box<dyn Future<Output = Result<Option<String>, StoreError>> + 's>>;

/// A test double over an inner store: every method forwards to
/// [`inner`](Wrap::inner) unless the double overrides it.
///
/// Beware the methods [`Store`] defines by others: `list_changes` (by
/// `list`) and `read_all` (by `list_changes` and `get_many`). They are
/// forwarded to the inner store as they are, so a double that changes
/// `list` changes `list_changes` too, and one that changes what is listed or
/// read, and may meet a first sync, overrides [`read_all`](Wrap::read_all)
/// with [`read_all_by_listing`] (which goes through the double).
#[async_trait]
pub trait Wrap: Send + Sync {
    /// The store everything not overridden goes to.
    fn inner(&self) -> &dyn Store;

    /// [`Store::describe`].
    fn describe(&self) -> String {
        self.inner().describe()
    }

    /// [`Store::list`].
    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        self.inner().list().await
    }

    /// [`Store::list_changes`].
    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        self.inner().list_changes(since).await
    }

    /// [`Store::read_all`]; `outer` is the [`Forward`] this double is used
    /// through, for a double that reads through its own methods.
    fn read_all<'s>(
        &'s self,
        outer: &'s dyn Store,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> ReadAllFuture<'s> {
        let _ = outer;
        self.inner().read_all(options, sink)
    }

    /// [`Store::planned_href`].
    fn planned_href(&self, uid: &str) -> Option<Href> {
        self.inner().planned_href(uid)
    }

    /// [`Store::still_is`].
    fn still_is(&self, href: &str, listed: &str, known: &str) -> bool {
        self.inner().still_is(href, listed, known)
    }

    /// [`Store::checks_content_before_overwrite`].
    fn checks_content_before_overwrite(&self) -> bool {
        self.inner().checks_content_before_overwrite()
    }

    /// [`Store::flush`].
    async fn flush(&self) -> Result<(), StoreError> {
        self.inner().flush().await
    }

    /// [`Store::requests`].
    fn requests(&self) -> Option<u64> {
        self.inner().requests()
    }

    /// [`Store::fetch_linked`].
    async fn fetch_linked(&self, url: &str) -> Result<LinkedFile, StoreError> {
        self.inner().fetch_linked(url).await
    }

    /// [`Store::get_many`].
    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.inner().get_many(hrefs).await
    }

    /// [`Store::create`].
    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        self.inner().create(uid, body).await
    }

    /// [`Store::update`].
    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        self.inner().update(href, version, body).await
    }

    /// [`Store::delete`].
    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError> {
        self.inner().delete(href, version).await
    }

    /// [`Store::metadata`].
    async fn metadata(&self) -> Result<Metadata, StoreError> {
        self.inner().metadata().await
    }

    /// [`Store::set_metadata`].
    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError> {
        self.inner().set_metadata(metadata).await
    }
}

/// Reads everything as [`Store::read_all`] does by default: a listing from
/// `store`'s own `list_changes`, then its `get_many` in batches. For a
/// [`Wrap`] that changes what is listed or read (pass it `outer`).
pub fn read_all_by_listing<'s>(
    store: &'s dyn Store,
    options: &'s ReadOptions,
    sink: &'s mut Sink<'_>,
) -> ReadAllFuture<'s> {
    Box::pin(async move {
        let ChangeSet { changes, state } = store.list_changes(None).await?;
        let listed = match changes {
            Changes::Full(listed) => listed,
            Changes::Delta { changed, .. } => changed,
        };
        let hrefs: Vec<Href> = listed.into_iter().map(|l| l.href).collect();
        davsync_store::read_in_batches(store, &hrefs, options, sink).await;
        Ok(state)
    })
}

/// A [`Wrap`] used as a [`Store`]; dereferences to the double, so a test
/// reads its counters through it.
pub struct Forward<W>(pub W);

impl<W> std::ops::Deref for Forward<W> {
    type Target = W;

    fn deref(&self) -> &W {
        &self.0
    }
}

/// Forwards everything: `Forward(Box::new(store) as Box<dyn Store>)` is the
/// store itself (what the forwarding is tested with).
impl Wrap for Box<dyn Store + '_> {
    fn inner(&self) -> &dyn Store {
        self.as_ref()
    }
}

/// Forwards everything, to a borrowed store.
impl Wrap for &dyn Store {
    fn inner(&self) -> &dyn Store {
        *self
    }
}

#[async_trait]
impl<W: Wrap> Store for Forward<W> {
    fn describe(&self) -> String {
        self.0.describe()
    }

    async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        self.0.list().await
    }

    async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
        self.0.list_changes(since).await
    }

    fn read_all<'s>(
        &'s self,
        options: &'s ReadOptions,
        sink: &'s mut Sink<'_>,
    ) -> ReadAllFuture<'s> {
        self.0.read_all(self, options, sink)
    }

    fn planned_href(&self, uid: &str) -> Option<Href> {
        self.0.planned_href(uid)
    }

    fn still_is(&self, href: &str, listed: &str, known: &str) -> bool {
        self.0.still_is(href, listed, known)
    }

    fn checks_content_before_overwrite(&self) -> bool {
        self.0.checks_content_before_overwrite()
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.0.flush().await
    }

    fn requests(&self) -> Option<u64> {
        self.0.requests()
    }

    async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
        self.0.get_many(hrefs).await
    }

    async fn fetch_linked(&self, url: &str) -> Result<LinkedFile, StoreError> {
        self.0.fetch_linked(url).await
    }

    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        self.0.create(uid, body).await
    }

    async fn update(&self, href: &str, version: &str, body: &str) -> Result<Written, StoreError> {
        self.0.update(href, version, body).await
    }

    async fn delete(&self, href: &str, version: &str) -> Result<(), StoreError> {
        self.0.delete(href, version).await
    }

    async fn metadata(&self) -> Result<Metadata, StoreError> {
        self.0.metadata().await
    }

    async fn set_metadata(&self, metadata: &Metadata) -> Result<(), StoreError> {
        self.0.set_metadata(metadata).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{self, Flavor};
    use davsync_store::VdirStore;
    use std::sync::Mutex;

    /// A store whose every answer is its own (none is what a default gives),
    /// and which notes which method was called.
    #[derive(Default)]
    struct Scripted {
        calls: Mutex<Vec<&'static str>>,
    }

    impl Scripted {
        fn note(&self, method: &'static str) {
            self.calls.lock().unwrap().push(method);
        }
    }

    fn listed() -> Vec<Listed> {
        vec![Listed {
            href: "a.ics".into(),
            version: "v1".into(),
        }]
    }

    fn fetched(href: &str) -> Fetched {
        Fetched {
            href: href.into(),
            version: "v1".into(),
            body: "body".into(),
            modified: None,
        }
    }

    fn written(href: &str) -> Written {
        Written {
            href: href.into(),
            version: "v2".into(),
        }
    }

    fn metadata() -> Metadata {
        Metadata {
            displayname: Some("Scripted".into()),
            color: Some("#010203".into()),
        }
    }

    #[async_trait]
    impl Store for Scripted {
        fn describe(&self) -> String {
            self.note("describe");
            "scripted".into()
        }
        async fn list(&self) -> Result<Vec<Listed>, StoreError> {
            self.note("list");
            Ok(listed())
        }
        async fn list_changes(&self, since: Option<&str>) -> Result<ChangeSet, StoreError> {
            self.note("list_changes");
            Ok(ChangeSet {
                changes: Changes::Delta {
                    changed: listed(),
                    deleted: vec![format!("gone-since-{since:?}")],
                },
                state: Some("token-2".into()),
            })
        }
        fn read_all<'s>(
            &'s self,
            _options: &'s ReadOptions,
            sink: &'s mut Sink<'_>,
        ) -> ReadAllFuture<'s> {
            self.note("read_all");
            Box::pin(async move {
                sink(Ok(fetched("all.ics")));
                Ok(Some("after-read-all".into()))
            })
        }
        fn planned_href(&self, uid: &str) -> Option<Href> {
            self.note("planned_href");
            Some(format!("planned-{uid}"))
        }
        fn still_is(&self, _href: &str, listed: &str, known: &str) -> bool {
            self.note("still_is");
            listed != known
        }
        fn checks_content_before_overwrite(&self) -> bool {
            self.note("checks_content_before_overwrite");
            true
        }
        async fn flush(&self) -> Result<(), StoreError> {
            self.note("flush");
            Err(StoreError::NoCollection("flushed".into()))
        }
        fn requests(&self) -> Option<u64> {
            self.note("requests");
            Some(42)
        }
        async fn get_many(&self, hrefs: &[Href]) -> Vec<Result<Fetched, StoreError>> {
            self.note("get_many");
            hrefs.iter().map(|h| Ok(fetched(h))).collect()
        }
        async fn fetch_linked(&self, url: &str) -> Result<LinkedFile, StoreError> {
            self.note("fetch_linked");
            Ok(LinkedFile {
                data: url.as_bytes().to_vec(),
                media_type: Some("image/png".into()),
            })
        }
        async fn create(&self, uid: &str, _body: &str) -> Result<Written, StoreError> {
            self.note("create");
            Ok(written(uid))
        }
        async fn update(
            &self,
            href: &str,
            _version: &str,
            _body: &str,
        ) -> Result<Written, StoreError> {
            self.note("update");
            Ok(written(href))
        }
        async fn delete(&self, href: &str, _version: &str) -> Result<(), StoreError> {
            self.note("delete");
            Err(StoreError::NotFound { href: href.into() })
        }
        async fn metadata(&self) -> Result<Metadata, StoreError> {
            self.note("metadata");
            Ok(metadata())
        }
        async fn set_metadata(&self, _metadata: &Metadata) -> Result<(), StoreError> {
            self.note("set_metadata");
            Err(StoreError::NoCollection("metadata set".into()))
        }
    }

    /// Every method reaches the inner store, and its answer comes back as it
    /// was given. (A method added to `Store` with a default must be added
    /// to `Wrap`, `Forward`, and here.)
    #[tokio::test]
    async fn every_method_is_forwarded_with_its_answer() {
        let inner = Scripted::default();
        let forward = Forward(&inner as &dyn Store);
        let store: &dyn Store = &forward;
        assert_eq!(store.describe(), "scripted");
        assert_eq!(store.list().await.unwrap(), listed());
        let changes = store.list_changes(Some("token-1")).await.unwrap();
        assert_eq!(changes.state.as_deref(), Some("token-2"));
        assert_eq!(
            changes.changes,
            Changes::Delta {
                changed: listed(),
                deleted: vec!["gone-since-Some(\"token-1\")".into()],
            }
        );
        let mut read = Vec::new();
        let state = store
            .read_all(&ReadOptions::default(), &mut |r| read.push(r.unwrap()))
            .await
            .unwrap();
        assert_eq!(state.as_deref(), Some("after-read-all"));
        assert_eq!(read, [fetched("all.ics")]);
        assert_eq!(store.planned_href("u").as_deref(), Some("planned-u"));
        assert!(store.still_is("a.ics", "v1", "v2"));
        assert!(!store.still_is("a.ics", "v1", "v1"));
        assert!(store.checks_content_before_overwrite());
        assert!(matches!(
            store.flush().await,
            Err(StoreError::NoCollection(m)) if m == "flushed"
        ));
        assert_eq!(store.requests(), Some(42));
        let got = store.get_many(&["x.ics".into(), "y.ics".into()]).await;
        let got: Vec<Fetched> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [fetched("x.ics"), fetched("y.ics")]);
        let photo = store.fetch_linked("https://x/p.png").await.unwrap();
        assert_eq!(photo.data, b"https://x/p.png");
        assert_eq!(store.create("u", "b").await.unwrap(), written("u"));
        assert_eq!(
            store.update("a.ics", "v1", "b").await.unwrap(),
            written("a.ics")
        );
        assert!(matches!(
            store.delete("a.ics", "v1").await,
            Err(StoreError::NotFound { href }) if href == "a.ics"
        ));
        assert_eq!(store.metadata().await.unwrap(), metadata());
        assert!(matches!(
            store.set_metadata(&metadata()).await,
            Err(StoreError::NoCollection(m)) if m == "metadata set"
        ));
        let mut calls = inner.calls.lock().unwrap().clone();
        calls.sort_unstable();
        calls.dedup();
        assert_eq!(
            calls,
            [
                "checks_content_before_overwrite",
                "create",
                "delete",
                "describe",
                "fetch_linked",
                "flush",
                "get_many",
                "list",
                "list_changes",
                "metadata",
                "planned_href",
                "read_all",
                "requests",
                "set_metadata",
                "still_is",
                "update",
            ],
            "each method reached the inner store"
        );
    }

    /// A double that changes the listing and reads through it: `read_all`
    /// then goes through the double's own `list_changes` and `get_many`.
    struct Relisting {
        inner: Scripted,
    }

    #[async_trait]
    impl Wrap for Relisting {
        fn inner(&self) -> &dyn Store {
            &self.inner
        }
        async fn list_changes(&self, _since: Option<&str>) -> Result<ChangeSet, StoreError> {
            Ok(ChangeSet {
                changes: Changes::Full(vec![Listed {
                    href: "mine.ics".into(),
                    version: "m".into(),
                }]),
                state: Some("my-token".into()),
            })
        }
        fn read_all<'s>(
            &'s self,
            outer: &'s dyn Store,
            options: &'s ReadOptions,
            sink: &'s mut Sink<'_>,
        ) -> ReadAllFuture<'s> {
            read_all_by_listing(outer, options, sink)
        }
    }

    #[tokio::test]
    async fn read_all_by_listing_goes_through_the_double() {
        let store = Forward(Relisting {
            inner: Scripted::default(),
        });
        let mut read = Vec::new();
        let state = store
            .read_all(&ReadOptions::default(), &mut |r| read.push(r.unwrap()))
            .await
            .unwrap();
        assert_eq!(state.as_deref(), Some("my-token"));
        assert_eq!(read, [fetched("mine.ics")]);
        // Whatever the double does not change still reaches the inner store.
        assert_eq!(store.requests(), Some(42));
        assert_eq!(*store.inner.calls.lock().unwrap(), ["get_many", "requests"]);
    }

    /// The storage contract holds through the forwarder over a folder, as
    /// it does for the folder itself.
    #[tokio::test]
    async fn a_forwarded_folder_passes_the_storage_contract() {
        let dir = tempfile::tempdir().unwrap();
        let folder = VdirStore::open(dir.path().join("cal"), "ics").unwrap();
        let store = Forward(Box::new(folder) as Box<dyn Store>);
        let store: &dyn Store = &store;
        contract::create_list_read(store, Flavor::Calendar).await;
        contract::update_checks_version(store, Flavor::Calendar).await;
        contract::delete_checks_version(store, Flavor::Calendar).await;
        contract::create_never_overwrites(store, Flavor::Calendar).await;
        contract::special_uids(store, Flavor::Calendar).await;
        contract::large_item(store, Flavor::Calendar).await;
        contract::many_items(store, Flavor::Calendar, 20).await;
        contract::recurring_with_exception(store).await;
        contract::metadata_round_trip(store).await;
        store.flush().await.unwrap();
        assert!(store.describe().contains("cal"));
        let folder = VdirStore::open(dir.path().join("contacts"), "vcf").unwrap();
        let contacts = Forward(Box::new(folder) as Box<dyn Store>);
        contract::create_list_read(&contacts, Flavor::Contacts).await;
        contract::vcard_versions(&contacts).await;
    }
}
