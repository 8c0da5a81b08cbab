//! The time zones option: Windows and other non-IANA zones rewritten to IANA
//! ones (with the original's VTIMEZONE repairs), or times written in UTC, on
//! the way to the server.

use super::{MapContext, Transform};
use crate::planner::Side;
use davsync_pim::{Item, ItemError, TimeZoneReport};

/// How time zones are written to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeZones {
    /// As the item has them (the default: byte for byte).
    Keep,
    /// IANA zones: Windows names (`W. Europe Standard Time`), Outlook display
    /// names and vendor prefixes rewritten, VTIMEZONEs generated from the
    /// built-in zone database; plus the repairs (year-1 observances, VTIMEZONE
    /// order, missing VTIMEZONEs).
    Iana,
    /// Every date-time with a zone written in UTC, VTIMEZONEs dropped.
    Utc,
}

/// Rewrites time zones on the way to the server. Towards the folder an item
/// passes unchanged (a folder's clients, khal or Thunderbird, read IANA and
/// UTC times alike), except that an item the server sends back unchanged
/// (the same as the folder item mapped to the server) is written as the
/// folder item: its Windows names or zones come back, and a run after a
/// mapped upload has nothing to do. The instants never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZoneMapping {
    /// What is written to the server.
    pub mode: TimeZones,
    /// With `Iana`: generated VTIMEZONEs hold every observance since 1900,
    /// not only those of the years the item spans.
    pub history: bool,
}

impl TimeZoneMapping {
    /// The copy for the server (`context`: where warnings go; `None` when
    /// the copy is only compared).
    fn server_copy(
        &self,
        item: &Item,
        context: Option<&MapContext<'_>>,
    ) -> Result<Item, ItemError> {
        let report: TimeZoneReport = match self.mode {
            TimeZones::Keep => return Ok(item.clone()),
            TimeZones::Iana => item.with_iana_timezones(self.history)?,
            TimeZones::Utc => item.with_utc_times()?,
        };
        if let Some(context) = context {
            for warning in &report.warnings {
                context.warn(item.uid(), format!("time zones: {warning}"));
            }
        }
        Ok(report.item)
    }
}

impl Transform for TimeZoneMapping {
    fn name(&self) -> &'static str {
        "time zones"
    }

    fn lossy(&self, to: Side) -> bool {
        to == Side::Server && self.mode != TimeZones::Keep
    }

    fn map(&self, to: Side, item: Item, context: &MapContext<'_>) -> Result<Item, ItemError> {
        match to {
            Side::Server => self
                .server_copy(&item, Some(context))
                .or_else(|e| super::left_alone(self.name(), item, &e, context)),
            Side::Local => {
                if self.mode != TimeZones::Keep
                    && let Some(current) = context.current
                    && self
                        .server_copy(current, None)
                        .is_ok_and(|copy| copy.content_hash() == item.content_hash())
                {
                    return Ok(current.clone());
                }
                Ok(item)
            }
        }
    }
}

#[cfg(test)]
mod tests;
