//! The map stage: an item on its way to a side goes through the profile's
//! mapping (its list of transforms), which may consult the item's status
//! row. Used for every write's content and, during the scan, to know a local
//! item's server form (so an equal pair needs no write).

use super::*;
use crate::mapping::MapContext;

impl<'a, 'j> Run<'a, 'j> {
    /// `item` as it is to be written on `to`.
    pub(super) fn map_to(&self, to: Side, item: Item) -> Result<Item, Failure> {
        let context = MapContext {
            row: self.known.rows.get(item.uid()),
            current: None,
        };
        self.job
            .mapping
            .map(to, item, &context)
            .map_err(|e| Failure::new(to, None, e.to_string()))
    }
}
