//! Per-direction mapping: which items belong to a profile, and how an item is
//! changed on its way to the other side. Every mapping option is one small
//! [`Transform`]; the category filter is the first.

use crate::planner::Side;
use davsync_pim::{Item, ItemError, ItemKind};

/// One mapping option.
pub trait Transform: Send + Sync {
    /// A short name for messages.
    fn name(&self) -> &'static str;

    /// Whether an item found on `side` belongs to the profile.
    fn admits(&self, _side: Side, _item: &Item) -> bool {
        true
    }

    /// What decides [`admits`](Self::admits), as text: when it differs from
    /// the last clean run's, both sides are listed in full once, since items
    /// left alone then may belong to the profile now (a delta would never
    /// name them again). Empty for a transform that admits everything.
    fn selection(&self) -> String {
        String::new()
    }

    /// Changes an item on its way to `to`.
    fn map(&self, _to: Side, item: Item) -> Result<Item, ItemError> {
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

    /// Whether an item on `side` belongs to the profile (all transforms agree).
    pub fn admits(&self, side: Side, item: &Item) -> bool {
        self.transforms.iter().all(|t| t.admits(side, item))
    }

    /// The item as it is to be written on `to`; the error names the failing transform.
    pub fn map(&self, to: Side, item: Item) -> Result<Item, MappingError> {
        let apply = |item: Item, t: &dyn Transform| {
            t.map(to, item).map_err(|source| MappingError {
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

/// Keeps the items of one kind (events, tasks or contacts), on both sides: a
/// collection holding events and tasks serves an events and a tasks profile.
pub struct KindFilter(pub ItemKind);

impl Transform for KindFilter {
    fn name(&self) -> &'static str {
        "content filter"
    }

    fn selection(&self) -> String {
        format!("{:?}", self.0)
    }

    fn admits(&self, _side: Side, item: &Item) -> bool {
        item.kind() == self.0
    }
}

/// The guide's category filter: several server collections share one local
/// folder, each profile owning the local items that carry its category.
#[derive(Debug, Clone)]
pub struct CategoryFilter {
    /// The category (no commas or semicolons).
    pub category: String,
    /// Also own local items without any category.
    pub include_uncategorized: bool,
    /// Own every local item except those carrying the category.
    pub negate: bool,
}

impl Transform for CategoryFilter {
    fn name(&self) -> &'static str {
        "category filter"
    }

    fn selection(&self) -> String {
        format!(
            "category {:?} uncategorized {} negate {}",
            self.category, self.include_uncategorized, self.negate
        )
    }

    fn admits(&self, side: Side, item: &Item) -> bool {
        if side == Side::Server {
            return true;
        }
        let has = item.has_category(&self.category);
        if self.negate {
            !has
        } else {
            has || (self.include_uncategorized && item.categories().is_empty())
        }
    }

    fn map(&self, to: Side, item: Item) -> Result<Item, ItemError> {
        match (to, self.negate) {
            // Items from the server are tagged so that they belong to this profile…
            (Side::Local, false) => item.with_category_added(&self.category),
            // …and the tag stays local.
            (Side::Server, false) => item.with_category_removed(&self.category),
            // Negated: a server item must not carry the category locally, or it
            // would leave the profile on the next run and be deleted on the server.
            (Side::Local, true) => item.with_category_removed(&self.category),
            (Side::Server, true) => Ok(item),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(cats: &str) -> Item {
        let cats = if cats.is_empty() {
            String::new()
        } else {
            format!("CATEGORIES:{cats}\r\n")
        };
        Item::parse(format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nSUMMARY:s\r\n{cats}END:VEVENT\r\nEND:VCALENDAR\r\n"
        ))
        .unwrap()
    }

    fn filter(include_uncategorized: bool, negate: bool) -> Mapping {
        Mapping::new().with(CategoryFilter {
            category: "Work".into(),
            include_uncategorized,
            negate,
        })
    }

    #[test]
    fn category_filter_admits_per_options() {
        // (categories, plain, with uncategorized, negated)
        let cases = [
            ("Work", true, true, false),
            ("Home,work", true, true, false),
            ("Home", false, false, true),
            ("", false, true, true),
        ];
        for (cats, plain, uncat, neg) in cases {
            let item = event(cats);
            assert_eq!(
                filter(false, false).admits(Side::Local, &item),
                plain,
                "{cats}"
            );
            assert_eq!(
                filter(true, false).admits(Side::Local, &item),
                uncat,
                "{cats}"
            );
            assert_eq!(
                filter(false, true).admits(Side::Local, &item),
                neg,
                "{cats}"
            );
            assert!(filter(false, false).admits(Side::Server, &item));
        }
    }

    #[test]
    fn category_is_added_towards_local_and_removed_towards_server() {
        let m = filter(false, false);
        let local = m.map(Side::Local, event("Home")).unwrap();
        assert_eq!(local.categories(), ["Home", "Work"]);
        assert!(m.admits(Side::Local, &local));
        let server = m.map(Side::Server, local).unwrap();
        assert_eq!(server.categories(), ["Home"]);
        let negated = filter(false, true)
            .map(Side::Local, event("Work,Home"))
            .unwrap();
        assert_eq!(negated.categories(), ["Home"]);
    }

    #[test]
    fn kind_filter_keeps_one_kind() {
        let m = Mapping::new().with(KindFilter(ItemKind::Task));
        assert!(!m.admits(Side::Server, &event("")));
        let task =
            Item::parse("BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nEND:VTODO\nEND:VCALENDAR\n").unwrap();
        assert!(m.admits(Side::Local, &task));
    }
}
