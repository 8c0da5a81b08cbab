//! Sample items: events (plain, all-day, recurring with exceptions), tasks, vCards 3 and 4.
//! Events and tasks lie around the day the test process started, inside the
//! default time range of a calendar profile whenever the tests run.

use chrono::{Duration, NaiveDate, Utc};
use std::sync::OnceLock;

/// `days` after the day the process started, as `YYYYMMDD` (one anchor per
/// process, so that an item made twice is the same item even across midnight).
pub fn day(days: i64) -> String {
    static TODAY: OnceLock<NaiveDate> = OnceLock::new();
    let today = *TODAY.get_or_init(|| Utc::now().date_naive());
    (today + Duration::days(days)).format("%Y%m%d").to_string()
}

/// A one-hour event on `day` (`YYYYMMDD`, UTC).
pub fn event_on(uid: &str, day: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:{day}T100000Z\r\nDTEND:{day}T110000Z\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A weekly series from `first` (`YYYYMMDD`) with `rule_end` (`COUNT=n` or `UNTIL=…`).
pub fn weekly_from(uid: &str, first: &str, rule_end: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:{first}T080000Z\r\nDTEND:{first}T090000Z\r\n\
         RRULE:FREQ=WEEKLY;{rule_end}\r\nSUMMARY:Weekly {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A timed event with `extra` lines (CRLF-terminated) inside the VEVENT.
pub fn event(uid: &str, summary: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:{d}T100000Z\r\nDTEND:{d}T110000Z\r\n\
         SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n",
        d = day(1)
    )
}

/// An event whose LAST-MODIFIED is `modified` (`YYYYMMDDTHHMMSSZ`).
pub fn event_modified(uid: &str, summary: &str, modified: &str) -> String {
    event(uid, summary, &format!("LAST-MODIFIED:{modified}\r\n"))
}

/// A weekly series in Europe/Vienna with VTIMEZONE, an alarm and one moved
/// occurrence: 10 times from three weeks ago, the second moved by an hour.
pub fn recurring_event(uid: &str, summary: &str) -> String {
    recurring_event_from(uid, summary, &day(-21), &day(-14))
}

/// The series of [`recurring_event`] from `first` (`YYYYMMDD`, a Europe/Vienna
/// date), with the occurrence on `second` (a week later) moved by an hour.
pub fn recurring_event_from(uid: &str, summary: &str, first: &str, second: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\n\
         BEGIN:VTIMEZONE\r\nTZID:Europe/Vienna\r\n\
         BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
         BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
         END:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Vienna:{first}T090000\r\n\
         DTEND;TZID=Europe/Vienna:{first}T093000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:{summary}\r\n\
         BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Vienna:{second}T090000\r\n\
         DTSTART;TZID=Europe/Vienna:{second}T100000\r\nDTEND;TZID=Europe/Vienna:{second}T103000\r\n\
         SUMMARY:{summary} (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// An all-day event.
pub fn all_day_event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:{d}\r\nDTEND;VALUE=DATE:{next}\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        d = day(30),
        next = day(31)
    )
}

/// A task.
pub fn task(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDUE:{d}T170000Z\r\nSUMMARY:{summary}\r\nSTATUS:NEEDS-ACTION\r\n\
         END:VTODO\r\nEND:VCALENDAR\r\n",
        d = day(6)
    )
}

/// A vCard 3.0.
pub fn vcard3(uid: &str, name: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n\
         EMAIL;TYPE=INTERNET,WORK:{uid}@example.org\r\nTEL;TYPE=CELL:+43 1 234567\r\nEND:VCARD\r\n"
    )
}

/// A vCard 4.0.
pub fn vcard4(uid: &str, name: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n\
         EMAIL;TYPE=work:{uid}@example.org\r\nREV:20260101T000000Z\r\nEND:VCARD\r\n"
    )
}
