//! Which runs keep a report file (`reports`), and the pruning of a profile's
//! old report files and trash at each of its runs (`report_retention_days`,
//! `trash_retention_days`), with the one-time note that this is new.

use crate::paths::DataDir;
use chrono::{DateTime, Utc};
use davsync_sync::Side;
use davsync_sync::report::{RunResult, parse_file_name};
use std::io::{ErrorKind, Write};
use std::path::Path;

/// Which runs keep a report file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReportLevel {
    /// Runs with errors.
    Errors,
    /// Runs with warnings or errors (a run skipped offline is a warning).
    Warnings,
    /// Every run.
    All,
}

impl ReportLevel {
    /// Whether a run that ended with `result` keeps its report file.
    pub(crate) fn keeps(self, result: RunResult) -> bool {
        match self {
            ReportLevel::All => true,
            ReportLevel::Warnings => result != RunResult::Ok,
            ReportLevel::Errors => result == RunResult::Errors,
        }
    }
}

/// A profile's report and trash settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Which runs keep a report file.
    pub reports: ReportLevel,
    /// Report files older than this many days are deleted (`None`: never).
    pub report_days: Option<u32>,
    /// Trashed files older than this many days are deleted (`None`: never).
    pub trash_days: Option<u32>,
}

impl Retention {
    /// A number of days from the file: `0` keeps files for ever.
    pub(crate) fn days(value: usize) -> Option<u32> {
        (value > 0).then(|| u32::try_from(value).unwrap_or(u32::MAX))
    }
}

/// What pruning a profile removed, and what it could not.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Pruned {
    /// Report files deleted.
    pub reports: usize,
    /// Trashed files deleted.
    pub trash: usize,
    /// What went wrong, in words (the run's warnings).
    pub failures: Vec<String>,
}

/// How the trash (`vdir.rs`, `keep_in_trash`) and report files write the time
/// at the start of a name: UTC, to the millisecond.
const STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

/// The time at the start of a trashed file's name (`<time>-<n>-<file name>`).
fn trash_time(name: &str) -> Option<DateTime<Utc>> {
    let (stamp, _) = name.split_once('-')?;
    chrono::NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc())
}

/// The time in the name of one of `profile`'s report files: a report
/// (`<time>-<profile>.json`) or the temporary file of a save that was cut
/// short (`.<time>-<profile>.json.tmp`). `None`: not such a file, left alone.
fn report_time(name: &str, profile: &str) -> Option<DateTime<Utc>> {
    let name = match name.strip_prefix('.') {
        Some(hidden) => hidden.strip_suffix(".tmp")?,
        None => name,
    };
    parse_file_name(name)
        .filter(|(_, p)| *p == profile)
        .map(|(time, _)| time)
}

/// Whether a file is older than `days` at `now`, by the time in its name
/// (`named`) and its modification time, whichever is later: a file copied
/// with its old modification time (`fs::copy` clones it on macOS), or a
/// recent file given an old name, is young.
pub(crate) fn is_old(
    named: Option<DateTime<Utc>>,
    modified: DateTime<Utc>,
    days: u32,
    now: DateTime<Utc>,
) -> bool {
    let newest = named.map_or(modified, |n| n.max(modified));
    now - newest > chrono::Duration::days(i64::from(days))
}

/// Deletes the regular files in `dir` that `select` takes (it gives the time
/// in the name, if any) and that are older than `days`; returns how many
/// went, and adds what went wrong to `failures`. A folder that does not
/// exist holds nothing to prune.
fn prune_dir(
    dir: &Path,
    days: u32,
    now: DateTime<Utc>,
    what: &str,
    select: impl Fn(&str) -> Option<Option<DateTime<Utc>>>,
    failures: &mut Vec<String>,
) -> usize {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return 0,
        Err(e) => {
            failures.push(format!("cannot list {} to prune it: {e}", dir.display()));
            return 0;
        }
    };
    let mut removed = 0;
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                failures.push(format!("cannot list {} to prune it: {e}", dir.display()));
                break;
            }
        };
        let Some(named) = entry.file_name().to_str().and_then(&select) else {
            continue;
        };
        // Not followed: a link or a folder is none of davsync's files.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let Ok(modified) = meta.modified() else {
            continue;
        };
        if !meta.is_file() || !is_old(named, modified.into(), days, now) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            // Gone meanwhile (another run pruning too): what was wanted.
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => failures.push(format!(
                "cannot delete the {what} {} (older than {days} days): {e}",
                entry.path().display()
            )),
        }
    }
    removed
}

