use super::*;

pub(crate) fn event(uid: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Meeting\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Found by the `item` fuzz target: a UID line with an empty parameter
/// list is read as the UID, but was not rewritten.
#[test]
fn a_uid_that_cannot_be_rewritten_is_refused() {
    let odd = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID,:abc\r\nFN:x\r\nEND:VCARD\r\n";
    if let Ok(item) = Item::parse(odd.to_string()) {
        match item.with_uid("new") {
            Ok(copy) => assert_eq!(copy.uid(), "new"),
            Err(e) => assert!(e.to_string().contains("UID"), "{e}"),
        }
    }
    let plain = Item::parse(event("a", "")).unwrap();
    assert_eq!(plain.with_uid("b").unwrap().uid(), "b");
}

#[test]
fn type_lists_hash_alike_in_every_spelling() {
    let card = |email: &str| {
        Item::parse(format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u\r\nFN:A\r\n{email}\r\nEND:VCARD\r\n"
        ))
        .unwrap()
    };
    let sent = card("EMAIL;TYPE=INTERNET,WORK:a@example.org");
    for same in [
        "EMAIL;TYPE=INTERNET;TYPE=WORK:a@example.org",
        "EMAIL;type=work,internet:a@example.org",
        "EMAIL;TYPE=\"INTERNET,WORK\":a@example.org",
    ] {
        assert_eq!(sent.content_hash(), card(same).content_hash(), "{same}");
    }
    assert_ne!(
        sent.content_hash(),
        card("EMAIL;TYPE=INTERNET,HOME:a@example.org").content_hash()
    );
    // A plain single TYPE hashes as before (its case kept).
    assert_eq!(types_as_one("TEL;TYPE=cell:1".into()), "TEL;TYPE=cell:1");
    assert_eq!(
        types_as_one("EMAIL;PREF=1;TYPE=work;TYPE=internet:x".into()),
        "EMAIL;PREF=1;TYPE=INTERNET,WORK:x"
    );
}

#[test]
fn a_lists_members_hash_alike_in_any_parameter_order() {
    let list = |card: &str| {
        Item::parse(format!(
            "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:l\r\nFN:L\r\n{card}\r\nEND:VLIST\r\n"
        ))
        .unwrap()
    };
    let sent = list("CARD;EMAIL=a@example.org;FN=\"Doe; Ann\":a.vcf");
    let served = list("CARD;FN=\"Doe; Ann\";EMAIL=a@example.org:a.vcf");
    assert_eq!(sent.content_hash(), served.content_hash());
    let other = list("CARD;FN=\"Doe; Ann\";EMAIL=b@example.org:a.vcf");
    assert_ne!(sent.content_hash(), other.content_hash());
    let moved = list("CARD;FN=\"Doe; Ann\";EMAIL=a@example.org:b.vcf");
    assert_ne!(sent.content_hash(), moved.content_hash());
}

#[test]
fn a_sogo_list_is_an_item_of_its_own_kind() {
    // SOGo's contact lists (docs/sogo-lists.md) are no vCard.
    let list = "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:list-1\r\nFN:Simpsons\r\n\
                CATEGORIES:Family\r\nREV:20261201T101010Z\r\n\
                CARD;EMAIL=homer@example.com;FN=Homer Simpson:m1.vcf\r\nEND:VLIST\r\n";
    let item = Item::parse(list).unwrap();
    assert_eq!(item.kind(), ItemKind::List);
    assert_eq!(item.uid(), "list-1");
    assert_eq!(item.summary(), Some("Simpsons"));
    assert_eq!(item.categories(), ["Family"]);
    assert!(item.modified().is_some());
    let renamed = item.with_summary_note("copy").unwrap();
    assert_eq!(renamed.summary(), Some("Simpsons (copy)"));
    assert_eq!(renamed.kind(), ItemKind::List);
    assert_eq!(item.with_uid("list-2").unwrap().uid(), "list-2");
    for broken in [
        "BEGIN:VLIST\r\nUID:x\r\n",
        "BEGIN:VLIST\r\nFN:x\r\nEND:VLIST\r\n",
        "BEGIN:VLIST\r\nUID:x\r\nEND:VCARD\r\n",
    ] {
        assert!(Item::parse(broken).is_err(), "{broken:?}");
    }
}

#[test]
fn parses_event_facts() {
    let item = Item::parse(event(
        "a@b",
        "LAST-MODIFIED:20260301T101010Z\r\nCATEGORIES:Work,Home\r\n",
    ))
    .unwrap();
    assert_eq!(item.kind(), ItemKind::Event);
    assert_eq!(item.uid(), "a@b");
    assert_eq!(item.categories(), ["Work", "Home"]);
    assert_eq!(item.summary(), Some("Meeting"));
    assert_eq!(
        item.modified().unwrap().to_rfc3339(),
        "2026-03-01T10:10:10+00:00"
    );
}

#[test]
fn parses_task_and_contact() {
    let task =
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTODO\nUID:t1\nSUMMARY:x\nEND:VTODO\nEND:VCALENDAR\n";
    assert_eq!(Item::parse(task).unwrap().kind(), ItemKind::Task);
    let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c1\r\nFN:Ann\r\nREV:2026-01-02T03:04:05Z\r\nEND:VCARD\r\n";
    let card = Item::parse(card).unwrap();
    assert_eq!(card.kind(), ItemKind::Contact);
    assert_eq!(card.summary(), Some("Ann"));
    assert!(card.modified().is_some());
}

