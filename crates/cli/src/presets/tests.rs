use super::*;
use crate::config::Config;
use crate::config::keys::DefaultValue;
use davsync_sync::mapping::{ImStyle, ServerGroupsOption, TimeZones};
use std::path::Path;

fn inputs<'a>(host: Option<&'a str>, user: Option<&'a str>, email: Option<&'a str>) -> Inputs<'a> {
    Inputs { host, user, email }
}

fn urls(name: &str, inputs: Inputs<'_>) -> Vec<String> {
    find(name)
        .unwrap()
        .urls(inputs)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .into_iter()
        .map(|(_, url)| url)
        .collect()
}

/// The list: every one of these servers has a preset.
#[test]
fn the_servers_asked_for_have_presets() {
    for name in [
        "sogo",
        "nextcloud",
        "owncloud",
        "baikal",
        "radicale",
        "xandikos",
        "davical",
        "cyrus",
        "fastmail",
        "icloud",
        "posteo",
        "mailbox.org",
        "gmx",
        "web.de",
        "zoho",
        "yahoo",
        "egroupware",
        "kolab",
        "open-xchange",
        "synology",
        "stalwart",
        "google",
    ] {
        assert!(find(name).is_ok(), "{name}");
    }
    let mut names: Vec<&str> = PRESETS
        .iter()
        .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()))
        .collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "a name or alias given twice");
    for p in PRESETS {
        assert!(!p.roots.is_empty(), "{}", p.name);
        assert_eq!(p.name, p.name.to_lowercase());
    }
}

