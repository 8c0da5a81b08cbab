//! End-to-end: the folder programs in the loop. After a sync khal, todoman
//! and khard list what the server holds; an event made with `khal new`, a
//! task completed with `todo done` and a contact edited with `khard edit`
//! reach the server on the next run; a change on the server shows in their
//! listings; and a run after that has nothing to do. Against Radicale.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{Setup, writes};
use davsync_dav::CollectionKind;
use davsync_testkit::clients;
use davsync_testkit::items::{event, task, vcard3};

#[test]
fn khal_todoman_and_khard_edits_travel_both_ways() {
    let s = Setup::new("radicale");
    let cal = s.collection(CollectionKind::Calendar);
    let book = s.collection(CollectionKind::AddressBook);
    s.put(&cal, "standup", &event("standup", "Standup", ""));
    s.put(&cal, "report", &task("report", "Write report"));
    s.put(&book, "ann", &vcard3("ann", "Ann Example"));
    let events = s.folder("events");
    let tasks = s.folder("tasks");
    let people = s.folder("people");
    let config = [
        s.profile("events", "events", &events, &cal, ""),
        s.profile("tasks", "tasks", &tasks, &cal, ""),
        s.profile("people", "contacts", &people, &book, ""),
    ]
    .join("\n");
    s.sync(&config, &[]);
    assert_eq!(clients::khal_titles(&events), ["Standup"]);
    assert_eq!(clients::todoman_summaries(&tasks), ["Write report"]);
    let names: Vec<String> = clients::khard_contacts(&people)
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(names, ["Ann Example"]);

    // Edits with the programs themselves.
    // (khal takes the date as its configuration says: 2026-12-05.)
    let d = davsync_testkit::items::day(2);
    let day = format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]);
    clients::khal_new(&events, &format!("{day} 12:00"), "13:00", "Lunch");
    clients::todoman_done(&tasks, "Write report");
    clients::khard_edit(&people, "ann", |yaml| {
        yaml.replace("\nNickname:\n", "\nNickname: Annie\n")
    });
    let up = s.sync(&config, &[]);
    assert_eq!(up["events"]["server"]["created"], 1, "{:#}", up["events"]);
    assert_eq!(up["tasks"]["server"]["updated"], 1, "{:#}", up["tasks"]);
    assert_eq!(up["people"]["server"]["updated"], 1, "{:#}", up["people"]);
    let bodies = s.server_bodies(&cal);
    let lunch = bodies
        .values()
        .find(|b| b.contains("SUMMARY:Lunch"))
        .unwrap_or_else(|| panic!("no Lunch on the server: {bodies:?}"));
    assert!(lunch.contains("BEGIN:VEVENT"), "{lunch}");
    assert!(
        bodies["report"].contains("STATUS:COMPLETED"),
        "{}",
        bodies["report"]
    );
    let ann = &s.server_bodies(&book)["ann"];
    assert!(ann.contains("NICKNAME:Annie"), "{ann}");
    let idle = s.sync(&config, &[]);
    assert!(idle.values().all(|r| writes(r) == 0), "{idle:#?}");

    // A change on the server shows in khal's listing.
    s.put_body(&cal, "standup", &event("standup", "Daily standup", ""));
    s.sync(&config, &[]);
    let mut titles = clients::khal_titles(&events);
    titles.sort();
    assert_eq!(titles, ["Daily standup", "Lunch"]);
    let idle = s.sync(&config, &[]);
    assert!(idle.values().all(|r| writes(r) == 0), "{idle:#?}");
}
