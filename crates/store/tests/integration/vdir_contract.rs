//! The storage contract, run against the vdir store on a real folder.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_store::VdirStore;
use davsync_testkit::contract::{self, Flavor};

fn calendar() -> (tempfile::TempDir, VdirStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = VdirStore::open(dir.path().join("calendar"), "ics").unwrap();
    (dir, store)
}

fn contacts() -> (tempfile::TempDir, VdirStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = VdirStore::open(dir.path().join("contacts"), "vcf").unwrap();
    (dir, store)
}

macro_rules! contract_tests {
    ($($name:ident => |$s:ident| $body:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let (_dir, $s) = calendar();
            $body;
        }
    )*};
}

contract_tests! {
    create_list_read => |s| contract::create_list_read(&s, Flavor::Calendar).await;
    update_checks_version => |s| contract::update_checks_version(&s, Flavor::Calendar).await;
    delete_checks_version => |s| contract::delete_checks_version(&s, Flavor::Calendar).await;
    create_never_overwrites => |s| contract::create_never_overwrites(&s, Flavor::Calendar).await;
    special_uids => |s| contract::special_uids(&s, Flavor::Calendar).await;
    large_item => |s| contract::large_item(&s, Flavor::Calendar).await;
    many_items => |s| contract::many_items(&s, Flavor::Calendar, 300).await;
    recurring_with_exception => |s| contract::recurring_with_exception(&s).await;
    metadata_round_trip => |s| contract::metadata_round_trip(&s).await;
}

#[tokio::test]
async fn contacts_contract() {
    let (_dir, s) = contacts();
    contract::create_list_read(&s, Flavor::Contacts).await;
    contract::update_checks_version(&s, Flavor::Contacts).await;
    contract::delete_checks_version(&s, Flavor::Contacts).await;
    contract::special_uids(&s, Flavor::Contacts).await;
    contract::large_item(&s, Flavor::Contacts).await;
    contract::vcard_versions(&s).await;
}

#[tokio::test]
async fn metadata_files_are_vdirsyncer_compatible() {
    let (dir, s) = calendar();
    contract::metadata_round_trip(&s).await;
    let color = std::fs::read_to_string(dir.path().join("calendar/color")).unwrap();
    assert_eq!(color.trim(), "#1E90FFFF");
}
