//! The guide's category filter: several server collections share one local
//! folder, each profile owning the local items that carry its category.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemError};

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
    /// Keep owning a local item synced before when it no longer meets the
    /// filter (its category removed): without it, that looks like a local
    /// deletion, and the server copy is deleted.
    pub sticky: bool,
}

impl Transform for CategoryFilter {
    fn name(&self) -> &'static str {
        "category filter"
    }

    fn selection(&self) -> String {
        format!(
            "category {:?} uncategorized {} negate {}{}",
            self.category,
            self.include_uncategorized,
            self.negate,
            if self.sticky { " sticky" } else { "" }
        )
    }

    fn admits(&self, side: Side, item: &Item, context: &MapContext<'_>) -> bool {
        if side == Side::Server || (self.sticky && context.row.is_some()) {
            return true;
        }
        let has = item.has_category(&self.category);
        if self.negate {
            !has
        } else {
            has || (self.include_uncategorized && item.categories().is_empty())
        }
    }

    fn map(&self, to: Side, item: Item, _context: &MapContext<'_>) -> Result<Item, ItemError> {
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
    use crate::mapping::Mapping;

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

    fn none() -> MapContext<'static> {
        MapContext::default()
    }

    fn filter(include_uncategorized: bool, negate: bool) -> Mapping {
        Mapping::new().with(CategoryFilter {
            category: "Work".into(),
            include_uncategorized,
            negate,
            sticky: false,
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
                filter(false, false).admits(Side::Local, &item, &none()),
                plain,
                "{cats}"
            );
            assert_eq!(
                filter(true, false).admits(Side::Local, &item, &none()),
                uncat,
                "{cats}"
            );
            assert_eq!(
                filter(false, true).admits(Side::Local, &item, &none()),
                neg,
                "{cats}"
            );
            assert!(filter(false, false).admits(Side::Server, &item, &none()));
        }
    }

    #[test]
    fn category_is_added_towards_local_and_removed_towards_server() {
        let m = filter(false, false);
        let local = m.map(Side::Local, event("Home"), &none()).unwrap();
        assert_eq!(local.categories(), ["Home", "Work"]);
        assert!(m.admits(Side::Local, &local, &none()));
        let server = m.map(Side::Server, local, &none()).unwrap();
        assert_eq!(server.categories(), ["Home"]);
        let negated = filter(false, true)
            .map(Side::Local, event("Work,Home"), &none())
            .unwrap();
        assert_eq!(negated.categories(), ["Home"]);
    }

    /// Mapped twice is mapped once; and an item in the server's form that
    /// went to the folder and back is what it was: invisible to change
    /// detection. (A folder item carrying the category in another case,
    /// `work`, comes back as `Work`: the same category, spelt as configured.)
    #[test]
    fn category_mapping_is_idempotent_and_round_trips() {
        for (include_uncategorized, negate) in [(false, false), (true, false), (false, true)] {
            let m = filter(include_uncategorized, negate);
            for cats in ["", "Work", "Home", "Home,Work", "work,Other"] {
                for to in [Side::Local, Side::Server] {
                    let once = m.map(to, event(cats), &none()).unwrap();
                    let twice = m.map(to, once.clone(), &none()).unwrap();
                    assert_eq!(once.content_hash(), twice.content_hash(), "{cats} to {to}");
                }
                if negate && event(cats).has_category("Work") {
                    // Negated, a server item with the category loses it in
                    // the folder on purpose (else it would leave the profile).
                    continue;
                }
                let server = m.map(Side::Server, event(cats), &none()).unwrap();
                let local = m.map(Side::Local, server.clone(), &none()).unwrap();
                let back = m.map(Side::Server, local, &none()).unwrap();
                assert_eq!(server.content_hash(), back.content_hash(), "{cats}");
            }
        }
    }

    #[test]
    fn a_sticky_filter_keeps_an_item_synced_before() {
        use crate::status::{SideStatus, StatusRow};
        let side = || SideStatus {
            href: "u.ics".into(),
            version: "1".into(),
            hash: "h".into(),
        };
        let row = StatusRow {
            uid: "u".into(),
            local: side(),
            server: side(),
        };
        let synced = MapContext {
            row: Some(&row),
            current: None,
            warnings: None,
            members: None,
            linked: None,
        };
        let sticky = Mapping::new().with(CategoryFilter {
            category: "Work".into(),
            include_uncategorized: false,
            negate: false,
            sticky: true,
        });
        let without = event("Home");
        assert!(sticky.admits(Side::Local, &without, &synced));
        assert!(!sticky.admits(Side::Local, &without, &none()));
        assert!(!filter(false, false).admits(Side::Local, &without, &synced));
        assert_ne!(sticky.selection(), filter(false, false).selection());
    }
}
