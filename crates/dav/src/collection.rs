//! One calendar or address book on a server: listing with ETags, multiget in
//! batches with every href accounted for, conditional PUT and DELETE, and the
//! collection's properties.

use crate::client::{DavClient, DavError, Repeated, check_status};
use libdav::PropertyName;
use libdav::caldav::GetCalendarResources;
use libdav::carddav::GetAddressBookResources;
use libdav::dav::{Delete, GetProperties, PutResource, SetProperty};
use libdav::names;
use std::collections::HashMap;

mod sync;
pub use sync::{MAX_SYNC_ROUNDS, SyncPage, SyncReport};

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

    /// The media type to write `data` with: SOGo's list media type for a
    /// `BEGIN:VLIST` body in an address book, [`content_type`](Self::content_type)
    /// otherwise. (SOGo tells a list from a contact by the body, not by this
    /// header, but says `text/x-vlist` when it serves one.)
    pub fn content_type_for(self, data: &str) -> &'static str {
        if self == CollectionKind::AddressBook && is_list_body(data) {
            LIST_CONTENT_TYPE
        } else {
            self.content_type()
        }
    }

    /// The file extension used for new items' hrefs.
    pub fn extension(self) -> &'static str {
        match self {
            CollectionKind::Calendar => "ics",
            CollectionKind::AddressBook => "vcf",
        }
    }

    /// Whether a listed content type is one of ours. An address book's items
    /// include SOGo's contact lists (`text/x-vlist`, a `BEGIN:VLIST` body,
    /// see `docs/sogo-lists.md`): they are listed and read like contacts, and
    /// [`Resource::is_list`] and [`Body::is_list`] tell them apart.
    pub(crate) fn accepts(self, content_type: Option<&str>) -> bool {
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
                    "text/vcard" | "text/x-vcard" | "text/directory" | "text/x-vlist" | ""
                )
            }
        }
    }
}

/// The media type SOGo serves its contact lists (`BEGIN:VLIST`) with.
pub const LIST_CONTENT_TYPE: &str = "text/x-vlist; charset=utf-8";

/// Whether `data` is a SOGo contact list: its first line that is not blank
/// is `BEGIN:VLIST` (in any case).
pub fn is_list_body(data: &str) -> bool {
    data.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VLIST"))
}

/// An item as listed: its href and ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The href (a percent-encoded path).
    pub href: String,
    /// The ETag, as the server sent it (quoted).
    pub etag: String,
    /// `DAV:getcontenttype` as the server sent it, when it did.
    pub content_type: Option<String>,
}

impl Resource {
    /// Whether the server says this is a SOGo contact list (`text/x-vlist`).
    /// `false` when the server sent no media type: then only the body tells
    /// ([`Body::is_list`]).
    pub fn is_list(&self) -> bool {
        self.content_type.as_deref().is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/x-vlist"))
        })
    }
}

/// An item as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The item's data.
    pub data: String,
    /// Its ETag.
    pub etag: String,
}

impl Body {
    /// Whether this is a SOGo contact list (a `BEGIN:VLIST` body).
    pub fn is_list(&self) -> bool {
        is_list_body(&self.data)
    }
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

/// `#RRGGBB` as `#RRGGBBFF` (opaque); `None` for any other form.
fn with_alpha(color: &str) -> Option<String> {
    let hex = color.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("{color}FF"))
}

