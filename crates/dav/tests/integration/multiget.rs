//! Multigets whose answer would be over the client's size limit, against a
//! real server (Radicale): asked again in halves, so that many large items
//! are still read, and an item too large by itself is that item's error alone.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{ClientOptions, Collection, CollectionKind, DavClient, DavError};
use davsync_testkit::{items, servers};

#[tokio::test]
async fn an_answer_over_the_size_limit_is_asked_for_in_halves() {
    let server = servers::get("radicale");
    let made = server.new_collection(CollectionKind::Calendar).await;
    // 8 items of about 10 KB and one of about 40 KB; answers of at most 30 KB.
    let padding = |n: usize| format!("DESCRIPTION:{}\r\n", "x".repeat(n));
    let mut hrefs = Vec::new();
    for i in 0..9 {
        let uid = format!("big-{i}");
        let size = if i == 4 { 40_000 } else { 10_000 };
        let href = format!("{}{uid}.ics", made.href());
        made.create(&href, &items::event(&uid, "Big", &padding(size)))
            .await
            .expect("create");
        hrefs.push(href);
    }
    let options = ClientOptions {
        max_body: 30_000,
        ..ClientOptions::default()
    };
    let client =
        DavClient::new(&server.url_of(&made), Some(&server.credentials()), &options).unwrap();
    let collection = Collection::new(client, made.href(), CollectionKind::Calendar).unwrap();

    let bodies = collection.multiget(&hrefs).await.expect("read in parts");
    assert_eq!(bodies.len(), hrefs.len());
    for (i, (href, body)) in hrefs.iter().zip(&bodies).enumerate() {
        match (i, body) {
            (4, Err(DavError::TooLarge { limit: 30_000, .. })) => {}
            (4, other) => panic!("{href}: expected too large alone, got {other:?}"),
            (_, Ok(body)) => assert!(
                body.data.contains(&format!("UID:big-{i}")) && body.data.len() > 10_000,
                "{href}: {} bytes",
                body.data.len()
            ),
            (_, Err(e)) => panic!("{href}: {e}"),
        }
    }
    // 9 → 4 + 5 → 2 + 2 + 2 + 3 → … : more than one request, far fewer than
    // 2 per item.
    let requests = collection.client().requests();
    assert!((2..18).contains(&requests), "{requests} requests");
}
