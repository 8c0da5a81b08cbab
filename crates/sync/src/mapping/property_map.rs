//! Custom properties (`[[profiles.NAME.property_map]]`): a property renamed
//! on the way to one side (and back on the way to the other), a fixed
//! property set on the way to the server, or a property dropped.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemError, escape_text};

/// Which way a rule works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// On the way to the server.
    ToServer,
    /// On the way to the folder.
    ToLocal,
    /// Both ways.
    Both,
}

impl Direction {
    /// Whether the rule works on the way to `to`.
    pub fn includes(self, to: Side) -> bool {
        match self {
            Direction::ToServer => to == Side::Server,
            Direction::ToLocal => to == Side::Local,
            Direction::Both => true,
        }
    }
}

/// One entry of `property_map`. Names are in upper case; rules act on the
/// own properties of events and tasks (not those of their alarms, nor the
/// calendar's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyRule {
    /// `from` becomes `to` on the way to `towards`, and `to` becomes `from`
    /// again on the way to the other side, so that a round trip gives the
    /// item back (a side's own `to` properties take part in that too: name
    /// one that side does not use). `towards` is never [`Direction::Both`].
    Rename {
        /// The name on the side the item comes from.
        from: String,
        /// The name on the side it goes to.
        to: String,
        /// Which way `from` becomes `to`.
        towards: Direction,
    },
    /// The server copy carries `name:value` (TEXT, escaped here), replacing
    /// the item's own `name`; the property is removed on the way to the
    /// folder when it has this value, and the folder item keeps its own.
    Set {
        /// The property.
        name: String,
        /// Its value, unescaped.
        value: String,
    },
    /// `name` is left off the copy written on the way(s) `towards`; the side
    /// that has one keeps it when a change comes back.
    Drop {
        /// The property.
        name: String,
        /// Which way(s).
        towards: Direction,
    },
}

/// Properties a rule may not name: they make an item what it is.
pub const PROTECTED: [&str; 4] = ["BEGIN", "END", "UID", "RECURRENCE-ID"];

/// Checks a property name for a rule: letters, digits and `-`, not one of
/// [`PROTECTED`]. Returns it in upper case.
pub fn property_name(name: &str) -> Result<String, String> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "{name:?} is not a property name (letters, digits and `-`, such as X-MOZ-LASTACK)"
        ));
    }
    if PROTECTED.contains(&upper.as_str()) {
        return Err(format!(
            "{upper} cannot be mapped: it makes the item what it is"
        ));
    }
    Ok(upper)
}

impl PropertyRule {
    /// Whether the rule leaves something off the copy written on `to`.
    fn lossy(&self, to: Side) -> bool {
        match self {
            PropertyRule::Rename { .. } => false,
            PropertyRule::Set { .. } => to == Side::Server,
            PropertyRule::Drop { towards, .. } => towards.includes(to),
        }
    }

    /// The property a lossy rule restores from the receiving side's item.
    fn owned(&self) -> &str {
        match self {
            PropertyRule::Rename { from, .. } => from,
            PropertyRule::Set { name, .. } | PropertyRule::Drop { name, .. } => name,
        }
    }

    fn apply(&self, to: Side, item: Item, current: Option<&Item>) -> Result<Item, ItemError> {
        let item = match self {
            PropertyRule::Rename {
                from,
                to: renamed,
                towards,
            } => {
                let (old, new) = if towards.includes(to) {
                    (from, renamed)
                } else {
                    (renamed, from)
                };
                item.edit_components(|c| {
                    c.edit(|p| {
                        if &p.name() == old {
                            p.rename(new);
                        }
                    })
                })?
            }
            PropertyRule::Set { name, value } => {
                let escaped = escape_text(value);
                item.edit_components(|c| match to {
                    Side::Server => {
                        if c.values(name) != [escaped.as_str()] {
                            c.remove(name);
                            c.add(&format!("{name}:{escaped}"));
                        }
                    }
                    Side::Local => c.edit(|p| {
                        if &p.name() == name && p.text() == *value {
                            p.remove();
                        }
                    }),
                })?
            }
            PropertyRule::Drop { name, towards } => {
                if towards.includes(to) {
                    item.with_property_removed(name)?
                } else {
                    item
                }
            }
        };
        // What the rule leaves off the other side's copy, that side keeps.
        match current {
            Some(current) if self.lossy(to.other()) => {
                let name = self.owned();
                item.edit_components_with(Some(current), |c, peer| {
                    if let Some(peer) = peer {
                        c.restore_from(peer, |n| n == name);
                    }
                })
            }
            _ => Ok(item),
        }
    }
}

