//! `log_file` and `log_level`: the log goes into a file named with the day's
//! date (and not to standard error when that is not a terminal); a level that
//! is not one is a configuration error.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_testkit::cli::{Davsync, vdir_profile};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::event;

const BIN: &str = env!("CARGO_BIN_EXE_davsync");

#[test]
fn the_log_goes_into_the_day_s_file_at_its_level() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    write_file(&a, "x.ics", &event("x", "X", ""));
    let config = root.join("config.toml");
    let profile = vdir_profile("p", "events", &a, &b, &[]);
    let write = |general: &str| {
        std::fs::write(&config, format!("[general]\n{general}\n\n{profile}")).unwrap()
    };
    write("log_file = \"logs/davsync.log\"\nlog_level = \"info\"");
    let davsync = Davsync::new(BIN, &config, root.join("data"));
    let run = davsync.run(&["sync"]);
    run.expect_code(0);
    // Standard error is a pipe here: the log is in the file only.
    assert!(
        !run.stderr.contains("report written to"),
        "{}",
        run.describe()
    );
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let file = root.join(format!("logs/davsync.{today}.log"));
    let log = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; {:?}",
            file.display(),
            std::fs::read_dir(root.join("logs")).map(|d| d.count())
        )
    });
    // The engine's plan, at info.
    assert!(log.contains("INFO") && log.contains("planned"), "{log}");
    assert!(!log.contains('\u{1b}'), "no colours in the file: {log}");

    // At `warn`, an ordinary run adds nothing.
    write("log_file = \"logs/davsync.log\"\nlog_level = \"warn\"");
    let before = std::fs::read_to_string(&file).unwrap().len();
    davsync.run(&["sync"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap().len(), before);

    write("log_file = \"logs/davsync.log\"\nlog_level = \"loud\"");
    let bad = davsync.run(&["sync"]);
    bad.expect_code(2);
    assert!(
        bad.stderr.contains("general.log_level") && bad.stderr.contains("\"loud\" is not a level"),
        "{}",
        bad.describe()
    );
}
