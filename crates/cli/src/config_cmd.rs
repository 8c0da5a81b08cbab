//! `davsync config`: what the configuration file may hold (`config keys`: every
//! key, its type, default, the tables it belongs in and what it does).

use crate::config::keys::{self, DefaultValue, Key};
use anyhow::Result;
use std::io::Write;

/// Arguments of `davsync config`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ConfigCommand {
    /// List every configuration key: type, default, where it is valid
    /// (general, profile, or a store of type vdir, caldav, carddav) and what it does.
    Keys {
        /// Print a JSON array of {name, type, default, required, values, valid_in, doc}.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `davsync config …`; needs no configuration file.
pub(crate) fn run(args: &ConfigArgs) -> Result<bool> {
    match &args.command {
        ConfigCommand::Keys { json } => {
            let mut stdout = std::io::stdout().lock();
            if *json {
                serde_json::to_writer_pretty(&mut stdout, &keys_json(keys::KEYS))?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", keys_text(keys::KEYS))?;
            }
            stdout.flush()?;
        }
    }
    Ok(true)
}

/// The width the doc lines are wrapped at.
const WIDTH: usize = 88;

/// The table as text: aligned columns (key, type, default, valid in), each
/// key's doc below it, wrapped and indented.
fn keys_text(keys: &[Key]) -> String {
    let header = ["KEY", "TYPE", "DEFAULT", "VALID IN"];
    let rows: Vec<[String; 4]> = keys
        .iter()
        .map(|k| {
            [
                k.name.to_string(),
                k.value.name(),
                k.default.text(),
                k.places(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for (key, row) in keys.iter().zip(&rows) {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
        let doc = key.full_doc(str::to_string).replace('`', "");
        for doc_line in wrap(&doc, WIDTH - 4) {
            out.push_str(&format!("    {doc_line}\n"));
        }
    }
    out
}

/// `text` cut into lines of at most `width` characters, at spaces (a longer
/// word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// One key in `config keys --json`, its fields in the order shown.
#[derive(serde::Serialize)]
struct KeyJson {
    name: &'static str,
    #[serde(rename = "type")]
    value: String,
    default: serde_json::Value,
    required: bool,
    values: Option<&'static [&'static str]>,
    valid_in: Vec<&'static str>,
    doc: String,
}

/// The table as JSON: an array of objects, `default` as a TOML value would
/// be (`null` when there is none; a string for the platform's data folder).
fn keys_json(keys: &[Key]) -> Vec<KeyJson> {
    keys.iter()
        .map(|k| KeyJson {
            name: k.name,
            value: k.value.name(),
            default: default_json(k.default),
            required: k.default == DefaultValue::Required,
            values: match k.value {
                keys::ValueType::OneOf(values) => Some(values),
                _ => None,
            },
            valid_in: k.valid_in.iter().map(|p| p.name()).collect(),
            doc: k.doc.replace('`', ""),
        })
        .collect()
}

/// A default as JSON.
fn default_json(default: DefaultValue) -> serde_json::Value {
    match default {
        DefaultValue::Required | DefaultValue::None => serde_json::Value::Null,
        DefaultValue::Bool(b) => b.into(),
        DefaultValue::Int(n) => n.into(),
        DefaultValue::Str(s) => s.into(),
        DefaultValue::DataDir => DefaultValue::DataDir.text().into(),
        DefaultValue::TimeRange {
            past_days,
            future_days,
        } => serde_json::json!({ "past_days": past_days, "future_days": future_days }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_a_row_per_key_with_its_default_and_aligned_columns() {
        let text = keys_text(keys::KEYS);
        let header = text.lines().next().unwrap();
        let default_column = header.find("DEFAULT").unwrap();
        for key in keys::KEYS {
            let row = text
                .lines()
                // A row starts at the margin; a wrapped doc line is indented.
                .find(|l| l.split(' ').next() == Some(key.name))
                .unwrap_or_else(|| panic!("no row for {}:\n{text}", key.name));
            assert_eq!(
                row.get(default_column..)
                    .map(|rest| rest.starts_with(&key.default.text())),
                Some(true),
                "{row}"
            );
        }
        assert!(text.lines().all(|l| l.chars().count() <= 140), "{text}");
    }

    #[test]
    fn wrap_keeps_every_word_and_the_width() {
        let text = "a bb ccc dddd eeeee ffffff ggggggggggggggggg";
        let lines = wrap(text, 8);
        assert_eq!(lines.join(" "), text);
        assert!(
            lines.iter().all(|l| l.len() <= 8 || !l.contains(' ')),
            "{lines:?}"
        );
    }
}
