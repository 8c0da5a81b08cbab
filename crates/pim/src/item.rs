//! One calendar object or contact: parsed once, validated (with `calcard`
//! where it is not plain, see `item/plain.rs`), and
//! edited line by line so that whatever davsync does not touch stays byte for byte.

use crate::duplicate::{DuplicateFacts, DuplicateReader};
use crate::lines::{self, Line};
use calcard::Entry;
use calcard::icalendar::{ICalendar, ICalendarComponentType};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;

/// What kind of object an item holds (its main component).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// A VCALENDAR whose main component is a VEVENT.
    Event,
    /// A VCALENDAR whose main component is a VTODO.
    Task,
    /// A VCALENDAR whose main component is a VJOURNAL.
    Journal,
    /// A VCARD.
    Contact,
    /// A VLIST: a contact list as SOGo stores it (`text/x-vlist`; members
    /// name other resources of the address book, see `vlist.rs`).
    List,
}

impl ItemKind {
    /// Whether the item is a calendar object (an event, task or journal),
    /// not a contact or list.
    pub fn is_calendar(self) -> bool {
        matches!(self, ItemKind::Event | ItemKind::Task | ItemKind::Journal)
    }

    /// The top-level component of a contact (`VCARD`) or list (`VLIST`);
    /// `None` for a calendar object.
    pub fn card_component(self) -> Option<&'static str> {
        match self {
            ItemKind::Contact => Some("VCARD"),
            ItemKind::List => Some("VLIST"),
            _ => None,
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Event => "event",
            ItemKind::Task => "task",
            ItemKind::Journal => "journal",
            ItemKind::Contact => "contact",
            ItemKind::List => "list",
        })
    }
}

/// Why a body is not a usable item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// Nothing but blank space.
    #[error("the item is empty")]
    Empty,
    /// Neither iCalendar nor vCard, or broken beyond use.
    #[error("malformed item: {0}")]
    Malformed(String),
    /// A VCALENDAR without a VEVENT, VTODO or VJOURNAL.
    #[error("the calendar object holds no event, task or journal")]
    NoMainComponent,
    /// The main component has no UID.
    #[error("the item has no UID")]
    NoUid,
    /// One resource must hold one UID (a series with its exceptions).
    #[error("the item holds several UIDs ({0} and {1})")]
    SeveralUids(String, String),
}

/// A parsed item: the body as stored plus the facts the engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    body: String,
    kind: ItemKind,
    uid: String,
    modified: Option<DateTime<Utc>>,
    categories: Vec<String>,
    summary: Option<String>,
    hash: String,
    duplicate: DuplicateFacts,
}

const MAIN_COMPONENTS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

impl Item {
    /// Parses and validates an iCalendar object or a vCard.
    pub fn parse(body: impl Into<String>) -> Result<Item, ItemError> {
        let body = body.into();
        if body.trim().is_empty() {
            return Err(ItemError::Empty);
        }
        let lines = lines::unfold_to_read(&body);
        let (kind, uid) = validate(&body, &lines)?;
        check_nesting(&lines)?;
        let facts = Facts::collect(&lines, kind);
        let hash = content_hash(&lines);
        Ok(Item::from_facts(body, kind, uid, facts, hash))
    }

    /// An item from facts taken from this very body by an earlier parse
    /// (see `parked.rs`): nothing is checked.
    pub(crate) fn from_facts(
        body: String,
        kind: ItemKind,
        uid: String,
        facts: Facts,
        hash: String,
    ) -> Item {
        Item {
            body,
            kind,
            uid,
            modified: facts.modified,
            categories: facts.categories,
            summary: facts.summary,
            hash,
            duplicate: facts.duplicate,
        }
    }

    /// The body exactly as stored.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Gives up the body.
    pub fn into_body(self) -> String {
        self.body
    }

    /// Event, task, journal or contact.
    pub fn kind(&self) -> ItemKind {
        self.kind
    }

    /// The UID shared by all components of the resource.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// LAST-MODIFIED (the latest over a series and its exceptions) or the vCard REV.
    pub fn modified(&self) -> Option<DateTime<Utc>> {
        self.modified
    }

