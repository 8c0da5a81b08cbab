//! Tests of `discovery.rs`.

use super::*;
use crate::CollectionKind;

fn target(priority: u16, weight: u16, host: &str) -> SrvTarget {
    SrvTarget {
        priority,
        weight,
        port: 443,
        host: host.into(),
    }
}

#[test]
fn srv_order_follows_priority_then_weight() {
    let records = vec![
        target(20, 0, "late"),
        target(10, 60, "heavy"),
        target(10, 0, "zero"),
        target(5, 1, "first"),
        target(10, 40, "light"),
    ];
    let hosts = |v: Vec<SrvTarget>| v.into_iter().map(|t| t.host).collect::<Vec<_>>();
    // The smallest random number picks the first entry of the running sum.
    let low = order_srv(records.clone(), &mut |_| 0);
    assert_eq!(hosts(low), ["first", "zero", "heavy", "light", "late"]);
    // The largest picks the last one each time.
    let high = order_srv(records.clone(), &mut |max| max);
    assert_eq!(hosts(high), ["first", "light", "heavy", "zero", "late"]);
    // Over many runs, the weights show: heavy before light about 60 % of the time.
    let mut heavy_first = 0;
    for _ in 0..2000 {
        let order = hosts(order_srv(records.clone(), &mut random_up_to));
        assert_eq!(order[0], "first");
        assert_eq!(order[4], "late");
        let h = order.iter().position(|x| x == "heavy").unwrap();
        let l = order.iter().position(|x| x == "light").unwrap();
        if h < l {
            heavy_first += 1;
        }
    }
    assert!((1000..1400).contains(&heavy_first), "{heavy_first}");
}

#[test]
fn txt_path_and_email_domain() {
    let strings: Vec<&[u8]> = vec![b"txtvers=1", b"path=/dav/principals/"];
    assert_eq!(
        txt_path_of(strings.into_iter()).as_deref(),
        Some("/dav/principals/")
    );
    let bad: Vec<&[u8]> = vec![b"path=relative"];
    assert_eq!(txt_path_of(bad.into_iter()), None);
    assert_eq!(
        email_domain("Alice@Example.ORG").as_deref(),
        Some("example.org")
    );
    assert_eq!(email_domain("alice"), None);
    assert_eq!(email_domain("@example.org"), None);
    assert_eq!(email_domain("a@exa mple.org"), None);
}

#[test]
fn hrefs_and_hosts() {
    let o = Origin::of("http://127.0.0.1:8080/SOGo/dav/").unwrap();
    assert_eq!(o.base(), "http://127.0.0.1:8080/");
    assert_eq!(o.host(), "127.0.0.1");
    let (x, p) = resolve_href(&o, "/.well-known/caldav", "/dav/").unwrap();
    assert_eq!((x.url(&p)).as_str(), "http://127.0.0.1:8080/dav/");
    let (x, p) = resolve_href(&o, "/.well-known/caldav", "https://127.0.0.1/d/").unwrap();
    assert_eq!(x.url(&p), "https://127.0.0.1/d/");
    assert!(o.may_follow(&x));
    assert!(!x.may_follow(&o), "never from https down to http");
    let other = Origin::of("https://evil.example/").unwrap();
    assert!(!o.may_follow(&other));
    let (x, p) = resolve_href(&o, "/a/b", "c/").unwrap();
    assert_eq!(x.url(&p), "http://127.0.0.1:8080/a/c/");
    assert!(Origin::of("ftp://x/").is_none());
    assert!(Origin::of("http://user:pw@x/").is_none());
    assert_eq!(Origin::of("http://[::1]:5232/").unwrap().host(), "::1");
}

