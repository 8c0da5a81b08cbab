//! `davsync discover`: finds a user's calendars, task lists and address books
//! on a server (from a URL or an e-mail address), prints them, and with
//! `--write` adds one profile per collection to the configuration file.

use crate::UsageError;
use crate::presets::{self, Inputs, Preset, PresetError};
use crate::secrets::{self, KeyNames, PasswordSource};
use anyhow::{Context, Result, anyhow};
use clap::ArgGroup;
use davsync_dav::discovery::{
    self, DiscoveredCollection, Discovery, DiscoveryError, DiscoveryOptions, Start,
};
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
    group(ArgGroup::new("start").required(true).multiple(true).args(["url", "email", "preset"])),
    group(ArgGroup::new("password").args(["password_command", "password_env", "password_keyring"])),
    after_long_help = DISCOVER_HELP
)]
pub(crate) struct DiscoverArgs {
    /// A URL on the server: its root, its DAV base (SOGo: https://HOST/SOGo/dav/),
    /// a principal or a collection. With --preset: discovery starts here instead
    /// of at the preset's URL.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// An e-mail address: its domain's DNS SRV/TXT records and well-known URLs say
    /// where the server is. With --preset: the preset's {email}, and the user name
    /// when --user is not given.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// A server preset (`davsync presets` lists them): discovery starts at its URL,
    /// and --write gives the new profiles its keys.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// With --preset: the server's host name (https is meant), HOST:PORT, or its base
    /// URL (https://example.org/nextcloud, http://127.0.0.1:5232).
    #[arg(long, value_name = "HOST", requires = "preset", conflicts_with = "url")]
    host: Option<String>,
    /// The user name on the server [default with --email: the address].
    #[arg(long, value_name = "NAME", required_unless_present_any = ["email", "preset"])]
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

--preset NAME: discovery starts at the preset's URL, made from --host (a host name means https;
a base URL such as http://127.0.0.1:5232 or https://example.org/nextcloud is taken as it is),
--user and --email; a missing one is an error naming it. A preset with a CalDAV and a CardDAV
root discovers both (a root that fails is a warning while the other answers). --url with
--preset starts at that URL instead; the preset still gives the keys. --write writes the
preset's keys into each new profile, after a comment `# preset: NAME (davsync presets)`.
`davsync presets` lists the presets, their URLs and keys.

Testing and special setups: DAVSYNC_DNS_SERVER=IP[:PORT] sends the SRV/TXT queries to that DNS
server instead of the system's resolvers.

Exit status: 0 when discovery worked, 1 when it failed (unreachable, 401, nothing found), 2 on a
usage or configuration error.";

/// Runs `davsync discover`; `Ok(false)` when discovery failed.
pub(crate) fn run(config_path: &Path, args: &DiscoverArgs) -> Result<bool> {
    let plan = StartPlan::of(args)?;
    let (host, user) = (plan.host.clone(), plan.user.clone());
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
    let probe_url = match &plan.starts[0] {
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
    let mut results = Vec::new();
    for start in &plan.starts {
        let result = runtime.block_on(discovery::discover(start, Some(&credentials), &options));
        if let Err(e @ (DiscoveryError::InvalidUrl(_) | DiscoveryError::InvalidEmail(_))) = result {
            return Err(e.into());
        }
        results.push((start, result));
    }
    let Merged {
        principals,
        mut collections,
        failures,
    } = merge(results);
    if failures.len() == plan.starts.len() {
        for (_, e) in &failures {
            eprintln!("davsync: {e}");
        }
        let any = |f: fn(&DiscoveryError) -> bool| failures.iter().any(|(_, e)| f(e));
        if any(|e| matches!(e, DiscoveryError::NotFound { .. }))
            && args.url.is_some()
            && plan.preset.is_none()
        {
            eprintln!(
                "davsync: hint: give the server's DAV address, e.g. https://HOST/SOGo/dav/ \
                 (SOGo), https://HOST/remote.php/dav/ (Nextcloud), or a calendar's URL; or a \
                 preset: `davsync presets`"
            );
        }
        if any(|e| matches!(e, DiscoveryError::Unauthorized(_))) {
            let from = source.as_ref().map_or_else(
                || "no password option given".to_string(),
                |s| format!("password from {}", s.describe(KeyNames::OPTIONS)),
            );
            eprintln!("davsync: (user {user:?}; {from})");
        }
        return Ok(false);
    }
    for (start, e) in &failures {
        eprintln!(
            "davsync: warning: nothing found from {start}: {e}; the collections of the other \
             root are listed"
        );
    }
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
            &plan,
        )?),
        _ => None,
    };

    if args.json {
        let mut out = json!({
            "preset": plan.preset.map(|p| p.name),
            "started_at": plan.starts.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "principals": principals,
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
    if let Some(preset) = plan.preset {
        out.push_str(&format!(
            "Preset: {} ({}), from {}\n",
            preset.name,
            preset.server,
            plan.describe_starts()
        ));
    }
    for principal in &principals {
        out.push_str(&format!("Principal: {principal}\n"));
    }
    if collections.is_empty() {
        out.push_str("No calendars or address books found.\n");
    } else {
        out.push_str(&table(&collections));
    }
    if let Some(w) = &written {
        out.push_str(&written_text(w, config_path, source.is_some()));
        if (matches!(plan.starts[0], Start::Email(_)) || plan.starts.len() > 1)
            && args.password_keyring
        {
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

/// Where discovery starts, from the options: a URL, an e-mail address, or a
/// preset's URLs (`--url` instead of them when given).
#[derive(Debug)]
pub(super) struct StartPlan {
    /// One start, or a preset's CalDAV and CardDAV roots.
    pub(super) starts: Vec<Start>,
    /// The host of the first start (the e-mail's domain): the keyring's `NAME@HOST`.
    pub(super) host: String,
    /// The user name.
    pub(super) user: String,
    /// The preset, with `--preset`.
    pub(super) preset: Option<&'static Preset>,
}

impl StartPlan {
    fn of(args: &DiscoverArgs) -> Result<StartPlan> {
        let user = args
            .user
            .as_deref()
            .or(args.email.as_deref())
            .map(|u| u.trim().to_string());
        let Some(name) = &args.preset else {
            if args.url.is_some() && args.email.is_some() {
                return Err(UsageError::of(anyhow!(
                    "give --url or --email, not both (with --preset, --email fills its {{email}})"
                )));
            }
            let start = match (&args.url, &args.email) {
                (Some(url), _) => Start::Url(url.trim().to_string()),
                (None, Some(address)) => Start::Email(address.trim().to_string()),
                (None, None) => return Err(UsageError::of(anyhow!("give --url or --email"))),
            };
            let user = user.ok_or_else(|| UsageError::of(anyhow!("give --user")))?;
            return StartPlan::new(vec![start], user, None);
        };
        let preset = presets::find(name)
            .and_then(Preset::usable)
            .map_err(UsageError::of)?;
        let inputs = Inputs {
            host: args.host.as_deref(),
            user: user.as_deref(),
            email: args.email.as_deref().map(str::trim),
        };
        let urls = match &args.url {
            Some(url) => Ok(vec![url.trim().to_string()]),
            None => preset
                .urls(inputs)
                .map(|urls| urls.into_iter().map(|(_, url)| url).collect()),
        };
        // Every option missing is named at once, the user name too.
        let urls = match (urls, &user) {
            (Err(PresetError::Missing { name, mut missing }), None) => {
                if !missing.contains(&"--user") {
                    let at = usize::from(missing.first() == Some(&"--host"));
                    missing.insert(at, "--user");
                }
                Err(PresetError::Missing { name, missing })
            }
            (Ok(_), None) => Err(PresetError::Missing {
                name: preset.name,
                missing: vec!["--user"],
            }),
            (urls, _) => urls,
        }
        .map_err(UsageError::of)?;
        let user = user.unwrap_or_default();
        let starts = urls.into_iter().map(Start::Url).collect();
        StartPlan::new(starts, user, Some(preset))
    }

    fn new(starts: Vec<Start>, user: String, preset: Option<&'static Preset>) -> Result<StartPlan> {
        let host = match starts.first() {
            Some(Start::Url(url)) => url
                .parse::<http::Uri>()
                .ok()
                .and_then(|u| u.host().map(str::to_string))
                .with_context(|| format!("{url:?} is not an http:// or https:// URL"))
                .map_err(UsageError::of)?,
            Some(Start::Email(address)) => address
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .with_context(|| format!("{address:?} is not an e-mail address (NAME@DOMAIN)"))
                .map_err(UsageError::of)?,
            None => return Err(UsageError::of(anyhow!("nothing to start discovery from"))),
        };
        Ok(StartPlan {
            starts,
            host,
            user,
            preset,
        })
    }

    /// The starts, comma-separated.
    fn describe_starts(&self) -> String {
        let starts: Vec<String> = self.starts.iter().map(ToString::to_string).collect();
        starts.join(", ")
    }

    /// The starts as the comment of `--write` names them.
    pub(super) fn describe(&self) -> String {
        let mut out = self.describe_starts();
        if let Some(p) = self.preset {
            out.push_str(&format!("; preset {}", p.name));
        }
        out
    }
}

/// What the starts found together: principals and collections each once, in
/// the order found, and the starts that failed.
struct Merged<'a> {
    principals: Vec<String>,
    collections: Vec<DiscoveredCollection>,
    failures: Vec<(&'a Start, DiscoveryError)>,
}

fn merge(results: Vec<(&Start, Result<Discovery, DiscoveryError>)>) -> Merged<'_> {
    let mut merged = Merged {
        principals: Vec::new(),
        collections: Vec::new(),
        failures: Vec::new(),
    };
    for (start, result) in results {
        match result {
            Ok(found) => {
                for p in found.principals {
                    if !merged.principals.contains(&p) {
                        merged.principals.push(p);
                    }
                }
                for c in found.collections {
                    if !merged.collections.iter().any(|known| known.url == c.url) {
                        merged.collections.push(c);
                    }
                }
            }
            Err(e) => merged.failures.push((start, e)),
        }
    }
    merged
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
        "shared_by": c.shared_by,
    })
}

/// The user a principal URL names: its last path segment
/// (`…/principals/admin/` → `admin`).
fn owner_name(principal: &str) -> &str {
    principal
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(principal)
}

/// Text for a table cell: one line, no control characters.
fn cell(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn table(collections: &[DiscoveredCollection]) -> String {
    let rows: Vec<[String; 6]> = collections
        .iter()
        .map(|c| {
            [
                c.kind_label().to_string(),
                cell(c.displayname.as_deref().unwrap_or("-")),
                cell(c.color.as_deref().unwrap_or("-")),
                if c.read_only { "yes" } else { "no" }.to_string(),
                cell(c.shared_by.as_deref().map_or("-", owner_name)),
                c.url.clone(),
            ]
        })
        .collect();
    let header = ["KIND", "NAME", "COLOR", "READ-ONLY", "SHARED BY", "URL"].map(str::to_string);
    let mut widths = [0usize; 6];
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

#[cfg(test)]
mod tests {
    use super::*;

    fn found(principal: &str, urls: &[&str]) -> Discovery {
        Discovery {
            principals: vec![principal.to_string()],
            collections: urls
                .iter()
                .map(|url| DiscoveredCollection {
                    url: url.to_string(),
                    kind: CollectionKind::Calendar,
                    displayname: None,
                    color: None,
                    description: None,
                    components: vec!["VEVENT".into()],
                    read_only: false,
                    supports_sync: true,
                    shared_by: None,
                })
                .collect(),
            ..Discovery::default()
        }
    }

    /// Two roots that find the same principal and collections list them once;
    /// a root that failed is kept with its error.
    #[test]
    fn roots_are_merged_each_collection_once() {
        let [cal, card, third] = [
            Start::Url("https://h/caldav/".into()),
            Start::Url("https://h/carddav/".into()),
            Start::Url("https://other/".into()),
        ];
        let merged = merge(vec![
            (
                &cal,
                Ok(found(
                    "https://h/p/alice/",
                    &["https://h/a/", "https://h/b/"],
                )),
            ),
            (
                &card,
                Ok(found(
                    "https://h/p/alice/",
                    &["https://h/b/", "https://h/c/"],
                )),
            ),
            (
                &third,
                Err(DiscoveryError::NotFound {
                    start: "https://other/".into(),
                    tried: vec![],
                }),
            ),
        ]);
        assert_eq!(merged.principals, ["https://h/p/alice/"]);
        let urls: Vec<&str> = merged.collections.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(urls, ["https://h/a/", "https://h/b/", "https://h/c/"]);
        assert_eq!(merged.failures.len(), 1);
        assert_eq!(merged.failures[0].0, &third);
    }
}
