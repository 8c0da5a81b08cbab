//! The configuration file: parsing, validation with file/line/key in every
//! error, and resolution of paths and the data directory.

use crate::secrets::PasswordSource;
use anyhow::{Context, Result, bail};
use davsync_pim::ItemKind;
use davsync_sync::{ConflictPolicy, Mode};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// What a profile syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    /// VEVENTs, in `.ics` files.
    Events,
    /// VTODOs, in `.ics` files.
    Tasks,
    /// vCards, in `.vcf` files.
    Contacts,
}

impl Content {
    /// The item kind a profile of this content keeps.
    pub fn kind(self) -> ItemKind {
        match self {
            Content::Events => ItemKind::Event,
            Content::Tasks => ItemKind::Task,
            Content::Contacts => ItemKind::Contact,
        }
    }

    /// The vdir file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Content::Events | Content::Tasks => "ics",
            Content::Contacts => "vcf",
        }
    }
}

/// Where one side of a profile lives, as written (`{ type = "vdir", path = "…" }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    /// The store type (`vdir`).
    #[serde(rename = "type")]
    kind: Spanned<String>,
    /// The folder of a vdir store (`~` and paths relative to the configuration file are resolved).
    path: Option<Spanned<String>>,
    /// The collection URL of a caldav or carddav store.
    url: Option<Spanned<String>>,
    /// The user name on the server.
    username: Option<Spanned<String>>,
    /// A shell command whose first line of output is the password.
    password_command: Option<String>,
    /// Take the password from the system keyring.
    #[serde(default)]
    password_keyring: bool,
    /// The environment variable holding the password.
    password_env: Option<String>,
    /// The password itself (works, with a warning).
    password: Option<String>,
    /// Request timeout in seconds (default 90).
    timeout_seconds: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    general: RawGeneral,
    #[serde(default)]
    profiles: BTreeMap<Spanned<String>, RawProfile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneral {
    data_dir: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    content: Content,
    #[serde(default = "default_mode")]
    mode: Mode,
    #[serde(default = "default_conflicts")]
    conflicts: ConflictPolicy,
    #[serde(default = "default_max_delete")]
    max_delete: Spanned<i64>,
    category: Option<Spanned<String>>,
    #[serde(default)]
    category_include_uncategorized: bool,
    #[serde(default)]
    category_negate: bool,
    /// Items read per request and per status transaction.
    chunk_size: Option<Spanned<i64>>,
    /// Requests in flight at once.
    concurrency: Option<Spanned<i64>>,
    /// `false`, or `{ past_days = 60, future_days = 365 }`.
    time_range: Option<Spanned<toml::Value>>,
    local: Spanned<RawStore>,
    server: Spanned<RawStore>,
}

/// The guide's default time range for calendars: 60 days back, 365 ahead.
pub const DEFAULT_TIME_RANGE: (u32, u32) = (60, 365);

/// Reads `time_range`: `false`, `true` (the default range), or a table with
/// `past_days` and `future_days`. Contacts have no time, so no range.
/// A message about the value at a span of the file.
type SpannedError = (std::ops::Range<usize>, String);

/// An error comes with the span of the value.
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
                    Some(days) if (0..=36_500).contains(&days) => *slot = days as u32,
                    _ => return fail(format!("`{name}` must be a number of days from 0 to 36500")),
                }
            }
            range
        }
        _ => {
            return fail(
                "must be `false` or a table such as { past_days = 60, future_days = 365 }".into(),
            );
        }
    };
    if content == Content::Contacts {
        return fail("contacts have no dates: a time range applies to events and tasks".into());
    }
    Ok(Some(range))
}

fn default_mode() -> Mode {
    Mode::TwoWay
}

fn default_conflicts() -> ConflictPolicy {
    ConflictPolicy::Automatic
}

fn default_max_delete() -> Spanned<i64> {
    Spanned::new(0..0, 50)
}

