//! The content filter: a profile keeps the items of one kind.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemKind};

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

    fn admits(&self, _side: Side, item: &Item, _context: &MapContext<'_>) -> bool {
        // A contacts profile takes SOGo's lists too.
        item.kind() == self.0 || (self.0 == ItemKind::Contact && item.kind() == ItemKind::List)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Mapping;

    #[test]
    fn kind_filter_keeps_one_kind() {
        let m = Mapping::new().with(KindFilter(ItemKind::Task));
        let event =
            Item::parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:e\nEND:VEVENT\nEND:VCALENDAR\n")
                .unwrap();
        assert!(!m.admits(Side::Server, &event, &MapContext::default()));
        let task =
            Item::parse("BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nEND:VTODO\nEND:VCALENDAR\n").unwrap();
        assert!(m.admits(Side::Local, &task, &MapContext::default()));
    }
}
