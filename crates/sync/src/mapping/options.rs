//! A calendar profile's mapping options as one value, and the order in
//! which their transforms join a [`Mapping`].

use super::{
    ClassMapping, DropAttendees, DropDescription, HtmlDescription, Mapping, OrganizerSentBy,
    PrivateEvents, PrivateMode, PropertyMap, PropertyRule, ScheduleAgentClient,
    SogoNoNotifications,
};

/// The scheduling, privacy, description and custom-property options of an
/// events or tasks profile. The default changes nothing but adding
/// `SCHEDULE-AGENT=CLIENT` (see the README for why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarOptions {
    /// `schedule_agent_client`.
    pub schedule_agent_client: bool,
    /// `sogo_no_notifications`.
    pub sogo_no_notifications: bool,
    /// `map_attendees`.
    pub map_attendees: bool,
    /// `organizer_sent_by` (`mailto:…`).
    pub organizer_sent_by: Option<String>,
    /// `class_public_omit`, `class_private_as_confidential`, `class_confidential_as_private`.
    pub class: ClassMapping,
    /// `private_events`.
    pub private_events: PrivateMode,
    /// `description = "drop"`.
    pub drop_description: bool,
    /// `html_description = "text"`.
    pub html_description_as_text: bool,
    /// `property_map`.
    pub property_map: Vec<PropertyRule>,
}

impl Default for CalendarOptions {
    fn default() -> Self {
        CalendarOptions {
            schedule_agent_client: true,
            sogo_no_notifications: false,
            map_attendees: true,
            organizer_sent_by: None,
            class: ClassMapping::default(),
            private_events: PrivateMode::Sync,
            drop_description: false,
            html_description_as_text: false,
            property_map: Vec::new(),
        }
    }
}