/// A validated profile.
#[derive(Debug, Clone)]
pub struct Profile {
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
    /// Items read per request (the guide's chunked sync), and per status transaction.
    pub chunk_size: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The time-range filter: days back and days ahead of today (calendars;
    /// `None`: every item, whatever its dates).
    pub time_range: Option<(u32, u32)>,
    /// The local store, with paths resolved.
    pub local: ResolvedStore,
    /// The server store, with paths resolved.
    pub server: ResolvedStore,
}

/// The category filter's settings.
#[derive(Debug, Clone)]
pub struct CategoryOptions {
    /// The category.
    pub name: String,
    /// Also own items without any category.
    pub include_uncategorized: bool,
    /// Own everything except the category.
    pub negate: bool,
}

/// A store with its paths made absolute.
#[derive(Debug, Clone)]
pub enum ResolvedStore {
    /// A vdir folder.
    Vdir {
        /// The folder.
        path: PathBuf,
    },
    /// A CalDAV calendar or CardDAV address book.
    Dav(DavStoreConfig),
}

/// A server collection and how to log in.
#[derive(Debug, Clone)]
pub struct DavStoreConfig {
    /// Calendar or address book.
    pub kind: davsync_dav::CollectionKind,
    /// The collection's URL.
    pub url: String,
    /// The user name.
    pub username: String,
    /// Where the password comes from (`None`: no authentication).
    pub password: Option<PasswordSource>,
    /// Request timeout.
    pub timeout: std::time::Duration,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub file: PathBuf,
    /// `general.data_dir`, resolved.
    pub data_dir: Option<PathBuf>,
    /// Profiles by name, in name order.
    pub profiles: Vec<Profile>,
}

fn content_name(content: Content) -> &'static str {
    match content {
        Content::Events => "events",
        Content::Tasks => "tasks",
        Content::Contacts => "contacts",
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
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
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
fn resolve_path(raw: &str, base: &Path) -> PathBuf {
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

fn home_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Profile names become file names: keep them plain.
fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        Config::parse(&source, path)
    }

    /// Parses and validates `source`, naming `path`, the line and the key in errors.
    pub fn parse(source: &str, path: &Path) -> Result<Config> {
        let file = path.display();
        let raw: RawFile = toml::from_str(source).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let key = key_at(source, s.start)
                        .map(|k| format!(", key `{k}`"))
                        .unwrap_or_default();
                    format!(", line {}{key}", line_of(source, s.start))
                })
                .unwrap_or_default();
            anyhow::anyhow!("{file}{at}: {}", e.message())
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = std::path::absolute(&base).unwrap_or(base);
        let err = |span: std::ops::Range<usize>, key: &str, msg: String| {
            anyhow::anyhow!(
                "{file}, line {}, key `{key}`: {msg}",
                line_of(source, span.start)
            )
        };
        let mut profiles = Vec::new();
        for (name, raw) in raw.profiles {
            let span = name.span();
            let name = name.into_inner();
            if !valid_profile_name(&name) {
                return Err(err(
                    span,
                    &format!("profiles.{name}"),
                    "a profile name may hold only letters, digits, `-`, `_` and `.`, and may not start with `.`".into(),
                ));
            }
            let key = |k: &str| format!("profiles.{name}.{k}");
            let max_delete = *raw.max_delete.get_ref();
            if !(0..=100).contains(&max_delete) {
                return Err(err(
                    raw.max_delete.span(),
                    &key("max_delete"),
                    format!("{max_delete} is not a percentage from 0 to 100"),
                ));
            }
            let category = match raw.category {
                None => {
                    if raw.category_include_uncategorized || raw.category_negate {
                        return Err(err(
                            span,
                            &key("category"),
                            "category_include_uncategorized and category_negate need a `category`"
                                .into(),
                        ));
                    }
                    None
                }
                Some(cat) => {
                    let value = cat.get_ref().trim().to_string();
                    if value.is_empty()
                        || value.contains([',', ';'])
                        || value.contains(char::is_control)
                    {
                        return Err(err(
                            cat.span(),
                            &key("category"),
                            "the category must be non-empty, without commas, semicolons or line breaks".into(),
                        ));
                    }
                    if raw.category_include_uncategorized && raw.category_negate {
                        return Err(err(
                            cat.span(),
                            &key("category_negate"),
                            "category_negate and category_include_uncategorized exclude each other"
                                .into(),
                        ));
                    }
                    Some(CategoryOptions {
                        name: value,
                        include_uncategorized: raw.category_include_uncategorized,
                        negate: raw.category_negate,
                    })
                }
            };
            let resolve = |store: Spanned<RawStore>, side: &str| -> Result<ResolvedStore> {
                let span = store.span();
                let store = store.into_inner();
                match store.kind.get_ref().as_str() {
                    "vdir" => {
                        let Some(path) = store.path else {
                            return Err(err(
                                span,
                                &key(&format!("{side}.path")),
                                "a vdir store needs a `path`".into(),
                            ));
                        };
                        if path.get_ref().trim().is_empty() {
                            return Err(err(
                                path.span(),
                                &key(&format!("{side}.path")),
                                "the path is empty".into(),
                            ));
                        }
                        Ok(ResolvedStore::Vdir {
                            path: resolve_path(path.get_ref(), &base),
                        })
                    }
                    kind @ ("caldav" | "carddav") => {
                        let (collection, fits) = match kind {
                            "caldav" => (
                                davsync_dav::CollectionKind::Calendar,
                                raw.content != Content::Contacts,
                            ),
                            _ => (
                                davsync_dav::CollectionKind::AddressBook,
                                raw.content == Content::Contacts,
                            ),
                        };
                        if !fits {
                            return Err(err(
                                store.kind.span(),
                                &key(&format!("{side}.type")),
                                format!(
                                    "a {kind} store cannot hold {} (caldav: events, tasks; carddav: contacts)",
                                    content_name(raw.content)
                                ),
                            ));
                        }
                        let Some(url) = store.url else {
                            return Err(err(
                                span,
                                &key(&format!("{side}.url")),
                                format!("a {kind} store needs a `url`"),
                            ));
                        };
                        let url_text = url.get_ref().trim().to_string();
                        let parsed: Option<http::Uri> = url_text.parse().ok();
                        let host = parsed
                            .as_ref()
                            .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
                            .and_then(|u| u.host().map(str::to_string));
                        let Some(host) = host else {
                            return Err(err(
                                url.span(),
                                &key(&format!("{side}.url")),
                                format!("{url_text:?} is not an http:// or https:// URL"),
                            ));
                        };
                        if parsed
                            .as_ref()
                            .and_then(|u| u.authority())
                            .is_some_and(|a| a.as_str().contains('@'))
                        {
                            return Err(err(
                                url.span(),
                                &key(&format!("{side}.url")),
                                "put the user name in `username` and the password in a password key, not in the URL".into(),
                            ));
                        }
                        let username = store.username.map(|u| u.into_inner()).unwrap_or_default();
                        let password = PasswordSource::from_keys(
                            store.password_command,
                            store.password_keyring,
                            store.password_env,
                            store.password,
                            &format!("{username}@{host}"),
                        )
                        .map_err(|e| err(span.clone(), &key(side), e.to_string()))?;
                        let timeout = match store.timeout_seconds {
                            None => 90,
                            Some(t) if (1..=3600).contains(t.get_ref()) => *t.get_ref() as u64,
                            Some(t) => {
                                return Err(err(
                                    t.span(),
                                    &key(&format!("{side}.timeout_seconds")),
                                    "the timeout must be from 1 to 3600 seconds".into(),
                                ));
                            }
                        };
                        Ok(ResolvedStore::Dav(DavStoreConfig {
                            kind: collection,
                            url: url_text,
                            username,
                            password,
                            timeout: std::time::Duration::from_secs(timeout),
                        }))
                    }
                    other => Err(err(
                        store.kind.span(),
                        &key(&format!("{side}.type")),
                        format!("unknown store type `{other}` (known: vdir, caldav, carddav)"),
                    )),
                }
            };
            let bounded =
                |value: Option<Spanned<i64>>, name: &str, default: usize, max: i64| match value {
                    None => Ok(default),
                    Some(v) if (1..=max).contains(v.get_ref()) => Ok(*v.get_ref() as usize),
                    Some(v) => Err(err(
                        v.span(),
                        &key(name),
                        format!("must be from 1 to {max}"),
                    )),
                };
            let chunk_size = bounded(raw.chunk_size, "chunk_size", 100, 10_000)?;
            let concurrency = bounded(raw.concurrency, "concurrency", 4, 64)?;
            let time_range = time_range_of(raw.time_range, raw.content)
                .map_err(|(span, message)| err(span, &key("time_range"), message))?;
            let local = resolve(raw.local, "local")?;
            let server = resolve(raw.server, "server")?;
            if let (ResolvedStore::Vdir { path: l }, ResolvedStore::Vdir { path: s }) =
                (&local, &server)
            {
                // Compare real folders where they exist (symlinks, `..`).
                let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                if real(l) == real(s) {
                    return Err(err(
                        span,
                        &key("server.path"),
                        format!("local and server are the same folder ({})", l.display()),
                    ));
                }
            }
            profiles.push(Profile {
                name,
                content: raw.content,
                mode: raw.mode,
                conflicts: raw.conflicts,
                max_delete: max_delete as u8,
                category,
                chunk_size,
                concurrency,
                time_range,
                local,
                server,
            });
        }
        let data_dir = raw
            .general
            .data_dir
            .map(|d| resolve_path(d.get_ref(), &base));
        if profiles.is_empty() {
            bail!(
                "{file}: no profiles are configured (add a [profiles.NAME] table; see `davsync --help`)"
            );
        }
        Ok(Config {
            file: path.to_path_buf(),
            data_dir,
            profiles,
        })
    }

    /// The named profiles, or all when `names` is empty; an unknown name is an error.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Profile>> {
        if names.is_empty() {
            return Ok(self.profiles.iter().collect());
        }
        names
            .iter()
            .map(|n| {
                self.profiles
                    .iter()
                    .find(|p| &p.name == n)
                    .with_context(|| {
                        let known: Vec<&str> =
                            self.profiles.iter().map(|p| p.name.as_str()).collect();
                        format!(
                            "{}: no profile named `{n}` (configured: {})",
                            self.file.display(),
                            known.join(", ")
                        )
                    })
            })
            .collect()
    }
}

