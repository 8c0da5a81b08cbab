//! The davsync engine: the status database, the planner (modes and conflict
//! policies), mappings (category filter and later options), the executor with
//! its safety rails, the per-profile lock, and run reports. It knows two
//! [`Store`](davsync_store::Store)s, not what is behind them, and nothing of
//! the command line or the configuration file.

pub mod engine;
mod hash;
pub mod lock;
pub mod mapping;
pub mod per_side;
pub mod planner;
pub mod report;
mod spool;
pub mod status;
pub mod time_range;

pub use engine::{Duplicates, Progress, SyncJob, SyncOptions, sync};
pub use mapping::{CategoryFilter, KindFilter, MapContext, Mapping, Transform};
pub use per_side::PerSide;
pub use planner::{Action, ConflictPolicy, Mode, Side};
pub use report::Report;
pub use status::StatusDb;
pub use time_range::TimeRange;
