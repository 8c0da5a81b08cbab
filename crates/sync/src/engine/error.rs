//! Why a run stopped before its end (the engine's typed error), and why one
//! item's operation failed (a line of the report, the run goes on).

use crate::planner::Side;
use crate::status::StatusError;
use davsync_store::{ServerFailure, StoreError};

/// What stopped a run. Per-item failures do not stop a run (they are lines
/// of the report); these do, and the run keeps its older listing state, so
/// the next run sees the same changes again.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The status database failed.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// A side could not be listed.
    #[error("listing the {side} store ({store}): {source}")]
    Listing {
        /// The side.
        side: Side,
        /// The store, as it describes itself.
        store: String,
        /// The cause.
        source: StoreError,
    },
    /// Asked to stop ([`SyncJob::stop`](super::SyncJob::stop)) between two
    /// chunks: what was done is recorded, the rest is left for the next run.
    #[error(
        "stopped before the end, as asked: {done} of {planned} operations done; the next run \
         goes on from there"
    )]
    Stopped {
        /// Operations done (or tried).
        done: usize,
        /// Operations planned.
        planned: usize,
    },
    /// The run's scratch file failed to give back the facts of an item of
    /// a first download it held (see `shelf.rs`).
    #[error("the scratch file of this first download: {0}; the rest was not written")]
    Scratch(std::io::Error),
    /// A side's writes could not be made durable, so the status rows naming
    /// them were not recorded.
    #[error("{side} store: {source}; the status of this chunk was not recorded")]
    Flush {
        /// The side.
        side: Side,
        /// The cause.
        source: StoreError,
    },
}

impl EngineError {
    /// The kind of server failure that stopped the run, if one did.
    pub fn server_failure(&self) -> Option<ServerFailure> {
        match self {
            EngineError::Listing { source, .. } | EngineError::Flush { source, .. } => {
                source.server_failure()
            }
            EngineError::Status(_) | EngineError::Stopped { .. } | EngineError::Scratch(_) => None,
        }
    }
}

/// Why one item's operation failed.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) side: Side,
    pub(super) href: Option<String>,
    pub(super) message: String,
    /// Changed under our feet: the next run re-plans it; a warning, not an error.
    pub(super) transient: bool,
    /// The kind of server failure, if it was one.
    pub(super) kind: Option<ServerFailure>,
}

impl Failure {
    pub(super) fn new(side: Side, href: Option<String>, message: String) -> Self {
        Failure {
            side,
            href,
            message,
            transient: false,
            kind: None,
        }
    }

    pub(super) fn transient(side: Side, href: Option<String>, message: String) -> Self {
        Failure {
            side,
            href,
            message,
            transient: true,
            kind: None,
        }
    }

    pub(super) fn from_store(side: Side, href: &str, e: StoreError) -> Self {
        let href = (!href.is_empty()).then(|| href.to_string());
        match e {
            StoreError::PreconditionFailed { .. } | StoreError::NotFound { .. } => {
                Failure::transient(
                    side,
                    href,
                    format!(
                        "{e}; it changed on the {side} side during the run and will be synced on the next run"
                    ),
                )
            }
            other => Failure {
                kind: other.server_failure(),
                ..Failure::new(side, href, format!("{side} store: {other}"))
            },
        }
    }
}
