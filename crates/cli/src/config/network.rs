//! The network keys of a caldav or carddav store: connection, authentication,
//! retries, answers to tolerate, the proxy and its login, TLS.

use super::keys::{self, Key};
use super::raw::RawStore;
use super::source::resolve_path;
use crate::secrets::{KeyNames, PasswordSource};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// How a server store talks to its server, beyond the URL, the login and the
/// timeout: the store table's other keys, checked and resolved.
#[derive(Debug, Clone)]
pub(crate) struct NetworkConfig {
    /// `close_connection`: a new connection for every request (no keep-alive).
    pub close_connection: bool,
    /// `preemptive_auth` and `force_basic_auth`.
    pub auth: davsync_dav::AuthOptions,
    /// `retries`: how often a request that failed on the way is sent again.
    pub retries: u32,
    /// `accept_invalid_xml_chars`: remove characters XML 1.0 forbids from answers.
    pub accept_invalid_xml_chars: bool,
    /// `lenient_headers`: accept malformed header lines in answers.
    pub lenient_headers: bool,
    /// `proxy` and its login.
    pub proxy: ProxyConfig,
    /// `tls_ca_file`, `tls_client_cert` with `tls_client_key` (paths resolved),
    /// `tls_fingerprint` and `tls_insecure`.
    pub tls: davsync_dav::tls::TlsOptions,
}

/// Which proxy a server store's requests go through (`proxy`).
#[derive(Debug, Clone)]
pub(crate) enum ProxyConfig {
    /// `"system"`: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` and
    /// the system settings.
    System,
    /// `"none"`: no proxy, whatever the environment says.
    None,
    /// A proxy URL (`http://` or `https://`, without credentials in it).
    Url {
        /// The proxy's URL.
        url: String,
        /// `proxy_username` (empty: none given).
        username: String,
        /// Where the proxy password comes from (`proxy_password_command`,
        /// `proxy_password_keyring` with user `<proxy_username>@<proxy host>`,
        /// `proxy_password_env` or `proxy_password`); `None` with a user name:
        /// an empty password.
        password: Option<PasswordSource>,
    },
}

