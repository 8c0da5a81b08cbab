//! Alarms (VALARM components of events and tasks): dropping them all, dropping
//! those whose time has passed, and copying them back from a richer copy.
//!
//! When an alarm fires is computed with the time-range machinery of
//! [`range`](crate::range): the same reading of DTSTART, DTEND, DUE, DURATION,
//! time zones and recurrence (RRULE, RDATE, EXDATE, overrides), so that a
//! series' last occurrence is found the way a time-range query finds it.

use crate::item::{Item, ItemError};
use crate::lines::{self, Line};
use crate::outline::{self, Block};
use crate::range::{Component, Kind, Range};
use calcard::Entry;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarParameterName,
    ICalendarParameterValue, ICalendarProperty, ICalendarRelated, ICalendarValue,
};
use chrono::{DateTime, TimeDelta, Utc};

/// A floating time or a date is read as UTC by the time-range code; the same
/// wall-clock time is an instant up to 12 hours later west of Greenwich
/// (UTC-12). An alarm of a floating item is judged past only when it has
/// passed in every time zone.
const FLOATING_SLACK: TimeDelta = TimeDelta::hours(12);

/// How far ahead a series is searched for an occurrence still to come.
const HORIZON: TimeDelta = TimeDelta::days(365 * 1000);

/// What [`Item::without_past_alarms`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunedAlarms {
    /// The item without the alarms that have passed.
    pub item: Item,
    /// How many alarms were dropped.
    pub dropped: usize,
    /// How many alarms were kept because when they fire could not be worked
    /// out (no TRIGGER, an unknown time zone, a series too long to expand…).
    pub undecided: usize,
}

impl Item {
    /// How many alarms (VALARM components of events, tasks and journals) the item holds.
    pub fn alarm_count(&self) -> usize {
        let doc = lines::unfold(self.body());
        outline::outline(&doc)
            .iter()
            .filter(|b| outline::is_main(b))
            .map(|b| alarms_of(b).count())
            .sum()
    }

    /// The item without any alarm; everything else byte for byte.
    pub fn without_alarms(&self) -> Result<Item, ItemError> {
        if self.alarm_count() == 0 {
            return Ok(self.clone());
        }
        let doc = lines::unfold(self.body());
        let mut drop = vec![false; doc.len()];
        for block in outline::outline(&doc)
            .iter()
            .filter(|b| outline::is_main(b))
        {
            for alarm in alarms_of(block) {
                drop[alarm.begin..=alarm.end].fill(true);
            }
        }
        rebuild(doc, &drop)
    }

    /// The item without the alarms that will not fire again after `now`: an
    /// absolute trigger (`VALUE=DATE-TIME`) before `now`; a trigger relative
    /// to the start (or, with `RELATED=END`, to the end or due time) of a
    /// component none of whose occurrences is still to trigger it: a single
    /// event or task, an override (RECURRENCE-ID), a series whose last
    /// occurrence (by UNTIL, COUNT or its last RDATE) lies that far in the
    /// past. An endless series keeps its alarms. Floating and all-day times
    /// count as passed only when passed everywhere on earth (UTC-12). Alarms
    /// whose time cannot be worked out are kept (counted in
    /// [`PrunedAlarms::undecided`]).
    pub fn without_past_alarms(&self, now: DateTime<Utc>) -> Result<PrunedAlarms, ItemError> {
        let doc = lines::unfold(self.body());
        let blocks = outline::outline(&doc);
        let mains: Vec<&Block> = blocks.iter().filter(|b| outline::is_main(b)).collect();
        let total: usize = mains.iter().map(|b| alarms_of(b).count()).sum();
        if total == 0 {
            return Ok(PrunedAlarms {
                item: self.clone(),
                dropped: 0,
                undecided: 0,
            });
        }
        let verdicts = judge(self.body(), &mains, now);
        let mut drop = vec![false; doc.len()];
        let (mut dropped, mut undecided) = (0, 0);
        for (block, verdicts) in mains.iter().zip(verdicts) {
            for (alarm, passed) in alarms_of(block).zip(verdicts) {
                match passed {
                    Some(true) => {
                        drop[alarm.begin..=alarm.end].fill(true);
                        dropped += 1;
                    }
                    Some(false) => {}
                    None => undecided += 1,
                }
            }
        }
        let item = if dropped == 0 {
            self.clone()
        } else {
            rebuild(doc, &drop)?
        };
        Ok(PrunedAlarms {
            item,
            dropped,
            undecided,
        })
    }

