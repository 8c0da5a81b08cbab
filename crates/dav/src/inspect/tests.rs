//! Tests of the inspection's parser on answers recorded from the test
//! servers, and of the clock comparison.

use super::*;

const URL: &str = "http://127.0.0.1:1/c/";

fn parse(body: &str) -> Result<Found, DavError> {
    parse_inspection(URL, http::StatusCode::MULTI_STATUS, None, body.as_bytes())
}

/// sabre/dav 1.8, alice reading a calendar of `admin` as a member of its
/// `calendar-proxy-read` group: read privileges only. (sabre/dav also
/// binds the prefix `d` to the CalDAV namespace inside a privilege: only
/// namespaces count, not prefixes.)
const SABRE_READ_ONLY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:response><d:href>/calendars/admin/shared/</d:href><d:propstat><d:prop><d:current-user-privilege-set><d:privilege xmlns:d="DAV:"><d:read-free-busy xmlns:d="urn:ietf:params:xml:ns:caldav"/></d:privilege><d:privilege xmlns:d="DAV:"><d:read/></d:privilege><d:privilege xmlns:d="DAV:"><d:read-acl/></d:privilege><d:privilege xmlns:d="DAV:"><d:read-current-user-privilege-set/></d:privilege></d:current-user-privilege-set><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype><d:supported-report-set><d:supported-report><d:report><cal:calendar-multiget/></d:report></d:supported-report><d:supported-report><d:report><cal:calendar-query/></d:report></d:supported-report><d:supported-report><d:report><cal:free-busy-query/></d:report></d:supported-report><d:supported-report><d:report><d:expand-property/></d:report></d:supported-report><d:supported-report><d:report><d:principal-property-search/></d:report></d:supported-report><d:supported-report><d:report><d:principal-search-property-set/></d:report></d:supported-report></d:supported-report-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;

/// The same server, alice's own calendar: she may write.
const SABRE_OWN: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/calendars/alice/calendar/</d:href><d:propstat><d:prop><d:current-user-privilege-set><d:privilege xmlns:d="DAV:"><d:read-free-busy xmlns:d="urn:ietf:params:xml:ns:caldav"/></d:privilege><d:privilege xmlns:d="DAV:"><d:write/></d:privilege><d:privilege xmlns:d="DAV:"><d:read/></d:privilege></d:current-user-privilege-set><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype><d:supported-report-set><d:supported-report><d:report><cal:calendar-multiget/></d:report></d:supported-report></d:supported-report-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;

/// Radicale 3.9, alice's calendar, with the component set asked for too.
const RADICALE: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>/alice/calendar/</href><propstat><prop><resourcetype><C:calendar /><collection /></resourcetype><C:supported-calendar-component-set><C:comp name="VEVENT" /><C:comp name="vtodo" /></C:supported-calendar-component-set><current-user-privilege-set><privilege><read /></privilege><privilege><C:read-free-busy /></privilege><privilege><all /></privilege><privilege><write /></privilege><privilege><write-properties /></privilege><privilege><write-content /></privilege></current-user-privilege-set><supported-report-set><supported-report><report><expand-property /></report></supported-report><supported-report><report><sync-collection /></report></supported-report><supported-report><report><C:calendar-multiget /></report></supported-report></supported-report-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;

#[test]
fn a_read_only_calendar_is_not_writable() {
    let found = parse(SABRE_READ_ONLY).unwrap();
    assert_eq!(found.resource, ResourceType::Calendar { components: None });
    assert_eq!(found.writable, Some(false));
    assert_eq!(found.sync_collection, Some(false), "sabre/dav 1.8 has none");
}

#[test]
fn a_calendar_of_ones_own_is_writable() {
    let found = parse(SABRE_OWN).unwrap();
    assert_eq!(found.writable, Some(true));
    let found = parse(RADICALE).unwrap();
    assert_eq!(found.writable, Some(true));
    assert_eq!(found.sync_collection, Some(true));
    assert!(found.resource.takes("VEVENT") && found.resource.takes("VTODO"));
    assert!(!found.resource.takes("VJOURNAL"));
    assert_eq!(found.resource.kind(), Some(CollectionKind::Calendar));
}

