//! End-to-end tests of the `davsync` binary on real folders: first and
//! repeated syncs, dry runs, every mode and conflict policy, the category
//! filter, the safety rails, the trash, configuration errors, unreadable files,
//! the profile lock and hostile UIDs.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_pim::Item;
use davsync_testkit::cli::{Davsync, Run, counts, vdir_profile};
use davsync_testkit::folder::{content_by_uid, files, items_by_uid, tree, write_file};
use davsync_testkit::items::{
    all_day_event, event, event_modified, recurring_event, task, vcard3, vcard4,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// A temporary folder holding two vdir folders `a` (local) and `b` (server),
/// a data directory and a configuration file.
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
    /// Folders `a` and `b` created, no configuration yet.
    fn empty() -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let (a, b, data, config) = (
            root.join("a"),
            root.join("b"),
            root.join("data"),
            root.join("config.toml"),
        );
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        let davsync = Davsync::new(BIN, &config, &data);
        Env {
            _tmp: tmp,
            root,
            a,
            b,
            data,
            config,
            davsync,
        }
    }

    /// One events profile `p` between `a` and `b` with `extra` settings.
    fn with(extra: &[(&str, &str)]) -> Env {
        let env = Env::empty();
        env.write_config(&vdir_profile("p", "events", &env.a, &env.b, extra));
        env
    }

    /// A two-way profile `p` with the default settings.
    fn two_way() -> Env {
        Env::with(&[])
    }

    fn write_config(&self, text: &str) {
        fs::write(&self.config, text).unwrap();
    }

    fn run(&self, args: &[&str]) -> Run {
        self.davsync.run(args)
    }

    /// `sync --json ARGS…`, expecting exit code `code`; returns the parsed output.
    #[track_caller]
    fn sync(&self, args: &[&str], code: i32) -> Value {
        let mut all = vec!["sync", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        run.expect_code(code);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.describe()))
    }

    /// `sync --json ARGS…` of profile `p`, expecting `code`; returns p's report.
    #[track_caller]
    fn sync_p(&self, args: &[&str], code: i32) -> Value {
        let out = self.sync(args, code);
        assert_eq!(out["ok"], code == 0, "{out:#}");
        report(&out, "p").clone()
    }

    fn reports(&self, profile: &str) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(self.data.join("reports").join(profile)) else {
            return Vec::new();
        };
        let mut out: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                !name.starts_with('.') && name.ends_with(".json")
            })
            .collect();
        out.sort();
        out
    }

    fn status(&self) -> Value {
        let run = self.run(&["status", "--json"]);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("status is not JSON ({e}): {}", run.describe()))
    }
}

/// The report of `profile` in a `sync --json` output.
#[track_caller]
fn report<'a>(out: &'a Value, profile: &str) -> &'a Value {
    out["reports"]
        .as_array()
        .unwrap_or_else(|| panic!("no reports: {out:#}"))
        .iter()
        .find(|r| r["profile"] == profile)
        .unwrap_or_else(|| panic!("no report of {profile}: {out:#}"))
}

/// The report's line for `uid`.
#[track_caller]
fn item<'a>(report: &'a Value, uid: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["uid"] == uid)
        .unwrap_or_else(|| panic!("no item {uid} in {report:#}"))
}

/// Every message of the report's errors, joined.
fn errors(report: &Value) -> String {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The file in `dir` holding `uid`, or `{uid}.ics` when none does.
fn file_of(dir: &Path, uid: &str) -> String {
    match items_by_uid(dir, "ics").get(uid) {
        Some(files) => {
            assert_eq!(
                files.len(),
                1,
                "{uid} is held by several files in {}",
                dir.display()
            );
            files[0].0.clone()
        }
        None => format!("{uid}.ics"),
    }
}

/// Writes `body` as the item `uid` in `dir` (over its file when it has one).
fn put(dir: &Path, uid: &str, body: &str) {
    write_file(dir, &file_of(dir, uid), body);
}

/// Deletes the file holding `uid` in `dir`.
fn remove(dir: &Path, uid: &str) {
    let name = file_of(dir, uid);
    fs::remove_file(dir.join(&name)).unwrap_or_else(|e| panic!("removing {name}: {e}"));
}

/// UID → SUMMARY of every item in `dir`.
fn summaries(dir: &Path) -> BTreeMap<String, String> {
    items_by_uid(dir, "ics")
        .into_iter()
        .map(|(uid, files)| {
            assert_eq!(
                files.len(),
                1,
                "{uid} is held by several files in {}",
                dir.display()
            );
            (uid, files[0].1.summary().unwrap_or("").to_string())
        })
        .collect()
}

/// The single item `uid` in `dir`.
#[track_caller]
fn item_in(dir: &Path, ext: &str, uid: &str) -> Item {
    let mut by_uid = items_by_uid(dir, ext);
    let files = by_uid
        .remove(uid)
        .unwrap_or_else(|| panic!("{uid} is not in {}", dir.display()));
    assert_eq!(
        files.len(),
        1,
        "{uid} is held by several files in {}",
        dir.display()
    );
    files.into_iter().next().unwrap().1
}

#[track_caller]
fn assert_same_items(a: &Path, b: &Path) {
    assert_eq!(
        content_by_uid(a, "ics"),
        content_by_uid(b, "ics"),
        "the folders differ"
    );
}

fn uids(dir: &Path) -> BTreeSet<String> {
    items_by_uid(dir, "ics").into_keys().collect()
}

fn set(uids: &[&str]) -> BTreeSet<String> {
    uids.iter().map(|u| u.to_string()).collect()
}

// 1. First sync and a sync with nothing to do.

#[test]
fn first_sync_copies_everything_and_second_sync_writes_nothing() {
    let env = Env::two_way();
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    write_file(
        &env.a,
        "two.ics",
        &event_modified("two", "Two", "20260105T080000Z"),
    );
    write_file(&env.a, "series.ics", &recurring_event("series", "Weekly"));
    write_file(&env.a, "holiday.ics", &all_day_event("holiday", "Holiday"));

    let r = env.sync_p(&[], 0);
    assert_eq!(r["result"], "ok", "{r:#}");
    assert_eq!(counts(&r), [0, 0, 0, 4, 0, 0], "{r:#}");
    assert_eq!(r["items"].as_array().unwrap().len(), 4);
    for uid in ["one", "two", "series", "holiday"] {
        let line = item(&r, uid);
        assert_eq!(
            (&line["action"], &line["to"], &line["outcome"]),
            (&"copy".into(), &"server".into(), &"done".into())
        );
    }
    assert_eq!(uids(&env.b), set(&["one", "two", "series", "holiday"]));
    assert_same_items(&env.a, &env.b);
    assert_eq!(item_in(&env.b, "ics", "series").summary(), Some("Weekly"));

    // A clean run keeps no report file (`reports = "warnings"`, the default;
    // reports.rs tests the levels).
    assert_eq!(env.reports("p"), Vec::<PathBuf>::new());

    let status = env.status();
    let row = &status["profiles"][0];
    assert_eq!(row["name"], "p", "{status:#}");
    assert_eq!(row["items"], 4, "{status:#}");
    assert_eq!(row["last_run"]["result"], "ok", "{status:#}");
    assert_eq!(
        row["last_run"]["summary"]["server"]["created"], 4,
        "{status:#}"
    );

    let (before_a, before_b) = (files(&env.a, "ics"), files(&env.b, "ics"));
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0; 6], "{r:#}");
    assert_eq!(r["items"].as_array().unwrap().len(), 0, "{r:#}");
    assert_eq!(r["unchanged"], 4);
    assert_eq!(files(&env.a, "ics"), before_a);
    assert_eq!(files(&env.b, "ics"), before_b);
    assert_eq!(env.reports("p"), Vec::<PathBuf>::new());
}

