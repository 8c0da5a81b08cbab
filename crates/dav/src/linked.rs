//! Files an item links to (a contact's `PHOTO` given as an http(s) URL),
//! fetched with the client's proxy and TLS settings. The server's
//! credentials go only to the server's own origin: a photo on another host
//! is fetched without them.

use crate::client::{DavClient, DavError, check_status};
use http::Uri;

/// A linked file as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedFile {
    /// Its bytes.
    pub data: Vec<u8>,
    /// Its media type, from `Content-Type` without parameters
    /// (`image/jpeg`), if the answer gave one.
    pub media_type: Option<String>,
}

/// The URL as messages may show it: without a user name or password.
pub fn shown_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// Scheme, host (lower case) and port (the scheme's default if none).
fn origin(uri: &Uri) -> Option<(String, String, u16)> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri.port_u16().or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some((scheme, host, port))
}

/// Whether `url` is of the same origin as `base` (RFC 6454: scheme, host,
/// port), so that the server's credentials may go with it.
pub fn same_origin(base: &Uri, url: &Uri) -> bool {
    matches!((origin(base), origin(url)), (Some(a), Some(b)) if a == b)
}

impl DavClient {
    /// Fetches the http(s) `url` an item links to, at most `limit` bytes
    /// (and the client's own limit). Credentials only for the server's own
    /// origin; a URL with a user name in it is refused (its password would
    /// end up in messages and logs).
    pub async fn get_linked(&self, url: &str, limit: u64) -> Result<LinkedFile, DavError> {
        let shown = shown_url(url);
        let invalid = || DavError::InvalidUrl(shown.clone());
        let uri: Uri = url.trim().parse().map_err(|_| invalid())?;
        if !matches!(uri.scheme_str(), Some("http" | "https"))
            || uri.host().is_none()
            || uri.authority().is_some_and(|a| a.as_str().contains('@'))
        {
            return Err(invalid());
        }
        let client = if same_origin(self.base(), &uri) {
            self.clone()
        } else {
            self.without_credentials()
        };
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, "image/*, */*;q=0.5")
            .body(String::new())
            .map_err(|_| invalid())?;
        let response = client.send(request).await?;
        let status = response.parts.status;
        check_status(&shown, status)?;
        if !status.is_success() {
            return Err(DavError::Status { url: shown, status });
        }
        if response.body.len() as u64 > limit {
            return Err(DavError::TooLarge { url: shown, limit });
        }
        let media_type = response
            .parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        Ok(LinkedFile {
            data: response.body,
            media_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn credentials_go_to_the_servers_own_origin_only() {
        let base = uri("https://dav.example.org/remote.php/dav/");
        assert!(same_origin(
            &base,
            &uri("https://dav.example.org/photo.jpg")
        ));
        assert!(same_origin(&base, &uri("https://DAV.example.org:443/p")));
        assert!(!same_origin(&base, &uri("http://dav.example.org/p")));
        assert!(!same_origin(&base, &uri("https://dav.example.org:8443/p")));
        assert!(!same_origin(&base, &uri("https://cdn.example.org/p")));
        assert!(!same_origin(
            &base,
            &uri("https://dav.example.org.evil.net/p")
        ));
        let local = uri("http://127.0.0.1:5232/alice/");
        assert!(same_origin(&local, &uri("http://127.0.0.1:5232/x.jpg")));
        assert!(!same_origin(&local, &uri("http://127.0.0.1:5233/x.jpg")));
    }

    #[test]
    fn messages_show_no_user_name_or_password() {
        assert_eq!(
            shown_url("https://ann:secret@example.org/p.jpg"),
            "https://example.org/p.jpg"
        );
        assert_eq!(
            shown_url("https://example.org/a@b"),
            "https://example.org/a@b"
        );
        assert_eq!(shown_url("not a url"), "not a url");
    }
}
