//! The engine tests' fixture: two real folders, a local one and one standing
//! in for the server, a status database beside them, and runs of the engine
//! on them.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use davsync_pim::ItemKind;
use davsync_store::{Store, VdirStore};
use davsync_store::{StoreError, Written};
use davsync_sync::report::Report;
use davsync_sync::{KindFilter, Mapping, Mode, StatusDb, SyncJob, SyncOptions};
use davsync_testkit::folder::write_file;
use davsync_testkit::forward::Wrap;
use davsync_testkit::items;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    /// Where runs park item bodies (`root`, unless a test says otherwise).
    pub(crate) scratch: PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir(root.join("local")).unwrap();
        std::fs::create_dir(root.join("server")).unwrap();
        Fixture {
            _dir: dir,
            scratch: root.clone(),
            root,
        }
    }

    pub(crate) fn local(&self) -> PathBuf {
        self.root.join("local")
    }

    pub(crate) fn server(&self) -> PathBuf {
        self.root.join("server")
    }

    pub(crate) fn store(&self, path: &Path) -> VdirStore {
        VdirStore::open(path, "ics").unwrap()
    }

    pub(crate) fn run_with(
        &self,
        local: &dyn Store,
        server: &dyn Store,
        options: SyncOptions,
    ) -> Report {
        self.run_stoppable(local, server, options, None)
    }

    pub(crate) fn run_stoppable(
        &self,
        local: &dyn Store,
        server: &dyn Store,
        options: SyncOptions,
        stop: Option<&AtomicBool>,
    ) -> Report {
        let mapping = Mapping::new().with(KindFilter(ItemKind::Event));
        self.run_mapped(local, server, &mapping, options, stop)
    }

    pub(crate) fn run_mapped(
        &self,
        local: &dyn Store,
        server: &dyn Store,
        mapping: &Mapping,
        options: SyncOptions,
        stop: Option<&AtomicBool>,
    ) -> Report {
        let status = StatusDb::open(&self.root.join("status.sqlite")).unwrap();
        let job = SyncJob {
            name: "test",
            local,
            server,
            mapping,
            status: &status,
            options,
            scratch_dir: Some(&self.scratch),
            stop,
            progress: None,
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(davsync_sync::sync(&job))
    }

    /// A run of the two folders with `mapping` and the default options.
    pub(crate) fn run_mapping(&self, mapping: &Mapping) -> Report {
        let (local, server) = (self.store(&self.local()), self.store(&self.server()));
        self.run_mapped(&local, &server, mapping, SyncOptions::default(), None)
    }

    pub(crate) fn run(&self, options: SyncOptions) -> Report {
        self.run_with(
            &self.store(&self.local()),
            &self.store(&self.server()),
            options,
        )
    }
}

pub(crate) fn mode(mode: Mode) -> SyncOptions {
    SyncOptions {
        mode,
        ..SyncOptions::default()
    }
}

pub(crate) fn fill(dir: &Path, n: usize) {
    for i in 0..n {
        write_file(
            dir,
            &format!("e{i}.ics"),
            &items::event(&format!("e{i}"), &format!("Event {i}"), ""),
        );
    }
}

/// A store that asks the run to stop as its first item is created.
pub(crate) struct StopOnWrite<'s> {
    pub(crate) inner: VdirStore,
    pub(crate) stop: &'s AtomicBool,
}

#[async_trait]
impl Wrap for StopOnWrite<'_> {
    fn inner(&self) -> &dyn Store {
        &self.inner
    }
    async fn create(&self, uid: &str, body: &str) -> Result<Written, StoreError> {
        self.stop.store(true, Ordering::SeqCst);
        self.inner.create(uid, body).await
    }
}