#[test]
fn human_output_names_the_profile_and_counts() {
    let env = Env::two_way();
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    let run = env.run(&["sync"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("p: changed local +0 ~0 -0, server +1 ~0 -0"),
        "{}",
        run.describe()
    );
    let run = env.run(&["status"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("p ") && run.stdout.contains("ok") && run.stdout.contains("1 items"),
        "{}",
        run.describe()
    );
}

/// The names of the profiles reported in a `sync --json` output.
fn reported(out: &Value) -> Vec<String> {
    out["reports"]
        .as_array()
        .unwrap_or_else(|| panic!("no reports: {out:#}"))
        .iter()
        .map(|r| r["profile"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_inactive_profile_is_skipped_unless_named() {
    let env = Env::empty();
    let (c, d) = (env.root.join("c"), env.root.join("d"));
    fs::create_dir(&c).unwrap();
    fs::create_dir(&d).unwrap();
    env.write_config(&format!(
        "{}{}",
        vdir_profile("daily", "events", &env.a, &env.b, &[]),
        vdir_profile(
            "backup",
            "events",
            &c,
            &d,
            &[("inactive", "true"), ("reports", "\"all\"")]
        )
    ));
    write_file(&env.a, "one.ics", &event("one", "One", ""));
    write_file(&c, "two.ics", &event("two", "Two", ""));

    // No name: the active profile runs, the inactive one is listed as skipped.
    let out = env.sync(&[], 0);
    assert_eq!(out["ok"], true, "{out:#}");
    assert_eq!(reported(&out), ["daily"]);
    assert_eq!(
        out["skipped"],
        serde_json::json!([{ "profile": "backup", "reason": "inactive" }])
    );
    assert_eq!(uids(&env.b), set(&["one"]));
    assert!(uids(&d).is_empty(), "the inactive profile wrote");
    assert!(env.reports("backup").is_empty());
    let run = env.run(&["sync"]);
    run.expect_code(0);
    assert!(
        run.stdout.lines().any(|l| l == "backup: skipped: inactive")
            && run.stdout.contains("daily: changed"),
        "{}",
        run.describe()
    );
    assert!(uids(&d).is_empty(), "the inactive profile wrote");

    // Named, it runs, and nothing is skipped.
    let out = env.sync(&["backup"], 0);
    assert_eq!(reported(&out), ["backup"]);
    assert_eq!(out["skipped"], serde_json::json!([]));
    assert_eq!(counts(report(&out, "backup")), [0, 0, 0, 1, 0, 0]);
    assert_eq!(uids(&d), set(&["two"]));
    assert_eq!(env.reports("backup").len(), 1);
}

// 2. Dry runs.

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    // Every run keeps a report: the dry run's would show.
    let env = Env::with(&[("reports", "\"all\"")]);
    for i in 0..4 {
        write_file(
            &env.a,
            &format!("e{i}.ics"),
            &event(&format!("e{i}"), &format!("Event {i}"), ""),
        );
    }
    env.sync_p(&[], 0);
    put(&env.a, "e0", &event("e0", "Event 0 edited", ""));
    remove(&env.a, "e1");
    put(&env.b, "new-on-b", &event("new-on-b", "New on B", ""));
    let (before_a, before_b) = (files(&env.a, "ics"), files(&env.b, "ics"));
    let status_before = env.status();

    let r = env.sync_p(&["--dry-run"], 0);
    assert_eq!(r["dry_run"], true);
    assert_eq!(
        counts(&r),
        [1, 0, 0, 0, 1, 1],
        "what would be written: {r:#}"
    );
    for line in r["items"].as_array().unwrap() {
        assert_eq!(line["outcome"], "planned", "{r:#}");
    }
    assert_eq!(item(&r, "e0")["to"], "server");
    assert_eq!(item(&r, "e1")["action"], "delete");
    assert_eq!(item(&r, "new-on-b")["to"], "local");

    let run = env.run(&["sync", "--dry-run"]);
    run.expect_code(0);
    assert!(run.stdout.contains("would change"), "{}", run.describe());
    for expected in [
        "copy to server",
        "e0",
        "delete on server",
        "e1",
        "copy to local",
        "new-on-b",
    ] {
        assert!(
            run.stdout.contains(expected),
            "plan lacks {expected:?}: {}",
            run.describe()
        );
    }

    assert_eq!(
        files(&env.a, "ics"),
        before_a,
        "a dry run wrote to the local folder"
    );
    assert_eq!(
        files(&env.b, "ics"),
        before_b,
        "a dry run wrote to the server folder"
    );
    assert_eq!(env.reports("p").len(), 1, "a dry run saves no report");
    assert_eq!(
        env.status(),
        status_before,
        "a dry run is not recorded as a run"
    );
    assert!(!env.data.join("trash").exists() || tree(&env.data.join("trash")).is_empty());

    // The real run does what the dry run announced.
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [1, 0, 0, 0, 1, 1], "{r:#}");
    assert_same_items(&env.a, &env.b);
}

// 3. Changes on both sides over several runs.

#[test]
fn changes_on_both_sides_converge_over_several_runs() {
    let env = Env::two_way();
    let mut model: BTreeMap<String, String> = BTreeMap::new();
    let set_item = |dir: &Path, uid: &str, summary: &str, model: &mut BTreeMap<String, String>| {
        put(dir, uid, &event(uid, summary, ""));
        model.insert(uid.to_string(), summary.to_string());
    };
    for i in 0..6 {
        set_item(&env.a, &format!("a{i}"), &format!("A {i}"), &mut model);
    }
    for i in 0..2 {
        set_item(&env.b, &format!("b{i}"), &format!("B {i}"), &mut model);
    }
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [2, 0, 0, 6, 0, 0], "{r:#}");
    assert_eq!(summaries(&env.a), model);
    assert_eq!(summaries(&env.b), model);

    // Edits on A, deletions on B, creations on both.
    set_item(&env.a, "a0", "A 0 edited", &mut model);
    set_item(&env.a, "b1", "B 1 edited on A", &mut model);
    remove(&env.b, "a1");
    remove(&env.b, "b0");
    model.remove("a1");
    model.remove("b0");
    set_item(&env.a, "a-new", "New on A", &mut model);
    set_item(&env.b, "b-new", "New on B", &mut model);
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [1, 0, 2, 1, 2, 0], "{r:#}");
    assert_eq!(summaries(&env.a), model);
    assert_eq!(summaries(&env.b), model);
    assert_same_items(&env.a, &env.b);

    // Edits on B, deletions on A, more creations; and an edit of a new item.
    set_item(&env.b, "a2", "A 2 edited on B", &mut model);
    set_item(&env.b, "a-new", "New on A, edited on B", &mut model);
    remove(&env.a, "a3");
    remove(&env.a, "b-new");
    model.remove("a3");
    model.remove("b-new");
    set_item(&env.a, "a-newer", "Newer on A", &mut model);
    set_item(&env.b, "b-newer", "Newer on B", &mut model);
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [1, 2, 0, 1, 0, 2], "{r:#}");
    assert_eq!(summaries(&env.a), model);
    assert_eq!(summaries(&env.b), model);
    assert_same_items(&env.a, &env.b);

    // Both sides deleted the same item; both sides created the same item alike.
    remove(&env.a, "a4");
    remove(&env.b, "a4");
    model.remove("a4");
    set_item(&env.a, "twin", "Same on both", &mut model);
    set_item(&env.b, "twin", "Same on both", &mut model);
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0; 6], "nothing to write: {r:#}");
    assert_eq!(summaries(&env.a), model);
    assert_same_items(&env.a, &env.b);
    let r = env.sync_p(&[], 0);
    assert_eq!(r["items"].as_array().unwrap().len(), 0, "{r:#}");
    assert_eq!(env.status()["profiles"][0]["items"], model.len());
}

