//! Reading an item allocates for what it keeps and for each component, not
//! for each content line: a line that needs no change is borrowed from the
//! body all the way to the content hash (a first download reads every item
//! of a collection, and before this each line cost about three allocations).

use davsync_pim::Item;

/// An event as calendar programs write them (a time zone, a recurrence,
/// attendees, a folded description, categories, an alarm), with `extra`
/// more attendee lines and `extra` more plain properties.
fn event(extra: usize) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//davsync//allocations test//EN".into(),
        "BEGIN:VTIMEZONE".into(),
        "TZID:Europe/Vienna".into(),
        "BEGIN:DAYLIGHT".into(),
        "TZOFFSETFROM:+0100".into(),
        "TZOFFSETTO:+0200".into(),
        "TZNAME:CEST".into(),
        "DTSTART:19700329T020000".into(),
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU".into(),
        "END:DAYLIGHT".into(),
        "BEGIN:STANDARD".into(),
        "TZOFFSETFROM:+0200".into(),
        "TZOFFSETTO:+0100".into(),
        "TZNAME:CET".into(),
        "DTSTART:19701025T030000".into(),
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU".into(),
        "END:STANDARD".into(),
        "END:VTIMEZONE".into(),
        "BEGIN:VEVENT".into(),
        "UID:allocations-1@example.org".into(),
        "DTSTAMP:20261201T080000Z".into(),
        "CREATED:20261101T080000Z".into(),
        "LAST-MODIFIED:20261130T080000Z".into(),
        "DTSTART;TZID=Europe/Vienna:20261207T100000".into(),
        "DTEND;TZID=Europe/Vienna:20261207T110000".into(),
        "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO".into(),
        "SUMMARY:Weekly planning".into(),
        "DESCRIPTION:A description long enough to be folded by the writer, as most\r\n  descriptions are, over two physical lines".into(),
        "CATEGORIES:Work,Planning".into(),
        "ORGANIZER;CN=Alice Example:mailto:alice@example.org".into(),
        "CLASS:PUBLIC".into(),
        "SEQUENCE:2".into(),
    ];
    for i in 0..extra {
        lines.push(format!(
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Person {i}:mailto:p{i}@example.org"
        ));
        lines.push(format!("X-EXAMPLE-{i}:value {i}"));
    }
    lines.extend(
        [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "DESCRIPTION:Reminder",
            "TRIGGER:-PT15M",
            "END:VALARM",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        .map(String::from),
    );
    lines.join("\r\n") + "\r\n"
}

/// Heap allocations of one `Item::parse` of `body` (the body handed over
/// as a `String`, as a store hands it over).
fn allocations(body: &str) -> u64 {
    let body = body.to_string();
    allocation_counter::measure(|| {
        std::hint::black_box(Item::parse(body).expect("the test's event parses"));
    })
    .count_total
}

#[test]
fn reading_an_item_allocates_per_component_not_per_line() {
    let small = allocations(&event(0));
    let large = allocations(&event(100));
    // 200 more lines: at most a few more growths of a list (none, when
    // written: 45 and 45), where one allocation a line would be 200 more
    // (before: 152 and 759).
    assert!(
        large <= small + 8,
        "{small} allocations for the event, {large} with 200 more lines"
    );
    // What the item keeps (body, UID, summary, categories, hash, duplicate
    // key), each of its five components' canonical text, the recurrence
    // rules put in order, and the few lists of the parse.
    assert!(small <= 60, "{small} allocations for one event");
}
