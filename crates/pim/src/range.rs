//! Whether an item meets a time range, as CalDAV's calendar-query time-range
//! filter decides it (RFC 4791 §9.9), recurrences and time zones included.
//!
//! The rules of the RFC's tables are applied to every instance of a calendar
//! object: the DTSTART instance, each RDATE, each occurrence of each RRULE
//! (minus EXDATEs and the instances that overrides replace) and each override
//! (a component with RECURRENCE-ID). Recurrence rules are expanded by `calcard`;
//! this module only decides which part of a series has to be expanded, converts
//! wall-clock times to instants and compares.
//!
//! Whenever something cannot be understood the answer is "meets": an item
//! wrongly included is merely synced, one wrongly excluded would be lost to
//! the sync.

use crate::item::Item;
use calcard::Entry;
use calcard::common::timezone::Tz;
use calcard::common::{CalendarScale, PartialDateTime};
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDuration, ICalendarEntry,
    ICalendarFrequency, ICalendarParameterName, ICalendarPeriod, ICalendarProperty,
    ICalendarRecurrenceRule, ICalendarValue,
};
use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Timelike, Utc,
};

/// Most occurrences of one recurrence rule generated before giving up (and
/// answering "meets"): a minutely rule running for years is not worth more.
const MAX_OCCURRENCES: usize = 20_000;

/// Occurrences asked of `calcard` beyond those expected before the range in
/// the first round; each further round asks for four times as many. `calcard`
/// always expands from the first occurrence, so rounds repeat work; growing by
/// four keeps the repeats under a third.
const FIRST_ROUND: usize = 16;

/// `calcard` ends an expansion after this many periods of the rule's
/// frequency without an occurrence (its `MAX_ITER_LOOP`).
const CALCARD_EMPTY_PERIODS: i32 = 100_000;

/// Room kept when a wall-clock time stands in for an instant: UTC offsets stay
/// within ±15 hours, DST shifts add an hour, nominal days of a DURATION may be
/// 23 or 25 hours. Two days cover all of it.
const WALL_SLACK: TimeDelta = TimeDelta::days(2);

const ONE_DAY: Length = Length { days: 1, secs: 0 };
const NO_LENGTH: Length = Length { days: 0, secs: 0 };

impl Item {
    /// Whether the item meets the time range `[start, end)` (UTC), in the sense
    /// of CalDAV's calendar-query time-range filter (RFC 4791 §9.9): an event
    /// meets it when it overlaps it (`start < DTEND` and `end > DTSTART`; an
    /// event without DTEND or DURATION lasts one day when DTSTART is a date and
    /// is an instant otherwise, met when `start <= DTSTART < end`); tasks and
    /// journals follow the RFC's tables. A recurring item meets the range when
    /// any of its instances does: occurrences of RRULE and RDATE minus EXDATE,
    /// and the overrides (RECURRENCE-ID) of the same resource, which replace
    /// the occurrences they name. Contacts always meet it.
    ///
    /// Choices where the RFC leaves room or where this check is deliberately
    /// generous:
    /// - TZID parameters are resolved to IANA zones through the item's own
    ///   VTIMEZONE components (by their TZID, X-LIC-LOCATION or Outlook zone
    ///   id) or as names (IANA, Windows, `/vendor/…/Europe/Berlin`); the
    ///   offsets written in a VTIMEZONE are not read. A wall-clock time skipped
    ///   by a DST change is read with the offset before the change, a repeated
    ///   one as its first occurrence (RFC 5545 §3.3.5).
    /// - Floating times and dates (all-day values) are read as UTC: the filter
    ///   has no calendar time zone to read them in.
    /// - A journal without DTSTART meets every range (the RFC says none): an
    ///   undated note would otherwise never be synced; a task without any date
    ///   meets every range as the RFC says.
    /// - An event whose DTEND equals its DTSTART is an instant; an override
    ///   without DTEND or DURATION keeps the length of its series.
    /// - The answer is "meets" whenever the item cannot be understood: an item
    ///   `calcard` cannot read, a date property that is not a date, a TZID that
    ///   names no known zone, an event without DTSTART, a recurrence rule that
    ///   `calcard` rejects or that uses a non-Gregorian RSCALE, a
    ///   RECURRENCE-ID with a RANGE, or a rule that needs more than 20,000
    ///   occurrences to get past the range. Wrongly included means synced
    ///   needlessly; wrongly excluded would mean not synced at all.
    /// - An empty or inverted range (`start >= end`) holds no time: only
    ///   contacts meet it.
    ///
    /// Cost: the body is parsed again (a few microseconds). A series is not
    /// expanded when its bounds decide (DTSTART after the range, UNTIL before
    /// it), and a daily, weekly or shorter rule without COUNT is expanded from
    /// a whole number of its periods before the range rather than from its
    /// first occurrence, so such a series started years ago costs no more than
    /// a new one. Monthly and yearly rules, and rules with COUNT, are expanded
    /// from the start (a few hundred occurrences for decades of a monthly one).
    pub fn meets_time_range(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        if !self.kind().is_calendar() {
            return true;
        }
        if start >= end {
            return false;
        }
        // `None` means "cannot tell", which is answered generously.
        calendar_meets(self.body(), Range { start, end }).unwrap_or(true)
    }
}