// 4. Modes.

/// Five items on A, synced to B once in `mode`.
fn mode_env(mode: &str, source_is_a: bool) -> (Env, PathBuf, PathBuf) {
    let env = Env::with(&[("mode", &format!("\"{mode}\""))]);
    let (src, tgt) = if source_is_a {
        (env.a.clone(), env.b.clone())
    } else {
        (env.b.clone(), env.a.clone())
    };
    for i in 1..=5 {
        put(
            &src,
            &format!("i{i}"),
            &event(&format!("i{i}"), &format!("Item {i}"), ""),
        );
    }
    let r = env.sync_p(&[], 0);
    assert_eq!(r["result"], "ok");
    assert_same_items(&env.a, &env.b);
    (env, src, tgt)
}

/// Changes on both sides of a one-way profile: a target-only item, a target
/// edit, a source edit and a source deletion.
fn one_way_changes(src: &Path, tgt: &Path) {
    put(
        tgt,
        "target-only",
        &event("target-only", "Only on the target", ""),
    );
    put(tgt, "i2", &event("i2", "Item 2 edited on the target", ""));
    put(src, "i3", &event("i3", "Item 3 edited on the source", ""));
    remove(src, "i1");
}

#[test]
fn mode_to_server_makes_b_a_copy_of_a() {
    let (env, a, b) = mode_env("to-server", true);
    one_way_changes(&a, &b);
    let before_a = files(&a, "ics");
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 0, 0, 0, 2, 2], "{r:#}");
    assert_eq!(files(&a, "ics"), before_a, "the source is never written");
    assert_same_items(&a, &b);
    assert_eq!(summaries(&b)["i2"], "Item 2");
    assert_eq!(summaries(&b)["i3"], "Item 3 edited on the source");
    assert!(!uids(&b).contains("target-only"));
    assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6]);
}

#[test]
fn mode_to_local_makes_a_a_copy_of_b() {
    let (env, b, a) = mode_env("to-local", false);
    one_way_changes(&b, &a);
    let before_b = files(&b, "ics");
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 2, 2, 0, 0, 0], "{r:#}");
    assert_eq!(files(&b, "ics"), before_b, "the source is never written");
    assert_same_items(&a, &b);
    assert_eq!(summaries(&a)["i2"], "Item 2");
    assert_eq!(summaries(&a)["i3"], "Item 3 edited on the source");
    assert!(!uids(&a).contains("target-only"));
    assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6]);
}

/// After a merge run: the target holds the source's items plus its own.
fn assert_merged(src: &Path, tgt: &Path) {
    let mut expected = content_by_uid(src, "ics");
    let own = content_by_uid(tgt, "ics")["target-only"].clone();
    expected.insert("target-only".into(), own);
    assert_eq!(content_by_uid(tgt, "ics"), expected);
    assert!(
        !uids(src).contains("target-only"),
        "a merge never writes the source"
    );
}

#[test]
fn mode_to_server_merge_leaves_b_only_items_alone() {
    let (env, a, b) = mode_env("to-server-merge", true);
    one_way_changes(&a, &b);
    let own = files(&b, "ics")["target-only.ics"].clone();
    let before_a = files(&a, "ics");
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 0, 0, 0, 2, 1], "{r:#}");
    assert_eq!(files(&a, "ics"), before_a);
    assert_eq!(
        files(&b, "ics")["target-only.ics"],
        own,
        "the B-only item is untouched"
    );
    assert_merged(&a, &b);
    assert_eq!(summaries(&b)["i3"], "Item 3 edited on the source");
    assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6]);
}

#[test]
fn mode_to_local_merge_leaves_a_only_items_alone() {
    let (env, b, a) = mode_env("to-local-merge", false);
    one_way_changes(&b, &a);
    let own = files(&a, "ics")["target-only.ics"].clone();
    let before_b = files(&b, "ics");
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 2, 1, 0, 0, 0], "{r:#}");
    assert_eq!(files(&b, "ics"), before_b);
    assert_eq!(
        files(&a, "ics")["target-only.ics"],
        own,
        "the A-only item is untouched"
    );
    assert_merged(&b, &a);
    assert_eq!(summaries(&a)["i3"], "Item 3 edited on the source");
    assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6]);
}

// 5. Conflict policies.