const SOGO: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:b="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/"><D:response><D:href>/SOGo/dav/alice/Calendar/</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:resourcetype><D:collection/></D:resourcetype><D:displayname>Calendar</D:displayname></D:prop></D:propstat></D:response>
<D:response><D:href>/SOGo/dav/alice/Calendar/personal.ics</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:resourcetype/><D:displayname>Personal Calendar</D:displayname></D:prop></D:propstat></D:response>
<D:response><D:href>/SOGo/dav/alice/Calendar/personal/</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:resourcetype><D:collection/><calendar xmlns="urn:ietf:params:xml:ns:caldav"/><vevent-collection xmlns="http://groupdav.org/"/></D:resourcetype><D:displayname>Personal Calendar</D:displayname><a:calendar-color>#AAAAAAFF</a:calendar-color><n1:supported-calendar-component-set xmlns:n1="urn:ietf:params:xml:ns:caldav"><n1:comp name="VEVENT"/><n1:comp name="VFREEBUSY"/><n1:comp name="VTODO"/></n1:supported-calendar-component-set><D:current-user-privilege-set xmlns:n1="urn:ietf:params:xml:ns:caldav"><D:privilege><D:read/></D:privilege><D:privilege><n1:schedule/></D:privilege><D:privilege><D:write/></D:privilege></D:current-user-privilege-set><D:supported-report-set><D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report></D:supported-report-set></D:prop></D:propstat></D:response></D:multistatus>"#;

const RADICALE: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:ICAL="http://apple.com/ns/ical/"><response><href>/alice/</href><propstat><prop><resourcetype><principal /><collection /></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response><response><href>/alice/contacts%20book/</href><propstat><prop><resourcetype><CR:addressbook /><collection /></resourcetype><displayname>Contacts</displayname><current-user-privilege-set><privilege><read /></privilege></current-user-privilege-set></prop><status>HTTP/1.1 200 OK</status></propstat><propstat><prop><ICAL:calendar-color /><C:supported-calendar-component-set /></prop><status>HTTP/1.1 404 Not Found</status></propstat></response><response><href>/alice/todo/</href><propstat><prop><resourcetype><C:calendar /><collection /></resourcetype><C:supported-calendar-component-set><C:comp name="VTODO" /></C:supported-calendar-component-set></prop><status>HTTP/1.1 200 OK</status></propstat></response><response><href>/alice/all/</href><propstat><prop><resourcetype><C:calendar /><collection /></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;

#[test]
fn parses_sogo_listing() {
    let entries = parse_collections(SOGO).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let c = entries[0]
        .clone()
        .into_collection("http://x/SOGo/dav/alice/Calendar/personal/".into());
    assert_eq!(c.kind, CollectionKind::Calendar);
    assert_eq!(c.displayname.as_deref(), Some("Personal Calendar"));
    assert_eq!(c.color.as_deref(), Some("#AAAAAAFF"));
    assert_eq!(c.components, ["VEVENT", "VFREEBUSY", "VTODO"]);
    assert_eq!(c.kind_label(), "events+tasks");
    assert!(!c.read_only);
    assert!(c.supports_sync);
}

#[test]
fn parses_radicale_listing_with_failed_propstats() {
    let entries = parse_collections(RADICALE).unwrap();
    let hrefs: Vec<&str> = entries.iter().map(|e| e.href.as_str()).collect();
    assert_eq!(
        hrefs,
        ["/alice/contacts book/", "/alice/todo/", "/alice/all/"]
    );
    let origin = Origin::of("http://h:1/").unwrap();
    assert_eq!(
        collection_url(&origin, hrefs[0]),
        "http://h:1/alice/contacts%20book/"
    );
    assert_eq!(collection_url(&origin, "/a@b.c/x"), "http://h:1/a@b.c/x/");
    let book = entries[0].clone().into_collection("u".into());
    assert_eq!(book.kind_label(), "address book");
    assert!(book.read_only, "only DAV:read");
    assert!(book.color.is_none(), "a 404 propstat is no value");
    assert!(book.components.is_empty());
    let todo = entries[1].clone().into_collection("u".into());
    assert_eq!(todo.kind_label(), "tasks");
    assert!(!todo.read_only, "no privilege set: assume writable");
    let all = entries[2].clone().into_collection("u".into());
    assert_eq!(
        all.kind_label(),
        "events+tasks",
        "no component set: all kinds"
    );
}
