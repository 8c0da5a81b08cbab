//! `davsync discover` against real servers: the shared Radicale, Xandikos and
//! SOGo of `scripts/test.sh`, a private Radicale with a rights file (for a
//! read-only collection and a user named like an e-mail address), and a
//! private dnsmasq (`tests/servers/dns.sh`) for SRV/TXT discovery.
//!
//! The shared servers hold collections that other tests make and fill at the
//! same time: these tests look only at the default collections and at
//! collections of their own, and sync only the profiles of their own.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{Collection, CollectionKind, Credentials, DavClient};
use davsync_testkit::cli::{Davsync, Run, toml_string};
use davsync_testkit::folder::files;
use davsync_testkit::items::{event, task, vcard3};
use davsync_testkit::servers::{self, Server};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) const PASSWORD_VAR: &str = "DAVSYNC_TEST_DISCOVER_PW";
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    format!(
        "{}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary with a configuration file and data folder in `dir`.
fn davsync(dir: &Path) -> Davsync {
    Davsync::new(
        env!("CARGO_BIN_EXE_davsync"),
        dir.join("config.toml"),
        dir.join("data"),
    )
}

/// Runs davsync with `args`, the password in `PASSWORD_VAR` and `envs`.
pub(crate) fn run(dir: &Path, args: &[&str], password: &str, envs: &[(&str, &str)]) -> Run {
    let d = davsync(dir);
    let mut cmd = d.command(args);
    cmd.env(PASSWORD_VAR, password)
        .env_remove("DAVSYNC_DNS_SERVER");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run davsync");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        command: format!("davsync {}", args.join(" ")),
    }
}

pub(crate) fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.describe()))
}

/// The collection with `url` in a `--json` answer.
pub(crate) fn collection<'a>(json: &'a Value, url: &str) -> &'a Value {
    json["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["url"] == url)
        .unwrap_or_else(|| panic!("{url} not found in {json:#}"))
}

