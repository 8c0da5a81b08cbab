//! Requests through a real HTTP proxy (tinyproxy): an open one, and one that
//! asks for a user name and password (refused without them, with a message
//! that says it was the proxy).

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{ClientOptions, Collection, CollectionKind, Credentials, DavClient, ProxyOption};
use davsync_testkit::servers::{self, Server};

fn calendar(server: &Server, proxy: ProxyOption) -> Collection {
    let options = ClientOptions {
        proxy,
        retries: 0,
        ..ClientOptions::default()
    };
    let client =
        DavClient::new(&server.calendar_url, Some(&server.credentials()), &options).unwrap();
    Collection::new(client, &server.calendar_url, CollectionKind::Calendar).unwrap()
}

/// Lines of a proxy's log that name the calendar's URL.
fn seen(log: &str, server: &Server) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&server.calendar_url))
        .count()
}

#[tokio::test]
async fn requests_go_through_the_proxy_given() {
    let server = servers::get("radicale");
    let p = servers::proxies();
    let before = seen(&p["PROXY_LOG"], &server);
    let via = ProxyOption::Url {
        url: p["PROXY_URL"].clone(),
        credentials: None,
    };
    calendar(&server, via)
        .properties()
        .await
        .expect("through the proxy");
    assert!(seen(&p["PROXY_LOG"], &server) > before, "the proxy saw it");
    let direct_before = seen(&p["PROXY_LOG"], &server);
    calendar(&server, ProxyOption::None)
        .properties()
        .await
        .expect("direct");
    assert_eq!(
        seen(&p["PROXY_LOG"], &server),
        direct_before,
        "not through the proxy"
    );
}

#[tokio::test]
async fn a_proxy_that_wants_a_password_gets_it() {
    let server = servers::get("radicale");
    let p = servers::proxies();
    let without = ProxyOption::Url {
        url: p["PROXY_AUTH_URL"].clone(),
        credentials: None,
    };
    let err = calendar(&server, without)
        .properties()
        .await
        .expect_err("the proxy wants a password");
    assert!(err.to_string().contains("proxy"), "{err}");
    assert!(err.to_string().contains("407"), "{err}");
    let before = seen(&p["PROXY_AUTH_LOG"], &server);
    let with = ProxyOption::Url {
        url: p["PROXY_AUTH_URL"].clone(),
        credentials: Some(Credentials {
            username: p["PROXY_USER"].clone(),
            password: p["PROXY_PASSWORD"].clone(),
        }),
    };
    calendar(&server, with)
        .properties()
        .await
        .expect("with the proxy's password");
    assert!(seen(&p["PROXY_AUTH_LOG"], &server) > before);
}
