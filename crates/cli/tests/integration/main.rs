//! The integration tests of davsync (the binary), in one test binary (one link instead of
//! one per file: shorter builds). Each module is one concern, as its `//!` says.

mod account_copy;
mod check;
mod cli;
mod clients;
mod config_keys;
mod convergence;
mod create;
mod daemon;
mod discover;
mod discover_shared;
mod durability;
mod faults;
mod furniture;
mod kill;
mod lists;
mod logging;
mod lying_etags;
mod mapping;
mod mapping_folders;
mod offline;
mod photos;
mod presets;
mod progress;
mod reports;
mod secrets;
mod server_kill;
mod servers;
mod service;
mod side_by_side;
mod slow_server;
mod truncation;
mod wrong_url;
