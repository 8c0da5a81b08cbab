//! The streaming multistatus parser: a `calendar-query`, `addressbook-query`,
//! `sync-collection` or PROPFIND answer read `<response>` by `<response>` while
//! the body arrives, so that memory stays bounded by one response whatever the
//! collection's size. Used by the query, the first read, the listing and the
//! sync-collection delta.

use crate::client::DavError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use quick_xml::events::{BytesRef, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Refuses text holding a character XML 1.0 forbids (C0 controls but tab,
/// line feed and carriage return), as a conforming parser must.
fn forbidden_char(text: &[u8]) -> Result<(), String> {
    match text
        .iter()
        .find(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        Some(b) => Err(format!(
            "the answer holds a character XML 1.0 forbids (U+{b:04X}); \
             accept_invalid_xml_chars = true reads such answers"
        )),
        None => Ok(()),
    }
}

/// An href as the rest of the crate has it: a path (the scheme and authority
/// of an absolute URL dropped), percent-normalised like libdav does.
pub(crate) fn normalise_href(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let path = if raw.starts_with("http://") || raw.starts_with("https://") {
        let uri: http::Uri = raw.parse().ok()?;
        uri.path().to_string()
    } else {
        raw.to_string()
    };
    if !path.starts_with('/') {
        return None;
    }
    libdav::encoding::normalise_percent_encoded(&path)
        .ok()
        .map(|p| p.into_owned())
}

/// What one `<response>` said, before it is checked against the collection.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ParsedResponse {
    /// The hrefs, as written (trimmed).
    pub hrefs: Vec<String>,
    /// The status of the response itself (the form without propstat).
    pub status: Option<http::StatusCode>,
    /// `DAV:getetag` from a successful propstat.
    pub etag: Option<String>,
    /// `DAV:getcontenttype` from a successful propstat.
    pub content_type: Option<String>,
    /// `DAV:resourcetype` holds `DAV:collection`.
    pub is_collection: bool,
    /// `DAV:resourcetype` holds `CALDAV:calendar` (listings check the kind).
    pub is_calendar: bool,
    /// `DAV:resourcetype` holds `CARDDAV:addressbook`.
    pub is_address_book: bool,
    /// `calendar-data` / `address-data` from a successful propstat, entities
    /// resolved and line ends XML-normalised.
    pub data: Option<String>,
    /// The status of a failed propstat that named the data property.
    pub data_status: Option<http::StatusCode>,
    /// Something wrong with this response alone (text not UTF-8, a bad status line).
    pub problem: Option<String>,
}

/// The properties of one propstat, kept until its status is known.
#[derive(Debug, Default)]
struct Propstat {
    status: Option<http::StatusCode>,
    bad_status: bool,
    etag: Option<String>,
    content_type: Option<String>,
    is_collection: bool,
    is_calendar: bool,
    is_address_book: bool,
    data: Option<String>,
    names_data: bool,
}

/// The elements the parser knows, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Multistatus,
    Response,
    Href,
    ResponseStatus,
    Propstat,
    PropstatStatus,
    Prop,
    Etag,
    ContentType,
    ResourceType,
    IsCollection,
    IsCalendar,
    IsAddressBook,
    Data,
    /// The multistatus's own `DAV:sync-token` (a sync-collection answer).
    SyncToken,
    Other,
}

impl Node {
    /// Whether the element's text is kept.
    fn captures(self) -> bool {
        matches!(
            self,
            Node::Href
                | Node::ResponseStatus
                | Node::PropstatStatus
                | Node::Etag
                | Node::ContentType
                | Node::Data
                | Node::SyncToken
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Dav,
    CalDav,
    CardDav,
    Other,
}

fn namespace(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(ns) => match ns.0 {
            "DAV:" => Ns::Dav,
            "urn:ietf:params:xml:ns:caldav" => Ns::CalDav,
            "urn:ietf:params:xml:ns:carddav" => Ns::CardDav,
            _ => Ns::Other,
        },
        _ => Ns::Other,
    }
}

fn classify(parent: Option<Node>, ns: Ns, local: &str) -> Node {
    match (parent, ns, local) {
        (None, Ns::Dav, "multistatus") => Node::Multistatus,
        (Some(Node::Multistatus), Ns::Dav, "response") => Node::Response,
        (Some(Node::Multistatus), Ns::Dav, "sync-token") => Node::SyncToken,
        (Some(Node::Response), Ns::Dav, "href") => Node::Href,
        (Some(Node::Response), Ns::Dav, "status") => Node::ResponseStatus,
        (Some(Node::Response), Ns::Dav, "propstat") => Node::Propstat,
        (Some(Node::Propstat), Ns::Dav, "status") => Node::PropstatStatus,
        (Some(Node::Propstat), Ns::Dav, "prop") => Node::Prop,
        (Some(Node::Prop), Ns::Dav, "getetag") => Node::Etag,
        (Some(Node::Prop), Ns::Dav, "getcontenttype") => Node::ContentType,
        (Some(Node::Prop), Ns::Dav, "resourcetype") => Node::ResourceType,
        (Some(Node::ResourceType), Ns::Dav, "collection") => Node::IsCollection,
        (Some(Node::ResourceType), Ns::CalDav, "calendar") => Node::IsCalendar,
        (Some(Node::ResourceType), Ns::CardDav, "addressbook") => Node::IsAddressBook,
        (Some(Node::Prop), Ns::CalDav, "calendar-data")
        | (Some(Node::Prop), Ns::CardDav, "address-data") => Node::Data,
        _ => Node::Other,
    }
}

/// The push side of the parser: fed XML events, yields finished responses.
#[derive(Debug, Default)]
struct Parser {
    stack: Vec<Node>,
    seen_root: bool,
    text: String,
    response: ParsedResponse,
    propstat: Propstat,
    sync_token: Option<String>,
}

impl Parser {
    fn in_response(&self) -> bool {
        self.stack.contains(&Node::Response)
    }

