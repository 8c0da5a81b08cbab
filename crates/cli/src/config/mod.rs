//! The configuration file: parsing, validation with file/line/key in every
//! error, and resolution of paths and the data directory.

use crate::secrets::{KeyNames, PasswordSource};
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
pub(crate) enum Content {
    /// VEVENTs, in `.ics` files.
    Events,
    /// VTODOs, in `.ics` files.
    Tasks,
    /// vCards, in `.vcf` files.
    Contacts,
}

impl Content {
    /// The item kind a profile of this content keeps.
    pub(crate) fn kind(self) -> ItemKind {
        match self {
            Content::Events => ItemKind::Event,
            Content::Tasks => ItemKind::Task,
            Content::Contacts => ItemKind::Contact,
        }
    }

    /// The vdir file extension.
    pub(crate) fn extension(self) -> &'static str {
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
    /// A new connection for every request (default false).
    close_connection: Option<Spanned<bool>>,
    /// Send Basic credentials before the server asks (default true).
    preemptive_auth: Option<Spanned<bool>>,
    /// Always Basic, even when the server offers Digest (default false).
    force_basic_auth: Option<Spanned<bool>>,
    /// How often a failed request is sent again (0 to 10, default 3).
    retries: Option<Spanned<i64>>,
    /// Remove characters XML 1.0 forbids from answers (default false).
    accept_invalid_xml_chars: Option<Spanned<bool>>,
    /// Accept malformed header lines in answers (default false).
    lenient_headers: Option<Spanned<bool>>,
    /// `"system"` (the default), `"none"`, or the proxy's `http://` or `https://` URL.
    proxy: Option<Spanned<String>>,
    /// The user name on the proxy.
    proxy_username: Option<Spanned<String>>,
    /// A shell command whose first line of output is the proxy password.
    proxy_password_command: Option<Spanned<String>>,
    /// Take the proxy password from the system keyring.
    proxy_password_keyring: Option<Spanned<bool>>,
    /// The environment variable holding the proxy password.
    proxy_password_env: Option<Spanned<String>>,
    /// The proxy password itself (works, with a warning).
    proxy_password: Option<Spanned<String>>,
    /// A PEM file of certificates trusted besides the system's.
    tls_ca_file: Option<Spanned<String>>,
    /// The client certificate (PEM); needs `tls_client_key`.
    tls_client_cert: Option<Spanned<String>>,
    /// The client certificate's private key (PEM); needs `tls_client_cert`.
    tls_client_key: Option<Spanned<String>>,
    /// The SHA-256 fingerprint of the server's certificate, pinned.
    tls_fingerprint: Option<Spanned<String>>,
    /// Accept any certificate (warned about on every run; default false).
    tls_insecure: Option<Spanned<bool>>,
}

impl RawStore {
    /// The keys set that only caldav and carddav stores take, with their
    /// spans (`store`: the table's, for keys read without one).
    fn dav_only_keys(
        &self,
        store: &std::ops::Range<usize>,
    ) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut keys = Vec::new();
        let mut spanned = |name: &'static str, span: Option<std::ops::Range<usize>>| {
            if let Some(span) = span {
                keys.push((name, span));
            }
        };
        let given = |set: bool| set.then(|| store.clone());
        spanned("url", self.url.as_ref().map(Spanned::span));
        spanned("username", self.username.as_ref().map(Spanned::span));
        spanned("password_command", given(self.password_command.is_some()));
        spanned("password_keyring", given(self.password_keyring));
        spanned("password_env", given(self.password_env.is_some()));
        spanned("password", given(self.password.is_some()));
        spanned(
            "timeout_seconds",
            self.timeout_seconds.as_ref().map(Spanned::span),
        );
        let bools = [
            ("close_connection", &self.close_connection),
            ("preemptive_auth", &self.preemptive_auth),
            ("force_basic_auth", &self.force_basic_auth),
            ("accept_invalid_xml_chars", &self.accept_invalid_xml_chars),
            ("lenient_headers", &self.lenient_headers),
            ("proxy_password_keyring", &self.proxy_password_keyring),
            ("tls_insecure", &self.tls_insecure),
        ];
        for (name, value) in bools {
            spanned(name, value.as_ref().map(Spanned::span));
        }
        spanned("retries", self.retries.as_ref().map(Spanned::span));
        let strings = [
            ("proxy", &self.proxy),
            ("proxy_username", &self.proxy_username),
            ("proxy_password_command", &self.proxy_password_command),
            ("proxy_password_env", &self.proxy_password_env),
            ("proxy_password", &self.proxy_password),
            ("tls_ca_file", &self.tls_ca_file),
            ("tls_client_cert", &self.tls_client_cert),
            ("tls_client_key", &self.tls_client_key),
            ("tls_fingerprint", &self.tls_fingerprint),
        ];
        for (name, value) in strings {
            spanned(name, value.as_ref().map(Spanned::span));
        }
        keys.sort_by_key(|(_, span)| span.start);
        keys
    }
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
    /// Items larger than this many MiB are left alone with an error (default 10).
    max_item_size_mib: Option<Spanned<i64>>,
    /// Requests in flight at once.
    concurrency: Option<Spanned<i64>>,
    /// `false`, or `{ past_days = 60, future_days = 365 }`.
    time_range: Option<Spanned<toml::Value>>,
    local: Spanned<RawStore>,
    server: Spanned<RawStore>,
}

