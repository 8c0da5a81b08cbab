//! Server presets: `davsync presets` lists them, and `discover --preset NAME
//! --host BASE --write` against the servers of the suite (Radicale, Xandikos,
//! SOGo, DAViCal, Cyrus) finds the user's default collections from the
//! preset's URL and writes profiles with the preset's keys after a comment
//! naming it; the profiles written pass `davsync check`. Mistakes (an unknown
//! preset, Google, a missing --host) are usage errors that write nothing.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, Run};
use davsync_testkit::servers::{self, Server};
use serde_json::Value;
use std::path::Path;

const PASSWORD_VAR: &str = "DAVSYNC_TEST_PRESET_PW";

fn davsync(dir: &Path) -> Davsync {
    Davsync::new(
        env!("CARGO_BIN_EXE_davsync"),
        dir.join("config.toml"),
        dir.join("data"),
    )
}

/// Runs davsync with `args` and the password in `PASSWORD_VAR`.
fn run(dir: &Path, args: &[&str], password: &str) -> Run {
    let out = davsync(dir)
        .command(args)
        .env(PASSWORD_VAR, password)
        .env_remove("DAVSYNC_DNS_SERVER")
        .output()
        .expect("run davsync");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        command: format!("davsync {}", args.join(" ")),
    }
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.describe()))
}

/// The `[profiles.…]` section of the configuration text that has `url`, with
/// its content.
fn sections_with<'a>(text: &'a str, url: &str) -> Vec<&'a str> {
    text.split("\n[profiles.")
        .skip(1)
        .filter(|s| s.contains(&format!("url = \"{url}\"")))
        .collect()
}

/// The keys `davsync presets --json` gives for `name`, as (line, profiles).
fn preset_keys(dir: &Path, name: &str) -> Vec<(String, String)> {
    let r = run(dir, &["presets", "--json"], "");
    r.expect_code(0);
    let json = json_of(&r);
    let preset = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {json:#}"));
    preset["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                format!(
                    "\n{} = {}",
                    s["key"].as_str().unwrap(),
                    s["value"].as_str().unwrap()
                ),
                s["profiles"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `discover --preset NAME --host BASE --write` on a server of the suite.
fn preset_finds_and_writes(name: &str) {
    let server: Server = servers::get(name);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("calendars").to_string_lossy().to_string();
    let args = [
        "discover",
        "--preset",
        name,
        "--host",
        server.base_url.as_str(),
        "--user",
        server.user.as_str(),
        "--password-env",
        PASSWORD_VAR,
        "--write",
        "--local-root",
        root.as_str(),
        "--json",
    ];
    let r = run(dir.path(), &args, &server.password);
    r.expect_code(0);
    let json = json_of(&r);
    assert_eq!(json["preset"], name, "{json:#}");
    // Where each server of the suite serves DAV for the user.
    let base = &server.base_url;
    let expected_start = match name {
        "sogo" => format!("{base}SOGo/dav/"),
        "davical" => format!("{base}caldav.php/{}/", server.user),
        "cyrus" => format!("{base}dav/"),
        _ => base.clone(),
    };
    assert_eq!(json["started_at"], serde_json::json!([expected_start]));
    assert_eq!(json["principals"][0], server.principal_url, "{json:#}");
    let urls: Vec<&str> = json["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    for url in [&server.calendar_url, &server.addressbook_url] {
        assert!(urls.contains(&url.as_str()), "{url} not found: {json:#}");
    }

    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let comment = format!("\n# preset: {name} (davsync presets)\n");
    let calendars = sections_with(&text, &server.calendar_url);
    let books = sections_with(&text, &server.addressbook_url);
    assert_eq!(calendars.len(), 2, "events and tasks:\n{text}");
    assert_eq!(books.len(), 1, "{text}");
    let keys = preset_keys(dir.path(), name);
    for section in &calendars {
        assert!(section.contains(&comment), "{section}");
        let is_events = section.contains("\ncontent = \"events\"");
        for (line, profiles) in &keys {
            let wanted = profiles == "events, tasks" || (profiles == "events" && is_events);
            assert_eq!(
                section.contains(line.as_str()),
                wanted,
                "{line}:\n{section}"
            );
        }
    }
    assert!(books[0].contains(&comment), "{}", books[0]);
    for (line, profiles) in &keys {
        assert_eq!(
            books[0].contains(line.as_str()),
            profiles == "contacts",
            "{line}"
        );
    }
    if name == "sogo" {
        // The original's SOGo preset, written out.
        for section in &calendars {
            assert!(
                section.contains("\nschedule_agent_client = false"),
                "{section}"
            );
            assert!(
                section.contains("\nsogo_no_notifications = true"),
                "{section}"
            );
            assert_eq!(section.matches("sogo_no_notifications").count(), 1);
        }
        assert!(
            books[0].contains("\nserver_groups = \"vlist\""),
            "{}",
            books[0]
        );
    }

    // The table says where discovery started.
    let human: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !["--json", "--write"].contains(a) && *a != root.as_str())
        .filter(|a| *a != "--local-root")
        .collect();
    let r = run(dir.path(), &human, &server.password);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with(&format!("Preset: {name} (")),
        "{}",
        r.describe()
    );
    assert!(
        r.stdout
            .lines()
            .next()
            .unwrap()
            .ends_with(&format!("from {expected_start}"))
    );

    // The profiles written load and reach their collections.
    let profile = |section: &str| {
        let name = section.split(']').next().unwrap();
        name.trim_matches('"').to_string()
    };
    let mut check = vec!["check".to_string()];
    check.extend(calendars.iter().chain(&books).map(|s| profile(s)));
    let check: Vec<&str> = check.iter().map(String::as_str).collect();
    let r = run(dir.path(), &check, &server.password);
    r.expect_code(0);
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        #[test]
        fn $server() { preset_finds_and_writes(stringify!($server)) }
    )*};
}

