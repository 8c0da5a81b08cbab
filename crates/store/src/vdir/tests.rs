//! Tests of `vdir.rs`.

use super::*;

fn store() -> (tempfile::TempDir, VdirStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = VdirStore::open(dir.path().join("cal"), "ics").unwrap();
    (dir, store)
}

#[test]
fn a_fresh_version_is_confirmed_by_its_bytes_once_the_file_has_aged() {
    let (_dir, store) = store();
    let path = store.path.join("a.ics");
    let aged = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
    let write = |body: &str| {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        (&file).write_all(body.as_bytes()).unwrap();
        file.set_modified(aged).unwrap();
    };
    write("BEGIN:VCALENDAR one");
    // As recorded when the file was fresh; listed now that it is old.
    let known = format!(
        "{}-h{}",
        stat_version(&fs::metadata(&path).unwrap()),
        content_tag(b"BEGIN:VCALENDAR one")
    );
    let listed = stat_version(&fs::metadata(&path).unwrap());
    assert!(store.still_is("a.ics", &listed, &known));
    assert!(store.still_is("a.ics", &known, &known));
    assert!(!store.still_is("a.ics", "0-0-0", &known));
    // Rewritten in place with the same size and time: only the bytes tell.
    write("BEGIN:VCALENDAR two");
    assert_eq!(stat_version(&fs::metadata(&path).unwrap()), listed);
    assert!(!store.still_is("a.ics", &listed, &known));
    // Without a hash, a different stat is a different file.
    assert!(!store.still_is("a.ics", &listed, "1-2-3"));
}

#[tokio::test]
async fn hrefs_outside_the_folder_are_refused() {
    let (_dir, store) = store();
    for href in [
        "../x.ics",
        "/etc/passwd",
        "a/b.ics",
        ".hidden.ics",
        "x.vcf",
        ".ics",
        "a\0.ics",
    ] {
        let err = store
            .get_many(&[href.to_string()])
            .await
            .remove(0)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidHref { .. }),
            "{href}: {err}"
        );
        assert!(matches!(
            store.delete(href, "1").await,
            Err(StoreError::InvalidHref { .. })
        ));
    }
}

/// What davsync writes has a plain stat version at once (nothing to
/// confirm on the next run), yet another program's write right after it,
/// with the same size, still changes that version.
#[tokio::test]
async fn written_files_are_settled_and_a_rewrite_right_after_is_seen() {
    let (_dir, store) = store();
    let written = store.create("u1", "BEGIN:VCALENDAR one").await.unwrap();
    assert!(
        split_version(&written.version).1.is_none(),
        "{}",
        written.version
    );
    let listed = store.list().await.unwrap();
    assert_eq!(listed[0].version, written.version);
    fs::write(store.path.join(&written.href), "BEGIN:VCALENDAR two").unwrap();
    let listed = store.list().await.unwrap();
    assert_ne!(listed[0].version, written.version);
    assert!(!store.still_is(&written.href, &listed[0].version, &written.version));
    let updated = store
        .update(&written.href, &listed[0].version, "BEGIN:VCALENDAR three")
        .await
        .unwrap();
    assert!(split_version(&updated.version).1.is_none());
    assert_eq!(store.list().await.unwrap()[0].version, updated.version);
}

