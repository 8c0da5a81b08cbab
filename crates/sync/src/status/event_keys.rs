//! The duplicate keys of the events a profile holds (start, end, summary:
//! see `Item::duplicate_key`), each valid for the local content hash it was
//! taken from: a key whose item changed since (or was written by a version
//! that kept none) is taken again from the local item.

use super::{StatusDb, StatusError};
use rusqlite::params;
use std::collections::BTreeMap;

/// One event among others with the same start, end and summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// Its UID.
    pub uid: String,
    /// Its age key (the oldest sorts first).
    pub age: String,
}

impl StatusDb {
    /// Records an item's duplicate key (`None`: it has none, an item without
    /// a start), taken from its local content with `local_hash`.
    pub fn set_event_key(
        &self,
        uid: &str,
        local_hash: &str,
        key: Option<&str>,
        age: &str,
    ) -> Result<(), StatusError> {
        self.execute_cached(
            "INSERT OR REPLACE INTO event_keys VALUES (?1, ?2, ?3, ?4)",
            params![uid, local_hash, key.unwrap_or(""), age],
        )
    }

    /// Items without a key valid for their local content: UID and local href.
    pub fn unkeyed(&self) -> Result<Vec<(String, String)>, StatusError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.uid, i.local_href FROM items i LEFT JOIN event_keys k \
                 ON k.uid = i.uid AND k.local_hash = i.local_hash WHERE k.uid IS NULL",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The groups of two or more items with one key (valid keys only), each
    /// oldest first; the groups in the order of their oldest item.
    pub fn duplicate_groups(&self) -> Result<Vec<Vec<Keyed>>, StatusError> {
        let mut stmt = self
            .conn
            .prepare(
                // The keys held more than once are found on the index of
                // keys alone; only their rows are checked against the items
                // (valid for the local content), and a group left with one
                // valid key is dropped below. Checking every key in the
                // grouping instead took 0.47 s at 100,000 events, this 0.04 s.
                "SELECT k.key, k.uid, k.age FROM event_keys k \
                 JOIN items i ON i.uid = k.uid AND i.local_hash = k.local_hash \
                 WHERE k.key IN (\
                     SELECT key FROM event_keys WHERE key != '' \
                     GROUP BY key HAVING COUNT(*) > 1)",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Keyed {
                        uid: r.get(1)?,
                        age: r.get(2)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut groups: BTreeMap<String, Vec<Keyed>> = BTreeMap::new();
        for row in rows {
            let (key, keyed) = row.map_err(|e| self.err(e))?;
            groups.entry(key).or_default().push(keyed);
        }
        let mut groups: Vec<Vec<Keyed>> = groups
            .into_values()
            .filter(|group| group.len() > 1)
            .collect();
        for group in &mut groups {
            group.sort_by(|a, b| a.age.cmp(&b.age));
        }
        groups.sort_by(|a, b| a[0].age.cmp(&b[0].age));
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{SideStatus, StatusRow};

    fn row(uid: &str, hash: &str) -> StatusRow {
        let side = SideStatus {
            href: format!("{uid}.ics"),
            version: "1".into(),
            hash: hash.into(),
        };
        StatusRow {
            uid: uid.into(),
            local: side.clone(),
            server: side,
        }
    }

    #[test]
    fn keys_group_duplicates_and_go_stale_with_their_content() {
        let db = StatusDb::in_memory().unwrap();
        for (uid, hash) in [("a", "ha"), ("b", "hb"), ("c", "hc"), ("d", "hd")] {
            db.put(&row(uid, hash)).unwrap();
        }
        assert_eq!(db.unkeyed().unwrap().len(), 4);
        db.set_event_key("a", "ha", Some("k1"), "2|a").unwrap();
        db.set_event_key("b", "hb", Some("k1"), "1|b").unwrap();
        db.set_event_key("c", "hc", Some("k2"), "0|c").unwrap();
        db.set_event_key("d", "hd", None, "0|d").unwrap();
        assert!(db.unkeyed().unwrap().is_empty());
        let groups = db.duplicate_groups().unwrap();
        let uids: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|k| k.uid.as_str()).collect())
            .collect();
        assert_eq!(uids, [["b", "a"]], "oldest first; no key is no group");
        // `a` changed: its key is stale until taken again.
        db.put(&row("a", "ha2")).unwrap();
        assert_eq!(db.unkeyed().unwrap(), [("a".into(), "a.ics".into())]);
        assert!(db.duplicate_groups().unwrap().is_empty());
        // A forgotten item leaves its group.
        db.set_event_key("a", "ha2", Some("k2"), "9|a").unwrap();
        assert_eq!(db.duplicate_groups().unwrap().len(), 1);
        db.remove("c").unwrap();
        assert!(db.duplicate_groups().unwrap().is_empty());
    }
}