/// Where discovery starts on a shared server (SOGo answers its well-known URL
/// with its web UI: its DAV base must be given).
fn start_url(server: &Server) -> String {
    match server.name.as_str() {
        "sogo" => format!("{}SOGo/dav/", server.base_url),
        _ => server.base_url.clone(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------
// The shared servers

fn finds_default_collections(name: &str) {
    let server = servers::get(name);
    let dir = tempfile::tempdir().unwrap();
    let url = start_url(&server);
    let args = [
        "discover",
        "--url",
        &url,
        "--user",
        &server.user,
        "--password-env",
        PASSWORD_VAR,
    ];
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let r = run(dir.path(), &with_json, &server.password, &[]);
    r.expect_code(0);
    let json = json_of(&r);
    assert_eq!(json["principals"][0], server.principal_url, "{json:#}");
    let cal = collection(&json, &server.calendar_url);
    assert_eq!(cal["type"], "calendar");
    assert_eq!(cal["kind"], "events+tasks", "{cal:#}");
    assert_eq!(cal["read_only"], false);
    let book = collection(&json, &server.addressbook_url);
    assert_eq!(book["type"], "addressbook");
    assert_eq!(book["kind"], "address book");
    assert_eq!(book["read_only"], false);

    // The table names the same collections with their kinds.
    let r = run(dir.path(), &args, &server.password, &[]);
    r.expect_code(0);
    let line = |url: &str| {
        r.stdout
            .lines()
            .find(|l| l.ends_with(url))
            .unwrap_or_else(|| panic!("{url} not in the table: {}", r.describe()))
            .to_string()
    };
    assert!(r.stdout.starts_with("Principal: "), "{}", r.stdout);
    assert!(r.stdout.contains("KIND"), "{}", r.stdout);
    assert!(line(&server.calendar_url).starts_with("events+tasks "));
    assert!(line(&server.addressbook_url).starts_with("address book "));
    assert!(
        !dir.path().join("config.toml").exists(),
        "no --write, no file"
    );
}

/// A new calendar (events and tasks) and address book with display names and
/// a colour, each with one item of each kind.
struct OwnCollections {
    calendar: Collection,
    book: Collection,
    displayname: String,
    color: String,
}

fn make_own_collections(server: &Server) -> OwnCollections {
    let id = unique();
    let displayname = format!("Discover Test {id}");
    let color = "#11AA55FF".to_string();
    let home = |url: &str| {
        let path: http::Uri = url.parse().unwrap();
        let trimmed = path.path().trim_end_matches('/').to_string();
        trimmed[..=trimmed.rfind('/').unwrap()].to_string()
    };
    // Distinct names: Radicale keeps calendars and address books in one home.
    let cal_href = format!("{}dc{id}/", home(&server.calendar_url));
    let book_href = format!("{}db{id}/", home(&server.addressbook_url));
    let client = DavClient::new(
        &server.base_url,
        Some(&Credentials {
            username: server.user.clone(),
            password: server.password.clone(),
        }),
        &Default::default(),
    )
    .unwrap();
    let rt = runtime();
    let send = |method: &str, href: &str, body: String| {
        let request = http::Request::builder()
            .method(http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(format!("{}{}", server.base_url.trim_end_matches('/'), href))
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body)
            .unwrap();
        let response = rt.block_on(client.send(request)).unwrap();
        let status = response.parts.status.as_u16();
        assert!(
            (200..300).contains(&status),
            "{}: {method} {href}: {status}: {}",
            server.name,
            String::from_utf8_lossy(&response.body)
        );
    };
    send(
        "MKCALENDAR",
        &cal_href,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>{displayname}</D:displayname><A:calendar-color>{color}</A:calendar-color><C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
        ),
    );
    // SOGo ignores the colour of MKCALENDAR, but takes it with PROPPATCH.
    send(
        "PROPPATCH",
        &cal_href,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><A:calendar-color>{color}</A:calendar-color></D:prop></D:set></D:propertyupdate>"#
        ),
    );
    send(
        "MKCOL",
        &book_href,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>{displayname}</D:displayname></D:prop></D:set></D:mkcol>"#
        ),
    );
    // SOGo ignores the display name of an extended MKCOL, but takes a PROPPATCH.
    send(
        "PROPPATCH",
        &book_href,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>{displayname}</D:displayname></D:prop></D:set></D:propertyupdate>"#
        ),
    );
    let calendar = Collection::new(client.clone(), &cal_href, CollectionKind::Calendar).unwrap();
    let book = Collection::new(client, &book_href, CollectionKind::AddressBook).unwrap();
    rt.block_on(async {
        calendar
            .create(
                &format!("{cal_href}e{id}.ics"),
                &event(&format!("e{id}"), "Planning", ""),
            )
            .await
            .unwrap();
        calendar
            .create(
                &format!("{cal_href}t{id}.ics"),
                &task(&format!("t{id}"), "Write the report"),
            )
            .await
            .unwrap();
        book.create(
            &format!("{book_href}c{id}.vcf"),
            &vcard3(&format!("c{id}"), "Erika Mustermann"),
        )
        .await
        .unwrap();
    });
    OwnCollections {
        calendar,
        book,
        displayname,
        color,
    }
}

/// The profiles `--write` reported as added for `url`, as (name, content, mode, local).
pub(crate) fn added_for(json: &Value, url: &str) -> Vec<(String, String, String, PathBuf)> {
    json["added"]
        .as_array()
        .unwrap_or_else(|| panic!("no `added` in {json:#}"))
        .iter()
        .filter(|p| p["url"] == url)
        .map(|p| {
            (
                p["profile"].as_str().unwrap().to_string(),
                p["content"].as_str().unwrap().to_string(),
                p["mode"].as_str().unwrap().to_string(),
                PathBuf::from(p["local"].as_str().unwrap()),
            )
        })
        .collect()
}

