//! A `[profiles.NAME]` table checked and resolved: its name, content, mode,
//! safety limit, category filter, sizes, time range, reports and retention,
//! and whether it is inactive; the two stores are `store.rs`'s.

use super::keys::{self, DefaultValue, Key, ValueType};
use super::raw::{DuplicatesOption, RawGeneral, RawProfile, from_table};
use super::source::Source;
use super::store::{ResolvedStore, resolve_store};
use crate::retention::Retention;
use anyhow::Result;
use davsync_pim::ItemKind;
use davsync_sync::mapping::{CalendarOptions, ContactOptions, Reminders, TaskDates, TimeZones};
use davsync_sync::{ConflictPolicy, Mode};
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// What a profile syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Content {
    /// VEVENTs, in `.ics` files.
    Events,
    /// VTODOs, in `.ics` files.
    Tasks,
    /// vCards, in `.vcf` files.
    Contacts,
}

impl Content {
    /// The item kind a profile of this content keeps.
    pub(crate) fn kind(self) -> ItemKind {
        match self {
            Content::Events => ItemKind::Event,
            Content::Tasks => ItemKind::Task,
            Content::Contacts => ItemKind::Contact,
        }
    }

    /// The vdir file extension.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Content::Events | Content::Tasks => "ics",
            Content::Contacts => "vcf",
        }
    }

    /// Its name in the file.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Content::Events => "events",
            Content::Tasks => "tasks",
            Content::Contacts => "contacts",
        }
    }
}

/// A validated profile.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// Its name (safe as a file name).
    pub name: String,
    /// Events, tasks or contacts.
    pub content: Content,
    /// Synchronization mode.
    pub mode: Mode,
    /// Conflict policy (two-way only).
    pub conflicts: ConflictPolicy,
    /// Largest share of a side's items one run may delete, in percent.
    pub max_delete: u8,
    /// The category filter, if any.
    pub category: Option<CategoryOptions>,
    /// The mapping options: scheduling, privacy, descriptions, custom properties.
    pub mapping: CalendarOptions,
    /// Reminders, time zones and task dates of the copies written.
    pub time_options: TimeOptions,
    /// vCard version, IM addresses and group shape (contacts).
    pub contact_options: ContactOptions,
    /// Items read per request (the guide's chunked sync), and per status transaction.
    pub chunk_size: usize,
    /// Items larger than this (bytes) are left alone, each with an error.
    pub max_item_size: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The time-range filter: days back and days ahead of today (calendars;
    /// `None`: every item, whatever its dates).
    pub time_range: Option<(u32, u32)>,
    /// What a run does about duplicate events (events profiles only).
    pub duplicates: davsync_sync::Duplicates,
    /// How long a server's changes since the last run are trusted before a
    /// full listing (`None`: for ever).
    pub full_listing_every: Option<std::time::Duration>,
    /// How many runs in a row may find a server offline and end as skipped.
    pub offline_tolerance: u32,
    /// How often the daemon syncs it (`None`: only after a local change).
    pub interval: Option<std::time::Duration>,
    /// Whether the daemon syncs it after a change in its local folder.
    pub watch: bool,
    /// Which runs keep a report, and how long reports and the trash are kept.
    pub retention: Retention,
    /// Left out of a run that names no profile (`inactive = true`).
    pub inactive: bool,
    /// The local store, with paths resolved.
    pub local: ResolvedStore,
    /// The server store, with paths resolved.
    pub server: ResolvedStore,
}

impl Profile {
    /// Whether this profile and `other` share a folder or a collection:
    /// they must not run at the same time, as each would see the other's
    /// writes half done.
    pub(crate) fn shares_a_store_with(&self, other: &Profile) -> bool {
        let theirs = [other.local.place(), other.server.place()];
        [self.local.place(), self.server.place()]
            .iter()
            .any(|p| theirs.contains(p))
    }
}

/// The category filter's settings.
#[derive(Debug, Clone)]
pub(crate) struct CategoryOptions {
    /// The category.
    pub name: String,
    /// Also own items without any category.
    pub include_uncategorized: bool,
    /// Own everything except the category.
    pub negate: bool,
    /// Keep items synced before that no longer carry the category.
    pub sticky: bool,
}

