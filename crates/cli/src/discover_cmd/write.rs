//! `discover --write`: the profiles planned for the collections found (names,
//! contents, folders; collections already configured skipped), their TOML text,
//! and the append to the configuration file after the result was parsed.

use super::{DiscoverArgs, StartPlan, cell};
use crate::UsageError;
use crate::config::{Config, Content};
use crate::presets::{self, Preset};
use anyhow::{Context, Result, anyhow};
use davsync_dav::CollectionKind;
use davsync_dav::discovery::DiscoveredCollection;
use serde_json::json;
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A profile to add.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub(super) name: String,
    pub(super) content: &'static str,
    pub(super) read_only: bool,
    pub(super) local: PathBuf,
    pub(super) url: String,
    server_type: &'static str,
    displayname: Option<String>,
    color: Option<String>,
}

impl Planned {
    pub(super) fn mode(&self) -> &'static str {
        if self.read_only {
            "to-local"
        } else {
            "two-way"
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "profile": self.name,
            "content": self.content,
            "mode": self.mode(),
            "local": self.local.display().to_string(),
            "url": self.url,
        })
    }
}

/// What `--write` did.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub(super) added: Vec<Planned>,
    /// (url, content, existing profile) of collections already configured.
    pub(super) skipped: Vec<(String, &'static str, String)>,
    /// Collections no profile can sync (calendars of neither events nor tasks).
    unsupported: Vec<String>,
}

/// The profiles already in the file, as written (the file need not be valid
/// for davsync yet: it may have no profiles at all).
#[derive(Debug, Default)]
struct Existing {
    names: HashSet<String>,
    /// (normalised server URL, content) → profile name.
    dav: Vec<(String, String, String)>,
    local_paths: HashSet<String>,
}

fn existing_profiles(text: &str, file: &Path) -> Result<Existing> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        UsageError::of(anyhow!(
            "{}: not valid TOML ({}); nothing was added",
            file.display(),
            e.message()
        ))
    })?;
    let mut existing = Existing::default();
    let Some(profiles) = table.get("profiles").and_then(|p| p.as_table()) else {
        return Ok(existing);
    };
    for (name, profile) in profiles {
        existing.names.insert(name.clone());
        let get = |side: &str, key: &str| {
            profile
                .get(side)
                .and_then(|s| s.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        if let Some(path) = get("local", "path") {
            existing.local_paths.insert(path);
        }
        let content = profile
            .get("content")
            .and_then(|c| c.as_str())
            .unwrap_or("")
            .to_string();
        for side in ["server", "local"] {
            if let Some(url) = get(side, "url") {
                existing
                    .dav
                    .push((normalise_url(&url), content.clone(), name.clone()));
            }
        }
    }
    Ok(existing)
}

/// A URL for comparisons: scheme and host in lower case, a final `/`.
fn normalise_url(url: &str) -> String {
    let url = url.trim();
    let (head, path) = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find('/').map_or(url.len(), |j| i + 3 + j);
            (url[..end].to_ascii_lowercase(), &url[end..])
        }
        None => (String::new(), url),
    };
    let mut out = format!("{head}{path}");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// A profile name from a display name: ASCII letters (accents dropped, lower
/// case), digits, `-`, `_` and `.`; anything else becomes `-`.
fn safe_name(raw: &str) -> String {
    const FOLD: [(&str, &str); 12] = [
        ("àáâãåāÀÁÂÃÅĀ", "a"),
        ("äæÄÆ", "ae"),
        ("çčÇČ", "c"),
        ("èéêëēěÈÉÊËĒĚ", "e"),
        ("ìíîïÌÍÎÏ", "i"),
        ("ñńÑŃ", "n"),
        ("òóôõøÒÓÔÕØ", "o"),
        ("öœÖŒ", "oe"),
        ("ùúûůÙÚÛŮ", "u"),
        ("üÜ", "ue"),
        ("ýÿÝ", "y"),
        ("ß", "ss"),
    ];
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            out.push(c.to_ascii_lowercase());
        } else if let Some((_, to)) = FOLD.iter().find(|(from, _)| from.contains(c)) {
            out.push_str(to);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches(['-', '.', '_']);
    // Room for "-tasks" and "-NN" within the 64 characters a name may have.
    let mut name: String = trimmed.chars().take(48).collect();
    while name.ends_with(['-', '.', '_']) {
        name.pop();
    }
    name
}

