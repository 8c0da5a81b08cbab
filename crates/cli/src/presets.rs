//! Server presets: per server, where its DAV roots are (URL templates with
//! `{host}`, `{user}`, `{email}`) and the profile keys the original program
//! (Outlook CalDav Synchronizer) sets for it. `discover --preset` starts from
//! the URLs and `--write` writes the keys; `davsync presets` lists them. The
//! entries are in `presets/table.rs`, one per server.

mod table;

use crate::config::Content;
use crate::config::keys::Key;
use thiserror::Error;

pub(crate) use table::PRESETS;

/// Which protocol a server root serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serves {
    /// Calendars and address books under one root.
    Both,
    /// Calendars only (its address books are under another root).
    CalDav,
    /// Address books only.
    CardDav,
}

impl Serves {
    /// The name in `davsync presets` and its JSON.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Serves::Both => "caldav+carddav",
            Serves::CalDav => "caldav",
            Serves::CardDav => "carddav",
        }
    }
}

/// One root URL of a server: where discovery starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Root {
    /// What is found under it.
    pub serves: Serves,
    /// The URL, with `{host}` (only as `https://{host}` or
    /// `https://{host}:PORT` at the start), `{user}` and `{email}`.
    pub template: &'static str,
}

/// Which profiles a preset's key goes into (the configuration refuses a
/// calendar key in a contacts profile and the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applies {
    /// Events and tasks profiles.
    Calendars,
    /// Events profiles only.
    Events,
    /// Contacts profiles only.
    Contacts,
}

impl Applies {
    /// Whether a profile of `content` takes the key.
    pub(crate) fn takes(self, content: Content) -> bool {
        match self {
            Applies::Calendars => content != Content::Contacts,
            Applies::Events => content == Content::Events,
            Applies::Contacts => content == Content::Contacts,
        }
    }

    /// The name in `davsync presets` and its JSON.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Applies::Calendars => "events, tasks",
            Applies::Events => "events",
            Applies::Contacts => "contacts",
        }
    }
}

/// A profile key a preset sets, with the original's option it stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting {
    /// The key (from the key table: a renamed key fails to compile).
    pub key: &'static Key,
    /// Its value in TOML syntax (`false`, `"iana"`, `{ past_days = 31, … }`).
    pub value: &'static str,
    /// Which profiles get it.
    pub applies: Applies,
    /// The original's option it stands for, or why it is set.
    pub why: &'static str,
}

/// One server preset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Preset {
    /// The name `--preset` takes (lower case).
    pub name: &'static str,
    /// Other names `--preset` takes.
    pub aliases: &'static [&'static str],
    /// The server or provider, as its makers write it.
    pub server: &'static str,
    /// Where discovery starts: one root, or a CalDAV and a CardDAV one.
    pub roots: &'static [Root],
    /// What the user name is on this server.
    pub login: &'static str,
    /// The keys written into the profiles `--write` adds.
    pub settings: &'static [Setting],
    /// What the server does that a user should know, and the original's
    /// options that davsync has no key for.
    pub notes: &'static [&'static str],
    /// Whether the suite runs this preset against a server of this kind.
    pub tested_here: bool,
    /// Why `discover --preset` refuses it, when it does.
    pub unsupported: Option<&'static str>,
}

/// What the user gave for the placeholders.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Inputs<'a> {
    /// `--host`: a host name (`https://` is meant), `HOST:PORT`, or a base
    /// URL (`http://127.0.0.1:5232`, `https://example.org/nextcloud`).
    pub host: Option<&'a str>,
    /// The user name (`--user`, else `--email`).
    pub user: Option<&'a str>,
    /// `--email`.
    pub email: Option<&'a str>,
}

/// Why a preset gives no URL.
#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum PresetError {
    /// No preset has this name.
    #[error("there is no preset {0:?}; `davsync presets` lists them")]
    Unknown(String),
    /// The preset is listed but cannot be used yet.
    #[error("preset {name} ({server}) is not supported yet: {why}")]
    Unsupported {
        /// The preset.
        name: &'static str,
        /// Its server.
        server: &'static str,
        /// Why.
        why: &'static str,
    },
    /// Placeholders of its URL were not given.
    #[error("preset {name} needs {}", .missing.join(" and "))]
    Missing {
        /// The preset.
        name: &'static str,
        /// The options missing, such as `--host`.
        missing: Vec<&'static str>,
    },
    /// `--host` was given to a preset whose URL names its own host.
    #[error("preset {0} has a fixed URL and takes no --host (give --url to start elsewhere)")]
    HostNotTaken(&'static str),
    /// `--host` is not a host or base URL.
    #[error("--host {0:?} is not a host name or an http(s) base URL")]
    BadHost(String),
}

