//! vCard 3.0 ⇄ 4.0 conversion (RFC 6350 Appendix A, RFC 6868), as lossless
//! line edits: only the lines a rule owns change, every other line keeps
//! its bytes.
//!
//! The rules, 3.0 → 4.0 (and back the other way):
//! - `VERSION:3.0` ⇄ `VERSION:4.0`;
//! - `X-ANNIVERSARY` ⇄ `ANNIVERSARY`, `X-GENDER` ⇄ `GENDER` (`Male`/`Female`
//!   ⇄ `M`/`F`, other values as they are);
//! - groups: `X-ADDRESSBOOKSERVER-KIND`/`-MEMBER` ⇄ `KIND`/`MEMBER` (see
//!   `groups.rs`: a 3.0 card holds groups in the Apple shape);
//! - `TYPE=pref` ⇄ `PREF=1`: a `TYPE` parameter that is only `pref` becomes
//!   `PREF=1` in its place; `pref` within a list is taken out of it and
//!   `PREF=1` is added after the parameters. `PREF=1` becomes `TYPE=pref` in
//!   its place; other `PREF` values have no 3.0 form and stay;
//! - `PHOTO`, `LOGO`, `SOUND`: `ENCODING=b;TYPE=JPEG:…` ⇄
//!   `data:image/jpeg;base64,…` (`audio/` for SOUND); a URI value gets
//!   `VALUE=uri` in 3.0 (where binary is the default) and loses it in 4.0
//!   (where uri is);
//! - `N`, required in 3.0 only: a 4.0 card without one gets `N:;;;;` in
//!   3.0, and an empty `N:;;;;` is left out of 4.0; `FN`, required in both:
//!   a 3.0 card without one gets one made from `N` in 4.0.
//!
//! Parameter values keep their RFC 6868 escapes (`^n`, `^'`, `^^`) both ways:
//! 3.0 has no escaping of its own, and readers that know RFC 6868 read them in
//! both. Values (dates, TYPE words) are not rewritten. A 4.0 card converted to
//! 3.0 and back is the card byte for byte, for cards written the way 4.0
//! writes them (`PHOTO` without the default `VALUE=uri`, `GENDER` with a
//! sex letter); a 3.0 card converted to 4.0 and back may differ in spelling
//! (`type=PREF` comes back as `TYPE=pref`), never in meaning.

use crate::edit::{Component, Property};
use crate::groups::GroupShape;
use crate::item::{Item, ItemError, ItemKind};

/// A vCard version davsync converts between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VcardVersion {
    /// vCard 3.0 (RFC 2426).
    V3,
    /// vCard 4.0 (RFC 6350).
    V4,
}

impl VcardVersion {
    /// The `VERSION` value.
    pub fn as_str(self) -> &'static str {
        match self {
            VcardVersion::V3 => "3.0",
            VcardVersion::V4 => "4.0",
        }
    }

    fn parse(value: &str) -> Option<VcardVersion> {
        match value.trim() {
            "3.0" => Some(VcardVersion::V3),
            "4.0" => Some(VcardVersion::V4),
            _ => None,
        }
    }
}

/// Properties whose inline binary value is a data URI in 4.0.
const MEDIA: [(&str, &str); 3] = [("PHOTO", "image"), ("LOGO", "image"), ("SOUND", "audio")];

/// Reads an RFC 6868 escaped parameter value (`^n` newline, `^'` double
/// quote, `^^` caret; any other caret stays).
pub fn param_decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('n') | Some('N') => {
                    out.push('\n');
                    chars.next();
                }
                Some('\'') => {
                    out.push('"');
                    chars.next();
                }
                Some('^') => {
                    out.push('^');
                    chars.next();
                }
                _ => out.push('^'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes a parameter value with RFC 6868 escapes, quoted where it holds
/// `:`, `;` or `,`.
pub fn param_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' => out.push_str("^^"),
            '"' => out.push_str("^'"),
            '\n' => out.push_str("^n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    if out.contains([':', ';', ',']) {
        format!("\"{out}\"")
    } else {
        out
    }
}

/// The components of a structured value (`N`), split at semicolons that
/// are not escaped, still escaped.
fn components(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in value.chars() {
        match c {
            ';' if !escaped => out.push(String::new()),
            c => {
                escaped = c == '\\' && !escaped;
                out.last_mut().expect("never empty").push(c);
            }
        }
    }
    out
}

