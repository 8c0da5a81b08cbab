//! Where a profile's server password comes from: a command, the system
//! keyring, an environment variable or (discouraged) the configuration file.
//!
//! In a profile's `server = { ... }` table exactly one of these keys may be set:
//!
//! * `password_command = "pass show dav/alice"`: run by the shell (`sh -c` on
//!   Unix, `cmd /C` on Windows) with stdin closed; the first line of its
//!   output, without the line ending, is the password. It must exit with status
//!   0 within 30 seconds.
//! * `password_keyring = true`: the system keyring (Secret Service on Linux and
//!   the BSDs, the Keychain on macOS, the Credential Manager on Windows),
//!   service `davsync`, user `<username>@<server host>`. To store it:
//!   - Linux: `secret-tool store --label davsync service davsync username alice@dav.example.org`
//!     (the entry is found by its attributes `service` and `username`);
//!   - macOS: `security add-generic-password -s davsync -a alice@dav.example.org -w`;
//!   - Windows: a generic credential whose target name is
//!     `alice@dav.example.org.davsync` (user, `.`, service).
//! * `password_env = "VAR"`: the environment variable `VAR`, which must be set
//!   and not empty.
//! * `password = "..."`: the password itself, in the file; the caller warns.
//!
//! A [`Secret`] never shows itself in `Debug` or `Display`, and its memory is
//! zeroed when it is dropped; no error message contains a password.

use std::fmt;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// The keyring service name under which passwords are stored.
pub(crate) const KEYRING_SERVICE: &str = "davsync";

/// The names of the keys (or options) that give a password source, where it
/// was given: a server's table, a proxy's, the command line. Messages use the
/// names the user wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyNames {
    /// The shell command's key.
    pub command: &'static str,
    /// The keyring's key.
    pub keyring: &'static str,
    /// The environment variable's key.
    pub env: &'static str,
    /// The key of the password written out.
    pub plain: &'static str,
}

impl KeyNames {
    /// A server's keys in a store table.
    pub(crate) const SERVER: KeyNames = KeyNames {
        command: "password_command",
        keyring: "password_keyring",
        env: "password_env",
        plain: "password",
    };
    /// A proxy's keys in a store table.
    pub(crate) const PROXY: KeyNames = KeyNames {
        command: "proxy_password_command",
        keyring: "proxy_password_keyring",
        env: "proxy_password_env",
        plain: "proxy_password",
    };
    /// The options of `davsync discover`.
    pub(crate) const OPTIONS: KeyNames = KeyNames {
        command: "--password-command",
        keyring: "--password-keyring",
        env: "--password-env",
        plain: "--password",
    };

    /// All four, in the order they are reported.
    pub(crate) fn all(self) -> [&'static str; 4] {
        [self.command, self.keyring, self.env, self.plain]
    }
}

/// How long a `password_command` may run before it is killed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a command's stdout kept (the password is its first line).
const STDOUT_KEEP: usize = 64 * 1024;
/// The most of a command's stderr kept while reading it.
const STDERR_KEEP: usize = 4096;
/// The most of a command's stderr quoted in an error message, in bytes.
const STDERR_QUOTE: usize = 300;

/// A password. `Debug` and `Display` print `<redacted>`; the memory is zeroed on drop.
#[derive(Clone)]
pub(crate) struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a password.
    pub(crate) fn new(password: String) -> Self {
        Secret(Zeroizing::new(password))
    }

    /// The password itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a server password comes from.
#[derive(Debug, Clone)]
pub(crate) enum PasswordSource {
    /// `password_command`: a shell command whose first line of output is the password.
    Command(String),
    /// `password_keyring = true`: an entry of the system keyring.
    Keyring {
        /// The keyring service ([`KEYRING_SERVICE`]).
        service: String,
        /// The keyring user, `<username>@<server host>`.
        user: String,
    },
    /// `password_env`: the name of an environment variable.
    Env(String),
    /// `password`: the password itself, from the configuration file.
    Plain(Secret),
}

