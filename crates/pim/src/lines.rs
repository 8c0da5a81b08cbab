//! Content lines (RFC 5545 §3.1, RFC 6350 §3.2): unfolding, folding and the few
//! lossless edits davsync makes, keeping every untouched line byte for byte.

use std::borrow::Cow;

/// One logical content line together with the exact bytes it came from,
/// both borrowed from the body read while they are one piece of it (a line
/// that was not folded: nearly all), so that reading an item allocates
/// nothing for such a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The unfolded line, without its line break.
    pub logical: Cow<'a, str>,
    /// The raw, possibly folded text including its line breaks; `None` once edited.
    raw: Option<Cow<'a, str>>,
}

impl<'a> Line<'a> {
    /// A new line (not present in the source), written folded on output.
    pub(crate) fn new(logical: String) -> Self {
        Line {
            logical: Cow::Owned(logical),
            raw: None,
        }
    }

    /// Replaces the logical text; the line is then re-folded on output.
    pub(crate) fn set(&mut self, logical: String) {
        if logical != self.logical {
            self.logical = Cow::Owned(logical);
            self.raw = None;
        }
    }

    /// The property name in upper case, without a vCard group prefix (`item1.EMAIL` → `EMAIL`).
    /// Borrowed when the line has it in upper case already (almost always:
    /// every item's every line is asked its name, often more than once).
    pub(crate) fn name(&self) -> Cow<'_, str> {
        upper(self.bare_name())
    }

    /// The property name as written, without a vCard group prefix and
    /// surrounding blanks: [`Line::name`] before its case is made upper.
    fn bare_name(&self) -> &str {
        let end = name_end(&self.logical).unwrap_or(self.logical.len());
        let name = &self.logical[..end];
        let name = match name.bytes().rposition(|b| b == b'.') {
            Some(dot) => &name[dot + 1..],
            None => name,
        };
        name.trim()
    }

    /// Byte offset of the colon that separates name and parameters from the value.
    fn value_start(&self) -> Option<usize> {
        // By bytes: both marks are ASCII, never inside a longer character.
        let mut in_quotes = false;
        for (i, b) in self.logical.bytes().enumerate() {
            match b {
                b'"' => in_quotes = !in_quotes,
                b':' if !in_quotes => return Some(i + 1),
                _ => {}
            }
        }
        None
    }

    /// The raw (still escaped) value after the first unquoted colon.
    pub(crate) fn value(&self) -> &str {
        match self.value_start() {
            Some(i) => &self.logical[i..],
            None => "",
        }
    }

    /// Replaces the value, keeping name and parameters.
    pub(crate) fn set_value(&mut self, value: &str) {
        let head = match self.value_start() {
            Some(i) => self.logical[..i].to_string(),
            None => format!("{}:", self.logical),
        };
        self.set(format!("{head}{value}"));
    }

    /// `BEGIN:X` → `Some((true, "X"))`, `END:X` → `Some((false, "X"))`.
    /// Asked of every line by each pass over an item: compared in place, any
    /// case, the name is neither upper-cased nor compared as a string (a
    /// tenth of a first download's parsing went there).
    pub(crate) fn component_marker(&self) -> Option<(bool, Cow<'_, str>)> {
        let name = self.bare_name();
        let begin = if name.eq_ignore_ascii_case("BEGIN") {
            true
        } else if name.eq_ignore_ascii_case("END") {
            false
        } else {
            return None;
        };
        Some((begin, upper(self.value().trim())))
    }
}

/// Where a content line's name ends: its first `;` or `:` (searched byte by
/// byte, both being ASCII: a pattern of two chars searches char by char, and
/// every line of every item is asked this, some several times).
pub(crate) fn name_end(line: &str) -> Option<usize> {
    line.bytes().position(|b| b == b';' || b == b':')
}

/// `text` in upper case, borrowed when it is already.
fn upper(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(text.to_ascii_uppercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Splits a body into logical lines, accepting CRLF, LF and lone CR line ends.
pub(crate) fn unfold(body: &str) -> Vec<Line<'_>> {
    unfold_with(body, true)
}

/// [`unfold`] into lines that own their text (for a document edited in
/// place, whose new lines are owned anyway).
pub(crate) fn unfold_owned(body: &str) -> Vec<Line<'static>> {
    unfold_with(body, true)
        .into_iter()
        .map(|line| Line {
            logical: Cow::Owned(line.logical.into_owned()),
            raw: line.raw.map(|raw| Cow::Owned(raw.into_owned())),
        })
        .collect()
}

