//! `davsync config keys`: the text and JSON forms list every key the README
//! documents, need no configuration file, and show the defaults a run uses.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, Run, vdir_profile};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// The README of the repository.
fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The keys named in the README's key reference: the first cell of each row
/// between `<!-- keys: … -->` and `<!-- /keys -->`.
fn readme_keys(readme: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.starts_with("<!-- keys: ") {
            inside = true;
        } else if line.starts_with("<!-- /keys -->") {
            inside = false;
        } else if inside && let Some(rest) = line.strip_prefix("| `") {
            keys.insert(rest.split('`').next().unwrap().to_string());
        }
    }
    keys
}

/// A temporary folder with a binary whose configuration file does not exist.
fn without_config() -> (tempfile::TempDir, Davsync) {
    let tmp = tempfile::tempdir().unwrap();
    let davsync = Davsync::new(
        BIN,
        tmp.path().join("missing.toml"),
        tmp.path().join("data"),
    );
    (tmp, davsync)
}

/// `config keys ARGS…`, which must succeed.
fn config_keys(davsync: &Davsync, args: &[&str]) -> Run {
    let mut all = vec!["config", "keys"];
    all.extend_from_slice(args);
    let run = davsync.run(&all);
    run.expect_code(0);
    run
}

#[test]
fn config_keys_lists_every_key_the_readme_documents() {
    let readme = readme();
    let documented = readme_keys(&readme);
    assert!(documented.len() > 30, "{documented:?}");
    let (_tmp, davsync) = without_config();

    let text = config_keys(&davsync, &[]).stdout;
    let header = text.lines().next().unwrap();
    assert!(
        ["KEY", "TYPE", "DEFAULT", "VALID IN"]
            .iter()
            .all(|h| header.contains(h)),
        "{header}"
    );
    let rows: BTreeSet<String> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(rows, documented, "{text}");
    // The sample output in the README is the real one.
    let sample = readme
        .split("$ davsync config keys\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    for line in sample.lines().filter(|l| *l != "…") {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} is not in\n{text}"
        );
    }

    let json: Value = serde_json::from_str(&config_keys(&davsync, &["--json"]).stdout).unwrap();
    let keys = json.as_array().unwrap();
    let names: BTreeSet<String> = keys
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, documented);
    for key in keys {
        for field in ["type", "doc"] {
            assert!(key[field].as_str().is_some_and(|s| !s.is_empty()), "{key}");
        }
        assert!(key["required"].is_boolean(), "{key}");
        assert!(key.get("default").is_some(), "{key}");
        let places = key["valid_in"].as_array().unwrap();
        assert!(!places.is_empty(), "{key}");
        for place in places {
            assert!(
                ["general", "profile", "vdir", "caldav", "carddav"]
                    .contains(&place.as_str().unwrap()),
                "{key}"
            );
        }
        // A text row shows the same default.
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == key["name"].as_str())
            .unwrap();
        if let Some(n) = key["default"].as_i64() {
            assert!(row.contains(&format!(" {n} ")), "{row} / {key}");
        }
    }
}

/// The default of `name` in `config keys --json`.
fn json_default(davsync: &Davsync, name: &str) -> Value {
    let json: Value = serde_json::from_str(&config_keys(davsync, &["--json"]).stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name}: {json:#}"))["default"]
        .clone()
}

#[test]
fn config_keys_shows_the_max_delete_a_run_uses() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (a, b): (PathBuf, PathBuf) = (root.join("a"), root.join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    let config = root.join("config.toml");
    fs::write(&config, vdir_profile("p", "events", &a, &b, &[])).unwrap();
    let davsync = Davsync::new(BIN, &config, root.join("data"));
    let max_delete = json_default(&davsync, "max_delete").as_u64().unwrap();
    assert!(max_delete < 100, "{max_delete}");

    let total = 10;
    for i in 0..total {
        let uid = format!("e{i}");
        write_file(
            &a,
            &format!("{uid}.ics"),
            &event(&uid, &format!("Event {i}"), ""),
        );
    }
    davsync.run(&["sync"]).expect_code(0);
    // One deletion more than the default allows.
    let over = (total * max_delete / 100 + 1) as usize;
    for i in 0..over {
        fs::remove_file(a.join(format!("e{i}.ics"))).unwrap();
    }
    let run = davsync.run(&["sync"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains(&format!("max_delete = {max_delete}%")),
        "{}",
        run.describe()
    );
}
