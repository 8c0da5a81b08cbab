//! `davsync service install|uninstall`: the file that has the system's service
//! manager run `davsync daemon` for the user: a systemd user unit on Linux
//! (and other Unix systems), a launchd agent on macOS; on Windows, the Task
//! Scheduler command to type. davsync writes or removes the file and prints
//! the service manager's commands; it never runs them.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Arguments of `davsync service`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServiceArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Write the service file that runs `davsync daemon` at login, and print the commands
    /// that start it.
    ///
    /// Linux: the systemd user unit ~/.config/systemd/user/davsync.service ($XDG_CONFIG_HOME
    /// is honoured); macOS: the launchd agent ~/Library/LaunchAgents/org.davsync.daemon.plist;
    /// Windows: nothing is written, the Task Scheduler command is printed. The service runs
    /// this davsync binary (its absolute path) with `daemon`, and with --config and
    /// --data-dir (made absolute) when they were given, here or in $DAVSYNC_CONFIG and
    /// $DAVSYNC_DATA_DIR. The file is written whole (a temporary file renamed over it); one
    /// that differs is left alone unless --force. davsync does not run systemctl or launchctl:
    /// it prints the commands.
    Install {
        /// Print the file and where it would go; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace a service file that differs from this one.
        #[arg(long)]
        force: bool,
    },
    /// Remove the service file (and the link `systemctl --user enable` made), and print the
    /// commands that stop the daemon.
    Uninstall {
        /// Print what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Where the daemon is to find its files, as this command was told: the
/// `--config` and `--data-dir` options, or `DAVSYNC_CONFIG` and
/// `DAVSYNC_DATA_DIR` (the service does not see this shell's environment).
#[derive(Debug, Default)]
pub(crate) struct Given {
    /// The configuration file.
    pub config: Option<PathBuf>,
    /// The data directory.
    pub data_dir: Option<PathBuf>,
}

/// The service managers davsync writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    /// A systemd user unit (Linux, other Unix systems).
    Systemd,
    /// A launchd agent (macOS).
    Launchd,
    /// A Task Scheduler task, made with `schtasks` (Windows).
    TaskScheduler,
}

/// The unit's name, and the launchd agent's label.
const UNIT: &str = "davsync.service";
const LABEL: &str = "org.davsync.daemon";

impl Platform {
    /// This system's.
    const CURRENT: Platform = if cfg!(target_os = "macos") {
        Platform::Launchd
    } else if cfg!(windows) {
        Platform::TaskScheduler
    } else {
        Platform::Systemd
    };
}

/// The service of this system: what it runs, where its file goes.
struct Service {
    platform: Platform,
    /// The command line: the binary's absolute path, `daemon`, options.
    command: Vec<String>,
    /// The user's home folder.
    home: PathBuf,
    /// Where the service file goes (`None` on Windows: nothing is written).
    file: Option<PathBuf>,
}

impl Service {
    /// The service of this binary on this system.
    fn current(given: &Given) -> Result<Service> {
        let platform = Platform::CURRENT;
        let dirs =
            directories::BaseDirs::new().context("cannot find the home folder (is $HOME set?)")?;
        let home = dirs.home_dir().to_path_buf();
        let file = match platform {
            // The XDG base directory: $XDG_CONFIG_HOME when it is absolute, else ~/.config.
            Platform::Systemd => Some(dirs.config_dir().join("systemd/user").join(UNIT)),
            Platform::Launchd => Some(
                home.join("Library/LaunchAgents")
                    .join(format!("{LABEL}.plist")),
            ),
            Platform::TaskScheduler => None,
        };
        let exe = std::env::current_exe().context("cannot find the path of this davsync binary")?;
        let mut command = vec![utf8(&exe)?, "daemon".to_string()];
        for (flag, path) in [("--config", &given.config), ("--data-dir", &given.data_dir)] {
            if let Some(path) = path {
                let path = std::path::absolute(path)
                    .with_context(|| format!("cannot make {} absolute", path.display()))?;
                command.push(flag.to_string());
                command.push(utf8(&path)?);
            }
        }
        Ok(Service {
            platform,
            command,
            home,
            file,
        })
    }

    /// The service file's text (on Windows, the command that makes the task).
    fn text(&self) -> String {
        match self.platform {
            Platform::Systemd => systemd_unit(&self.command),
            Platform::Launchd => launchd_plist(&self.command, &self.home),
            Platform::TaskScheduler => schtasks_create(&self.command),
        }
    }

    /// The commands that start the service after the file is written.
    fn start(&self) -> Vec<String> {
        match self.platform {
            Platform::Systemd => vec![
                "systemctl --user daemon-reload && systemctl --user enable --now davsync".into(),
            ],
            Platform::Launchd => vec![format!(
                "launchctl bootstrap gui/$(id -u) {}",
                shell_word(
                    &self
                        .file
                        .as_deref()
                        .map(|f| f.display().to_string())
                        .unwrap_or_default()
                )
            )],
            Platform::TaskScheduler => vec![schtasks_create(&self.command)],
        }
    }

    /// The commands that stop the service once its file is removed.
    fn stop(&self) -> Vec<String> {
        match self.platform {
            Platform::Systemd => {
                vec!["systemctl --user stop davsync && systemctl --user daemon-reload".into()]
            }
            Platform::Launchd => vec![format!("launchctl bootout gui/$(id -u)/{LABEL}")],
            Platform::TaskScheduler => vec!["schtasks /Delete /TN davsync /F".into()],
        }
    }

