//! TLS against a real HTTPS server (`radicale-tls`: Radicale with a
//! certificate of a test CA, and a second instance that requires a client
//! certificate of that CA): an unknown certificate is refused with a message
//! that says how to trust it; a CA file, a pinned fingerprint or
//! `insecure` let it through; a wrong pin is refused; a client certificate
//! opens the door that needs one.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::tls::{TlsOptions, parse_fingerprint};
use davsync_dav::{ClientOptions, Collection, CollectionKind, DavClient, DavError};
use davsync_testkit::servers::{self, Server};
use std::path::PathBuf;

fn server() -> Server {
    servers::get("radicale-tls")
}

async fn properties(url: &str, server: &Server, tls: TlsOptions) -> Result<(), DavError> {
    let options = ClientOptions {
        tls,
        retries: 0,
        ..ClientOptions::default()
    };
    let client = DavClient::new(url, Some(&server.credentials()), &options)?;
    let collection = Collection::new(client, url, CollectionKind::Calendar)?;
    collection.properties().await.map(drop)
}

fn path(server: &Server, key: &str) -> Option<PathBuf> {
    Some(PathBuf::from(server.env(key)))
}

#[tokio::test]
async fn an_unknown_certificate_is_refused_with_a_way_to_trust_it() {
    let s = server();
    let err = properties(&s.calendar_url, &s, TlsOptions::default())
        .await
        .expect_err("a certificate of an unknown CA must be refused");
    // A setting to change, told apart from an outage (the CLI names the
    // keys that trust it: the library does not know them).
    assert!(
        matches!(err, DavError::UntrustedCertificate { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("certificate"), "{message}");
    assert!(
        message.contains("trust its certificate") && message.contains("pin its SHA-256"),
        "says how to trust it: {message}"
    );
    // Another CA than the one that signed it does not help either.
    let other = TlsOptions {
        ca_file: path(&s, "DAV_OTHER_CA_FILE"),
        ..TlsOptions::default()
    };
    assert!(properties(&s.calendar_url, &s, other).await.is_err());
}

#[tokio::test]
async fn a_ca_file_a_pin_or_insecure_lets_it_through() {
    let s = server();
    let ca = TlsOptions {
        ca_file: path(&s, "DAV_CA_FILE"),
        ..TlsOptions::default()
    };
    properties(&s.calendar_url, &s, ca)
        .await
        .expect("trusted by its CA");
    let pinned = TlsOptions {
        fingerprint: parse_fingerprint(s.env("DAV_CERT_SHA256")),
        ..TlsOptions::default()
    };
    properties(&s.calendar_url, &s, pinned)
        .await
        .expect("trusted by its fingerprint");
    let insecure = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    properties(&s.calendar_url, &s, insecure)
        .await
        .expect("insecure accepts anything");
}

#[tokio::test]
async fn a_wrong_pin_is_refused_even_with_the_right_ca() {
    let s = server();
    let mut wrong = parse_fingerprint(s.env("DAV_CERT_SHA256")).unwrap();
    wrong[0] ^= 1;
    let options = TlsOptions {
        fingerprint: Some(wrong),
        ca_file: path(&s, "DAV_CA_FILE"),
        ..TlsOptions::default()
    };
    let err = properties(&s.calendar_url, &s, options)
        .await
        .expect_err("a pin that does not match must be refused");
    assert!(err.to_string().contains("fingerprint"), "{err}");
}

#[tokio::test]
async fn a_client_certificate_opens_what_requires_one() {
    let s = server();
    let url = s.env("DAV_MTLS_CALENDAR_URL").to_string();
    let client_cert = Some((
        PathBuf::from(s.env("DAV_CLIENT_CERT")),
        PathBuf::from(s.env("DAV_CLIENT_KEY")),
    ));
    let without = TlsOptions {
        ca_file: path(&s, "DAV_CA_FILE"),
        ..TlsOptions::default()
    };
    assert!(
        properties(&url, &s, without).await.is_err(),
        "no client certificate, no entry"
    );
    let with = TlsOptions {
        ca_file: path(&s, "DAV_CA_FILE"),
        client_cert: client_cert.clone(),
        ..TlsOptions::default()
    };
    properties(&url, &s, with)
        .await
        .expect("with the client certificate");
    let pinned = TlsOptions {
        fingerprint: parse_fingerprint(s.env("DAV_CERT_SHA256")),
        client_cert,
        ..TlsOptions::default()
    };
    properties(&url, &s, pinned)
        .await
        .expect("pinned, with the client certificate");
}

#[tokio::test]
async fn unreadable_tls_files_are_clear_errors() {
    let s = server();
    let missing = TlsOptions {
        ca_file: Some(PathBuf::from("/nonexistent/ca.pem")),
        ..TlsOptions::default()
    };
    let err = properties(&s.calendar_url, &s, missing).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    let not_pem = TlsOptions {
        ca_file: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/integration/tls.rs"
        ))),
        ..TlsOptions::default()
    };
    let err = properties(&s.calendar_url, &s, not_pem).await.unwrap_err();
    assert!(err.to_string().contains("PEM"), "{err}");
}
