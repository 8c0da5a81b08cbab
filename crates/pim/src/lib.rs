//! Calendar objects and contacts as davsync sees them: parsing and validation
//! (through `calcard`), identity (UID), content hashes, and lossless edits.

mod alarms;
mod duplicate;
mod edit;
mod groups;
mod item;
mod lines;
mod outline;
mod parked;
mod photo;
mod range;
mod tz;
mod vcard;
mod vlist;

pub use alarms::PrunedAlarms;
pub use edit::{Component, Property, escape_text, unescape_text};
pub use groups::{APPLE_KIND, APPLE_MEMBER, GroupShape, KIND, MEMBER, Member};
pub use item::{Item, ItemError, ItemKind, parse_timestamp};
pub use photo::{FetchedPhoto, PHOTO_SHA256, PHOTO_URI, PhotoSkipped};
pub use tz::{TimeZoneReport, iana_zone};
pub use vcard::{VcardVersion, param_decode, param_encode};
pub use vlist::{CARD, CardRef, DAVSYNC_CARD, DAVSYNC_UID, Dangling, MemberDirectory};
