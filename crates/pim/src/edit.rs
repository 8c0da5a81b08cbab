//! Generic lossless edits of an item's main components (VEVENT, VTODO,
//! VJOURNAL, or the VCARD): find, edit, rename, remove and insert property
//! lines, read and change parameters, drop or restore subcomponents (VALARM).
//! Lines an edit does not touch keep their bytes; edited lines are re-folded.

use crate::item::{Item, ItemError, ItemKind};
use crate::lines::{self, Line};

/// Adds text escapes for a TEXT value (`,` `;` `\` and line breaks).
pub fn escape_text(text: &str) -> String {
    lines::escape(text)
}

/// Removes text escapes (`\,` `\;` `\n` `\\`).
pub fn unescape_text(value: &str) -> String {
    lines::unescape(value)
}

/// Byte offset of the first colon outside double quotes (the end of name and
/// parameters), if any.
pub(crate) fn value_colon(logical: &str) -> Option<usize> {
    let mut in_quotes = false;
    for (i, c) in logical.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    None
}

/// The name and parameters of a line, split at semicolons outside quotes:
/// `["ATTENDEE", "CN=Ann", "RSVP=TRUE"]`.
pub(crate) fn head_segments(head: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in head.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => {
                out.push(&head[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&head[start..]);
    out
}

/// A parameter value without its surrounding quotes.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// One property line of a component, as [`Component::edit`] hands it over.
pub struct Property<'a> {
    line: &'a mut Line<'static>,
    removed: bool,
}

impl Property<'_> {
    /// The property name in upper case (`ATTENDEE`).
    pub fn name(&self) -> String {
        self.line.name().into_owned()
    }

    /// The whole unfolded line.
    pub fn logical(&self) -> &str {
        &self.line.logical
    }

    /// The raw (still escaped) value.
    pub fn value(&self) -> &str {
        self.line.value()
    }

    /// The value with text escapes removed.
    pub fn text(&self) -> String {
        lines::unescape(self.line.value())
    }

    /// Replaces the whole line by `line` (bytes and all).
    pub(crate) fn replace(&mut self, line: Line<'static>) {
        *self.line = line;
    }

    /// Replaces the raw value, keeping name and parameters.
    pub fn set_value(&mut self, raw: &str) {
        self.line.set_value(raw);
    }

    /// Replaces the value by `text`, escaped as TEXT.
    pub fn set_text(&mut self, text: &str) {
        self.line.set_value(&lines::escape(text));
    }

    /// Name and parameters, as written (`ATTENDEE;CN=Ann`).
    fn head(&self) -> &str {
        let logical = &self.line.logical;
        &logical[..value_colon(logical).unwrap_or(logical.len())]
    }

    /// The value of parameter `name` (any case), without quotes.
    pub fn param(&self, name: &str) -> Option<String> {
        head_segments(self.head())
            .into_iter()
            .skip(1)
            .find_map(|p| {
                let (n, v) = p.split_once('=')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| unquote(v).to_string())
            })
    }

    /// Rebuilds the line from name and parameter segments and the value. A
    /// line without a value (an unclosed quote) is left as it is.
    fn rebuild(&mut self, segments: &[String]) {
        let logical = &self.line.logical;
        let Some(i) = value_colon(logical) else {
            return;
        };
        let rest = logical[i..].to_string();
        self.line.set(format!("{}{rest}", segments.join(";")));
    }

    fn segments(&self) -> Vec<String> {
        head_segments(self.head())
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// Sets parameter `name` to `raw` (written as given: quote it yourself
    /// where needed), in place if present, else appended after the others.
    pub fn set_param(&mut self, name: &str, raw: &str) {
        let mut segments = self.segments();
        let new = format!("{name}={raw}");
        let at = segments.iter().skip(1).position(|p| {
            p.split_once('=')
                .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        });
        match at {
            Some(i) if segments[i + 1] == new => return,
            Some(i) => segments[i + 1] = new,
            None => segments.push(new),
        }
        self.rebuild(&segments);
    }

    /// Removes parameter `name`; returns its value (unquoted) if it was there.
    pub fn remove_param(&mut self, name: &str) -> Option<String> {
        value_colon(&self.line.logical)?;
        let mut segments = self.segments();
        let i = segments.iter().skip(1).position(|p| {
            p.split_once('=')
                .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        })? + 1;
        let removed = segments.remove(i);
        self.rebuild(&segments);
        removed.split_once('=').map(|(_, v)| unquote(v).to_string())
    }

    /// Renames the property, keeping parameters, value and a vCard group
    /// prefix (`item1.X-AIM` renamed to `IMPP` is `item1.IMPP`).
    pub fn rename(&mut self, to: &str) {
        let mut segments = self.segments();
        let new = match segments[0].rsplit_once('.') {
            Some((group, _)) => format!("{group}.{to}"),
            None => to.to_string(),
        };
        if segments[0] == new {
            return;
        }
        segments[0] = new;
        self.rebuild(&segments);
    }

    /// The parameters as written (`TYPE=work`, `PREF=1`), in order.
    pub fn params(&self) -> Vec<String> {
        self.segments().into_iter().skip(1).collect()
    }

    /// Replaces every parameter by `params` (written as given), keeping
    /// name and value.
    pub fn set_params(&mut self, params: &[String]) {
        let mut segments = vec![self.segments()[0].clone()];
        segments.extend(params.iter().cloned());
        if segments == self.segments() {
            return;
        }
        self.rebuild(&segments);
    }

    /// Removes the line.
    pub fn remove(&mut self) {
        self.removed = true;
    }
}

