//! SOGo's contact lists (`BEGIN:VLIST`, served as `text/x-vlist`; see
//! `docs/sogo-lists.md`) and their conversion to and from vCard groups.
//!
//! A VLIST names its members by **resource**: `CARD;EMAIL=…;FN=…:m1.vcf` is
//! the contact stored as `m1.vcf` in the same address book (the parameters
//! are copies SOGo keeps up to date). A vCard group names them by **UID**
//! (`MEMBER:urn:uuid:…`). A [`MemberDirectory`] tells one from the other.
//!
//! List → group ([`Item::list_to_group`]), in the shape asked for (vCard 4:
//! `VERSION:4.0`, `KIND:group`, `MEMBER`; Apple: `VERSION:3.0`,
//! `X-ADDRESSBOOKSERVER-KIND:group`, `X-ADDRESSBOOKSERVER-MEMBER`):
//! - `BEGIN`/`END:VLIST` become `VCARD`, `VERSION` the shape's, and the kind
//!   line is added; `DESCRIPTION` becomes `NOTE`;
//! - a `CARD` whose resource holds a contact becomes `MEMBER:urn:uuid:UID`;
//!   one naming no contact (SOGo keeps `CARD` lines of deleted contacts) is
//!   kept as a `mailto:` member with its `FN` as `CN` and the resource in
//!   an `X-DAVSYNC-CARD` parameter (without an e-mail: as an
//!   `X-DAVSYNC-CARD` line), or dropped ([`Dangling`]);
//! - `X-ADDRESSBOOKSERVER-MEMBER` (how SOGo keeps members that are no
//!   contacts of the book) becomes the shape's member property; one
//!   davsync wrote for a contact that was not on the server yet
//!   (`X-DAVSYNC-UID`) is that contact's `MEMBER:urn:uuid:` again;
//! - every other line keeps its bytes (`FN`, `NICKNAME`, `CATEGORIES`, `X-`).
//!
//! Group → list ([`Item::group_to_list`]) is the reverse: a member contact on
//! the server becomes a `CARD` naming its resource (the line of the list's
//! current server copy when it has one for that resource, else with the
//! contact's `FN` and e-mail); a member contact not on the server (not
//! written yet, or failed) is kept as an outside member
//! (`X-ADDRESSBOOKSERVER-MEMBER;CN=…;X-DAVSYNC-UID=…:mailto:…`), never as a
//! `CARD` naming nothing, and is a contact again on the way back. The kind
//! lines and an empty `N:;;;;` go. A list converted to a group and back is
//! the list (same content hash); a group converted to a list and back is
//! the group, for members that are contacts and `mailto:` members.

use crate::edit::Property;
use crate::groups::{APPLE_KIND, APPLE_MEMBER, GroupShape, KIND, MEMBER};
use crate::item::{Item, ItemError, ItemKind};
use crate::lines;
use crate::vcard::{param_decode, param_encode};

/// A VLIST's member line.
pub const CARD: &str = "CARD";
/// A `CARD` that named no contact, kept in a group without an e-mail.
pub const DAVSYNC_CARD: &str = "X-DAVSYNC-CARD";
/// The parameter naming the contact an outside member stands for.
pub const DAVSYNC_UID: &str = "X-DAVSYNC-UID";

/// Whether a body is a VLIST (its first line is `BEGIN:VLIST`).
pub(crate) fn is_vlist(body: &str) -> bool {
    body.trim_start()
        .get(..11)
        .is_some_and(|head| head.eq_ignore_ascii_case("BEGIN:VLIST"))
}

