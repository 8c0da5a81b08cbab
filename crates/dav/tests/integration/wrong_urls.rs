//! A collection URL the server answers for, but that is not the
//! collection's own (a doubled slash), or not a calendar at all (the
//! principal): listing and sync-collection fail with an error naming what
//! the server said, instead of an empty collection. Against Radicale.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind, DavError};
use davsync_testkit::{items, servers};

fn protocol_message(result: Result<impl std::fmt::Debug, DavError>) -> String {
    match result {
        Err(DavError::Protocol { message, .. }) => message,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_doubled_slash_or_a_principal_is_an_error_not_an_empty_calendar() {
    let s = servers::get("radicale");
    let calendar = s.new_collection(CollectionKind::Calendar).await;
    calendar
        .create(
            &format!("{}one.ics", calendar.href()),
            &items::event("one", "One", ""),
        )
        .await
        .unwrap();
    let base = s.base_url.trim_end_matches('/');
    let doubled = Collection::new(
        s.client(),
        &format!("{base}/{}", calendar.href()),
        CollectionKind::Calendar,
    )
    .unwrap();
    assert!(doubled.href().starts_with("//"), "{}", doubled.href());
    let listed = protocol_message(doubled.list().await);
    assert!(
        listed.contains(&format!("names this collection {}", calendar.href())),
        "{listed}"
    );
    let synced = doubled.sync_collection(None).await;
    assert!(
        matches!(&synced, Err(DavError::Protocol { message, .. }) if message.contains("outside")),
        "{synced:?}"
    );
    // The right URL lists the event.
    assert_eq!(calendar.list().await.unwrap().len(), 1);

    let principal =
        Collection::new(s.client(), &s.principal_url, CollectionKind::Calendar).unwrap();
    let message = protocol_message(principal.list().await);
    assert!(
        message.contains("is no calendar but holds calendars ("),
        "{message}"
    );
    assert!(message.contains(calendar.href()), "{message}");
    let principal =
        Collection::new(s.client(), &s.principal_url, CollectionKind::AddressBook).unwrap();
    let message = protocol_message(principal.list().await);
    assert!(
        message.contains("is no address book but holds address books ("),
        "{message}"
    );
}