impl PasswordSource {
    /// The source given by the keys named `names`, `None` when none is given.
    ///
    /// `keyring_user` is the keyring user name, `<username>@<server url host>`
    /// (e.g. `alice@dav.example.org`); it is only used when `keyring` is true.
    /// Several sources, an empty command or an empty variable name are errors.
    pub(crate) fn from_keys(
        command: Option<String>,
        keyring: bool,
        env: Option<String>,
        plain: Option<String>,
        keyring_user: &str,
        names: KeyNames,
    ) -> Result<Option<Self>, SecretError> {
        let given = [command.is_some(), keyring, env.is_some(), plain.is_some()];
        let keys: Vec<&'static str> = names
            .all()
            .into_iter()
            .zip(given)
            .filter_map(|(key, given)| given.then_some(key))
            .collect();
        if keys.len() > 1 {
            let [a, b, c, d] = names.all();
            return Err(SecretError::SeveralSources {
                all: format!("{a}, {b}, {c} and {d}"),
                keys: keys.join(", "),
            });
        }
        let source = if let Some(command) = command {
            if command.trim().is_empty() {
                return Err(SecretError::EmptyKey { key: names.command });
            }
            PasswordSource::Command(command)
        } else if keyring {
            PasswordSource::Keyring {
                service: KEYRING_SERVICE.to_string(),
                user: keyring_user.to_string(),
            }
        } else if let Some(var) = env {
            if var.is_empty() {
                return Err(SecretError::EmptyKey { key: names.env });
            }
            PasswordSource::Env(var)
        } else if let Some(plain) = plain {
            PasswordSource::Plain(Secret::new(plain))
        } else {
            return Ok(None);
        };
        Ok(Some(source))
    }

    /// Whether the password is written in the configuration file (the caller warns).
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self, PasswordSource::Plain(_))
    }

    /// Where the password comes from, for messages, with the key names it
    /// was given with; never the password.
    pub(crate) fn describe(&self, names: KeyNames) -> String {
        match self {
            PasswordSource::Command(command) => format!("{} `{command}`", names.command),
            PasswordSource::Keyring { service, user } => {
                format!("the system keyring (service \"{service}\", user \"{user}\")")
            }
            PasswordSource::Env(var) => format!("the environment variable {var}"),
            PasswordSource::Plain(_) => format!("the configuration file ({})", names.plain),
        }
    }
}

/// Why a password could not be had. No message contains a password.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretError {
    /// More than one password key is set.
    #[error("only one of {all} may be set, but {keys} are")]
    SeveralSources {
        /// The four keys, listed.
        all: String,
        /// The keys that are set, comma-separated.
        keys: String,
    },
    /// A key that names a source is empty.
    #[error("{key} is empty")]
    EmptyKey {
        /// The key.
        key: &'static str,
    },
    /// The command could not be started.
    #[error("could not run {key} `{command}`: {source}")]
    CommandSpawn {
        /// The key (or option) that gave the command.
        key: &'static str,
        /// The command.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// The command exited unsuccessfully.
    #[error("{key} `{command}` failed ({status}){}", quote_stderr(stderr))]
    CommandFailed {
        /// The key (or option) that gave the command.
        key: &'static str,
        /// The command.
        command: String,
        /// Its exit status.
        status: ExitStatus,
        /// The start of its stderr, trimmed.
        stderr: String,
    },
    /// The command succeeded but its first line is empty.
    #[error(
        "{key} `{command}` printed no password (its first line of output is empty){}",
        quote_stderr(stderr)
    )]
    CommandEmpty {
        /// The key (or option) that gave the command.
        key: &'static str,
        /// The command.
        command: String,
        /// The start of its stderr, trimmed.
        stderr: String,
    },
    /// The command's first line is not usable as a password.
    #[error("{key} `{command}` printed an unusable first line: {reason}")]
    CommandOutput {
        /// The key (or option) that gave the command.
        key: &'static str,
        /// The command.
        command: String,
        /// What is wrong with it (never its content).
        reason: &'static str,
    },
    /// The command ran too long and was killed.
    #[error("{key} `{command}` did not finish (and close its output) within {} s and was killed", timeout.as_secs_f64())]
    CommandTimeout {
        /// The key (or option) that gave the command.
        key: &'static str,
        /// The command.
        command: String,
        /// The time it was given.
        timeout: Duration,
    },
    /// The keyring could not give the password.
    #[error(
        "could not read the password of user \"{user}\" from the system keyring (service \"{service}\"): {reason}"
    )]
    Keyring {
        /// The keyring service.
        service: String,
        /// The keyring user.
        user: String,
        /// Why.
        reason: String,
    },
    /// The environment variable is not set.
    #[error("the environment variable {var} ({key}) is not set")]
    EnvUnset {
        /// The key (or option) that named the variable.
        key: &'static str,
        /// The variable.
        var: String,
    },
    /// The environment variable is set but empty.
    #[error("the environment variable {var} ({key}) is empty")]
    EnvEmpty {
        /// The key (or option) that named the variable.
        key: &'static str,
        /// The variable.
        var: String,
    },
    /// The environment variable is not valid Unicode.
    #[error("the environment variable {var} ({key}) is not valid Unicode")]
    EnvNotUnicode {
        /// The key (or option) that named the variable.
        key: &'static str,
        /// The variable.
        var: String,
    },
}