/// The mapping options: reminders, time zones, task dates (events and tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeOptions {
    /// Alarms kept in the copies written to the server.
    pub reminders_to_server: Reminders,
    /// Alarms kept in the copies written to the local folder.
    pub reminders_to_local: Reminders,
    /// Time zones of the copies written to the server.
    pub timezones: TimeZones,
    /// Generated VTIMEZONEs with their full history.
    pub timezone_history: bool,
    /// Task dates of the copies written to the server.
    pub task_dates: TaskDates,
}

/// The guide's default time range for calendars: 60 days back, 365 ahead.
const DEFAULT_TIME_RANGE: (u32, u32) = match keys::TIME_RANGE.default {
    DefaultValue::TimeRange {
        past_days,
        future_days,
    } => (past_days, future_days),
    _ => panic!("time_range's default is a time range"),
};

/// The most days `time_range` may reach either way.
const MAX_DAYS: u32 = match keys::TIME_RANGE.value {
    ValueType::TimeRange { max_days } => max_days,
    _ => panic!("time_range's type is a time range"),
};

/// Checks and resolves the profile `name` (`span`: the name's, in its table header).
pub(super) fn resolve_profile(
    name: String,
    span: Range<usize>,
    raw: RawProfile,
    general: &GeneralDefaults,
    src: &Source<'_>,
) -> Result<Profile> {
    if !valid_profile_name(&name) {
        return Err(src.error(
            span,
            &format!("profiles.{name}"),
            "a profile name may hold only letters, digits, `-`, `_` and `.`, and may not start with `.`",
        ));
    }
    let key = |k: &str| format!("profiles.{name}.{k}");
    let max_delete = *raw.max_delete.get_ref();
    let (min, max) = keys::MAX_DELETE.bounds();
    if !(min..=max).contains(&max_delete) {
        return Err(src.error(
            raw.max_delete.span(),
            &key("max_delete"),
            format!("{max_delete} is not a percentage from {min} to {max}"),
        ));
    }
    let category =
        category_of(&raw, &span).map_err(|(at, k, message)| src.error(at, &key(k), message))?;
    let mapping = super::mapping::mapping_of(&raw)
        .map_err(|(at, k, message)| src.error(at, &key(k), message))?;
    let time_options =
        time_options_of(&raw).map_err(|(at, k, message)| src.error(at, &key(k), message))?;
    let contact_options = super::contacts::contact_options_of(&raw)
        .map_err(|(at, k, message)| src.error(at, &key(k), message))?;
    let bounded = |value: Option<Spanned<i64>>, k: &Key| {
        bounded(value, k).map_err(|(at, message)| src.error(at, &key(k.name), message))
    };
    let chunk_size = bounded(raw.chunk_size, &keys::CHUNK_SIZE)?;
    let max_item_size =
        bounded(raw.max_item_size_mib, &keys::MAX_ITEM_SIZE_MIB)? as u64 * 1024 * 1024;
    let concurrency = bounded(raw.concurrency, &keys::CONCURRENCY)?;
    let offline_tolerance = match raw.offline_tolerance {
        Some(given) => bounded(Some(given), &keys::OFFLINE_TOLERANCE)? as u32,
        None => general.offline_tolerance,
    };
    let interval = match &raw.interval {
        Some(text) => super::duration::parse(text.get_ref())
            .map_err(|message| src.error(text.span(), &key(keys::INTERVAL.name), message))?,
        None => general.interval,
    };
    let watch = raw.watch.unwrap_or(general.watch);
    let days = |given: Option<Spanned<i64>>, k: &Key, inherited: Option<u32>| match given {
        Some(given) => bounded(Some(given), k).map(Retention::days),
        None => Ok(inherited),
    };
    let retention = Retention {
        reports: raw.reports.unwrap_or(general.retention.reports),
        report_days: days(
            raw.report_retention_days,
            &keys::REPORT_RETENTION_DAYS,
            general.retention.report_days,
        )?,
        trash_days: days(
            raw.trash_retention_days,
            &keys::TRASH_RETENTION_DAYS,
            general.retention.trash_days,
        )?,
    };
    let time_range = time_range_of(raw.time_range, raw.content)
        .map_err(|(at, message)| src.error(at, &key("time_range"), message))?;
    let full_listing_every = match &raw.full_listing_interval {
        None => super::duration::parse(keys::FULL_LISTING_INTERVAL.str_default())
            .expect("the table's default reads"),
        Some(text) => super::duration::parse(text.get_ref()).map_err(|message| {
            src.error(text.span(), &key(keys::FULL_LISTING_INTERVAL.name), message)
        })?,
    };
    let duplicates = duplicates_of(raw.duplicates.as_ref(), raw.content)
        .map_err(|(at, message)| src.error(at, &key(keys::DUPLICATES.name), message))?;
    let local = resolve_store(raw.local, "local", raw.content, &key, src)?;
    let server = resolve_store(raw.server, "server", raw.content, &key, src)?;
    if let (ResolvedStore::Vdir { path: l }, ResolvedStore::Vdir { path: s }) = (&local, &server) {
        // Compare real folders where they exist (symlinks, `..`).
        let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if real(l) == real(s) {
            return Err(src.error(
                span,
                &key("server.path"),
                format!("local and server are the same folder ({})", l.display()),
            ));
        }
    }
    Ok(Profile {
        name,
        content: raw.content,
        mode: raw.mode,
        conflicts: raw.conflicts,
        max_delete: max_delete as u8,
        category,
        mapping,
        time_options,
        contact_options,
        chunk_size,
        max_item_size,
        concurrency,
        time_range,
        duplicates,
        full_listing_every,
        offline_tolerance,
        interval,
        watch,
        retention,
        inactive: raw.inactive,
        local,
        server,
    })
}

