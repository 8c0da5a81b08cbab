//! Entry points for the fuzz targets (`fuzz/` at the workspace root): the
//! parsers of server answers, reached without a server. Only built with the
//! `fuzzing` feature; not an API (hidden from the documentation, may change
//! at any time).
//!
//! Each function runs the same code a real answer goes through, on a
//! collection at `http://127.0.0.1:1/cal/` (no request is ever sent).

use crate::client::{ClientOptions, DavClient, DavError, strip_invalid_xml};
use crate::collection::{Collection, CollectionKind, SyncPage};
use crate::multistatus::parse_multistatus;
use crate::query::QueryItem;
use bytes::Bytes;
use libdav::requests::DavRequest;
use libdav::{PropertyName, names};
use std::sync::OnceLock;

/// The base URL of the collections the answers are parsed for.
pub const BASE: &str = "http://127.0.0.1:1/";

/// The collection an answer is parsed for: `/cal/` of [`BASE`], of `kind`.
pub fn collection(kind: CollectionKind) -> &'static Collection {
    static CALENDAR: OnceLock<Collection> = OnceLock::new();
    static BOOK: OnceLock<Collection> = OnceLock::new();
    let cell = match kind {
        CollectionKind::Calendar => &CALENDAR,
        CollectionKind::AddressBook => &BOOK,
    };
    cell.get_or_init(|| {
        let client =
            DavClient::new(BASE, None, &ClientOptions::default()).expect("a client for BASE");
        Collection::new(client, &format!("{BASE}cal/"), kind).expect("a collection of BASE")
    })
}

thread_local! {
    /// The runtime the streaming parser runs on (one per thread, reused).
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
}

/// What the streaming query parser made of one answer.
#[derive(Debug)]
pub struct QueryOutcome {
    /// Every `<response>` as parsed, before it is checked against the
    /// collection (its `Debug` form: comparable, whatever the type's fields).
    pub responses: Vec<String>,
    /// The items [`Collection::query`] would hand over.
    pub items: Vec<QueryItem>,
    /// How the parse ended.
    pub result: Result<(), DavError>,
}

/// Runs the streaming `calendar-query` / `addressbook-query` parser on
/// `body`, delivered in pieces of the lengths in `pieces` (the rest in a
/// last piece), with at most `limit` bytes per `<response>`, as
/// [`Collection::query`] does; with `strip`, the characters XML 1.0 forbids
/// are removed from each piece first (`accept_invalid_xml_chars`).
pub fn query(
    kind: CollectionKind,
    body: &[u8],
    pieces: &[usize],
    limit: u64,
    strip: bool,
) -> QueryOutcome {
    let mut chunks = Vec::new();
    let mut rest = body;
    for &len in pieces {
        let (piece, after) = rest.split_at(len.min(rest.len()));
        chunks.push(piece);
        rest = after;
    }
    chunks.push(rest);
    let chunks: Vec<Result<Bytes, DavError>> = chunks
        .into_iter()
        .map(|piece| {
            let piece = Bytes::copy_from_slice(piece);
            Ok(if strip {
                strip_invalid_xml(piece)
            } else {
                piece
            })
        })
        .collect();
    let collection = collection(kind);
    let mut responses = Vec::new();
    let mut items = Vec::new();
    let result = RUNTIME.with(|runtime| {
        runtime.block_on(parse_multistatus(
            "http://127.0.0.1:1/cal/",
            futures_util::stream::iter(chunks),
            limit,
            &mut |parsed| {
                responses.push(format!("{parsed:?}"));
                items.extend(collection.items_of(parsed));
            },
        ))
    });
    QueryOutcome {
        responses,
        items,
        result: result.map(drop),
    }
}

/// Parses a `sync-collection` answer as [`Collection::sync_collection_page`] does.
pub fn sync_collection(kind: CollectionKind, body: &[u8]) -> Result<SyncPage, String> {
    collection(kind).parse_sync(body)
}

/// Parses the PROPFIND answer listing a home set's collections, as
/// discovery does; returns the collections found.
pub fn collection_listing(
    body: &[u8],
) -> Result<Vec<crate::discovery::DiscoveredCollection>, String> {
    let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let entries = crate::discovery::parse_collections(text).map_err(|e| e.to_string())?;
    Ok(entries
        .into_iter()
        .map(|entry| entry.into_collection(BASE.to_string()))
        .collect())
}

/// Runs the parsers of `libdav` that davsync's requests use (properties,
/// multiget, home sets, principal; the listing is davsync's own streaming
/// parser, [`query`] covers it) on `body` as the answer
/// (207 Multi-Status) to each request; returns how many accepted it.
pub fn libdav_answers(body: &[u8]) -> usize {
    let parts = http::Response::builder()
        .status(http::StatusCode::MULTI_STATUS)
        .body(())
        .expect("a response")
        .into_parts()
        .0;
    let href = "/cal/";
    let hrefs = ["/cal/a.ics".to_string(), "/cal/b.vcf".to_string()];
    let getctag = PropertyName::new(names::CALENDAR_SERVER, "getctag");
    let wanted = [
        &names::DISPLAY_NAME,
        &names::CALENDAR_COLOUR,
        &getctag,
        &names::SYNC_TOKEN,
    ];
    let mut accepted = 0;
    let mut count = |ok: bool| accepted += usize::from(ok);
    count(
        libdav::dav::GetProperties::new(href, &wanted)
            .parse_response(&parts, body)
            .is_ok(),
    );
    count(
        libdav::caldav::GetCalendarResources::new(href)
            .with_hrefs(&hrefs)
            .parse_response(&parts, body)
            .is_ok(),
    );
    count(
        libdav::carddav::GetAddressBookResources::new(href)
            .with_hrefs(&hrefs)
            .parse_response(&parts, body)
            .is_ok(),
    );
    count(
        libdav::caldav::FindCalendarHomeSet::new(href)
            .parse_response(&parts, body)
            .is_ok(),
    );
    count(
        libdav::carddav::FindAddressBookHomeSet::new(href)
            .parse_response(&parts, body)
            .is_ok(),
    );
    count(
        libdav::dav::FindPropertyHrefs::new(href, &names::CURRENT_USER_PRINCIPAL)
            .parse_response(&parts, body)
            .is_ok(),
    );
    accepted
}
