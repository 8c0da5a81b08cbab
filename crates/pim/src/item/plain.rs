//! The kind and UID of a plain item, read from its unfolded lines without
//! `calcard`'s full parse, which builds every property's typed value (dates,
//! recurrence rules, addresses) that validation never looks at: it was half
//! the CPU of `Item::parse` (a profile of a first download of 10,000 events:
//! `calcard`'s tokenizer alone 27 %).
//!
//! "Plain" is the shape nearly every item has, and for which `calcard` is
//! known to answer the same (a property test compares the two): one
//! `BEGIN:VCALENDAR` or `BEGIN:VCARD` first and its `END` last, every
//! component marker spelt exactly (`BEGIN:VEVENT`, upper case, nothing
//! else on the line), the main components (`VEVENT`, `VTODO`, `VJOURNAL`
//! right inside the calendar; the card itself) each with one `UID:` line
//! without parameters or group whose value needs no decoding (no escapes,
//! quotes, commas, semicolons, control characters or space at either end),
//! all the same. Anything else, including every malformed item, gets
//! [`None`] and goes to `calcard`, which decides as before.

use super::{ItemKind, MAIN_COMPONENTS};
use crate::lines::{Line, name_end};

/// The kind and UID of a plain item (see the module's comment); `None` when
/// the item is not plain.
pub(super) fn identity(body: &str, doc: &[Line]) -> Option<(ItemKind, String)> {
    // A lone CR ends a line here but perhaps not for calcard; a blank line
    // ends a folded line for calcard, not here.
    if !line_ends_plain(body.as_bytes()) {
        return None;
    }
    let first = &*doc.first()?.logical;
    let card = match first {
        "BEGIN:VCALENDAR" => false,
        "BEGIN:VCARD" => true,
        _ => return None,
    };
    if !body.starts_with(first) {
        return None;
    }
    let mut stack: Vec<&str> = Vec::new();
    // The kind of the first main component, and the UID all share.
    let mut kind: Option<ItemKind> = None;
    let mut uid: Option<&str> = None;
    // Whether the innermost open component is a main one, and its UID line was seen.
    let mut in_main = false;
    let mut main_has_uid = false;
    for (i, line) in doc.iter().enumerate() {
        let text = &*line.logical;
        match special(text)? {
            Special::None => {}
            Special::Begin(name) => {
                if in_main && !main_has_uid {
                    return None; // properties after a nested component: left to calcard
                }
                let main = match (card, stack.as_slice()) {
                    (true, []) => Some(ItemKind::Contact),
                    (true, _) => return None, // a card inside a card (vCard 2.1's AGENT)
                    (false, ["VCALENDAR"]) => main_kind(name),
                    (false, []) => None,
                    // A VEVENT nested deeper.
                    (false, _) if MAIN_COMPONENTS.contains(&name) => return None,
                    (false, _) => None,
                };
                if stack.is_empty() && i != 0 {
                    return None;
                }
                stack.push(name);
                in_main = main.is_some();
                main_has_uid = false;
                if let Some(k) = main {
                    kind.get_or_insert(k);
                }
            }
            Special::End(name) => {
                if stack.pop()? != name || (in_main && !main_has_uid) {
                    return None;
                }
                if stack.is_empty() && i + 1 != doc.len() {
                    return None; // something after the item
                }
                in_main = false;
            }
            Special::Uid(value) => {
                if in_main {
                    if main_has_uid || uid.is_some_and(|u| u != value) {
                        return None;
                    }
                    main_has_uid = true;
                    uid = Some(value);
                }
            }
        }
    }
    if !stack.is_empty() {
        return None;
    }
    Some((kind?, uid?.to_string()))
}

/// Whether every CR of `body` is followed by an LF and no line is blank
/// (no `\n\n`, no `\n\r\n`): one pass over the line ends, every byte of
/// every item read passes here.
fn line_ends_plain(body: &[u8]) -> bool {
    memchr::memchr2_iter(b'\r', b'\n', body).all(|i| match body[i] {
        b'\r' => body.get(i + 1) == Some(&b'\n'),
        _ => match body.get(i + 1) {
            Some(b'\n') => false,
            Some(b'\r') => body.get(i + 2) != Some(&b'\n'),
            _ => true,
        },
    })
}