/// The profile's `property_map`: its rules, applied in order on the way to
/// the folder and in reverse order on the way to the server.
#[derive(Debug, Clone, Default)]
pub struct PropertyMap(pub Vec<PropertyRule>);

impl Transform for PropertyMap {
    fn name(&self) -> &'static str {
        "property_map"
    }

    fn lossy(&self, to: Side) -> bool {
        self.0.iter().any(|r| r.lossy(to))
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !item.kind().is_calendar() {
            return Ok(item);
        }
        let apply = |item: Item, rule: &PropertyRule| rule.apply(to, item, context.current);
        match to {
            Side::Local => self.0.iter().try_fold(item, apply),
            Side::Server => self.0.iter().rev().try_fold(item, apply),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::*;
    use proptest::prelude::*;

    fn rename(from: &str, to: &str, towards: Direction) -> PropertyRule {
        PropertyRule::Rename {
            from: from.into(),
            to: to.into(),
            towards,
        }
    }

    fn set(name: &str, value: &str) -> PropertyRule {
        PropertyRule::Set {
            name: name.into(),
            value: value.into(),
        }
    }

    fn drop(name: &str, towards: Direction) -> PropertyRule {
        PropertyRule::Drop {
            name: name.into(),
            towards,
        }
    }

    fn rules(rules: Vec<PropertyRule>) -> crate::mapping::Mapping {
        only(PropertyMap(rules))
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(property_name("x-moz-lastack").unwrap(), "X-MOZ-LASTACK");
        assert!(property_name("X FOO").is_err());
        assert!(property_name("").is_err());
        assert!(property_name("uid").unwrap_err().contains("UID"));
    }

    #[test]
    fn a_rename_goes_one_way_and_comes_back() {
        let m = rules(vec![rename(
            "X-MOZ-LASTACK",
            "X-OTHER",
            Direction::ToServer,
        )]);
        let local = sample("thunderbird");
        let server = map(&m, Side::Server, &local, None);
        assert_eq!(server.property_values("X-OTHER"), ["20261203T071512Z"]);
        assert!(!server.has_property("X-MOZ-LASTACK"));
        assert_untouched(&local, &server, &["X-MOZ-LASTACK", "X-OTHER"]);
        assert_eq!(map(&m, Side::Local, &server, None).body(), local.body());
        // The other way: the server's name becomes the folder's.
        let m = rules(vec![rename("X-OTHER", "X-MOZ-LASTACK", Direction::ToLocal)]);
        assert_eq!(map(&m, Side::Local, &server, None).body(), local.body());
        // The alarm's properties are not the event's.
        let m = rules(vec![rename("ACTION", "X-ACTION", Direction::ToServer)]);
        assert_eq!(map(&m, Side::Server, &local, None).body(), local.body());
    }

    #[test]
    fn a_set_property_goes_up_and_comes_off() {
        let m = rules(vec![set("X-FOO", "bar, baz")]);
        for (_, local) in samples() {
            let server = map(&m, Side::Server, &local, None);
            assert_eq!(server.property_values("X-FOO")[0], "bar\\, baz");
            assert_untouched(&local, &server, &["X-FOO"]);
            assert_eq!(map(&m, Side::Local, &server, None).body(), local.body());
        }
    }

    /// The server copy edited, the folder copy keeps the rest: its own
    /// value of a property the server copy sets, and a dropped one.
    #[test]
    fn a_server_edit_keeps_the_folder_items_own_properties() {
        let local = sample("apple");
        let m = rules(vec![
            set("X-APPLE-TRAVEL-ADVISORY-BEHAVIOR", "DISABLED"),
            drop("X-APPLE-STRUCTURED-LOCATION", Direction::ToServer),
        ]);
        assert!(m.lossy(Side::Server) && !m.lossy(Side::Local));
        let server = map(&m, Side::Server, &local, None);
        assert_eq!(
            server.property_values("X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"),
            ["DISABLED"]
        );
        assert!(!server.has_property("X-APPLE-STRUCTURED-LOCATION"));
        let edited = Item::parse(server.body().replace("SEQUENCE:0", "SEQUENCE:2")).unwrap();
        let back = map(&m, Side::Local, &edited, Some(&local));
        assert_eq!(
            back.body(),
            local.body().replace("SEQUENCE:0", "SEQUENCE:2")
        );
    }

    /// Dropped both ways, the property never crosses: each side keeps its own.
    #[test]
    fn a_property_dropped_both_ways_stays_on_each_side() {
        let m = rules(vec![drop("X-MOZ-GENERATION", Direction::Both)]);
        assert!(m.lossy(Side::Server) && m.lossy(Side::Local));
        let local = sample("thunderbird");
        let server = map(&m, Side::Server, &local, None);
        assert!(!server.has_property("X-MOZ-GENERATION"));
        let server_own = Item::parse(server.body().replace(
            "TRANSP:OPAQUE\r\n",
            "TRANSP:OPAQUE\r\nX-MOZ-GENERATION:9\r\n",
        ))
        .unwrap();
        let back = map(&m, Side::Local, &server_own, Some(&local));
        assert_eq!(back.body(), local.body());
        let up = map(&m, Side::Server, &local, Some(&server_own));
        assert_eq!(up.body(), server_own.body());
        // Without the other side's item: left off.
        assert!(!map(&m, Side::Local, &server_own, None).has_property("X-MOZ-GENERATION"));
    }

    #[test]
    fn property_maps_round_trip_the_samples() {
        let m = rules(vec![
            rename("X-MOZ-LASTACK", "X-OTHER-LASTACK", Direction::ToServer),
            set("X-FOO", "bar"),
            drop("X-MICROSOFT-CDO-BUSYSTATUS", Direction::ToServer),
            drop("X-BAR", Direction::Both),
        ]);
        // A rename towards the folder: a server item goes there and back.
        let down = rules(vec![rename(
            "X-GOOGLE-CONFERENCE",
            "X-CONFERENCE",
            Direction::ToLocal,
        )]);
        for (_, item) in samples() {
            assert_round_trip(&m, &item);
            assert_idempotent(&m, &item, None);
            assert_idempotent(&m, &item, Some(&item));
            let local = map(&down, Side::Local, &item, None);
            assert_eq!(map(&down, Side::Server, &local, None).body(), item.body());
        }
    }

    proptest! {
        #[test]
        fn property_maps_round_trip_generated_items(item in arb_item()) {
            let m = rules(vec![
                rename("X-MOZ-LASTACK", "X-OTHER-LASTACK", Direction::ToServer),
                set("X-FOO", "bar"),
                drop("X-MICROSOFT-CDO-BUSYSTATUS", Direction::ToServer),
                drop("X-BAR", Direction::Both),
            ]);
            assert_round_trip(&m, &item);
            assert_idempotent(&m, &item, None);
            let server = map(&m, Side::Server, &item, None);
            assert_untouched(&item, &server, &["X-MOZ-LASTACK", "X-OTHER-LASTACK", "X-FOO", "X-MICROSOFT-CDO-BUSYSTATUS", "X-BAR"]);
        }
    }
}
