//! Contact groups in their two vCard shapes: vCard 4 (`KIND:group` +
//! `MEMBER:urn:uuid:…`, RFC 6350: Nextcloud, Thunderbird) and Apple's
//! (`X-ADDRESSBOOKSERVER-KIND:group` + `X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:…`,
//! iCloud, Fastmail, macOS; no hyphen between ADDRESSBOOK and SERVER).
//!
//! The conversion renames the two properties, keeping their parameters
//! (`CN` of a mailto member), values (members that are not contacts of the
//! address book stay `mailto:` members) and a vCard group prefix; every
//! other line keeps its bytes. Both shapes hold the same things, so it is
//! lossless both ways: a `KIND` other than `group` (`org`, `location`) goes
//! to `X-ADDRESSBOOKSERVER-KIND` as it is, and where a card holds both
//! spellings (`KIND` and `X-ADDRESSBOOKSERVER-KIND`) the one the shape does
//! not use stays as it is, an `X-` property beside the other.

use crate::item::{Item, ItemError, ItemKind};
use crate::vcard::param_decode;

/// The shape of a group vCard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupShape {
    /// `KIND:group` + `MEMBER`.
    Vcard4,
    /// `X-ADDRESSBOOKSERVER-KIND:group` + `X-ADDRESSBOOKSERVER-MEMBER`.
    Apple,
}

/// The vCard 4 kind property.
pub const KIND: &str = "KIND";
/// The vCard 4 member property.
pub const MEMBER: &str = "MEMBER";
/// Apple's kind property.
pub const APPLE_KIND: &str = "X-ADDRESSBOOKSERVER-KIND";
/// Apple's member property.
pub const APPLE_MEMBER: &str = "X-ADDRESSBOOKSERVER-MEMBER";

impl GroupShape {
    /// The kind and member property names of the shape.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            GroupShape::Vcard4 => (KIND, MEMBER),
            GroupShape::Apple => (APPLE_KIND, APPLE_MEMBER),
        }
    }

    /// The other shape.
    pub fn other(self) -> GroupShape {
        match self {
            GroupShape::Vcard4 => GroupShape::Apple,
            GroupShape::Apple => GroupShape::Vcard4,
        }
    }
}

/// One member of a group, as its `MEMBER` value names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A contact of the address book, by UID (`urn:uuid:UID`).
    Contact(String),
    /// Someone who is not a contact of the address book: an address and
    /// the name given (`CN`).
    Mailto {
        /// The e-mail address.
        email: String,
        /// The name, if given.
        name: Option<String>,
    },
    /// Any other URI, as written.
    Other(String),
}

impl Item {
    /// The shape of a group vCard: whose kind property says `group`
    /// (`None`: not a group).
    pub fn group_shape(&self) -> Option<GroupShape> {
        if self.kind() != ItemKind::Contact {
            return None;
        }
        let is_group = |name| {
            self.property_values(name)
                .iter()
                .any(|v| v.trim().eq_ignore_ascii_case("group"))
        };
        if is_group(KIND) {
            Some(GroupShape::Vcard4)
        } else if is_group(APPLE_KIND) {
            Some(GroupShape::Apple)
        } else {
            None
        }
    }

    /// The members of a group, in either shape, in order.
    pub fn group_members(&self) -> Vec<Member> {
        let mut out = Vec::new();
        // Read through the editor, which changes nothing here.
        let _ = self.edit_components(|c| {
            c.edit(|p| {
                let name = p.name();
                if name != MEMBER && name != APPLE_MEMBER {
                    return;
                }
                let value = p.value().trim();
                let lower = value.to_ascii_lowercase();
                out.push(if lower.starts_with("urn:uuid:") {
                    Member::Contact(value["urn:uuid:".len()..].to_string())
                } else if lower.starts_with("mailto:") {
                    Member::Mailto {
                        email: value["mailto:".len()..].to_string(),
                        name: p.param("CN").map(|n| param_decode(&n)),
                    }
                } else {
                    Member::Other(value.to_string())
                });
            })
        });
        out
    }

    /// The card with its kind and member properties in `shape`'s names
    /// (see the module). A card with neither is returned as it is.
    pub fn with_group_shape(&self, shape: GroupShape) -> Result<Item, ItemError> {
        if self.kind() != ItemKind::Contact {
            return Ok(self.clone());
        }
        let (kind, member) = shape.names();
        let (from_kind, from_member) = shape.other().names();
        self.edit_components(|c| {
            let keep_kind = c.has(kind);
            let keep_member = c.has(member);
            c.edit(|p| {
                let name = p.name();
                if name == from_kind && !keep_kind {
                    p.rename(kind);
                } else if name == from_member && !keep_member {
                    p.rename(member);
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g1\r\nKIND:group\r\nFN:Team\r\nMEMBER:urn:uuid:a-1\r\nMEMBER;CN=\"Doe, Ann\":mailto:ann@example.org\r\nitem1.X-ABLabel:x\r\nEND:VCARD\r\n";

    #[test]
    fn vcard4_and_apple_shapes_convert_both_ways_byte_for_byte() {
        let v4 = Item::parse(V4).unwrap();
        assert_eq!(v4.group_shape(), Some(GroupShape::Vcard4));
        let apple = v4.with_group_shape(GroupShape::Apple).unwrap();
        assert_eq!(apple.group_shape(), Some(GroupShape::Apple));
        assert_eq!(
            apple.body(),
            V4.replace("KIND:", "X-ADDRESSBOOKSERVER-KIND:")
                .replace("MEMBER:", "X-ADDRESSBOOKSERVER-MEMBER:")
                .replace("MEMBER;", "X-ADDRESSBOOKSERVER-MEMBER;")
        );
        assert_eq!(
            apple.with_group_shape(GroupShape::Apple).unwrap().body(),
            apple.body()
        );
        assert_eq!(
            apple.with_group_shape(GroupShape::Vcard4).unwrap().body(),
            V4
        );
        let members = apple.group_members();
        assert_eq!(
            members,
            [
                Member::Contact("a-1".into()),
                Member::Mailto {
                    email: "ann@example.org".into(),
                    name: Some("Doe, Ann".into())
                }
            ]
        );
        assert_eq!(members, v4.group_members());
    }

    #[test]
    fn a_card_with_both_kind_spellings_keeps_the_other_as_it_is() {
        let both = V4.replace(
            "KIND:group\r\n",
            "KIND:group\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n",
        );
        let item = Item::parse(both.clone()).unwrap();
        let apple = item.with_group_shape(GroupShape::Apple).unwrap();
        assert!(
            apple
                .body()
                .contains("\r\nKIND:group\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n")
        );
        let back = apple.with_group_shape(GroupShape::Vcard4).unwrap();
        assert_eq!(back.body(), both);
    }

    #[test]
    fn a_group_prefix_and_a_contact_without_kind_stay() {
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:A\r\nN:A;;;;\r\nEND:VCARD\r\n";
        let item = Item::parse(card).unwrap();
        assert_eq!(item.group_shape(), None);
        assert_eq!(
            item.with_group_shape(GroupShape::Vcard4).unwrap().body(),
            card
        );
        let grouped = V4.replace("MEMBER:urn", "g.MEMBER:urn");
        let apple = Item::parse(grouped)
            .unwrap()
            .with_group_shape(GroupShape::Apple)
            .unwrap();
        assert!(
            apple
                .body()
                .contains("g.X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:a-1")
        );
    }
}
