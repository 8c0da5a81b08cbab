//! Tests of `multistatus.rs`.

use super::*;

/// Parses `body` delivered in pieces cut at `cuts` (ascending byte offsets).
fn parse_cut(body: &[u8], cuts: &[usize]) -> (Vec<ParsedResponse>, Result<(), DavError>) {
    parse_cut_limit(body, cuts, u64::MAX)
}

fn parse_cut_limit(
    body: &[u8],
    cuts: &[usize],
    limit: u64,
) -> (Vec<ParsedResponse>, Result<(), DavError>) {
    let (got, result) = parse_with_token(body, cuts, limit);
    (got, result.map(drop))
}

/// The responses, and the sync token the parse returned.
fn parse_with_token(
    body: &[u8],
    cuts: &[usize],
    limit: u64,
) -> (Vec<ParsedResponse>, Result<Option<String>, DavError>) {
    let mut pieces = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain([body.len()].iter()) {
        pieces.push(Ok(Bytes::copy_from_slice(&body[from..cut])));
        from = cut;
    }
    let mut got = Vec::new();
    let result = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(parse_multistatus(
            "http://x/",
            futures_util::stream::iter(pieces),
            limit,
            &mut |r| got.push(r),
        ));
    (got, result)
}

#[test]
fn a_sync_collection_answer_gives_its_token_beside_the_items() {
    let body = format!(
        "<?xml version=\"1.0\"?>\n<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\
         <D:response><D:href>/cal/a.ics</D:href><D:propstat><D:prop><D:getetag>\"1\"</D:getetag>\
         <C:calendar-data>{ICS_ESCAPED}</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\
         <D:response><D:href>/cal/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response>\
         <D:sync-token> http://example.org/sync/7 </D:sync-token></D:multistatus>"
    );
    for cuts in [vec![], vec![40, 400]] {
        let (got, token) = parse_with_token(body.as_bytes(), &cuts, u64::MAX);
        assert_eq!(token.unwrap().as_deref(), Some("http://example.org/sync/7"));
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].status.map(|s| s.as_u16()), Some(507));
    }
    // A query answer has none.
    let (_, token) = parse_with_token(
        b"<D:multistatus xmlns:D=\"DAV:\"></D:multistatus>",
        &[],
        u64::MAX,
    );
    assert_eq!(token.unwrap(), None);
}

const ICS_ESCAPED: &str = "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nEND:VCALENDAR&#13;\n";

fn parse(body: &str) -> Vec<ParsedResponse> {
    let (got, result) = parse_cut(body.as_bytes(), &[]);
    result.expect("parses");
    got
}

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a&b<c>\r\nSUMMARY:caf\u{e9} \"x\"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

pub(crate) fn item(href: &str, etag: &str, data: &str) -> ParsedResponse {
    ParsedResponse {
        hrefs: vec![href.to_string()],
        etag: Some(etag.to_string()),
        data: Some(data.to_string()),
        ..Default::default()
    }
}

/// A realistic answer: escaped data, CDATA, a 404 propstat, a collection,
/// a response-level 404.
fn sample() -> String {
    let escaped = ICS
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\u{e9}', "&#xE9;");
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">
 <d:response>
  <d:href>/cal/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype></d:prop>
  <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response>
 <d:response>
  <d:href>/cal/a%20b.ics</d:href>
  <d:propstat><d:prop><d:getetag>&quot;e1&quot;</d:getetag><cal:calendar-data>{escaped}</cal:calendar-data><d:resourcetype/></d:prop>
  <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  <d:propstat><d:prop><d:getcontenttype/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
 </d:response>
 <d:response><d:href>/cal/c.ics</d:href><d:propstat><d:prop><cal:calendar-data><![CDATA[{ICS}]]></cal:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 <d:propstat><d:prop><d:getetag>"e2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
 <d:response><d:href>/cal/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
</d:multistatus>
"#
    )
}

fn expected_sample() -> Vec<ParsedResponse> {
    vec![
        ParsedResponse {
            hrefs: vec!["/cal/".into()],
            is_collection: true,
            is_calendar: true,
            ..Default::default()
        },
        ParsedResponse {
            data_status: None,
            ..item("/cal/a%20b.ics", "\"e1\"", ICS)
        },
        item("/cal/c.ics", "\"e2\"", ICS),
        ParsedResponse {
            hrefs: vec!["/cal/gone.ics".into()],
            status: Some(http::StatusCode::NOT_FOUND),
            ..Default::default()
        },
    ]
}

#[test]
fn parses_a_realistic_answer() {
    // XML turns CRLF into LF; the data's CRLFs come back with normalise_newlines.
    let got = parse(&sample());
    let fixed: Vec<_> = got
        .into_iter()
        .map(|mut r| {
            r.data = r.data.map(|d| libdav::xmlutils::normalise_newlines(&d));
            r
        })
        .collect();
    assert_eq!(fixed, expected_sample());
}

