//! End-to-end: the mapping options and event clean-ups on real servers
//! (Radicale and SOGo at least), each followed by a run with nothing to do,
//! and the mapped folders read by real clients (khal, todoman).

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{Setup, folder_items, writes};
use davsync_dav::CollectionKind;
use davsync_testkit::clients;
use davsync_testkit::folder::write_file;
use davsync_testkit::items::{day, event};
use std::path::Path;

/// A realistic item of `crates/sync/tests/data/mapping/`.
fn test_data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sync/tests/data/mapping")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

/// A run after a mapped write has nothing to do: no writes, one request
/// to the server.
fn assert_idle(report: &serde_json::Value, what: &str) {
    assert_eq!(writes(report), 0, "{what}: {report:#}");
    assert_eq!(report["requests"][1], 1, "{what}: one request: {report:#}");
}

fn sticky_category_filter(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile(
        "work",
        "events",
        &local,
        &cal,
        "category = \"Work\"\ncategory_sticky = true",
    );
    write_file(
        &local,
        "a.ics",
        &event("a", "Standup", "CATEGORIES:Work\r\n"),
    );
    write_file(
        &local,
        "b.ics",
        &event("b", "Dinner", "CATEGORIES:Home\r\n"),
    );
    let first = &s.sync(&config, &[])["work"];
    assert_eq!(first["server"]["created"], 1, "{name}: {first:#}");
    // The category is removed locally: the item stays, on both sides.
    write_file(
        &local,
        "a.ics",
        &event("a", "Standup moved", "CATEGORIES:Home\r\n"),
    );
    let report = &s.sync(&config, &[])["work"];
    assert_eq!(report["server"]["deleted"], 0, "{name}: {report:#}");
    let server = s.server_items(&cal);
    assert_eq!(
        server.get("a").map(String::as_str),
        Some("Standup moved"),
        "{name}"
    );
    assert!(!server.contains_key("b"), "{name}: {server:?}");
    assert_idle(&s.sync(&config, &[])["work"], name);
    assert_eq!(
        clients::khal_titles(&local).len(),
        2,
        "{name}: khal reads the folder"
    );
}

fn duplicate_events_removed(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile("cal", "events", &local, &cal, "duplicates = \"remove\"");
    let same = |uid: &str, created: &str| event(uid, "Standup", &format!("CREATED:{created}\r\n"));
    write_file(&local, "old.ics", &same("old", "20200101T000000Z"));
    write_file(&local, "other.ics", &event("other", "Review", ""));
    s.sync(&config, &[]);
    // A second copy arrives from another client, on the server.
    s.put(&cal, "new", &same("new", "20250101T000000Z"));
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["local"]["created"], 1, "{name}: {report:#}");
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["duplicates"][0]["kept"], "old", "{name}: {report:#}");
    assert_eq!(
        report["duplicates"][0]["removed"][0], "new",
        "{name}: {report:#}"
    );
    assert_eq!(report["server"]["deleted"], 1, "{name}: {report:#}");
    let server: Vec<String> = s.server_items(&cal).into_keys().collect();
    assert_eq!(server, ["old", "other"], "{name}");
    assert_eq!(folder_items(&local, "ics").len(), 2, "{name}");
    let idle = &s.sync(&config, &[])["cal"];
    assert_idle(idle, name);
    assert!(idle["duplicates"].is_null(), "{name}: {idle:#}");
    let mut titles = clients::khal_titles(&local);
    titles.sort();
    assert_eq!(titles, ["Review", "Standup"], "{name}");
}

