//! Redirects are followed, but credentials never go to another origin, and
//! endless redirects end in a clear error. Two real HTTP servers (Python's
//! http.server on two loopback ports): the first redirects within itself and
//! to the second; both record what they received.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use davsync_dav::{ClientOptions, Collection, CollectionKind, Credentials, DavClient};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const SERVER: &str = r#"
import http.server, socketserver, sys, threading
log = []
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def handle_any(self):
        port = self.server.server_address[1]
        log.append("%d %s %s %s" % (port, self.command, self.path, "auth" if self.headers.get("Authorization") else "none"))
        if self.path == "/log":
            body = "\n".join(log).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        if self.path == "/same/":
            self.send_response(308); self.send_header("Location", "/dav/cal/"); self.send_header("Content-Length", "0"); self.end_headers(); return
        if self.path.startswith("/loop/"):
            n = int(self.path[6:] or 0) + 1
            self.send_response(307); self.send_header("Location", "/loop/%d" % n); self.send_header("Content-Length", "0"); self.end_headers(); return
        if self.path == "/cross/":
            self.send_response(308); self.send_header("Location", "http://127.0.0.1:%d/dav/cal/" % other); self.send_header("Content-Length", "0"); self.end_headers(); return
        body = b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>' + self.path.encode() + b'</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>'
        self.send_response(207); self.send_header("Content-Type", "application/xml"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    do_GET = do_PROPFIND = do_REPORT = handle_any
a = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
b = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
other = b.server_address[1]
for s in (a, b): threading.Thread(target=s.serve_forever, daemon=True).start()
print(a.server_address[1], b.server_address[1], flush=True)
sys.stdin.read()
"#;

struct Servers {
    child: Child,
    first: u16,
}

impl Servers {
    fn start() -> Self {
        let mut child = Command::new("python3")
            .args(["-c", SERVER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports: Vec<u16> = line
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        Servers {
            child,
            first: ports[0],
        }
    }

    fn log(&self) -> String {
        let url = format!("http://127.0.0.1:{}/log", self.first);
        let out = Command::new("python3")
            .args([
                "-c",
                &format!(
                    "import urllib.request;print(urllib.request.urlopen('{url}').read().decode())"
                ),
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn credentials_follow_same_origin_redirects_only() {
    let servers = Servers::start();
    let base = format!("http://127.0.0.1:{}/", servers.first);
    let credentials = Credentials {
        username: "alice".into(),
        password: "s3cret".into(),
    };
    let client = DavClient::new(&base, Some(&credentials), &ClientOptions::default()).unwrap();
    for path in ["same/", "cross/"] {
        let collection = Collection::new(
            client.clone(),
            &format!("{base}{path}"),
            CollectionKind::Calendar,
        )
        .unwrap();
        collection
            .list()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let log = servers.log();
    let first = servers.first;
    // Same origin: the redirect target gets the credentials.
    assert!(
        log.contains(&format!("{first} PROPFIND /same/ auth")),
        "{log}"
    );
    assert!(
        log.contains(&format!("{first} PROPFIND /dav/cal/ auth")),
        "{log}"
    );
    // Another origin (another port): the request arrives, without them.
    assert!(
        log.contains(&format!("{first} PROPFIND /cross/ auth")),
        "{log}"
    );
    let cross: Vec<&str> = log
        .lines()
        .filter(|l| !l.starts_with(&first.to_string()) && l.contains("/dav/cal/"))
        .collect();
    assert_eq!(cross.len(), 1, "{log}");
    assert!(
        cross[0].ends_with("none"),
        "credentials went to another origin: {log}"
    );
}

#[tokio::test]
async fn endless_redirects_end_in_a_clear_error() {
    let servers = Servers::start();
    let base = format!("http://127.0.0.1:{}/", servers.first);
    let client = DavClient::new(&base, None, &ClientOptions::default()).unwrap();
    let collection =
        Collection::new(client, &format!("{base}loop/"), CollectionKind::Calendar).unwrap();
    let err = collection
        .list()
        .await
        .expect_err("a redirect loop must end");
    assert!(err.to_string().contains("redirect"), "{err}");
    let hops = servers
        .log()
        .lines()
        .filter(|l| l.contains("/loop/"))
        .count();
    assert!((2..=20).contains(&hops), "followed {hops} redirects");
}
