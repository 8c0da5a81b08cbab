//! The DAV facade of davsync: the CalDAV and CardDAV requests of `libdav`,
//! run over `reqwest`, with the gaps a synchronizer needs filled in (multiget
//! accounting, getctag, overwrite detection on create, typed HTTP errors).

mod client;
mod collection;
pub mod discovery;

pub use client::{ClientOptions, Credentials, DavClient, DavError, RawResponse};
pub use collection::{Body, Collection, CollectionKind, Created, Properties, Resource, SyncReport};