#[test]
fn privileges_that_add_items_count_as_writing() {
    for (set, writable) in [
        (&["read", "write-content"][..], true),
        (&["read", "bind"], true),
        (&["all"], true),
        (&["read", "write-properties", "read-acl"], false),
        (&[], false),
    ] {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        assert_eq!(allows_writing(&set), writable, "{set:?}");
    }
}

#[test]
fn a_server_that_does_not_say_leaves_it_unknown() {
    let body = r#"<d:multistatus xmlns:d="DAV:" xmlns:r="urn:ietf:params:xml:ns:carddav"><d:response><d:href>/c/</d:href>
<d:propstat><d:prop><d:resourcetype><d:collection/><r:addressbook/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
<d:propstat><d:prop><d:current-user-privilege-set/><d:supported-report-set/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
</d:response></d:multistatus>"#;
    let found = parse(body).unwrap();
    assert_eq!(found.resource, ResourceType::AddressBook);
    assert!(!found.resource.takes("VEVENT"));
    assert_eq!((found.writable, found.sync_collection), (None, None));
}

#[test]
fn collections_of_other_kinds_and_items_are_told_apart() {
    // Radicale's root, and an item.
    let root = r#"<multistatus xmlns="DAV:"><response><href>/</href><propstat><prop><resourcetype><collection /></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;
    assert_eq!(parse(root).unwrap().resource, ResourceType::OtherCollection);
    let item = r#"<multistatus xmlns="DAV:"><response><href>/c/a.ics</href><propstat><prop><resourcetype /></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;
    let found = parse(item).unwrap();
    assert_eq!(found.resource, ResourceType::NotCollection);
    assert_eq!(found.resource.kind(), None);
}

#[test]
fn a_resource_refused_inside_the_multistatus_is_the_statuss_error() {
    // Xandikos, for a path that does not exist.
    let body = r#"<ns0:multistatus xmlns:ns0="DAV:"><ns0:response><ns0:href>http://127.0.0.1:1/nothing/</ns0:href><ns0:status>HTTP/1.1 404 Not Found</ns0:status></ns0:response></ns0:multistatus>"#;
    let e = parse(body).unwrap_err();
    assert!(matches!(e, DavError::NotFound { .. }), "{e:?}");
    let body = body.replace("404 Not Found", "401 Unauthorized");
    let e = parse(&body).unwrap_err();
    assert!(matches!(e, DavError::Unauthorized { .. }), "{e:?}");
}

#[test]
fn an_answer_that_is_no_webdav_is_said_so() {
    // SOGo's `/`: its web interface.
    let found = parse_inspection(
        URL,
        http::StatusCode::OK,
        Some("text/html; charset=utf-8"),
        b"<!DOCTYPE html><html><body>SOGo</body></html>",
    )
    .unwrap();
    assert_eq!(
        found.resource,
        ResourceType::NotDav {
            status: http::StatusCode::OK,
            content_type: Some("text/html; charset=utf-8".into())
        }
    );
    // A 207 that is no multistatus.
    let found = parse("<html/>").unwrap();
    assert!(
        matches!(found.resource, ResourceType::NotDav { .. }),
        "{found:?}"
    );
    assert!(parse("<d:multistatus xmlns:d=\"DAV:\"/>").is_err());
}

#[test]
fn http_dates_are_read() {
    let date = parse_http_date("Wed, 02 Dec 2026 14:08:27 GMT").unwrap();
    assert_eq!(date.to_rfc3339(), "2026-12-02T14:08:27+00:00");
    assert_eq!(parse_http_date("yesterday"), None);
}

#[test]
fn the_clock_skew_is_taken_from_the_middle_of_the_request() {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let sent = at("2026-12-02T14:00:00.000Z");
    let received = at("2026-12-02T14:00:00.400Z");
    // An exact clock, whose Date cut the fraction off: within the request's time.
    let skew = clock_skew(at("2026-12-02T14:00:00Z"), sent, received);
    assert!(skew.abs() <= TimeDelta::milliseconds(400), "{skew}");
    // Ten minutes ahead, and behind.
    let skew = clock_skew(at("2026-12-02T14:10:00Z"), sent, received);
    assert_eq!(skew.num_seconds(), 600);
    let skew = clock_skew(at("2026-12-02T13:50:00Z"), sent, received);
    assert_eq!(skew.num_seconds(), -599);
}
