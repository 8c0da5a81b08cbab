//! The HTTP side of the DAV facade: libdav's sans-IO requests, sent with
//! reqwest, with Basic or Digest authentication, proxies, TLS settings,
//! timeouts, retries with backoff, a body size limit, and HTTP statuses
//! turned into typed errors.

use crate::auth::{Auth, AuthOptions, Sent};
use crate::tls::TlsOptions;
use http::Uri;
use libdav::requests::DavRequest;
use std::fmt;
use std::time::Duration;

/// A user name and password (the password never appears in `Debug` output).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Which proxy requests go through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyOption {
    /// The system's: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
    /// (and the system settings on macOS and Windows).
    #[default]
    System,
    /// None, whatever the environment says.
    None,
    /// This one (`http://host:port`), logged in to with these credentials if given.
    Url {
        /// The proxy's URL.
        url: String,
        /// Its user name and password.
        credentials: Option<Credentials>,
    },
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout of one request (the guide's default: 90 s).
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_body: u64,
    /// A new connection for every request (no keep-alive), for servers and
    /// proxies that mishandle kept-alive connections.
    pub close_connection: bool,
    /// How credentials are sent.
    pub auth: AuthOptions,
    /// Which proxy, if any.
    pub proxy: ProxyOption,
    /// Certificates.
    pub tls: TlsOptions,
    /// How long connecting may take (name lookup, TCP and TLS handshakes):
    /// short, so that a server that cannot be reached is told in seconds.
    pub connect_timeout: Duration,
    /// How often a request that failed on the way (a dropped connection, a
    /// timeout, 408, 429, 500, 502, 503, 504) is sent again. A server that
    /// cannot be reached at all ([`DavError::Offline`]) is not asked again.
    pub retries: u32,
    /// The first pause before a retry; it doubles with each retry (with
    /// jitter), unless the server says how long to wait (`Retry-After`).
    pub retry_pause: Duration,
    /// Remove characters XML 1.0 forbids (control characters such as form
    /// feed) from answers before reading them, rather than refuse them.
    pub accept_invalid_xml_chars: bool,
    /// Accept answers whose header lines are malformed (spaces before the
    /// colon, obsolete folded lines, invalid lines, which are then skipped).
    pub lenient_headers: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(10),
            max_body: 64 * 1024 * 1024,
            close_connection: false,
            auth: AuthOptions::default(),
            proxy: ProxyOption::default(),
            tls: TlsOptions::default(),
            retries: 3,
            retry_pause: Duration::from_millis(500),
            accept_invalid_xml_chars: false,
            lenient_headers: false,
        }
    }
}

