//! Contact lists and groups between the folder and the server (`lists`,
//! `server_groups`, `group_dangling`): the folder holds every list as a
//! vCard group; the server holds it as SOGo's `VLIST` or as a group vCard
//! in the shape it wants.
//!
//! - Towards the folder a `VLIST` becomes a group (`davsync_pim`'s
//!   `list_to_group`), in the folder's shape (`group_format`, else the
//!   shape `vcard_version = "3.0"` implies, else vCard 4), its `CARD`
//!   members resolved to UIDs through the [`MemberDirectory`] the engine
//!   gives ([`MapContext::members`]).
//! - Towards the server a group becomes what the server wants: a `VLIST`
//!   (`group_to_list`; members that are not on the server yet go as
//!   `mailto:` members until they are), or a group vCard of the wanted
//!   shape. `"auto"` is a `VLIST` on SOGo (the profile tells, see
//!   [`ServerForm`]) and elsewhere the group as the folder holds it (kept
//!   in the server copy's shape by `group_format`, if set).
//! - For a `VLIST` the server's copy is given ([`Transform::lossy`] towards
//!   the folder): a `CARD` line SOGo keeps its member's name and e-mail in
//!   goes back as it was.
//! - With `lists = "skip"` lists and groups do not belong to the profile
//!   ([`Transform::admits`]): both sides keep theirs, and the run report
//!   counts them.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{CardRef, Dangling, GroupShape, Item, ItemError, ItemKind, MemberDirectory};

/// `lists`: whether lists and groups are synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListsOption {
    /// Synced like contacts (the default).
    Sync,
    /// Left alone on both sides, and counted in the report.
    Skip,
}

/// `server_groups`: the form of groups on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerGroupsOption {
    /// A `VLIST` on SOGo, elsewhere as the folder holds it.
    Auto,
    /// SOGo's `VLIST`.
    Vlist,
    /// `KIND:group` + `MEMBER`.
    Vcard4,
    /// `X-ADDRESSBOOKSERVER-KIND:group` + `X-ADDRESSBOOKSERVER-MEMBER`.
    Apple,
}

/// `group_dangling`: what becomes of a member that names no contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DanglingOption {
    /// Kept as a `mailto:` member with its last-known name and e-mail.
    Keep,
    /// Left out.
    Drop,
}

impl DanglingOption {
    /// As `davsync_pim` takes it.
    pub fn dangling(self) -> Dangling {
        match self {
            DanglingOption::Keep => Dangling::Keep,
            DanglingOption::Drop => Dangling::Drop,
        }
    }
}

/// The form groups take on the server, with `"auto"` settled as far as the
/// profile can tell (on SOGo: [`ServerForm::Vlist`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerForm {
    /// SOGo's `VLIST`.
    Vlist,
    /// A group vCard of this shape.
    Group(GroupShape),
    /// Not known to be SOGo: a group goes as the folder holds it, unless
    /// the server's copy (when the engine gives it) is a `VLIST`.
    Auto,
}

/// Lists and groups between the folder and the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lists {
    /// Whether lists are synced at all.
    pub lists: ListsOption,
    /// Their form on the server.
    pub server: ServerForm,
    /// Their shape in the folder.
    pub folder: GroupShape,
    /// What becomes of a member naming no contact.
    pub dangling: Dangling,
}

/// A directory that knows no contact: what a mapping without the engine's
/// resolves members through (every `CARD` then names no contact).
struct NoMembers;

impl MemberDirectory for NoMembers {
    fn uid_at(&self, _name: &str) -> Option<String> {
        None
    }

    fn card_of(&self, _uid: &str) -> Option<CardRef> {
        None
    }
}

impl Lists {
    /// Whether the server's copy of `item` is a `VLIST`.
    fn wants_list(&self, current: Option<&Item>) -> bool {
        match self.server {
            ServerForm::Vlist => true,
            ServerForm::Group(_) => false,
            ServerForm::Auto => current.is_some_and(|c| c.kind() == ItemKind::List),
        }
    }
}

impl Transform for Lists {
    fn name(&self) -> &'static str {
        "lists"
    }

    fn selection(&self) -> String {
        match self.lists {
            ListsOption::Sync => String::new(),
            ListsOption::Skip => "lists skipped".into(),
        }
    }

    fn admits(&self, _side: Side, item: &Item, _context: &MapContext<'_>) -> bool {
        self.lists == ListsOption::Sync || !item.is_group_or_list()
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Local && self.server == ServerForm::Vlist
    }

    fn member_repair(&self) -> Option<Dangling> {
        (self.lists == ListsOption::Sync).then_some(self.dangling)
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !item.is_group_or_list() {
            return Ok(item);
        }
        let members: &dyn MemberDirectory = context.members.unwrap_or(&NoMembers);
        let original = item.clone();
        let mapped = match to {
            Side::Local => item.list_to_group(self.folder, members, self.dangling),
            Side::Server if item.kind() == ItemKind::List => Ok(item),
            Side::Server if self.wants_list(context.current) => {
                item.group_to_list(members, context.current, self.dangling)
            }
            Side::Server => match self.server {
                ServerForm::Group(shape) if item.group_shape() != Some(shape) => {
                    item.with_group_shape(shape)
                }
                _ => Ok(item),
            },
        };
        mapped.or_else(|e| super::left_alone(self.name(), original, &e, context))
    }
}

#[cfg(test)]
mod tests;
