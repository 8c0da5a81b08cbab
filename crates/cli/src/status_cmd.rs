//! `davsync status`: every profile's last run, from its status database.

use crate::config::Config;
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
    /// Print JSON: {"profiles": [{"name", "items", "distrusted", "last_run": {...} | null}]}.
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
}

/// Prints the status; `Ok(false)` when a profile's last run had errors.
pub(crate) fn run(config: &Config, data_dir: &Path, args: &StatusArgs) -> Result<bool> {
    let data = DataDir(data_dir.to_path_buf());
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
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "profiles": rows }))?
        );
    } else {
        for row in &rows {
            let name = &row.name;
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
