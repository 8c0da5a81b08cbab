//! HTTP authentication of a client: Basic (sent before the server asks, by
//! default) or Digest (RFC 7616, learnt from the server's challenge), and
//! what to do after a 401.

use crate::client::Credentials;
use http::HeaderValue;
use http_auth::{PasswordClient, PasswordParams};
use std::sync::Mutex;

/// How credentials are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthOptions {
    /// Send Basic credentials with the first request, before the server asks
    /// for them (saves a round trip per connection; the guide's default).
    pub preemptive: bool,
    /// Always use Basic, even when the server offers Digest.
    pub force_basic: bool,
}

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions {
            preemptive: true,
            force_basic: false,
        }
    }
}

/// The scheme learnt so far.
enum Scheme {
    /// Nothing sent yet (without pre-emptive authentication).
    Unknown,
    Basic,
    Digest(Box<PasswordClient>),
}

/// Credentials and the scheme they are sent with; shared by a client's clones.
pub(crate) struct Auth {
    credentials: Credentials,
    options: AuthOptions,
    scheme: Mutex<Scheme>,
}

/// What was sent with a request, to judge its 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    Nothing,
    Basic,
    Digest,
}

impl Auth {
    pub(crate) fn new(credentials: Credentials, options: AuthOptions) -> Auth {
        let scheme = if options.preemptive || options.force_basic {
            Scheme::Basic
        } else {
            Scheme::Unknown
        };
        Auth {
            credentials,
            options,
            scheme: Mutex::new(scheme),
        }
    }

    fn basic(&self) -> HeaderValue {
        let value = http_auth::basic::encode_credentials(
            &self.credentials.username,
            &self.credentials.password,
        );
        sensitive(&value)
    }

    /// The `Authorization` header for a request (`uri`: its path and query),
    /// if one is to be sent now.
    pub(crate) fn header(
        &self,
        method: &str,
        uri: &str,
        body: Option<&[u8]>,
    ) -> (Option<HeaderValue>, Sent) {
        let mut scheme = self.scheme.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *scheme {
            Scheme::Unknown => (None, Sent::Nothing),
            Scheme::Basic => (Some(self.basic()), Sent::Basic),
            Scheme::Digest(client) => {
                let params = PasswordParams {
                    username: &self.credentials.username,
                    password: &self.credentials.password,
                    uri,
                    method,
                    body,
                };
                match client.respond(&params) {
                    Ok(value) => (Some(sensitive(&value)), Sent::Digest),
                    Err(e) => {
                        tracing::warn!("cannot answer the server's Digest challenge: {e}");
                        (None, Sent::Nothing)
                    }
                }
            }
        }
    }

    /// Learns from the challenges of a 401 answer to a request sent with
    /// `sent`: whether sending it again with other credentials may help
    /// (first contact, Digest asked for, or a stale Digest nonce). A second
    /// 401 to the same credentials means they are wrong.
    pub(crate) fn learn(&self, challenges: &http::HeaderMap, sent: Sent) -> bool {
        let mut scheme = self.scheme.lock().unwrap_or_else(|p| p.into_inner());
        if self.options.force_basic {
            if sent == Sent::Nothing {
                *scheme = Scheme::Basic;
                return true;
            }
            return false;
        }
        let offered = PasswordClient::try_from(challenges.get_all(http::header::WWW_AUTHENTICATE));
        match offered {
            Ok(PasswordClient::Digest(client)) => {
                let retry = sent != Sent::Digest || client.stale();
                *scheme = Scheme::Digest(Box::new(PasswordClient::Digest(client)));
                retry
            }
            Ok(_) => {
                // Basic, or a scheme this version does not know: Basic.
                *scheme = Scheme::Basic;
                sent != Sent::Basic
            }
            Err(_) if sent == Sent::Nothing => {
                // No usable challenge: Basic is all that is left to try.
                *scheme = Scheme::Basic;
                true
            }
            Err(_) => false,
        }
    }
}

fn sensitive(value: &str) -> HeaderValue {
    let mut value = HeaderValue::from_str(value)
        .unwrap_or_else(|_| HeaderValue::from_static("invalid-credentials"));
    value.set_sensitive(true);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(options: AuthOptions) -> Auth {
        Auth::new(
            Credentials {
                username: "alice".into(),
                password: "secret".into(),
            },
            options,
        )
    }

    fn challenge(value: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        map.append(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_str(value).unwrap(),
        );
        map
    }

    const DIGEST: &str = r#"Digest realm="SabreDAV", qop="auth", nonce="5a1b2c", opaque="0f0e""#;

    #[test]
    fn basic_goes_first_unless_told_otherwise() {
        let (value, sent) = auth(AuthOptions::default()).header("GET", "/", None);
        assert_eq!(sent, Sent::Basic);
        assert!(value.unwrap().to_str().unwrap().starts_with("Basic "));
        let lazy = auth(AuthOptions {
            preemptive: false,
            force_basic: false,
        });
        assert_eq!(lazy.header("GET", "/", None), (None, Sent::Nothing));
        assert!(lazy.learn(&challenge(r#"Basic realm="x""#), Sent::Nothing));
        assert_eq!(lazy.header("GET", "/", None).1, Sent::Basic);
        assert!(
            !lazy.learn(&challenge(r#"Basic realm="x""#), Sent::Basic),
            "wrong password"
        );
    }

    #[test]
    fn digest_is_learnt_from_the_challenge_and_answered_per_request() {
        let a = auth(AuthOptions::default());
        assert!(a.learn(&challenge(DIGEST), Sent::Basic));
        let (value, sent) = a.header("PROPFIND", "/dav/alice/", None);
        assert_eq!(sent, Sent::Digest);
        let text = value.unwrap().to_str().unwrap().to_string();
        assert!(text.starts_with("Digest "), "{text}");
        assert!(text.contains(r#"uri="/dav/alice/""#), "{text}");
        assert!(!text.contains("secret"));
        // The same challenge again: the password is wrong.
        assert!(!a.learn(&challenge(DIGEST), Sent::Digest));
        // A stale nonce: answer the new one.
        assert!(a.learn(&challenge(&format!("{DIGEST}, stale=true")), Sent::Digest));
    }

    #[test]
    fn force_basic_ignores_digest() {
        let a = auth(AuthOptions {
            preemptive: true,
            force_basic: true,
        });
        assert!(!a.learn(&challenge(DIGEST), Sent::Basic));
        assert_eq!(a.header("GET", "/", None).1, Sent::Basic);
    }
}