    fn capturing(&self) -> bool {
        self.stack.last().is_some_and(|n| n.captures())
    }

    fn problem(&mut self, message: String) {
        self.response.problem.get_or_insert(message);
    }

    fn start(&mut self, ns: Ns, local: &str) -> Result<Node, String> {
        let parent = self.stack.last().copied();
        if parent.is_none() && self.seen_root {
            return Err("more than one root element".into());
        }
        let node = classify(parent, ns, local);
        if parent.is_none() {
            if node != Node::Multistatus {
                return Err(format!("expected a DAV:multistatus, got <{local}>"));
            }
            self.seen_root = true;
        }
        match node {
            Node::Response => self.response = ParsedResponse::default(),
            Node::Propstat => self.propstat = Propstat::default(),
            Node::Data => self.propstat.names_data = true,
            Node::IsCollection => self.propstat.is_collection = true,
            Node::IsCalendar => self.propstat.is_calendar = true,
            Node::IsAddressBook => self.propstat.is_address_book = true,
            _ => {}
        }
        if node.captures() {
            self.text.clear();
        }
        self.stack.push(node);
        Ok(node)
    }

    /// Text of the element being read: taken whole when it is the first
    /// (an item's data is one piece of text, already a string of its own
    /// when its line ends were normalised: it is moved, not copied into a
    /// growing buffer).
    fn text(&mut self, text: Cow<'_, str>) {
        if !self.capturing() {
            return;
        }
        if self.text.is_empty() {
            self.text = text.into_owned();
        } else {
            self.text.push_str(&text);
        }
    }

    fn reference(&mut self, reference: &BytesRef<'_>) -> Result<(), String> {
        if !self.capturing() {
            return Ok(());
        }
        let resolved = match reference.resolve_char_ref() {
            Ok(Some(c)) => {
                self.text.push(c);
                return Ok(());
            }
            Ok(None) => quick_xml::escape::resolve_predefined_entity(reference),
            Err(_) => None,
        };
        match resolved {
            Some(s) => self.text.push_str(s),
            None => {
                let message = format!(
                    "unknown entity or bad character reference &{};",
                    &**reference
                );
                if self.in_response() {
                    self.problem(message);
                } else {
                    return Err(message);
                }
            }
        }
        Ok(())
    }

    fn status(&mut self, text: &str) -> Option<http::StatusCode> {
        match libdav::xmlutils::parse_statusline(text.trim()) {
            Ok(status) => Some(status),
            Err(_) => {
                self.problem(format!("bad status line {:?}", text.trim()));
                None
            }
        }
    }

