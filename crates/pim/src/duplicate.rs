//! What makes two events duplicates of each other (the same start, end and
//! summary under different UIDs), and which of them is the oldest.

use crate::item::{Item, ItemKind, main_ranges, parse_timestamp};
use crate::lines::{self, Line};

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
    /// at once (the item's lines are read once).
    pub fn duplicate_key_and_age(&self) -> (Option<String>, String) {
        let doc = lines::unfold_to_read(self.body());
        let ranges = main_ranges(&doc, self.kind());
        let stamp = |name: &str| {
            ranges
                .iter()
                .flat_map(|(start, end)| doc[*start..*end].iter())
                .filter(|l| l.name() == name)
                .filter_map(|l| parse_timestamp(l.value()))
                .min()
                .map_or(UNKNOWN.to_string(), |t| {
                    t.format("%Y%m%dT%H%M%SZ").to_string()
                })
        };
        let age = format!(
            "{}|{}|{}",
            stamp("CREATED"),
            stamp("LAST-MODIFIED"),
            self.uid()
        );
        (key(&doc, &ranges, self.kind()), age)
    }
}

/// The duplicate key of an item's lines (see [`Item::duplicate_key`]).
fn key(doc: &[Line], ranges: &[(usize, usize)], kind: ItemKind) -> Option<String> {
    if kind != ItemKind::Event {
        return None;
    }
    let (start, end) = ranges.iter().find(|(start, end)| {
        !doc[*start..*end]
            .iter()
            .any(|l| l.name() == "RECURRENCE-ID")
    })?;
    let lines = &doc[*start..*end];
    let dtstart = property(lines, "DTSTART")?;
    let dtend = property(lines, "DTEND")
        .or_else(|| property(lines, "DURATION").map(|d| format!("+{d}")))
        .unwrap_or_default();
    let summary = lines
        .iter()
        .find(|l| l.name() == "SUMMARY")
        .map(|l| lines::unescape(l.value()).trim().to_string())
        .unwrap_or_default();
    Some(format!("{dtstart}\u{1f}{dtend}\u{1f}{summary}"))
}

/// A property's parameters and value, upper-cased name left out, trimmed.
fn property(lines: &[Line], name: &str) -> Option<String> {
    let line = lines.iter().find(|l| l.name() == name)?;
    let text = line.logical.trim_end();
    let rest = &text[text.find([';', ':']).unwrap_or(text.len())..];
    Some(rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