/// What went wrong talking to a server. Messages name the URL, never credentials.
#[derive(Debug, thiserror::Error)]
pub enum DavError {
    /// 401: wrong user name or password.
    #[error("{url}: the server refused the user name or password (401 Unauthorized)")]
    Unauthorized {
        /// The URL requested.
        url: String,
    },
    /// 407: the proxy wants (other) credentials.
    #[error(
        "{url}: the proxy refused to pass the request on without its own user name and \
         password (407 Proxy Authentication Required)"
    )]
    ProxyAuthentication {
        /// The URL requested.
        url: String,
    },
    /// 403.
    #[error("{url}: forbidden (403)")]
    Forbidden {
        /// The URL requested.
        url: String,
    },
    /// A write refused for what the item holds: the server named the
    /// precondition it failed (`valid-calendar-data`, …) in a `DAV:error` body.
    #[error("{url}: the server refused this item ({status}, {condition})")]
    Refused {
        /// The URL requested.
        url: String,
        /// The status.
        status: http::StatusCode,
        /// The precondition, and the server's words if it gave any.
        condition: String,
    },
    /// 404.
    #[error("{url}: not found (404)")]
    NotFound {
        /// The URL requested.
        url: String,
    },
    /// 409: for a create, another item already has this UID in the collection.
    #[error("{url}: conflict (409)")]
    Conflict {
        /// The URL requested.
        url: String,
    },
    /// 412: the resource is not in the state the request required.
    #[error("{url}: precondition failed (412)")]
    PreconditionFailed {
        /// The URL requested.
        url: String,
    },
    /// Any other unexpected status.
    #[error("{url}: the server answered {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: http::StatusCode,
    },
    /// The connection failed, timed out, or the response could not be read.
    #[error("{url}: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What happened.
        message: String,
    },
    /// The server cannot be reached at all: its name does not resolve, the
    /// connection is refused or finds no route, or connecting timed out.
    /// The usual reason is being offline; nothing was sent.
    #[error("{url}: {message}")]
    Offline {
        /// The URL requested.
        url: String,
        /// What happened.
        message: String,
    },
    /// No answer within the timeout (the server or the network is slow or
    /// gone): worth trying again later.
    #[error("{url}: {message}")]
    Timeout {
        /// The URL requested.
        url: String,
        /// What happened.
        message: String,
    },
    /// The TLS handshake failed because the server's certificate is not
    /// trusted (an unknown CA, a self-signed certificate, a pin that does
    /// not match): a setting to change, not an outage.
    #[error("{url}: {message}")]
    UntrustedCertificate {
        /// The URL requested.
        url: String,
        /// What happened.
        message: String,
    },
    /// The response body is larger than the limit.
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The response did not make sense (bad XML, missing fields).
    #[error("{url}: unexpected response: {message}")]
    Protocol {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The configured URL is unusable.
    #[error("invalid URL {0:?}")]
    InvalidUrl(String),
    /// The TLS settings cannot be used.
    #[error("TLS settings: {0}")]
    Tls(#[from] crate::tls::TlsError),
}

/// Set in a response's extensions when the request was sent again after an
/// attempt whose connection broke: that attempt may have reached the server
/// and been carried out, so a refusal of the repeat (a create that finds
/// the item there) may be the request's own doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated;

/// A response as read: status, headers and the body.
pub struct RawResponse {
    /// Status, headers, version.
    pub parts: http::response::Parts,
    /// The body.
    pub body: Vec<u8>,
}

/// A response whose body is read as it arrives (see [`DavClient::send_streaming`]).
pub struct StreamingResponse {
    /// Status, headers, version.
    pub parts: http::response::Parts,
    url: String,
    response: reqwest::Response,
    strip_invalid_xml: bool,
}

impl fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("url", &self.url)
            .field("status", &self.parts.status)
            .finish()
    }
}

impl StreamingResponse {
    /// The URL requested.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The body's length, if the server announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next piece of the body, `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, DavError> {
        let chunk = self
            .response
            .chunk()
            .await
            .map_err(|e| transport(&self.url, &e))?;
        Ok(match chunk {
            Some(chunk) if self.strip_invalid_xml => Some(strip_invalid_xml(chunk)),
            other => other,
        })
    }

    /// The body as a stream of pieces.
    pub fn into_chunks(
        self,
    ) -> impl futures_util::Stream<Item = Result<bytes::Bytes, DavError>> + Send + 'static {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut response = state?;
            match response.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(response))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}

/// A client for one server (one base URL and one set of credentials).
#[derive(Clone)]
pub struct DavClient {
    http: reqwest::Client,
    base: Uri,
    auth: Option<std::sync::Arc<Auth>>,
    max_body: u64,
    retries: u32,
    retry_pause: Duration,
    strip_invalid_xml: bool,
    /// Requests sent so far (shared by clones), for reports and tests.
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl fmt::Debug for DavClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DavClient")
            .field("base", &self.base)
            .finish()
    }
}

