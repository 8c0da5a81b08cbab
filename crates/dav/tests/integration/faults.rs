//! Transient failures against a real server behind a faulty proxy: requests
//! that meet dropped connections, 500/503 answers, delays and answers cut
//! short are sent again (and succeed); without retries they fail with a
//! clear message.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{ClientOptions, Collection, CollectionKind, DavClient};
use davsync_testkit::faults::{FaultProxy, Rates};
use davsync_testkit::servers::{self, Server};
use std::time::Duration;

fn origin(server: &Server) -> String {
    let uri: http::Uri = server.base_url.parse().unwrap();
    format!("http://{}", uri.authority().unwrap())
}

fn collection(proxy: &FaultProxy, server: &Server, retries: u32) -> Collection {
    let url = proxy.url(&server.calendar_url);
    let options = ClientOptions {
        retries,
        retry_pause: Duration::from_millis(20),
        ..ClientOptions::default()
    };
    let client = DavClient::new(&url, Some(&server.credentials()), &options).unwrap();
    Collection::new(client, &url, CollectionKind::Calendar).unwrap()
}

#[tokio::test]
async fn dropped_connections_and_server_errors_are_retried() {
    let server = servers::get("radicale");
    let rates = Rates {
        drop: 0.15,
        error: 0.25,
        delay: 0.1,
        truncate: 0.15,
        ..Rates::default()
    };
    let proxy = FaultProxy::start(&origin(&server), rates, 7, Duration::from_millis(200));
    let calendar = collection(&proxy, &server, 8);
    for _ in 0..20 {
        calendar
            .properties()
            .await
            .expect("retried until it went through");
    }
    let requests = calendar.client().requests();
    assert!(
        proxy.injected("drop") > 0 && proxy.injected("error") > 0 && proxy.injected("truncate") > 0,
        "faults were injected"
    );
    assert_eq!(
        requests as usize,
        20 + proxy.injected("drop") + proxy.injected("error") + proxy.injected("truncate"),
        "one more request per injected failure"
    );
}

#[tokio::test]
async fn without_retries_a_failure_is_a_clear_error() {
    let server = servers::get("radicale");
    let rates = Rates {
        error: 1.0,
        ..Rates::default()
    };
    let proxy = FaultProxy::start(&origin(&server), rates, 1, Duration::ZERO);
    let err = collection(&proxy, &server, 0)
        .properties()
        .await
        .expect_err("every answer is an error");
    let message = err.to_string();
    assert!(
        message.contains("500") || message.contains("503"),
        "{message}"
    );
    assert!(
        message.contains(&format!("127.0.0.1:{}", proxy.port)),
        "{message}"
    );
    assert!(!message.contains(&server.password), "{message}");
}

/// SOGo ignores `If-None-Match: *`: a create sent again after its answer was
/// lost on the way back is answered as an overwrite, of the item the first
/// attempt made. That is the create's own doing, not an item that appeared.
#[tokio::test]
async fn a_create_repeated_after_a_lost_answer_is_a_create() {
    let server = servers::get("sogo");
    let rates = Rates {
        drop_after: 0.4,
        ..Rates::default()
    };
    let proxy = FaultProxy::start(&origin(&server), rates, 3, Duration::ZERO);
    let calendar = collection(&proxy, &server, 8);
    let prefix = format!("repeat-{}", std::process::id());
    for i in 0..10 {
        let uid = format!("{prefix}-{i}");
        let href = format!("{}{uid}.ics", calendar.href());
        let created = calendar
            .create(&href, &davsync_testkit::items::event(&uid, "Once", ""))
            .await
            .expect("created in the end");
        assert!(
            matches!(created, davsync_dav::Created::New(_)),
            "{href}: {created:?}"
        );
    }
    let repeated = proxy
        .faults()
        .iter()
        .filter(|f| f.starts_with("drop_after PUT"))
        .count();
    assert!(
        repeated > 0,
        "no create lost its answer: {:?}",
        proxy.faults()
    );
}