/// What `[general]` sets for every profile that does not set it itself.
#[derive(Debug, Clone)]
pub(super) struct GeneralDefaults {
    /// `offline_tolerance`.
    pub(super) offline_tolerance: u32,
    /// `interval`.
    pub(super) interval: Option<std::time::Duration>,
    /// `watch`.
    pub(super) watch: bool,
    /// `reports`, `report_retention_days`, `trash_retention_days`.
    pub(super) retention: Retention,
}

impl GeneralDefaults {
    /// Reads the profile keys of `[general]` (errors name `general.KEY`).
    pub(super) fn of(general: &RawGeneral, src: &Source<'_>) -> Result<GeneralDefaults> {
        let offline_tolerance =
            bounded(general.offline_tolerance.clone(), &keys::OFFLINE_TOLERANCE)
                .map_err(|(at, message)| src.error(at, "general.offline_tolerance", message))?;
        let interval = match &general.interval {
            Some(text) => super::duration::parse(text.get_ref())
                .map_err(|message| src.error(text.span(), "general.interval", message))?,
            None => super::duration::parse(keys::INTERVAL.str_default())
                .expect("the table's default reads"),
        };
        let days = |value: &Option<Spanned<i64>>, key: &Key| {
            bounded(value.clone(), key)
                .map(Retention::days)
                .map_err(|(at, message)| src.error(at, &format!("general.{}", key.name), message))
        };
        Ok(GeneralDefaults {
            offline_tolerance: offline_tolerance as u32,
            interval,
            watch: general.watch.unwrap_or(keys::WATCH.bool_default()),
            retention: Retention {
                reports: general
                    .reports
                    .unwrap_or_else(|| from_table(&keys::REPORTS)),
                report_days: days(&general.report_retention_days, &keys::REPORT_RETENTION_DAYS)?,
                trash_days: days(&general.trash_retention_days, &keys::TRASH_RETENTION_DAYS)?,
            },
        })
    }
}

/// What `[general]` sets for the program as a whole.
#[derive(Debug, Clone)]
pub(crate) struct General {
    /// Profiles the daemon syncs at once.
    pub max_parallel: usize,
    /// How long a run waits for another run of its profile.
    pub lock_wait: std::time::Duration,
    /// The log file and its level, if one is wanted.
    pub log: Option<LogFile>,
}