/// New files are written unnamed and then named where the system has such
/// files (Linux), under a temporary name and renamed elsewhere (or where the
/// file system has none): both ways give the same files, versions, modes
/// and names (a name taken gets one of its own), and leave no temporary
/// file behind.
#[cfg(unix)]
#[tokio::test]
async fn new_files_come_out_the_same_written_unnamed_or_renamed() {
    use std::os::unix::fs::PermissionsExt;
    for unnamed in [true, false] {
        let (_dir, store) = store();
        store.unnamed.store(unnamed, Ordering::Relaxed);
        let a = store.create("u1", "BEGIN:VCALENDAR one").await.unwrap();
        fs::write(store.path().join("u2.ics"), "not ours").unwrap();
        let b = store.create("u2", "BEGIN:VCALENDAR two").await.unwrap();
        assert_eq!(a.href, "u1.ics");
        assert!(
            b.href.starts_with("u2-") && b.href.ends_with(".ics"),
            "{}",
            b.href
        );
        let read = |href: &str| fs::read_to_string(store.path().join(href)).unwrap();
        assert_eq!(read("u1.ics"), "BEGIN:VCALENDAR one");
        assert_eq!(read(&b.href), "BEGIN:VCALENDAR two");
        assert_eq!(read("u2.ics"), "not ours");
        let mut listed = store.list().await.unwrap();
        listed.sort_by(|x, y| x.href.cmp(&y.href));
        let versions: Vec<(&str, &str)> = listed
            .iter()
            .filter(|l| l.href != "u2.ics")
            .map(|l| (l.href.as_str(), l.version.as_str()))
            .collect();
        assert_eq!(
            versions,
            [
                (a.href.as_str(), a.version.as_str()),
                (b.href.as_str(), b.version.as_str())
            ]
        );
        let mode = |name: &str| {
            fs::metadata(store.path().join(name))
                .unwrap()
                .permissions()
                .mode()
        };
        assert_eq!(
            mode("u1.ics"),
            mode("u2.ics"),
            "the mode of a plain new file"
        );
        let names: Vec<String> = fs::read_dir(store.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        // Unnamed files were used where this file system has them and they
        // can be named (beside the folder, a probe of both steps); else the
        // store fell back to temporary names for good.
        let probe = store.path().with_file_name("probe");
        let supported = crate::platform::unnamed_file(store.path())
            .unwrap()
            .is_some_and(|file| crate::platform::name_unnamed(&file, &probe).is_ok());
        assert_eq!(store.unnamed.load(Ordering::Relaxed), unnamed && supported);
    }
}

/// A panic in the file system work is an error of that operation, and
/// the caller (the run) goes on.
#[tokio::test]
async fn a_panic_on_the_blocking_thread_is_a_store_error() {
    let result: Result<(), StoreError> =
        blocking("listing /x", || panic!("a bug in the file system code")).await;
    let err = result.unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with("listing /x: "), "{message}");
    assert!(message.contains("panicked"), "{message}");
    assert_eq!(
        blocking("reading", || Ok(7)).await.unwrap(),
        7,
        "an answer comes back as it is"
    );
}

/// A read that blocks (here a named pipe nobody writes to yet) does not
/// hold up the current-thread runtime: another task on it gets to run,
/// and is the one that lets the read finish. With the file system calls
/// on the runtime's own thread, this would never end.
#[cfg(unix)]
#[test]
fn a_blocking_read_leaves_the_runtime_free() {
    let (_dir, store) = store();
    let fifo = store.path.join("pipe.ics");
    // (The mkfifo program: the crate forbids unsafe code, libc's call included.)
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (done, finished) = std::sync::mpsc::channel();
    let worker = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            let asked = ["pipe.ics".to_string()];
            let (read, ()) = runtime.block_on(async {
                tokio::join!(store.get_many(&asked), async {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    // Opening the writing end waits for the reader, which
                    // only a free runtime let start.
                    fs::write(&fifo, "BEGIN:VCALENDAR piped").unwrap();
                })
            });
            let _ = done.send(read);
        })
    };
    let read = match finished.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(read) => read,
        Err(_) => {
            // Unblock the stuck thread (open the pipe's other end), then fail.
            let _ = fs::write(&fifo, "");
            panic!("the runtime was blocked by the read");
        }
    };
    worker.join().unwrap();
    assert_eq!(read[0].as_ref().unwrap().body, "BEGIN:VCALENDAR piped");
}

#[tokio::test]
async fn missing_parent_is_an_error_not_a_new_folder() {
    let dir = tempfile::tempdir().unwrap();
    let err = VdirStore::open(dir.path().join("unmounted/cal"), "ics").unwrap_err();
    assert!(matches!(err, StoreError::NoCollection(_)));
    assert!(!dir.path().join("unmounted").exists());
}

#[tokio::test]
async fn trash_keeps_overwritten_and_deleted_items() {
    let dir = tempfile::tempdir().unwrap();
    let store = VdirStore::open(dir.path().join("cal"), "ics")
        .unwrap()
        .with_trash(dir.path().join("trash"));
    let w = store.create("u1", "one").await.unwrap();
    let w = store.update(&w.href, &w.version, "two").await.unwrap();
    store.delete(&w.href, &w.version).await.unwrap();
    let mut kept: Vec<String> = fs::read_dir(dir.path().join("trash"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept, ["one", "two"]);
}

#[tokio::test]
async fn temp_files_and_other_extensions_are_not_listed() {
    let (_dir, store) = store();
    fs::write(store.path().join(".davsync-1.tmp"), "x").unwrap();
    fs::write(store.path().join("notes.txt"), "x").unwrap();
    fs::write(store.path().join("displayname"), "Work\n").unwrap();
    fs::create_dir(store.path().join("sub.ics")).unwrap();
    fs::write(store.path().join("a.ics"), "x").unwrap();
    let hrefs: Vec<_> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.href)
        .collect();
    assert_eq!(hrefs, ["a.ics"]);
    assert_eq!(
        store.metadata().await.unwrap().displayname.as_deref(),
        Some("Work")
    );
}

