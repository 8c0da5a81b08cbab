//! Invitations under control: `SCHEDULE-AGENT=CLIENT`, SOGo's notification
//! flag, the organizer's `SENT-BY`, and attendees left off the server copy.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemError, Property};

/// Whether a property is one RFC 6638 schedules through: ORGANIZER or ATTENDEE.
fn scheduled(p: &Property<'_>) -> bool {
    matches!(p.name().as_str(), "ORGANIZER" | "ATTENDEE")
}

/// Whether any of `names` appears anywhere in the item's text (any case,
/// folded lines joined): when none does, no line of the item is such a
/// property or parameter, and the item need not be taken apart.
fn mentions_any(item: &Item, names: &[&str]) -> bool {
    let text = item.body().as_bytes();
    names.iter().any(|name| {
        let name = name.as_bytes();
        // Every item read from the server passes here: its first letter in
        // either case found several bytes at a time, the rest compared there.
        let (upper, lower) = (name[0].to_ascii_uppercase(), name[0].to_ascii_lowercase());
        memchr::memchr2_iter(upper, lower, text).any(|at| found_at(text, at, name))
    })
}

/// Whether `name` is in `text` from `at` on, line folds skipped.
fn found_at(text: &[u8], mut at: usize, name: &[u8]) -> bool {
    for c in name {
        loop {
            let fold = match text.get(at) {
                Some(b'\r') if text.get(at + 1) == Some(&b'\n') => 2,
                Some(b'\n') => 1,
                _ => break,
            };
            if !matches!(text.get(at + fold), Some(b' ' | b'\t')) {
                break;
            }
            at += fold + 1;
        }
        match text.get(at) {
            Some(t) if t.eq_ignore_ascii_case(c) => at += 1,
            _ => return false,
        }
    }
    true
}

/// Whether `name` appears in the item's text (see [`mentions_any`]).
fn mentions(item: &Item, name: &str) -> bool {
    mentions_any(item, &[name])
}

/// Whether `item` is a calendar object (the options leave contacts alone).
fn calendar(item: &Item) -> bool {
    item.kind().is_calendar()
}

/// `schedule_agent_client`: ORGANIZER and ATTENDEE get `SCHEDULE-AGENT=CLIENT`
/// on the way to the server, so that a scheduling server (RFC 6638) mails no
/// invitation or cancellation on the client's behalf; the parameter is
/// removed again on the way to the folder. A line that already names a
/// SCHEDULE-AGENT keeps it (the folder item's own choice).
#[derive(Debug, Clone, Copy)]
pub struct ScheduleAgentClient;

impl Transform for ScheduleAgentClient {
    fn name(&self) -> &'static str {
        "schedule_agent_client"
    }

    fn map(&self, to: Side, item: Item, _context: &MapContext<'_>) -> Result<Item, ItemError> {
        // Most items need nothing (no ORGANIZER or ATTENDEE on the way out,
        // no SCHEDULE-AGENT on the way in): they are not taken apart at all.
        let needs = match to {
            Side::Server => mentions_any(&item, &["ORGANIZER", "ATTENDEE"]),
            Side::Local => mentions(&item, "SCHEDULE-AGENT"),
        };
        if !calendar(&item) || !needs {
            return Ok(item);
        }
        item.edit_components(|c| {
            c.edit(|p| {
                if !scheduled(p) {
                    return;
                }
                match (to, p.param("SCHEDULE-AGENT")) {
                    (Side::Server, None) => p.set_param("SCHEDULE-AGENT", "CLIENT"),
                    (Side::Local, Some(agent)) if agent.eq_ignore_ascii_case("CLIENT") => {
                        p.remove_param("SCHEDULE-AGENT");
                    }
                    _ => {}
                }
            })
        })
    }
}

/// SOGo's own property that stops its notification mails.
pub const SOGO_NOTIFICATIONS: &str = "X-SOGO-SEND-APPOINTMENT-NOTIFICATIONS";

/// `sogo_no_notifications`: each event or task gets
/// `X-SOGO-SEND-APPOINTMENT-NOTIFICATIONS:NO` on the way to the server (SOGo
/// then mails nobody); the property is removed on the way to the folder. An
/// item that sets the property itself keeps its value.
#[derive(Debug, Clone, Copy)]
pub struct SogoNoNotifications;

impl Transform for SogoNoNotifications {
    fn name(&self) -> &'static str {
        "sogo_no_notifications"
    }

    fn map(&self, to: Side, item: Item, _context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !calendar(&item) || (to == Side::Local && !mentions(&item, SOGO_NOTIFICATIONS)) {
            return Ok(item);
        }
        item.edit_components(|c| match to {
            Side::Server => {
                if !c.has(SOGO_NOTIFICATIONS) {
                    c.add(&format!("{SOGO_NOTIFICATIONS}:NO"));
                }
            }
            Side::Local => c.edit(|p| {
                if p.name() == SOGO_NOTIFICATIONS && p.value().trim().eq_ignore_ascii_case("NO") {
                    p.remove();
                }
            }),
        })
    }
}

