//! `davsync daemon`: one foreground process that syncs profiles at their
//! intervals and soon after a change in their local folders, until SIGTERM
//! or SIGINT (the runs under way stop after their chunk, commit, and the
//! daemon exits 0); SIGHUP reloads the configuration. One daemon per data
//! directory.

mod schedule;
pub(crate) mod state;
mod watch;

use crate::config::{Config, Profile, ResolvedStore};
use crate::paths::DataDir;
use crate::sync_cmd::{RunOptions, keep_report, print_human, run_profile};
use anyhow::{Context, Result, bail};
use davsync_sync::lock::{LockError, ProfileLock};
use davsync_sync::report::{Report, RunResult};
use schedule::Schedule;
use state::{DaemonState, ProfileState};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Arguments of `davsync daemon`.
#[derive(Debug, clap::Args)]
pub(crate) struct DaemonArgs {
    /// Profiles to sync (default: all).
    #[arg(value_name = "PROFILE")]
    profiles: Vec<String>,
}

/// One profile under the daemon's care.
struct Slot {
    profile: Profile,
    schedule: Schedule,
    /// Its folder's watcher (dropped: no more events).
    watcher: Option<notify::RecommendedWatcher>,
    /// Paths touched since the last look, and when to look (debounced).
    touched: BTreeSet<PathBuf>,
    look_at: Option<Instant>,
    running: bool,
    /// No longer in the configuration: dropped when its run ends.
    removed: bool,
    state: ProfileState,
}

/// What a finished run sends back.
type Done = (String, Report);

/// Runs the daemon until it is told to end; `Ok(true)` on a clean exit.
pub(crate) fn run(
    config_path: &Path,
    data_dir: &Path,
    config: Config,
    args: &DaemonArgs,
) -> Result<bool> {
    let lock_path = state::lock_path(data_dir);
    let _lock = match ProfileLock::acquire(&lock_path) {
        Ok(lock) => lock,
        Err(LockError::Busy(_)) => bail!(
            "another davsync daemon is running with the data directory {} (its lock {} is \
             held); one daemon per data directory",
            data_dir.display(),
            lock_path.display()
        ),
        Err(e) => return Err(e.into()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let mut daemon = Daemon::new(config_path, data_dir, &args.profiles)?;
        daemon.take(config)?;
        daemon.serve().await
    })
}

struct Daemon {
    config_path: PathBuf,
    data: DataDir,
    /// The profiles named on the command line (none: all).
    named: Vec<String>,
    max_parallel: usize,
    lock_wait: Duration,
    slots: BTreeMap<String, Slot>,
    events: (
        mpsc::UnboundedSender<watch::Event>,
        mpsc::UnboundedReceiver<watch::Event>,
    ),
    done: (mpsc::UnboundedSender<Done>, mpsc::UnboundedReceiver<Done>),
    /// Set to ask the runs under way to stop.
    stop: std::sync::Arc<AtomicBool>,
    started: String,
}