/// `(name, value)` of a raw parameter segment, the name in upper case.
fn split_param(segment: &str) -> (String, &str) {
    match segment.split_once('=') {
        Some((n, v)) => (n.trim().to_ascii_uppercase(), v),
        None => (segment.trim().to_ascii_uppercase(), ""),
    }
}

impl Item {
    /// The `VERSION` of a vCard (`None`: not a contact, or a version other
    /// than 3.0 and 4.0).
    pub fn vcard_version(&self) -> Option<VcardVersion> {
        if self.kind() != ItemKind::Contact {
            return None;
        }
        self.property_values("VERSION")
            .first()
            .and_then(|v| VcardVersion::parse(v))
    }

    /// The vCard converted to `to` (see the module's rules). An item that
    /// is not a 3.0 or 4.0 vCard, or already of that version, is returned as
    /// it is.
    pub fn with_vcard_version(&self, to: VcardVersion) -> Result<Item, ItemError> {
        match self.vcard_version() {
            Some(from) if from != to => {}
            _ => return Ok(self.clone()),
        }
        let converted = self.edit_components(|c| match to {
            VcardVersion::V4 => to_v4(c),
            VcardVersion::V3 => to_v3(c),
        })?;
        converted.with_group_shape(match to {
            VcardVersion::V4 => GroupShape::Vcard4,
            VcardVersion::V3 => GroupShape::Apple,
        })
    }
}