/// Checks a VLIST's lines and finds its UID (the nesting is checked by the
/// caller): one top-level `VLIST`, nothing after it, every line a property.
pub(crate) fn validate(body: &str) -> Result<String, ItemError> {
    let doc = lines::unfold(body);
    let mut depth = 0usize;
    let mut closed = false;
    let mut uid = None;
    for line in &doc {
        if line.logical.trim().is_empty() {
            continue;
        }
        if closed {
            return Err(ItemError::Malformed(
                "text after END:VLIST (one list per resource)".into(),
            ));
        }
        match line.component_marker() {
            Some((true, _)) => depth += 1,
            Some((false, name)) => {
                depth = depth.saturating_sub(1);
                closed = depth == 0 && name == "VLIST";
            }
            None if !line.logical.contains(':') => {
                return Err(ItemError::Malformed(format!(
                    "unexpected line {:?} in a list",
                    line.logical.chars().take(60).collect::<String>()
                )));
            }
            None if depth == 1 && line.name() == "UID" => {
                let value = line.value().trim();
                if !value.is_empty() && uid.is_none() {
                    uid = Some(value.to_string());
                }
            }
            None => {}
        }
    }
    if !closed {
        return Err(ItemError::Malformed("BEGIN:VLIST is never closed".into()));
    }
    uid.ok_or(ItemError::NoUid)
}

/// A member contact as the list's server holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardRef {
    /// Its resource name in the list's address book (`m1.vcf`); `None`: the
    /// contact is not on the server (yet).
    pub name: Option<String>,
    /// Its `FN`.
    pub full_name: Option<String>,
    /// Its preferred e-mail address.
    pub email: Option<String>,
}

/// Which contact a list's member names, on the list's server.
pub trait MemberDirectory {
    /// The UID of the contact stored as `name` (a resource name, the last
    /// segment of its href) in the list's address book, if it holds one.
    fn uid_at(&self, name: &str) -> Option<String>;

    /// What is known of contact `uid`: where the server holds it, its name
    /// and e-mail (`None`: no contact of the address book has that UID).
    fn card_of(&self, uid: &str) -> Option<CardRef>;
}

/// What becomes of a member that names no contact (`group_dangling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dangling {
    /// Kept as a `mailto:` member with its last-known name and e-mail.
    #[default]
    Keep,
    /// Left out.
    Drop,
}

/// The value of a member line naming contact `uid`.
fn urn(uid: &str) -> String {
    format!("urn:uuid:{uid}")
}

/// The UID in a member value `urn:uuid:UID`.
fn urn_uid(value: &str) -> Option<&str> {
    let value = value.trim();
    value
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("urn:uuid:"))
        .map(|_| &value[9..])
}

/// Turns a `CARD` line into the member line of `member` (or removes it).
fn card_to_member(
    p: &mut Property<'_>,
    member: &str,
    names: &dyn MemberDirectory,
    dangling: Dangling,
) {
    let name = p.value().trim().to_string();
    if let Some(uid) = names.uid_at(&name) {
        p.rename(member);
        p.set_params(&[]);
        p.set_value(&urn(&uid));
        return;
    }
    let email = p.param("EMAIL").map(|e| param_decode(&e));
    match (dangling, email) {
        (Dangling::Drop, _) => p.remove(),
        (Dangling::Keep, Some(email)) if !email.trim().is_empty() => {
            // The resource it named goes along (a group cannot hold it), so
            // that a group whose member is repaired (`with_members_gone`)
            // differs from this, and goes to the server as it is.
            let params: Vec<String> = p
                .param("FN")
                .map(|n| format!("CN={}", param_encode(&param_decode(&n))))
                .into_iter()
                .chain([format!("{DAVSYNC_CARD}={}", param_encode(&name))])
                .collect();
            p.rename(member);
            p.set_params(&params);
            p.set_value(&format!("mailto:{}", email.trim()));
        }
        (Dangling::Keep, _) => p.rename(DAVSYNC_CARD),
    }
}

impl Item {
    /// Whether the item is a list or a group vCard.
    pub fn is_group_or_list(&self) -> bool {
        self.kind() == ItemKind::List || self.group_shape().is_some()
    }

