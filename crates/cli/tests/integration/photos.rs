//! End-to-end: contact photos on Radicale. A photo the server gives as a
//! link on another host is fetched (without the server's password) and
//! stored in the folder's copy; an unchanged one goes back as the link,
//! one that cannot be fetched stays a link with a warning; with
//! `keep_local_photo` the folder's photo survives the server's.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{Setup, writes};
use davsync_dav::CollectionKind;
use davsync_testkit::filehost::FileHost;
use davsync_testkit::folder::{items_by_uid, write_file};
use std::collections::HashMap;
use std::path::Path;

/// A small JPEG's first bytes (enough to be one for davsync).
const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
];

fn card(uid: &str, name: &str, photo: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nN:{name};;;;\r\nFN:{name}\r\n{photo}\r\n\
         EMAIL;TYPE=INTERNET:{uid}@example.org\r\nEND:VCARD\r\n"
    )
}

fn local(folder: &Path, uid: &str) -> (String, String) {
    let mut files = items_by_uid(folder, "vcf").remove(uid).unwrap();
    assert_eq!(files.len(), 1);
    let (file, item) = files.pop().unwrap();
    (file, item.into_body())
}

#[test]
fn linked_photos_are_stored_inline_and_go_back_as_links() {
    let host = FileHost::start(HashMap::from([(
        "/ann.jpg".to_string(),
        ("image/jpeg".to_string(), JPEG.to_vec()),
    )]));
    let s = Setup::new("radicale");
    let folder = s.folder("local");
    let book = s.collection(CollectionKind::AddressBook);
    let config = s.profile(
        "people",
        "contacts",
        &folder,
        &book,
        "photo_uri = \"inline\"\nkeep_local_photo = true",
    );
    let ann_link = format!("{}/ann.jpg", host.origin);
    let bob_link = format!("{}/gone.jpg", host.origin);
    s.put(
        &book,
        "ann",
        &card("ann", "Ann", &format!("PHOTO;VALUE=uri:{ann_link}")),
    );
    s.put(
        &book,
        "bob",
        &card("bob", "Bob", &format!("PHOTO;VALUE=uri:{bob_link}")),
    );

    // Down: Ann's photo inline, Bob's a link still, with a warning.
    let first = &s.sync(&config, &[])["people"];
    assert_eq!(first["local"]["created"], 2, "{first:#}");
    let (ann_file, ann) = local(&folder, "ann");
    let unfolded = ann.replace("\r\n ", "");
    assert!(unfolded.contains("PHOTO;ENCODING=b;TYPE=JPEG;"), "{ann}");
    assert!(
        unfolded.contains(":/9j/4AAQSkZJRgABAQAAAQABAAD/2Q=="),
        "{ann}"
    );
    assert!(
        !unfolded.contains(&format!("PHOTO;VALUE=uri:{ann_link}")),
        "{ann}"
    );
    let (_, bob) = local(&folder, "bob");
    assert!(
        bob.contains(&format!("PHOTO;VALUE=uri:{bob_link}")),
        "{bob}"
    );
    let said = first.to_string();
    assert!(said.contains("gone.jpg: not found (404)"), "{first:#}");
    assert!(said.contains("the link is kept"), "{first:#}");
    // The photo host never saw the DAV server's password.
    let seen = host.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|r| !r.authorization), "{seen:?}");

    let idle = &s.sync(&config, &[])["people"];
    assert_eq!(writes(idle), 0, "{idle:#}");
    assert_eq!(host.seen().len(), 2, "an idle run fetches nothing");

    // Edited in the folder: the server keeps its link, not the bytes.
    write_file(&folder, &ann_file, &ann.replace("FN:Ann", "FN:Ann B"));
    let up = &s.sync(&config, &[])["people"];
    assert_eq!(up["server"]["updated"], 1, "{up:#}");
    let server = &s.server_bodies(&book)["ann"];
    assert!(
        server.contains(&format!("PHOTO;VALUE=uri:{ann_link}")),
        "{server}"
    );
    assert!(
        !server.contains("/9j/") && !server.contains("X-DAVSYNC"),
        "{server}"
    );
    assert!(server.contains("FN:Ann B"), "{server}");
    let idle = &s.sync(&config, &[])["people"];
    assert_eq!(writes(idle), 0, "{idle:#}");

    // A phone puts a smaller photo and a new address: the folder keeps its
    // photo (keep_local_photo) and takes the address.
    s.put_body(
        &book,
        "ann",
        &card("ann", "Ann B", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/2Q==")
            .replace("ann@example.org", "ann@example.com"),
    );
    let down = &s.sync(&config, &[])["people"];
    assert_eq!(down["local"]["updated"], 1, "{down:#}");
    let (_, ann) = local(&folder, "ann");
    let unfolded = ann.replace("\r\n ", "");
    assert!(
        unfolded.contains(":/9j/4AAQSkZJRgABAQAAAQABAAD/2Q=="),
        "{ann}"
    );
    assert!(!unfolded.contains("/9j/2Q=="), "{ann}");
    assert!(ann.contains("ann@example.com"), "{ann}");
    let idle = &s.sync(&config, &[])["people"];
    assert_eq!(writes(idle), 0, "{idle:#}");
}
