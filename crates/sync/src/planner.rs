//! The planner: a pure function from the status and both sides' current state
//! to one decision per UID, following the guide's mode and conflict tables.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One of the two stores of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The local store (a vdir folder).
    Local,
    /// The server (or, for folder-to-folder profiles, the second folder).
    Server,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Local => Side::Server,
            Side::Server => Side::Local,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Local => "local",
            Side::Server => "server",
        })
    }
}

/// The guide's synchronization modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Changes go both ways; conflicts follow the policy.
    TwoWay,
    /// The server becomes a copy of the local store.
    ToServer,
    /// The local store becomes a copy of the server.
    ToLocal,
    /// Local changes go to the server; items created on the server are left alone.
    ToServerMerge,
    /// Server changes go to the local store; items created locally are left alone.
    ToLocalMerge,
}

impl Mode {
    /// For one-way modes: the side whose content wins, and whether unknown
    /// target items are deleted (replicate) or left alone (merge).
    pub fn one_way(self) -> Option<(Side, bool)> {
        match self {
            Mode::TwoWay => None,
            Mode::ToServer => Some((Side::Local, true)),
            Mode::ToLocal => Some((Side::Server, true)),
            Mode::ToServerMerge => Some((Side::Local, false)),
            Mode::ToLocalMerge => Some((Side::Server, false)),
        }
    }

    /// All modes, for tests and help texts.
    pub const ALL: [Mode; 5] = [
        Mode::TwoWay,
        Mode::ToServer,
        Mode::ToLocal,
        Mode::ToServerMerge,
        Mode::ToLocalMerge,
    ];
}

/// How a two-way profile settles an item changed on both sides (or changed on
/// one and deleted on the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// The newer version wins (LAST-MODIFIED / REV; local file time as fallback;
    /// no server time means the server wins); a deletion wins over a change.
    Automatic,
    /// The local version wins, also over a server deletion; a local deletion is propagated.
    LocalWins,
    /// The server version wins, also over a local deletion; a server deletion is propagated.
    ServerWins,
    /// The newer version wins and the other is kept as a copy with a new UID;
    /// a change wins over a deletion. Nothing is ever lost.
    KeepBoth,
}

impl ConflictPolicy {
    /// All policies, for tests and help texts.
    pub const ALL: [ConflictPolicy; 4] = [
        ConflictPolicy::Automatic,
        ConflictPolicy::LocalWins,
        ConflictPolicy::ServerWins,
        ConflictPolicy::KeepBoth,
    ];
}

/// An item as it is now on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// Whether it differs from the status (always true for an item without status).
    pub changed: bool,
    /// When it was last modified, for the automatic policy.
    pub modified: Option<DateTime<Utc>>,
}

/// Everything known about one UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The UID.
    pub uid: String,
    /// Whether the status database has a row for it.
    pub known: bool,
    /// The local item, if the local store (as filtered for the profile) has it.
    pub local: Option<Present>,
    /// The server item, if the server has it.
    pub server: Option<Present>,
    /// Both present with equal content (after mapping): nothing to write.
    pub same_content: bool,
}

/// The state of one side relative to the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SideState {
    /// Not there, and not in the status either.
    Absent,
    /// There, not in the status.
    New,
    /// As the status says.
    Unchanged,
    /// Changed since the status.
    Changed,
    /// In the status, gone now.
    Deleted,
}

fn state(known: bool, present: Option<&Present>) -> SideState {
    match (known, present) {
        (false, None) => SideState::Absent,
        (false, Some(_)) => SideState::New,
        (true, None) => SideState::Deleted,
        (true, Some(p)) if p.changed => SideState::Changed,
        (true, Some(_)) => SideState::Unchanged,
    }
}

/// What kind of conflict an entry was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conflict {
    /// Changed on both sides since the last sync.
    BothChanged,
    /// Found on both sides without status, with different content.
    BothNew,
    /// Changed locally, deleted on the server.
    LocalChangedServerDeleted,
    /// Deleted locally, changed on the server.
    LocalDeletedServerChanged,
}

/// What to do with one UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    /// Nothing to write.
    Nothing,
    /// Equal on both sides: record the status, write nothing.
    Link,
    /// Gone from both sides: drop the status row.
    Forget,
    /// Write the other side's version onto `to` (create it there, or overwrite).
    Copy {
        /// The side written.
        to: Side,
    },
    /// Delete the item on `on` (and drop its status).
    Delete {
        /// The side written.
        on: Side,
    },
    /// Keep the loser's version as a copy with a new UID on both sides, then
    /// write the winner's version onto the loser's side.
    KeepBoth {
        /// The side whose version keeps the UID.
        winner: Side,
    },
}

/// The planner's verdict on one UID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The UID.
    pub uid: String,
    /// What to do.
    #[serde(flatten)]
    pub action: Action,
    /// Local state relative to the status.
    pub local: SideState,
    /// Server state relative to the status.
    pub server: SideState,
    /// Set when the entry was a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
}

