//! The DAV store over a SOGo address book holding a contact list (VLIST):
//! lists are items like contacts on every way the store hands items on
//! (listing, sync-collection delta, the address-book query), the same way
//! each time, and a create never lands on a list's href. `crates/dav`
//! reads and writes lists (`docs/sogo-lists.md`).

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::CollectionKind;
use davsync_store::{Changes, DavStore, ReadOptions, Store};
use davsync_testkit::servers;

const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:m1\r\nFN:Homer Simpson\r\n\
                    EMAIL:homer@example.com\r\nEND:VCARD\r\n";

fn list(name: &str) -> String {
    format!(
        "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:list-1\r\nFN:{name}\r\n\
         CARD;EMAIL=homer@example.com;FN=Homer Simpson:m1.vcf\r\nEND:VLIST\r\n"
    )
}

#[tokio::test]
async fn lists_are_in_every_listing_alike() {
    let sogo = servers::get("sogo");
    let c = sogo.without_keep_alive(&sogo.new_collection(CollectionKind::AddressBook).await);
    let list_href = format!("{}list-1.vlf", c.href());
    c.create(&list_href, &list("Simpsons")).await.unwrap();
    let store = DavStore::new(c.clone());
    let card = store.create("m1", CARD).await.unwrap();

    let sorted = |mut hrefs: Vec<String>| {
        hrefs.sort();
        hrefs
    };
    let both = sorted(vec![card.href.clone(), list_href.clone()]);
    let listed = store.list().await.unwrap();
    assert_eq!(sorted(listed.into_iter().map(|l| l.href).collect()), both);

    let mut read = Vec::new();
    let state = store
        .read_all(&ReadOptions::default(), &mut |r| {
            read.push(r.map(|f| f.href).map_err(|e| e.to_string()))
        })
        .await
        .unwrap();
    let read: Vec<String> = read.into_iter().map(Result::unwrap).collect();
    assert_eq!(sorted(read), both);

    // A change of the list alone: the delta names it (the token is taken a
    // second early on SOGo, so the contact may come again).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let etag = c.etag(&list_href).await.unwrap();
    c.update(&list_href, &etag, &list("Simpson family"))
        .await
        .unwrap();
    let changes = store.list_changes(state.as_deref()).await.unwrap();
    match changes.changes {
        Changes::Delta { changed, deleted } => {
            assert!(changed.iter().any(|l| l.href == list_href), "{changed:?}");
            assert!(
                changed.iter().all(|l| both.contains(&l.href)),
                "{changed:?}"
            );
            assert!(deleted.is_empty(), "{deleted:?}");
        }
        Changes::Full(listed) => panic!("a full listing from a token: {listed:?}"),
    }
    let full = store.list_changes(None).await.unwrap();
    let Changes::Full(listed) = full.changes else {
        panic!("no full listing without a state")
    };
    assert_eq!(listed.len(), 2, "{listed:?}");

    // A contact whose UID would name the list's file goes elsewhere (SOGo
    // ignores If-None-Match: a create there would overwrite the list).
    let taken = format!("{}list-2.vcf", c.href());
    c.create(&taken, &list("Second")).await.unwrap();
    store.list().await.unwrap();
    let other = store
        .create("list-2", &CARD.replace("UID:m1", "UID:list-2"))
        .await
        .unwrap();
    assert_ne!(other.href, taken);
    let body = c
        .multiget(std::slice::from_ref(&taken))
        .await
        .unwrap()
        .pop();
    assert!(body.unwrap().unwrap().is_list());

    // The list is still there, as SOGo keeps it.
    let body = c
        .multiget(std::slice::from_ref(&list_href))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(body.unwrap().data.contains("FN:Simpson family"));
}