/// `organizer_sent_by`: the guide's "act on behalf of the server identity".
/// The ORGANIZER gets `SENT-BY="mailto:…"` (the delegate, this address) on
/// the way to the server, unless it names a SENT-BY already or is that
/// address itself; on the way to the folder a SENT-BY equal to it is removed.
#[derive(Debug, Clone)]
pub struct OrganizerSentBy {
    /// The delegate's address, `mailto:…`.
    pub address: String,
}

impl Transform for OrganizerSentBy {
    fn name(&self) -> &'static str {
        "organizer_sent_by"
    }

    fn map(&self, to: Side, item: Item, _context: &MapContext<'_>) -> Result<Item, ItemError> {
        let needs = match to {
            Side::Server => mentions(&item, "ORGANIZER"),
            Side::Local => mentions(&item, "SENT-BY"),
        };
        if !calendar(&item) || !needs {
            return Ok(item);
        }
        let ours = |v: &str| v.trim().eq_ignore_ascii_case(&self.address);
        item.edit_components(|c| {
            c.edit(|p| {
                if p.name() != "ORGANIZER" {
                    return;
                }
                match (to, p.param("SENT-BY")) {
                    (Side::Server, None) if !ours(p.value()) => {
                        p.set_param("SENT-BY", &format!("\"{}\"", self.address));
                    }
                    (Side::Local, Some(by)) if ours(&by) => {
                        p.remove_param("SENT-BY");
                    }
                    _ => {}
                }
            })
        })
    }
}

/// `map_attendees = false`: the server copy carries no ATTENDEE and no
/// ORGANIZER (for servers such as Google's that schedule whatever they see).
/// Lossy towards the server: an item coming back from the server without
/// them gets the folder item's attendees and organizer back, each line as
/// it was; one that has its own (added on the server) keeps those.
#[derive(Debug, Clone, Copy)]
pub struct DropAttendees;

/// The properties [`DropAttendees`] leaves off the server copy.
const ATTENDEES: [&str; 2] = ["ATTENDEE", "ORGANIZER"];

impl Transform for DropAttendees {
    fn name(&self) -> &'static str {
        "map_attendees"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !calendar(&item) {
            return Ok(item);
        }
        match to {
            Side::Server => item.edit_components(|c| {
                c.edit(|p| {
                    if scheduled(p) {
                        p.remove();
                    }
                })
            }),
            Side::Local => match context.current {
                Some(current) => item.edit_components_with(Some(current), |c, peer| {
                    if let Some(peer) = peer {
                        c.restore_from(peer, |n| ATTENDEES.contains(&n));
                    }
                }),
                None => Ok(item),
            },
        }
    }
}

#[cfg(test)]
mod mention_tests {
    use super::*;

    #[test]
    fn a_name_folded_across_lines_is_still_mentioned() {
        let item = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nORGANIZER;CN=Bob;SENT-BY=\"mailto:a@b.c\";S\r\n CHEDULE-AGENT=CLIENT:mailto:bob@b.c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        assert!(mentions(&item, "schedule-agent"));
        assert!(mentions_any(&item, &["ATTENDEE", "ORGANIZER"]));
        assert!(!mentions(&item, "ATTENDEE"));
    }