    /// Every category of the main components, unescaped, in order, without repeats.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Whether the item carries `category` (compared without regard to case).
    pub fn has_category(&self, category: &str) -> bool {
        self.categories.iter().any(|c| same_category(c, category))
    }

    /// SUMMARY of the first main component, or FN of a vCard.
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// What the item holds of its duplicate key and age (see `duplicate.rs`).
    pub(crate) fn duplicate_facts(&self) -> &DuplicateFacts {
        &self.duplicate
    }

    /// A hash of the normalised content: independent of line folding, line ends,
    /// property and component order, PRODID and DTSTAMP. Equal hashes mean equal items.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// Every content line, normalised as for the hash and prefixed with the path
    /// of its component (`VCALENDAR/VEVENT/SUMMARY:x`): for checking that a
    /// server which rewrote an item kept everything that was sent.
    pub fn content_lines(&self) -> std::collections::BTreeSet<String> {
        let mut path: Vec<String> = Vec::new();
        let mut out = std::collections::BTreeSet::new();
        for line in lines::unfold_to_read(&self.body) {
            match line.component_marker() {
                Some((true, name)) => path.push(name.into_owned()),
                Some((false, _)) => {
                    path.pop();
                }
                None => {
                    if let Some(text) = normalized_property(&line) {
                        out.insert(format!("{}/{text}", path.join("/")));
                    }
                }
            }
        }
        out
    }

    /// The item with `category` added to every main component that lacks it.
    pub fn with_category_added(&self, category: &str) -> Result<Item, ItemError> {
        let escaped = lines::escape(category);
        let mut doc = lines::unfold(&self.body);
        let main = main_ranges(&doc, self.kind);
        let mut inserts = Vec::new();
        for (start, end) in main {
            let found = doc[start..end].iter().any(|line| {
                line.name() == "CATEGORIES"
                    && lines::split_list(line.value())
                        .iter()
                        .any(|c| same_category(&lines::unescape(c), category))
            });
            if found {
                continue;
            }
            if let Some(line) = doc[start..end]
                .iter_mut()
                .find(|l| l.name() == "CATEGORIES")
            {
                let value = line.value().trim_end().to_string();
                let value = if value.is_empty() {
                    escaped.clone()
                } else {
                    format!("{value},{escaped}")
                };
                line.set_value(&value);
            } else {
                inserts.push(end);
            }
        }
        for at in inserts.into_iter().rev() {
            doc.insert(at, Line::new(format!("CATEGORIES:{escaped}")));
        }
        Item::parse(lines::write(&doc))
    }

    /// The item with `category` removed wherever it appears; empty CATEGORIES lines go.
    pub fn with_category_removed(&self, category: &str) -> Result<Item, ItemError> {
        if !self.has_category(category) {
            return Ok(self.clone());
        }
        let mut doc = lines::unfold(&self.body);
        let mut drop = Vec::new();
        for (start, end) in main_ranges(&doc, self.kind) {
            for (offset, line) in doc[start..end].iter_mut().enumerate() {
                if line.name() != "CATEGORIES" {
                    continue;
                }
                let kept: Vec<String> = lines::split_list(line.value())
                    .into_iter()
                    .filter(|c| !same_category(&lines::unescape(c), category))
                    .map(str::to_string)
                    .collect();
                if kept.is_empty() {
                    drop.push(start + offset);
                } else {
                    line.set_value(&kept.join(","));
                }
            }
        }
        for at in drop.into_iter().rev() {
            doc.remove(at);
        }
        Item::parse(lines::write(&doc))
    }

    /// The item under another UID (the UID of every main component is replaced).
    pub fn with_uid(&self, uid: &str) -> Result<Item, ItemError> {
        let mut doc = lines::unfold(&self.body);
        for (start, end) in main_ranges(&doc, self.kind) {
            for line in doc[start..end].iter_mut() {
                if line.name() == "UID" {
                    line.set_value(uid);
                }
            }
        }
        let item = Item::parse(lines::write(&doc))?;
        // A UID line the parser reads but this line reader does not take
        // for one (`UID,:x`) would leave the old UID: refuse, never copy it.
        if item.uid() != uid {
            return Err(ItemError::Malformed(format!(
                "its UID line is not one this program can rewrite (still {:?})",
                item.uid()
            )));
        }
        Ok(item)
    }

