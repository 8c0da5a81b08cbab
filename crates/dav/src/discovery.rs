//! Finding a user's calendars, task lists and address books from a server URL
//! or an e-mail address.
//!
//! The order of the search:
//!
//! 1. **Where to start.** A URL is used as given. For an e-mail address
//!    `NAME@DOMAIN`, for CalDAV and then for CardDAV: the DNS SRV records
//!    `_caldavs._tcp.DOMAIN` (HTTPS), then `_caldav._tcp.DOMAIN` (plain HTTP),
//!    each ordered by priority and, within a priority, by a weighted random
//!    choice (RFC 2782); the TXT record of the same name gives the context
//!    path (`path=/dav/`, RFC 6764). Last comes `https://DOMAIN/.well-known/caldav`
//!    (or `carddav`). A target of `.` means "no such service" and is skipped.
//! 2. **The principal.** For each start URL in turn, `DAV:current-user-principal`
//!    is asked (PROPFIND) of the URL itself, then of `/.well-known/caldav` and
//!    `/.well-known/carddav` of its host (a redirect there is followed by hand,
//!    on the same host only: PROPFIND must stay PROPFIND, and credentials are
//!    never sent to another host), then of the host's root `/`. The first answer
//!    wins. SOGo answers its well-known URLs with the web UI, so a URL such as
//!    `/SOGo/dav/` must come first. A host that cannot be reached is left at the
//!    first failure; the next start URL (the next SRV target) is tried.
//! 3. **Home sets.** `calendar-home-set` and `addressbook-home-set` of the
//!    principal; every href of both is listed (a principal without home sets is
//!    listed itself; a URL without a principal is taken as a home set).
//! 4. **Collections.** One PROPFIND Depth 1 per home set asks for the resource
//!    type, display name, colour, description, supported components,
//!    `current-user-privilege-set` and the supported reports of every member.
//!
//! 5. **Shared calendars.** The calendar homes of the principals that made
//!    the user their calendar proxy (`calendar-proxy-read-for`,
//!    `calendar-proxy-write-for`) are listed the same way (see [`delegation`]).
//!
//! DNS goes through `hickory-resolver`: the system's configuration, or one
//! server named in [`DiscoveryOptions::dns_server`] (for tests and special
//! setups). Errors name the URL or the DNS name, never a password.

use crate::client::{ClientOptions, Credentials, DavClient, DavError};
use base64::Engine;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use http::{Request, Uri};
use libdav::caldav::{FindCalendarHomeSet, FindCalendarHomeSetResponse};
use libdav::carddav::{FindAddressBookHomeSet, FindAddressBookHomeSetResponse};
use libdav::dav::{FindPropertyHrefs, Propfind, WebDavError};
use libdav::requests::{DavRequest, ParseResponseError};
use libdav::{Depth, PropertyName, names};
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;

mod collections;
mod delegation;
mod dns;

#[cfg(feature = "fuzzing")]
pub(crate) use collections::parse_collections;
use collections::*;
pub(crate) use collections::{is, ok_props, text_of};
use dns::*;

/// How discovery talks to the network.
#[derive(Debug, Clone, Default)]
pub struct DiscoveryOptions {
    /// Ask this DNS server (UDP and TCP) for SRV and TXT records instead of the
    /// system's resolvers. Host names in URLs are still resolved by the system.
    pub dns_server: Option<SocketAddr>,
    /// Timeouts and limits of the HTTP requests.
    pub client: ClientOptions,
}

/// Where discovery starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A URL on the server: its root, a DAV base such as `/SOGo/dav/`, a
    /// principal, a home set or a collection.
    Url(String),
    /// An e-mail address: its domain's DNS records and well-known URLs.
    Email(String),
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Start::Url(url) => f.write_str(url),
            Start::Email(address) => f.write_str(address),
        }
    }
}

