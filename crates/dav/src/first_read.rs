//! A first read in one request: a `sync-collection` REPORT from the empty
//! token that asks for `calendar-data` / `address-data` beside the ETag
//! (RFC 6578 §3.2 allows any property), so that the items and the token to
//! ask from next time come together; on Radicale the token asked for apart
//! (a PROPFIND) costs as much as the items themselves. Answers cut short
//! (a 507 for the collection) are followed with the token each gives.

use crate::client::DavError;
use crate::client::check_status;
use crate::collection::{Collection, CollectionKind, MAX_SYNC_ROUNDS};
use crate::multistatus::parse_multistatus;
use crate::query::QueryItem;

/// The REPORT's body: everything since `token` (none: everything), with data.
fn request_body(kind: CollectionKind, token: Option<&str>) -> String {
    let (namespace, data) = match kind {
        CollectionKind::Calendar => ("urn:ietf:params:xml:ns:caldav", "calendar-data"),
        CollectionKind::AddressBook => ("urn:ietf:params:xml:ns:carddav", "address-data"),
    };
    let token = match token {
        Some(t) => format!(
            "<D:sync-token>{}</D:sync-token>",
            crate::collection::xml_escape(t)
        ),
        None => "<D:sync-token/>".to_string(),
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:" xmlns:X="{namespace}">{token}<D:sync-level>1</D:sync-level><D:prop><D:getetag/><D:getcontenttype/><X:{data}/></D:prop></D:sync-collection>"#
    )
}

impl Collection {
    /// Every item with its data, handed to `sink` as the answer streams in,
    /// and the sync token to ask for changes from next time. A server
    /// without `sync-collection`, or whose answer holds no data for its first
    /// item (it would not give the property there), is an error before
    /// anything is handed over: the caller reads another way. Errors after
    /// that leave what was handed over handed.
    pub async fn read_all_with_token(
        &self,
        sink: &mut dyn FnMut(QueryItem),
    ) -> Result<String, DavError> {
        let uri = libdav::dav::make_relative_url(self.client().base().clone(), self.href())
            .map_err(|_| DavError::InvalidUrl(self.href().to_string()))?;
        let url = uri.to_string();
        let protocol = |message: &str| DavError::Protocol {
            url: url.clone(),
            message: message.to_string(),
        };
        let mut token: Option<String> = None;
        let mut handed = 0usize;
        for _ in 0..MAX_SYNC_ROUNDS {
            let request = http::Request::builder()
                .method("REPORT")
                .uri(uri.clone())
                .header(http::header::CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(request_body(self.kind(), token.as_deref()))
                .map_err(|e| DavError::InvalidUrl(format!("{url}: {e}")))?;
            let response = self.client().send_streaming(request).await?;
            let status = response.parts.status;
            check_status(&url, status)?;
            if !status.is_success() {
                return Err(DavError::Status { url, status });
            }
            let mut truncated = false;
            let mut without_data = false;
            let mut on_response = |parsed: crate::multistatus::ParsedResponse| {
                if without_data {
                    return;
                }
                if parsed.hrefs.iter().any(|h| {
                    crate::multistatus::normalise_href(h).is_some_and(|h| self.is_self(&h))
                }) {
                    truncated |= parsed.status.is_some_and(|s| s.as_u16() == 507);
                    return;
                }
                // Gone since (a later page of a cut answer): nothing to read.
                if parsed
                    .status
                    .is_some_and(|s| matches!(s.as_u16(), 404 | 410))
                {
                    return;
                }
                for item in self.items_of(parsed) {
                    if handed == 0 && item.result.is_err() && item_lacks_data(&item) {
                        without_data = true;
                        return;
                    }
                    handed += 1;
                    sink(item);
                }
            };
            let next = parse_multistatus(
                &url,
                response.into_chunks(),
                self.client().max_body(),
                &mut on_response,
            )
            .await?;
            if without_data {
                return Err(protocol("the sync-collection answer holds no item data"));
            }
            let Some(next) = next else {
                return Err(protocol(
                    "missing DAV:sync-token in the sync-collection answer",
                ));
            };
            if !truncated {
                return Ok(next);
            }
            if token.as_deref() == Some(next.as_str()) {
                return Err(protocol(
                    "sync-collection answer truncated without a new sync token",
                ));
            }
            token = Some(next);
        }
        Err(protocol(&format!(
            "sync-collection still truncated after {MAX_SYNC_ROUNDS} requests"
        )))
    }
}

/// Whether an item came without its data (the property not given in a
/// sync-collection answer).
fn item_lacks_data(item: &QueryItem) -> bool {
    matches!(&item.result, Err(DavError::Protocol { message, .. })
        if message.contains("no data") || message.contains("withheld the item's data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_asks_for_the_data_of_its_kind() {
        let cal = request_body(CollectionKind::Calendar, None);
        assert!(
            cal.contains("<D:sync-token/>") && cal.contains("<X:calendar-data/>"),
            "{cal}"
        );
        assert!(cal.contains(r#"xmlns:X="urn:ietf:params:xml:ns:caldav""#));
        let book = request_body(CollectionKind::AddressBook, Some("a<b"));
        assert!(
            book.contains("<D:sync-token>a&lt;b</D:sync-token>"),
            "{book}"
        );
        assert!(book.contains("<X:address-data/>"), "{book}");
    }
}