/// A one-hour event `days` from today with a reminder 15 minutes before.
fn event_with_alarm(uid: &str, summary: &str, days: i64) -> String {
    let d = day(days);
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{d}T100000Z\r\nDTEND:{d}T110000Z\r\n\
         SUMMARY:{summary}\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:{summary}\r\n\
         TRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn upcoming_reminders_on_a_first_sync(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile(
        "cal",
        "events",
        &local,
        &cal,
        "reminders_to_server = \"upcoming\"",
    );
    write_file(
        &local,
        "past.ics",
        &event_with_alarm("past", "Last month", -30),
    );
    write_file(
        &local,
        "next.ics",
        &event_with_alarm("next", "Next month", 30),
    );
    let before = davsync_testkit::folder::files(&local, "ics");
    let first = &s.sync(&config, &[])["cal"];
    assert_eq!(first["server"]["created"], 2, "{name}: {first:#}");
    let server = s.server_bodies(&cal);
    assert!(
        !server["past"].contains("BEGIN:VALARM"),
        "{name}: {}",
        server["past"]
    );
    assert!(
        server["next"].contains("BEGIN:VALARM"),
        "{name}: {}",
        server["next"]
    );
    assert_eq!(
        davsync_testkit::folder::files(&local, "ics"),
        before,
        "{name}: the folder keeps its alarms"
    );
    assert_idle(&s.sync(&config, &[])["cal"], name);
    // The alarm-less server copy is edited: the edit comes back, the
    // folder's alarm stays.
    let edited = server["past"].replace("SUMMARY:Last month", "SUMMARY:Moved from last month");
    assert_ne!(edited, server["past"], "{name}: {edited}");
    s.put_body(&cal, "past", &edited);
    assert_eq!(
        s.server_bodies(&cal)["past"],
        edited,
        "{name}: edited on the server"
    );
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["local"]["updated"], 1, "{name}: {report:#}");
    let past = std::fs::read_to_string(local.join("past.ics")).unwrap();
    assert!(
        past.contains("Moved from last month") && past.contains("BEGIN:VALARM"),
        "{name}: {past}"
    );
    assert_idle(&s.sync(&config, &[])["cal"], name);
    assert_eq!(clients::khal_titles(&local).len(), 2, "{name}");
}

/// Every occurrence of every event in an iCalendar file, as an independent
/// reader (Python's icalendar and recurring-ical-events) sees it: UTC start
/// and summary, one per line.
fn instants(path: &Path) -> String {
    clients::python(
        r#"
import sys, datetime, icalendar, recurring_ical_events
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
out = []
for e in recurring_ical_events.of(cal).between(datetime.datetime(2000, 1, 1), datetime.datetime(2100, 1, 1)):
    dt = e['DTSTART'].dt
    if isinstance(dt, datetime.datetime) and dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc)
    out.append(f"{dt.isoformat()} {e.get('SUMMARY')}")
print("\n".join(sorted(out)))
"#,
        &[&path.display().to_string()],
    )
}

fn windows_zones_arrive_as_iana(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile(
        "cal",
        "events",
        &local,
        &cal,
        "timezones = \"iana\"\ntime_range = false",
    );
    let outlook = test_data("outlook-weekly-windows-tz.ics");
    write_file(&local, "outlook.ics", &outlook);
    let first = &s.sync(&config, &[])["cal"];
    assert_eq!(first["server"]["created"], 1, "{name}: {first:#}");
    let server = s.server_bodies(&cal);
    let copy = server.values().next().unwrap();
    assert!(!copy.contains("W. Europe Standard Time"), "{name}: {copy}");
    assert!(copy.contains("TZID=Europe/Berlin"), "{name}: {copy}");
    let written = s.folder("server-copy").join("copy.ics");
    std::fs::write(&written, copy).unwrap();
    let expected = instants(&local.join("outlook.ics"));
    assert!(expected.lines().count() > 10, "{expected}");
    assert_eq!(instants(&written), expected, "{name}: the same instants");
    assert_eq!(
        std::fs::read_to_string(local.join("outlook.ics")).unwrap(),
        outlook,
        "{name}: the folder's item is not rewritten"
    );
    assert_idle(&s.sync(&config, &[])["cal"], name);
    assert!(!clients::khal_titles(&local).is_empty(), "{name}");
}