/// The range `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
}

/// How a wall-clock time is tied to an instant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zone {
    /// No zone: a floating time or a date. Read as UTC.
    Floating,
    /// A UTC time (`Z`) or an explicit offset.
    Fixed(FixedOffset),
    /// A time zone named by TZID.
    Named(Tz),
}

impl Zone {
    /// The instant a wall-clock time stands for; `None` only on overflow.
    pub(crate) fn to_utc(self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Floating => Some(local.and_utc()),
            Zone::Fixed(offset) => local.checked_sub_offset(offset).map(|t| t.and_utc()),
            Zone::Named(tz) => match tz.from_local_datetime(&local) {
                // A repeated wall-clock time means its first occurrence (RFC 5545 §3.3.5).
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    Some(t.with_timezone(&Utc))
                }
                // A skipped one is read with the offset before the gap (same section):
                // the last valid time before it plus the wall-clock time elapsed since.
                LocalResult::None => (1..=48).find_map(|half_hours| {
                    let back = TimeDelta::minutes(30 * half_hours);
                    let before = tz.from_local_datetime(&local.checked_sub_signed(back)?);
                    Some(before.earliest()?.with_timezone(&Utc) + back)
                }),
            },
        }
    }

    /// The wall-clock time of an instant (given as a naive UTC time).
    fn to_local(self, utc: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Zone::Floating => Some(utc),
            Zone::Fixed(offset) => utc.checked_add_offset(offset),
            Zone::Named(tz) => {
                let offset = chrono::Offset::fix(tz.from_utc_datetime(&utc).offset());
                utc.checked_add_offset(offset)
            }
        }
    }
}

/// A date or date-time property value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    pub(crate) local: NaiveDateTime,
    /// A DATE value (an all-day value), not a DATE-TIME.
    pub(crate) date: bool,
    pub(crate) zone: Zone,
}

impl Stamp {
    pub(crate) fn utc(self) -> Option<DateTime<Utc>> {
        self.zone.to_utc(self.local)
    }
}

/// A length as iCalendar counts it: nominal days (wall-clock days, which may
/// be 23 or 25 hours long) plus exact seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Length {
    days: i64,
    secs: i64,
}

impl Length {
    fn of_duration(d: &ICalendarDuration) -> Length {
        let days = i64::from(d.weeks) * 7 + i64::from(d.days);
        let secs = i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds);
        if d.neg {
            Length {
                days: -days,
                secs: -secs,
            }
        } else {
            Length { days, secs }
        }
    }

    /// DTEND and DUE give exact lengths (RFC 5545 §3.8.5.3: every instance
    /// lasts exactly as long as the first).
    fn exact(d: TimeDelta) -> Length {
        Length {
            days: 0,
            secs: d.num_seconds(),
        }
    }

    /// Roughly, counting every day as 24 hours (for bounds, which keep slack).
    fn approx(self) -> TimeDelta {
        let secs = self.days.saturating_mul(86_400).saturating_add(self.secs);
        // TimeDelta holds ±2^63 milliseconds; nothing in a calendar is that long.
        TimeDelta::seconds(secs.clamp(-(1 << 50), 1 << 50))
    }

    /// The end of an instance that starts at wall-clock time `local` in `zone`
    /// (the instant `start`).
    fn end_of(
        self,
        local: NaiveDateTime,
        zone: Zone,
        start: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let base = if self.days == 0 {
            start
        } else {
            zone.to_utc(local.checked_add_signed(TimeDelta::try_days(self.days)?)?)?
        };
        base.checked_add_signed(TimeDelta::try_seconds(self.secs)?)
    }
}

