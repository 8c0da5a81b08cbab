//! The network options of `davsync discover` (TLS, proxy): each option is
//! the store key of the same name (`--tls-ca-file` is `tls_ca_file`), read
//! by the same code as a profile's keys (a probe profile goes through the
//! configuration parser), and written as that key by `--write`.

use crate::UsageError;
use crate::config::{Config, ResolvedStore};
use crate::sync_cmd;
use anyhow::{Result, anyhow};
use davsync_dav::ClientOptions;
use std::path::{Path, PathBuf};

/// The TLS and proxy options of `discover`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct NetworkArgs {
    /// A PEM file of certificates trusted besides the system's (a
    /// self-signed server's certificate, or its CA): key `tls_ca_file`.
    #[arg(long, value_name = "FILE")]
    tls_ca_file: Option<PathBuf>,
    /// The SHA-256 fingerprint of the server's certificate (AB:CD:… or 64
    /// hex digits), pinned instead of the CA check: key `tls_fingerprint`.
    #[arg(long, value_name = "SHA256")]
    tls_fingerprint: Option<String>,
    /// A client certificate (PEM): key `tls_client_cert`; needs --tls-client-key.
    #[arg(long, value_name = "FILE", requires = "tls_client_key")]
    tls_client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM): key `tls_client_key`.
    #[arg(long, value_name = "FILE", requires = "tls_client_cert")]
    tls_client_key: Option<PathBuf>,
    /// Accept any certificate (key `tls_insecure`; warned about at every run).
    #[arg(long)]
    tls_insecure: bool,
    /// "system" (the default), "none", or the proxy's URL: key `proxy`.
    #[arg(long, value_name = "PROXY")]
    proxy: Option<String>,
    /// The user name on the proxy: key `proxy_username`.
    #[arg(long, value_name = "NAME")]
    proxy_username: Option<String>,
    /// A shell command printing the proxy password: key `proxy_password_command`.
    #[arg(long, value_name = "CMD", conflicts_with_all = ["proxy_password_env", "proxy_password_keyring"])]
    proxy_password_command: Option<String>,
    /// The environment variable holding the proxy password: key `proxy_password_env`.
    #[arg(long, value_name = "VAR", conflicts_with = "proxy_password_keyring")]
    proxy_password_env: Option<String>,
    /// The proxy password from the keyring: key `proxy_password_keyring`.
    #[arg(long)]
    proxy_password_keyring: bool,
}

/// A TOML string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl NetworkArgs {
    /// The store keys the options give, as `key = value` (paths made
    /// absolute, so that a profile written elsewhere finds them).
    pub(crate) fn keys(&self) -> Result<Vec<String>> {
        let path = |p: &Path| -> Result<String> {
            let absolute = std::path::absolute(p)
                .map_err(|e| UsageError::of(anyhow!("cannot use {}: {e}", p.display())))?;
            Ok(toml_str(&absolute.to_string_lossy()))
        };
        let mut keys = Vec::new();
        if let Some(p) = &self.tls_ca_file {
            keys.push(format!("tls_ca_file = {}", path(p)?));
        }
        if let Some(f) = &self.tls_fingerprint {
            keys.push(format!("tls_fingerprint = {}", toml_str(f)));
        }
        if let Some(p) = &self.tls_client_cert {
            keys.push(format!("tls_client_cert = {}", path(p)?));
        }
        if let Some(p) = &self.tls_client_key {
            keys.push(format!("tls_client_key = {}", path(p)?));
        }
        if self.tls_insecure {
            keys.push("tls_insecure = true".into());
        }
        if let Some(p) = &self.proxy {
            keys.push(format!("proxy = {}", toml_str(p)));
        }
        if let Some(u) = &self.proxy_username {
            keys.push(format!("proxy_username = {}", toml_str(u)));
        }
        if let Some(c) = &self.proxy_password_command {
            keys.push(format!("proxy_password_command = {}", toml_str(c)));
        }
        if let Some(v) = &self.proxy_password_env {
            keys.push(format!("proxy_password_env = {}", toml_str(v)));
        }
        if self.proxy_password_keyring {
            keys.push("proxy_password_keyring = true".into());
        }
        Ok(keys)
    }

    /// The HTTP client options for a server at `url` (where discovery
    /// starts) with these keys, read as a profile's are; the proxy
    /// password is fetched from its source. An error names the option.
    pub(crate) fn client_options(&self, url: &str, user: &str) -> Result<ClientOptions> {
        let keys = self.keys()?;
        let mut server = format!(
            "{{ type = \"caldav\", url = {}, username = {}",
            toml_str(url),
            toml_str(user)
        );
        for key in &keys {
            server.push_str(", ");
            server.push_str(key);
        }
        server.push_str(" }");
        let probe = format!(
            "[profiles.discover]\ncontent = \"events\"\n\
             local = {{ type = \"vdir\", path = \"discover\" }}\nserver = {server}\n"
        );
        let config = Config::parse(&probe, &std::env::current_dir()?.join("discover.toml"))
            .map_err(|e| UsageError::of(anyhow!("the network options: {e:#}")))?;
        let Some(ResolvedStore::Dav(dav)) = config.profiles.first().map(|p| &p.server) else {
            return Err(anyhow!("the network options made no server store"));
        };
        if dav.network.tls.insecure {
            eprintln!(
                "davsync: warning: --tls-insecure: TLS certificate checks are off: anyone between \
                 you and {url} can read and change your data and your password"
            );
        }
        let logins = sync_cmd::logins(dav).map_err(|e| anyhow!("{e}"))?;
        Ok(sync_cmd::client_options(dav, &logins))
    }
}
