//! SOGo's contact lists (`BEGIN:VLIST`, `text/x-vlist`) through `Collection`,
//! against the real SOGo, in a fresh address book: listed, read (multiget,
//! query, sync-collection), created, updated and deleted over plain CardDAV.
//! What SOGo does with them is written down in `docs/sogo-lists.md`.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind, Created, DavError, QueryFilter, SyncReport};
use davsync_testkit::servers;

fn member(uid: &str, name: &str, email: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n\
         EMAIL:{email}\r\nEND:VCARD\r\n"
    )
}

/// A list naming the member contact at `member_file` (its resource name in
/// the address book) and one outside address.
fn list(uid: &str, name: &str, member_file: &str) -> String {
    format!(
        "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:{uid}\r\nFN:{name}\r\nNICKNAME:nick\r\n\
         DESCRIPTION:a list\\, with a comma\r\n\
         CARD;EMAIL=homer@example.com;FN=Homer Simpson:{member_file}\r\n\
         X-ADDRESSBOOKSERVER-MEMBER;CN=Out Side:mailto:out@example.org\r\n\
         END:VLIST\r\n"
    )
}

async fn body_of(c: &Collection, href: &str) -> (String, String) {
    let body = c
        .multiget(&[href.to_string()])
        .await
        .unwrap()
        .pop()
        .unwrap()
        .unwrap_or_else(|e| panic!("{href}: {e}"));
    assert!(
        body.is_list() == href.ends_with(".vlf"),
        "{href}: {}",
        body.data
    );
    (body.etag, body.data)
}