#[tokio::test]
async fn large_and_binary_items_are_per_item_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = VdirStore::open(dir.path().join("cal"), "ics")
        .unwrap()
        .with_max_item_size(10);
    fs::write(store.path().join("big.ics"), "x".repeat(11)).unwrap();
    fs::write(store.path().join("bin.ics"), [0xff, 0xfe]).unwrap();
    let got = store.get_many(&["big.ics".into(), "bin.ics".into()]).await;
    assert!(matches!(got[0], Err(StoreError::TooLarge { .. })));
    assert!(matches!(got[1], Err(StoreError::NotText { .. })));
}

/// A wave written in groups gives one result per write, in the order given,
/// each as the write alone would: creates, an update and a deletion that
/// hold, and an update and a deletion whose version is stale, refused in
/// their places; for any number of groups (more than writes, one, none).
/// No two writes of the wave are for one file (as no two of the engine's
/// are): their order within a wave is not fixed.
#[tokio::test]
async fn a_wave_of_writes_answers_each_in_its_place() {
    for concurrency in [0, 1, 3, 16] {
        let (_dir, store) = store();
        let a = store.create("a", "BEGIN:VCALENDAR a").await.unwrap();
        let b = store.create("b", "BEGIN:VCALENDAR b").await.unwrap();
        let c = store.create("c", "BEGIN:VCALENDAR c").await.unwrap();
        let d = store.create("d", "BEGIN:VCALENDAR d").await.unwrap();
        let bodies: Vec<String> = (0..7).map(|i| format!("BEGIN:VCALENDAR n{i}")).collect();
        let uids: Vec<String> = (0..7).map(|i| format!("n{i}")).collect();
        let mut ops: Vec<WriteOp<&str>> = uids
            .iter()
            .zip(&bodies)
            .map(|(uid, body)| WriteOp::Create {
                uid: uid.as_str(),
                body: body.as_str(),
            })
            .collect();
        ops.insert(
            2,
            WriteOp::Update {
                href: a.href.as_str(),
                version: a.version.as_str(),
                body: "BEGIN:VCALENDAR a2",
            },
        );
        ops.insert(
            4,
            WriteOp::Update {
                href: c.href.as_str(),
                version: "0-0-0",
                body: "BEGIN:VCALENDAR lost",
            },
        );
        ops.insert(
            6,
            WriteOp::Delete {
                href: b.href.as_str(),
                version: b.version.as_str(),
            },
        );
        ops.push(WriteOp::Delete {
            href: d.href.as_str(),
            version: "0-0-0",
        });
        let results = store.write_all(&ops, concurrency).await;
        assert_eq!(results.len(), ops.len(), "{concurrency}");
        for (op, result) in ops.iter().zip(&results) {
            match (op, result) {
                (WriteOp::Create { uid, .. }, Ok(Some(w))) => {
                    assert_eq!(w.href, format!("{uid}.ics"))
                }
                (
                    WriteOp::Update {
                        version: "0-0-0", ..
                    },
                    Err(StoreError::PreconditionFailed { .. }),
                )
                | (
                    WriteOp::Delete {
                        version: "0-0-0", ..
                    },
                    Err(StoreError::PreconditionFailed { .. }),
                ) => {}
                (WriteOp::Update { href, .. }, Ok(Some(w))) => assert_eq!(&w.href, href),
                (WriteOp::Delete { .. }, Ok(None)) => {}
                other => panic!("{concurrency}: {other:?}"),
            }
        }
        let mut names: Vec<String> = fs::read_dir(&store.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".ics"))
            .collect();
        names.sort();
        let mut expected: Vec<String> = ["a", "c", "d"]
            .into_iter()
            .chain(uids.iter().map(String::as_str))
            .map(|u| format!("{u}.ics"))
            .collect();
        expected.sort();
        assert_eq!(names, expected, "{concurrency}");
        for (name, body) in [("a", "a2"), ("c", "c"), ("d", "d")] {
            assert_eq!(
                fs::read_to_string(store.path.join(format!("{name}.ics"))).unwrap(),
                format!("BEGIN:VCALENDAR {body}")
            );
        }
    }
    let (_dir, store) = store();
    assert!(store.write_all(&[], 4).await.is_empty());
}
