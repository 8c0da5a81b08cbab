//! `davsync reports`: lists the report files kept in the data directory,
//! newest first, and `reports show ID` prints one as text or as its JSON.

use crate::config::{Config, valid_profile_name};
use crate::paths::DataDir;
use crate::sync_cmd::{Items, print_report};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use davsync_sync::Report;
use davsync_sync::report::{Counts, RunResult, parse_file_name};
use serde::de::IgnoredAny;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `davsync reports`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ReportsArgs {
    #[command(subcommand)]
    command: Option<ReportsCommand>,
    /// Only this profile's reports (also a profile no longer configured).
    #[arg(value_name = "PROFILE")]
    profile: Option<String>,
    /// Print a JSON array of {id, profile, started, result, duration_ms, local, server,
    /// conflicts, unchanged, errors, warnings, file}, newest first.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum ReportsCommand {
    /// Print one report: its summary line, every item, warning and error.
    ///
    /// ID is as `davsync reports` lists it (PROFILE/TIME, such as
    /// work/20261202T100000.123Z) or the report's file name, with or without .json.
    Show(ShowArgs),
}

/// Arguments of `davsync reports show`.
#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The report: PROFILE/TIME as `davsync reports` lists it, or its file name.
    #[arg(value_name = "ID")]
    id: String,
    /// Print the report file's JSON as it is (the form of `sync --json`'s reports).
    #[arg(long)]
    json: bool,
}

/// Runs `davsync reports …`.
pub(crate) fn run(config: &Config, data_dir: &Path, args: &ReportsArgs) -> Result<bool> {
    let data = DataDir(data_dir.to_path_buf());
    match &args.command {
        Some(ReportsCommand::Show(show)) => run_show(&data, show),
        None => run_list(config, &data, args),
    }
}

/// A report file found in the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    /// `PROFILE/TIME`, as `reports` lists it and `reports show` takes it.
    id: String,
    /// The profile.
    profile: String,
    /// The start time its name gives.
    started: DateTime<Utc>,
    /// The file.
    path: PathBuf,
}

/// The reports id of the report file `name` (`<TIME>-<profile>.json`):
/// `profile/TIME`, or `None` for a file of another name or profile.
fn id_of(name: &str, profile: &str) -> Option<(String, DateTime<Utc>)> {
    let (started, named) = parse_file_name(name)?;
    let (stamp, _) = name.split_once('-')?;
    (named == profile).then(|| (format!("{profile}/{stamp}"), started))
}

/// The file name of the report `id`: `PROFILE/TIME`, or a file name
/// `<TIME>-<PROFILE>.json` (`.json` may be left out). `None`: not an id, or
/// one naming a profile that cannot be (no path leaves the reports folder).
fn parse_id(id: &str) -> Option<(String, String)> {
    let name = match id.split_once('/') {
        Some((profile, stamp)) => format!("{stamp}-{profile}.json"),
        None if id.ends_with(".json") => id.to_string(),
        None => format!("{id}.json"),
    };
    let (_, profile) = parse_file_name(&name)?;
    let profile = profile.to_string();
    valid_profile_name(&profile).then_some((profile, name))
}

/// `profile`'s report files, by their names (in no order).
fn found_in(data: &DataDir, profile: &str) -> Result<Vec<Found>> {
    let dir = data.reports(profile);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if let Some((id, started)) = id_of(&name, profile) {
            found.push(Found {
                id,
                profile: profile.to_string(),
                started,
                path: entry.path(),
            });
        }
    }
    Ok(found)
}

/// The profiles with a report folder, configured or not.
fn profiles_with_reports(data: &DataDir) -> Result<Vec<String>> {
    let dir = data.0.join("reports");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if let Some(name) = entry.file_name().to_str()
            && valid_profile_name(name)
            && entry.path().is_dir()
        {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// Newest first; at the same time, by profile.
fn newest_first(found: &mut [Found]) {
    found.sort_by(|a, b| {
        b.started
            .cmp(&a.started)
            .then_with(|| a.profile.cmp(&b.profile))
    });
}

/// What the list shows of a report: read from the file, its items skipped.
#[derive(serde::Deserialize)]
struct Summary {
    started: DateTime<Utc>,
    duration_ms: u64,
    result: RunResult,
    local: Counts,
    server: Counts,
    conflicts: usize,
    unchanged: usize,
    errors: Vec<IgnoredAny>,
    warnings: Vec<IgnoredAny>,
}

/// One report in `reports --json`.
#[derive(serde::Serialize)]
struct Listed<'f> {
    id: &'f str,
    profile: &'f str,
    started: DateTime<Utc>,
    result: RunResult,
    duration_ms: u64,
    local: Counts,
    server: Counts,
    conflicts: usize,
    unchanged: usize,
    /// How many.
    errors: usize,
    /// How many.
    warnings: usize,
    file: &'f Path,
}

fn read_summary(path: &Path) -> Result<Summary> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a davsync report", path.display()))
}

