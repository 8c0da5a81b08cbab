//! The DAV facade of davsync: the CalDAV and CardDAV requests of `libdav`,
//! run over `reqwest`, with the gaps a synchronizer needs filled in (multiget
//! accounting, getctag, overwrite detection on create, typed HTTP errors,
//! Digest authentication, retries, TLS pinning).

mod auth;
mod client;
mod collection;
pub mod discovery;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod inspect;
mod linked;
mod listing;
mod membership;
mod mkcol;
mod multistatus;
mod query;
pub mod tls;

pub use auth::AuthOptions;
pub use client::{
    ClientOptions, Credentials, DavClient, DavError, ProxyOption, RawResponse, Repeated,
    StreamingResponse,
};
pub use collection::{
    Body, Collection, CollectionKind, Created, LIST_CONTENT_TYPE, MAX_SYNC_ROUNDS, Properties,
    Resource, SyncPage, SyncReport, is_list_body,
};
pub use inspect::{Inspection, ResourceType, clock_skew, parse_http_date};
pub use linked::{LinkedFile, same_origin, shown_url};
pub use mkcol::NewCollection;
pub use query::{CalendarComponent, QueryFilter, QueryItem};
