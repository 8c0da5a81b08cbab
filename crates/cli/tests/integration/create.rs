//! End-to-end: `davsync create` makes the collections of new profiles on
//! every server of the suite (a calendar for the events and tasks profiles
//! sharing its URL, an address book), named and coloured after the folders'
//! `displayname` and `color` files; the first sync then fills them; a
//! second `create` leaves them as they are.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::Setup;
use davsync_dav::{Collection, CollectionKind};
use davsync_testkit::cli::{Davsync, Run};
use davsync_testkit::folder::write_file;
use davsync_testkit::items::{event, task, vcard3};

fn davsync(s: &Setup, config: &str, args: &[&str]) -> Run {
    let path = s.root.join("config.toml");
    std::fs::write(&path, config).unwrap();
    Davsync::new(env!("CARGO_BIN_EXE_davsync"), &path, s.root.join("data"))
        .command(args)
        .env(crate::servers::PASSWORD_VAR, &s.server.password)
        .output()
        .map(|out| Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            command: format!("davsync {}", args.join(" ")),
        })
        .unwrap()
}

fn create_then_sync(name: &str) {
    let s = Setup::new(name);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = s.server.client();
    let cal_url = client.url_of(&s.server.unused_href(CollectionKind::Calendar));
    let book_url = client.url_of(&s.server.unused_href(CollectionKind::AddressBook));
    let cal = Collection::new(s.server.client(), &cal_url, CollectionKind::Calendar).unwrap();
    let book = Collection::new(s.server.client(), &book_url, CollectionKind::AddressBook).unwrap();
    let events = s.folder("events");
    let tasks = s.folder("tasks");
    let people = s.folder("people");
    // Unique names: SOGo refuses a name another calendar of the user has.
    let tag = cal_url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let projects = format!("Projects {tag}");
    let friends = format!("Friends {tag}");
    write_file(&events, "displayname", &format!("{projects}\n"));
    write_file(&events, "color", "#3A87AD\n");
    write_file(&people, "displayname", &format!("{friends}\n"));
    write_file(&events, "kickoff.ics", &event("kickoff", "Kickoff", ""));
    write_file(&tasks, "plan.ics", &task("plan", "Plan"));
    write_file(&people, "ann.vcf", &vcard3("ann", "Ann Example"));
    let config = [
        s.profile("events", "events", &events, &cal, ""),
        s.profile("tasks", "tasks", &tasks, &cal, ""),
        s.profile("people", "contacts", &people, &book, ""),
    ]
    .join("\n");

    let made = davsync(&s, &config, &["create", "events", "tasks", "people"]);
    made.expect_code(0);
    assert!(
        made.stdout.contains(&format!(
            "events: made a calendar for events and tasks \"{projects}\""
        )),
        "{}",
        made.describe()
    );
    assert!(
        made.stdout.contains("tasks: the collection exists already"),
        "{}",
        made.describe()
    );
    assert!(
        made.stdout
            .contains(&format!("people: made an address book \"{friends}\"")),
        "{}",
        made.describe()
    );
    let props = runtime.block_on(cal.properties()).unwrap();
    assert_eq!(
        props.displayname.as_deref(),
        Some(projects.as_str()),
        "{name}"
    );
    let props = runtime.block_on(book.properties()).unwrap();
    assert_eq!(
        props.displayname.as_deref(),
        Some(friends.as_str()),
        "{name}"
    );

    let reports = s.sync(&config, &[]);
    for profile in ["events", "tasks", "people"] {
        assert_eq!(
            reports[profile]["server"]["created"], 1,
            "{name} {profile}: {reports:#?}"
        );
    }
    let again = davsync(&s, &config, &["create", "events", "people"]);
    again.expect_code(0);
    assert_eq!(
        again.stdout.matches("exists already").count(),
        2,
        "{}",
        again.describe()
    );
}

macro_rules! per_server {
    ($($server:ident),*) => {$(
        #[test]
        fn $server() {
            create_then_sync(stringify!($server));
        }
    )*};
}

per_server!(radicale, xandikos, sogo, davical, cyrus, sabredav);
