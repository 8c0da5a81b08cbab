//! `davsync check` against the real servers: a good profile passes on each
//! server; a wrong password, a server that is not there, URLs that are no
//! collection of the right kind, a read-only collection in a writing mode
//! (sabre/dav's `DAV_READONLY_CALENDAR_URL`) and a folder that cannot be
//! written are each named, with exit status 1.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, Run};
use davsync_testkit::faults::{FaultProxy, origin};
use davsync_testkit::servers::{self, PASSWORD_ENV};
use serde_json::Value;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// `check --json` with `config` (a set of profiles): the run and its JSON.
fn check(tmp: &Path, config: &str, password: &str) -> (Run, Value) {
    let path = tmp.join("config.toml");
    std::fs::write(&path, config).unwrap();
    let davsync = Davsync::new(BIN, &path, tmp.join("data")).with_env(PASSWORD_ENV, password);
    let run = davsync.run(&["check", "--json"]);
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.describe()));
    (run, json)
}

/// The finding of `check` on `side` (`null` for the configuration) of
/// `profile`: its status and its detail.
fn finding(json: &Value, profile: &str, side: Option<&str>, check: &str) -> (String, String) {
    let profile_json = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["profile"] == profile)
        .unwrap_or_else(|| panic!("no profile {profile} in {json:#}"));
    let found = profile_json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check && c["side"].as_str() == side)
        .unwrap_or_else(|| panic!("no {side:?} {check} of {profile} in {json:#}"));
    (
        found["status"].as_str().unwrap().to_string(),
        found["detail"].as_str().unwrap().to_string(),
    )
}

/// Panics unless the finding has `status` and its detail holds `words`.
#[track_caller]
fn expect(json: &Value, profile: &str, check: &str, status: &str, words: &str) {
    let side = match check {
        "configuration" => None,
        "folder" => Some("local"),
        _ => Some("server"),
    };
    let (found, detail) = finding(json, profile, side, check);
    assert!(
        found == status && detail.contains(words),
        "{profile} {check}: expected {status} with {words:?}, found {found}: {detail}\n{json:#}"
    );
}

/// The server checks after `check`, which are skipped once it failed.
fn expect_skipped_after(json: &Value, profile: &str, check: &str) {
    let order = [
        "password",
        "reachable",
        "login",
        "collection",
        "writable",
        "sync-collection",
        "clock",
    ];
    let at = order.iter().position(|c| *c == check).unwrap();
    for later in &order[at + 1..] {
        expect(json, profile, later, "skipped", "not checked");
    }
}