/// `log_file` and `log_level`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogFile {
    /// The file as named (the date goes into its name).
    pub path: std::path::PathBuf,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
}

impl General {
    /// Reads `[general]`'s own keys (errors name `general.KEY`).
    pub(super) fn of(general: &RawGeneral, src: &Source<'_>) -> Result<General> {
        let read = |value: &Option<Spanned<i64>>, key: &Key| {
            bounded(value.clone(), key)
                .map_err(|(at, message)| src.error(at, &format!("general.{}", key.name), message))
        };
        let level = match &general.log_level {
            None => keys::LOG_LEVEL.str_default().to_string(),
            Some(level) => {
                let levels = keys::LOG_LEVELS;
                if !levels.contains(&level.get_ref().as_str()) {
                    return Err(src.error(
                        level.span(),
                        "general.log_level",
                        format!(
                            "{:?} is not a level: one of {}",
                            level.get_ref(),
                            levels.join(", ")
                        ),
                    ));
                }
                level.get_ref().clone()
            }
        };
        let log = general.log_file.as_ref().map(|file| LogFile {
            path: src.resolve(file.get_ref()),
            level,
        });
        Ok(General {
            log,
            max_parallel: read(&general.max_parallel, &keys::MAX_PARALLEL)?,
            lock_wait: std::time::Duration::from_secs(read(
                &general.lock_wait_seconds,
                &keys::LOCK_WAIT_SECONDS,
            )? as u64),
        })
    }
}

