//! Contact photos given as a link (`PHOTO:https://…`) stored inline in the
//! folder's copy, and back: an inlined photo remembers its link
//! (`X-DAVSYNC-URI`) and a digest of what was fetched (`X-DAVSYNC-SHA256`),
//! so that, as long as nobody changed it, it goes back to the server as the
//! link it was (no upload of a photo the server only linked to). A photo
//! changed in the folder goes as the new inline photo.
//!
//! Also the "keep the folder's photo" rule: the photo lines of one copy put
//! in place of another's (phones downscale photos they sync).

use crate::edit::Property;
use crate::lines::Line;
use crate::{Item, ItemError, ItemKind, VcardVersion};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The parameter an inlined photo keeps its link in.
pub const PHOTO_URI: &str = "X-DAVSYNC-URI";
/// The parameter an inlined photo keeps the digest of its value in.
pub const PHOTO_SHA256: &str = "X-DAVSYNC-SHA256";

/// A linked photo as fetched: bytes and media type (`image/jpeg`) if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPhoto {
    /// The image's bytes.
    pub data: Vec<u8>,
    /// Its media type as the server gave it, if any.
    pub media_type: Option<String>,
}

/// Why a linked photo was not inlined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoSkipped {
    /// The fetch failed (the message says why).
    NotFetched(String),
    /// What came is no image davsync recognises.
    NotAnImage,
    /// The link cannot be kept in a parameter (it holds a `"`).
    Unquotable,
}

/// Whether a `PHOTO` value is an http(s) link.
fn is_link(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.starts_with("http://") || v.starts_with("https://")
}

