//! `davsync sync` runs its profiles side by side, up to `max_parallel` at
//! once, never two that share a folder, and prints them in name order: seen
//! through a proxy in front of Radicale that holds every request a moment
//! and logs when each begins and ends.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{PASSWORD_VAR, Setup, folder_items};
use davsync_dav::CollectionKind;
use davsync_testkit::cli::{Davsync, toml_string};
use davsync_testkit::faults::{FaultProxy, Rates, Traced, origin};
use davsync_testkit::items::event;
use std::collections::BTreeMap;
use std::time::Duration;

/// Profile name → (content, folder, and whether the folder is the shared one).
const PROFILES: [(&str, &str, bool); 5] = [
    ("alpha", "events", false),
    ("bravo", "events", false),
    ("charlie", "events", false),
    ("shared_events", "events", true),
    ("shared_tasks", "tasks", true),
];

/// What the proxy saw of one run: the most profiles that had a request in
/// flight at once, and whether the two on the shared folder ever did.
fn side_by_side(trace: &[Traced], collections: &BTreeMap<String, &str>) -> (usize, bool) {
    let profile_of = |path: &str| {
        collections
            .iter()
            .find(|(href, _)| path.starts_with(href.as_str()))
            .map(|(_, name)| *name)
    };
    let mut in_flight: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut most, mut shared_at_once) = (0, false);
    for line in trace {
        match line {
            Traced::Begin { path, .. } => {
                let Some(name) = profile_of(path) else {
                    continue;
                };
                *in_flight.entry(name).or_default() += 1;
                let busy: Vec<&str> = in_flight
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(p, _)| *p)
                    .collect();
                most = most.max(busy.len());
                shared_at_once |= busy.contains(&"shared_events") && busy.contains(&"shared_tasks");
            }
            Traced::End { path } => {
                if let Some(name) = profile_of(path) {
                    *in_flight.get_mut(name).unwrap() -= 1;
                }
            }
        }
    }
    (most, shared_at_once)
}

#[test]
fn profiles_run_side_by_side_in_name_order_never_two_on_one_folder() {
    let s = Setup::new("radicale");
    let proxy = FaultProxy::start_with(
        &origin(&s.server.base_url),
        Rates::default(),
        1,
        Duration::ZERO,
        &["--hold", "0.2", "--trace"],
    );
    let shared = s.folder("shared");
    let mut config = String::new();
    let mut collections = BTreeMap::new();
    for (name, content, on_shared) in PROFILES {
        let cal = s.collection(CollectionKind::Calendar);
        // The first profile has the most to do: it ends last, yet is printed first.
        let items = if name == "alpha" { 30 } else { 1 };
        if content == "events" {
            for i in 0..items {
                let uid = format!("{name}{i}");
                s.put(&cal, &uid, &event(&uid, name, ""));
            }
        }
        let folder = if on_shared {
            shared.clone()
        } else {
            s.folder(name)
        };
        let direct = s.server.url_of(&cal);
        config += &s
            .profile(name, content, &folder, &cal, "chunk_size = 5")
            .replace(&toml_string(&direct), &toml_string(&proxy.url(&direct)));
        collections.insert(cal.href().to_string(), name);
    }
    let path = s.root.join("config.toml");
    let davsync = Davsync::new(env!("CARGO_BIN_EXE_davsync"), &path, s.root.join("data"))
        .with_env(PASSWORD_VAR, &s.server.password);
    let run = |max_parallel: usize| {
        std::fs::write(
            &path,
            format!("[general]\nmax_parallel = {max_parallel}\n\n{config}"),
        )
        .unwrap();
        let before = proxy.trace().len();
        let run = davsync.run(&["sync"]);
        run.expect_code(0);
        let printed: Vec<&str> = run
            .stdout
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(name, _)| name))
            .filter(|name| !name.starts_with(' '))
            .collect();
        let names: Vec<&str> = PROFILES.iter().map(|p| p.0).collect();
        assert_eq!(printed, names, "{}", run.describe());
        side_by_side(&proxy.trace()[before..], &collections)
    };

    // The first run (downloads), then an idle one: each with four at once.
    for _ in 0..2 {
        let (most, shared_at_once) = run(5);
        assert_eq!(
            most, 4,
            "four profiles at once: the shared two one after the other"
        );
        assert!(!shared_at_once, "two profiles of one folder ran at once");
    }
    assert_eq!(folder_items(&s.root.join("alpha"), "ics").len(), 30);
    // One at a time.
    let (most, _) = run(1);
    assert_eq!(most, 1);
}