/// The base of a collection's profile names.
fn base_name(c: &DiscoveredCollection) -> String {
    let from_name = c.displayname.as_deref().map(safe_name).unwrap_or_default();
    if !from_name.is_empty() {
        return from_name;
    }
    let last = c
        .url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .map(safe_name)
        .unwrap_or_default();
    if !last.is_empty() {
        return last;
    }
    match c.kind {
        CollectionKind::Calendar => "calendar".into(),
        CollectionKind::AddressBook => "contacts".into(),
    }
}

/// Whether `dir` can become a new profile's folder: missing or empty.
fn folder_free(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => !dir.exists(),
    }
}

/// `key = "value"` value syntax for TOML.
fn toml_str(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

fn plan_profiles(
    collections: &[DiscoveredCollection],
    existing: &Existing,
    root: &Path,
) -> Written {
    let mut written = Written::default();
    let mut taken: HashSet<String> = existing.names.clone();
    let free = |name: &str, taken: &HashSet<String>| {
        let dir = root.join(name);
        !taken.contains(name)
            && !existing
                .local_paths
                .contains(dir.to_string_lossy().as_ref())
            && folder_free(&dir)
    };
    for c in collections {
        let mut contents: Vec<&'static str> = Vec::new();
        match c.kind {
            CollectionKind::AddressBook => contents.push("contacts"),
            CollectionKind::Calendar => {
                if c.holds_events() {
                    contents.push("events");
                }
                if c.holds_tasks() {
                    contents.push("tasks");
                }
            }
        }
        if contents.is_empty() {
            written.unsupported.push(c.url.clone());
            continue;
        }
        let url = normalise_url(&c.url);
        let both = contents.len() == 2;
        contents.retain(|content| {
            match existing
                .dav
                .iter()
                .find(|(u, k, _)| u == &url && k == content)
            {
                Some((_, _, profile)) => {
                    written
                        .skipped
                        .push((c.url.clone(), content, profile.clone()));
                    false
                }
                None => true,
            }
        });
        if contents.is_empty() {
            continue;
        }
        let base = base_name(c);
        // The names of this collection's profiles with the n-th suffix.
        let names_for = |n: usize| -> Vec<String> {
            let stem = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            contents
                .iter()
                .map(|content| {
                    if *content == "tasks" && (both || c.holds_events()) {
                        format!("{stem}-tasks")
                    } else {
                        stem.clone()
                    }
                })
                .collect()
        };
        let names = (1..)
            .map(names_for)
            .find(|names| names.iter().all(|n| free(n, &taken)))
            .expect("some suffix is free");
        for (name, content) in names.into_iter().zip(&contents) {
            taken.insert(name.clone());
            written.added.push(Planned {
                local: root.join(&name),
                name,
                content,
                read_only: c.read_only,
                url: c.url.clone(),
                server_type: match c.kind {
                    CollectionKind::Calendar => "caldav",
                    CollectionKind::AddressBook => "carddav",
                },
                displayname: c.displayname.clone(),
                color: c.color.clone(),
            });
        }
    }
    written
}

/// The TOML text of the planned profiles.
fn render_profiles(
    planned: &[Planned],
    user: &str,
    store_keys: &[String],
    started: &str,
    preset: Option<&Preset>,
) -> String {
    let mut out = format!(
        "# Added by `davsync discover` on {} for {} ({}).\n",
        chrono::Local::now().format("%Y-%m-%d %H:%M"),
        cell(user),
        cell(started),
    );
    for p in planned {
        let key = if p.name.contains('.') {
            format!("\"{}\"", p.name)
        } else {
            p.name.clone()
        };
        out.push_str(&format!("\n[profiles.{key}]\n"));
        if let Some(name) = &p.displayname {
            out.push_str(&format!("# {}\n", cell(name)));
        }
        out.push_str(&format!("content = \"{}\"\n", p.content));
        if p.read_only {
            out.push_str("mode = \"to-local\"  # read-only on the server\n");
        }
        match preset {
            Some(preset) => out.push_str(&presets::profile_lines(preset, content_of(p.content))),
            None if p.content != "contacts" && is_sogo(&p.url) => out.push_str(
                "sogo_no_notifications = true  # SOGo mails no invitations for synced items\n",
            ),
            None => {}
        }
        out.push_str(&format!(
            "local = {{ type = \"vdir\", path = {} }}\n",
            toml_str(&p.local.to_string_lossy())
        ));
        let mut server = format!(
            "server = {{ type = \"{}\", url = {}, username = {}",
            p.server_type,
            toml_str(&p.url),
            toml_str(user)
        );
        for key in store_keys {
            server.push_str(", ");
            server.push_str(key);
        }
        server.push_str(" }\n");
        out.push_str(&server);
    }
    out
}

/// The content a planned profile has.
fn content_of(content: &str) -> Content {
    match content {
        "events" => Content::Events,
        "tasks" => Content::Tasks,
        _ => Content::Contacts,
    }
}

/// Whether a collection is on a SOGo server (its DAV root is `/SOGo/dav/`):
/// its calendars get SOGo's notification flag, as the original's SOGo preset does.
fn is_sogo(url: &str) -> bool {
    url.contains("/SOGo/dav/")
}

pub(super) fn write_profiles(
    config_path: &Path,
    root: &Path,
    collections: &[DiscoveredCollection],
    user: &str,
    args: &DiscoverArgs,
    plan: &StartPlan,
) -> Result<Written> {
    let root = std::path::absolute(root)
        .with_context(|| format!("cannot use {} as the local root", root.display()))?;
    let old = match std::fs::read(config_path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| UsageError::of(anyhow!("{}: not UTF-8 text", config_path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", config_path.display()));
        }
    };
    let existing = existing_profiles(&old, config_path)?;
    let written = plan_profiles(collections, &existing, &root);
    if written.added.is_empty() {
        return Ok(written);
    }
    let password_key = if let Some(cmd) = &args.password_command {
        Some(format!("password_command = {}", toml_str(cmd)))
    } else if let Some(var) = &args.password_env {
        Some(format!("password_env = {}", toml_str(var)))
    } else if args.password_keyring {
        Some("password_keyring = true".to_string())
    } else {
        None
    };
    let mut store_keys: Vec<String> = password_key.into_iter().collect();
    store_keys.extend(args.network.keys()?);
    let addition = render_profiles(
        &written.added,
        user,
        &store_keys,
        &plan.describe(),
        plan.preset,
    );
    let mut new_text = old.clone();
    if !new_text.is_empty() && !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    if !new_text.is_empty() {
        new_text.push('\n');
    }
    let appended = new_text[old.len()..].to_string() + &addition;
    new_text.push_str(&addition);
    // Prove the result is a valid configuration before touching anything.
    Config::parse(&new_text, config_path)
        .with_context(|| {
            format!(
                "the profiles found would not make a valid configuration in {}; nothing was written",
                config_path.display()
            )
        })
        .map_err(UsageError::of)?;
    for p in &written.added {
        std::fs::create_dir_all(&p.local)
            .with_context(|| format!("cannot create {}", p.local.display()))?;
        if let Some(name) = &p.displayname {
            std::fs::write(p.local.join("displayname"), name)
                .with_context(|| format!("cannot write {}/displayname", p.local.display()))?;
        }
        if let Some(color) = &p.color {
            std::fs::write(p.local.join("color"), color)
                .with_context(|| format!("cannot write {}/color", p.local.display()))?;
        }
    }
    if let Some(parent) = config_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // Append: the user's text stays byte for byte (and a symlinked file stays a symlink).
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config_path)
        .with_context(|| format!("cannot open {}", config_path.display()))?;
    file.write_all(appended.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    Ok(written)
}

pub(super) fn written_text(w: &Written, config_path: &Path, has_password_key: bool) -> String {
    let mut out = String::from("\n");
    for (url, content, profile) in &w.skipped {
        out.push_str(&format!(
            "Already configured: {url} ({content}) in profile {profile}; skipped.\n"
        ));
    }
    for url in &w.unsupported {
        out.push_str(&format!(
            "Skipped {url}: a calendar of neither events nor tasks.\n"
        ));
    }
    if w.added.is_empty() {
        out.push_str(&format!(
            "Nothing added to {}: every collection found is configured already.\n",
            config_path.display()
        ));
        return out;
    }
    out.push_str(&format!(
        "Added {} profile{} to {}:\n",
        w.added.len(),
        if w.added.len() == 1 { "" } else { "s" },
        config_path.display()
    ));
    let width = w.added.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &w.added {
        out.push_str(&format!(
            "  {:width$}  {:8}  {:8}  {}  <->  {}\n",
            p.name,
            p.content,
            p.mode(),
            p.local.display(),
            p.url
        ));
    }
    if !has_password_key {
        out.push_str(&format!(
            "No password option was given, so the new profiles have no password key: add one of\n  \
             password_command = \"pass show dav\", password_keyring = true, password_env = \"VAR\"\n\
             to each new `server = {{ … }}` table in {}.\n",
            config_path.display()
        ));
    }
    out.push_str("Run `davsync sync` to sync them.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(name: Option<&str>, url: &str, components: &[&str]) -> DiscoveredCollection {
        DiscoveredCollection {
            url: url.into(),
            kind: if components.is_empty() {
                CollectionKind::AddressBook
            } else {
                CollectionKind::Calendar
            },
            displayname: name.map(str::to_string),
            color: Some("#ff0000".into()),
            description: None,
            components: components.iter().map(|c| c.to_string()).collect(),
            read_only: false,
            supports_sync: true,
            shared_by: None,
        }
    }

    #[test]
    fn names_are_safe() {
        assert_eq!(safe_name("Personal Calendar"), "personal-calendar");
        assert_eq!(
            safe_name("  Müller & Söhne / Büro "),
            "mueller-soehne-buero"
        );
        assert_eq!(safe_name("../etc/passwd"), "etc-passwd");
        assert_eq!(safe_name("日本"), "");
        assert_eq!(safe_name("a.b_c"), "a.b_c");
        assert!(safe_name(&"x".repeat(100)).len() <= 48);
    }

    #[test]
    fn plan_splits_events_and_tasks_and_never_clobbers() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("work")).unwrap();
        std::fs::write(root.path().join("work").join("x.ics"), "x").unwrap();
        let existing = existing_profiles(
            "[profiles.home]\ncontent = \"events\"\nlocal = { type = \"vdir\", path = \"/x\" }\n\
             server = { type = \"caldav\", url = \"HTTP://H/cal/old\" }\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let collections = [
            collection(Some("Home"), "http://h/cal/home/", &["VEVENT", "VTODO"]),
            collection(Some("Work"), "http://h/cal/work/", &["VEVENT"]),
            collection(Some("Todo"), "http://h/cal/todo/", &["VTODO"]),
            collection(Some("Old"), "http://h/cal/old/", &["VEVENT"]),
            collection(None, "http://h/card/people/", &[]),
            collection(Some("Journal"), "http://h/cal/j/", &["VJOURNAL"]),
        ];
        let w = plan_profiles(&collections, &existing, root.path());
        let got: Vec<(&str, &str)> = w
            .added
            .iter()
            .map(|p| (p.name.as_str(), p.content))
            .collect();
        assert_eq!(
            got,
            [
                ("home-2", "events"),
                ("home-2-tasks", "tasks"),
                ("work-2", "events"),
                ("todo", "tasks"),
                ("people", "contacts"),
            ]
        );
        assert_eq!(w.skipped.len(), 1);
        assert_eq!(w.skipped[0].2, "home");
        assert_eq!(w.unsupported, ["http://h/cal/j/"]);
        let text = render_profiles(
            &w.added,
            "alice",
            &["password_env = \"PW\"".to_string()],
            "http://h/",
            None,
        );
        let cfg = Config::parse(&text, &root.path().join("c.toml")).unwrap();
        assert_eq!(cfg.profiles.len(), 5);
    }

    #[test]
    fn sogo_calendars_get_the_notification_flag() {
        let root = tempfile::tempdir().unwrap();
        let existing = existing_profiles("", Path::new("c.toml")).unwrap();
        let collections = [
            collection(
                Some("Personal"),
                "https://h/SOGo/dav/alice/Calendar/personal/",
                &["VEVENT", "VTODO"],
            ),
            collection(None, "https://h/SOGo/dav/alice/Contacts/personal/", &[]),
            collection(Some("Work"), "https://h/dav/cal/work/", &["VEVENT"]),
        ];
        let w = plan_profiles(&collections, &existing, root.path());
        let text = render_profiles(&w.added, "alice", &[], "https://h/", None);
        let cfg = Config::parse(&text, &root.path().join("c.toml")).unwrap();
        let flags: Vec<(&str, bool)> = cfg
            .profiles
            .iter()
            .map(|p| (p.name.as_str(), p.mapping.sogo_no_notifications))
            .collect();
        assert_eq!(
            flags,
            [
                ("personal", true),
                ("personal-2", false),
                ("personal-tasks", true),
                ("work", false)
            ],
            "{text}"
        );
    }

    #[test]
    fn a_preset_writes_its_keys_after_a_comment_naming_it() {
        let root = tempfile::tempdir().unwrap();
        let existing = existing_profiles("", Path::new("c.toml")).unwrap();
        let collections = [
            collection(Some("Cal"), "https://h/dav/cal/", &["VEVENT", "VTODO"]),
            collection(Some("Book"), "https://h/dav/book/", &[]),
            collection(Some("S"), "https://h/SOGo/dav/a/Calendar/s/", &["VEVENT"]),
        ];
        let w = plan_profiles(&collections, &existing, root.path());
        let icloud = crate::presets::find("icloud").unwrap();
        let text = render_profiles(&w.added, "a", &[], "https://h/", Some(icloud));
        assert_eq!(
            text.matches("# preset: icloud (davsync presets)\n").count(),
            4,
            "{text}"
        );
        // Calendar keys in calendar profiles, contact keys in the contacts profile.
        assert_eq!(text.matches("\ntimezones = \"iana\"").count(), 3, "{text}");
        assert_eq!(
            text.matches("\nserver_groups = \"apple\"").count(),
            1,
            "{text}"
        );
        // The preset decides: no SOGo guess besides.
        assert!(!text.contains("sogo_no_notifications"), "{text}");
        let cfg = Config::parse(&text, &root.path().join("c.toml")).unwrap();
        assert_eq!(cfg.profiles.len(), 4);
        let sogo = crate::presets::find("sogo").unwrap();
        let text = render_profiles(&w.added, "a", &[], "https://h/", Some(sogo));
        assert_eq!(
            text.matches("\nsogo_no_notifications = true").count(),
            3,
            "{text}"
        );
        let cfg = Config::parse(&text, &root.path().join("c.toml")).unwrap();
        assert!(cfg.profiles.iter().all(|p| p.content == Content::Contacts
            || (p.mapping.sogo_no_notifications && !p.mapping.schedule_agent_client)));
    }

    #[test]
    fn urls_compare_loosely() {
        assert_eq!(normalise_url("HTTP://Host:1/a/B"), "http://host:1/a/B/");
        assert_eq!(normalise_url("http://h/a/"), "http://h/a/");
    }
}
