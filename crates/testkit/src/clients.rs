//! Real programs reading what davsync wrote: khal (events), todoman
//! (tasks) and khard (contacts) on a folder, and Python's `icalendar` with
//! `recurring-ical-events` as an iCalendar reader independent of davsync's.
//! `tests/servers/install.sh clients` installs them in a venv of their own
//! (`$DAVSYNC_CLIENTS_VENV`, else `~/.cache/davsync/clients-venv`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A program of the clients' venv; panics, saying how to install it, when
/// it is missing.
pub fn bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("DAVSYNC_CLIENTS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is set");
            Path::new(&home).join(".cache/davsync/clients-venv")
        });
    let path = venv.join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run tests/servers/install.sh clients",
        path.display()
    );
    path
}

/// Runs a client; panics unless it succeeds without a word on stderr
/// (khal and todoman warn there about files they cannot read).
fn run_clean(mut command: Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    stdout
}

/// A khal configuration for the vdir calendar `folder` (named `davsync`),
/// in `scratch`.
fn khal_config(folder: &Path, scratch: &Path) -> PathBuf {
    let config = scratch.join("khal.conf");
    std::fs::write(
        &config,
        format!(
            "[calendars]\n[[davsync]]\npath = {}\ntype = calendar\n\
             [locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n\
             datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n\
             default_timezone = UTC\nlocal_timezone = UTC\n\
             [default]\ndefault_calendar = davsync\n[sqlite]\npath = {}\n",
            folder.display(),
            scratch.join("khal.db").display()
        ),
    )
    .unwrap();
    config
}