/// `davsync reports [PROFILE] [--json]`.
fn run_list(config: &Config, data: &DataDir, args: &ReportsArgs) -> Result<bool> {
    let profiles = match &args.profile {
        Some(name) => {
            let configured = config.profiles.iter().any(|p| &p.name == name);
            if !valid_profile_name(name) || !(configured || data.reports(name).is_dir()) {
                let known: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
                return Err(crate::UsageError::of(anyhow::anyhow!(
                    "{}: no profile named `{name}` (configured: {}), and no reports of one",
                    config.file.display(),
                    known.join(", ")
                )));
            }
            vec![name.clone()]
        }
        None => profiles_with_reports(data)?,
    };
    let mut found = Vec::new();
    for profile in &profiles {
        found.extend(found_in(data, profile)?);
    }
    newest_first(&mut found);
    let mut listed = Vec::new();
    for f in &found {
        // A file another run prunes meanwhile, or a broken one, does not
        // hide the others.
        match read_summary(&f.path) {
            Ok(summary) => listed.push((f, summary)),
            Err(e) => eprintln!("davsync: warning: {e:#}"),
        }
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let rows: Vec<Listed<'_>> = listed
            .iter()
            .map(|(f, s)| Listed {
                id: &f.id,
                profile: &f.profile,
                started: s.started,
                result: s.result,
                duration_ms: s.duration_ms,
                local: s.local,
                server: s.server,
                conflicts: s.conflicts,
                unchanged: s.unchanged,
                errors: s.errors.len(),
                warnings: s.warnings.len(),
                file: &f.path,
            })
            .collect();
        serde_json::to_writer_pretty(&mut stdout, &rows)?;
        writeln!(stdout)?;
    } else if listed.is_empty() {
        writeln!(stdout, "no reports")?;
    } else {
        let width = listed.iter().map(|(f, _)| f.id.len()).max().unwrap_or(0);
        for (f, s) in &listed {
            writeln!(stdout, "{}", list_line(&f.id, width, s))?;
        }
    }
    stdout.flush()?;
    Ok(true)
}

/// One report's line in the list.
fn list_line(id: &str, width: usize, s: &Summary) -> String {
    let counts = |c: &Counts| format!("+{} ~{} -{}", c.created, c.updated, c.deleted);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{id:<width$}  {}  {:<8}  local {}, server {}; {}, {}, {}",
        s.started.format("%Y-%m-%d %H:%M:%S UTC"),
        s.result,
        counts(&s.local),
        counts(&s.server),
        plural(s.conflicts, "conflict"),
        plural(s.errors.len(), "error"),
        plural(s.warnings.len(), "warning"),
    )
}

