//! The file being read: errors that name its path, the line and the key, and
//! paths written in it, resolved against its folder.

use std::fmt::Display;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The text of the configuration file and where it is.
pub(super) struct Source<'a> {
    /// The whole file.
    pub(super) text: &'a str,
    /// Its path, as given.
    pub(super) path: &'a Path,
    /// Its folder, absolute: relative paths in the file start there.
    pub(super) base: PathBuf,
}

impl<'a> Source<'a> {
    /// The file `text` read from `path`.
    pub(super) fn new(text: &'a str, path: &'a Path) -> Self {
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = std::path::absolute(&base).unwrap_or(base);
        Source { text, path, base }
    }

    /// The file's path, for messages.
    pub(super) fn file(&self) -> impl Display + '_ {
        self.path.display()
    }

    /// An error about the value of `key` at `span`.
    pub(super) fn error(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Display,
    ) -> anyhow::Error {
        anyhow::anyhow!(
            "{}, line {}, key `{key}`: {message}",
            self.file(),
            line_of(self.text, span.start)
        )
    }

    /// An error of the TOML parser, with the line and the key it points at.
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> anyhow::Error {
        let at = e
            .span()
            .map(|s| {
                let key = key_at(self.text, s.start)
                    .map(|k| format!(", key `{k}`"))
                    .unwrap_or_default();
                format!(", line {}{key}", line_of(self.text, s.start))
            })
            .unwrap_or_default();
        anyhow::anyhow!("{}{at}: {}", self.file(), e.message())
    }

    /// `raw` as a path: `~` expanded, made absolute against the file's folder.
    pub(super) fn resolve(&self, raw: &str) -> PathBuf {
        resolve_path(raw, &self.base)
    }
}

/// 1-based line of a byte offset.
fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

/// The dotted key whose value (or which key itself) starts at `offset`: the
/// last `[table]` header before it, then the keys of the inline tables it sits
/// in, then its own key. Best effort, for error messages.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let mut path: Vec<String> = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        // A table header, or an array of tables' (`[[profiles.p.property_map]]`).
        .find(|l| l.starts_with('['))
        .map(|h| {
            h.trim_matches(['[', ']'])
                .split('.')
                .map(|k| k.trim().trim_matches('"').to_string())
                .collect()
        })
        .unwrap_or_default();
    // Walk the line up to the offset: `key =` names the next value, `{` opens a table.
    let mut token = String::new();
    let mut pending: Option<String> = None;
    let mut in_string = false;
    for c in before[line_start..].chars() {
        match c {
            '"' => in_string = !in_string,
            _ if in_string => {}
            '=' => {
                pending = Some(
                    std::mem::take(&mut token)
                        .trim()
                        .trim_matches('"')
                        .to_string(),
                )
            }
            '{' => path.extend(pending.take()),
            '}' => {
                path.pop();
            }
            ',' => {
                pending = None;
                token.clear();
            }
            c => token.push(c),
        }
    }
    match pending {
        Some(key) => path.push(key),
        None => {
            // The offset is at a key (an unknown or misplaced one).
            let rest = &source[offset..];
            let end = rest.find(['=', '\n', ']']).unwrap_or(rest.len());
            let key = rest[..end].trim().trim_matches('"');
            if !key.is_empty() && !rest.starts_with('[') {
                path.push(key.to_string());
            }
        }
    }
    (!path.is_empty()).then(|| path.join("."))
}

/// Expands `~` and makes a path relative to the configuration file's folder absolute.
pub(super) fn resolve_path(raw: &str, base: &Path) -> PathBuf {
    let expanded = if raw == "~" {
        home_dir()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        home_dir().join(rest)
    } else {
        PathBuf::from(raw)
    };
    if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    }
}

/// The user's home folder (`.` when there is none).
pub(super) fn home_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("."))
}