/// Deletes `profile`'s report files and trashed files older than its
/// retention: nothing else in the data directory is touched. Failures are
/// in the result, for the run's report to carry as warnings.
pub(crate) fn prune(
    data: &DataDir,
    profile: &str,
    retention: &Retention,
    now: DateTime<Utc>,
) -> Pruned {
    let mut pruned = Pruned::default();
    if let Some(days) = retention.report_days {
        pruned.reports = prune_dir(
            &data.reports(profile),
            days,
            now,
            "old report",
            |name| report_time(name, profile).map(Some),
            &mut pruned.failures,
        );
    }
    if let Some(days) = retention.trash_days {
        for side in [Side::Local, Side::Server] {
            pruned.trash += prune_dir(
                &data.trash(profile, side),
                days,
                now,
                "trashed file",
                // Every file of the trash folder is a trashed one; the time
                // in its name, when it has one, is when it was put there.
                |name| Some(trash_time(name)),
                &mut pruned.failures,
            );
        }
    }
    pruned
}

/// The note of the first pruning that removed anything: the retention is new,
/// and earlier versions kept every report and never emptied the trash.
pub(crate) fn note(profile: &str, pruned: &Pruned, retention: &Retention) -> String {
    let days = |d: Option<u32>| d.unwrap_or_default();
    let mut parts = Vec::new();
    if pruned.reports > 0 {
        parts.push(format!(
            "{} report{} older than {} days",
            pruned.reports,
            if pruned.reports == 1 { "" } else { "s" },
            days(retention.report_days)
        ));
    }
    if pruned.trash > 0 {
        parts.push(format!(
            "{} trashed file{} older than {} days",
            pruned.trash,
            if pruned.trash == 1 { "" } else { "s" },
            days(retention.trash_days)
        ));
    }
    format!(
        "davsync: note: profile {profile}: pruned {} (report_retention_days, \
         trash_retention_days; 0 keeps them for ever). This is new in this version: earlier \
         versions kept every report and never emptied the trash. This note is shown once.",
        parts.join(" and ")
    )
}

/// Prints [`note`] on standard error the first time pruning removed anything
/// in this data directory, and marks it said (`DataDir::retention_noted`).
/// A marker that cannot be written is logged: the note then comes again,
/// better than never.
pub(crate) fn note_once(data: &DataDir, profile: &str, pruned: &Pruned, retention: &Retention) {
    if pruned.reports + pruned.trash == 0 {
        return;
    }
    let marker = data.retention_noted();
    if marker.exists() {
        return;
    }
    eprintln!("{}", note(profile, pruned, retention));
    if let Err(e) = write_marker(&marker) {
        tracing::warn!("cannot write {}: {e}", marker.display());
    }
}