/// `: <stderr>` for a message, or nothing when stderr is empty.
fn quote_stderr(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

/// Gets the password from its source (given with the keys `names`).
pub(crate) fn fetch(source: &PasswordSource, names: KeyNames) -> Result<Secret, SecretError> {
    match source {
        PasswordSource::Command(command) => run_command(command, COMMAND_TIMEOUT),
        PasswordSource::Keyring { service, user } => from_keyring(service, user),
        PasswordSource::Env(var) => from_env(var),
        PasswordSource::Plain(secret) => Ok(secret.clone()),
    }
    .map_err(|e| e.named(names))
}

impl SecretError {
    /// The same error, naming the key the source was given with.
    fn named(mut self, names: KeyNames) -> Self {
        match &mut self {
            SecretError::CommandSpawn { key, .. }
            | SecretError::CommandFailed { key, .. }
            | SecretError::CommandEmpty { key, .. }
            | SecretError::CommandOutput { key, .. }
            | SecretError::CommandTimeout { key, .. } => *key = names.command,
            SecretError::EnvUnset { key, .. }
            | SecretError::EnvEmpty { key, .. }
            | SecretError::EnvNotUnicode { key, .. } => *key = names.env,
            SecretError::SeveralSources { .. }
            | SecretError::EmptyKey { .. }
            | SecretError::Keyring { .. } => {}
        }
        self
    }
}

fn from_env(var: &str) -> Result<Secret, SecretError> {
    env_secret(var, std::env::var_os(var))
}

/// The password in the environment variable `var`, whose value (if it is
/// set) is `value`: taken apart from the lookup, so that tests need not
/// change the process's environment.
fn env_secret(var: &str, value: Option<std::ffi::OsString>) -> Result<Secret, SecretError> {
    match value.map(std::ffi::OsString::into_string) {
        Some(Ok(value)) if value.is_empty() => Err(SecretError::EnvEmpty {
            key: KeyNames::SERVER.env,
            var: var.to_string(),
        }),
        Some(Ok(value)) => Ok(Secret::new(value)),
        None => Err(SecretError::EnvUnset {
            key: KeyNames::SERVER.env,
            var: var.to_string(),
        }),
        Some(Err(value)) => {
            value.into_encoded_bytes().zeroize();
            Err(SecretError::EnvNotUnicode {
                key: KeyNames::SERVER.env,
                var: var.to_string(),
            })
        }
    }
}

fn from_keyring(service: &str, user: &str) -> Result<Secret, SecretError> {
    let error = |reason: String| SecretError::Keyring {
        service: service.to_string(),
        user: user.to_string(),
        reason,
    };
    let entry = keyring::Entry::new(service, user).map_err(|e| error(keyring_reason(e, user)))?;
    let password = Zeroizing::new(
        entry
            .get_password()
            .map_err(|e| error(keyring_reason(e, user)))?,
    );
    if password.is_empty() {
        return Err(error("the stored password is empty".to_string()));
    }
    Ok(Secret(password))
}

/// A keyring error as a message that never quotes secret data.
fn keyring_reason(error: keyring::Error, user: &str) -> String {
    match error {
        keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
            Err(init) => format!("the keyring is not available: {init}"),
            Ok(()) => "the keyring is not available".to_string(),
        },
        keyring::Error::NoEntry => format!(
            "no password is stored there (on Linux, store it with \
             `secret-tool store --label davsync service {KEYRING_SERVICE} username {user}`)"
        ),
        keyring::Error::BadEncoding(mut bytes) => {
            bytes.zeroize();
            "the stored password is not valid UTF-8".to_string()
        }
        keyring::Error::BadDataFormat(mut bytes, reason) => {
            bytes.zeroize();
            format!("the stored secret is malformed: {reason}")
        }
        keyring::Error::Ambiguous(entries) => {
            format!("{} entries match; keep only one of them", entries.len())
        }
        other => other.to_string(),
    }
}