/// Item `u` synced, then edited on A ("Local edit", LAST-MODIFIED `local_lm`)
/// and on B ("Server edit", `server_lm`); returns the report of the next sync.
fn conflict(policy: &str, local_lm: &str, server_lm: &str) -> (Env, Value) {
    let env = Env::with(&[("conflicts", &format!("\"{policy}\""))]);
    put(
        &env.a,
        "u",
        &event_modified("u", "Original", "20260101T000000Z"),
    );
    put(&env.a, "v", &event("v", "Bystander", ""));
    env.sync_p(&[], 0);
    put(&env.a, "u", &event_modified("u", "Local edit", local_lm));
    put(&env.b, "u", &event_modified("u", "Server edit", server_lm));
    let r = env.sync_p(&[], 0);
    assert_eq!(r["conflicts"], 1, "{r:#}");
    assert_eq!(item(&r, "u")["conflict"], "both-changed", "{r:#}");
    (env, r)
}

const OLDER: &str = "20260201T000000Z";
const NEWER: &str = "20260301T000000Z";

#[track_caller]
fn assert_both_hold(env: &Env, summary: &str) {
    assert_eq!(summaries(&env.a)["u"], summary);
    assert_eq!(summaries(&env.b)["u"], summary);
    assert_same_items(&env.a, &env.b);
    assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6], "settled after one run");
}

#[test]
fn conflict_local_wins_even_when_older() {
    let (env, r) = conflict("local-wins", OLDER, NEWER);
    assert_eq!(counts(&r), [0, 0, 0, 0, 1, 0], "{r:#}");
    assert_eq!(item(&r, "u")["to"], "server");
    assert_both_hold(&env, "Local edit");
}

#[test]
fn conflict_server_wins_even_when_older() {
    let (env, r) = conflict("server-wins", NEWER, OLDER);
    assert_eq!(counts(&r), [0, 1, 0, 0, 0, 0], "{r:#}");
    assert_eq!(item(&r, "u")["to"], "local");
    assert_both_hold(&env, "Server edit");
}

#[test]
fn conflict_automatic_newer_wins() {
    let (env, r) = conflict("automatic", NEWER, OLDER);
    assert_eq!(item(&r, "u")["to"], "server", "{r:#}");
    assert_both_hold(&env, "Local edit");

    let (env, r) = conflict("automatic", OLDER, NEWER);
    assert_eq!(item(&r, "u")["to"], "local", "{r:#}");
    assert_both_hold(&env, "Server edit");
}

#[test]
fn conflict_keep_both_keeps_the_loser_as_a_copy_on_both_sides() {
    for (local_lm, server_lm, winner, loser_summary) in [
        (NEWER, OLDER, "local", "Server edit"),
        (OLDER, NEWER, "server", "Local edit"),
    ] {
        let (env, r) = conflict("keep-both", local_lm, server_lm);
        let line = item(&r, "u");
        assert_eq!(
            (&line["action"], &line["winner"]),
            (&"keep-both".into(), &winner.into()),
            "{r:#}"
        );
        assert_eq!(r["result"], "ok", "{r:#}");
        let winner_summary = if winner == "local" {
            "Local edit"
        } else {
            "Server edit"
        };
        for dir in [&env.a, &env.b] {
            let all = summaries(dir);
            assert_eq!(
                all.len(),
                3,
                "u, its conflict copy and v in {}: {all:?}",
                dir.display()
            );
            assert_eq!(all["u"], winner_summary);
            let (copy_uid, copy_summary) = all
                .iter()
                .find(|(uid, _)| uid.starts_with("u-conflict-"))
                .unwrap_or_else(|| panic!("no conflict copy in {}: {all:?}", dir.display()));
            let suffix = &copy_uid["u-conflict-".len()..];
            assert!(
                suffix.len() == 8 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
                "copy UID {copy_uid}"
            );
            assert!(copy_summary.starts_with(loser_summary), "{copy_summary}");
            assert!(copy_summary.contains("conflict copy"), "{copy_summary}");
        }
        assert_same_items(&env.a, &env.b);
        assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6], "settled after one run");
    }
}

#[test]
fn change_against_deletion_per_policy() {
    // Changed on A, deleted on B: which side wins, per the policy's documentation.
    for (policy, change_survives) in [
        ("automatic", false),
        ("local-wins", true),
        ("server-wins", false),
        ("keep-both", true),
    ] {
        let env = Env::with(&[("conflicts", &format!("\"{policy}\""))]);
        put(&env.a, "u", &event("u", "Original", ""));
        put(&env.a, "v", &event("v", "Bystander", ""));
        put(&env.a, "w", &event("w", "Bystander 2", ""));
        env.sync_p(&[], 0);
        put(&env.a, "u", &event("u", "Changed on A", ""));
        remove(&env.b, "u");
        let r = env.sync_p(&[], 0);
        assert_eq!(
            item(&r, "u")["conflict"],
            "local-changed-server-deleted",
            "{policy}: {r:#}"
        );
        let expected = if change_survives {
            set(&["u", "v", "w"])
        } else {
            set(&["v", "w"])
        };
        assert_eq!(uids(&env.a), expected, "{policy}");
        assert_same_items(&env.a, &env.b);
        if change_survives {
            assert_eq!(summaries(&env.b)["u"], "Changed on A", "{policy}");
        }
    }
}

// 6. The category filter.

fn cat_event(uid: &str, summary: &str, categories: &str) -> String {
    if categories.is_empty() {
        event(uid, summary, "")
    } else {
        event(uid, summary, &format!("CATEGORIES:{categories}\r\n"))
    }
}

/// One local folder `l` shared by profiles `work` (↔ `w`) and `home` (↔ `h`).
struct Shared {
    env: Env,
    l: PathBuf,
    w: PathBuf,
    h: PathBuf,
}

fn shared(work_extra: &[(&str, &str)]) -> Shared {
    let env = Env::empty();
    let (l, w, h) = (env.root.join("l"), env.root.join("w"), env.root.join("h"));
    for d in [&l, &w, &h] {
        fs::create_dir(d).unwrap();
    }
    let mut work = vec![("category", "\"Work\"")];
    work.extend_from_slice(work_extra);
    let config = vdir_profile("work", "events", &l, &w, &work)
        + &vdir_profile("home", "events", &l, &h, &[("category", "\"Home\"")]);
    env.write_config(&config);
    put(&l, "l-work", &cat_event("l-work", "Local work", "Work"));
    put(&l, "l-home", &cat_event("l-home", "Local home", "Home"));
    put(
        &l,
        "l-none",
        &cat_event("l-none", "Local uncategorized", ""),
    );
    put(&l, "l-other", &cat_event("l-other", "Local other", "Other"));
    put(&w, "w1", &cat_event("w1", "Server work", ""));
    put(&w, "w2", &cat_event("w2", "Server work meeting", "Meeting"));
    put(&h, "h1", &cat_event("h1", "Server home", ""));
    Shared { env, l, w, h }
}

fn categories(dir: &Path, uid: &str) -> Vec<String> {
    item_in(dir, "ics", uid).categories().to_vec()
}

