//! A faulty proxy in front of a real server (`tests/tools/faultproxy.py`):
//! drops connections before or after the server saw the request, delays,
//! answers 500/503 itself, or cuts answers short, at the rates asked for;
//! with `--sync-page N`, it pages sync-collection answers as a server that
//! truncates them does (logged as `sync-page`, see [`FaultProxy::injected`]);
//! with `--trace`, it logs each request's begin and end ([`FaultProxy::trace`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The share of requests that get each fault (0 to 1; together at most 1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates {
    /// Connection closed before the request reaches the server.
    pub drop: f64,
    /// Request carried out, connection closed before the answer.
    pub drop_after: f64,
    /// 500 or 503 from the proxy.
    pub error: f64,
    /// Forwarded after a pause of up to `max_delay`.
    pub delay: f64,
    /// Answer cut in the middle of its body.
    pub truncate: f64,
}

/// A running proxy; stopped when dropped.
pub struct FaultProxy {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tools/faultproxy.py")
}

/// The origin (`http://host:port`) of `url`: what [`FaultProxy::start`] takes.
pub fn origin(url: &str) -> String {
    let uri: http::Uri = url.parse().expect("a URL");
    format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority().expect("a URL with a host")
    )
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`), with a seed
    /// for its random choices (a run can be repeated).
    pub fn start(upstream: &str, rates: Rates, seed: u64, max_delay: Duration) -> FaultProxy {
        FaultProxy::start_with(upstream, rates, seed, max_delay, &[])
    }

    /// A proxy that forwards everything as it is, on `port` (0: a free one):
    /// the server as reached through it can be stopped (the proxy dropped)
    /// and started again on the same port.
    pub fn plain(upstream: &str, port: u16) -> FaultProxy {
        let port = port.to_string();
        FaultProxy::start_with(
            upstream,
            Rates::default(),
            1,
            Duration::ZERO,
            &["--port", &port],
        )
    }

    /// The same, with further options of the script (`--form-feed`, `--bad-header`).
    pub fn start_with(
        upstream: &str,
        rates: Rates,
        seed: u64,
        max_delay: Duration,
        flags: &[&str],
    ) -> FaultProxy {
        let dir = tempfile::tempdir().expect("temp dir");
        let port_file = dir.path().join("port");
        let log = dir.path().join("faults.log");
        let child = Command::new("python3")
            .arg(script())
            .args(["--upstream", upstream, "--seed", &seed.to_string()])
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(&log)
            .args(["--drop", &rates.drop.to_string()])
            .args(["--drop-after", &rates.drop_after.to_string()])
            .args(["--error", &rates.error.to_string()])
            .args(["--delay", &rates.delay.to_string()])
            .args(["--truncate", &rates.truncate.to_string()])
            .args(["--max-delay", &max_delay.as_secs_f64().to_string()])
            .args(flags)
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 runs tests/tools/faultproxy.py");
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Ok(port) = text.trim().parse()
            {
                break port;
            }
            assert!(Instant::now() < deadline, "the fault proxy did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        FaultProxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// `url` (on the proxied server) as reached through the proxy.
    pub fn url(&self, url: &str) -> String {
        let uri: http::Uri = url.parse().expect("a URL");
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every fault injected so far, oldest first, as logged: `<fault> <method>
    /// <path>` (the log's `connection` lines left out).
    pub fn faults(&self) -> Vec<String> {
        const FAULTS: [&str; 5] = ["drop", "drop_after", "error", "delay", "truncate"];
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| FAULTS.contains(&l.split(' ').next().unwrap_or("")))
            .map(str::to_string)
            .collect()
    }

    /// How many faults of a kind (`drop`, `drop_after`, `error`, `delay`,
    /// `truncate`, `sync-page`) were injected so far.
    pub fn injected(&self, fault: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.split(' ').next() == Some(fault))
            .count()
    }

    /// With `--trace`: each request's path and the requests in flight when
    /// it came, and its end, oldest first.
    pub fn trace(&self) -> Vec<Traced> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let words: Vec<&str> = l.split(' ').collect();
                match words.as_slice() {
                    ["begin", n, method, path] => Some(Traced::Begin {
                        in_flight: n.parse().expect("a count"),
                        method: method.to_string(),
                        path: path.to_string(),
                    }),
                    ["end", _, path] => Some(Traced::End {
                        path: path.to_string(),
                    }),
                    _ => None,
                }
            })
            .collect()
    }
}

/// A line of the proxy's `--trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Traced {
    /// A request came.
    Begin {
        /// Requests in flight with it.
        in_flight: usize,
        /// Its method.
        method: String,
        /// Its path.
        path: String,
    },
    /// Its answer has gone.
    End {
        /// Its path.
        path: String,
    },
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
