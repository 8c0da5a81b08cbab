//! `davsync create`: makes the server collection of a profile whose
//! collection does not exist yet (a new local folder pushed to a server as
//! a new calendar or address book).

use crate::config::{Config, Content, DavStoreConfig, Profile, ResolvedStore};
use crate::sync_cmd::{client_options, logins};
use anyhow::Result;
use davsync_dav::{
    CalendarComponent, Collection, CollectionKind, DavClient, DavError, NewCollection, ResourceType,
};
use std::path::Path;

/// Arguments of `davsync create`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = CREATE_HELP)]
pub(crate) struct CreateArgs {
    /// The profiles whose server collection to make.
    #[arg(value_name = "PROFILE", required = true)]
    profiles: Vec<String>,
}

const CREATE_HELP: &str = "\
For each profile, the collection at its server URL is made: a calendar (MKCALENDAR) that takes
the components of every profile with that URL (events, tasks or both), or an address book
(extended MKCOL). Its display name and colour come from the local folder's `displayname` and
`color` files (vdirsyncer's), or, when the local side is a collection on a server (a copy of one
account onto another), from that collection's; else the name is the profile's. A collection that exists already
is left as it is. Then run `davsync sync`.

Exit status: 0 when every collection exists afterwards, 1 when one could not be made, 2 on a
usage or configuration error.";

/// What `create` did for one profile.
enum Outcome {
    Made(String),
    Existed,
}

/// Runs `davsync create`; `Ok(false)` when a collection could not be made.
pub(crate) fn run(config: &Config, args: &CreateArgs) -> Result<bool> {
    let selection = config
        .select(&args.profiles)
        .map_err(crate::UsageError::of)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut ok = true;
    for profile in &selection.run {
        match runtime.block_on(create(config, profile)) {
            Ok(Outcome::Made(what)) => println!("{}: made {what}", profile.name),
            Ok(Outcome::Existed) => {
                println!(
                    "{}: the collection exists already; nothing done",
                    profile.name
                );
            }
            Err(e) => {
                ok = false;
                eprintln!("davsync: {}: {e}", profile.name);
            }
        }
    }
    Ok(ok)
}

/// The URL without its trailing slash, for comparing.
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// A vdir folder's `displayname` or `color` file, trimmed, if any.
fn folder_file(profile: &Profile, name: &str) -> Option<String> {
    let ResolvedStore::Vdir { path } = &profile.local else {
        return None;
    };
    std::fs::read_to_string(Path::new(path).join(name))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The display name and colour of a `local` side that is a collection on a
/// server (a copy of one account onto another).
async fn local_collection_names(
    local: &DavStoreConfig,
) -> Result<(Option<String>, Option<String>), String> {
    let logins = logins(local)?;
    let client = DavClient::new(
        &local.url,
        logins.server.as_ref(),
        &client_options(local, &logins),
    )
    .map_err(|e| e.to_string())?;
    let properties = Collection::new(client, &local.url, local.kind)
        .map_err(|e| e.to_string())?
        .display_properties()
        .await
        .map_err(|e| format!("reading the local collection's name: {e}"))?;
    let some = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok((some(properties.displayname), some(properties.color)))
}

async fn create(config: &Config, profile: &Profile) -> Result<Outcome, String> {
    let ResolvedStore::Dav(dav) = &profile.server else {
        return Err("the server store is a folder: there is no collection to make".into());
    };
    let logins = logins(dav)?;
    let client = DavClient::new(
        &dav.url,
        logins.server.as_ref(),
        &client_options(dav, &logins),
    )
    .map_err(|e| e.to_string())?;
    let existing =
        Collection::new(client.clone(), &dav.url, dav.kind).map_err(|e| e.to_string())?;
    // (Xandikos answers a PROPFIND of a missing URL with a 207 saying 404
    // inside: what the URL is, not whether it answers, tells.)
    match existing.inspect().await.map(|i| i.resource) {
        Ok(ResourceType::Calendar { .. }) if dav.kind == CollectionKind::Calendar => {
            return Ok(Outcome::Existed);
        }
        Ok(ResourceType::AddressBook) if dav.kind == CollectionKind::AddressBook => {
            return Ok(Outcome::Existed);
        }
        Ok(ResourceType::Calendar { .. } | ResourceType::AddressBook) => {
            return Err(format!(
                "{} is a collection of the other kind (a calendar for contacts, or an address \
                 book for events or tasks)",
                dav.url
            ));
        }
        Ok(_) | Err(DavError::NotFound { .. }) => {}
        Err(e) => return Err(e.to_string()),
    }
    // Every profile with this collection says what it must take.
    let mut components: Vec<CalendarComponent> = Vec::new();
    for other in &config.profiles {
        let ResolvedStore::Dav(o) = &other.server else {
            continue;
        };
        if !same_url(&o.url, &dav.url) {
            continue;
        }
        let component = match other.content {
            Content::Events => CalendarComponent::Event,
            Content::Tasks => CalendarComponent::Todo,
            Content::Contacts => continue,
        };
        if !components.contains(&component) {
            components.push(component);
        }
    }
    let (displayname, color) = match &profile.local {
        ResolvedStore::Dav(local) => local_collection_names(local).await?,
        _ => (
            folder_file(profile, "displayname"),
            folder_file(profile, "color"),
        ),
    };
    let displayname = displayname.unwrap_or_else(|| profile.name.clone());
    let new = NewCollection {
        components: &components,
        displayname: Some(&displayname),
        color: color.as_deref(),
    };
    Collection::make(client, &dav.url, dav.kind, &new)
        .await
        .map_err(|e| e.to_string())?;
    let what = match dav.kind {
        CollectionKind::AddressBook => "an address book".to_string(),
        CollectionKind::Calendar => {
            let names: Vec<&str> = components
                .iter()
                .map(|c| match c {
                    CalendarComponent::Event => "events",
                    CalendarComponent::Todo => "tasks",
                    CalendarComponent::Journal => "journal entries",
                })
                .collect();
            format!("a calendar for {}", names.join(" and "))
        }
    };
    Ok(Outcome::Made(format!(
        "{what} \"{displayname}\" at {}",
        dav.url
    )))
}