#[test]
fn category_filter_shares_one_local_folder_between_two_profiles() {
    let s = shared(&[]);
    let (w_before, h_before) = (content_by_uid(&s.w, "ics"), content_by_uid(&s.h, "ics"));
    let out = s.env.sync(&[], 0);
    assert_eq!(counts(report(&out, "work")), [2, 0, 0, 1, 0, 0], "{out:#}");
    assert_eq!(counts(report(&out, "home")), [1, 0, 0, 1, 0, 0], "{out:#}");

    assert_eq!(uids(&s.w), set(&["w1", "w2", "l-work"]));
    assert_eq!(uids(&s.h), set(&["h1", "l-home"]));
    assert_eq!(
        uids(&s.l),
        set(&["l-work", "l-home", "l-none", "l-other", "w1", "w2", "h1"])
    );
    // Server items arrive locally carrying the profile's category…
    assert_eq!(categories(&s.l, "w1"), ["Work"]);
    assert_eq!(categories(&s.l, "w2"), ["Meeting", "Work"]);
    assert_eq!(categories(&s.l, "h1"), ["Home"]);
    // …and the server keeps them as they were.
    for (uid, hash) in &w_before {
        assert_eq!(
            &content_by_uid(&s.w, "ics")[uid],
            hash,
            "{uid} changed on W"
        );
    }
    for (uid, hash) in &h_before {
        assert_eq!(
            &content_by_uid(&s.h, "ics")[uid],
            hash,
            "{uid} changed on H"
        );
    }
    // Local items go to their profile's server without the category.
    assert!(categories(&s.w, "l-work").is_empty());
    assert!(categories(&s.h, "l-home").is_empty());
    assert_eq!(item_in(&s.w, "ics", "l-work").summary(), Some("Local work"));

    let snapshot = |s: &Shared| (files(&s.l, "ics"), files(&s.w, "ics"), files(&s.h, "ics"));
    let before = snapshot(&s);
    let out = s.env.sync(&[], 0);
    assert_eq!(counts(report(&out, "work")), [0; 6], "{out:#}");
    assert_eq!(counts(report(&out, "home")), [0; 6], "{out:#}");
    assert_eq!(snapshot(&s), before, "a second run writes nothing");

    // A local edit of a server item goes back without the category; an edit of
    // an uncategorized item goes nowhere.
    put(
        &s.l,
        "w1",
        &cat_event("w1", "Server work, edited locally", "Work"),
    );
    put(
        &s.l,
        "l-none",
        &cat_event("l-none", "Still uncategorized", ""),
    );
    let out = s.env.sync(&["work"], 0);
    assert_eq!(
        out["reports"].as_array().unwrap().len(),
        1,
        "only the named profile runs"
    );
    assert_eq!(counts(report(&out, "work")), [0, 0, 0, 0, 1, 0], "{out:#}");
    assert_eq!(
        item_in(&s.w, "ics", "w1").summary(),
        Some("Server work, edited locally")
    );
    assert!(categories(&s.w, "w1").is_empty());
    assert!(!uids(&s.w).contains("l-none") && !uids(&s.h).contains("l-none"));
}

#[test]
fn category_include_uncategorized_takes_local_items_without_categories() {
    let s = shared(&[("category_include_uncategorized", "true")]);
    let out = s.env.sync(&[], 0);
    assert_eq!(
        uids(&s.w),
        set(&["w1", "w2", "l-work", "l-none"]),
        "{out:#}"
    );
    assert_eq!(uids(&s.h), set(&["h1", "l-home"]));
    assert_eq!(categories(&s.l, "w1"), ["Work"]);
    assert!(categories(&s.w, "l-none").is_empty());
    let out = s.env.sync(&[], 0);
    assert_eq!(counts(report(&out, "work")), [0; 6], "{out:#}");
    assert_eq!(counts(report(&out, "home")), [0; 6], "{out:#}");
}

#[test]
fn category_negate_takes_everything_but_the_category() {
    let env = Env::with(&[("category", "\"Private\""), ("category_negate", "true")]);
    put(&env.a, "p1", &cat_event("p1", "Private", "Private"));
    put(&env.a, "n1", &cat_event("n1", "Work", "Work"));
    put(&env.a, "n2", &cat_event("n2", "None", ""));
    put(
        &env.b,
        "s1",
        &cat_event("s1", "From the server", "Private,Team"),
    );
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [1, 0, 0, 2, 0, 0], "{r:#}");
    assert_eq!(uids(&env.b), set(&["s1", "n1", "n2"]));
    assert_eq!(
        content_by_uid(&env.b, "ics")["n1"],
        content_by_uid(&env.a, "ics")["n1"]
    );
    // A server item must not carry the category locally, or it would leave the profile.
    assert_eq!(categories(&env.a, "s1"), ["Team"]);
    assert_eq!(counts(&env.sync_p(&[], 0)), [0; 6]);
    assert_eq!(uids(&env.a), set(&["p1", "n1", "n2", "s1"]));
}

#[test]
fn content_filter_syncs_one_kind_per_profile() {
    let env = Env::empty();
    let (cards_a, cards_b) = (env.root.join("cards-a"), env.root.join("cards-b"));
    fs::create_dir(&cards_a).unwrap();
    env.write_config(
        &(vdir_profile("tasks", "tasks", &env.a, &env.b, &[])
            + &vdir_profile("people", "contacts", &cards_a, &cards_b, &[])),
    );
    put(&env.a, "t1", &task("t1", "A task"));
    put(&env.a, "e1", &event("e1", "An event", ""));
    write_file(&cards_a, "c3.vcf", &vcard3("c3", "Ann Three"));
    write_file(&cards_a, "c4.vcf", &vcard4("c4", "Bob Four"));
    let out = env.sync(&[], 0);
    assert_eq!(counts(report(&out, "tasks")), [0, 0, 0, 1, 0, 0], "{out:#}");
    assert_eq!(
        counts(report(&out, "people")),
        [0, 0, 0, 2, 0, 0],
        "{out:#}"
    );
    assert_eq!(uids(&env.b), set(&["t1"]), "the event is not a task");
    assert_eq!(
        content_by_uid(&cards_a, "vcf"),
        content_by_uid(&cards_b, "vcf")
    );
    assert_eq!(item_in(&cards_b, "vcf", "c3").summary(), Some("Ann Three"));
}

// 7. Safety rails.

fn ten_synced() -> Env {
    let env = Env::two_way();
    for i in 0..10 {
        put(
            &env.a,
            &format!("e{i}"),
            &event(&format!("e{i}"), &format!("Event {i}"), ""),
        );
    }
    env.sync_p(&[], 0);
    assert_eq!(uids(&env.b).len(), 10);
    env
}

