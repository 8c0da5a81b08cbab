//! Tests of the configuration as a whole: profiles, stores, errors that
//! name the file, the line and the key.

use super::*;
use crate::config::store::ResolvedStore;
use crate::secrets::PasswordSource;
use davsync_sync::{ConflictPolicy, Mode};

const GOOD: &str = r#"
[general]
data_dir = "state"

[profiles.work]
content = "events"
mode = "to-server-merge"
conflicts = "keep-both"
max_delete = 20
category = "Work"
category_include_uncategorized = true
local = { type = "vdir", path = "cal" }
server = { type = "vdir", path = "/media/backup/work" }

[profiles.people]
content = "contacts"
local = { type = "vdir", path = "~/contacts" }
server = { type = "vdir", path = "/srv/contacts" }
"#;

/// A file holding a password warns when others may read it, and only then.
#[cfg(unix)]
#[test]
fn a_readable_file_with_a_password_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let profile = |password_key: &str| {
        format!(
            "[profiles.p]\ncontent = \"events\"\nlocal = {{ type = \"vdir\", path = \"l\" }}\n\
             server = {{ type = \"caldav\", url = \"https://dav.example.org/c/\", \
             username = \"u\", {password_key} }}\n"
        )
    };
    let check = |text: &str, mode: u32| {
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        Config::load(&path).unwrap().exposure_warning()
    };
    let plain = profile("password = \"hunter2\"");
    let warning = check(&plain, 0o644).expect("readable by others");
    assert!(
        warning.contains("chmod 600") && warning.contains("644"),
        "{warning}"
    );
    assert!(!warning.contains("hunter2"));
    assert_eq!(check(&plain, 0o600), None);
    assert_eq!(check(&profile("password_env = \"PW\""), 0o644), None);
    let proxy = profile(
        "password_env = \"PW\", proxy = \"http://proxy:3128\", proxy_username = \"p\", proxy_password = \"x\"",
    );
    assert!(
        check(&proxy, 0o640).is_some(),
        "a proxy password counts too"
    );
}

#[test]
fn parses_the_documented_example() {
    let cfg = Config::parse(GOOD, Path::new("/etc/davsync/config.toml")).unwrap();
    assert_eq!(
        cfg.data_dir.as_deref(),
        Some(Path::new("/etc/davsync/state"))
    );
    let work = &cfg.profiles[1];
    assert_eq!(work.name, "work");
    assert_eq!(work.mode, Mode::ToServerMerge);
    assert_eq!(work.conflicts, ConflictPolicy::KeepBoth);
    assert_eq!(work.max_delete, 20);
    assert!(work.category.as_ref().unwrap().include_uncategorized);
    let ResolvedStore::Vdir { path } = &work.local else {
        panic!("vdir expected")
    };
    assert_eq!(path, Path::new("/etc/davsync/cal"));
    let people = &cfg.profiles[0];
    assert_eq!(people.mode, Mode::TwoWay);
    assert_eq!(people.max_delete, 50);
    let ResolvedStore::Vdir { path } = &people.local else {
        panic!("vdir expected")
    };
    assert!(path.ends_with("contacts") && path.is_absolute());
}

#[test]
fn time_range_defaults_to_the_guide_for_calendars_and_can_be_set_or_turned_off() {
    let profile = |content: &str, extra: &str| {
        format!(
            "[profiles.p]\ncontent = \"{content}\"\n{extra}\nlocal = {{ type = \"vdir\", path = \"a\" }}\n\
             server = {{ type = \"vdir\", path = \"b\" }}\n"
        )
    };
    let range = |content: &str, extra: &str| {
        Config::parse(&profile(content, extra), Path::new("/x/c.toml"))
            .unwrap()
            .profiles[0]
            .time_range
    };
    assert_eq!(range("events", ""), Some((60, 365)));
    assert_eq!(range("tasks", ""), Some((60, 365)));
    assert_eq!(range("contacts", ""), None);
    assert_eq!(range("events", "time_range = false"), None);
    assert_eq!(range("events", "time_range = true"), Some((60, 365)));
    assert_eq!(
        range("events", "time_range = { past_days = 7, future_days = 30 }"),
        Some((7, 30))
    );
    assert_eq!(
        range("events", "time_range = { past_days = 0 }"),
        Some((0, 365))
    );
    for (content, extra, says) in [
        ("events", "time_range = { past = 7 }", "unknown key `past`"),
        (
            "events",
            "time_range = { past_days = -1 }",
            "from 0 to 36500",
        ),
        ("events", "time_range = 30", "must be `false` or a table"),
        ("contacts", "time_range = true", "contacts have no dates"),
    ] {
        let e = error_of(&profile(content, extra));
        assert!(
            e.contains("profiles.p.time_range") && e.contains("line 3") && e.contains(says),
            "{extra}: {e}"
        );
    }
}