fn write_then_sync(name: &str) {
    let server = servers::get(name);
    let own = make_own_collections(&server);
    let cal_url = server.url_of(&own.calendar);
    let book_url = server.url_of(&own.book);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("calendars");
    // The user's own text, with comments and a profile, must stay as it is.
    let before = format!(
        "# my davsync settings\n[general]\n# (nothing yet)\n\n[profiles.backup]  # keep this\n\
         content = \"events\"\nlocal = {{ type = \"vdir\", path = {} }}\n\
         server = {{ type = \"vdir\", path = {} }}",
        toml_string(&dir.path().join("a").to_string_lossy()),
        toml_string(&dir.path().join("b").to_string_lossy()),
    );
    std::fs::write(dir.path().join("config.toml"), &before).unwrap();
    let url = start_url(&server);
    let root_arg = root.to_string_lossy().to_string();
    let args = [
        "discover",
        "--url",
        &url,
        "--user",
        &server.user,
        "--password-env",
        PASSWORD_VAR,
        "--write",
        "--local-root",
        &root_arg,
        "--json",
    ];
    let r = run(dir.path(), &args, &server.password, &[]);
    r.expect_code(0);
    let json = json_of(&r);
    let reported = collection(&json, &cal_url);
    assert_eq!(reported["displayname"], own.displayname.as_str());
    let color = reported["color"].as_str().unwrap().to_string();
    assert!(
        color.to_ascii_uppercase().starts_with(&own.color),
        "{color}"
    );

    let cal_profiles = added_for(&json, &cal_url);
    let book_profiles = added_for(&json, &book_url);
    let id_name = own.displayname.to_ascii_lowercase().replace(' ', "-");
    assert_eq!(
        cal_profiles
            .iter()
            .map(|(n, c, m, _)| (n.as_str(), c.as_str(), m.as_str()))
            .collect::<Vec<_>>(),
        [
            (id_name.as_str(), "events", "two-way"),
            (format!("{id_name}-tasks").as_str(), "tasks", "two-way"),
        ],
        "{json:#}"
    );
    assert_eq!(book_profiles.len(), 1, "{json:#}");
    assert_eq!(book_profiles[0].1, "contacts");
    // A calendar and an address book with the same name get distinct profiles and folders.
    assert_eq!(book_profiles[0].0, format!("{id_name}-2"));

    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(
        text.starts_with(&before),
        "the user's text changed:\n{text}"
    );
    assert!(!text.contains(&server.password), "the password was written");
    assert!(text.contains(&format!("password_env = \"{PASSWORD_VAR}\"")));

    // The folders exist with vdirsyncer's metadata files.
    for (_, _, _, local) in cal_profiles.iter().chain(&book_profiles) {
        assert!(local.starts_with(&root), "{}", local.display());
        assert_eq!(
            std::fs::read_to_string(local.join("displayname")).unwrap(),
            own.displayname
        );
    }
    for (_, _, _, local) in &cal_profiles {
        assert_eq!(std::fs::read_to_string(local.join("color")).unwrap(), color);
    }

    // The written configuration syncs.
    let names: Vec<&str> = cal_profiles
        .iter()
        .chain(&book_profiles)
        .map(|(n, ..)| n.as_str())
        .collect();
    let mut sync_args = vec!["sync"];
    sync_args.extend(&names);
    let r = run(dir.path(), &sync_args, &server.password, &[]);
    r.expect_code(0);
    let count = |dir: &Path, ext: &str| files(dir, ext).len();
    assert_eq!(count(&cal_profiles[0].3, "ics"), 1, "one event");
    assert_eq!(count(&cal_profiles[1].3, "ics"), 1, "one task");
    assert_eq!(count(&book_profiles[0].3, "vcf"), 1, "one contact");
    let event_file = files(&cal_profiles[0].3, "ics")
        .into_values()
        .next()
        .unwrap();
    assert!(event_file.contains("Planning") && !event_file.contains("VTODO"));

    // A second --write adds nothing for collections already configured.
    let r = run(dir.path(), &args, &server.password, &[]);
    r.expect_code(0);
    let json = json_of(&r);
    assert!(added_for(&json, &cal_url).is_empty(), "{json:#}");
    assert!(added_for(&json, &book_url).is_empty(), "{json:#}");
    let skipped: BTreeSet<(String, String)> = json["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["url"] == cal_url.as_str() || s["url"] == book_url.as_str())
        .map(|s| {
            (
                s["content"].as_str().unwrap().to_string(),
                s["profile"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        BTreeSet::from([
            ("events".to_string(), id_name.clone()),
            ("tasks".to_string(), format!("{id_name}-tasks")),
            ("contacts".to_string(), format!("{id_name}-2")),
        ])
    );
    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert_eq!(text.matches(&format!("url = \"{cal_url}\"")).count(), 2);
    assert_eq!(text.matches(&format!("url = \"{book_url}\"")).count(), 1);
    // And the human output says so.
    let human: Vec<&str> = args.iter().copied().filter(|a| *a != "--json").collect();
    let r = run(dir.path(), &human, &server.password, &[]);
    r.expect_code(0);
    assert!(
        r.stdout.contains(&format!(
            "Already configured: {cal_url} (events) in profile {id_name}"
        )),
        "{}",
        r.describe()
    );
}

fn wrong_password_is_a_clear_error(name: &str) {
    let server = servers::get(name);
    let dir = tempfile::tempdir().unwrap();
    let url = start_url(&server);
    let wrong = "not-the-password-0815";
    let root = dir.path().join("cal").to_string_lossy().to_string();
    let r = run(
        dir.path(),
        &[
            "discover",
            "--url",
            &url,
            "--user",
            &server.user,
            "--password-env",
            PASSWORD_VAR,
            "--write",
            "--local-root",
            &root,
        ],
        wrong,
        &[],
    );
    r.expect_code(1);
    assert!(
        r.stderr.contains("401") && r.stderr.contains(&url),
        "{}",
        r.describe()
    );
    assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));
    assert!(!dir.path().join("config.toml").exists());
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        mod $server {
            const NAME: &str = stringify!($server);
            #[test]
            fn finds_default_collections() { super::finds_default_collections(NAME) }
            #[test]
            fn write_then_sync() { super::write_then_sync(NAME) }
        }
    )*};
}

