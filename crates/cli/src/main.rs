//! The `davsync` command: parses the command line, loads the configuration and
//! runs the requested command; errors become messages and exit codes here.

mod check_cmd;
mod completions_cmd;
mod config;
mod config_cmd;
mod create_cmd;
mod daemon;
mod discover_cmd;
mod files;
mod logging;
mod man_cmd;
mod paths;
mod presets;
mod presets_cmd;
mod progress;
mod reports_cmd;
mod retention;
mod secrets;
mod service_cmd;
mod status_cmd;
mod sync_cmd;

use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status when a run, an item or a profile failed, or any other error
/// that is not the command line's or the configuration's (a status database
/// that cannot be opened, a data directory that cannot be created, a server
/// that cannot be reached).
const EXIT_FAILED: u8 = 1;
/// Exit status for a usage or configuration error.
const EXIT_USAGE: u8 = 2;

/// A mistake in the command line, the environment it names or the
/// configuration file, for the user to fix: exit status 2. Every other
/// error exits 1.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub(crate) struct UsageError(pub(crate) anyhow::Error);

impl UsageError {
    /// Marks an error as the user's to fix (for `map_err`).
    pub(crate) fn of(error: impl Into<anyhow::Error>) -> anyhow::Error {
        UsageError(error.into()).into()
    }
}

/// The exit status for an error that reached `main`.
fn exit_status(error: &anyhow::Error) -> u8 {
    if error.chain().any(|e| e.is::<UsageError>()) {
        EXIT_USAGE
    } else {
        EXIT_FAILED
    }
}

