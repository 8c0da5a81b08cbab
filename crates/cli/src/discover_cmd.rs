//! `davsync discover`: finds a user's calendars, task lists and address books
//! on a server (from a URL or an e-mail address), prints them, and with
//! `--write` adds one profile per collection to the configuration file.

use crate::UsageError;
use crate::secrets::{self, KeyNames, PasswordSource};
use anyhow::{Context, Result, anyhow};
use clap::ArgGroup;
use davsync_dav::discovery::{self, DiscoveredCollection, DiscoveryError, DiscoveryOptions, Start};
use davsync_dav::{CollectionKind, Credentials};
use serde_json::json;
use std::collections::HashSet;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod network;
mod write;

use write::{Planned, write_profiles, written_text};

/// The environment variable naming a DNS server for SRV/TXT look-ups.
pub(crate) const DNS_SERVER_VAR: &str = "DAVSYNC_DNS_SERVER";

/// Arguments of `davsync discover`.
#[derive(Debug, clap::Args)]
#[command(
    group(ArgGroup::new("start").required(true).args(["url", "email"])),
    group(ArgGroup::new("password").args(["password_command", "password_env", "password_keyring"])),
    after_long_help = DISCOVER_HELP
)]
pub(crate) struct DiscoverArgs {
    /// A URL on the server: its root, its DAV base (SOGo: https://HOST/SOGo/dav/),
    /// a principal or a collection.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// An e-mail address: its domain's DNS SRV/TXT records and well-known URLs say
    /// where the server is.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// The user name on the server [default with --email: the address].
    #[arg(long, value_name = "NAME", required_unless_present = "email")]
    user: Option<String>,
    /// A shell command whose first line of output is the password.
    #[arg(long, value_name = "CMD")]
    password_command: Option<String>,
    /// The environment variable holding the password.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Take the password from the system keyring (service "davsync", user NAME@HOST).
    #[arg(long)]
    password_keyring: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Add one profile per collection to the configuration file (created if missing).
    #[arg(long, requires = "local_root")]
    write: bool,
    /// With --write: the folder under which each profile gets its local folder.
    #[arg(long, value_name = "DIR", requires = "write")]
    local_root: Option<PathBuf>,
    #[command(flatten)]
    network: network::NetworkArgs,
}

const DISCOVER_HELP: &str = "\
Discovery order: for --email NAME@DOMAIN the DNS SRV records _caldavs._tcp.DOMAIN and then
_caldav._tcp.DOMAIN (and _carddavs/_carddav), by priority and weight, with the TXT record's
path=; then https://DOMAIN/.well-known/caldav (carddav). On each server: current-user-principal
from the URL itself, /.well-known/caldav, /.well-known/carddav, then /; then every
calendar-home-set and addressbook-home-set, then every collection in them.

--write adds, per collection, a [profiles.NAME] table (NAME from the display name): content
\"events\" for a calendar of events, \"tasks\" for a task list, both (NAME and NAME-tasks) for a
calendar that takes both, \"contacts\" for an address book; mode \"to-local\" for a collection you
may only read. The local folder is DIR/NAME, with vdirsyncer's `displayname` and `color` files.
The password option given here is written as the profile's password key (never the password),
and the TLS and proxy options as the store keys of the same names (--tls-ca-file is
tls_ca_file; paths made absolute). Collections already configured (same URL and content) are
skipped.

Testing and special setups: DAVSYNC_DNS_SERVER=IP[:PORT] sends the SRV/TXT queries to that DNS
server instead of the system's resolvers.

Exit status: 0 when discovery worked, 1 when it failed (unreachable, 401, nothing found), 2 on a
usage or configuration error.";