/// What a line is to [`identity`].
enum Special<'a> {
    /// A property of no interest.
    None,
    /// `BEGIN:` and a component name in upper case.
    Begin(&'a str),
    /// `END:` and a component name in upper case.
    End(&'a str),
    /// `UID:` and a value that needs no decoding.
    Uid(&'a str),
}

/// Classifies a line; `None` for a line that may mean something else to
/// calcard than to [`identity`]: a marker or UID not spelt exactly, a name
/// that does not start with a letter, digit or dash.
fn special(line: &str) -> Option<Special<'_>> {
    if let Some(name) = line.strip_prefix("BEGIN:") {
        return is_component_name(name).then_some(Special::Begin(name));
    }
    if let Some(name) = line.strip_prefix("END:") {
        return is_component_name(name).then_some(Special::End(name));
    }
    if let Some(value) = line.strip_prefix("UID:") {
        return plain_value(value).then_some(Special::Uid(value));
    }
    // The name, split into its words: none may be one of the three in
    // another spelling (`uid`, `item1.UID`, `UID;X=1`, `END :x`).
    let head = &line[..name_end(line).unwrap_or(line.len())];
    if !head.as_bytes().first().is_some_and(|b| is_word_byte(*b)) {
        return None;
    }
    let tricky = head.split(|c: char| !is_word_byte_char(c)).any(|word| {
        ["BEGIN", "END", "UID"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
    });
    (!tricky).then_some(Special::None)
}

fn main_kind(name: &str) -> Option<ItemKind> {
    match name {
        "VEVENT" => Some(ItemKind::Event),
        "VTODO" => Some(ItemKind::Task),
        "VJOURNAL" => Some(ItemKind::Journal),
        _ => None,
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_word_byte_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// `VEVENT`, `X-FOO`: upper-case letters, digits and dashes.
fn is_component_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// A UID value that every reader takes as it is: no escapes, quotes, list
/// or field separators, control characters, space at either end.
fn plain_value(value: &str) -> bool {
    !value.is_empty()
        && value.trim() == value
        && !value
            .chars()
            .any(|c| c.is_control() || matches!(c, '\\' | '"' | ',' | ';'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::unfold_to_read;
    use proptest::prelude::*;

    fn plain(body: &str) -> Option<(ItemKind, String)> {
        identity(body, &unfold_to_read(body))
    }

    #[test]
    fn everyday_items_are_plain() {
        let event = crate::item::tests::event("a-1@example.org", "");
        assert_eq!(
            plain(&event),
            Some((ItemKind::Event, "a-1@example.org".into()))
        );
        let series = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Vienna\r\n\
            BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
            BEGIN:VEVENT\r\nUID:s\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(plain(series), Some((ItemKind::Event, "s".into())));
        let task = "BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t 1\nEND:VTODO\nEND:VCALENDAR\n";
        assert_eq!(plain(task), Some((ItemKind::Task, "t 1".into())));
        let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n\
            FN:Zoë\r\nEND:VCARD\r\n";
        assert_eq!(
            plain(card),
            Some((
                ItemKind::Contact,
                "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1".into()
            ))
        );
    }

    #[test]
    fn anything_unusual_is_left_to_calcard() {
        for body in [
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nuid:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID,:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\\,b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\nX:y\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEnd:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\rBEGIN:VEVENT\rUID:a\rEND:VEVENT\rEND:VCALENDAR\r",
            "\u{feff}BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCARD\r\nitem1.UID:a\r\nUID:b\r\nEND:VCARD\r\n",
            "BEGIN:VCARD\r\nUID:a\r\nEND:VCARD\r\nBEGIN:VCARD\r\nUID:b\r\nEND:VCARD\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            // calcard reads the UID as `a`, the lines here as `afolded`.
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n\r\n folded\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        ] {
            assert_eq!(plain(body), None, "{body:?}");
        }
    }

    /// Lines to build items from: markers, UIDs in many spellings, ordinary
    /// and broken properties.
    fn line() -> impl Strategy<Value = String> {
        let uid = "[a-zA-Z0-9@:;,.=\\\\\" \t'é/-]{0,10}";
        prop_oneof![
            Just("BEGIN:VEVENT".to_string()),
            Just("END:VEVENT".to_string()),
            Just("BEGIN:VTODO".to_string()),
            Just("END:VTODO".to_string()),
            Just("BEGIN:VALARM".to_string()),
            Just("END:VALARM".to_string()),
            Just("BEGIN:VCARD".to_string()),
            Just("END:VCARD".to_string()),
            Just("BEGIN:VCALENDAR".to_string()),
            Just("END:VCALENDAR".to_string()),
            Just("begin:vevent".to_string()),
            Just("END :VEVENT".to_string()),
            Just("BEGIN;X=1:VTODO".to_string()),
            Just("SUMMARY:BEGIN:VEVENT".to_string()),
            Just("ATTENDEE;CN=\"a:b\":mailto:a@b".to_string()),
            Just("X-ABUID:abc".to_string()),
            Just("FOO".to_string()),
            Just(String::new()),
            Just(" folded".to_string()),
            Just(".UID:x".to_string()),
            uid.prop_map(|u| format!("UID:{u}")),
            uid.prop_map(|u| format!("uid:{u}")),
            uid.prop_map(|u| format!("UID;VALUE=TEXT:{u}")),
            uid.prop_map(|u| format!("item1.UID:{u}")),
            uid.prop_map(|u| format!("UID,:{u}")),
            "[A-Z;:=,. -]{0,8}".prop_map(|p| format!("X{p}")),
        ]
    }

    /// A skeleton of a calendar with one or two main components, or of a
    /// card, with random lines put in anywhere.
    fn body() -> impl Strategy<Value = String> {
        let skeleton = prop_oneof![
            "[a-z0-9@.-]{1,6}".prop_map(|u| vec![
                "BEGIN:VCALENDAR".to_string(),
                "BEGIN:VEVENT".into(),
                format!("UID:{u}"),
                "END:VEVENT".into(),
                "END:VCALENDAR".into(),
            ]),
            ("[a-z0-9@.-]{1,6}", "[a-z0-9@.-]{1,6}").prop_map(|(u, v)| vec![
                "BEGIN:VCALENDAR".to_string(),
                "BEGIN:VTODO".into(),
                format!("UID:{u}"),
                "END:VTODO".into(),
                "BEGIN:VEVENT".into(),
                format!("UID:{v}"),
                "END:VEVENT".into(),
                "END:VCALENDAR".into(),
            ]),
            "[a-z0-9@.:-]{1,6}".prop_map(|u| vec![
                "BEGIN:VCARD".to_string(),
                "VERSION:4.0".into(),
                format!("UID:{u}"),
                "END:VCARD".into(),
            ]),
        ];
        let inserts = prop::collection::vec((any::<prop::sample::Index>(), line()), 0..4);
        let ends = prop::collection::vec(
            prop_oneof![12 => Just("\r\n"), 4 => Just("\n"), 1 => Just("\r")],
            12,
        );
        (skeleton, inserts, ends).prop_map(|(mut lines, inserts, ends)| {
            for (at, text) in inserts {
                let at = at.index(lines.len() + 1);
                lines.insert(at, text);
            }
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| format!("{l}{}", ends[i % ends.len()]))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8000))]
        /// Whatever the fast path answers, calcard answers the same (about
        /// one body in seven takes the fast path).
        #[test]
        fn the_fast_path_agrees_with_calcard(body in body()) {
            if let Some(found) = plain(&body) {
                prop_assert_eq!(crate::item::by_calcard(&body), Ok(found));
            }
        }

        /// The one pass over the line ends answers as the three searches
        /// it replaced did.
        #[test]
        fn line_ends_are_judged_as_by_three_searches(body in "[\r\na]{0,12}") {
            let searches = !(body
                .match_indices('\r')
                .any(|(i, _)| body.as_bytes().get(i + 1) != Some(&b'\n'))
                || body.contains("\n\n")
                || body.contains("\n\r\n"));
            prop_assert_eq!(line_ends_plain(body.as_bytes()), searches, "{:?}", body);
        }
    }
}