/// The guide's default time range for calendars: 60 days back, 365 ahead.
pub(crate) const DEFAULT_TIME_RANGE: (u32, u32) = (60, 365);

/// A message about the value at a span of the file.
type SpannedError = (std::ops::Range<usize>, String);

/// Reads `time_range`: `false`, `true` (the default range), or a table with
/// `past_days` and `future_days`. Contacts have no time, so no range. An
/// error comes with the span of the value.
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
pub(crate) struct Profile {
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
    /// Items larger than this (bytes) are left alone, each with an error.
    pub max_item_size: u64,
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
pub(crate) struct CategoryOptions {
    /// The category.
    pub name: String,
    /// Also own items without any category.
    pub include_uncategorized: bool,
    /// Own everything except the category.
    pub negate: bool,
}

/// A store with its paths made absolute.
#[derive(Debug, Clone)]
pub(crate) enum ResolvedStore {
    /// A vdir folder.
    Vdir {
        /// The folder.
        path: PathBuf,
    },
    /// A CalDAV calendar or CardDAV address book (boxed: it is much larger).
    Dav(Box<DavStoreConfig>),
}

/// A server collection and how to log in.
#[derive(Debug, Clone)]
pub(crate) struct DavStoreConfig {
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
    /// Connection, authentication, proxy and TLS settings.
    pub network: NetworkConfig,
}

/// How a server store talks to its server, beyond the URL, the login and the
/// timeout: the store table's other keys, checked and resolved.
#[derive(Debug, Clone)]
pub(crate) struct NetworkConfig {
    /// `close_connection`: a new connection for every request (no keep-alive).
    pub close_connection: bool,
    /// `preemptive_auth` (default true) and `force_basic_auth` (default false).
    pub auth: davsync_dav::AuthOptions,
    /// `retries`: how often a request that failed on the way is sent again (0 to 10).
    pub retries: u32,
    /// `accept_invalid_xml_chars`: remove characters XML 1.0 forbids from answers.
    pub accept_invalid_xml_chars: bool,
    /// `lenient_headers`: accept malformed header lines in answers.
    pub lenient_headers: bool,
    /// `proxy` and its login.
    pub proxy: ProxyConfig,
    /// `tls_ca_file`, `tls_client_cert` with `tls_client_key` (paths resolved),
    /// `tls_fingerprint` and `tls_insecure`.
    pub tls: davsync_dav::tls::TlsOptions,
}

impl Default for NetworkConfig {
    /// What a store table without any of these keys gets.
    fn default() -> Self {
        NetworkConfig {
            close_connection: false,
            auth: davsync_dav::AuthOptions::default(),
            retries: 3,
            accept_invalid_xml_chars: false,
            lenient_headers: false,
            proxy: ProxyConfig::System,
            tls: davsync_dav::tls::TlsOptions::default(),
        }
    }
}

/// Which proxy a server store's requests go through (`proxy`).
#[derive(Debug, Clone)]
pub(crate) enum ProxyConfig {
    /// `"system"` (the default): `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY` and the system settings.
    System,
    /// `"none"`: no proxy, whatever the environment says.
    None,
    /// A proxy URL (`http://` or `https://`, without credentials in it).
    Url {
        /// The proxy's URL.
        url: String,
        /// `proxy_username` (empty: none given).
        username: String,
        /// Where the proxy password comes from (`proxy_password_command`,
        /// `proxy_password_keyring` with user `<proxy_username>@<proxy host>`,
        /// `proxy_password_env` or `proxy_password`); `None` with a user name:
        /// an empty password.
        password: Option<PasswordSource>,
    },
}

/// A message about a key of a store table: its span, the key within the
/// table, the message.
type KeyError = (std::ops::Range<usize>, &'static str, String);

/// Reads the network keys of a caldav or carddav store table (`span`: the
/// table's; `base`: the configuration file's folder; `connect`: the server's
/// `HOST:PORT`, for the hint on getting its fingerprint).
fn network_of(
    store: &RawStore,
    span: &std::ops::Range<usize>,
    base: &Path,
    connect: &str,
) -> Result<NetworkConfig, KeyError> {
    let retries = match &store.retries {
        None => 3,
        Some(r) if (0..=10).contains(r.get_ref()) => *r.get_ref() as u32,
        Some(r) => {
            return Err((
                r.span(),
                "retries",
                "the number of retries must be from 0 to 10".into(),
            ));
        }
    };
    let proxy = proxy_of(store, span)?;
    let path = |value: &Option<Spanned<String>>, key: &'static str| match value {
        None => Ok(None),
        Some(v) if v.get_ref().trim().is_empty() => {
            Err((v.span(), key, "the path is empty".to_string()))
        }
        Some(v) => Ok(Some(resolve_path(v.get_ref(), base))),
    };
    let ca_file = path(&store.tls_ca_file, "tls_ca_file")?;
    let client_cert = match (
        path(&store.tls_client_cert, "tls_client_cert")?,
        path(&store.tls_client_key, "tls_client_key")?,
        &store.tls_client_cert,
        &store.tls_client_key,
    ) {
        (Some(cert), Some(key), _, _) => Some((cert, key)),
        (None, None, _, _) => None,
        (_, _, Some(cert), None) => {
            return Err((
                cert.span(),
                "tls_client_cert",
                "a client certificate needs its private key: give `tls_client_key` too (a PEM file)"
                    .into(),
            ));
        }
        (_, _, _, key) => {
            return Err((
                key.as_ref().map_or(span.clone(), Spanned::span),
                "tls_client_key",
                "a private key needs its client certificate: give `tls_client_cert` too (a PEM file)"
                    .into(),
            ));
        }
    };
    let fingerprint = match &store.tls_fingerprint {
        None => None,
        Some(f) => Some(
            davsync_dav::tls::parse_fingerprint(f.get_ref()).ok_or_else(|| {
                (
                    f.span(),
                    "tls_fingerprint",
                    format!(
                        "not a SHA-256 fingerprint: write it as 32 colon-separated pairs of hex \
                     digits (AB:CD:…, as openssl prints it) or as 64 hex digits; get the \
                     server's with `openssl s_client -connect {connect} </dev/null | \
                     openssl x509 -noout -fingerprint -sha256`"
                    ),
                )
            })?,
        ),
    };
    let insecure = flag(&store.tls_insecure, false);
    if insecure {
        let contradicted: Vec<&str> = [
            ("tls_fingerprint", fingerprint.is_some()),
            ("tls_ca_file", ca_file.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        if !contradicted.is_empty() {
            return Err((
                store
                    .tls_insecure
                    .as_ref()
                    .map_or(span.clone(), Spanned::span),
                "tls_insecure",
                format!(
                    "tls_insecure = true turns the certificate checks off, which contradicts {}: \
                     keep one or the other",
                    contradicted.join(" and ")
                ),
            ));
        }
    }
    Ok(NetworkConfig {
        close_connection: flag(&store.close_connection, false),
        auth: davsync_dav::AuthOptions {
            preemptive: flag(&store.preemptive_auth, true),
            force_basic: flag(&store.force_basic_auth, false),
        },
        retries,
        accept_invalid_xml_chars: flag(&store.accept_invalid_xml_chars, false),
        lenient_headers: flag(&store.lenient_headers, false),
        proxy,
        tls: davsync_dav::tls::TlsOptions {
            ca_file,
            fingerprint,
            client_cert,
            insecure,
        },
    })
}

/// Reads `proxy`, `proxy_username` and the proxy password keys.
fn proxy_of(store: &RawStore, span: &std::ops::Range<usize>) -> Result<ProxyConfig, KeyError> {
    let text = store
        .proxy
        .as_ref()
        .map_or("system", |p| p.get_ref().trim());
    let proxy_span = store.proxy.as_ref().map_or(span.clone(), Spanned::span);
    // The proxy login keys given, in the order of KeyNames::PROXY after proxy_username.
    let login: Vec<(&'static str, std::ops::Range<usize>)> = [
        (
            "proxy_username",
            store.proxy_username.as_ref().map(Spanned::span),
        ),
        (
            KeyNames::PROXY.command,
            store.proxy_password_command.as_ref().map(Spanned::span),
        ),
        (
            KeyNames::PROXY.keyring,
            store
                .proxy_password_keyring
                .as_ref()
                .filter(|k| *k.get_ref())
                .map(Spanned::span),
        ),
        (
            KeyNames::PROXY.env,
            store.proxy_password_env.as_ref().map(Spanned::span),
        ),
        (
            KeyNames::PROXY.plain,
            store.proxy_password.as_ref().map(Spanned::span),
        ),
    ]
    .into_iter()
    .filter_map(|(key, span)| Some((key, span?)))
    .collect();
    let without_url = |kind: ProxyConfig| match login.first() {
        None => Ok(kind),
        Some((key, span)) => Err((
            span.clone(),
            *key,
            format!(
                "`{key}` is for a proxy given by its URL: set `proxy` to it, \
                 such as \"http://proxy.example.org:3128\""
            ),
        )),
    };
    if text.eq_ignore_ascii_case("system") {
        return without_url(ProxyConfig::System);
    }
    if text.eq_ignore_ascii_case("none") {
        return without_url(ProxyConfig::None);
    }
    // Credentials in the URL: refused before anything could quote it.
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    if after_scheme
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
    {
        return Err((
            proxy_span,
            "proxy",
            "put the proxy's user name in `proxy_username` and its password in a \
             `proxy_password_*` key (proxy_password_command, proxy_password_keyring, \
             proxy_password_env or proxy_password), not in the URL"
                .into(),
        ));
    }
    let parsed: Option<http::Uri> = text.parse().ok();
    let Some(host) = parsed
        .as_ref()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .and_then(|u| u.host().map(str::to_string))
    else {
        return Err((
            proxy_span,
            "proxy",
            format!(
                "{text:?} is not a proxy setting: use \"system\" (the system's proxy, the \
                 default), \"none\" (no proxy) or the proxy's URL, such as \
                 \"http://proxy.example.org:3128\" (http:// or https://)"
            ),
        ));
    };
    let username = store
        .proxy_username
        .as_ref()
        .map(|u| u.get_ref().clone())
        .unwrap_or_default();
    let first_password = login
        .iter()
        .find(|(key, _)| *key != "proxy_username")
        .cloned();
    let password = PasswordSource::from_keys(
        store
            .proxy_password_command
            .as_ref()
            .map(|c| c.get_ref().clone()),
        flag(&store.proxy_password_keyring, false),
        store
            .proxy_password_env
            .as_ref()
            .map(|e| e.get_ref().clone()),
        store.proxy_password.as_ref().map(|p| p.get_ref().clone()),
        &format!("{username}@{host}"),
        KeyNames::PROXY,
    )
    .map_err(|e| {
        let (key, span) = first_password
            .clone()
            .unwrap_or(("proxy", proxy_span.clone()));
        (span, key, e.to_string())
    })?;
    if let (Some(_), Some((key, span))) = (&password, &first_password)
        && username.is_empty()
    {
        return Err((
            span.clone(),
            *key,
            "a proxy password needs the proxy's user name: set `proxy_username`".into(),
        ));
    }
    Ok(ProxyConfig::Url {
        url: text.to_string(),
        username,
        password,
    })
}

/// A boolean key's value, `default` when it is not given.
fn flag(value: &Option<Spanned<bool>>, default: bool) -> bool {
    value.as_ref().map_or(default, |v| *v.get_ref())
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
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

/// The permission bits of `path` if its group or others may read it.
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> Option<u32> {
    None
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
    /// Whether any profile has a password (server or proxy) written in the file itself.
    pub(crate) fn holds_a_password(&self) -> bool {
        let plain = |store: &ResolvedStore| match store {
            ResolvedStore::Dav(dav) => {
                dav.password.as_ref().is_some_and(PasswordSource::is_plain)
                    || matches!(&dav.network.proxy, ProxyConfig::Url { password: Some(p), .. } if p.is_plain())
            }
            ResolvedStore::Vdir { .. } => false,
        };
        self.profiles
            .iter()
            .any(|p| plain(&p.local) || plain(&p.server))
    }

    /// A warning when the file holds a password and other users may read it
    /// (Unix permissions; elsewhere nothing is checked).
    pub(crate) fn exposure_warning(&self) -> Option<String> {
        if !self.holds_a_password() {
            return None;
        }
        readable_by_others(&self.file).map(|mode| {
            format!(
                "{} holds a password and other users can read it (mode {mode:o}); \
                 run `chmod 600 {}`, or better, use password_command, password_keyring or password_env",
                self.file.display(),
                self.file.display()
            )
        })
    }

    /// Reads and validates the file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Config> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        Config::parse(&source, path)
    }

    /// Parses and validates `source`, naming `path`, the line and the key in errors.
    pub(crate) fn parse(source: &str, path: &Path) -> Result<Config> {
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
                        let dav_only = store.dav_only_keys(&span);
                        if let Some((first, at)) = dav_only.first() {
                            let names: Vec<String> =
                                dav_only.iter().map(|(k, _)| format!("`{k}`")).collect();
                            return Err(err(
                                at.clone(),
                                &key(&format!("{side}.{first}")),
                                format!(
                                    "{} {} for caldav and carddav stores only, not for a vdir store",
                                    names.join(", "),
                                    if names.len() == 1 { "is" } else { "are" }
                                ),
                            ));
                        }
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
                        let Some(url) = &store.url else {
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
                        let port = parsed.as_ref().and_then(http::Uri::port_u16);
                        let connect = format!("{host}:{}", port.unwrap_or(443));
                        let network = network_of(&store, &span, &base, &connect).map_err(
                            |(at, name, message)| err(at, &key(&format!("{side}.{name}")), message),
                        )?;
                        let username = store.username.map(|u| u.into_inner()).unwrap_or_default();
                        let password = PasswordSource::from_keys(
                            store.password_command,
                            store.password_keyring,
                            store.password_env,
                            store.password,
                            &format!("{username}@{host}"),
                            KeyNames::SERVER,
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
                        Ok(ResolvedStore::Dav(Box::new(DavStoreConfig {
                            kind: collection,
                            url: url_text,
                            username,
                            password,
                            timeout: std::time::Duration::from_secs(timeout),
                            network,
                        })))
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
            let max_item_size =
                bounded(raw.max_item_size_mib, "max_item_size_mib", 10, 1024)? as u64 * 1024 * 1024;
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
                max_item_size,
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
    pub(crate) fn select(&self, names: &[String]) -> Result<Vec<&Profile>> {
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
pub(crate) fn default_config_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "davsync")
        .map(|d| d.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("davsync.toml"))
}

/// The data directory: `--data-dir`, else `DAVSYNC_DATA_DIR`, else `general.data_dir`,
/// else `$XDG_DATA_HOME/davsync` or the platform's equivalent.
pub(crate) fn data_dir(flag: Option<&Path>, config: &Config) -> PathBuf {
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

    /// A file holding a password warns when others may read it, and only then.
    #[cfg(unix)]
    #[test]
    fn a_readable_file_with_a_password_warns() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let profile = |password_key: &str| {
            format!(
                "[profiles.p]\ncontent = \"events\"\nlocal = {{ type = \"vdir\", path = \"l\" }}\n\
                 server = {{ type = \"caldav\", url = \"https://dav.example.org/c/\", \
                 username = \"u\", {password_key} }}\n"
            )
        };
        let check = |text: &str, mode: u32| {
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            Config::load(&path).unwrap().exposure_warning()
        };
        let plain = profile("password = \"hunter2\"");
        let warning = check(&plain, 0o644).expect("readable by others");
        assert!(
            warning.contains("chmod 600") && warning.contains("644"),
            "{warning}"
        );
        assert!(!warning.contains("hunter2"));
        assert_eq!(check(&plain, 0o600), None);
        assert_eq!(check(&profile("password_env = \"PW\""), 0o644), None);
        let proxy = profile(
            "password_env = \"PW\", proxy = \"http://proxy:3128\", proxy_username = \"p\", proxy_password = \"x\"",
        );
        assert!(
            check(&proxy, 0o640).is_some(),
            "a proxy password counts too"
        );
    }

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

    /// A tasks profile whose server store table ends with `extra` (its line is 4).
    fn dav_profile(extra: &str) -> String {
        format!(
            "[profiles.cal]\ncontent = \"tasks\"\nlocal = {{ type = \"vdir\", path = \"tasks\" }}\n\
             server = {{ type = \"caldav\", url = \"https://dav.example.org/alice/tasks/\", \
             username = \"alice\"{extra} }}\n"
        )
    }

    fn network_of_profile(extra: &str) -> NetworkConfig {
        let cfg = Config::parse(&dav_profile(extra), Path::new("/x/c.toml")).unwrap();
        let ResolvedStore::Dav(dav) = &cfg.profiles[0].server else {
            panic!("dav expected")
        };
        dav.network.clone()
    }

    const FINGERPRINT: &str = "B0:FC:AE:5C:F4:3B:CA:98:A3:57:5F:2A:B6:25:E0:87:\
                               99:4E:59:33:6A:A2:2B:59:E7:58:89:71:07:DF:0F:DC";

    #[test]
    fn server_store_network_keys() {
        let source = format!(
            r#"
[profiles.cal]
content = "events"
local = {{ type = "vdir", path = "cal" }}

[profiles.cal.server]
type = "caldav"
url = "https://dav.example.org:8443/alice/cal/"
username = "alice"
password_env = "DAV_PW"
close_connection = true
preemptive_auth = false
force_basic_auth = true
retries = 0
accept_invalid_xml_chars = true
lenient_headers = true
proxy = "http://proxy.example.org:3128"
proxy_username = "bob"
proxy_password_env = "PROXY_PW"
tls_ca_file = "certs/ca.pem"
tls_client_cert = "~/client.pem"
tls_client_key = "/etc/davsync/client.key"
tls_fingerprint = "{FINGERPRINT}"
tls_insecure = false
"#
        );
        let cfg = Config::parse(&source, Path::new("/etc/davsync/config.toml")).unwrap();
        let ResolvedStore::Dav(dav) = &cfg.profiles[0].server else {
            panic!("dav expected")
        };
        let net = &dav.network;
        assert!(net.close_connection);
        assert_eq!(
            net.auth,
            davsync_dav::AuthOptions {
                preemptive: false,
                force_basic: true
            }
        );
        assert_eq!(net.retries, 0);
        assert!(net.accept_invalid_xml_chars && net.lenient_headers);
        let ProxyConfig::Url {
            url,
            username,
            password,
        } = &net.proxy
        else {
            panic!("proxy URL expected: {:?}", net.proxy)
        };
        assert_eq!(
            (url.as_str(), username.as_str()),
            ("http://proxy.example.org:3128", "bob")
        );
        assert!(matches!(password, Some(PasswordSource::Env(v)) if v == "PROXY_PW"));
        assert_eq!(
            net.tls.ca_file.as_deref(),
            Some(Path::new("/etc/davsync/certs/ca.pem"))
        );
        let (cert, key) = net.tls.client_cert.clone().unwrap();
        assert_eq!(cert, home_dir().join("client.pem"));
        assert_eq!(key, Path::new("/etc/davsync/client.key"));
        assert_eq!(
            net.tls.fingerprint,
            davsync_dav::tls::parse_fingerprint(&FINGERPRINT.replace(' ', ""))
        );
        assert!(net.tls.fingerprint.is_some() && !net.tls.insecure);
        // The server's own login is untouched.
        assert!(matches!(&dav.password, Some(PasswordSource::Env(v)) if v == "DAV_PW"));
        assert_eq!(dav.timeout.as_secs(), 90);
    }

    #[test]
    fn server_store_network_defaults_and_other_forms() {
        let net = network_of_profile("");
        assert!(!net.close_connection && !net.accept_invalid_xml_chars && !net.lenient_headers);
        assert_eq!(net.auth, davsync_dav::AuthOptions::default());
        assert!(net.auth.preemptive && !net.auth.force_basic);
        assert_eq!(net.retries, 3);
        assert!(matches!(net.proxy, ProxyConfig::System));
        assert_eq!(net.tls, davsync_dav::tls::TlsOptions::default());

        assert!(matches!(
            network_of_profile(", proxy = \"none\"").proxy,
            ProxyConfig::None
        ));
        assert!(matches!(
            network_of_profile(", proxy = \"system\"").proxy,
            ProxyConfig::System
        ));
        // Keyring user <proxy_username>@<proxy host>.
        let net = network_of_profile(
            ", proxy = \"https://proxy.example.org\", proxy_username = \"bob\", \
             proxy_password_keyring = true",
        );
        let ProxyConfig::Url { password, .. } = &net.proxy else {
            panic!("proxy URL expected")
        };
        assert!(
            matches!(password, Some(PasswordSource::Keyring { user, .. }) if user == "bob@proxy.example.org"),
            "{password:?}"
        );
        // A user name without a password key: an empty password.
        let net = network_of_profile(
            ", proxy = \"http://proxy.example.org:3128\", proxy_username = \"bob\"",
        );
        assert!(matches!(
            &net.proxy,
            ProxyConfig::Url { username, password: None, .. } if username == "bob"
        ));
        let net = network_of_profile(", proxy = \"http://proxy.example.org:3128\"");
        assert!(matches!(
            &net.proxy,
            ProxyConfig::Url { username, password: None, .. } if username.is_empty()
        ));
        // The 64-digit form, and tls_insecure alone.
        let hex = FINGERPRINT.replace([':', ' '], "").to_lowercase();
        let net = network_of_profile(&format!(", tls_fingerprint = \"{hex}\""));
        assert_eq!(
            net.tls.fingerprint,
            davsync_dav::tls::parse_fingerprint(&hex)
        );
        assert!(network_of_profile(", tls_insecure = true").tls.insecure);
        // A CA file relative to the configuration file.
        let net = network_of_profile(", tls_ca_file = \"ca.pem\"");
        assert_eq!(net.tls.ca_file.as_deref(), Some(Path::new("/x/ca.pem")));
    }

    #[test]
    fn server_store_network_errors_name_the_key() {
        let proxy = ", proxy = \"http://proxy.example.org:3128\"";
        let cases: Vec<(String, &str, Vec<&str>)> = vec![
            (", retries = 11".into(), "retries", vec!["from 0 to 10"]),
            (", retries = -1".into(), "retries", vec!["from 0 to 10"]),
            (
                ", proxy = \"socks5://p:1080\"".into(),
                "proxy",
                vec!["\"system\"", "\"none\"", "http://"],
            ),
            (
                ", proxy = \"proxy.example.org:3128\"".into(),
                "proxy",
                vec!["\"system\"", "\"none\""],
            ),
            (
                ", proxy = \"http://bob:s3cret@proxy.example.org:3128\"".into(),
                "proxy",
                vec!["proxy_username", "proxy_password_"],
            ),
            (
                ", proxy_password_env = \"P\"".into(),
                "proxy_password_env",
                vec!["`proxy`"],
            ),
            (
                ", proxy = \"none\", proxy_username = \"bob\"".into(),
                "proxy_username",
                vec!["`proxy`"],
            ),
            (
                ", proxy_password_keyring = true".into(),
                "proxy_password_keyring",
                vec!["`proxy`"],
            ),
            (
                format!(
                    "{proxy}, proxy_username = \"bob\", proxy_password_env = \"P\", proxy_password = \"x\""
                ),
                "proxy_password_env",
                vec![
                    "only one of proxy_password_command",
                    "proxy_password_env, proxy_password are",
                ],
            ),
            (
                format!("{proxy}, proxy_username = \"bob\", proxy_password_command = \"\""),
                "proxy_password_command",
                vec!["proxy_password_command is empty"],
            ),
            (
                format!("{proxy}, proxy_password_env = \"P\""),
                "proxy_password_env",
                vec!["`proxy_username`"],
            ),
            (
                ", tls_client_cert = \"c.pem\"".into(),
                "tls_client_cert",
                vec!["tls_client_key"],
            ),
            (
                ", tls_client_key = \"k.pem\"".into(),
                "tls_client_key",
                vec!["tls_client_cert"],
            ),
            (", tls_ca_file = \" \"".into(), "tls_ca_file", vec!["empty"]),
            (
                ", tls_fingerprint = \"AB:CD\"".into(),
                "tls_fingerprint",
                vec![
                    "AB:CD:",
                    "64 hex digits",
                    "openssl s_client -connect dav.example.org:443 </dev/null | openssl x509 -noout -fingerprint -sha256",
                ],
            ),
            (
                format!(", tls_insecure = true, tls_fingerprint = \"{FINGERPRINT}\""),
                "tls_insecure",
                vec!["contradicts tls_fingerprint"],
            ),
            (
                ", tls_ca_file = \"ca.pem\", tls_insecure = true".into(),
                "tls_insecure",
                vec!["contradicts tls_ca_file"],
            ),
            (
                ", close_connection = \"yes\"".into(),
                "close_connection",
                vec![],
            ),
        ];
        for (extra, key, says) in cases {
            let e = error_of(&dav_profile(&extra));
            assert!(
                e.contains(&format!("key `profiles.cal.server.{key}`")) && e.contains("line 4"),
                "{extra}: {e}"
            );
            for word in says {
                assert!(e.contains(word), "{extra}: {e} (expected {word:?})");
            }
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    #[test]
    fn dav_keys_on_a_vdir_store_are_errors() {
        let profile = |local: &str| {
            format!(
                "[profiles.p]\ncontent = \"events\"\nlocal = {{ type = \"vdir\", path = \"a\"{local} }}\n\
                 server = {{ type = \"vdir\", path = \"b\" }}\n"
            )
        };
        for key in [
            "url = \"https://dav.example.org/\"",
            "username = \"alice\"",
            "password_env = \"P\"",
            "timeout_seconds = 30",
            "close_connection = true",
            "preemptive_auth = false",
            "force_basic_auth = true",
            "retries = 1",
            "accept_invalid_xml_chars = true",
            "lenient_headers = true",
            "proxy = \"none\"",
            "proxy_username = \"bob\"",
            "proxy_password_command = \"pass\"",
            "proxy_password_keyring = true",
            "proxy_password_env = \"P\"",
            "proxy_password = \"x\"",
            "tls_ca_file = \"ca.pem\"",
            "tls_client_cert = \"c.pem\"",
            "tls_client_key = \"k.pem\"",
            "tls_fingerprint = \"AB\"",
            "tls_insecure = true",
        ] {
            let name = key.split(' ').next().unwrap();
            let e = error_of(&profile(&format!(", {key}")));
            assert!(
                e.contains(&format!("key `profiles.p.local.{name}`"))
                    && e.contains("line 3")
                    && e.contains("caldav and carddav stores only"),
                "{key}: {e}"
            );
        }
        let e = error_of(&profile(", tls_insecure = true, retries = 2"));
        assert!(
            e.contains("profiles.p.local.tls_insecure")
                && e.contains("`tls_insecure`, `retries` are"),
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