#[test]
fn every_split_point_gives_the_same_items() {
    let body = sample();
    let bytes = body.as_bytes();
    let (whole, result) = parse_cut(bytes, &[]);
    result.unwrap();
    assert_eq!(whole.len(), 4);
    for cut in 0..=bytes.len() {
        let (got, result) = parse_cut(bytes, &[cut]);
        assert!(result.is_ok(), "cut at {cut}: {result:?}");
        assert_eq!(got, whole, "cut at {cut}");
    }
    // And one byte at a time.
    let all: Vec<usize> = (1..bytes.len()).collect();
    let (got, result) = parse_cut(bytes, &all);
    result.unwrap();
    assert_eq!(got, whole);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    #[test]
    fn any_chunking_gives_the_same_items(mut cuts in proptest::collection::vec(0usize..2000, 0..12)) {
        let body = sample();
        let bytes = body.as_bytes();
        for c in cuts.iter_mut() {
            *c %= bytes.len() + 1;
        }
        cuts.sort_unstable();
        let (whole, _) = parse_cut(bytes, &[]);
        let (got, result) = parse_cut(bytes, &cuts);
        proptest::prop_assert!(result.is_ok());
        proptest::prop_assert_eq!(got, whole);
    }
}

#[test]
fn namespace_prefixes_vary() {
    let variants = [
        // Upper-case prefix, CardDAV.
        r#"<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:response><D:href>/ab/x.vcf</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag><C:address-data>DATA</C:address-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"#,
        // Default namespace DAV:, data with its own default namespace.
        r#"<multistatus xmlns="DAV:"><response><href>/ab/x.vcf</href><propstat><prop><getetag>"1"</getetag><address-data xmlns="urn:ietf:params:xml:ns:carddav">DATA</address-data></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#,
        // Namespaces declared on inner elements, odd prefixes.
        r#"<x:multistatus xmlns:x="DAV:"><x:response xmlns:y="urn:ietf:params:xml:ns:carddav"><x:href>/ab/x.vcf</x:href><x:propstat><x:prop><x:getetag>"1"</x:getetag><y:address-data>DATA</y:address-data></x:prop><x:status>HTTP/1.1 200 OK</x:status></x:propstat></x:response></x:multistatus>"#,
    ];
    for body in variants {
        assert_eq!(
            parse(body),
            vec![item("/ab/x.vcf", "\"1\"", "DATA")],
            "{body}"
        );
    }
    // The right local name in the wrong namespace is not the data.
    let wrong = r#"<d:multistatus xmlns:d="DAV:" xmlns:z="urn:other"><d:response><d:href>/ab/x.vcf</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag><z:address-data>DATA</z:address-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;
    assert_eq!(parse(wrong)[0].data, None);
}

#[test]
fn withheld_data_is_noted() {
    let body = r#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/x.ics</d:href>
        <d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
        <d:propstat><d:prop><c:calendar-data/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status></d:propstat></d:response></d:multistatus>"#;
    let got = parse(body);
    assert_eq!(got[0].data, None);
    assert_eq!(got[0].data_status, Some(http::StatusCode::FORBIDDEN));
    assert_eq!(got[0].etag.as_deref(), Some("\"1\""));
}