/// `t + d`, saturating at the ends of time (range bounds may be the extremes).
fn wall_plus(t: NaiveDateTime, d: TimeDelta) -> NaiveDateTime {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        NaiveDateTime::MIN
    } else {
        NaiveDateTime::MAX
    })
}

/// What one instance occupies relative to its start: a row of the tables of
/// RFC 4791 §9.9.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// An event or journal, or a task with DTSTART alone: `[start, start + length)`
    /// when the length is positive, else the instant `start` (met when
    /// `range.start <= start < range.end`).
    Span(Length),
    /// A task with DTSTART and DURATION.
    TodoDuration(Length),
    /// A task with DTSTART and DUE, DUE this far from DTSTART.
    TodoDue(TimeDelta),
}

impl Shape {
    /// How far before and after its start an instance can reach: an instance
    /// that starts at `s` can only meet ranges that touch `[s - before, s + after]`.
    fn reach(self) -> (TimeDelta, TimeDelta) {
        let d = match self {
            Shape::Span(length) | Shape::TodoDuration(length) => length.approx(),
            Shape::TodoDue(d) => d,
        };
        let zero = TimeDelta::zero();
        ((-d).max(zero), d.max(zero))
    }
}

/// Whether the instance starting at wall-clock time `local` in `zone` (the
/// instant `s`) meets the range. `period_end` is the end an RDATE period gives.
fn instance_meets(
    shape: Shape,
    (local, zone, s): (NaiveDateTime, Zone, DateTime<Utc>),
    period_end: Option<DateTime<Utc>>,
    r: Range,
) -> Option<bool> {
    Some(match shape {
        Shape::Span(length) => {
            let e = match period_end {
                Some(e) => e,
                None => length.end_of(local, zone, s)?,
            };
            if e > s {
                r.start < e && r.end > s
            } else {
                r.start <= s && r.end > s
            }
        }
        Shape::TodoDuration(length) => {
            let e = length.end_of(local, zone, s)?;
            r.start <= e && (r.end > s || r.end >= e)
        }
        Shape::TodoDue(d) => {
            let due = s.checked_add_signed(d)?;
            (r.start < due || r.start <= s) && (r.end > s || r.end >= due)
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Event,
    Todo,
    Journal,
}

/// The end an RDATE period gives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PeriodEnd {
    At(Stamp),
    After(Length),
}

/// The time-related properties of one VEVENT, VTODO or VJOURNAL.
pub(crate) struct Component<'a> {
    pub(crate) kind: Kind,
    pub(crate) start: Option<Stamp>,
    pub(crate) end: Option<Stamp>,
    pub(crate) duration: Option<Length>,
    pub(crate) due: Option<Stamp>,
    completed: Option<Stamp>,
    created: Option<Stamp>,
    pub(crate) rules: Vec<&'a ICalendarRecurrenceRule>,
    pub(crate) rdates: Vec<(Stamp, Option<PeriodEnd>)>,
    exdates: Vec<DateTime<Utc>>,
    pub(crate) recurrence_id: Option<Stamp>,
}

/// Parses the body and checks every component; `None` when it cannot tell.
fn calendar_meets(body: &str, r: Range) -> Option<bool> {
    let Entry::ICalendar(cal) = calcard::Parser::new(body).entry() else {
        return None;
    };
    let zones = cal.build_tz_resolver();
    let mut components = Vec::new();
    for component in &cal.components {
        let kind = match component.component_type {
            ICalendarComponentType::VEvent => Kind::Event,
            ICalendarComponentType::VTodo => Kind::Todo,
            ICalendarComponentType::VJournal => Kind::Journal,
            _ => continue,
        };
        components.push(Component::read(component, kind, &zones)?);
    }
    if components.is_empty() {
        return None;
    }
    // The instances that overrides replace, for the series to skip them.
    let mut replaced = components
        .iter()
        .filter_map(|c| c.recurrence_id)
        .map(Stamp::utc)
        .collect::<Option<Vec<_>>>()?;
    replaced.sort_unstable();
    // Overrides without DTEND or DURATION keep the length of their series.
    let series_length = components
        .iter()
        .filter(|c| c.kind == Kind::Event && c.recurrence_id.is_none())
        .find_map(|c| match c.own_shape()? {
            Shape::Span(length) if length != NO_LENGTH => Some(length),
            _ => None,
        });
    // Single instances first: they are cheap and often decide.
    components.sort_by_key(|c| !c.rules.is_empty());
    for c in &components {
        if c.meets(r, &replaced, series_length)? {
            return Some(true);
        }
    }
    Some(false)
}

impl<'a> Component<'a> {
    /// Reads the properties that matter; `None` when one of them cannot be understood.
    pub(crate) fn read(
        component: &'a ICalendarComponent,
        kind: Kind,
        zones: &TzResolver<&str>,
    ) -> Option<Component<'a>> {
        let mut c = Component {
            kind,
            start: None,
            end: None,
            duration: None,
            due: None,
            completed: None,
            created: None,
            rules: Vec::new(),
            rdates: Vec::new(),
            exdates: Vec::new(),
            recurrence_id: None,
        };
        for entry in &component.entries {
            match (&entry.name, kind) {
                (ICalendarProperty::Dtstart, _) => c.start = Some(single_stamp(entry, zones)?),
                (ICalendarProperty::Dtend, Kind::Event) => {
                    c.end = Some(single_stamp(entry, zones)?)
                }
                (ICalendarProperty::Due, Kind::Todo) => c.due = Some(single_stamp(entry, zones)?),
                (ICalendarProperty::Completed, Kind::Todo) => {
                    c.completed = Some(single_stamp(entry, zones)?)
                }
                (ICalendarProperty::Created, Kind::Todo) => {
                    c.created = Some(single_stamp(entry, zones)?)
                }
                (ICalendarProperty::Duration, Kind::Event | Kind::Todo) => {
                    match entry.values.first()? {
                        ICalendarValue::Duration(d) => c.duration = Some(Length::of_duration(d)),
                        _ => return None,
                    }
                }
                (ICalendarProperty::Rrule, _) => match entry.values.first()? {
                    ICalendarValue::RecurrenceRule(rule) => c.rules.push(rule),
                    _ => return None,
                },
                (ICalendarProperty::Rdate, _) => {
                    let tzid = entry.tz_id();
                    for value in &entry.values {
                        c.rdates.push(match value {
                            ICalendarValue::PartialDateTime(t) => (stamp(t, tzid, zones)?, None),
                            ICalendarValue::Period(ICalendarPeriod::Range { start, end }) => (
                                stamp(start, tzid, zones)?,
                                Some(PeriodEnd::At(stamp(end, tzid, zones)?)),
                            ),
                            ICalendarValue::Period(ICalendarPeriod::Duration {
                                start,
                                duration,
                            }) => (
                                stamp(start, tzid, zones)?,
                                Some(PeriodEnd::After(Length::of_duration(duration))),
                            ),
                            _ => return None,
                        });
                    }
                }
                (ICalendarProperty::Exdate, _) => {
                    let tzid = entry.tz_id();
                    for value in &entry.values {
                        match value {
                            ICalendarValue::PartialDateTime(t) => {
                                c.exdates.push(stamp(t, tzid, zones)?.utc()?)
                            }
                            _ => return None,
                        }
                    }
                }
                (ICalendarProperty::RecurrenceId, _) => {
                    // RANGE=THISANDFUTURE moves later instances too; rare enough
                    // not to be modelled: "cannot tell".
                    if entry
                        .params
                        .iter()
                        .any(|p| p.name == ICalendarParameterName::Range)
                    {
                        return None;
                    }
                    c.recurrence_id = Some(single_stamp(entry, zones)?);
                }
                _ => {}
            }
        }
        Some(c)
    }

    /// The component's own row of the RFC tables, given its DTSTART; `None`
    /// without DTSTART (and on overflow).
    fn own_shape(&self) -> Option<Shape> {
        let start = self.start.or(self.recurrence_id)?;
        Some(match self.kind {
            Kind::Event => match (self.end, self.duration) {
                (Some(end), _) => Shape::Span(Length::exact(end.utc()? - start.utc()?)),
                (None, Some(length)) => Shape::Span(length),
                (None, None) if start.date => Shape::Span(ONE_DAY),
                (None, None) => Shape::Span(NO_LENGTH),
            },
            Kind::Journal if start.date => Shape::Span(ONE_DAY),
            Kind::Journal => Shape::Span(NO_LENGTH),
            Kind::Todo => match (self.due, self.duration) {
                (Some(due), _) => Shape::TodoDue(due.utc()? - start.utc()?),
                (None, Some(length)) => Shape::TodoDuration(length),
                (None, None) => Shape::Span(NO_LENGTH),
            },
        })
    }

    /// Whether any instance of the component meets the range.
    pub(crate) fn meets(
        &self,
        r: Range,
        replaced: &[DateTime<Utc>],
        series_length: Option<Length>,
    ) -> Option<bool> {
        let recurs = !self.rules.is_empty() || !self.rdates.is_empty();
        // An override without DTSTART starts at its RECURRENCE-ID.
        let Some(start) = self.start.or(self.recurrence_id) else {
            return match self.kind {
                Kind::Event => None,
                Kind::Todo if recurs => None,
                Kind::Todo => self.undated_todo_meets(r),
                // The RFC says never; an undated note is kept in sync instead.
                Kind::Journal => Some(true),
            };
        };
        let mut shape = self.own_shape()?;
        let lengthless_override = self.kind == Kind::Event
            && self.recurrence_id.is_some()
            && self.end.is_none()
            && self.duration.is_none();
        if let (true, Some(length), Shape::Span(own)) = (lengthless_override, series_length, shape)
            && length.approx() > own.approx()
        {
            shape = Shape::Span(length);
        }

        let mut skip = self.exdates.clone();
        if self.recurrence_id.is_none() {
            skip.extend_from_slice(replaced);
        }
        skip.sort_unstable();
        let skipped = |s: DateTime<Utc>| skip.binary_search(&s).is_ok();

        // DTSTART is always the first instance (RFC 5545 §3.8.5.3), matching
        // its rule or not.
        let s = start.utc()?;
        if !skipped(s) && instance_meets(shape, (start.local, start.zone, s), None, r)? {
            return Some(true);
        }
        for &(rdate, period) in &self.rdates {
            let s = rdate.utc()?;
            if skipped(s) {
                continue;
            }
            // A period gives an event its own end; tasks keep their row.
            let period_end = match period {
                Some(PeriodEnd::At(end)) => Some(end.utc()?),
                Some(PeriodEnd::After(length)) => {
                    Some(length.end_of(rdate.local, rdate.zone, s)?)
                }
                None => None,
            };
            if instance_meets(shape, (rdate.local, rdate.zone, s), period_end, r)? {
                return Some(true);
            }
        }
        for rule in &self.rules {
            if rule_meets(rule, start, shape, &skip, r)? {
                return Some(true);
            }
        }
        Some(false)
    }

    /// The rows of the VTODO table without DTSTART.
    fn undated_todo_meets(&self, r: Range) -> Option<bool> {
        // Outer `None`: a value that cannot be placed; inner `None`: no value.
        let utc = |s: Option<Stamp>| match s {
            Some(s) => s.utc().map(Some),
            None => Some(None),
        };
        Some(
            match (utc(self.due)?, utc(self.completed)?, utc(self.created)?) {
                (Some(due), _, _) => r.start < due && r.end >= due,
                (None, Some(done), Some(made)) => {
                    (r.start <= made || r.start <= done) && (r.end >= made || r.end >= done)
                }
                (None, Some(done), None) => r.start <= done && r.end >= done,
                (None, None, Some(made)) => r.start <= made && r.end > made,
                (None, None, None) => true,
            },
        )
    }
}

