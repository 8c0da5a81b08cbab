//! `davsync service install|uninstall` in a home folder of its own: the dry
//! run prints the unit and writes nothing, install writes a unit that
//! `systemd-analyze verify` accepts (also for a binary at a path with a
//! space and a `%`), uninstall removes it. systemd-analyze is needed, not
//! optional: tests/servers/install.sh installs systemd, and the test fails
//! saying so when it is missing.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::Davsync;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// The binary at `bin`, with `HOME` and `XDG_CONFIG_HOME` in `tmp`: the
/// unit goes to `tmp/config/systemd/user/davsync.service`.
fn davsync(bin: &str, tmp: &Path) -> (Davsync, PathBuf) {
    let davsync = Davsync::new(bin, tmp.join("my config.toml"), tmp.join("data"))
        .with_env("HOME", tmp.join("home").to_str().unwrap())
        .with_env("XDG_CONFIG_HOME", tmp.join("config").to_str().unwrap());
    (davsync, tmp.join("config/systemd/user/davsync.service"))
}

/// Panics unless `systemd-analyze verify` finds nothing wrong with `unit`.
fn verify(unit: &Path) {
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(unit)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `systemd-analyze` ({e}): this test needs it; install it \
                 (tests/servers/install.sh does, as root: apt-get install systemd)"
            )
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify {}: {:?}\n{stderr}\n--- the unit ---\n{}",
        unit.display(),
        out.status,
        std::fs::read_to_string(unit).unwrap_or_default()
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_dry_run_prints_the_unit_and_where_it_goes_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (davsync, unit) = davsync(BIN, tmp.path());
    let run = davsync.run(&["service", "install", "--dry-run"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with(&format!("would write {}:\n\n[Unit]\n", unit.display())),
        "{}",
        run.describe()
    );
    // The absolute path of the binary, the daemon, and the files this
    // command was given (the service does not see this shell).
    let exec = format!(
        "ExecStart={BIN} daemon --config \"{}\" --data-dir {}\n",
        tmp.path().join("my config.toml").display(),
        tmp.path().join("data").display()
    );
    assert!(run.stdout.contains(&exec), "{exec}\n{}", run.describe());
    assert!(
        run.stdout
            .contains("systemctl --user daemon-reload && systemctl --user enable --now davsync"),
        "{}",
        run.describe()
    );
    assert!(!unit.exists() && !tmp.path().join("config").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn install_writes_a_unit_systemd_accepts_and_uninstall_removes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (davsync, unit) = davsync(BIN, tmp.path());
    let run = davsync.run(&["service", "install"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with(&format!("wrote {}\n", unit.display())),
        "{}",
        run.describe()
    );
    let text = std::fs::read_to_string(&unit).unwrap();
    let dry = davsync.run(&["service", "install", "--dry-run"]);
    assert!(
        dry.stdout.contains(&text),
        "the dry run shows what is written"
    );
    for line in ["ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure"] {
        assert!(text.lines().any(|l| l == line), "{line}:\n{text}");
    }
    verify(&unit);

    // Again: nothing to do. Changed by hand: left alone unless --force.
    davsync.run(&["service", "install"]).expect_code(0);
    std::fs::write(&unit, "[Service]\nExecStart=/bin/true\n").unwrap();
    let run = davsync.run(&["service", "install"]);
    run.expect_code(1);
    assert!(run.stderr.contains("--force"), "{}", run.describe());
    assert_eq!(
        std::fs::read_to_string(&unit).unwrap(),
        "[Service]\nExecStart=/bin/true\n"
    );
    davsync
        .run(&["service", "install", "--force"])
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), text);

    let run = davsync.run(&["service", "uninstall"]);
    run.expect_code(0);
    assert!(!unit.exists(), "{}", run.describe());
    assert!(
        run.stdout.contains(&format!("removed {}", unit.display()))
            && run.stdout.contains("systemctl --user stop davsync"),
        "{}",
        run.describe()
    );
    let names: Vec<_> = std::fs::read_dir(unit.parent().unwrap()).unwrap().collect();
    assert!(names.is_empty(), "no temporary file is left: {names:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_binary_at_a_path_with_a_space_and_a_percent_sign_gets_a_unit_systemd_accepts() {
    // A hard link (the build's temporary folder is on the binary's file
    // system): the binary finds itself at the link's path.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let odd = dir.path().join("my 100% apps");
    std::fs::create_dir(&odd).unwrap();
    let bin = odd.join("davsync");
    std::fs::hard_link(BIN, &bin).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (davsync, unit) = davsync(bin.to_str().unwrap(), tmp.path());
    davsync.run(&["service", "install"]).expect_code(0);
    let text = std::fs::read_to_string(&unit).unwrap();
    let exec = format!(
        "ExecStart=\"{}\" daemon",
        bin.display().to_string().replace('%', "%%")
    );
    assert!(text.contains(&exec), "{exec}:\n{text}");
    verify(&unit);
}
