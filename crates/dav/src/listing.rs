//! `Collection::list`: every item's href, ETag and media type by a PROPFIND
//! Depth 1, parsed `<response>` by `<response>` as the answer streams in
//! (the query parser's), so that a listing of 100,000 items holds their
//! hrefs and ETags and never a tree of the whole answer.

use crate::client::{DavError, check_status};
use crate::collection::{Collection, CollectionKind, Resource};
use crate::membership::{self, Entry};
use crate::multistatus::{ParsedResponse, normalise_href, parse_multistatus};

/// The PROPFIND body of a listing.
const LIST_BODY: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
    <D:propfind xmlns:D=\"DAV:\"><D:prop>\
    <D:resourcetype/><D:getcontenttype/><D:getetag/>\
    </D:prop></D:propfind>";

/// One entry of the answer, before it is checked against the collection.
struct Listed {
    href: String,
    collection: bool,
    of_kind: bool,
    ok: bool,
    etag: Option<String>,
    content_type: Option<String>,
}

impl Collection {
    /// Every item with its ETag and media type (PROPFIND Depth 1).
    /// Sub-collections, items of other media types and entries without an
    /// ETag are left out; SOGo's contact lists are in ([`Resource::is_list`]).
    /// An entry the answer garbles (a bad status line, text that is not
    /// UTF-8) fails the whole listing: an item left out of a listing would
    /// be taken for one deleted on the server.
    pub async fn list(&self) -> Result<Vec<Resource>, DavError> {
        let uri = libdav::dav::make_relative_url(self.client().base().clone(), self.href())
            .map_err(|_| DavError::InvalidUrl(self.href().to_string()))?;
        let url = uri.to_string();
        let request = http::Request::builder()
            .method("PROPFIND")
            .uri(uri)
            .header("Depth", "1")
            .header(http::header::CONTENT_TYPE, "application/xml; charset=utf-8")
            .body(LIST_BODY.to_string())
            .map_err(|e| DavError::InvalidUrl(format!("{url}: {e}")))?;
        let response = self.client().send_streaming(request).await?;
        let status = response.parts.status;
        check_status(&url, status)?;
        if !status.is_success() {
            return Err(DavError::Status { url, status });
        }
        let mut listed = Vec::new();
        let mut garbled = None;
        let mut on_response = |parsed: ParsedResponse| {
            if let Some(problem) = &parsed.problem {
                garbled.get_or_insert_with(|| problem.clone());
                return;
            }
            listed.extend(self.entries_of(parsed));
        };
        parse_multistatus(
            &url,
            response.into_chunks(),
            self.client().max_body(),
            &mut on_response,
        )
        .await?;
        if let Some(message) = garbled {
            return Err(DavError::Protocol { url, message });
        }
        let entries: Vec<Entry<'_>> = listed
            .iter()
            .map(|l| Entry {
                href: &l.href,
                collection: l.collection,
                of_kind: Some(l.of_kind),
            })
            .collect();
        membership::check(self.href(), self.kind(), &entries)
            .map_err(|message| DavError::Protocol { url, message })?;
        drop(entries);
        Ok(listed
            .into_iter()
            .filter(|l| !l.collection && l.ok)
            .filter(|l| self.kind().accepts(l.content_type.as_deref()))
            .filter(|l| self.owns(&l.href))
            .filter_map(|l| {
                Some(Resource {
                    etag: l.etag.filter(|e| !e.is_empty())?,
                    href: l.href,
                    content_type: l.content_type,
                })
            })
            .collect())
    }

    /// The entries of one `<response>` (one per usable href); the
    /// collection's own entry is left out, as libdav's listing did, so that
    /// the membership check sees what it always saw.
    fn entries_of(&self, parsed: ParsedResponse) -> Vec<Listed> {
        let of_kind = match self.kind() {
            CollectionKind::Calendar => parsed.is_calendar,
            CollectionKind::AddressBook => parsed.is_address_book,
        };
        let ok = parsed.status.is_none_or(|s| s.is_success());
        parsed
            .hrefs
            .iter()
            .filter_map(|raw| {
                let href = normalise_href(raw);
                if href.is_none() {
                    tracing::warn!(href = %raw, "ignoring an unusable href in a listing");
                }
                href
            })
            .filter(|href| href != self.href())
            .map(|href| Listed {
                href,
                collection: parsed.is_collection,
                of_kind,
                ok,
                etag: parsed.etag.clone(),
                content_type: parsed.content_type.clone(),
            })
            .collect()
    }
}