impl Daemon {
    fn new(config_path: &Path, data_dir: &Path, named: &[String]) -> Result<Daemon> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        Ok(Daemon {
            config_path: config_path.to_path_buf(),
            data: DataDir(data_dir.to_path_buf()),
            named: named.to_vec(),
            max_parallel: 1,
            lock_wait: Duration::ZERO,
            slots: BTreeMap::new(),
            events: mpsc::unbounded_channel(),
            done: mpsc::unbounded_channel(),
            stop: Default::default(),
            started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// Takes up a configuration: profiles added start at once, profiles
    /// removed are dropped (a run under way ends first), changed ones keep
    /// their timing under their new settings.
    fn take(&mut self, config: Config) -> Result<()> {
        let selection = config.select(&self.named).map_err(crate::UsageError::of)?;
        for skipped in &selection.inactive {
            tracing::info!("daemon: profile {} is inactive: not synced", skipped.name);
        }
        let wanted: Vec<Profile> = selection.run.into_iter().cloned().collect();
        self.max_parallel = config.general.max_parallel;
        self.lock_wait = config.general.lock_wait;
        let now = Instant::now();
        let names: HashSet<String> = wanted.iter().map(|p| p.name.clone()).collect();
        self.slots
            .retain(|name, slot| names.contains(name) || slot.running);
        for profile in wanted {
            let name = profile.name.clone();
            let schedule = match self.slots.get(&name) {
                Some(slot) => slot.schedule.with_interval(profile.interval, now),
                None => {
                    tracing::info!("daemon: profile {name} taken up");
                    Schedule::starting(profile.interval, now)
                }
            };
            let watcher = self.watcher_for(&profile);
            let slot = self.slots.entry(name.clone()).or_insert_with(|| Slot {
                profile: profile.clone(),
                schedule: schedule.clone(),
                watcher: None,
                touched: BTreeSet::new(),
                look_at: None,
                running: false,
                removed: false,
                state: ProfileState {
                    name: name.clone(),
                    ..ProfileState::default()
                },
            });
            slot.state.watching = watcher.is_some();
            slot.watcher = watcher;
            slot.profile = profile;
            slot.schedule = schedule;
            slot.removed = false;
        }
        // Removed while running: dropped when the run ends.
        for (name, slot) in &mut self.slots {
            if !names.contains(name) {
                tracing::info!("daemon: profile {name} dropped");
                slot.removed = true;
                slot.schedule.next = None;
                slot.watcher = None;
                slot.state.watching = false;
            }
        }
        self.save_state();
        Ok(())
    }

    /// A watcher on the profile's local folder, when it has one and wants it.
    fn watcher_for(&self, profile: &Profile) -> Option<notify::RecommendedWatcher> {
        let ResolvedStore::Vdir { path } = &profile.local else {
            return None;
        };
        if !profile.watch {
            return None;
        }
        match watch::watch(&profile.name, path, self.events.0.clone()) {
            Ok(watcher) => Some(watcher),
            Err(e) => {
                tracing::warn!(
                    "daemon: cannot watch {} for profile {}: {e}; it syncs at its interval only",
                    path.display(),
                    profile.name
                );
                None
            }
        }
    }

    /// The loop: starts what is due, takes in events, finished runs and
    /// signals, until SIGTERM or SIGINT.
    async fn serve(&mut self) -> Result<bool> {
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut hangup = signal(SignalKind::hangup())?;
        eprintln!(
            "davsync daemon: syncing {} profile(s); data directory {}",
            self.slots.len(),
            self.data.0.display()
        );
        loop {
            self.start_due().await;
            let wake = self.next_wake();
            tokio::select! {
                () = sleep_until(wake) => {}
                Some((name, paths)) = self.events.1.recv() => self.touched(&name, paths),
                Some((name, report)) = self.done.1.recv() => self.finished(&name, report),
                _ = hangup.recv() => self.reload(),
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
            }
        }
        self.shut_down().await;
        Ok(true)
    }

    /// Asks the runs under way to stop after their chunk and waits for them.
    async fn shut_down(&mut self) {
        let running = self.slots.values().filter(|s| s.running).count();
        eprintln!("davsync daemon: stopping ({running} run(s) under way finish their chunk)");
        self.stop.store(true, Ordering::SeqCst);
        while self.slots.values().any(|s| s.running) {
            match self.done.1.recv().await {
                Some((name, report)) => self.finished(&name, report),
                None => break,
            }
        }
        for slot in self.slots.values_mut() {
            slot.state.next_run = None;
        }
        self.save_state();
    }

    fn reload(&mut self) {
        eprintln!("davsync daemon: reloading {}", self.config_path.display());
        let config = match Config::load(&self.config_path) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("davsync daemon: the configuration is not taken up: {e:#}");
                return;
            }
        };
        if let Err(e) = self.take(config) {
            eprintln!("davsync daemon: the configuration is not taken up: {e:#}");
        }
    }

    /// Notes paths touched in a profile's folder: looked at once the folder
    /// has been quiet for a moment (and the profile is not running).
    fn touched(&mut self, name: &str, paths: Vec<PathBuf>) {
        if let Some(slot) = self.slots.get_mut(name)
            && slot.watcher.is_some()
        {
            slot.touched.extend(paths);
            slot.look_at = Some(Instant::now() + watch::DEBOUNCE);
        }
    }

    /// The soonest moment something is due.
    fn next_wake(&self) -> Option<Instant> {
        self.slots
            .values()
            .filter(|s| !s.running)
            .flat_map(|s| [s.schedule.next, s.look_at])
            .flatten()
            .min()
    }

