//! The members of a list or group on its way to a side: which contact each
//! `CARD` line names (by the server's href of the contact) and where the
//! server holds each member contact (by UID), from what this run found and
//! the status rows. Lists are written after the contacts (see
//! [`Executor::execute`]), so the rows of the contacts written this run are
//! there to be found.

use super::execute::Executor;
use super::*;
use davsync_pim::{CARD, CardRef, DAVSYNC_CARD, MemberDirectory};

/// What the mapping of one list or group knows of its members.
#[derive(Debug, Default)]
pub(super) struct Members {
    /// UID by resource name (the last segment of the server href, decoded).
    by_name: HashMap<String, String>,
    /// What is known of each member contact, by UID.
    cards: HashMap<String, CardRef>,
}

impl MemberDirectory for Members {
    fn uid_at(&self, name: &str) -> Option<String> {
        self.by_name.get(name).cloned()
    }

    fn card_of(&self, uid: &str) -> Option<CardRef> {
        self.cards.get(uid).cloned()
    }
}

/// The resource name an href ends in, percent-decoded (`a%20b.vcf` is the
/// `CARD` value `a b.vcf`).
pub(super) fn resource_name(href: &str) -> String {
    let last = href
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(href);
    let bytes = last.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| last.to_string())
}

/// The folder an href is in, with its trailing slash.
fn folder_of(href: &str) -> &str {
    match href.rfind('/') {
        Some(i) => &href[..=i],
        None => "",
    }
}

impl Executor<'_, '_, '_> {
    /// The directory `item` (a list or group on its way to `to`) resolves its
    /// members through; `current`: the receiving side's copy, whose `CARD`
    /// lines need no lookup of their contact's name and e-mail.
    pub(super) async fn members_of(
        &mut self,
        to: Side,
        item: &Item,
        current: Option<&Item>,
        snapshot: &mut Snapshot,
    ) -> Members {
        let mut members = Members::default();
        // Resource names to resolve: a list's CARD lines (towards the
        // folder), and CARD lines a group kept as X- lines (towards the
        // server, once the contact is there).
        let names: Vec<String> = [CARD, DAVSYNC_CARD]
            .iter()
            .flat_map(|p| item.property_values(p))
            .map(|v| v.trim().to_string())
            .collect();
        if !names.is_empty() {
            let list_href = snapshot[Side::Server]
                .items
                .get(item.uid())
                .map(|f| f.href.clone());
            self.resolve_names(&names, list_href.as_deref(), snapshot, &mut members);
        }
        if to == Side::Server {
            let kept: HashSet<String> = current
                .map(|c| {
                    c.property_values(CARD)
                        .iter()
                        .map(|v| v.trim().to_string())
                        .collect()
                })
                .unwrap_or_default();
            for member in item.group_members() {
                if let davsync_pim::Member::Contact(uid) = member {
                    let card = self.card_of(&uid, &kept, snapshot).await;
                    if let Some(card) = card {
                        members.cards.insert(uid, card);
                    }
                }
            }
        }
        members
    }

    /// Finds the UIDs of the contacts the server holds as `names`, in the
    /// folder of the list's href (or of any known server item).
    fn resolve_names(
        &self,
        names: &[String],
        list_href: Option<&str>,
        snapshot: &Snapshot,
        members: &mut Members,
    ) {
        let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
        for (uid, found) in &snapshot[Side::Server].items {
            let name = resource_name(&found.href);
            if wanted.contains(name.as_str()) {
                members.by_name.insert(name, uid.clone());
            }
        }
        let folder = list_href
            .or_else(|| {
                snapshot[Side::Server]
                    .items
                    .values()
                    .next()
                    .map(|f| f.href.as_str())
            })
            .map(folder_of);
        let Some(folder) = folder else {
            return;
        };
        for name in names {
            if members.by_name.contains_key(name) {
                continue;
            }
            let encoded: String = name
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            for href in [format!("{folder}{name}"), format!("{folder}{encoded}")] {
                if let Ok(Some(uid)) = self.job.status.uid_at_server_href(&href) {
                    members.by_name.insert(name.clone(), uid);
                    break;
                }
            }
        }
    }

    /// Where the server holds contact `uid`, with its name and e-mail from
    /// the folder's copy (not read when the server's list names it already,
    /// `kept`); `None`: no contact of either side has that UID.
    async fn card_of(
        &mut self,
        uid: &str,
        kept: &HashSet<String>,
        snapshot: &mut Snapshot,
    ) -> Option<CardRef> {
        let row = self.job.status.get(uid).ok().flatten();
        let server_href = snapshot[Side::Server]
            .items
            .get(uid)
            .map(|f| f.href.clone())
            .or_else(|| row.as_ref().map(|r| r.server.href.clone()))
            .filter(|h| !h.is_empty());
        let name = server_href.as_deref().map(resource_name);
        if name.as_ref().is_some_and(|n| kept.contains(n)) {
            return Some(CardRef {
                name,
                ..CardRef::default()
            });
        }
        let contact = if snapshot[Side::Local].items.contains_key(uid) {
            self.reader.load(Side::Local, uid, snapshot).await.ok()
        } else if let Some(href) = row.as_ref().map(|r| r.local.href.clone()) {
            self.job
                .store(Side::Local)
                .get_many(std::slice::from_ref(&href))
                .await
                .pop()
                .and_then(Result::ok)
                .and_then(|f| Item::parse(f.body).ok())
        } else {
            None
        };
        if name.is_none() && contact.is_none() {
            return None;
        }
        Some(match contact {
            Some(contact) => card_ref(&contact, name),
            None => CardRef {
                name,
                full_name: None,
                email: None,
            },
        })
    }
}

/// What a list needs of a contact: where the server holds it (`name`), its
/// `FN` and first e-mail address.
pub(super) fn card_ref(contact: &Item, name: Option<String>) -> CardRef {
    CardRef {
        name,
        full_name: contact.summary().map(str::to_string),
        email: contact
            .property_values("EMAIL")
            .first()
            .map(|e| e.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_are_the_decoded_last_segment() {
        assert_eq!(resource_name("/SOGo/dav/a/Contacts/p/m1.vcf"), "m1.vcf");
        assert_eq!(resource_name("/x/a%20b%40c.vcf"), "a b@c.vcf");
        assert_eq!(resource_name("/x/100%"), "100%");
        assert_eq!(resource_name("m.vcf"), "m.vcf");
        assert_eq!(folder_of("/x/y/m.vcf"), "/x/y/");
    }
}