/// A calendar or address book found on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredCollection {
    /// Its absolute URL, ending with `/`.
    pub url: String,
    /// Calendar or address book.
    pub kind: crate::CollectionKind,
    /// `DAV:displayname`, if set.
    pub displayname: Option<String>,
    /// `calendar-color` (Apple's namespace), if set.
    pub color: Option<String>,
    /// `calendar-description` or `addressbook-description`, if set.
    pub description: Option<String>,
    /// The components a calendar accepts (`VEVENT`, `VTODO`, …), upper case.
    /// When the server does not say, every kind is accepted (RFC 4791 5.2.3):
    /// then this holds `VEVENT`, `VTODO` and `VJOURNAL`. Empty for address books.
    pub components: Vec<String>,
    /// Whether the user may not change it: `DAV:current-user-privilege-set` is
    /// given and holds none of `DAV:write`, `DAV:write-content`, `DAV:bind`, `DAV:all`.
    pub read_only: bool,
    /// Whether it supports the `sync-collection` report.
    pub supports_sync: bool,
    /// The principal URL of the user who shares it, for a calendar found
    /// through a calendar proxy (see [`delegation`]); `None` for the user's own.
    pub shared_by: Option<String>,
}

impl DiscoveredCollection {
    /// Whether it takes events.
    pub fn holds_events(&self) -> bool {
        self.kind == crate::CollectionKind::Calendar
            && self.components.iter().any(|c| c == "VEVENT")
    }

    /// Whether it takes tasks.
    pub fn holds_tasks(&self) -> bool {
        self.kind == crate::CollectionKind::Calendar && self.components.iter().any(|c| c == "VTODO")
    }

    /// What it holds, in words: `calendar` (events), `tasks`, `events+tasks`,
    /// `address book`, or `other` (a calendar of neither events nor tasks).
    pub fn kind_label(&self) -> &'static str {
        match (self.kind, self.holds_events(), self.holds_tasks()) {
            (crate::CollectionKind::AddressBook, _, _) => "address book",
            (_, true, true) => "events+tasks",
            (_, true, false) => "calendar",
            (_, false, true) => "tasks",
            (_, false, false) => "other",
        }
    }
}

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The principal URLs found (one per server, usually one in all).
    pub principals: Vec<String>,
    /// Calendar home sets listed.
    pub calendar_home_sets: Vec<String>,
    /// Address book home sets listed.
    pub addressbook_home_sets: Vec<String>,
    /// Every calendar and address book found, each once.
    pub collections: Vec<DiscoveredCollection>,
    /// What was tried and did not work (unreachable SRV targets, redirects to
    /// other hosts that were not followed, …), for `-v` output and errors.
    pub notes: Vec<String>,
}

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The start URL is unusable.
    #[error("{0:?} is not an http:// or https:// URL")]
    InvalidUrl(String),
    /// The address has no domain.
    #[error("{0:?} is not an e-mail address (NAME@DOMAIN)")]
    InvalidEmail(String),
    /// The DNS resolver could not be set up.
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
    /// A server refused the credentials (and nothing was found elsewhere).
    #[error(transparent)]
    Unauthorized(DavError),
    /// Nothing answered as a CalDAV or CardDAV server.
    #[error("no CalDAV or CardDAV server found for {start}; tried:\n{}", .tried.join("\n"))]
    NotFound {
        /// The URL or address discovery started from.
        start: String,
        /// What was tried and what happened, one line each.
        tried: Vec<String>,
    },
}

