//! Shared test helpers of davsync (used by the tests of every crate, never by
//! the program): realistic sample items, helpers to edit and inspect vdir
//! folders as other programs do, and the storage contract suite that every
//! [`Store`](davsync_store::Store) backend must pass.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

pub mod cli;
pub mod clients;
pub mod contract;
pub mod faults;
pub mod filehost;
pub mod folder;
pub mod forward;
pub mod items;
pub mod rng;
pub mod servers;
pub mod shaped;
pub mod world;
