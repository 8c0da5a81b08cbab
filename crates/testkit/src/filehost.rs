//! A web host of files for tests (a contact's photo on another host than
//! the DAV server): serves fixed bytes by path on 127.0.0.1 and records
//! each request's path and whether it carried credentials.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request as the host saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The request path.
    pub path: String,
    /// Whether it had an `Authorization` header.
    pub authorization: bool,
}

/// A running file host (stops with the test process).
pub struct FileHost {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FileHost {
    /// Serves `files` (path → (content type, bytes)); other paths are 404.
    pub fn start(files: HashMap<String, (String, Vec<u8>)>) -> FileHost {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut authorization = false;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    authorization |= line.to_ascii_lowercase().starts_with("authorization:");
                }
                log.lock().unwrap().push(Seen {
                    path: path.clone(),
                    authorization,
                });
                let (status, kind, body) = match files.get(&path) {
                    Some((kind, body)) => ("200 OK", kind.as_str(), body.as_slice()),
                    None => ("404 Not Found", "text/plain", b"not here".as_slice()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body);
            }
        });
        FileHost { origin, seen }
    }

    /// The requests so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