/// Finds the calendars and address books of the user `credentials` names.
pub async fn discover(
    start: &Start,
    credentials: Option<&Credentials>,
    options: &DiscoveryOptions,
) -> Result<Discovery, DiscoveryError> {
    let mut run = Run::new(credentials, options)?;
    match start {
        Start::Url(url) => {
            let origin = Origin::of(url).ok_or_else(|| DiscoveryError::InvalidUrl(url.clone()))?;
            let path = Uri::try_from(url.as_str())
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| "/".into());
            run.context(&origin, &path).await;
        }
        Start::Email(address) => {
            let domain = email_domain(address)
                .ok_or_else(|| DiscoveryError::InvalidEmail(address.clone()))?;
            let resolver = resolver(options)?;
            for service in [Service::CalDav, Service::CardDav] {
                let mut contexts =
                    srv_contexts(&resolver, &domain, service, &mut run.result.notes).await;
                contexts.push(format!("https://{domain}{}", service.well_known()));
                for context in contexts {
                    let Some(origin) = Origin::of(&context) else {
                        run.note(format!("{context}: not a usable URL"));
                        continue;
                    };
                    let path = Uri::try_from(context.as_str())
                        .map(|u| u.path().to_string())
                        .unwrap_or_else(|_| "/".into());
                    if run.context(&origin, &path).await {
                        break;
                    }
                }
            }
        }
    }
    run.finish(start)
}

/// CalDAV or CardDAV, for DNS names and well-known paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    CalDav,
    CardDav,
}

impl Service {
    fn well_known(self) -> &'static str {
        match self {
            Service::CalDav => "/.well-known/caldav",
            Service::CardDav => "/.well-known/carddav",
        }
    }

    /// SRV labels with the URL scheme each stands for, TLS first (RFC 6764).
    fn labels(self) -> [(&'static str, &'static str); 2] {
        match self {
            Service::CalDav => [("_caldavs", "https"), ("_caldav", "http")],
            Service::CardDav => [("_carddavs", "https"), ("_carddav", "http")],
        }
    }
}

/// The domain of `NAME@DOMAIN`, lower case, without a final dot.
fn email_domain(address: &str) -> Option<String> {
    let (user, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let valid = !user.is_empty()
        && !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        && !domain.starts_with(['.', '-'])
        && !domain.contains("..");
    valid.then_some(domain)
}

/// A scheme and authority: where requests go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    scheme: String,
    authority: String,
}

impl Origin {
    /// The origin of an absolute http(s) URL.
    fn of(url: &str) -> Option<Origin> {
        let uri: Uri = url.trim().parse().ok()?;
        Origin::of_uri(&uri)
    }

    fn of_uri(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return None;
        }
        let authority = uri.authority()?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return None;
        }
        Some(Origin {
            scheme,
            authority: authority.as_str().to_ascii_lowercase(),
        })
    }

    fn host(&self) -> &str {
        let a = self.authority.as_str();
        if a.starts_with('[') {
            return a.split_once(']').map_or(a, |(h, _)| &h[1..]);
        }
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    }

    /// `scheme://authority/`.
    fn base(&self) -> String {
        format!("{}://{}/", self.scheme, self.authority)
    }

    /// The absolute URL of `path` (which starts with `/`).
    fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.authority, path)
    }

    /// Whether credentials meant for `self` may go to `other`: the same host,
    /// never from https down to http.
    fn may_follow(&self, other: &Origin) -> bool {
        self.host() == other.host() && !(self.scheme == "https" && other.scheme == "http")
    }
}

/// `path` made absolute against `origin`: `(origin, path)` of an href or a
/// `Location` that may be a path, an absolute URL, or relative to `base_path`.
fn resolve_href(origin: &Origin, base_path: &str, href: &str) -> Option<(Origin, String)> {
    let href = href.trim();
    if href.starts_with("http://") || href.starts_with("https://") {
        let uri: Uri = href.parse().ok()?;
        let other = Origin::of_uri(&uri)?;
        let path = match uri.path() {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        return Some((other, path));
    }
    if href.starts_with('/') {
        let path = href.split(['?', '#']).next().unwrap_or("/");
        return Some((origin.clone(), path.to_string()));
    }
    let dir = &base_path[..=base_path.rfind('/').unwrap_or(0)];
    let dir = if dir.is_empty() { "/" } else { dir };
    let rest = href.split(['?', '#']).next().unwrap_or("");
    Some((origin.clone(), format!("{dir}{rest}")))
}

/// One discovery run: the clients per origin and what was found so far.
struct Run<'a> {
    credentials: Option<&'a Credentials>,
    options: &'a DiscoveryOptions,
    /// A client that does not follow redirects, for the well-known probes.
    probe: reqwest::Client,
    clients: Vec<(Origin, DavClient)>,
    principals: HashSet<String>,
    listed: HashSet<String>,
    unauthorized: Option<DavError>,
    result: Discovery,
}