/// The preset named `name` (or one of its aliases), in any case.
pub(crate) fn find(name: &str) -> Result<&'static Preset, PresetError> {
    let wanted = name.trim().to_lowercase();
    PRESETS
        .iter()
        .find(|p| p.name == wanted || p.aliases.iter().any(|a| *a == wanted))
        .ok_or_else(|| PresetError::Unknown(name.to_string()))
}

impl Preset {
    /// The preset if `discover` can use it.
    pub(crate) fn usable(&'static self) -> Result<&'static Preset, PresetError> {
        match self.unsupported {
            Some(why) => Err(PresetError::Unsupported {
                name: self.name,
                server: self.server,
                why,
            }),
            None => Ok(self),
        }
    }

    /// The keys for a profile of `content`.
    pub(crate) fn settings_for(&self, content: Content) -> impl Iterator<Item = &Setting> {
        self.settings
            .iter()
            .filter(move |s| s.applies.takes(content))
    }

    /// The root URLs for `inputs`; an error names every option missing.
    pub(crate) fn urls(&self, inputs: Inputs<'_>) -> Result<Vec<(Serves, String)>, PresetError> {
        let needs = |p: &str| self.roots.iter().any(|r| r.template.contains(p));
        let mut missing = Vec::new();
        if needs("{host}") && inputs.host.is_none() {
            missing.push("--host");
        }
        if needs("{user}") && inputs.user.is_none() {
            missing.push("--user");
        }
        if needs("{email}") && inputs.email.is_none() {
            missing.push("--email");
        }
        if !missing.is_empty() {
            return Err(PresetError::Missing {
                name: self.name,
                missing,
            });
        }
        if inputs.host.is_some() && !needs("{host}") {
            return Err(PresetError::HostNotTaken(self.name));
        }
        self.roots
            .iter()
            .map(|root| {
                let mut url = root.template.to_string();
                if let Some(rest) = url.strip_prefix("https://{host}") {
                    let (port, path) = template_port(rest);
                    let host = inputs.host.unwrap_or_default();
                    url = format!("{}{path}", base_url(host, port)?);
                }
                if let Some(user) = inputs.user {
                    url = url.replace("{user}", &path_segment(user));
                }
                if let Some(email) = inputs.email {
                    url = url.replace("{email}", &path_segment(email));
                }
                Ok((root.serves, url))
            })
            .collect()
    }
}

/// The port a template names after `{host}` (`:5001/caldav/` → 5001) and the rest.
fn template_port(rest: &str) -> (Option<&str>, &str) {
    match rest.strip_prefix(':') {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        }
        None => (None, rest),
    }
}

/// `--host` as a base URL without a final `/`: a URL as given (its scheme
/// and port win), a bare `HOST[:PORT][/PATH]` with `https://` and, when it
/// names no port, the template's.
fn base_url(host: &str, template_port: Option<&str>) -> Result<String, PresetError> {
    let bad = || PresetError::BadHost(host.to_string());
    let given = host.trim();
    if given.is_empty() || given.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let url = if let Some((scheme, _)) = given.split_once("://") {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(bad());
        }
        given.to_string()
    } else {
        let (authority, path) = given.split_at(given.find('/').unwrap_or(given.len()));
        // A port is a `:` after the host (after `]` for an IPv6 address).
        let host_end = authority.rfind(']').unwrap_or(0);
        let has_port = authority[host_end..].contains(':');
        match template_port {
            Some(port) if !has_port => format!("https://{authority}:{port}{path}"),
            _ => format!("https://{authority}{path}"),
        }
    };
    let parsed = url.parse::<http::Uri>().map_err(|_| bad())?;
    if parsed.host().is_none_or(str::is_empty) || parsed.query().is_some() {
        return Err(bad());
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// A user name or address as one URL path segment: `/`, `%`, `?`, `#`,
/// spaces and other characters outside RFC 3986's `pchar` percent-encoded
/// (`@` stays, as providers write it).
fn path_segment(value: &str) -> String {
    let mut out = String::new();
    for byte in value.trim().bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The TOML lines `--write` adds to a profile of `content` made with `preset`:
/// a comment naming it, then its keys, each with the option it stands for.
pub(crate) fn profile_lines(preset: &Preset, content: Content) -> String {
    let mut out = format!("# preset: {} (davsync presets)\n", preset.name);
    for setting in preset.settings_for(content) {
        out.push_str(&format!(
            "{} = {}  # {}\n",
            setting.key.name, setting.value, setting.why
        ));
    }
    out
}

#[cfg(test)]
mod tests;
