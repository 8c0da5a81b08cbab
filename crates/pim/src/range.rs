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

use crate::item::{Item, ItemKind};
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
        if self.kind() == ItemKind::Contact {
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
struct Range {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// How a wall-clock time is tied to an instant.
#[derive(Debug, Clone, Copy)]
enum Zone {
    /// No zone: a floating time or a date. Read as UTC.
    Floating,
    /// A UTC time (`Z`) or an explicit offset.
    Fixed(FixedOffset),
    /// A time zone named by TZID.
    Named(Tz),
}

impl Zone {
    /// The instant a wall-clock time stands for; `None` only on overflow.
    fn to_utc(self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
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
struct Stamp {
    local: NaiveDateTime,
    /// A DATE value (an all-day value), not a DATE-TIME.
    date: bool,
    zone: Zone,
}

impl Stamp {
    fn utc(self) -> Option<DateTime<Utc>> {
        self.zone.to_utc(self.local)
    }
}

/// A length as iCalendar counts it: nominal days (wall-clock days, which may
/// be 23 or 25 hours long) plus exact seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Length {
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
enum Kind {
    Event,
    Todo,
    Journal,
}

/// The end an RDATE period gives.
#[derive(Debug, Clone, Copy)]
enum PeriodEnd {
    At(Stamp),
    After(Length),
}

/// The time-related properties of one VEVENT, VTODO or VJOURNAL.
struct Component<'a> {
    kind: Kind,
    start: Option<Stamp>,
    end: Option<Stamp>,
    duration: Option<Length>,
    due: Option<Stamp>,
    completed: Option<Stamp>,
    created: Option<Stamp>,
    rules: Vec<&'a ICalendarRecurrenceRule>,
    rdates: Vec<(Stamp, Option<PeriodEnd>)>,
    exdates: Vec<DateTime<Utc>>,
    recurrence_id: Option<Stamp>,
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
    fn read(
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
    fn meets(
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
fn stamp(value: &PartialDateTime, tzid: Option<&str>, zones: &TzResolver<&str>) -> Option<Stamp> {
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
/// period (BYDAY of a weekly rule, BYHOUR, BYMINUTE, BYSECOND, BYSETPOS) or
/// limits by absolute dates (BYMONTH; BYMONTHDAY, BYYEARDAY and BYDAY of a
/// daily or shorter rule); the defaults taken from DTSTART (its weekday, its
/// time of day) do not change either. Monthly and yearly rules are left alone:
/// their periods are not all alike, and they have few occurrences anyway.
fn skippable(rule: &ICalendarRecurrenceRule) -> bool {
    if rule.count.is_some()
        || !rule.byweekno.is_empty()
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .with_timezone(&Utc)
    }

    /// A calendar object from components written with `\n` line ends.
    fn calendar(components: &str) -> Item {
        let body = format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{components}END:VCALENDAR\n"
        )
        .replace('\n', "\r\n");
        Item::parse(body).unwrap()
    }

    fn event(props: &str) -> Item {
        calendar(&format!(
            "BEGIN:VEVENT\nUID:e@x\nDTSTAMP:20260101T000000Z\n{props}\nEND:VEVENT\n"
        ))
    }

    fn todo(props: &str) -> Item {
        calendar(&format!(
            "BEGIN:VTODO\nUID:t@x\nDTSTAMP:20260101T000000Z\n{props}\nEND:VTODO\n"
        ))
    }

    fn meets(item: &Item, start: &str, end: &str) -> bool {
        item.meets_time_range(t(start), t(end))
    }

    const NEW_YORK: &str = "BEGIN:VTIMEZONE\nTZID:America/New_York\nBEGIN:DAYLIGHT\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT\nDTSTART:19700308T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nEND:DAYLIGHT\nBEGIN:STANDARD\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST\nDTSTART:19701101T020000\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nEND:STANDARD\nEND:VTIMEZONE\n";

    #[test]
    fn timed_event_edges() {
        let e = event("DTSTART:20260105T100000Z\nDTEND:20260105T110000Z");
        assert!(meets(&e, "2026-01-05T10:30:00Z", "2026-01-05T10:45:00Z"));
        assert!(meets(&e, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"));
        assert!(meets(&e, "2026-01-05T09:00:00Z", "2026-01-05T10:00:01Z"));
        assert!(meets(&e, "2026-01-05T10:59:59Z", "2026-01-05T12:00:00Z"));
        // The range ends where the event starts, or starts where it ends.
        assert!(!meets(&e, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"));
        assert!(!meets(&e, "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z"));
        assert!(!meets(&e, "2025-01-01T00:00:00Z", "2025-12-31T00:00:00Z"));
        // Empty and inverted ranges hold nothing.
        assert!(!meets(&e, "2026-01-05T10:30:00Z", "2026-01-05T10:30:00Z"));
        assert!(!meets(&e, "2026-01-06T00:00:00Z", "2026-01-01T00:00:00Z"));
        // Open ends.
        assert!(e.meets_time_range(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC));
        assert!(!e.meets_time_range(DateTime::<Utc>::MIN_UTC, t("2026-01-05T10:00:00Z")));
        assert!(!e.meets_time_range(t("2026-01-05T11:00:00Z"), DateTime::<Utc>::MAX_UTC));
    }

    #[test]
    fn all_day_event() {
        let e = event("DTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:20260107");
        assert!(meets(&e, "2026-01-06T23:00:00Z", "2026-01-08T00:00:00Z"));
        assert!(meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:01Z"));
        assert!(!meets(&e, "2026-01-07T00:00:00Z", "2026-01-08T00:00:00Z"));
        assert!(!meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"));
    }

    #[test]
    fn event_without_end() {
        // A date: one day.
        let day = event("DTSTART;VALUE=DATE:20260105");
        assert!(meets(&day, "2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z"));
        assert!(meets(&day, "2026-01-05T23:59:59Z", "2026-01-07T00:00:00Z"));
        assert!(!meets(&day, "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"));
        // A date-time: an instant, in the range when start <= DTSTART < end.
        let instant = event("DTSTART:20260105T100000Z");
        assert!(meets(
            &instant,
            "2026-01-05T10:00:00Z",
            "2026-01-05T10:00:01Z"
        ));
        assert!(!meets(
            &instant,
            "2026-01-05T09:00:00Z",
            "2026-01-05T10:00:00Z"
        ));
        assert!(!meets(
            &instant,
            "2026-01-05T10:00:01Z",
            "2026-01-05T12:00:00Z"
        ));
        // DTEND equal to DTSTART: an instant as well.
        let zero = event("DTSTART:20260105T100000Z\nDTEND:20260105T100000Z");
        assert!(meets(&zero, "2026-01-05T10:00:00Z", "2026-01-05T10:00:01Z"));
        assert!(!meets(
            &zero,
            "2026-01-05T09:00:00Z",
            "2026-01-05T10:00:00Z"
        ));
    }

    #[test]
    fn duration() {
        let e = event("DTSTART:20260105T100000Z\nDURATION:PT2H");
        assert!(meets(&e, "2026-01-05T11:30:00Z", "2026-01-05T11:31:00Z"));
        assert!(!meets(&e, "2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z"));
        let days = event("DTSTART;VALUE=DATE:20260105\nDURATION:P1W");
        assert!(meets(&days, "2026-01-11T23:00:00Z", "2026-01-12T00:00:00Z"));
        assert!(!meets(
            &days,
            "2026-01-12T00:00:00Z",
            "2026-01-13T00:00:00Z"
        ));
        let zero = event("DTSTART:20260105T100000Z\nDURATION:PT0S");
        assert!(meets(&zero, "2026-01-05T10:00:00Z", "2026-01-05T10:00:01Z"));
        assert!(!meets(
            &zero,
            "2026-01-05T09:00:00Z",
            "2026-01-05T10:00:00Z"
        ));
    }

    #[test]
    fn time_zone_from_vtimezone() {
        // 23:30 in New York on 4 January is 04:30 UTC on the 5th.
        let e = calendar(&format!(
            "{NEW_YORK}BEGIN:VEVENT\nUID:e@x\nDTSTART;TZID=America/New_York:20260104T233000\nDTEND;TZID=America/New_York:20260105T000000\nEND:VEVENT\n"
        ));
        assert!(meets(&e, "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"));
        assert!(meets(&e, "2026-01-05T04:59:00Z", "2026-01-05T06:00:00Z"));
        assert!(!meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"));
        assert!(!meets(&e, "2026-01-05T05:00:00Z", "2026-01-06T00:00:00Z"));
    }

    #[test]
    fn vtimezone_with_vendor_or_windows_name() {
        for tzid in [
            "/citadel.org/20190914_1/America/New_York",
            "Eastern Standard Time",
        ] {
            let e = calendar(&format!(
                "BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:STANDARD\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nDTSTART:19701101T020000\nEND:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:e@x\nDTSTART;TZID=\"{tzid}\":20260104T233000\nDURATION:PT30M\nEND:VEVENT\n"
            ));
            assert!(
                meets(&e, "2026-01-05T04:00:00Z", "2026-01-05T05:00:00Z"),
                "{tzid}"
            );
            assert!(
                !meets(&e, "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"),
                "{tzid}"
            );
        }
    }

    #[test]
    fn iana_time_zone_without_vtimezone() {
        // 01:30 on 1 July in Berlin (summer time, UTC+2) is 23:30 UTC on 30 June.
        let e = event(
            "DTSTART;TZID=Europe/Berlin:20260701T013000\nDTEND;TZID=Europe/Berlin:20260701T020000",
        );
        assert!(meets(&e, "2026-06-30T00:00:00Z", "2026-07-01T00:00:00Z"));
        assert!(!meets(&e, "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"));
    }

    #[test]
    fn wall_clock_time_in_a_dst_gap() {
        // 02:30 on 8 March 2026 does not exist in New York: read with the
        // offset before the gap (EST), 07:30 UTC.
        let e = event("DTSTART;TZID=America/New_York:20260308T023000");
        assert!(meets(&e, "2026-03-08T07:30:00Z", "2026-03-08T07:31:00Z"));
        assert!(!meets(&e, "2026-03-08T06:00:00Z", "2026-03-08T07:30:00Z"));
    }

    #[test]
    fn floating_time_reads_as_utc() {
        let e = event("DTSTART:20260105T100000\nDTEND:20260105T110000");
        assert!(meets(&e, "2026-01-05T10:30:00Z", "2026-01-05T10:31:00Z"));
        assert!(!meets(&e, "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z"));
    }

    #[test]
    fn weekly_series_started_years_ago() {
        // Mondays 10:00-11:00 UTC since 7 January 2019, without end.
        let e = event("DTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY");
        assert!(meets(&e, "2026-03-02T10:30:00Z", "2026-03-02T10:45:00Z"));
        assert!(meets(&e, "2040-01-01T00:00:00Z", "2040-01-08T00:00:00Z"));
        // Between two occurrences.
        assert!(!meets(&e, "2026-03-02T11:00:00Z", "2026-03-09T10:00:00Z"));
        // Before the series.
        assert!(!meets(&e, "2018-01-01T00:00:00Z", "2019-01-07T10:00:00Z"));
    }

    #[test]
    fn weekly_series_in_a_time_zone_keeps_wall_clock_time() {
        // Thursdays 10:00-11:00 in Berlin: 09:00 UTC in winter, 08:00 in summer.
        let e = event(
            "DTSTART;TZID=Europe/Berlin:20200102T100000\nDTEND;TZID=Europe/Berlin:20200102T110000\nRRULE:FREQ=WEEKLY;BYDAY=TH",
        );
        assert!(meets(&e, "2026-07-02T08:00:00Z", "2026-07-02T08:01:00Z"));
        assert!(!meets(&e, "2026-07-02T09:00:00Z", "2026-07-02T12:00:00Z"));
        assert!(meets(&e, "2026-01-08T09:30:00Z", "2026-01-08T09:31:00Z"));
        assert!(!meets(&e, "2026-01-08T08:00:00Z", "2026-01-08T09:00:00Z"));
    }

    #[test]
    fn series_with_until() {
        let e = event(
            "DTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z",
        );
        assert!(!meets(&e, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"));
        assert!(!meets(&e, "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"));
        // 30 December 2019 was its last Monday.
        assert!(meets(&e, "2019-12-30T10:00:00Z", "2019-12-30T10:01:00Z"));
    }

    #[test]
    fn until_is_an_instant_east_of_greenwich() {
        // Daily at 10:00 in Berlin (09:00 UTC) until 10 January, 09:00 UTC: the
        // occurrence of the 10th is the last one.
        let e = event(
            "DTSTART;TZID=Europe/Berlin:20260105T100000\nDTEND;TZID=Europe/Berlin:20260105T103000\nRRULE:FREQ=DAILY;UNTIL=20260110T090000Z",
        );
        assert!(meets(&e, "2026-01-10T09:00:00Z", "2026-01-10T09:10:00Z"));
        assert!(!meets(&e, "2026-01-10T12:00:00Z", "2026-02-01T00:00:00Z"));
    }

    #[test]
    fn series_with_count() {
        // Ten days: 1 to 10 January.
        let e =
            event("DTSTART:20260101T100000Z\nDTEND:20260101T110000Z\nRRULE:FREQ=DAILY;COUNT=10");
        assert!(meets(&e, "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"));
        assert!(!meets(&e, "2026-01-11T00:00:00Z", "2026-02-01T00:00:00Z"));
        assert!(!meets(&e, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"));
    }

    #[test]
    fn exdate_removes_the_only_occurrence_in_range() {
        let series = "DTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY";
        let (start, end) = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z");
        assert!(meets(&event(series), start, end));
        let e = event(&format!(
            "{series}\nEXDATE:20260223T100000Z,20260302T100000Z"
        ));
        assert!(!meets(&e, start, end));
        assert!(meets(&e, "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z"));
        // EXDATE in the series' time zone.
        let zoned = event(
            "DTSTART;TZID=Europe/Berlin:20190107T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEXDATE;TZID=Europe/Berlin:20260302T100000",
        );
        assert!(!meets(&zoned, start, end));
    }

    #[test]
    fn override_moved_into_the_range() {
        // A series over before 2026, one of its instances moved into March 2026.
        let e = calendar(
            "BEGIN:VEVENT\nUID:s@x\nDTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20191230T100000Z\nDTSTART:20260302T100000Z\nDTEND:20260302T110000Z\nEND:VEVENT\n",
        );
        assert!(meets(&e, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"));
        assert!(!meets(&e, "2026-03-03T00:00:00Z", "2026-04-01T00:00:00Z"));
        // The moved instance is no longer at its old place.
        assert!(!meets(&e, "2019-12-30T00:00:00Z", "2019-12-31T00:00:00Z"));
        assert!(meets(&e, "2019-12-23T00:00:00Z", "2019-12-24T00:00:00Z"));
        // A series starting after the range, with an instance moved into it.
        let later = calendar(
            "BEGIN:VEVENT\nUID:s@x\nDTSTART:20300107T100000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20300114T100000Z\nDTSTART:20260302T100000Z\nDURATION:PT1H\nEND:VEVENT\n",
        );
        assert!(meets(
            &later,
            "2026-03-02T00:00:00Z",
            "2026-03-03T00:00:00Z"
        ));
        assert!(!meets(
            &later,
            "2026-03-03T00:00:00Z",
            "2027-01-01T00:00:00Z"
        ));
    }

    #[test]
    fn override_moved_out_of_the_range() {
        // The instance of 2 March 2026 moved to June.
        let e = calendar(
            "BEGIN:VEVENT\nUID:s@x\nDTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20260302T100000Z\nDTSTART:20260601T120000Z\nDTEND:20260601T130000Z\nEND:VEVENT\n",
        );
        assert!(!meets(&e, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"));
        // Other occurrences still meet a longer range.
        assert!(meets(&e, "2026-03-02T00:00:00Z", "2026-03-10T00:00:00Z"));
        // An override without DTEND keeps the series' hour.
        let no_end = calendar(
            "BEGIN:VEVENT\nUID:s@x\nDTSTART:20190107T100000Z\nDTEND:20190107T110000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20260302T100000Z\nDTSTART:20260302T120000Z\nEND:VEVENT\n",
        );
        assert!(meets(
            &no_end,
            "2026-03-02T12:30:00Z",
            "2026-03-02T13:00:00Z"
        ));
        assert!(!meets(
            &no_end,
            "2026-03-02T09:00:00Z",
            "2026-03-02T12:00:00Z"
        ));
    }

    #[test]
    fn rdate() {
        let e = event(
            "DTSTART:20200101T100000Z\nDTEND:20200101T110000Z\nRDATE:20260302T100000Z\nRDATE;VALUE=PERIOD:20260401T100000Z/PT5H",
        );
        assert!(meets(&e, "2026-03-02T10:30:00Z", "2026-03-02T10:31:00Z"));
        assert!(!meets(&e, "2026-03-02T11:00:00Z", "2026-03-03T00:00:00Z"));
        // The period's own length.
        assert!(meets(&e, "2026-04-01T14:00:00Z", "2026-04-01T14:01:00Z"));
        assert!(!meets(&e, "2026-04-01T15:00:00Z", "2026-04-02T00:00:00Z"));
        // RDATE with an RRULE, removed by EXDATE.
        let both = event(
            "DTSTART:20200101T100000Z\nDURATION:PT1H\nRRULE:FREQ=YEARLY;COUNT=2\nRDATE:20260302T100000Z\nEXDATE:20260302T100000Z",
        );
        assert!(!meets(
            &both,
            "2026-03-02T00:00:00Z",
            "2026-03-03T00:00:00Z"
        ));
        assert!(meets(&both, "2021-01-01T10:00:00Z", "2021-01-01T10:01:00Z"));
    }

    #[test]
    fn yearly_and_monthly_series() {
        // A birthday since 1980.
        let birthday = event("DTSTART;VALUE=DATE:19800314\nRRULE:FREQ=YEARLY");
        assert!(meets(
            &birthday,
            "2026-03-14T12:00:00Z",
            "2026-03-14T13:00:00Z"
        ));
        assert!(!meets(
            &birthday,
            "2026-03-15T00:00:00Z",
            "2027-03-14T00:00:00Z"
        ));
        // The last Friday of each month: 27 March 2026.
        let friday =
            event("DTSTART:20200131T150000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;BYDAY=-1FR");
        assert!(meets(
            &friday,
            "2026-03-27T15:00:00Z",
            "2026-03-27T15:01:00Z"
        ));
        assert!(!meets(
            &friday,
            "2026-03-01T00:00:00Z",
            "2026-03-27T15:00:00Z"
        ));
    }

    #[test]
    fn daily_series_with_weekdays_and_interval() {
        // Every second day, on weekdays only, 08:00 UTC, from Monday 6 January 2020:
        // the pattern repeats every two weeks.
        let e = event(
            "DTSTART:20200106T080000Z\nDURATION:PT15M\nRRULE:FREQ=DAILY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR",
        );
        // 6 January 2020 + 2274 days (an even number) = Friday 27 March 2026.
        assert!(meets(&e, "2026-03-27T08:00:00Z", "2026-03-27T08:01:00Z"));
        // Sunday 29 March is on the pattern but a weekend, Saturday 28 is off the pattern.
        assert!(!meets(&e, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"));
        assert!(!meets(&e, "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z"));
        assert!(meets(&e, "2026-03-31T00:00:00Z", "2026-04-01T00:00:00Z"));
    }

    #[test]
    fn too_many_occurrences_is_a_yes() {
        // Every minute of every January, counted from 2000 (so no skipping
        // ahead): nothing in June, but proving it would take millions of
        // occurrences.
        let e = event("DTSTART:20000101T000000Z\nRRULE:FREQ=MINUTELY;BYMONTH=1;COUNT=100000000");
        assert!(meets(&e, "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
        // Its beginning is still seen exactly.
        assert!(!meets(&e, "1999-06-01T00:00:00Z", "1999-06-02T00:00:00Z"));
        assert!(meets(&e, "2000-01-03T10:00:00Z", "2000-01-03T10:00:01Z"));
        // Without COUNT the periods before the range are skipped: exact again.
        let skipped = event("DTSTART:20000101T000000Z\nRRULE:FREQ=MINUTELY;BYMONTH=1");
        assert!(!meets(
            &skipped,
            "2026-06-01T00:00:00Z",
            "2026-06-02T00:00:00Z"
        ));
        assert!(meets(
            &skipped,
            "2026-01-31T23:59:00Z",
            "2026-02-01T00:00:00Z"
        ));
    }

    #[test]
    fn todo_table() {
        // DUE alone: start < DUE and end >= DUE.
        let due = todo("DUE:20260105T100000Z");
        assert!(meets(&due, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"));
        assert!(!meets(&due, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"));
        assert!(!meets(&due, "2026-01-05T08:00:00Z", "2026-01-05T09:59:59Z"));
        // DTSTART and DURATION.
        let dur = todo("DTSTART:20260105T100000Z\nDURATION:PT1H");
        assert!(meets(&dur, "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z"));
        assert!(meets(&dur, "2026-01-05T09:00:00Z", "2026-01-05T10:00:01Z"));
        assert!(!meets(&dur, "2026-01-05T11:00:01Z", "2026-01-05T12:00:00Z"));
        assert!(!meets(&dur, "2026-01-05T08:00:00Z", "2026-01-05T10:00:00Z"));
        // DTSTART and DUE.
        let span = todo("DTSTART:20260105T100000Z\nDUE:20260106T100000Z");
        assert!(meets(&span, "2026-01-05T20:00:00Z", "2026-01-05T21:00:00Z"));
        assert!(!meets(
            &span,
            "2026-01-06T10:00:00Z",
            "2026-01-07T00:00:00Z"
        ));
        // DTSTART alone.
        let start = todo("DTSTART:20260105T100000Z");
        assert!(meets(
            &start,
            "2026-01-05T10:00:00Z",
            "2026-01-05T10:00:01Z"
        ));
        assert!(!meets(
            &start,
            "2026-01-05T10:00:01Z",
            "2026-01-06T00:00:00Z"
        ));
        // COMPLETED alone: start <= COMPLETED <= end.
        let done = todo("COMPLETED:20260105T100000Z");
        assert!(meets(&done, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"));
        assert!(meets(&done, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"));
        assert!(!meets(
            &done,
            "2026-01-05T10:00:01Z",
            "2026-01-05T11:00:00Z"
        ));
        // CREATED alone: start <= CREATED < end.
        let made = todo("CREATED:20260105T100000Z");
        assert!(meets(&made, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"));
        assert!(!meets(
            &made,
            "2026-01-05T09:00:00Z",
            "2026-01-05T10:00:00Z"
        ));
        // CREATED and COMPLETED.
        let both = todo("CREATED:20260101T000000Z\nCOMPLETED:20260110T000000Z");
        assert!(meets(&both, "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"));
        assert!(!meets(
            &both,
            "2026-01-10T00:00:01Z",
            "2026-02-01T00:00:00Z"
        ));
        // None of them: always.
        let none = todo("SUMMARY:someday");
        assert!(meets(&none, "1990-01-01T00:00:00Z", "1990-01-02T00:00:00Z"));
        // A recurring task: DUE moves with each instance.
        let weekly = todo("DTSTART:20200106T090000Z\nDUE:20200106T170000Z\nRRULE:FREQ=WEEKLY");
        assert!(meets(
            &weekly,
            "2026-03-02T16:00:00Z",
            "2026-03-02T16:01:00Z"
        ));
        assert!(!meets(
            &weekly,
            "2026-03-02T17:00:00Z",
            "2026-03-09T09:00:00Z"
        ));
    }

    #[test]
    fn journals() {
        let dated =
            calendar("BEGIN:VJOURNAL\nUID:j@x\nDTSTART;VALUE=DATE:20260105\nEND:VJOURNAL\n");
        assert!(meets(
            &dated,
            "2026-01-05T20:00:00Z",
            "2026-01-05T21:00:00Z"
        ));
        assert!(!meets(
            &dated,
            "2026-01-06T00:00:00Z",
            "2026-01-07T00:00:00Z"
        ));
        // Without DTSTART: kept (the RFC would say never).
        let undated = calendar("BEGIN:VJOURNAL\nUID:j@x\nSUMMARY:note\nEND:VJOURNAL\n");
        assert!(meets(
            &undated,
            "2026-01-05T00:00:00Z",
            "2026-01-06T00:00:00Z"
        ));
    }

    #[test]
    fn contacts_always_meet() {
        let card =
            Item::parse("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c\r\nFN:Ann\r\nEND:VCARD\r\n").unwrap();
        assert!(meets(&card, "1990-01-01T00:00:00Z", "1990-01-02T00:00:00Z"));
        assert!(meets(&card, "1990-01-02T00:00:00Z", "1990-01-01T00:00:00Z"));
    }

    #[test]
    fn what_cannot_be_understood_meets() {
        let far = ("1990-01-01T00:00:00Z", "1990-01-02T00:00:00Z");
        for props in [
            "DTSTART;TZID=Mars/Olympus_Mons:20260105T100000",
            "DTSTART:20260105T100000Z\nDTEND:soon",
            "DTSTART:tomorrow",
            "SUMMARY:no start",
            "DTSTART:20260105T100000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260105T100000Z",
            "DTSTART:20260105T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=XX",
        ] {
            assert!(meets(&event(props), far.0, far.1), "{props}");
        }
        // A TZID on an EXDATE counts too: the item cannot be read exactly.
        let e = event(
            "DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY\nEXDATE;TZID=Nowhere:20260106T100000",
        );
        assert!(meets(&e, far.0, far.1));
    }

    fn overlap(s: i64, e: i64, a: i64, b: i64) -> bool {
        if e > s {
            a < e && b > s
        } else {
            a <= s && b > s
        }
    }

    fn stamp_z(secs: i64) -> String {
        DateTime::from_timestamp(secs, 0)
            .unwrap()
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    }

    proptest! {
        /// A single timed event meets a range exactly when the intervals
        /// overlap (an instant when it has no length). Times fall on a coarse
        /// grid so that edges coincide often.
        #[test]
        fn single_event_is_interval_overlap(
            s in 0i64..400, len in 0i64..40, a in 0i64..450, width in 1i64..60, grid in prop::sample::select(vec![1i64, 900, 86_400]),
        ) {
            let base = 1_767_225_600; // 2026-01-01T00:00:00Z
            let (s, e, a) = (base + s * grid, base + (s + len) * grid, base + a * grid);
            let b = a + width * grid;
            let item = event(&format!("DTSTART:{}\nDTEND:{}", stamp_z(s), stamp_z(e)));
            let (start, end) = (DateTime::from_timestamp(a, 0).unwrap(), DateTime::from_timestamp(b, 0).unwrap());
            prop_assert_eq!(item.meets_time_range(start, end), overlap(s, e, a, b));
        }

        /// Daily and weekly series started years before the range (expanded
        /// from a later start) agree with calcard's plain expansion from the
        /// first occurrence, BY parts included.
        #[test]
        fn series_agrees_with_full_expansion(
            weekly in any::<bool>(),
            interval in 1u8..4,
            days in prop::sample::subsequence(vec!["MO", "TU", "WE", "TH", "FR", "SA", "SU"], 0..4),
            set_pos in prop::sample::select(vec![0i8, 0, 1, -1]),
            months in prop::sample::subsequence((1u8..=12).collect::<Vec<_>>(), 0..3),
            month_day in prop::sample::select(vec![0i8, 0, 0, 1, 13, -1]),
            berlin in any::<bool>(),
            first_day in 0i64..1500,
            hour in 6u32..18,
            minutes in 15i64..300,
            range_start in 0i64..(500 * 24),
            range_hours in 1i64..(24 * 9),
        ) {
            let first = NaiveDateTime::parse_from_str("2020-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S").unwrap()
                + TimeDelta::days(first_day) + TimeDelta::hours(i64::from(hour));
            let last = first + TimeDelta::minutes(minutes);
            let (zone, suffix) = if berlin { (";TZID=Europe/Berlin", "") } else { ("", "Z") };
            let mut rule = format!("FREQ={};INTERVAL={interval}", if weekly { "WEEKLY" } else { "DAILY" });
            if !days.is_empty() {
                rule.push_str(&format!(";BYDAY={}", days.join(",")));
                if set_pos != 0 {
                    rule.push_str(&format!(";BYSETPOS={set_pos}"));
                }
            }
            if !months.is_empty() {
                let months: Vec<String> = months.iter().map(u8::to_string).collect();
                rule.push_str(&format!(";BYMONTH={}", months.join(",")));
            }
            if !weekly && month_day != 0 {
                rule.push_str(&format!(";BYMONTHDAY={month_day}"));
            }
            let item = event(&format!(
                "DTSTART{zone}:{}{suffix}\nDTEND{zone}:{}{suffix}\nRRULE:{rule}",
                first.format("%Y%m%dT%H%M%S"),
                last.format("%Y%m%dT%H%M%S"),
            ));
            let start = t("2025-01-01T00:00:00Z") + TimeDelta::hours(range_start);
            let end = start + TimeDelta::hours(range_hours);

            let Entry::ICalendar(cal) = calcard::Parser::new(item.body()).entry() else { unreachable!() };
            // Expand until past the range (or the end of the series).
            let mut limit = 64;
            let expanded = loop {
                let expanded = cal.expand_dates(Tz::UTC, limit);
                let past = expanded.events.last().is_none_or(|e| e.start.timestamp() >= end.timestamp());
                if past || expanded.events.len() < limit {
                    break expanded;
                }
                limit *= 2;
            };
            prop_assert!(expanded.errors.is_empty());
            let expected = expanded.events.iter().any(|occurrence| {
                let (s, e) = occurrence.timestamps();
                start.timestamp() < e && end.timestamp() > s
            });
            prop_assert_eq!(item.meets_time_range(start, end), expected, "{}", rule);
        }
    }
}
