//! Calendar objects and contacts as davsync sees them: parsing and validation
//! (through `calcard`), identity (UID), content hashes, and lossless edits.

mod duplicate;
mod item;
mod lines;
mod range;

pub use item::{Item, ItemError, ItemKind, parse_timestamp};
