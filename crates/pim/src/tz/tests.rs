use super::*;
use crate::range::stamp;

/// Every instant the item's date properties name (EXDATE and RDATE lists
/// included), in document order, as the time-range code reads them.
fn instants(item: &Item) -> Vec<DateTime<Utc>> {
    let Entry::ICalendar(cal) = calcard::Parser::new(item.body()).entry() else {
        panic!("not a calendar");
    };
    let zones = cal.build_tz_resolver();
    let mut out = Vec::new();
    for c in &cal.components {
        if !matches!(
            c.component_type,
            ICalendarComponentType::VEvent | ICalendarComponentType::VTodo
        ) {
            continue;
        }
        for e in &c.entries {
            for v in &e.values {
                if let calcard::icalendar::ICalendarValue::PartialDateTime(t) = v {
                    out.push(stamp(t, e.tz_id(), &zones).unwrap().utc().unwrap());
                }
            }
        }
    }
    out
}

const OUTLOOK: &str = "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\nDTSTART;TZID=\"W. Europe Standard Time\":20260302T090000\r\nDTEND;TZID=\"W. Europe Standard Time\":20260302T093000\r\nRRULE:FREQ=WEEKLY;COUNT=20;BYDAY=MO\r\nEXDATE;TZID=\"W. Europe Standard Time\":20260316T090000\r\nSUMMARY:Jour fixe\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\nRECURRENCE-ID;TZID=\"W. Europe Standard Time\":20260330T090000\r\nDTSTART;TZID=\"W. Europe Standard Time\":20260330T100000\r\nDTEND;TZID=\"W. Europe Standard Time\":20260330T103000\r\nSUMMARY:Jour fixe (moved)\r\nEND:VEVENT\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

#[test]
fn windows_zones_become_iana_with_the_same_instants() {
    let item = Item::parse(OUTLOOK).unwrap();
    let report = item.with_iana_timezones(false).unwrap();
    let out = &report.item;
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(!out.body().contains("W. Europe"), "{}", out.body());
    assert_eq!(out.body().matches("TZID=Europe/Berlin:").count(), 6);
    assert_eq!(out.body().matches("BEGIN:VTIMEZONE").count(), 1);
    assert!(out.body().contains("TZID:Europe/Berlin\r\n"));
    // The VTIMEZONE comes before the events now.
    assert!(out.body().find("BEGIN:VTIMEZONE") < out.body().find("BEGIN:VEVENT"));
    assert_eq!(instants(&item), instants(out));
    // Untouched lines stay.
    for line in [
        "SUMMARY:Jour fixe (moved)\r\n",
        "RRULE:FREQ=WEEKLY;COUNT=20;BYDAY=MO\r\n",
    ] {
        assert!(out.body().contains(line));
    }
    // Idempotent, and a clean item is left byte for byte.
    let again = out.with_iana_timezones(false).unwrap();
    assert_eq!(again.item.body(), out.body());
    // A UTC copy names the same instants.
    let utc = item.with_utc_times().unwrap();
    assert_eq!(instants(&item), instants(&utc.item));
    assert!(!utc.item.body().contains("VTIMEZONE"));
    assert!(utc.item.body().contains("DTSTART:20260302T080000Z\r\n"));
    // The series runs past the end of March: it crosses the change to summer time.
    assert_eq!(utc.warnings.len(), 1, "{:?}", utc.warnings);
    assert_eq!(
        utc.item.with_utc_times().unwrap().item.body(),
        utc.item.body()
    );
}