/// The single date or date-time value of a property.
fn single_stamp(entry: &ICalendarEntry, zones: &TzResolver<&str>) -> Option<Stamp> {
    match entry.values.first()? {
        ICalendarValue::PartialDateTime(t) => stamp(t, entry.tz_id(), zones),
        _ => None,
    }
}

/// A value with its zone: an explicit offset (`Z`) wins, dates are floating,
/// a TZID must name a known zone.
pub(crate) fn stamp(
    value: &PartialDateTime,
    tzid: Option<&str>,
    zones: &TzResolver<&str>,
) -> Option<Stamp> {
    let t = value.to_date_time()?;
    let date = !value.has_time();
    let zone = match (t.offset, tzid) {
        (Some(offset), _) => Zone::Fixed(offset),
        (None, _) if date => Zone::Floating,
        (None, Some(name)) => Zone::Named(zones.resolve(name)?),
        (None, None) => Zone::Floating,
    };
    Some(Stamp {
        local: t.date_time,
        date,
        zone,
    })
}

/// Whether an occurrence of `rule` (of the series starting at `dtstart`) meets
/// the range. The rule is expanded in wall-clock time (as RFC 5545 defines it)
/// by `calcard`, from a start moved close to the range where that is exact.
fn rule_meets(
    rule: &ICalendarRecurrenceRule,
    dtstart: Stamp,
    shape: Shape,
    skip: &[DateTime<Utc>],
    r: Range,
) -> Option<bool> {
    if rule
        .rscale
        .as_ref()
        .is_some_and(|scale| *scale != CalendarScale::Gregorian)
    {
        return None;
    }
    let zone = dtstart.zone;
    let (before, after) = shape.reach();
    // Occurrences starting (in wall-clock time) outside [low, high] cannot meet the range.
    let low = wall_plus(r.start.naive_utc(), -(after + WALL_SLACK));
    let high = wall_plus(r.end.naive_utc(), before + WALL_SLACK);
    // Every occurrence starts at or after DTSTART.
    if dtstart.local > high {
        return Some(false);
    }
    let mut rule = rule.clone();
    if let Some(until) = &rule.until {
        let until = wall_until(until, dtstart)?;
        if until < low {
            return Some(false);
        }
        // calcard compares a UTC UNTIL with wall-clock times as if they were
        // UTC, losing the last occurrence east of Greenwich: give it the
        // series' wall-clock time instead.
        rule.until = Some(partial(until)?);
    }
    let step = step(&rule);
    let mut first = dtstart.local;
    if first < low && skippable(&rule) {
        // Skip the years before the range: the step is exact for the rules
        // that can be skipped.
        let periods = (low - first).num_seconds() / step.num_seconds();
        let skipped = TimeDelta::try_seconds(step.num_seconds().checked_mul(periods)?)?;
        first = first.checked_add_signed(skipped)?;
    }
    let count = rule.count;
    let until = rule.until.as_ref().and_then(PartialDateTime::to_date_time);
    // Enough occurrences for one in each period up to the range, and a few
    // more: one round for most series.
    let periods_before =
        usize::try_from((low - first).num_seconds() / step.num_seconds()).unwrap_or(0);
    let mut limit = periods_before
        .saturating_add(FIRST_ROUND)
        .min(MAX_OCCURRENCES);
    let series = ICalendar {
        components: vec![ICalendarComponent {
            component_type: ICalendarComponentType::VEvent,
            entries: vec![
                ICalendarEntry {
                    name: ICalendarProperty::Dtstart,
                    params: Vec::new(),
                    values: vec![ICalendarValue::PartialDateTime(Box::new(partial(first)?))],
                },
                ICalendarEntry {
                    name: ICalendarProperty::Rrule,
                    params: Vec::new(),
                    values: vec![ICalendarValue::RecurrenceRule(Box::new(rule))],
                },
            ],
            component_ids: Vec::new(),
        }],
    };
    let mut done = 0;
    loop {
        // Floating: calcard returns wall-clock times, converted here (with the
        // gap and fold rules of `Zone::to_utc`).
        let expanded = series.expand_dates(Tz::Floating, limit);
        if !expanded.errors.is_empty() {
            return None;
        }
        let generated = expanded.events.len();
        for event in expanded.events.iter().skip(done) {
            let local = event.start.naive_local();
            if local > high {
                return Some(false);
            }
            if local < low {
                continue;
            }
            let s = zone.to_utc(local)?;
            if skip.binary_search(&s).is_ok() {
                continue;
            }
            if instance_meets(shape, (local, zone, s), None, r)? {
                return Some(true);
            }
        }
        if generated < limit {
            // The series ended, or calcard gave up after 100,000 periods
            // without an occurrence (its loop guard): trust the end when the
            // count is used up or those periods reach past UNTIL or the range.
            let last = expanded
                .events
                .last()
                .map_or(first, |e| e.start.naive_local());
            let searched = wall_plus(last, step * CALCARD_EMPTY_PERIODS);
            let horizon = until.map_or(high, |u| u.date_time.min(high));
            let used_up = count.is_some_and(|c| generated >= c as usize);
            return (used_up || searched >= horizon).then_some(false);
        }
        if limit >= MAX_OCCURRENCES {
            return None;
        }
        done = generated;
        limit = (limit * 4).min(MAX_OCCURRENCES);
    }
}