/// The first 16 hex digits of the SHA-256 of a value (the property's raw
/// value, as unfolded): enough to tell an edited photo.
fn digest(value: &str) -> String {
    Sha256::digest(value.trim().as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The image type of `data`: the server's media type if it is an image,
/// else from the first bytes (JPEG, PNG, GIF, WebP).
fn image_type(photo: &FetchedPhoto) -> Option<String> {
    if let Some(t) = &photo.media_type
        && let Some(sub) = t.strip_prefix("image/")
        && !sub.is_empty()
        && sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Some(t.clone());
    }
    let d = &photo.data;
    let sniffed = if d.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if d.starts_with(b"\x89PNG") {
        "image/png"
    } else if d.starts_with(b"GIF8") {
        "image/gif"
    } else if d.len() > 12 && &d[..4] == b"RIFF" && &d[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return None;
    };
    Some(sniffed.into())
}

impl Item {
    /// The http(s) links of the card's `PHOTO` lines, in order.
    pub fn photo_links(&self) -> Vec<String> {
        if self.kind() != ItemKind::Contact {
            return Vec::new();
        }
        self.property_values("PHOTO")
            .into_iter()
            .filter(|v| is_link(v))
            .map(|v| v.trim().to_string())
            .collect()
    }

    /// The card with each linked photo that `fetched` gives stored inline
    /// (in the card's version's form: `ENCODING=b;TYPE=JPEG` in 3.0, a
    /// `data:` URI in 4.0), remembering its link. `fetched` answers `None`
    /// for a link it did not try (left as it is, no word); the links left
    /// for another reason come back with the reason.
    pub fn with_photos_inline(
        &self,
        fetched: impl Fn(&str) -> Option<Result<FetchedPhoto, String>>,
    ) -> Result<(Item, Vec<(String, PhotoSkipped)>), ItemError> {
        let version = self.vcard_version();
        let mut skipped = Vec::new();
        if self.kind() != ItemKind::Contact {
            return Ok((self.clone(), skipped));
        }
        let item = self.edit_components(|c| {
            c.edit(|p| {
                if p.name() != "PHOTO" || !is_link(p.value()) {
                    return;
                }
                let link = p.value().trim().to_string();
                let outcome = match fetched(&link) {
                    None => return,
                    Some(Err(e)) => Err(PhotoSkipped::NotFetched(e)),
                    Some(Ok(_)) if link.contains('"') => Err(PhotoSkipped::Unquotable),
                    Some(Ok(photo)) => image_type(&photo)
                        .map(|t| (t, photo))
                        .ok_or(PhotoSkipped::NotAnImage),
                };
                match outcome {
                    Ok((media, photo)) => inline(p, version, &link, &media, &photo.data),
                    Err(why) => skipped.push((link, why)),
                }
            })
        })?;
        Ok((item, skipped))
    }

    /// The card with each photo inlined by
    /// [`with_photos_inline`](Self::with_photos_inline) and unchanged since
    /// written as its link again: the line `current` (the server's copy)
    /// has for that link, as it is, else a plain link line. A photo changed
    /// since keeps its new data, without davsync's parameters.
    pub fn with_photo_links(&self, current: Option<&Item>) -> Result<Item, ItemError> {
        // (Cheap for the many cards that never had a photo inlined.)
        if self.kind() != ItemKind::Contact || !self.body().contains(PHOTO_URI) {
            return Ok(self.clone());
        }
        let version = self.vcard_version();
        self.edit_components_with(current, |c, peer| {
            let links: Vec<Line> = peer
                .map(|p| p.own_lines())
                .unwrap_or_default()
                .into_iter()
                .filter(|l| l.name() == "PHOTO" && is_link(l.value()))
                .cloned()
                .collect();
            c.edit(|p| {
                if p.name() != "PHOTO" {
                    return;
                }
                let (Some(link), sha) = (p.param(PHOTO_URI), p.param(PHOTO_SHA256)) else {
                    return;
                };
                p.remove_param(PHOTO_URI);
                p.remove_param(PHOTO_SHA256);
                if sha.as_deref() != Some(digest(p.value()).as_str()) {
                    return;
                }
                match links.iter().find(|l| l.value().trim() == link.trim()) {
                    Some(line) => p.replace(line.clone()),
                    None => link_line(p, version, &link),
                }
            })
        })
    }

    /// The card with its `PHOTO` lines replaced by those of `other` (the
    /// same contact's other copy), when `other` has any.
    pub fn with_photos_of(&self, other: &Item) -> Result<Item, ItemError> {
        if self.kind() != ItemKind::Contact || !other.has_property("PHOTO") {
            return Ok(self.clone());
        }
        self.edit_components_with(Some(other), |c, peer| {
            let Some(peer) = peer else {
                return;
            };
            if !peer.has("PHOTO") {
                return;
            }
            c.remove("PHOTO");
            c.restore_from(peer, |n| n == "PHOTO");
        })
    }
}

/// The line's parameters but those whose upper-case name `drop` names.
fn params_without(p: &Property<'_>, drop: impl Fn(&str) -> bool) -> Vec<String> {
    p.params()
        .into_iter()
        .filter(|s| {
            let name = s
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase();
            !drop(&name)
        })
        .collect()
}

/// Rewrites a linked photo line as the inline photo `data` of type `media`.
fn inline(
    p: &mut Property<'_>,
    version: Option<VcardVersion>,
    link: &str,
    media: &str,
    data: &[u8],
) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    // (In 3.0 `TYPE` is the image type, which the new data sets.)
    let v4 = version == Some(VcardVersion::V4);
    let mut params = params_without(p, |name| {
        (!v4 && name == "TYPE") || matches!(name, "VALUE" | "MEDIATYPE" | "ENCODING")
    });
    let value = if v4 {
        format!("data:{media};base64,{encoded}")
    } else {
        let sub = media.trim_start_matches("image/").to_ascii_uppercase();
        params.push("ENCODING=b".into());
        params.push(format!("TYPE={sub}"));
        encoded
    };
    params.push(format!("{PHOTO_URI}=\"{link}\""));
    params.push(format!("{PHOTO_SHA256}={}", digest(&value)));
    p.set_params(&params);
    p.set_value(&value);
}

/// Rewrites an inline photo line as a plain link line.
fn link_line(p: &mut Property<'_>, version: Option<VcardVersion>, link: &str) {
    let mut params = params_without(p, |name| {
        matches!(name, "VALUE" | "MEDIATYPE" | "ENCODING" | "TYPE")
    });
    if version != Some(VcardVersion::V4) {
        params.push("VALUE=uri".into());
    }
    p.set_params(&params);
    p.set_value(link);
}

#[cfg(test)]
mod tests;
