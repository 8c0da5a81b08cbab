//! Tests of the service files, their quoting, the README's unit, and
//! install and uninstall on a folder of their own.

use super::*;

fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The README's unit: what lies between `<!-- service: systemd -->` and
/// `<!-- /service -->`.
fn readme_unit() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start_marker = "<!-- service: systemd -->\n";
    let start = readme.find(start_marker).expect("the README's unit marker") + start_marker.len();
    let end = readme[start..]
        .find("<!-- /service -->")
        .expect("its end marker");
    readme[start..start + end].to_string()
}

#[test]
fn the_readme_shows_the_unit_service_install_writes() {
    let expected = format!(
        "```ini\n{}```\n",
        systemd_unit(&words(&["/home/me/.cargo/bin/davsync", "daemon"]))
    );
    assert!(
        readme_unit() == expected,
        "README.md's unit differs from what `davsync service install` writes; paste this \
         between `<!-- service: systemd -->` and `<!-- /service -->`:\n\n{expected}"
    );
}

#[test]
fn the_unit_runs_the_daemon_and_reloads_with_sighup() {
    let unit = systemd_unit(&words(&[
        "/usr/bin/davsync",
        "daemon",
        "--config",
        "/home/me/dav.toml",
    ]));
    let lines: Vec<&str> = unit.lines().collect();
    for line in [
        "ExecStart=/usr/bin/davsync daemon --config /home/me/dav.toml",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "WantedBy=default.target",
    ] {
        assert!(lines.contains(&line), "{line} in\n{unit}");
    }
}

#[test]
fn systemd_words_are_quoted_and_escaped() {
    assert_eq!(systemd_word("/usr/bin/davsync"), "/usr/bin/davsync");
    assert_eq!(
        systemd_word("/home/me/My Apps/davsync"),
        "\"/home/me/My Apps/davsync\""
    );
    // Specifiers and variables are taken literally.
    assert_eq!(systemd_word("/opt/100%/$HOME"), "/opt/100%%/$$HOME");
    assert_eq!(systemd_word(r#"/a "b"\c"#), r#""/a \"b\"\\c""#);
    assert_eq!(systemd_word("a\nb"), "\"a\\nb\"");
    assert_eq!(systemd_word(""), "\"\"");
    assert_eq!(systemd_word(";"), "\";\"");
}

#[test]
fn the_launchd_agent_restarts_on_failure_and_escapes_its_arguments() {
    let plist = launchd_plist(
        &words(&[
            "/Users/me/bin/davsync",
            "daemon",
            "--config",
            "/Users/me/a&b <c>.toml",
        ]),
        Path::new("/Users/me"),
    );
    assert!(
        plist.contains("<string>org.davsync.daemon</string>"),
        "{plist}"
    );
    assert!(
        plist.contains("\t\t<string>/Users/me/bin/davsync</string>\n\t\t<string>daemon</string>"),
        "{plist}"
    );
    assert!(
        plist.contains("<string>/Users/me/a&amp;b &lt;c&gt;.toml</string>"),
        "{plist}"
    );
    assert!(
        plist.contains("<key>SuccessfulExit</key>\n\t\t<false/>"),
        "{plist}"
    );
    assert!(
        plist.contains("<string>/Users/me/Library/Logs/davsync.log</string>"),
        "{plist}"
    );
    // Every element that opens closes.
    for tag in ["plist", "dict", "array"] {
        assert_eq!(
            plist.matches(&format!("<{tag}")).count(),
            plist.matches(&format!("</{tag}>")).count(),
            "{tag}: {plist}"
        );
    }
}

#[test]
fn the_task_scheduler_command_quotes_paths_with_spaces() {
    let command = schtasks_create(&words(&[r"C:\Program Files\davsync\davsync.exe", "daemon"]));
    assert_eq!(
        command,
        r#"schtasks /Create /TN davsync /SC ONLOGON /RL LIMITED /TR "\"C:\Program Files\davsync\davsync.exe\" daemon""#
    );
}

#[test]
fn shell_words_are_quoted_when_needed() {
    assert_eq!(shell_word("/Users/me/x.plist"), "/Users/me/x.plist");
    assert_eq!(shell_word("/Users/my name/x"), "'/Users/my name/x'");
    assert_eq!(shell_word("it's"), "'it'\\''s'");
}

/// A systemd service whose unit goes into `dir`.
fn service_in(dir: &Path) -> Service {
    Service {
        platform: Platform::Systemd,
        command: words(&["/usr/bin/davsync", "daemon"]),
        home: dir.to_path_buf(),
        file: Some(dir.join("systemd/user").join(UNIT)),
    }
}

#[test]
fn install_writes_once_refuses_a_changed_file_and_replaces_it_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let service = service_in(tmp.path());
    let file = service.file.clone().unwrap();
    install(&service, true, false).unwrap();
    assert!(!file.exists(), "a dry run writes nothing");
    install(&service, false, false).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), service.text());
    // The same again: up to date.
    install(&service, false, false).unwrap();
    std::fs::write(&file, "[Service]\nExecStart=/bin/true\n").unwrap();
    let e = install(&service, false, false).unwrap_err();
    assert!(e.to_string().contains("--force"), "{e:#}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[Service]\nExecStart=/bin/true\n"
    );
    install(&service, false, true).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), service.text());
}

#[cfg(unix)]
#[test]
fn uninstall_removes_the_unit_and_the_enable_link() {
    let tmp = tempfile::tempdir().unwrap();
    let service = service_in(tmp.path());
    let file = service.file.clone().unwrap();
    install(&service, false, false).unwrap();
    let link = service.enable_link().unwrap();
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&file, &link).unwrap();
    uninstall(&service, true).unwrap();
    assert!(
        file.exists() && link.symlink_metadata().is_ok(),
        "a dry run removes nothing"
    );
    uninstall(&service, false).unwrap();
    assert!(!file.exists());
    assert!(link.symlink_metadata().is_err(), "the link is gone");
    // Nothing left: nothing to do, no error.
    uninstall(&service, false).unwrap();
}
