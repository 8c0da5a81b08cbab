//! Tests of `range.rs`.

use super::*;
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// A calendar object from components written with `\n` line ends.
fn calendar(components: &str) -> Item {
    let body =
        format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{components}END:VCALENDAR\n")
            .replace('\n', "\r\n");
    Item::parse(body).unwrap()
}

fn event(props: &str) -> Item {
    calendar(&format!(
        "BEGIN:VEVENT\nUID:e@x\nDTSTAMP:20260101T000000Z\n{props}\nEND:VEVENT\n"
    ))
}

fn todo(props: &str) -> Item {
    calendar(&format!(
        "BEGIN:VTODO\nUID:t@x\nDTSTAMP:20260101T000000Z\n{props}\nEND:VTODO\n"
    ))
}

fn meets(item: &Item, start: &str, end: &str) -> bool {
    item.meets_time_range(t(start), t(end))
}

const NEW_YORK: &str = "BEGIN:VTIMEZONE\nTZID:America/New_York\nBEGIN:DAYLIGHT\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT\nDTSTART:19700308T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nEND:DAYLIGHT\nBEGIN:STANDARD\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST\nDTSTART:19701101T020000\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nEND:STANDARD\nEND:VTIMEZONE\n";

#[test]
fn timed_event_edges() {
    let e = event("DTSTART:20260105T100000Z\nDTEND:20260105T110000Z");
    assert!(meets(&e, "2026-01-05T10:30:00Z", "2026-01-05T10:45:00Z"));
    assert!(meets(&e, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"));
    assert!(meets(&e, "2026-01-05T09:00:00Z", "2026-01-05T10:00:01Z"));
    assert!(meets(&e, "2026-01-05T10:59:59Z", "2026-01-05T12:00:00Z"));
    // The range ends where the event starts, or starts where it ends.
    assert!(!meets(&e, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"));
    assert!(!meets(&e, "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z"));
    assert!(!meets(&e, "2025-01-01T00:00:00Z", "2025-12-31T00:00:00Z"));
    // Empty and inverted ranges hold nothing.
    assert!(!meets(&e, "2026-01-05T10:30:00Z", "2026-01-05T10:30:00Z"));
    assert!(!meets(&e, "2026-01-06T00:00:00Z", "2026-01-01T00:00:00Z"));
    // Open ends.
    assert!(e.meets_time_range(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC));
    assert!(!e.meets_time_range(DateTime::<Utc>::MIN_UTC, t("2026-01-05T10:00:00Z")));
    assert!(!e.meets_time_range(t("2026-01-05T11:00:00Z"), DateTime::<Utc>::MAX_UTC));
}

#[test]
fn all_day_event() {
    let e = event("DTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:20260107");
    assert!(meets(&e, "2026-01-06T23:00:00Z", "2026-01-08T00:00:00Z"));
    assert!(meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:01Z"));
    assert!(!meets(&e, "2026-01-07T00:00:00Z", "2026-01-08T00:00:00Z"));
    assert!(!meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"));
}

#[test]
fn event_without_end() {
    // A date: one day.
    let day = event("DTSTART;VALUE=DATE:20260105");
    assert!(meets(&day, "2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z"));
    assert!(meets(&day, "2026-01-05T23:59:59Z", "2026-01-07T00:00:00Z"));
    assert!(!meets(&day, "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"));
    // A date-time: an instant, in the range when start <= DTSTART < end.
    let instant = event("DTSTART:20260105T100000Z");
    assert!(meets(
        &instant,
        "2026-01-05T10:00:00Z",
        "2026-01-05T10:00:01Z"
    ));
    assert!(!meets(
        &instant,
        "2026-01-05T09:00:00Z",
        "2026-01-05T10:00:00Z"
    ));
    assert!(!meets(
        &instant,
        "2026-01-05T10:00:01Z",
        "2026-01-05T12:00:00Z"
    ));
    // DTEND equal to DTSTART: an instant as well.
    let zero = event("DTSTART:20260105T100000Z\nDTEND:20260105T100000Z");
    assert!(meets(&zero, "2026-01-05T10:00:00Z", "2026-01-05T10:00:01Z"));
    assert!(!meets(
        &zero,
        "2026-01-05T09:00:00Z",
        "2026-01-05T10:00:00Z"
    ));
}

#[test]
fn duration() {
    let e = event("DTSTART:20260105T100000Z\nDURATION:PT2H");
    assert!(meets(&e, "2026-01-05T11:30:00Z", "2026-01-05T11:31:00Z"));
    assert!(!meets(&e, "2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z"));
    let days = event("DTSTART;VALUE=DATE:20260105\nDURATION:P1W");
    assert!(meets(&days, "2026-01-11T23:00:00Z", "2026-01-12T00:00:00Z"));
    assert!(!meets(
        &days,
        "2026-01-12T00:00:00Z",
        "2026-01-13T00:00:00Z"
    ));
    let zero = event("DTSTART:20260105T100000Z\nDURATION:PT0S");
    assert!(meets(&zero, "2026-01-05T10:00:00Z", "2026-01-05T10:00:01Z"));
    assert!(!meets(
        &zero,
        "2026-01-05T09:00:00Z",
        "2026-01-05T10:00:00Z"
    ));
}

#[test]
fn time_zone_from_vtimezone() {
    // 23:30 in New York on 4 January is 04:30 UTC on the 5th.
    let e = calendar(&format!(
        "{NEW_YORK}BEGIN:VEVENT\nUID:e@x\nDTSTART;TZID=America/New_York:20260104T233000\nDTEND;TZID=America/New_York:20260105T000000\nEND:VEVENT\n"
    ));
    assert!(meets(&e, "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"));
    assert!(meets(&e, "2026-01-05T04:59:00Z", "2026-01-05T06:00:00Z"));
    assert!(!meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"));
    assert!(!meets(&e, "2026-01-05T05:00:00Z", "2026-01-06T00:00:00Z"));
}

#[test]
fn vtimezone_with_vendor_or_windows_name() {
    for tzid in [
        "/citadel.org/20190914_1/America/New_York",
        "Eastern Standard Time",
    ] {
        let e = calendar(&format!(
            "BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:STANDARD\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nDTSTART:19701101T020000\nEND:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:e@x\nDTSTART;TZID=\"{tzid}\":20260104T233000\nDURATION:PT30M\nEND:VEVENT\n"
        ));
        assert!(
            meets(&e, "2026-01-05T04:00:00Z", "2026-01-05T05:00:00Z"),
            "{tzid}"
        );
        assert!(
            !meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"),
            "{tzid}"
        );
    }
}

#[test]
fn iana_time_zone_without_vtimezone() {
    // 01:30 on 1 July in Berlin (summer time, UTC+2) is 23:30 UTC on 30 June.
    let e = event(
        "DTSTART;TZID=Europe/Berlin:20260701T013000\nDTEND;TZID=Europe/Berlin:20260701T020000",
    );
    assert!(meets(&e, "2026-06-30T00:00:00Z", "2026-07-01T00:00:00Z"));
    assert!(!meets(&e, "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"));
}

#[test]
fn wall_clock_time_in_a_dst_gap() {
    // 02:30 on 8 March 2026 does not exist in New York: read with the
    // offset before the gap (EST), 07:30 UTC.
    let e = event("DTSTART;TZID=America/New_York:20260308T023000");
    assert!(meets(&e, "2026-03-08T07:30:00Z", "2026-03-08T07:31:00Z"));
    assert!(!meets(&e, "2026-03-08T06:00:00Z", "2026-03-08T07:30:00Z"));
}

#[test]
fn floating_time_reads_as_utc() {
    let e = event("DTSTART:20260105T100000\nDTEND:20260105T110000");
    assert!(meets(&e, "2026-01-05T10:30:00Z", "2026-01-05T10:31:00Z"));
    assert!(!meets(&e, "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z"));
}

#[test]
fn weekly_series_started_years_ago() {
    // Mondays 10:00-11:00 UTC since 7 January 2019, without end.
    let e = event("DTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY");
    assert!(meets(&e, "2026-03-02T10:30:00Z", "2026-03-02T10:45:00Z"));
    assert!(meets(&e, "2040-01-01T00:00:00Z", "2040-01-08T00:00:00Z"));
    // Between two occurrences.
    assert!(!meets(&e, "2026-03-02T11:00:00Z", "2026-03-09T10:00:00Z"));
    // Before the series.
    assert!(!meets(&e, "2018-01-01T00:00:00Z", "2019-01-07T10:00:00Z"));
}

#[test]
fn weekly_series_in_a_time_zone_keeps_wall_clock_time() {
    // Thursdays 10:00-11:00 in Berlin: 09:00 UTC in winter, 08:00 in summer.
    let e = event(
        "DTSTART;TZID=Europe/Berlin:20200102T100000\nDTEND;TZID=Europe/Berlin:20200102T110000\nRRULE:FREQ=WEEKLY;BYDAY=TH",
    );
    assert!(meets(&e, "2026-07-02T08:00:00Z", "2026-07-02T08:01:00Z"));
    assert!(!meets(&e, "2026-07-02T09:00:00Z", "2026-07-02T12:00:00Z"));
    assert!(meets(&e, "2026-01-08T09:30:00Z", "2026-01-08T09:31:00Z"));
    assert!(!meets(&e, "2026-01-08T08:00:00Z", "2026-01-08T09:00:00Z"));
}

#[test]
fn series_with_until() {
    let e = event(
        "DTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z",
    );
    assert!(!meets(&e, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"));
    assert!(!meets(&e, "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"));
    // 30 December 2019 was its last Monday.
    assert!(meets(&e, "2019-12-30T10:00:00Z", "2019-12-30T10:01:00Z"));
}

#[test]
fn until_is_an_instant_east_of_greenwich() {
    // Daily at 10:00 in Berlin (09:00 UTC) until 10 January, 09:00 UTC: the
    // occurrence of the 10th is the last one.
    let e = event(
        "DTSTART;TZID=Europe/Berlin:20260105T100000\nDTEND;TZID=Europe/Berlin:20260105T103000\nRRULE:FREQ=DAILY;UNTIL=20260110T090000Z",
    );
    assert!(meets(&e, "2026-01-10T09:00:00Z", "2026-01-10T09:10:00Z"));
    assert!(!meets(&e, "2026-01-10T12:00:00Z", "2026-02-01T00:00:00Z"));
}

#[test]
fn series_with_count() {
    // Ten days: 1 to 10 January.
    let e = event("DTSTART:20260101T100000Z\nDTEND:20260101T110000Z\nRRULE:FREQ=DAILY;COUNT=10");
    assert!(meets(&e, "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"));
    assert!(!meets(&e, "2026-01-11T00:00:00Z", "2026-02-01T00:00:00Z"));
    assert!(!meets(&e, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"));
}

#[test]
fn exdate_removes_the_only_occurrence_in_range() {
    let series = "DTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY";
    let (start, end) = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z");
    assert!(meets(&event(series), start, end));
    let e = event(&format!(
        "{series}\nEXDATE:20260223T100000Z,20260302T100000Z"
    ));
    assert!(!meets(&e, start, end));
    assert!(meets(&e, "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z"));
    // EXDATE in the series' time zone.
    let zoned = event(
        "DTSTART;TZID=Europe/Berlin:20190107T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEXDATE;TZID=Europe/Berlin:20260302T100000",
    );
    assert!(!meets(&zoned, start, end));
}

#[test]
fn override_moved_into_the_range() {
    // A series over before 2026, one of its instances moved into March 2026.
    let e = calendar(
        "BEGIN:VEVENT\nUID:s@x\nDTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20191230T100000Z\nDTSTART:20260302T100000Z\nDTEND:20260302T110000Z\nEND:VEVENT\n",
    );
    assert!(meets(&e, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"));
    assert!(!meets(&e, "2026-03-03T00:00:00Z", "2026-04-01T00:00:00Z"));
    // The moved instance is no longer at its old place.
    assert!(!meets(&e, "2019-12-30T00:00:00Z", "2019-12-31T00:00:00Z"));
    assert!(meets(&e, "2019-12-23T00:00:00Z", "2019-12-24T00:00:00Z"));
    // A series starting after the range, with an instance moved into it.
    let later = calendar(
        "BEGIN:VEVENT\nUID:s@x\nDTSTART:20300107T100000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20300114T100000Z\nDTSTART:20260302T100000Z\nDURATION:PT1H\nEND:VEVENT\n",
    );
    assert!(meets(
        &later,
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z"
    ));
    assert!(!meets(
        &later,
        "2026-03-03T00:00:00Z",
        "2027-01-01T00:00:00Z"
    ));
}

#[test]
fn override_moved_out_of_the_range() {
    // The instance of 2 March 2026 moved to June.
    let e = calendar(
        "BEGIN:VEVENT\nUID:s@x\nDTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20260302T100000Z\nDTSTART:20260601T120000Z\nDTEND:20260601T130000Z\nEND:VEVENT\n",
    );
    assert!(!meets(&e, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"));
    // Other occurrences still meet a longer range.
    assert!(meets(&e, "2026-03-02T00:00:00Z", "2026-03-10T00:00:00Z"));
    // An override without DTEND keeps the series' hour.
    let no_end = calendar(
        "BEGIN:VEVENT\nUID:s@x\nDTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20260302T100000Z\nDTSTART:20260302T120000Z\nEND:VEVENT\n",
    );
    assert!(meets(
        &no_end,
        "2026-03-02T12:30:00Z",
        "2026-03-02T13:00:00Z"
    ));
    assert!(!meets(
        &no_end,
        "2026-03-02T09:00:00Z",
        "2026-03-02T12:00:00Z"
    ));
}

#[test]
fn rdate() {
    let e = event(
        "DTSTART:20200101T100000Z\nDTEND:20200101T110000Z\nRDATE:20260302T100000Z\nRDATE;VALUE=PERIOD:20260401T100000Z/PT5H",
    );
    assert!(meets(&e, "2026-03-02T10:30:00Z", "2026-03-02T10:31:00Z"));
    assert!(!meets(&e, "2026-03-02T11:00:00Z", "2026-03-03T00:00:00Z"));
    // The period's own length.
    assert!(meets(&e, "2026-04-01T14:00:00Z", "2026-04-01T14:01:00Z"));
    assert!(!meets(&e, "2026-04-01T15:00:00Z", "2026-04-02T00:00:00Z"));
    // RDATE with an RRULE, removed by EXDATE.
    let both = event(
        "DTSTART:20200101T100000Z\nDURATION:PT1H\nRRULE:FREQ=YEARLY;COUNT=2\nRDATE:20260302T100000Z\nEXDATE:20260302T100000Z",
    );
    assert!(!meets(
        &both,
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z"
    ));
    assert!(meets(&both, "2021-01-01T10:00:00Z", "2021-01-01T10:01:00Z"));
}

#[test]
fn yearly_and_monthly_series() {
    // A birthday since 1980.
    let birthday = event("DTSTART;VALUE=DATE:19800314\nRRULE:FREQ=YEARLY");
    assert!(meets(
        &birthday,
        "2026-03-14T12:00:00Z",
        "2026-03-14T13:00:00Z"
    ));
    assert!(!meets(
        &birthday,
        "2026-03-15T00:00:00Z",
        "2027-03-14T00:00:00Z"
    ));
    // The last Friday of each month: 27 March 2026.
    let friday = event("DTSTART:20200131T150000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;BYDAY=-1FR");
    assert!(meets(
        &friday,
        "2026-03-27T15:00:00Z",
        "2026-03-27T15:01:00Z"
    ));
    assert!(!meets(
        &friday,
        "2026-03-01T00:00:00Z",
        "2026-03-27T15:00:00Z"
    ));
}

#[test]
fn daily_series_with_weekdays_and_interval() {
    // Every second day, on weekdays only, 08:00 UTC, from Monday 6 January 2020:
    // the pattern repeats every two weeks.
    let e = event(
        "DTSTART:20200106T080000Z\nDURATION:PT15M\nRRULE:FREQ=DAILY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR",
    );
    // 6 January 2020 + 2274 days (an even number) = Friday 27 March 2026.
    assert!(meets(&e, "2026-03-27T08:00:00Z", "2026-03-27T08:01:00Z"));
    // Sunday 29 March is on the pattern but a weekend, Saturday 28 is off the pattern.
    assert!(!meets(&e, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"));
    assert!(!meets(&e, "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z"));
    assert!(meets(&e, "2026-03-31T00:00:00Z", "2026-04-01T00:00:00Z"));
}

#[test]
fn too_many_occurrences_is_a_yes() {
    // Every minute of every January, counted from 2000 (so no skipping
    // ahead): nothing in June, but proving it would take millions of
    // occurrences.
    let e = event("DTSTART:20000101T000000Z\nRRULE:FREQ=MINUTELY;BYMONTH=1;COUNT=100000000");
    assert!(meets(&e, "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    // Its beginning is still seen exactly.
    assert!(!meets(&e, "1999-06-01T00:00:00Z", "1999-06-02T00:00:00Z"));
    assert!(meets(&e, "2000-01-03T10:00:00Z", "2000-01-03T10:00:01Z"));
    // Without COUNT the periods before the range are skipped: exact again.
    let skipped = event("DTSTART:20000101T000000Z\nRRULE:FREQ=MINUTELY;BYMONTH=1");
    assert!(!meets(
        &skipped,
        "2026-06-01T00:00:00Z",
        "2026-06-02T00:00:00Z"
    ));
    assert!(meets(
        &skipped,
        "2026-01-31T23:59:00Z",
        "2026-02-01T00:00:00Z"
    ));
}

#[test]
fn todo_table() {
    // DUE alone: start < DUE and end >= DUE.
    let due = todo("DUE:20260105T100000Z");
    assert!(meets(&due, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"));
    assert!(!meets(&due, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"));
    assert!(!meets(&due, "2026-01-05T08:00:00Z", "2026-01-05T09:59:59Z"));
    // DTSTART and DURATION.
    let dur = todo("DTSTART:20260105T100000Z\nDURATION:PT1H");
    assert!(meets(&dur, "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z"));
    assert!(meets(&dur, "2026-01-05T09:00:00Z", "2026-01-05T10:00:01Z"));
    assert!(!meets(&dur, "2026-01-05T11:00:01Z", "2026-01-05T12:00:00Z"));
    assert!(!meets(&dur, "2026-01-05T08:00:00Z", "2026-01-05T10:00:00Z"));
    // DTSTART and DUE.
    let span = todo("DTSTART:20260105T100000Z\nDUE:20260106T100000Z");
    assert!(meets(&span, "2026-01-05T20:00:00Z", "2026-01-05T21:00:00Z"));
    assert!(!meets(
        &span,
        "2026-01-06T10:00:00Z",
        "2026-01-07T00:00:00Z"
    ));
    // DTSTART alone.
    let start = todo("DTSTART:20260105T100000Z");
    assert!(meets(
        &start,
        "2026-01-05T10:00:00Z",
        "2026-01-05T10:00:01Z"
    ));
    assert!(!meets(
        &start,
        "2026-01-05T10:00:01Z",
        "2026-01-06T00:00:00Z"
    ));
    // COMPLETED alone: start <= COMPLETED <= end.
    let done = todo("COMPLETED:20260105T100000Z");
    assert!(meets(&done, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"));
    assert!(meets(&done, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"));
    assert!(!meets(
        &done,
        "2026-01-05T10:00:01Z",
        "2026-01-05T11:00:00Z"
    ));
    // CREATED alone: start <= CREATED < end.
    let made = todo("CREATED:20260105T100000Z");
    assert!(meets(&made, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"));
    assert!(!meets(
        &made,
        "2026-01-05T09:00:00Z",
        "2026-01-05T10:00:00Z"
    ));
    // CREATED and COMPLETED.
    let both = todo("CREATED:20260101T000000Z\nCOMPLETED:20260110T000000Z");
    assert!(meets(&both, "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"));
    assert!(!meets(
        &both,
        "2026-01-10T00:00:01Z",
        "2026-02-01T00:00:00Z"
    ));
    // None of them: always.
    let none = todo("SUMMARY:someday");
    assert!(meets(&none, "1990-01-01T00:00:00Z", "1990-01-02T00:00:00Z"));
    // A recurring task: DUE moves with each instance.
    let weekly = todo("DTSTART:20200106T090000Z\nDUE:20200106T170000Z\nRRULE:FREQ=WEEKLY");
    assert!(meets(
        &weekly,
        "2026-03-02T16:00:00Z",
        "2026-03-02T16:01:00Z"
    ));
    assert!(!meets(
        &weekly,
        "2026-03-02T17:00:00Z",
        "2026-03-09T09:00:00Z"
    ));
}

#[test]
fn journals() {
    let dated = calendar("BEGIN:VJOURNAL\nUID:j@x\nDTSTART;VALUE=DATE:20260105\nEND:VJOURNAL\n");
    assert!(meets(
        &dated,
        "2026-01-05T20:00:00Z",
        "2026-01-05T21:00:00Z"
    ));
    assert!(!meets(
        &dated,
        "2026-01-06T00:00:00Z",
        "2026-01-07T00:00:00Z"
    ));
    // Without DTSTART: kept (the RFC would say never).
    let undated = calendar("BEGIN:VJOURNAL\nUID:j@x\nSUMMARY:note\nEND:VJOURNAL\n");
    assert!(meets(
        &undated,
        "2026-01-05T00:00:00Z",
        "2026-01-06T00:00:00Z"
    ));
}

#[test]
fn contacts_always_meet() {
    let card =
        Item::parse("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c\r\nFN:Ann\r\nEND:VCARD\r\n").unwrap();
    assert!(meets(&card, "1990-01-01T00:00:00Z", "1990-01-02T00:00:00Z"));
    assert!(meets(&card, "1990-01-02T00:00:00Z", "1990-01-01T00:00:00Z"));
}

#[test]
fn what_cannot_be_understood_meets() {
    let far = ("1990-01-01T00:00:00Z", "1990-01-02T00:00:00Z");
    for props in [
        "DTSTART;TZID=Mars/Olympus_Mons:20260105T100000",
        "DTSTART:20260105T100000Z\nDTEND:soon",
        "DTSTART:tomorrow",
        "SUMMARY:no start",
        "DTSTART:20260105T100000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260105T100000Z",
        "DTSTART:20260105T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=XX",
    ] {
        assert!(meets(&event(props), far.0, far.1), "{props}");
    }
    // A TZID on an EXDATE counts too: the item cannot be read exactly.
    let e =
        event("DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY\nEXDATE;TZID=Nowhere:20260106T100000");
    assert!(meets(&e, far.0, far.1));
}

fn overlap(s: i64, e: i64, a: i64, b: i64) -> bool {
    if e > s {
        a < e && b > s
    } else {
        a <= s && b > s
    }
}

fn stamp_z(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

proptest! {
    /// A single timed event meets a range exactly when the intervals
    /// overlap (an instant when it has no length). Times fall on a coarse
    /// grid so that edges coincide often.
    #[test]
    fn single_event_is_interval_overlap(
        s in 0i64..400, len in 0i64..40, a in 0i64..450, width in 1i64..60, grid in prop::sample::select(vec![1i64, 900, 86_400]),
    ) {
        let base = 1_767_225_600; // 2026-01-01T00:00:00Z
        let (s, e, a) = (base + s * grid, base + (s + len) * grid, base + a * grid);
        let b = a + width * grid;
        let item = event(&format!("DTSTART:{}\nDTEND:{}", stamp_z(s), stamp_z(e)));
        let (start, end) = (DateTime::from_timestamp(a, 0).unwrap(), DateTime::from_timestamp(b, 0).unwrap());
        prop_assert_eq!(item.meets_time_range(start, end), overlap(s, e, a, b));
    }

    /// Daily and weekly series started years before the range (expanded
    /// from a later start) agree with calcard's plain expansion from the
    /// first occurrence, BY parts included.
    #[test]
    fn series_agrees_with_full_expansion(
        weekly in any::<bool>(),
        interval in 1u8..4,
        days in prop::sample::subsequence(vec!["MO", "TU", "WE", "TH", "FR", "SA", "SU"], 0..4),
        set_pos in prop::sample::select(vec![0i8, 0, 1, -1]),
        months in prop::sample::subsequence((1u8..=12).collect::<Vec<_>>(), 0..3),
        month_day in prop::sample::select(vec![0i8, 0, 0, 1, 13, -1]),
        berlin in any::<bool>(),
        first_day in 0i64..1500,
        hour in 6u32..18,
        minutes in 15i64..300,
        range_start in 0i64..(500 * 24),
        range_hours in 1i64..(24 * 9),
    ) {
        let first = NaiveDateTime::parse_from_str("2020-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S").unwrap()
            + TimeDelta::days(first_day) + TimeDelta::hours(i64::from(hour));
        let last = first + TimeDelta::minutes(minutes);
        let (zone, suffix) = if berlin { (";TZID=Europe/Berlin", "") } else { ("", "Z") };
        let mut rule = format!("FREQ={};INTERVAL={interval}", if weekly { "WEEKLY" } else { "DAILY" });
        if !days.is_empty() {
            rule.push_str(&format!(";BYDAY={}", days.join(",")));
            if set_pos != 0 {
                rule.push_str(&format!(";BYSETPOS={set_pos}"));
            }
        }
        if !months.is_empty() {
            let months: Vec<String> = months.iter().map(u8::to_string).collect();
            rule.push_str(&format!(";BYMONTH={}", months.join(",")));
        }
        if !weekly && month_day != 0 {
            rule.push_str(&format!(";BYMONTHDAY={month_day}"));
        }
        let item = event(&format!(
            "DTSTART{zone}:{}{suffix}\nDTEND{zone}:{}{suffix}\nRRULE:{rule}",
            first.format("%Y%m%dT%H%M%S"),
            last.format("%Y%m%dT%H%M%S"),
        ));
        let start = t("2025-01-01T00:00:00Z") + TimeDelta::hours(range_start);
        let end = start + TimeDelta::hours(range_hours);

        let Entry::ICalendar(cal) = calcard::Parser::new(item.body()).entry() else { unreachable!() };
        // Expand until past the range (or the end of the series).
        let mut limit = 64;
        let expanded = loop {
            let expanded = cal.expand_dates(Tz::UTC, limit);
            let past = expanded.events.last().is_none_or(|e| e.start.timestamp() >= end.timestamp());
            if past || expanded.events.len() < limit {
                break expanded;
            }
            limit *= 2;
        };
        prop_assert!(expanded.errors.is_empty());
        let expected = expanded.events.iter().any(|occurrence| {
            let (s, e) = occurrence.timestamps();
            start.timestamp() < e && end.timestamp() > s
        });
        prop_assert_eq!(item.meets_time_range(start, end), expected, "{}", rule);
    }
}
