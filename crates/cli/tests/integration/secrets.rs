//! No password ever appears in what davsync prints or writes: every path
//! that handles one (a two-way sync, wrong passwords, Digest, a proxy with
//! its own password, a password in the file, a password command that fails,
//! TLS refusals) run with the most verbose logs, and every line of standard
//! output and error (text and `--json`) and every file of the data folder
//! (reports, status) scanned for the passwords, in clear and as the Basic
//! credentials that carry them.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use davsync_dav::CollectionKind;
use davsync_testkit::cli::{Davsync, toml_string};
use davsync_testkit::folder::{tree, write_file};
use davsync_testkit::items::event;
use davsync_testkit::servers::{self, Server};
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_davsync");
const WRONG: &str = "wrong-pw-95c1d7";
const FROM_COMMAND: &str = "cmd-pw-4e2a90";

struct Scan {
    /// Everything davsync printed, with where it came from.
    outputs: Vec<(String, String)>,
    secrets: Vec<String>,
}

impl Scan {
    fn new() -> Scan {
        Scan {
            outputs: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// A secret, and the Basic credentials `user:secret` that would carry it.
    fn secret(&mut self, user: &str, password: &str) {
        self.secrets.push(password.to_string());
        self.secrets
            .push(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")));
    }

    fn run(
        &mut self,
        label: &str,
        config: &Path,
        data: &Path,
        env: &[(&str, &str)],
        args: &[&str],
    ) {
        let davsync = Davsync::new(BIN, config, data);
        let mut command = davsync.command(args);
        command.env("DAVSYNC_LOG", "trace");
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().expect("davsync runs");
        self.outputs.push((
            format!("{label}: stdout"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        self.outputs.push((
            format!("{label}: stderr"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }

    fn files(&mut self, dir: &Path) {
        for path in tree(dir) {
            let bytes = std::fs::read(dir.join(&path)).unwrap_or_default();
            self.outputs.push((
                format!("file {}", path.display()),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }

    fn check(&self) {
        let mut lines = 0;
        for (label, text) in &self.outputs {
            lines += text.lines().count();
            for secret in &self.secrets {
                if let Some(at) = text.find(secret.as_str()) {
                    let line = text[..at].lines().count();
                    panic!("a password appears in {label}, line {line}");
                }
            }
        }
        assert!(
            lines > 200,
            "the runs said too little to prove anything ({lines} lines)"
        );
    }
}

fn profile(name: &str, folder: &Path, server: &Server, url: &str, keys: &str) -> String {
    format!(
        "[profiles.{name}]\ncontent = \"events\"\ntime_range = false\n\
         local = {{ type = \"vdir\", path = {} }}\n\
         server = {{ type = \"caldav\", url = {}, username = {}, {keys} }}\n",
        toml_string(&folder.display().to_string()),
        toml_string(url),
        toml_string(&server.user),
    )
}

#[test]
fn no_password_in_any_output_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().to_path_buf();
    let data = root.join("data");
    let mut scan = Scan::new();
    let proxy = servers::proxies();
    scan.secret(&proxy["PROXY_USER"], &proxy["PROXY_PASSWORD"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    for name in ["radicale", "sogo", "sabredav"] {
        let server = servers::get(name);
        scan.secret(&server.user, &server.password);
        scan.secret(&server.user, WRONG);
        scan.secret(&server.user, FROM_COMMAND);
        let collection = runtime.block_on(server.new_collection(CollectionKind::Calendar));
        let url = server.url_of(&collection);
        let folder = root.join(format!("{name}-local"));
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..5 {
            write_file(
                &folder,
                &format!("l{i}.ics"),
                &event(&format!("{name}-l{i}"), "Here", ""),
            );
        }
        runtime.block_on(async {
            let href = format!("{}s0.ics", collection.href());
            collection
                .create(&href, &event(&format!("{name}-s0"), "There", ""))
                .await
                .unwrap();
        });
        let env_key = "password_env = \"SECRETS_TEST_PW\"";
        let config = root.join(format!("{name}.toml"));
        std::fs::write(&config, profile("p", &folder, &server, &url, env_key)).unwrap();
        let right = [("SECRETS_TEST_PW", server.password.as_str())];
        scan.run(&format!("{name} sync"), &config, &data, &right, &["sync"]);
        write_file(
            &folder,
            "l0.ics",
            &event(&format!("{name}-l0"), "Edited here", ""),
        );
        scan.run(
            &format!("{name} sync --json"),
            &config,
            &data,
            &right,
            &["sync", "--json"],
        );
        scan.run(
            &format!("{name} status"),
            &config,
            &data,
            &right,
            &["status"],
        );
        let wrong = [("SECRETS_TEST_PW", WRONG)];
        scan.run(&format!("{name} wrong"), &config, &data, &wrong, &["sync"]);
        scan.run(
            &format!("{name} wrong --json"),
            &config,
            &data,
            &wrong,
            &["sync", "--json"],
        );

        // In the file itself (it warns), and from a command that fails after
        // printing a password (its output must not be echoed).
        let plain = root.join(format!("{name}-plain.toml"));
        let keys = format!("password = {}", toml_string(&server.password));
        std::fs::write(&plain, profile("p", &folder, &server, &url, &keys)).unwrap();
        scan.run(
            &format!("{name} plain"),
            &plain,
            &data,
            &[],
            &["sync", "--json"],
        );
        let failing = root.join(format!("{name}-cmd.toml"));
        let keys = format!(
            "password_command = {}",
            toml_string("printf '%s\\n' \"$SECRETS_CMD_PW\"; echo oops >&2; exit 3")
        );
        std::fs::write(&failing, profile("p", &folder, &server, &url, &keys)).unwrap();
        scan.run(
            &format!("{name} failing command"),
            &failing,
            &data,
            &[("SECRETS_CMD_PW", FROM_COMMAND)],
            &["sync"],
        );

        if name == "radicale" {
            // Through a proxy with a password of its own, right and wrong.
            let via = root.join("proxy.toml");
            let keys = format!(
                "{env_key}, proxy = {}, proxy_username = {}, proxy_password_env = \"SECRETS_TEST_PROXY_PW\"",
                toml_string(&proxy["PROXY_AUTH_URL"]),
                toml_string(&proxy["PROXY_USER"])
            );
            std::fs::write(&via, profile("p", &folder, &server, &url, &keys)).unwrap();
            let env = [
                ("SECRETS_TEST_PW", server.password.as_str()),
                ("SECRETS_TEST_PROXY_PW", proxy["PROXY_PASSWORD"].as_str()),
            ];
            scan.run("proxy", &via, &data, &env, &["sync", "--json"]);
            let env = [
                ("SECRETS_TEST_PW", server.password.as_str()),
                ("SECRETS_TEST_PROXY_PW", WRONG),
            ];
            scan.run("proxy wrong", &via, &data, &env, &["sync", "--json"]);
        }
    }

    // TLS: refused, then trusted, with the password sent.
    let tls = servers::get("radicale-tls");
    scan.secret(&tls.user, &tls.password);
    let folder = root.join("tls-local");
    std::fs::create_dir_all(&folder).unwrap();
    let env = [("SECRETS_TEST_PW", tls.password.as_str())];
    let config = root.join("tls.toml");
    let keys = "password_env = \"SECRETS_TEST_PW\"";
    std::fs::write(
        &config,
        profile("t", &folder, &tls, &tls.calendar_url, keys),
    )
    .unwrap();
    scan.run("tls refused", &config, &data, &env, &["sync"]);
    let keys = format!(
        "password_env = \"SECRETS_TEST_PW\", tls_ca_file = {}",
        toml_string(tls.env("DAV_CA_FILE"))
    );
    std::fs::write(
        &config,
        profile("t", &folder, &tls, &tls.calendar_url, &keys),
    )
    .unwrap();
    scan.run("tls trusted", &config, &data, &env, &["sync", "--json"]);

    scan.files(&data);
    scan.check();
}
