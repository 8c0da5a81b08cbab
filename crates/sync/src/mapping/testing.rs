//! Test helpers of the mapping options: realistic items from Outlook,
//! Google, Apple and Thunderbird, generated items, and the checks every
//! mapping must pass (idempotent, stable round trip, other lines untouched).

use super::{MapContext, Mapping, Transform};
use crate::planner::Side;
use davsync_pim::Item;
use proptest::prelude::*;

/// The realistic items of `tests/data/mapping/`, by file name.
pub(crate) fn samples() -> Vec<(&'static str, Item)> {
    [
        (
            "outlook",
            include_str!("../../tests/data/mapping/outlook.ics"),
        ),
        (
            "google",
            include_str!("../../tests/data/mapping/google.ics"),
        ),
        (
            "altdesc",
            include_str!("../../tests/data/mapping/altdesc.ics"),
        ),
        ("apple", include_str!("../../tests/data/mapping/apple.ics")),
        (
            "thunderbird",
            include_str!("../../tests/data/mapping/thunderbird.ics"),
        ),
        ("task", include_str!("../../tests/data/mapping/task.ics")),
    ]
    .into_iter()
    .map(|(name, body)| (name, Item::parse(body).expect(name)))
    .collect()
}

/// The realistic contacts of `tests/data/contacts/` (iCloud, Nextcloud,
/// Thunderbird, SOGo, Google), by file name.
pub(crate) fn contacts() -> Vec<(&'static str, Item)> {
    [
        (
            "icloud",
            include_str!("../../tests/data/contacts/icloud.vcf"),
        ),
        (
            "nextcloud",
            include_str!("../../tests/data/contacts/nextcloud.vcf"),
        ),
        (
            "nextcloud-group",
            include_str!("../../tests/data/contacts/nextcloud-group.vcf"),
        ),
        (
            "thunderbird",
            include_str!("../../tests/data/contacts/thunderbird.vcf"),
        ),
        ("sogo", include_str!("../../tests/data/contacts/sogo.vcf")),
        (
            "google",
            include_str!("../../tests/data/contacts/google.vcf"),
        ),
    ]
    .into_iter()
    .map(|(name, body)| (name, Item::parse(body).expect(name)))
    .collect()
}

/// One contact sample by name.
pub(crate) fn contact(name: &str) -> Item {
    contacts()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, item)| item)
        .expect("a contact of that name")
}

/// A generated vCard as a server holds it: 3.0 or 4.0, in that version's
/// style, with preferences, photos, IM addresses (some given both ways),
/// dates, maybe a group with contact and mailto members, and lines no
/// option owns; CRLF, folded at 75 octets.
pub(crate) fn arb_card() -> impl Strategy<Value = Item> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(0usize..12, 0..8),
        "[a-zA-Z0-9 äöü,;]{0,100}",
        "[A-Za-z0-9+/]{8,160}",
    )
        .prop_map(|(v4, group, picks, note, data)| {
            let pref = if v4 { "PREF=1" } else { "TYPE=pref" };
            let mut lines = vec![
                format!("VERSION:{}", if v4 { "4.0" } else { "3.0" }),
                "UID:gen-card".to_string(),
                "FN:Gen Card".to_string(),
                "N:Card;Gen;;;".to_string(),
            ];
            if group {
                let (kind, member) = if v4 {
                    ("KIND", "MEMBER")
                } else {
                    ("X-ADDRESSBOOKSERVER-KIND", "X-ADDRESSBOOKSERVER-MEMBER")
                };
                lines.push(format!("{kind}:group"));
                lines.push(format!("{member}:urn:uuid:member-1"));
                lines.push(format!("{member};CN=\"Doe, Ann\":mailto:ann@example.org"));
            }
            for pick in picks {
                lines.push(match pick {
                    0 => format!("EMAIL;TYPE=INTERNET;{pref}:a@example.org"),
                    1 => "item1.EMAIL;type=INTERNET:b@example.org".to_string(),
                    2 => "item1.X-ABLabel:_$!<Other>!$_".to_string(),
                    3 => format!("TEL;TYPE=cell;{pref}:+1 555 0100"),
                    4 if v4 => format!("PHOTO:data:image/jpeg;base64,{data}"),
                    4 => format!("PHOTO;ENCODING=b;TYPE=JPEG:{data}"),
                    5 if v4 => "ANNIVERSARY:20100601".to_string(),
                    5 => "X-ANNIVERSARY:2010-06-01".to_string(),
                    6 => "X-AIM:gen.aim".to_string(),
                    7 => "IMPP;X-SERVICE-TYPE=AIM:aim:gen.aim".to_string(),
                    8 => "IMPP;TYPE=home:xmpp:gen@jabber.example".to_string(),
                    9 => "X-SKYPE;TYPE=work:gen.skype".to_string(),
                    10 if v4 => "GENDER:M".to_string(),
                    10 => "X-GENDER:Male".to_string(),
                    _ => format!("NOTE:{}", davsync_pim::escape_text(&note)),
                });
            }
            lines.push("X-SOCIALPROFILE;type=twitter:https://twitter.com/gen".to_string());
            let mut body = String::from("BEGIN:VCARD\r\n");
            let mut seen = std::collections::BTreeSet::new();
            for line in lines {
                // One of each line: a card does not give one thing twice.
                if seen.insert(line.clone()) {
                    body.push_str(&fold(&line));
                }
            }
            body.push_str("END:VCARD\r\n");
            Item::parse(body).expect("a generated card parses")
        })
}

