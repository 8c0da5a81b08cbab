//! TLS settings of a client: the system's roots plus a CA file, a pinned
//! certificate (SHA-256), a client certificate, or (with a warning) none of
//! the checks; TLS 1.2 at least.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// How the server's certificate is checked, and what the client shows of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of certificates trusted besides the system's roots: a
    /// self-signed server's own certificate, or the CA that signed it.
    pub ca_file: Option<PathBuf>,
    /// The SHA-256 of the server's certificate (DER): that certificate is
    /// trusted, whoever signed it, and any other refused.
    pub fingerprint: Option<[u8; 32]>,
    /// A client certificate (PEM, the chain from the client's own) and its key (PEM).
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Accept any certificate. Insecure: anyone on the way can read and change
    /// everything, the password included.
    pub insecure: bool,
}

/// What is wrong with the TLS settings.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file holds no usable PEM data.
    #[error("{path} holds no {what} in PEM form")]
    NoPem {
        /// The file.
        path: PathBuf,
        /// What was looked for.
        what: &'static str,
    },
    /// The settings contradict each other or rustls refused them.
    #[error("{0}")]
    Setup(String),
}

/// Parses a SHA-256 fingerprint as written by `openssl x509 -fingerprint
/// -sha256` (`AB:CD:…`) or as 64 hex digits.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let digits: String = text
        .trim()
        .trim_start_matches("sha256:")
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// Writes a fingerprint as `AB:CD:…`, the form `openssl` shows.
pub fn format_fingerprint(fingerprint: &[u8; 32]) -> String {
    fingerprint
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Applies the TLS settings to a reqwest client builder: a rustls
/// configuration of our own, whose certificate check ([`Verifier`]) loads
/// the system's roots at the first handshake, not when the client is made.
/// (reqwest's loads them at once: 17 ms of a run's start reading and parsing
/// every file of `/etc/ssl/certs`, for nothing when the server is reached
/// over plain HTTP; and with no roots on the system a client was refused
/// even for `http://`.)
pub(crate) fn apply(
    builder: reqwest::ClientBuilder,
    options: &TlsOptions,
) -> Result<reqwest::ClientBuilder, TlsError> {
    let trust = trust(options)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { trust, provider }));
    let mut config = match &options.client_cert {
        None => tls.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = certificates(cert)?;
            let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|_| TlsError::NoPem {
                path: key.clone(),
                what: "private key",
            })?;
            tls.with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::Setup(format!("client certificate: {e}")))?
        }
    };
    // As reqwest offers them: HTTP/2 where the server speaks it.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(builder.tls_backend_preconfigured(config))
}

/// Which certificates `options` trust. Pinning replaces the usual checks,
/// and holds even beside `insecure` (which the configuration refuses with it).
fn trust(options: &TlsOptions) -> Result<Trust, TlsError> {
    Ok(if let Some(fingerprint) = options.fingerprint {
        Trust::Pinned(fingerprint)
    } else if options.insecure {
        Trust::Any
    } else {
        let extra = match &options.ca_file {
            Some(path) => certificates(path)?,
            None => Vec::new(),
        };
        Trust::System {
            extra,
            loaded: OnceLock::new(),
        }
    })
}

/// The certificates of a PEM file (at least one).
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(path)?)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoPem {
            path: path.to_path_buf(),
            what: "certificate",
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoPem {
            path: path.to_path_buf(),
            what: "certificate",
        });
    }
    Ok(certs)
}

/// Which server certificates are trusted.
#[derive(Debug)]
enum Trust {
    /// The system's roots and a CA file's certificates, through the
    /// platform's verifier, made at the first handshake that needs it.
    System {
        extra: Vec<CertificateDer<'static>>,
        loaded: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
    },
    /// The one certificate whose SHA-256 is pinned, whoever signed it.
    Pinned([u8; 32]),
    /// Any certificate (`insecure`).
    Any,
}

/// Checks the server's certificate as [`Trust`] says; the signatures of the
/// handshake are checked against it in every case.
#[derive(Debug)]
struct Verifier {
    trust: Trust,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.trust {
            Trust::System { extra, loaded } => {
                let platform = loaded.get_or_init(|| {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        extra.iter().cloned(),
                        self.provider.clone(),
                    )
                });
                match platform {
                    Ok(platform) => platform.verify_server_cert(
                        end_entity,
                        intermediates,
                        server_name,
                        ocsp_response,
                        now,
                    ),
                    // Told as a certificate not trusted (see `client::transport`),
                    // with what to do.
                    Err(e) => {
                        let why = match e {
                            rustls::Error::General(why) => why.clone(),
                            other => other.to_string(),
                        };
                        Err(rustls::Error::General(format!("{NO_SYSTEM_ROOTS} ({why})")))
                    }
                }
            }
            Trust::Pinned(fingerprint) => {
                let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
                if seen == *fingerprint {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::General(format!(
                        "the server's certificate has the SHA-256 fingerprint {}, not the \
                         pinned {}: refused",
                        format_fingerprint(&seen),
                        format_fingerprint(fingerprint)
                    )))
                }
            }
            Trust::Any => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What a handshake fails with when the system's roots cannot be loaded
/// (none found, none readable): the client tells it as a certificate that
/// is not trusted.
pub(crate) const NO_SYSTEM_ROOTS: &str = "no CA certificate of the system could be loaded";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_in_both_usual_forms() {
        let hex = "b0fcae5cf43bca98a3575f2ab625e087994e59336aa22b59e758897107df0fdc";
        let parsed = parse_fingerprint(hex).unwrap();
        let colons = format_fingerprint(&parsed);
        assert_eq!(colons.len(), 95);
        assert_eq!(parse_fingerprint(&colons), Some(parsed));
        assert_eq!(parse_fingerprint(&format!("sha256:{hex}")), Some(parsed));
        assert_eq!(parse_fingerprint(&hex[..62]), None);
        assert_eq!(parse_fingerprint(&hex.replace('b', "g")), None);
    }

    /// A pin is kept whatever else is set; `insecure` trusts anything only
    /// without one; a CA file is read when the client is made, not later.
    #[test]
    fn what_the_options_trust() {
        let pin = [7u8; 32];
        let both = TlsOptions {
            fingerprint: Some(pin),
            insecure: true,
            ..TlsOptions::default()
        };
        assert!(matches!(trust(&both), Ok(Trust::Pinned(p)) if p == pin));
        let insecure = TlsOptions {
            insecure: true,
            ..TlsOptions::default()
        };
        assert!(matches!(trust(&insecure), Ok(Trust::Any)));
        assert!(matches!(
            trust(&TlsOptions::default()),
            Ok(Trust::System { extra, .. }) if extra.is_empty()
        ));
        let missing = TlsOptions {
            ca_file: Some(PathBuf::from("/nonexistent/davsync-ca.pem")),
            ..TlsOptions::default()
        };
        assert!(trust(&missing).is_err());
    }
}