#[test]
fn a_good_profile_passes_every_check_on_each_server() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = String::new();
    for server in servers::all() {
        let local = tmp.path().join(&server.name);
        std::fs::create_dir(&local).unwrap();
        config.push_str(&server.profile(&server.name, "events", &local, &server.calendar_url, &[]));
    }
    let radicale = servers::get("radicale");
    let cards = tmp.path().join("cards");
    config.push_str(&radicale.profile("cards", "contacts", &cards, &radicale.addressbook_url, &[]));
    let (run, json) = check(tmp.path(), &config, &radicale.password);
    run.expect_code(0);
    assert_eq!(json["ok"], true, "{json:#}");
    for profile in json["profiles"].as_array().unwrap() {
        for c in profile["checks"].as_array().unwrap() {
            // sabre/dav 1.8 has no sync-collection: said as a warning.
            let expected = if profile["profile"] == "sabredav" && c["check"] == "sync-collection" {
                "warning"
            } else {
                "ok"
            };
            assert_eq!(c["status"], expected, "{c}\n{json:#}");
        }
        assert_eq!(
            profile["checks"].as_array().unwrap().len(),
            9,
            "{profile:#}"
        );
    }
    expect(&json, "cards", "collection", "ok", "an address book");
    expect(
        &json,
        "cards",
        "folder",
        "ok",
        "missing; the first run creates it",
    );

    // The text: one line per check, the profile first, the status third.
    let davsync = Davsync::new(BIN, tmp.path().join("config.toml"), tmp.path().join("data"))
        .with_env(PASSWORD_ENV, &radicale.password);
    let run = davsync.run(&["check", "radicale"]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{}", run.describe());
    assert!(
        lines.iter().all(|l| l.starts_with("radicale: ")),
        "{}",
        run.describe()
    );
    assert!(
        lines.contains(&"radicale: server sync-collection ok       supported"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_wrong_password_a_server_not_there_and_urls_of_no_collection_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let server = servers::get("radicale");
    let proxy = FaultProxy::plain(&origin(&server.base_url), 0);
    let unreachable = proxy.url(&server.calendar_url);
    // The port now refuses connections, as a stopped server's does.
    drop(proxy);
    let local = |name: &str| tmp.path().join(name);
    let calendar = server.calendar_url.trim_end_matches('/');
    let missing = format!(
        "{}/no-such-calendar/",
        &calendar[..calendar.rfind('/').unwrap()]
    );
    let mut config = server.profile("unreachable", "events", &local("u"), &unreachable, &[]);
    config.push_str(&server.profile("root", "events", &local("r"), &server.base_url, &[]));
    config.push_str(&server.profile("missing", "events", &local("m"), &missing, &[]));
    config.push_str(&server.profile(
        "item",
        "events",
        &local("i"),
        &format!("{}x.ics", server.calendar_url),
        &[],
    ));
    // An address book for a calendar profile: `profile` makes it a caldav store.
    config.push_str(&server.profile("kind", "events", &local("k"), &server.addressbook_url, &[]));
    config.push_str(&format!(
        "[profiles.wrong]\ncontent = \"events\"\nlocal = {{ type = \"vdir\", path = {:?} }}\n\
         server = {{ type = \"caldav\", url = {:?}, username = \"alice\", password_command = \"echo not-the-password\" }}\n",
        local("w"),
        server.calendar_url
    ));
    let (run, json) = check(tmp.path(), &config, &server.password);
    run.expect_code(1);
    assert_eq!(json["ok"], false, "{json:#}");

    expect(
        &json,
        "wrong",
        "password",
        "ok",
        "password_command `echo not-the-password`",
    );
    expect(&json, "wrong", "reachable", "ok", "answered");
    expect(&json, "wrong", "login", "error", "401");
    expect(&json, "wrong", "login", "error", "password_command");
    expect_skipped_after(&json, "wrong", "login");

    expect(&json, "unreachable", "reachable", "error", "offline");
    expect_skipped_after(&json, "unreachable", "reachable");

    expect(&json, "root", "login", "ok", "accepted");
    expect(
        &json,
        "root",
        "collection",
        "error",
        "not a calendar: a collection of another kind",
    );
    expect(&json, "missing", "collection", "error", "404");
    expect(&json, "item", "collection", "error", "404");
    expect(
        &json,
        "kind",
        "collection",
        "error",
        "an address book, but a caldav store needs a calendar",
    );
    for profile in ["root", "missing", "item", "kind"] {
        expect(&json, profile, "writable", "skipped", "no collection");
        // The folder and the password are fine all the same.
        expect(&json, profile, "folder", "ok", "");
        assert_eq!(
            json["profiles"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["profile"] == profile)
                .unwrap()["ok"],
            false,
            "{json:#}"
        );
    }
}

#[test]
fn a_read_only_collection_is_an_error_in_a_mode_that_writes_to_it() {
    let tmp = tempfile::tempdir().unwrap();
    let server = servers::get("sabredav");
    let url = server.env("DAV_READONLY_CALENDAR_URL").to_string();
    let mut config = server.profile("two-way", "events", &tmp.path().join("a"), &url, &[]);
    config.push_str(&server.profile(
        "reader",
        "events",
        &tmp.path().join("b"),
        &url,
        &[("mode", "\"to-local\"")],
    ));
    config.push_str(&server.profile(
        "own",
        "events",
        &tmp.path().join("c"),
        &server.calendar_url,
        &[],
    ));
    let (run, json) = check(tmp.path(), &config, &server.password);
    run.expect_code(1);
    expect(&json, "two-way", "collection", "ok", "a calendar");
    expect(&json, "two-way", "writable", "error", "read-only");
    expect(&json, "two-way", "writable", "error", "mode = \"to-local\"");
    expect(
        &json,
        "reader",
        "writable",
        "ok",
        "read-only; mode to-local writes nothing there",
    );
    expect(&json, "own", "writable", "ok", "may write");
    // sabre/dav 1.8 has no sync-collection: a warning, not an error.
    for profile in ["reader", "own"] {
        expect(
            &json,
            profile,
            "sync-collection",
            "warning",
            "not supported",
        );
        let p = json["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["profile"] == profile)
            .unwrap();
        assert_eq!(p["ok"], true, "{json:#}");
    }
}

#[test]
fn a_folder_that_cannot_be_written_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
    // Root writes into a 0555 folder all the same: then the folder is one
    // below a regular file, which no one can create.
    let folder = if std::fs::write(locked.join("probe"), "").is_ok() {
        eprintln!("note: running as root, 0555 does not stop writes; using a folder under a file");
        std::fs::remove_file(locked.join("probe")).unwrap();
        let file = tmp.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        file.join("cal")
    } else {
        locked.clone()
    };
    let backup = tmp.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    let store = |p: &Path| format!("{{ type = \"vdir\", path = {:?} }}", p);
    let config = format!(
        "[profiles.two-way]\ncontent = \"events\"\nlocal = {}\nserver = {}\n\n\
         [profiles.backup]\ncontent = \"events\"\nmode = \"to-server\"\nlocal = {}\nserver = {}\n",
        store(&folder),
        store(&backup),
        store(&folder),
        store(&tmp.path().join("backup2")),
    );
    let (run, json) = check(tmp.path(), &config, "");
    #[cfg(unix)]
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    run.expect_code(1);
    expect(
        &json,
        "two-way",
        "folder",
        "error",
        &folder.display().to_string(),
    );
    let (status, detail) = finding(&json, "two-way", Some("server"), "folder");
    assert_eq!(
        (status.as_str(), detail.contains("is writable")),
        ("ok", true),
        "{detail}"
    );
    if folder == locked {
        // Only read in to-server mode: fine.
        expect(
            &json,
            "backup",
            "folder",
            "ok",
            "mode to-server writes nothing there",
        );
    }
}