/// One sample by name.
pub(crate) fn sample(name: &str) -> Item {
    samples()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, item)| item)
        .expect("a sample of that name")
}

/// A mapping of one transform.
pub(crate) fn only(t: impl Transform + 'static) -> Mapping {
    Mapping::new().with(t)
}

/// Maps `item` towards `to`, with `current` as the receiving side's item.
pub(crate) fn map(m: &Mapping, to: Side, item: &Item, current: Option<&Item>) -> Item {
    let context = MapContext {
        row: None,
        current,
        warnings: None,
        members: None,
        linked: None,
    };
    m.map(to, item.clone(), &context)
        .unwrap_or_else(|e| panic!("{e}\n{}", item.body()))
}

/// The body with its lines unfolded, for looking for a whole line.
pub(crate) fn unfolded(item: &Item) -> String {
    item.body().replace("\r\n ", "")
}

/// Folds a logical line as RFC 5545 producers do (75 octets, CRLF).
pub(crate) fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// The raw text of each logical line (with its continuation lines), in order.
fn raw_lines(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for physical in body.split_inclusive('\n') {
        if physical.starts_with([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.push_str(physical);
        } else {
            out.push(physical.to_string());
        }
    }
    out
}

/// The property name of a raw line, in upper case, without a vCard group
/// prefix (`item1.EMAIL` → `EMAIL`).
fn name_of(raw: &str) -> String {
    let end = raw.find([';', ':']).unwrap_or(raw.len());
    let name = &raw[..end];
    name.rsplit('.')
        .next()
        .unwrap_or(name)
        .trim()
        .to_ascii_uppercase()
}

/// Every line of `before` whose property `owned` does not claim is in
/// `after`, byte for byte and in the same order, and `after` holds no line
/// besides those and owned ones.
pub(crate) fn assert_untouched(before: &Item, after: &Item, owned: &[&str]) {
    let keep = |body: &str| -> Vec<String> {
        raw_lines(body)
            .into_iter()
            .filter(|l| !owned.contains(&name_of(l).as_str()))
            .collect()
    };
    assert_eq!(
        keep(before.body()),
        keep(after.body()),
        "lines the mapping does not own changed:\n{}\n---\n{}",
        before.body(),
        after.body()
    );
}

/// Mapped twice is mapped once, both ways (with and without `current`).
pub(crate) fn assert_idempotent(m: &Mapping, item: &Item, current: Option<&Item>) {
    for to in [Side::Server, Side::Local] {
        let once = map(m, to, item, current);
        let twice = map(m, to, &once, current);
        assert_eq!(once.body(), twice.body(), "not idempotent towards {to}");
    }
}

/// A folder item mapped to the server and back (given the folder item as
/// the receiving side's `current` where the mapping is lossy towards the
/// server) is what it was, byte for byte.
pub(crate) fn assert_round_trip(m: &Mapping, local: &Item) {
    let server = map(m, Side::Server, local, None);
    let current = m.lossy(Side::Server).then_some(local);
    let back = map(m, Side::Local, &server, current);
    assert_eq!(
        back.body(),
        local.body(),
        "round trip changed the item; server copy:\n{}",
        server.body()
    );
}

/// Parameters an ATTENDEE or ORGANIZER may carry.
fn arb_params() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(";CN=\"Doe, Ann\"".to_string()),
            Just(";CN=Bob".to_string()),
            Just(";ROLE=REQ-PARTICIPANT".to_string()),
            Just(";PARTSTAT=NEEDS-ACTION".to_string()),
            Just(";RSVP=TRUE".to_string()),
            Just(";CUTYPE=INDIVIDUAL".to_string()),
            Just(";X-NUM-GUESTS=0".to_string()),
        ],
        0..4,
    )
    .prop_map(|v| v.concat())
}