fn floating_task_dates_read_by_todoman(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile(
        "tasks",
        "tasks",
        &local,
        &cal,
        "task_dates = \"floating\"\ntime_range = false",
    );
    let task = test_data("thunderbird-task-moz-alarms.ics");
    write_file(&local, "task.ics", &task);
    let first = &s.sync(&config, &[])["tasks"];
    assert_eq!(first["server"]["created"], 1, "{name}: {first:#}");
    let uid = "3d2c1b0a-9f8e-4d7c-b6a5-0f1e2d3c4b5a";
    let copy = s.server_bodies(&cal)[uid].clone();
    assert!(
        copy.contains("DUE:20260731T180000\r\n") && !copy.contains("DUE;TZID"),
        "{name}: {copy}"
    );
    assert_idle(&s.sync(&config, &[])["tasks"], name);
    // Another client renames it on the server: the name comes back, the
    // folder's task keeps its zone.
    let renamed = copy.replace("SUMMARY:Steuererklärung abgeben", "SUMMARY:Steuer abgeben");
    assert_ne!(renamed, copy);
    s.put_body(&cal, uid, &renamed);
    let report = &s.sync(&config, &[])["tasks"];
    assert_eq!(report["local"]["updated"], 1, "{name}: {report:#}");
    let back = std::fs::read_to_string(local.join("task.ics")).unwrap();
    assert!(
        back.contains("Steuer abgeben") && back.contains("DUE;TZID=Europe/Berlin:20260731T180000"),
        "{name}: {back}"
    );
    assert_idle(&s.sync(&config, &[])["tasks"], name);
    assert_eq!(
        clients::todoman_summaries(&local),
        ["Steuer abgeben"],
        "{name}"
    );
}

/// A meeting with an organizer and an attendee, tomorrow.
fn meeting(uid: &str, extra: &str) -> String {
    let d = day(1);
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{d}T100000Z\r\nDTEND:{d}T110000Z\r\n\
         SUMMARY:Planning\r\nORGANIZER;CN=Julia Huber:mailto:julia@example.org\r\n\
         ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:max@example.org\r\n{extra}\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn invitations_under_control(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let sogo = name == "sogo";
    let extra = if sogo {
        "sogo_no_notifications = true"
    } else {
        ""
    };
    // `schedule_agent_client` is on by default.
    let config = s.profile("cal", "events", &local, &cal, extra);
    let body = meeting("m", "");
    write_file(&local, "m.ics", &body);
    let first = &s.sync(&config, &[])["cal"];
    assert_eq!(first["server"]["created"], 1, "{name}: {first:#}");
    let copy = &s.server_bodies(&cal)["m"];
    let unfolded = copy.replace("\r\n ", "");
    for line in unfolded
        .lines()
        .filter(|l| l.starts_with("ORGANIZER") || l.starts_with("ATTENDEE"))
    {
        assert!(
            line.contains("SCHEDULE-AGENT=CLIENT"),
            "{name}: {line}\n{copy}"
        );
    }
    assert_eq!(
        unfolded.contains("X-SOGO-SEND-APPOINTMENT-NOTIFICATIONS:NO"),
        sogo,
        "{name}: {copy}"
    );
    assert_eq!(
        std::fs::read_to_string(local.join("m.ics")).unwrap(),
        body,
        "{name}: the folder's item is not rewritten"
    );
    assert_idle(&s.sync(&config, &[])["cal"], name);
    // Another client edits the server copy: the folder gets the edit and
    // none of what the mapping added.
    let moved = copy.replace("SUMMARY:Planning", "SUMMARY:Planning moved");
    assert_ne!(&moved, copy);
    s.put_body(&cal, "m", &moved);
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["local"]["updated"], 1, "{name}: {report:#}");
    let back = std::fs::read_to_string(local.join("m.ics")).unwrap();
    assert!(back.contains("Planning moved"), "{name}: {back}");
    assert!(
        !back.contains("SCHEDULE-AGENT") && !back.contains("X-SOGO-SEND"),
        "{name}: {back}"
    );
    assert_idle(&s.sync(&config, &[])["cal"], name);
    assert_eq!(clients::khal_titles(&local), ["Planning moved"], "{name}");
}