#[test]
fn names_resolve() {
    assert_eq!(iana_zone("Europe/Berlin"), Some("Europe/Berlin"));
    assert_eq!(iana_zone("W. Europe Standard Time"), Some("Europe/Berlin"));
    assert_eq!(
        iana_zone("/mozilla.org/20050126_1/Europe/Berlin"),
        Some("Europe/Berlin")
    );
    assert_eq!(
        iana_zone("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
        Some("Europe/Berlin")
    );
    assert_eq!(iana_zone("Eastern Standard Time"), Some("America/New_York"));
    assert_eq!(iana_zone("Mars/Olympus"), None);
}

#[test]
fn history_covers_old_years() {
    let item = Item::parse(OUTLOOK).unwrap();
    let short = item.with_iana_timezones(false).unwrap().item;
    let long = item.with_iana_timezones(true).unwrap().item;
    assert!(long.body().len() > short.body().len());
    assert!(long.body().contains("DTSTART:1899") || long.body().contains("DTSTART:1900"));
    assert_eq!(instants(&item), instants(&long));
}

#[test]
fn repairs_year_one_order_and_missing_zones() {
    let em = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//eM Client/9.2//EN\r\nBEGIN:VEVENT\r\nUID:em1\r\nDTSTART;TZID=Europe/Prague:20260105T080000\r\nSUMMARY:x\r\nEND:VEVENT\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Prague\r\nBEGIN:STANDARD\r\nDTSTART:00010101T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
    let item = Item::parse(em).unwrap();
    let out = item.with_iana_timezones(false).unwrap().item;
    assert!(out.body().contains("DTSTART:19700101T030000\r\n"));
    assert!(out.body().find("BEGIN:VTIMEZONE") < out.body().find("BEGIN:VEVENT"));
    assert_eq!(out.body().len(), em.len());
    let missing = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTART;TZID=America/New_York:20260105T080000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let out = Item::parse(missing)
        .unwrap()
        .with_iana_timezones(false)
        .unwrap()
        .item;
    assert!(out.body().contains("TZID:America/New_York\r\n"));
    assert!(out.body().contains("BEGIN:DAYLIGHT"));
    let unknown = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTART;TZID=Mars:20260105T080000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let report = Item::parse(unknown)
        .unwrap()
        .with_iana_timezones(false)
        .unwrap();
    assert_eq!(report.item.body(), unknown);
    assert_eq!(report.warnings.len(), 1);
    let utc = Item::parse(unknown).unwrap().with_utc_times().unwrap();
    assert_eq!(utc.item.body(), unknown);
    assert_eq!(utc.warnings.len(), 1);
}

#[test]
fn floating_task_dates_and_back() {
    let task = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTART;TZID=Europe/Berlin:20260105T080000\r\nDUE:20260106T170000Z\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
    let item = Item::parse(task).unwrap();
    let berlin = chrono_tz::Europe::Berlin;
    let local = |t: DateTime<Utc>| Some(t.with_timezone(&berlin).naive_local());
    let to_utc = |t: NaiveDateTime| {
        berlin
            .from_local_datetime(&t)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    let floating = item.with_floating_task_dates(&local).unwrap();
    assert!(floating.body().contains("DTSTART:20260105T080000\r\n"));
    assert!(floating.body().contains("DUE:20260106T180000\r\n"));
    assert!(!floating.body().contains("VTIMEZONE"));
    assert_eq!(
        floating.with_floating_task_dates(&local).unwrap().body(),
        floating.body()
    );
    let back = floating.with_task_dates_from(&item, &to_utc).unwrap();
    assert_eq!(back.content_hash(), item.content_hash());
    // A new due time from the floating side keeps the richer side's zone.
    let moved = Item::parse(
        floating
            .body()
            .replace("DUE:20260106T180000", "DUE:20260107T090000"),
    )
    .unwrap()
    .with_task_dates_from(&item, &to_utc)
    .unwrap();
    assert!(
        moved.body().contains("DUE:20260107T080000Z\r\n"),
        "{}",
        moved.body()
    );
}

#[test]
fn a_rule_whose_day_moves_in_utc_is_left_alone() {
    // Mondays 08:00 in Tokyo are Sundays 23:00 in UTC: BYDAY=MO would name
    // other days.
    let tokyo = |rule: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:t\r\nDTSTART;TZID=Asia/Tokyo:20260302T080000\r\n{rule}END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    for rule in ["RRULE:FREQ=WEEKLY;BYDAY=MO\r\n", "RRULE:FREQ=MONTHLY\r\n"] {
        let body = tokyo(rule);
        let report = Item::parse(body.as_str())
            .unwrap()
            .with_utc_times()
            .unwrap();
        assert_eq!(report.item.body(), body);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    }
    // A plain weekly rule keeps its instants.
    let body = tokyo("RRULE:FREQ=WEEKLY\r\n");
    let report = Item::parse(body.as_str())
        .unwrap()
        .with_utc_times()
        .unwrap();
    assert!(report.item.body().contains("DTSTART:20260301T230000Z\r\n"));
}
