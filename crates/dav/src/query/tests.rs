//! Tests of `query.rs`.

use super::*;
use crate::multistatus::ParsedResponse;
use crate::multistatus::tests::item;

#[test]
fn responses_become_items_like_list_does() {
    let client = crate::client::DavClient::new(
        "http://127.0.0.1:1/",
        None,
        &crate::client::ClientOptions::default(),
    )
    .unwrap();
    let c = Collection::new(client, "http://127.0.0.1:1/cal/", CollectionKind::Calendar).unwrap();
    let one = |r: ParsedResponse| {
        let mut items = c.items_of(r);
        assert!(items.len() <= 1);
        items.pop()
    };
    // Good, with CRLFs restored, absolute and encoded hrefs normalised.
    let good = one(item("http://127.0.0.1:1/cal/a%20b.ics", "\"1\"", "A\nB\n")).unwrap();
    assert_eq!(good.href, "/cal/a b.ics");
    let body = good.result.unwrap();
    assert_eq!(
        (body.etag.as_str(), body.data.as_str()),
        ("\"1\"", "A\r\nB\r\n")
    );
    // Left out: the collection, a sub-collection, a foreign href, another media type.
    assert!(
        one(ParsedResponse {
            hrefs: vec!["/cal/".into()],
            ..Default::default()
        })
        .is_none()
    );
    assert!(
        one(ParsedResponse {
            is_collection: true,
            ..item("/cal/sub", "\"1\"", "")
        })
        .is_none()
    );
    assert!(one(item("/other/x.ics", "\"1\"", "x")).is_none());
    assert!(
        one(ParsedResponse {
            content_type: Some("text/html".into()),
            ..item("/cal/x.ics", "\"1\"", "x")
        })
        .is_none()
    );
    // Per-item errors.
    let gone = ParsedResponse {
        hrefs: vec!["/cal/gone.ics".into(), "/cal/gone2.ics".into()],
        status: Some(http::StatusCode::NOT_FOUND),
        ..Default::default()
    };
    let items = c.items_of(gone);
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| matches!(i.result, Err(DavError::NotFound { .. })))
    );
    let no_etag = one(ParsedResponse {
        etag: None,
        ..item("/cal/x.ics", "", "x")
    })
    .unwrap();
    assert!(
        matches!(no_etag.result, Err(DavError::Protocol { ref message, .. }) if message.contains("ETag"))
    );
    let withheld = one(ParsedResponse {
        data: None,
        data_status: Some(http::StatusCode::NOT_FOUND),
        ..item("/cal/x.ics", "\"1\"", "")
    })
    .unwrap();
    assert!(
        matches!(withheld.result, Err(DavError::Protocol { ref message, .. }) if message.contains("404"))
    );
    let spoilt = one(ParsedResponse {
        problem: Some("text that is not UTF-8".into()),
        ..item("/cal/x.ics", "\"1\"", "x")
    })
    .unwrap();
    assert!(
        matches!(spoilt.result, Err(DavError::Protocol { ref message, .. }) if message.contains("UTF-8"))
    );
}

#[test]
fn request_bodies() {
    let everything = QueryFilter::everything().calendar_bodies();
    assert_eq!(everything.len(), 1);
    assert!(everything[0].contains(r#"<C:comp-filter name="VCALENDAR"></C:comp-filter>"#));
    let start = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let end = DateTime::parse_from_rfc3339("2027-01-01T12:30:05Z")
        .unwrap()
        .to_utc();
    let ranged = QueryFilter::between(start, end).calendar_bodies();
    assert_eq!(ranged.len(), 3);
    for (body, name) in ranged.iter().zip(["VEVENT", "VTODO", "VJOURNAL"]) {
        assert!(body.contains(&format!(
                r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="{name}"><C:time-range start="20261201T000000Z" end="20270101T123005Z"/></C:comp-filter></C:comp-filter>"#
            )), "{body}");
        roxmltree::Document::parse(body).expect("well-formed");
    }
    assert!(
        QueryFilter::between(end, start)
            .calendar_bodies()
            .is_empty()
    );
    let tasks = QueryFilter {
        time_range: None,
        components: vec![CalendarComponent::Todo, CalendarComponent::Todo],
    };
    assert_eq!(tasks.calendar_bodies().len(), 1);
    roxmltree::Document::parse(ADDRESSBOOK_QUERY).expect("well-formed");
}

/// The properties a query asks for, by local name.
fn asked_properties(body: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(body).expect("well-formed");
    let prop = doc
        .descendants()
        .find(|n| n.tag_name().name() == "prop")
        .expect("a prop element");
    prop.children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name().to_string())
        .collect()
}

#[test]
fn queries_ask_for_the_etag_and_the_data_alone() {
    // Every property asked for costs the server per item (Radicale: 10 % of
    // its answer to 50,000 events for resourcetype and getcontenttype).
    let filters = [
        QueryFilter::everything(),
        QueryFilter {
            time_range: None,
            components: vec![CalendarComponent::Todo],
        },
    ];
    for filter in filters {
        for body in filter.calendar_bodies() {
            assert_eq!(asked_properties(&body), ["getetag", "calendar-data"]);
        }
    }
    assert_eq!(
        asked_properties(ADDRESSBOOK_QUERY),
        ["getetag", "address-data"]
    );
}