    /// The item with ` (note)` appended to its SUMMARY (or FN), added if missing.
    pub fn with_summary_note(&self, note: &str) -> Result<Item, ItemError> {
        let field = if !self.kind.is_calendar() {
            "FN"
        } else {
            "SUMMARY"
        };
        let note = lines::escape(note);
        let mut doc = lines::unfold(&self.body);
        let mut inserts = Vec::new();
        for (start, end) in main_ranges(&doc, self.kind) {
            match doc[start..end].iter_mut().find(|l| l.name() == field) {
                Some(line) => {
                    let value = format!("{} ({note})", line.value().trim_end());
                    line.set_value(&value);
                }
                None => inserts.push(end),
            }
        }
        for at in inserts.into_iter().rev() {
            doc.insert(at, Line::new(format!("{field}:({note})")));
        }
        Item::parse(lines::write(&doc))
    }
}

/// Checks the body and finds its kind and UID: a plain item from its lines
/// (`plain.rs`), any other with calcard.
fn validate(body: &str, doc: &[Line]) -> Result<(ItemKind, String), ItemError> {
    if crate::vlist::is_vlist(body) {
        // calcard knows no VLIST (it reads one as a calendar without
        // events): the lines are checked here, the nesting by the caller.
        return crate::vlist::validate(body).map(|uid| (ItemKind::List, uid));
    }
    if let Some(found) = plain::identity(body, doc) {
        return Ok(found);
    }
    by_calcard(body)
}

/// The kind and UID as `calcard` reads them, or why it cannot.
fn by_calcard(body: &str) -> Result<(ItemKind, String), ItemError> {
    let mut parser = calcard::Parser::new(body);
    match parser.entry() {
        Entry::ICalendar(cal) => validate_calendar(&cal),
        Entry::VCard(card) => {
            let uid = card
                .uid()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .ok_or(ItemError::NoUid)?;
            Ok((ItemKind::Contact, uid.to_string()))
        }
        Entry::InvalidLine(line) => Err(ItemError::Malformed(format!(
            "unexpected line {:?}",
            truncate(&line, 60)
        ))),
        Entry::UnexpectedComponentEnd { expected, found } => Err(ItemError::Malformed(format!(
            "END:{} where END:{} was expected",
            found.as_str(),
            expected.as_str()
        ))),
        Entry::UnterminatedComponent(name) => Err(ItemError::Malformed(format!(
            "BEGIN:{name} is never closed"
        ))),
        Entry::TooManyComponents => Err(ItemError::Malformed("too many components".into())),
        Entry::Eof => Err(ItemError::Malformed(
            "no BEGIN:VCALENDAR or BEGIN:VCARD".into(),
        )),
        _ => Err(ItemError::Malformed("unrecognised content".into())),
    }
}

/// Components must nest and close: a truncated file is refused, never synced.
fn check_nesting(doc: &[Line<'_>]) -> Result<(), ItemError> {
    let mut stack: Vec<Cow<'_, str>> = Vec::with_capacity(8);
    for line in doc {
        match line.component_marker() {
            Some((true, name)) => stack.push(name),
            Some((false, name)) => match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => {
                    return Err(ItemError::Malformed(format!(
                        "END:{name} where END:{open} was expected"
                    )));
                }
                None => return Err(ItemError::Malformed(format!("END:{name} without BEGIN"))),
            },
            None => {}
        }
    }
    match stack.first() {
        Some(open) => Err(ItemError::Malformed(format!(
            "BEGIN:{open} is never closed (truncated?)"
        ))),
        None => Ok(()),
    }
}

fn validate_calendar(cal: &ICalendar) -> Result<(ItemKind, String), ItemError> {
    let mut kind = None;
    let mut uid: Option<String> = None;
    for component in &cal.components {
        let this = match component.component_type {
            ICalendarComponentType::VEvent => ItemKind::Event,
            ICalendarComponentType::VTodo => ItemKind::Task,
            ICalendarComponentType::VJournal => ItemKind::Journal,
            _ => continue,
        };
        kind.get_or_insert(this);
        let this_uid = component
            .uid()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or(ItemError::NoUid)?;
        match &uid {
            None => uid = Some(this_uid.to_string()),
            Some(u) if u != this_uid => {
                return Err(ItemError::SeveralUids(u.clone(), this_uid.to_string()));
            }
            Some(_) => {}
        }
    }
    let kind = kind.ok_or(ItemError::NoMainComponent)?;
    Ok((kind, uid.ok_or(ItemError::NoUid)?))
}

