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
use std::sync::Arc;

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

/// Applies the TLS settings to a reqwest client builder.
pub(crate) fn apply(
    mut builder: reqwest::ClientBuilder,
    options: &TlsOptions,
) -> Result<reqwest::ClientBuilder, TlsError> {
    builder = builder.tls_version_min(reqwest::tls::Version::TLS_1_2);
    if let Some(fingerprint) = options.fingerprint {
        // Pinning replaces the usual checks: rustls configured here.
        return Ok(builder.tls_backend_preconfigured(pinned_config(fingerprint, options)?));
    }
    if let Some(path) = &options.ca_file {
        let certs =
            reqwest::Certificate::from_pem_bundle(&read(path)?).map_err(|_| TlsError::NoPem {
                path: path.clone(),
                what: "certificate",
            })?;
        if certs.is_empty() {
            return Err(TlsError::NoPem {
                path: path.clone(),
                what: "certificate",
            });
        }
        builder = builder.tls_certs_merge(certs);
    }
    if let Some((cert, key)) = &options.client_cert {
        let mut pem = read(cert)?;
        pem.push(b'\n');
        pem.extend(read(key)?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            TlsError::Setup(format!(
                "client certificate {} with key {}: {e}",
                cert.display(),
                key.display()
            ))
        })?;
        builder = builder.identity(identity);
    }
    if options.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn pinned_config(
    fingerprint: [u8; 32],
    options: &TlsOptions,
) -> Result<rustls::ClientConfig, TlsError> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            fingerprint,
            provider,
        }));
    let mut config = match &options.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(cert)?)
                .collect::<Result<_, _>>()
                .map_err(|_| TlsError::NoPem {
                    path: cert.clone(),
                    what: "certificate",
                })?;
            if chain.is_empty() {
                return Err(TlsError::NoPem {
                    path: cert.clone(),
                    what: "certificate",
                });
            }
            let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|_| TlsError::NoPem {
                path: key.clone(),
                what: "private key",
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::Setup(format!("client certificate: {e}")))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Trusts the one certificate whose SHA-256 is pinned (the signatures of the
/// handshake are still checked against it).
#[derive(Debug)]
struct Pinned {
    fingerprint: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if seen == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate has the SHA-256 fingerprint {}, not the pinned {}: \
                 refused",
                format_fingerprint(&seen),
                format_fingerprint(&self.fingerprint)
            )))
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
}