    /// The link `systemctl --user enable` made for the unit (`WantedBy=default.target`).
    fn enable_link(&self) -> Option<PathBuf> {
        match (self.platform, &self.file) {
            (Platform::Systemd, Some(file)) => {
                Some(file.parent()?.join("default.target.wants").join(UNIT))
            }
            _ => None,
        }
    }
}

/// A path as text, for a service file (which is text).
fn utf8(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_string)
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}

/// Runs `davsync service`; needs no configuration file.
pub(crate) fn run(args: &ServiceArgs, given: &Given) -> Result<bool> {
    let service = Service::current(given)?;
    match args.action {
        Action::Install { dry_run, force } => install(&service, dry_run, force),
        Action::Uninstall { dry_run } => uninstall(&service, dry_run),
    }
}

/// Prints `lines`, indented, under `heading`.
fn print_commands(heading: &str, lines: &[String]) {
    println!("{heading}");
    for line in lines {
        println!("  {line}");
    }
}

fn install(service: &Service, dry_run: bool, force: bool) -> Result<bool> {
    let text = service.text();
    let Some(file) = &service.file else {
        // Windows: the task is the command; nothing to write.
        print_commands(
            "davsync writes no file on Windows; make the task that starts the daemon at every \
             login with:",
            &service.start(),
        );
        return Ok(true);
    };
    let shown = file.display();
    if dry_run {
        println!("would write {shown}:\n");
        print!("{text}");
        println!();
        print_commands(
            "then, to start the daemon now and at every login:",
            &service.start(),
        );
        return Ok(true);
    }
    match std::fs::read(file) {
        Ok(existing) if existing == text.as_bytes() => {
            println!("{shown} is up to date (nothing written)");
        }
        Ok(_) if !force => bail!(
            "{shown} exists and differs from the service file davsync would write; see the new \
             one with `davsync service install --dry-run`, and replace it with --force"
        ),
        Ok(_) => write(file, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write(file, &text)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    }
    print_commands(
        "to start the daemon now and at every login, run:",
        &service.start(),
    );
    Ok(true)
}

/// Writes the service file, creating its folder.
fn write(file: &Path, text: &str) -> Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::files::write_atomically(file, text.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

fn uninstall(service: &Service, dry_run: bool) -> Result<bool> {
    let Some(file) = &service.file else {
        print_commands(
            "davsync wrote no file on Windows; remove the task with:",
            &service.stop(),
        );
        return Ok(true);
    };
    // `systemctl --user disable` cannot run once the unit file is gone: the
    // link it would remove goes with the file.
    let link = service.enable_link().filter(|l| {
        l.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    });
    let present = file.symlink_metadata().is_ok();
    let removals: Vec<&PathBuf> = [present.then_some(file), link.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    if removals.is_empty() {
        println!("{} is not there: nothing to remove", file.display());
        return Ok(true);
    }
    for path in removals {
        if dry_run {
            println!("would remove {}", path.display());
        } else {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            println!("removed {}", path.display());
        }
    }
    print_commands("to stop the daemon that runs now:", &service.stop());
    Ok(true)
}

/// The systemd user unit that runs `command`.
fn systemd_unit(command: &[String]) -> String {
    let exec: Vec<String> = command.iter().map(|w| systemd_word(w)).collect();
    format!(
        "[Unit]
Description=davsync: calendars, tasks and contacts in sync

[Service]
ExecStart={}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=60

[Install]
WantedBy=default.target
",
        exec.join(" ")
    )
}

/// One word of a systemd command line: `%` (specifiers) and `$` (variables)
/// doubled; quoted, with C escapes, when it holds a space, a quote, a
/// backslash or a control character, or is empty or `;`.
fn systemd_word(word: &str) -> String {
    let word = word.replace('%', "%%").replace('$', "$$");
    let plain = !word.is_empty()
        && word != ";"
        && !word
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'));
    if plain {
        return word;
    }
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for XML.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The launchd agent that runs `command` at login and again when it fails
/// (`KeepAlive` without a successful exit: `Restart=on-failure`), its output in
/// `~/Library/Logs/davsync.log`.
fn launchd_plist(command: &[String], home: &Path) -> String {
    let arguments: String = command
        .iter()
        .map(|a| format!("\t\t<string>{}</string>\n", xml_escape(a)))
        .collect();
    let log = xml_escape(&home.join("Library/Logs/davsync.log").display().to_string());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{LABEL}</string>
	<key>ProgramArguments</key>
	<array>
{arguments}	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>60</integer>
	<key>ProcessType</key>
	<string>Background</string>
	<key>StandardOutPath</key>
	<string>{log}</string>
	<key>StandardErrorPath</key>
	<string>{log}</string>
</dict>
</plist>
"#
    )
}

/// The `schtasks` command that makes a task running `command` at every logon.
fn schtasks_create(command: &[String]) -> String {
    // /TR takes the whole command line as one argument: each word in
    // quotes, escaped for the outer quotes.
    let run: Vec<String> = command
        .iter()
        .map(|w| {
            if w.contains(' ') {
                format!("\\\"{w}\\\"")
            } else {
                w.clone()
            }
        })
        .collect();
    format!(
        "schtasks /Create /TN davsync /SC ONLOGON /RL LIMITED /TR \"{}\"",
        run.join(" ")
    )
}

/// A word for a POSIX shell: as it is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests;
