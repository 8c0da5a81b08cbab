//! `davsync sync`: runs profiles, prints what happened, saves the reports the
//! profile's `reports` level keeps (and prunes old ones and the trash).

mod side_by_side;

use crate::config::{Config, DavStoreConfig, Profile, ProxyConfig, ResolvedStore, Selection};
use crate::paths::DataDir;
use crate::retention;
use crate::secrets;
use crate::secrets::{KeyNames, PasswordSource};
use anyhow::Result;
use davsync_dav::{ClientOptions, Collection, Credentials, DavClient, DavError, ProxyOption};
use davsync_store::{DavStore, ServerFailure, Store, VdirStore};
use davsync_sync::engine::Refusal;
use davsync_sync::lock::{LockError, ProfileLock};
use davsync_sync::mapping::{
    RemindersMapping, TaskDates, TaskDatesMapping, TimeZoneMapping, TimeZones,
};
use davsync_sync::report::{Message, Outcome, Report, RunResult};
use davsync_sync::{
    Action, CategoryFilter, KindFilter, Mapping, Progress, Side, StatusDb, SyncJob, SyncOptions,
    TimeRange,
};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// Arguments of `davsync sync`.
#[derive(Debug, clap::Args)]
pub(crate) struct SyncArgs {
    /// Profiles to run, inactive ones too (default: every profile but those with inactive = true).
    #[arg(value_name = "PROFILE")]
    profiles: Vec<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Override the safety rails (a side that turned empty, max_delete).
    #[arg(long)]
    force: bool,
    /// Print the reports as JSON on stdout: {"ok": bool, "reports": [...], "skipped": [...]}.
    #[arg(long)]
    json: bool,
    /// Only the summary line of each profile (and its warnings and errors):
    /// no progress bar, no lines of items.
    #[arg(long, short)]
    quiet: bool,
}

/// A profile a run left out, in `--json` (of `sync` and `check`).
#[derive(serde::Serialize)]
pub(crate) struct Skipped<'p> {
    profile: &'p str,
    /// Why: `inactive` (the only reason so far).
    reason: &'static str,
}

/// The inactive profiles `selection` leaves out, each said on standard
/// output unless the output is JSON.
pub(crate) fn skipped<'c>(selection: &Selection<'c>, json: bool) -> Vec<Skipped<'c>> {
    let skipped: Vec<Skipped<'c>> = selection
        .inactive
        .iter()
        .map(|p| Skipped {
            profile: &p.name,
            reason: "inactive",
        })
        .collect();
    if !json {
        for s in &skipped {
            println!("{}: skipped: {}", s.profile, s.reason);
        }
    }
    skipped
}

/// Runs the selected profiles, up to `max_parallel` at once (never two
/// that share a folder or a collection), and prints their reports in the
/// order of the profiles; `Ok(false)` when any failed (an inactive profile
/// left out is no failure).
pub(crate) fn run(config: &Config, data_dir: &Path, args: &SyncArgs) -> Result<bool> {
    let selection = config
        .select(&args.profiles)
        .map_err(crate::UsageError::of)?;
    let skipped = skipped(&selection, args.json);
    let profiles = selection.run;
    let data = DataDir(data_dir.to_path_buf());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bars = crate::progress::Bars::new(!args.json && !args.quiet);
    let mut reports = Vec::with_capacity(profiles.len());
    let run_one = |i: usize| {
        let profile: &Profile = profiles[i];
        let (bars, data) = (&bars, &data);
        async move {
            let bar = bars.bar(&profile.name);
            let update = |p: Progress| {
                if let Some(bar) = &bar {
                    bar.update(p);
                }
            };
            let options = RunOptions {
                dry_run: args.dry_run,
                force: args.force,
                lock_wait: config.general.lock_wait,
                stop: None,
                progress: Some(&update),
            };
            let mut report = run_profile(profile, data, &options).await;
            if let Some(bar) = &bar {
                bar.finish();
            }
            keep_report(&mut report, profile, data, args.dry_run);
            report
        }
    };
    runtime.block_on(side_by_side::run_in_order(
        &profiles,
        config.general.max_parallel,
        run_one,
        |_, report: Report| {
            if !args.json {
                bars.print(|| print_human(&report, args.quiet));
            }
            reports.push(report);
        },
    ));
    let ok = reports.iter().all(|r| !r.has_errors());
    if args.json {
        /// The document `sync --json` prints.
        #[derive(serde::Serialize)]
        struct Output<'r> {
            ok: bool,
            reports: &'r [Report],
            skipped: &'r [Skipped<'r>],
        }
        // Streamed to standard output: no copy of a large report in memory.
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(
            &mut stdout,
            &Output {
                ok,
                reports: &reports,
                skipped: &skipped,
            },
        )?;
        writeln!(stdout)?;
        stdout.flush()?;
    }
    Ok(ok)
}

