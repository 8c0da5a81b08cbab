use super::*;
use crate::mapping::Mapping;
use proptest::prelude::*;

const APPLE: &str = include_str!("../../../tests/data/mapping/apple-berlin-alarms.ics");
const GOOGLE: &str = include_str!("../../../tests/data/mapping/google-utc.ics");
const OUTLOOK: &str = include_str!("../../../tests/data/mapping/outlook-weekly-windows-tz.ics");
const THUNDERBIRD: &str =
    include_str!("../../../tests/data/mapping/thunderbird-task-moz-alarms.ics");
const EMCLIENT: &str = include_str!("../../../tests/data/mapping/emclient-year-one-vtimezone.ics");
const ALL: [&str; 5] = [APPLE, GOOGLE, OUTLOOK, THUNDERBIRD, EMCLIENT];

fn item(body: &str) -> Item {
    Item::parse(body).unwrap()
}

fn m(mode: TimeZones) -> Mapping {
    Mapping::new().with(TimeZoneMapping {
        mode,
        history: false,
    })
}

fn none() -> MapContext<'static> {
    MapContext::default()
}

/// The instants of every occurrence in 2026 (UTC start and end), as the
/// time-range code sees them: by probing each hour of the year.
fn busy_hours(item: &Item) -> Vec<bool> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    (0..24 * 365)
        .step_by(1)
        .map(|h| {
            let s = start + chrono::TimeDelta::hours(h);
            item.meets_time_range(s, s + chrono::TimeDelta::minutes(30))
        })
        .collect()
}

#[test]
fn outlook_series_gets_iana_zones_and_keeps_its_instants() {
    let local = item(OUTLOOK);
    let server = m(TimeZones::Iana)
        .map(Side::Server, local.clone(), &none())
        .unwrap();
    assert!(!server.body().contains("W. Europe Standard Time"));
    assert!(
        server
            .body()
            .contains("DTSTART;TZID=Europe/Berlin:20260302T090000\r\n")
    );
    assert!(
        server
            .body()
            .contains("EXDATE;TZID=Europe/Berlin:20260316T090000\r\n")
    );
    assert!(
        server
            .body()
            .contains("RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000\r\n")
    );
    assert_eq!(busy_hours(&local), busy_hours(&server));
    // Lines the mapping does not own are byte for byte, folding included.
    for line in [
        "DESCRIPTION:Wöchentliche Abstimmung des Teams. Bitte die Agenda im Wiki vor\r\n  dem Termin ergänzen.\\n\\n\r\n",
        "UID:040000008200E00074C5B7101A82E00800000000B0A7B8E4F69BDC01000000000000000\r\n 010000000C5E9D3F0A2B1D94E8F6A0C3B5D7E9F11\r\n",
        "X-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n",
    ] {
        assert!(server.body().contains(line), "{line}");
    }
    // In UTC: the same instants, no VTIMEZONE.
    let utc = m(TimeZones::Utc)
        .map(Side::Server, local.clone(), &none())
        .unwrap();
    assert!(!utc.body().contains("TZID"));
    assert!(utc.body().contains("EXDATE:20260316T080000Z\r\n"));
    assert!(utc.body().contains("RECURRENCE-ID:20260330T070000Z\r\n"));
    assert_eq!(busy_hours(&local)[..24 * 60], busy_hours(&utc)[..24 * 60]);
}

#[test]
fn utc_keeps_the_first_instants() {
    // A weekly series in UTC keeps the first occurrence's UTC time: the
    // occurrences before the DST change (8 March … 23 March) are the same.
    let local = item(OUTLOOK);
    let utc = m(TimeZones::Utc)
        .map(Side::Server, local.clone(), &none())
        .unwrap();
    let (a, b) = (busy_hours(&local), busy_hours(&utc));
    let before_dst = 24 * (31 + 28 + 28);
    assert_eq!(a[..before_dst], b[..before_dst]);
}

