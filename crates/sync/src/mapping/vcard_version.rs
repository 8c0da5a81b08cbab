//! The vCard version option: the folder's copies of contacts in vCard 3.0 or
//! 4.0 (`vcard_version`), the server's in the version the server holds.
//!
//! - Towards the folder every 3.0 or 4.0 card is converted to the chosen
//!   version (`davsync_pim`'s `with_vcard_version`: RFC 6350 Appendix A and
//!   RFC 6868 rules, groups in the Apple shape in 3.0 and in the vCard 4
//!   shape in 4.0).
//! - Towards the server a card goes as the folder holds it, except that
//!   what the conversion changed is converted back: when the server holds
//!   the card now ([`MapContext::current`], which the engine gives since
//!   this option is [lossy](Transform::lossy) towards the folder: the
//!   folder's copy lacks the server's version), the card goes in the
//!   server's version and group shape. A new card goes in the folder's
//!   version (the server may rewrite it: SOGo writes 3.0 back).
//! - An unchanged contact never looks changed: a folder card that is the
//!   server card converted is that server card, unchanged
//!   ([`Mapping::map`](super::Mapping::map) hands back the receiving side's
//!   item), so nothing is uploaded; and the conversion is idempotent.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemError, VcardVersion};

/// `vcard_version`: which version the folder's copies have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum VcardVersionOption {
    /// As the server has them (the default: byte for byte).
    #[serde(rename = "keep")]
    Keep,
    /// vCard 3.0 (khard and many tools).
    #[serde(rename = "3.0")]
    V3,
    /// vCard 4.0.
    #[serde(rename = "4.0")]
    V4,
}

impl VcardVersionOption {
    /// The version converted to, if any.
    pub fn version(self) -> Option<VcardVersion> {
        match self {
            VcardVersionOption::Keep => None,
            VcardVersionOption::V3 => Some(VcardVersion::V3),
            VcardVersionOption::V4 => Some(VcardVersion::V4),
        }
    }
}

/// Converts the folder's copies of contacts to one vCard version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VcardVersionMapping {
    /// The folder's version.
    pub version: VcardVersion,
}

impl Transform for VcardVersionMapping {
    fn name(&self) -> &'static str {
        "vcard_version"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Local
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        let original = item.clone();
        let mapped = match to {
            Side::Local => item.with_vcard_version(self.version),
            Side::Server => to_server(item, context),
        };
        mapped.or_else(|e| super::left_alone(self.name(), original, &e, context))
    }
}

/// The card in the version and group shape the server's copy has.
fn to_server(item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
    let Some(current) = context.current else {
        return Ok(item);
    };
    let (Some(theirs), Some(ours)) = (current.vcard_version(), item.vcard_version()) else {
        return Ok(item);
    };
    if theirs == ours {
        return Ok(item);
    }
    let converted = item.with_vcard_version(theirs)?;
    match (current.group_shape(), converted.group_shape()) {
        (Some(shape), Some(now)) if shape != now => converted.with_group_shape(shape),
        _ => Ok(converted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::{contact, contacts, map, only};
    use crate::mapping::{Mapping, testing};
    use proptest::prelude::*;

    fn mapping(version: VcardVersion) -> Mapping {
        only(VcardVersionMapping { version })
    }

    /// The checks every sample passes, for a server card `server`: the
    /// folder copy is idempotent, an unchanged folder copy is the server
    /// card again, an edited one goes in the server's version and comes
    /// back as it was, and lines no rule owns keep their bytes.
    fn check(m: &Mapping, server: &Item) {
        let local = map(m, Side::Local, server, None);
        testing::assert_idempotent(m, &local, None);
        let up = map(m, Side::Server, &local, Some(server));
        assert_eq!(up.body(), server.body(), "an unchanged card looks changed");
        let edited = Item::parse(local.body().replace("\r\nUID:", "\r\nNOTE:edited\r\nUID:"))
            .expect("edited card parses");
        let up = map(m, Side::Server, &edited, Some(server));
        assert_eq!(up.vcard_version(), server.vcard_version());
        assert_eq!(up.group_shape(), server.group_shape());
        let back = map(m, Side::Local, &up, Some(&edited));
        assert_eq!(back.body(), edited.body(), "server copy:\n{}", up.body());
        testing::assert_untouched(
            server,
            &local,
            &[
                "VERSION",
                "TEL",
                "EMAIL",
                "ADR",
                "URL",
                "IMPP",
                "X-AIM",
                "X-JABBER",
                "PHOTO",
                "ANNIVERSARY",
                "X-ANNIVERSARY",
                "GENDER",
                "X-GENDER",
                "KIND",
                "X-ADDRESSBOOKSERVER-KIND",
                "MEMBER",
                "X-ADDRESSBOOKSERVER-MEMBER",
                "N",
            ],
        );
    }

    #[test]
    fn every_sample_in_either_version() {
        for version in [VcardVersion::V3, VcardVersion::V4] {
            for (name, server) in contacts() {
                eprintln!("{name} → {version:?}");
                check(&mapping(version), &server);
            }
        }
    }

    #[test]
    fn the_icloud_card_in_4_0() {
        let local = map(
            &mapping(VcardVersion::V4),
            Side::Local,
            &contact("icloud"),
            None,
        );
        let body = testing::unfolded(&local);
        assert!(body.contains("VERSION:4.0\r\n"));
        assert!(body.contains("item1.EMAIL;type=INTERNET;PREF=1:juergen.mueller@example.de\r\n"));
        assert!(body.contains("\r\nANNIVERSARY:1998-06-20\r\n"));
        assert!(body.contains("PHOTO:data:image/jpeg;base64,/9j/"));
        assert!(body.contains("item1.X-ABLabel:_$!<Other>!$_\r\n"));
    }

    #[test]
    fn a_nextcloud_group_in_3_0_takes_the_apple_shape_and_goes_back_as_vcard_4() {
        let m = mapping(VcardVersion::V3);
        let server = contact("nextcloud-group");
        let local = map(&m, Side::Local, &server, None);
        assert_eq!(local.group_shape(), Some(davsync_pim::GroupShape::Apple));
        assert_eq!(local.group_members(), server.group_members());
        let edited =
            Item::parse(local.body().replace("FN:Wandergruppe", "FN:Wanderer")).expect("parses");
        let up = map(&m, Side::Server, &edited, Some(&server));
        assert_eq!(
            up.body(),
            server.body().replace("FN:Wandergruppe", "FN:Wanderer")
        );
    }

    #[test]
    fn a_new_card_goes_as_the_folder_holds_it() {
        let m = mapping(VcardVersion::V3);
        let local = map(&m, Side::Local, &contact("nextcloud"), None);
        assert_eq!(map(&m, Side::Server, &local, None).body(), local.body());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn generated_cards_pass_the_checks(card in testing::arb_card(), v4 in any::<bool>()) {
            let version = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
            check(&mapping(version), &card);
        }
    }
}
