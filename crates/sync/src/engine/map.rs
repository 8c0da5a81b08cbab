//! The map stage: an item on its way to a side goes through the profile's
//! mapping (its list of transforms), which may consult the item's status
//! row and, for a lossy mapping, the item the receiving side holds now. Used
//! for every write's content and, during the scan, to know a local item's
//! server form (so an equal pair needs no write).

use super::reader::Reader;
use super::*;
use crate::mapping::MapContext;

impl<'a, 'j> Reader<'a, 'j> {
    /// `item` as it is to be written on `to`, over `current` (what `to`
    /// holds now; given when the mapping is lossy towards the other side,
    /// so that what it dropped there is kept here).
    pub(super) fn map_to(
        &self,
        to: Side,
        item: Item,
        current: Option<&Item>,
    ) -> Result<Item, Failure> {
        let context = MapContext {
            row: self.known.rows.get(item.uid()),
            current,
        };
        self.job
            .mapping
            .map(to, item, &context)
            .map_err(|e| Failure::new(to, None, e.to_string()))
    }
}
