//! `davsync status`: every profile's last run, from its status database.

use crate::config::Config;
use crate::daemon::state::{DaemonState, ProfileState};
use crate::paths::DataDir;
use anyhow::Result;
use davsync_sync::report::{Counts, RunResult};
use davsync_sync::status::RunRecord;
use davsync_sync::{Side, StatusDb};
use serde_json::json;
use std::path::Path;

/// Arguments of `davsync status`.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    /// Print JSON: {"daemon": {"pid", "started"} | null, "profiles": [{"name", "items",
    /// "distrusted", "last_run": {...} | null, "daemon": {...} | null}]}.
    #[arg(long)]
    json: bool,
}

/// One profile's line of `davsync status` (and object of `--json`).
#[derive(serde::Serialize)]
struct Row {
    name: String,
    items: usize,
    /// Sides whose store was caught keeping versions over changed content.
    distrusted: Vec<String>,
    last_run: Option<RunRecord>,
    /// What the daemon (if one runs on the data directory) does with it.
    daemon: Option<ProfileState>,
}

/// Prints the status; `Ok(false)` when a profile's last run had errors.
pub(crate) fn run(config: &Config, data_dir: &Path, args: &StatusArgs) -> Result<bool> {
    let data = DataDir(data_dir.to_path_buf());
    let daemon = DaemonState::of_running(data_dir);
    let mut rows = Vec::new();
    for profile in &config.profiles {
        let path = data.status_db(&profile.name);
        let (items, last_run, distrusted) = if path.exists() {
            let db = StatusDb::open(&path)?;
            let mut distrusted = Vec::new();
            for side in [Side::Local, Side::Server] {
                if db.versions_untrusted(side)? {
                    distrusted.push(side.to_string());
                }
            }
            (db.count()?, db.last_run()?, distrusted)
        } else {
            (0, None, Vec::new())
        };
        rows.push(Row {
            name: profile.name.clone(),
            items,
            distrusted,
            last_run,
            daemon: daemon
                .as_ref()
                .and_then(|d| d.profile(&profile.name))
                .cloned(),
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "daemon": daemon.as_ref().map(|d| json!({ "pid": d.pid, "started": d.started })),
                "profiles": rows,
            }))?
        );
    } else {
        match &daemon {
            Some(d) => println!("daemon: running (pid {}, since {})", d.pid, d.started),
            None => println!("daemon: not running"),
        }
        for row in &rows {
            let name = &row.name;
            if let Some(d) = &row.daemon {
                println!("{name:<20} daemon: {}", daemon_line(d));
            }
            let Some(run) = &row.last_run else {
                println!("{name:<20} never run");
                continue;
            };
            let counts = match &run.summary {
                Some(s) => {
                    let c = |c: &Counts| format!("+{} ~{} -{}", c.created, c.updated, c.deleted);
                    format!(
                        "local {}, server {}, {} conflicts, {} errors, {} warnings",
                        c(&s.local),
                        c(&s.server),
                        s.conflicts,
                        s.errors,
                        s.warnings
                    )
                }
                None => "no counts recorded".to_string(),
            };
            println!(
                "{name:<20} {}  {:<8} {} items; last run: {counts}",
                run.started, run.result, row.items,
            );
            for side in &row.distrusted {
                println!(
                    "{:<20} its {side} store changed items without changing their versions \
                     (ETags): every item it names as changed is read",
                    ""
                );
            }
        }
    }
    Ok(rows.iter().all(|r| {
        r.last_run
            .as_ref()
            .is_none_or(|run| run.result != RunResult::Errors)
    }))
}

/// What the daemon does with a profile, in words.
fn daemon_line(d: &ProfileState) -> String {
    let next = match (&d.next_run, d.running) {
        (_, true) => "running now".to_string(),
        (Some(next), false) => format!("next run {next}"),
        (None, false) => "runs after a local change".to_string(),
    };
    let watching = if d.watching {
        "watching its folder"
    } else {
        "not watching"
    };
    let failures = match d.failures {
        0 => String::new(),
        n => format!(", {n} failed run(s) in a row"),
    };
    format!("{next}, {watching}{failures}")
}
