//! A server that goes away and comes back: `davsync sync` against a real
//! server (Radicale) reached through a plain proxy that is stopped (the port
//! then refuses connections, as a stopped server's does) and started again
//! on the same port. Offline runs are skipped with a warning (exit 0) up to
//! `offline_tolerance` in a row, then are errors (exit 1); once the server is
//! back, the run catches up and nothing is lost.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::CollectionKind;
use davsync_testkit::cli::Davsync;
use davsync_testkit::faults::{FaultProxy, origin};
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items::event;
use davsync_testkit::servers::{self, PASSWORD_ENV};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

/// The profile's one report in a `sync --json` output.
fn report(json: &Value) -> &Value {
    &json["reports"][0]
}

#[test]
fn a_stopped_server_is_skipped_offline_up_to_the_tolerance_then_an_error() {
    let server = servers::get("radicale");
    let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
    let upstream = origin(&server.base_url);
    let proxy = FaultProxy::plain(&upstream, 0);
    let port = proxy.port;
    let url = proxy.url(&server.url_of(&collection));
    let tmp = tempfile::tempdir().unwrap();
    let (local, data) = (tmp.path().join("local"), tmp.path().join("data"));
    std::fs::create_dir(&local).unwrap();
    for i in 0..3 {
        write_file(
            &local,
            &format!("e{i}.ics"),
            &event(&format!("e{i}"), "E", ""),
        );
    }
    let config = tmp.path().join("config.toml");
    let extra = [("offline_tolerance", "2"), ("time_range", "false")];
    std::fs::write(
        &config,
        server.profile("cal", "events", &local, &url, &extra),
    )
    .unwrap();
    let davsync = Davsync::new(BIN, &config, &data).with_env(PASSWORD_ENV, &server.password);
    let context = || "radicale through a proxy".to_string();

    let (run, json) = davsync.sync_json(&[], context);
    run.expect_code(0);
    assert_eq!(report(&json)["server"]["created"], 3, "{json:#}");

    // The server stops; meanwhile an event is written here.
    drop(proxy);
    write_file(&local, "e3.ics", &event("e3", "Written offline", ""));
    for n in 1..=2 {
        let (run, json) = davsync.sync_json(&[], context);
        run.expect_code(0);
        let r = report(&json);
        assert_eq!(r["result"], "offline", "{json:#}");
        assert_eq!(r["errors"], Value::Array(Vec::new()), "{json:#}");
        assert_eq!(r["warnings"][0]["kind"], "offline", "{json:#}");
        let message = r["warnings"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("{n} of 2")), "{message}");
        // Refused: asked once, not again after pauses.
        assert_eq!(r["requests"][1], 1, "{json:#}");
    }
    // Past the tolerance: an error, said in words a person reads too.
    let run = davsync.run(&["sync"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("offline for 3 runs in a row")
            && run.stdout.contains("offline_tolerance"),
        "{}",
        run.describe()
    );

    // The server is back, on the same port: the run catches up.
    let proxy = FaultProxy::plain(&upstream, port);
    let (run, json) = davsync.sync_json(&[], context);
    run.expect_code(0);
    let r = report(&json);
    assert_eq!(
        (r["result"].as_str(), &r["server"]["created"]),
        (Some("ok"), &Value::from(1)),
        "{json:#}"
    );
    let on_server: Vec<String> = runtime.block_on(async {
        let hrefs: Vec<String> = collection
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.href)
            .collect();
        collection
            .multiget(&hrefs)
            .await
            .unwrap()
            .into_iter()
            .map(|b| {
                davsync_pim::Item::parse(b.unwrap().data)
                    .unwrap()
                    .uid()
                    .to_string()
            })
            .collect()
    });
    let mut on_server = on_server;
    on_server.sort();
    let here: Vec<String> = items_by_uid(&local, "ics").into_keys().collect();
    assert_eq!(on_server, here);
    assert_eq!(here, ["e0", "e1", "e2", "e3"]);
    // Offline again: the count started over when the server was reached.
    drop(proxy);
    let (run, json) = davsync.sync_json(&[], context);
    run.expect_code(0);
    let message = report(&json)["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("1 of 2"), "{message}");
    // Text output names the skip.
    let run = davsync.run(&["sync"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("cal: skipped: offline"),
        "{}",
        run.describe()
    );
}