fn to_v4(c: &mut Component<'_>) {
    // FN is required in both versions, but 3.0 writers sometimes leave it
    // out; 4.0 readers reject a card without one. It is made from N
    // (prefix, given, additional, family, suffix), and kept on the way back.
    if !c.has("FN") {
        let name = c
            .values("N")
            .first()
            .map(|n| {
                let parts: Vec<String> = components(n)
                    .iter()
                    .map(|p| crate::lines::unescape(p))
                    .collect();
                let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
                [part(3), part(1), part(2), part(0), part(4)]
                    .into_iter()
                    .filter(|p| !p.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        c.add(&format!("FN:{}", crate::lines::escape(&name)));
    }
    let has_anniversary = c.has("ANNIVERSARY");
    let has_gender = c.has("GENDER");
    c.edit(|p| {
        match p.name().as_str() {
            "VERSION" => p.set_value("4.0"),
            "X-ANNIVERSARY" if !has_anniversary => p.rename("ANNIVERSARY"),
            "X-GENDER" if !has_gender => {
                p.rename("GENDER");
                let value = match p.value() {
                    "Male" => Some("M"),
                    "Female" => Some("F"),
                    _ => None,
                };
                if let Some(v) = value {
                    p.set_value(v);
                }
            }
            "N" if p.value() == ";;;;" && p.params().is_empty() => {
                p.remove();
                return;
            }
            _ => {}
        }
        pref_to_v4(p);
        media_to_v4(p);
    });
}

fn to_v3(c: &mut Component<'_>) {
    let has_anniversary = c.has("X-ANNIVERSARY");
    let has_gender = c.has("X-GENDER");
    let has_n = c.has("N");
    c.edit(|p| {
        match p.name().as_str() {
            "VERSION" => p.set_value("3.0"),
            "ANNIVERSARY" if !has_anniversary => p.rename("X-ANNIVERSARY"),
            "GENDER" if !has_gender => {
                p.rename("X-GENDER");
                let value = match p.value() {
                    "M" => Some("Male"),
                    "F" => Some("Female"),
                    _ => None,
                };
                if let Some(v) = value {
                    p.set_value(v);
                }
            }
            _ => {}
        }
        pref_to_v3(p);
        media_to_v3(p);
    });
    if !has_n {
        c.add("N:;;;;");
    }
}

/// `TYPE=pref` (3.0) → `PREF=1` (4.0).
fn pref_to_v4(p: &mut Property<'_>) {
    let params = p.params();
    let has_pref = params.iter().any(|s| split_param(s).0 == "PREF");
    let mut out = Vec::with_capacity(params.len());
    let mut found = false;
    let mut append = false;
    for segment in &params {
        let (name, value) = split_param(segment);
        if name != "TYPE" || value.starts_with('"') {
            out.push(segment.clone());
            continue;
        }
        let words: Vec<&str> = value.split(',').collect();
        if !words.iter().any(|w| w.eq_ignore_ascii_case("pref")) {
            out.push(segment.clone());
            continue;
        }
        found = true;
        let rest: Vec<&str> = words
            .into_iter()
            .filter(|w| !w.eq_ignore_ascii_case("pref"))
            .collect();
        if rest.is_empty() {
            if !has_pref {
                out.push("PREF=1".to_string());
            }
        } else {
            let head = &segment[..segment.find('=').unwrap_or(0)];
            out.push(format!("{head}={}", rest.join(",")));
            append = true;
        }
    }
    if !found {
        return;
    }
    if append && !has_pref && !out.iter().any(|s| s == "PREF=1") {
        out.push("PREF=1".to_string());
    }
    p.set_params(&out);
}

/// `PREF=1` (4.0) → `TYPE=pref` (3.0), in its place.
fn pref_to_v3(p: &mut Property<'_>) {
    let params = p.params();
    if !params.iter().any(|s| s == "PREF=1") {
        return;
    }
    let out: Vec<String> = params
        .into_iter()
        .map(|s| {
            if s == "PREF=1" {
                "TYPE=pref".to_string()
            } else {
                s
            }
        })
        .collect();
    p.set_params(&out);
}

fn media_kind(name: &str) -> Option<&'static str> {
    MEDIA.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// `ENCODING=b;TYPE=JPEG:…` → `data:image/jpeg;base64,…`; `VALUE=uri` dropped.
fn media_to_v4(p: &mut Property<'_>) {
    let Some(kind) = media_kind(&p.name()) else {
        return;
    };
    let params = p.params();
    let encoding = params.iter().find_map(|s| {
        let (n, v) = split_param(s);
        (n == "ENCODING").then(|| v.to_ascii_lowercase())
    });
    match encoding.as_deref() {
        Some("b") | Some("base64") => {
            // The media type is the last single TYPE (3.0 writers put it
            // after ENCODING).
            let at = params.iter().rposition(|s| {
                let (n, v) = split_param(s);
                n == "TYPE" && !v.contains(',')
            });
            let media = at.map(|i| {
                split_param(&params[i])
                    .1
                    .trim_matches('"')
                    .to_ascii_lowercase()
            });
            let out: Vec<String> = params
                .iter()
                .enumerate()
                .filter(|(i, s)| Some(*i) != at && split_param(s).0 != "ENCODING")
                .map(|(_, s)| s.clone())
                .collect();
            let media = match media {
                Some(sub) if sub.contains('/') => sub,
                Some(sub) => format!("{kind}/{sub}"),
                None => "application/octet-stream".to_string(),
            };
            let data: String = p.value().chars().filter(|c| !c.is_whitespace()).collect();
            p.set_params(&out);
            p.set_value(&format!("data:{media};base64,{data}"));
        }
        Some(_) => {}
        None => {
            let out: Vec<String> = params
                .iter()
                .filter(|s| {
                    let (n, v) = split_param(s);
                    !(n == "VALUE" && v.eq_ignore_ascii_case("uri"))
                })
                .cloned()
                .collect();
            if out.len() != params.len() {
                p.set_params(&out);
            }
        }
    }
}

/// `data:image/jpeg;base64,…` → `ENCODING=b;TYPE=JPEG:…`; another URI gets `VALUE=uri`.
fn media_to_v3(p: &mut Property<'_>) {
    let Some(kind) = media_kind(&p.name()) else {
        return;
    };
    let mut params = p.params();
    if params.iter().any(|s| {
        let (n, _) = split_param(s);
        n == "ENCODING" || n == "VALUE"
    }) {
        return;
    }
    let value = p.value().to_string();
    let inline = value
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
        .and_then(|(head, data)| Some((head.strip_suffix(";base64")?, data)));
    match inline {
        Some((media, data)) if !media.contains(';') => {
            params.push("ENCODING=b".to_string());
            if media != "application/octet-stream" {
                let sub = match media.strip_prefix(&format!("{kind}/")) {
                    Some(sub) if !sub.is_empty() => sub.to_ascii_uppercase(),
                    _ => media.to_string(),
                };
                params.push(format!("TYPE={sub}"));
            }
            p.set_params(&params);
            p.set_value(data);
        }
        _ => {
            params.push("VALUE=uri".to_string());
            p.set_params(&params);
        }
    }
}

#[cfg(test)]
mod tests;
