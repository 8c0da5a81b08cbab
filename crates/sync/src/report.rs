//! The report of one run: per item what was done, every warning and error,
//! and per side the counts; written as JSON, one file per run.

use crate::engine::Refusal;
use crate::planner::{Action, Conflict, Side, SideState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Counts of writes on one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Items created.
    pub created: usize,
    /// Items overwritten.
    pub updated: usize,
    /// Items deleted.
    pub deleted: usize,
}

/// How a run ended, as a word: `ok`, `warnings`, `errors` or `offline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunResult {
    /// No error, no warning.
    Ok,
    /// Warnings, no error.
    Warnings,
    /// At least one error.
    Errors,
    /// Skipped: a store could not be reached at all (a warning, no error).
    Offline,
}

impl RunResult {
    /// The word (`ok`, `warnings`, `errors`, `offline`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Ok => "ok",
            RunResult::Warnings => "warnings",
            RunResult::Errors => "errors",
            RunResult::Offline => "offline",
        }
    }

    /// The result named `word`, if it is one.
    pub fn from_word(word: &str) -> Option<RunResult> {
        [
            RunResult::Ok,
            RunResult::Warnings,
            RunResult::Errors,
            RunResult::Offline,
        ]
        .into_iter()
        .find(|r| r.as_str() == word)
    }
}

impl std::fmt::Display for RunResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A run's counts without its item list: what the status database keeps of
/// the last run, for `davsync status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Writes done on the local side.
    pub local: Counts,
    /// Writes done on the server side.
    pub server: Counts,
    /// Conflicts met.
    pub conflicts: usize,
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// How one item's operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Done.
    Done,
    /// Planned only (dry run, or refused by a safety rail).
    Planned,
    /// Not done; retried on the next run.
    Failed,
}

/// One item's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    /// The UID.
    pub uid: String,
    /// What the planner decided.
    #[serde(flatten)]
    pub action: Action,
    /// Local state before the run.
    pub local_state: SideState,
    /// Server state before the run.
    pub server_state: SideState,
    /// Set for conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
    /// SUMMARY or FN, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it failed, or a note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A warning or an error, about an item or the whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The side concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// The item's address, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// The item's UID, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// What happened, in words.
    pub message: String,
    /// The kind of server failure behind it, if one (`unauthorized`,
    /// `unreachable`, …): for callers that act on it, not for reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<davsync_store::ServerFailure>,
    /// The safety rail that refused the run's writes, if this is its error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

impl Message {
    /// A message about the whole run.
    pub fn run(message: impl Into<String>) -> Self {
        Message {
            side: None,
            href: None,
            uid: None,
            kind: None,
            refusal: None,
            message: message.into(),
        }
    }
}

/// The report of one profile's run.
/// Serialised as the report file and `sync --json` hold it; read back by
/// `davsync reports show`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The profile's name.
    pub profile: String,
    /// When the run started.
    pub started: DateTime<Utc>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// `ok`, `warnings`, `errors` or `offline`.
    pub result: RunResult,
    /// The local store, described.
    pub local_store: String,
    /// The server store, described.
    pub server_store: String,
    /// Writes done on the local side.
    pub local: Counts,
    /// Writes done on the server side.
    pub server: Counts,
    /// Number of conflicts met.
    pub conflicts: usize,
    /// Items left alone because they did not change.
    pub unchanged: usize,
    /// New items left out because they are outside the time range.
    pub outside_time_range: usize,
    /// Lists and groups left alone (`lists = "skip"`, or a filter), among
    /// the items read this run (an idle run reads none).
    #[serde(default)]
    pub lists_skipped: usize,
    /// HTTP requests sent to each side (`[local, server]`; `null` for a folder).
    pub requests: [Option<u64>; 2],
    /// Every item the run touched (or would touch).
    pub items: Vec<ItemReport>,
    /// Errors: the run, or an item, failed.
    pub errors: Vec<Message>,
    /// Warnings: something was skipped or looked wrong, and the run went on.
    pub warnings: Vec<Message>,
    /// Events held more than once under different UIDs (the same start,
    /// end and summary), when the run looks for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<DuplicateGroup>,
}