impl Mapping {
    /// Adds the transforms of `options`. Call it before adding a category
    /// filter. The order (on the way to the folder; the way to the server
    /// is the reverse) keeps the merges right: first the transforms that
    /// only add to the server copy and take it off again (scheduling, then
    /// `property_map`), so that on the way to the server they act on the
    /// busy copy too; then the lossy ones, busy time first since it
    /// restores the most, so that on the way to the folder what they
    /// restore from the folder item is in the folder's form, which the
    /// (idempotent) transforms after them leave as it is.
    pub fn with_calendar_options(self, options: &CalendarOptions) -> Mapping {
        let mut m = self;
        if options.schedule_agent_client {
            m = m.with(ScheduleAgentClient);
        }
        if options.sogo_no_notifications {
            m = m.with(SogoNoNotifications);
        }
        if let Some(address) = &options.organizer_sent_by {
            m = m.with(OrganizerSentBy {
                address: address.clone(),
            });
        }
        if !options.property_map.is_empty() {
            m = m.with(PropertyMap(options.property_map.clone()));
        }
        if options.private_events != PrivateMode::Sync {
            m = m.with(PrivateEvents(options.private_events));
        }
        if options.html_description_as_text {
            m = m.with(HtmlDescription);
        }
        if options.drop_description {
            m = m.with(DropDescription);
        }
        if !options.map_attendees {
            m = m.with(DropAttendees);
        }
        if options.class.is_active() {
            m = m.with(options.class);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::*;
    use crate::mapping::{CategoryFilter, Direction, KindFilter};
    use crate::planner::Side;
    use davsync_pim::{Item, ItemKind};
    use proptest::prelude::*;

    fn everything(private_events: PrivateMode) -> CalendarOptions {
        CalendarOptions {
            schedule_agent_client: true,
            sogo_no_notifications: true,
            map_attendees: true,
            organizer_sent_by: Some("mailto:assistant@example.com".into()),
            class: ClassMapping {
                public_omit: true,
                private_as_confidential: true,
                confidential_as_private: false,
            },
            private_events,
            drop_description: true,
            html_description_as_text: false,
            property_map: vec![
                PropertyRule::Rename {
                    from: "X-MOZ-LASTACK".into(),
                    to: "X-OTHER".into(),
                    towards: Direction::ToServer,
                },
                PropertyRule::Set {
                    name: "X-FOO".into(),
                    value: "bar".into(),
                },
                PropertyRule::Drop {
                    name: "X-MOZ-GENERATION".into(),
                    towards: Direction::ToServer,
                },
            ],
        }
    }

    fn profile(options: &CalendarOptions, kind: ItemKind) -> crate::mapping::Mapping {
        Mapping::new()
            .with(KindFilter(kind))
            .with_calendar_options(options)
            .with(CategoryFilter {
                category: "Work".into(),
                include_uncategorized: true,
                negate: false,
                sticky: false,
            })
    }

    #[test]
    fn the_default_only_adds_schedule_agent() {
        let m = Mapping::new().with_calendar_options(&CalendarOptions::default());
        let local = sample("thunderbird");
        let server = map(&m, Side::Server, &local, None);
        assert_untouched(&local, &server, &["ORGANIZER", "ATTENDEE"]);
        assert!(!m.lossy(Side::Server) && !m.lossy(Side::Local));
    }

    #[test]
    fn all_options_together_round_trip_the_samples() {
        for mode in [PrivateMode::Sync, PrivateMode::Busy] {
            let options = everything(mode);
            for (name, item) in samples() {
                let m = profile(&options, item.kind());
                let local = item.with_category_added("Work").unwrap();
                assert_round_trip(&m, &local);
                assert_idempotent(&m, &local, None);
                assert_idempotent(&m, &local, Some(&local));
                let _ = name;
            }
        }
    }

    /// A busy copy edited on the server, with the category filter and every
    /// other option: the folder item keeps its categories, description and
    /// the rest, and takes the new time.
    #[test]
    fn a_server_edit_of_a_busy_copy_keeps_the_folder_item_whole() {
        let options = everything(PrivateMode::Busy);
        let local = sample("thunderbird").with_category_added("Work").unwrap();
        let m = profile(&options, ItemKind::Event);
        let server = map(&m, Side::Server, &local, None);
        assert_eq!(server.summary(), Some("Busy"));
        assert!(!server.has_property("CATEGORIES"));
        // What the server copy gets added, the busy copy gets too.
        assert_eq!(server.property_values("X-FOO"), ["bar"]);
        assert_eq!(
            server.property_values("X-SOGO-SEND-APPOINTMENT-NOTIFICATIONS"),
            ["NO"]
        );
        assert_eq!(server.property_values("CLASS"), ["CONFIDENTIAL"]);
        let moved = Item::parse(server.body().replace("T081500", "T091500")).unwrap();
        let back = map(&m, Side::Local, &moved, Some(&local));
        assert_eq!(back.body(), local.body().replace("T081500", "T091500"));
    }

    /// An item written with LF line ends and long lines unfolded comes back
    /// with the same content: the lines an option edits are folded the RFC
    /// way, the others keep their bytes.
    #[test]
    fn an_lf_item_comes_back_with_the_same_content() {
        let body = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:lf\nDTSTART:20260102T100000Z\nSUMMARY:A meeting with a rather long list of attendees on one unfolded line\nORGANIZER;CN=Somebody With A Long Name:mailto:somebody.with.a.long.name@example.org\nATTENDEE;CN=Another Person With A Long Name;RSVP=TRUE:mailto:another@example.org\nCLASS:PUBLIC\nEND:VEVENT\nEND:VCALENDAR\n";
        let local = Item::parse(body)
            .unwrap()
            .with_category_added("Work")
            .unwrap();
        let m = profile(&everything(PrivateMode::Busy), ItemKind::Event);
        let server = map(&m, Side::Server, &local, None);
        let back = map(&m, Side::Local, &server, Some(&local));
        assert_eq!(back.content_hash(), local.content_hash());
        assert_eq!(back.content_lines(), local.content_lines());
        assert!(back.body().contains(
            "\nSUMMARY:A meeting with a rather long list of attendees on one unfolded line\n"
        ));
    }

    proptest! {
        #[test]
        fn all_options_together_round_trip_generated_items(item in arb_item(), busy in any::<bool>()) {
            let mode = if busy { PrivateMode::Busy } else { PrivateMode::Sync };
            let m = profile(&everything(mode), item.kind());
            let local = item.with_category_added("Work").unwrap();
            assert_round_trip(&m, &local);
            assert_idempotent(&m, &local, None);
        }
    }
}