/// The default configuration file: `$XDG_CONFIG_HOME/davsync/config.toml` or the platform's equivalent.
pub fn default_config_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "davsync")
        .map(|d| d.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("davsync.toml"))
}

/// The data directory: `--data-dir`, else `DAVSYNC_DATA_DIR`, else `general.data_dir`,
/// else `$XDG_DATA_HOME/davsync` or the platform's equivalent.
pub fn data_dir(flag: Option<&Path>, config: &Config) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("DAVSYNC_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = &config.data_dir {
        return dir.clone();
    }
    directories::ProjectDirs::from("", "", "davsync")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".davsync"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[general]
data_dir = "state"

[profiles.work]
content = "events"
mode = "to-server-merge"
conflicts = "keep-both"
max_delete = 20
category = "Work"
category_include_uncategorized = true
local = { type = "vdir", path = "cal" }
server = { type = "vdir", path = "/media/backup/work" }

[profiles.people]
content = "contacts"
local = { type = "vdir", path = "~/contacts" }
server = { type = "vdir", path = "/srv/contacts" }
"#;

    #[test]
    fn parses_the_documented_example() {
        let cfg = Config::parse(GOOD, Path::new("/etc/davsync/config.toml")).unwrap();
        assert_eq!(
            cfg.data_dir.as_deref(),
            Some(Path::new("/etc/davsync/state"))
        );
        let work = &cfg.profiles[1];
        assert_eq!(work.name, "work");
        assert_eq!(work.mode, Mode::ToServerMerge);
        assert_eq!(work.conflicts, ConflictPolicy::KeepBoth);
        assert_eq!(work.max_delete, 20);
        assert!(work.category.as_ref().unwrap().include_uncategorized);
        let ResolvedStore::Vdir { path } = &work.local else {
            panic!("vdir expected")
        };
        assert_eq!(path, Path::new("/etc/davsync/cal"));
        let people = &cfg.profiles[0];
        assert_eq!(people.mode, Mode::TwoWay);
        assert_eq!(people.max_delete, 50);
        let ResolvedStore::Vdir { path } = &people.local else {
            panic!("vdir expected")
        };
        assert!(path.ends_with("contacts") && path.is_absolute());
    }

    #[test]
    fn time_range_defaults_to_the_guide_for_calendars_and_can_be_set_or_turned_off() {
        let profile = |content: &str, extra: &str| {
            format!(
                "[profiles.p]\ncontent = \"{content}\"\n{extra}\nlocal = {{ type = \"vdir\", path = \"a\" }}\n\
                 server = {{ type = \"vdir\", path = \"b\" }}\n"
            )
        };
        let range = |content: &str, extra: &str| {
            Config::parse(&profile(content, extra), Path::new("/x/c.toml"))
                .unwrap()
                .profiles[0]
                .time_range
        };
        assert_eq!(range("events", ""), Some((60, 365)));
        assert_eq!(range("tasks", ""), Some((60, 365)));
        assert_eq!(range("contacts", ""), None);
        assert_eq!(range("events", "time_range = false"), None);
        assert_eq!(range("events", "time_range = true"), Some((60, 365)));
        assert_eq!(
            range("events", "time_range = { past_days = 7, future_days = 30 }"),
            Some((7, 30))
        );
        assert_eq!(
            range("events", "time_range = { past_days = 0 }"),
            Some((0, 365))
        );
        for (content, extra, says) in [
            ("events", "time_range = { past = 7 }", "unknown key `past`"),
            (
                "events",
                "time_range = { past_days = -1 }",
                "from 0 to 36500",
            ),
            ("events", "time_range = 30", "must be `false` or a table"),
            ("contacts", "time_range = true", "contacts have no dates"),
        ] {
            let e = error_of(&profile(content, extra));
            assert!(
                e.contains("profiles.p.time_range") && e.contains("line 3") && e.contains(says),
                "{extra}: {e}"
            );
        }
    }

    fn error_of(source: &str) -> String {
        Config::parse(source, Path::new("/x/config.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let bad_mode = GOOD.replace("\"to-server-merge\"", "\"sideways\"");
        let e = error_of(&bad_mode);
        assert!(e.starts_with("/x/config.toml, line 7"), "{e}");
        assert!(e.contains("sideways"), "{e}");

        let e = error_of(&GOOD.replace("max_delete = 20", "max_delete = 200"));
        assert!(
            e.contains("line 9") && e.contains("profiles.work.max_delete"),
            "{e}"
        );

        let e = error_of(&GOOD.replace("category = \"Work\"", "category = \"A,B\""));
        assert!(
            e.contains("line 10") && e.contains("profiles.work.category"),
            "{e}"
        );

        let e = error_of(&GOOD.replace("mode = ", "moed = "));
        assert!(e.contains("line 7") && e.contains("moed"), "{e}");

        let missing = GOOD.replace("content = \"contacts\"\n", "");
        let e = error_of(&missing);
        assert!(e.contains("content") && e.contains("line"), "{e}");

        let e = error_of(&GOOD.replace("[profiles.work]", "[profiles.\"a/b\"]"));
        assert!(e.contains("profiles.a/b") && e.contains("line 5"), "{e}");

        let e = error_of(&GOOD.replace(
            "type = \"vdir\", path = \"cal\"",
            "type = \"ftp\", path = \"cal\"",
        ));
        assert!(e.contains("ftp") && e.contains("line 12"), "{e}");
    }

    #[test]
    fn server_stores() {
        let source = r#"
[profiles.cal]
content = "tasks"
local = { type = "vdir", path = "tasks" }
server = { type = "caldav", url = "https://dav.example.org/alice/tasks/", username = "alice", password_env = "DAV_PW", timeout_seconds = 30 }
"#;
        let cfg = Config::parse(source, Path::new("/x/c.toml")).unwrap();
        let ResolvedStore::Dav(dav) = &cfg.profiles[0].server else {
            panic!("dav expected")
        };
        assert_eq!(dav.url, "https://dav.example.org/alice/tasks/");
        assert_eq!(dav.timeout.as_secs(), 30);
        assert_eq!(
            (cfg.profiles[0].chunk_size, cfg.profiles[0].concurrency),
            (100, 4)
        );
        let e = error_of(&source.replace(
            "content = \"tasks\"",
            "content = \"tasks\"\nconcurrency = 0",
        ));
        assert!(
            e.contains("profiles.cal.concurrency") && e.contains("line 4"),
            "{e}"
        );
        let tuned = Config::parse(
            &source.replace(
                "content = \"tasks\"",
                "content = \"tasks\"\nchunk_size = 25\nconcurrency = 8",
            ),
            Path::new("/x/c.toml"),
        )
        .unwrap();
        assert_eq!(
            (tuned.profiles[0].chunk_size, tuned.profiles[0].concurrency),
            (25, 8)
        );
        assert!(matches!(dav.password, Some(PasswordSource::Env(ref v)) if v == "DAV_PW"));

        let e = error_of(&source.replace("\"caldav\"", "\"carddav\""));
        assert!(
            e.contains("profiles.cal.server.type") && e.contains("tasks"),
            "{e}"
        );
        let e = error_of(&source.replace("https://dav.example.org", "ftp://x"));
        assert!(e.contains("profiles.cal.server.url"), "{e}");
        let e = error_of(&source.replace(
            "https://dav.example.org",
            "https://alice:pw@dav.example.org",
        ));
        assert!(e.contains("username") && !e.contains("pw@"), "{e}");
        let e = error_of(&source.replace(
            "password_env = \"DAV_PW\"",
            "password_env = \"X\", password = \"p\"",
        ));
        assert!(
            e.contains("password_env") && e.contains("password") && e.contains("line 5"),
            "{e}"
        );
    }

    #[test]
    fn select_names_unknown_profiles() {
        let cfg = Config::parse(GOOD, Path::new("/x/c.toml")).unwrap();
        assert_eq!(cfg.select(&[]).unwrap().len(), 2);
        let e = cfg.select(&["nope".into()]).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("people, work"), "{e}");
    }
}
