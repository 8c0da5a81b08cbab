//! Reports and retention between two folders: which runs keep a report file
//! (`reports`), old reports and trashed files pruned at each run
//! (`report_retention_days`, `trash_retention_days`) and nothing else, the
//! one-time note, a failure to prune as a warning, and `davsync reports`
//! (the list, `show` as text and JSON, unknown ids).

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use davsync_testkit::cli::{Davsync, Run, counts, vdir_profile};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// How report files and trashed files write their time.
const STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

/// Folders `a` and `b`, a data directory and a configuration file.
struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    a: PathBuf,
    b: PathBuf,
    data: PathBuf,
    config: PathBuf,
    davsync: Davsync,
}

impl Env {
    /// An events profile `p` between `a` and `b` with `extra` keys, after
    /// `general` (lines of `[general]`, if any).
    fn new(general: &str, extra: &[(&str, &str)]) -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let (a, b) = (root.join("a"), root.join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        let (data, config) = (root.join("data"), root.join("config.toml"));
        let davsync = Davsync::new(BIN, &config, &data);
        let env = Env {
            _tmp: tmp,
            root,
            a,
            b,
            data,
            config,
            davsync,
        };
        env.configure(general, &vdir_profile("p", "events", &env.a, &env.b, extra));
        env
    }

    fn configure(&self, general: &str, profiles: &str) {
        fs::write(&self.config, format!("[general]\n{general}\n\n{profiles}")).unwrap();
    }

    fn run(&self, args: &[&str]) -> Run {
        self.davsync.run(args)
    }

