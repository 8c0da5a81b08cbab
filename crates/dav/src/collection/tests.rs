use super::sync::{merge_sync_round, merged_report};
use super::*;
use crate::client::ClientOptions;
use std::collections::BTreeMap;

#[test]
fn a_refusal_says_the_precondition_and_the_servers_words() {
    let cyrus = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" \
                     xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:valid-calendar-data/>\
                     <D:responsedescription>DTEND must occur after DTSTART\
                     </D:responsedescription></D:error>";
    assert_eq!(
        failed_precondition(cyrus).as_deref(),
        Some("valid-calendar-data: DTEND must occur after DTSTART")
    );
    assert_eq!(
        failed_precondition(
            "<error xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\
                 <C:supported-address-data/></error>"
        )
        .as_deref(),
        Some("supported-address-data")
    );
    assert_eq!(
        failed_precondition("<error xmlns=\"DAV:\"><need-privileges/></error>"),
        None
    );
    assert_eq!(failed_precondition("<html>Forbidden</html>"), None);
    assert_eq!(failed_precondition("not xml"), None);
}

fn collection(kind: CollectionKind) -> Collection {
    let client = DavClient::new("http://127.0.0.1:1/", None, &ClientOptions::default()).unwrap();
    Collection::new(client, "http://127.0.0.1:1/alice/cal", kind).unwrap()
}

#[test]
fn owns_only_direct_children() {
    let c = collection(CollectionKind::Calendar);
    assert_eq!(c.href(), "/alice/cal/");
    assert!(c.owns("/alice/cal/a.ics"));
    for href in [
        "/alice/cal/",
        "/alice/cal/sub/a.ics",
        "/alice/other/a.ics",
        "/alice/cal/..",
        "/etc/passwd",
    ] {
        assert!(!c.owns(href), "{href}");
    }
}

#[test]
fn encoded_collection_paths_match_normalised_hrefs() {
    let client = DavClient::new("http://127.0.0.1:1/", None, &ClientOptions::default()).unwrap();
    let c = Collection::new(
        client,
        "http://127.0.0.1:1/alice/my%20cal/",
        CollectionKind::Calendar,
    )
    .unwrap();
    let item = libdav::encoding::normalise_percent_encoded("/alice/my%20cal/a.ics").unwrap();
    assert!(c.owns(&item), "{} vs {item}", c.href());
}

#[test]
fn media_types() {
    let cards = CollectionKind::AddressBook;
    assert!(cards.accepts(Some("text/vcard; charset=utf-8")));
    assert!(cards.accepts(Some("text/x-vcard")));
    // SOGo's contact lists are listed with the contacts.
    assert!(cards.accepts(Some("text/x-vlist")));
    assert!(!cards.accepts(Some("text/html")));
    assert!(!CollectionKind::Calendar.accepts(Some("text/x-vlist")));
    assert!(CollectionKind::Calendar.accepts(Some("text/calendar;component=vevent")));
    assert!(!CollectionKind::Calendar.accepts(Some("text/html")));
}

#[test]
fn lists_are_told_by_media_type_and_body() {
    let list = "\r\n BEGIN:vlist\r\nVERSION:1.0\r\nUID:l\r\nFN:L\r\nEND:VLIST\r\n";
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:C\r\nEND:VCARD\r\n";
    assert!(is_list_body(list));
    assert!(!is_list_body(card));
    assert!(!is_list_body(""));
    let body = |data: &str| Body {
        data: data.into(),
        etag: "\"1\"".into(),
    };
    assert!(body(list).is_list());
    assert!(!body(card).is_list());
    let resource = |ct: Option<&str>| Resource {
        href: "/c/a".into(),
        etag: "\"1\"".into(),
        content_type: ct.map(str::to_string),
    };
    assert!(resource(Some("text/x-vlist")).is_list());
    assert!(resource(Some("Text/X-VList; charset=utf-8")).is_list());
    assert!(!resource(Some("text/x-vcard")).is_list());
    assert!(!resource(None).is_list());
    let cards = CollectionKind::AddressBook;
    assert_eq!(cards.content_type_for(list), LIST_CONTENT_TYPE);
    assert_eq!(cards.content_type_for(card), cards.content_type());
    assert_eq!(
        CollectionKind::Calendar.content_type_for(list),
        CollectionKind::Calendar.content_type()
    );
}

#[test]
fn sync_answers_keep_the_media_type_and_the_token_is_escaped() {
    let c = collection(CollectionKind::AddressBook);
    let body = r#"<D:multistatus xmlns:D="DAV:">
<D:response><D:href>/alice/cal/m1.vcf</D:href><D:propstat><D:prop><D:getetag>"gcs00000000"</D:getetag><D:getcontenttype>text/x-vcard</D:getcontenttype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>/alice/cal/l.vlf</D:href><D:propstat><D:prop><D:getetag>"gcs00000002"</D:getetag><D:getcontenttype>text/x-vlist</D:getcontenttype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:sync-token>1796231333</D:sync-token></D:multistatus>"#;
    let page = c.parse_sync(body.as_bytes()).unwrap();
    let SyncReport::Changes { changed, .. } = page.report else {
        panic!("invalid token")
    };
    let lists: Vec<bool> = changed.iter().map(Resource::is_list).collect();
    assert_eq!(lists, [false, true]);
    let request = c.sync_request(Some("http://x/?a=1&b=<2>")).unwrap();
    assert!(
        request
            .body()
            .contains("<D:sync-token>http://x/?a=1&amp;b=&lt;2&gt;</D:sync-token>"),
        "{}",
        request.body()
    );
    assert!(request.body().contains("<D:getcontenttype/>"));
    let first = c.sync_request(None).unwrap();
    assert!(first.body().contains("<D:sync-token/>"));
    assert_eq!(first.method().as_str(), "REPORT");
}

