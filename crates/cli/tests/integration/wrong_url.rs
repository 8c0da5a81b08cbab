//! End-to-end: a profile whose collection URL the server answers for under
//! another path (a doubled slash on Radicale) fails with an error naming
//! the server's path, and writes nothing, instead of a run that says "ok"
//! with no items.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::Setup;
use davsync_dav::CollectionKind;
use davsync_testkit::items;

#[test]
fn a_doubled_slash_in_the_url_is_an_error_naming_the_servers_path() {
    let s = Setup::new("radicale");
    let local = s.folder("local");
    let calendar = s.collection(CollectionKind::Calendar);
    s.put(&calendar, "one", &items::event("one", "One", ""));
    let good = s.profile("cal", "events", &local, &calendar, "");
    let url = s.server.url_of(&calendar);
    let path = calendar.href();
    let doubled = url.replacen(path, &format!("/{path}"), 1);
    assert!(doubled.contains(&format!("/{path}")), "{doubled}");
    let config = good.replace(&format!("\"{url}\""), &format!("\"{doubled}\""));
    assert_ne!(config, good);
    let (code, json) = s.sync_with(&config, &s.server.password, &[]);
    assert_ne!(code, 0, "{json:#}");
    let said = json.to_string();
    assert!(
        said.contains(&format!("names this collection {path}")),
        "{json:#}"
    );
    assert!(
        std::fs::read_dir(&local).unwrap().next().is_none(),
        "nothing written"
    );
    // The right URL syncs the event.
    let report = &s.sync(&good, &[])["cal"];
    assert_eq!(report["local"]["created"], 1, "{report:#}");
}
