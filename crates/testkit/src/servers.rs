//! The real DAV servers of the tests. `scripts/test.sh` starts each of them
//! once (with `tests/servers/start.sh`) and points
//! `DAVSYNC_TEST_SERVERS` at their state folders; every server test runs
//! against each of them. Without that variable server tests fail with a
//! message saying how to start the servers: they are never skipped.
//!
//! [`get`] reads any server that `start.sh` can start, also those not in
//! [`NAMES`] (`radicale-tls`, `radicale-small`, …), from
//! `$DAVSYNC_TEST_SERVERS/NAME/env`. On Cyrus and SOGo each call makes a
//! user of its own (on Cyrus a UID may be in one calendar of a user only; on
//! SOGo a user's colours are one record, written back whole).

use crate::cli::toml_string;
use davsync_dav::{ClientOptions, Collection, CollectionKind, Credentials, DavClient};
use davsync_pim::Item;
use libdav::caldav::CreateCalendar;
use libdav::carddav::CreateAddressBook;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The servers every server test runs against.
pub const NAMES: [&str; 6] = [
    "radicale", "xandikos", "sogo", "davical", "cyrus", "sabredav",
];

/// One running server, as its `env` file describes it.
#[derive(Debug, Clone)]
pub struct Server {
    /// The name `start.sh` knows it by: `radicale`, `xandikos`, `sogo`,
    /// `davical`, `cyrus`, …
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
    /// Every line of its `env` file (what only some servers have, such as
    /// the certificates of `radicale-tls`).
    pub env: HashMap<String, String>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The environment variable the profiles of [`Server::profile`] read the
/// password from (give it to the runs with
/// [`Davsync::with_env`](crate::cli::Davsync::with_env)).
pub const PASSWORD_ENV: &str = "DAVSYNC_TEST_DAV_PASSWORD";

/// The folder holding one state folder (with an `env` file) per server.
pub fn state_root() -> PathBuf {
    match std::env::var_os("DAVSYNC_TEST_SERVERS") {
        Some(dir) => PathBuf::from(dir),
        None => panic!(
            "server tests need the real servers: run scripts/test.sh, or start them with \
             tests/servers/start.sh NAME DIR/NAME (NAME = radicale, xandikos, sogo, davical, \
             cyrus, sabredav; radicale-tls, … for the tests that name them) and set \
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
    let server = Server {
        name: name.to_string(),
        base_url: key("DAV_BASE_URL"),
        user: key("DAV_USER"),
        password: key("DAV_PASSWORD"),
        principal_url: key("DAV_PRINCIPAL_URL"),
        calendar_url: key("DAV_CALENDAR_URL"),
        addressbook_url: key("DAV_ADDRESSBOOK_URL"),
        env,
    };
    match name {
        // Cyrus refuses a UID that another calendar of the same user holds,
        // and tests use the same UIDs side by side. SOGo keeps the colours of
        // all of a user's calendars in one settings record that each request
        // reads and writes back whole: of eight colours set at once on eight
        // calendars of one user, two stayed (measured), so tests setting
        // colours side by side undid each other's. Each test gets a user of
        // its own on both.
        "cyrus" | "sogo" => own_account(server),
        _ => server,
    }
}

/// `server` (Cyrus or SOGo) with a new user of its own
/// (`tests/servers/add-user.sh`).
fn own_account(mut server: Server) -> Server {
    static ACCOUNTS: AtomicU64 = AtomicU64::new(0);
    let user = format!(
        "t{}x{}",
        std::process::id(),
        ACCOUNTS.fetch_add(1, Ordering::Relaxed)
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/servers/add-user.sh");
    let out = std::process::Command::new(script)
        .arg(state_root().join(&server.name))
        .arg(&user)
        .arg(&server.password)
        .output()
        .expect("add-user.sh runs");
    assert!(
        out.status.success(),
        "add-user.sh {user}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = server.base_url.clone();
    if server.name == "sogo" {
        server.principal_url = format!("{base}SOGo/dav/{user}/");
        server.calendar_url = format!("{base}SOGo/dav/{user}/Calendar/personal/");
        server.addressbook_url = format!("{base}SOGo/dav/{user}/Contacts/personal/");
    } else {
        server.principal_url = format!("{base}dav/principals/user/{user}/");
        server.calendar_url = format!("{base}dav/calendars/user/{user}/Default/");
        server.addressbook_url = format!("{base}dav/addressbooks/user/{user}/Default/");
    }
    server.user = user;
    server
}

/// The two tinyproxy proxies started as `tinyproxy` (`PROXY_URL`,
/// `PROXY_AUTH_URL`, `PROXY_USER`, `PROXY_PASSWORD`, their logs), from its env file.
pub fn proxies() -> HashMap<String, String> {
    let path = state_root().join("tinyproxy").join("env");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("tinyproxy is not running ({}: {e})", path.display()))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

/// Every server.
pub fn all() -> Vec<Server> {
    NAMES.iter().map(|n| get(n)).collect()
}

impl Server {
    /// The test user's credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            username: self.user.clone(),
            password: self.password.clone(),
        }
    }

    /// A value of its `env` file that this server must have.
    pub fn env(&self, key: &str) -> &str {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("{} has no {key} in its env file", self.name))
    }

    /// A client logged in as the test user.
    pub fn client(&self) -> DavClient {
        DavClient::new(
            &self.base_url,
            Some(&self.credentials()),
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

    /// A new, empty collection of its own (for tests that sync whole collections),
    /// made with an extended MKCOL beside the collection of that kind made at
    /// start, in the same home: `/alice/` (Radicale), `/alice/calendars/` and
    /// `/alice/contacts/` (Xandikos), `/SOGo/dav/alice/Calendar/` and
    /// `…/Contacts/` (SOGo), `/caldav.php/alice/` for both kinds (DAViCal),
    /// `/dav/calendars/user/alice/` and `/dav/addressbooks/user/alice/` (Cyrus).
    pub async fn new_collection(&self, kind: CollectionKind) -> Collection {
        let href = self.unused_href(kind);
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

    /// The path of a collection of `kind` that does not exist yet, where
    /// [`Server::new_collection`] would make one (for `davsync create`).
    pub fn unused_href(&self, kind: CollectionKind) -> String {
        let template = match kind {
            CollectionKind::Calendar => &self.calendar_url,
            CollectionKind::AddressBook => &self.addressbook_url,
        };
        let path: http::Uri = template.parse().expect("collection URL");
        let trimmed = path.path().trim_end_matches('/');
        let home = &trimmed[..=trimmed.rfind('/').expect("collection below a home")];
        // The process id alone repeats across runs against servers that
        // keep their collections: the time makes the name new.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "t{}x{}x{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        format!("{home}{name}/")
    }

    /// For a test that runs davsync as a program: a runtime of its own for
    /// the test's requests, and a new collection (see [`Server::new_collection`])
    /// reached without keep-alive (see [`Server::without_keep_alive`]).
    pub fn blocking_collection(
        &self,
        kind: CollectionKind,
    ) -> (tokio::runtime::Runtime, Collection) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let collection = self.without_keep_alive(&runtime.block_on(self.new_collection(kind)));
        (runtime, collection)
    }

    /// `collection` through a client of its own that opens a connection for
    /// every request: for a test's own many small requests, as SOGo now and
    /// then closes a kept-alive connection, which costs a client a retry pause
    /// (half a second) each time.
    pub fn without_keep_alive(&self, collection: &Collection) -> Collection {
        let options = ClientOptions {
            close_connection: true,
            ..ClientOptions::default()
        };
        let client =
            DavClient::new(&self.base_url, Some(&self.credentials()), &options).expect("client");
        Collection::new(client, collection.href(), collection.kind()).expect("collection")
    }

    /// The absolute URL of a collection.
    pub fn url_of(&self, collection: &Collection) -> String {
        collection.client().url_of(collection.href())
    }

    /// A `[profiles.NAME]` table syncing the vdir folder `local` with the
    /// collection at `url` (one of this server's, perhaps reached through a
    /// proxy), logged in as the test user with the password in
    /// [`PASSWORD_ENV`]; `extra` holds further `key = value` lines of the
    /// profile, the values as TOML (`("conflicts", "\"automatic\"")`).
    /// `content` decides the store type: `contacts` is CardDAV, the rest CalDAV.
    pub fn profile(
        &self,
        name: &str,
        content: &str,
        local: &Path,
        url: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let kind = if content == "contacts" {
            "carddav"
        } else {
            "caldav"
        };
        let mut out = format!("[profiles.{name}]\ncontent = {}\n", toml_string(content));
        for (key, value) in extra {
            out.push_str(&format!("{key} = {value}\n"));
        }
        out.push_str(&format!(
            "local = {{ type = \"vdir\", path = {} }}\n\
             server = {{ type = \"{kind}\", url = {}, username = {}, password_env = \"{PASSWORD_ENV}\" }}\n\n",
            toml_string(&local.to_string_lossy()),
            toml_string(url),
            toml_string(&self.user),
        ));
        out
    }
}

/// One item of a collection, as listed and read.
#[derive(Debug, Clone)]
pub struct ServerItem {
    /// Its href.
    pub href: String,
    /// Its ETag.
    pub etag: String,
    /// Its content.
    pub item: Item,
}

/// Every item of `collection` by UID, with every href holding it (more than
/// one href per UID is a duplicate): a listing, then multigets of 20 hrefs
/// (radicale-small refuses more than 50 events per answer). Panics when the
/// server fails or an item does not parse; the collection is expected to
/// stand still while it is read.
pub async fn items_by_uid(collection: &Collection) -> BTreeMap<String, Vec<ServerItem>> {
    let url = collection.client().url_of(collection.href());
    let listed = collection
        .list()
        .await
        .unwrap_or_else(|e| panic!("cannot list {url}: {e}"));
    let hrefs: Vec<String> = listed.into_iter().map(|r| r.href).collect();
    let mut out: BTreeMap<String, Vec<ServerItem>> = BTreeMap::new();
    for chunk in hrefs.chunks(20) {
        let bodies = collection
            .multiget(chunk)
            .await
            .unwrap_or_else(|e| panic!("cannot read items of {url}: {e}"));
        for (href, body) in chunk.iter().zip(bodies) {
            let body = body.unwrap_or_else(|e| panic!("cannot read {href}: {e}"));
            let item =
                Item::parse(body.data).unwrap_or_else(|e| panic!("{href} does not parse: {e}"));
            out.entry(item.uid().to_string())
                .or_default()
                .push(ServerItem {
                    href: href.clone(),
                    etag: body.etag,
                    item,
                });
        }
    }
    out
}

/// Writes the event `body` (UID `uid`) to `collection` straight, as another
/// client would: over `existing` (with `If-Match` of its ETag), or as a new
/// item named after the UID. Panics, with `context()`, when the server
/// refuses, or when a new item's name was taken already.
pub async fn put_event(
    collection: &Collection,
    existing: Option<&ServerItem>,
    uid: &str,
    body: &str,
    context: impl FnOnce() -> String,
) {
    let result = match existing {
        Some(item) => collection
            .update(&item.href, &item.etag, body)
            .await
            .map(drop),
        None => {
            let href = format!("{}{uid}.ics", collection.href());
            match collection.create(&href, body).await {
                Ok(davsync_dav::Created::New(_)) => Ok(()),
                Ok(davsync_dav::Created::Replaced(_)) => {
                    panic!("{href} was there already\n{}", context())
                }
                Err(e) => Err(e),
            }
        }
    };
    if let Err(e) = result {
        panic!("cannot write {uid} on the server: {e}\n{}", context());
    }
}

/// Panics unless the `.ics` files of the folder `local` and the items of
/// `server` agree with each other and with `model` (see [`differences`]);
/// `when` and `context()` go into the message.
pub fn assert_agree(
    local: &std::path::Path,
    server: &BTreeMap<String, Vec<ServerItem>>,
    model: &BTreeMap<String, String>,
    when: &str,
    context: impl FnOnce() -> String,
) {
    let local = crate::folder::items_by_uid(local, "ics");
    let problems = differences(&local, &by_href(server.clone()), model);
    assert!(
        problems.is_empty(),
        "{when}: the sides differ from the model ({} items expected, {} local, {} on the \
         server): {problems:#?}\n{}",
        model.len(),
        local.len(),
        server.len(),
        context()
    );
}

/// A collection's items as [`items_by_uid`] reads them, each with its href
/// (the shape of [`crate::folder::items_by_uid`]).
pub fn by_href(items: BTreeMap<String, Vec<ServerItem>>) -> crate::world::ByUid {
    items
        .into_iter()
        .map(|(uid, items)| (uid, items.into_iter().map(|i| (i.href, i.item)).collect()))
        .collect()
}

/// How the local side's items (a folder's as [`crate::folder::items_by_uid`]
/// finds them, or a collection's, see [`by_href`]) and the server's (see
/// [`by_href`]) differ from each other and
/// from `expected` (UID → SUMMARY, or FN of a card): a UID held twice on a
/// side (by two files, or at two hrefs), a UID missing or one too many on a
/// side, a SUMMARY other than expected, or content that differs between the
/// sides (by the normalised hash, which ignores what servers add, such as
/// SOGo's CLASS:PUBLIC). Empty when everything agrees.
pub fn differences(
    local: &crate::world::ByUid,
    server: &crate::world::ByUid,
    expected: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (uid, files) in local {
        if files.len() != 1 {
            let names: Vec<&String> = files.iter().map(|f| &f.0).collect();
            problems.push(format!(
                "{uid} is held by {} local files: {names:?}",
                files.len()
            ));
        }
    }
    for (uid, items) in server {
        if items.len() != 1 {
            let hrefs: Vec<&String> = items.iter().map(|i| &i.0).collect();
            problems.push(format!(
                "{uid} is on the server {} times, at {hrefs:?}",
                items.len()
            ));
        }
    }
    let summaries = |items: Vec<&Item>| -> Vec<Option<String>> {
        items
            .iter()
            .map(|i| i.summary().map(str::to_string))
            .collect()
    };
    for (uid, summary) in expected {
        let here: Vec<&Item> = local.get(uid).into_iter().flatten().map(|f| &f.1).collect();
        let there: Vec<&Item> = server
            .get(uid)
            .into_iter()
            .flatten()
            .map(|s| &s.1)
            .collect();
        if here.is_empty() {
            problems.push(format!("{uid} ({summary:?}) is lost locally"));
        }
        if there.is_empty() {
            problems.push(format!("{uid} ({summary:?}) is lost on the server"));
        }
        for (side, items) in [("locally", &here), ("on the server", &there)] {
            if items.iter().any(|i| i.summary() != Some(summary.as_str())) {
                problems.push(format!(
                    "{uid} {side}: {:?}, expected {summary:?}",
                    summaries(items.clone())
                ));
            }
        }
        if let (Some(l), Some(s)) = (here.first(), there.first())
            && l.content_hash() != s.content_hash()
        {
            problems.push(format!(
                "{uid}: different content on the two sides:\n--- local ---\n{}--- server ---\n{}",
                l.body(),
                s.body()
            ));
        }
    }
    for uid in local.keys().filter(|u| !expected.contains_key(*u)) {
        problems.push(format!(
            "{uid} should not be in the folder (deleted or never created)"
        ));
    }
    for uid in server.keys().filter(|u| !expected.contains_key(*u)) {
        let hrefs: Vec<&String> = server[uid].iter().map(|i| &i.0).collect();
        problems.push(format!(
            "{uid} should not be on the server (deleted or never created), at {hrefs:?}"
        ));
    }
    problems
}