/// The shell command line that runs `command`.
#[cfg(windows)]
fn shell(command: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut shell = Command::new("cmd");
    // cmd parses its own command line: pass the command as written.
    shell.arg("/C").raw_arg(command);
    shell
}

/// The shell command line that runs `command`.
#[cfg(not(windows))]
fn shell(command: &str) -> Command {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(command);
    shell
}

/// What a reader thread hands back: the kept bytes and whether some were dropped.
type Captured = (Zeroizing<Vec<u8>>, bool);

/// Reads `reader` to its end, keeping at most `keep` bytes.
fn capture(mut reader: impl Read, keep: usize) -> Captured {
    let mut kept = Zeroizing::new(Vec::new());
    let mut dropped = false;
    let mut buf = Zeroizing::new([0u8; 4096]);
    loop {
        match reader.read(&mut buf[..]) {
            Ok(0) => break,
            Ok(n) => {
                let room = keep - kept.len();
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped |= n > room;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    (kept, dropped)
}

/// Starts a thread that captures `reader`, and returns where its result arrives.
fn spawn_capture(reader: impl Read + Send + 'static, keep: usize) -> mpsc::Receiver<Captured> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(capture(reader, keep));
    });
    rx
}

/// Stderr as quoted in messages: lossy UTF-8, trimmed, at most [`STDERR_QUOTE`] bytes.
fn stderr_excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.len() <= STDERR_QUOTE {
        return text.to_string();
    }
    let mut end = STDERR_QUOTE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text[..end].trim_end())
}

/// Runs `command` through the shell with stdin closed; its first line of stdout
/// is the password. Killed after `timeout`.
fn run_command(command: &str, timeout: Duration) -> Result<Secret, SecretError> {
    let timed_out = || SecretError::CommandTimeout {
        key: KeyNames::SERVER.command,
        command: command.to_string(),
        timeout,
    };
    let deadline = Instant::now() + timeout;
    let mut child = shell(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SecretError::CommandSpawn {
            key: KeyNames::SERVER.command,
            command: command.to_string(),
            source,
        })?;
    // Both pipes are read on their own threads so that a chatty command cannot
    // block on a full pipe; after a timeout they are left to end on their own.
    let stdout = spawn_capture(child.stdout.take().expect("stdout is piped"), STDOUT_KEEP);
    let stderr = spawn_capture(child.stderr.take().expect("stderr is piped"), STDERR_KEEP);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(timed_out());
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SecretError::CommandSpawn {
                    key: KeyNames::SERVER.command,
                    command: command.to_string(),
                    source,
                });
            }
        }
    };
    // The shell has exited, but something it started may still hold the pipes.
    let (out, out_dropped) = stdout
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .map_err(|_| timed_out())?;
    let (err, _) = stderr
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .map_err(|_| timed_out())?;
    if !status.success() {
        return Err(SecretError::CommandFailed {
            key: KeyNames::SERVER.command,
            command: command.to_string(),
            status,
            stderr: stderr_excerpt(&err),
        });
    }
    let line = match out.iter().position(|&b| b == b'\n') {
        Some(end) => &out[..end],
        None if out_dropped => {
            return Err(SecretError::CommandOutput {
                key: KeyNames::SERVER.command,
                command: command.to_string(),
                reason: "it is longer than 64 KiB",
            });
        }
        None => &out[..],
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(SecretError::CommandEmpty {
            key: KeyNames::SERVER.command,
            command: command.to_string(),
            stderr: stderr_excerpt(&err),
        });
    }
    match String::from_utf8(line.to_vec()) {
        Ok(password) => Ok(Secret::new(password)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(SecretError::CommandOutput {
                key: KeyNames::SERVER.command,
                command: command.to_string(),
                reason: "it is not valid UTF-8",
            })
        }
    }
}

#[cfg(all(test, unix))]
mod command_tests {
    use super::*;

    const PASSWORD: &str = "hunter2-correct-horse";

