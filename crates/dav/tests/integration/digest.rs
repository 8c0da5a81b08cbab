//! HTTP Digest authentication against a real server that speaks nothing
//! else (sabre/dav 1.8's stock PDO backend): learnt from the challenge after
//! the pre-emptive Basic attempt (or the first bare request), then answered
//! on every request; a wrong password is a clear 401; `force_basic` never
//! gets in.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{AuthOptions, ClientOptions, Collection, CollectionKind, Credentials, DavClient};
use davsync_testkit::items;
use davsync_testkit::servers::{self, Server};

fn calendar(server: &Server, credentials: &Credentials, auth: AuthOptions) -> Collection {
    let options = ClientOptions {
        auth,
        ..ClientOptions::default()
    };
    let client = DavClient::new(&server.calendar_url, Some(credentials), &options).unwrap();
    Collection::new(client, &server.calendar_url, CollectionKind::Calendar).unwrap()
}

#[tokio::test]
async fn digest_is_learnt_and_used_for_reads_and_writes() {
    let server = servers::get("sabredav");
    for preemptive in [true, false] {
        let auth = AuthOptions {
            preemptive,
            force_basic: false,
        };
        let calendar = calendar(&server, &server.credentials(), auth);
        calendar.properties().await.expect("in with Digest");
        assert_eq!(calendar.client().requests(), 2, "one 401, then Digest");
        let uid = format!("digest-{preemptive}-{}", std::process::id());
        let href = format!("{}{uid}.ics", calendar.href());
        calendar
            .create(&href, &items::event(&uid, "Digest", ""))
            .await
            .expect("a write with Digest");
        let listed = calendar.list().await.unwrap();
        let item = listed.iter().find(|r| r.href == href).expect("listed");
        calendar.delete(&href, &item.etag).await.expect("deleted");
        assert_eq!(
            calendar.client().requests(),
            5,
            "no second 401: the nonce is answered on every request"
        );
    }
}

#[tokio::test]
async fn a_wrong_password_or_forced_basic_is_a_clear_401() {
    let server = servers::get("sabredav");
    let wrong = Credentials {
        username: server.user.clone(),
        password: "not-the-password".into(),
    };
    let err = calendar(&server, &wrong, AuthOptions::default())
        .properties()
        .await
        .expect_err("wrong password");
    let message = err.to_string();
    assert!(
        message.contains("401") && message.contains(&server.calendar_url),
        "{message}"
    );
    assert!(!message.contains("not-the-password"), "{message}");
    let forced = AuthOptions {
        preemptive: true,
        force_basic: true,
    };
    let err = calendar(&server, &server.credentials(), forced)
        .properties()
        .await
        .expect_err("sabre/dav 1.8 takes Digest only");
    assert!(err.to_string().contains("401"), "{err}");
}