/// Each preset's URLs from example inputs are the URLs its provider or
/// makers document (written out here, not derived from the templates).
#[test]
fn presets_give_the_documented_urls() {
    let host = Some("dav.example.org");
    let user = Some("alice");
    let email = Some("alice@example.org");
    let cases: &[(&str, Inputs<'_>, &[&str])] = &[
        (
            "sogo",
            inputs(host, user, None),
            &["https://dav.example.org/SOGo/dav/"],
        ),
        (
            "nextcloud",
            inputs(host, user, None),
            &["https://dav.example.org/remote.php/dav/"],
        ),
        (
            "owncloud",
            inputs(host, user, None),
            &["https://dav.example.org/remote.php/dav/"],
        ),
        (
            "baikal",
            inputs(host, user, None),
            &["https://dav.example.org/dav.php/"],
        ),
        (
            "radicale",
            inputs(host, user, None),
            &["https://dav.example.org/"],
        ),
        (
            "xandikos",
            inputs(host, user, None),
            &["https://dav.example.org/"],
        ),
        (
            "davical",
            inputs(host, user, None),
            &["https://dav.example.org/caldav.php/alice/"],
        ),
        (
            "cyrus",
            inputs(host, user, None),
            &["https://dav.example.org/dav/"],
        ),
        (
            "stalwart",
            inputs(host, user, None),
            &["https://dav.example.org/dav/"],
        ),
        (
            "egroupware",
            inputs(host, user, None),
            &["https://dav.example.org/egroupware/groupdav.php/"],
        ),
        (
            "kolab",
            inputs(host, user, None),
            &["https://dav.example.org/iRony/"],
        ),
        (
            "open-xchange",
            inputs(host, user, None),
            &[
                "https://dav.example.org/caldav/",
                "https://dav.example.org/carddav/",
            ],
        ),
        (
            "synology",
            inputs(Some("nas.example.org"), user, None),
            &[
                "https://nas.example.org:5001/caldav/alice/",
                "https://nas.example.org:5001/carddav/alice/",
            ],
        ),
        (
            "fastmail",
            inputs(None, email, email),
            &[
                "https://caldav.fastmail.com/dav/",
                "https://carddav.fastmail.com/dav/",
            ],
        ),
        (
            "icloud",
            inputs(None, email, email),
            &["https://caldav.icloud.com/", "https://contacts.icloud.com/"],
        ),
        (
            "posteo",
            inputs(None, email, email),
            &["https://posteo.de:8443/", "https://posteo.de:8843/"],
        ),
        (
            "mailbox.org",
            inputs(None, email, email),
            &["https://dav.mailbox.org/"],
        ),
        (
            "gmx",
            inputs(None, email, email),
            &["https://caldav.gmx.net/", "https://carddav.gmx.net/"],
        ),
        (
            "web.de",
            inputs(None, email, email),
            &["https://caldav.web.de/", "https://carddav.web.de/"],
        ),
        (
            "zoho",
            inputs(None, email, email),
            &[
                "https://calendar.zoho.com/caldav/",
                "https://contacts.zoho.com/carddav/",
            ],
        ),
        (
            "yahoo",
            inputs(None, email, email),
            &[
                "https://caldav.calendar.yahoo.com/",
                "https://carddav.address.yahoo.com/",
            ],
        ),
        (
            "google",
            inputs(None, email, email),
            &[
                "https://apidata.googleusercontent.com/caldav/v2/alice@example.org/events/",
                "https://www.googleapis.com/carddav/v1/principals/alice@example.org/lists/default/",
            ],
        ),
    ];
    for (name, given, expected) in cases {
        assert_eq!(urls(name, *given), *expected, "{name}");
    }
    // Every preset is checked above.
    for p in PRESETS {
        assert!(
            cases
                .iter()
                .any(|(n, ..)| find(n).is_ok_and(|f| f.name == p.name)),
            "{} has no URL test",
            p.name
        );
    }
}

#[test]
fn host_takes_a_bare_name_a_port_or_a_base_url() {
    let cases = [
        (
            "nextcloud",
            "cloud.example.org",
            "https://cloud.example.org/remote.php/dav/",
        ),
        (
            "nextcloud",
            "https://example.org/nextcloud/",
            "https://example.org/nextcloud/remote.php/dav/",
        ),
        (
            "nextcloud",
            "example.org/nextcloud",
            "https://example.org/nextcloud/remote.php/dav/",
        ),
        (
            "radicale",
            "http://127.0.0.1:5232",
            "http://127.0.0.1:5232/",
        ),
        (
            "radicale",
            "dav.example.org:8443",
            "https://dav.example.org:8443/",
        ),
        (
            "davical",
            "example.org/davical",
            "https://example.org/davical/caldav.php/a%20b%2Fc/",
        ),
        (
            "synology",
            "nas.local:443",
            "https://nas.local:443/caldav/a%20b%2Fc/",
        ),
        (
            "synology",
            "http://nas.local:5000",
            "http://nas.local:5000/caldav/a%20b%2Fc/",
        ),
        (
            "synology",
            "[fd00::1]",
            "https://[fd00::1]:5001/caldav/a%20b%2Fc/",
        ),
        (
            "sogo",
            "HTTPS://Mail.Example.org",
            "HTTPS://Mail.Example.org/SOGo/dav/",
        ),
    ];
    for (name, host, expected) in cases {
        let got = urls(name, inputs(Some(host), Some("a b/c"), None));
        assert_eq!(got[0], expected, "{name} {host}");
    }
}

#[test]
fn what_is_missing_is_named() {
    let err = |name: &str, given: Inputs<'_>| find(name).unwrap().urls(given).unwrap_err();
    let none = Inputs::default();
    assert_eq!(
        err("nextcloud", none).to_string(),
        "preset nextcloud needs --host"
    );
    assert_eq!(
        err("davical", none).to_string(),
        "preset davical needs --host and --user"
    );
    assert_eq!(
        err("davical", inputs(None, Some("alice"), None)).to_string(),
        "preset davical needs --host"
    );
    assert_eq!(
        err("google", inputs(None, Some("alice"), None)).to_string(),
        "preset google needs --email"
    );
    assert_eq!(
        err("icloud", inputs(Some("h"), None, None)),
        PresetError::HostNotTaken("icloud")
    );
    for bad in ["", "ftp://h/", "a b", "https://", "h?x=1", "http://h/?q"] {
        assert_eq!(
            err("radicale", inputs(Some(bad), None, None)),
            PresetError::BadHost(bad.into()),
            "{bad:?}"
        );
    }
}

#[test]
fn names_unknown_and_unsupported() {
    assert_eq!(find("SOGo").unwrap().name, "sogo");
    assert_eq!(find(" Mailbox.org ").unwrap().name, "mailbox-org");
    assert_eq!(find("OX").unwrap().name, "open-xchange");
    assert_eq!(
        find("exchange").unwrap_err().to_string(),
        "there is no preset \"exchange\"; `davsync presets` lists them"
    );
    let google = find("google").unwrap().usable().unwrap_err().to_string();
    assert!(
        google.contains("not supported yet") && google.contains("OAuth"),
        "{google}"
    );
    for p in PRESETS.iter().filter(|p| p.name != "google") {
        assert!(p.usable().is_ok(), "{}", p.name);
    }
}

/// A profile of `content` with the preset's lines, parsed by the real
/// configuration parser.
fn profile_with(preset: &Preset, content: Content) -> (String, crate::config::Profile) {
    let (content_name, store) = match content {
        Content::Events => ("events", "caldav"),
        Content::Tasks => ("tasks", "caldav"),
        Content::Contacts => ("contacts", "carddav"),
    };
    let text = format!(
        "[profiles.p]\ncontent = \"{content_name}\"\n{}\
         local = {{ type = \"vdir\", path = \"/l\" }}\n\
         server = {{ type = \"{store}\", url = \"https://h/c/\", username = \"a\" }}\n",
        profile_lines(preset, content)
    );
    let config = Config::parse(&text, Path::new("/x/config.toml"))
        .unwrap_or_else(|e| panic!("{}: {e:#}\n{text}", preset.name));
    let profile = config.profiles.into_iter().next().unwrap();
    (text, profile)
}

/// Every key a preset sets is a key the configuration takes, with a valid
/// value, in every profile it goes into; and none is the key's default.
#[test]
fn every_preset_key_is_valid_where_it_goes() {
    for preset in PRESETS {
        for content in [Content::Events, Content::Tasks, Content::Contacts] {
            let (text, _) = profile_with(preset, content);
            assert!(
                text.contains(&format!("# preset: {} (davsync presets)\n", preset.name)),
                "{text}"
            );
            for s in preset.settings_for(content) {
                assert!(text.contains(&format!("\n{} = {}", s.key.name, s.value)));
            }
        }
        for s in preset.settings {
            let default = match s.key.default {
                DefaultValue::Str(v) => format!("{v:?}"),
                other => other.text(),
            };
            assert_ne!(
                s.value, default,
                "{}: {} is the default",
                preset.name, s.key.name
            );
        }
    }
}

/// The keys do what the original's options did.
#[test]
fn preset_keys_take_effect() {
    let preset = |n: &str| find(n).unwrap();
    let (_, sogo) = profile_with(preset("sogo"), Content::Events);
    assert!(!sogo.mapping.schedule_agent_client && sogo.mapping.sogo_no_notifications);
    let (_, sogo) = profile_with(preset("sogo"), Content::Contacts);
    assert_eq!(
        sogo.contact_options.server_groups,
        ServerGroupsOption::Vlist
    );
    let (_, google) = profile_with(preset("google"), Content::Tasks);
    assert!(!google.mapping.map_attendees && google.mapping.class.public_omit);
    let (_, icloud) = profile_with(preset("icloud"), Content::Events);
    assert_eq!(icloud.time_options.timezones, TimeZones::Iana);
    let (_, icloud) = profile_with(preset("icloud"), Content::Contacts);
    assert_eq!(
        icloud.contact_options.server_groups,
        ServerGroupsOption::Apple
    );
    assert_eq!(icloud.contact_options.im, ImStyle::Impp);
    let (_, fastmail) = profile_with(preset("fastmail"), Content::Events);
    assert!(!fastmail.mapping.schedule_agent_client);
    assert_eq!(fastmail.time_options.timezones, TimeZones::Iana);
    let (_, kolab) = profile_with(preset("kolab"), Content::Tasks);
    assert_eq!(kolab.time_range, Some((31, 365)));
    let (_, ox) = profile_with(preset("ox"), Content::Events);
    assert_eq!(ox.duplicates, davsync_sync::Duplicates::Remove);
    let (_, radicale) = profile_with(preset("radicale"), Content::Events);
    assert!(radicale.mapping.schedule_agent_client && !radicale.mapping.sogo_no_notifications);
}