fn open_store(
    store: &ResolvedStore,
    profile: &Profile,
    data: &DataDir,
    side: Side,
) -> Result<Box<dyn Store>, String> {
    match store {
        ResolvedStore::Vdir { path } => VdirStore::open(path, profile.content.extension())
            .map(|s| {
                Box::new(
                    s.with_trash(data.trash(&profile.name, side))
                        .with_max_item_size(profile.max_item_size),
                ) as Box<dyn Store>
            })
            .map_err(|e| format!("{side} store: {e}")),
        ResolvedStore::Dav(dav) => {
            if dav.network.tls.insecure {
                eprintln!(
                    "davsync: warning: profile {}: TLS certificate checks are off for the {side} \
                     store (tls_insecure = true): anyone between you and {} can read and change \
                     your data and your password",
                    profile.name, dav.url
                );
            }
            if dav.password.as_ref().is_some_and(PasswordSource::is_plain) {
                eprintln!(
                    "davsync: warning: profile {}: the {side} password is written in the \
                     configuration file; use password_command, password_keyring or password_env",
                    profile.name
                );
            }
            if let ProxyConfig::Url {
                password: Some(source),
                ..
            } = &dav.network.proxy
                && source.is_plain()
            {
                eprintln!(
                    "davsync: warning: profile {}: the {side} proxy password is written in the \
                     configuration file; use proxy_password_command, proxy_password_keyring or \
                     proxy_password_env",
                    profile.name
                );
            }
            let logins = logins(dav).map_err(|e| format!("{side} store: {e}"))?;
            let collection =
                dav_collection(dav, &logins).map_err(|e| format!("{side} store: {e}"))?;
            Ok(Box::new(
                DavStore::new(collection)
                    .with_batch(profile.chunk_size)
                    .with_max_item_size(profile.max_item_size),
            ))
        }
    }
}

/// What a server store logs in with: on the server, and on its proxy
/// (`None`: nothing is sent).
pub(crate) struct Logins {
    /// The login on the server.
    pub server: Option<Credentials>,
    /// The login on the proxy given by its URL.
    pub proxy: Option<Credentials>,
}

/// The logins of a server store, their passwords fetched from their
/// sources; an error names the source that failed (never a password).
pub(crate) fn logins(dav: &DavStoreConfig) -> Result<Logins, String> {
    let server = match &dav.password {
        Some(source) => {
            let secret = secrets::fetch(source, KeyNames::SERVER).map_err(|e| {
                format!(
                    "cannot get the password for {} from {}: {e}",
                    dav.url,
                    source.describe(KeyNames::SERVER)
                )
            })?;
            Some(Credentials {
                username: dav.username.clone(),
                password: secret.expose().to_string(),
            })
        }
        None if dav.username.is_empty() => None,
        None => Some(Credentials {
            username: dav.username.clone(),
            password: String::new(),
        }),
    };
    let proxy = match &dav.network.proxy {
        ProxyConfig::Url {
            url,
            username,
            password,
        } => proxy_credentials(url, username, password.as_ref())?,
        ProxyConfig::System | ProxyConfig::None => None,
    };
    Ok(Logins { server, proxy })
}

