//! A collection's properties against each real server (`servers::NAMES`):
//! `properties` brings the name, the colour, the ctag and the token;
//! `display_properties` the same name and colour without asking for the
//! token or the ctag (which cost Radicale a pass over every item).

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::CollectionKind;
use davsync_testkit::servers;

async fn name_and_colour_alone(name: &str) {
    let server = servers::get(name);
    let cal = server.new_collection(CollectionKind::Calendar).await;
    // A name of its own: SOGo refuses (409) a name another calendar has.
    let title = format!(
        "Work {}",
        cal.href().trim_end_matches('/').rsplit('/').next().unwrap()
    );
    cal.set_properties(Some(&title), Some("#3366CC"))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let all = cal.properties().await.unwrap();
    let shown = cal.display_properties().await.unwrap();
    assert_eq!(all.displayname.as_deref(), Some(title.as_str()), "{name}");
    assert!(
        all.color
            .as_deref()
            .is_some_and(|c| c.starts_with("#3366CC")),
        "{name}: {all:?}"
    );
    assert!(
        all.sync_token.is_some() || all.ctag.is_some(),
        "{name}: a token or a ctag: {all:?}"
    );
    assert_eq!(
        (&shown.displayname, &shown.color),
        (&all.displayname, &all.color),
        "{name}"
    );
    assert_eq!((&shown.ctag, &shown.sync_token), (&None, &None), "{name}");
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        mod $server {
            #[tokio::test]
            async fn display_properties_ask_for_name_and_colour_alone() {
                super::name_and_colour_alone(stringify!($server)).await;
            }
        }
    )*};
}

per_server!(radicale, xandikos, sogo, davical, cyrus, sabredav);
