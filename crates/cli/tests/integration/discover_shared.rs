//! `davsync discover` finds the calendars other users share through calendar
//! proxies: on DAViCal (bob made alice his read proxy, carol her write
//! proxy) and on sabre/dav (alice in admin's read-proxy group), as
//! `tests/servers/start.sh` sets them up. Each is listed with who shares it,
//! read-only for a read proxy; `--write` makes that one a `to-local`
//! profile, and a profile of a calendar shared for writing takes alice's
//! events there.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::discover::{PASSWORD_VAR, added_for, collection, json_of, run};
use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event;
use davsync_testkit::servers;

/// `(env key of the shared calendar's URL, its owner, read-only)`.
type Shared<'a> = (&'a str, &'a str, bool);

fn shared_calendars_are_listed(name: &str, expected: &[Shared]) {
    let server = servers::get(name);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("calendars");
    let root_arg = root.to_string_lossy().to_string();
    let discover = |extra: &[&str]| {
        let mut args = vec![
            "discover",
            "--url",
            &server.base_url,
            "--user",
            &server.user,
            "--password-env",
            PASSWORD_VAR,
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args, &server.password, &[])
    };
    let r = discover(&["--json"]);
    r.expect_code(0);
    let json = json_of(&r);
    assert_eq!(
        collection(&json, &server.calendar_url)["shared_by"],
        serde_json::Value::Null
    );
    for (key, owner, read_only) in expected {
        let url = server.env(key);
        let c = collection(&json, url);
        assert_eq!(c["read_only"], *read_only, "{c:#}");
        let by = c["shared_by"].as_str().unwrap_or_else(|| panic!("{c:#}"));
        assert!(by.ends_with(&format!("/{owner}/")), "{c:#}");
    }
    // The table says who shares each.
    let table = discover(&[]);
    table.expect_code(0);
    assert!(table.stdout.contains("SHARED BY"), "{}", table.describe());
    for (key, owner, _) in expected {
        let line = table
            .stdout
            .lines()
            .find(|l| l.ends_with(server.env(key)))
            .unwrap_or_else(|| panic!("{}", table.describe()));
        assert!(line.contains(&format!(" {owner} ")), "{line}");
    }

    // --write: read-only ones are copied to the folder only.
    let r = discover(&["--write", "--local-root", &root_arg, "--json"]);
    r.expect_code(0);
    let json = json_of(&r);
    for (key, _, read_only) in expected {
        let added = added_for(&json, server.env(key));
        assert!(!added.is_empty(), "{json:#}");
        for (profile, _, mode, _) in &added {
            let want = if *read_only { "to-local" } else { "two-way" };
            assert_eq!(mode, want, "{profile}: {json:#}");
        }
    }

    // A calendar shared for writing takes alice's events.
    for (key, _, _) in expected.iter().filter(|(_, _, read_only)| !read_only) {
        let url = server.env(key);
        let added = added_for(&json, url);
        let (profile, _, _, local) = added.iter().find(|a| a.1 == "events").unwrap();
        let uid = format!("from-alice-{}", std::process::id());
        write_file(local, &format!("{uid}.ics"), &event(&uid, "From Alice", ""));
        let r = run(
            dir.path(),
            &["sync", profile, "--json"],
            &server.password,
            &[],
        );
        r.expect_code(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let calendar = Collection::new(server.client(), url, CollectionKind::Calendar).unwrap();
        let held = runtime.block_on(servers::items_by_uid(&calendar));
        assert!(held.contains_key(&uid), "{uid} not in {url}");
    }
}

#[test]
fn davical_shared_calendars_are_listed() {
    shared_calendars_are_listed(
        "davical",
        &[
            ("DAV_SHARED_READ_URL", "bob", true),
            ("DAV_SHARED_WRITE_URL", "carol", false),
        ],
    );
}

#[test]
fn sabredav_shared_calendars_are_listed() {
    shared_calendars_are_listed("sabredav", &[("DAV_SHARED_READ_URL", "admin", true)]);
}
