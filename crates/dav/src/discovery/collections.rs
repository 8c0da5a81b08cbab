//! The collections of a home set: one PROPFIND Depth 1 for everything
//! discovery reports about each member, and the parse of its answer.

use super::*;

pub(super) const CURRENT_USER_PRIVILEGE_SET: PropertyName =
    PropertyName::new(names::DAV, "current-user-privilege-set");
pub(super) const ADDRESSBOOK_DESCRIPTION: PropertyName =
    PropertyName::new(names::CARDDAV, "addressbook-description");

/// PROPFIND Depth 1 of a home set for everything discovery reports about its
/// members (libdav's `FindCalendars` and `FindAddressBooks` lack the
/// components and privileges, which would take two more requests per collection).
pub(super) struct ListCollections<'a> {
    propfind: Propfind<'a>,
}

impl<'a> ListCollections<'a> {
    pub(super) fn new(href: &'a str) -> Self {
        ListCollections {
            propfind: Propfind::new(href)
                .with_properties(&[
                    &names::RESOURCETYPE,
                    &names::DISPLAY_NAME,
                    &names::CALENDAR_COLOUR,
                    &names::CALENDAR_DESCRIPTION,
                    &ADDRESSBOOK_DESCRIPTION,
                    &names::SUPPORTED_CALENDAR_COMPONENT_SET,
                    &CURRENT_USER_PRIVILEGE_SET,
                    &names::SUPPORTED_REPORT_SET,
                ])
                .with_depth(Depth::One),
        }
    }
}

/// One member of a home set that is a calendar or an address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(super) href: String,
    pub(super) kind: crate::CollectionKind,
    pub(super) displayname: Option<String>,
    pub(super) color: Option<String>,
    pub(super) description: Option<String>,
    pub(super) components: Option<Vec<String>>,
    pub(super) privileges: Option<Vec<String>>,
    pub(super) supports_sync: bool,
}

impl Entry {
    pub(crate) fn into_collection(self, url: String) -> DiscoveredCollection {
        let components = match (self.kind, self.components) {
            (crate::CollectionKind::AddressBook, _) => Vec::new(),
            (_, Some(c)) => c,
            (_, None) => vec!["VEVENT".into(), "VTODO".into(), "VJOURNAL".into()],
        };
        let read_only = self
            .privileges
            .is_some_and(|p| !crate::inspect::allows_writing(&p));
        DiscoveredCollection {
            url,
            kind: self.kind,
            displayname: self.displayname,
            color: self.color,
            description: self.description,
            components,
            read_only,
            supports_sync: self.supports_sync,
            shared_by: None,
        }
    }
}

impl DavRequest for ListCollections<'_> {
    type Response = Vec<Entry>;
    type ParseError = ParseResponseError;
    type Error<E> = WebDavError<E>;

    fn prepare_request(&self, base_url: Uri) -> Result<Request<String>, http::Error> {
        self.propfind.prepare_request(base_url)
    }

    fn parse_response(
        &self,
        parts: &http::response::Parts,
        body: &[u8],
    ) -> Result<Self::Response, Self::ParseError> {
        if !parts.status.is_success() {
            return Err(ParseResponseError::BadStatusCode(parts.status));
        }
        parse_collections(std::str::from_utf8(body)?)
    }
}

pub(crate) fn is(node: roxmltree::Node, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

pub(crate) fn text_of(node: roxmltree::Node) -> Option<String> {
    let text: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Whether a `propstat` reports success (a missing status counts as success).
fn propstat_ok(propstat: roxmltree::Node) -> bool {
    propstat
        .children()
        .find(|n| is(*n, names::DAV, "status"))
        .and_then(text_of)
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u16>().ok())
        .is_none_or(|code| (200..300).contains(&code))
}

/// The properties of a multistatus `response` that the server has: the
/// elements of its 2xx `propstat`s.
pub(crate) fn ok_props<'a, 'i>(response: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    response
        .children()
        .filter(|n| is(*n, names::DAV, "propstat") && propstat_ok(*n))
        .flat_map(|ps| ps.children().filter(|n| is(*n, names::DAV, "prop")))
        .flat_map(|prop| prop.children().filter(|n| n.is_element()))
        .collect()
}

pub(crate) fn parse_collections(body: &str) -> Result<Vec<Entry>, ParseResponseError> {
    let doc = roxmltree::Document::parse(body)?;
    let mut entries = Vec::new();
    for response in doc
        .root_element()
        .children()
        .filter(|n| is(*n, names::DAV, "response"))
    {
        let Some(href) = response
            .children()
            .find(|n| is(*n, names::DAV, "href"))
            .and_then(text_of)
        else {
            continue;
        };
        let href = libdav::encoding::normalise_percent_encoded(&href)?.into_owned();
        let props = ok_props(response);
        let find = |ns: &str, name: &str| props.iter().copied().find(|n| is(*n, ns, name));
        let Some(resourcetype) = find(names::DAV, "resourcetype") else {
            continue;
        };
        let kind = if resourcetype
            .children()
            .any(|n| is(n, names::CALDAV, "calendar"))
        {
            crate::CollectionKind::Calendar
        } else if resourcetype
            .children()
            .any(|n| is(n, names::CARDDAV, "addressbook"))
        {
            crate::CollectionKind::AddressBook
        } else {
            continue;
        };
        // Cyrus puts calendar-color in another namespace: match the name alone.
        let color = props
            .iter()
            .find(|n| n.tag_name().name() == "calendar-color")
            .and_then(|n| text_of(*n));
        let description = match kind {
            crate::CollectionKind::Calendar => find(names::CALDAV, "calendar-description"),
            crate::CollectionKind::AddressBook => find(names::CARDDAV, "addressbook-description"),
        }
        .and_then(text_of);
        let components = find(names::CALDAV, "supported-calendar-component-set").map(|set| {
            set.descendants()
                .filter(|n| is(*n, names::CALDAV, "comp"))
                .filter_map(|n| n.attribute("name"))
                .map(str::to_ascii_uppercase)
                .collect()
        });
        let privileges = find(names::DAV, "current-user-privilege-set").map(|set| {
            set.children()
                .filter(|n| is(*n, names::DAV, "privilege"))
                .flat_map(|p| p.children().filter(|n| n.is_element()))
                .filter(|n| n.tag_name().namespace() == Some(names::DAV))
                .map(|n| n.tag_name().name().to_string())
                .collect()
        });
        let supports_sync = find(names::DAV, "supported-report-set").is_some_and(|set| {
            set.descendants()
                .any(|n| is(n, names::DAV, "sync-collection"))
        });
        entries.push(Entry {
            href,
            kind,
            displayname: find(names::DAV, "displayname").and_then(text_of),
            color,
            description,
            components,
            privileges,
            supports_sync,
        });
    }
    Ok(entries)
}