/// Categories compare without regard to case, as Outlook and most clients do.
fn same_category(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Line ranges `[start, end)` of the main components' own properties; `end` is
/// the index of the closing `END:` line. Nested components (VALARM) are excluded
/// only in the sense that edits target the main component's properties, which
/// come first in practice; a property of a nested component is never matched
/// because ranges stop at the first nested BEGIN.
pub(crate) fn main_ranges(doc: &[Line], kind: ItemKind) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut open: Option<usize> = None;
    for (i, line) in doc.iter().enumerate() {
        let Some((begin, name)) = line.component_marker() else {
            continue;
        };
        if begin {
            if let Some(start) = open.take() {
                // A nested component starts: the main component's properties end here.
                ranges.push((start, i));
            }
            let is_main = if let Some(card) = kind.card_component() {
                name == card && stack.is_empty()
            } else {
                MAIN_COMPONENTS.contains(&name.as_ref())
                    && stack.last().map(String::as_str) == Some("VCALENDAR")
            };
            stack.push(name.into_owned());
            if is_main {
                open = Some(i + 1);
            }
        } else {
            if let Some(start) = open.take() {
                ranges.push((start, i));
            }
            stack.pop();
        }
    }
    ranges
}

/// Facts read from the lines of the main components.
pub(crate) struct Facts {
    pub(crate) modified: Option<DateTime<Utc>>,
    pub(crate) categories: Vec<String>,
    pub(crate) summary: Option<String>,
    pub(crate) duplicate: DuplicateFacts,
}

impl Facts {
    /// The facts of `doc`, in one pass over the lines of its main components.
    fn collect(doc: &[Line], kind: ItemKind) -> Facts {
        let mut modified: Option<DateTime<Utc>> = None;
        let mut categories: Vec<String> = Vec::new();
        let mut summary = None;
        let mut duplicate = DuplicateReader::new(kind);
        let (time_prop, summary_prop) = if !kind.is_calendar() {
            ("REV", "FN")
        } else {
            ("LAST-MODIFIED", "SUMMARY")
        };
        for (start, end) in main_ranges(doc, kind) {
            for line in &doc[start..end] {
                let name = line.name();
                duplicate.line(&name, line);
                if name == time_prop {
                    if let Some(t) = parse_timestamp(line.value()) {
                        modified = Some(modified.map_or(t, |m| m.max(t)));
                        if kind.is_calendar() {
                            duplicate.modified(t);
                        }
                    }
                } else if name == "CATEGORIES" {
                    for c in lines::split_list(line.value()) {
                        let c = lines::unescape(c);
                        if !categories.iter().any(|k| same_category(k, &c)) {
                            categories.push(c);
                        }
                    }
                } else if name == summary_prop && summary.is_none() {
                    summary = Some(lines::unescape(line.value()));
                }
            }
            duplicate.end_component();
        }
        Facts {
            modified,
            categories,
            summary,
            duplicate: duplicate.finish(),
        }
    }
}

/// Reads `20261124T101010Z`, `2026-11-24T10:10:10Z`, `2026-11-24T10:10:10.123+01:00`
/// or a date alone; a time without zone is taken as UTC.
pub fn parse_timestamp(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    compact_utc(value).or_else(|| any_timestamp(value))
}

