//! What a collection's URL is, for `davsync check`: one PROPFIND Depth 0 of
//! the URL for its resource type, the calendar components it takes, the
//! current user's privileges and the reports it supports, and the server's
//! clock from the answer's `Date` header. Every finding is typed; the caller
//! words it.

use crate::client::{DavError, check_status};
use crate::collection::{Collection, CollectionKind};
use crate::discovery::{is, ok_props, text_of};
use chrono::{DateTime, TimeDelta, Utc};
use libdav::dav::Propfind;
use libdav::requests::DavRequest;
use libdav::{Depth, PropertyName, names};

/// `DAV:current-user-privilege-set` (RFC 3744).
const CURRENT_USER_PRIVILEGE_SET: PropertyName =
    PropertyName::new(names::DAV, "current-user-privilege-set");

/// What the resource at a collection's URL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceType {
    /// A CalDAV calendar.
    Calendar {
        /// The components it takes (`VEVENT`, `VTODO`, …, upper case), or
        /// `None` when the server does not say (then it takes every kind,
        /// RFC 4791 §5.2.3).
        components: Option<Vec<String>>,
    },
    /// A CardDAV address book.
    AddressBook,
    /// A WebDAV collection that is neither (the server's root, a principal,
    /// a home set).
    OtherCollection,
    /// A WebDAV resource that is no collection (an item).
    NotCollection,
    /// The answer is no WebDAV answer at all (a web page: SOGo serves its
    /// web interface at `/`).
    NotDav {
        /// The status of the answer.
        status: http::StatusCode,
        /// Its media type, if it named one.
        content_type: Option<String>,
    },
}

impl ResourceType {
    /// The collection kind, for a calendar or an address book.
    pub fn kind(&self) -> Option<CollectionKind> {
        match self {
            ResourceType::Calendar { .. } => Some(CollectionKind::Calendar),
            ResourceType::AddressBook => Some(CollectionKind::AddressBook),
            _ => None,
        }
    }

    /// Whether a calendar takes `component` (such as `VEVENT`); `false` for
    /// anything but a calendar.
    pub fn takes(&self, component: &str) -> bool {
        match self {
            ResourceType::Calendar { components: None } => true,
            ResourceType::Calendar {
                components: Some(components),
            } => components.iter().any(|c| c.eq_ignore_ascii_case(component)),
            _ => false,
        }
    }
}

/// What one PROPFIND of a collection's URL found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// What the URL is.
    pub resource: ResourceType,
    /// Whether the user may write there (change, add and remove items),
    /// after `DAV:current-user-privilege-set`; `None` when the server does
    /// not say.
    pub writable: Option<bool>,
    /// Whether the `DAV:sync-collection` report (RFC 6578) is supported,
    /// after `DAV:supported-report-set`; `None` when the server does not say.
    pub sync_collection: Option<bool>,
    /// The server's clock, from the answer's `Date` header (whole seconds).
    pub server_time: Option<DateTime<Utc>>,
    /// This computer's clock when the request was sent.
    pub sent: DateTime<Utc>,
    /// This computer's clock when the answer arrived.
    pub received: DateTime<Utc>,
}

impl Inspection {
    /// How far the server's clock is ahead of this computer's (negative:
    /// behind), `None` without a `Date` header. See [`clock_skew`].
    pub fn clock_skew(&self) -> Option<TimeDelta> {
        Some(clock_skew(self.server_time?, self.sent, self.received))
    }
}

/// How far a server's clock (`server`, read from an answer) is ahead of
/// ours: compared with the middle of the time between sending the request
/// and receiving the answer, and with the half second the `Date` header
/// leaves out (it has whole seconds, cut off) added, so that an exact clock
/// comes out within the request's time of zero.
pub fn clock_skew(
    server: DateTime<Utc>,
    sent: DateTime<Utc>,
    received: DateTime<Utc>,
) -> TimeDelta {
    let middle = sent + (received - sent) / 2;
    server + TimeDelta::milliseconds(500) - middle
}

/// An HTTP `Date` header (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37
/// GMT`); `None` for anything else, such as the obsolete forms.
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Whether a privilege set (the `DAV:` privileges of
/// `DAV:current-user-privilege-set`, by local name) lets the user write
/// items: any of `write`, `write-content`, `bind` or `all`.
pub(crate) fn allows_writing(privileges: &[String]) -> bool {
    privileges
        .iter()
        .any(|p| matches!(p.as_str(), "write" | "write-content" | "bind" | "all"))
}

/// What [`parse_inspection`] found in a multistatus, before the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    resource: ResourceType,
    writable: Option<bool>,
    sync_collection: Option<bool>,
}

