//! Privacy: how CLASS is written to the server, and what becomes of private
//! events and tasks (synced, skipped, or uploaded as "Busy" only).

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemError};

/// A CLASS value in upper case, trimmed.
fn norm(value: &str) -> String {
    value.trim().to_ascii_uppercase()
}

/// Whether a class hides the item's details (PRIVATE or CONFIDENTIAL).
fn private_class(value: &str) -> bool {
    matches!(norm(value).as_str(), "PRIVATE" | "CONFIDENTIAL")
}

/// Whether an event or task is private: a main component (the series or an
/// exception) has CLASS PRIVATE or CONFIDENTIAL.
pub fn is_private(item: &Item) -> bool {
    item.kind().is_calendar()
        && item
            .property_values("CLASS")
            .iter()
            .any(|v| private_class(v))
}

/// `class_public_omit`, `class_private_as_confidential` and
/// `class_confidential_as_private`: how CLASS is written to the server.
///
/// On the way back the folder item's CLASS is never turned into another:
/// a server copy whose CLASS is what the folder item's CLASS maps to gets
/// the folder item's line back (so PRIVATE → CONFIDENTIAL on the server
/// comes back PRIVATE, while a folder item that was CONFIDENTIAL all along
/// stays so); anything else (an item new from the server, or a CLASS
/// changed there) is taken as the server has it. This needs the folder
/// item, so the transform counts as lossy towards the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassMapping {
    /// Write no `CLASS:PUBLIC` (public is the default).
    pub public_omit: bool,
    /// Write PRIVATE as CONFIDENTIAL (servers that show only the time of
    /// confidential items to others, as ownCloud and Nextcloud do).
    pub private_as_confidential: bool,
    /// Write CONFIDENTIAL as PRIVATE.
    pub confidential_as_private: bool,
}

impl ClassMapping {
    /// Whether any option is on.
    pub fn is_active(&self) -> bool {
        self.public_omit || self.private_as_confidential || self.confidential_as_private
    }

    /// What a folder item's CLASS (`None`: none) is on the server.
    fn on_server(self, class: Option<&str>) -> Option<String> {
        let class = class.map(norm)?;
        match class.as_str() {
            "PUBLIC" if self.public_omit => None,
            "PRIVATE" if self.private_as_confidential => Some("CONFIDENTIAL".into()),
            "CONFIDENTIAL" if self.confidential_as_private => Some("PRIVATE".into()),
            _ => Some(class),
        }
    }
}

impl Transform for ClassMapping {
    fn name(&self) -> &'static str {
        "class mapping"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server && self.is_active()
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !item.kind().is_calendar() || !self.is_active() {
            return Ok(item);
        }
        match to {
            Side::Server => item.edit_components(|c| {
                c.edit(|p| {
                    if p.name() != "CLASS" {
                        return;
                    }
                    match self.on_server(Some(p.value())) {
                        None => p.remove(),
                        Some(mapped) if mapped != norm(p.value()) => p.set_value(&mapped),
                        Some(_) => {}
                    }
                })
            }),
            Side::Local => {
                let Some(current) = context.current else {
                    return Ok(item);
                };
                item.edit_components_with(Some(current), |c, peer| {
                    let Some(peer) = peer else { return };
                    let theirs = peer.values("CLASS").first().cloned();
                    let ours = c.values("CLASS").first().map(|v| norm(v));
                    let unchanged = self.on_server(theirs.as_deref()) == ours;
                    if unchanged && theirs.as_deref().map(norm) != ours {
                        c.remove("CLASS");
                        c.restore_from(peer, |n| n == "CLASS");
                    }
                })
            }
        }
    }
}

/// What `private_events` does with a private item of the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateMode {
    /// Synced like any other (the default).
    Sync,
    /// Not synced: private items are not the profile's, on either side.
    Skip,
    /// Uploaded as a "Busy" block: the time, recurrence and class only.
    Busy,
}

/// The properties a "Busy" server copy keeps (besides the VTIMEZONEs,
/// which stay as they are); everything else, alarms included, is left off
/// and SUMMARY becomes "Busy".
pub const BUSY_KEEPS: &[&str] = &[
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "DUE",
    "RRULE",
    "RDATE",
    "EXDATE",
    "RECURRENCE-ID",
    "CLASS",
    "TRANSP",
    "STATUS",
    "SUMMARY",
];

/// The SUMMARY of a busy copy.
const BUSY: &str = "Busy";

/// `private_events`: private items (CLASS PRIVATE or CONFIDENTIAL) synced,
/// skipped or reduced to busy time on the server.
///
/// "skip" leaves private items out of the profile on both sides: a private
/// folder item is not uploaded, and a private server item is not
/// downloaded (its folder copy, private, would not be the profile's and
/// would read as deleted in the folder). An item that turns private leaves
/// the profile: its copy on the other side is deleted, through the trash.
///
/// "busy" uploads a private folder item with [`BUSY_KEEPS`] only. Lossy: a
/// change coming back from the server (a new time) is merged into the
/// folder item, which keeps its summary, description, attendees, alarms and
/// everything else the server copy lacks.
#[derive(Debug, Clone, Copy)]
pub struct PrivateEvents(pub PrivateMode);