fn private_events_as_busy(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let cal = s.collection(CollectionKind::Calendar);
    let config = s.profile("cal", "events", &local, &cal, "private_events = \"busy\"");
    let body = meeting(
        "p",
        "CLASS:PRIVATE\r\nDESCRIPTION:Doctor\\, bring the card\r\nLOCATION:Clinic\r\n",
    );
    write_file(&local, "p.ics", &body);
    s.sync(&config, &[]);
    let copy = &s.server_bodies(&cal)["p"];
    assert!(copy.contains("SUMMARY:Busy"), "{name}: {copy}");
    for private in ["Doctor", "Clinic", "Planning", "ATTENDEE"] {
        assert!(
            !copy.contains(private),
            "{name}: {private} on the server: {copy}"
        );
    }
    assert_idle(&s.sync(&config, &[])["cal"], name);
    // The busy block is moved on the server: the folder item moves and
    // keeps everything else.
    let d = day(1);
    let moved = copy
        .replace(&format!("{d}T100000Z"), &format!("{d}T120000Z"))
        .replace(&format!("{d}T110000Z"), &format!("{d}T130000Z"));
    assert_ne!(&moved, copy);
    s.put_body(&cal, "p", &moved);
    let report = &s.sync(&config, &[])["cal"];
    assert_eq!(report["local"]["updated"], 1, "{name}: {report:#}");
    let back = std::fs::read_to_string(local.join("p.ics")).unwrap();
    assert!(
        back.contains(&format!("DTSTART:{d}T120000Z")),
        "{name}: {back}"
    );
    for kept in ["SUMMARY:Planning", "Doctor", "LOCATION:Clinic", "ATTENDEE"] {
        assert!(back.contains(kept), "{name}: {kept} lost: {back}");
    }
    assert_idle(&s.sync(&config, &[])["cal"], name);
    assert_eq!(clients::khal_titles(&local), ["Planning"], "{name}");
}

/// Contacts in vCard 4 on the server, 3.0 in the folder: converted on the
/// way in, edits go back in the server's version, and nothing loops.
fn contacts_in_the_folder_s_vcard_version(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let book = s.collection(CollectionKind::AddressBook);
    let config = s.profile(
        "people",
        "contacts",
        &local,
        &book,
        "vcard_version = \"3.0\"",
    );
    s.put(
        &book,
        "ada",
        &davsync_testkit::items::vcard4("ada", "Ada Lovelace"),
    );
    let first = &s.sync(&config, &[])["people"];
    assert_eq!(first["local"]["created"], 1, "{name}: {first:#}");
    let card = davsync_testkit::folder::files(&local, "vcf")
        .into_values()
        .next()
        .unwrap();
    assert!(card.contains("VERSION:3.0"), "{name}: {card}");
    assert_idle(&s.sync(&config, &[])["people"], name);
    // Edited in the folder: the server gets the edit in its own version.
    let (file, body) = davsync_testkit::folder::files(&local, "vcf")
        .into_iter()
        .next()
        .unwrap();
    write_file(
        &local,
        &file,
        &body.replace("FN:Ada Lovelace", "FN:Ada King"),
    );
    let report = &s.sync(&config, &[])["people"];
    assert_eq!(report["server"]["updated"], 1, "{name}: {report:#}");
    let server = &s.server_bodies(&book)["ada"];
    assert!(
        server.contains("FN:Ada King") && server.contains("VERSION:4.0"),
        "{name}: {server}"
    );
    assert_idle(&s.sync(&config, &[])["people"], name);
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        mod $server {
            const NAME: &str = stringify!($server);
            #[test]
            fn sticky_category_filter() { super::sticky_category_filter(NAME) }
            #[test]
            fn duplicate_events_removed() { super::duplicate_events_removed(NAME) }
            #[test]
            fn upcoming_reminders_on_a_first_sync() { super::upcoming_reminders_on_a_first_sync(NAME) }
            #[test]
            fn windows_zones_arrive_as_iana() { super::windows_zones_arrive_as_iana(NAME) }
            #[test]
            fn invitations_under_control() { super::invitations_under_control(NAME) }
            #[test]
            fn private_events_as_busy() { super::private_events_as_busy(NAME) }
            #[test]
            fn floating_task_dates_read_by_todoman() {
                super::floating_task_dates_read_by_todoman(NAME)
            }
        }
    )*};
}

per_server!(radicale, sogo);

#[test]
fn radicale_contacts_in_the_folder_s_vcard_version() {
    contacts_in_the_folder_s_vcard_version("radicale");
}

#[test]
fn xandikos_contacts_in_the_folder_s_vcard_version() {
    contacts_in_the_folder_s_vcard_version("xandikos");
}

/// Xandikos too keeps what `schedule_agent_client` adds.
#[test]
fn xandikos_invitations_under_control() {
    invitations_under_control("xandikos");
}
