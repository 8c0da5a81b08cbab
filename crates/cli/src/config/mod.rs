//! The configuration file: read, checked with file/line/key in every error,
//! and resolved (paths, the data directory). Each key has one home, `keys.rs`;
//! the file as serde reads it is `raw.rs`, its checks are `profile.rs`,
//! `store.rs` and `network.rs`.

mod contacts;
pub(crate) mod duration;
pub(crate) mod keys;
mod mapping;
mod network;
mod profile;
mod raw;
mod source;
mod store;

pub(crate) use network::ProxyConfig;
pub(crate) use profile::{Content, Profile, valid_profile_name};
pub(crate) use store::{DavStoreConfig, ResolvedStore};

use crate::secrets::PasswordSource;
use anyhow::{Context, Result, bail};
pub(crate) use profile::{General, LogFile};
use profile::{GeneralDefaults, resolve_profile};
use raw::RawFile;
use source::Source;
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// The file it came from.
    pub file: PathBuf,
    /// `general.data_dir`, resolved.
    pub data_dir: Option<PathBuf>,
    /// `[general]`'s other keys.
    pub general: General,
    /// Profiles by name, in name order.
    pub profiles: Vec<Profile>,
}

/// The permission bits of `path` if its group or others may read it.
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> Option<u32> {
    None
}

impl Config {
    /// Whether any profile has a password (server or proxy) written in the file itself.
    pub(crate) fn holds_a_password(&self) -> bool {
        let plain = |store: &ResolvedStore| match store {
            ResolvedStore::Dav(dav) => {
                dav.password.as_ref().is_some_and(PasswordSource::is_plain)
                    || matches!(&dav.network.proxy, ProxyConfig::Url { password: Some(p), .. } if p.is_plain())
            }
            ResolvedStore::Vdir { .. } => false,
        };
        self.profiles
            .iter()
            .any(|p| plain(&p.local) || plain(&p.server))
    }

    /// A warning when the file holds a password and other users may read it
    /// (Unix permissions; elsewhere nothing is checked).
    pub(crate) fn exposure_warning(&self) -> Option<String> {
        if !self.holds_a_password() {
            return None;
        }
        readable_by_others(&self.file).map(|mode| {
            format!(
                "{} holds a password and other users can read it (mode {mode:o}); \
                 run `chmod 600 {}`, or better, use password_command, password_keyring or password_env",
                self.file.display(),
                self.file.display()
            )
        })
    }

    /// Reads and validates the file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Config> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        Config::parse(&source, path)
    }

    /// Parses and validates `source`, naming `path`, the line and the key in errors.
    pub(crate) fn parse(source: &str, path: &Path) -> Result<Config> {
        let src = Source::new(source, path);
        let raw: RawFile = toml::from_str(source).map_err(|e| src.toml_error(&e))?;
        let defaults = GeneralDefaults::of(&raw.general, &src)?;
        let general = General::of(&raw.general, &src)?;
        let profiles = raw
            .profiles
            .into_iter()
            .map(|(name, raw)| {
                let span = name.span();
                resolve_profile(name.into_inner(), span, raw, &defaults, &src)
            })
            .collect::<Result<Vec<Profile>>>()?;
        let data_dir = raw.general.data_dir.map(|d| src.resolve(d.get_ref()));
        if profiles.is_empty() {
            bail!(
                "{}: no profiles are configured (add a [profiles.NAME] table; see `davsync --help`)",
                src.file()
            );
        }
        Ok(Config {
            file: path.to_path_buf(),
            data_dir,
            general,
            profiles,
        })
    }

    /// The named profiles, or when `names` is empty every profile that is not
    /// inactive (the inactive ones are the selection's `inactive`); an
    /// unknown name is an error.
    pub(crate) fn select(&self, names: &[String]) -> Result<Selection<'_>> {
        if names.is_empty() {
            let (inactive, run) = self.profiles.iter().partition(|p| p.inactive);
            return Ok(Selection { run, inactive });
        }
        let run = names
            .iter()
            .map(|n| {
                self.profiles
                    .iter()
                    .find(|p| &p.name == n)
                    .with_context(|| {
                        let known: Vec<&str> =
                            self.profiles.iter().map(|p| p.name.as_str()).collect();
                        format!(
                            "{}: no profile named `{n}` (configured: {})",
                            self.file.display(),
                            known.join(", ")
                        )
                    })
            })
            .collect::<Result<_>>()?;
        Ok(Selection {
            run,
            inactive: Vec::new(),
        })
    }
}

/// The profiles a run takes, and those it leaves out.
#[derive(Debug)]
pub(crate) struct Selection<'c> {
    /// The profiles to run: the named ones, inactive or not, in the order
    /// named; or every active one, in name order.
    pub run: Vec<&'c Profile>,
    /// The inactive profiles left out because no profile was named, in name order.
    pub inactive: Vec<&'c Profile>,
}

/// The default configuration file: `$XDG_CONFIG_HOME/davsync/config.toml` or the platform's equivalent.
pub(crate) fn default_config_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "davsync")
        .map(|d| d.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("davsync.toml"))
}

/// The data directory: `--data-dir`, else `DAVSYNC_DATA_DIR`, else `general.data_dir`,
/// else `$XDG_DATA_HOME/davsync` or the platform's equivalent.
pub(crate) fn data_dir(flag: Option<&Path>, config: &Config) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("DAVSYNC_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = &config.data_dir {
        return dir.clone();
    }
    directories::ProjectDirs::from("", "", "davsync")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".davsync"))
}

#[cfg(test)]
mod tests;
