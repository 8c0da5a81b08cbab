//! The integration tests of davsync-dav, in one test binary (one link instead of
//! one per file: shorter builds). Each module is one concern, as its `//!` says.

mod digest;
mod faults;
mod lenient;
mod multiget;
mod properties;
mod proxy;
mod query;
mod redirects;
mod sogo_lists;
mod tls;
mod wrong_urls;
