//! What makes two events duplicates of each other (the same start, end and
//! summary under different UIDs), and which of them is the oldest.

use crate::item::{Item, ItemKind, parse_timestamp};
use crate::lines::{self, Line};
use chrono::{DateTime, Utc};

/// Sorts after every timestamp: an item without one is not the oldest.
const UNKNOWN: &str = "99991231T235959Z";

impl Item {
    /// The key under which events with the same start, end and summary
    /// meet: the master VEVENT's DTSTART, DTEND or DURATION (value and
    /// parameters, as written) and SUMMARY (unescaped, trimmed). `None` for
    /// anything but an event with a start.
    pub fn duplicate_key(&self) -> Option<String> {
        self.duplicate_key_and_age().0
    }

    /// A sort key that puts the oldest of duplicates first: by CREATED, then
    /// LAST-MODIFIED (a missing one counts as newest), then UID.
    pub fn age_key(&self) -> String {
        self.duplicate_key_and_age().1
    }

    /// [`duplicate_key`](Self::duplicate_key) and [`age_key`](Self::age_key)
    /// at once. Their parts were read by [`Item::parse`] in its one pass over
    /// the item's lines (a first download of 10,000 events spent 7 % of its
    /// CPU here when this went over the lines a second time).
    pub fn duplicate_key_and_age(&self) -> (Option<String>, String) {
        let facts = self.duplicate_facts();
        let mut age = String::with_capacity(2 * UNKNOWN.len() + 2 + self.uid().len());
        for t in [facts.created, facts.first_modified] {
            match t {
                Some(t) => push_stamp(&mut age, t),
                None => age.push_str(UNKNOWN),
            }
            age.push('|');
        }
        age.push_str(self.uid());
        (facts.key.clone(), age)
    }
}

/// Writes `t` as `20261124T101010Z`, by hand: asked of every event recorded,
/// where chrono's `format` reads its pattern each time.
fn push_stamp(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let year = t.year();
    // A leap second (chrono: nanoseconds past a billion) or a year of
    // other than four digits: as chrono writes them.
    if (0..=9999).contains(&year) && t.nanosecond() < 1_000_000_000 {
        let _ = write!(
            out,
            "{year:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
    } else {
        out.push_str(&t.format("%Y%m%dT%H%M%SZ").to_string());
    }
}

/// What an item holds of its duplicate key and its age, read with its other
/// facts (see [`DuplicateReader`]) and kept with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DuplicateFacts {
    /// The earliest CREATED of the main components.
    pub(crate) created: Option<DateTime<Utc>>,
    /// The earliest LAST-MODIFIED of the main components.
    pub(crate) first_modified: Option<DateTime<Utc>>,
    /// The key of [`Item::duplicate_key`].
    pub(crate) key: Option<String>,
}

/// Reads [`DuplicateFacts`] from the lines of the main components, one
/// component after the other: the first that is no exception decides the key.
pub(crate) struct DuplicateReader<'a> {
    kind: ItemKind,
    created: Option<DateTime<Utc>>,
    modified: Option<DateTime<Utc>>,
    master: Option<Master<'a>>,
    this: Master<'a>,
}

impl<'a> DuplicateReader<'a> {
    /// A reader for an item of `kind` (only events have a key).
    pub(crate) fn new(kind: ItemKind) -> Self {
        DuplicateReader {
            kind,
            created: None,
            modified: None,
            master: None,
            this: Master::default(),
        }
    }

    /// Takes in a line (its upper-cased name beside it) of the component
    /// being read. A calendar's LAST-MODIFIED comes through
    /// [`modified`](Self::modified) instead, read once for both uses.
    pub(crate) fn line(&mut self, name: &str, line: &'a Line) {
        match name {
            "CREATED" => earliest(&mut self.created, line),
            "LAST-MODIFIED" if !self.kind.is_calendar() => earliest(&mut self.modified, line),
            _ if self.kind != ItemKind::Event => {}
            "RECURRENCE-ID" => self.this.exception = true,
            "DTSTART" => first(&mut self.this.dtstart, line),
            "DTEND" => first(&mut self.this.dtend, line),
            "DURATION" => first(&mut self.this.duration, line),
            "SUMMARY" => first(&mut self.this.summary, line),
            _ => {}
        }
    }

    /// A calendar item's LAST-MODIFIED, read.
    pub(crate) fn modified(&mut self, time: DateTime<Utc>) {
        self.modified = Some(self.modified.map_or(time, |m| m.min(time)));
    }

    /// The component being read has ended.
    pub(crate) fn end_component(&mut self) {
        let this = std::mem::take(&mut self.this);
        if self.master.is_none() && !this.exception {
            self.master = Some(this);
        }
    }

    /// What was read.
    pub(crate) fn finish(self) -> DuplicateFacts {
        DuplicateFacts {
            created: self.created,
            first_modified: self.modified,
            key: self.master.and_then(|m| m.key()),
        }
    }
}

/// What a main component holds of the duplicate key.
#[derive(Default)]
struct Master<'a> {
    exception: bool,
    dtstart: Option<&'a Line<'a>>,
    dtend: Option<&'a Line<'a>>,
    duration: Option<&'a Line<'a>>,
    summary: Option<&'a Line<'a>>,
}

