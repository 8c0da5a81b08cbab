//! The configuration file parser of the CLI (crates/cli/src/config/, with
//! the secrets, retention and paths modules it uses), included by path: the CLI is a binary crate.
//! Parsing touches no network, keyring or command (password sources are only
//! named, read later); it may look at the file system (a vdir path is
//! canonicalised to compare the two sides). Every input must parse or be an
//! error, never a panic.
#![no_main]

// Only the binary uses some of what the module re-exports.
#[allow(dead_code, unused_imports)]
#[path = "../../crates/cli/src/config/mod.rs"]
mod config;
#[allow(dead_code)]
#[path = "../../crates/cli/src/secrets.rs"]
mod secrets;
// What the configuration names of them (report levels, retention).
#[allow(dead_code)]
#[path = "../../crates/cli/src/retention.rs"]
mod retention;
#[allow(dead_code)]
#[path = "../../crates/cli/src/paths.rs"]
mod paths;

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent/davsync-fuzz/config.toml");
    if let Ok(config) = config::Config::parse(source, path) {
        let _ = config.select(&[]);
        let _ = config.select(&["work".to_string()]);
        let _ = config::data_dir(None, &config);
    }
});
