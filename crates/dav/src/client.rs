//! The HTTP side of the DAV facade: libdav's sans-IO requests, sent with
//! reqwest, with pre-emptive Basic authentication, timeouts, a body size limit,
//! and HTTP statuses turned into typed errors.

use base64::Engine;
use http::{HeaderValue, Uri};
use libdav::requests::DavRequest;
use std::fmt;
use std::time::Duration;

/// A user name and password (the password never appears in `Debug` output).
#[derive(Clone)]
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

/// Connection settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout of one request (the guide's default: 90 s).
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_body: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(90),
            max_body: 64 * 1024 * 1024,
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
    /// 403.
    #[error("{url}: forbidden (403)")]
    Forbidden {
        /// The URL requested.
        url: String,
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
}

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
        self.response
            .chunk()
            .await
            .map_err(|e| transport(&self.url, &e))
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
    authorization: Option<HeaderValue>,
    max_body: u64,
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
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("davsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DavError::Transport {
                url: base_url.to_string(),
                message: format!("cannot set up HTTP: {e}"),
            })?;
        let authorization = credentials.map(|c| {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.username, c.password));
            let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                .expect("base64 is a valid header value");
            value.set_sensitive(true);
            value
        });
        Ok(DavClient {
            http,
            base,
            authorization,
            max_body: options.max_body,
            requests: Default::default(),
        })
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
        while let Some(chunk) = response.chunk().await? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(DavError::TooLarge {
                    url: response.url,
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            parts: response.parts,
            body,
        })
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
        let mut request = reqwest::Request::try_from(request).map_err(|e| DavError::Transport {
            url: url.clone(),
            message: format!("cannot build the request: {e}"),
        })?;
        if let Some(auth) = &self.authorization {
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, auth.clone());
        }
        let method = request.method().clone();
        let mut attempt = 0;
        let response = loop {
            let retry = request.try_clone();
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let result = self.http.execute(request).await;
            let pause = match &result {
                // A dropped connection (SOGo closes busy ones), a locked
                // repository (Xandikos under concurrent writes answers 423 or 500),
                // or an overloaded or failing server: try again a little later. Every write davsync sends is
                // conditional, so a repeat cannot overwrite anything.
                Err(e) if !e.is_timeout() => Some(Duration::from_millis(200 << attempt)),
                Ok(r) if matches!(r.status().as_u16(), 408 | 423 | 429 | 500 | 502 | 503 | 504) => {
                    Some(
                        retry_after(r.headers())
                            .unwrap_or(Duration::from_millis(200 << attempt))
                            .min(Duration::from_secs(10)),
                    )
                }
                _ => None,
            };
            match (pause, retry) {
                (Some(pause), Some(again)) if attempt < MAX_RETRIES => {
                    tracing::debug!(%method, %url, attempt, "retrying");
                    tokio_sleep(pause).await;
                    attempt += 1;
                    request = again;
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
        let (parts, ()) = builder
            .body(())
            .map_err(|e| DavError::Protocol {
                url: url.clone(),
                message: e.to_string(),
            })?
            .into_parts();
        Ok(StreamingResponse {
            parts,
            url,
            response,
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

/// Retries of one request after a transient failure.
const MAX_RETRIES: u32 = 3;

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
pub fn check_status(url: &str, status: http::StatusCode) -> Result<(), DavError> {
    let url = url.to_string();
    match status.as_u16() {
        401 => Err(DavError::Unauthorized { url }),
        403 => Err(DavError::Forbidden { url }),
        404 | 410 => Err(DavError::NotFound { url }),
        409 => Err(DavError::Conflict { url }),
        412 => Err(DavError::PreconditionFailed { url }),
        s if s >= 500 => Err(DavError::Status { url, status }),
        _ => Ok(()),
    }
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
    DavError::Transport {
        url: url.to_string(),
        message,
    }
}
