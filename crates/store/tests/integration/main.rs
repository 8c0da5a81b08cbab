//! The integration tests of davsync-store, in one test binary (one link instead of
//! one per file: shorter builds). Each module is one concern, as its `//!` says.

mod dav_contract;
mod sogo_lists;
mod vdir_contract;
