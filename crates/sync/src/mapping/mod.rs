//! Per-direction mapping: which items belong to a profile (`admits`, asked
//! during detection), and how an item is changed on its way to the other
//! side (`map`, the engine's map stage). Every mapping option is one small
//! [`Transform`] in a file of its own here.

use crate::planner::Side;
use crate::status::StatusRow;
use davsync_pim::{Dangling, Item, ItemError, MemberDirectory};
use std::cell::RefCell;

mod category;
mod contacts;
mod description;
mod groups;
mod im;
mod kind;
mod lists;
mod options;
mod photos;
mod privacy;
mod property_map;
mod reminders;
mod scheduling;
mod task_dates;
#[cfg(test)]
mod testing;
mod timezones;
mod vcard_version;

pub use category::CategoryFilter;
pub use contacts::ContactOptions;
pub use description::{DropDescription, HtmlDescription, html_to_text, looks_like_html};
pub use groups::{GroupFormat, GroupFormatOption};
pub use im::{ImMapping, ImStyle};
pub use kind::KindFilter;
pub use lists::{DanglingOption, Lists, ListsOption, ServerForm, ServerGroupsOption};
pub use options::CalendarOptions;
pub use photos::{LinkedFiles, PhotoUriOption, Photos};
pub use privacy::{BUSY_KEEPS, ClassMapping, PrivateEvents, PrivateMode, is_private};
pub use property_map::{Direction, PROTECTED, PropertyMap, PropertyRule, property_name};
pub use reminders::{Clock, Reminders, RemindersMapping};
pub use scheduling::{
    DropAttendees, OrganizerSentBy, SOGO_NOTIFICATIONS, ScheduleAgentClient, SogoNoNotifications,
};
pub use task_dates::{TaskDates, TaskDatesMapping};
pub use timezones::{TimeZoneMapping, TimeZones};
pub use vcard_version::{VcardVersionMapping, VcardVersionOption};

/// What a transform may know besides the item it maps.
#[derive(Clone, Copy, Default)]
pub struct MapContext<'a> {
    /// The item's status row: how it was synced last time (`None` for an
    /// item new to the profile). A sticky filter, say, keeps an item it
    /// took up before.
    pub row: Option<&'a StatusRow>,
    /// The item as the receiving side holds it now, when it holds one and a
    /// transform of the profile is [lossy](Transform::lossy) towards the
    /// other side: a lossy transform restores from it what it dropped on
    /// the way out (a change from the poorer copy never costs the richer
    /// side its data). `None` for a create.
    pub current: Option<&'a Item>,
    /// Where the transforms' warnings about the item go (the engine puts
    /// them in the report); `None`: logged only.
    pub warnings: Option<&'a MapWarnings>,
    /// Which contacts a list's members name on the server (the engine
    /// gives it for lists and groups; without it no member is resolved).
    pub members: Option<&'a dyn MemberDirectory>,
    /// The files the item links to that the engine fetched for the
    /// transforms that asked ([`Transform::links`]), by link.
    pub linked: Option<&'a LinkedFiles>,
}

impl MapContext<'_> {
    /// Notes a warning about the item being mapped: a mapping that cannot
    /// apply (an unknown time zone, an alarm whose time cannot be worked
    /// out) leaves the item as it is and says so, per item.
    pub fn warn(&self, uid: &str, message: String) {
        tracing::warn!(uid, "{message}");
        if let Some(warnings) = self.warnings {
            warnings.0.borrow_mut().push(message);
        }
    }
}

/// The warnings transforms left about one item while mapping it.
#[derive(Debug, Default)]
pub struct MapWarnings(RefCell<Vec<String>>);

impl MapWarnings {
    /// The warnings noted so far, taken.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

/// What a transform returns when its edit fails: the item as it was, with a
/// warning naming the transform (a mapping never blocks an item).
pub(crate) fn left_alone(
    name: &str,
    item: Item,
    error: &ItemError,
    context: &MapContext<'_>,
) -> Result<Item, ItemError> {
    context.warn(
        item.uid(),
        format!("{name}: {error}; the item is written as it is"),
    );
    Ok(item)
}

/// One mapping option.
pub trait Transform: Send + Sync {
    /// A short name for messages.
    fn name(&self) -> &'static str;

    /// Whether an item found on `side` belongs to the profile (`context`:
    /// its status row, if it was synced before; never a current item).
    fn admits(&self, _side: Side, _item: &Item, _context: &MapContext<'_>) -> bool {
        true
    }

    /// What decides [`admits`](Self::admits), as text: when it differs from
    /// the last clean run's, both sides are listed in full once, since items
    /// left alone then may belong to the profile now (a delta would never
    /// name them again). Empty for a transform that admits everything.
    fn selection(&self) -> String {
        String::new()
    }

