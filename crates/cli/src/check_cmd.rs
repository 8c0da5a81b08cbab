//! `davsync check`: whether each profile can run, without syncing: its
//! configuration, the password sources, the server (reached, the login
//! accepted, the collection of the right kind, writable where the mode
//! writes, sync-collection, the clocks) and the folders (writable), one line
//! per check or one JSON document.

use crate::config::{Config, Content, DavStoreConfig, Profile, ResolvedStore};
use crate::secrets::KeyNames;
use crate::sync_cmd::{Logins, dav_collection, logins};
use anyhow::Result;
use davsync_dav::{CollectionKind, DavError, ResourceType};
use davsync_sync::{Mode, Side};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Arguments of `davsync check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Profiles to check, inactive ones too (default: every profile but those with inactive = true).
    #[arg(value_name = "PROFILE")]
    profiles: Vec<String>,
    /// Print the findings as JSON on stdout: {"ok": bool, "profiles": [...], "skipped": [...]}.
    #[arg(long)]
    json: bool,
}

/// How far the server's clock may be from this computer's before `check` warns.
const CLOCK_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Fine.
    Ok,
    /// Works, but not as well as it could, or cannot be told.
    Warning,
    /// A run would fail.
    Error,
    /// Not checked: an earlier check failed.
    Skipped,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }
}

/// What is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Check {
    /// The configuration file is valid (else `check` exits 2 before any check).
    Configuration,
    /// A server store's password source gives a password (and the proxy's).
    Password,
    /// The server answers.
    Reachable,
    /// The server accepts the login.
    Login,
    /// The URL is a collection of the profile's kind.
    Collection,
    /// The user may write there, when the mode writes there.
    Writable,
    /// The server supports the `sync-collection` report.
    SyncCollection,
    /// The server's clock agrees with this computer's.
    Clock,
    /// A folder store can be written (or created).
    Folder,
}

impl Check {
    fn word(self) -> &'static str {
        match self {
            Check::Configuration => "configuration",
            Check::Password => "password",
            Check::Reachable => "reachable",
            Check::Login => "login",
            Check::Collection => "collection",
            Check::Writable => "writable",
            Check::SyncCollection => "sync-collection",
            Check::Clock => "clock",
            Check::Folder => "folder",
        }
    }
}

/// The checks of a server store, in order: when one fails, the later ones
/// are skipped.
const SERVER_CHECKS: [Check; 7] = [
    Check::Password,
    Check::Reachable,
    Check::Login,
    Check::Collection,
    Check::Writable,
    Check::SyncCollection,
    Check::Clock,
];

/// One check's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Finding {
    check: Check,
    /// The store checked; `None` for the configuration.
    side: Option<Side>,
    status: Status,
    detail: String,
}

/// A profile's findings, in `--json`.
#[derive(Debug, serde::Serialize)]
struct ProfileFindings<'p> {
    profile: &'p str,
    /// No check found an error.
    ok: bool,
    checks: Vec<Finding>,
}

/// Checks the selected profiles; `Ok(false)` when a check found an error.
pub(crate) fn run(config: &Config, args: &CheckArgs) -> Result<bool> {
    let selection = config
        .select(&args.profiles)
        .map_err(crate::UsageError::of)?;
    let skipped = crate::sync_cmd::skipped(&selection, args.json);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let width = selection
        .run
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0);
    let mut all = Vec::new();
    for profile in selection.run {
        let checks = runtime.block_on(check_profile(config, profile));
        if !args.json {
            print_human(&profile.name, width, &checks);
        }
        all.push(ProfileFindings {
            profile: &profile.name,
            ok: checks.iter().all(|c| c.status != Status::Error),
            checks,
        });
    }
    let ok = all.iter().all(|p| p.ok);
    if args.json {
        /// The document `check --json` prints.
        #[derive(serde::Serialize)]
        struct Output<'r> {
            ok: bool,
            profiles: &'r [ProfileFindings<'r>],
            skipped: &'r [crate::sync_cmd::Skipped<'r>],
        }
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(
            &mut stdout,
            &Output {
                ok,
                profiles: &all,
                skipped: &skipped,
            },
        )?;
        writeln!(stdout)?;
        stdout.flush()?;
    }
    Ok(ok)
}

/// One line per check: `NAME: SIDE CHECK  STATUS  DETAIL`, the names
/// padded to `width` so that the columns line up.
fn print_human(profile: &str, width: usize, checks: &[Finding]) {
    let profile = format!("{profile}:");
    for c in checks {
        let what = match c.side {
            Some(side) => format!("{side} {}", c.check.word()),
            None => c.check.word().to_string(),
        };
        println!(
            "{profile:<w$} {what:<22} {:<7}  {}",
            c.status.word(),
            c.detail,
            w = width + 1
        );
    }
}

/// Every check of one profile, its local store's first.
async fn check_profile(config: &Config, profile: &Profile) -> Vec<Finding> {
    let mut out = vec![Finding {
        check: Check::Configuration,
        side: None,
        status: Status::Ok,
        detail: format!("{} is valid", config.file.display()),
    }];
    for (side, store) in [
        (Side::Local, &profile.local),
        (Side::Server, &profile.server),
    ] {
        match store {
            ResolvedStore::Vdir { path } => out.push(check_folder(path, side, profile.mode)),
            ResolvedStore::Dav(dav) => check_server(dav, profile, side, &mut out).await,
        }
    }
    out
}

/// Whether a run in `mode` writes items to `side`.
fn writes(mode: Mode, side: Side) -> bool {
    match mode.one_way() {
        None => true,
        Some((source, _)) => source != side,
    }
}

/// The mode's name, as in the file.
fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::TwoWay => "two-way",
        Mode::ToServer => "to-server",
        Mode::ToLocal => "to-local",
        Mode::ToServerMerge => "to-server-merge",
        Mode::ToLocalMerge => "to-local-merge",
    }
}

/// The one-way mode that only reads `side`.
fn mode_reading(side: Side) -> &'static str {
    match side {
        Side::Server => "to-local",
        Side::Local => "to-server",
    }
}

/// Whether a folder store can be written: a file created in it and removed
/// (or, when it is missing, in its parent, where a run would create it).
fn check_folder(path: &Path, side: Side, mode: Mode) -> Finding {
    let finding = |status, detail| Finding {
        check: Check::Folder,
        side: Some(side),
        status,
        detail,
    };
    let shown = path.display();
    let unwritable = |detail: String| {
        if writes(mode, side) {
            finding(Status::Error, detail)
        } else {
            finding(
                Status::Ok,
                format!("{detail}; mode {} writes nothing there", mode_name(mode)),
            )
        }
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => match probe_write(path) {
            Ok(()) => finding(Status::Ok, format!("{shown} is writable")),
            Err(e) => unwritable(format!("cannot create a file in {shown}: {e}")),
        },
        Ok(_) => finding(Status::Error, format!("{shown} is not a folder")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
                return finding(Status::Error, format!("{shown} is missing"));
            };
            match std::fs::metadata(parent) {
                Ok(meta) if meta.is_dir() => match probe_write(parent) {
                    Ok(()) => finding(
                        Status::Ok,
                        format!("{shown} is missing; the first run creates it"),
                    ),
                    Err(e) => unwritable(format!(
                        "{shown} is missing and cannot be created: cannot create a file in {}: {e}",
                        parent.display()
                    )),
                },
                Ok(_) => finding(
                    Status::Error,
                    format!(
                        "{shown} is missing, and {} is not a folder",
                        parent.display()
                    ),
                ),
                Err(e) => finding(
                    Status::Error,
                    format!(
                        "{shown} is missing, and so is its parent ({}: {e}); davsync creates a \
                         missing folder but never its parent (a disk that is not mounted?)",
                        parent.display()
                    ),
                ),
            }
        }
        Err(e) => finding(Status::Error, format!("{shown}: {e}")),
    }
}

/// Creates a file in `dir` and removes it again.
fn probe_write(dir: &Path) -> std::io::Result<()> {
    // A hidden name no vdir reader takes for an item; removed when dropped.
    let file = tempfile::Builder::new()
        .prefix(".davsync-check-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.close()
}

/// The checks of a server store, appended to `out`.
async fn check_server(dav: &DavStoreConfig, profile: &Profile, side: Side, out: &mut Vec<Finding>) {
    let finding = |check, status, detail: String| Finding {
        check,
        side: Some(side),
        status,
        detail,
    };
    // Pushes `status` for `check`, then `skipped` for every later server check.
    let stop = |out: &mut Vec<Finding>, check: Check, status: Status, detail: String, why: &str| {
        out.push(finding(check, status, detail));
        for c in SERVER_CHECKS.iter().skip_while(|c| **c != check).skip(1) {
            out.push(finding(*c, Status::Skipped, format!("not checked: {why}")));
        }
    };

    let logins: Logins = match logins(dav) {
        Ok(logins) => logins,
        Err(e) => {
            return stop(out, Check::Password, Status::Error, e, "no password");
        }
    };
    out.push(password_finding(dav, side));

    let collection = match dav_collection(dav, &logins) {
        Ok(c) => c,
        Err(e) => {
            return stop(
                out,
                Check::Reachable,
                Status::Error,
                e.to_string(),
                "the server cannot be reached",
            );
        }
    };
    let started = Instant::now();
    let inspection = match collection.inspect().await {
        Ok(i) => i,
        Err(e) => {
            let answered = format!(
                "the server answered in {} ms",
                started.elapsed().as_millis()
            );
            let (check, detail, why) = match &e {
                DavError::Offline { .. } => (
                    Check::Reachable,
                    format!("offline: {e}"),
                    "the server cannot be reached",
                ),
                DavError::Timeout { .. }
                | DavError::Transport { .. }
                | DavError::UntrustedCertificate { .. }
                | DavError::Tls(_)
                | DavError::InvalidUrl(_) => (
                    Check::Reachable,
                    e.to_string(),
                    "the server cannot be reached",
                ),
                DavError::Unauthorized { .. } => (
                    Check::Login,
                    format!(
                        "{e}; check username = \"{}\" and {}",
                        dav.username,
                        match &dav.password {
                            Some(source) =>
                                format!("the password from {}", source.describe(KeyNames::SERVER)),
                            None => "give a password (password_command, password_keyring, \
                                     password_env)"
                                .to_string(),
                        }
                    ),
                    "the login was refused",
                ),
                DavError::ProxyAuthentication { .. } => (
                    Check::Login,
                    format!("{e}; check proxy_username and the proxy password"),
                    "the proxy refused the login",
                ),
                DavError::NotFound { .. } => (
                    Check::Collection,
                    format!("{e}: no collection at this URL (`davsync discover` lists them)"),
                    "no collection",
                ),
                DavError::Forbidden { .. } => (
                    Check::Collection,
                    format!("{e}: the user may not read it"),
                    "no collection",
                ),
                _ => (Check::Collection, e.to_string(), "no collection"),
            };
            // The checks between the password and the failed one passed.
            for c in SERVER_CHECKS[1..].iter().take_while(|c| **c != check) {
                out.push(match c {
                    Check::Reachable => finding(*c, Status::Ok, answered.clone()),
                    _ => finding(*c, Status::Ok, login_detail(dav)),
                });
            }
            return stop(out, check, Status::Error, detail, why);
        }
    };
    out.push(finding(
        Check::Reachable,
        Status::Ok,
        format!(
            "the server answered in {} ms",
            (inspection.received - inspection.sent).num_milliseconds()
        ),
    ));
    out.push(finding(Check::Login, Status::Ok, login_detail(dav)));

    let (status, detail) = collection_finding(&inspection.resource, dav.kind, profile.content);
    let is_collection = status == Status::Ok;
    out.push(finding(Check::Collection, status, detail));

    let written = writes(profile.mode, side);
    let mode = mode_name(profile.mode);
    let (status, detail) = match (inspection.writable, written) {
        _ if !is_collection => (Status::Skipped, "not checked: no collection".to_string()),
        (Some(true), _) => (Status::Ok, "the user may write".to_string()),
        (Some(false), true) => (
            Status::Error,
            format!(
                "read-only: user \"{}\" may not write here, but mode {mode} writes to the \
                 {side}; use mode = \"{m}\" or \"{m}-merge\" to only read it",
                dav.username,
                m = mode_reading(side)
            ),
        ),
        (Some(false), false) => (
            Status::Ok,
            format!("read-only; mode {mode} writes nothing there"),
        ),
        (None, true) => (
            Status::Warning,
            "unknown: the server does not say (no current-user-privilege-set)".to_string(),
        ),
        (None, false) => (
            Status::Ok,
            format!("unknown (the server does not say); mode {mode} writes nothing there"),
        ),
    };
    out.push(finding(Check::Writable, status, detail));

    let (status, detail) = match inspection.sync_collection {
        _ if !is_collection => (Status::Skipped, "not checked: no collection".to_string()),
        Some(true) => (Status::Ok, "supported".to_string()),
        Some(false) => (
            Status::Warning,
            "not supported: every run asks for the collection tag (getctag) and lists the \
             whole collection when it changed"
                .to_string(),
        ),
        None => (
            Status::Warning,
            "unknown: the server does not list its reports (supported-report-set)".to_string(),
        ),
    };
    out.push(finding(Check::SyncCollection, status, detail));

    let (status, detail) = clock_finding(inspection.clock_skew());
    out.push(finding(Check::Clock, status, detail));
}

/// The password check that passed: where the password comes from.
fn password_finding(dav: &DavStoreConfig, side: Side) -> Finding {
    let proxy = match &dav.network.proxy {
        crate::config::ProxyConfig::Url {
            password: Some(source),
            ..
        } => format!("; the proxy's from {}", source.describe(KeyNames::PROXY)),
        _ => String::new(),
    };
    let (status, detail) = match &dav.password {
        Some(source) if source.is_plain() => (
            Status::Warning,
            format!(
                "written in the configuration file{proxy}; use password_command, \
                 password_keyring or password_env"
            ),
        ),
        Some(source) => (
            Status::Ok,
            format!("from {}{proxy}", source.describe(KeyNames::SERVER)),
        ),
        None if dav.username.is_empty() => (Status::Ok, format!("none: no login is sent{proxy}")),
        None => (
            Status::Ok,
            format!(
                "none: user \"{}\" with an empty password{proxy}",
                dav.username
            ),
        ),
    };
    Finding {
        check: Check::Password,
        side: Some(side),
        status,
        detail,
    }
}

/// The login check that passed.
fn login_detail(dav: &DavStoreConfig) -> String {
    if dav.username.is_empty() {
        "no login sent, none asked for".to_string()
    } else {
        format!("user \"{}\" accepted", dav.username)
    }
}

/// Whether the resource is the collection a store of `kind` syncing
/// `content` needs.
fn collection_finding(
    resource: &ResourceType,
    kind: CollectionKind,
    content: Content,
) -> (Status, String) {
    let name = |k: CollectionKind| match k {
        CollectionKind::Calendar => "a calendar",
        CollectionKind::AddressBook => "an address book",
    };
    let store_type = match kind {
        CollectionKind::Calendar => "caldav",
        CollectionKind::AddressBook => "carddav",
    };
    let listing = "`davsync discover` lists the user's calendars and address books";
    match resource.kind() {
        Some(found) if found != kind => (
            Status::Error,
            format!(
                "{}, but a {store_type} store needs {}",
                name(found),
                name(kind)
            ),
        ),
        Some(CollectionKind::Calendar) => {
            let component = match content {
                Content::Events => "VEVENT",
                Content::Tasks => "VTODO",
                Content::Contacts => "",
            };
            match resource {
                ResourceType::Calendar {
                    components: Some(components),
                } if !resource.takes(component) => (
                    Status::Error,
                    format!(
                        "a calendar of {} only, but the profile syncs {}",
                        components.join(", "),
                        content.name()
                    ),
                ),
                ResourceType::Calendar {
                    components: Some(components),
                } => (
                    Status::Ok,
                    format!("a calendar ({})", components.join(", ")),
                ),
                _ => (Status::Ok, "a calendar".to_string()),
            }
        }
        Some(CollectionKind::AddressBook) => (Status::Ok, "an address book".to_string()),
        None => (
            Status::Error,
            match resource {
                ResourceType::OtherCollection => format!(
                    "not {}: a collection of another kind (the server's root, a principal or \
                     a home set?); {listing}",
                    name(kind)
                ),
                ResourceType::NotCollection => {
                    format!("not a collection (an item?); {listing}")
                }
                ResourceType::NotDav {
                    status,
                    content_type,
                } => format!(
                    "not a WebDAV collection: the server answered {status}{}; {listing}",
                    content_type
                        .as_deref()
                        .map(|t| format!(" with {t}"))
                        .unwrap_or_default()
                ),
                ResourceType::Calendar { .. } | ResourceType::AddressBook => {
                    unreachable!("resource.kind() is None")
                }
            },
        ),
    }
}

/// Whether the server's clock agrees with ours.
fn clock_finding(skew: Option<chrono::TimeDelta>) -> (Status, String) {
    let Some(skew) = skew else {
        return (
            Status::Warning,
            "unknown: the server sent no Date header".to_string(),
        );
    };
    let seconds = skew.num_seconds();
    let apart = humantime::format_duration(std::time::Duration::from_secs(seconds.unsigned_abs()));
    if skew.abs() <= CLOCK_TOLERANCE {
        (
            Status::Ok,
            format!("agrees with this computer's ({} s apart)", seconds.abs()),
        )
    } else {
        (
            Status::Warning,
            format!(
                "the server's clock is {apart} {} this computer's: conflicts are settled by \
                 the items' modification times, and the time range counts from today; set the \
                 clocks right (NTP)",
                if seconds > 0 { "ahead of" } else { "behind" }
            ),
        )
    }
}

#[cfg(test)]
mod tests;