/// The titles of every event khal lists from `folder` (a vdir calendar),
/// from 2000 to 2099; panics when khal fails or complains about a file.
pub fn khal_titles(folder: &Path) -> Vec<String> {
    let scratch = tempfile::tempdir().unwrap();
    let config = khal_config(folder, scratch.path());
    let mut command = Command::new(bin("khal"));
    command.arg("-c").arg(&config).args([
        "list",
        "--format",
        "{title}",
        "--day-format",
        "",
        "2000-01-01",
        "36500d",
    ]);
    run_clean(command, "khal list")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Makes an event with `khal new` in `folder`: `start` and `end` as khal
/// takes them (`2026-12-10 10:00`, `11:00`).
pub fn khal_new(folder: &Path, start: &str, end: &str, title: &str) {
    let scratch = tempfile::tempdir().unwrap();
    let config = khal_config(folder, scratch.path());
    let mut command = Command::new(bin("khal"));
    command
        .arg("-c")
        .arg(&config)
        .args(["new", "-a", "davsync"]);
    command
        .args(start.split(' '))
        .args(end.split(' '))
        .arg(title);
    run_clean(command, "khal new");
}

/// A todoman configuration for the vdir task list `folder`, in `scratch`.
fn todoman_config(folder: &Path, scratch: &Path) -> PathBuf {
    let lists = scratch.join("lists");
    std::fs::create_dir(&lists).unwrap();
    std::os::unix::fs::symlink(folder, lists.join("davsync")).unwrap();
    let config = scratch.join("todoman.py");
    std::fs::write(
        &config,
        format!(
            "path = \"{}/*\"\ndate_format = \"%Y-%m-%d\"\ntime_format = \"%H:%M\"\n\
             cache_path = \"{}\"\n",
            lists.display(),
            scratch.join("todoman.sqlite").display()
        ),
    )
    .unwrap();
    config
}

/// Every task todoman lists from `folder`, done or not, as its JSON.
fn todoman_tasks(folder: &Path, scratch: &Path) -> Vec<serde_json::Value> {
    let config = todoman_config(folder, scratch);
    let mut command = Command::new(bin("todo"));
    command
        .arg("--config")
        .arg(&config)
        .args(["--porcelain", "list", "--status", "ANY"]);
    let json: serde_json::Value =
        serde_json::from_str(&run_clean(command, "todo list")).expect("todoman's JSON");
    json.as_array().expect("a list of tasks").clone()
}

/// The summaries of every task todoman lists from `folder` (a vdir task
/// list), done or not; panics when todoman fails or complains.
pub fn todoman_summaries(folder: &Path) -> Vec<String> {
    let scratch = tempfile::tempdir().unwrap();
    todoman_tasks(folder, scratch.path())
        .iter()
        .map(|t| t["summary"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Marks the task with `summary` done with `todo done`.
pub fn todoman_done(folder: &Path, summary: &str) {
    let scratch = tempfile::tempdir().unwrap();
    let tasks = todoman_tasks(folder, scratch.path());
    let id = tasks
        .iter()
        .find(|t| t["summary"] == summary)
        .and_then(|t| t["id"].as_u64())
        .unwrap_or_else(|| panic!("no task {summary:?} in {tasks:?}"));
    let mut command = Command::new(bin("todo"));
    command
        .arg("--config")
        .arg(scratch.path().join("todoman.py"))
        .args(["done", &id.to_string()]);
    run_clean(command, "todo done");
}

/// A khard configuration for the vdir address book `folder`, in `scratch`.
fn khard_config(folder: &Path, scratch: &Path) -> PathBuf {
    let config = scratch.join("khard.conf");
    std::fs::write(
        &config,
        format!(
            "[addressbooks]\n[[davsync]]\npath = {}\n[general]\ndefault_action = list\n\
             [contact table]\nshow_uids = yes\n[vcard]\nskip_unparsable = no\n",
            folder.display()
        ),
    )
    .unwrap();
    config
}

/// `(UID, name)` of every contact and group khard lists from `folder` (a
/// vdir address book), refusing cards it cannot parse; panics when khard
/// fails or complains. (khard shows no group members.)
pub fn khard_contacts(folder: &Path) -> Vec<(String, String)> {
    let scratch = tempfile::tempdir().unwrap();
    let config = khard_config(folder, scratch.path());
    let mut command = Command::new(bin("khard"));
    command.arg("-c").arg(&config).args(["list", "--parsable"]);
    run_clean(command, "khard list")
        .lines()
        .filter_map(|l| {
            let mut fields = l.split('\t');
            Some((fields.next()?.to_string(), fields.next()?.to_string()))
        })
        .collect()
}

/// Edits the contact `uid` as a khard user does: its YAML template
/// (`khard show --format yaml`) changed by `edit`, given back with
/// `khard edit --input-file` (answering its question with yes).
pub fn khard_edit(folder: &Path, uid: &str, edit: impl Fn(&str) -> String) {
    let scratch = tempfile::tempdir().unwrap();
    let config = khard_config(folder, scratch.path());
    let selector = format!("uid:{uid}");
    let mut show = Command::new(bin("khard"));
    show.arg("-c")
        .arg(&config)
        .args(["show", "--format", "yaml", &selector]);
    let yaml = run_clean(show, "khard show");
    let edited = scratch.path().join("edited.yaml");
    std::fs::write(&edited, edit(&yaml)).unwrap();
    let mut command = Command::new(bin("khard"));
    command
        .arg("-c")
        .arg(&config)
        .args(["edit", "--input-file"])
        .arg(&edited)
        .arg(&selector)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("khard edit");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"yes\n").expect("answer khard");
    }
    let out = child.wait_with_output().expect("khard edit");
    assert!(
        out.status.success(),
        "khard edit failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a Python script with the clients' venv (which has `icalendar` and
/// `recurring_ical_events`), `args` as `sys.argv[1:]`; its stdout.
pub fn python(script: &str, args: &[&str]) -> String {
    let mut command = Command::new(bin("python"));
    command.arg("-c").arg(script).args(args);
    run_clean(command, "python")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn khal_and_todoman_read_a_folder_and_refuse_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.ics"),
            crate::items::event("a", "Standup", ""),
        )
        .unwrap();
        assert_eq!(khal_titles(dir.path()), ["Standup"]);
        let tasks = tempfile::tempdir().unwrap();
        std::fs::write(
            tasks.path().join("t.ics"),
            crate::items::task("t", "Buy milk"),
        )
        .unwrap();
        assert_eq!(todoman_summaries(tasks.path()), ["Buy milk"]);
        std::fs::write(dir.path().join("b.ics"), "BEGIN:VCALENDAR\r\nnot ical\r\n").unwrap();
        let broken = std::panic::catch_unwind(|| khal_titles(dir.path()));
        assert!(broken.is_err(), "khal said nothing about a broken file");
    }
}
