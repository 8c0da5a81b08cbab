//! The storage contract: what the engine relies on from every store. Each
//! check is a function over `&dyn Store`, so each backend's tests call them
//! one by one against a real instance (a folder, a server collection). UIDs
//! are unique per call, so checks can share one collection.

use crate::items;
use davsync_pim::Item;
use davsync_store::{Metadata, Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Events and tasks.
    Calendar,
    /// Contacts.
    Contacts,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A UID not used before in this process.
pub fn fresh_uid(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn sample(flavor: Flavor, uid: &str, summary: &str) -> String {
    match flavor {
        Flavor::Calendar => items::event(uid, summary, ""),
        Flavor::Contacts => items::vcard3(uid, summary),
    }
}

fn parse(body: &str) -> Item {
    Item::parse(body).unwrap_or_else(|e| panic!("stored body does not parse: {e}\n{body}"))
}

/// The stored item keeps everything that was sent: servers may add properties
/// (SOGo adds `CLASS:PUBLIC`), reorder and refold them, but lose nothing.
pub fn assert_kept(stored: &str, sent: &str) {
    let (stored, sent) = (parse(stored), parse(sent));
    assert_eq!(stored.uid(), sent.uid());
    let kept = stored.content_lines();
    let lost: Vec<String> = sent
        .content_lines()
        .into_iter()
        .filter(|l| !kept.contains(l))
        .collect();
    assert!(
        lost.is_empty(),
        "the stored item lost {lost:?}\nstored:\n{}",
        stored.body()
    );
}

async fn read(store: &dyn Store, href: &str) -> davsync_store::Fetched {
    store
        .get_many(&[href.to_string()])
        .await
        .pop()
        .expect("one result per href")
        .unwrap_or_else(|e| panic!("reading {href}: {e}"))
}

/// A created item is listed with the version `create` returned and reads back equal.
pub async fn create_list_read(store: &dyn Store, flavor: Flavor) {
    let uid = fresh_uid("create");
    let body = sample(flavor, &uid, "Created");
    let written = store.create(&uid, &body).await.expect("create");
    let listed = store.list().await.expect("list");
    let entry = listed
        .iter()
        .find(|l| l.href == written.href)
        .expect("created item is listed");
    assert_eq!(
        entry.version, written.version,
        "listing shows the version create returned"
    );
    let fetched = read(store, &written.href).await;
    assert_eq!(fetched.version, written.version);
    assert_kept(&fetched.body, &body);
}

/// `update` succeeds with the current version and fails, writing nothing, with a stale one.
pub async fn update_checks_version(store: &dyn Store, flavor: Flavor) {
    let uid = fresh_uid("update");
    let first = store
        .create(&uid, &sample(flavor, &uid, "One"))
        .await
        .expect("create");
    let second_body = sample(flavor, &uid, "Two");
    let second = store
        .update(&first.href, &first.version, &second_body)
        .await
        .expect("update with the current version");
    assert_eq!(second.href, first.href);
    assert_ne!(
        second.version, first.version,
        "an update changes the version"
    );
    let stale = store
        .update(&first.href, &first.version, &sample(flavor, &uid, "Three"))
        .await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed { .. })),
        "update with a stale version must fail: {stale:?}"
    );
    assert_kept(&read(store, &first.href).await.body, &second_body);
}

/// `delete` fails with a stale version (the item stays) and succeeds with the current one.
pub async fn delete_checks_version(store: &dyn Store, flavor: Flavor) {
    let uid = fresh_uid("delete");
    let first = store
        .create(&uid, &sample(flavor, &uid, "One"))
        .await
        .expect("create");
    let second = store
        .update(&first.href, &first.version, &sample(flavor, &uid, "Two"))
        .await
        .expect("update");
    let stale = store.delete(&first.href, &first.version).await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed { .. })),
        "delete with a stale version must fail: {stale:?}"
    );
    assert!(
        store
            .list()
            .await
            .unwrap()
            .iter()
            .any(|l| l.href == first.href)
    );
    store
        .delete(&second.href, &second.version)
        .await
        .expect("delete");
    assert!(
        !store
            .list()
            .await
            .unwrap()
            .iter()
            .any(|l| l.href == first.href)
    );
    let again = store.delete(&second.href, &second.version).await;
    assert!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "{again:?}"
    );
}

/// Creating a second item with a UID already present never overwrites the first.
pub async fn create_never_overwrites(store: &dyn Store, flavor: Flavor) {
    let uid = fresh_uid("twice");
    let first_body = sample(flavor, &uid, "First");
    let first = store.create(&uid, &first_body).await.expect("create");
    match store.create(&uid, &sample(flavor, &uid, "Second")).await {
        Err(StoreError::AlreadyExists { .. }) => {}
        Ok(second) => assert_ne!(second.href, first.href, "a create reused an occupied href"),
        Err(e) => panic!("unexpected error: {e}"),
    }
    assert_kept(&read(store, &first.href).await.body, &first_body);
}