    /// The item with the alarms of `richer` copied into each of its
    /// components that has none of its own (components matched by
    /// RECURRENCE-ID: the series with the series, each override with the
    /// same override). Components that have alarms keep exactly theirs.
    pub fn with_alarms_from(&self, richer: &Item) -> Result<Item, ItemError> {
        let rich_doc = lines::unfold(richer.body());
        let rich_blocks = outline::outline(&rich_doc);
        let doc = lines::unfold(self.body());
        let blocks = outline::outline(&doc);
        let mut inserts: Vec<(usize, Vec<Line>)> = Vec::new();
        for block in blocks.iter().filter(|b| outline::is_main(b)) {
            if alarms_of(block).next().is_some() {
                continue;
            }
            let key = recurrence_key(&doc, block);
            let Some(source) = rich_blocks
                .iter()
                .filter(|b| outline::is_main(b) && b.name == block.name)
                .find(|b| recurrence_key(&rich_doc, b) == key)
            else {
                continue;
            };
            let copied: Vec<Line> = alarms_of(source)
                .flat_map(|a| rich_doc[a.begin..=a.end].iter().cloned())
                .collect();
            if !copied.is_empty() {
                inserts.push((block.end, copied));
            }
        }
        if inserts.is_empty() {
            return Ok(self.clone());
        }
        let mut doc = doc;
        for (at, copied) in inserts.into_iter().rev() {
            doc.splice(at..at, copied);
        }
        Item::parse(lines::write(&doc))
    }
}

/// The VALARMs directly inside a main component.
fn alarms_of(block: &Block) -> impl Iterator<Item = &Block> {
    block.children.iter().filter(|c| c.name == "VALARM")
}

/// The RECURRENCE-ID of a main component as written (empty for a series or
/// single item), to pair components of two copies of one item.
pub(crate) fn recurrence_key(doc: &[Line], block: &Block) -> String {
    block
        .own_lines()
        .map(|i| &doc[i])
        .find(|l| l.name() == "RECURRENCE-ID")
        .map(|l| l.value().trim().to_ascii_uppercase())
        .unwrap_or_default()
}

/// The lines not marked for dropping, parsed again.
fn rebuild(doc: Vec<Line>, drop: &[bool]) -> Result<Item, ItemError> {
    let kept: Vec<Line> = doc
        .into_iter()
        .zip(drop)
        .filter(|(_, d)| !**d)
        .map(|(l, _)| l)
        .collect();
    Item::parse(lines::write(&kept))
}

