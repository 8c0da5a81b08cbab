//! Running the `davsync` binary in tests: a configuration file, a data
//! directory, and the exit code, stdout and stderr of each run.
//!
//! The binary's path is only known to the tests of the `davsync` crate
//! (`env!("CARGO_BIN_EXE_davsync")`), so it is passed in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How one run of the binary ended.
#[derive(Debug, Clone)]
pub struct Run {
    /// The exit code; `None` when the process was ended by a signal.
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
}

impl Run {
    /// The run, described for a failure message.
    pub fn describe(&self) -> String {
        format!(
            "`{}` exited with {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    /// Panics, showing the whole run, unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code: {}",
            self.describe()
        );
        self
    }
}

/// The binary with one configuration file and one data directory.
#[derive(Debug, Clone)]
pub struct Davsync {
    /// The binary.
    pub bin: PathBuf,
    /// The configuration file (`--config`).
    pub config: PathBuf,
    /// The data directory (`--data-dir`).
    pub data_dir: PathBuf,
    /// Environment variables set for every run (such as a password a
    /// profile's `password_env` names).
    pub env: Vec<(String, String)>,
}

/// A report's write counts: `[local created, updated, deleted, server
/// created, updated, deleted]` (`u64::MAX` for one the report lacks, which
/// no comparison expects).
pub fn counts(report: &serde_json::Value) -> [u64; 6] {
    let n = |side: &str, what: &str| report[side][what].as_u64().unwrap_or(u64::MAX);
    [
        n("local", "created"),
        n("local", "updated"),
        n("local", "deleted"),
        n("server", "created"),
        n("server", "updated"),
        n("server", "deleted"),
    ]
}

/// Panics, naming `what` and showing `context()`, unless `run` exited with 0
/// and its `report` has no error, no warning and no failed item.
#[track_caller]
pub fn assert_clean(
    run: &Run,
    report: &serde_json::Value,
    what: &str,
    context: impl Fn() -> String,
) {
    assert_eq!(
        run.code,
        Some(0),
        "{what}: {}\n{}",
        run.describe(),
        context()
    );
    let empty = |key: &str| report[key].as_array().is_some_and(Vec::is_empty);
    assert!(
        empty("errors") && empty("warnings"),
        "{what}: {report:#}\n{}",
        context()
    );
    for line in report["items"].as_array().into_iter().flatten() {
        assert_ne!(line["outcome"], "failed", "{what}: {line:#}\n{}", context());
    }
}

/// Panics, naming `what` and showing `context()`, unless `run` exited with 0
/// and its `report` wrote nothing on either side.
#[track_caller]
pub fn assert_idle(
    run: &Run,
    report: &serde_json::Value,
    what: &str,
    context: impl Fn() -> String,
) {
    assert_eq!(
        run.code,
        Some(0),
        "{what}: {}\n{}",
        run.describe(),
        context()
    );
    assert_eq!(
        counts(report),
        [0; 6],
        "{what} wrote: {report:#}\n{}",
        context()
    );
}

/// How a run that was to be killed ended.
#[derive(Debug)]
pub enum Ending {
    /// Killed (SIGKILL on Unix) before it finished.
    Killed,
    /// Finished by itself, after `took`, with its exit code and its JSON.
    Finished {
        /// The exit code.
        code: i32,
        /// How long it ran.
        took: std::time::Duration,
        /// What it printed.
        json: serde_json::Value,
    },
}

impl Davsync {
    /// `sync --force --json`, killed `delay` after it started unless it ended
    /// before. Panics, showing its output and `context()`, when a run that
    /// ended printed no JSON.
    pub fn sync_killed_after(
        &self,
        delay: std::time::Duration,
        context: impl FnOnce() -> String,
    ) -> Ending {
        let mut child = self
            .command(&["sync", "--force", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn davsync");
        let started = std::time::Instant::now();
        let took = loop {
            if child.try_wait().expect("try_wait").is_some() {
                break started.elapsed();
            }
            if started.elapsed() >= delay {
                // Child::kill sends SIGKILL on Unix.
                let _ = child.kill();
                break started.elapsed();
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        let out = child.wait_with_output().expect("wait");
        let Some(code) = out.status.code() else {
            return Ending::Killed;
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "a finished run printed no JSON ({e}): {stdout}\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                context()
            )
        });
        Ending::Finished { code, took, json }
    }

    /// `sync --json ARGS…`: the run and its JSON output. Panics, showing the
    /// run and `context()`, when the output is not JSON.
    pub fn sync_json(
        &self,
        args: &[&str],
        context: impl FnOnce() -> String,
    ) -> (Run, serde_json::Value) {
        let mut all = vec!["sync", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        let json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\n{}",
                run.describe(),
                context()
            )
        });
        (run, json)
    }

    /// The binary at `bin`, run with `--config config --data-dir data_dir`.
    pub fn new(
        bin: impl Into<PathBuf>,
        config: impl Into<PathBuf>,
        data_dir: impl Into<PathBuf>,
    ) -> Self {
        Davsync {
            bin: bin.into(),
            config: config.into(),
            data_dir: data_dir.into(),
            env: Vec::new(),
        }
    }

    /// The same, with `key=value` in the environment of every run.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// The command for `args` (after the global options), with the
    /// environment variables davsync reads removed so the flags decide.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .env_remove("DAVSYNC_CONFIG")
            .env_remove("DAVSYNC_DATA_DIR")
            .env_remove("DAVSYNC_LOG")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `args` to the end.
    pub fn run(&self, args: &[&str]) -> Run {
        let command = format!(
            "davsync --config {} --data-dir {} {}",
            self.config.display(),
            self.data_dir.display(),
            args.join(" ")
        );
        let out = self
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            command,
        }
    }
}

/// Runs `bin --config config --data-dir data_dir args…` and returns
/// (exit code, stdout, stderr); the code is -1 when a signal ended it.
pub fn run_davsync(
    bin: &Path,
    config: &Path,
    data_dir: &Path,
    args: &[&str],
) -> (i32, String, String) {
    let run = Davsync::new(bin, config, data_dir).run(args);
    (run.code.unwrap_or(-1), run.stdout, run.stderr)
}

/// `value` as a TOML basic string (quoted and escaped), for paths in configurations.
pub fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `[profiles.NAME]` table syncing the vdir folders `local` and `server`;
/// `extra` holds further `key = value` lines, the values as TOML
/// (`("mode", "\"to-server\"")`, `("max_delete", "20")`).
pub fn vdir_profile(
    name: &str,
    content: &str,
    local: &Path,
    server: &Path,
    extra: &[(&str, &str)],
) -> String {
    let mut out = format!("[profiles.{name}]\ncontent = {}\n", toml_string(content));
    for (key, value) in extra {
        out.push_str(&format!("{key} = {value}\n"));
    }
    out.push_str(&format!(
        "local = {{ type = \"vdir\", path = {} }}\nserver = {{ type = \"vdir\", path = {} }}\n\n",
        toml_string(&local.to_string_lossy()),
        toml_string(&server.to_string_lossy())
    ));
    out
}