/// Two-way sync of calendars, tasks and contacts between folders and servers.
///
/// davsync keeps a local vdir folder (one .ics/.vcf file per item, as khal,
/// khard and todoman read it) in sync with another store, in one of five modes,
/// with a conflict policy, a category filter and safety rails against mass
/// deletion. Profiles are defined in a TOML configuration file.
#[derive(Debug, Parser)]
#[command(name = "davsync", version, about, long_about, after_long_help = after_help())]
struct Cli {
    /// Configuration file [default: $XDG_CONFIG_HOME/davsync/config.toml, or $DAVSYNC_CONFIG].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Where status databases, reports, locks and the trash live
    /// [default: $DAVSYNC_DATA_DIR, else general.data_dir, else $XDG_DATA_HOME/davsync].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Log more (-v: info, -vv: debug); also DAVSYNC_LOG=debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Synchronize profiles (all active ones when none is named).
    ///
    /// Without profile names, every profile runs but those with inactive = true, which are
    /// listed as skipped; a profile named runs, inactive or not. Up to max_parallel
    /// profiles (in [general], default 4) run at once, never two that share a folder or a
    /// collection; their reports are printed in the order of the profiles (name order, or the
    /// order named).
    ///
    /// Exit status: 0 when every profile ran without error (or was skipped
    /// offline, within offline_tolerance), 1 when an item or a profile failed
    /// (see the report), 2 on a usage or configuration error.
    Sync(sync_cmd::SyncArgs),
    /// Show every profile's last run: when, result and counts.
    Status(status_cmd::StatusArgs),
    /// List the saved reports, newest first, or print one: `davsync reports show ID`.
    ///
    /// Without a profile, every profile's reports (also of profiles no longer
    /// configured). Which runs keep a report is the profile's `reports` setting
    /// (default "warnings": runs with warnings or errors); reports older than
    /// `report_retention_days` (default 30) are deleted at each run of the profile.
    Reports(reports_cmd::ReportsArgs),
    /// Sync profiles in the background: at each profile's interval and soon
    /// after a change in its local folder, until SIGTERM or SIGINT.
    ///
    /// Runs in the foreground (for systemd, launchd or a terminal), one
    /// process for every profile (or the ones named). Each profile syncs at
    /// once, then every `interval` (default 30 minutes; "off": only after a
    /// change), and about 2 seconds after a change in its local folder
    /// (`watch`, default true; davsync's own writes do not count). A profile
    /// that fails is tried again sooner, then less often (from 30 seconds,
    /// doubling, at most its interval); an offline server is tried again at
    /// the interval. At most `max_parallel` profiles run at once, and two
    /// that share a folder or a collection never do. SIGTERM or SIGINT: the
    /// runs under way stop after their chunk, and the daemon exits 0. SIGHUP:
    /// the configuration file is read again (profiles added, removed,
    /// changed). One daemon per data directory; `davsync status` shows what
    /// it does.
    Daemon(daemon::DaemonArgs),
    /// Install or remove the service that runs `davsync daemon` at login (systemd, launchd,
    /// Task Scheduler).
    ///
    /// `service install` writes a systemd user unit (Linux) or a launchd agent (macOS) that
    /// runs this binary's `daemon`, and prints the commands that start it (davsync does not run
    /// them); on Windows it prints the Task Scheduler command. `service uninstall` removes the
    /// file and prints the commands that stop the daemon. Both take --dry-run. Needs no
    /// configuration file.
    Service(service_cmd::ServiceArgs),
    /// Check that profiles can run: passwords, server, login, collection, clocks, folders.
    ///
    /// For each profile (every active one when none is named), one line per check: the
    /// configuration; for a server store, that its password source gives a password, that the
    /// server answers, that it accepts the login, that the URL is a calendar or an address book
    /// as the profile needs, that the user may write there when the mode writes there, that it
    /// supports sync-collection, and that its clock is within 5 minutes of this computer's; for
    /// a folder, that a file can be created in it (or in its parent, when it is missing).
    /// Nothing is synced; nothing is written but a temporary file in each folder.
    ///
    /// Exit status: 0 when no check found an error (warnings allowed), 1 when one did, 2 on a
    /// usage or configuration error.
    Check(check_cmd::CheckArgs),
    /// Find the calendars, task lists and address books on a server; with
    /// --write, add a profile for each to the configuration file.
    ///
    /// With --preset NAME (`davsync presets` lists them), discovery starts at the server's
    /// documented URL, made from --host, --user and --email, and --write gives the new profiles
    /// the preset's keys.
    Discover(Box<discover_cmd::DiscoverArgs>),
    /// List the server presets of `discover --preset`: URLs, user name, keys, notes.
    ///
    /// Each preset names where a server's calendars and address books are (a URL template with
    /// {host}, {user}, {email}), the keys `discover --preset NAME --write` writes into the
    /// profiles it adds (after what Outlook CalDav Synchronizer sets for that server), what to
    /// know about the server, and whether the test suite runs against such a server. Needs no
    /// configuration file.
    Presets(presets_cmd::PresetsArgs),
    /// Make the server collection of profiles whose collection does not exist yet.
    ///
    /// A calendar for the profiles' contents (events, tasks) or an address book, named
    /// and coloured after the local folder's `displayname` and `color` files.
    Create(create_cmd::CreateArgs),
    /// Show what the configuration file may hold: `davsync config keys [--json]`.
    ///
    /// `config keys` lists every key with its type, default, where it is
    /// valid and what it does; it needs no configuration file.
    Config(config_cmd::ConfigArgs),
    /// Print the completion script of a shell (bash, zsh, fish, powershell, elvish).
    ///
    /// Try it in the running shell with `source <(davsync completions bash)`. To have it in
    /// every shell, save it where the shell looks: for bash,
    /// ~/.local/share/bash-completion/completions/davsync; for zsh, a file `_davsync` in a
    /// folder of $fpath; for fish, ~/.config/fish/completions/davsync.fish. Needs no
    /// configuration file.
    Completions(completions_cmd::CompletionsArgs),
    /// Print the manual page davsync(1), or write every page into a folder.
    ///
    /// Without --dir, prints davsync(1) (read it with `davsync man | man -l -`). With --dir,
    /// writes davsync.1 and one page per subcommand (davsync-sync.1, …) into the folder, each
    /// replaced whole, and prints their paths; `davsync man --dir ~/.local/share/man/man1`
    /// makes `man davsync` work. Needs no configuration file.
    Man(man_cmd::ManArgs),
}

/// The example profile of `davsync --help` and the man page.
const CONFIG_EXAMPLE: &str = "\
[profiles.work]
content = \"events\"          # events | tasks | contacts
mode = \"two-way\"            # two-way | to-server | to-local | to-server-merge | to-local-merge
conflicts = \"automatic\"     # automatic | local-wins | server-wins | keep-both
max_delete = 50             # percent of a side's items one run may delete
category = \"Work\"           # optional category filter
local = { type = \"vdir\", path = \"~/calendars/work\" }
server = { type = \"vdir\", path = \"/media/backup/work\" }";

/// Where to read on after the example.
const CONFIG_MORE: &str = "\
Every key, its type, default and meaning: davsync config keys [--json].
See the README for the modes, the policies and the category filter.";

/// Every command's exit statuses and their meaning, for `--help` and the man
/// page (which fills the lines `--help` breaks).
const EXIT_STATUSES: [(u8, &str); 3] = [
    (
        0,
        "every profile ran without error (or was skipped offline, within
offline_tolerance)",
    ),
    (
        EXIT_FAILED,
        "a run, a profile or an item failed (see the report), or davsync could not
do its work (a status database that cannot be opened, a server that
cannot be reached while discovering, a file that cannot be written)",
    ),
    (
        EXIT_USAGE,
        "a usage or configuration error: fix the command line or the file",
    ),
];

/// What `davsync --help` prints after the options: the example profile and
/// the exit statuses.
fn after_help() -> String {
    let mut out = String::from("Configuration (TOML):\n");
    for line in CONFIG_EXAMPLE.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!("\n{CONFIG_MORE}\n\nExit status:"));
    for (code, meaning) in EXIT_STATUSES {
        out.push_str(&format!("\n  {code}  {}", meaning.replace('\n', "\n     ")));
    }
    out
}