/// Writes the marker through a temporary file renamed over it.
fn write_marker(marker: &Path) -> std::io::Result<()> {
    let dir = marker.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".retention-noted-")
        .tempfile_in(dir)?;
    writeln!(
        file,
        "davsync said on {} that it now prunes old reports and the trash \
         (report_retention_days, trash_retention_days); delete this file to hear it again.",
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )?;
    file.as_file().sync_all()?;
    file.persist(marker).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_levels_keep_the_runs_they_name() {
        use RunResult::*;
        let kept = |level: ReportLevel| -> Vec<RunResult> {
            [Ok, Warnings, Errors, Offline]
                .into_iter()
                .filter(|r| level.keeps(*r))
                .collect()
        };
        assert_eq!(kept(ReportLevel::All), [Ok, Warnings, Errors, Offline]);
        assert_eq!(kept(ReportLevel::Warnings), [Warnings, Errors, Offline]);
        assert_eq!(kept(ReportLevel::Errors), [Errors]);
    }

    #[test]
    fn zero_days_is_for_ever() {
        assert_eq!(Retention::days(0), None);
        assert_eq!(Retention::days(30), Some(30));
    }

    #[test]
    fn a_file_is_old_by_the_later_of_its_name_and_its_modification() {
        let now = at(2026, 12, 31);
        let old = at(2026, 11, 1);
        let young = at(2026, 12, 20);
        assert!(is_old(Some(old), old, 30, now));
        assert!(is_old(None, old, 30, now));
        assert!(!is_old(None, young, 30, now));
        // An old name with a recent modification, and the other way round.
        assert!(!is_old(Some(old), young, 30, now));
        assert!(!is_old(Some(young), old, 30, now));
        // Exactly the limit is not older than it.
        assert!(!is_old(None, now - chrono::Duration::days(30), 30, now));
        assert!(is_old(
            None,
            now - chrono::Duration::days(30) - chrono::Duration::seconds(1),
            30,
            now
        ));
    }

    #[test]
    fn report_files_are_known_by_name_and_profile() {
        let mut report = davsync_sync::Report::new("work-2", false);
        report.started = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap()
            + chrono::Duration::milliseconds(123);
        let name = report.file_name();
        assert_eq!(name, "20261202T100000.123Z-work-2.json");
        assert_eq!(report_time(&name, "work-2"), Some(report.started));
        assert_eq!(
            report_time(&format!(".{name}.tmp"), "work-2"),
            Some(report.started)
        );
        // Another profile's, and files that are no report, are left alone.
        assert_eq!(report_time(&name, "work"), None);
        assert_eq!(report_time("notes.json", "work-2"), None);
        assert_eq!(report_time(&format!("{name}.bak"), "work-2"), None);
        assert_eq!(report_time(&format!(".{name}"), "work-2"), None);
    }

    #[test]
    fn trashed_files_carry_their_time() {
        assert_eq!(
            trash_time("20261202T100000.123Z-7-event.ics"),
            Some(
                Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap()
                    + chrono::Duration::milliseconds(123)
            )
        );
        assert_eq!(trash_time("event.ics"), None);
        assert_eq!(trash_time("my-event.ics"), None);
    }

    #[test]
    fn the_note_names_what_was_pruned_and_the_keys() {
        let retention = Retention {
            reports: ReportLevel::Warnings,
            report_days: Some(30),
            trash_days: Some(7),
        };
        let both = Pruned {
            reports: 3,
            trash: 1,
            failures: Vec::new(),
        };
        let text = note("work", &both, &retention);
        assert!(
            text.contains(
                "profile work: pruned 3 reports older than 30 days and 1 trashed file older \
                 than 7 days (report_retention_days, trash_retention_days"
            ),
            "{text}"
        );
        let trash_only = Pruned {
            reports: 0,
            trash: 2,
            failures: Vec::new(),
        };
        let text = note("work", &trash_only, &retention);
        assert!(
            text.contains("pruned 2 trashed files older than 7 days ("),
            "{text}"
        );
    }

    #[test]
    fn pruning_takes_old_files_of_the_profile_only() {
        let root = tempfile::tempdir().unwrap();
        let data = DataDir(root.path().to_path_buf());
        let now = Utc::now();
        let days_ago = |d: i64| now - chrono::Duration::days(d);
        let aged = |path: &Path, when: DateTime<Utc>| {
            std::fs::write(path, "{}").unwrap();
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(when.into()).unwrap();
        };
        let named = |when: DateTime<Utc>, profile: &str| {
            let mut r = davsync_sync::Report::new(profile, false);
            r.started = when;
            r.file_name()
        };
        let reports = data.reports("p");
        let trash = data.trash("p", Side::Server);
        let other = data.reports("q");
        for dir in [&reports, &trash, &other] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let old_report = reports.join(named(days_ago(40), "p"));
        let young_report = reports.join(named(days_ago(10), "p"));
        let not_a_report = reports.join("mine.json");
        let others_report = other.join(named(days_ago(40), "q"));
        let old_trash = trash.join(format!("{}-0-a.ics", days_ago(40).format(STAMP)));
        let young_trash = trash.join(format!("{}-1-b.ics", days_ago(2).format(STAMP)));
        for (path, when) in [
            (&old_report, days_ago(40)),
            (&young_report, days_ago(10)),
            (&not_a_report, days_ago(400)),
            (&others_report, days_ago(40)),
            (&old_trash, days_ago(40)),
            (&young_trash, days_ago(40)),
        ] {
            aged(path, when);
        }
        let retention = Retention {
            reports: ReportLevel::Warnings,
            report_days: Some(30),
            trash_days: Some(30),
        };
        let pruned = prune(&data, "p", &retention, now);
        assert_eq!(
            pruned,
            Pruned {
                reports: 1,
                trash: 1,
                failures: Vec::new()
            }
        );
        assert!(!old_report.exists() && !old_trash.exists());
        for kept in [&young_report, &not_a_report, &others_report, &young_trash] {
            assert!(kept.exists(), "{}", kept.display());
        }
        // For ever: nothing goes, however old.
        aged(&old_report, days_ago(400));
        let never = Retention {
            report_days: None,
            trash_days: None,
            ..retention
        };
        assert_eq!(prune(&data, "p", &never, now), Pruned::default());
        assert!(old_report.exists());
    }
}