/// Profile names become file names: keep them plain.
pub(crate) fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A message about a key of the profile: its span, the key, the message.
type KeyError = (Range<usize>, &'static str, String);

/// Reads `duplicates`: events only; their default is the table's.
fn duplicates_of(
    given: Option<&Spanned<DuplicatesOption>>,
    content: Content,
) -> Result<davsync_sync::Duplicates, (Range<usize>, String)> {
    use davsync_sync::Duplicates;
    let option = match (given, content) {
        (Some(given), Content::Events) => *given.get_ref(),
        (Some(given), _) => {
            return Err((
                given.span(),
                "looks for duplicate events: only an events profile takes it".into(),
            ));
        }
        (None, Content::Events) => from_table(&keys::DUPLICATES),
        (None, _) => return Ok(Duplicates::Off),
    };
    Ok(match option {
        DuplicatesOption::Report => Duplicates::Report,
        DuplicatesOption::Remove => Duplicates::Remove,
    })
}

/// Reads `category` and the two keys that need it (`span`: the profile
/// name's, for a key that is missing).
fn category_of(raw: &RawProfile, span: &Range<usize>) -> Result<Option<CategoryOptions>, KeyError> {
    let Some(cat) = &raw.category else {
        if raw.category_include_uncategorized || raw.category_negate || raw.category_sticky {
            return Err((
                span.clone(),
                "category",
                "category_include_uncategorized, category_negate and category_sticky need a \
                 `category`"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let value = cat.get_ref().trim().to_string();
    if value.is_empty() || value.contains([',', ';']) || value.contains(char::is_control) {
        return Err((
            cat.span(),
            "category",
            "the category must be non-empty, without commas, semicolons or line breaks".into(),
        ));
    }
    if raw.category_include_uncategorized && raw.category_negate {
        return Err((
            cat.span(),
            "category_negate",
            "category_negate and category_include_uncategorized exclude each other".into(),
        ));
    }
    Ok(Some(CategoryOptions {
        name: value,
        include_uncategorized: raw.category_include_uncategorized,
        negate: raw.category_negate,
        sticky: raw.category_sticky,
    }))
}

/// Reads the mapping options; a contacts profile may not set them.
fn time_options_of(raw: &RawProfile) -> Result<TimeOptions, KeyError> {
    if raw.content == Content::Contacts {
        let given = [
            (raw.reminders.as_ref().map(Spanned::span), "reminders"),
            (
                raw.reminders_to_server.as_ref().map(Spanned::span),
                "reminders_to_server",
            ),
            (
                raw.reminders_to_local.as_ref().map(Spanned::span),
                "reminders_to_local",
            ),
            (raw.timezones.as_ref().map(Spanned::span), "timezones"),
            (
                raw.timezone_history.as_ref().map(Spanned::span),
                "timezone_history",
            ),
            (raw.task_dates.as_ref().map(Spanned::span), "task_dates"),
        ];
        if let Some((Some(at), name)) = given.into_iter().find(|(at, _)| at.is_some()) {
            return Err((
                at,
                name,
                format!("`{name}` applies to events and tasks, not to a contacts profile"),
            ));
        }
    }
    let both = raw
        .reminders
        .as_ref()
        .map_or_else(|| from_table(&keys::REMINDERS), |r| *r.get_ref());
    let one_way =
        |given: &Option<Spanned<Reminders>>| given.as_ref().map_or(both, |r| *r.get_ref());
    Ok(TimeOptions {
        reminders_to_server: one_way(&raw.reminders_to_server),
        reminders_to_local: one_way(&raw.reminders_to_local),
        timezones: raw
            .timezones
            .as_ref()
            .map_or_else(|| from_table(&keys::TIMEZONES), |t| *t.get_ref()),
        timezone_history: raw
            .timezone_history
            .as_ref()
            .map_or(keys::TIMEZONE_HISTORY.bool_default(), |h| *h.get_ref()),
        task_dates: raw
            .task_dates
            .as_ref()
            .map_or_else(|| from_table(&keys::TASK_DATES), |t| *t.get_ref()),
    })
}

/// An integer key within the table's bounds, or its default.
fn bounded(value: Option<Spanned<i64>>, key: &Key) -> Result<usize, (Range<usize>, String)> {
    let (min, max) = key.bounds();
    match value {
        None => Ok(key.int_default() as usize),
        Some(v) if (min..=max).contains(v.get_ref()) => Ok(*v.get_ref() as usize),
        Some(v) => Err((v.span(), format!("must be from {min} to {max}"))),
    }
}

/// A message about the value at a span of the file.
type SpannedError = (Range<usize>, String);

/// Reads `time_range`: `false`, `true` (the default range), or a table with
/// `past_days` and `future_days`. Contacts have no time, so no range. An
/// error comes with the span of the value.
fn time_range_of(
    value: Option<Spanned<toml::Value>>,
    content: Content,
) -> Result<Option<(u32, u32)>, SpannedError> {
    let Some(value) = value else {
        return Ok(match content {
            Content::Contacts => None,
            Content::Events | Content::Tasks => Some(DEFAULT_TIME_RANGE),
        });
    };
    let span = value.span();
    let fail = |message: String| Err((span.clone(), message));
    let range = match value.into_inner() {
        toml::Value::Boolean(false) => return Ok(None),
        toml::Value::Boolean(true) => DEFAULT_TIME_RANGE,
        toml::Value::Table(table) => {
            let mut range = DEFAULT_TIME_RANGE;
            for (name, v) in table {
                let slot = match name.as_str() {
                    "past_days" => &mut range.0,
                    "future_days" => &mut range.1,
                    other => {
                        return fail(format!(
                            "unknown key `{other}` (known: past_days, future_days)"
                        ));
                    }
                };
                match v.as_integer() {
                    Some(days) if (0..=i64::from(MAX_DAYS)).contains(&days) => *slot = days as u32,
                    _ => {
                        return fail(format!(
                            "`{name}` must be a number of days from 0 to {MAX_DAYS}"
                        ));
                    }
                }
            }
            range
        }
        _ => {
            return fail(format!(
                "must be `false` or a table such as {{ past_days = {}, future_days = {} }}",
                DEFAULT_TIME_RANGE.0, DEFAULT_TIME_RANGE.1
            ));
        }
    };
    if content == Content::Contacts {
        return fail("contacts have no dates: a time range applies to events and tasks".into());
    }
    Ok(Some(range))
}