/// The path in the environment variable `name`, when it is set and not empty.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Where the configuration file is, from the flag, the environment or the default.
fn config_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| env_path("DAVSYNC_CONFIG"))
        .unwrap_or_else(config::default_config_path)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // What `service install` bakes into the service's command line: the
    // service does not see this shell's environment.
    let given = service_cmd::Given {
        config: cli.config.clone().or_else(|| env_path("DAVSYNC_CONFIG")),
        data_dir: cli
            .data_dir
            .clone()
            .or_else(|| env_path("DAVSYNC_DATA_DIR")),
    };
    let path = config_path(cli.config);
    let data_dir_flag = cli.data_dir;
    let verbose = cli.verbose;
    // Commands that read the configuration log as it says (`log_file`).
    let load = || -> anyhow::Result<(config::Config, PathBuf)> {
        let config = config::Config::load(&path).map_err(|e| {
            logging::init(verbose, None);
            UsageError::of(e)
        })?;
        logging::init(verbose, config.general.log.as_ref());
        if let Some(warning) = config.exposure_warning() {
            eprintln!("davsync: warning: {warning}");
        }
        let data_dir = config::data_dir(data_dir_flag.as_deref(), &config);
        Ok((config, data_dir))
    };
    let result = match &cli.command {
        // Needs no configuration; with --write it may create the file.
        Command::Discover(args) => {
            logging::init(verbose, None);
            discover_cmd::run(&path, args)
        }
        Command::Config(args) => {
            logging::init(verbose, None);
            config_cmd::run(args)
        }
        Command::Presets(args) => presets_cmd::run(args),
        Command::Completions(args) => completions_cmd::run(Cli::command(), args),
        Command::Man(args) => man_cmd::run(Cli::command(), args),
        Command::Service(args) => service_cmd::run(args, &given),
        Command::Check(args) => load().and_then(|(config, _)| check_cmd::run(&config, args)),
        Command::Create(args) => load().and_then(|(config, _)| create_cmd::run(&config, args)),
        Command::Sync(args) => {
            load().and_then(|(config, data)| sync_cmd::run(&config, &data, args))
        }
        Command::Status(args) => {
            load().and_then(|(config, data)| status_cmd::run(&config, &data, args))
        }
        Command::Reports(args) => {
            load().and_then(|(config, data)| reports_cmd::run(&config, &data, args))
        }
        Command::Daemon(args) => {
            load().and_then(|(config, data)| daemon::run(&path, &data, config, args))
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_FAILED),
        Err(e) => {
            eprintln!("davsync: {e:#}");
            ExitCode::from(exit_status(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in `--help` is a valid profile: a key renamed in the
    /// table without the help text following fails here.
    #[test]
    fn the_help_example_parses() {
        let example: String = after_help()
            .lines()
            .skip_while(|l| !l.starts_with("Configuration (TOML):"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(|l| format!("{}\n", l.trim()))
            .collect();
        let config = config::Config::parse(&example, std::path::Path::new("/x/config.toml"))
            .unwrap_or_else(|e| panic!("{e:#}\n{example}"));
        assert_eq!(config.profiles.len(), 1, "{example}");
        assert!(config.profiles[0].category.is_some(), "{example}");
    }

    /// `--help` lists the exit statuses `main` uses, each on a line of its own.
    #[test]
    fn the_help_lists_the_exit_statuses() {
        let help = after_help();
        for code in [0, EXIT_FAILED, EXIT_USAGE] {
            let (_, meaning) = EXIT_STATUSES.iter().find(|(c, _)| *c == code).unwrap();
            let first_line = meaning.lines().next().unwrap();
            let line = format!("  {code}  {first_line}");
            assert!(help.lines().any(|l| l == line), "{line:?} in\n{help}");
        }
    }
}