    /// The VLIST as a vCard group of `shape` (see the module). An item that
    /// is no list is returned as it is.
    pub fn list_to_group(
        &self,
        shape: GroupShape,
        names: &dyn MemberDirectory,
        dangling: Dangling,
    ) -> Result<Item, ItemError> {
        if self.kind() != ItemKind::List {
            return Ok(self.clone());
        }
        let (kind, member) = shape.names();
        let version = match shape {
            GroupShape::Vcard4 => "4.0",
            GroupShape::Apple => "3.0",
        };
        let edited = self.edit_components(|c| {
            let had_version = c.has("VERSION");
            let had_n = c.has("N");
            c.edit(|p| match p.name().as_str() {
                "VERSION" => p.set_value(version),
                "DESCRIPTION" => p.rename("NOTE"),
                CARD => card_to_member(p, member, names, dangling),
                APPLE_MEMBER => {
                    if let Some(uid) = p.param(DAVSYNC_UID) {
                        p.set_params(&[]);
                        p.set_value(&urn(&param_decode(&uid)));
                    }
                    p.rename(member);
                }
                _ => {}
            });
            if !had_version {
                c.add(&format!("VERSION:{version}"));
            }
            c.add(&format!("{kind}:group"));
            if shape == GroupShape::Apple && !had_n {
                // N is required in 3.0.
                c.add("N:;;;;");
            }
        })?;
        swap_component(&edited, "VLIST", "VCARD")
    }

    /// The vCard group as a VLIST (see the module); `current`: the list as
    /// the server holds it now, whose `CARD` lines are kept as they are for
    /// members that are still in it. An item that is no group is returned as
    /// it is.
    pub fn group_to_list(
        &self,
        names: &dyn MemberDirectory,
        current: Option<&Item>,
        dangling: Dangling,
    ) -> Result<Item, ItemError> {
        if self.group_shape().is_none() {
            return Ok(self.clone());
        }
        let current_cards: Vec<(String, String)> = current
            .filter(|c| c.kind() == ItemKind::List)
            .map(|c| {
                let mut cards = Vec::new();
                let _ = c.edit_components(|c| {
                    c.edit(|p| {
                        if p.name() == CARD {
                            cards.push((p.value().trim().to_string(), p.logical().to_string()));
                        }
                    })
                });
                cards
            })
            .unwrap_or_default();
        let mut cards: Vec<String> = Vec::new();
        let edited = self.edit_components(|c| {
            c.edit(|p| match p.name().as_str() {
                "VERSION" => p.set_value("1.0"),
                KIND | APPLE_KIND if p.value().trim().eq_ignore_ascii_case("group") => p.remove(),
                "NOTE" => p.rename("DESCRIPTION"),
                "N" if p.value().chars().all(|ch| ch == ';' || ch == ' ') => p.remove(),
                MEMBER | APPLE_MEMBER => {
                    let Some(uid) = urn_uid(p.value()).map(str::to_string) else {
                        // mailto: and other members are outside members.
                        p.rename(APPLE_MEMBER);
                        return;
                    };
                    match names.card_of(&uid) {
                        Some(CardRef {
                            name: Some(name),
                            full_name,
                            email,
                        }) => {
                            let line = current_cards
                                .iter()
                                .find(|(n, _)| *n == name)
                                .map(|(_, line)| line.clone())
                                .unwrap_or_else(|| card_line(&name, full_name, email));
                            cards.push(line);
                            p.remove();
                        }
                        Some(CardRef {
                            name: None,
                            full_name,
                            email: Some(email),
                        }) => {
                            let mut params: Vec<String> = full_name
                                .map(|n| format!("CN={}", param_encode(&n)))
                                .into_iter()
                                .collect();
                            params.push(format!("{DAVSYNC_UID}={}", param_encode(&uid)));
                            p.rename(APPLE_MEMBER);
                            p.set_params(&params);
                            p.set_value(&format!("mailto:{email}"));
                        }
                        Some(_) => p.rename(APPLE_MEMBER),
                        None if dangling == Dangling::Drop => p.remove(),
                        None => p.rename(APPLE_MEMBER),
                    }
                }
                DAVSYNC_CARD => {
                    if names.uid_at(p.value().trim()).is_some() {
                        p.rename(CARD);
                    } else if dangling == Dangling::Drop {
                        p.remove();
                    }
                }
                _ => {}
            });
            for line in cards.drain(..) {
                c.add(&line);
            }
        })?;
        swap_component(&edited, "VCARD", "VLIST")
    }
}