#[tokio::test]
async fn sogo_lists_are_listed_read_written_and_deleted() {
    let sogo = servers::get("sogo");
    let c = sogo.without_keep_alive(&sogo.new_collection(CollectionKind::AddressBook).await);
    let card_href = format!("{}m1.vcf", c.href());
    let list_href = format!("{}list-1.vlf", c.href());

    // Created over CardDAV: a PUT of the VLIST body (with If-None-Match: *).
    let created = c
        .create(
            &card_href,
            &member("m1", "Homer Simpson", "homer@example.com"),
        )
        .await
        .unwrap();
    assert!(matches!(created, Created::New(_)), "{created:?}");
    let created = c
        .create(&list_href, &list("list-1", "Simpsons", "m1.vcf"))
        .await
        .unwrap();
    let Created::New(Some(first_etag)) = created else {
        panic!("{created:?}")
    };
    let token = c.properties().await.unwrap().sync_token;
    // SOGo's token counts seconds and names what changed after its second:
    // the changes below come in a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Listed with its media type.
    let listed = c.list().await.unwrap();
    let listed_list = listed.iter().find(|r| r.href == list_href).unwrap();
    assert!(listed_list.is_list(), "{listed_list:?}");
    assert_eq!(listed_list.etag, first_etag);
    let listed_card = listed.iter().find(|r| r.href == card_href).unwrap();
    assert!(!listed_card.is_list(), "{listed_card:?}");

    // Read: multiget, the address-book query, sync-collection.
    let (etag, data) = body_of(&c, &list_href).await;
    assert_eq!(etag, first_etag);
    for line in [
        "UID:list-1",
        "FN:Simpsons",
        "NICKNAME:nick",
        "DESCRIPTION:a list\\, with a comma",
        "X-ADDRESSBOOKSERVER-MEMBER;CN=Out Side:mailto:out@example.org",
    ] {
        assert!(data.lines().any(|l| l == line), "{line:?} in {data}");
    }
    // SOGo keeps the member's parameters but may reorder them.
    let card_line = data.lines().find(|l| l.starts_with("CARD;")).unwrap();
    assert!(card_line.ends_with(":m1.vcf"), "{card_line}");
    assert!(card_line.contains("EMAIL=homer@example.com"), "{card_line}");
    assert!(card_line.contains("FN=Homer Simpson"), "{card_line}");

    let mut queried = Vec::new();
    c.query(&QueryFilter::everything(), &mut |item| queried.push(item))
        .await
        .unwrap();
    let item = queried.iter().find(|i| i.href == list_href).unwrap();
    assert!(item.result.as_ref().unwrap().is_list());
    assert_eq!(queried.len(), 2, "{queried:?}");

    let SyncReport::Changes { changed, .. } = c.sync_collection_all(None).await.unwrap() else {
        panic!("invalid token without a token")
    };
    let synced = changed.iter().find(|r| r.href == list_href).unwrap();
    assert!(synced.is_list(), "{synced:?}");
    assert!(
        !changed
            .iter()
            .find(|r| r.href == card_href)
            .unwrap()
            .is_list()
    );

    // Updated: If-Match is kept on PUT (412 for a stale ETag).
    let renamed = list("list-1", "Simpson family", "m1.vcf");
    let stale = c.update(&list_href, "\"gcs00000009\"", &renamed).await;
    assert!(
        matches!(stale, Err(DavError::PreconditionFailed { .. })),
        "{stale:?}"
    );
    let new_etag = c.update(&list_href, &first_etag, &renamed).await.unwrap();
    let (etag, data) = body_of(&c, &list_href).await;
    assert_eq!(Some(&etag), new_etag.as_ref());
    assert_ne!(etag, first_etag);
    assert!(data.lines().any(|l| l == "FN:Simpson family"), "{data}");

    // A change of a member contact rewrites every list naming it: a new ETag,
    // and the member's FN and EMAIL parameters taken from the contact.
    let card_etag = c.etag(&card_href).await.unwrap();
    c.update(
        &card_href,
        &card_etag,
        &member("m1", "Homer J. Simpson", "homer@example.net"),
    )
    .await
    .unwrap();
    let (after_member, data) = body_of(&c, &list_href).await;
    assert_ne!(after_member, etag, "{data}");
    let card_line = data.lines().find(|l| l.starts_with("CARD;")).unwrap();
    assert!(card_line.contains("FN=Homer J. Simpson"), "{card_line}");
    assert!(card_line.contains("EMAIL=homer@example.net"), "{card_line}");

    // Deleted (with If-Match, which SOGo ignores on DELETE); a delta from
    // the token taken after the creates names the list as deleted.
    c.delete(&list_href, &after_member).await.unwrap();
    let gone = c.multiget(std::slice::from_ref(&list_href)).await.unwrap();
    assert!(
        matches!(gone[0], Err(DavError::NotFound { .. })),
        "{gone:?}"
    );
    if let Some(token) = token {
        match c.sync_collection_all(Some(&token)).await.unwrap() {
            SyncReport::Changes {
                deleted, changed, ..
            } => {
                assert!(
                    deleted.contains(&list_href),
                    "{token}: {deleted:?} {changed:?}"
                )
            }
            SyncReport::InvalidToken => panic!("token {token} refused"),
        }
    }
    // The member contact is still there.
    assert!(!body_of(&c, &card_href).await.1.is_empty());
}

#[tokio::test]
async fn a_list_under_a_vcf_name_is_still_a_list() {
    // The store names new items `<uid>.vcf`: SOGo tells a list by its body.
    let sogo = servers::get("sogo");
    let c = sogo.without_keep_alive(&sogo.new_collection(CollectionKind::AddressBook).await);
    let href = format!("{}list-2.vcf", c.href());
    c.create(&href, &list("list-2", "Named like a card", "nobody.vcf"))
        .await
        .unwrap();
    let listed = c.list().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].is_list(), "{listed:?}");
    let body = c.multiget(&[href]).await.unwrap().pop().unwrap().unwrap();
    assert!(body.is_list(), "{}", body.data);
    // A member naming no contact of the address book is kept as it was sent.
    assert!(body.data.contains(":nobody.vcf"), "{}", body.data);
}
