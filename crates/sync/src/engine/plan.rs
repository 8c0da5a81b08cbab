//! The plan: what a run will do, decided from what detection found, as a
//! value. Each operation names its targets (href, expected version, expected
//! content hash) on both sides; the safety rails are a method returning
//! typed refusals. Pure: nothing here reads or writes a store or the status.

use super::{Found, Snapshot};
use crate::hash::Hash;
use crate::per_side::PerSide;
use crate::planner::{self, Action, ConflictPolicy, Decision, Entry, Mode, Present, Side};
use crate::report::Counts;
use crate::status::StatusRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// What a side holds of an item when the plan is made (or when a target is
/// read back): where it is, the version a conditional write expects, and
/// its content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub(super) href: String,
    pub(super) version: String,
    pub(super) hash: Hash,
}

impl Target {
    fn of(found: &Found) -> Target {
        Target {
            href: found.href.clone(),
            version: found.version.clone(),
            hash: found.hash.clone(),
        }
    }
}

/// One operation: the planner's decision on a UID, with its target: what
/// the side it writes on holds there now (`None`: nothing, a create).
#[derive(Debug, Clone)]
pub(super) struct Op {
    pub(super) decision: Decision,
    /// Boxed: most operations of a large first download have none, and an
    /// inline target would cost every operation its size.
    pub(super) target: Option<Box<Target>>,
}

impl Op {
    pub(super) fn uid(&self) -> &str {
        &self.decision.uid
    }

    pub(super) fn action(&self) -> Action {
        self.decision.action
    }

    /// The side this operation overwrites, deletes or creates on, if any.
    pub(super) fn target_side(&self) -> Option<Side> {
        match self.decision.action {
            Action::Copy { to } => Some(to),
            Action::Delete { on } => Some(on),
            Action::KeepBoth { winner } => Some(winner.other()),
            Action::Nothing | Action::Link | Action::Forget => None,
        }
    }

    /// The writes this operation makes, judged before it runs.
    pub(super) fn writes(&self) -> Vec<(Side, Write)> {
        let there = self.target.is_some();
        match self.decision.action {
            Action::Copy { to } if there => vec![(to, Write::Update)],
            Action::Copy { to } => vec![(to, Write::Create)],
            Action::Delete { on } if there => vec![(on, Write::Delete)],
            Action::KeepBoth { winner } => vec![
                (winner, Write::Create),
                (winner.other(), Write::Create),
                (winner.other(), Write::Update),
            ],
            Action::Delete { .. } | Action::Nothing | Action::Link | Action::Forget => Vec::new(),
        }
    }
}

/// One write to a store, for the counts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Write {
    Create,
    Update,
    Delete,
}

impl Write {
    /// Counts this write in `counts`.
    pub(super) fn add_to(self, counts: &mut Counts) {
        match self {
            Write::Create => counts.created += 1,
            Write::Update => counts.updated += 1,
            Write::Delete => counts.deleted += 1,
        }
    }
}

/// What the rails weigh besides the plan: how many items each side holds
/// and how many were synced before.
#[derive(Debug, Clone, Copy)]
pub(super) struct Holdings {
    /// Items each side holds now (listed, and quiet ones).
    pub(super) held: PerSide<usize>,
    /// Status rows at the start of the run.
    pub(super) known: usize,
}

/// Why a safety rail refused a plan (nothing is written then). Words for a
/// person, and the override, are the caller's to add: the engine does not
/// know how its options are set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "rail", rename_all = "kebab-case")]
pub enum Refusal {
    /// One side has no items although items were synced before: its store
    /// was probably emptied by accident (or is not the one it was).
    #[error(
        "the {emptied} store has no items although {known} were synced before; refusing to \
         delete {deletes} items on the {side} side"
    )]
    SideEmptied {
        /// The side that turned empty.
        emptied: Side,
        /// Where the deletions would happen.
        side: Side,
        /// Items synced before.
        known: usize,
        /// Deletions planned.
        deletes: usize,
    },
    /// More deletions on one side than the profile allows in one run.
    #[error(
        "{deletes} of {of} items ({percent}%) would be deleted on the {side} side, more than \
         the limit of {limit_percent}%; nothing was written"
    )]
    TooManyDeletes {
        /// Where the deletions would happen.
        side: Side,
        /// Deletions planned.
        deletes: usize,
        /// Items on that side (or synced before, if more).
        of: usize,
        /// `deletes` as a share of `of`.
        percent: usize,
        /// The profile's limit.
        limit_percent: u8,
    },
}

impl Refusal {
    /// The side where the refused deletions would have happened.
    pub fn side(&self) -> Side {
        match self {
            Refusal::SideEmptied { side, .. } | Refusal::TooManyDeletes { side, .. } => *side,
        }
    }
}

/// The plan of a run.
pub(super) struct Plan {
    /// Operations with something to do, in UID order.
    pub(super) ops: Vec<Op>,
    /// UIDs found unchanged on both sides (their status rows may need a
    /// fresh version or address).
    pub(super) unchanged: Vec<String>,
}