impl Item {
    /// The member contacts a VLIST names as outside members only because
    /// they were not on the server when davsync wrote it (an
    /// `X-ADDRESSBOOKSERVER-MEMBER` with `X-DAVSYNC-UID`, or a `urn:uuid:`
    /// value): once one of them is, the list is to be written again. Empty
    /// for any other item.
    pub fn awaited_members(&self) -> Vec<String> {
        if self.kind() != ItemKind::List {
            return Vec::new();
        }
        let mut awaited = Vec::new();
        let _ = self.edit_components(|c| {
            c.edit(|p| {
                if p.name() != APPLE_MEMBER {
                    return;
                }
                if let Some(uid) = p.param(DAVSYNC_UID) {
                    awaited.push(param_decode(&uid));
                } else if let Some(uid) = urn_uid(p.value()) {
                    awaited.push(uid.to_string());
                }
            })
        });
        awaited
    }

    /// The group with its members that name a contact of `gone` (deleted,
    /// UID → what was last known of it) made `mailto:` members with that
    /// contact's name and e-mail ([`Dangling::Keep`]; one without an e-mail
    /// stays as it is) or left out ([`Dangling::Drop`]). Lines keep their
    /// property name and group prefix; an item that is no group, or names
    /// none of them, is returned as it is.
    pub fn with_members_gone(
        &self,
        gone: &dyn Fn(&str) -> Option<CardRef>,
        dangling: Dangling,
    ) -> Result<Item, ItemError> {
        if self.group_shape().is_none() {
            return Ok(self.clone());
        }
        self.edit_components(|c| {
            c.edit(|p| {
                let name = p.name();
                if name != MEMBER && name != APPLE_MEMBER {
                    return;
                }
                let Some(card) = urn_uid(p.value()).and_then(gone) else {
                    return;
                };
                match (dangling, card.email) {
                    (Dangling::Drop, _) => p.remove(),
                    (Dangling::Keep, Some(email)) if !email.trim().is_empty() => {
                        let params: Vec<String> = card
                            .full_name
                            .map(|n| format!("CN={}", param_encode(&n)))
                            .into_iter()
                            .collect();
                        p.set_params(&params);
                        p.set_value(&format!("mailto:{}", email.trim()));
                    }
                    (Dangling::Keep, _) => {}
                }
            })
        })
    }
}

/// A `CARD` line as SOGo writes one.
fn card_line(name: &str, full_name: Option<String>, email: Option<String>) -> String {
    let mut line = CARD.to_string();
    if let Some(email) = email {
        line.push_str(&format!(";EMAIL={}", param_encode(&email)));
    }
    if let Some(full_name) = full_name {
        line.push_str(&format!(";FN={}", param_encode(&full_name)));
    }
    format!("{line}:{name}")
}

/// The item with its top-level component renamed (`VLIST` ⇄ `VCARD`).
fn swap_component(item: &Item, from: &str, to: &str) -> Result<Item, ItemError> {
    let mut doc = lines::unfold(item.body());
    let mut depth = 0usize;
    for line in doc.iter_mut() {
        match line.component_marker() {
            Some((true, name)) => {
                if depth == 0 && name == from {
                    line.set_value(to);
                }
                depth += 1;
            }
            Some((false, name)) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && name == from {
                    line.set_value(to);
                }
            }
            None => {}
        }
    }
    Item::parse(lines::write(&doc))
}

#[cfg(test)]
mod tests;
