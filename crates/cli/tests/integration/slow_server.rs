//! A server slower than the profile's `timeout_seconds` on a first read: the
//! run ends with a timeout error that names the setting, after the one request
//! that timed out. (Falling back to a query, a listing and the token would ask
//! the server for as much again while it still works on the request given up
//! on: Radicale with 100,000 events stayed busy for minutes that way.)

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::CollectionKind;
use davsync_testkit::cli::Davsync;
use davsync_testkit::faults::{FaultProxy, Rates, Traced, origin};
use davsync_testkit::folder::items_by_uid;
use davsync_testkit::items::event;
use davsync_testkit::servers::{self, PASSWORD_ENV};
use std::time::Duration;

#[test]
fn a_first_read_that_times_out_ends_the_run_with_the_setting_named() {
    let server = servers::get("radicale");
    let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
    for uid in ["slow1", "slow2"] {
        runtime
            .block_on(collection.create(
                &format!("{}{uid}.ics", collection.href()),
                &event(uid, "Slow", ""),
            ))
            .unwrap();
    }
    // Every request waits 3 s at the proxy: longer than the 1 s the profile allows.
    let proxy = FaultProxy::start_with(
        &origin(&server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
        &["--hold", "3", "--trace"],
    );
    let url = proxy.url(&server.url_of(&collection));
    let tmp = tempfile::tempdir().unwrap();
    let (local, data) = (tmp.path().join("local"), tmp.path().join("data"));
    std::fs::create_dir(&local).unwrap();
    let config = tmp.path().join("config.toml");
    let profile = server
        .profile("cal", "events", &local, &url, &[("time_range", "false")])
        .replace(
            &format!("password_env = \"{PASSWORD_ENV}\" }}"),
            &format!("password_env = \"{PASSWORD_ENV}\", timeout_seconds = 1, retries = 0 }}"),
        );
    assert!(profile.contains("timeout_seconds = 1"), "{profile}");
    std::fs::write(&config, profile).unwrap();
    let davsync = Davsync::new(env!("CARGO_BIN_EXE_davsync"), &config, &data)
        .with_env(PASSWORD_ENV, &server.password);

    let (run, json) = davsync.sync_json(&[], || "radicale behind a slow proxy".to_string());
    run.expect_code(1);
    let report = &json["reports"][0];
    assert_eq!(report["errors"][0]["kind"], "timeout", "{json:#}");
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("raise timeout_seconds"), "{message}");
    assert!(items_by_uid(&local, "ics").is_empty(), "nothing is written");

    // The collection was asked once: the first read's first request (the
    // token), not a fallback after it.
    // (The proxy logs a request as it comes, even one the client gave up on;
    // half a second for the last line to be written.)
    std::thread::sleep(Duration::from_millis(500));
    let asked: Vec<String> = proxy
        .trace()
        .into_iter()
        .filter_map(|t| match t {
            Traced::Begin { method, path, .. } if path.starts_with(collection.href()) => {
                Some(format!("{method} {path}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].starts_with("PROPFIND "), "{asked:?}");
}