per_server!(radicale, xandikos, sogo, davical, cyrus);

/// A preset with a CalDAV and a CardDAV root asks both; what both find is
/// listed once (Radicale answers both paths from its root).
#[test]
fn two_roots_are_both_asked_and_merged() {
    let server = servers::get("radicale");
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "discover",
        "--preset",
        "open-xchange",
        "--host",
        server.base_url.as_str(),
        "--user",
        server.user.as_str(),
        "--password-env",
        PASSWORD_VAR,
        "--json",
        "-v",
    ];
    let r = run(dir.path(), &args, &server.password);
    r.expect_code(0);
    let json = json_of(&r);
    let urls: Vec<&str> = json["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    let mut unique = urls.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), urls.len(), "listed twice: {json:#}");
    assert!(urls.contains(&server.calendar_url.as_str()));
    assert!(urls.contains(&server.addressbook_url.as_str()));
    assert_eq!(json["principals"].as_array().unwrap().len(), 1, "{json:#}");
}

#[test]
fn presets_lists_every_preset() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["presets"], "");
    r.expect_code(0);
    for line in [
        "sogo: SOGo (tested here)",
        "  url:      https://{host}/SOGo/dav/",
        "nextcloud: Nextcloud (not tested here)",
        "  caldav:   https://caldav.icloud.com/",
        "  carddav:  https://contacts.icloud.com/",
        "  contacts: server_groups = \"apple\", im = \"impp\"",
    ] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "{line:?}:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("google: Google Calendar and Contacts (not supported yet: "),
        "{}",
        r.stdout
    );
    let json = json_of(&run(dir.path(), &["presets", "--json"], ""));
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.len() >= 22, "{names:?}");
    let tested: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["tested_here"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let mut tested = tested;
    tested.sort_unstable();
    // sabre/dav 1.8 stands for no product (Nextcloud, ownCloud and Baikal
    // run newer sabre/dav): it has no preset.
    let mut suite: Vec<&str> = servers::NAMES
        .into_iter()
        .filter(|n| *n != "sabredav")
        .collect();
    suite.sort_unstable();
    assert_eq!(
        tested, suite,
        "the presets tested here are the suite's servers"
    );
    assert!(!dir.path().join("config.toml").exists());
}

#[test]
fn mistakes_are_usage_errors_that_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cal").to_string_lossy().to_string();
    let cases: [(&[&str], &str); 7] = [
        (
            &["--preset", "radicale"],
            "preset radicale needs --host and --user",
        ),
        (
            &["--preset", "davical", "--user", "alice"],
            "preset davical needs --host",
        ),
        (
            &["--preset", "nextcloud", "--user", "alice"],
            "preset nextcloud needs --host",
        ),
        (
            &[
                "--preset",
                "davical",
                "--email",
                "a@example.org",
                "--host",
                "ftp://h",
            ],
            "--host \"ftp://h\" is not a host name or an http(s) base URL",
        ),
        (
            &["--preset", "google", "--email", "a@gmail.com"],
            "is not supported yet: Google needs OAuth 2.0",
        ),
        (
            &["--preset", "exchange", "--user", "a", "--host", "h"],
            "there is no preset \"exchange\"; `davsync presets` lists them",
        ),
        (
            &[
                "--preset",
                "icloud",
                "--user",
                "a@icloud.com",
                "--host",
                "h",
            ],
            "preset icloud has a fixed URL and takes no --host",
        ),
    ];
    for (given, message) in cases {
        let mut args = vec!["discover"];
        args.extend(given);
        args.extend(["--write", "--local-root", root.as_str()]);
        let r = run(dir.path(), &args, "");
        r.expect_code(2);
        assert!(r.stderr.contains(message), "{message:?}: {}", r.describe());
        assert!(!dir.path().join("config.toml").exists());
        assert!(!dir.path().join("cal").exists());
    }
}