#[test]
fn rejects_bad_items() {
    assert_eq!(Item::parse("  \n"), Err(ItemError::Empty));
    assert!(matches!(Item::parse("hello"), Err(ItemError::Malformed(_))));
    assert_eq!(
        Item::parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n"),
        Err(ItemError::NoUid)
    );
    let two = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nEND:VEVENT\nEND:VCALENDAR\n";
    assert!(matches!(Item::parse(two), Err(ItemError::SeveralUids(..))));
    assert!(matches!(
        Item::parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\n"),
        Err(ItemError::Malformed(_))
    ));
}

#[test]
fn hash_ignores_order_folding_and_stamps() {
    let a = Item::parse(event("u", "LOCATION:Room 1\r\n")).unwrap();
    let b = "BEGIN:VCALENDAR\nPRODID:other\nVERSION:2.0\nBEGIN:VEVENT\nLOCATION:Ro\n om 1\nSUMMARY:Meeting\nDTSTART:20260102T100000Z\nUID:u\nDTSTAMP:20991231T000000Z\nEND:VEVENT\nEND:VCALENDAR\n";
    let b = Item::parse(b).unwrap();
    assert_eq!(a.content_hash(), b.content_hash());
    let c = Item::parse(event("u", "LOCATION:Room 2\r\n")).unwrap();
    assert_ne!(a.content_hash(), c.content_hash());
}

#[test]
fn category_edits_round_trip() {
    let plain = Item::parse(event("u", "")).unwrap();
    let tagged = plain.with_category_added("Work").unwrap();
    assert!(tagged.has_category("work"));
    assert!(tagged.body().contains("CATEGORIES:Work\r\nEND:VEVENT"));
    let back = tagged.with_category_removed("Work").unwrap();
    assert_eq!(back.body(), plain.body());

    let multi = Item::parse(event("u", "CATEGORIES:Home,Work\r\n")).unwrap();
    let removed = multi.with_category_removed("WORK").unwrap();
    assert_eq!(removed.categories(), ["Home"]);
    let again = removed.with_category_added("Work").unwrap();
    assert_eq!(again.categories(), ["Home", "Work"]);
}

#[test]
fn category_added_to_exceptions_not_alarms() {
    let body = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\nRRULE:FREQ=DAILY\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:r\r\nRECURRENCE-ID:20260103T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let item = Item::parse(body).unwrap().with_category_added("X").unwrap();
    assert_eq!(item.body().matches("CATEGORIES:X").count(), 2);
    assert!(!item.body().contains("ACTION:DISPLAY\r\nCATEGORIES"));
}

#[test]
fn uid_and_summary_edits() {
    let item = Item::parse(event("old", "")).unwrap();
    let renamed = item.with_uid("new").unwrap();
    assert_eq!(renamed.uid(), "new");
    let noted = renamed.with_summary_note("conflict copy").unwrap();
    assert_eq!(noted.summary(), Some("Meeting (conflict copy)"));
    let card = Item::parse("BEGIN:VCARD\nVERSION:3.0\nUID:c\nFN:Bo\nEND:VCARD\n").unwrap();
    assert_eq!(
        card.with_summary_note("copy").unwrap().summary(),
        Some("Bo (copy)")
    );
}

#[test]
fn hash_ignores_equivalent_rewrites() {
    let rule = |r: &str| Item::parse(event("u", &format!("RRULE:{r}\r\n"))).unwrap();
    assert_eq!(
        rule("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU").content_hash(),
        rule("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3").content_hash()
    );
    assert_ne!(
        rule("FREQ=YEARLY").content_hash(),
        rule("FREQ=MONTHLY").content_hash()
    );
    let card = |n: &str| {
        Item::parse(format!(
            "BEGIN:VCARD\nVERSION:3.0\nUID:c\nFN:A\nN:{n}\nEND:VCARD\n"
        ))
        .unwrap()
    };
    assert_eq!(
        card("Doe;Ann;;;").content_hash(),
        card("Doe;Ann").content_hash()
    );
    assert_ne!(
        card("Doe;Ann").content_hash(),
        card("Doe;Bob").content_hash()
    );
}

#[test]
fn timestamps() {
    assert!(parse_timestamp("20260101T000000Z").is_some());
    assert!(parse_timestamp("2026-01-01T00:00:00Z").is_some());
    assert!(parse_timestamp("2026-01-01T00:00:00.5+02:00").is_some());
    assert!(parse_timestamp("20260101").is_some());
    assert!(parse_timestamp("garbage").is_none());
}

proptest::proptest! {
    /// The hand-read compact form agrees with the long way wherever it answers.
    #[test]
    fn a_compact_stamp_reads_as_the_long_way_reads_it(
        digits in proptest::collection::vec(0u8..10, 14),
        zone in proptest::sample::select(vec!['Z', 'z']),
        likely in proptest::bool::ANY,
    ) {
        let mut text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        if likely {
            // A plausible date and time, not only digits that mostly fail.
            let d = &digits;
            text = format!(
                "{}{:02}{:02}{:02}{:02}{:02}",
                &text[..4],
                1 + (d[4] + d[5]) % 12,
                1 + (d[6] * 10 + d[7]) % 31,
                (d[8] * 10 + d[9]) % 25,
                (d[10] * 10 + d[11]) % 61,
                (d[12] * 10 + d[13]) % 62,
            );
        }
        text.insert(8, 'T');
        text.push(zone);
        let fast = compact_utc(&text);
        if fast.is_some() {
            proptest::prop_assert_eq!(fast, any_timestamp(&text), "{}", text);
        }
        proptest::prop_assert_eq!(parse_timestamp(&text), any_timestamp(&text), "{}", text);
    }
}
