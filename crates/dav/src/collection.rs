//! One calendar or address book on a server: listing with ETags, multiget in
//! batches with every href accounted for, conditional PUT and DELETE, and the
//! collection's properties.

use crate::client::{DavClient, DavError, check_status};
use libdav::PropertyName;
use libdav::caldav::GetCalendarResources;
use libdav::carddav::GetAddressBookResources;
use libdav::dav::{Delete, GetProperties, ListResources, PutResource, SetProperty, SyncCollection};
use libdav::names;
use libdav::requests::DavRequest;
use std::collections::HashMap;

/// `CS:getctag`, the collection tag of calendarserver.org.
const GETCTAG: PropertyName = PropertyName::new(names::CALENDAR_SERVER, "getctag");

/// What a collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    /// A CalDAV calendar (events, tasks).
    Calendar,
    /// A CardDAV address book.
    AddressBook,
}

impl CollectionKind {
    /// The media type of items written.
    pub fn content_type(self) -> &'static str {
        match self {
            CollectionKind::Calendar => "text/calendar; charset=utf-8",
            CollectionKind::AddressBook => "text/vcard; charset=utf-8",
        }
    }

    /// The file extension used for new items' hrefs.
    pub fn extension(self) -> &'static str {
        match self {
            CollectionKind::Calendar => "ics",
            CollectionKind::AddressBook => "vcf",
        }
    }

    /// Whether a listed content type is one of ours (SOGo lists its contact
    /// groups as `text/x-vlist`, which is no vCard).
    fn accepts(self, content_type: Option<&str>) -> bool {
        let Some(ct) = content_type else {
            return true;
        };
        let ct = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match self {
            CollectionKind::Calendar => ct == "text/calendar" || ct.is_empty(),
            CollectionKind::AddressBook => {
                matches!(
                    ct.as_str(),
                    "text/vcard" | "text/x-vcard" | "text/directory" | ""
                )
            }
        }
    }
}

/// An item as listed: its href and ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The href (a percent-encoded path).
    pub href: String,
    /// The ETag, as the server sent it (quoted).
    pub etag: String,
}

/// An item as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The item's data.
    pub data: String,
    /// Its ETag.
    pub etag: String,
}

/// How a create went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new resource (201); its ETag if the server sent one.
    New(Option<String>),
    /// The server answered as for an overwrite (200/204) although `If-None-Match: *`
    /// was sent: something was there (SOGo ignores the precondition).
    Replaced(Option<String>),
}

/// The answer to a `sync-collection` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncReport {
    /// What changed since the token given (everything, without a token).
    Changes {
        /// The token to ask with next time.
        token: String,
        /// Items added or changed, with their ETags.
        changed: Vec<Resource>,
        /// Hrefs of items deleted.
        deleted: Vec<String>,
    },
    /// The server no longer accepts the token (`DAV:valid-sync-token`, sent
    /// with 403 by Radicale and Cyrus, with 412 by Xandikos): list everything.
    InvalidToken,
}

/// The collection's properties that matter for syncing and display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// `DAV:displayname`.
    pub displayname: Option<String>,
    /// `ICAL:calendar-color`.
    pub color: Option<String>,
    /// `CS:getctag`.
    pub ctag: Option<String>,
    /// `DAV:sync-token`.
    pub sync_token: Option<String>,
}

/// A calendar or address book collection.
#[derive(Debug, Clone)]
pub struct Collection {
    client: DavClient,
    href: String,
    kind: CollectionKind,
}