/// UNTIL as a wall-clock time of the series. A date UNTIL on a timed series
/// (not allowed, but written) keeps the whole day.
fn wall_until(until: &PartialDateTime, dtstart: Stamp) -> Option<NaiveDateTime> {
    let t = until.to_date_time()?;
    match t.offset {
        Some(offset) => dtstart
            .zone
            .to_local(t.date_time.checked_sub_offset(offset)?),
        None if !until.has_time() && !dtstart.date => Some(
            t.date_time
                .date()
                .and_time(NaiveTime::from_hms_opt(23, 59, 59)?),
        ),
        None => Some(t.date_time),
    }
}

/// A floating date-time value for calcard.
fn partial(t: NaiveDateTime) -> Option<PartialDateTime> {
    Some(PartialDateTime {
        year: Some(u16::try_from(t.year()).ok()?),
        month: Some(t.month() as u8),
        day: Some(t.day() as u8),
        hour: Some(t.hour() as u8),
        minute: Some(t.minute() as u8),
        second: Some(t.second() as u8),
        ..PartialDateTime::default()
    })
}

/// How far one period of the rule's frequency goes, at least.
fn step(rule: &ICalendarRecurrenceRule) -> TimeDelta {
    let unit = match rule.freq {
        ICalendarFrequency::Yearly => TimeDelta::days(365),
        ICalendarFrequency::Monthly => TimeDelta::days(28),
        ICalendarFrequency::Weekly => TimeDelta::days(7),
        ICalendarFrequency::Daily => TimeDelta::days(1),
        ICalendarFrequency::Hourly => TimeDelta::hours(1),
        ICalendarFrequency::Minutely => TimeDelta::minutes(1),
        ICalendarFrequency::Secondly => TimeDelta::seconds(1),
    };
    unit * i32::from(rule.interval.unwrap_or(1).max(1))
}

