//! Descriptions: left off the server copy (`description = "drop"`), or an
//! HTML description turned into plain text for the folder
//! (`html_description = "text"`).

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Component, Item, ItemError, unescape_text};

/// The properties that hold an item's description.
const DESCRIPTIONS: [&str; 2] = ["DESCRIPTION", "X-ALT-DESC"];

/// `description = "drop"`: the server copy carries no DESCRIPTION (nor
/// X-ALT-DESC). Lossy: an item coming back from the server without either
/// gets the folder item's back; one that now has a description (written on
/// the server) keeps that one.
#[derive(Debug, Clone, Copy)]
pub struct DropDescription;

impl Transform for DropDescription {
    fn name(&self) -> &'static str {
        "description"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !item.kind().is_calendar() {
            return Ok(item);
        }
        match (to, context.current) {
            (Side::Server, _) => item.edit_components(|c| {
                for name in DESCRIPTIONS {
                    c.remove(name);
                }
            }),
            (Side::Local, Some(current)) => item.edit_components_with(Some(current), |c, peer| {
                if let Some(peer) = peer
                    && !DESCRIPTIONS.iter().any(|n| c.has(n))
                {
                    c.restore_from(peer, |n| DESCRIPTIONS.contains(&n));
                }
            }),
            (Side::Local, None) => Ok(item),
        }
    }
}

/// `html_description = "text"`: an HTML DESCRIPTION (as Google writes it),
/// or an HTML `X-ALT-DESC` without a DESCRIPTION, becomes a plain-text
/// DESCRIPTION in the folder. Lossy towards the folder: when the folder's
/// text comes back unchanged, the server keeps its HTML line as it was;
/// text edited in the folder replaces it.
#[derive(Debug, Clone, Copy)]
pub struct HtmlDescription;

/// The text of a component's first own `name` property, unescaped.
fn text_of(c: &Component<'_>, name: &str) -> Option<String> {
    c.values(name).first().map(|v| unescape_text(v))
}

/// The HTML of a component's X-ALT-DESC, if it is HTML.
fn alt_html(c: &mut Component<'_>) -> Option<String> {
    let mut html = None;
    c.edit(|p| {
        if html.is_none() && p.name() == "X-ALT-DESC" {
            let fmt = p.param("FMTTYPE").unwrap_or_default();
            let text = p.text();
            if fmt.eq_ignore_ascii_case("text/html") || looks_like_html(&text) {
                html = Some(text);
            }
        }
    });
    html
}

/// Texts compare without trailing white space (producers add a newline).
fn same_text(a: &str, b: &str) -> bool {
    a.trim_end() == b.trim_end()
}

impl Transform for HtmlDescription {
    fn name(&self) -> &'static str {
        "html_description"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Local
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if !item.kind().is_calendar() {
            return Ok(item);
        }
        match (to, context.current) {
            (Side::Local, _) => item.edit_components(|c| {
                if let Some(text) = text_of(c, "DESCRIPTION") {
                    if looks_like_html(&text) {
                        let plain = html_to_text(&text);
                        c.edit(|p| {
                            if p.name() == "DESCRIPTION" {
                                p.set_text(&plain);
                            }
                        });
                    }
                } else if let Some(html) = alt_html(c) {
                    let plain = html_to_text(&html);
                    let mut done = false;
                    c.edit(|p| {
                        if !done && p.name() == "X-ALT-DESC" {
                            done = true;
                            p.rename("DESCRIPTION");
                            p.remove_param("FMTTYPE");
                            p.set_text(&plain);
                        }
                    });
                }
            }),
            (Side::Server, Some(current)) => {
                item.edit_components_with(Some(current), |c, peer| {
                    let Some(peer) = peer else { return };
                    let Some(ours) = text_of(c, "DESCRIPTION") else {
                        return;
                    };
                    match text_of(peer, "DESCRIPTION") {
                        // The server's HTML description, unchanged in the folder.
                        Some(theirs) => {
                            if looks_like_html(&theirs) && same_text(&html_to_text(&theirs), &ours)
                            {
                                c.remove("DESCRIPTION");
                                c.restore_from(peer, |n| n == "DESCRIPTION");
                            }
                        }
                        // The server's X-ALT-DESC, unchanged in the folder.
                        None => {
                            if c.has("X-ALT-DESC") {
                                return;
                            }
                            if let Some(html) = peer_alt(peer)
                                && same_text(&html_to_text(&html), &ours)
                            {
                                c.remove("DESCRIPTION");
                                c.restore_from(peer, |n| n == "X-ALT-DESC");
                            }
                        }
                    }
                })
            }
            (Side::Server, None) => Ok(item),
        }
    }
}

/// The HTML X-ALT-DESC of a component that may not be edited.
fn peer_alt(peer: &Component<'_>) -> Option<String> {
    peer.values("X-ALT-DESC")
        .first()
        .map(|v| unescape_text(v))
        .filter(|t| looks_like_html(t))
}