    /// Whether the copy this transform writes on `to` lacks something the
    /// item had (alarms, attendees, a description): the engine then gives
    /// [`map`](Self::map) towards the other side the item that side holds
    /// now ([`MapContext::current`]), to merge into.
    fn lossy(&self, _to: Side) -> bool {
        false
    }

    /// What becomes of a group's member whose contact a run deleted, when
    /// this transform syncs groups (`None`: it does not speak of groups).
    fn member_repair(&self) -> Option<Dangling> {
        None
    }

    /// The links (http(s) URLs) of `item` whose files `map` towards `to`
    /// wants: the engine fetches them through the item's own store and
    /// hands them over in [`MapContext::linked`].
    fn links(&self, _to: Side, _item: &Item) -> Vec<String> {
        Vec::new()
    }

    /// Changes an item on its way to `to`. Must be idempotent and leave an
    /// item mapped back and forth as it was (a run after a mapped write has
    /// nothing to do).
    fn map(&self, _to: Side, item: Item, _context: &MapContext<'_>) -> Result<Item, ItemError> {
        Ok(item)
    }
}

/// The transforms of a profile, applied in order towards the local side and in
/// reverse order towards the server, so each undoes its own work.
#[derive(Default)]
pub struct Mapping {
    transforms: Vec<Box<dyn Transform>>,
}

impl Mapping {
    /// A mapping with no transforms.
    pub fn new() -> Self {
        Mapping::default()
    }

    /// Adds a transform.
    pub fn with(mut self, transform: impl Transform + 'static) -> Self {
        self.transforms.push(Box::new(transform));
        self
    }

    /// What decides which items belong to the profile (see [`Transform::selection`]).
    pub fn selection(&self) -> String {
        self.transforms
            .iter()
            .map(|t| t.selection())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether a transform drops something on the way to `to` (see
    /// [`Transform::lossy`]).
    pub fn lossy(&self, to: Side) -> bool {
        self.transforms.iter().any(|t| t.lossy(to))
    }

    /// What becomes of a group's member whose contact a run deleted (see
    /// [`Transform::member_repair`]); `None`: groups are not synced.
    pub fn member_repair(&self) -> Option<Dangling> {
        self.transforms.iter().find_map(|t| t.member_repair())
    }

    /// The links of `item` the transforms want fetched for its way to `to`
    /// (see [`Transform::links`]), each once.
    pub fn links(&self, to: Side, item: &Item) -> Vec<String> {
        let mut links: Vec<String> = Vec::new();
        for link in self.transforms.iter().flat_map(|t| t.links(to, item)) {
            if !links.contains(&link) {
                links.push(link);
            }
        }
        links
    }

    /// Whether an item on `side` belongs to the profile (all transforms agree).
    pub fn admits(&self, side: Side, item: &Item, context: &MapContext<'_>) -> bool {
        self.transforms
            .iter()
            .all(|t| t.admits(side, item, context))
    }

    /// The item as it is to be written on `to`; the error names the failing transform.
    ///
    /// An item that arrives exactly as the receiving side's item
    /// ([`MapContext::current`]) was written to the other side is that item,
    /// unchanged: what lossy transforms dropped on the way out is all back,
    /// whichever transforms took part.
    pub fn map(
        &self,
        to: Side,
        item: Item,
        context: &MapContext<'_>,
    ) -> Result<Item, MappingError> {
        if let Some(current) = context.current
            && self.lossy(to.other())
        {
            let plain = MapContext {
                current: None,
                warnings: None,
                ..*context
            };
            if let Ok(written) = self.map_each(to.other(), current.clone(), &plain)
                && written.content_hash() == item.content_hash()
            {
                return Ok(current.clone());
            }
        }
        self.map_each(to, item, context)
    }

    /// Every transform's `map`, in the order of `to`.
    fn map_each(
        &self,
        to: Side,
        item: Item,
        context: &MapContext<'_>,
    ) -> Result<Item, MappingError> {
        let apply = |item: Item, t: &dyn Transform| {
            t.map(to, item, context).map_err(|source| MappingError {
                transform: t.name(),
                source,
            })
        };
        match to {
            Side::Local => self
                .transforms
                .iter()
                .try_fold(item, |i, t| apply(i, t.as_ref())),
            Side::Server => self
                .transforms
                .iter()
                .rev()
                .try_fold(item, |i, t| apply(i, t.as_ref())),
        }
    }
}

/// A transform failed on an item.
#[derive(Debug, thiserror::Error)]
#[error("mapping {transform}: {source}")]
pub struct MappingError {
    /// The transform's name.
    pub transform: &'static str,
    /// Why.
    pub source: ItemError,
}