impl DavClient {
    /// A client for the server of `base_url`.
    pub fn new(
        base_url: &str,
        credentials: Option<&Credentials>,
        options: &ClientOptions,
    ) -> Result<Self, DavError> {
        let base: Uri = base_url
            .parse()
            .map_err(|_| DavError::InvalidUrl(base_url.to_string()))?;
        if !matches!(base.scheme_str(), Some("http" | "https")) || base.host().is_none() {
            return Err(DavError::InvalidUrl(base_url.to_string()));
        }
        let setup_error = |message: String| DavError::Transport {
            url: base_url.to_string(),
            message,
        };
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("davsync/", env!("CARGO_PKG_VERSION")));
        if options.close_connection {
            builder = builder.pool_max_idle_per_host(0);
        }
        if options.lenient_headers {
            builder = builder
                .http1_allow_spaces_after_header_name_in_responses(true)
                .http1_allow_obsolete_multiline_headers_in_responses(true)
                .http1_ignore_invalid_headers_in_responses(true);
        }
        builder = match &options.proxy {
            ProxyOption::System => builder,
            ProxyOption::None => builder.no_proxy(),
            ProxyOption::Url { url, credentials } => {
                let mut proxy = reqwest::Proxy::all(url.as_str())
                    .map_err(|_| setup_error(format!("invalid proxy URL {url:?}")))?;
                if let Some(c) = credentials {
                    proxy = proxy.basic_auth(&c.username, &c.password);
                }
                builder.proxy(proxy)
            }
        };
        builder = crate::tls::apply(builder, &options.tls)?;
        let http = builder
            .build()
            .map_err(|e| setup_error(format!("cannot set up HTTP: {e}")))?;
        Ok(DavClient {
            http,
            base,
            auth: credentials.map(|c| std::sync::Arc::new(Auth::new(c.clone(), options.auth))),
            max_body: options.max_body,
            retries: options.retries,
            retry_pause: options.retry_pause,
            strip_invalid_xml: options.accept_invalid_xml_chars,
            requests: Default::default(),
        })
    }

    /// This client without its credentials (same connections, proxy and TLS
    /// settings): for URLs of other origins, which never get them.
    pub(crate) fn without_credentials(&self) -> DavClient {
        DavClient {
            auth: None,
            ..self.clone()
        }
    }

    /// How many HTTP requests this client (and its clones) sent, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The base URL.
    pub fn base(&self) -> &Uri {
        &self.base
    }

    /// The absolute URL of an href, for messages.
    pub fn url_of(&self, href: &str) -> String {
        match libdav::dav::make_relative_url(self.base.clone(), href) {
            Ok(uri) => uri.to_string(),
            Err(_) => href.to_string(),
        }
    }

    /// The largest response body [`send`](Self::send) accepts; for streamed
    /// multistatus answers, the largest single `<response>`.
    pub fn max_body(&self) -> u64 {
        self.max_body
    }

    /// Sends a prepared request and reads the whole response (within the size limit).
    pub async fn send(&self, request: http::Request<String>) -> Result<RawResponse, DavError> {
        // An answer cut short is asked for again when asking changes nothing.
        let read_only = matches!(
            request.method().as_str(),
            "GET" | "HEAD" | "OPTIONS" | "PROPFIND" | "REPORT"
        );
        let mut attempt = 0;
        let mut request = request;
        loop {
            let again = (read_only && attempt < self.retries).then(|| copy_request(&request));
            match self.send_once(request).await? {
                Ok(response) => return Ok(response),
                Err(cut) => match again {
                    Some(again) => {
                        tracing::debug!("answer cut short, asking again: {cut}");
                        tokio_sleep(self.backoff(attempt)).await;
                        attempt += 1;
                        request = again;
                    }
                    None => return Err(cut),
                },
            }
        }
    }

    /// One request (with the retries of [`send_streaming`](Self::send_streaming))
    /// and its body; the inner error is a body cut short.
    async fn send_once(
        &self,
        request: http::Request<String>,
    ) -> Result<Result<RawResponse, DavError>, DavError> {
        let mut response = self.send_streaming(request).await?;
        if let Some(len) = response.content_length()
            && len > self.max_body
        {
            return Err(DavError::TooLarge {
                url: response.url,
                limit: self.max_body,
            });
        }
        let mut body = Vec::new();
        let failed =
            response.parts.status.is_client_error() || response.parts.status.is_server_error();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                // The status says what went wrong; some servers and proxies
                // (tinyproxy's 407) close the connection in the middle of
                // the error's body.
                Err(e) if failed => {
                    tracing::debug!(url = %response.url, "error body cut short: {e}");
                    break;
                }
                Err(e) => return Ok(Err(e)),
            };
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(DavError::TooLarge {
                    url: response.url,
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Ok(RawResponse {
            parts: response.parts,
            body,
        }))
    }

    /// Sends a prepared request like [`send`](Self::send) (same authentication,
    /// timeout, retries on the status and request counting), but hands back the
    /// body unread, to be consumed piece by piece as it arrives. No size limit
    /// applies: the caller bounds what it keeps.
    pub async fn send_streaming(
        &self,
        request: http::Request<String>,
    ) -> Result<StreamingResponse, DavError> {
        let url = request.uri().to_string();
        let template = reqwest::Request::try_from(request).map_err(|e| DavError::Transport {
            url: url.clone(),
            message: format!("cannot build the request: {e}"),
        })?;
        let method = template.method().clone();
        let target = match template.url().query() {
            Some(query) => format!("{}?{query}", template.url().path()),
            None => template.url().path().to_string(),
        };
        let mut attempt = 0;
        let mut authenticated_again = false;
        let mut repeated = false;
        let response = loop {
            let mut request = template.try_clone().ok_or_else(|| DavError::Transport {
                url: url.clone(),
                message: "cannot repeat a request with a streamed body".into(),
            })?;
            let mut sent = Sent::Nothing;
            if let Some(auth) = &self.auth {
                let body = request.body().and_then(reqwest::Body::as_bytes);
                let (value, what) = auth.header(method.as_str(), &target, body);
                sent = what;
                if let Some(value) = value {
                    request
                        .headers_mut()
                        .insert(http::header::AUTHORIZATION, value);
                }
            }
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let result = self.http.execute(request).await;
            if let (Ok(r), Some(auth)) = (&result, &self.auth)
                && r.status() == http::StatusCode::UNAUTHORIZED
                && !authenticated_again
                && auth.learn(r.headers(), sent)
            {
                // First contact without credentials, Digest asked for, or a
                // stale Digest nonce: once more, as the server asks.
                authenticated_again = true;
                continue;
            }
            let pause = match &result {
                // A dropped connection (SOGo closes busy ones), a timeout, a
                // locked repository (Xandikos under concurrent writes answers
                // 423 or 500), or an overloaded or failing server: try again a
                // little later. Every write davsync sends is conditional, so a
                // repeat cannot overwrite anything.
                // (A connection the server closed while idle: at once, the first time.)
                // A connection refused, or one that finds no route or no name,
                // is not tried again: being offline is told in seconds, not
                // after rounds of pauses. (A connection that timed out is: a
                // busy server may be slow to accept.)
                Err(e) if not_reached(e) == Some(NotReached::Refused) => None,
                Err(e) if transient(e) && attempt == 0 && !e.is_timeout() => Some(Duration::ZERO),
                Err(e) if transient(e) => Some(self.backoff(attempt)),
                Ok(r) if matches!(r.status().as_u16(), 408 | 423 | 429 | 500 | 502 | 503 | 504) => {
                    Some(
                        retry_after(r.headers())
                            .map(|d| d.min(MAX_RETRY_AFTER))
                            .unwrap_or_else(|| self.backoff(attempt)),
                    )
                }
                _ => None,
            };
            match pause {
                Some(pause) if attempt < self.retries => {
                    tracing::debug!(%method, %url, attempt, ?pause, "retrying");
                    repeated |= result.is_err();
                    tokio_sleep(pause).await;
                    attempt += 1;
                }
                _ => break result.map_err(|e| transport(&url, &e))?,
            }
        };
        let status = response.status();
        tracing::debug!(%method, %url, %status, "dav request");
        let mut builder = http::Response::builder()
            .status(status)
            .version(response.version());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let (mut parts, ()) = builder
            .body(())
            .map_err(|e| DavError::Protocol {
                url: url.clone(),
                message: e.to_string(),
            })?
            .into_parts();
        if repeated {
            parts.extensions.insert(Repeated);
        }
        Ok(StreamingResponse {
            parts,
            url,
            response,
            strip_invalid_xml: self.strip_invalid_xml,
        })
    }

    /// Runs a libdav request: statuses that mean the same thing on every
    /// request become typed errors; the rest is parsed by the request.
    pub async fn run<R>(&self, request: &R) -> Result<R::Response, DavError>
    where
        R: DavRequest,
        R::ParseError: fmt::Display,
    {
        let prepared =
            request
                .prepare_request(self.base.clone())
                .map_err(|e| DavError::Protocol {
                    url: self.base.to_string(),
                    message: format!("cannot prepare the request: {e}"),
                })?;
        let url = prepared.uri().to_string();
        let response = self.send(prepared).await?;
        check_status(&url, response.parts.status)?;
        request
            .parse_response(&response.parts, &response.body)
            .map_err(|e| DavError::Protocol {
                url,
                message: e.to_string(),
            })
    }
}

