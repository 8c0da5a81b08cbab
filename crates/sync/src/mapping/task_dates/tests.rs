use super::*;
use crate::mapping::Mapping;
use proptest::prelude::*;

const THUNDERBIRD: &str =
    include_str!("../../../tests/data/mapping/thunderbird-task-moz-alarms.ics");

fn item(body: &str) -> Item {
    Item::parse(body).unwrap()
}

fn m(mode: TaskDates) -> Mapping {
    Mapping::new().with(TaskDatesMapping {
        mode,
        zone: Some(chrono_tz::Europe::Berlin),
    })
}

fn none() -> MapContext<'static> {
    MapContext::default()
}

#[test]
fn thunderbird_task_goes_floating_and_comes_back() {
    let local = item(THUNDERBIRD);
    let server = m(TaskDates::Floating)
        .map(Side::Server, local.clone(), &none())
        .unwrap();
    assert!(server.body().contains("DTSTART:20260601T090000\r\n"));
    assert!(server.body().contains("DUE:20260731T180000\r\n"));
    assert!(!server.body().contains("VTIMEZONE"));
    assert!(
        server
            .body()
            .contains("X-MOZ-SNOOZE-TIME:20260602T070000Z\r\n")
    );
    let again = m(TaskDates::Floating)
        .map(Side::Server, server.clone(), &none())
        .unwrap();
    assert_eq!(again.body(), server.body());
    let context = MapContext {
        row: None,
        current: Some(&local),
        warnings: None,
        members: None,
        linked: None,
    };
    let back = m(TaskDates::Floating)
        .map(Side::Local, server.clone(), &context)
        .unwrap();
    assert_eq!(back.content_hash(), local.content_hash());
    // Due moved on a phone: the folder's zone is kept.
    let moved = item(
        &server
            .body()
            .replace("DUE:20260731T180000", "DUE:20260801T100000"),
    );
    let back = m(TaskDates::Floating)
        .map(Side::Local, moved, &context)
        .unwrap();
    assert!(
        back.body()
            .contains("DUE;TZID=Europe/Berlin:20260801T100000\r\n")
    );
    assert!(back.body().contains("TZID:Europe/Berlin\r\n"));
    // New from the server: floating stays floating.
    let new = m(TaskDates::Floating)
        .map(Side::Local, server.clone(), &none())
        .unwrap();
    assert_eq!(new.body(), server.body());
    // "keep" is byte for byte.
    for to in [Side::Server, Side::Local] {
        assert_eq!(
            m(TaskDates::Keep)
                .map(to, local.clone(), &none())
                .unwrap()
                .body(),
            THUNDERBIRD
        );
    }
}

#[test]
fn events_and_dates_are_left_alone() {
    let event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTART;TZID=Europe/Berlin:20260601T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let task = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nDUE;VALUE=DATE:20260601\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
    for body in [event, task] {
        let out = m(TaskDates::Floating)
            .map(Side::Server, item(body), &none())
            .unwrap();
        assert_eq!(out.body(), body);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn task_dates_are_idempotent_and_round_trip(
        day in 0u32..700,
        hour in 0u32..24,
        start_kind in 0u8..4,
        due_kind in 0u8..4,
    ) {
        let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(u64::from(day));
        let d = date.format("%Y%m%d");
        let value = |name: &str, kind: u8| match kind {
            0 => format!("{name};TZID=Europe/Berlin:{d}T{hour:02}0000\r\n"),
            1 => format!("{name}:{d}T{hour:02}0000Z\r\n"),
            2 => format!("{name}:{d}T{hour:02}0000\r\n"),
            _ => format!("{name};VALUE=DATE:{d}\r\n"),
        };
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\n{}{}SUMMARY:gen\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
            value("DTSTART", start_kind),
            value("DUE", due_kind)
        );
        let local = item(&body);
        let mapping = m(TaskDates::Floating);
        let once = mapping.map(Side::Server, local.clone(), &none()).unwrap();
        let twice = mapping.map(Side::Server, once.clone(), &none()).unwrap();
        prop_assert_eq!(once.body(), twice.body());
        prop_assert!(!once.body().contains("TZID"));
        prop_assert!(once.body().contains("SUMMARY:gen\r\n"));
        let context = MapContext { row: None, current: Some(&local), warnings: None, members: None, linked: None };
        let back = mapping.map(Side::Local, once, &context).unwrap();
        // The DST gap hour (a Berlin wall-clock time that does not exist) may
        // come back as another spelling of the same instant.
        if back.content_hash() != local.content_hash() {
            prop_assert!(start_kind == 1 || due_kind == 1);
        }
    }
}

#[test]
fn a_recurring_task_keeps_its_zones_with_a_warning() {
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:r\r\n\
                DTSTART;TZID=Europe/Berlin:20260105T090000\r\nDUE;TZID=Europe/Berlin:20260105T170000\r\n\
                RRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Berlin:20260112T090000\r\nSUMMARY:Weekly\r\n\
                END:VTODO\r\nEND:VCALENDAR\r\n";
    let task = item(body);
    let warnings = crate::mapping::MapWarnings::default();
    let context = MapContext {
        row: None,
        current: None,
        warnings: Some(&warnings),
        members: None,
        linked: None,
    };
    let copy = m(TaskDates::Floating)
        .map(Side::Server, task.clone(), &context)
        .unwrap();
    assert_eq!(copy.body(), task.body());
    let said = warnings.take();
    assert!(said.len() == 1 && said[0].contains("recurring"), "{said:?}");
}