pub(super) fn error_of(source: &str) -> String {
    Config::parse(source, Path::new("/x/config.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn errors_name_file_line_and_key() {
    let bad_mode = GOOD.replace("\"to-server-merge\"", "\"sideways\"");
    let e = error_of(&bad_mode);
    assert!(e.starts_with("/x/config.toml, line 7"), "{e}");
    assert!(e.contains("sideways"), "{e}");

    let e = error_of(&GOOD.replace("max_delete = 20", "max_delete = 200"));
    assert!(
        e.contains("line 9") && e.contains("profiles.work.max_delete"),
        "{e}"
    );

    let e = error_of(&GOOD.replace("category = \"Work\"", "category = \"A,B\""));
    assert!(
        e.contains("line 10") && e.contains("profiles.work.category"),
        "{e}"
    );

    let e = error_of(&GOOD.replace("mode = ", "moed = "));
    assert!(e.contains("line 7") && e.contains("moed"), "{e}");

    let missing = GOOD.replace("content = \"contacts\"\n", "");
    let e = error_of(&missing);
    assert!(e.contains("content") && e.contains("line"), "{e}");

    let e = error_of(&GOOD.replace("[profiles.work]", "[profiles.\"a/b\"]"));
    assert!(e.contains("profiles.a/b") && e.contains("line 5"), "{e}");

    let e = error_of(&GOOD.replace(
        "type = \"vdir\", path = \"cal\"",
        "type = \"ftp\", path = \"cal\"",
    ));
    assert!(e.contains("ftp") && e.contains("line 12"), "{e}");
}

#[test]
fn server_stores() {
    let source = r#"
[profiles.cal]
content = "tasks"
local = { type = "vdir", path = "tasks" }
server = { type = "caldav", url = "https://dav.example.org/alice/tasks/", username = "alice", password_env = "DAV_PW", timeout_seconds = 30 }
"#;
    let cfg = Config::parse(source, Path::new("/x/c.toml")).unwrap();
    let ResolvedStore::Dav(dav) = &cfg.profiles[0].server else {
        panic!("dav expected")
    };
    assert_eq!(dav.url, "https://dav.example.org/alice/tasks/");
    assert_eq!(dav.timeout.as_secs(), 30);
    assert_eq!(
        (cfg.profiles[0].chunk_size, cfg.profiles[0].concurrency),
        (100, 4)
    );
    let e = error_of(&source.replace(
        "content = \"tasks\"",
        "content = \"tasks\"\nconcurrency = 0",
    ));
    assert!(
        e.contains("profiles.cal.concurrency") && e.contains("line 4"),
        "{e}"
    );
    let tuned = Config::parse(
        &source.replace(
            "content = \"tasks\"",
            "content = \"tasks\"\nchunk_size = 25\nconcurrency = 8",
        ),
        Path::new("/x/c.toml"),
    )
    .unwrap();
    assert_eq!(
        (tuned.profiles[0].chunk_size, tuned.profiles[0].concurrency),
        (25, 8)
    );
    assert!(matches!(dav.password, Some(PasswordSource::Env(ref v)) if v == "DAV_PW"));

    let e = error_of(&source.replace("\"caldav\"", "\"carddav\""));
    assert!(
        e.contains("profiles.cal.server.type") && e.contains("tasks"),
        "{e}"
    );
    let e = error_of(&source.replace("https://dav.example.org", "ftp://x"));
    assert!(e.contains("profiles.cal.server.url"), "{e}");
    let e = error_of(&source.replace(
        "https://dav.example.org",
        "https://alice:pw@dav.example.org",
    ));
    assert!(e.contains("username") && !e.contains("pw@"), "{e}");
    let e = error_of(&source.replace(
        "password_env = \"DAV_PW\"",
        "password_env = \"X\", password = \"p\"",
    ));
    assert!(
        e.contains("password_env") && e.contains("password") && e.contains("line 5"),
        "{e}"
    );
}

#[test]
fn dav_keys_on_a_vdir_store_are_errors() {
    let profile = |local: &str| {
        format!(
            "[profiles.p]\ncontent = \"events\"\nlocal = {{ type = \"vdir\", path = \"a\"{local} }}\n\
             server = {{ type = \"vdir\", path = \"b\" }}\n"
        )
    };
    for key in [
        "url = \"https://dav.example.org/\"",
        "username = \"alice\"",
        "password_env = \"P\"",
        "timeout_seconds = 30",
        "close_connection = true",
        "preemptive_auth = false",
        "force_basic_auth = true",
        "retries = 1",
        "accept_invalid_xml_chars = true",
        "lenient_headers = true",
        "proxy = \"none\"",
        "proxy_username = \"bob\"",
        "proxy_password_command = \"pass\"",
        "proxy_password_keyring = true",
        "proxy_password_env = \"P\"",
        "proxy_password = \"x\"",
        "tls_ca_file = \"ca.pem\"",
        "tls_client_cert = \"c.pem\"",
        "tls_client_key = \"k.pem\"",
        "tls_fingerprint = \"AB\"",
        "tls_insecure = true",
    ] {
        let name = key.split(' ').next().unwrap();
        let e = error_of(&profile(&format!(", {key}")));
        assert!(
            e.contains(&format!("key `profiles.p.local.{name}`"))
                && e.contains("line 3")
                && e.contains("caldav and carddav stores only"),
            "{key}: {e}"
        );
    }
    let e = error_of(&profile(", tls_insecure = true, retries = 2"));
    assert!(
        e.contains("profiles.p.local.tls_insecure") && e.contains("`tls_insecure`, `retries` are"),
        "{e}"
    );
}

#[test]
fn select_names_unknown_profiles() {
    let cfg = Config::parse(GOOD, Path::new("/x/c.toml")).unwrap();
    assert_eq!(cfg.select(&[]).unwrap().run.len(), 2);
    let e = cfg.select(&["nope".into()]).unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("people, work"), "{e}");
}

#[test]
fn inactive_is_read_and_defaults_to_false() {
    let cfg = Config::parse(
        &GOOD.replace("max_delete = 20", "inactive = true"),
        Path::new("/x/c.toml"),
    )
    .unwrap();
    let inactive = |name: &str| {
        cfg.profiles
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .inactive
    };
    assert!(inactive("work"));
    assert!(!inactive("people"));
    let e = format!(
        "{:#}",
        Config::parse(
            &GOOD.replace("max_delete = 20", "inactive = \"yes\""),
            Path::new("/x/c.toml")
        )
        .unwrap_err()
    );
    assert!(e.contains("line 9") && e.contains("boolean"), "{e}");
}

#[test]
fn select_leaves_inactive_profiles_out_unless_named() {
    let cfg = Config::parse(
        &GOOD.replace("max_delete = 20", "inactive = true"),
        Path::new("/x/c.toml"),
    )
    .unwrap();
    let names = |profiles: &[&Profile]| -> Vec<String> {
        profiles.iter().map(|p| p.name.clone()).collect()
    };
    let all = cfg.select(&[]).unwrap();
    assert_eq!(names(&all.run), ["people"]);
    assert_eq!(names(&all.inactive), ["work"]);
    let named = cfg.select(&["work".into()]).unwrap();
    assert_eq!(names(&named.run), ["work"]);
    assert!(named.inactive.is_empty());
    let both = cfg.select(&["work".into(), "people".into()]).unwrap();
    assert_eq!(names(&both.run), ["work", "people"]);
    assert!(both.inactive.is_empty());
}

#[test]
fn full_listing_interval_reads_a_duration_or_off() {
    let parse = |value: &str| {
        let source = GOOD.replace(
            "max_delete = 20",
            &format!("max_delete = 20\nfull_listing_interval = {value}"),
        );
        Config::parse(&source, Path::new("/x/config.toml"))
            .map(|c| c.profiles.into_iter().find(|p| p.name == "work").unwrap())
    };
    let every = |value: &str| parse(value).unwrap().full_listing_every;
    assert_eq!(
        every("\"12h\""),
        Some(std::time::Duration::from_secs(12 * 3600))
    );
    assert_eq!(every("\"off\""), None);
    let people = Config::parse(GOOD, Path::new("/x/config.toml"))
        .unwrap()
        .profiles
        .into_iter()
        .find(|p| p.name == "people")
        .unwrap();
    assert_eq!(
        people.full_listing_every,
        Some(std::time::Duration::from_secs(86_400))
    );
    let e = parse("\"soon\"").unwrap_err().to_string();
    assert!(
        e.contains("line 10") && e.contains("profiles.work.full_listing_interval"),
        "{e}"
    );
    assert!(e.contains("is not a duration such as"), "{e}");
    let e = parse("12").unwrap_err().to_string();
    assert!(e.contains("line 10"), "{e}");
}

#[test]
fn category_sticky_is_read_and_needs_a_category() {
    let sticky = GOOD.replace(
        "category_include_uncategorized = true",
        "category_include_uncategorized = true\ncategory_sticky = true",
    );
    let config = Config::parse(&sticky, Path::new("/x/config.toml")).unwrap();
    let work = config.profiles.iter().find(|p| p.name == "work").unwrap();
    assert!(work.category.as_ref().unwrap().sticky);
    let plain = Config::parse(GOOD, Path::new("/x/config.toml")).unwrap();
    let work = plain.profiles.iter().find(|p| p.name == "work").unwrap();
    assert!(!work.category.as_ref().unwrap().sticky);
    let alone = GOOD.replace(
        "category = \"Work\"\ncategory_include_uncategorized = true",
        "category_sticky = true",
    );
    let e = error_of(&alone);
    assert!(
        e.contains("category_sticky") && e.contains("need a `category`"),
        "{e}"
    );
}

#[test]
fn duplicates_defaults_to_report_for_events_and_is_an_events_key() {
    use davsync_sync::Duplicates;
    let config = Config::parse(GOOD, Path::new("/x/config.toml")).unwrap();
    let of = |name: &str| {
        config
            .profiles
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .duplicates
    };
    assert_eq!(of("work"), Duplicates::Report);
    assert_eq!(of("people"), Duplicates::Off);
    let remove = GOOD.replace(
        "max_delete = 20",
        "max_delete = 20\nduplicates = \"remove\"",
    );
    let config = Config::parse(&remove, Path::new("/x/config.toml")).unwrap();
    assert_eq!(
        config
            .profiles
            .iter()
            .find(|p| p.name == "work")
            .unwrap()
            .duplicates,
        Duplicates::Remove
    );
    let on_contacts = GOOD.replace(
        "content = \"contacts\"",
        "content = \"contacts\"\nduplicates = \"report\"",
    );
    let e = error_of(&on_contacts);
    assert!(
        e.contains("profiles.people.duplicates") && e.contains("events profile"),
        "{e}"
    );
    let bad = GOOD.replace(
        "max_delete = 20",
        "max_delete = 20\nduplicates = \"delete\"",
    );
    assert!(error_of(&bad).contains("delete"));
}

/// Mapping options: read per profile, one direction overriding `reminders`,
/// refused in a contacts profile.
#[test]
fn mapping_options_are_read_and_refused_for_contacts() {
    use davsync_sync::mapping::{Reminders, TaskDates, TimeZones};
    let source = GOOD.replace(
        "max_delete = 20",
        "reminders = \"upcoming\"\nreminders_to_local = \"all\"\ntimezones = \"iana\"\ntimezone_history = true\ntask_dates = \"floating\"",
    );
    let cfg = Config::parse(&source, Path::new("/x/c.toml")).unwrap();
    let work = cfg.profiles.iter().find(|p| p.name == "work").unwrap();
    assert_eq!(work.time_options.reminders_to_server, Reminders::Upcoming);
    assert_eq!(work.time_options.reminders_to_local, Reminders::All);
    assert_eq!(work.time_options.timezones, TimeZones::Iana);
    assert!(work.time_options.timezone_history);
    assert_eq!(work.time_options.task_dates, TaskDates::Floating);
    let people = cfg.profiles.iter().find(|p| p.name == "people").unwrap();
    assert_eq!(people.time_options.reminders_to_server, Reminders::All);
    assert_eq!(people.time_options.timezones, TimeZones::Keep);

    let e = error_of(&GOOD.replace(
        "content = \"contacts\"\n",
        "content = \"contacts\"\ntimezones = \"utc\"\n",
    ));
    assert!(
        e.contains("profiles.people.timezones") && e.contains("contacts"),
        "{e}"
    );
    let e = error_of(&GOOD.replace("max_delete = 20", "reminders = \"some\""));
    assert!(e.contains("line 9") && e.contains("upcoming"), "{e}");
}

#[test]
fn profiles_that_share_a_folder_or_a_collection_are_kept_apart() {
    let all = Config::parse(
        r#"
[profiles.events]
content = "events"
local = { type = "vdir", path = "/cal" }
server = { type = "caldav", url = "https://dav.example.org/cal/" }

[profiles.tasks]
content = "tasks"
local = { type = "vdir", path = "/cal" }
server = { type = "caldav", url = "https://dav.example.org/tasks/" }

[profiles.same_collection]
content = "events"
local = { type = "vdir", path = "/elsewhere" }
server = { type = "caldav", url = "https://dav.example.org/cal" }

[profiles.apart]
content = "events"
local = { type = "vdir", path = "/other" }
server = { type = "caldav", url = "https://dav.example.org/other/" }
"#,
        Path::new("/x/config.toml"),
    )
    .unwrap()
    .profiles;
    let by_name = |n: &str| all.iter().find(|p| p.name == n).unwrap();
    assert!(
        by_name("events").shares_a_store_with(by_name("tasks")),
        "one folder"
    );
    assert!(
        by_name("events").shares_a_store_with(by_name("same_collection")),
        "one collection, with or without its slash"
    );
    assert!(!by_name("tasks").shares_a_store_with(by_name("same_collection")));
    for other in ["events", "tasks", "same_collection"] {
        assert!(
            !by_name("apart").shares_a_store_with(by_name(other)),
            "{other}"
        );
    }
}
