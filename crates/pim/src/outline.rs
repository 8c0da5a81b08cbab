//! The component structure of a body's lines: which lines each component
//! spans, for the edits that move, drop or replace whole components.

use crate::lines::Line;

/// One component: `BEGIN` at `begin`, `END` at `end` (line indices), and the
/// components nested in it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The component name in upper case (`VEVENT`, `VALARM`, …).
    pub(crate) name: String,
    /// Index of the `BEGIN:` line.
    pub(crate) begin: usize,
    /// Index of the `END:` line.
    pub(crate) end: usize,
    /// Nested components.
    pub(crate) children: Vec<Block>,
}

impl Block {
    /// Line indices of the component's own properties (not those of nested components).
    pub(crate) fn own_lines(&self) -> impl Iterator<Item = usize> + '_ {
        (self.begin + 1..self.end).filter(|i| {
            !self
                .children
                .iter()
                .any(|child| (child.begin..=child.end).contains(i))
        })
    }
}

/// The components of the first top-level component (the VCALENDAR); empty
/// when the lines do not nest (never for a parsed [`Item`](crate::Item)).
pub(crate) fn outline(doc: &[Line]) -> Vec<Block> {
    let mut stack: Vec<Block> = Vec::new();
    let mut top: Vec<Block> = Vec::new();
    for (i, line) in doc.iter().enumerate() {
        match line.component_marker() {
            Some((true, name)) => stack.push(Block {
                name: name.into_owned(),
                begin: i,
                end: i,
                children: Vec::new(),
            }),
            Some((false, _)) => {
                let Some(mut block) = stack.pop() else {
                    return Vec::new();
                };
                block.end = i;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(block),
                    None => top.push(block),
                }
            }
            None => {}
        }
    }
    if !stack.is_empty() {
        return Vec::new();
    }
    top.into_iter()
        .next()
        .map(|root| root.children)
        .unwrap_or_default()
}

/// The main components (VEVENT, VTODO, VJOURNAL) among `blocks`.
pub(crate) fn is_main(block: &Block) -> bool {
    matches!(block.name.as_str(), "VEVENT" | "VTODO" | "VJOURNAL")
}

/// The value of the parameter `name` of a property line (unquoted), if present.
pub(crate) fn param(line: &Line, name: &str) -> Option<String> {
    params(line)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The parameters of a property line as (name, unquoted value) pairs.
pub(crate) fn params(line: &Line) -> Vec<(String, String)> {
    let head = head(line);
    let mut out = Vec::new();
    for part in split_unquoted(head, ';').into_iter().skip(1) {
        if let Some((n, v)) = part.split_once('=') {
            out.push((n.trim().to_string(), v.trim().trim_matches('"').to_string()));
        }
    }
    out
}

/// The name and parameters of a property line (before the value's colon).
fn head<'l>(line: &'l Line<'_>) -> &'l str {
    let value_len = line.value().len();
    let logical = &line.logical;
    let end = logical.len() - value_len;
    logical[..end].strip_suffix(':').unwrap_or(&logical[..end])
}

/// Splits at `sep` outside double quotes.
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The line with parameter `name` set to `value` (quoted when needed), or
/// removed when `value` is `None`; other parameters keep their text.
pub(crate) fn with_param(line: &Line, name: &str, value: Option<&str>) -> String {
    let head = head(line);
    let mut parts: Vec<String> = split_unquoted(head, ';')
        .into_iter()
        .map(str::to_string)
        .collect();
    let position = parts.iter().skip(1).position(|p| {
        p.split_once('=')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
    });
    let text = value.map(|v| {
        if v.contains([':', ';', ',']) {
            format!("{name}=\"{v}\"")
        } else {
            format!("{name}={v}")
        }
    });
    match (position, text) {
        (Some(at), Some(text)) => parts[at + 1] = text,
        (Some(at), None) => {
            parts.remove(at + 1);
        }
        (None, Some(text)) => parts.push(text),
        (None, None) => {}
    }
    format!("{}:{}", parts.join(";"), line.value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::unfold;

    #[test]
    fn outline_finds_nested_components() {
        let doc = unfold(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nBEGIN:VALARM\nTRIGGER:-PT5M\nEND:VALARM\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
        );
        let blocks = outline(&doc);
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].begin, blocks[0].end), (1, 7));
        assert_eq!(blocks[0].children[0].name, "VALARM");
        assert_eq!(blocks[0].own_lines().collect::<Vec<_>>(), vec![2, 6]);
    }

    #[test]
    fn params_are_read_and_replaced() {
        let line =
            Line::new("DTSTART;VALUE=DATE-TIME;TZID=\"W. Europe: x\":20260101T100000".into());
        assert_eq!(param(&line, "tzid").as_deref(), Some("W. Europe: x"));
        assert_eq!(
            with_param(&line, "TZID", Some("Europe/Berlin")),
            "DTSTART;VALUE=DATE-TIME;TZID=Europe/Berlin:20260101T100000"
        );
        assert_eq!(
            with_param(&line, "TZID", None),
            "DTSTART;VALUE=DATE-TIME:20260101T100000"
        );
    }
}
