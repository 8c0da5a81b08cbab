//! The real DAV servers of the tests. `scripts/test.sh` starts Radicale,
//! Xandikos and SOGo once (with `tests/servers/start.sh`) and points
//! `DAVSYNC_TEST_SERVERS` at their state folders; every server test runs
//! against each of them. Without that variable server tests fail with a
//! message saying how to start the servers: they are never skipped.

use davsync_dav::{ClientOptions, Collection, CollectionKind, Credentials, DavClient};
use libdav::caldav::CreateCalendar;
use libdav::carddav::CreateAddressBook;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The servers every server test runs against.
pub const NAMES: [&str; 3] = ["radicale", "xandikos", "sogo"];

/// One running server, as its `env` file describes it.
#[derive(Debug, Clone)]
pub struct Server {
    /// `radicale`, `xandikos` or `sogo`.
    pub name: String,
    /// Root URL.
    pub base_url: String,
    /// The test user.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The user's principal URL.
    pub principal_url: String,
    /// A calendar made at start.
    pub calendar_url: String,
    /// An address book made at start.
    pub addressbook_url: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The folder holding one state folder (with an `env` file) per server.
pub fn state_root() -> PathBuf {
    match std::env::var_os("DAVSYNC_TEST_SERVERS") {
        Some(dir) => PathBuf::from(dir),
        None => panic!(
            "server tests need the real servers: run scripts/test.sh, or start them with \
             tests/servers/start.sh NAME DIR/NAME (NAME = radicale, xandikos, sogo) and set \
             DAVSYNC_TEST_SERVERS=DIR"
        ),
    }
}

/// The server `name`.
pub fn get(name: &str) -> Server {
    let path = state_root().join(name).join("env");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{name} is not running ({}: {e}); see tests/servers/README.md",
            path.display()
        )
    });
    let env: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect();
    let key = |k: &str| {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{} has no {k}", path.display()))
    };
    Server {
        name: name.to_string(),
        base_url: key("DAV_BASE_URL"),
        user: key("DAV_USER"),
        password: key("DAV_PASSWORD"),
        principal_url: key("DAV_PRINCIPAL_URL"),
        calendar_url: key("DAV_CALENDAR_URL"),
        addressbook_url: key("DAV_ADDRESSBOOK_URL"),
    }
}

/// Every server.
pub fn all() -> Vec<Server> {
    NAMES.iter().map(|n| get(n)).collect()
}

impl Server {
    /// A client logged in as the test user.
    pub fn client(&self) -> DavClient {
        let credentials = Credentials {
            username: self.user.clone(),
            password: self.password.clone(),
        };
        DavClient::new(
            &self.base_url,
            Some(&credentials),
            &ClientOptions::default(),
        )
        .expect("client")
    }

    /// The collection made at start.
    pub fn default_collection(&self, kind: CollectionKind) -> Collection {
        let url = match kind {
            CollectionKind::Calendar => &self.calendar_url,
            CollectionKind::AddressBook => &self.addressbook_url,
        };
        Collection::new(self.client(), url, kind).expect("collection")
    }

    /// A new, empty collection of its own (for tests that sync whole collections).
    pub async fn new_collection(&self, kind: CollectionKind) -> Collection {
        let template = match kind {
            CollectionKind::Calendar => &self.calendar_url,
            CollectionKind::AddressBook => &self.addressbook_url,
        };
        let path: http::Uri = template.parse().expect("collection URL");
        let trimmed = path.path().trim_end_matches('/');
        let home = &trimmed[..=trimmed.rfind('/').expect("collection below a home")];
        let name = format!(
            "t{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let href = format!("{home}{name}/");
        let client = self.client();
        match kind {
            CollectionKind::Calendar => client.run(&CreateCalendar::new(&href)).await.map(drop),
            CollectionKind::AddressBook => {
                client.run(&CreateAddressBook::new(&href)).await.map(drop)
            }
        }
        .unwrap_or_else(|e| panic!("{}: cannot create {href}: {e}", self.name));
        Collection::new(client, &href, kind).expect("collection")
    }

    /// The absolute URL of a collection.
    pub fn url_of(&self, collection: &Collection) -> String {
        collection.client().url_of(collection.href())
    }
}
