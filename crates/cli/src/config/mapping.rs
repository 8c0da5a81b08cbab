//! The mapping options of a calendar profile (scheduling, privacy,
//! descriptions, `property_map`): their raw shape and their checks.

use super::keys;
use super::profile::Content;
use super::raw::{RawProfile, from_table};
use davsync_sync::mapping::{
    CalendarOptions, ClassMapping, Direction, PrivateMode, PropertyRule, property_name,
};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// `private_events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawPrivateEvents {
    Sync,
    Skip,
    Busy,
}

/// `description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawDescription {
    Keep,
    Drop,
}

/// `html_description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawHtmlDescription {
    Keep,
    Text,
}

/// The `direction` of a `property_map` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawDirection {
    ToServer,
    ToLocal,
    Both,
}

impl From<RawDirection> for Direction {
    fn from(d: RawDirection) -> Direction {
        match d {
            RawDirection::ToServer => Direction::ToServer,
            RawDirection::ToLocal => Direction::ToLocal,
            RawDirection::Both => Direction::Both,
        }
    }
}

/// One `[[profiles.NAME.property_map]]` entry, as written: `from` and `to`
/// (a rename), `set` and `value`, or `drop`; `direction` for a rename or a drop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPropertyRule {
    from: Option<String>,
    to: Option<String>,
    set: Option<String>,
    value: Option<String>,
    drop: Option<String>,
    direction: Option<RawDirection>,
}

