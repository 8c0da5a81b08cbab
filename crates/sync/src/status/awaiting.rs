//! Server lists (SOGo's VLIST) that name member contacts as outside members
//! because those contacts were not on the server when the list was written
//! (see `Item::awaited_members`): kept across runs, so that the list is
//! written again once one of them is (`engine/awaiting.rs`).

use super::{StatusDb, StatusError};
use rusqlite::{OptionalExtension, params};
use std::collections::BTreeMap;

/// The `listing_state` key they are kept under (one line per list: its UID,
/// a tab, the awaited UIDs separated by tabs).
const KEY: &str = "lists-awaiting-members";

impl StatusDb {
    /// List UID → the member UIDs it awaits.
    pub fn awaiting_members(&self) -> Result<BTreeMap<String, Vec<String>>, StatusError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM listing_state WHERE side = ?1",
                params![KEY],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(text
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t').map(str::to_string);
                let list = fields.next().filter(|l| !l.is_empty())?;
                Some((list, fields.collect()))
            })
            .collect())
    }

    /// Keeps what `list` awaits (nothing: it is forgotten).
    pub fn set_awaiting_members(&self, list: &str, members: &[String]) -> Result<(), StatusError> {
        let mut all = self.awaiting_members()?;
        let clean = |s: &str| s.replace(['\t', '\r', '\n'], " ");
        let changed = if members.is_empty() {
            all.remove(list).is_some()
        } else {
            let members: Vec<String> = members.iter().map(|m| clean(m)).collect();
            all.insert(clean(list), members.clone()) != Some(members)
        };
        if !changed {
            return Ok(());
        }
        let text: String = all
            .iter()
            .map(|(list, members)| {
                let mut line = list.clone();
                for m in members {
                    line.push('\t');
                    line.push_str(m);
                }
                line.push('\n');
                line
            })
            .collect();
        let result = if text.is_empty() {
            self.conn
                .execute("DELETE FROM listing_state WHERE side = ?1", params![KEY])
        } else {
            self.conn.execute(
                "INSERT OR REPLACE INTO listing_state VALUES (?1, ?2)",
                params![KEY, text],
            )
        };
        result.map(drop).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use crate::StatusDb;

    #[test]
    fn lists_and_their_awaited_members_are_kept_and_forgotten() {
        let db = StatusDb::in_memory().unwrap();
        assert!(db.awaiting_members().unwrap().is_empty());
        db.set_awaiting_members("l1", &["a".into(), "b".into()])
            .unwrap();
        db.set_awaiting_members("l2", &["c".into()]).unwrap();
        let all = db.awaiting_members().unwrap();
        assert_eq!(all["l1"], ["a", "b"]);
        assert_eq!(all["l2"], ["c"]);
        db.set_awaiting_members("l1", &[]).unwrap();
        db.set_awaiting_members("l2", &[]).unwrap();
        assert!(db.awaiting_members().unwrap().is_empty());
    }
}