/// The longest `Retry-After` waited for; a server asking for more is
/// retried after this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// The longest pause between two tries.
const MAX_PAUSE: Duration = Duration::from_secs(60);

impl DavClient {
    /// The pause before retry number `attempt + 1`: the first pause doubled
    /// per attempt, times a random factor from 0.5 to 1.5 (so that clients
    /// that failed together do not come back together).
    fn backoff(&self, attempt: u32) -> Duration {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(attempt);
        let jitter = 0.5 + (hasher.finish() % 1000) as f64 / 1000.0;
        self.retry_pause
            .saturating_mul(1 << attempt.min(16))
            .mul_f64(jitter)
            .min(MAX_PAUSE)
    }
}

/// A copy of a request (`http::Request` is not `Clone`).
fn copy_request(request: &http::Request<String>) -> http::Request<String> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Removes the characters XML 1.0 forbids (C0 controls but tab, line feed
/// and carriage return): all single bytes in UTF-8, so pieces of a stream
/// can be cleaned one by one.
pub(crate) fn strip_invalid_xml(chunk: bytes::Bytes) -> bytes::Bytes {
    let invalid = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    if !chunk.iter().any(invalid) {
        return chunk;
    }
    chunk.iter().copied().filter(|b| !invalid(b)).collect()
}

/// `Retry-After` in seconds (the HTTP-date form is rare on DAV servers).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

async fn tokio_sleep(pause: Duration) {
    tokio::time::sleep(pause).await;
}

/// Turns the statuses every request treats alike into errors.
pub(crate) fn check_status(url: &str, status: http::StatusCode) -> Result<(), DavError> {
    let url = url.to_string();
    match status.as_u16() {
        401 => Err(DavError::Unauthorized { url }),
        403 => Err(DavError::Forbidden { url }),
        407 => Err(DavError::ProxyAuthentication { url }),
        404 | 410 => Err(DavError::NotFound { url }),
        409 => Err(DavError::Conflict { url }),
        412 => Err(DavError::PreconditionFailed { url }),
        s if s >= 500 => Err(DavError::Status { url, status }),
        _ => Ok(()),
    }
}

/// Whether a failed request may go through when sent again: not a
/// redirect loop, a refused certificate or an unusable request.
fn transient(e: &reqwest::Error) -> bool {
    if e.is_redirect() || e.is_builder() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.contains("certificate") || text.contains("fingerprint") {
            return false;
        }
        source = cause.source();
    }
    true
}