impl Plan {
    /// Decides every UID known to the status or found on a side, except the
    /// untouchable ones (each entry made as it is decided: at 50,000 items
    /// they add up).
    pub(super) fn make(
        status: &HashMap<String, StatusRow>,
        untouchable: &BTreeSet<String>,
        snapshot: &Snapshot,
        mode: Mode,
        policy: ConflictPolicy,
    ) -> Plan {
        let mut uids: BTreeSet<&String> = status.keys().collect();
        uids.extend(snapshot[Side::Local].items.keys());
        uids.extend(snapshot[Side::Server].items.keys());
        let mut plan = Plan {
            ops: Vec::new(),
            unchanged: Vec::new(),
        };
        for uid in uids.into_iter().filter(|uid| !untouchable.contains(*uid)) {
            let op = decide(uid, status.contains_key(uid), snapshot, mode, policy);
            if op.action() == Action::Nothing {
                plan.unchanged.push(op.decision.uid);
            } else {
                plan.ops.push(op);
            }
        }
        plan
    }

    /// The safety rails: a side that turned empty, or more deletions than
    /// `limit_percent` of a side's items. Empty: the plan may run.
    pub(super) fn rails(&self, holdings: Holdings, limit_percent: u8) -> Vec<Refusal> {
        let mut refusals = Vec::new();
        for side in [Side::Local, Side::Server] {
            let deletes = self
                .ops
                .iter()
                .filter(|op| op.action() == Action::Delete { on: side })
                .count();
            if deletes == 0 {
                continue;
            }
            let emptied = side.other();
            if holdings.held[emptied] == 0 && holdings.known > 0 {
                refusals.push(Refusal::SideEmptied {
                    emptied,
                    side,
                    known: holdings.known,
                    deletes,
                });
                continue;
            }
            let of = holdings.held[side].max(holdings.known);
            if deletes * 100 > usize::from(limit_percent) * of {
                refusals.push(Refusal::TooManyDeletes {
                    side,
                    deletes,
                    of,
                    percent: deletes * 100 / of.max(1),
                    limit_percent,
                });
            }
        }
        refusals
    }
}

/// The decision on one UID, from what both sides hold of it now.
pub(super) fn decide(
    uid: &str,
    known: bool,
    snapshot: &Snapshot,
    mode: Mode,
    policy: ConflictPolicy,
) -> Op {
    let l = snapshot[Side::Local].items.get(uid);
    let s = snapshot[Side::Server].items.get(uid);
    // The item's own LAST-MODIFIED/REV, else the store's time (a file's
    // mtime; a server without one leaves it empty, and then wins).
    let present = |f: &Found| Present {
        changed: !known || f.changed,
        modified: f.read.as_ref().and_then(|r| r.modified),
    };
    // Read this run, an item's form on the other side is known: the pair
    // is the same item when either side's mapped form is the other's item.
    let same_content = match (l, s) {
        (Some(l), Some(s)) => {
            mapped_hash(l).is_some_and(|h| *h == s.hash)
                || mapped_hash(s).is_some_and(|h| *h == l.hash)
        }
        _ => false,
    };
    let entry = Entry {
        uid: uid.to_string(),
        known,
        local: l.map(present),
        server: s.map(present),
        same_content,
    };
    let mut op = Op {
        decision: planner::decide(&entry, mode, policy),
        target: None,
    };
    op.target = op
        .target_side()
        .and_then(|side| snapshot[side].items.get(uid))
        .map(|found| Box::new(Target::of(found)));
    op
}

/// An item's form on the other side, if it was read this run.
fn mapped_hash(found: &Found) -> Option<&Hash> {
    found.read.as_ref()?.mapped_hash.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::SideState;

    fn delete_on(side: Side, n: usize) -> Vec<Op> {
        (0..n)
            .map(|i| Op {
                decision: Decision {
                    uid: format!("u{i}"),
                    action: Action::Delete { on: side },
                    local: SideState::Deleted,
                    server: SideState::Unchanged,
                    conflict: None,
                },
                target: None,
            })
            .collect()
    }

    fn plan(ops: Vec<Op>) -> Plan {
        Plan {
            ops,
            unchanged: Vec::new(),
        }
    }

    fn holdings(local: usize, server: usize, known: usize) -> Holdings {
        Holdings {
            held: PerSide::new(local, server),
            known,
        }
    }

    #[test]
    fn an_emptied_side_refuses_deletions_on_the_other() {
        let refusals = plan(delete_on(Side::Server, 3)).rails(holdings(0, 3, 3), 100);
        assert_eq!(
            refusals,
            [Refusal::SideEmptied {
                emptied: Side::Local,
                side: Side::Server,
                known: 3,
                deletes: 3
            }]
        );
        // Nothing synced before: an empty side is a first sync, not an accident.
        assert!(
            plan(delete_on(Side::Server, 3))
                .rails(holdings(0, 3, 0), 100)
                .is_empty()
        );
    }

    #[test]
    fn deletions_over_the_limit_are_refused_and_the_limit_itself_is_not() {
        let at_limit = plan(delete_on(Side::Server, 5)).rails(holdings(5, 10, 10), 50);
        assert!(at_limit.is_empty(), "{at_limit:?}");
        let over = plan(delete_on(Side::Server, 6)).rails(holdings(4, 10, 10), 50);
        assert_eq!(
            over,
            [Refusal::TooManyDeletes {
                side: Side::Server,
                deletes: 6,
                of: 10,
                percent: 60,
                limit_percent: 50
            }]
        );
        // The base is the larger of the side's items and the status rows.
        let base = plan(delete_on(Side::Server, 6)).rails(holdings(4, 6, 12), 50);
        assert!(base.is_empty(), "{base:?}");
    }

    /// A large first download holds one operation per item: an operation
    /// without a target must not pay for one.
    #[test]
    fn an_operation_carries_its_target_boxed() {
        assert_eq!(
            std::mem::size_of::<Op>(),
            std::mem::size_of::<Decision>() + std::mem::size_of::<usize>()
        );
    }
}