/// UIDs with `/`, `..`, spaces, non-ASCII and great length are stored, listed and
/// read back under hrefs of the store's own, distinct for distinct UIDs.
pub async fn special_uids(store: &dyn Store, flavor: Flavor) {
    let base = fresh_uid("special");
    let uids = [
        format!("{base}/slash"),
        format!("../../{base}"),
        format!("{base} with spaces+plus@host"),
        format!("{base}-ümlaut-日本"),
        format!("{base}-{}", "x".repeat(300)),
        format!("{base}%2F"),
        format!("{base}.ics"),
    ];
    let mut hrefs = std::collections::HashSet::new();
    for uid in &uids {
        let body = sample(flavor, uid, "Special");
        let written = store
            .create(uid, &body)
            .await
            .unwrap_or_else(|e| panic!("create {uid:?}: {e}"));
        assert!(
            hrefs.insert(written.href.clone()),
            "two UIDs share {}",
            written.href
        );
        let fetched = read(store, &written.href).await;
        let item = Item::parse(&fetched.body).expect("parses");
        assert_eq!(item.uid(), uid);
    }
    let listed: std::collections::HashSet<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.href)
        .collect();
    assert!(hrefs.is_subset(&listed), "every special item is listed");
}

/// An item of about a mebibyte survives the round trip.
pub async fn large_item(store: &dyn Store, flavor: Flavor) {
    let uid = fresh_uid("large");
    let text = "Lorem ipsum dolor sit amet\\, consectetur adipiscing elit. ".repeat(18_000);
    let body = match flavor {
        Flavor::Calendar => items::event(&uid, "Large", &format!("DESCRIPTION:{text}\r\n")),
        Flavor::Contacts => {
            items::vcard3(&uid, "Large").replace("END:VCARD", &format!("NOTE:{text}\r\nEND:VCARD"))
        }
    };
    let body = fold_long_lines(&body);
    assert!(body.len() > 1_000_000);
    let written = store.create(&uid, &body).await.expect("create large item");
    assert_kept(&read(store, &written.href).await.body, &body);
}

fn fold_long_lines(body: &str) -> String {
    let mut out = String::new();
    for line in body.split_inclusive("\r\n") {
        let content = line.trim_end_matches("\r\n");
        let mut first = true;
        let bytes = content.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let end = (start + if first { 75 } else { 74 }).min(bytes.len());
            if !first {
                out.push(' ');
            }
            out.push_str(&content[start..end]);
            out.push_str("\r\n");
            start = end;
            first = false;
        }
    }
    out
}

/// Many items are listed and read back in one `get_many`, each accounted for,
/// and an unknown href gets its own `NotFound`.
pub async fn many_items(store: &dyn Store, flavor: Flavor, count: usize) {
    let mut written = Vec::new();
    for i in 0..count {
        let uid = fresh_uid("many");
        let body = sample(flavor, &uid, &format!("Item {i}"));
        written.push((store.create(&uid, &body).await.expect("create"), body));
    }
    let listed = store.list().await.unwrap();
    for (w, _) in &written {
        assert!(listed.iter().any(|l| l.href == w.href));
    }
    let mut hrefs: Vec<String> = written.iter().map(|(w, _)| w.href.clone()).collect();
    let missing = {
        let uid = fresh_uid("missing");
        let w = store
            .create(&uid, &sample(flavor, &uid, "gone"))
            .await
            .unwrap();
        store.delete(&w.href, &w.version).await.unwrap();
        w.href
    };
    hrefs.push(missing);
    let results = store.get_many(&hrefs).await;
    assert_eq!(results.len(), hrefs.len(), "one result per href");
    for ((w, sent), result) in written.iter().zip(&results) {
        let fetched = result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", w.href));
        assert_kept(&fetched.body, sent);
    }
    assert!(matches!(
        results.last(),
        Some(Err(StoreError::NotFound { .. }))
    ));
}

/// A recurring event with an exception in the same resource stays one item.
pub async fn recurring_with_exception(store: &dyn Store) {
    let uid = fresh_uid("series");
    let body = items::recurring_event(&uid, "Weekly");
    let written = store.create(&uid, &body).await.expect("create series");
    let fetched = read(store, &written.href).await;
    assert_kept(&fetched.body, &body);
    assert_eq!(fetched.body.matches("BEGIN:VEVENT").count(), 2);
}

/// vCard 3.0 and 4.0 both round-trip.
pub async fn vcard_versions(store: &dyn Store) {
    for body_of in [items::vcard3, items::vcard4] {
        let uid = fresh_uid("card");
        let body = body_of(&uid, "Ann Example");
        let written = store.create(&uid, &body).await.expect("create card");
        let fetched = read(store, &written.href).await;
        let item = Item::parse(&fetched.body).unwrap();
        assert_eq!(item.uid(), uid);
        assert_eq!(item.summary(), Some("Ann Example"));
    }
}

/// Display name and colour are written and read back.
pub async fn metadata_round_trip(store: &dyn Store) {
    let meta = Metadata {
        displayname: Some("Work – Ümlaut".into()),
        color: Some("#1E90FFFF".into()),
    };
    store.set_metadata(&meta).await.expect("set metadata");
    assert_eq!(store.metadata().await.expect("metadata"), meta);
}
