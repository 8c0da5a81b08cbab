//! A store table (`local`, `server`) checked and resolved: a vdir folder, or a
//! caldav/carddav collection with its login; the network keys are `network.rs`'s.

use super::keys::{self, Place};
use super::network::{NetworkConfig, network_of};
use super::profile::Content;
use super::raw::RawStore;
use super::source::Source;
use crate::secrets::{KeyNames, PasswordSource};
use anyhow::Result;
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;

/// A store with its paths made absolute.
#[derive(Debug, Clone)]
pub(crate) enum ResolvedStore {
    /// A vdir folder.
    Vdir {
        /// The folder.
        path: PathBuf,
    },
    /// A CalDAV calendar or CardDAV address book (boxed: it is much larger).
    Dav(Box<DavStoreConfig>),
}

impl ResolvedStore {
    /// Where the store keeps its items, the same for two stores on one
    /// place: the folder's canonical path (as written if it does not exist
    /// yet), or the collection's URL without a trailing slash.
    pub(crate) fn place(&self) -> String {
        match self {
            ResolvedStore::Vdir { path } => std::fs::canonicalize(path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
            ResolvedStore::Dav(dav) => dav.url.trim_end_matches('/').to_string(),
        }
    }
}

/// A server collection and how to log in.
#[derive(Debug, Clone)]
pub(crate) struct DavStoreConfig {
    /// Calendar or address book.
    pub kind: davsync_dav::CollectionKind,
    /// The collection's URL.
    pub url: String,
    /// The user name.
    pub username: String,
    /// Where the password comes from (`None`: no authentication).
    pub password: Option<PasswordSource>,
    /// Request timeout.
    pub timeout: std::time::Duration,
    /// How long connecting may take.
    pub connect_timeout: std::time::Duration,
    /// Connection, authentication, proxy and TLS settings.
    pub network: NetworkConfig,
}

/// Where a store's errors point: the profile's keys, the side, the file.
struct At<'a, 'k> {
    key: &'k dyn Fn(&str) -> String,
    side: &'a str,
    src: &'a Source<'a>,
}

impl At<'_, '_> {
    /// An error about the store's key `name` at `span`.
    fn error(
        &self,
        span: Range<usize>,
        name: &str,
        message: impl std::fmt::Display,
    ) -> anyhow::Error {
        self.src
            .error(span, &(self.key)(&format!("{}.{name}", self.side)), message)
    }
}

/// Checks and resolves the store of `side` (`local` or `server`) of a profile
/// of `content`; `key` makes a profile key's full name.
pub(super) fn resolve_store(
    store: Spanned<RawStore>,
    side: &str,
    content: Content,
    key: &dyn Fn(&str) -> String,
    src: &Source<'_>,
) -> Result<ResolvedStore> {
    let at = At { key, side, src };
    let span = store.span();
    let store = store.into_inner();
    let kind = store.kind.get_ref().clone();
    match kind.as_str() {
        "vdir" => vdir_store(&store, &span, &at),
        "caldav" | "carddav" => dav_store(store, &kind, &span, content, &at),
        other => Err(at.error(
            store.kind.span(),
            "type",
            format!("unknown store type `{other}` (known: vdir, caldav, carddav)"),
        )),
    }
}

/// A vdir store: a `path`, and none of the server keys.
fn vdir_store(store: &RawStore, span: &Range<usize>, at: &At<'_, '_>) -> Result<ResolvedStore> {
    let misplaced = store.misplaced(Place::Vdir, span);
    if let Some((first, key_span)) = misplaced.first() {
        let names: Vec<String> = misplaced.iter().map(|(k, _)| format!("`{k}`")).collect();
        return Err(at.error(
            key_span.clone(),
            first,
            format!(
                "{} {} for caldav and carddav stores only, not for a vdir store",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    let Some(path) = &store.path else {
        return Err(at.error(span.clone(), "path", "a vdir store needs a `path`"));
    };
    if path.get_ref().trim().is_empty() {
        return Err(at.error(path.span(), "path", "the path is empty"));
    }
    Ok(ResolvedStore::Vdir {
        path: at.src.resolve(path.get_ref()),
    })
}

/// A caldav or carddav store (`kind`): its URL, login, timeout and network keys.
fn dav_store(
    store: RawStore,
    kind: &str,
    span: &Range<usize>,
    content: Content,
    at: &At<'_, '_>,
) -> Result<ResolvedStore> {
    let (collection, fits) = match kind {
        "caldav" => (
            davsync_dav::CollectionKind::Calendar,
            content != Content::Contacts,
        ),
        _ => (
            davsync_dav::CollectionKind::AddressBook,
            content == Content::Contacts,
        ),
    };
    if !fits {
        return Err(at.error(
            store.kind.span(),
            "type",
            format!(
                "a {kind} store cannot hold {} (caldav: events, tasks; carddav: contacts)",
                content.name()
            ),
        ));
    }
    let (url, host, port) = url_of(&store, kind, span, at)?;
    let connect = format!("{host}:{}", port.unwrap_or(443));
    let network = network_of(&store, span, &at.src.base, &connect)
        .map_err(|(key_span, name, message)| at.error(key_span, name, message))?;
    let username = store.username.map(|u| u.into_inner()).unwrap_or_default();
    let password = PasswordSource::from_keys(
        store.password_command,
        store.password_keyring,
        store.password_env,
        store.password,
        &format!("{username}@{host}"),
        KeyNames::SERVER,
    )
    .map_err(|e| at.src.error(span.clone(), &(at.key)(at.side), e))?;
    let (min, max) = keys::TIMEOUT_SECONDS.bounds();
    let timeout = match store.timeout_seconds {
        None => keys::TIMEOUT_SECONDS.int_default() as u64,
        Some(t) if (min..=max).contains(t.get_ref()) => *t.get_ref() as u64,
        Some(t) => {
            return Err(at.error(
                t.span(),
                "timeout_seconds",
                format!("the timeout must be from {min} to {max} seconds"),
            ));
        }
    };
    let (min, max) = keys::CONNECT_TIMEOUT_SECONDS.bounds();
    let connect_timeout = match store.connect_timeout_seconds {
        None => keys::CONNECT_TIMEOUT_SECONDS.int_default() as u64,
        Some(t) if (min..=max).contains(t.get_ref()) => *t.get_ref() as u64,
        Some(t) => {
            return Err(at.error(
                t.span(),
                "connect_timeout_seconds",
                format!("the connect timeout must be from {min} to {max} seconds"),
            ));
        }
    };
    Ok(ResolvedStore::Dav(Box::new(DavStoreConfig {
        kind: collection,
        url,
        username,
        password,
        timeout: std::time::Duration::from_secs(timeout),
        connect_timeout: std::time::Duration::from_secs(connect_timeout),
        network,
    })))
}

/// The store's `url`, checked: http or https, no login in it. Returns it
/// trimmed, with its host and port.
fn url_of(
    store: &RawStore,
    kind: &str,
    span: &Range<usize>,
    at: &At<'_, '_>,
) -> Result<(String, String, Option<u16>)> {
    let Some(url) = &store.url else {
        return Err(at.error(span.clone(), "url", format!("a {kind} store needs a `url`")));
    };
    let url_text = url.get_ref().trim().to_string();
    let parsed: Option<http::Uri> = url_text.parse().ok();
    let host = parsed
        .as_ref()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .and_then(|u| u.host().map(str::to_string));
    let Some(host) = host else {
        return Err(at.error(
            url.span(),
            "url",
            format!("{url_text:?} is not an http:// or https:// URL"),
        ));
    };
    if parsed
        .as_ref()
        .and_then(|u| u.authority())
        .is_some_and(|a| a.as_str().contains('@'))
    {
        return Err(at.error(
            url.span(),
            "url",
            "put the user name in `username` and the password in a password key, not in the URL",
        ));
    }
    let port = parsed.as_ref().and_then(http::Uri::port_u16);
    Ok((url_text, host, port))
}
