//! End-to-end tests of the mapping options on two folders (the second in
//! the server's place): what each side holds after a sync, and that a run
//! after a mapped write has nothing to do.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_pim::Item;
use davsync_testkit::cli::{Davsync, assert_clean, assert_idle, counts, vdir_profile};
use davsync_testkit::clients;
use davsync_testkit::folder::{files, items_by_uid, write_file};
use std::fs;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// An event with an organizer and two attendees, as Thunderbird writes it.
const MEETING: &str = "BEGIN:VCALENDAR\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:meeting-1\r\nDTSTAMP:20261112T190512Z\r\nDTSTART:20261203T081500Z\r\nDTEND:20261203T090000Z\r\nSUMMARY:Planning\r\nORGANIZER;CN=Julia Huber:mailto:julia.huber@example.at\r\nATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:max@ex\r\n ample.at\r\nATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:julia.huber@example.at\r\nDESCRIPTION:Bring the numbers.\r\nCLASS:PRIVATE\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

struct Env {
    _tmp: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    davsync: Davsync,
}

/// Folders `a` (local, holding `MEETING`) and `b`, and an events profile `p`
/// with `extra` settings.
fn env(extra: &[(&str, &str)]) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (a, b) = (root.join("a"), root.join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    let config = root.join("config.toml");
    fs::write(&config, vdir_profile("p", "events", &a, &b, extra)).unwrap();
    write_file(&a, "meeting-1.ics", MEETING);
    let davsync = Davsync::new(BIN, &config, root.join("data"));
    Env {
        _tmp: tmp,
        a,
        b,
        davsync,
    }
}

impl Env {
    /// Syncs, expecting a clean run; returns profile p's counts.
    #[track_caller]
    fn sync(&self) -> [u64; 6] {
        let (run, json) = self.davsync.sync_json(&[], String::new);
        let report = &json["reports"][0];
        assert_clean(&run, report, "sync", String::new);
        counts(report)
    }

    /// A second run writes nothing, and no file changes.
    #[track_caller]
    fn assert_settled(&self) {
        let before = (files(&self.a, "ics"), files(&self.b, "ics"));
        let (run, json) = self.davsync.sync_json(&[], String::new);
        assert_idle(&run, &json["reports"][0], "the run after", String::new);
        assert_eq!((files(&self.a, "ics"), files(&self.b, "ics")), before);
    }
}

fn only_item(dir: &Path) -> Item {
    let items = items_by_uid(dir, "ics");
    assert_eq!(items.len(), 1, "{items:?}");
    items.into_values().next().unwrap().remove(0).1
}

fn body(dir: &Path) -> String {
    only_item(dir).body().replace("\r\n ", "")
}

#[test]
fn the_default_marks_attendees_for_the_client_on_the_server_only() {
    let e = env(&[]);
    assert_eq!(e.sync(), [0, 0, 0, 1, 0, 0]);
    let server = body(&e.b);
    assert!(server.contains("ORGANIZER;CN=Julia Huber;SCHEDULE-AGENT=CLIENT:mailto:"));
    assert_eq!(server.matches("SCHEDULE-AGENT=CLIENT").count(), 3);
    assert_eq!(
        only_item(&e.a).body(),
        MEETING,
        "the folder item is not rewritten"
    );
    e.assert_settled();
    // A change on the server reaches the folder without the parameter.
    let edited = only_item(&e.b)
        .body()
        .replace("SUMMARY:Planning", "SUMMARY:Planning 2027");
    for name in files(&e.b, "ics").keys() {
        write_file(&e.b, name, &edited);
    }
    assert_eq!(e.sync(), [0, 1, 0, 0, 0, 0]);
    assert_eq!(
        only_item(&e.a).body(),
        MEETING.replace("SUMMARY:Planning", "SUMMARY:Planning 2027")
    );
    e.assert_settled();
}

