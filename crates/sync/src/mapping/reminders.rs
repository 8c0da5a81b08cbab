//! The reminders option: all alarms, only those still to come, or none, per direction.

use super::{MapContext, Transform};
use crate::planner::Side;
use chrono::{DateTime, Utc};
use davsync_pim::{Item, ItemError};
use std::sync::Arc;

/// Which alarms (VALARMs) a copy written to one side keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reminders {
    /// Every alarm, as the item has them (the default: byte for byte).
    All,
    /// The alarms that will still fire when the copy is written: the
    /// original's "just upcoming" (no burst of past alarms on a first sync of
    /// years of history).
    Upcoming,
    /// No alarms.
    None,
}

/// The clock that "upcoming" asks when a copy is written.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Drops alarms from the copy written to a side, per direction.
///
/// - Applied to the copy being written only: the side the item comes from
///   keeps its alarms. When the copy on the server lacks alarms that the
///   folder has, a change arriving from the server gets the folder item's
///   alarms back for every component (series, override) that arrives
///   without alarms of its own ([`lossy`](Transform::lossy) and
///   [`MapContext::current`]); alarms added on the server win. An item
///   that comes back exactly as its copy was written is the folder item
///   again.
/// - "Upcoming" is decided when the copy is written (`clock`), and not
///   revisited when time passes.
/// - An alarm whose time cannot be worked out (an unknown time zone, no
///   TRIGGER, a series too long to expand) is kept, with a warning.
#[derive(Clone)]
pub struct RemindersMapping {
    /// Alarms kept on the way to the server.
    pub to_server: Reminders,
    /// Alarms kept on the way to the folder.
    pub to_local: Reminders,
    clock: Clock,
}

impl std::fmt::Debug for RemindersMapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemindersMapping")
            .field("to_server", &self.to_server)
            .field("to_local", &self.to_local)
            .finish_non_exhaustive()
    }
}

impl RemindersMapping {
    /// The option for both directions, judged by the system clock.
    pub fn new(to_server: Reminders, to_local: Reminders) -> Self {
        RemindersMapping {
            to_server,
            to_local,
            clock: Arc::new(Utc::now),
        }
    }

    /// The same, judged by another clock (for tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Whether the mapping changes nothing in either direction.
    pub fn is_identity(&self) -> bool {
        self.to_server == Reminders::All && self.to_local == Reminders::All
    }

    fn policy(&self, to: Side) -> Reminders {
        match to {
            Side::Server => self.to_server,
            Side::Local => self.to_local,
        }
    }

    fn other(to: Side) -> Side {
        match to {
            Side::Server => Side::Local,
            Side::Local => Side::Server,
        }
    }
}

impl Transform for RemindersMapping {
    fn name(&self) -> &'static str {
        "reminders"
    }

    fn lossy(&self, to: Side) -> bool {
        self.policy(to) != Reminders::All
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        let original = item.clone();
        self.map_alarms(to, item, context)
            .or_else(|e| super::left_alone(self.name(), original, &e, context))
    }
}

impl RemindersMapping {
    fn map_alarms(
        &self,
        to: Side,
        item: Item,
        context: &MapContext<'_>,
    ) -> Result<Item, ItemError> {
        let mapped = self.apply(self.policy(to), item, Some(context))?;
        // The receiving side's own alarms, which the copy on the other side
        // lacks, come back: all of them when the item comes back as that
        // copy was written, else those of each component that arrives
        // without alarms of its own.
        match context.current {
            Some(current) if self.lossy(Self::other(to)) => {
                if self
                    .apply(self.policy(Self::other(to)), current.clone(), None)?
                    .content_hash()
                    == mapped.content_hash()
                {
                    return Ok(current.clone());
                }
                mapped.with_alarms_from(current)
            }
            _ => Ok(mapped),
        }
    }

    /// The item with the alarms `policy` keeps (`context`: where warnings
    /// go; `None` when the item is only compared).
    fn apply(
        &self,
        policy: Reminders,
        item: Item,
        context: Option<&MapContext<'_>>,
    ) -> Result<Item, ItemError> {
        Ok(match policy {
            Reminders::All => item,
            Reminders::None => item.without_alarms()?,
            Reminders::Upcoming => {
                let pruned = item.without_past_alarms((self.clock)())?;
                if pruned.undecided > 0
                    && let Some(context) = context
                {
                    context.warn(
                        pruned.item.uid(),
                        format!(
                            "reminders: {} alarm(s) kept, their time could not be worked out",
                            pruned.undecided
                        ),
                    );
                }
                pruned.item
            }
        })
    }
}

#[cfg(test)]
mod tests;