/// Some text, with characters that need escaping and long enough to fold.
fn arb_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 äöü,;.]{0,120}".prop_map(|s| davsync_pim::escape_text(&s))
}

/// One main component's property lines (logical).
fn arb_props() -> impl Strategy<Value = Vec<String>> {
    (
        arb_text(),
        prop::option::of(arb_text()),
        prop::option::of(prop_oneof![
            Just("PUBLIC"),
            Just("PRIVATE"),
            Just("CONFIDENTIAL"),
            Just("private"),
        ]),
        prop::option::of(arb_params()),
        prop::collection::vec(
            (arb_params(), "[a-z]{1,12}")
                .prop_map(|(p, who)| format!("ATTENDEE{p}:mailto:{who}@example.org")),
            0..4,
        ),
        prop::collection::vec(
            (
                prop_oneof![
                    Just("X-MOZ-LASTACK"),
                    Just("X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"),
                    Just("X-MICROSOFT-CDO-BUSYSTATUS"),
                    Just("X-BAR"),
                ],
                "[A-Z0-9]{1,20}",
            )
                .prop_map(|(n, v)| format!("{n}:{v}")),
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(summary, description, class, organizer, attendees, xs, html)| {
                let mut lines = vec![
                    "DTSTAMP:20260101T000000Z".to_string(),
                    "DTSTART;TZID=Europe/Berlin:20260102T100000".to_string(),
                    "DTEND;TZID=Europe/Berlin:20260102T110000".to_string(),
                    format!("SUMMARY:{summary}"),
                ];
                if let Some(d) = description {
                    lines.push(format!("DESCRIPTION:{d}"));
                } else if html {
                    lines
                        .push("X-ALT-DESC;FMTTYPE=text/html:<p>Hello <b>there</b></p>".to_string());
                }
                if let Some(c) = class {
                    lines.push(format!("CLASS:{c}"));
                }
                if let Some(p) = organizer {
                    lines.push(format!("ORGANIZER{p}:mailto:boss@example.org"));
                }
                lines.extend(attendees);
                lines.extend(xs);
                lines
            },
        )
}

/// A generated event or task in the folder's form: CRLF, folded at 75
/// octets, maybe with an alarm and an exception.
pub(crate) fn arb_item() -> impl Strategy<Value = Item> {
    (
        any::<bool>(),
        arb_props(),
        prop::option::of(arb_props()),
        any::<bool>(),
    )
        .prop_map(|(task, master, exception, alarm)| {
            let kind = if task { "VTODO" } else { "VEVENT" };
            let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//gen//EN\r\n");
            let mut component = |props: Vec<String>, recurrence: bool| {
                body.push_str(&format!("BEGIN:{kind}\r\nUID:gen-1\r\n"));
                if recurrence {
                    body.push_str("RECURRENCE-ID;TZID=Europe/Berlin:20260109T100000\r\n");
                } else if exception.is_some() {
                    body.push_str("RRULE:FREQ=WEEKLY;COUNT=5\r\n");
                }
                for line in props {
                    body.push_str(&fold(&line));
                }
                if alarm && !recurrence {
                    body.push_str(
                        "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n",
                    );
                }
                body.push_str(&format!("END:{kind}\r\n"));
            };
            component(master, false);
            if let Some(props) = exception.clone() {
                component(props, true);
            }
            body.push_str("END:VCALENDAR\r\n");
            Item::parse(body).expect("a generated item parses")
        })
}
