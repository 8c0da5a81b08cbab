//! The instant messaging option (`im`): IM addresses as `IMPP` URIs or as
//! the older `X-AIM`/`X-JABBER`/… properties, in the copy written to either
//! side, with an address given both ways (iCloud writes both) kept once.
//!
//! The table is the original's (`vCardIMPP.cs`): `xmpp:` ⇄ `X-JABBER`,
//! `aim:` ⇄ `X-AIM`, `skype:` ⇄ `X-SKYPE`, `icq:` ⇄ `X-ICQ`, `msnim:` (also
//! read: `msn:`) ⇄ `X-MSN`, `ymsgr:` ⇄ `X-YAHOO`, `gg:` ⇄ `X-GADUGADU`,
//! `sip:` ⇄ `X-SIP`; `X-GOOGLE-TALK` is read as `xmpp:`. A converted line
//! keeps its parameters (`TYPE=home`, Apple's `X-SERVICE-TYPE`) and group
//! prefix; other schemes (`x-apple:`, `irc:`) and other lines stay as they
//! are. The option owns `IMPP` and those `X-` properties only.
//!
//! An item whose copy on the other side is, converted, what arrives (an
//! unchanged contact) is left as the receiving side holds it (see
//! [`lossy`](Transform::lossy)): iCloud keeps its two lines per address,
//! the folder its one, and neither looks changed.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Component, Item, ItemError, ItemKind, escape_text, unescape_text};

/// How IM addresses are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImStyle {
    /// As they are (the default: byte for byte).
    Keep,
    /// As `IMPP` URIs (RFC 4770, vCard 4).
    Impp,
    /// As `X-JABBER`, `X-AIM`, … (older vCard 3 readers).
    XProps,
}

/// `(scheme, property)`, the written pairs first.
const TABLE: [(&str, &str); 10] = [
    ("xmpp", "X-JABBER"),
    ("aim", "X-AIM"),
    ("skype", "X-SKYPE"),
    ("icq", "X-ICQ"),
    ("msnim", "X-MSN"),
    ("ymsgr", "X-YAHOO"),
    ("gg", "X-GADUGADU"),
    ("sip", "X-SIP"),
    ("msn", "X-MSN"),
    ("xmpp", "X-GOOGLE-TALK"),
];

/// The property a scheme is written as.
fn property_for(scheme: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(scheme))
        .map(|(_, p)| *p)
}

/// The scheme a property is written as.
fn scheme_for(property: &str) -> Option<&'static str> {
    TABLE.iter().find(|(_, p)| *p == property).map(|(s, _)| *s)
}

/// An `IMPP` value as `(property, handle)`, for a scheme of the table.
fn split_impp(value: &str) -> Option<(&'static str, String)> {
    let (scheme, handle) = value.trim().split_once(':')?;
    Some((property_for(scheme)?, handle.to_string()))
}

/// An `X-` property's address as `(property, handle)`, the property being
/// the one its scheme is written as (`X-GOOGLE-TALK` → `X-JABBER`).
fn x_address(property: &str, value: &str) -> Option<(&'static str, String)> {
    let scheme = scheme_for(property)?;
    let handle = unescape_text(value.trim());
    // A handle written with its scheme (`X-SIP:sip:ann@example.org`).
    let handle = match handle.split_once(':') {
        Some((s, rest)) if s.eq_ignore_ascii_case(scheme) => rest.to_string(),
        _ => handle,
    };
    Some((property_for(scheme)?, handle))
}

/// IM addresses as `(property, handle)`.
type Addresses = Vec<(&'static str, String)>;

/// The addresses a component gives as `IMPP` and as `X-` properties.
fn addresses(c: &Component<'_>) -> (Addresses, Addresses) {
    let impp = c
        .values("IMPP")
        .iter()
        .filter_map(|v| split_impp(v))
        .collect();
    let x = TABLE
        .iter()
        .map(|(_, p)| *p)
        .flat_map(|p| {
            c.values(p)
                .into_iter()
                .filter_map(move |v| x_address(p, &v))
        })
        .collect();
    (impp, x)
}

/// Writes IM addresses in one style, both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImMapping {
    /// The style of the copies written.
    pub style: ImStyle,
}

impl ImMapping {
    /// The card with its IM addresses in `self.style`.
    pub fn apply(&self, item: &Item) -> Result<Item, ItemError> {
        if self.style == ImStyle::Keep || item.kind() != ItemKind::Contact {
            return Ok(item.clone());
        }
        item.edit_components(|c| {
            let (impp, x) = addresses(c);
            match self.style {
                ImStyle::Keep => {}
                ImStyle::Impp => c.edit(|p| {
                    let name = p.name();
                    let Some((property, handle)) = x_address(&name, p.value()) else {
                        return;
                    };
                    if impp.iter().any(|(pr, h)| *pr == property && *h == handle) {
                        p.remove();
                        return;
                    }
                    let Some(scheme) = scheme_for(property) else {
                        return;
                    };
                    p.rename("IMPP");
                    p.set_value(&format!("{scheme}:{handle}"));
                }),
                ImStyle::XProps => c.edit(|p| {
                    if p.name() != "IMPP" {
                        return;
                    }
                    let Some((property, handle)) = split_impp(p.value()) else {
                        return;
                    };
                    if x.iter().any(|(pr, h)| *pr == property && *h == handle) {
                        p.remove();
                        return;
                    }
                    p.rename(property);
                    p.set_value(&escape_text(&handle));
                }),
            }
        })
    }
}