#[test]
fn emptied_side_is_refused_unless_forced() {
    let env = ten_synced();
    for i in 0..10 {
        remove(&env.a, &format!("e{i}"));
    }
    let before_b = files(&env.b, "ics");
    let r = env.sync_p(&[], 1);
    assert_eq!(r["result"], "errors");
    let message = errors(&r);
    assert!(message.contains("--force"), "{message}");
    assert!(message.contains("no items"), "{message}");
    assert_eq!(counts(&r), [0; 6], "{r:#}");
    assert_eq!(files(&env.b, "ics"), before_b, "B is untouched");
    assert_eq!(env.status()["profiles"][0]["last_run"]["result"], "errors");

    let r = env.sync_p(&["--force"], 0);
    assert_eq!(counts(&r), [0, 0, 0, 0, 0, 10], "{r:#}");
    assert!(files(&env.b, "ics").is_empty());
    assert_eq!(env.status()["profiles"][0]["items"], 0);
}

#[test]
fn max_delete_is_refused_unless_forced() {
    let env = ten_synced();
    for i in 0..6 {
        remove(&env.a, &format!("e{i}"));
    }
    put(&env.a, "e9", &event("e9", "Event 9 edited", ""));
    let before_b = files(&env.b, "ics");
    let r = env.sync_p(&[], 1);
    let message = errors(&r);
    assert!(
        message.contains("max_delete") && message.contains("--force"),
        "{message}"
    );
    assert_eq!(
        files(&env.b, "ics"),
        before_b,
        "nothing at all is written, not even the edit"
    );

    let r = env.sync_p(&["--force"], 0);
    assert_eq!(counts(&r), [0, 0, 0, 0, 1, 6], "{r:#}");
    assert_eq!(uids(&env.b), set(&["e6", "e7", "e8", "e9"]));
    assert_same_items(&env.a, &env.b);
}

#[test]
fn max_delete_allows_exactly_the_limit() {
    let env = ten_synced();
    for i in 0..5 {
        remove(&env.a, &format!("e{i}"));
    }
    let r = env.sync_p(&[], 0);
    assert_eq!(
        counts(&r),
        [0, 0, 0, 0, 0, 5],
        "5 of 10 is not more than 50%: {r:#}"
    );
    assert_same_items(&env.a, &env.b);
}

// 8. The trash.

/// Every file's content under `dir`.
fn contents_under(dir: &Path) -> Vec<String> {
    if !dir.exists() {
        return Vec::new();
    }
    tree(dir)
        .iter()
        .map(|p| fs::read_to_string(dir.join(p)).unwrap())
        .collect()
}

#[test]
fn overwritten_and_deleted_items_are_kept_in_the_trash() {
    let env = Env::two_way();
    for uid in ["keep", "edit-a", "edit-b", "del-a", "del-b"] {
        put(&env.a, uid, &event(uid, &format!("{uid} original"), ""));
    }
    env.sync_p(&[], 0);
    let old_b = files(&env.b, "ics");
    let old_a = files(&env.a, "ics");
    put(&env.a, "edit-a", &event("edit-a", "edited on A", ""));
    put(&env.b, "edit-b", &event("edit-b", "edited on B", ""));
    remove(&env.a, "del-a");
    remove(&env.b, "del-b");
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 1, 1, 0, 1, 1], "{r:#}");

    let server_trash = contents_under(&env.data.join("trash/p/server"));
    let local_trash = contents_under(&env.data.join("trash/p/local"));
    assert_eq!(server_trash.len(), 2, "{server_trash:?}");
    assert_eq!(local_trash.len(), 2, "{local_trash:?}");
    // B's copy of edit-a was overwritten and B's del-a deleted: both kept as they were.
    assert!(server_trash.contains(&old_b[&file_of(&env.b, "edit-a")]));
    assert!(server_trash.contains(&old_b["del-a.ics"]));
    assert!(local_trash.contains(&old_a[&file_of(&env.a, "edit-b")]));
    assert!(local_trash.contains(&old_a["del-b.ics"]));
}

// 9. Configuration errors.