/// Reads the answer to [`Collection::inspect`]'s PROPFIND (its first
/// `<response>`: Depth 0 asks for one). A response refused as a whole (a
/// `<status>` of its own, as Xandikos answers for a path that does not
/// exist) becomes the error of that status; a body that is no multistatus
/// is [`ResourceType::NotDav`].
pub(crate) fn parse_inspection(
    url: &str,
    status: http::StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Found, DavError> {
    let not_dav = || Found {
        resource: ResourceType::NotDav {
            status,
            content_type: content_type.map(str::to_string),
        },
        writable: None,
        sync_collection: None,
    };
    if status != http::StatusCode::MULTI_STATUS {
        return Ok(not_dav());
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(not_dav());
    };
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return Ok(not_dav());
    };
    let root = doc.root_element();
    if !is(root, names::DAV, "multistatus") {
        return Ok(not_dav());
    }
    let protocol = |message: &str| DavError::Protocol {
        url: url.to_string(),
        message: message.to_string(),
    };
    let response = root
        .children()
        .find(|n| is(*n, names::DAV, "response"))
        .ok_or_else(|| protocol("a multistatus without a response"))?;
    // A status of the response itself, not of a propstat: the whole
    // resource was refused.
    if let Some(code) = response
        .children()
        .find(|n| is(*n, names::DAV, "status"))
        .and_then(text_of)
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u16>().ok())
        .and_then(|c| http::StatusCode::from_u16(c).ok())
    {
        check_status(url, code)?;
        if !code.is_success() {
            return Err(DavError::Status {
                url: url.into(),
                status: code,
            });
        }
    }
    let props = ok_props(response);
    let find = |ns: &str, name: &str| props.iter().copied().find(|n| is(*n, ns, name));
    let types: Vec<roxmltree::Node> = find(names::DAV, "resourcetype")
        .map(|t| t.children().filter(|n| n.is_element()).collect())
        .unwrap_or_default();
    let has = |ns: &str, name: &str| types.iter().any(|n| is(*n, ns, name));
    let resource = if has(names::CALDAV, "calendar") {
        ResourceType::Calendar {
            components: find(names::CALDAV, "supported-calendar-component-set").map(|set| {
                set.descendants()
                    .filter(|n| is(*n, names::CALDAV, "comp"))
                    .filter_map(|n| n.attribute("name"))
                    .map(str::to_ascii_uppercase)
                    .collect()
            }),
        }
    } else if has(names::CARDDAV, "addressbook") {
        ResourceType::AddressBook
    } else if has(names::DAV, "collection") {
        ResourceType::OtherCollection
    } else {
        ResourceType::NotCollection
    };
    let writable = find(names::DAV, "current-user-privilege-set").map(|set| {
        let privileges: Vec<String> = set
            .children()
            .filter(|n| is(*n, names::DAV, "privilege"))
            .flat_map(|p| p.children().filter(|n| n.is_element()))
            .filter(|n| n.tag_name().namespace() == Some(names::DAV))
            .map(|n| n.tag_name().name().to_string())
            .collect();
        allows_writing(&privileges)
    });
    let sync_collection = find(names::DAV, "supported-report-set").map(|set| {
        set.descendants()
            .any(|n| is(n, names::DAV, "sync-collection"))
    });
    Ok(Found {
        resource,
        writable,
        sync_collection,
    })
}

impl Collection {
    /// What the collection's URL is: one PROPFIND Depth 0 for its resource
    /// type, components, the user's privileges and the supported reports,
    /// with the server's clock. The usual statuses are the usual errors
    /// ([`DavError::Unauthorized`], [`DavError::NotFound`], …); an answer
    /// that is not WebDAV is [`ResourceType::NotDav`], not an error.
    pub async fn inspect(&self) -> Result<Inspection, DavError> {
        let wanted = [
            &names::RESOURCETYPE,
            &names::SUPPORTED_CALENDAR_COMPONENT_SET,
            &CURRENT_USER_PRIVILEGE_SET,
            &names::SUPPORTED_REPORT_SET,
        ];
        let request = Propfind::new(self.href())
            .with_properties(&wanted)
            .with_depth(Depth::Zero);
        let prepared = request
            .prepare_request(self.client().base().clone())
            .map_err(|e| DavError::InvalidUrl(e.to_string()))?;
        let url = prepared.uri().to_string();
        let sent = Utc::now();
        let response = self.client().send(prepared).await?;
        let received = Utc::now();
        let headers = &response.parts.headers;
        let header = |name: http::header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        check_status(&url, response.parts.status)?;
        let found = parse_inspection(
            &url,
            response.parts.status,
            header(http::header::CONTENT_TYPE).as_deref(),
            &response.body,
        )?;
        Ok(Inspection {
            resource: found.resource,
            writable: found.writable,
            sync_collection: found.sync_collection,
            server_time: header(http::header::DATE)
                .as_deref()
                .and_then(parse_http_date),
            sent,
            received,
        })
    }
}

#[cfg(test)]
mod tests;