/// A message about a key of a store table: its span, the key within the
/// table, the message.
pub(super) type KeyError = (Range<usize>, &'static str, String);

/// Reads the network keys of a caldav or carddav store table (`span`: the
/// table's; `base`: the configuration file's folder; `connect`: the server's
/// `HOST:PORT`, for the hint on getting its fingerprint).
pub(super) fn network_of(
    store: &RawStore,
    span: &Range<usize>,
    base: &Path,
    connect: &str,
) -> Result<NetworkConfig, KeyError> {
    let (min, max) = keys::RETRIES.bounds();
    let retries = match &store.retries {
        None => keys::RETRIES.int_default() as u32,
        Some(r) if (min..=max).contains(r.get_ref()) => *r.get_ref() as u32,
        Some(r) => {
            return Err((
                r.span(),
                "retries",
                format!("the number of retries must be from {min} to {max}"),
            ));
        }
    };
    let proxy = proxy_of(store, span)?;
    let tls = tls_of(store, span, base, connect)?;
    Ok(NetworkConfig {
        close_connection: flag(&store.close_connection, &keys::CLOSE_CONNECTION),
        auth: davsync_dav::AuthOptions {
            preemptive: flag(&store.preemptive_auth, &keys::PREEMPTIVE_AUTH),
            force_basic: flag(&store.force_basic_auth, &keys::FORCE_BASIC_AUTH),
        },
        retries,
        accept_invalid_xml_chars: flag(
            &store.accept_invalid_xml_chars,
            &keys::ACCEPT_INVALID_XML_CHARS,
        ),
        lenient_headers: flag(&store.lenient_headers, &keys::LENIENT_HEADERS),
        proxy,
        tls,
    })
}

/// A boolean key's value, the table's default when it is not given.
fn flag(value: &Option<Spanned<bool>>, key: &Key) -> bool {
    value.as_ref().map_or(key.bool_default(), |v| *v.get_ref())
}

/// A path key's value, resolved against `base`; an empty one is an error.
fn path_of(
    value: &Option<Spanned<String>>,
    key: &'static str,
    base: &Path,
) -> Result<Option<PathBuf>, KeyError> {
    match value {
        None => Ok(None),
        Some(v) if v.get_ref().trim().is_empty() => {
            Err((v.span(), key, "the path is empty".to_string()))
        }
        Some(v) => Ok(Some(resolve_path(v.get_ref(), base))),
    }
}

/// Reads the `tls_*` keys.
fn tls_of(
    store: &RawStore,
    span: &Range<usize>,
    base: &Path,
    connect: &str,
) -> Result<davsync_dav::tls::TlsOptions, KeyError> {
    let ca_file = path_of(&store.tls_ca_file, "tls_ca_file", base)?;
    let client_cert = client_cert_of(store, span, base)?;
    let fingerprint = match &store.tls_fingerprint {
        None => None,
        Some(f) => Some(
            davsync_dav::tls::parse_fingerprint(f.get_ref()).ok_or_else(|| {
                (
                    f.span(),
                    "tls_fingerprint",
                    format!(
                        "not a SHA-256 fingerprint: write it as 32 colon-separated pairs of hex \
                     digits (AB:CD:…, as openssl prints it) or as 64 hex digits; get the \
                     server's with `openssl s_client -connect {connect} </dev/null | \
                     openssl x509 -noout -fingerprint -sha256`"
                    ),
                )
            })?,
        ),
    };
    let insecure = flag(&store.tls_insecure, &keys::TLS_INSECURE);
    let contradicted: Vec<&str> = [
        ("tls_fingerprint", fingerprint.is_some()),
        ("tls_ca_file", ca_file.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if insecure && !contradicted.is_empty() {
        return Err((
            store
                .tls_insecure
                .as_ref()
                .map_or(span.clone(), Spanned::span),
            "tls_insecure",
            format!(
                "tls_insecure = true turns the certificate checks off, which contradicts {}: \
                 keep one or the other",
                contradicted.join(" and ")
            ),
        ));
    }
    Ok(davsync_dav::tls::TlsOptions {
        ca_file,
        fingerprint,
        client_cert,
        insecure,
    })
}

/// Reads `tls_client_cert` and `tls_client_key`, which come together.
fn client_cert_of(
    store: &RawStore,
    span: &Range<usize>,
    base: &Path,
) -> Result<Option<(PathBuf, PathBuf)>, KeyError> {
    match (
        path_of(&store.tls_client_cert, "tls_client_cert", base)?,
        path_of(&store.tls_client_key, "tls_client_key", base)?,
        &store.tls_client_cert,
        &store.tls_client_key,
    ) {
        (Some(cert), Some(key), _, _) => Ok(Some((cert, key))),
        (None, None, _, _) => Ok(None),
        (_, _, Some(cert), None) => Err((
            cert.span(),
            "tls_client_cert",
            "a client certificate needs its private key: give `tls_client_key` too (a PEM file)"
                .into(),
        )),
        (_, _, _, key) => Err((
            key.as_ref().map_or(span.clone(), Spanned::span),
            "tls_client_key",
            "a private key needs its client certificate: give `tls_client_cert` too (a PEM file)"
                .into(),
        )),
    }
}

/// Reads `proxy`, `proxy_username` and the proxy password keys.
fn proxy_of(store: &RawStore, span: &Range<usize>) -> Result<ProxyConfig, KeyError> {
    let text = store
        .proxy
        .as_ref()
        .map_or(keys::PROXY.str_default(), |p| p.get_ref().trim());
    let proxy_span = store.proxy.as_ref().map_or(span.clone(), Spanned::span);
    let login = proxy_login_keys(store);
    let without_url = |kind: ProxyConfig| match login.first() {
        None => Ok(kind),
        Some((key, span)) => Err((
            span.clone(),
            *key,
            format!(
                "`{key}` is for a proxy given by its URL: set `proxy` to it, \
                 such as \"http://proxy.example.org:3128\""
            ),
        )),
    };
    if text.eq_ignore_ascii_case("system") {
        return without_url(ProxyConfig::System);
    }
    if text.eq_ignore_ascii_case("none") {
        return without_url(ProxyConfig::None);
    }
    let host = proxy_host(text, proxy_span.clone())?;
    let username = store
        .proxy_username
        .as_ref()
        .map(|u| u.get_ref().clone())
        .unwrap_or_default();
    let first_password = login
        .iter()
        .find(|(key, _)| *key != "proxy_username")
        .cloned();
    let password = PasswordSource::from_keys(
        store
            .proxy_password_command
            .as_ref()
            .map(|c| c.get_ref().clone()),
        flag(&store.proxy_password_keyring, &keys::PROXY_PASSWORD_KEYRING),
        store
            .proxy_password_env
            .as_ref()
            .map(|e| e.get_ref().clone()),
        store.proxy_password.as_ref().map(|p| p.get_ref().clone()),
        &format!("{username}@{host}"),
        KeyNames::PROXY,
    )
    .map_err(|e| {
        let (key, span) = first_password
            .clone()
            .unwrap_or(("proxy", proxy_span.clone()));
        (span, key, e.to_string())
    })?;
    if let (Some(_), Some((key, span))) = (&password, &first_password)
        && username.is_empty()
    {
        return Err((
            span.clone(),
            *key,
            "a proxy password needs the proxy's user name: set `proxy_username`".into(),
        ));
    }
    Ok(ProxyConfig::Url {
        url: text.to_string(),
        username,
        password,
    })
}

/// The proxy login keys given, with their spans, in the order of
/// `KeyNames::PROXY` after `proxy_username`.
fn proxy_login_keys(store: &RawStore) -> Vec<(&'static str, Range<usize>)> {
    [
        (
            "proxy_username",
            store.proxy_username.as_ref().map(Spanned::span),
        ),
        (
            KeyNames::PROXY.command,
            store.proxy_password_command.as_ref().map(Spanned::span),
        ),
        (
            KeyNames::PROXY.keyring,
            store
                .proxy_password_keyring
                .as_ref()
                .filter(|k| *k.get_ref())
                .map(Spanned::span),
        ),
        (
            KeyNames::PROXY.env,
            store.proxy_password_env.as_ref().map(Spanned::span),
        ),
        (
            KeyNames::PROXY.plain,
            store.proxy_password.as_ref().map(Spanned::span),
        ),
    ]
    .into_iter()
    .filter_map(|(key, span)| Some((key, span?)))
    .collect()
}

/// The host of a proxy URL, which must be http or https and hold no login.
fn proxy_host(text: &str, proxy_span: Range<usize>) -> Result<String, KeyError> {
    // Credentials in the URL: refused before anything could quote it.
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    if after_scheme
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
    {
        return Err((
            proxy_span,
            "proxy",
            "put the proxy's user name in `proxy_username` and its password in a \
             `proxy_password_*` key (proxy_password_command, proxy_password_keyring, \
             proxy_password_env or proxy_password), not in the URL"
                .into(),
        ));
    }
    let parsed: Option<http::Uri> = text.parse().ok();
    parsed
        .as_ref()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .and_then(|u| u.host().map(str::to_string))
        .ok_or_else(|| {
            (
                proxy_span,
                "proxy",
                format!(
                    "{text:?} is not a proxy setting: use \"system\" (the system's proxy, the \
                     default), \"none\" (no proxy) or the proxy's URL, such as \
                     \"http://proxy.example.org:3128\" (http:// or https://)"
                ),
            )
        })
}

#[cfg(test)]
mod tests;
