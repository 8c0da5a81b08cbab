//! A server that lies about its ETags: `davsync sync` between a folder and
//! a real server (Radicale, SOGo) reached through a proxy that gives every
//! item the same ETag and takes `If-Match` away from requests (so the server
//! takes every write, as one whose ETags always match would). Changes made
//! on the server behind that unchanging ETag must not be overwritten or
//! deleted: each is found when davsync reads the item back before writing
//! to it, settled by the conflict policy (here: keep both), and reported;
//! the server is then distrusted, read in full once, and the runs after it
//! bring every change across.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::cli::{Davsync, Run};
use davsync_testkit::faults::{FaultProxy, Rates, origin};
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items::event_modified;
use davsync_testkit::servers::{self, PASSWORD_ENV};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

fn sync(davsync: &Davsync) -> (Run, Value) {
    let (run, json) = davsync.sync_json(&[], String::new);
    (run, json["reports"][0].clone())
}

/// The texts of a report's warnings and errors.
fn messages(report: &Value, kind: &str) -> Vec<String> {
    report[kind]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| format!("{} {}", m["uid"].as_str().unwrap_or("-"), m["message"]))
        .collect()
}

/// Replaces `uid` on the server, straight (not through the proxy).
fn edit_on_server(
    runtime: &tokio::runtime::Runtime,
    collection: &Collection,
    uid: &str,
    body: &str,
) {
    runtime.block_on(async {
        let items = servers::items_by_uid(collection).await;
        servers::put_event(collection, items[uid].first(), uid, body, String::new).await;
    });
}

fn summaries_local(local: &Path) -> BTreeMap<String, Vec<String>> {
    items_by_uid(local, "ics")
        .into_iter()
        .map(|(uid, files)| {
            let s = files
                .iter()
                .map(|(_, item)| item.summary().unwrap_or_default().to_string())
                .collect();
            (uid, s)
        })
        .collect()
}

fn summaries_server(
    runtime: &tokio::runtime::Runtime,
    collection: &Collection,
) -> BTreeMap<String, Vec<String>> {
    runtime
        .block_on(servers::items_by_uid(collection))
        .into_iter()
        .map(|(uid, items)| {
            let s = items
                .iter()
                .map(|i| i.item.summary().unwrap_or_default().to_string())
                .collect();
            (uid, s)
        })
        .collect()
}

fn changes_hidden_behind_one_etag_are_not_lost(name: &str) {
    let server = servers::get(name);
    let (runtime, collection) = server.blocking_collection(CollectionKind::Calendar);
    let proxy = FaultProxy::start_with(
        &origin(&server.base_url),
        Rates::default(),
        1,
        Duration::from_millis(1),
        &["--lie-etags"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (local, data) = (root.join("local"), root.join("data"));
    fs::create_dir(&local).unwrap();
    let config = root.join("config.toml");
    fs::write(
        &config,
        server.profile(
            "lies",
            "events",
            &local,
            &proxy.url(&server.url_of(&collection)),
            &[("conflicts", "\"keep-both\"")],
        ),
    )
    .unwrap();
    let davsync = Davsync::new(BIN, config, &data).with_env(PASSWORD_ENV, &server.password);

    for uid in ["a", "b", "c", "d", "e"] {
        let body = event_modified(uid, &format!("{uid} as it was"), "20260101T000000Z");
        write_file(&local, &format!("{uid}.ics"), &body);
    }
    let (run, first) = sync(&davsync);
    assert_eq!(run.code, Some(0), "{first:#}");
    assert_eq!(first["server"]["created"], 5, "{first:#}");

    // Behind the one ETag: a is edited on the server only; b on both sides
    // (the local edit newer); c on the server and deleted here; d here only.
    let server_edit = |uid: &str| {
        let body = event_modified(
            uid,
            &format!("{uid} edited on the server"),
            "20260102T000000Z",
        );
        edit_on_server(&runtime, &collection, uid, &body);
    };
    for uid in ["a", "b", "c"] {
        server_edit(uid);
    }
    let local_edit = |uid: &str| {
        let body = event_modified(uid, &format!("{uid} edited here"), "20260103T000000Z");
        write_file(&local, &format!("{uid}.ics"), &body);
    };
    local_edit("b");
    local_edit("d");
    fs::remove_file(local.join("c.ics")).unwrap();

    let (run, second) = sync(&davsync);
    assert_eq!(run.code, Some(0), "{}\n{second:#}", run.describe());
    let warnings = messages(&second, "warnings");
    for uid in ["b", "c"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&format!("{uid} "))
                    && w.contains("without changing its version")),
            "{uid}: no warning about its unchanged ETag: {warnings:#?}"
        );
    }
    assert!(
        warnings.iter().any(|w| w.contains("not trusted any more")),
        "{warnings:#?}"
    );
    // Nothing the server held was overwritten or deleted.
    let on_server = summaries_server(&runtime, &collection);
    let texts: Vec<&String> = on_server.values().flatten().collect();
    for kept in [
        "b edited on the server",
        "c edited on the server",
        "b edited here",
        "d edited here",
    ] {
        assert!(
            texts.iter().any(|t| t.starts_with(kept)),
            "{kept:?} is not on the server: {on_server:#?}\n{second:#}"
        );
    }

    let status: Value = serde_json::from_str(&davsync.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["profiles"][0]["distrusted"],
        serde_json::json!(["server"]),
        "{status:#}"
    );

    // Distrusted now: the next run reads the server once in full and brings
    // a's hidden edit; then both sides agree and a run has nothing to do.
    let (run, third) = sync(&davsync);
    assert_eq!(run.code, Some(0), "{}\n{third:#}", run.describe());
    let (run, fourth) = sync(&davsync);
    assert_eq!(run.code, Some(0), "{}\n{fourth:#}", run.describe());
    for side in ["local", "server"] {
        for count in ["created", "updated", "deleted"] {
            assert_eq!(fourth[side][count], 0, "{fourth:#}");
        }
    }
    let here = summaries_local(&local);
    let there = summaries_server(&runtime, &collection);
    assert_eq!(here, there, "the sides differ\n{third:#}");
    let get = |uid: &str| here.get(uid).cloned().unwrap_or_default();
    assert_eq!(get("a"), ["a edited on the server"]);
    assert_eq!(get("b"), ["b edited here"]);
    assert_eq!(get("c"), ["c edited on the server"]);
    assert_eq!(get("d"), ["d edited here"]);
    assert_eq!(get("e"), ["e as it was"]);
    let copies: Vec<(&String, &Vec<String>)> = here
        .iter()
        .filter(|(uid, _)| uid.starts_with("b-conflict-"))
        .collect();
    assert_eq!(copies.len(), 1, "one conflict copy of b: {here:#?}");
    assert!(
        copies[0].1[0].starts_with("b edited on the server (conflict copy"),
        "{copies:?}"
    );
    assert_eq!(here.len(), 6, "{here:#?}");
}

#[test]
fn radicale_changes_hidden_behind_one_etag_are_not_lost() {
    changes_hidden_behind_one_etag_are_not_lost("radicale");
}

#[test]
fn sogo_changes_hidden_behind_one_etag_are_not_lost() {
    changes_hidden_behind_one_etag_are_not_lost("sogo");
}
