use super::*;
use proptest::prelude::*;

const JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];

fn card(version: &str, photo: &str) -> Item {
    Item::parse(format!(
        "BEGIN:VCARD\r\nVERSION:{version}\r\nUID:ann\r\nFN:Ann\r\n{photo}\r\nEMAIL:ann@example.org\r\nEND:VCARD\r\n"
    ))
    .unwrap()
}

fn jpeg(_: &str) -> Option<Result<FetchedPhoto, String>> {
    Some(Ok(FetchedPhoto {
        data: JPEG.to_vec(),
        media_type: Some("image/jpeg".into()),
    }))
}

fn inline_of(item: &Item) -> Item {
    let (inlined, skipped) = item.with_photos_inline(jpeg).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    inlined
}

#[test]
fn a_linked_photo_is_stored_inline_in_the_cards_version_and_goes_back_as_the_link() {
    for (version, line, inline_head) in [
        (
            "4.0",
            "PHOTO;PREF=1:https://example.org/ann.jpg",
            "PHOTO;PREF=1:data:image/jpeg;base64,",
        ),
        (
            "3.0",
            "PHOTO;VALUE=uri:https://example.org/ann.jpg",
            "PHOTO;ENCODING=b;TYPE=JPEG",
        ),
        (
            "3.0",
            "item1.PHOTO;VALUE=URL;TYPE=JPEG:https://example.org/ann.jpg",
            "item1.PHOTO;ENCODING=b;TYPE=JPEG",
        ),
    ] {
        let server = card(version, line);
        assert_eq!(server.photo_links(), ["https://example.org/ann.jpg"]);
        let local = inline_of(&server);
        let body = local.body().replace("\r\n ", "");
        assert!(
            body.contains("X-DAVSYNC-URI=\"https://example.org/ann.jpg\""),
            "{body}"
        );
        assert!(body.contains("/9j/4AAQSkZJRgAB"), "{body}");
        let photo = body.lines().find(|l| l.contains("PHOTO")).unwrap();
        assert!(
            photo.starts_with(inline_head.split(':').next().unwrap()),
            "{photo}"
        );
        if version == "4.0" {
            assert!(photo.contains(":data:image/jpeg;base64,/9j/"), "{photo}");
        }
        assert!(local.photo_links().is_empty());
        // Idempotent: nothing left to fetch, nothing changes.
        assert_eq!(inline_of(&local).body(), local.body());
        // Back: the server's own line, byte for byte.
        let back = local.with_photo_links(Some(&server)).unwrap();
        assert_eq!(back.body(), server.body());
        assert_eq!(
            back.with_photo_links(Some(&server)).unwrap().body(),
            server.body()
        );
        // Without the server's copy: a plain link line of the same link.
        let plain = local.with_photo_links(None).unwrap();
        assert_eq!(plain.photo_links(), ["https://example.org/ann.jpg"]);
        assert!(!plain.body().contains("X-DAVSYNC"), "{}", plain.body());
        assert_eq!(plain.content_lines().len(), server.content_lines().len());
    }
}

#[test]
fn a_photo_changed_in_the_folder_goes_as_the_new_photo() {
    let server = card("4.0", "PHOTO:https://example.org/ann.jpg");
    let local = inline_of(&server);
    let edited = Item::parse(local.body().replace("/9j/", "/9k/")).unwrap();
    let up = edited.with_photo_links(Some(&server)).unwrap();
    let body = up.body().replace("\r\n ", "");
    assert!(body.contains("data:image/jpeg;base64,/9k/"), "{body}");
    assert!(!body.contains("X-DAVSYNC"), "{body}");
    assert!(up.photo_links().is_empty());
}

#[test]
fn a_photo_that_cannot_be_fetched_stays_a_link_and_says_why() {
    let server = card("4.0", "PHOTO:https://example.org/ann.jpg");
    let (same, skipped) = server
        .with_photos_inline(|_| Some(Err("not found (404)".into())))
        .unwrap();
    assert_eq!(same.body(), server.body());
    assert_eq!(
        skipped,
        [(
            "https://example.org/ann.jpg".to_string(),
            PhotoSkipped::NotFetched("not found (404)".into())
        )]
    );
    let (same, skipped) = server
        .with_photos_inline(|_| {
            Some(Ok(FetchedPhoto {
                data: b"<html>login</html>".to_vec(),
                media_type: Some("text/html".into()),
            }))
        })
        .unwrap();
    assert_eq!(same.body(), server.body());
    assert_eq!(skipped[0].1, PhotoSkipped::NotAnImage);
    // Not tried: no word.
    let (same, skipped) = server.with_photos_inline(|_| None).unwrap();
    assert_eq!(same.body(), server.body());
    assert!(skipped.is_empty());
}

#[test]
fn the_image_type_comes_from_the_bytes_when_the_server_gives_none() {
    let server = card("3.0", "PHOTO;VALUE=uri:http://example.org/p");
    let (local, _) = server
        .with_photos_inline(|_| {
            Some(Ok(FetchedPhoto {
                data: b"\x89PNG\r\n\x1a\n0000".to_vec(),
                media_type: Some("application/octet-stream".into()),
            }))
        })
        .unwrap();
    assert!(local.body().contains("TYPE=PNG"), "{}", local.body());
}

#[test]
fn the_folders_photo_is_kept_over_the_servers() {
    let local = card("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:AAAA");
    let server = card("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:BB");
    let kept = server.with_photos_of(&local).unwrap();
    assert_eq!(kept.body(), local.body());
    // A server copy without a photo gets the folder's.
    let bare = Item::parse(
        server
            .body()
            .replace("PHOTO;ENCODING=b;TYPE=JPEG:BB\r\n", ""),
    )
    .unwrap();
    assert_eq!(
        bare.with_photos_of(&local)
            .unwrap()
            .property_values("PHOTO"),
        ["AAAA"]
    );
    // A folder copy without one takes the server's.
    let no_photo = Item::parse(
        local
            .body()
            .replace("PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n", ""),
    )
    .unwrap();
    assert_eq!(
        server.with_photos_of(&no_photo).unwrap().body(),
        server.body()
    );
}

proptest! {
    #[test]
    fn inline_and_back_is_the_servers_card(
        v4 in any::<bool>(),
        path in "[a-z0-9/._-]{1,40}",
        data in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let link = format!("https://photos.example.org/{path}");
        let server = if v4 {
            card("4.0", &format!("PHOTO:{link}"))
        } else {
            card("3.0", &format!("PHOTO;VALUE=uri:{link}"))
        };
        let mut bytes = JPEG.to_vec();
        bytes.extend(data);
        let (local, skipped) = server
            .with_photos_inline(|_| Some(Ok(FetchedPhoto { data: bytes.clone(), media_type: None })))
            .unwrap();
        prop_assert!(skipped.is_empty());
        prop_assert!(local.photo_links().is_empty());
        let back = local.with_photo_links(Some(&server)).unwrap();
        prop_assert_eq!(back.body(), server.body());
        let alone = local.with_photo_links(None).unwrap();
        prop_assert_eq!(alone.photo_links(), vec![link]);
    }
}