    /// Closes the innermost element; a finished `<response>` is returned.
    fn end(&mut self) -> Option<ParsedResponse> {
        let node = self.stack.pop()?;
        let text = if node.captures() {
            std::mem::take(&mut self.text)
        } else {
            String::new()
        };
        match node {
            Node::Href => self.response.hrefs.push(trimmed(text)),
            Node::ResponseStatus => self.response.status = self.status(&text),
            Node::PropstatStatus => {
                self.propstat.status = self.status(&text);
                self.propstat.bad_status = self.propstat.status.is_none();
            }
            Node::Etag => self.propstat.etag = Some(trimmed(text)),
            Node::ContentType => self.propstat.content_type = Some(trimmed(text)),
            Node::Data => self.propstat.data = Some(text),
            Node::SyncToken => {
                self.sync_token = Some(trimmed(text)).filter(|t| !t.is_empty());
            }
            Node::Propstat => {
                let p = std::mem::take(&mut self.propstat);
                match p.status {
                    // RFC 4918 requires the status; without one, take the values.
                    Some(s) if !s.is_success() => {
                        if p.names_data {
                            self.response.data_status = Some(s);
                        }
                    }
                    _ if p.bad_status => {}
                    _ => {
                        let r = &mut self.response;
                        r.etag = p.etag.filter(|e| !e.is_empty()).or(r.etag.take());
                        r.content_type = p.content_type.or(r.content_type.take());
                        r.is_collection |= p.is_collection;
                        r.is_calendar |= p.is_calendar;
                        r.is_address_book |= p.is_address_book;
                        r.data = p.data.or(r.data.take());
                    }
                }
            }
            Node::Response => return Some(std::mem::take(&mut self.response)),
            _ => {}
        }
        None
    }