/// A main component of an item being edited (see [`Item::edit_components`]):
/// its own property lines (not those of nested components such as VALARM)
/// and its nested components.
pub struct Component<'a> {
    doc: &'a mut Vec<Line<'static>>,
    /// Index of the BEGIN line.
    begin: usize,
    /// Index of the END line.
    end: usize,
    name: String,
}

impl Component<'_> {
    /// `VEVENT`, `VTODO`, `VJOURNAL` or `VCARD`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Indices of the component's own property lines.
    fn own(&self) -> Vec<usize> {
        let mut depth = 0usize;
        let mut out = Vec::new();
        for i in self.begin + 1..self.end {
            match self.doc[i].component_marker() {
                Some((true, _)) => depth += 1,
                Some((false, _)) => depth = depth.saturating_sub(1),
                None if depth == 0 => out.push(i),
                None => {}
            }
        }
        out
    }

    /// Where a new property goes: before the first nested component, else
    /// before END (RFC 5545 puts properties before subcomponents).
    fn insert_point(&self) -> usize {
        (self.begin + 1..self.end)
            .find(|&i| self.doc[i].component_marker().is_some())
            .unwrap_or(self.end)
    }

    /// The raw values of the component's own `name` properties, in order.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.own()
            .into_iter()
            .filter(|&i| self.doc[i].name() == name)
            .map(|i| self.doc[i].value().to_string())
            .collect()
    }

    /// The component's own property lines, in order.
    pub(crate) fn own_lines(&self) -> Vec<&Line<'static>> {
        self.own().into_iter().map(|i| &self.doc[i]).collect()
    }

    /// Whether the component has an own `name` property.
    pub fn has(&self, name: &str) -> bool {
        self.own().into_iter().any(|i| self.doc[i].name() == name)
    }

    /// The names of the component's own properties, in order, with repeats.
    pub fn property_names(&self) -> Vec<String> {
        self.own()
            .into_iter()
            .map(|i| self.doc[i].name().into_owned())
            .collect()
    }

    /// Its RECURRENCE-ID (trimmed), which tells a series' exceptions apart.
    pub fn recurrence_id(&self) -> Option<String> {
        self.values("RECURRENCE-ID")
            .first()
            .map(|v| v.trim().to_string())
    }

    /// Hands every own property line to `f`, which may change or remove it.
    pub fn edit(&mut self, mut f: impl FnMut(&mut Property<'_>)) {
        let mut removed = Vec::new();
        for i in self.own() {
            let mut property = Property {
                line: &mut self.doc[i],
                removed: false,
            };
            f(&mut property);
            if property.removed {
                removed.push(i);
            }
        }
        for i in removed.into_iter().rev() {
            self.doc.remove(i);
            self.end -= 1;
        }
    }

    /// Removes every own `name` property; returns how many went.
    pub fn remove(&mut self, name: &str) -> usize {
        let mut count = 0;
        self.edit(|p| {
            if p.name() == name {
                p.remove();
                count += 1;
            }
        });
        count
    }

    /// Adds a property line (`NAME;PARAM=x:value`, unfolded) after the own properties.
    pub fn add(&mut self, logical: &str) {
        let at = self.insert_point();
        self.doc.insert(at, Line::new(logical.to_string()));
        self.end += 1;
    }

    /// Whether the component holds nested components (alarms).
    pub fn has_subcomponents(&self) -> bool {
        self.insert_point() < self.end
    }

    /// Removes every nested component (VALARM and the like); returns how many went.
    pub fn remove_subcomponents(&mut self) -> usize {
        let mut depth = 0usize;
        let mut count = 0;
        let mut keep = Vec::new();
        for i in self.begin + 1..self.end {
            match self.doc[i].component_marker() {
                Some((true, _)) => depth += 1,
                Some((false, _)) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        count += 1;
                    }
                    continue;
                }
                None => {}
            }
            if depth == 0 {
                keep.push(i);
            }
        }
        if count == 0 {
            return 0;
        }
        let kept: Vec<Line> = keep.iter().map(|&i| self.doc[i].clone()).collect();
        let n = kept.len();
        self.doc.splice(self.begin + 1..self.end, kept);
        self.end = self.begin + 1 + n;
        count
    }

    /// Copies from `other` (the same component in a richer copy of the item)
    /// its own properties whose name `wanted` accepts and of which this
    /// component has none, each with its bytes, placed after the line that
    /// preceded it in `other` where that line is here too. Returns how many
    /// lines were copied.
    pub fn restore_from(&mut self, other: &Component<'_>, wanted: impl Fn(&str) -> bool) -> usize {
        let missing: Vec<String> = other
            .property_names()
            .into_iter()
            .filter(|n| wanted(n) && !self.has(n))
            .collect();
        if missing.is_empty() {
            return 0;
        }
        let mut anchor = self.begin;
        let mut copied = 0;
        for i in other.own() {
            let line = &other.doc[i];
            if missing.contains(&line.name().into_owned()) {
                anchor += 1;
                self.doc.insert(anchor, line.clone());
                self.end += 1;
                copied += 1;
            } else {
                // The same line after the anchor, else (an edited value) the
                // next line of the same name.
                let own: Vec<usize> = self.own().into_iter().filter(|&j| j > anchor).collect();
                let found = own
                    .iter()
                    .find(|&&j| self.doc[j].logical == line.logical)
                    .or_else(|| own.iter().find(|&&j| self.doc[j].name() == line.name()));
                if let Some(&found) = found {
                    anchor = found;
                }
            }
        }
        copied
    }

    /// Copies the nested components of `other` (its alarms, each with its
    /// bytes) when this component has none. Returns whether it did.
    pub fn restore_subcomponents_from(&mut self, other: &Component<'_>) -> bool {
        if self.has_subcomponents() || !other.has_subcomponents() {
            return false;
        }
        let mut depth = 0usize;
        let mut lines = Vec::new();
        for i in other.begin + 1..other.end {
            let line = &other.doc[i];
            let marker = line.component_marker();
            if matches!(marker, Some((true, _))) {
                depth += 1;
            }
            if depth > 0 {
                lines.push(line.clone());
            }
            if matches!(marker, Some((false, _))) {
                depth = depth.saturating_sub(1);
            }
        }
        let n = lines.len();
        self.doc.splice(self.end..self.end, lines);
        self.end += n;
        true
    }
}