    proptest::proptest! {
        /// Found where a search from every byte finds it (the search this
        /// one replaced): any case, across folds, nowhere else.
        #[test]
        fn found_where_every_byte_is_tried(text in "[aAtTeEnNdDxX\r\n \t]{0,40}") {
            let name = b"ATTENDEE";
            let body = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nX-A:{text}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
            if let Ok(item) = Item::parse(body.as_str()) {
                let whole = item.body().as_bytes();
                let tried_whole = (0..whole.len())
                    .any(|at| whole[at].eq_ignore_ascii_case(&name[0]) && found_at(whole, at, name));
                proptest::prop_assert_eq!(mentions(&item, "ATTENDEE"), tried_whole);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::*;
    use proptest::prelude::*;

    fn sent_by() -> OrganizerSentBy {
        OrganizerSentBy {
            address: "mailto:assistant@example.com".into(),
        }
    }

    #[test]
    fn schedule_agent_goes_to_the_server_only() {
        let m = only(ScheduleAgentClient);
        let local = sample("outlook");
        let server = map(&m, Side::Server, &local, None);
        assert_eq!(
            unfolded(&server).matches("SCHEDULE-AGENT=CLIENT").count(),
            7
        );
        assert!(unfolded(&server).contains(
            "ORGANIZER;CN=\"Schmidt, Michael\";SCHEDULE-AGENT=CLIENT:mailto:michael.schmidt@example.com\r\n"
        ));
        assert_untouched(&local, &server, &["ORGANIZER", "ATTENDEE"]);
        assert_eq!(map(&m, Side::Local, &server, None).body(), local.body());
        // The alarm of an email reminder names an ATTENDEE too: not a scheduling one.
        let mail_alarm = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nBEGIN:VALARM\r\nACTION:EMAIL\r\nATTENDEE:mailto:me@example.org\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        assert_eq!(
            map(&m, Side::Server, &mail_alarm, None).body(),
            mail_alarm.body()
        );
    }

    #[test]
    fn an_items_own_schedule_agent_is_kept_going_up() {
        let m = only(ScheduleAgentClient);
        let own = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nATTENDEE;SCHEDULE-AGENT=SERVER:mailto:x@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        assert_eq!(map(&m, Side::Server, &own, None).body(), own.body());
        assert_eq!(map(&m, Side::Local, &own, None).body(), own.body());
    }

    #[test]
    fn sogo_flag_goes_up_and_comes_off() {
        let m = only(SogoNoNotifications);
        for name in ["outlook", "task"] {
            let local = sample(name);
            let server = map(&m, Side::Server, &local, None);
            let components = if name == "outlook" { 2 } else { 1 };
            assert_eq!(
                server.property_values(SOGO_NOTIFICATIONS),
                vec!["NO"; components]
            );
            assert_untouched(&local, &server, &[SOGO_NOTIFICATIONS]);
            assert_eq!(map(&m, Side::Local, &server, None).body(), local.body());
        }
    }

    #[test]
    fn sent_by_goes_on_the_organizer() {
        let m = only(sent_by());
        let local = sample("thunderbird");
        let server = map(&m, Side::Server, &local, None);
        assert!(unfolded(&server).contains(
            "ORGANIZER;RSVP=TRUE;PARTSTAT=ACCEPTED;ROLE=CHAIR;SENT-BY=\"mailto:assistant@example.com\":mailto:julia.huber@example.at\r\n"
        ), "{}", server.body());
        assert_untouched(&local, &server, &["ORGANIZER"]);
        assert_eq!(map(&m, Side::Local, &server, None).body(), local.body());
        // Another delegate's SENT-BY stays, both ways.
        let other = Item::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nORGANIZER;SENT-BY=\"mailto:b@example.org\":mailto:x@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        for to in [Side::Server, Side::Local] {
            assert_eq!(map(&m, to, &other, None).body(), other.body());
        }
    }

    #[test]
    fn attendees_stay_off_the_server() {
        let m = only(DropAttendees);
        assert!(m.lossy(Side::Server) && !m.lossy(Side::Local));
        let local = sample("google");
        let server = map(&m, Side::Server, &local, None);
        assert!(!server.has_property("ATTENDEE") && !server.has_property("ORGANIZER"));
        assert_untouched(&local, &server, &["ORGANIZER", "ATTENDEE"]);
        // Without the folder item to merge with, the server's copy is taken as it is.
        assert_eq!(map(&m, Side::Local, &server, None).body(), server.body());
    }

    /// The server copy edited, the folder copy keeps the rest.
    #[test]
    fn a_server_edit_keeps_the_folder_items_attendees() {
        let m = only(DropAttendees);
        let local = sample("outlook");
        let server = map(&m, Side::Server, &local, None);
        let edited = Item::parse(
            server
                .body()
                .replace("LOCATION:Meeting Room 2.14", "LOCATION:Room 3.01"),
        )
        .unwrap();
        let back = map(&m, Side::Local, &edited, Some(&local));
        assert_eq!(
            back.body(),
            local
                .body()
                .replace("LOCATION:Meeting Room 2.14", "LOCATION:Room 3.01")
        );
    }

    #[test]
    fn every_scheduling_option_round_trips_the_samples() {
        let mappings = [
            only(ScheduleAgentClient),
            only(SogoNoNotifications),
            only(sent_by()),
            only(DropAttendees),
        ];
        for (name, item) in samples() {
            for m in &mappings {
                assert_round_trip(m, &item);
                assert_idempotent(m, &item, None);
                assert_idempotent(m, &item, Some(&item));
            }
            let _ = name;
        }
    }

    proptest! {
        #[test]
        fn scheduling_options_round_trip_generated_items(item in arb_item()) {
            let all = crate::mapping::Mapping::new()
                .with(ScheduleAgentClient)
                .with(SogoNoNotifications)
                .with(sent_by());
            for m in [only(ScheduleAgentClient), only(SogoNoNotifications), only(sent_by()), only(DropAttendees), all] {
                assert_round_trip(&m, &item);
                assert_idempotent(&m, &item, None);
                let server = map(&m, Side::Server, &item, None);
                assert_untouched(&item, &server, &["ORGANIZER", "ATTENDEE", SOGO_NOTIFICATIONS]);
            }
        }
    }
}