    fn finish(&self) -> Result<(), String> {
        if !self.seen_root {
            Err("the answer holds no XML".into())
        } else if !self.stack.is_empty() {
            Err("the answer ends in the middle of the XML".into())
        } else {
            Ok(())
        }
    }
}

/// `text` without space at either end (the same string when it has none).
fn trimmed(text: String) -> String {
    if text.trim().len() == text.len() {
        text
    } else {
        text.trim().to_string()
    }
}

/// An item's data with each line ended by CRLF again, as iCalendar and vCard
/// have them (XML turned every CRLF into LF): what libdav's
/// `normalise_newlines` gives, built in one allocation of the final size
/// instead of a string grown from empty (about ten reallocations an event).
pub(crate) fn with_crlf(data: &str) -> String {
    // Line ends searched several bytes at a time: every item's every byte
    // passes here twice.
    let breaks = memchr::memchr_iter(b'\n', data.as_bytes()).count();
    let mut out = String::with_capacity(data.len() + breaks);
    let mut rest = data;
    while let Some(end) = memchr::memchr(b'\n', rest.as_bytes()) {
        let line = &rest[..end];
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push_str("\r\n");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Bytes read since the current `<response>` began, why the byte stream
/// failed (for the error quick-xml only sees as an I/O error), and where bytes
/// that were not UTF-8 have been replaced.
#[derive(Debug, Default)]
struct Budget {
    used: AtomicU64,
    failure: Mutex<Option<DavError>>,
    replaced: Mutex<VecDeque<u64>>,
}

/// Replaces byte sequences that are not UTF-8 with U+FFFD as the body
/// streams by, noting where (quick-xml stops at the first one; this way only
/// the `<response>` holding it is spoilt).
struct Utf8Repair {
    /// The start of a character cut by the end of the last chunk.
    carry: Vec<u8>,
    /// Bytes handed on so far.
    emitted: u64,
    budget: Arc<Budget>,
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

impl Utf8Repair {
    fn note(&self, offset: u64) {
        if let Ok(mut replaced) = self.budget.replaced.lock() {
            replaced.push_back(offset);
        }
    }

    fn push(&mut self, chunk: Bytes) -> Bytes {
        let input = if self.carry.is_empty() {
            chunk
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(&chunk);
            Bytes::from(joined)
        };
        let mut repaired: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        let mut end = input.len();
        while let Some(rest) = input.get(at..) {
            let Err(e) = std::str::from_utf8(rest) else {
                break;
            };
            let valid = at + e.valid_up_to();
            match e.error_len() {
                None => {
                    self.carry = input.get(valid..).unwrap_or_default().to_vec();
                    end = valid;
                    break;
                }
                Some(bad) => {
                    let out = repaired.get_or_insert_with(|| Vec::with_capacity(input.len() + 8));
                    out.extend_from_slice(input.get(copied..valid).unwrap_or_default());
                    self.note(self.emitted + out.len() as u64);
                    out.extend_from_slice(REPLACEMENT);
                    at = valid + bad;
                    copied = at;
                }
            }
        }
        let output = match repaired {
            None => input.slice(..end),
            Some(mut out) => {
                out.extend_from_slice(input.get(copied..end).unwrap_or_default());
                Bytes::from(out)
            }
        };
        self.emitted += output.len() as u64;
        output
    }

    /// A character cut by the end of the body.
    fn finish(&mut self) -> Option<Bytes> {
        if self.carry.is_empty() {
            return None;
        }
        self.carry.clear();
        self.note(self.emitted);
        self.emitted += REPLACEMENT.len() as u64;
        Some(Bytes::from_static(REPLACEMENT))
    }
}

/// Parses a multistatus body arriving as `chunks`, handing each `<response>`
/// to `on_response` when its end tag has been read; returns the
/// multistatus's own `DAV:sync-token`, if it has one (a sync-collection
/// answer). At most `limit` bytes are read for one response (give or take
/// one chunk). A character XML 1.0 forbids (a control character such as a
/// form feed) fails the answer: a client that accepts them has them removed
/// from the chunks before they come here (`accept_invalid_xml_chars`).
///
/// (Generic over `on_response` rather than `dyn`: the future is `Send`
/// when the callback is, as the store's listing must be.)
pub(crate) async fn parse_multistatus<S, F>(
    url: &str,
    chunks: S,
    limit: u64,
    on_response: &mut F,
) -> Result<Option<String>, DavError>
where
    S: Stream<Item = Result<Bytes, DavError>> + Send + 'static,
    F: FnMut(ParsedResponse) + ?Sized,
{
    let budget = Arc::new(Budget::default());
    let counter = Arc::clone(&budget);
    let counted = chunks.map(move |chunk| {
        let failure = match chunk {
            Ok(chunk) => {
                let len = chunk.len() as u64;
                if counter.used.fetch_add(len, Ordering::Relaxed) + len <= limit {
                    return Ok(chunk);
                }
                DavError::TooLarge {
                    url: String::new(),
                    limit,
                }
            }
            Err(e) => e,
        };
        let message = failure.to_string();
        if let Ok(mut slot) = counter.failure.lock() {
            slot.get_or_insert(failure);
        }
        Err(std::io::Error::other(message))
    });
    let repair = Utf8Repair {
        carry: Vec::new(),
        emitted: 0,
        budget: Arc::clone(&budget),
    };
    let repaired = futures_util::stream::unfold(
        (Box::pin(counted), repair, false),
        |(mut inner, mut repair, finished)| async move {
            if finished {
                return None;
            }
            match inner.next().await {
                Some(Ok(chunk)) => Some((Ok(repair.push(chunk)), (inner, repair, false))),
                Some(Err(e)) => Some((Err(e), (inner, repair, true))),
                None => repair.finish().map(|b| (Ok(b), (inner, repair, true))),
            }
        },
    );
    let mut reader = NsReader::from_reader(tokio_util::io::StreamReader::new(Box::pin(repaired)));
    reader.config_mut().expand_empty_elements = true;
    let protocol = |message: String| DavError::Protocol {
        url: url.to_string(),
        message,
    };
    let mut parser = Parser::default();
    let mut buf = Vec::new();
    let mut response_start = 0;
    loop {
        buf.clear();
        let event = match reader.read_resolved_event_into_async(&mut buf).await {
            Ok((ns, event)) => Ok((namespace(&ns), event)),
            Err(e) => Err(e),
        };
        match event {
            Ok((ns, Event::Start(start))) => {
                if parser
                    .start(ns, start.local_name().as_ref())
                    .map_err(protocol)?
                    == Node::Response
                {
                    budget.used.store(0, Ordering::Relaxed);
                    response_start = reader.buffer_position();
                }
            }
            Ok((_, Event::End(_))) => {
                if let Some(mut response) = parser.end() {
                    let end = reader.buffer_position();
                    if let Ok(mut replaced) = budget.replaced.lock() {
                        while replaced.front().is_some_and(|&at| at < end) {
                            if replaced.pop_front().is_some_and(|at| at >= response_start) {
                                response
                                    .problem
                                    .get_or_insert_with(|| "text that is not UTF-8".to_string());
                            }
                        }
                    }
                    on_response(response);
                }
            }
            Ok((_, Event::Text(text))) => {
                forbidden_char(text.as_bytes()).map_err(protocol)?;
                parser.text(text.xml10_content());
            }
            Ok((_, Event::CData(data))) => {
                forbidden_char(data.as_bytes()).map_err(protocol)?;
                parser.text(data.xml10_content());
            }
            Ok((_, Event::GeneralRef(reference))) => {
                parser.reference(&reference).map_err(protocol)?
            }
            Ok((_, Event::Eof)) => {
                parser.finish().map_err(protocol)?;
                return Ok(parser.sync_token);
            }
            Ok(_) => {}
            Err(quick_xml::Error::Io(e)) => {
                let failure = budget.failure.lock().ok().and_then(|mut slot| slot.take());
                return Err(match failure {
                    Some(DavError::TooLarge { limit, .. }) => DavError::TooLarge {
                        url: url.to_string(),
                        limit,
                    },
                    Some(failure) => failure,
                    None => DavError::Transport {
                        url: url.to_string(),
                        message: e.to_string(),
                    },
                });
            }
            Err(e) => return Err(protocol(format!("bad XML: {e}"))),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