/// `(BEGIN index, END index, name)` of every main component, in order.
fn main_components(doc: &[Line], kind: ItemKind) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    for (i, line) in doc.iter().enumerate() {
        match line.component_marker() {
            Some((true, name)) => stack.push((name.into_owned(), i)),
            Some((false, _)) => {
                let Some((name, begin)) = stack.pop() else {
                    continue;
                };
                let main = if let Some(card) = kind.card_component() {
                    name == card && stack.is_empty()
                } else {
                    ["VEVENT", "VTODO", "VJOURNAL"].contains(&name.as_str())
                        && stack.len() == 1
                        && stack[0].0 == "VCALENDAR"
                };
                if main {
                    out.push((begin, i, name));
                }
            }
            None => {}
        }
    }
    out
}

/// A main component's identity within its item: name and RECURRENCE-ID.
fn identity(component: &Component<'_>) -> (String, Option<String>) {
    (component.name.clone(), component.recurrence_id())
}

impl Item {
    /// The item with each main component edited by `f` (last first, so that
    /// `f` may add and remove lines). Untouched lines keep their bytes; an
    /// item no edit changed is returned as it was.
    pub fn edit_components(
        &self,
        mut f: impl FnMut(&mut Component<'_>),
    ) -> Result<Item, ItemError> {
        self.edit_components_with(None, |c, _| f(c))
    }

    /// Like [`edit_components`](Self::edit_components), with each main
    /// component handed over together with the same component (same name
    /// and RECURRENCE-ID) of `other`, where it has one: for restoring what
    /// a lossy mapping dropped from a richer copy.
    pub fn edit_components_with(
        &self,
        other: Option<&Item>,
        mut f: impl FnMut(&mut Component<'_>, Option<&Component<'_>>),
    ) -> Result<Item, ItemError> {
        let mut doc = lines::unfold_owned(self.body());
        let original = doc.clone();
        let mut other_doc = other
            .map(|o| lines::unfold_owned(o.body()))
            .unwrap_or_default();
        let other_parts = other
            .map(|o| main_components(&other_doc, o.kind()))
            .unwrap_or_default();
        for (begin, end, name) in main_components(&doc, self.kind()).into_iter().rev() {
            let mut component = Component {
                doc: &mut doc,
                begin,
                end,
                name,
            };
            let me = identity(&component);
            let found = other_parts.iter().find(|(b, e, n)| {
                let peer = Component {
                    doc: &mut other_doc,
                    begin: *b,
                    end: *e,
                    name: n.clone(),
                };
                identity(&peer) == me
            });
            match found {
                Some((b, e, n)) => {
                    let peer = Component {
                        doc: &mut other_doc,
                        begin: *b,
                        end: *e,
                        name: n.clone(),
                    };
                    f(&mut component, Some(&peer));
                }
                None => f(&mut component, None),
            }
        }
        if doc == original {
            return Ok(self.clone());
        }
        Item::parse(lines::write(&doc))
    }

    /// The raw values of every own `name` property of the main components.
    pub fn property_values(&self, name: &str) -> Vec<String> {
        let mut doc = lines::unfold_owned(self.body());
        let mut out = Vec::new();
        for (begin, end, name_of) in main_components(&doc.clone(), self.kind()) {
            let component = Component {
                doc: &mut doc,
                begin,
                end,
                name: name_of,
            };
            out.extend(component.values(name));
        }
        out
    }

    /// Whether a main component has an own `name` property.
    pub fn has_property(&self, name: &str) -> bool {
        !self.property_values(name).is_empty()
    }

    /// The item without any own `name` property in its main components.
    pub fn with_property_removed(&self, name: &str) -> Result<Item, ItemError> {
        self.edit_components(|c| {
            c.remove(name);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\nSUMMARY:s\r\nORGANIZER;CN=\"Doe; Ann\":mailto:ann@example.org\r\nATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@example.org\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:alarm\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:u\r\nRECURRENCE-ID:20260101T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    fn item() -> Item {
        Item::parse(EVENT).unwrap()
    }

    #[test]
    fn params_are_read_set_and_removed_in_place() {
        let edited = item()
            .edit_components(|c| {
                c.edit(|p| {
                    if p.name() == "ORGANIZER" {
                        assert_eq!(p.param("cn").as_deref(), Some("Doe; Ann"));
                        p.set_param("SCHEDULE-AGENT", "CLIENT");
                        p.set_param("SCHEDULE-AGENT", "CLIENT");
                    }
                })
            })
            .unwrap();
        assert!(edited.body().contains(
            "ORGANIZER;CN=\"Doe; Ann\";SCHEDULE-AGENT=CLIENT:mailto:ann@example.org\r\n"
        ));
        let back = edited
            .edit_components(|c| {
                c.edit(|p| {
                    if p.name() == "ORGANIZER" {
                        assert_eq!(p.remove_param("schedule-agent").as_deref(), Some("CLIENT"));
                        assert_eq!(p.remove_param("schedule-agent"), None);
                    }
                })
            })
            .unwrap();
        assert_eq!(back.body(), EVENT);
    }

    #[test]
    fn an_edit_that_changes_nothing_returns_the_same_bytes() {
        let body = EVENT.replace("SUMMARY:s\r\n", "SUMMARY:a long\r\n  folded line\r\n");
        let item = Item::parse(body.clone()).unwrap();
        let same = item
            .edit_components(|c| c.edit(|p| p.rename(&p.name())))
            .unwrap();
        assert_eq!(same.body(), body);
    }

    #[test]
    fn removal_and_alarms_stay_within_main_components() {
        let no_desc = item().with_property_removed("DESCRIPTION").unwrap();
        assert_eq!(
            no_desc.body(),
            EVENT,
            "the alarm's DESCRIPTION is not the event's"
        );
        let no_attendee = item().with_property_removed("ATTENDEE").unwrap();
        assert_eq!(
            no_attendee.body(),
            EVENT.replace("ATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@example.org\r\n", "")
        );
        let bare = item()
            .edit_components(|c| {
                c.remove_subcomponents();
            })
            .unwrap();
        assert!(!bare.body().contains("VALARM"));
        assert_eq!(item().property_values("SUMMARY"), ["s", "x"]);
        assert!(item().has_property("RECURRENCE-ID"));
    }

    #[test]
    fn added_lines_go_before_alarms_and_are_folded() {
        let long = format!("X-LONG:{}", "a".repeat(100));
        let added = item()
            .edit_components(|c| {
                if c.recurrence_id().is_none() {
                    c.add(&long);
                }
            })
            .unwrap();
        assert!(added.body().contains("bob@example.org\r\nX-LONG:aaa"));
        assert!(added.body().contains("\r\n aaa"));
        assert_eq!(added.property_values("X-LONG"), ["a".repeat(100)]);
    }

    #[test]
    fn restore_puts_lines_back_where_they_were_with_their_bytes() {
        let rich = Item::parse(EVENT.replace(
            "ATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@example.org\r\n",
            "ATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@exa\r\n mple.org\r\n",
        ))
        .unwrap();
        let poor = rich
            .edit_components(|c| {
                c.remove("ORGANIZER");
                c.remove("ATTENDEE");
                c.remove_subcomponents();
            })
            .unwrap();
        let restored = poor
            .edit_components_with(Some(&rich), |c, peer| {
                let peer = peer.expect("every component has its peer");
                c.restore_from(peer, |n| n == "ORGANIZER" || n == "ATTENDEE");
                c.restore_subcomponents_from(peer);
            })
            .unwrap();
        assert_eq!(restored.body(), rich.body());
        // Nothing to restore where the poorer copy has its own.
        let again = restored
            .edit_components_with(Some(&rich), |c, peer| {
                c.restore_from(peer.unwrap(), |_| true);
                c.restore_subcomponents_from(peer.unwrap());
            })
            .unwrap();
        assert_eq!(again.body(), rich.body());
    }

    #[test]
    fn a_line_without_a_value_is_left_alone() {
        let mut line = Line::new("ATTENDEE;CN=\"open:mailto:x@example.org".into());
        let before = line.clone();
        let mut p = Property {
            line: &mut line,
            removed: false,
        };
        p.set_param("SCHEDULE-AGENT", "CLIENT");
        p.rename("X-ATTENDEE");
        assert_eq!(p.remove_param("CN"), None);
        assert_eq!(line, before);
    }

    #[test]
    fn rename_and_text() {
        let renamed = item()
            .edit_components(|c| {
                c.edit(|p| {
                    if p.name() == "SUMMARY" {
                        p.rename("X-SUMMARY");
                        p.set_text("a, b");
                    }
                })
            })
            .unwrap();
        assert_eq!(renamed.property_values("X-SUMMARY"), ["a\\, b", "a\\, b"]);
        assert_eq!(unescape_text(&escape_text("a;b\nc")), "a;b\nc");
    }
}
