//! `davsync presets [--json]`: the server presets of `discover --preset`,
//! each with its URLs, what its user name is, the keys it writes and what
//! to know about the server; and the README's table of them.

use crate::presets::{Applies, PRESETS, Preset, Serves};
use anyhow::Result;
use serde_json::json;
use std::io::Write;

/// Arguments of `davsync presets`.
#[derive(Debug, clap::Args)]
pub(crate) struct PresetsArgs {
    /// Print a JSON array of {name, aliases, server, urls, login, settings,
    /// notes, tested_here, supported, unsupported_reason}.
    #[arg(long)]
    json: bool,
}

/// Runs `davsync presets`; needs no configuration file.
pub(crate) fn run(args: &PresetsArgs) -> Result<bool> {
    let text = if args.json {
        serde_json::to_string_pretty(&presets_json(PRESETS))? + "\n"
    } else {
        presets_text(PRESETS)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(true),
    }
}

/// The groups of profiles keys go into, in the order they are shown.
const GROUPS: [Applies; 3] = [Applies::Calendars, Applies::Events, Applies::Contacts];

/// A preset's keys for one group as `key = value, …`, or `None`.
fn keys_of(preset: &Preset, group: Applies) -> Option<String> {
    let keys: Vec<String> = preset
        .settings
        .iter()
        .filter(|s| s.applies == group)
        .map(|s| format!("{} = {}", s.key.name, s.value))
        .collect();
    (!keys.is_empty()).then(|| keys.join(", "))
}

fn presets_text(presets: &[Preset]) -> String {
    let mut out = String::new();
    for p in presets {
        let state = match p.unsupported {
            Some(why) => format!("not supported yet: {why}"),
            None if p.tested_here => "tested here".to_string(),
            None => "not tested here".to_string(),
        };
        out.push_str(&format!("{}: {} ({state})\n", p.name, p.server));
        if !p.aliases.is_empty() {
            out.push_str(&format!("  also:     {}\n", p.aliases.join(", ")));
        }
        for root in p.roots {
            let label = match root.serves {
                Serves::Both => "url:",
                Serves::CalDav => "caldav:",
                Serves::CardDav => "carddav:",
            };
            out.push_str(&format!("  {label:9} {}\n", root.template));
        }
        out.push_str(&format!("  user:     {}\n", p.login));
        let mut any = false;
        for group in GROUPS {
            if let Some(keys) = keys_of(p, group) {
                out.push_str(&format!("  {}: {keys}\n", group.name()));
                any = true;
            }
        }
        if !any {
            out.push_str("  keys:     none (davsync's defaults)\n");
        }
        for note in p.notes {
            out.push_str(&format!("  note:     {note}\n"));
        }
        out.push('\n');
    }
    out.push_str(
        "Use: davsync discover --preset NAME [--host HOST] --user NAME --password-… [--write …]\n",
    );
    out
}

fn presets_json(presets: &[Preset]) -> serde_json::Value {
    presets
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "aliases": p.aliases,
                "server": p.server,
                "urls": p.roots.iter().map(|r| json!({
                    "serves": r.serves.name(),
                    "template": r.template,
                })).collect::<Vec<_>>(),
                "login": p.login,
                "settings": p.settings.iter().map(|s| json!({
                    "key": s.key.name,
                    "value": s.value,
                    "profiles": s.applies.name(),
                    "why": s.why,
                })).collect::<Vec<_>>(),
                "notes": p.notes,
                "tested_here": p.tested_here,
                "supported": p.unsupported.is_none(),
                "unsupported_reason": p.unsupported,
            })
        })
        .collect()
}

/// The README's table of presets (between `<!-- presets -->` and `<!-- /presets -->`).
#[cfg(test)]
fn markdown(presets: &[Preset]) -> String {
    let mut out = String::from(
        "| server | preset | URL template | keys written | tested here |\n|---|---|---|---|---|\n",
    );
    for p in presets {
        let urls: Vec<String> = p
            .roots
            .iter()
            .map(|r| match r.serves {
                Serves::Both => format!("`{}`", r.template),
                Serves::CalDav => format!("CalDAV `{}`", r.template),
                Serves::CardDav => format!("CardDAV `{}`", r.template),
            })
            .collect();
        let keys: Vec<String> = GROUPS
            .iter()
            .filter_map(|g| Some(format!("{}: `{}`", g.name(), keys_of(p, *g)?)))
            .collect();
        let tested = match p.unsupported {
            Some(_) => "not supported yet (OAuth)",
            None if p.tested_here => "yes",
            None => "not tested here",
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {tested} |\n",
            p.server,
            p.name,
            urls.join("<br>"),
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join("<br>")
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The README's table is this one: a preset changed without the README
    /// following fails here, with the table to paste.
    #[test]
    fn the_readme_preset_table_is_the_table() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let expected = markdown(PRESETS);
        let found = readme
            .split_once("<!-- presets -->\n")
            .and_then(|(_, rest)| rest.split_once("<!-- /presets -->"))
            .map(|(block, _)| block);
        assert!(
            found == Some(expected.as_str()),
            "README.md's preset table differs; paste this between `<!-- presets -->` and \
             `<!-- /presets -->`:\n\n{expected}"
        );
    }

    #[test]
    fn the_listing_names_every_preset_with_its_urls_and_keys() {
        let text = presets_text(PRESETS);
        for p in PRESETS {
            assert!(
                text.contains(&format!("\n{}: {} (", p.name, p.server))
                    || text.starts_with(&format!("{}: ", p.name)),
                "{}",
                p.name
            );
            for r in p.roots {
                assert!(text.contains(r.template), "{}", r.template);
            }
        }
        assert!(text.contains("sogo: SOGo (tested here)"), "{text}");
        assert!(
            text.contains("nextcloud: Nextcloud (not tested here)"),
            "{text}"
        );
        assert!(
            text.contains(
                "  events, tasks: schedule_agent_client = false, sogo_no_notifications = true\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("google: Google Calendar and Contacts (not supported yet: "),
            "{text}"
        );
        let json = presets_json(PRESETS);
        assert_eq!(json.as_array().unwrap().len(), PRESETS.len());
        let google = json
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "google")
            .unwrap();
        assert_eq!(google["supported"], false);
        assert_eq!(google["settings"][0]["key"], "map_attendees");
    }
}