/// The collection of a server store, reached with `logins`.
pub(crate) fn dav_collection(
    dav: &DavStoreConfig,
    logins: &Logins,
) -> Result<Collection, DavError> {
    let client = DavClient::new(
        &dav.url,
        logins.server.as_ref(),
        &client_options(dav, logins),
    )?;
    Collection::new(client, &dav.url, dav.kind)
}

/// How the HTTP client of a server store talks to its server.
pub(crate) fn client_options(dav: &DavStoreConfig, logins: &Logins) -> ClientOptions {
    let network = &dav.network;
    let proxy = match &network.proxy {
        ProxyConfig::System => ProxyOption::System,
        ProxyConfig::None => ProxyOption::None,
        ProxyConfig::Url { url, .. } => ProxyOption::Url {
            url: url.clone(),
            credentials: logins.proxy.clone(),
        },
    };
    ClientOptions {
        timeout: dav.timeout,
        connect_timeout: dav.connect_timeout,
        close_connection: network.close_connection,
        auth: network.auth,
        proxy,
        tls: network.tls.clone(),
        retries: network.retries,
        accept_invalid_xml_chars: network.accept_invalid_xml_chars,
        lenient_headers: network.lenient_headers,
        ..ClientOptions::default()
    }
}

/// The login on a proxy given by its URL: the password fetched from its source.
fn proxy_credentials(
    url: &str,
    username: &str,
    password: Option<&PasswordSource>,
) -> Result<Option<Credentials>, String> {
    let Some(source) = password else {
        return Ok((!username.is_empty()).then(|| Credentials {
            username: username.to_string(),
            password: String::new(),
        }));
    };
    let secret = secrets::fetch(source, KeyNames::PROXY).map_err(|e| {
        format!(
            "cannot get the password for the proxy {url} from {}: {e}",
            source.describe(KeyNames::PROXY)
        )
    })?;
    Ok(Some(Credentials {
        username: username.to_string(),
        password: secret.expose().to_string(),
    }))
}

/// Whether the profile's server is SOGo, as far as its URL tells (SOGo
/// serves DAV under `/SOGo/dav/`): `server_groups = "auto"` then writes
/// groups as SOGo's lists.
fn is_sogo(profile: &Profile) -> bool {
    match &profile.server {
        ResolvedStore::Dav(dav) => {
            let after_scheme = dav
                .url
                .split_once("://")
                .map_or(&*dav.url, |(_, rest)| rest);
            after_scheme
                .find('/')
                .is_some_and(|i| after_scheme[i..].to_ascii_lowercase().contains("/sogo/"))
        }
        ResolvedStore::Vdir { .. } => false,
    }
}

fn mapping_for(profile: &Profile) -> Mapping {
    // The mapping options come before the category filter: see
    // `Mapping::with_calendar_options`.
    let mut mapping = Mapping::new().with(KindFilter(profile.content.kind()));
    if profile.content.kind() != davsync_pim::ItemKind::Contact {
        mapping = mapping.with_calendar_options(&profile.mapping);
    } else {
        mapping = mapping.with_contact_options(&profile.contact_options, is_sogo(profile));
    }
    if let Some(cat) = &profile.category {
        mapping = mapping.with(CategoryFilter {
            category: cat.name.clone(),
            include_uncategorized: cat.include_uncategorized,
            negate: cat.negate,
            sticky: cat.sticky,
        });
    }
    // Towards the folder in this order, towards the server in reverse: time
    // zones are rewritten first on the way out and restored last on the way
    // in, when the other options have restored what they dropped.
    let options = &profile.time_options;
    let reminders = RemindersMapping::new(options.reminders_to_server, options.reminders_to_local);
    if !reminders.is_identity() {
        mapping = mapping.with(reminders);
    }
    if options.task_dates != TaskDates::Keep {
        mapping = mapping.with(TaskDatesMapping {
            mode: options.task_dates,
            zone: None,
        });
    }
    if options.timezones != TimeZones::Keep {
        mapping = mapping.with(TimeZoneMapping {
            mode: options.timezones,
            history: options.timezone_history,
        });
    }
    mapping
}

