use super::*;
use crate::mapping::Mapping;
use proptest::prelude::*;

const APPLE: &str = include_str!("../../../tests/data/mapping/apple-berlin-alarms.ics");
const GOOGLE: &str = include_str!("../../../tests/data/mapping/google-utc.ics");
const OUTLOOK: &str = include_str!("../../../tests/data/mapping/outlook-weekly-windows-tz.ics");
const THUNDERBIRD: &str =
    include_str!("../../../tests/data/mapping/thunderbird-task-moz-alarms.ics");
const EMCLIENT: &str = include_str!("../../../tests/data/mapping/emclient-year-one-vtimezone.ics");

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn mapping(to_server: Reminders, to_local: Reminders, now: &str) -> RemindersMapping {
    let now = at(now);
    RemindersMapping::new(to_server, to_local).with_clock(Arc::new(move || now))
}

fn none() -> MapContext<'static> {
    MapContext::default()
}

fn item(body: &str) -> Item {
    Item::parse(body).unwrap()
}

/// The body without its VALARM blocks, by text: what "none" must write.
fn without_alarm_text(body: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for line in body.split_inclusive("\r\n") {
        if line.starts_with("BEGIN:VALARM") {
            skip = true;
        }
        if !skip {
            out.push_str(line);
        }
        if line.starts_with("END:VALARM") {
            skip = false;
        }
    }
    out
}

#[test]
fn upcoming_on_realistic_items() {
    // The Apple concert (12 June 2026, 18:30 Berlin): on 12 June at noon UTC
    // the 1-hour alarm is ahead, the absolute 08:00Z one and Apple's 1976
    // placeholder are past.
    let m = mapping(Reminders::Upcoming, Reminders::All, "2026-06-12T12:00:00Z");
    let apple = m.map(Side::Server, item(APPLE), &none()).unwrap();
    assert_eq!(apple.alarm_count(), 1);
    assert!(apple.body().contains("TRIGGER:-PT1H\r\n"));
    // Google's 30-minute and 1-day alarms, the day before: the 1-day one is past.
    let m = mapping(Reminders::Upcoming, Reminders::All, "2026-04-14T17:00:00Z");
    assert_eq!(
        m.map(Side::Server, item(GOOGLE), &none())
            .unwrap()
            .alarm_count(),
        1
    );
    // Outlook's series of 20 Mondays from March 2026 has ended by 2027; in
    // May 2026 the series keeps its alarm and the March exception loses its.
    let m = mapping(Reminders::Upcoming, Reminders::All, "2027-01-01T00:00:00Z");
    assert_eq!(
        m.map(Side::Server, item(OUTLOOK), &none())
            .unwrap()
            .alarm_count(),
        0
    );
    let m = mapping(Reminders::Upcoming, Reminders::All, "2026-05-01T00:00:00Z");
    assert_eq!(
        m.map(Side::Server, item(OUTLOOK), &none())
            .unwrap()
            .alarm_count(),
        1
    );
    // Thunderbird's task: due 31 July 18:00 Berlin; start alarm on 1 June.
    let m = mapping(Reminders::Upcoming, Reminders::All, "2026-06-15T00:00:00Z");
    let task = m.map(Side::Server, item(THUNDERBIRD), &none()).unwrap();
    assert_eq!(task.alarm_count(), 1);
    assert!(task.body().contains("RELATED=END:-P1D"));
    assert!(task.body().contains("X-MOZ-LASTACK:20260601T070000Z\r\n"));
}

#[test]
fn none_drops_every_alarm_and_nothing_else() {
    let m = mapping(Reminders::None, Reminders::None, "2026-01-01T00:00:00Z");
    for body in [APPLE, GOOGLE, OUTLOOK, THUNDERBIRD, EMCLIENT] {
        for to in [Side::Server, Side::Local] {
            let out = m.map(to, item(body), &none()).unwrap();
            assert_eq!(out.body(), without_alarm_text(body));
        }
    }
}

#[test]
fn all_is_byte_for_byte() {
    let m = Mapping::new().with(mapping(
        Reminders::All,
        Reminders::All,
        "2026-01-01T00:00:00Z",
    ));
    for body in [APPLE, GOOGLE, OUTLOOK, THUNDERBIRD, EMCLIENT] {
        for to in [Side::Server, Side::Local] {
            assert_eq!(m.map(to, item(body), &none()).unwrap().body(), body);
        }
        assert!(!m.lossy(Side::Server));
    }
}

