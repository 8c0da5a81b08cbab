//! Calendars other users share with the user through calendar proxies
//! (Apple's calendarserver extension, as sabre/dav, DAViCal and Cyrus give
//! it): the principal's `calendar-proxy-write-for` and
//! `calendar-proxy-read-for` name the users who made it their proxy; each
//! of their calendar homes is listed, its collections marked with who shares
//! them, and, where the server does not say what the user may do, read-only
//! for a read proxy.

use super::{DiscoveredCollection, Entry, Origin, Run, resolve_href};
use libdav::caldav::FindCalendarHomeSet;
use libdav::dav::FindPropertyHrefs;
use libdav::{PropertyName, names};

const PROXY_WRITE_FOR: PropertyName =
    PropertyName::new(names::CALENDAR_SERVER, "calendar-proxy-write-for");
const PROXY_READ_FOR: PropertyName =
    PropertyName::new(names::CALENDAR_SERVER, "calendar-proxy-read-for");

/// Who shares a home set with the user, and how.
pub(super) struct Shared {
    /// The sharing user's principal URL.
    owner: String,
    /// Whether the user is their write proxy (else their read proxy).
    write: bool,
}

impl Shared {
    /// A collection of the shared home: marked with its owner, and
    /// read-only for a read proxy unless the server's privileges say more.
    pub(super) fn mark(&self, entry: Entry, url: String) -> DiscoveredCollection {
        let said = entry.privileges.is_some();
        let mut collection = entry.into_collection(url);
        if !said {
            collection.read_only = !self.write;
        }
        collection.shared_by = Some(self.owner.clone());
        collection
    }
}

impl Run<'_> {
    /// The calendar homes of the users for whom the principal at `path` is
    /// a calendar proxy. A server without proxies (or that does not know the
    /// properties) adds a note, nothing more.
    pub(super) async fn explore_delegations(
        &mut self,
        origin: &Origin,
        path: &str,
        principal: &str,
    ) {
        let client = match self.client(origin) {
            Ok(c) => c,
            Err(e) => {
                self.failed(e);
                return;
            }
        };
        for (property, write) in [(&PROXY_WRITE_FOR, true), (&PROXY_READ_FOR, false)] {
            let hrefs = match client.run(&FindPropertyHrefs::new(path, property)).await {
                Ok(found) => found.hrefs,
                Err(e) => {
                    self.note(format!("{principal}: no {} ({e})", property.name()));
                    continue;
                }
            };
            for href in hrefs {
                let Some((o, p)) = resolve_href(origin, path, &href.to_string()) else {
                    self.note(format!("{principal}: unusable proxy principal {href}"));
                    continue;
                };
                let mut owner = o.url(&p);
                if !owner.ends_with('/') {
                    owner.push('/');
                }
                if !origin.may_follow(&o) {
                    self.note(format!(
                        "{principal}: {owner} shares calendars from another host: not followed"
                    ));
                    continue;
                }
                // The user's own principal, or a user already explored.
                if !self.principals.insert(owner.clone()) {
                    continue;
                }
                let homes = match client.run(&FindCalendarHomeSet::new(&p)).await {
                    Ok(found) => found.home_sets,
                    Err(e) => {
                        self.note(format!("{owner}: no calendar home set ({e})"));
                        continue;
                    }
                };
                let shared = Shared {
                    owner: owner.clone(),
                    write,
                };
                for home in homes {
                    match resolve_href(&o, &p, &home.to_string()) {
                        Some((ho, hp)) if o.may_follow(&ho) => {
                            self.list_home(&ho, &hp, Some(&shared)).await;
                        }
                        _ => self.note(format!("{owner}: home set {home} not followed")),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(privileges: Option<&[&str]>) -> Entry {
        Entry {
            href: "/calendars/bob/shared/".into(),
            kind: crate::CollectionKind::Calendar,
            displayname: Some("Shared".into()),
            color: None,
            description: None,
            components: None,
            privileges: privileges.map(|p| p.iter().map(|s| s.to_string()).collect()),
            supports_sync: true,
        }
    }

    fn shared(write: bool) -> Shared {
        Shared {
            owner: "http://h/principals/bob/".into(),
            write,
        }
    }

    #[test]
    fn the_proxy_kind_decides_only_where_the_server_says_nothing() {
        let url = || "http://h/calendars/bob/shared/".to_string();
        let read = shared(false).mark(entry(None), url());
        assert!(read.read_only);
        assert_eq!(read.shared_by.as_deref(), Some("http://h/principals/bob/"));
        assert!(!shared(true).mark(entry(None), url()).read_only);
        // The server's privileges win both ways.
        assert!(shared(true).mark(entry(Some(&["read"])), url()).read_only);
        assert!(
            !shared(false)
                .mark(entry(Some(&["read", "write"])), url())
                .read_only
        );
    }
}