/// `davsync reports show ID [--json]`.
fn run_show(data: &DataDir, args: &ShowArgs) -> Result<bool> {
    let unknown = || {
        crate::UsageError::of(anyhow::anyhow!(
            "no report `{}` in {} (`davsync reports` lists them, as PROFILE/TIME)",
            args.id,
            data.0.join("reports").display()
        ))
    };
    let (profile, name) = parse_id(&args.id).ok_or_else(unknown)?;
    let path = data.reports(&profile).join(&name);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(unknown()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        // The file as it is: the same document `sync --json` printed.
        stdout.write_all(&bytes)?;
        if !bytes.ends_with(b"\n") {
            writeln!(stdout)?;
        }
        stdout.flush()?;
        return Ok(true);
    }
    let report: Report = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a davsync report", path.display()))?;
    let (id, _) = id_of(&name, &profile).ok_or_else(unknown)?;
    writeln!(
        stdout,
        "report {id}, started {}",
        report.started.format("%Y-%m-%d %H:%M:%S%.3f UTC")
    )?;
    writeln!(stdout, "  local:  {}", report.local_store)?;
    writeln!(stdout, "  server: {}", report.server_store)?;
    stdout.flush()?;
    drop(stdout);
    print_report(&report, Items::Every);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use davsync_sync::engine::Refusal;
    use davsync_sync::report::{ItemReport, Message, Outcome};
    use davsync_sync::{Action, Side};

    #[test]
    fn ids_name_the_profile_and_the_time() {
        let name = "20261202T100000.123Z-work-2.json";
        let (id, started) = id_of(name, "work-2").unwrap();
        assert_eq!(id, "work-2/20261202T100000.123Z");
        assert_eq!(
            started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "2026-12-02T10:00:00.123Z"
        );
        assert_eq!(id_of(name, "work"), None);
        let parsed = Some(("work-2".to_string(), name.to_string()));
        assert_eq!(parse_id(&id), parsed);
        assert_eq!(parse_id(name), parsed);
        assert_eq!(parse_id("20261202T100000.123Z-work-2"), parsed);
    }

    #[test]
    fn an_id_cannot_leave_the_reports_folder() {
        for id in [
            "../20261202T100000.123Z",
            "../x/20261202T100000.123Z",
            "a/../b/20261202T100000.123Z",
            "20261202T100000.123Z-../x.json",
            "20261202T100000.123Z-.hidden",
            "work/2026-12-02",
            "work",
            "",
        ] {
            assert_eq!(parse_id(id), None, "{id}");
        }
    }

    #[test]
    fn the_list_is_newest_first() {
        let at = |s: &str, p: &str| Found {
            id: format!("{p}/{s}"),
            profile: p.into(),
            started: parse_file_name(&format!("{s}-{p}.json")).unwrap().0,
            path: PathBuf::new(),
        };
        let mut found = vec![
            at("20261202T100000.000Z", "b"),
            at("20261203T100000.000Z", "a"),
            at("20261202T100000.000Z", "a"),
            at("20261101T100000.000Z", "c"),
        ];
        newest_first(&mut found);
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "a/20261203T100000.000Z",
                "a/20261202T100000.000Z",
                "b/20261202T100000.000Z",
                "c/20261101T100000.000Z"
            ]
        );
    }

    /// A report file reads back as the report it was: `show` prints what
    /// `sync` printed.
    #[test]
    fn a_report_reads_back_from_its_json() {
        let mut report = Report::new("work", false);
        report.local_store = "folder /a".into();
        report.requests = [None, Some(3)];
        for (uid, action, outcome) in [
            ("c", Action::Copy { to: Side::Server }, Outcome::Done),
            ("d", Action::Delete { on: Side::Local }, Outcome::Failed),
            (
                "k",
                Action::KeepBoth {
                    winner: Side::Local,
                },
                Outcome::Done,
            ),
            ("l", Action::Link, Outcome::Planned),
        ] {
            report.items.push(ItemReport {
                uid: uid.into(),
                action,
                local_state: davsync_sync::planner::SideState::Changed,
                server_state: davsync_sync::planner::SideState::Deleted,
                conflict: Some(davsync_sync::planner::Conflict::LocalChangedServerDeleted),
                summary: Some("Dentist".into()),
                outcome,
                message: None,
            });
        }
        report.errors.push(Message {
            kind: Some(davsync_store::ServerFailure::Unauthorized),
            ..Message::run("refused")
        });
        report.refuse(Refusal::TooManyDeletes {
            side: Side::Server,
            deletes: 4,
            of: 6,
            percent: 66,
            limit_percent: 50,
        });
        report.warnings.push(Message {
            side: Some(Side::Local),
            href: Some("x.ics".into()),
            uid: Some("x".into()),
            ..Message::run("odd")
        });
        report.finish();
        let json = serde_json::to_string_pretty(&report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
        assert_eq!(back.items, report.items);
        assert_eq!(back.errors, report.errors);
        let summary: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (summary.errors.len(), summary.warnings.len()),
            (2, 1),
            "{json}"
        );
        assert_eq!(summary.result, RunResult::Errors);
    }
}