/// Decides every entry. Pure: the same input gives the same plan.
pub fn plan(entries: &[Entry], mode: Mode, policy: ConflictPolicy) -> Vec<Decision> {
    entries.iter().map(|e| decide(e, mode, policy)).collect()
}

/// Decides one entry.
pub fn decide(entry: &Entry, mode: Mode, policy: ConflictPolicy) -> Decision {
    use SideState::*;
    let local = state(entry.known, entry.local.as_ref());
    let server = state(entry.known, entry.server.as_ref());
    let mut conflict = None;
    let action = match (local, server) {
        (Absent, Absent) => Action::Nothing,
        (Deleted, Deleted) => Action::Forget,
        (Unchanged, Unchanged) => Action::Nothing,
        // Equal content on both sides needs no write, in every mode; this also
        // heals a run that was killed after a write and before its status.
        (New | Changed | Unchanged, New | Changed | Unchanged) if entry.same_content => {
            Action::Link
        }
        _ => match mode.one_way() {
            Some((source, replicate)) => one_way(local, server, source, replicate),
            None => {
                let (c, action) = two_way(entry, local, server, policy);
                conflict = c;
                action
            }
        },
    };
    Decision {
        uid: entry.uid.clone(),
        action,
        local,
        server,
        conflict,
    }
}

/// The guide's one-way table (replicate and merge differ only for items the
/// source never had).
fn one_way(local: SideState, server: SideState, source: Side, replicate: bool) -> Action {
    use SideState::*;
    let target = source.other();
    let (src, tgt) = match source {
        Side::Local => (local, server),
        Side::Server => (server, local),
    };
    match (src, tgt) {
        (Absent, New) if replicate => Action::Delete { on: target },
        (Absent, _) => Action::Nothing,
        (Deleted, Unchanged | Changed) => Action::Delete { on: target },
        (Deleted, _) => Action::Forget,
        (Unchanged, Unchanged) => Action::Nothing,
        // The target was edited, deleted or is new: the source is copied over.
        (New | Unchanged | Changed, _) => Action::Copy { to: target },
    }
}

/// The guide's two-way table plus the conflict policies.
fn two_way(
    entry: &Entry,
    local: SideState,
    server: SideState,
    policy: ConflictPolicy,
) -> (Option<Conflict>, Action) {
    use SideState::*;
    match (local, server) {
        (New, Absent) | (Changed, Unchanged) => (None, Action::Copy { to: Side::Server }),
        (Absent, New) | (Unchanged, Changed) => (None, Action::Copy { to: Side::Local }),
        (Unchanged, Deleted) => (None, Action::Delete { on: Side::Local }),
        (Deleted, Unchanged) => (None, Action::Delete { on: Side::Server }),
        (Changed, Changed) | (New, New) => {
            let kind = if local == New {
                Conflict::BothNew
            } else {
                Conflict::BothChanged
            };
            let action = match policy {
                ConflictPolicy::LocalWins => Action::Copy { to: Side::Server },
                ConflictPolicy::ServerWins => Action::Copy { to: Side::Local },
                ConflictPolicy::Automatic => Action::Copy {
                    to: newer(entry).other(),
                },
                ConflictPolicy::KeepBoth => Action::KeepBoth {
                    winner: newer(entry),
                },
            };
            (Some(kind), action)
        }
        (Changed, Deleted) => {
            let action = match policy {
                ConflictPolicy::LocalWins | ConflictPolicy::KeepBoth => {
                    Action::Copy { to: Side::Server }
                }
                ConflictPolicy::ServerWins | ConflictPolicy::Automatic => {
                    Action::Delete { on: Side::Local }
                }
            };
            (Some(Conflict::LocalChangedServerDeleted), action)
        }
        (Deleted, Changed) => {
            let action = match policy {
                ConflictPolicy::ServerWins | ConflictPolicy::KeepBoth => {
                    Action::Copy { to: Side::Local }
                }
                ConflictPolicy::LocalWins | ConflictPolicy::Automatic => {
                    Action::Delete { on: Side::Server }
                }
            };
            (Some(Conflict::LocalDeletedServerChanged), action)
        }
        // Cannot happen with a consistent entry (New only without status,
        // Unchanged/Changed/Deleted only with it); do nothing rather than guess.
        _ => (None, Action::Nothing),
    }
}

/// Which side is newer: the local side only when both times are known and the
/// local one is not older (the guide: a server item without a time wins).
fn newer(entry: &Entry) -> Side {
    let local = entry.local.as_ref().and_then(|p| p.modified);
    let server = entry.server.as_ref().and_then(|p| p.modified);
    match (local, server) {
        (Some(l), Some(s)) if l >= s => Side::Local,
        _ => Side::Server,
    }
}

#[cfg(test)]
mod tests;