/// Events with the same start, end and summary under different UIDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    /// The oldest (by CREATED, then LAST-MODIFIED, then UID): the one kept.
    pub kept: String,
    /// The others.
    pub others: Vec<String>,
    /// Those of the others this run deleted locally (the next step of the
    /// same run deletes their server copies).
    #[serde(default)]
    pub removed: Vec<String>,
}

impl Report {
    /// An empty report for a run starting now.
    pub fn new(profile: &str, dry_run: bool) -> Self {
        Report {
            profile: profile.to_string(),
            started: Utc::now(),
            duration_ms: 0,
            dry_run,
            result: RunResult::Ok,
            local_store: String::new(),
            server_store: String::new(),
            local: Counts::default(),
            server: Counts::default(),
            conflicts: 0,
            unchanged: 0,
            outside_time_range: 0,
            lists_skipped: 0,
            requests: [None, None],
            items: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            duplicates: Vec::new(),
        }
    }

    /// Sets the duration and the result from what was collected.
    pub fn finish(&mut self) {
        let elapsed = Utc::now() - self.started;
        self.duration_ms = elapsed.num_milliseconds().max(0) as u64;
        let offline = self
            .warnings
            .iter()
            .any(|w| w.kind == Some(davsync_store::ServerFailure::Offline) && w.uid.is_none());
        self.result = if !self.errors.is_empty() {
            RunResult::Errors
        } else if offline {
            RunResult::Offline
        } else if !self.warnings.is_empty() {
            RunResult::Warnings
        } else {
            RunResult::Ok
        };
    }

    /// Records an error (or, with `warning`, a warning) about one item.
    pub(crate) fn item_message(
        &mut self,
        warning: bool,
        side: Side,
        href: Option<&str>,
        uid: Option<&str>,
        message: String,
    ) {
        let message = Message {
            side: Some(side),
            href: href.map(str::to_string),
            uid: uid.map(str::to_string),
            ..Message::run(message)
        };
        if warning {
            self.warnings.push(message);
        } else {
            self.errors.push(message);
        }
    }

    /// Records that a safety rail refused the run's writes (an error).
    pub fn refuse(&mut self, refusal: Refusal) {
        self.errors.push(Message {
            side: Some(refusal.side()),
            refusal: Some(refusal.clone()),
            ..Message::run(refusal.to_string())
        });
    }

    /// Whether anything failed.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The counts of `side`.
    pub fn counts(&self, side: Side) -> &Counts {
        match side {
            Side::Local => &self.local,
            Side::Server => &self.server,
        }
    }

    /// The counts of `side`, for updating.
    pub fn counts_mut(&mut self, side: Side) -> &mut Counts {
        match side {
            Side::Local => &mut self.local,
            Side::Server => &mut self.server,
        }
    }

    /// The run's counts, for the status database.
    pub fn summary(&self) -> RunSummary {
        RunSummary {
            local: self.local,
            server: self.server,
            conflicts: self.conflicts,
            errors: self.errors.len(),
            warnings: self.warnings.len(),
            duration_ms: self.duration_ms,
        }
    }

    /// The name of its file: `<started>-<profile>.json`, the start time in
    /// UTC to the millisecond (`20261202T100000.123Z-work.json`).
    pub fn file_name(&self) -> String {
        format!("{}-{}.json", self.started.format(FILE_STAMP), self.profile)
    }

    /// Writes the report as `<dir>/<started>-<profile>.json` (`file_name`), atomically.
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let name = self.file_name();
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        // Written as it is serialised: a run over 50,000 items has a report of
        // megabytes, which need not sit in memory twice.
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::other)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// How a report's file name writes its start time (UTC, milliseconds).
const FILE_STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

/// The start time and the profile in a report's file name
/// (`<started>-<profile>.json`, as [`Report::file_name`] makes it), or `None`
/// for a name of another form: what prunes and lists reports goes by it,
/// and leaves other files alone.
pub fn parse_file_name(name: &str) -> Option<(DateTime<Utc>, &str)> {
    // The stamp holds no `-`; a profile name may.
    let (stamp, rest) = name.split_once('-')?;
    let profile = rest.strip_suffix(".json").filter(|p| !p.is_empty())?;
    let started = chrono::NaiveDateTime::parse_from_str(stamp, FILE_STAMP).ok()?;
    Some((started.and_utc(), profile))
}
