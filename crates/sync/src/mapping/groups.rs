//! The group format option (`group_format`): contact groups in the folder in
//! the vCard 4 shape (`KIND:group` + `MEMBER`) or Apple's
//! (`X-ADDRESSBOOKSERVER-KIND:group` + `X-ADDRESSBOOKSERVER-MEMBER`), the
//! server's in the shape the server holds. With `"keep"` (the default) a
//! group keeps the shape its folder copy has, and a new one takes vCard 4
//! (Apple's in a 3.0 folder).
//!
//! Towards the folder a group card is converted to the chosen shape
//! (`davsync_pim`'s `with_group_shape`: the two properties renamed, members
//! and their parameters as they are, so `mailto:` members stay mailto
//! members); cards that are no groups are left alone. Towards the server a
//! group goes in the shape the server's copy has ([`MapContext::current`],
//! given since the option is [lossy](Transform::lossy) towards the folder),
//! a new one as the folder holds it. Which shape a server wants for new
//! groups, and SOGo's lists, are the engine's and the server's business
//! (`server_groups`).

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{GroupShape, Item, ItemError};

/// `group_format`: the shape of groups in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupFormatOption {
    /// As each group is in the folder; new ones vCard 4 (the default).
    Keep,
    /// `KIND:group` + `MEMBER` (RFC 6350).
    Vcard4,
    /// `X-ADDRESSBOOKSERVER-KIND:group` + `X-ADDRESSBOOKSERVER-MEMBER`.
    Apple,
}

impl GroupFormatOption {
    /// The shape converted to, if any.
    pub fn shape(self) -> Option<GroupShape> {
        match self {
            GroupFormatOption::Keep => None,
            GroupFormatOption::Vcard4 => Some(GroupShape::Vcard4),
            GroupFormatOption::Apple => Some(GroupShape::Apple),
        }
    }
}

/// Converts the folder's groups to one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFormat {
    /// The folder's shape (for new groups, when `follow_folder`).
    pub shape: GroupShape,
    /// A group keeps the shape its folder copy has (`group_format = "keep"`).
    pub follow_folder: bool,
}

impl Transform for GroupFormat {
    fn name(&self) -> &'static str {
        "group_format"
    }

    /// Towards the folder the server's shape is lost (the server's copy is
    /// wanted on the way back); following the folder's own shape, the
    /// folder's copy is wanted on the way in.
    fn lossy(&self, to: Side) -> bool {
        to == Side::Local || self.follow_folder
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        let Some(now) = item.group_shape() else {
            return Ok(item);
        };
        let wanted = match to {
            Side::Local if self.follow_folder => Some(
                context
                    .current
                    .and_then(Item::group_shape)
                    .unwrap_or(self.shape),
            ),
            Side::Local => Some(self.shape),
            Side::Server => context.current.and_then(Item::group_shape),
        };
        match wanted {
            Some(shape) if shape != now => {
                let original = item.clone();
                item.with_group_shape(shape)
                    .or_else(|e| super::left_alone(self.name(), original, &e, context))
            }
            _ => Ok(item),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::{self, contact, contacts, map, only};
    use proptest::prelude::*;

    fn check(shape: GroupShape, server: &Item) {
        let m = only(GroupFormat {
            shape,
            follow_folder: false,
        });
        let local = map(&m, Side::Local, server, None);
        testing::assert_idempotent(&m, &local, None);
        testing::assert_untouched(
            server,
            &local,
            &[
                "KIND",
                "MEMBER",
                "X-ADDRESSBOOKSERVER-KIND",
                "X-ADDRESSBOOKSERVER-MEMBER",
            ],
        );
        assert_eq!(local.group_members(), server.group_members());
        if server.group_shape().is_some() {
            assert_eq!(local.group_shape(), Some(shape));
        } else {
            assert_eq!(local.body(), server.body());
        }
        // Unchanged: the server's card; edited: in the server's shape, and
        // back as it was.
        assert_eq!(
            map(&m, Side::Server, &local, Some(server)).body(),
            server.body()
        );
        let edited = Item::parse(local.body().replace("\r\nUID:", "\r\nNOTE:edited\r\nUID:"))
            .expect("parses");
        let up = map(&m, Side::Server, &edited, Some(server));
        assert_eq!(up.group_shape(), server.group_shape());
        assert_eq!(
            map(&m, Side::Local, &up, Some(&edited)).body(),
            edited.body()
        );
    }

    #[test]
    fn the_nextcloud_group_in_the_apple_shape() {
        let server = contact("nextcloud-group");
        let m = only(GroupFormat {
            shape: GroupShape::Apple,
            follow_folder: false,
        });
        let local = map(&m, Side::Local, &server, None);
        let body = testing::unfolded(&local);
        assert!(body.contains("\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n"));
        assert!(body.contains(
            "\r\nX-ADDRESSBOOKSERVER-MEMBER;CN=\"Gast, Peter\":mailto:peter@gast.example\r\n"
        ));
        assert_eq!(local.group_members().len(), 3);
    }

    /// `group_format = "keep"`: a group keeps its folder copy's shape, a new
    /// one takes the default shape, and the server's copy keeps the server's.
    #[test]
    fn keep_follows_the_folders_copy() {
        let server = contact("nextcloud-group");
        assert_eq!(server.group_shape(), Some(GroupShape::Vcard4));
        let m = only(GroupFormat {
            shape: GroupShape::Vcard4,
            follow_folder: true,
        });
        assert!(m.lossy(Side::Local) && m.lossy(Side::Server));
        // New: the default shape (the server's here), unchanged.
        assert_eq!(map(&m, Side::Local, &server, None).body(), server.body());
        // The folder holds it in Apple's shape: it stays so.
        let apple = server.with_group_shape(GroupShape::Apple).unwrap();
        let edited = Item::parse(server.body().replace("\r\nUID:", "\r\nNOTE:x\r\nUID:")).unwrap();
        let down = map(&m, Side::Local, &edited, Some(&apple));
        assert_eq!(down.group_shape(), Some(GroupShape::Apple));
        assert!(down.body().contains("NOTE:x"), "{}", down.body());
        // Back to the server in the server's shape.
        let up = map(&m, Side::Server, &down, Some(&edited));
        assert_eq!(up.group_shape(), Some(GroupShape::Vcard4));
        assert_eq!(up.content_hash(), edited.content_hash());
        // An Apple group new to a default (vCard 4) folder comes as vCard 4.
        let apple_server = only(GroupFormat {
            shape: GroupShape::Vcard4,
            follow_folder: true,
        });
        assert_eq!(
            map(&apple_server, Side::Local, &apple, None).group_shape(),
            Some(GroupShape::Vcard4)
        );
    }

    #[test]
    fn every_sample_in_each_shape() {
        for shape in [GroupShape::Vcard4, GroupShape::Apple] {
            for (name, card) in contacts() {
                eprintln!("{name} {shape:?}");
                check(shape, &card);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn generated_cards_pass_the_checks(card in testing::arb_card(), apple in any::<bool>()) {
            check(if apple { GroupShape::Apple } else { GroupShape::Vcard4 }, &card);
        }
    }
}