#[test]
fn emclient_year_one_is_repaired() {
    let server = m(TimeZones::Iana)
        .map(Side::Server, item(EMCLIENT), &none())
        .unwrap();
    assert!(server.body().contains("DTSTART:19700101T030000\r\n"));
    assert!(!server.body().contains("DTSTART:0001"));
    assert!(server.body().find("BEGIN:VTIMEZONE") < server.body().find("BEGIN:VEVENT"));
    assert!(
        server
            .body()
            .contains("LOCATION:Vinohradská 12\\, Praha\r\n")
    );
    assert_eq!(busy_hours(&item(EMCLIENT)), busy_hours(&server));
}

#[test]
fn clean_items_are_byte_for_byte() {
    for body in [APPLE, GOOGLE, THUNDERBIRD] {
        let out = m(TimeZones::Iana)
            .map(Side::Server, item(body), &none())
            .unwrap();
        assert_eq!(out.body(), body);
        for mode in [TimeZones::Keep, TimeZones::Iana, TimeZones::Utc] {
            let local = m(mode).map(Side::Local, item(body), &none()).unwrap();
            assert_eq!(local.body(), body, "towards the folder nothing changes");
        }
    }
    assert_eq!(
        m(TimeZones::Utc)
            .map(Side::Server, item(GOOGLE), &none())
            .unwrap()
            .body(),
        GOOGLE
    );
}

#[test]
fn the_folder_copy_comes_back_unchanged() {
    for mode in [TimeZones::Iana, TimeZones::Utc] {
        for body in ALL {
            let local = item(body);
            let server = m(mode).map(Side::Server, local.clone(), &none()).unwrap();
            let context = MapContext {
                row: None,
                current: Some(&local),
                warnings: None,
                members: None,
                linked: None,
            };
            let back = m(mode).map(Side::Local, server.clone(), &context).unwrap();
            assert_eq!(back.body(), body);
            // Changed on the server: the server's version arrives.
            let edited = item(
                &server
                    .body()
                    .replacen("SUMMARY", "COMMENT:edited\r\nSUMMARY", 1),
            );
            let back = m(mode).map(Side::Local, edited.clone(), &context).unwrap();
            assert_eq!(back.body(), edited.body());
        }
    }
}

#[test]
fn unknown_zones_are_left_alone() {
    let body = OUTLOOK.replace("W. Europe Standard Time", "Customized Time Zone");
    for mode in [TimeZones::Iana, TimeZones::Utc] {
        let out = m(mode).map(Side::Server, item(&body), &none()).unwrap();
        assert_eq!(out.body(), body);
    }
}

