//! Files an item links to that the mapping wants (a contact's photo URL
//! under `photo_uri = "inline"`), fetched through the store the item comes
//! from before the item is mapped.

use super::execute::Executor;
use super::*;
use crate::mapping::LinkedFiles;
use davsync_pim::FetchedPhoto;

impl Executor<'_, '_, '_> {
    /// The files `item` (from the other side) links to that its mapping
    /// towards `to` wants, fetched (or why not); `None` when it wants none.
    pub(super) async fn fetch_links(&self, to: Side, item: &Item) -> Option<LinkedFiles> {
        let links = self.job.mapping.links(to, item);
        if links.is_empty() {
            return None;
        }
        let store = self.job.store(to.other());
        let mut files = LinkedFiles::new();
        for link in links {
            let file = store
                .fetch_linked(&link)
                .await
                .map(|f| FetchedPhoto {
                    data: f.data,
                    media_type: f.media_type,
                })
                .map_err(|e| e.to_string());
            files.insert(link, file);
        }
        Some(files)
    }
}
