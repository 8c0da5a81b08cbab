//! The map stage: an item on its way to a side goes through the profile's
//! mapping (its list of transforms), which may consult the item's status
//! row and, for a lossy mapping, the item the receiving side holds now. Used
//! for every write's content and, during the scan, to know a local item's
//! server form (so an equal pair needs no write).

use super::reader::Reader;
use super::*;
use crate::mapping::{LinkedFiles, MapContext, MapWarnings};

/// What the map stage is given about an item besides its status row and
/// the receiving side's copy: the directory a list's members resolve
/// through, the files it links to that were fetched.
#[derive(Clone, Copy, Default)]
pub(super) struct Around<'x> {
    pub(super) members: Option<&'x dyn MemberDirectory>,
    pub(super) linked: Option<&'x LinkedFiles>,
}

impl<'a, 'j> Reader<'a, 'j> {
    /// `item` as it is to be written on `to`, over `current` (what `to`
    /// holds now; given when the mapping is lossy towards the other side,
    /// so that what it dropped there is kept here). The transforms'
    /// warnings about the item go into `report` (`None`: the mapping is
    /// only compared, and they are logged).
    pub(super) fn map_to(
        &self,
        to: Side,
        item: Item,
        current: Option<&Item>,
        around: Around<'_>,
        report: Option<&mut Report>,
    ) -> Result<Item, Failure> {
        let warnings = MapWarnings::default();
        let context = MapContext {
            row: self.known.rows.get(item.uid()),
            current,
            warnings: report.is_some().then_some(&warnings),
            members: around.members,
            linked: around.linked,
        };
        let uid = item.uid().to_string();
        let mapped = self
            .job
            .mapping
            .map(to, item, &context)
            .map_err(|e| Failure::new(to, None, e.to_string()));
        if let Some(report) = report {
            for warning in warnings.take() {
                report.item_message(true, to, None, Some(&uid), format!("mapping: {warning}"));
            }
        }
        mapped
    }
}
