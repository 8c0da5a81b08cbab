//! The storage contract, run against the CalDAV/CardDAV store on each real
//! server (Radicale, Xandikos, SOGo), in their default collections.

use davsync_dav::CollectionKind;
use davsync_store::DavStore;
use davsync_testkit::contract::{self, Flavor};
use davsync_testkit::servers;

fn calendar(server: &str) -> DavStore {
    DavStore::new(servers::get(server).default_collection(CollectionKind::Calendar))
}

fn contacts(server: &str) -> DavStore {
    DavStore::new(servers::get(server).default_collection(CollectionKind::AddressBook))
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        mod $server {
            use super::*;
            const NAME: &str = stringify!($server);

            #[tokio::test]
            async fn create_list_read() {
                contract::create_list_read(&calendar(NAME), Flavor::Calendar).await;
                contract::create_list_read(&contacts(NAME), Flavor::Contacts).await;
            }

            #[tokio::test]
            async fn update_checks_version() {
                contract::update_checks_version(&calendar(NAME), Flavor::Calendar).await;
                contract::update_checks_version(&contacts(NAME), Flavor::Contacts).await;
            }

            #[tokio::test]
            async fn delete_checks_version() {
                contract::delete_checks_version(&calendar(NAME), Flavor::Calendar).await;
                contract::delete_checks_version(&contacts(NAME), Flavor::Contacts).await;
            }

            #[tokio::test]
            async fn create_never_overwrites() {
                contract::create_never_overwrites(&calendar(NAME), Flavor::Calendar).await;
            }

            #[tokio::test]
            async fn special_uids() {
                contract::special_uids(&calendar(NAME), Flavor::Calendar).await;
                contract::special_uids(&contacts(NAME), Flavor::Contacts).await;
            }

            #[tokio::test]
            async fn large_item() {
                contract::large_item(&calendar(NAME), Flavor::Calendar).await;
            }

            #[tokio::test]
            async fn many_items() {
                contract::many_items(&calendar(NAME), Flavor::Calendar, 120).await;
            }

            #[tokio::test]
            async fn recurring_with_exception() {
                contract::recurring_with_exception(&calendar(NAME)).await;
            }

            #[tokio::test]
            async fn vcard_versions() {
                contract::vcard_versions(&contacts(NAME)).await;
            }
        }
    )*};
}

per_server!(radicale, xandikos, sogo);