/// Whether the rule's occurrences from a start moved on by whole periods
/// (`step`) are exactly its original occurrences from there on. They are when
/// the periods are plain (days, weeks or shorter, without COUNT, which counts
/// from the first occurrence) and every BY part either expands within a
/// period (BYDAY of a weekly rule, BYHOUR, BYMINUTE, BYSECOND; not BYSETPOS) or
/// limits by absolute dates (BYMONTH; BYMONTHDAY, BYYEARDAY and BYDAY of a
/// daily or shorter rule); the defaults taken from DTSTART (its weekday, its
/// time of day) do not change either. Monthly and yearly rules are left alone:
/// their periods are not all alike, and they have few occurrences anyway.
fn skippable(rule: &ICalendarRecurrenceRule) -> bool {
    // BYSETPOS picks from a period's whole set; the first period after a
    // moved start is cut at the start, so its pick may differ.
    if rule.count.is_some()
        || !rule.byweekno.is_empty()
        || !rule.bysetpos.is_empty()
        || rule.byday.iter().any(|day| day.ordwk.is_some())
    {
        return false;
    }
    match rule.freq {
        ICalendarFrequency::Yearly | ICalendarFrequency::Monthly => false,
        ICalendarFrequency::Weekly => rule.bymonthday.is_empty() && rule.byyearday.is_empty(),
        ICalendarFrequency::Daily
        | ICalendarFrequency::Hourly
        | ICalendarFrequency::Minutely
        | ICalendarFrequency::Secondly => true,
    }
}

#[cfg(test)]
mod tests;