impl Collection {
    /// The collection at `url` (an absolute URL, or a path on the client's server).
    pub fn new(client: DavClient, url: &str, kind: CollectionKind) -> Result<Self, DavError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| DavError::InvalidUrl(url.to_string()))?;
        // Hrefs in responses come back normalised by libdav; compare like with like.
        let mut href = libdav::encoding::normalise_percent_encoded(uri.path())
            .map_err(|_| DavError::InvalidUrl(url.to_string()))?
            .into_owned();
        if !href.ends_with('/') {
            href.push('/');
        }
        Ok(Collection { client, href, kind })
    }

    /// The collection's href (path, with a trailing slash).
    pub fn href(&self) -> &str {
        &self.href
    }

    /// Calendar or address book.
    pub fn kind(&self) -> CollectionKind {
        self.kind
    }

    /// The client.
    pub fn client(&self) -> &DavClient {
        &self.client
    }

    /// Whether `href` names an item directly inside this collection.
    pub fn owns(&self, href: &str) -> bool {
        href.strip_prefix(&self.href).is_some_and(|rest| {
            !rest.is_empty() && !rest.contains('/') && rest != "." && rest != ".."
        })
    }

    /// Every item with its ETag (PROPFIND Depth 1). Sub-collections, items of
    /// other media types and entries without an ETag are left out.
    pub async fn list(&self) -> Result<Vec<Resource>, DavError> {
        let response = self.client.run(&ListResources::new(&self.href)).await?;
        Ok(response
            .resources
            .into_iter()
            .filter(|r| !r.resource_type.is_collection)
            .filter(|r| r.status.is_none_or(|s| s.is_success()))
            .filter(|r| self.kind.accepts(r.content_type.as_deref()))
            .filter(|r| self.owns(&r.href))
            .filter_map(|r| {
                Some(Resource {
                    etag: r.etag?,
                    href: r.href,
                })
            })
            .collect())
    }

    /// `sync-collection` (RFC 6578) since `token`, or from the start without one.
    pub async fn sync_collection(&self, token: Option<&str>) -> Result<SyncReport, DavError> {
        let mut request = SyncCollection::new(&self.href);
        if let Some(token) = token {
            request = request.with_sync_token(token);
        }
        let prepared = request
            .prepare_request(self.client.base().clone())
            .map_err(|e| DavError::InvalidUrl(e.to_string()))?;
        let url = prepared.uri().to_string();
        let response = self.client.send(prepared).await?;
        let status = response.parts.status.as_u16();
        let names_token = String::from_utf8_lossy(&response.body).contains("valid-sync-token");
        if matches!(status, 403 | 409 | 412 | 400) && names_token {
            return Ok(SyncReport::InvalidToken);
        }
        check_status(&url, response.parts.status)?;
        if !response.parts.status.is_success() {
            return Err(DavError::Status {
                url,
                status: response.parts.status,
            });
        }
        let parsed = request
            .parse_response(&response.parts, &response.body)
            .map_err(|e| DavError::Protocol {
                url,
                message: e.to_string(),
            })?;
        Ok(SyncReport::Changes {
            token: parsed.new_sync_token,
            changed: parsed
                .changed
                .into_iter()
                .filter(|r| !r.resource_type.is_collection && self.owns(&r.href))
                .filter_map(|r| {
                    Some(Resource {
                        etag: r.etag?,
                        href: r.href,
                    })
                })
                .collect(),
            deleted: parsed
                .deleted
                .into_iter()
                .filter(|h| self.owns(h))
                .collect(),
        })
    }

    /// Reads `hrefs` with one multiget. Every href gets an answer: its body, a
    /// `NotFound` when the server says it is gone, or an error when the server
    /// did not mention it at all (never to be read as a deletion).
    pub async fn multiget(
        &self,
        hrefs: &[String],
    ) -> Result<Vec<Result<Body, DavError>>, DavError> {
        if hrefs.is_empty() {
            return Ok(Vec::new());
        }
        let resources = match self.kind {
            CollectionKind::Calendar => {
                let request = GetCalendarResources::new(&self.href).with_hrefs(hrefs);
                self.client.run(&request).await?.resources
            }
            CollectionKind::AddressBook => {
                let request = GetAddressBookResources::new(&self.href).with_hrefs(hrefs);
                self.client.run(&request).await?.resources
            }
        };
        let mut by_href: HashMap<String, Result<Body, DavError>> = HashMap::new();
        for resource in resources {
            let url = self.client.url_of(&resource.href);
            let result = match resource.content {
                Ok(content) => Ok(Body {
                    data: content.data,
                    etag: content.etag,
                }),
                Err(status) if status.as_u16() == 404 => Err(DavError::NotFound { url }),
                Err(status) => Err(DavError::Status { url, status }),
            };
            by_href.insert(resource.href, result);
        }
        Ok(hrefs
            .iter()
            .map(|href| {
                by_href.remove(href).unwrap_or_else(|| {
                    Err(DavError::Protocol {
                        url: self.client.url_of(href),
                        message: "the server's multiget answer does not include this item".into(),
                    })
                })
            })
            .collect())
    }

    /// Creates an item at `href` with `If-None-Match: *`.
    pub async fn create(&self, href: &str, data: &str) -> Result<Created, DavError> {
        let request = PutResource::new(href).create(data, self.kind.content_type());
        let (status, etag) = self.put(&request).await?;
        Ok(if status.as_u16() == 201 {
            Created::New(etag)
        } else {
            Created::Replaced(etag)
        })
    }

    /// Replaces the item at `href` if its ETag still is `etag`; returns the new ETag if sent.
    pub async fn update(
        &self,
        href: &str,
        etag: &str,
        data: &str,
    ) -> Result<Option<String>, DavError> {
        let request = PutResource::new(href).update(data, self.kind.content_type(), etag);
        Ok(self.put(&request).await?.1)
    }

    async fn put<R: libdav::requests::DavRequest>(
        &self,
        request: &R,
    ) -> Result<(http::StatusCode, Option<String>), DavError> {
        let prepared = request
            .prepare_request(self.client.base().clone())
            .map_err(|e| DavError::InvalidUrl(e.to_string()))?;
        let url = prepared.uri().to_string();
        let response = self.client.send(prepared).await?;
        let status = response.parts.status;
        check_status(&url, status)?;
        if !status.is_success() {
            return Err(DavError::Status { url, status });
        }
        let etag = response
            .parts
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((status, etag))
    }

    /// Deletes the item at `href` if its ETag still is `etag`.
    pub async fn delete(&self, href: &str, etag: &str) -> Result<(), DavError> {
        self.client
            .run(&Delete::new(href).with_etag(etag))
            .await
            .map(drop)
    }

    /// The current ETag of one item (`NotFound` when it is gone). Asked with a
    /// multiget, which every server answers per href, gone or not.
    pub async fn etag(&self, href: &str) -> Result<String, DavError> {
        let mut answers = self.multiget(&[href.to_string()]).await?;
        answers
            .pop()
            .expect("one answer per href")
            .map(|body| body.etag)
    }

    /// Sets the display name and (for calendars) the colour; `None` leaves a value alone.
    pub async fn set_properties(
        &self,
        displayname: Option<&str>,
        color: Option<&str>,
    ) -> Result<(), DavError> {
        if let Some(name) = displayname {
            self.client
                .run(&SetProperty::new(
                    &self.href,
                    &names::DISPLAY_NAME,
                    Some(name),
                ))
                .await?;
        }
        if let Some(color) = color
            && self.kind == CollectionKind::Calendar
        {
            self.client
                .run(&SetProperty::new(
                    &self.href,
                    &names::CALENDAR_COLOUR,
                    Some(color),
                ))
                .await?;
        }
        Ok(())
    }

    /// Display name, colour, ctag and sync token.
    pub async fn properties(&self) -> Result<Properties, DavError> {
        let wanted = [
            &names::DISPLAY_NAME,
            &names::CALENDAR_COLOUR,
            &GETCTAG,
            &names::SYNC_TOKEN,
        ];
        let response = self
            .client
            .run(&GetProperties::new(&self.href, &wanted))
            .await?;
        let mut props = Properties::default();
        for (name, value) in response.values {
            let value = value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if *name == names::DISPLAY_NAME {
                props.displayname = value;
            } else if *name == names::CALENDAR_COLOUR {
                props.color = value;
            } else if *name == GETCTAG {
                props.ctag = value;
            } else if *name == names::SYNC_TOKEN {
                props.sync_token = value;
            }
        }
        Ok(props)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientOptions;

    fn collection(kind: CollectionKind) -> Collection {
        let client =
            DavClient::new("http://127.0.0.1:1/", None, &ClientOptions::default()).unwrap();
        Collection::new(client, "http://127.0.0.1:1/alice/cal", kind).unwrap()
    }

    #[test]
    fn owns_only_direct_children() {
        let c = collection(CollectionKind::Calendar);
        assert_eq!(c.href(), "/alice/cal/");
        assert!(c.owns("/alice/cal/a.ics"));
        for href in [
            "/alice/cal/",
            "/alice/cal/sub/a.ics",
            "/alice/other/a.ics",
            "/alice/cal/..",
            "/etc/passwd",
        ] {
            assert!(!c.owns(href), "{href}");
        }
    }

    #[test]
    fn encoded_collection_paths_match_normalised_hrefs() {
        let client =
            DavClient::new("http://127.0.0.1:1/", None, &ClientOptions::default()).unwrap();
        let c = Collection::new(
            client,
            "http://127.0.0.1:1/alice/my%20cal/",
            CollectionKind::Calendar,
        )
        .unwrap();
        let item = libdav::encoding::normalise_percent_encoded("/alice/my%20cal/a.ics").unwrap();
        assert!(c.owns(&item), "{} vs {item}", c.href());
    }

    #[test]
    fn media_types() {
        let cards = CollectionKind::AddressBook;
        assert!(cards.accepts(Some("text/vcard; charset=utf-8")));
        assert!(cards.accepts(Some("text/x-vcard")));
        assert!(!cards.accepts(Some("text/x-vlist")));
        assert!(CollectionKind::Calendar.accepts(Some("text/calendar;component=vevent")));
        assert!(!CollectionKind::Calendar.accepts(Some("text/html")));
    }

    #[tokio::test]
    async fn a_dead_server_is_a_clear_error() {
        let c = collection(CollectionKind::Calendar);
        let e = c.list().await.unwrap_err();
        assert!(matches!(e, DavError::Transport { .. }), "{e}");
        assert!(e.to_string().contains("127.0.0.1:1"), "{e}");
    }
}