/// A message about a key of the profile: its span, the key, the message.
type KeyError = (Range<usize>, &'static str, String);

/// The mapping keys given in `raw`, with their spans, in the order of the table.
fn given(raw: &RawProfile) -> Vec<(&'static str, Range<usize>)> {
    let flags = [
        (keys::SCHEDULE_AGENT_CLIENT.name, &raw.schedule_agent_client),
        (keys::SOGO_NO_NOTIFICATIONS.name, &raw.sogo_no_notifications),
        (keys::MAP_ATTENDEES.name, &raw.map_attendees),
        (keys::CLASS_PUBLIC_OMIT.name, &raw.class_public_omit),
        (
            keys::CLASS_PRIVATE_AS_CONFIDENTIAL.name,
            &raw.class_private_as_confidential,
        ),
        (
            keys::CLASS_CONFIDENTIAL_AS_PRIVATE.name,
            &raw.class_confidential_as_private,
        ),
    ]
    .map(|(k, v)| (k, v.as_ref().map(Spanned::span)));
    let others = [
        (
            keys::ORGANIZER_SENT_BY.name,
            raw.organizer_sent_by.as_ref().map(Spanned::span),
        ),
        (
            keys::PRIVATE_EVENTS.name,
            raw.private_events.as_ref().map(Spanned::span),
        ),
        (
            keys::DESCRIPTION.name,
            raw.description.as_ref().map(Spanned::span),
        ),
        (
            keys::HTML_DESCRIPTION.name,
            raw.html_description.as_ref().map(Spanned::span),
        ),
        (
            keys::PROPERTY_MAP.name,
            raw.property_map.as_ref().map(Spanned::span),
        ),
    ];
    flags
        .into_iter()
        .chain(others)
        .filter_map(|(k, span)| Some((k, span?)))
        .collect()
}

/// Reads the mapping options of a profile; a contacts profile may give none.
pub(super) fn mapping_of(raw: &RawProfile) -> Result<CalendarOptions, KeyError> {
    if raw.content == Content::Contacts {
        if let Some((key, span)) = given(raw).into_iter().next() {
            return Err((
                span,
                key,
                "a mapping option applies to events and tasks, not to a contacts profile".into(),
            ));
        }
        return Ok(CalendarOptions::default());
    }
    let flag = |value: &Option<Spanned<bool>>, key: &keys::Key| {
        value.as_ref().map_or(key.bool_default(), |v| *v.get_ref())
    };
    let class = ClassMapping {
        public_omit: flag(&raw.class_public_omit, &keys::CLASS_PUBLIC_OMIT),
        private_as_confidential: flag(
            &raw.class_private_as_confidential,
            &keys::CLASS_PRIVATE_AS_CONFIDENTIAL,
        ),
        confidential_as_private: flag(
            &raw.class_confidential_as_private,
            &keys::CLASS_CONFIDENTIAL_AS_PRIVATE,
        ),
    };
    if class.private_as_confidential
        && class.confidential_as_private
        && let Some(at) = &raw.class_confidential_as_private
    {
        return Err((
            at.span(),
            keys::CLASS_CONFIDENTIAL_AS_PRIVATE.name,
            "class_private_as_confidential and class_confidential_as_private exclude each other"
                .into(),
        ));
    }
    let organizer_sent_by = match &raw.organizer_sent_by {
        None => None,
        Some(v) => Some(
            sent_by(v.get_ref())
                .map_err(|message| (v.span(), keys::ORGANIZER_SENT_BY.name, message))?,
        ),
    };
    let private_events = match raw
        .private_events
        .as_ref()
        .map_or_else(|| from_table(&keys::PRIVATE_EVENTS), |v| *v.get_ref())
    {
        RawPrivateEvents::Sync => PrivateMode::Sync,
        RawPrivateEvents::Skip => PrivateMode::Skip,
        RawPrivateEvents::Busy => PrivateMode::Busy,
    };
    let description = raw
        .description
        .as_ref()
        .map_or_else(|| from_table(&keys::DESCRIPTION), |v| *v.get_ref());
    let html = raw
        .html_description
        .as_ref()
        .map_or_else(|| from_table(&keys::HTML_DESCRIPTION), |v| *v.get_ref());
    let mut property_map = Vec::new();
    if let Some(entries) = &raw.property_map {
        for (i, entry) in entries.get_ref().iter().enumerate() {
            let rule = property_rule(entry.get_ref()).map_err(|message| {
                (
                    entry.span(),
                    keys::PROPERTY_MAP.name,
                    format!("entry {}: {message}", i + 1),
                )
            })?;
            property_map.push(rule);
        }
    }
    Ok(CalendarOptions {
        schedule_agent_client: flag(&raw.schedule_agent_client, &keys::SCHEDULE_AGENT_CLIENT),
        sogo_no_notifications: flag(&raw.sogo_no_notifications, &keys::SOGO_NO_NOTIFICATIONS),
        map_attendees: flag(&raw.map_attendees, &keys::MAP_ATTENDEES),
        organizer_sent_by,
        class,
        private_events,
        drop_description: description == RawDescription::Drop,
        html_description_as_text: html == RawHtmlDescription::Text,
        property_map,
    })
}

/// Checks `organizer_sent_by`: a `mailto:` address.
fn sent_by(value: &str) -> Result<String, String> {
    let value = value.trim();
    let address = value
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .map(|_| &value[7..]);
    match address {
        Some(a)
            if a.contains('@')
                && !a.contains(|c: char| c == '"' || c.is_whitespace() || c.is_control()) =>
        {
            Ok(value.to_string())
        }
        _ => Err(format!(
            "{value:?} is not an address such as \"mailto:assistant@example.com\""
        )),
    }
}

/// Checks one `property_map` entry.
fn property_rule(raw: &RawPropertyRule) -> Result<PropertyRule, String> {
    let kinds = [
        raw.from.is_some() || raw.to.is_some(),
        raw.set.is_some() || raw.value.is_some(),
        raw.drop.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err("give either `from` and `to` (a rename), `set` and `value`, or `drop`".into());
    }
    if let Some(drop) = &raw.drop {
        return Ok(PropertyRule::Drop {
            name: property_name(drop)?,
            towards: raw.direction.unwrap_or(RawDirection::ToServer).into(),
        });
    }
    if raw.set.is_some() || raw.value.is_some() {
        let (Some(name), Some(value)) = (&raw.set, &raw.value) else {
            return Err("`set` needs a `value`, and `value` a `set`".into());
        };
        if raw.direction.is_some_and(|d| d != RawDirection::ToServer) {
            return Err(
                "a `set` property goes to the server only (`direction = \"to_server\"`)".into(),
            );
        }
        if value.contains(|c: char| c.is_control() && c != '\n') {
            return Err(
                "the `value` may not hold control characters other than line breaks".into(),
            );
        }
        return Ok(PropertyRule::Set {
            name: property_name(name)?,
            value: value.clone(),
        });
    }
    let (Some(from), Some(to)) = (&raw.from, &raw.to) else {
        return Err("a rename needs both `from` and `to`".into());
    };
    let (from, to) = (property_name(from)?, property_name(to)?);
    if from == to {
        return Err(format!("`from` and `to` are both {from}"));
    }
    let towards = match raw.direction.unwrap_or(RawDirection::ToServer) {
        RawDirection::Both => {
            return Err(
                "a rename goes one way (`direction = \"to_server\"` or \"to_local\") and is undone \
                 the other way, so that an item comes back as it was"
                    .into(),
            );
        }
        d => d.into(),
    };
    Ok(PropertyRule::Rename { from, to, towards })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use davsync_sync::mapping::{Direction, PrivateMode, PropertyRule};
    use std::path::Path;

    fn profile(content: &str, extra: &str) -> String {
        format!(
            "[profiles.p]\ncontent = \"{content}\"\n{extra}\nlocal = {{ type = \"vdir\", path = \"a\" }}\n\
             server = {{ type = \"vdir\", path = \"b\" }}\n"
        )
    }

    fn parse(source: &str) -> anyhow::Result<Config> {
        Config::parse(source, Path::new("/x/c.toml"))
    }

    fn error_of(source: &str) -> String {
        format!("{:#}", parse(source).unwrap_err())
    }

    #[test]
    fn mapping_options_are_read() {
        let source = profile(
            "tasks",
            "schedule_agent_client = false\nsogo_no_notifications = true\nmap_attendees = false\n\
             organizer_sent_by = \"mailto:me@example.org\"\nclass_public_omit = true\n\
             class_private_as_confidential = true\nprivate_events = \"busy\"\n\
             description = \"drop\"\nhtml_description = \"text\"",
        ) + "[[profiles.p.property_map]]\nfrom = \"x-moz-lastack\"\nto = \"X-OTHER\"\n\
             [[profiles.p.property_map]]\nset = \"X-FOO\"\nvalue = \"bar\"\n\
             [[profiles.p.property_map]]\ndrop = \"X-BAR\"\ndirection = \"both\"\n";
        let config = parse(&source).unwrap();
        let m = &config.profiles[0].mapping;
        assert!(!m.schedule_agent_client && m.sogo_no_notifications && !m.map_attendees);
        assert_eq!(
            m.organizer_sent_by.as_deref(),
            Some("mailto:me@example.org")
        );
        assert!(m.class.public_omit && m.class.private_as_confidential);
        assert_eq!(m.private_events, PrivateMode::Busy);
        assert!(m.drop_description && m.html_description_as_text);
        assert_eq!(
            m.property_map,
            [
                PropertyRule::Rename {
                    from: "X-MOZ-LASTACK".into(),
                    to: "X-OTHER".into(),
                    towards: Direction::ToServer
                },
                PropertyRule::Set {
                    name: "X-FOO".into(),
                    value: "bar".into()
                },
                PropertyRule::Drop {
                    name: "X-BAR".into(),
                    towards: Direction::Both
                },
            ]
        );
    }

    #[test]
    fn a_contacts_profile_takes_no_mapping_option() {
        let e = error_of(&profile("contacts", "private_events = \"skip\""));
        assert!(
            e.contains("key `profiles.p.private_events`") && e.contains("not to a contacts"),
            "{e}"
        );
        let e =
            error_of(&(profile("contacts", "") + "[[profiles.p.property_map]]\ndrop = \"X-A\"\n"));
        assert!(e.contains("key `profiles.p.property_map`"), "{e}");
    }

    #[test]
    fn bad_mapping_options_are_named() {
        for (extra, says) in [
            (
                "organizer_sent_by = \"me@example.org\"",
                "organizer_sent_by`: \"me@example.org\" is not an address",
            ),
            (
                "class_private_as_confidential = true\nclass_confidential_as_private = true",
                "exclude each other",
            ),
            ("private_events = \"hide\"", "sync"),
        ] {
            let e = error_of(&profile("events", extra));
            assert!(e.contains(says), "{extra}: {e}");
        }
        for (entry, says) in [
            ("from = \"X-A\"", "entry 2: a rename needs both"),
            (
                "from = \"X-A\"\nto = \"X-A\"",
                "entry 2: `from` and `to` are both X-A",
            ),
            (
                "from = \"X-A\"\nto = \"X-B\"\ndirection = \"both\"",
                "entry 2: a rename goes one way",
            ),
            ("set = \"X-A\"", "entry 2: `set` needs a `value`"),
            (
                "set = \"X-A\"\nvalue = \"v\"\ndirection = \"to_local\"",
                "goes to the server only",
            ),
            ("drop = \"UID\"", "entry 2: UID cannot be mapped"),
            ("drop = \"X A\"", "is not a property name"),
            ("drop = \"X-A\"\nset = \"X-B\"", "entry 2: give either"),
            ("drop = \"X-A\"\nnot_a_key = 1", "unknown field `not_a_key`"),
            (
                "drop = \"X-A\"\ndirection = \"up\"",
                "key `profiles.p.property_map.direction`: unknown variant `up`, expected one of `to_server`",
            ),
        ] {
            let source = profile("events", "")
                + "[[profiles.p.property_map]]\ndrop = \"X-OK\"\n[[profiles.p.property_map]]\n"
                + entry
                + "\n";
            let e = error_of(&source);
            assert!(e.contains(says), "{entry}: {e}");
            assert!(e.contains("line"), "{e}");
        }
    }
}