impl Transform for ImMapping {
    fn name(&self) -> &'static str {
        "im"
    }

    /// A converted copy lacks the other form of an address (and the
    /// duplicate a server such as iCloud wrote): the engine hands over the
    /// receiving side's item, so an item that comes back as it was written
    /// is that item again, and an unchanged contact never looks changed.
    fn lossy(&self, _to: Side) -> bool {
        self.style != ImStyle::Keep
    }

    fn map(&self, _to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        self.apply(&item)
            .or_else(|e| super::left_alone(self.name(), item, &e, context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::{self, contact, contacts, map, only, unfolded};
    use proptest::prelude::*;

    const OWNED: [&str; 10] = [
        "IMPP",
        "X-JABBER",
        "X-AIM",
        "X-SKYPE",
        "X-ICQ",
        "X-MSN",
        "X-YAHOO",
        "X-GADUGADU",
        "X-SIP",
        "X-GOOGLE-TALK",
    ];

    fn check(style: ImStyle, server: &Item) {
        let m = only(ImMapping { style });
        let local = map(&m, Side::Local, server, None);
        testing::assert_idempotent(&m, &local, None);
        testing::assert_round_trip(&m, &local);
        testing::assert_untouched(server, &local, &OWNED);
        // No address is lost.
        let handles = |item: &Item| {
            let mut all: Vec<String> = Vec::new();
            let _ = item.edit_components(|c| {
                let (impp, x) = addresses(c);
                all.extend(impp.into_iter().chain(x).map(|(p, h)| format!("{p} {h}")));
            });
            all.sort();
            all.dedup();
            all
        };
        assert_eq!(handles(server), handles(&local), "{}", local.body());
    }

    #[test]
    fn icloud_gives_each_address_once_in_either_style() {
        let icloud = contact("icloud");
        let impp = ImMapping {
            style: ImStyle::Impp,
        }
        .apply(&icloud)
        .unwrap();
        let body = unfolded(&impp);
        assert!(!body.contains("X-AIM") && !body.contains("X-JABBER"));
        assert!(body.contains("IMPP;X-SERVICE-TYPE=AIM;type=HOME;type=pref:aim:jmueller\r\n"));
        assert!(body.contains("IMPP;X-SERVICE-TYPE=Jabber;type=HOME:xmpp:jm@jabber.example\r\n"));
        let x = ImMapping {
            style: ImStyle::XProps,
        }
        .apply(&icloud)
        .unwrap();
        let body = unfolded(&x);
        assert!(!body.contains("IMPP"));
        assert!(body.contains("\r\nX-AIM;type=HOME;type=pref:jmueller\r\n"));
        assert!(body.contains("\r\nX-JABBER;type=HOME:jm@jabber.example\r\n"));
    }

    #[test]
    fn google_and_sogo_x_properties_become_impp() {
        let google = ImMapping {
            style: ImStyle::Impp,
        }
        .apply(&contact("google"))
        .unwrap();
        let body = unfolded(&google);
        assert!(body.contains("\r\nIMPP:icq:123456789\r\n"));
        assert_eq!(body.matches("skype:carla.rossi").count(), 1);
        let sogo = ImMapping {
            style: ImStyle::Impp,
        }
        .apply(&contact("sogo"))
        .unwrap();
        assert!(unfolded(&sogo).contains("\r\nIMPP:aim:kweber\r\n"));
    }

    #[test]
    fn keep_is_byte_for_byte_and_unknown_schemes_stay() {
        for (_, card) in contacts() {
            let kept = ImMapping {
                style: ImStyle::Keep,
            }
            .apply(&card)
            .unwrap();
            assert_eq!(kept.body(), card.body());
        }
        let card = Item::parse(
            "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:i\r\nFN:I\r\nIMPP:x-apple:ann\r\nIMPP:msn:ann@example.org\r\nEND:VCARD\r\n",
        )
        .unwrap();
        let x = ImMapping {
            style: ImStyle::XProps,
        }
        .apply(&card)
        .unwrap();
        assert!(
            x.body()
                .contains("IMPP:x-apple:ann\r\nX-MSN:ann@example.org\r\n")
        );
    }

    #[test]
    fn every_sample_in_each_style() {
        for style in [ImStyle::Keep, ImStyle::Impp, ImStyle::XProps] {
            for (name, card) in contacts() {
                eprintln!("{name} {style:?}");
                check(style, &card);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn generated_cards_pass_the_checks(card in testing::arb_card(), impp in any::<bool>()) {
            check(if impp { ImStyle::Impp } else { ImStyle::XProps }, &card);
        }
    }
}