impl Transform for PrivateEvents {
    fn name(&self) -> &'static str {
        "private_events"
    }

    fn selection(&self) -> String {
        match self.0 {
            PrivateMode::Skip => "private events skipped".into(),
            _ => String::new(),
        }
    }

    fn admits(&self, _side: Side, item: &Item, _context: &MapContext<'_>) -> bool {
        self.0 != PrivateMode::Skip || !is_private(item)
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server && self.0 == PrivateMode::Busy
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if self.0 != PrivateMode::Busy {
            return Ok(item);
        }
        match to {
            Side::Server if is_private(&item) => item.edit_components(|c| {
                c.remove_subcomponents();
                let mut summary = false;
                c.edit(|p| {
                    let name = p.name();
                    if !BUSY_KEEPS.contains(&name.as_str()) {
                        p.remove();
                    } else if name == "SUMMARY" {
                        // Parameters (LANGUAGE) belong to the real summary.
                        if !summary && p.logical() == format!("SUMMARY:{BUSY}") {
                            summary = true;
                        } else {
                            p.remove();
                        }
                    }
                });
                if !summary {
                    c.add(&format!("SUMMARY:{BUSY}"));
                }
            }),
            Side::Local => match context.current {
                Some(current) if is_private(current) => {
                    item.edit_components_with(Some(current), |c, peer| {
                        let Some(peer) = peer else { return };
                        if c.values("SUMMARY").iter().any(|s| s == BUSY) {
                            c.remove("SUMMARY");
                        }
                        c.restore_from(peer, |n| n == "SUMMARY" || !BUSY_KEEPS.contains(&n));
                        c.restore_subcomponents_from(peer);
                    })
                }
                _ => Ok(item),
            },
            Side::Server => Ok(item),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::*;
    use proptest::prelude::*;

    fn classes(c: ClassMapping) -> crate::mapping::Mapping {
        only(c)
    }

    fn with_class(class: &str) -> Item {
        let line = if class.is_empty() {
            String::new()
        } else {
            format!("CLASS:{class}\r\n")
        };
        Item::parse(format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nSUMMARY:s\r\n{line}LOCATION:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ))
        .unwrap()
    }

    fn class_of(item: &Item) -> Vec<String> {
        item.property_values("CLASS")
    }

    #[test]
    fn class_is_written_as_configured() {
        let all = [
            ClassMapping {
                public_omit: true,
                ..Default::default()
            },
            ClassMapping {
                private_as_confidential: true,
                ..Default::default()
            },
            ClassMapping {
                confidential_as_private: true,
                ..Default::default()
            },
        ];
        // (folder CLASS, on the server with each option)
        let cases = [
            ("PUBLIC", ["", "PUBLIC", "PUBLIC"]),
            ("PRIVATE", ["PRIVATE", "CONFIDENTIAL", "PRIVATE"]),
            ("CONFIDENTIAL", ["CONFIDENTIAL", "CONFIDENTIAL", "PRIVATE"]),
            ("", ["", "", ""]),
        ];
        for (class, expected) in cases {
            for (option, want) in all.iter().zip(expected) {
                let m = classes(*option);
                let local = with_class(class);
                let server = map(&m, Side::Server, &local, None);
                let want: Vec<String> = (!want.is_empty())
                    .then(|| want.to_string())
                    .into_iter()
                    .collect();
                assert_eq!(class_of(&server), want, "{class} {option:?}");
                assert_untouched(&local, &server, &["CLASS"]);
                // Back with the folder item: its CLASS, as it was.
                assert_eq!(
                    map(&m, Side::Local, &server, Some(&local)).body(),
                    local.body()
                );
                // Without one (an item new from the server): as the server has it.
                assert_eq!(map(&m, Side::Local, &server, None).body(), server.body());
            }
        }
    }

    /// A CONFIDENTIAL folder item stays CONFIDENTIAL although the server's
    /// CONFIDENTIAL could have come from PRIVATE; a class changed on the
    /// server is taken.
    #[test]
    fn the_way_back_never_changes_a_folder_class() {
        let m = classes(ClassMapping {
            private_as_confidential: true,
            ..Default::default()
        });
        let confidential = with_class("CONFIDENTIAL");
        let server = map(&m, Side::Server, &confidential, None);
        assert_eq!(
            map(&m, Side::Local, &server, Some(&confidential)).body(),
            confidential.body()
        );
        let private = with_class("PRIVATE");
        let made_public = with_class("PUBLIC");
        assert_eq!(
            class_of(&map(&m, Side::Local, &made_public, Some(&private))),
            ["PUBLIC"]
        );
    }

    /// The server copy edited, the folder copy keeps the rest (here: its
    /// explicit CLASS:PUBLIC, which the server copy omits).
    #[test]
    fn a_server_edit_keeps_the_folder_class() {
        let m = classes(ClassMapping {
            public_omit: true,
            ..Default::default()
        });
        let local = sample("outlook");
        let server = map(&m, Side::Server, &local, None);
        assert!(class_of(&server).is_empty());
        let edited = Item::parse(server.body().replace("PRIORITY:5", "PRIORITY:1")).unwrap();
        let back = map(&m, Side::Local, &edited, Some(&local));
        assert_eq!(
            back.body(),
            local.body().replace("PRIORITY:5", "PRIORITY:1")
        );
    }

    #[test]
    fn skip_leaves_private_items_out_on_both_sides() {
        let m = only(PrivateEvents(PrivateMode::Skip));
        assert!(!m.selection().is_empty());
        assert!(
            only(PrivateEvents(PrivateMode::Busy))
                .selection()
                .is_empty()
        );
        for (name, item) in samples() {
            let private = matches!(name, "apple" | "thunderbird" | "task");
            assert_eq!(is_private(&item), private, "{name}");
            for side in [Side::Local, Side::Server] {
                assert_eq!(
                    m.admits(side, &item, &MapContext::default()),
                    !private,
                    "{name}"
                );
            }
            assert_eq!(map(&m, Side::Server, &item, None).body(), item.body());
        }
        assert!(!m.admits(Side::Local, &with_class("private"), &MapContext::default()));
    }

    #[test]
    fn busy_uploads_the_time_only() {
        let m = only(PrivateEvents(PrivateMode::Busy));
        let local = sample("thunderbird");
        let server = map(&m, Side::Server, &local, None);
        let expected = "BEGIN:VCALENDAR\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Vienna\r\nX-TZINFO:Europe/Vienna[2024b]\r\nBEGIN:STANDARD\r\nTZOFFSETTO:+010000\r\nTZOFFSETFROM:+010000\r\nTZNAME:CET\r\nDTSTART:20011028T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nDTSTAMP:20261112T190512Z\r\nUID:3f6e1d2a-8b7c-4e5f-9a0b-1c2d3e4f5a6b\r\nCLASS:PRIVATE\r\nDTSTART;TZID=Europe/Vienna:20261203T081500\r\nDTEND;TZID=Europe/Vienna:20261203T090000\r\nTRANSP:OPAQUE\r\nSUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(server.body(), expected);
        // A public item goes as it is; a task keeps its dates.
        let public = sample("google");
        assert_eq!(map(&m, Side::Server, &public, None).body(), public.body());
        let task = map(&m, Side::Server, &sample("task"), None);
        assert_eq!(task.property_values("DUE"), ["20261215"]);
        assert_eq!(task.summary(), Some("Busy"));
        assert!(!task.body().contains("VALARM"));
        // Back with the folder item: all of it again.
        assert_eq!(
            map(&m, Side::Local, &server, Some(&local)).body(),
            local.body()
        );
    }

    /// The server copy edited (moved by an hour), the folder copy keeps the rest.
    #[test]
    fn a_server_edit_of_a_busy_copy_moves_the_folder_item() {
        let m = only(PrivateEvents(PrivateMode::Busy));
        for name in ["thunderbird", "apple"] {
            let local = sample(name);
            let server = map(&m, Side::Server, &local, None);
            let moved = |item: &Item| {
                Item::parse(item.body().replace("T08", "T09").replace("T18", "T19")).unwrap()
            };
            let back = map(&m, Side::Local, &moved(&server), Some(&local));
            assert_eq!(back.body(), moved(&local).body(), "{name}");
        }
    }

    #[test]
    fn privacy_round_trips_and_is_idempotent_on_the_samples() {
        let mappings = [
            classes(ClassMapping {
                public_omit: true,
                private_as_confidential: true,
                confidential_as_private: false,
            }),
            classes(ClassMapping {
                confidential_as_private: true,
                ..Default::default()
            }),
            only(PrivateEvents(PrivateMode::Busy)),
            only(PrivateEvents(PrivateMode::Skip)),
        ];
        for (_, item) in samples() {
            for m in &mappings {
                assert_round_trip(m, &item);
                assert_idempotent(m, &item, None);
                assert_idempotent(m, &item, Some(&item));
            }
        }
    }

    proptest! {
        #[test]
        fn privacy_round_trips_generated_items(item in arb_item()) {
            let class = ClassMapping { public_omit: true, private_as_confidential: true, confidential_as_private: false };
            for m in [classes(class), classes(ClassMapping { confidential_as_private: true, ..Default::default() }), only(PrivateEvents(PrivateMode::Busy))] {
                assert_round_trip(&m, &item);
                assert_idempotent(&m, &item, None);
                assert_idempotent(&m, &item, Some(&item));
            }
            let server = map(&classes(class), Side::Server, &item, None);
            assert_untouched(&item, &server, &["CLASS"]);
        }
    }
}
