use super::*;
use crate::mapping::testing::{self, map};
use crate::mapping::{ContactOptions, MapWarnings, Mapping, VcardVersionOption};

const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 2, 3,
];
const LINK: &str = "https://photos.example.org/ann.jpg";

fn server_card() -> Item {
    Item::parse(format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nN:;Ann;;;\r\nFN:Ann\r\nPHOTO;VALUE=uri:{LINK}\r\n\
         EMAIL;TYPE=work:ann@example.org\r\nEND:VCARD\r\n"
    ))
    .unwrap()
}

fn fetched(result: Result<FetchedPhoto, String>) -> LinkedFiles {
    LinkedFiles::from([(LINK.to_string(), result)])
}

fn jpeg() -> LinkedFiles {
    fetched(Ok(FetchedPhoto {
        data: JPEG.to_vec(),
        media_type: Some("image/jpeg".into()),
    }))
}

fn down(m: &Mapping, item: &Item, linked: &LinkedFiles, warnings: &MapWarnings) -> Item {
    let context = MapContext {
        linked: Some(linked),
        warnings: Some(warnings),
        ..MapContext::default()
    };
    m.map(Side::Local, item.clone(), &context).unwrap()
}

fn options(version: VcardVersionOption, uri: PhotoUriOption, keep_local: bool) -> ContactOptions {
    ContactOptions {
        vcard_version: version,
        photo_uri: uri,
        keep_local_photo: keep_local,
        ..ContactOptions::default()
    }
}

#[test]
fn inline_asks_for_the_links_towards_the_folder_only() {
    let m = Mapping::new().with_contact_options(
        &options(VcardVersionOption::Keep, PhotoUriOption::Inline, false),
        false,
    );
    assert_eq!(m.links(Side::Local, &server_card()), [LINK]);
    assert!(m.links(Side::Server, &server_card()).is_empty());
    let keep = Mapping::new().with_contact_options(&ContactOptions::default(), false);
    assert!(keep.links(Side::Local, &server_card()).is_empty());
    let plain = Photos {
        uri: PhotoUriOption::Keep,
        keep_local: false,
    };
    assert!(!plain.lossy(Side::Local) && !plain.lossy(Side::Server));
}

#[test]
fn an_inlined_photo_in_any_version_goes_back_as_the_servers_link() {
    for version in [
        VcardVersionOption::Keep,
        VcardVersionOption::V3,
        VcardVersionOption::V4,
    ] {
        let m = Mapping::new()
            .with_contact_options(&options(version, PhotoUriOption::Inline, false), false);
        let server = server_card();
        let warnings = MapWarnings::default();
        let local = down(&m, &server, &jpeg(), &warnings);
        assert!(warnings.take().is_empty());
        assert!(
            local.photo_links().is_empty(),
            "{version:?}: {}",
            local.body()
        );
        assert!(local.body().contains("/9j/"), "{}", local.body());
        // Idempotent, and an unchanged card is the server's card.
        assert_eq!(down(&m, &local, &jpeg(), &warnings).body(), local.body());
        assert_eq!(
            map(&m, Side::Server, &local, Some(&server)).body(),
            server.body()
        );
        // An edit elsewhere in the card keeps the link on the server.
        let edited = Item::parse(local.body().replace("FN:Ann", "FN:Ann B")).unwrap();
        let up = map(&m, Side::Server, &edited, Some(&server));
        assert_eq!(up.photo_links(), [LINK], "{version:?}: {}", up.body());
        assert!(!up.body().contains("X-DAVSYNC"), "{}", up.body());
        testing::assert_untouched(&server, &up, &["PHOTO", "FN", "VERSION"]);
    }
}

#[test]
fn a_photo_that_cannot_be_fetched_is_a_warning_and_stays_a_link() {
    let m = Mapping::new().with_contact_options(
        &options(VcardVersionOption::Keep, PhotoUriOption::Inline, false),
        false,
    );
    let warnings = MapWarnings::default();
    let local = down(
        &m,
        &server_card(),
        &fetched(Err(format!("{LINK}: not found (404)"))),
        &warnings,
    );
    assert_eq!(local.body(), server_card().body());
    let said = warnings.take();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("not found (404)") && said[0].contains("link is kept"),
        "{said:?}"
    );
}

#[test]
fn keep_local_photo_keeps_the_folders_photo() {
    let m = Mapping::new().with_contact_options(
        &options(VcardVersionOption::Keep, PhotoUriOption::Keep, true),
        false,
    );
    assert!(m.lossy(Side::Server));
    let local = Item::parse(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nPHOTO;ENCODING=b;TYPE=JPEG:AAAABBBB\r\n\
         EMAIL;TYPE=work:ann@example.org\r\nEND:VCARD\r\n",
    )
    .unwrap();
    // The phone sent a smaller photo and a new e-mail address.
    let server = Item::parse(
        local
            .body()
            .replace("AAAABBBB", "AA")
            .replace("ann@example.org", "ann@example.com"),
    )
    .unwrap();
    let down = map(&m, Side::Local, &server, Some(&local));
    assert_eq!(down.property_values("PHOTO"), ["AAAABBBB"]);
    assert_eq!(down.property_values("EMAIL"), ["ann@example.com"]);
    // Without a folder copy (a new contact), the server's photo.
    assert_eq!(map(&m, Side::Local, &server, None).body(), server.body());
    // Only the photo differs: the folder's copy as it is (no write).
    let photo_only = Item::parse(local.body().replace("AAAABBBB", "AA")).unwrap();
    assert_eq!(
        map(&m, Side::Local, &photo_only, Some(&local)).body(),
        local.body()
    );
}
