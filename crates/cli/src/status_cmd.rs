//! `davsync status`: every profile's last run, from its status database.

use crate::config::Config;
use crate::paths::DataDir;
use anyhow::Result;
use davsync_sync::{Side, StatusDb};
use serde_json::{Value, json};
use std::path::Path;

/// Arguments of `davsync status`.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    /// Print JSON: {"profiles": [{"name", "items", "distrusted", "last_run": {...} | null}]}.
    #[arg(long)]
    json: bool,
}

/// Prints the status; `Ok(false)` when a profile's last run had errors.
pub(crate) fn run(config: &Config, data_dir: &Path, args: &StatusArgs) -> Result<bool> {
    let data = DataDir(data_dir.to_path_buf());
    let mut rows = Vec::new();
    for profile in &config.profiles {
        let path = data.status_db(&profile.name);
        let (items, last, distrusted) = if path.exists() {
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
        let last = last.map(|run| {
            let summary: Value = serde_json::from_str(&run.summary).unwrap_or(Value::Null);
            json!({ "started": run.started, "result": run.result, "summary": summary })
        });
        rows.push(json!({
            "name": profile.name,
            "items": items,
            "distrusted": distrusted,
            "last_run": last
        }));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "profiles": rows }))?
        );
    } else {
        for row in &rows {
            let name = row["name"].as_str().unwrap_or("");
            match &row["last_run"] {
                Value::Null => println!("{name:<20} never run"),
                run => {
                    let s = &run["summary"];
                    let c = |side: &str| {
                        format!(
                            "+{} ~{} -{}",
                            s[side]["created"], s[side]["updated"], s[side]["deleted"]
                        )
                    };
                    println!(
                        "{name:<20} {}  {:<8} {} items; last run: local {}, server {}, {} conflicts, {} errors, {} warnings",
                        run["started"].as_str().unwrap_or(""),
                        run["result"].as_str().unwrap_or(""),
                        row["items"],
                        c("local"),
                        c("server"),
                        s["conflicts"],
                        s["errors"],
                        s["warnings"]
                    );
                    for side in row["distrusted"].as_array().into_iter().flatten() {
                        println!(
                            "{:<20} its {} store changed items without changing their versions \
                             (ETags): every item it names as changed is read",
                            "",
                            side.as_str().unwrap_or("")
                        );
                    }
                }
            }
        }
    }
    Ok(rows.iter().all(|r| r["last_run"]["result"] != "errors"))
}