    /// `sync --json ARGS…`, expecting `code`; returns the run and profile `p`'s report.
    #[track_caller]
    fn sync(&self, args: &[&str], code: i32) -> (Run, Value) {
        let mut all = vec!["sync", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        run.expect_code(code);
        let out: Value = serde_json::from_str(&run.stdout).unwrap();
        let report = out["reports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["profile"] == "p")
            .unwrap_or_else(|| panic!("no report of p: {out:#}"))
            .clone();
        (run, report)
    }

    /// The names of the files in `reports/<profile>/`, sorted.
    fn report_files(&self, profile: &str) -> Vec<String> {
        names_in(&self.data.join("reports").join(profile))
    }

    /// Takes profile `p`'s lock, as another run would hold it.
    fn hold_lock(&self) -> fs::File {
        let path = self.data.join("locks/p.lock");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap();
        lock.try_lock().expect("the test takes the lock");
        lock
    }
}

/// The names of the files in `dir` (none when it is missing), sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::days(days)
}

/// Writes `text` to `path` and dates it `when`.
fn aged(path: &Path, text: &str, when: DateTime<Utc>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(when.into()).unwrap();
}

/// The name of a report of `profile` started at `when`.
fn report_name(when: DateTime<Utc>, profile: &str) -> String {
    format!("{}-{profile}.json", when.format(STAMP))
}

/// A file no folder-to-folder run can read: a run with it has an error.
const BROKEN: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:No UID\r\n";

#[test]
fn by_default_only_runs_with_warnings_or_errors_keep_a_report() {
    let env = Env::new("lock_wait_seconds = 0", &[]);
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    let (_, r) = env.sync(&[], 0);
    assert_eq!(
        (r["result"].as_str(), counts(&r)),
        (Some("ok"), [0, 0, 0, 1, 0, 0])
    );
    let (_, r) = env.sync(&[], 0);
    assert_eq!(r["result"], "ok");
    assert_eq!(env.report_files("p"), Vec::<String>::new(), "clean runs");

    // Another run holds the profile: skipped with a warning, and kept.
    let lock = env.hold_lock();
    let (_, r) = env.sync(&[], 0);
    drop(lock);
    assert_eq!(r["result"], "warnings", "{r:#}");
    let kept = env.report_files("p");
    assert_eq!(kept.len(), 1, "{kept:?}");
    let saved: Value = serde_json::from_str(
        &fs::read_to_string(env.data.join("reports/p").join(&kept[0])).unwrap(),
    )
    .unwrap();
    assert_eq!(saved, r, "the file holds the run's report");

    write_file(&env.a, "bad.ics", BROKEN);
    let (_, r) = env.sync(&[], 1);
    assert_eq!(r["result"], "errors", "{r:#}");
    assert_eq!(env.report_files("p").len(), 2);
    // A dry run keeps none, whatever it finds.
    env.sync(&["--dry-run"], 1);
    assert_eq!(env.report_files("p").len(), 2);
}

#[test]
fn all_keeps_every_run_and_errors_only_failed_runs() {
    // In [general] for every profile; a profile's own setting wins.
    let env = Env::new("reports = \"all\"\nlock_wait_seconds = 0", &[]);
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    let (_, first) = env.sync(&[], 0);
    let (_, second) = env.sync(&[], 0);
    assert_eq!(
        (&first["result"], &second["result"]),
        (&"ok".into(), &"ok".into())
    );
    let kept = env.report_files("p");
    assert_eq!(kept.len(), 2, "one per run: {kept:?}");
    let saved: Value = serde_json::from_str(
        &fs::read_to_string(env.data.join("reports/p").join(&kept[0])).unwrap(),
    )
    .unwrap();
    assert_eq!(saved, first);
    assert_eq!(counts(&saved), [0, 0, 0, 1, 0, 0]);

    env.configure(
        "reports = \"all\"\nlock_wait_seconds = 0",
        &vdir_profile("p", "events", &env.a, &env.b, &[("reports", "\"errors\"")]),
    );
    write_file(&env.a, "two.ics", &event("two", "Two", ""));
    env.sync(&[], 0);
    let lock = env.hold_lock();
    let (_, r) = env.sync(&[], 0);
    drop(lock);
    assert_eq!(r["result"], "warnings");
    assert_eq!(env.report_files("p").len(), 2, "neither clean nor warnings");
    write_file(&env.a, "bad.ics", BROKEN);
    env.sync(&[], 1);
    assert_eq!(env.report_files("p").len(), 3, "the failed run's");
}

#[test]
fn old_reports_are_pruned_at_each_run_and_nothing_else() {
    let env = Env::new("", &[("reports", "\"all\"")]);
    let reports = env.data.join("reports/p");
    let old = report_name(days_ago(40), "p");
    let young = report_name(days_ago(20), "p");
    // Old by its name, new by its time: copied lately, say.
    let touched = report_name(days_ago(50), "p");
    let others = env
        .data
        .join("reports/q")
        .join(report_name(days_ago(40), "q"));
    let mine = reports.join("notes.txt");
    for (path, when) in [
        (reports.join(&old), days_ago(40)),
        (reports.join(&young), days_ago(20)),
        (reports.join(&touched), days_ago(1)),
        (others.clone(), days_ago(40)),
        (mine.clone(), days_ago(400)),
    ] {
        aged(&path, "{}", when);
    }

    let (run, r) = env.sync(&[], 0);
    assert_eq!(r["warnings"], Value::Array(Vec::new()), "{r:#}");
    let kept = env.report_files("p");
    assert!(!kept.contains(&old), "{kept:?}");
    for name in [&young, &touched, &"notes.txt".to_string()] {
        assert!(kept.contains(name), "{name} went: {kept:?}");
    }
    assert_eq!(kept.len(), 4, "and the run's own: {kept:?}");
    assert!(others.exists(), "another profile's report went");
    let note =
        "davsync: note: profile p: pruned 1 report older than 30 days (report_retention_days";
    assert!(run.stderr.contains(note), "{}", run.describe());
    assert!(env.data.join("retention-noted").exists());

    // Said once: the next pruning is silent.
    let older = report_name(days_ago(35), "p");
    aged(&reports.join(&older), "{}", days_ago(35));
    let (run, _) = env.sync(&[], 0);
    assert!(!env.report_files("p").contains(&older));
    assert!(!run.stderr.contains("davsync: note"), "{}", run.describe());

    // 0 keeps them for ever; a shorter retention takes more.
    aged(&reports.join(&old), "{}", days_ago(40));
    env.configure(
        "report_retention_days = 0",
        &vdir_profile("p", "events", &env.a, &env.b, &[("reports", "\"all\"")]),
    );
    env.sync(&[], 0);
    assert!(env.report_files("p").contains(&old));
    env.configure(
        "report_retention_days = 0",
        &vdir_profile(
            "p",
            "events",
            &env.a,
            &env.b,
            &[("reports", "\"all\""), ("report_retention_days", "10")],
        ),
    );
    env.sync(&[], 0);
    let kept = env.report_files("p");
    assert!(!kept.contains(&old) && !kept.contains(&young), "{kept:?}");
}

#[test]
fn old_trash_is_pruned_at_each_run_and_young_trash_kept() {
    let env = Env::new("", &[]);
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    env.sync(&[], 0);
    write_file(&env.b, "one.ics", &event("one", "One edited", ""));
    env.sync(&[], 0);
    let local_trash = env.data.join("trash/p/local");
    let trashed = names_in(&local_trash);
    assert_eq!(trashed.len(), 1, "A's one.ics overwritten: {trashed:?}");
    // Trashed today, with an old modification time (as a copy that keeps
    // it would have): young.
    let file = fs::File::options()
        .write(true)
        .open(local_trash.join(&trashed[0]))
        .unwrap();
    file.set_modified(days_ago(60).into()).unwrap();
    let old_local = format!("{}-0-x.ics", days_ago(40).format(STAMP));
    let old_server = format!("{}-1-y.ics", days_ago(31).format(STAMP));
    let young = format!("{}-2-z.ics", days_ago(25).format(STAMP));
    let others = env.data.join("trash/q/local").join(&old_local);
    for (path, when) in [
        (local_trash.join(&old_local), days_ago(40)),
        (
            env.data.join("trash/p/server").join(&old_server),
            days_ago(31),
        ),
        (local_trash.join(&young), days_ago(25)),
        (others.clone(), days_ago(40)),
    ] {
        aged(&path, "BEGIN:VCALENDAR\r\n", when);
    }

    let (run, r) = env.sync(&[], 0);
    assert_eq!(r["result"], "ok", "{r:#}");
    let mut expected = vec![trashed[0].clone(), young.clone()];
    expected.sort();
    assert_eq!(names_in(&local_trash), expected);
    assert_eq!(
        names_in(&env.data.join("trash/p/server")),
        Vec::<String>::new()
    );
    assert!(others.exists(), "another profile's trash went");
    assert!(
        run.stderr
            .contains("pruned 2 trashed files older than 30 days (report_retention_days"),
        "{}",
        run.describe()
    );

    // The profile's own retention, and 0 for ever.
    env.configure(
        "trash_retention_days = 0",
        &vdir_profile("p", "events", &env.a, &env.b, &[]),
    );
    env.sync(&[], 0);
    assert_eq!(names_in(&local_trash), expected);
    env.configure(
        "trash_retention_days = 0",
        &vdir_profile(
            "p",
            "events",
            &env.a,
            &env.b,
            &[("trash_retention_days", "7")],
        ),
    );
    env.sync(&[], 0);
    assert_eq!(names_in(&local_trash), [trashed[0].clone()]);
}

#[test]
fn a_trash_that_cannot_be_pruned_is_a_warning_not_a_failure() {
    let env = Env::new("", &[]);
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    // A file where the trash folder should be: it cannot be listed.
    let trash = env.data.join("trash/p/local");
    fs::create_dir_all(trash.parent().unwrap()).unwrap();
    fs::write(&trash, "not a folder").unwrap();
    let (run, r) = env.sync(&[], 0);
    assert_eq!(r["result"], "warnings", "{r:#}");
    assert_eq!(counts(&r), [0, 0, 0, 1, 0, 0], "the run did its work");
    let warning = r["warnings"][0]["message"].as_str().unwrap();
    assert!(
        warning.contains("cannot list") && warning.contains("trash/p/local"),
        "{warning}"
    );
    assert_eq!(fs::read_to_string(&trash).unwrap(), "not a folder");
    assert_eq!(
        env.report_files("p").len(),
        1,
        "a run with warnings: {run:?}"
    );
}

#[test]
fn reports_lists_newest_first_and_shows_one_as_text_and_json() {
    let env = Env::new("reports = \"all\"", &[]);
    let (c, d) = (env.root.join("c"), env.root.join("d"));
    fs::create_dir(&c).unwrap();
    fs::create_dir(&d).unwrap();
    env.configure(
        "reports = \"all\"",
        &format!(
            "{}{}",
            vdir_profile("p", "events", &env.a, &env.b, &[]),
            vdir_profile("q", "events", &c, &d, &[])
        ),
    );
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    let (_, first) = env.sync(&["p"], 0);
    env.run(&["sync", "q"]).expect_code(0);
    write_file(&env.b, "two.ics", &event("two", "Two", ""));
    let (_, last) = env.sync(&["p"], 0);

    let run = env.run(&["reports", "--json"]);
    run.expect_code(0);
    let listed: Value = serde_json::from_str(&run.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    let ids: Vec<&str> = listed.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{listed:#?}");
    assert!(ids[0].starts_with("p/") && ids[1].starts_with("q/") && ids[2].starts_with("p/"));
    let stamps: Vec<&str> = ids.iter().map(|id| id.split_once('/').unwrap().1).collect();
    assert!(stamps[0] > stamps[1] && stamps[1] > stamps[2], "{ids:?}");
    let newest = &listed[0];
    assert_eq!(newest["started"], last["started"]);
    assert_eq!(newest["result"], "ok");
    assert_eq!(
        newest["local"],
        serde_json::json!({"created": 1, "updated": 0, "deleted": 0})
    );
    assert_eq!(
        (&newest["errors"], &newest["warnings"]),
        (&0.into(), &0.into())
    );
    let file = PathBuf::from(newest["file"].as_str().unwrap());
    assert_eq!(file.parent().unwrap(), env.data.join("reports/p"));

    // Text: a line per report, in the same order; one profile's only.
    let run = env.run(&["reports"]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.describe());
    for (line, id) in lines.iter().zip(&ids) {
        assert!(line.starts_with(id), "{line}");
    }
    assert!(
        lines[0].contains(" ok ") && lines[0].contains("local +1 ~0 -0, server +0 ~0 -0"),
        "{}",
        lines[0]
    );
    let run = env.run(&["reports", "p", "--json"]);
    run.expect_code(0);
    let only_p: Value = serde_json::from_str(&run.stdout).unwrap();
    let only_p: Vec<&str> = only_p
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(only_p, [ids[0], ids[2]]);

    // show: the run's report as text, with every item; as JSON, the file.
    let run = env.run(&["reports", "show", ids[2]]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with(&format!("report {}, started ", ids[2])),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout
            .contains("p: changed local +0 ~0 -0, server +1 ~0 -0; 0 conflicts")
            && run.stdout.contains("copy to server")
            && run.stdout.contains("one \"One\""),
        "{}",
        run.describe()
    );
    let run = env.run(&["reports", "show", ids[2], "--json"]);
    run.expect_code(0);
    let shown: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(shown, first);
    // The file name, as a file manager shows it, names it too.
    let name = format!("{}-p.json", stamps[2]);
    let by_name = env.run(&["reports", "show", &name, "--json"]);
    assert_eq!(by_name.stdout, run.stdout);

    // Unknown: exit 2, saying so.
    for id in ["p/20200101T000000.000Z", "../p/x", "nonsense"] {
        let run = env.run(&["reports", "show", id]);
        run.expect_code(2);
        assert!(
            run.stderr.contains(&format!("no report `{id}`")),
            "{}",
            run.describe()
        );
    }
    let run = env.run(&["reports", "nobody"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("no profile named `nobody`"),
        "{}",
        run.describe()
    );
}