/// How one profile's run is to go.
pub(crate) struct RunOptions<'s> {
    /// Plan only.
    pub dry_run: bool,
    /// Override the safety rails.
    pub force: bool,
    /// How long to wait for another run of the profile to end.
    pub lock_wait: Duration,
    /// Once set, the run stops before its next chunk.
    pub stop: Option<&'s AtomicBool>,
    /// Told how the run gets on (the progress bar).
    pub progress: Option<&'s dyn Fn(Progress)>,
}

/// Words the engine's messages for a person; unless a dry run, prunes the
/// profile's old reports and trash (a failure is a warning of the run) and
/// saves the report if the profile's `reports` level keeps this run's (an
/// error in it when that fails).
pub(crate) fn keep_report(report: &mut Report, profile: &Profile, data: &DataDir, dry_run: bool) {
    add_hints(report);
    if dry_run {
        return;
    }
    let retention = &profile.retention;
    let pruned = retention::prune(data, &profile.name, retention, chrono::Utc::now());
    if pruned.reports + pruned.trash > 0 {
        tracing::info!(
            "{}: pruned {} old reports and {} old trashed files",
            profile.name,
            pruned.reports,
            pruned.trash
        );
    }
    retention::note_once(data, &profile.name, &pruned, retention);
    if !pruned.failures.is_empty() {
        for failure in &pruned.failures {
            report.warnings.push(Message::run(failure.clone()));
        }
        report.finish();
    }
    if !retention.reports.keeps(report.result) {
        return;
    }
    let dir = data.reports(&report.profile);
    match report.save(&dir) {
        Ok(path) => tracing::info!("report written to {}", path.display()),
        Err(e) => {
            report.errors.push(Message::run(format!(
                "cannot write the report under {}: {e}",
                dir.display()
            )));
            report.finish();
        }
    }
}

/// The profile's lock, waiting up to `wait` for another run to end (`None`:
/// still held by the other run, or `stop` was set meanwhile).
async fn lock_within(
    path: &Path,
    wait: Duration,
    stop: Option<&AtomicBool>,
) -> Result<Option<ProfileLock>, LockError> {
    let deadline = Instant::now() + wait;
    loop {
        let stopping = stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst));
        match ProfileLock::acquire(path) {
            Ok(lock) => return Ok(Some(lock)),
            Err(LockError::Busy(_)) if Instant::now() < deadline && !stopping => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(LockError::Busy(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// Runs one profile; every failure is in the report.
pub(crate) async fn run_profile(
    profile: &Profile,
    data: &DataDir,
    args: &RunOptions<'_>,
) -> Report {
    let failed = |message: String| {
        let mut report = Report::new(&profile.name, args.dry_run);
        report.errors.push(Message::run(message));
        report.finish();
        report
    };
    let _lock = match lock_within(&data.lock(&profile.name), args.lock_wait, args.stop).await {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            let mut report = Report::new(&profile.name, args.dry_run);
            report.warnings.push(Message::run(format!(
                "skipped: another davsync run (the daemon's, or one started by hand) is \
                 syncing this profile; waited {} s for it (lock_wait_seconds)",
                args.lock_wait.as_secs()
            )));
            report.finish();
            return report;
        }
        Err(e) => return failed(e.to_string()),
    };
    let local = match open_store(&profile.local, profile, data, Side::Local) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let server = match open_store(&profile.server, profile, data, Side::Server) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let db_path = data.status_db(&profile.name);
    if let Some(parent) = db_path.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        return failed(format!("cannot create {}: {e}", parent.display()));
    }
    let status = match StatusDb::open(&db_path) {
        Ok(s) => s,
        Err(e) => return failed(e.to_string()),
    };
    let mapping = mapping_for(profile);
    let job = SyncJob {
        name: &profile.name,
        local: local.as_ref(),
        server: server.as_ref(),
        mapping: &mapping,
        status: &status,
        options: SyncOptions {
            mode: profile.mode,
            conflicts: profile.conflicts,
            max_delete_percent: profile.max_delete,
            force: args.force,
            dry_run: args.dry_run,
            batch_size: profile.chunk_size,
            concurrency: profile.concurrency,
            time_range: profile
                .time_range
                .map(|(past, future)| TimeRange::around(chrono::Utc::now(), past, future)),
            full_listing_every: profile.full_listing_every,
            offline_tolerance: profile.offline_tolerance,
            duplicates: profile.duplicates,
        },
        scratch_dir: db_path.parent(),
        stop: args.stop,
        progress: args.progress,
    };
    davsync_sync::sync(&job).await
}

fn describe(action: Action) -> String {
    match action {
        Action::Nothing => "nothing".into(),
        Action::Link => "link (equal on both sides)".into(),
        Action::Forget => "forget (gone from both sides)".into(),
        Action::Copy { to } => format!("copy to {to}"),
        Action::Delete { on } => format!("delete on {on}"),
        Action::KeepBoth { winner } => format!("keep both ({winner} version keeps the UID)"),
    }
}

/// A run's summary line, then (unless `quiet`) its lines of items, then its
/// warnings and errors.
pub(crate) fn print_human(report: &Report, quiet: bool) {
    print_report(
        report,
        if quiet {
            Items::None
        } else {
            Items::WorthShowing
        },
    );
}

/// Which item lines a printed report has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Items {
    /// None (`sync --quiet`).
    None,
    /// Failures, conflicts, a dry run's plan (`sync`).
    WorthShowing,
    /// Every item, a failed one marked so (`reports show`).
    Every,
}

