//! Answers that break the rules, read or refused on request: a form feed in
//! the XML (`accept_invalid_xml_chars`) and a malformed header line
//! (`lenient_headers`), from a real server behind a proxy that adds them.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{ClientOptions, Collection, CollectionKind, DavClient, DavError};
use davsync_testkit::faults::{FaultProxy, Rates, origin};
use davsync_testkit::servers::{self, Server};
use std::time::Duration;

fn calendar(proxy: &FaultProxy, server: &Server, options: ClientOptions) -> Collection {
    let url = proxy.url(&server.calendar_url);
    let options = ClientOptions {
        retries: 0,
        ..options
    };
    let client = DavClient::new(&url, Some(&server.credentials()), &options).unwrap();
    Collection::new(client, &url, CollectionKind::Calendar).unwrap()
}

fn proxy(server: &Server, flag: &str) -> FaultProxy {
    FaultProxy::start_with(
        &origin(&server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
        &[flag],
    )
}

#[tokio::test]
async fn invalid_xml_characters_are_refused_or_dropped_on_request() {
    let server = servers::get("radicale");
    let proxy = proxy(&server, "--form-feed");
    let strict = calendar(&proxy, &server, ClientOptions::default());
    // The listing (davsync's streaming parser) and the properties (libdav's).
    let err = strict.list().await.expect_err("a form feed is not XML 1.0");
    assert!(err.to_string().contains("U+000C"), "{err}");
    let err = strict.properties().await.expect_err("nor here");
    assert!(err.to_string().contains("unexpected response"), "{err}");
    let lenient = calendar(
        &proxy,
        &server,
        ClientOptions {
            accept_invalid_xml_chars: true,
            ..ClientOptions::default()
        },
    );
    lenient
        .list()
        .await
        .expect("read with the form feed dropped");
    lenient.properties().await.expect("properties too");
}

#[tokio::test]
async fn malformed_header_lines_are_refused_or_skipped_on_request() {
    let server = servers::get("radicale");
    let proxy = proxy(&server, "--bad-header");
    let strict = calendar(&proxy, &server, ClientOptions::default());
    assert!(
        strict.properties().await.is_err(),
        "a space before the colon"
    );
    let lenient = calendar(
        &proxy,
        &server,
        ClientOptions {
            lenient_headers: true,
            ..ClientOptions::default()
        },
    );
    lenient
        .properties()
        .await
        .expect("read with lenient headers");
}

#[tokio::test]
async fn close_connection_opens_one_per_request_and_timeouts_end_requests() {
    let server = servers::get("radicale");
    let plain = FaultProxy::start(
        &origin(&server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
    );
    let kept = calendar(&plain, &server, ClientOptions::default());
    for _ in 0..4 {
        kept.properties().await.unwrap();
    }
    assert_eq!(plain.injected("connection"), 1, "kept alive");
    let closing = FaultProxy::start(
        &origin(&server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
    );
    let each = calendar(
        &closing,
        &server,
        ClientOptions {
            close_connection: true,
            ..ClientOptions::default()
        },
    );
    for _ in 0..4 {
        each.properties().await.unwrap();
    }
    assert_eq!(
        closing.injected("connection"),
        4,
        "one connection per request"
    );

    let slow = FaultProxy::start(
        &origin(&server.base_url),
        Rates {
            delay: 1.0,
            ..Rates::default()
        },
        1,
        Duration::from_secs(2),
    );
    let impatient = calendar(
        &slow,
        &server,
        ClientOptions {
            timeout: Duration::from_millis(50),
            ..ClientOptions::default()
        },
    );
    let err = impatient
        .properties()
        .await
        .expect_err("every answer comes late");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(matches!(err, DavError::Timeout { .. }), "typed: {err:?}");
}