impl Master<'_> {
    /// The key (see [`Item::duplicate_key`]); `None` without a start.
    fn key(&self) -> Option<String> {
        let dtstart = property(self.dtstart?);
        let dtend = match (self.dtend, self.duration) {
            (Some(end), _) => property(end),
            (None, Some(duration)) => format!("+{}", property(duration)),
            (None, None) => String::new(),
        };
        let summary = self
            .summary
            .map(|l| lines::unescape(l.value()).trim().to_string())
            .unwrap_or_default();
        Some(format!("{dtstart}\u{1f}{dtend}\u{1f}{summary}"))
    }
}

/// Keeps the first line of a name.
fn first<'a>(slot: &mut Option<&'a Line<'a>>, line: &'a Line<'a>) {
    slot.get_or_insert(line);
}

/// Keeps the earliest timestamp of a name.
fn earliest(slot: &mut Option<DateTime<Utc>>, line: &Line) {
    if let Some(t) = parse_timestamp(line.value()) {
        *slot = Some(slot.map_or(t, |s| s.min(t)));
    }
}

/// A property's parameters and value, upper-cased name left out, trimmed.
fn property(line: &Line) -> String {
    let text = line.logical.trim_end();
    text[lines::name_end(text).unwrap_or(text.len())..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_written_as_chrono_writes_them() {
        use chrono::{NaiveDate, TimeZone};
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let times = [
            day(2026, 11, 24).and_hms_opt(10, 10, 10).unwrap(),
            day(1, 1, 1).and_hms_opt(0, 0, 0).unwrap(),
            day(9999, 12, 31).and_hms_opt(23, 59, 59).unwrap(),
            day(10000, 1, 1).and_hms_opt(0, 0, 0).unwrap(),
            day(-5, 3, 4).and_hms_opt(1, 2, 3).unwrap(),
            day(2016, 12, 31)
                .and_hms_milli_opt(23, 59, 59, 1500)
                .unwrap(),
        ];
        for t in times {
            let t = Utc.from_utc_datetime(&t);
            let mut out = String::new();
            push_stamp(&mut out, t);
            assert_eq!(out, t.format("%Y%m%dT%H%M%SZ").to_string());
        }
    }

    fn event(uid: &str, extra: &str) -> Item {
        Item::parse(format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        ))
        .unwrap()
    }

    #[test]
    fn the_same_start_end_and_summary_meet_under_one_key() {
        let base = "DTSTART;TZID=Europe/Berlin:20260101T100000\r\nDTEND;TZID=Europe/Berlin:20260101T110000\r\nSUMMARY:Standup \r\n";
        let a = event("a", base).duplicate_key().unwrap();
        let b = event("b", &format!("{base}DESCRIPTION:other notes\r\n"))
            .duplicate_key()
            .unwrap();
        assert_eq!(a, b);
        let later = base.replace("T100000", "T103000");
        assert_ne!(a, event("c", &later).duplicate_key().unwrap());
        let renamed = base.replace("Standup", "Review");
        assert_ne!(a, event("d", &renamed).duplicate_key().unwrap());
        let no_start = event("e", "SUMMARY:Standup\r\n");
        assert_eq!(no_start.duplicate_key(), None);
    }

    #[test]
    fn an_exception_does_not_stand_for_its_series() {
        let item = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20260108T100000Z\r\nDTSTART:20260108T120000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let key = item.duplicate_key().unwrap();
        assert!(
            key.contains("20260101T100000Z") && key.ends_with("Weekly"),
            "{key}"
        );
    }

    #[test]
    fn a_duration_stands_for_the_end_and_a_task_has_no_key() {
        let key = event(
            "a",
            "DTSTART:20260101T100000Z\r\nDURATION:PT1H\r\nSUMMARY:S\\, x \r\n",
        )
        .duplicate_key();
        assert_eq!(
            key.as_deref(),
            Some(":20260101T100000Z\u{1f}+:PT1H\u{1f}S, x")
        );
        let task = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTART:20260101T100000Z\r\nSUMMARY:S\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        assert_eq!(task.duplicate_key(), None);
    }

    #[test]
    fn the_earliest_stamps_of_all_components_count() {
        let item = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20260108T100000Z\r\nDTSTART:20260108T120000Z\r\nCREATED:20190101T000000Z\r\nLAST-MODIFIED:20250101T000000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260101T100000Z\r\nCREATED:20200101T000000Z\r\nLAST-MODIFIED:20240101T000000Z\r\nLAST-MODIFIED:20230101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        assert_eq!(item.age_key(), "20190101T000000Z|20230101T000000Z|s");
        assert_eq!(
            item.duplicate_key().as_deref(),
            Some(":20260101T100000Z\u{1f}\u{1f}")
        );
    }

    #[test]
    fn the_oldest_sorts_first() {
        let old = event("z", "CREATED:20200101T000000Z\r\n").age_key();
        let new = event("a", "CREATED:20250101T000000Z\r\n").age_key();
        let unknown = event("0", "").age_key();
        let edited_earlier = event("y", "LAST-MODIFIED:20190101T000000Z\r\n").age_key();
        assert!(
            old < new && new < unknown && edited_earlier < unknown,
            "{old} {new} {unknown}"
        );
        let tie_a = event("a", "CREATED:20200101T000000Z\r\n").age_key();
        assert!(tie_a < old, "UID breaks a tie");
    }
}