    #[test]
    fn first_line_is_the_password() {
        let secret = run_command(
            &format!("printf '{PASSWORD}\\nuser: alice\\nurl: x\\n'"),
            COMMAND_TIMEOUT,
        )
        .unwrap();
        assert_eq!(secret.expose(), PASSWORD);
    }

    #[test]
    fn crlf_is_stripped_but_other_whitespace_kept() {
        let secret =
            run_command("printf ' pw with spaces \\r\\nmore\\r\\n'", COMMAND_TIMEOUT).unwrap();
        assert_eq!(secret.expose(), " pw with spaces ");
    }

    #[test]
    fn last_line_without_newline() {
        let secret = run_command(&format!("printf '{PASSWORD}'"), COMMAND_TIMEOUT).unwrap();
        assert_eq!(secret.expose(), PASSWORD);
    }

    #[test]
    fn failure_reports_status_and_stderr_but_not_stdout() {
        // The shell joins 'hun' 'ter2…' on stdout: the command text never
        // holds the password, so any copy in the message came from stdout.
        let command = "printf 'hun''ter2-correct-horse\\n'; echo 'no such entry' >&2; exit 1";
        let err = run_command(command, COMMAND_TIMEOUT).unwrap_err();
        assert!(matches!(err, SecretError::CommandFailed { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("no such entry"), "{message}");
        assert!(message.contains("exit status: 1"), "{message}");
        assert!(message.contains(command), "{message}");
        assert!(!message.contains(PASSWORD), "{message}");
    }

    #[test]
    fn long_stderr_is_trimmed() {
        let err = run_command(
            "yes 'bad thing happened' | head -c 100000 >&2; exit 2",
            COMMAND_TIMEOUT,
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("bad thing happened"), "{message}");
        assert!(message.len() < 600, "{} bytes: {message}", message.len());
        assert!(message.ends_with('…'), "{message}");
    }

    #[test]
    fn empty_output_is_an_error() {
        let err = run_command("true", COMMAND_TIMEOUT).unwrap_err();
        assert!(matches!(err, SecretError::CommandEmpty { .. }), "{err:?}");
        assert!(err.to_string().contains("printed no password"), "{err}");
        let err = run_command("echo; echo second; echo hint >&2", COMMAND_TIMEOUT).unwrap_err();
        assert!(matches!(err, SecretError::CommandEmpty { .. }), "{err:?}");
        assert!(err.to_string().ends_with(": hint"), "{err}");
    }

    #[test]
    fn missing_program_fails_with_status_127() {
        let err = run_command("davsync-no-such-program-xyz", COMMAND_TIMEOUT).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("exit status: 127"), "{message}");
        assert!(message.contains("not found"), "{message}");
    }

    #[test]
    fn stdin_is_closed() {
        // `read` gets end of file at once instead of waiting for a terminal.
        let err = run_command(
            "read line || { echo 'no input' >&2; exit 1; }",
            Duration::from_secs(10),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no input"), "{err}");
    }

    #[test]
    fn slow_command_is_killed() {
        let start = Instant::now();
        let err = run_command("sleep 5; echo late", Duration::from_millis(200)).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, SecretError::CommandTimeout { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("within 0.2 s and was killed"), "{message}");
        assert!(message.contains("`sleep 5; echo late`"), "{message}");
    }

    #[test]
    fn background_child_holding_stdout_times_out() {
        let start = Instant::now();
        let err = run_command("echo pw; sleep 5 &", Duration::from_millis(300)).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, SecretError::CommandTimeout { .. }), "{err:?}");
    }

    #[test]
    fn big_output_after_the_first_line_is_drained() {
        let secret = run_command("echo pw; yes filler | head -c 1000000", COMMAND_TIMEOUT).unwrap();
        assert_eq!(secret.expose(), "pw");
    }

    #[test]
    fn non_utf8_first_line_is_an_error() {
        let err = run_command("printf '\\377\\376\\n'", COMMAND_TIMEOUT).unwrap_err();
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn fetch_runs_the_command() {
        let source = PasswordSource::from_keys(
            Some("echo from-fetch".into()),
            false,
            None,
            None,
            "u@h",
            KeyNames::SERVER,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            fetch(&source, KeyNames::SERVER).unwrap().expose(),
            "from-fetch"
        );
        assert_eq!(
            source.describe(KeyNames::SERVER),
            "password_command `echo from-fetch`"
        );
    }
}

#[cfg(test)]
mod tests;