per_server!(radicale, xandikos, sogo, davical, cyrus, sabredav);

// Xandikos `serve` checks no password at all.
#[test]
fn radicale_wrong_password() {
    wrong_password_is_a_clear_error("radicale")
}

#[test]
fn sogo_wrong_password() {
    wrong_password_is_a_clear_error("sogo")
}

// ---------------------------------------------------------------------------
// A private Radicale: a user named like an e-mail address, and a read-only
// collection through a rights file (the shared Radicale gives its owner all rights).

const OWN_USER: &str = "alice@example.test";
const OWN_PASSWORD: &str = "own-radicale-pw";

struct OwnRadicale {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for OwnRadicale {
    fn drop(&mut self) {
        // Our own child, by its PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

impl OwnRadicale {
    /// A Radicale with `OWN_USER`'s collections `calendar` (events and tasks),
    /// `contacts`, and `holidays` (events, one of them; read-only for the user).
    fn start() -> Self {
        let venv = std::env::var_os("DAVSYNC_SERVERS_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                    .join(".cache/davsync/servers-venv")
            });
        let python = venv.join("bin/python");
        assert!(
            python.exists(),
            "no Radicale venv at {}: run tests/servers/install.sh radicale",
            venv.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = free_port();
        let user_dir = d.join("collections/collection-root").join(OWN_USER);
        write(
            &user_dir.join("calendar/.Radicale.props"),
            r#"{"C:supported-calendar-component-set": "VEVENT,VTODO", "D:displayname": "Calendar", "tag": "VCALENDAR"}"#,
        );
        write(
            &user_dir.join("contacts/.Radicale.props"),
            r#"{"D:displayname": "Contacts", "tag": "VADDRESSBOOK"}"#,
        );
        write(
            &user_dir.join("holidays/.Radicale.props"),
            r##"{"C:supported-calendar-component-set": "VEVENT", "D:displayname": "Public Holidays", "ICAL:calendar-color": "#FF0000", "tag": "VCALENDAR"}"##,
        );
        write(
            &user_dir.join("holidays/xmas.ics"),
            &event("xmas-2026", "Christmas Day", ""),
        );
        write(&d.join("users"), &format!("{OWN_USER}:{OWN_PASSWORD}\n"));
        // The first matching section decides.
        write(
            &d.join("rights"),
            "[root]\nuser: .+\ncollection:\npermissions: R\n\n\
             [principal]\nuser: .+\ncollection: {user}\npermissions: RW\n\n\
             [holidays]\nuser: .+\ncollection: {user}/holidays\npermissions: r\n\n\
             [own]\nuser: .+\ncollection: {user}/[^/]+\npermissions: rw\n",
        );
        write(
            &d.join("radicale.conf"),
            &format!(
                "[server]\nhosts = 127.0.0.1:{port}\n\n[auth]\ntype = htpasswd\nhtpasswd_filename = {}\n\
                 htpasswd_encryption = plain\ndelay = 0\n\n[rights]\ntype = from_file\nfile = {}\n\n\
                 [storage]\nfilesystem_folder = {}\n",
                d.join("users").display(),
                d.join("rights").display(),
                d.join("collections").display()
            ),
        );
        let log = std::fs::File::create(d.join("radicale.log")).unwrap();
        let child = Command::new(&python)
            .args(["-m", "radicale", "--config"])
            .arg(d.join("radicale.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start radicale");
        let mut own = OwnRadicale {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = own.child.try_wait() {
                panic!(
                    "radicale exited ({status}): {}",
                    std::fs::read_to_string(own._dir.path().join("radicale.log"))
                        .unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "radicale did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        own
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    fn url(&self, collection: &str) -> String {
        format!("{}{OWN_USER}/{collection}/", self.base())
    }
}

#[test]
fn read_only_collection_gets_to_local() {
    let radicale = OwnRadicale::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cal").to_string_lossy().to_string();
    let base = radicale.base();
    let args = [
        "discover",
        "--url",
        &base,
        "--user",
        OWN_USER,
        "--password-env",
        PASSWORD_VAR,
        "--write",
        "--local-root",
        &root,
        "--json",
    ];
    let r = run(dir.path(), &args, OWN_PASSWORD, &[]);
    r.expect_code(0);
    let json = json_of(&r);
    let holidays = collection(&json, &radicale.url("holidays"));
    assert_eq!(holidays["read_only"], true, "{holidays:#}");
    assert_eq!(holidays["kind"], "calendar");
    assert_eq!(holidays["color"], "#FF0000");
    assert_eq!(
        collection(&json, &radicale.url("calendar"))["read_only"],
        false
    );
    assert_eq!(
        collection(&json, &radicale.url("contacts"))["read_only"],
        false
    );

    let added = added_for(&json, &radicale.url("holidays"));
    assert_eq!(added.len(), 1, "{json:#}");
    let (name, content, mode, local) = &added[0];
    assert_eq!(
        (name.as_str(), content.as_str(), mode.as_str()),
        ("public-holidays", "events", "to-local")
    );
    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let table = &text[text.find("[profiles.public-holidays]").unwrap()..];
    let table = &table[..table[1..].find("\n[").map_or(table.len(), |i| i + 1)];
    assert!(table.contains("mode = \"to-local\""), "{table}");
    for (profile, ..) in added_for(&json, &radicale.url("calendar")) {
        let table = &text[text.find(&format!("[profiles.{profile}]")).unwrap()..];
        let table = &table[..table[1..].find("\n[").map_or(table.len(), |i| i + 1)];
        assert!(!table.contains("mode ="), "{table}");
    }

    // The read-only calendar comes down; the others sync both ways.
    let r = run(dir.path(), &["sync"], OWN_PASSWORD, &[]);
    r.expect_code(0);
    let got = files(local, "ics");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got.values().next().unwrap().contains("Christmas Day"));
    assert_eq!(
        std::fs::read_to_string(local.join("displayname")).unwrap(),
        "Public Holidays"
    );
    assert_eq!(
        std::fs::read_to_string(local.join("color")).unwrap(),
        "#FF0000"
    );
}

/// dnsmasq from `tests/servers/dns.sh`, stopped on drop.
struct Dns {
    dir: tempfile::TempDir,
    server: String,
}

impl Dns {
    fn start(records: &[String]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = repo_root().join("tests/servers/dns.sh");
        let out = Command::new(&script)
            .arg("start")
            .arg(dir.path())
            .args(records)
            .stdin(Stdio::null())
            .output()
            .expect("run tests/servers/dns.sh");
        assert!(
            out.status.success(),
            "dns.sh start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let server = stdout
            .lines()
            .find_map(|l| l.strip_prefix("DNS_SERVER="))
            .expect("DNS_SERVER in dns.sh output")
            .to_string();
        Dns { dir, server }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("tests/servers/dns.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// (type, path, kind) of every collection in a `--json` answer, the host left out.
fn collection_set(json: &Value) -> BTreeSet<(String, String, String)> {
    json["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let url: http::Uri = c["url"].as_str().unwrap().parse().unwrap();
            (
                c["type"].as_str().unwrap().to_string(),
                format!("{}{}", url.port_u16().unwrap(), url.path()),
                c["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn email_discovery_uses_dns_srv_and_txt() {
    let radicale = OwnRadicale::start();
    let xandikos = servers::get("xandikos");
    let xandikos_port = xandikos
        .base_url
        .parse::<http::Uri>()
        .unwrap()
        .port_u16()
        .unwrap();
    let dead_port = free_port();
    // _caldavs is absent; _caldav has three targets: priority 0 is down, 10 is
    // our Radicale, 20 is Xandikos (never reached). TXT gives Radicale's path.
    // _carddav has no TXT: the search starts at the host's root.
    let records = vec![
        "--local=/example.test/".to_string(),
        format!("--srv-host=_caldav._tcp.example.test,localhost,{dead_port},0,10"),
        format!(
            "--srv-host=_caldav._tcp.example.test,localhost,{},10,10",
            radicale.port
        ),
        format!("--srv-host=_caldav._tcp.example.test,localhost,{xandikos_port},20,10"),
        format!("--txt-record=_caldav._tcp.example.test,txtvers=1,path=/{OWN_USER}/"),
        format!(
            "--srv-host=_carddav._tcp.example.test,localhost,{},0,0",
            radicale.port
        ),
    ];
    let dns = Dns::start(&records);
    let dir = tempfile::tempdir().unwrap();
    let envs = [("DAVSYNC_DNS_SERVER", dns.server.as_str())];

    let by_url = run(
        dir.path(),
        &[
            "discover",
            "--url",
            &radicale.base(),
            "--user",
            OWN_USER,
            "--password-env",
            PASSWORD_VAR,
            "--json",
        ],
        OWN_PASSWORD,
        &[],
    );
    by_url.expect_code(0);
    // No --user: the address is the user name.
    let by_email = run(
        dir.path(),
        &[
            "discover",
            "--email",
            OWN_USER,
            "--password-env",
            PASSWORD_VAR,
            "--json",
        ],
        OWN_PASSWORD,
        &envs,
    );
    by_email.expect_code(0);
    let expected = collection_set(&json_of(&by_url));
    assert_eq!(expected.len(), 3, "{expected:?}");
    assert_eq!(collection_set(&json_of(&by_email)), expected);
    let email_json = json_of(&by_email);
    assert_eq!(
        email_json["principals"],
        serde_json::json!([format!("http://localhost:{}/{OWN_USER}/", radicale.port)])
    );

    // The table, as a person sees it.
    let human = run(
        dir.path(),
        &[
            "discover",
            "--email",
            OWN_USER,
            "--password-env",
            PASSWORD_VAR,
        ],
        OWN_PASSWORD,
        &envs,
    );
    human.expect_code(0);
    assert!(
        human.stdout.contains("Public Holidays") && human.stdout.contains("#FF0000"),
        "{}",
        human.describe()
    );

    // Without the DNS records (another domain) nothing is found: exit 1, a clear message.
    let none = run(
        dir.path(),
        &[
            "discover",
            "--email",
            "bob@nowhere.example.test",
            "--password-env",
            PASSWORD_VAR,
        ],
        OWN_PASSWORD,
        &envs,
    );
    none.expect_code(1);
    assert!(
        none.stderr
            .contains("no CalDAV or CardDAV server found for bob@nowhere.example.test"),
        "{}",
        none.describe()
    );
    assert!(!none.stderr.contains(OWN_PASSWORD));
}

/// `discover` against the HTTPS Radicale (its own CA): refused without a
/// TLS option, found with `--tls-ca-file` or `--tls-fingerprint`, and
/// `--write` puts the option into the profiles, with which `sync` works.
#[test]
fn tls_options_reach_a_self_signed_server_and_are_written() {
    let tls = servers::get("radicale-tls");
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "discover",
        "--url",
        &tls.base_url,
        "--user",
        &tls.user,
        "--password-env",
        PASSWORD_VAR,
        "--json",
    ];
    let refused = run(dir.path(), &base, &tls.password, &[]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("certificate"),
        "{}",
        refused.describe()
    );

    let ca = tls.env["DAV_CA_FILE"].clone();
    let mut with_ca = base.to_vec();
    with_ca.extend(["--tls-ca-file", &ca]);
    let found = run(dir.path(), &with_ca, &tls.password, &[]);
    found.expect_code(0);
    collection(&json_of(&found), &tls.calendar_url);

    let pin = tls.env["DAV_CERT_SHA256"].clone();
    let mut pinned = base.to_vec();
    pinned.extend(["--tls-fingerprint", &pin]);
    let found = run(dir.path(), &pinned, &tls.password, &[]);
    found.expect_code(0);
    collection(&json_of(&found), &tls.calendar_url);

    // Relative to where discover runs; written absolute.
    let ca_copy = dir.path().join("server-ca.pem");
    std::fs::copy(&ca, &ca_copy).unwrap();
    let root = dir.path().join("cals").to_string_lossy().to_string();
    let mut write = with_ca.clone();
    write.truncate(write.len() - 2);
    write.extend([
        "--tls-ca-file",
        "server-ca.pem",
        "--write",
        "--local-root",
        &root,
    ]);
    let d = davsync(dir.path());
    let out = d
        .command(&write)
        .current_dir(dir.path())
        .env(PASSWORD_VAR, &tls.password)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let key = format!("tls_ca_file = {}", toml_string(&ca_copy.to_string_lossy()));
    assert!(config.contains(&key), "{config}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profile = added_for(&json, &tls.calendar_url)[0].0.clone();
    let synced = run(
        dir.path(),
        &["sync", "--json", &profile],
        &tls.password,
        &[],
    );
    synced.expect_code(0);
}

/// `discover` through the proxy that wants a login: `--proxy`,
/// `--proxy-username` and `--proxy-password-env` as the store keys of the
/// same names; a wrong proxy password is the proxy's refusal.
#[test]
fn proxy_options_take_discovery_through_a_proxy() {
    let server = servers::get("radicale");
    let proxy = servers::proxies();
    let dir = tempfile::tempdir().unwrap();
    let port = server
        .base_url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let log = &proxy["PROXY_AUTH_LOG"];
    let seen = || {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .matches(&format!("127.0.0.1:{port}"))
            .count()
    };
    let before = seen();
    let args = [
        "discover",
        "--url",
        &server.base_url,
        "--user",
        &server.user,
        "--password-env",
        PASSWORD_VAR,
        "--json",
        "--proxy",
        &proxy["PROXY_AUTH_URL"],
        "--proxy-username",
        &proxy["PROXY_USER"],
        "--proxy-password-env",
        "DISCOVER_PROXY_PW",
    ];
    let found = run(
        dir.path(),
        &args,
        &server.password,
        &[("DISCOVER_PROXY_PW", proxy["PROXY_PASSWORD"].as_str())],
    );
    found.expect_code(0);
    collection(&json_of(&found), &server.calendar_url);
    assert!(seen() > before, "the proxy saw no request to the server");
    let refused = run(
        dir.path(),
        &args,
        &server.password,
        &[("DISCOVER_PROXY_PW", "not-the-proxy-password")],
    );
    // (tinyproxy answers a wrong login with 401, not 407.)
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("407") || refused.stderr.contains("401"),
        "{}",
        refused.describe()
    );
    assert!(!refused.stderr.contains("not-the-proxy-password"));
}
