//! Contact photos (`photo_uri`, `keep_local_photo`).
//!
//! - `photo_uri = "inline"`: a `PHOTO` the server gives as an http(s) link
//!   is fetched (by the engine, through the server store: its proxy and TLS
//!   settings, its credentials for its own origin only; see
//!   [`Transform::links`]) and stored inline in the folder's copy, which
//!   remembers the link (`davsync_pim`'s `with_photos_inline`). Towards the
//!   server an unchanged inlined photo goes back as the server's own link
//!   line, a changed one as the new photo. A photo that cannot be fetched
//!   stays a link, with a warning for the item.
//! - `keep_local_photo = true`: towards the folder, the folder's photo
//!   stays whatever the server's copy holds (phones downscale photos).

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{FetchedPhoto, Item, ItemError, ItemKind, PhotoSkipped};
use std::collections::HashMap;

/// `photo_uri`: what becomes of a photo given as a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoUriOption {
    /// Left as a link (the default).
    Keep,
    /// Fetched and stored inline in the folder's copy.
    Inline,
}

/// Files the engine fetched for a mapping, by link: the file, or why not.
pub type LinkedFiles = HashMap<String, Result<FetchedPhoto, String>>;

/// The photo options of a contacts profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Photos {
    /// `photo_uri`.
    pub uri: PhotoUriOption,
    /// `keep_local_photo`.
    pub keep_local: bool,
}

impl Transform for Photos {
    fn name(&self) -> &'static str {
        "photos"
    }

    fn links(&self, to: Side, item: &Item) -> Vec<String> {
        match (to, self.uri) {
            (Side::Local, PhotoUriOption::Inline) => item.photo_links(),
            _ => Vec::new(),
        }
    }

    /// Towards the folder an inlined photo lacks the server's own link
    /// line; with `keep_local_photo` the folder's copy keeps a photo the
    /// server's copy lacks: either way `map` wants the receiving side's item.
    fn lossy(&self, to: Side) -> bool {
        match to {
            Side::Local => self.uri == PhotoUriOption::Inline,
            Side::Server => self.keep_local,
        }
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if item.kind() != ItemKind::Contact {
            return Ok(item);
        }
        match to {
            Side::Local => {
                if self.keep_local
                    && let Some(current) = context.current
                    && current.has_property("PHOTO")
                {
                    return item.with_photos_of(current);
                }
                if self.uri != PhotoUriOption::Inline {
                    return Ok(item);
                }
                let linked = context.linked;
                let (inlined, skipped) =
                    item.with_photos_inline(|link| linked.and_then(|l| l.get(link).cloned()))?;
                for (link, why) in skipped {
                    let link = davsync_store::shown_url(&link);
                    let why = match why {
                        PhotoSkipped::NotFetched(e) => format!("not fetched: {e}"),
                        PhotoSkipped::NotAnImage => "not an image (JPEG, PNG, GIF, WebP)".into(),
                        PhotoSkipped::Unquotable => "the link holds a '\"'".into(),
                    };
                    context.warn(
                        inlined.uid(),
                        format!("photo {link}: {why}; the link is kept"),
                    );
                }
                Ok(inlined)
            }
            // Unconditionally: a folder inlined under `photo_uri = "inline"`
            // and then set back to "keep" still sends its links back.
            Side::Server => item.with_photo_links(context.current),
        }
    }
}

#[cfg(test)]
mod tests;