/// For each main component, for each of its alarms: passed (`Some(true)`),
/// still to come (`Some(false)`) or cannot tell (`None`).
fn judge(body: &str, mains: &[&Block], now: DateTime<Utc>) -> Vec<Vec<Option<bool>>> {
    let unknown = || {
        mains
            .iter()
            .map(|b| vec![None; alarms_of(b).count()])
            .collect()
    };
    let Entry::ICalendar(cal) = calcard::Parser::new(body).entry() else {
        return unknown();
    };
    let Some(root) = cal.components.first() else {
        return unknown();
    };
    let parsed: Vec<(&ICalendarComponent, Kind)> = root
        .component_ids
        .iter()
        .filter_map(|id| cal.components.get(*id as usize))
        .filter_map(|c| {
            let kind = match c.component_type {
                ICalendarComponentType::VEvent => Kind::Event,
                ICalendarComponentType::VTodo => Kind::Todo,
                ICalendarComponentType::VJournal => Kind::Journal,
                _ => return None,
            };
            Some((c, kind))
        })
        .collect();
    if parsed.len() != mains.len() {
        return unknown();
    }
    let zones = cal.build_tz_resolver();
    // The occurrences that overrides replace are skipped in the series.
    let replaced: Vec<DateTime<Utc>> = parsed
        .iter()
        .filter_map(|(c, kind)| Component::read(c, *kind, &zones))
        .filter_map(|c| c.recurrence_id.and_then(|r| r.utc()))
        .collect();
    let mut replaced = replaced;
    replaced.sort_unstable();
    parsed
        .iter()
        .zip(mains)
        .map(|((component, kind), block)| {
            let alarms: Vec<&ICalendarComponent> = component
                .component_ids
                .iter()
                .filter_map(|id| cal.components.get(*id as usize))
                .filter(|c| c.component_type == ICalendarComponentType::VAlarm)
                .collect();
            if alarms.len() != alarms_of(block).count() {
                return vec![None; alarms_of(block).count()];
            }
            alarms
                .iter()
                .map(|alarm| {
                    let trigger = alarm
                        .entries
                        .iter()
                        .find(|e| e.name == ICalendarProperty::Trigger)?;
                    passed(component, *kind, &zones, &replaced, trigger, now)
                })
                .collect()
        })
        .collect()
}

/// Whether an alarm with this TRIGGER of this component will not fire after `now`.
fn passed(
    component: &ICalendarComponent,
    kind: Kind,
    zones: &TzResolver<&str>,
    replaced: &[DateTime<Utc>],
    trigger: &ICalendarEntry,
    now: DateTime<Utc>,
) -> Option<bool> {
    let offset = match trigger.values.first()? {
        ICalendarValue::PartialDateTime(t) => {
            let t = t.to_date_time()?;
            let at = match t.offset {
                Some(offset) => t.date_time.checked_sub_offset(offset)?.and_utc(),
                None => t.date_time.and_utc() + FLOATING_SLACK,
            };
            return Some(at < now);
        }
        ICalendarValue::Duration(d) => {
            let days = i64::from(d.weeks) * 7 + i64::from(d.days);
            let secs = i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds);
            let total = TimeDelta::try_days(days)?.checked_add(&TimeDelta::try_seconds(secs)?)?;
            if d.neg { -total } else { total }
        }
        _ => return None,
    };
    let related_end = trigger.params.iter().any(|p| {
        p.name == ICalendarParameterName::Related
            && p.value == ICalendarParameterValue::Related(ICalendarRelated::End)
    });
    let mut c = Component::read(component, kind, zones)?;
    let reference = if related_end {
        match kind {
            Kind::Todo => c.due.or(c.start),
            _ => c.start,
        }
    } else {
        c.start.or(c.due)
    }
    .or(c.recurrence_id)?;
    if !related_end {
        // Occurrences as instants at their start: a task shape without
        // DUE or DURATION is exactly that.
        if c.start.is_none() && c.recurrence_id.is_none() {
            c.start = c.due;
        }
        c.kind = Kind::Todo;
        c.due = None;
        c.duration = None;
        c.end = None;
    }
    let slack = if matches!(reference.zone, crate::range::Zone::Floating) {
        FLOATING_SLACK
    } else {
        TimeDelta::zero()
    };
    // An occurrence still triggers the alarm when its start (or end) is at
    // or after `now - offset` (later for floating times).
    let from = now.checked_sub_signed(offset)?.checked_sub_signed(slack)?;
    let range = Range {
        start: from,
        end: from.checked_add_signed(HORIZON)?,
    };
    Some(!c.meets(range, replaced, None)?)
}

#[cfg(test)]
mod tests;
