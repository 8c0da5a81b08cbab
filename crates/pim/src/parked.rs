//! An item's parked form: its facts (kind, UID, modification time,
//! categories, summary, content hash, duplicate key and age) before its body, in one string, so
//! that an item set aside during a run (the engine's spool) comes back
//! without being parsed a second time. Only for what [`Item::park`] wrote in
//! the same run: the form may change between versions.

use crate::duplicate::DuplicateFacts;
use crate::item::{Facts, Item, ItemError, ItemKind};
use chrono::{DateTime, Utc};

/// The first bytes of a parked item.
const MAGIC: &str = "P2:";

/// Appends `value` as `LEN:VALUE` (length in bytes).
fn field(out: &mut String, value: &str) {
    out.push_str(&value.len().to_string());
    out.push(':');
    out.push_str(value);
}

/// Appends an optional time as a field (empty: none).
fn time_field(out: &mut String, time: Option<DateTime<Utc>>) {
    let text = time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    field(out, text.as_deref().unwrap_or(""));
}

/// Reads a field [`time_field`] wrote.
fn take_time(rest: &mut &str) -> Option<Option<DateTime<Utc>>> {
    match take(rest)? {
        "" => Some(None),
        time => DateTime::parse_from_rfc3339(time)
            .ok()
            .map(|t| Some(t.with_timezone(&Utc))),
    }
}

/// Appends an optional text as a flag field and, if there is one, the text.
fn text_field(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => {
            field(out, "1");
            field(out, text);
        }
        None => field(out, "0"),
    }
}

/// Reads what [`text_field`] wrote.
fn take_text(rest: &mut &str) -> Option<Option<String>> {
    match take(rest)? {
        "1" => Some(Some(take(rest)?.to_string())),
        "0" => Some(None),
        _ => None,
    }
}

/// Reads one `LEN:VALUE` field from the front of `rest`.
fn take<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (len, after) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let value = after.get(..len)?;
    *rest = &after[len..];
    Some(value)
}

fn kind_letter(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Event => "E",
        ItemKind::Task => "T",
        ItemKind::Journal => "J",
        ItemKind::Contact => "C",
        ItemKind::List => "L",
    }
}

fn kind_of(letter: &str) -> Option<ItemKind> {
    Some(match letter {
        "E" => ItemKind::Event,
        "T" => ItemKind::Task,
        "J" => ItemKind::Journal,
        "C" => ItemKind::Contact,
        "L" => ItemKind::List,
        _ => return None,
    })
}

impl Item {
    /// The item's parked form (see the module).
    pub fn park(&self) -> String {
        let mut out = String::with_capacity(self.body().len() + 128);
        out.push_str(MAGIC);
        field(&mut out, kind_letter(self.kind()));
        field(&mut out, self.uid());
        time_field(&mut out, self.modified());
        field(&mut out, &self.categories().len().to_string());
        for category in self.categories() {
            field(&mut out, category);
        }
        text_field(&mut out, self.summary());
        field(&mut out, self.content_hash());
        let duplicate = self.duplicate_facts();
        time_field(&mut out, duplicate.created);
        time_field(&mut out, duplicate.first_modified);
        text_field(&mut out, duplicate.key.as_deref());
        out.push_str(self.body());
        out
    }

    /// The item [`park`](Item::park) gave `parked` for, without parsing its
    /// body again.
    pub fn unpark(parked: String) -> Result<Item, ItemError> {
        let broken = || ItemError::Malformed("not a parked item".into());
        let mut rest = parked.strip_prefix(MAGIC).ok_or_else(broken)?;
        let kind = take(&mut rest).and_then(kind_of).ok_or_else(broken)?;
        let uid = take(&mut rest).ok_or_else(broken)?.to_string();
        let modified = take_time(&mut rest).ok_or_else(broken)?;
        let count: usize = take(&mut rest)
            .and_then(|n| n.parse().ok())
            .ok_or_else(broken)?;
        let mut categories = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            categories.push(take(&mut rest).ok_or_else(broken)?.to_string());
        }
        let summary = take_text(&mut rest).ok_or_else(broken)?;
        let hash = take(&mut rest).ok_or_else(broken)?.to_string();
        let duplicate = DuplicateFacts {
            created: take_time(&mut rest).ok_or_else(broken)?,
            first_modified: take_time(&mut rest).ok_or_else(broken)?,
            key: take_text(&mut rest).ok_or_else(broken)?,
        };
        let body = rest.to_string();
        let facts = Facts {
            modified,
            categories,
            summary,
            duplicate,
        };
        Ok(Item::from_facts(body, kind, uid, facts, hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEMS: [&str; 4] = [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a:b 12\r\nSUMMARY:Tea: 5:00\r\n\
         CATEGORIES:Work,Home:x\r\nLAST-MODIFIED:20260101T101010Z\r\nDTSTART:20260102T100000Z\r\n\
         CREATED:20251231T235959Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ü\r\nFN:Zoë\r\nREV:19000101T000000Z\r\nEND:VCARD\r\n",
        "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:l\r\nFN:List\r\nCARD:m.vcf\r\nEND:VLIST\r\n",
    ];

    #[test]
    fn an_item_comes_back_from_its_parked_form_as_it_was() {
        for body in ITEMS {
            let item = Item::parse(body).unwrap();
            let back = Item::unpark(item.park()).unwrap();
            assert_eq!(back, item, "{body}");
        }
    }

    #[test]
    fn what_is_no_parked_item_is_an_error() {
        let old_form = Item::parse(ITEMS[0])
            .unwrap()
            .park()
            .replacen("P2:", "P1:", 1);
        let short =
            "P2:1:E1:u0:1:01:064:0000000000000000000000000000000000000000000000000000000000000000";
        for text in [
            "",
            "P2:",
            "P2:1:E",
            "P2:1:X1:u0:0:0:0:",
            short,
            ITEMS[0],
            &old_form,
        ] {
            assert!(Item::unpark(text.to_string()).is_err(), "{text:?}");
        }
        // What `short` lacks: the duplicate key's and age's fields.
        assert!(Item::unpark(format!("{short}0:0:1:0")).is_ok());
    }
}