/// Prints a report for a person: its summary line, the item lines `items`
/// asks for, then its warnings and errors.
pub(crate) fn print_report(report: &Report, items: Items) {
    if report.result == RunResult::Offline {
        println!(
            "{}: skipped: offline ({} ms)",
            report.profile, report.duration_ms
        );
    } else {
        print_counts(report);
    }
    if items != Items::None {
        print_items(report, items == Items::Every);
    }
    print_duplicates(report);
    for w in &report.warnings {
        println!("  warning: {}", located(w));
    }
    for e in &report.errors {
        println!("  error: {}", located(e));
    }
}

/// The groups of duplicate events the run found, and what became of them.
fn print_duplicates(report: &Report) {
    for group in &report.duplicates {
        let others = group.others.join(", ");
        let what = if group.removed.len() == group.others.len() {
            "removed".to_string()
        } else if group.removed.is_empty() {
            "left alone (`duplicates = \"remove\"` removes them)".to_string()
        } else {
            format!("removed: {}", group.removed.join(", "))
        };
        println!(
            "  duplicates of {} (same start, end and summary): {others}; {what}",
            group.kept
        );
    }
}

/// The summary line of a run.
fn print_counts(report: &Report) {
    let counts =
        |c: &davsync_sync::report::Counts| format!("+{} ~{} -{}", c.created, c.updated, c.deleted);
    let verb = if report.dry_run {
        "would change"
    } else {
        "changed"
    };
    let outside = match report.outside_time_range {
        0 => String::new(),
        n => format!(", {n} outside the time range"),
    };
    let lists = match report.lists_skipped {
        0 => String::new(),
        n => format!(", {n} lists or groups skipped"),
    };
    println!(
        "{}: {verb} local {}, server {}; {} conflicts, {} unchanged{outside}{lists}; {} ({} ms)",
        report.profile,
        counts(&report.local),
        counts(&report.server),
        report.conflicts,
        report.unchanged,
        report.result,
        report.duration_ms
    );
}