/// `20261124T101010Z` read by hand: the form of nearly every stamp
/// (LAST-MODIFIED, CREATED, REV), read for every item of a run, without
/// [`any_timestamp`]'s allocation and tries. `None` for anything else
/// (a leap second too), which is then read the long way.
fn compact_utc(value: &str) -> Option<DateTime<Utc>> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || !matches!(b[15], b'Z' | b'z') {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, &digit| {
            digit
                .is_ascii_digit()
                .then(|| n * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(4, 6)?, number(6, 8)?)?
        .and_hms_opt(number(9, 11)?, number(11, 13)?, number(13, 15)?)
        .map(|t| t.and_utc())
}

/// [`parse_timestamp`] for every form it reads.
fn any_timestamp(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    let compact: String = value.chars().filter(|c| *c != '-' && *c != ':').collect();
    let compact = compact.trim_end_matches(['Z', 'z']);
    let compact = compact.split('.').next().unwrap_or(compact);
    if let Ok(t) = NaiveDateTime::parse_from_str(compact, "%Y%m%dT%H%M%S") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(compact, "%Y%m%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Properties that say nothing about the item's content: producers and
/// stamps (a vCard's `REV`, which DAViCal adds to a card stored without one).
const VOLATILE: [&str; 3] = ["PRODID", "DTSTAMP", "REV"];

/// A property line with its name in upper case and trailing space removed;
/// `None` for volatile properties. Borrowed from the line when that is all
/// it is (a name already in upper case, one TYPE value at most: nearly
/// every line), so that hashing an item allocates per component, not per line.
fn normalized_property<'l>(line: &'l Line<'_>) -> Option<Cow<'l, str>> {
    let name = line.name();
    if VOLATILE.contains(&name.as_ref()) {
        return None;
    }
    // CLASS:PUBLIC is the default (RFC 5545 §3.8.1.3); SOGo adds it to every item.
    if name == "CLASS" && line.value().trim().eq_ignore_ascii_case("PUBLIC") {
        return None;
    }
    let logical: &'l str = &line.logical;
    let at = lines::name_end(logical).unwrap_or(0);
    let rest = logical[at..].trim_end();
    let text = if logical[..at] == *name {
        Cow::Borrowed(&logical[..at + rest.len()])
    } else {
        let mut text = String::with_capacity(name.len() + rest.len());
        text.push_str(&name);
        text.push_str(rest);
        Cow::Owned(text)
    };
    // Cyrus serves `TYPE=INTERNET,WORK` as `TYPE=INTERNET;TYPE=WORK`, and
    // others change the case of TYPE values: one TYPE list, upper case, sorted.
    let text = types_as_one(text);
    // Servers rewrite some values without changing their meaning: the parts of a
    // recurrence rule come back in another order (Xandikos), trailing empty
    // components of N and ADR are dropped (SOGo).
    if !matches!(name.as_ref(), "RRULE" | "EXRULE" | "N" | "ADR" | "CARD") {
        return Some(text);
    }
    let value = line.value().trim_end();
    let head = &text[..text.len() - value.len()];
    let normal = match name.as_ref() {
        "RRULE" | "EXRULE" => {
            let mut parts: Vec<&str> = value.split(';').filter(|p| !p.is_empty()).collect();
            parts.sort_unstable();
            let mut normal = String::with_capacity(head.len() + value.len());
            normal.push_str(head);
            for (i, part) in parts.into_iter().enumerate() {
                if i > 0 {
                    normal.push(';');
                }
                normal.push_str(part);
            }
            normal
        }
        "N" | "ADR" => format!("{head}{}", value.trim_end_matches(';')),
        // SOGo writes the parameters of a list's member lines back in an
        // order of its own (docs/sogo-lists.md).
        "CARD" => format!("{}:{value}", sorted_params(head.trim_end_matches(':'))),
        _ => return Some(text),
    };
    Some(Cow::Owned(normal))
}

/// A line's TYPE parameters (`TYPE=a,b`, `TYPE=a;TYPE=b`, any case) as one
/// `TYPE=A,B` where the first stood; a line with one plain TYPE value (or
/// none) as it is, so that the hash of most lines stays what it was.
fn types_as_one(text: Cow<'_, str>) -> Cow<'_, str> {
    // Most lines have no parameters: a name without quotes, then the colon.
    let first = text.bytes().position(|b| matches!(b, b';' | b':' | b'"'));
    if first.is_none_or(|i| text.as_bytes()[i] == b':') {
        return text;
    }
    let Some(colon) = crate::edit::value_colon(&text) else {
        return text;
    };
    let (head, value) = text.split_at(colon);
    // Parameters without a TYPE (TZID, CN, CUTYPE ...): as they are, unsplit.
    let names_type = head.match_indices(';').any(|(i, _)| {
        let name = head[i + 1..].trim_start().as_bytes();
        name.len() >= 4 && name[..4].eq_ignore_ascii_case(b"TYPE")
    });
    if !names_type {
        return text;
    }
    let params = crate::edit::head_segments(head);
    let types: Vec<&str> = params
        .iter()
        .skip(1)
        .filter_map(|p| {
            p.split_once('=')
                .filter(|(n, _)| n.trim().eq_ignore_ascii_case("TYPE"))
                .map(|(_, v)| v)
        })
        .collect();
    let plain = types.len() <= 1 && types.iter().all(|v| !v.contains(',') && !v.contains('"'));
    if plain {
        return text;
    }
    let mut values: Vec<String> = types
        .iter()
        .flat_map(|v| v.trim_matches('"').split(','))
        .map(|v| v.trim().to_ascii_uppercase())
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_unstable();
    values.dedup();
    let mut out: Vec<String> = vec![params[0].to_string()];
    let mut placed = false;
    for p in params.iter().skip(1) {
        let is_type = p
            .split_once('=')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("TYPE"));
        if !is_type {
            out.push(p.to_string());
        } else if !placed {
            out.push(format!("TYPE={}", values.join(",")));
            placed = true;
        }
    }
    Cow::Owned(format!("{}{value}", out.join(";")))
}

/// `NAME;B=2;A=1` as `NAME;A=1;B=2` (parameters split outside quotes).
fn sorted_params(head: &str) -> String {
    let mut parts = crate::edit::head_segments(head);
    let name = parts.remove(0);
    parts.sort_unstable();
    std::iter::once(name)
        .chain(parts)
        .collect::<Vec<_>>()
        .join(";")
}

/// SHA-256 of a canonical form: each component's property lines sorted, child
/// components sorted by their canonical text, volatile properties left out.
fn content_hash(doc: &[Line<'_>]) -> String {
    // The properties and child texts of the open components end to end,
    // each component's from where it began (one vector each, not two per
    // component): `open` holds each open component's name and starts.
    let mut props: Vec<Cow<'_, str>> = Vec::with_capacity(doc.len());
    let mut children: Vec<String> = Vec::new();
    let mut open: Vec<(Cow<'_, str>, usize, usize)> = Vec::with_capacity(8);
    for line in doc {
        match line.component_marker() {
            Some((true, name)) => open.push((name, props.len(), children.len())),
            Some((false, _)) => {
                let Some((name, p, c)) = open.pop() else {
                    continue;
                };
                props[p..].sort();
                children[c..].sort();
                let parts = props[p..]
                    .iter()
                    .map(|p| &**p)
                    .chain(children[c..].iter().map(String::as_str));
                let size = 2 * name.len() + 11 + parts.clone().map(|p| p.len() + 1).sum::<usize>();
                let mut text = String::with_capacity(size);
                text.push_str("BEGIN:");
                text.push_str(&name);
                text.push('\n');
                for part in parts {
                    text.push_str(part);
                    text.push('\n');
                }
                text.push_str("END:");
                text.push_str(&name);
                props.truncate(p);
                children.truncate(c);
                children.push(text);
            }
            None => {
                if let Some(text) = normalized_property(line) {
                    props.push(text);
                }
            }
        }
    }
    let mut hasher = Sha256::new();
    // Unclosed components (never valid after `validate`) still hash
    // deterministically: the innermost first, each its properties as they
    // came, then its children; the lines outside any component last.
    let mut ends = (props.len(), children.len());
    let starts = open.iter().rev().map(|&(_, p, c)| (p, c));
    for (p, c) in starts.chain(std::iter::once((0, 0))) {
        let own = props[p..ends.0].iter().map(|p| &**p);
        for part in own.chain(children[c..ends.1].iter().map(String::as_str)) {
            hasher.update(part.as_bytes());
            hasher.update(b"\n");
        }
        ends = (p, c);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(2 * digest.len());
    for b in digest {
        for nibble in [b >> 4, b & 0xf] {
            hex.push(char::from_digit(u32::from(nibble), 16).expect("a nibble is a hex digit"));
        }
    }
    hex
}

mod plain;
#[cfg(test)]
mod tests;