/// [`unfold`] for reading only: the lines keep no copy of their raw text,
/// which only an edit written back needs (half the allocations of a pass
/// that hashes or looks up an item's lines).
pub(crate) fn unfold_to_read(body: &str) -> Vec<Line<'_>> {
    unfold_with(body, false)
}

fn unfold_with(body: &str, keep_raw: bool) -> Vec<Line<'_>> {
    // About one line in 40 bytes: grown once or twice, not a dozen times.
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(body.len() / 40 + 4);
    let mut rest = body;
    while !rest.is_empty() {
        // By bytes (both are ASCII), several at a time: every byte of every
        // item read passes here.
        let (physical, consumed) = match memchr::memchr2(b'\r', b'\n', rest.as_bytes()) {
            Some(i) => {
                let bytes = rest.as_bytes();
                let brk = if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (&rest[..i], i + brk)
            }
            None => (rest, rest.len()),
        };
        let raw = &rest[..consumed];
        rest = &rest[consumed..];
        if let Some(cont) = physical
            .strip_prefix(' ')
            .or_else(|| physical.strip_prefix('\t'))
            && let Some(last) = lines.last_mut()
        {
            last.logical.to_mut().push_str(cont);
            if let Some(r) = last.raw.as_mut() {
                r.to_mut().push_str(raw);
            }
            continue;
        }
        if physical.is_empty() {
            // Blank lines carry nothing; keep their bytes attached to the previous line.
            if let Some(last) = lines.last_mut()
                && let Some(r) = last.raw.as_mut()
            {
                r.to_mut().push_str(raw);
            }
            continue;
        }
        lines.push(Line {
            logical: Cow::Borrowed(physical),
            raw: keep_raw.then_some(Cow::Borrowed(raw)),
        });
    }
    lines
}

/// Folds a logical line at 75 octets (never inside a UTF-8 sequence) and ends it with CRLF.
pub(crate) fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

/// Writes lines back: untouched lines exactly as read, edited or new lines folded.
pub(crate) fn write(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        match &line.raw {
            Some(raw) => {
                out.push_str(raw);
                if !raw.ends_with('\n') && !raw.ends_with('\r') {
                    out.push_str("\r\n");
                }
            }
            None => out.push_str(&fold(&line.logical)),
        }
    }
    out
}

/// Splits a list value (CATEGORIES) at commas that are not escaped: each
/// item trimmed, still escaped, borrowed from `value`; empty ones left out.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, b) in value.bytes().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b',' {
            items.push(&value[start..i]);
            start = i + 1;
        }
    }
    items.push(&value[start..]);
    items.retain_mut(|item| {
        *item = item.trim();
        !item.is_empty()
    });
    items
}

/// Removes text escapes (`\,` `\;` `\n` `\\`).
pub(crate) fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds text escapes for a TEXT value.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfold_joins_continuations_and_write_keeps_bytes() {
        let body = "BEGIN:VCALENDAR\r\nSUMMARY:a long\r\n  line\r\nEND:VCALENDAR\r\n";
        let lines = unfold(body);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].logical, "SUMMARY:a long line");
        assert_eq!(write(&lines), body);
    }

    #[test]
    fn lf_only_bodies_round_trip() {
        let body = "BEGIN:VCARD\nFN:x\nEND:VCARD\n";
        assert_eq!(write(&unfold(body)), body);
    }

    #[test]
    fn fold_respects_utf8_and_width() {
        let line = format!("SUMMARY:{}", "é".repeat(100));
        let folded = fold(&line);
        for physical in folded.split("\r\n") {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        let back = unfold(&folded);
        assert_eq!(back[0].logical, line);
    }

    #[test]
    fn value_skips_quoted_colons() {
        let line = Line::new("ATTENDEE;CN=\"a:b\":mailto:x@y".into());
        assert_eq!(line.value(), "mailto:x@y");
        assert_eq!(line.name(), "ATTENDEE");
        assert_eq!(Line::new("item1.EMAIL;TYPE=x:a@b".into()).name(), "EMAIL");
    }

    #[test]
    fn list_split_and_escapes() {
        assert_eq!(split_list("a, b\\,c ,,d"), vec!["a", "b\\,c", "d"]);
        assert_eq!(unescape("a\\,b\\nc"), "a,b\nc");
        assert_eq!(escape("a,b;c\n"), "a\\,b\\;c\\n");
    }
}