/// Runs `davsync discover`; `Ok(false)` when discovery failed.
pub(crate) fn run(config_path: &Path, args: &DiscoverArgs) -> Result<bool> {
    let (start, host) = match (&args.url, &args.email) {
        (Some(url), _) => {
            let host = url
                .parse::<http::Uri>()
                .ok()
                .and_then(|u| u.host().map(str::to_string))
                .with_context(|| format!("{url:?} is not an http:// or https:// URL"))
                .map_err(UsageError::of)?;
            (Start::Url(url.trim().to_string()), host)
        }
        (None, Some(address)) => {
            let domain = address
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .with_context(|| format!("{address:?} is not an e-mail address (NAME@DOMAIN)"))
                .map_err(UsageError::of)?;
            (Start::Email(address.trim().to_string()), domain)
        }
        (None, None) => return Err(UsageError::of(anyhow!("give --url or --email"))),
    };
    let user = match (&args.user, &args.email) {
        (Some(user), _) => user.clone(),
        (None, Some(address)) => address.trim().to_string(),
        (None, None) => return Err(UsageError::of(anyhow!("give --user"))),
    };
    let source = PasswordSource::from_keys(
        args.password_command.clone(),
        args.password_keyring,
        args.password_env.clone(),
        None,
        &format!("{user}@{host}"),
        KeyNames::OPTIONS,
    )
    .map_err(|e| UsageError::of(anyhow!("{e}")))?;
    let credentials = match &source {
        Some(source) => match secrets::fetch(source, KeyNames::OPTIONS) {
            Ok(secret) => Credentials {
                username: user.clone(),
                password: secret.expose().to_string(),
            },
            Err(e) => {
                eprintln!(
                    "davsync: cannot get the password from {}: {e}",
                    source.describe(KeyNames::OPTIONS)
                );
                return Ok(false);
            }
        },
        // As `sync` does without a password key: the user name and an empty password.
        None => Credentials {
            username: user.clone(),
            password: String::new(),
        },
    };
    let probe_url = match &start {
        Start::Url(url) => url.clone(),
        Start::Email(_) => format!("https://{host}/"),
    };
    let options = DiscoveryOptions {
        dns_server: dns_server_from_env()?,
        client: args.network.client_options(&probe_url, &user)?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let found = match runtime.block_on(discovery::discover(&start, Some(&credentials), &options)) {
        Ok(found) => found,
        Err(e @ (DiscoveryError::InvalidUrl(_) | DiscoveryError::InvalidEmail(_))) => {
            return Err(e.into());
        }
        Err(e) => {
            eprintln!("davsync: {e}");
            if matches!(e, DiscoveryError::NotFound { .. }) && args.url.is_some() {
                eprintln!(
                    "davsync: hint: give the server's DAV address, e.g. https://HOST/SOGo/dav/ \
                     (SOGo), https://HOST/remote.php/dav/ (Nextcloud), or a calendar's URL"
                );
            }
            if matches!(e, DiscoveryError::Unauthorized(_)) {
                let from = source.as_ref().map_or_else(
                    || "no password option given".to_string(),
                    |s| format!("password from {}", s.describe(KeyNames::OPTIONS)),
                );
                eprintln!("davsync: (user {user:?}; {from})");
            }
            return Ok(false);
        }
    };
    let mut collections = found.collections.clone();
    collections.sort_by_cached_key(|c| {
        (
            c.kind == CollectionKind::AddressBook,
            c.displayname.clone().unwrap_or_default().to_lowercase(),
            c.url.clone(),
        )
    });

    let written = match (&args.local_root, args.write) {
        (Some(root), true) => Some(write_profiles(
            config_path,
            root,
            &collections,
            &user,
            args,
            &start,
        )?),
        _ => None,
    };

    if args.json {
        let mut out = json!({
            "principals": found.principals,
            "collections": collections.iter().map(collection_json).collect::<Vec<_>>(),
        });
        if let Some(w) = &written {
            out["config"] = json!(config_path.display().to_string());
            out["added"] = w.added.iter().map(Planned::to_json).collect();
            out["skipped"] = w
                .skipped
                .iter()
                .map(|(url, content, profile)| {
                    json!({ "url": url, "content": content, "profile": profile })
                })
                .collect();
        }
        print_out(&(serde_json::to_string_pretty(&out)? + "\n"))?;
        return Ok(true);
    }

    let mut out = String::new();
    for principal in &found.principals {
        out.push_str(&format!("Principal: {principal}\n"));
    }
    if collections.is_empty() {
        out.push_str("No calendars or address books found.\n");
    } else {
        out.push_str(&table(&collections));
    }
    if let Some(w) = &written {
        out.push_str(&written_text(w, config_path, source.is_some()));
        if matches!(start, Start::Email(_)) && args.password_keyring {
            let hosts: HashSet<String> = w
                .added
                .iter()
                .filter_map(|p| p.url.parse::<http::Uri>().ok()?.host().map(str::to_string))
                .filter(|h| h != &host)
                .collect();
            for h in hosts {
                out.push_str(&format!(
                    "Note: `davsync sync` looks the password up in the keyring as user \"{user}@{h}\".\n"
                ));
            }
        }
    }
    print_out(&out)?;
    Ok(true)
}

/// `DAVSYNC_DNS_SERVER`: `IP:PORT`, or an IP (port 53).
fn dns_server_from_env() -> Result<Option<SocketAddr>> {
    let Some(value) = std::env::var_os(DNS_SERVER_VAR).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let value = value.to_string_lossy().trim().to_string();
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(Some(addr));
    }
    if let Ok(ip) = value.parse::<std::net::IpAddr>() {
        return Ok(Some(SocketAddr::new(ip, 53)));
    }
    Err(UsageError::of(anyhow!(
        "{DNS_SERVER_VAR}={value:?} is not an IP address with an optional port (127.0.0.1:5353)"
    )))
}

fn collection_json(c: &DiscoveredCollection) -> serde_json::Value {
    json!({
        "url": c.url,
        "type": match c.kind {
            CollectionKind::Calendar => "calendar",
            CollectionKind::AddressBook => "addressbook",
        },
        "kind": c.kind_label(),
        "displayname": c.displayname,
        "color": c.color,
        "description": c.description,
        "components": c.components,
        "read_only": c.read_only,
        "supports_sync": c.supports_sync,
    })
}

/// Text for a table cell: one line, no control characters.
fn cell(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn table(collections: &[DiscoveredCollection]) -> String {
    let rows: Vec<[String; 5]> = collections
        .iter()
        .map(|c| {
            [
                c.kind_label().to_string(),
                cell(c.displayname.as_deref().unwrap_or("-")),
                cell(c.color.as_deref().unwrap_or("-")),
                if c.read_only { "yes" } else { "no" }.to_string(),
                c.url.clone(),
            ]
        })
        .collect();
    let header = ["KIND", "NAME", "COLOR", "READ-ONLY", "URL"].map(str::to_string);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, text) in widths.iter_mut().zip(row) {
            *w = (*w).max(text.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, text) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(text);
            } else {
                line.push_str(text);
                line.push_str(&" ".repeat(widths[i] - text.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Writes `text` to stdout; a closed pipe (`davsync discover | head`) is no error.
fn print_out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}