#[test]
fn every_lossless_option_and_busy_time_settle_after_one_run() {
    let e = env(&[
        ("sogo_no_notifications", "true"),
        ("organizer_sent_by", "\"mailto:assistant@example.at\""),
        ("class_private_as_confidential", "true"),
        ("private_events", "\"busy\""),
    ]);
    assert_eq!(e.sync(), [0, 0, 0, 1, 0, 0]);
    let server = only_item(&e.b);
    assert_eq!(server.summary(), Some("Busy"));
    assert_eq!(server.property_values("CLASS"), ["CONFIDENTIAL"]);
    for gone in ["ORGANIZER", "ATTENDEE", "DESCRIPTION"] {
        assert!(!server.has_property(gone), "{gone}: {}", server.body());
    }
    assert!(!server.body().contains("VALARM"));
    assert_eq!(
        server.property_values("X-SOGO-SEND-APPOINTMENT-NOTIFICATIONS"),
        ["NO"]
    );
    assert_eq!(only_item(&e.a).body(), MEETING);
    e.assert_settled();
}

#[test]
fn skipped_private_events_stay_in_the_folder() {
    let e = env(&[("private_events", "\"skip\"")]);
    assert_eq!(e.sync(), [0; 6]);
    assert!(files(&e.b, "ics").is_empty());
    e.assert_settled();
}

#[test]
fn dropped_descriptions_and_properties_stay_off_the_server() {
    let e = env(&[("description", "\"drop\""), ("map_attendees", "false")]);
    let config = e.a.parent().unwrap().join("config.toml");
    let mut text = fs::read_to_string(&config).unwrap();
    text.push_str(
        "[[profiles.p.property_map]]\ndrop = \"CLASS\"\n\
         [[profiles.p.property_map]]\nset = \"X-SYNCED-BY\"\nvalue = \"davsync\"\n",
    );
    fs::write(&config, text).unwrap();
    assert_eq!(e.sync(), [0, 0, 0, 1, 0, 0]);
    let server = only_item(&e.b);
    for gone in ["ORGANIZER", "ATTENDEE", "DESCRIPTION"] {
        assert!(!server.has_property(gone), "{gone}: {}", server.body());
    }
    assert!(
        server.body().contains("DESCRIPTION:Reminder"),
        "the alarm keeps its own"
    );
    assert!(!server.has_property("CLASS"));
    assert_eq!(server.property_values("X-SYNCED-BY"), ["davsync"]);
    assert_eq!(only_item(&e.a).body(), MEETING);
    e.assert_settled();
    // The poorer server copy is edited: the edit reaches the folder item,
    // which keeps its description, attendees and class.
    let edited = only_item(&e.b)
        .body()
        .replace("SUMMARY:Planning", "SUMMARY:Planning 2027");
    for name in files(&e.b, "ics").keys() {
        write_file(&e.b, name, &edited);
    }
    assert_eq!(e.sync(), [0, 1, 0, 0, 0, 0]);
    assert_eq!(
        only_item(&e.a).body(),
        MEETING.replace("SUMMARY:Planning", "SUMMARY:Planning 2027")
    );
    e.assert_settled();
    assert_eq!(clients::khal_titles(&e.a), ["Planning 2027"]);
    assert_eq!(clients::khal_titles(&e.b), ["Planning 2027"]);
}

/// Both sides hold the same item before the first run (a folder synced by
/// another tool): no copy is made, the folder item keeps its content, and
/// the next run has nothing to do.
#[test]
fn a_pair_found_on_the_first_run_is_not_duplicated() {
    for policy in ["automatic", "local-wins", "server-wins"] {
        let e = env(&[("conflicts", &format!("\"{policy}\""))]);
        write_file(&e.b, "meeting-1.ics", MEETING);
        let counts = e.sync();
        assert_eq!((counts[0], counts[3]), (0, 0), "{policy}: {counts:?}");
        assert_eq!(only_item(&e.a).body(), MEETING, "{policy}");
        e.assert_settled();
    }
}

/// The same with `keep-both`: the folder item's server form (with
/// SCHEDULE-AGENT) differs from the server's item (without), but the server
/// item's folder form is the folder item: the pair is linked, not kept twice.
#[test]
fn a_pair_found_on_the_first_run_is_not_duplicated_with_keep_both() {
    let e = env(&[("conflicts", "\"keep-both\"")]);
    write_file(&e.b, "meeting-1.ics", MEETING);
    let counts = e.sync();
    assert_eq!((counts[0], counts[3]), (0, 0), "{counts:?}");
    e.assert_settled();
}