/// Whether the server answered 400 Bad Request.
fn is_bad_request(e: &DavError) -> bool {
    match e {
        DavError::Status { status, .. } => status.as_u16() == 400,
        DavError::Protocol { message, .. } => message.contains("400"),
        _ => false,
    }
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
        crate::membership::is_member(&self.href, href)
    }

    /// Reads `hrefs` with one multiget. Every href gets an answer: its body, or
    /// a `NotFound` when the server says it is gone; an href the answer leaves
    /// out (DAViCal does so for a missing item, a server with a cap for what
    /// is over it) is read alone with a `GET`. An answer
    /// over the client's size limit is asked for again in halves, down to
    /// the item too large by itself, which is then that item's error alone.
    /// A multiget answered with a 404 as a whole (sabre/dav 1.8 does so when
    /// one of the hrefs is missing) is asked for again in halves as well,
    /// down to single items read with a `GET`.
    pub async fn multiget(
        &self,
        hrefs: &[String],
    ) -> Result<Vec<Result<Body, DavError>>, DavError> {
        if hrefs.is_empty() {
            return Ok(Vec::new());
        }
        match self.multiget_once(hrefs).await {
            Err(e @ DavError::TooLarge { .. }) if hrefs.len() == 1 => Ok(vec![Err(e)]),
            Err(DavError::NotFound { .. }) if hrefs.len() == 1 => {
                Ok(vec![self.get(&hrefs[0]).await])
            }
            Err(e @ (DavError::TooLarge { .. } | DavError::NotFound { .. })) => {
                let (first, second) = hrefs.split_at(hrefs.len() / 2);
                let why = if matches!(e, DavError::NotFound { .. }) {
                    "was answered with a 404 (an item is missing)"
                } else {
                    "is over the size limit"
                };
                tracing::debug!(
                    "{}: a multiget of {} items {why}; in halves",
                    self.client.url_of(&self.href),
                    hrefs.len()
                );
                let mut bodies = Box::pin(self.multiget(first)).await?;
                bodies.extend(Box::pin(self.multiget(second)).await?);
                Ok(bodies)
            }
            other => other,
        }
    }

    /// One multiget request for `hrefs` (see [`Collection::multiget`]).
    async fn multiget_once(
        &self,
        hrefs: &[String],
    ) -> Result<Vec<Result<Body, DavError>>, DavError> {
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
        let mut out = Vec::with_capacity(hrefs.len());
        for href in hrefs {
            out.push(match by_href.remove(href) {
                Some(result) => result,
                // DAViCal leaves a missing item out of its answer rather
                // than answer 404 for it, and a server that caps its answers
                // leaves out what is over the cap: each is asked for alone.
                None => self.get(href).await,
            });
        }
        Ok(out)
    }

    /// Reads one item with a `GET`: its body and ETag, `NotFound` for a
    /// 404 or 410.
    pub async fn get(&self, href: &str) -> Result<Body, DavError> {
        let url = self.client.url_of(href);
        let uri: http::Uri = url.parse().map_err(|_| DavError::InvalidUrl(url.clone()))?;
        let request = http::Request::get(uri)
            .body(String::new())
            .map_err(|_| DavError::InvalidUrl(url.clone()))?;
        let response = self.client.send(request).await?;
        check_status(&url, response.parts.status)?;
        if !response.parts.status.is_success() {
            return Err(DavError::Status {
                url,
                status: response.parts.status,
            });
        }
        let etag = response
            .parts
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| DavError::Protocol {
                url: url.clone(),
                message: "the server's multiget answer does not include this item, and its GET \
                          answer has no ETag"
                    .into(),
            })?;
        let data = String::from_utf8(response.body).map_err(|_| DavError::Protocol {
            url,
            message: "the item is not UTF-8 text".into(),
        })?;
        Ok(Body { data, etag })
    }

    /// Creates an item at `href` with `If-None-Match: *` (a SOGo list too: a
    /// `BEGIN:VLIST` body goes as `text/x-vlist`, see `docs/sogo-lists.md`).
    pub async fn create(&self, href: &str, data: &str) -> Result<Created, DavError> {
        let request = PutResource::new(href).create(data, self.kind.content_type_for(data));
        let (status, etag, repeated) = self.put(&request).await?;
        // A server that ignores If-None-Match (SOGo) answers a create sent
        // again, after its first answer was lost, as an overwrite: of the
        // first attempt's item, with the same data.
        Ok(if status.as_u16() == 201 || repeated {
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
        let request = PutResource::new(href).update(data, self.kind.content_type_for(data), etag);
        Ok(self.put(&request).await?.1)
    }

    async fn put<R: libdav::requests::DavRequest>(
        &self,
        request: &R,
    ) -> Result<(http::StatusCode, Option<String>, bool), DavError> {
        let prepared = request
            .prepare_request(self.client.base().clone())
            .map_err(|e| DavError::InvalidUrl(e.to_string()))?;
        let url = prepared.uri().to_string();
        let response = self.client.send(prepared).await?;
        let status = response.parts.status;
        // Another item of the collection has this UID: RFC 4791's
        // `no-uid-conflict` (409, or 403 as CardDAV's), or Cyrus's
        // `unique-scheduling-object-resource` (403). As a 409.
        if status.as_u16() == 403 {
            let body = String::from_utf8_lossy(&response.body);
            if body.contains("no-uid-conflict")
                || body.contains("unique-scheduling-object-resource")
            {
                return Err(DavError::Conflict { url });
            }
            // Cyrus refuses a timed event without length with
            // `valid-calendar-data` and says why: the report should too.
            if let Some(condition) = failed_precondition(&body) {
                return Err(DavError::Refused {
                    url,
                    status,
                    condition,
                });
            }
        }
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
        let repeated = response.parts.extensions.get::<Repeated>().is_some();
        Ok((status, etag, repeated))
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
            let set = |value: String| {
                let client = self.client.clone();
                let href = self.href.clone();
                async move {
                    client
                        .run(&SetProperty::new(
                            &href,
                            &names::CALENDAR_COLOUR,
                            Some(&value),
                        ))
                        .await
                }
            };
            match set(color.to_string()).await {
                // SOGo takes `#RRGGBBAA` only (400 "Bad color format").
                Err(e) if is_bad_request(&e) && with_alpha(color).is_some() => {
                    set(with_alpha(color).unwrap_or_default()).await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    /// Display name, colour, ctag and sync token, in one request.
    pub async fn properties(&self) -> Result<Properties, DavError> {
        self.properties_of(&[
            &names::DISPLAY_NAME,
            &names::CALENDAR_COLOUR,
            &GETCTAG,
            &names::SYNC_TOKEN,
        ])
        .await
    }

    /// Display name, colour and sync token; the ctag only where the server
    /// gives no token, in a second request (`ctag` is `None` when there is
    /// a token). For a server expected to give a token: on Radicale the
    /// ctag costs a pass over every item as the token does (10,000 events:
    /// 0.8 s for the token alone, 1.5-1.7 s with the ctag beside it).
    pub async fn token_properties(&self) -> Result<Properties, DavError> {
        let mut props = self
            .properties_of(&[
                &names::DISPLAY_NAME,
                &names::CALENDAR_COLOUR,
                &names::SYNC_TOKEN,
            ])
            .await?;
        if props.sync_token.is_none() {
            props.ctag = self.properties_of(&[&GETCTAG]).await?.ctag;
        }
        Ok(props)
    }

    /// Display name and colour only (ctag and token left `None`): the
    /// token and the ctag can cost a server a pass over every item (Radicale
    /// took 2.3 s for them on 7,000 events), which a run that already has
    /// its token must not pay again for the name and colour.
    pub async fn display_properties(&self) -> Result<Properties, DavError> {
        self.properties_of(&[&names::DISPLAY_NAME, &names::CALENDAR_COLOUR])
            .await
    }

    /// The properties `wanted` (of those [`Properties`] holds).
    async fn properties_of(
        &self,
        wanted: &[&PropertyName<'_, '_>],
    ) -> Result<Properties, DavError> {
        let response = self
            .client
            .run(&GetProperties::new(&self.href, wanted))
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

/// The precondition a `DAV:error` body names (its first element), with the
/// server's words (a `responsedescription` beside it, or the text in it;
/// trimmed, at most 200 characters).
fn failed_precondition(body: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "error" {
        return None;
    }
    let is_description = |n: &roxmltree::Node| n.tag_name().name() == "responsedescription";
    let condition = root
        .children()
        .find(|n| n.is_element() && !is_description(n))?;
    // Only what CalDAV and CardDAV say of an item's content; a missing
    // privilege (`DAV:need-privileges`) stays a plain 403.
    if !condition
        .tag_name()
        .namespace()
        .is_some_and(|ns| ns.starts_with("urn:ietf:params:xml:ns:ca"))
    {
        return None;
    }
    let words = root
        .children()
        .find(|n| n.is_element() && is_description(n))
        .unwrap_or(condition);
    let text: String = words
        .descendants()
        .filter(roxmltree::Node::is_text)
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let name = condition.tag_name().name();
    Some(if text.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {text}")
    })
}

#[cfg(test)]
mod tests;