impl<'a> Run<'a> {
    fn new(
        credentials: Option<&'a Credentials>,
        options: &'a DiscoveryOptions,
    ) -> Result<Self, DiscoveryError> {
        let probe = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.client.timeout)
            .user_agent(concat!("davsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DiscoveryError::Resolver(format!("cannot set up HTTP: {e}")))?;
        Ok(Run {
            credentials,
            options,
            probe,
            clients: Vec::new(),
            principals: HashSet::new(),
            listed: HashSet::new(),
            unauthorized: None,
            result: Discovery::default(),
        })
    }

    fn note(&mut self, line: String) {
        tracing::info!("discovery: {line}");
        self.result.notes.push(line);
    }

    fn client(&mut self, origin: &Origin) -> Result<DavClient, DavError> {
        if let Some((_, client)) = self.clients.iter().find(|(o, _)| o == origin) {
            return Ok(client.clone());
        }
        let client = DavClient::new(&origin.base(), self.credentials, &self.options.client)?;
        self.clients.push((origin.clone(), client.clone()));
        Ok(client)
    }

    /// Remembers a failed request; tells whether the host is unreachable.
    fn failed(&mut self, error: DavError) -> bool {
        let unreachable = matches!(
            error,
            DavError::Transport { .. }
                | DavError::Offline { .. }
                | DavError::Timeout { .. }
                | DavError::UntrustedCertificate { .. }
        );
        self.note(error.to_string());
        if matches!(error, DavError::Unauthorized { .. }) && self.unauthorized.is_none() {
            self.unauthorized = Some(error);
        }
        unreachable
    }

    /// Searches from one start URL; true when it led to a principal (or,
    /// failing that, to collections).
    async fn context(&mut self, origin: &Origin, path: &str) -> bool {
        let mut candidates: Vec<String> = vec![path.to_string()];
        for extra in ["/.well-known/caldav", "/.well-known/carddav", "/"] {
            if !candidates.iter().any(|c| c == extra) {
                candidates.push(extra.to_string());
            }
        }
        for candidate in candidates {
            let (target, target_path) = if candidate.starts_with("/.well-known/") {
                match self.well_known_redirect(origin, &candidate).await {
                    Ok(Some(location)) => location,
                    Ok(None) => (origin.clone(), candidate.clone()),
                    Err(e) => {
                        if self.failed(e) {
                            return false;
                        }
                        continue;
                    }
                }
            } else {
                (origin.clone(), candidate.clone())
            };
            match self.principal_at(&target, &target_path).await {
                Ok(Some((p_origin, p_path))) => {
                    tracing::info!(
                        "discovery: principal {} (from {})",
                        p_origin.url(&p_path),
                        target.url(&target_path)
                    );
                    self.explore_principal(&p_origin, &p_path).await;
                    return true;
                }
                Ok(None) => {}
                Err(e) => {
                    if self.failed(e) {
                        return false;
                    }
                }
            }
        }
        // No principal anywhere: perhaps the URL is a home set or a collection.
        if path != "/" && !path.starts_with("/.well-known/") {
            let before = self.result.collections.len();
            self.explore_principal(origin, path).await;
            return self.result.collections.len() > before;
        }
        false
    }

    /// A redirect of a well-known URL, followed by hand (PROPFIND stays
    /// PROPFIND) and only on the same host. `None` when there is none.
    async fn well_known_redirect(
        &mut self,
        origin: &Origin,
        path: &str,
    ) -> Result<Option<(Origin, String)>, DavError> {
        let url = origin.url(path);
        let mut request = self
            .probe
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").expect("valid method"),
                &url,
            )
            .header("Depth", "0")
            .header(http::header::CONTENT_TYPE, "application/xml; charset=utf-8")
            .body(PRINCIPAL_PROPFIND);
        if let Some(c) = self.credentials {
            // Only to the host discovery is already talking to.
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.username, c.password));
            let mut value = http::HeaderValue::from_str(&format!("Basic {token}"))
                .expect("base64 is a valid header value");
            value.set_sensitive(true);
            request = request.header(http::header::AUTHORIZATION, value);
        }
        let response = request.send().await.map_err(|e| DavError::Transport {
            url: url.clone(),
            message: if e.is_timeout() {
                "timed out".into()
            } else {
                let mut m = "cannot connect".to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    m.push_str(": ");
                    m.push_str(&cause.to_string());
                    source = cause.source();
                }
                m
            },
        })?;
        if !response.status().is_redirection() {
            return Ok(None);
        }
        let Some(location) = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
        else {
            return Ok(None);
        };
        let Some((target, target_path)) = resolve_href(origin, path, location) else {
            self.note(format!(
                "{url}: redirects to an unusable location {location:?}"
            ));
            return Ok(None);
        };
        if !origin.may_follow(&target) {
            self.note(format!(
                "{url}: redirects to {}, another host: not followed (credentials go only to the \
                 host you named; run discover with --url {} to use it)",
                target.url(&target_path),
                target.url(&target_path)
            ));
            return Ok(None);
        }
        tracing::info!("discovery: {url} redirects to {}", target.url(&target_path));
        Ok(Some((target, target_path)))
    }

    /// `DAV:current-user-principal` of `path`.
    async fn principal_at(
        &mut self,
        origin: &Origin,
        path: &str,
    ) -> Result<Option<(Origin, String)>, DavError> {
        let client = self.client(origin)?;
        let response = match client
            .run(&FindPropertyHrefs::new(
                path,
                &names::CURRENT_USER_PRINCIPAL,
            ))
            .await
        {
            Ok(r) => r,
            // Not a DAV answer here (HTML, 404, 405, a property error): try the next place.
            Err(DavError::Protocol { url, message }) => {
                self.note(format!(
                    "{url}: no WebDAV answer to a current-user-principal PROPFIND ({message})"
                ));
                return Ok(None);
            }
            Err(e @ DavError::NotFound { .. }) => {
                self.note(format!("{e} (looking for current-user-principal)"));
                return Ok(None);
            }
            Err(DavError::Status { url, status }) if status.is_client_error() => {
                self.note(format!(
                    "{url}: {status} (looking for current-user-principal)"
                ));
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let url = origin.url(path);
        let Some(href) = response.hrefs.first() else {
            self.note(format!("{url}: no current-user-principal"));
            return Ok(None);
        };
        let Some((p_origin, p_path)) = resolve_href(origin, path, &href.to_string()) else {
            self.note(format!("{url}: unusable principal href {href}"));
            return Ok(None);
        };
        if !origin.may_follow(&p_origin) {
            self.note(format!(
                "{url}: the principal {} is on another host: not followed",
                p_origin.url(&p_path)
            ));
            return Ok(None);
        }
        Ok(Some((p_origin, p_path)))
    }

    /// Home sets of a principal, then the collections in each.
    async fn explore_principal(&mut self, origin: &Origin, path: &str) {
        let mut principal = origin.url(path);
        if !principal.ends_with('/') {
            principal.push('/');
        }
        if !self.principals.insert(principal.clone()) {
            return;
        }
        let client = match self.client(origin) {
            Ok(c) => c,
            Err(e) => {
                self.failed(e);
                return;
            }
        };
        let mut homes: Vec<(Origin, String, bool)> = Vec::new();
        let calendar_homes = client.run(&FindCalendarHomeSet::new(path)).await;
        let book_homes = client.run(&FindAddressBookHomeSet::new(path)).await;
        let found = [
            calendar_homes.map(|r: FindCalendarHomeSetResponse| r.home_sets),
            book_homes.map(|r: FindAddressBookHomeSetResponse| r.home_sets),
        ];
        let mut any_home = false;
        for (i, result) in found.into_iter().enumerate() {
            match result {
                Ok(hrefs) => {
                    for href in hrefs {
                        any_home = true;
                        match resolve_href(origin, path, &href.to_string()) {
                            Some((o, p)) if origin.may_follow(&o) => homes.push((o, p, i == 0)),
                            Some((o, p)) => self.note(format!(
                                "{principal}: home set {} is on another host: not followed \
                                 (run discover with --url {})",
                                o.url(&p),
                                o.url(&p)
                            )),
                            None => self.note(format!("{principal}: unusable home set {href}")),
                        }
                    }
                }
                Err(e) => {
                    self.failed(e);
                }
            }
        }
        if !any_home {
            // A server without home sets (or a URL that is a home set or a
            // collection): look for collections right here.
            homes.push((origin.clone(), path.to_string(), true));
        } else if self.result.principals.iter().all(|p| p != &principal) {
            self.result.principals.push(principal.clone());
        }
        for (o, p, calendar) in homes {
            let url = o.url(&p);
            let list = if calendar {
                &mut self.result.calendar_home_sets
            } else {
                &mut self.result.addressbook_home_sets
            };
            if any_home && !list.contains(&url) {
                list.push(url);
            }
            self.list_home(&o, &p, None).await;
        }
        if any_home {
            self.explore_delegations(origin, path, &principal).await;
        }
    }

    /// Lists the calendars and address books in the home set at `path`
    /// (once per run), as shared by `shared` when it is another user's.
    async fn list_home(
        &mut self,
        origin: &Origin,
        path: &str,
        shared: Option<&delegation::Shared>,
    ) {
        let url = origin.url(path);
        if !self.listed.insert(url) {
            return;
        }
        let client = match self.client(origin) {
            Ok(c) => c,
            Err(e) => {
                self.failed(e);
                return;
            }
        };
        match client.run(&ListCollections::new(path)).await {
            Ok(found) => {
                for entry in found {
                    let url = collection_url(origin, &entry.href);
                    if self.result.collections.iter().any(|c| c.url == url) {
                        continue;
                    }
                    let collection = match shared {
                        Some(shared) => shared.mark(entry, url),
                        None => entry.into_collection(url),
                    };
                    self.result.collections.push(collection);
                }
            }
            Err(e) => {
                self.failed(e);
            }
        }
    }

    fn finish(mut self, start: &Start) -> Result<Discovery, DiscoveryError> {
        if self.principals.is_empty() && self.result.collections.is_empty() {
            if let Some(e) = self.unauthorized.take() {
                return Err(DiscoveryError::Unauthorized(e));
            }
            return Err(DiscoveryError::NotFound {
                start: start.to_string(),
                tried: std::mem::take(&mut self.result.notes)
                    .into_iter()
                    .map(|n| format!("  {n}"))
                    .collect(),
            });
        }
        if self.result.collections.is_empty()
            && let Some(e) = self.unauthorized.take()
        {
            return Err(DiscoveryError::Unauthorized(e));
        }
        Ok(self.result)
    }
}

/// The URL of a listed collection: its (normalised) href percent-encoded as
/// a URL needs it, with a final `/`.
fn collection_url(origin: &Origin, href: &str) -> String {
    let mut url = origin.url(&libdav::encoding::strict_percent_encoded(href));
    if !url.ends_with('/') {
        url.push('/');
    }
    url
}

/// The body of the well-known probe.
const PRINCIPAL_PROPFIND: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>"#;

#[cfg(test)]
mod tests;
