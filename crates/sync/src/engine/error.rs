//! Why a run stopped before its end: the engine's typed error.

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
            EngineError::Status(_) => None,
        }
    }
}
