//! Whether a server's answer is about the collection that was asked for. A
//! mistyped URL that the server still answers (a doubled slash on Radicale:
//! `//alice/calendar/`) gets the collection and its items under another
//! path; skipping them as "not this collection's" would sync an empty
//! collection without a word. A URL that names a principal or a plain
//! folder is no calendar either. Both are errors naming what the server
//! said.

use crate::CollectionKind;

/// One `<response>` of an answer about a collection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// Its href (a path).
    pub(crate) href: &'a str,
    /// Whether it is a collection.
    pub(crate) collection: bool,
    /// For a collection: whether it is of the kind asked for (`None`: the
    /// answer does not say).
    pub(crate) of_kind: Option<bool>,
}

/// A path with repeated slashes made one and no trailing slash.
fn collapsed(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out.trim_end_matches('/').to_string()
}

/// Whether `href` names an item directly inside collection `ours`.
pub(crate) fn is_member(ours: &str, href: &str) -> bool {
    href.strip_prefix(ours)
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/') && rest != "." && rest != "..")
}

/// Checks an answer about collection `ours` (a path ending in `/`); the
/// error says what is wrong, in words.
pub(crate) fn check(ours: &str, kind: CollectionKind, entries: &[Entry<'_>]) -> Result<(), String> {
    let what = match kind {
        CollectionKind::Calendar => "calendar",
        CollectionKind::AddressBook => "address book",
    };
    let itself = entries
        .iter()
        .find(|e| e.href.trim_end_matches('/') == ours.trim_end_matches('/'));
    match itself {
        Some(e) if !e.collection => {
            return Err(format!(
                "{ours} is no collection but a single resource: give the URL of the {what}"
            ));
        }
        Some(e) if e.of_kind == Some(false) => {
            return Err(format!(
                "{ours} is a collection but no {what} (a principal or a folder of them?): \
                 `davsync discover` lists the {what}s the account has"
            ));
        }
        Some(_) => {}
        None => {
            if let Some(theirs) = entries
                .iter()
                .find(|e| e.collection && collapsed(e.href) == collapsed(ours))
            {
                return Err(format!(
                    "the server names this collection {}, not {ours}: use that path in the URL",
                    theirs.href
                ));
            }
        }
    }
    let items: Vec<&Entry<'_>> = entries.iter().filter(|e| !e.collection).collect();
    // (libdav leaves the collection's own entry out of a listing: a
    // principal or a home set shows as collections of the kind inside.)
    let inside: Vec<&str> = entries
        .iter()
        .filter(|e| {
            e.collection && e.of_kind == Some(true) && is_member(ours, e.href.trim_end_matches('/'))
        })
        .map(|e| e.href)
        .collect();
    if items.is_empty() && !inside.is_empty() {
        return Err(format!(
            "{ours} is no {what} but holds {what}s ({}): give the URL of one of them",
            inside.join(", ")
        ));
    }
    let outside: Vec<&str> = items
        .iter()
        .filter(|e| !is_member(ours, e.href))
        .map(|e| e.href)
        .collect();
    if !items.is_empty() && outside.len() == items.len() {
        return Err(format!(
            "the server answers with {} item(s) outside {ours} (such as {}): the URL is not \
             the collection's own",
            outside.len(),
            outside[0]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(href: &str, collection: bool) -> Entry<'_> {
        Entry {
            href,
            collection,
            of_kind: collection.then_some(true),
        }
    }

    #[test]
    fn an_answer_about_the_collection_passes() {
        let ours = "/alice/calendar/";
        for entries in [
            vec![],
            vec![entry("/alice/calendar/", true)],
            vec![
                entry("/alice/calendar", true),
                entry("/alice/calendar/a.ics", false),
            ],
            // One stray entry among the collection's own items is skipped, not an error.
            vec![
                entry("/alice/calendar/a.ics", false),
                entry("/elsewhere/b.ics", false),
            ],
        ] {
            assert_eq!(check(ours, CollectionKind::Calendar, &entries), Ok(()));
        }
    }

    #[test]
    fn a_doubled_slash_names_the_servers_path() {
        let e = check(
            "//alice/calendar/",
            CollectionKind::Calendar,
            &[
                entry("/alice/calendar/", true),
                entry("/alice/calendar/a.ics", false),
            ],
        )
        .unwrap_err();
        assert!(e.contains("names this collection /alice/calendar/"), "{e}");
        // No collection entry, only items outside.
        let e = check(
            "//alice/calendar/",
            CollectionKind::Calendar,
            &[entry("/alice/calendar/a.ics", false)],
        )
        .unwrap_err();
        assert!(
            e.contains("1 item(s) outside //alice/calendar/ (such as /alice/calendar/a.ics)"),
            "{e}"
        );
    }

    #[test]
    fn a_principal_or_a_file_is_no_calendar() {
        let holding = [entry("/alice/calendar/", true), entry("/alice/work/", true)];
        let e = check("/alice/", CollectionKind::Calendar, &holding).unwrap_err();
        assert!(
            e.contains(
                "/alice/ is no calendar but holds calendars (/alice/calendar/, /alice/work/)"
            ),
            "{e}"
        );
        let principal = [
            Entry {
                href: "/alice/",
                collection: true,
                of_kind: Some(false),
            },
            entry("/alice/calendar/", true),
        ];
        let e = check("/alice/", CollectionKind::Calendar, &principal).unwrap_err();
        assert!(e.contains("no calendar"), "{e}");
        let e = check("/alice/", CollectionKind::AddressBook, &principal).unwrap_err();
        assert!(e.contains("no address book"), "{e}");
        let e = check(
            "/alice/calendar/a.ics/",
            CollectionKind::Calendar,
            &[entry("/alice/calendar/a.ics", false)],
        )
        .unwrap_err();
        assert!(e.contains("no collection"), "{e}");
    }
}
