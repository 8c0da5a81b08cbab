use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn alarm(trigger: &str) -> String {
    format!("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n{trigger}\r\nEND:VALARM\r\n")
}

fn calendar(components: &str) -> Item {
    Item::parse(format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{components}END:VCALENDAR\r\n"
    ))
    .unwrap()
}

fn event(props: &str, alarms: &str) -> String {
    format!("BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\n{props}{alarms}END:VEVENT\r\n")
}

const NOW: &str = "2026-06-01T12:00:00Z";

fn kept(item: &Item) -> usize {
    item.without_past_alarms(at(NOW))
        .unwrap()
        .item
        .alarm_count()
}

#[test]
fn single_events_relative_and_absolute() {
    let e = |start: &str, trigger: &str| {
        calendar(&event(
            &format!("DTSTART:{start}\r\nDTEND:{start}\r\n"),
            &alarm(trigger),
        ))
    };
    assert_eq!(kept(&e("20260601T120500Z", "TRIGGER:-PT15M")), 0);
    assert_eq!(kept(&e("20260601T121500Z", "TRIGGER:-PT15M")), 1);
    assert_eq!(kept(&e("20260601T110000Z", "TRIGGER:PT2H")), 1);
    assert_eq!(kept(&e("20260601T110000Z", "TRIGGER;RELATED=END:PT30M")), 0);
    assert_eq!(
        kept(&e(
            "20270101T000000Z",
            "TRIGGER;VALUE=DATE-TIME:20260501T000000Z"
        )),
        0
    );
    assert_eq!(
        kept(&e(
            "20200101T000000Z",
            "TRIGGER;VALUE=DATE-TIME:20260701T000000Z"
        )),
        1
    );
}

#[test]
fn time_zones_floating_and_dates() {
    // 14:10 in Berlin (summer) is 12:10 UTC: a 15-minute alarm has passed.
    let berlin = calendar(&event(
        "DTSTART;TZID=Europe/Berlin:20260601T141000\r\n",
        &alarm("TRIGGER:-PT15M"),
    ));
    assert_eq!(kept(&berlin), 0);
    // A floating 14:10 is still ahead somewhere on earth.
    let floating = calendar(&event(
        "DTSTART:20260601T141000\r\n",
        &alarm("TRIGGER:-PT15M"),
    ));
    assert_eq!(kept(&floating), 1);
    let long_ago = calendar(&event(
        "DTSTART:20260530T141000\r\n",
        &alarm("TRIGGER:-PT15M"),
    ));
    assert_eq!(kept(&long_ago), 0);
    let all_day = |d: &str| {
        calendar(&event(
            &format!("DTSTART;VALUE=DATE:{d}\r\n"),
            &alarm("TRIGGER:-PT15H"),
        ))
    };
    assert_eq!(kept(&all_day("20260602")), 1);
    assert_eq!(kept(&all_day("20260520")), 0);
}

#[test]
fn series_exceptions_and_ends() {
    let series = |rule: &str| {
        calendar(&event(
            &format!(
                "DTSTART;TZID=Europe/Berlin:20250106T090000\r\nDTEND;TZID=Europe/Berlin:20250106T100000\r\n{rule}"
            ),
            &alarm("TRIGGER:-PT10M"),
        ))
    };
    assert_eq!(kept(&series("RRULE:FREQ=WEEKLY\r\n")), 1);
    assert_eq!(kept(&series("RRULE:FREQ=WEEKLY;COUNT=10\r\n")), 0);
    assert_eq!(kept(&series("RRULE:FREQ=WEEKLY;COUNT=100\r\n")), 1);
    assert_eq!(
        kept(&series("RRULE:FREQ=WEEKLY;UNTIL=20260101T000000Z\r\n")),
        0
    );
    assert_eq!(
        kept(&series("RDATE;TZID=Europe/Berlin:20260901T090000\r\n")),
        1
    );
    assert_eq!(
        kept(&series("RDATE;TZID=Europe/Berlin:20260301T090000\r\n")),
        0
    );
    // An endless series with a past exception: the exception's alarm goes,
    // the series keeps its own.
    let with_exception = calendar(&format!(
        "{}{}",
        event(
            "DTSTART:20250106T090000Z\r\nRRULE:FREQ=WEEKLY\r\n",
            &alarm("TRIGGER:-PT10M")
        ),
        event(
            "RECURRENCE-ID:20250113T090000Z\r\nDTSTART:20250113T100000Z\r\n",
            &alarm("TRIGGER:-PT10M")
        ),
    ));
    let pruned = with_exception.without_past_alarms(at(NOW)).unwrap();
    assert_eq!((pruned.dropped, pruned.item.alarm_count()), (1, 1));
    assert!(
        pruned
            .item
            .body()
            .starts_with(&with_exception.body()[..200])
    );
}

#[test]
fn tasks_relate_to_due() {
    let task = |props: &str, trigger: &str| {
        calendar(&format!(
            "BEGIN:VTODO\r\nUID:t\r\n{props}{}END:VTODO\r\n",
            alarm(trigger)
        ))
    };
    assert_eq!(
        kept(&task(
            "DUE:20260601T130000Z\r\n",
            "TRIGGER;RELATED=END:-PT30M"
        )),
        1
    );
    assert_eq!(
        kept(&task(
            "DUE:20260601T120000Z\r\n",
            "TRIGGER;RELATED=END:-PT30M"
        )),
        0
    );
    assert_eq!(
        kept(&task(
            "DTSTART:20260501T120000Z\r\nDUE:20260701T120000Z\r\n",
            "TRIGGER:-PT30M"
        )),
        0
    );
    // Undatable: kept.
    let undated = task("", "TRIGGER:-PT30M");
    let pruned = undated.without_past_alarms(at(NOW)).unwrap();
    assert_eq!((pruned.undecided, pruned.item.alarm_count()), (1, 1));
}

#[test]
fn unknown_zone_or_missing_trigger_keeps_the_alarm() {
    let odd = calendar(&event(
        "DTSTART;TZID=Mars/Olympus:20200101T000000\r\n",
        &format!(
            "{}{}",
            alarm("TRIGGER:-PT1M"),
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\n"
        ),
    ));
    let pruned = odd.without_past_alarms(at(NOW)).unwrap();
    assert_eq!((pruned.undecided, pruned.item.alarm_count()), (2, 2));
    assert_eq!(pruned.item.body(), odd.body());
}

#[test]
fn drop_all_and_merge_back_keep_other_lines() {
    let rich = calendar(&format!(
        "{}{}",
        event(
            "DTSTART:20250106T090000Z\r\nRRULE:FREQ=WEEKLY\r\n",
            &alarm("TRIGGER:-PT10M")
        ),
        event(
            "RECURRENCE-ID:20250113T090000Z\r\nDTSTART:20250113T100000Z\r\n",
            &alarm("TRIGGER:-PT5M")
        ),
    ));
    let poor = rich.without_alarms().unwrap();
    assert_eq!(poor.alarm_count(), 0);
    assert!(!poor.body().contains("VALARM"));
    let back = poor.with_alarms_from(&rich).unwrap();
    assert_eq!(back.body(), rich.body());
    // A component with alarms of its own keeps them.
    let own = calendar(&event(
        "DTSTART:20250106T090000Z\r\nRRULE:FREQ=WEEKLY\r\n",
        &alarm("TRIGGER:-PT1H"),
    ));
    let merged = own.with_alarms_from(&rich).unwrap();
    assert_eq!(merged.body(), own.body());
}