const CONFIG_LINES: &str = "# davsync test configuration
[profiles.p]
content = \"events\"
mode = \"two-way\"
max_delete = 50
local = { type = \"vdir\", path = \"a\" }
server = { type = \"vdir\", path = \"b\" }
";

/// Writes CONFIG_LINES with `from` replaced by `to`, runs sync and expects exit 2; returns stderr.
#[track_caller]
fn config_error(env: &Env, from: &str, to: &str) -> String {
    assert!(CONFIG_LINES.contains(from));
    env.write_config(&CONFIG_LINES.replace(from, to));
    let run = env.run(&["sync"]);
    run.expect_code(2);
    assert!(run.stdout.is_empty(), "{}", run.describe());
    let file = env.config.display().to_string();
    assert!(
        run.stderr.contains(&file),
        "the error names the file: {}",
        run.describe()
    );
    assert!(
        !env.data.exists(),
        "nothing is written on a configuration error"
    );
    run.stderr
}

#[test]
fn config_errors_exit_2_naming_file_line_and_key() {
    let env = Env::empty();
    put(&env.a, "x", &event("x", "X", ""));
    let e = config_error(&env, "mode = \"two-way\"", "mode = \"sideways\"");
    assert!(e.contains("line 4") && e.contains("sideways"), "{e}");

    let e = config_error(&env, "max_delete = 50", "max_delete = 200");
    assert!(
        e.contains("line 5") && e.contains("profiles.p.max_delete") && e.contains("200"),
        "{e}"
    );

    let e = config_error(&env, "max_delete = 50", "max_delet = 50");
    assert!(e.contains("line 5") && e.contains("max_delet"), "{e}");

    let e = config_error(&env, "max_delete = 50", "category = \"A,B\"");
    assert!(
        e.contains("line 5") && e.contains("profiles.p.category"),
        "{e}"
    );

    let e = config_error(
        &env,
        "type = \"vdir\", path = \"b\"",
        "type = \"ftp\", path = \"b\"",
    );
    assert!(
        e.contains("line 7") && e.contains("profiles.p.server.type") && e.contains("ftp"),
        "{e}"
    );

    let e = config_error(&env, "path = \"b\"", "path = \"a\"");
    assert!(e.contains("same folder"), "{e}");

    let e = config_error(&env, "content = \"events\"\n", "");
    assert!(e.contains("content"), "{e}");

    // An unknown profile name, for sync and status alike.
    env.write_config(CONFIG_LINES);
    let run = env.run(&["sync", "nope"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("nope") && run.stderr.contains("configured: p"),
        "{}",
        run.describe()
    );
    assert!(files(&env.b, "ics").is_empty());

    // A missing configuration file.
    let missing = env.root.join("missing.toml");
    let run = Davsync::new(BIN, &missing, &env.data).run(&["sync"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&missing.display().to_string()),
        "{}",
        run.describe()
    );
    let run = Davsync::new(BIN, &missing, &env.data).run(&["status"]);
    run.expect_code(2);

    // A usage error.
    env.run(&["sync", "--no-such-flag"]).expect_code(2);
    assert!(files(&env.b, "ics").is_empty());

    // As written, the configuration works: its relative folders resolve against its own folder.
    env.write_config(CONFIG_LINES);
    assert_eq!(counts(&env.sync_p(&[], 0)), [0, 0, 0, 1, 0, 0]);
    assert_same_items(&env.a, &env.b);
}

/// The module's promise: "validation with file/line/key in every error". A bad
/// value of a key whose type is an enumeration (mode, conflicts, content) is
/// reported by the TOML parser with file and line, but without the key.
#[test]
fn config_error_for_a_bad_enumeration_value_names_the_key() {
    let env = Env::empty();
    let e = config_error(&env, "mode = \"two-way\"", "mode = \"sideways\"");
    assert!(
        e.contains("line 4") && e.contains("mode"),
        "the error does not name the key `mode`: {e}"
    );
    let e = config_error(&env, "max_delete = 50", "conflicts = \"whoever\"");
    assert!(
        e.contains("line 5") && e.contains("conflicts"),
        "the error does not name the key `conflicts`: {e}"
    );
}

// 10. Unreadable files.

#[test]
fn malformed_file_is_reported_left_alone_and_the_rest_syncs() {
    let env = Env::two_way();
    for i in 0..3 {
        put(
            &env.a,
            &format!("good{i}"),
            &event(&format!("good{i}"), &format!("Good {i}"), ""),
        );
    }
    let broken = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:No end, no UID\r\n";
    write_file(&env.a, "bad.ics", broken);
    let r = env.sync_p(&[], 1);
    assert_eq!(r["result"], "errors");
    let errs = r["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{r:#}");
    assert_eq!(errs[0]["href"], "bad.ics", "{r:#}");
    assert_eq!(errs[0]["side"], "local", "{r:#}");
    assert_eq!(counts(&r), [0, 0, 0, 3, 0, 0], "{r:#}");
    assert_eq!(
        fs::read_to_string(env.a.join("bad.ics")).unwrap(),
        broken,
        "left untouched"
    );
    assert_eq!(uids(&env.b), set(&["good0", "good1", "good2"]));
    assert_eq!(files(&env.b, "ics").len(), 3);
    assert_eq!(env.reports("p").len(), 1, "a failed run saves its report");

    let run = env.run(&["sync"]);
    run.expect_code(1);
    assert!(run.stdout.contains("bad.ics"), "{}", run.describe());

    // Repaired, it syncs.
    write_file(&env.a, "bad.ics", &event("repaired", "Repaired", ""));
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 0, 0, 1, 0, 0], "{r:#}");
    assert_same_items(&env.a, &env.b);
}

/// Failures that are not the command line's or the configuration's exit 1,
/// not 2: a status database that cannot be opened, a data directory that
/// cannot be created.
#[test]
fn a_database_or_data_directory_failure_exits_1() {
    let env = Env::two_way();
    put(&env.a, "x", &event("x", "X", ""));
    env.sync_p(&[], 0);
    // The status database replaced by a folder: `status` cannot open it.
    let db = env.data.join("status/p.sqlite");
    fs::remove_file(&db).unwrap();
    for extra in ["-wal", "-shm"] {
        let _ = fs::remove_file(env.data.join(format!("status/p.sqlite{extra}")));
    }
    fs::create_dir(&db).unwrap();
    let run = env.run(&["status"]);
    run.expect_code(1);
    assert!(run.stderr.contains("p.sqlite"), "{}", run.describe());
    let run = env.run(&["sync"]);
    run.expect_code(1);
    // A data directory below a file cannot be created.
    let file = env.root.join("a-file");
    fs::write(&file, "").unwrap();
    let below = Davsync::new(BIN, &env.config, file.join("data"));
    let run = below.run(&["sync"]);
    run.expect_code(1);
    assert!(files(&env.b, "ics").len() == 1, "nothing else happened");
    // The help states the exit codes.
    let help = env.run(&["--help"]);
    assert!(
        help.stdout.contains("Exit status:")
            && help.stdout.contains("2  a usage or configuration error"),
        "{}",
        help.describe()
    );
}

// 11. The lock.

#[test]
fn a_held_lock_is_waited_for_then_the_profile_is_skipped() {
    let env = Env::two_way();
    put(&env.a, "x", &event("x", "X", ""));
    let lock_path = env.data.join("locks/p.lock");
    fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    lock.try_lock().expect("the test takes the lock");
    let profile = fs::read_to_string(&env.config).unwrap();
    env.write_config(&format!("[general]\nlock_wait_seconds = 1\n\n{profile}"));

    // Held for longer than the wait: skipped, a warning, nothing written.
    let r = env.sync_p(&[], 0);
    assert_eq!(r["result"], "warnings", "{r:#}");
    let message = r["warnings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("skipped: another davsync run") && message.contains("waited 1 s"),
        "{message}"
    );
    assert!(
        files(&env.b, "ics").is_empty(),
        "nothing synced while locked"
    );

    // Released while the run waits: it goes ahead.
    env.write_config(&format!("[general]\nlock_wait_seconds = 60\n\n{profile}"));
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(lock);
    });
    let r = env.sync_p(&[], 0);
    release.join().unwrap();
    assert_eq!(counts(&r), [0, 0, 0, 1, 0, 0], "{r:#}");
}

// 12. Hostile UIDs.

#[test]
fn hostile_uids_stay_inside_the_folder() {
    let env = Env::empty();
    let (a, b) = (env.root.join("x/y/a"), env.root.join("x/y/b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    env.write_config(&vdir_profile("p", "events", &a, &b, &[]));
    let long = "x".repeat(5000);
    let hostile = [
        "../../evil/uid",
        "sub/dir/uid",
        ".hidden",
        "..",
        "/etc/passwd",
        "C:\\Windows\\evil",
        "line\\nbreak",
        long.as_str(),
    ];
    for (i, uid) in hostile.iter().enumerate() {
        write_file(
            &a,
            &format!("h{i}.ics"),
            &event(uid, &format!("Hostile {i}"), ""),
        );
    }
    let before = tree(&env.root);
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 0, 0, hostile.len() as u64, 0, 0], "{r:#}");

    let names: Vec<String> = files(&b, "ics").into_keys().collect();
    assert_eq!(names.len(), hostile.len(), "{names:?}");
    for name in &names {
        assert!(
            !name.contains(['/', '\\']) && !name.starts_with('.'),
            "unsafe name {name}"
        );
    }
    // (As parsed: iCalendar escapes such as `\\n` are undone.)
    assert_eq!(uids(&a).len(), hostile.len());
    assert_eq!(uids(&b), uids(&a));
    assert_same_items(&a, &b);
    for path in tree(&env.root).difference(&before) {
        assert!(
            path.starts_with("x/y/b") || path.starts_with("data"),
            "{} was created outside B",
            path.display()
        );
    }
    assert!(!env.root.join("x/evil").exists() && !env.root.join("x/y/evil").exists());
    assert_eq!(
        counts(&env.sync_p(&[], 0)),
        [0; 6],
        "hostile UIDs settle like any other"
    );
}

