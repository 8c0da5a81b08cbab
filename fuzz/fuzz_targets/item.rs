//! Items (crates/pim): `Item::parse` on arbitrary text, iCalendar or vCard,
//! and on success everything the engine reads of an item (UID, summary,
//! hashes, content lines, duplicate key and age, time-range checks), its
//! parked form (it must come back equal) and the edits it makes
//! (categories, UID, summary note).
#![no_main]

use chrono::{DateTime, TimeZone, Utc};
use davsync_pim::{Item, parse_timestamp};
use libfuzzer_sys::fuzz_target;

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .expect("a valid date")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = parse_timestamp(&text);
    let Ok(item) = Item::parse(text) else {
        return;
    };
    let _ = item.uid();
    let _ = item.summary();
    let _ = item.modified();
    let _ = item.categories();
    let _ = item.content_hash();
    let _ = item.content_lines();
    let _ = item.duplicate_key_and_age();
    let back = Item::unpark(item.park()).expect("a parked item comes back");
    assert_eq!(back, item, "the parked form changed the item");
    // Ranges: one month, an era, one second, an empty one, one at the edge of time.
    let ranges = [
        (at(2026, 11, 1), at(2026, 12, 1)),
        (at(1900, 1, 1), at(2200, 1, 1)),
        (
            at(2026, 1, 1),
            at(2026, 1, 1) + chrono::TimeDelta::seconds(1),
        ),
        (at(2026, 1, 1), at(2026, 1, 1)),
        (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
    ];
    for (start, end) in ranges {
        let _ = item.meets_time_range(start, end);
    }
    for edited in [
        item.with_category_added("Fuzz, the category; with \\ escapes"),
        item.with_category_removed("Work"),
        item.with_uid("fuzz-uid"),
        item.with_summary_note("conflict, kept both"),
    ]
    .into_iter()
    .flatten()
    {
        let _ = edited.content_hash();
        let _ = edited.content_lines();
    }
});