/// Whether a text is HTML rather than plain text: it holds one of the tags
/// that descriptions written as HTML use.
pub fn looks_like_html(text: &str) -> bool {
    const TAGS: [&str; 22] = [
        "<br>", "<br/>", "<br />", "<p>", "<p ", "</p>", "<div", "</div>", "<b>", "</b>", "<i>",
        "</i>", "<u>", "<a href", "</a>", "<span", "<ul>", "<ol>", "<li>", "<html", "<strong>",
        "<em>",
    ];
    if !text.contains('<') {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    TAGS.iter().any(|t| lower.contains(t))
}

/// Decodes one entity (`amp`, `#39`, `#x2014`), if known.
fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// Plain text from HTML: tags removed, line breaks for `<br>` and block
/// ends, `- ` before list items, a link's address after its text when it
/// differs, entities decoded, white space collapsed as a browser does.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut hidden = 0usize;
    let mut link: Option<(String, usize)> = None;
    let newline = |out: &mut String| {
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
    };
    let mut chars = html.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '<' => {
                let mut in_quote: Option<char> = None;
                let mut end = html.len();
                for (j, d) in chars.by_ref() {
                    match (in_quote, d) {
                        (Some(q), d) if d == q => in_quote = None,
                        (None, '"' | '\'') => in_quote = Some(d),
                        (None, '>') => {
                            end = j;
                            break;
                        }
                        _ => {}
                    }
                }
                let tag = &html[i + 1..end];
                let closing = tag.starts_with('/');
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                match name.as_str() {
                    "head" | "style" | "script" | "title" => {
                        if closing {
                            hidden = hidden.saturating_sub(1);
                        } else {
                            hidden += 1;
                        }
                    }
                    "br" => newline(&mut out),
                    "p" | "div" | "tr" | "ul" | "ol" | "table" | "h1" | "h2" | "h3" | "h4"
                    | "h5" | "h6" | "blockquote"
                        if !out.is_empty() && !out.ends_with('\n') =>
                    {
                        newline(&mut out);
                    }
                    "li" if !closing => {
                        if !out.is_empty() && !out.ends_with('\n') {
                            newline(&mut out);
                        }
                        out.push_str("- ");
                    }
                    "a" if !closing => {
                        link = href(tag).map(|h| (h, out.len()));
                    }
                    "a" => {
                        if let Some((url, start)) = link.take() {
                            let text = out[start..].trim().to_string();
                            let bare = url.strip_prefix("mailto:").unwrap_or(&url);
                            if !text.is_empty() && text != url && text != bare {
                                out.push_str(&format!(" ({url})"));
                            } else if text.is_empty() {
                                out.push_str(&url);
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ if hidden > 0 => {}
            '&' => {
                let rest = &html[i + 1..];
                let decoded = rest
                    .find(';')
                    .filter(|&n| n <= 10)
                    .and_then(|n| entity(&rest[..n]).map(|c| (c, n)));
                match decoded {
                    Some((d, n)) => {
                        out.push(d);
                        for _ in 0..=n {
                            chars.next();
                        }
                    }
                    None => out.push('&'),
                }
            }
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    // Lines trimmed, at most one empty line in a row, none at the ends.
    let mut text = String::new();
    let mut empty = 0;
    for line in out.lines().map(str::trim) {
        if line.is_empty() {
            empty += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if empty > 0 { "\n\n" } else { "\n" });
        }
        empty = 0;
        text.push_str(line);
    }
    text
}

/// The `href` of an `<a …>` tag.
fn href(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find("href=")? + 5;
    let rest = &tag[at..];
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].split(q).next()?,
        _ => rest.split([' ', '>']).next()?,
    };
    Some(value.replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::*;
    use proptest::prelude::*;

    #[test]
    fn html_becomes_readable_text() {
        let google = sample("google");
        let html = unescape_text(&google.property_values("DESCRIPTION")[0]);
        assert!(looks_like_html(&html));
        let text = html_to_text(&html);
        assert!(
            text.starts_with(
                "Agenda\n1. Budget 2027\n2. Hiring & onboarding\n\nNotes: Meeting notes (https://docs.google.com/document/d/1AbC)\n\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("Join with Google Meet: https://meet.google.com/abc-defg-hij\n-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"), "{text}");
        assert_eq!(
            html_to_text(
                "<html><head><title>x</title></head><body><p>Programme:</p><ul><li>Breakfast at 9</li><li>Workshop &quot;Roadmap&quot;</li></ul><p>See you&nbsp;there!</p></body></html>"
            ),
            "Programme:\n- Breakfast at 9\n- Workshop \"Roadmap\"\nSee you there!"
        );
        assert!(!looks_like_html("a < b and c > d"));
        assert!(!looks_like_html(&text));
    }

    #[test]
    fn drop_leaves_descriptions_off_the_server() {
        let m = only(DropDescription);
        let local = sample("outlook");
        let server = map(&m, Side::Server, &local, None);
        assert!(!server.has_property("DESCRIPTION") && !server.has_property("X-ALT-DESC"));
        assert!(
            server.body().contains("DESCRIPTION:Reminder"),
            "alarms keep theirs"
        );
        assert_untouched(&local, &server, &DESCRIPTIONS);
        assert_eq!(map(&m, Side::Local, &server, None).body(), server.body());
    }

    /// The server copy edited, the folder copy keeps the rest (its
    /// description), unless the server copy now has a description.
    #[test]
    fn a_server_edit_keeps_the_folder_description() {
        let m = only(DropDescription);
        let local = sample("outlook");
        let server = map(&m, Side::Server, &local, None);
        let edited = Item::parse(server.body().replace("SEQUENCE:0", "SEQUENCE:1")).unwrap();
        let back = map(&m, Side::Local, &edited, Some(&local));
        assert_eq!(
            back.body(),
            local.body().replace("SEQUENCE:0", "SEQUENCE:1")
        );
        let described = Item::parse(
            server
                .body()
                .replace("SEQUENCE:0\r\n", "SEQUENCE:0\r\nDESCRIPTION:new text\r\n"),
        )
        .unwrap();
        let back = map(&m, Side::Local, &described, Some(&local));
        assert_eq!(back.property_values("DESCRIPTION")[0], "new text");
        assert!(
            back.property_values("X-ALT-DESC").is_empty(),
            "the old HTML is not put back beside it"
        );
    }

    #[test]
    fn html_descriptions_reach_the_folder_as_text() {
        let m = only(HtmlDescription);
        assert!(m.lossy(Side::Local) && !m.lossy(Side::Server));
        for name in ["google", "altdesc", "task"] {
            let server = sample(name);
            let local = map(&m, Side::Local, &server, None);
            let text = unescape_text(&local.property_values("DESCRIPTION")[0]);
            assert!(!looks_like_html(&text), "{name}: {text}");
            assert!(!local.has_property("X-ALT-DESC"), "{name}");
            assert_untouched(&server, &local, &DESCRIPTIONS);
            // Back unchanged: the server's HTML line as it was.
            let back = map(&m, Side::Server, &local, Some(&server));
            assert_eq!(back.body(), server.body(), "{name}");
        }
        // A plain description, with or without HTML beside it, is left alone.
        let outlook = sample("outlook");
        assert_eq!(map(&m, Side::Local, &outlook, None).body(), outlook.body());
        let altdesc = map(&m, Side::Local, &sample("altdesc"), None);
        assert_eq!(
            altdesc.property_values("DESCRIPTION"),
            ["Programme:\\n- Breakfast at 9\\n- Workshop \"Roadmap\"\\nSee you there!"]
        );
    }

    /// The folder copy edited (the text of the description): the server
    /// gets the new text; other edits keep the server's HTML.
    #[test]
    fn a_folder_edit_of_the_text_replaces_the_html() {
        let m = only(HtmlDescription);
        let server = sample("google");
        let local = map(&m, Side::Local, &server, None);
        let moved = Item::parse(local.body().replace("T140000", "T150000")).unwrap();
        let up = map(&m, Side::Server, &moved, Some(&server));
        assert_eq!(up.body(), server.body().replace("T140000", "T150000"));
        let rewritten = local
            .edit_components(|c| {
                c.edit(|p| {
                    if p.name() == "DESCRIPTION" {
                        p.set_text("Only the budget.");
                    }
                })
            })
            .unwrap();
        let up = map(&m, Side::Server, &rewritten, Some(&server));
        assert_eq!(up.property_values("DESCRIPTION"), ["Only the budget."]);
    }

    #[test]
    fn descriptions_round_trip_and_are_idempotent_on_the_samples() {
        for (name, item) in samples() {
            let drop = only(DropDescription);
            assert_round_trip(&drop, &item);
            let html = only(HtmlDescription);
            for m in [&drop, &html] {
                assert_idempotent(m, &item, None);
                assert_idempotent(m, &item, Some(&item));
            }
            // html_description is lossy towards the folder: a server item
            // goes to the folder and back.
            let local = map(&html, Side::Local, &item, None);
            assert_eq!(
                map(&html, Side::Server, &local, Some(&item)).body(),
                item.body(),
                "{name}"
            );
        }
    }

    proptest! {
        #[test]
        fn descriptions_round_trip_generated_items(item in arb_item()) {
            let drop = only(DropDescription);
            assert_round_trip(&drop, &item);
            assert_idempotent(&drop, &item, None);
            assert_untouched(&item, &map(&drop, Side::Server, &item, None), &DESCRIPTIONS);
            let html = only(HtmlDescription);
            assert_idempotent(&html, &item, None);
            let local = map(&html, Side::Local, &item, None);
            let back = map(&html, Side::Server, &local, Some(&item));
            prop_assert_eq!(back.body(), item.body());
        }
    }
}
