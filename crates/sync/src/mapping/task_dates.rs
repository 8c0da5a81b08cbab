//! The task dates option: the DTSTART and DUE of tasks written floating to
//! the server (the original's "map start and due as floating").

use super::{MapContext, Transform};
use crate::planner::Side;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use davsync_pim::{Item, ItemError};

/// How task dates are written to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskDates {
    /// As the task has them (the default).
    Keep,
    /// DTSTART and DUE without TZID or `Z`: the wall-clock time in the
    /// task's zone, for servers and phones that show zoned task dates
    /// shifted.
    Floating,
}

/// Makes task dates floating on the way to the server. UTC values become
/// the wall-clock time of `zone` (the system's zone when `None`).
///
/// The way back: a floating DTSTART or DUE from the server gets the zone
/// that the folder's copy of the task gives the same property (its TZID and
/// VTIMEZONE, or UTC), so an unchanged task comes back byte for byte and a
/// date moved on a phone keeps the folder's zone; a task new from the server
/// stays floating, as it was written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDatesMapping {
    /// What is written to the server.
    pub mode: TaskDates,
    /// The zone UTC values are read in (`None`: the system's).
    pub zone: Option<chrono_tz::Tz>,
}

impl TaskDatesMapping {
    fn wall(&self, t: DateTime<Utc>) -> Option<NaiveDateTime> {
        Some(match self.zone {
            Some(zone) => t.with_timezone(&zone).naive_local(),
            None => t.with_timezone(&chrono::Local).naive_local(),
        })
    }

    fn instant(&self, t: NaiveDateTime) -> Option<DateTime<Utc>> {
        let t = match self.zone {
            Some(zone) => zone.from_local_datetime(&t).earliest()?.with_timezone(&Utc),
            None => chrono::Local
                .from_local_datetime(&t)
                .earliest()?
                .with_timezone(&Utc),
        };
        Some(t)
    }
}

impl Transform for TaskDatesMapping {
    fn name(&self) -> &'static str {
        "task dates"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server && self.mode == TaskDates::Floating
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        if self.mode == TaskDates::Keep {
            return Ok(item);
        }
        let mapped = match (to, context.current) {
            // Its occurrences, exceptions and exclusions would stay zoned
            // beside a floating start: a recurring task is left as it is.
            (Side::Server, _) if is_recurring(&item) => {
                context.warn(
                    item.uid(),
                    "task dates: a recurring task keeps its time zones".into(),
                );
                return Ok(item);
            }
            (Side::Server, _) => item.with_floating_task_dates(&|t| self.wall(t)),
            (Side::Local, Some(current)) => {
                item.with_task_dates_from(current, &|t| self.instant(t))
            }
            (Side::Local, None) => return Ok(item),
        };
        mapped.or_else(|e| super::left_alone(self.name(), item, &e, context))
    }
}

/// Whether an item repeats (a rule, dates, or exceptions).
fn is_recurring(item: &Item) -> bool {
    ["RRULE", "RDATE", "RECURRENCE-ID"]
        .iter()
        .any(|name| item.has_property(name))
}

#[cfg(test)]
mod tests;