// The vdir store's "racy" versions.

/// A file modified less than 2 s ago is "racy": its vdir version carries a
/// hash of its content. When such a file leaves that window while a run is
/// under way, its version changes although nobody touched it, and the run's
/// write to it fails as "changed since it was read". An unchanged file must
/// keep its version.
#[test]
fn racy_file_aging_during_a_run_is_not_a_change() {
    const N: usize = 300;
    let env = Env::two_way();
    for i in 0..N {
        write_file(
            &env.a,
            &format!("e{i:03}.ics"),
            &event(&format!("e{i:03}"), "Original", ""),
        );
    }
    env.sync_p(&[], 0);
    for i in 0..N {
        write_file(
            &env.a,
            &format!("e{i:03}.ics"),
            &event(&format!("e{i:03}"), "Edited on A", ""),
        );
    }
    // How long a run takes to reach its writes: a dry run reads and plans the same.
    let t = std::time::Instant::now();
    env.sync_p(&["--dry-run"], 0);
    let reach = t.elapsed();
    // B's files leave the racy window 1.5 × that from now: after the run
    // listed them, while it overwrites them one by one.
    let mtime =
        std::time::SystemTime::now() - std::time::Duration::from_secs(2) + reach.mul_f32(1.5);
    for name in files(&env.b, "ics").keys() {
        let file = fs::File::options()
            .write(true)
            .open(env.b.join(name))
            .unwrap();
        file.set_modified(mtime).unwrap();
    }
    let r = env.sync_p(&[], 0);
    let failed = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "failed")
        .count();
    assert_eq!(
        r["warnings"].as_array().unwrap().len(),
        0,
        "{failed} of {N} unchanged files of B were refused as changed during the run \
         (the run reached its writes after about {reach:?}); first warning: {:#}",
        r["warnings"][0]
    );
    assert_eq!(counts(&r), [0, 0, 0, 0, N as u64, 0], "{r:#}");
    assert_same_items(&env.a, &env.b);
}

// More situations real folders meet.

#[test]
fn a_renamed_file_is_the_same_item() {
    let env = Env::two_way();
    put(&env.a, "u", &event("u", "Original", ""));
    put(&env.a, "v", &event("v", "Other", ""));
    env.sync_p(&[], 0);
    fs::rename(env.b.join("u.ics"), env.b.join("renamed-by-a-tool.ics")).unwrap();
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0; 6], "a rename is no change: {r:#}");
    put(&env.a, "u", &event("u", "Edited on A", ""));
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 0, 0, 0, 1, 0], "{r:#}");
    assert_eq!(
        files(&env.b, "ics").len(),
        2,
        "overwritten in place, no second file"
    );
    assert_eq!(file_of(&env.b, "u"), "renamed-by-a-tool.ics");
    assert_same_items(&env.a, &env.b);
}

#[test]
fn a_uid_held_by_two_files_is_left_alone() {
    let env = Env::two_way();
    put(&env.a, "ok", &event("ok", "Fine", ""));
    write_file(&env.a, "dup1.ics", &event("dup", "First copy", ""));
    write_file(&env.a, "dup2.ics", &event("dup", "Second copy", ""));
    let before_a = files(&env.a, "ics");
    let r = env.sync_p(&[], 1);
    let message = errors(&r);
    assert!(
        message.contains("dup1.ics") && message.contains("dup2.ics"),
        "{message}"
    );
    assert_eq!(uids(&env.b), set(&["ok"]), "the duplicate is not synced");
    assert_eq!(files(&env.a, "ics"), before_a, "both files are left alone");
    // Once one is removed, the other syncs.
    fs::remove_file(env.a.join("dup2.ics")).unwrap();
    let r = env.sync_p(&[], 0);
    assert_eq!(counts(&r), [0, 0, 0, 1, 0, 0], "{r:#}");
    assert_eq!(summaries(&env.b)["dup"], "First copy");
}

#[test]
fn the_same_uid_new_on_both_sides_is_a_conflict() {
    // Automatic: the newer wins.
    let env = Env::two_way();
    put(&env.a, "u", &event_modified("u", "New on A", NEWER));
    put(&env.b, "u", &event_modified("u", "New on B", OLDER));
    let r = env.sync_p(&[], 0);
    assert_eq!(item(&r, "u")["conflict"], "both-new", "{r:#}");
    assert_both_hold(&env, "New on A");
    // Keep both: nothing is lost.
    let env = Env::with(&[("conflicts", "\"keep-both\"")]);
    put(&env.a, "u", &event_modified("u", "New on A", OLDER));
    put(&env.b, "u", &event_modified("u", "New on B", NEWER));
    env.sync_p(&[], 0);
    for dir in [&env.a, &env.b] {
        let all = summaries(dir);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all["u"], "New on B");
        assert!(
            all.values()
                .any(|s| s.starts_with("New on A") && s.contains("conflict copy")),
            "{all:?}"
        );
    }
    assert_same_items(&env.a, &env.b);
}

#[test]
fn a_local_item_moving_to_another_category_moves_to_the_other_server() {
    let s = shared(&[]);
    s.env.sync(&[], 0);
    assert!(uids(&s.w).contains("l-work"));
    put(
        &s.l,
        "l-work",
        &cat_event("l-work", "Local work, now at home", "Home"),
    );
    let out = s.env.sync(&[], 0);
    assert!(!uids(&s.w).contains("l-work"), "gone from W: {out:#}");
    assert!(uids(&s.h).contains("l-work"), "arrived on H: {out:#}");
    assert_eq!(
        item_in(&s.h, "ics", "l-work").summary(),
        Some("Local work, now at home")
    );
    assert!(categories(&s.h, "l-work").is_empty());
    assert_eq!(
        categories(&s.l, "l-work"),
        ["Home"],
        "the local item is left as edited"
    );
    let out = s.env.sync(&[], 0);
    assert_eq!(counts(report(&out, "work")), [0; 6], "{out:#}");
    assert_eq!(counts(report(&out, "home")), [0; 6], "{out:#}");
}