/// The lines of the items worth showing: failures, conflicts, a dry run's
/// plan; or with `every_item`, every item.
fn print_items(report: &Report, every_item: bool) {
    for item in &report.items {
        let show = every_item
            || report.dry_run
            || item.outcome == Outcome::Failed
            || item.conflict.is_some();
        if !show {
            continue;
        }
        let conflict = item
            .conflict
            .map(|c| {
                format!(
                    " [conflict: {}]",
                    serde_json::to_value(c)
                        .unwrap_or_default()
                        .as_str()
                        .unwrap_or("")
                )
            })
            .unwrap_or_default();
        let summary = item
            .summary
            .as_deref()
            .map(|s| format!(" \"{s}\""))
            .unwrap_or_default();
        // `sync` shows failed items only, next to their errors: no mark needed.
        let failed = if every_item && item.outcome == Outcome::Failed {
            " [failed]"
        } else {
            ""
        };
        println!(
            "  {:<40} {}{summary}{conflict}{failed}",
            describe(item.action),
            item.uid
        );
    }
}

/// Adds to the engine's messages what the user can do about them, in the
/// terms of the command line and the configuration file (which the engine
/// does not know): the flag that overrides a safety rail, the keys that
/// trust a certificate, where the password comes from.
fn add_hints(report: &mut Report) {
    let profile = report.profile.clone();
    let result = report.result;
    for message in report.errors.iter_mut().chain(report.warnings.iter_mut()) {
        let hint = match (&message.refusal, message.kind) {
            (Some(Refusal::SideEmptied { emptied, .. }), _) => format!(
                "if the {emptied} store really was emptied on purpose, run again with --force"
            ),
            (Some(Refusal::TooManyDeletes { limit_percent, .. }), _) => format!(
                "the limit is the profile's max_delete = {limit_percent}%; check the plan with \
                 --dry-run, then run with --force (or raise max_delete) if it is intended"
            ),
            (None, Some(ServerFailure::Unauthorized)) => {
                format!("check the username and the password source of profile {profile}")
            }
            // Past the tolerance (a warning within it needs no advice).
            (None, Some(ServerFailure::Offline))
                if result == RunResult::Errors && message.uid.is_none() =>
            {
                "offline_tolerance (in the profile or in [general]) sets how many runs in a row \
                 may find the server offline as a warning"
                    .to_string()
            }
            (None, Some(ServerFailure::UntrustedCertificate)) => "to trust it, give the \
                certificate (or its CA) as tls_ca_file, or its SHA-256 as tls_fingerprint, \
                in the profile's server store"
                .to_string(),
            // Radicale takes about two minutes to answer a first read of
            // 100,000 events, before it sends a byte.
            (None, Some(ServerFailure::Timeout)) => "a server may take longer than that to \
                answer for a large collection: raise timeout_seconds (default 90) in the \
                profile's server store"
                .to_string(),
            _ => continue,
        };
        message.message = format!("{}; {hint}", message.message);
    }
}

fn located(m: &Message) -> String {
    let mut at = Vec::new();
    if let Some(side) = m.side {
        at.push(side.to_string());
    }
    if let Some(href) = &m.href {
        at.push(href.clone());
    }
    if let Some(uid) = &m.uid {
        at.push(format!("UID {uid}"));
    }
    if at.is_empty() {
        m.message.clone()
    } else {
        format!("{}: {}", at.join(" "), m.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: ServerFailure) -> Message {
        let mut message = Message::run("listing the server store: timed out");
        message.kind = Some(kind);
        message
    }

    #[test]
    fn a_timeout_names_the_setting_that_gives_more_time() {
        let mut report = Report::new("work", false);
        report.errors.push(failure(ServerFailure::Timeout));
        report.warnings.push(failure(ServerFailure::Other));
        add_hints(&mut report);
        assert!(
            report.errors[0]
                .message
                .ends_with("raise timeout_seconds (default 90) in the profile's server store"),
            "{}",
            report.errors[0].message
        );
        // A failure of another kind gets no such advice.
        assert_eq!(
            report.warnings[0].message,
            "listing the server store: timed out"
        );
    }
}
