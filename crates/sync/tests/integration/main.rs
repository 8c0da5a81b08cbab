//! The integration tests of davsync-sync, in one test binary (one link instead of
//! one per file: shorter builds). Each module is one concern, as its `//!` says.

mod engine;
mod first_download;
mod fixture;
mod state_machine;
