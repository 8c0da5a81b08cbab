//! Tests of the checks that need no server: which sides a mode writes, the
//! collection's kind, the clock, and folders.

use super::*;

#[test]
fn one_way_modes_write_one_side_only() {
    for mode in Mode::ALL {
        assert!(
            writes(mode, Side::Local) || writes(mode, Side::Server),
            "{mode:?}"
        );
    }
    assert!(writes(Mode::TwoWay, Side::Local) && writes(Mode::TwoWay, Side::Server));
    assert!(!writes(Mode::ToLocal, Side::Server) && writes(Mode::ToLocal, Side::Local));
    assert!(!writes(Mode::ToServerMerge, Side::Local));
    // The mode suggested for a read-only side does not write it.
    for side in [Side::Local, Side::Server] {
        let mode = Mode::ALL
            .into_iter()
            .find(|m| mode_name(*m) == mode_reading(side))
            .unwrap();
        assert!(!writes(mode, side), "{side}");
    }
}

#[test]
fn the_collection_must_be_of_the_profiles_kind() {
    let calendar = |c: &[&str]| ResourceType::Calendar {
        components: Some(c.iter().map(|s| s.to_string()).collect()),
    };
    let cal = CollectionKind::Calendar;
    let (status, _) = collection_finding(&calendar(&["VEVENT", "VTODO"]), cal, Content::Events);
    assert_eq!(status, Status::Ok);
    let (status, detail) = collection_finding(&calendar(&["VTODO"]), cal, Content::Events);
    assert_eq!(status, Status::Error);
    assert!(
        detail.contains("VTODO only") && detail.contains("events"),
        "{detail}"
    );
    let (status, detail) = collection_finding(&ResourceType::AddressBook, cal, Content::Tasks);
    assert_eq!(status, Status::Error);
    assert!(
        detail.starts_with("an address book, but a caldav store needs a calendar"),
        "{detail}"
    );
    let (status, detail) = collection_finding(
        &ResourceType::OtherCollection,
        CollectionKind::AddressBook,
        Content::Contacts,
    );
    assert_eq!(status, Status::Error);
    assert!(detail.starts_with("not an address book"), "{detail}");
    let (status, detail) = collection_finding(
        &ResourceType::NotDav {
            status: http::StatusCode::OK,
            content_type: Some("text/html".into()),
        },
        cal,
        Content::Events,
    );
    assert_eq!(status, Status::Error);
    assert!(detail.contains("200 OK with text/html"), "{detail}");
}

#[test]
fn a_clock_more_than_five_minutes_off_is_a_warning() {
    let (status, _) = clock_finding(Some(chrono::TimeDelta::seconds(-299)));
    assert_eq!(status, Status::Ok);
    let (status, detail) = clock_finding(Some(chrono::TimeDelta::seconds(7 * 60 + 5)));
    assert_eq!(status, Status::Warning);
    assert!(detail.contains("7m 5s ahead of"), "{detail}");
    let (_, detail) = clock_finding(Some(chrono::TimeDelta::hours(-2)));
    assert!(detail.contains("2h behind"), "{detail}");
    assert_eq!(clock_finding(None).0, Status::Warning);
}

#[test]
fn folders_writable_missing_and_without_a_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let finding = check_folder(tmp.path(), Side::Local, Mode::TwoWay);
    assert_eq!(finding.status, Status::Ok, "{finding:?}");
    let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(names.is_empty(), "the probe is removed: {names:?}");

    let missing = tmp.path().join("cal");
    let finding = check_folder(&missing, Side::Local, Mode::TwoWay);
    assert_eq!(finding.status, Status::Ok, "{finding:?}");
    assert!(
        finding.detail.contains("the first run creates it"),
        "{finding:?}"
    );
    assert!(!missing.exists());

    let finding = check_folder(
        &tmp.path().join("unmounted/cal"),
        Side::Server,
        Mode::TwoWay,
    );
    assert_eq!(finding.status, Status::Error, "{finding:?}");
    assert!(finding.detail.contains("never its parent"), "{finding:?}");

    let file = tmp.path().join("file");
    std::fs::write(&file, "").unwrap();
    let finding = check_folder(&file, Side::Local, Mode::TwoWay);
    assert_eq!(finding.status, Status::Error, "{finding:?}");
    assert!(finding.detail.ends_with("is not a folder"), "{finding:?}");
}
