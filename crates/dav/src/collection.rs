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
pub(crate) use sync::xml_escape;
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

    /// Display name, colour, ctag and sync token.
    pub async fn properties(&self) -> Result<Properties, DavError> {
        self.properties_of(&[
            &names::DISPLAY_NAME,
            &names::CALENDAR_COLOUR,
            &GETCTAG,
            &names::SYNC_TOKEN,
        ])
        .await
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
mod tests {
    use super::sync::{merge_sync_round, merged_report};
    use super::*;
    use crate::client::ClientOptions;
    use std::collections::BTreeMap;

    #[test]
    fn a_refusal_says_the_precondition_and_the_servers_words() {
        let cyrus = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" \
                     xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:valid-calendar-data/>\
                     <D:responsedescription>DTEND must occur after DTSTART\
                     </D:responsedescription></D:error>";
        assert_eq!(
            failed_precondition(cyrus).as_deref(),
            Some("valid-calendar-data: DTEND must occur after DTSTART")
        );
        assert_eq!(
            failed_precondition(
                "<error xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\
                 <C:supported-address-data/></error>"
            )
            .as_deref(),
            Some("supported-address-data")
        );
        assert_eq!(
            failed_precondition("<error xmlns=\"DAV:\"><need-privileges/></error>"),
            None
        );
        assert_eq!(failed_precondition("<html>Forbidden</html>"), None);
        assert_eq!(failed_precondition("not xml"), None);
    }

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
        // SOGo's contact lists are listed with the contacts.
        assert!(cards.accepts(Some("text/x-vlist")));
        assert!(!cards.accepts(Some("text/html")));
        assert!(!CollectionKind::Calendar.accepts(Some("text/x-vlist")));
        assert!(CollectionKind::Calendar.accepts(Some("text/calendar;component=vevent")));
        assert!(!CollectionKind::Calendar.accepts(Some("text/html")));
    }

    #[test]
    fn lists_are_told_by_media_type_and_body() {
        let list = "\r\n BEGIN:vlist\r\nVERSION:1.0\r\nUID:l\r\nFN:L\r\nEND:VLIST\r\n";
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:C\r\nEND:VCARD\r\n";
        assert!(is_list_body(list));
        assert!(!is_list_body(card));
        assert!(!is_list_body(""));
        let body = |data: &str| Body {
            data: data.into(),
            etag: "\"1\"".into(),
        };
        assert!(body(list).is_list());
        assert!(!body(card).is_list());
        let resource = |ct: Option<&str>| Resource {
            href: "/c/a".into(),
            etag: "\"1\"".into(),
            content_type: ct.map(str::to_string),
        };
        assert!(resource(Some("text/x-vlist")).is_list());
        assert!(resource(Some("Text/X-VList; charset=utf-8")).is_list());
        assert!(!resource(Some("text/x-vcard")).is_list());
        assert!(!resource(None).is_list());
        let cards = CollectionKind::AddressBook;
        assert_eq!(cards.content_type_for(list), LIST_CONTENT_TYPE);
        assert_eq!(cards.content_type_for(card), cards.content_type());
        assert_eq!(
            CollectionKind::Calendar.content_type_for(list),
            CollectionKind::Calendar.content_type()
        );
    }

    #[test]
    fn sync_answers_keep_the_media_type_and_the_token_is_escaped() {
        let c = collection(CollectionKind::AddressBook);
        let body = r#"<D:multistatus xmlns:D="DAV:">
<D:response><D:href>/alice/cal/m1.vcf</D:href><D:propstat><D:prop><D:getetag>"gcs00000000"</D:getetag><D:getcontenttype>text/x-vcard</D:getcontenttype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>/alice/cal/l.vlf</D:href><D:propstat><D:prop><D:getetag>"gcs00000002"</D:getetag><D:getcontenttype>text/x-vlist</D:getcontenttype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:sync-token>1796231333</D:sync-token></D:multistatus>"#;
        let page = c.parse_sync(body.as_bytes()).unwrap();
        let SyncReport::Changes { changed, .. } = page.report else {
            panic!("invalid token")
        };
        let lists: Vec<bool> = changed.iter().map(Resource::is_list).collect();
        assert_eq!(lists, [false, true]);
        let request = c.sync_request(Some("http://x/?a=1&b=<2>")).unwrap();
        assert!(
            request
                .body()
                .contains("<D:sync-token>http://x/?a=1&amp;b=&lt;2&gt;</D:sync-token>"),
            "{}",
            request.body()
        );
        assert!(request.body().contains("<D:getcontenttype/>"));
        let first = c.sync_request(None).unwrap();
        assert!(first.body().contains("<D:sync-token/>"));
        assert_eq!(first.method().as_str(), "REPORT");
    }

    fn changes(page: &SyncPage) -> (&str, Vec<(&str, &str)>, Vec<&str>) {
        match &page.report {
            SyncReport::Changes {
                token,
                changed,
                deleted,
            } => (
                token,
                changed
                    .iter()
                    .map(|r| (r.href.as_str(), r.etag.as_str()))
                    .collect(),
                deleted.iter().map(String::as_str).collect(),
            ),
            SyncReport::InvalidToken => panic!("invalid token"),
        }
    }

    #[test]
    fn a_truncated_sync_answer_is_detected_and_the_507_is_no_item() {
        let c = collection(CollectionKind::Calendar);
        // RFC 6578 §3.6's example, with the collection's href written three ways.
        for own in ["/alice/cal/", "/alice/cal", "http://127.0.0.1:1/alice/cal/"] {
            let body = format!(
                r#"<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:">
  <D:response>
    <D:href>/alice/cal/a.ics</D:href>
    <D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  </D:response>
  <D:response>
    <D:href>/alice/cal/b.ics</D:href>
    <D:status>HTTP/1.1 404 Not Found</D:status>
  </D:response>
  <D:response>
    <D:href>{own}</D:href>
    <D:status>HTTP/1.1 507 Insufficient Storage</D:status>
    <D:error><D:number-of-matches-within-limits/></D:error>
  </D:response>
  <D:sync-token>http://example.com/ns/sync/1233</D:sync-token>
</D:multistatus>"#
            );
            let page = c.parse_sync(body.as_bytes()).unwrap();
            assert!(page.truncated, "{own}");
            assert_eq!(
                changes(&page),
                (
                    "http://example.com/ns/sync/1233",
                    vec![("/alice/cal/a.ics", "\"1\"")],
                    vec!["/alice/cal/b.ics"]
                )
            );
        }
    }

    #[test]
    fn a_colour_gets_an_alpha_only_when_it_has_none() {
        assert_eq!(with_alpha("#3A87AD").as_deref(), Some("#3A87ADFF"));
        assert_eq!(with_alpha("#3A87ADFF"), None);
        assert_eq!(with_alpha("blue"), None);
        assert_eq!(with_alpha("#3A87AZ"), None);
    }

    #[test]
    fn a_complete_sync_answer_is_not_truncated() {
        let c = collection(CollectionKind::Calendar);
        let body = r#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:response><d:href>/alice/cal/</d:href><d:propstat><d:prop><d:getetag>"c"</d:getetag><d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/alice/cal/a%20b.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/alice/cal/sub/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/elsewhere/x.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
  <d:sync-token>
    tok-2
  </d:sync-token>
</d:multistatus>"#;
        let page = c.parse_sync(body.as_bytes()).unwrap();
        assert!(!page.truncated);
        assert_eq!(
            changes(&page),
            ("tok-2", vec![("/alice/cal/a b.ics", "\"2\"")], vec![])
        );
        // A 200 for the collection itself is no truncation either, nor an item.
        assert!(c.parse_sync(b"<d:multistatus xmlns:d=\"DAV:\"/>").is_err());
        let missing_etag = r#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/alice/cal/x.ics</d:href><d:status>HTTP/1.1 200 OK</d:status></d:response><d:sync-token>t</d:sync-token></d:multistatus>"#;
        assert!(c.parse_sync(missing_etag.as_bytes()).is_err());
    }

    #[test]
    fn sync_rounds_merge_with_the_later_one_winning() {
        let r = |href: &str, etag: &str| Resource {
            href: href.into(),
            etag: etag.into(),
            content_type: None,
        };
        let mut merged = BTreeMap::new();
        // Round 1: a, b, c changed; d deleted.
        merge_sync_round(
            &mut merged,
            vec![r("/c/a", "1"), r("/c/b", "1"), r("/c/c", "1")],
            vec!["/c/d".into()],
        );
        // Round 2: b deleted, d re-created, a changed again.
        merge_sync_round(
            &mut merged,
            vec![r("/c/d", "2"), r("/c/a", "2")],
            vec!["/c/b".into()],
        );
        let report = merged_report("t2".into(), merged);
        assert_eq!(
            report,
            SyncReport::Changes {
                token: "t2".into(),
                changed: vec![r("/c/a", "2"), r("/c/c", "1"), r("/c/d", "2")],
                deleted: vec!["/c/b".into()],
            }
        );
    }

    #[tokio::test]
    async fn a_dead_server_is_offline_at_once() {
        let c = collection(CollectionKind::Calendar);
        let e = c.list().await.unwrap_err();
        assert!(matches!(e, DavError::Offline { .. }), "{e:?}");
        assert!(e.to_string().contains("127.0.0.1:1"), "{e}");
        // Refused: not asked again (the default options retry 3 times).
        assert_eq!(c.client().requests(), 1);
    }

    #[tokio::test]
    async fn an_address_without_a_route_is_offline_within_the_connect_timeout() {
        // 192.0.2.0/24 is reserved for documentation: nothing answers there,
        // whether the network says so at once or the connection times out.
        let options = ClientOptions {
            connect_timeout: std::time::Duration::from_millis(300),
            // A connect timeout is tried again (a busy server may be slow to
            // accept): not here.
            retries: 0,
            ..ClientOptions::default()
        };
        let client = DavClient::new("http://192.0.2.1/", None, &options).unwrap();
        let c = Collection::new(
            client,
            "http://192.0.2.1/alice/cal",
            CollectionKind::Calendar,
        )
        .unwrap();
        let e = c.list().await.unwrap_err();
        assert!(matches!(e, DavError::Offline { .. }), "{e:?}");
        assert_eq!(c.client().requests(), 1);
    }
}