/// How a request failed before reaching the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotReached {
    /// The name did not resolve, or the connection was refused or found no route.
    Refused,
    /// Connecting timed out.
    TimedOut,
}

/// Whether (and how) a request failed before reaching the server. (A TLS
/// handshake that failed reached the server: not this.)
fn not_reached(e: &reqwest::Error) -> Option<NotReached> {
    use std::io::ErrorKind;
    if !e.is_connect() {
        return None;
    }
    if e.is_timeout() {
        return Some(NotReached::TimedOut);
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused
                | ErrorKind::HostUnreachable
                | ErrorKind::NetworkUnreachable
                | ErrorKind::NetworkDown
                | ErrorKind::AddrNotAvailable => return Some(NotReached::Refused),
                ErrorKind::TimedOut => return Some(NotReached::TimedOut),
                _ => {}
            }
        }
        // A failed name lookup (hyper-util's resolver or hickory's).
        let text = cause.to_string();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            return Some(NotReached::Refused);
        }
        source = cause.source();
    }
    None
}

fn transport(url: &str, e: &reqwest::Error) -> DavError {
    // reqwest's message names the URL already; keep ours and the cause chain.
    let mut message = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    if message.contains("invalid peer certificate")
        || message.contains("pinned")
        || message.contains(crate::tls::NO_SYSTEM_ROOTS)
    {
        message.push_str(
            "; the server's certificate is not trusted. If this is the right server, trust its \
             certificate (or the CA that signed it), or pin its SHA-256 fingerprint",
        );
        return DavError::UntrustedCertificate {
            url: url.to_string(),
            message,
        };
    }
    if not_reached(e).is_some() {
        return DavError::Offline {
            url: url.to_string(),
            message,
        };
    }
    if e.is_timeout() {
        return DavError::Timeout {
            url: url.to_string(),
            message,
        };
    }
    DavError::Transport {
        url: url.to_string(),
        message,
    }
}