    /// Starts the profiles that are due, as far as `max_parallel` and the
    /// folders and collections in use allow.
    async fn start_due(&mut self) {
        let now = Instant::now();
        // Touched folders that have been quiet long enough: a run if the
        // changes are not davsync's own writes.
        let looks: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| !s.running && s.look_at.is_some_and(|t| t <= now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in looks {
            let slot = self.slots.get_mut(&name).expect("listed");
            slot.look_at = None;
            let touched = std::mem::take(&mut slot.touched);
            let ResolvedStore::Vdir { path } = &slot.profile.local else {
                continue;
            };
            let extension = slot.profile.content.extension();
            let db = self.data.status_db(&name);
            if watch::changed_since_last_run(path, extension, &db, &touched).await {
                tracing::info!("daemon: {name}: its folder changed; syncing");
                let slot = self.slots.get_mut(&name).expect("listed");
                slot.schedule.next = Some(now);
            }
        }
        let due: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| !s.running && s.schedule.due(now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            let running = self.slots.values().filter(|s| s.running).count();
            if running >= self.max_parallel {
                break;
            }
            let busy = self
                .slots
                .values()
                .filter(|s| s.running)
                .any(|s| s.profile.shares_a_store_with(&self.slots[&name].profile));
            if busy {
                continue;
            }
            self.start(&name);
        }
    }

    fn start(&mut self, name: &str) {
        let slot = self.slots.get_mut(name).expect("a profile of the daemon");
        slot.running = true;
        slot.state.running = true;
        slot.schedule.next = None;
        let profile = slot.profile.clone();
        let data = DataDir(self.data.0.clone());
        let done = self.done.0.clone();
        let stop = self.stop.clone();
        let lock_wait = self.lock_wait;
        tokio::task::spawn_local(async move {
            let options = RunOptions {
                dry_run: false,
                force: false,
                lock_wait,
                stop: Some(&stop),
                progress: None,
            };
            let mut report = run_profile(&profile, &data, &options).await;
            keep_report(&mut report, &profile, &data, false);
            // The daemon gone: nobody to tell.
            let _ = done.send((profile.name.clone(), report));
        });
        self.save_state();
    }

    fn finished(&mut self, name: &str, report: Report) {
        print_human(&report, true);
        let now = Instant::now();
        let Some(slot) = self.slots.get_mut(name) else {
            return;
        };
        slot.running = false;
        slot.state.running = false;
        slot.state.last_run =
            Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        slot.state.result = Some(report.result.to_string());
        tracing::info!(
            "daemon: {name}: {}; local +{} ~{} -{}, server +{} ~{} -{}; requests {}",
            report.result,
            report.local.created,
            report.local.updated,
            report.local.deleted,
            report.server.created,
            report.server.updated,
            report.server.deleted,
            report.requests[1].map_or("-".to_string(), |n| n.to_string())
        );
        slot.schedule.after(report.result, now, schedule::jitter());
        slot.state.failures = slot.schedule.failures;
        if report.result == RunResult::Errors {
            tracing::warn!(
                "daemon: {name} failed ({} in a row)",
                slot.schedule.failures
            );
        }
        if slot.removed {
            self.slots.remove(name);
        } else if !slot.touched.is_empty() {
            // Events during the run are looked at now that its writes are recorded.
            slot.look_at = Some(now + watch::DEBOUNCE);
        }
        self.save_state();
    }

    /// Writes the state file (a failure is logged: the daemon goes on).
    fn save_state(&mut self) {
        let now = Instant::now();
        let wall = chrono::Utc::now();
        let profiles = self
            .slots
            .values_mut()
            .map(|slot| {
                slot.state.next_run = slot.schedule.next.map(|next| {
                    let ahead = next.saturating_duration_since(now);
                    (wall + chrono::Duration::from_std(ahead).unwrap_or_default())
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                });
                slot.state.clone()
            })
            .collect();
        let state = DaemonState {
            pid: std::process::id(),
            started: self.started.clone(),
            profiles,
        };
        if let Err(e) = state.save(&self.data.0) {
            tracing::warn!("daemon: cannot write its state file: {e}");
        }
    }
}

async fn sleep_until(when: Option<Instant>) {
    match when {
        Some(when) => tokio::time::sleep_until(when.into()).await,
        None => std::future::pending().await,
    }
}