fn arb_item() -> impl Strategy<Value = (String, chrono::NaiveDate)> {
    let zone = prop::sample::select(vec![
        "Europe/Berlin",
        "\"W. Europe Standard Time\"",
        "\"Eastern Standard Time\"",
        "/mozilla.org/20050126_1/America/Chicago",
        "\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\"",
        "Asia/Tokyo",
    ]);
    let rule = prop::sample::select(vec![
        "",
        "RRULE:FREQ=WEEKLY;COUNT=30\r\n",
        "RRULE:FREQ=DAILY\r\n",
    ]);
    (zone, 0u32..700, 0u32..24, rule, any::<bool>(), any::<bool>()).prop_map(
        |(zone, day, hour, rule, exdate, vtimezone)| {
            let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
                + chrono::Days::new(u64::from(day));
            let d = date.format("%Y%m%d");
            let next = (date + chrono::Days::new(7)).format("%Y%m%d");
            let tz = if vtimezone {
                format!(
                    "BEGIN:VTIMEZONE\r\nTZID:{}\r\nBEGIN:STANDARD\r\nDTSTART:00010101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
                    zone.trim_matches('"')
                )
            } else {
                String::new()
            };
            let ex = if exdate && !rule.is_empty() {
                format!("EXDATE;TZID={zone}:{next}T{hour:02}0000\r\n")
            } else {
                String::new()
            };
            (format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//gen//EN\r\nBEGIN:VEVENT\r\nUID:gen\r\nDTSTART;TZID={zone}:{d}T{hour:02}0000\r\nDTEND;TZID={zone}:{d}T{hour:02}4500\r\n{rule}{ex}SUMMARY:Generated\\, with a comma\r\nEND:VEVENT\r\n{tz}END:VCALENDAR\r\n"
            ), date)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Idempotent, the folder copy back after a round trip, the same
    /// instants (over the item's first weeks), and the summary untouched.
    #[test]
    fn time_zones_are_idempotent_and_round_trip((body, date) in arb_item()) {
        let local = item(&body);
        for mode in [TimeZones::Iana, TimeZones::Utc] {
            let once = m(mode).map(Side::Server, local.clone(), &none()).unwrap();
            let twice = m(mode).map(Side::Server, once.clone(), &none()).unwrap();
            prop_assert_eq!(once.body(), twice.body());
            prop_assert!(once.body().contains("SUMMARY:Generated\\, with a comma\r\n"));
            let context = MapContext { row: None, current: Some(&local), warnings: None, members: None, linked: None };
            let back = m(mode).map(Side::Local, once.clone(), &context).unwrap();
            prop_assert_eq!(back.body(), local.body());
            // Same instants over the first ten days (the first occurrence of a series in UTC).
            let probe = |i: &Item| {
                let start = date.and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::TimeDelta::days(1);
                (0..24 * 10)
                    .map(|h| {
                        let s = start + chrono::TimeDelta::hours(h);
                        i.meets_time_range(s, s + chrono::TimeDelta::minutes(10))
                    })
                    .collect::<Vec<_>>()
            };
            let first = |probe: Vec<bool>| probe.iter().position(|meets| *meets);
            if mode == TimeZones::Iana || !body.contains("RRULE") {
                prop_assert_eq!(probe(&local), probe(&once));
            } else {
                // A series in UTC keeps the UTC time of its first occurrence
                // (README): later ones move by an hour across a daylight-saving
                // change, which may fall on the item's first day.
                prop_assert_eq!(first(probe(&local)), first(probe(&once)));
                prop_assert!(first(probe(&once)).is_some());
            }
        }
    }
}

/// The three options together, in the order the profile applies them:
/// every realistic item goes to the server and comes back as it was.
#[test]
fn all_options_together_round_trip() {
    use crate::mapping::{Reminders, RemindersMapping, TaskDates, TaskDatesMapping};
    let now = chrono::DateTime::parse_from_rfc3339("2026-06-12T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    for reminders in [Reminders::Upcoming, Reminders::None] {
        for mode in [TimeZones::Iana, TimeZones::Utc] {
            let mapping = Mapping::new()
                .with(
                    RemindersMapping::new(reminders, Reminders::All)
                        .with_clock(std::sync::Arc::new(move || now)),
                )
                .with(TaskDatesMapping {
                    mode: TaskDates::Floating,
                    zone: Some(chrono_tz::Europe::Berlin),
                })
                .with(TimeZoneMapping {
                    mode,
                    history: true,
                });
            for body in ALL {
                let local = item(body);
                let server = mapping.map(Side::Server, local.clone(), &none()).unwrap();
                let again = mapping.map(Side::Server, server.clone(), &none()).unwrap();
                assert_eq!(again.body(), server.body(), "{mode:?} {reminders:?}");
                let context = MapContext {
                    row: None,
                    current: Some(&local),
                    warnings: None,
                    members: None,
                    linked: None,
                };
                let back = mapping.map(Side::Local, server, &context).unwrap();
                assert_eq!(
                    back.content_hash(),
                    local.content_hash(),
                    "{mode:?} {reminders:?}\n{body}"
                );
            }
        }
    }
}