fn changes(page: &SyncPage) -> (&str, Vec<(&str, &str)>, Vec<&str>) {
    match &page.report {
        SyncReport::Changes {
            token,
            changed,
            deleted,
        } => (
            token,
            changed
                .iter()
                .map(|r| (r.href.as_str(), r.etag.as_str()))
                .collect(),
            deleted.iter().map(String::as_str).collect(),
        ),
        SyncReport::InvalidToken => panic!("invalid token"),
    }
}

#[test]
fn a_truncated_sync_answer_is_detected_and_the_507_is_no_item() {
    let c = collection(CollectionKind::Calendar);
    // RFC 6578 §3.6's example, with the collection's href written three ways.
    for own in ["/alice/cal/", "/alice/cal", "http://127.0.0.1:1/alice/cal/"] {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:">
  <D:response>
    <D:href>/alice/cal/a.ics</D:href>
    <D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  </D:response>
  <D:response>
    <D:href>/alice/cal/b.ics</D:href>
    <D:status>HTTP/1.1 404 Not Found</D:status>
  </D:response>
  <D:response>
    <D:href>{own}</D:href>
    <D:status>HTTP/1.1 507 Insufficient Storage</D:status>
    <D:error><D:number-of-matches-within-limits/></D:error>
  </D:response>
  <D:sync-token>http://example.com/ns/sync/1233</D:sync-token>
</D:multistatus>"#
        );
        let page = c.parse_sync(body.as_bytes()).unwrap();
        assert!(page.truncated, "{own}");
        assert_eq!(
            changes(&page),
            (
                "http://example.com/ns/sync/1233",
                vec![("/alice/cal/a.ics", "\"1\"")],
                vec!["/alice/cal/b.ics"]
            )
        );
    }
}

#[test]
fn a_colour_gets_an_alpha_only_when_it_has_none() {
    assert_eq!(with_alpha("#3A87AD").as_deref(), Some("#3A87ADFF"));
    assert_eq!(with_alpha("#3A87ADFF"), None);
    assert_eq!(with_alpha("blue"), None);
    assert_eq!(with_alpha("#3A87AZ"), None);
}

#[test]
fn a_complete_sync_answer_is_not_truncated() {
    let c = collection(CollectionKind::Calendar);
    let body = r#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:response><d:href>/alice/cal/</d:href><d:propstat><d:prop><d:getetag>"c"</d:getetag><d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/alice/cal/a%20b.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/alice/cal/sub/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/elsewhere/x.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
  <d:sync-token>
    tok-2
  </d:sync-token>
</d:multistatus>"#;
    let page = c.parse_sync(body.as_bytes()).unwrap();
    assert!(!page.truncated);
    assert_eq!(
        changes(&page),
        ("tok-2", vec![("/alice/cal/a b.ics", "\"2\"")], vec![])
    );
    // A 200 for the collection itself is no truncation either, nor an item.
    assert!(c.parse_sync(b"<d:multistatus xmlns:d=\"DAV:\"/>").is_err());
    let missing_etag = r#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/alice/cal/x.ics</d:href><d:status>HTTP/1.1 200 OK</d:status></d:response><d:sync-token>t</d:sync-token></d:multistatus>"#;
    assert!(c.parse_sync(missing_etag.as_bytes()).is_err());
}

#[test]
fn sync_rounds_merge_with_the_later_one_winning() {
    let r = |href: &str, etag: &str| Resource {
        href: href.into(),
        etag: etag.into(),
        content_type: None,
    };
    let mut merged = BTreeMap::new();
    // Round 1: a, b, c changed; d deleted.
    merge_sync_round(
        &mut merged,
        vec![r("/c/a", "1"), r("/c/b", "1"), r("/c/c", "1")],
        vec!["/c/d".into()],
    );
    // Round 2: b deleted, d re-created, a changed again.
    merge_sync_round(
        &mut merged,
        vec![r("/c/d", "2"), r("/c/a", "2")],
        vec!["/c/b".into()],
    );
    let report = merged_report("t2".into(), merged);
    assert_eq!(
        report,
        SyncReport::Changes {
            token: "t2".into(),
            changed: vec![r("/c/a", "2"), r("/c/c", "1"), r("/c/d", "2")],
            deleted: vec!["/c/b".into()],
        }
    );
}

#[tokio::test]
async fn a_dead_server_is_offline_at_once() {
    let c = collection(CollectionKind::Calendar);
    let e = c.list().await.unwrap_err();
    assert!(matches!(e, DavError::Offline { .. }), "{e:?}");
    assert!(e.to_string().contains("127.0.0.1:1"), "{e}");
    // Refused: not asked again (the default options retry 3 times).
    assert_eq!(c.client().requests(), 1);
}

#[tokio::test]
async fn an_address_without_a_route_is_offline_within_the_connect_timeout() {
    // 192.0.2.0/24 is reserved for documentation: nothing answers there,
    // whether the network says so at once or the connection times out.
    let options = ClientOptions {
        connect_timeout: std::time::Duration::from_millis(300),
        // A connect timeout is tried again (a busy server may be slow to
        // accept): not here.
        retries: 0,
        ..ClientOptions::default()
    };
    let client = DavClient::new("http://192.0.2.1/", None, &options).unwrap();
    let c = Collection::new(
        client,
        "http://192.0.2.1/alice/cal",
        CollectionKind::Calendar,
    )
    .unwrap();
    let e = c.list().await.unwrap_err();
    assert!(matches!(e, DavError::Offline { .. }), "{e:?}");
    assert_eq!(c.client().requests(), 1);
}