#[test]
fn non_utf8_data_spoils_only_its_item() {
    let mut body = br#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/x.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag><c:calendar-data>caf"#.to_vec();
    body.push(0xE9);
    body.extend_from_slice(br#"</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/cal/y.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag><c:calendar-data>ok</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#);
    for cut in 0..=body.len() {
        let (got, result) = parse_cut(&body, &[cut]);
        result.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        assert_eq!(got.len(), 2, "cut at {cut}");
        assert!(
            got[0].problem.as_deref().unwrap_or("").contains("UTF-8"),
            "{:?}",
            got[0]
        );
        assert_eq!(got[1], item("/cal/y.ics", "\"2\"", "ok"));
    }
}

#[test]
fn multibyte_characters_cut_by_chunks_are_kept() {
    let body = "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:response><d:href>/cal/\u{e9}.ics</d:href><d:propstat><d:prop><d:getetag>\"1\"</d:getetag><c:calendar-data>\u{1F600}\u{e9}\u{20AC}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>";
    let expected = vec![item("/cal/\u{e9}.ics", "\"1\"", "\u{1F600}\u{e9}\u{20AC}")];
    let bytes = body.as_bytes();
    for cut in 0..=bytes.len() {
        for cut2 in [cut, (cut + 1).min(bytes.len()), (cut + 2).min(bytes.len())] {
            let (got, result) = parse_cut(bytes, &[cut, cut2]);
            result.unwrap();
            assert_eq!(got, expected, "cut at {cut}, {cut2}");
        }
    }
    let mut repair = Utf8Repair {
        carry: Vec::new(),
        emitted: 0,
        budget: Arc::default(),
    };
    assert_eq!(&repair.push(Bytes::from_static(b"ab\xF0\x9F")), &b"ab"[..]);
    assert_eq!(
        &repair.push(Bytes::from_static(b"\x98\x80c\xFFd\xC3")),
        "\u{1F600}c\u{FFFD}d".as_bytes()
    );
    assert_eq!(repair.finish().as_deref(), Some(REPLACEMENT));
    let replaced: Vec<u64> = repair
        .budget
        .replaced
        .lock()
        .unwrap()
        .iter()
        .copied()
        .collect();
    assert_eq!(replaced, vec![7, 11]);
}

#[test]
fn malformed_xml_fails_after_the_good_items() {
    let body = r#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/cal/x.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/cal/y.ics</d:foo>"#;
    let (got, result) = parse_cut(body.as_bytes(), &[]);
    assert_eq!(got.len(), 1);
    assert!(
        matches!(result, Err(DavError::Protocol { .. })),
        "{result:?}"
    );
    // Cut short.
    let (got, result) = parse_cut(&body.as_bytes()[..body.len() - 30], &[]);
    assert_eq!(got.len(), 1);
    assert!(
        matches!(result, Err(DavError::Protocol { .. })),
        "{result:?}"
    );
    // Not a multistatus at all.
    for bad in ["", "<html><body>oops</body></html>", "not xml"] {
        let (_, result) = parse_cut(bad.as_bytes(), &[]);
        assert!(
            matches!(result, Err(DavError::Protocol { .. })),
            "{bad}: {result:?}"
        );
    }
}

#[test]
fn the_limit_is_per_response() {
    let one = |n: usize| {
        format!(
            r#"<d:response><d:href>/cal/{n}.ics</d:href><d:propstat><d:prop><d:getetag>"{n}"</d:getetag><c:calendar-data>{}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"#,
            "x".repeat(500)
        )
    };
    let many: String = (0..100).map(one).collect();
    let body = format!(
        r#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">{many}</d:multistatus>"#
    );
    let cuts: Vec<usize> = (64..body.len()).step_by(64).collect();
    // 100 responses of ~700 bytes each pass a limit of 2,000 bytes...
    let (got, result) = parse_cut_limit(body.as_bytes(), &cuts, 2_000);
    result.unwrap();
    assert_eq!(got.len(), 100);
    // ...but one response larger than the limit does not.
    let big = body.replace(&"x".repeat(500), &"x".repeat(5_000));
    let cuts: Vec<usize> = (64..big.len()).step_by(64).collect();
    let (got, result) = parse_cut_limit(big.as_bytes(), &cuts, 2_000);
    assert!(got.is_empty());
    assert!(
        matches!(result, Err(DavError::TooLarge { limit: 2_000, .. })),
        "{result:?}"
    );
}

#[test]
fn a_broken_connection_is_a_transport_error() {
    let pieces = vec![
            Ok(Bytes::from_static(br#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/cal/x.ics</d:href></d:response>"#)),
            Err(DavError::Transport {
                url: "http://x/".into(),
                message: "connection reset".into(),
            }),
        ];
    let mut got = Vec::new();
    let result = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(parse_multistatus(
            "http://x/",
            futures_util::stream::iter(pieces),
            u64::MAX,
            &mut |r| got.push(r),
        ));
    assert_eq!(got.len(), 1);
    assert!(
        matches!(result, Err(DavError::Transport { ref message, .. }) if message == "connection reset"),
        "{result:?}"
    );
}

#[test]
fn hrefs_are_normalised_like_libdav() {
    assert_eq!(
        normalise_href(" /cal/a%20b.ics ").as_deref(),
        Some("/cal/a b.ics")
    );
    assert_eq!(
        normalise_href("http://h:1/cal/%7e.ics").as_deref(),
        Some("/cal/~.ics")
    );
    assert_eq!(
        normalise_href("/cal/a%2Fb.ics").as_deref(),
        Some("/cal/a%2Fb.ics")
    );
    assert_eq!(normalise_href("cal/x"), None);
    assert_eq!(normalise_href("/cal/%zz"), None);
}

#[test]
fn a_character_xml_forbids_fails_the_answer() {
    let body = sample().replace("</d:multistatus>", "\u{c}</d:multistatus>");
    assert!(body.contains('\u{c}'));
    let (_, result) = parse_cut(body.as_bytes(), &[]);
    let err = result.expect_err("a form feed is not XML 1.0");
    assert!(err.to_string().contains("U+000C"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
    #[test]
    fn with_crlf_ends_lines_as_libdav_does(text in "[a\\r\\né:;]{0,40}") {
        proptest::prop_assert_eq!(with_crlf(&text), libdav::xmlutils::normalise_newlines(&text));
    }
}

#[test]
fn with_crlf_restores_each_line_end_once() {
    assert_eq!(with_crlf("A:1\nB:2\r\nC:3"), "A:1\r\nB:2\r\nC:3");
    assert_eq!(with_crlf("A\n\n"), "A\r\n\r\n");
    assert_eq!(with_crlf("\r\r\n"), "\r\r\n");
    assert_eq!(with_crlf(""), "");
}