/// The folder keeps its alarms when only the server copy is stripped: a
/// change made on the server comes back with the folder's alarms.
#[test]
fn the_richer_side_keeps_its_alarms() {
    let m = mapping(Reminders::None, Reminders::All, "2026-01-01T00:00:00Z");
    assert!(m.lossy(Side::Server));
    assert!(!m.lossy(Side::Local));
    let local = item(OUTLOOK);
    let server = m.map(Side::Server, local.clone(), &none()).unwrap();
    assert_eq!(server.alarm_count(), 0);
    let edited = item(
        &server
            .body()
            .replace("LOCATION:Besprechungsraum 2.14", "LOCATION:Raum 5"),
    );
    let context = MapContext {
        row: None,
        current: Some(&local),
        warnings: None,
        members: None,
        linked: None,
    };
    let back = m.map(Side::Local, edited, &context).unwrap();
    assert_eq!(back.alarm_count(), 2);
    assert!(back.body().contains("LOCATION:Raum 5\r\n"));
    // Unedited, it is the folder item again.
    let same = m.map(Side::Local, server, &context).unwrap();
    assert_eq!(same.content_hash(), local.content_hash());
    // Alarms set on the server win for their component.
    let own = item(&item(GOOGLE).body().replace("-P0DT0H30M0S", "-PT5M"));
    let context = MapContext {
        row: None,
        current: Some(&item(GOOGLE)),
        warnings: None,
        members: None,
        linked: None,
    };
    assert_eq!(
        m.map(Side::Local, own.clone(), &context).unwrap().body(),
        own.body()
    );
}

#[test]
fn one_direction_overrides() {
    let m = mapping(Reminders::All, Reminders::None, "2026-01-01T00:00:00Z");
    assert_eq!(
        m.map(Side::Server, item(APPLE), &none())
            .unwrap()
            .alarm_count(),
        3
    );
    assert_eq!(
        m.map(Side::Local, item(APPLE), &none())
            .unwrap()
            .alarm_count(),
        0
    );
}

/// A generated event: start in UTC, Berlin, a Windows zone, floating or a
/// date; maybe a weekly series (endless, COUNT or UNTIL) with an override;
/// alarms with relative and absolute triggers.
fn arb_event() -> impl Strategy<Value = String> {
    let zone = prop::sample::select(vec!["Z", "berlin", "windows", "floating", "date"]);
    let rule = prop::sample::select(vec![
        "",
        "RRULE:FREQ=WEEKLY\r\n",
        "RRULE:FREQ=WEEKLY;COUNT=5\r\n",
        "RRULE:FREQ=DAILY;UNTIL=20260301T000000Z\r\n",
    ]);
    let trigger = prop::sample::select(vec![
        "TRIGGER:-PT15M",
        "TRIGGER;RELATED=END:PT5M",
        "TRIGGER:P1D",
        "TRIGGER;VALUE=DATE-TIME:20260115T080000Z",
        "TRIGGER:-PT0S",
    ]);
    (
        zone,
        0u32..500,
        0u32..24,
        rule,
        prop::collection::vec(trigger, 0..3),
        any::<bool>(),
    )
        .prop_map(|(zone, day, hour, rule, triggers, exception)| {
            let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
                + chrono::Days::new(u64::from(day));
            let d = date.format("%Y%m%d");
            let (prop, value) = match zone {
                "Z" => ("", format!("{d}T{hour:02}0000Z")),
                "berlin" => (";TZID=Europe/Berlin", format!("{d}T{hour:02}0000")),
                "windows" => (
                    ";TZID=\"W. Europe Standard Time\"",
                    format!("{d}T{hour:02}0000"),
                ),
                "floating" => ("", format!("{d}T{hour:02}0000")),
                _ => (";VALUE=DATE", d.to_string()),
            };
            let alarms: String = triggers
                .iter()
                .map(|t| format!("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n{t}\r\nEND:VALARM\r\n"))
                .collect();
            let mut body = format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//gen//EN\r\nBEGIN:VEVENT\r\nUID:gen\r\nDTSTAMP:20250101T000000Z\r\nDTSTART{prop}:{value}\r\n{rule}SUMMARY:A long summary that is folded by its producer since it goes\r\n  past seventy-five octets\r\n{alarms}END:VEVENT\r\n"
            );
            if exception && !rule.is_empty() && zone == "Z" {
                let next = (date + chrono::Days::new(7)).format("%Y%m%d");
                body.push_str(&format!(
                    "BEGIN:VEVENT\r\nUID:gen\r\nRECURRENCE-ID:{next}T{hour:02}0000Z\r\nDTSTART:{next}T{hour:02}3000Z\r\nSUMMARY:moved\r\n{alarms}END:VEVENT\r\n"
                ));
            }
            body.push_str("END:VCALENDAR\r\n");
            body
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Idempotent in both directions, stable through a round trip with the
    /// folder item as the richer copy, and never touching non-alarm lines.
    #[test]
    fn reminders_are_idempotent_and_round_trip(body in arb_event()) {
        let original = item(&body);
        for policy in [Reminders::All, Reminders::Upcoming, Reminders::None] {
            let m = mapping(policy, Reminders::All, "2026-01-20T12:00:00Z");
            for to in [Side::Server, Side::Local] {
                let once = m.map(to, original.clone(), &none()).unwrap();
                let twice = m.map(to, once.clone(), &none()).unwrap();
                prop_assert_eq!(once.body(), twice.body());
            }
            let server = m.map(Side::Server, original.clone(), &none()).unwrap();
            prop_assert!(server.alarm_count() <= original.alarm_count());
            prop_assert_eq!(without_alarm_text(server.body()), without_alarm_text(&body));
            let context = MapContext { row: None, current: Some(&original), warnings: None, members: None, linked: None };
            let back = m.map(Side::Local, server, &context).unwrap();
            prop_assert_eq!(back.content_hash(), original.content_hash());
        }
    }
}
