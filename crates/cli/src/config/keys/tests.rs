//! Tests of the key table against the parser, the README and the libraries'
//! own defaults: each fails when one of them changes without the table.

use super::*;
use crate::config::Config;
use std::collections::BTreeSet;
use std::path::Path;

/// An events profile `p` with `extra` lines, a vdir local store whose table
/// ends with `local`, and a caldav server store whose table ends with `server`.
fn profile(extra: &str, local: &str, server: &str) -> String {
    format!(
        "[profiles.p]\ncontent = \"events\"\n{extra}\n\
         local = {{ type = \"vdir\", path = \"a\"{local} }}\n\
         server = {{ type = \"caldav\", url = \"https://dav.example.org/c/\"{server} }}\n"
    )
}

fn parse(source: &str) -> anyhow::Result<Config> {
    Config::parse(source, Path::new("/x/config.toml"))
}

/// The keys serde names as expected after an unknown key `not_a_key` in the
/// file `source`: the keys the parser accepts there.
fn accepted_keys(source: &str) -> BTreeSet<String> {
    let error = format!("{:#}", parse(source).unwrap_err());
    assert!(error.contains("unknown field `not_a_key`"), "{error}");
    let (_, expected) = error.split_once("expected").unwrap();
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The names of the keys valid in any of `places`.
fn table_keys(places: &[Place]) -> BTreeSet<String> {
    KEYS.iter()
        .filter(|k| places.iter().any(|p| k.valid_in(*p)))
        .map(|k| k.name.to_string())
        .collect()
}

#[test]
fn the_parser_takes_exactly_the_keys_of_the_table() {
    let general = accepted_keys(&format!(
        "[general]\nnot_a_key = 1\n{}",
        profile("", "", "")
    ));
    assert_eq!(general, table_keys(&[Place::General]));
    let profiles = accepted_keys(&profile("not_a_key = 1", "", ""));
    assert_eq!(profiles, table_keys(&[Place::Profile]));
    let stores = accepted_keys(&profile("", ", not_a_key = 1", ""));
    assert_eq!(stores, table_keys(STORES));
    // No key twice in one place.
    for place in [Place::General, Place::Profile, Place::Vdir, Place::Caldav] {
        let names: Vec<&str> = KEYS
            .iter()
            .filter(|k| k.valid_in(place))
            .map(|k| k.name)
            .collect();
        assert_eq!(names.len(), table_keys(&[place]).len(), "{names:?}");
    }
}

/// A value of the key's type that the parser reads without complaint
/// before any check of what it means.
fn sample(key: &Key) -> String {
    match key.value {
        ValueType::Bool => "true".into(),
        ValueType::Int { min, .. } => min.to_string(),
        ValueType::OneOf(values) => format!("{:?}", values[0]),
        ValueType::Path | ValueType::String | ValueType::Url => "\"x\"".into(),
        ValueType::Duration => "\"1h\"".into(),
        ValueType::TimeRange { .. } | ValueType::Store | ValueType::Tables => {
            panic!("{} is not a store key", key.name)
        }
    }
}

#[test]
fn a_vdir_store_refuses_exactly_the_keys_the_table_gives_servers_only() {
    for key in KEYS.iter().filter(|k| k.valid_in(Place::Caldav)) {
        if key.name == "type" {
            continue;
        }
        let result = parse(&profile(
            "",
            &format!(", {} = {}", key.name, sample(key)),
            "",
        ));
        let refused = result
            .as_ref()
            .err()
            .map(|e| format!("{e:#}"))
            .filter(|e| e.contains("caldav and carddav stores only"));
        assert_eq!(
            refused.is_some(),
            !key.valid_in(Place::Vdir),
            "{}: {:?}",
            key.name,
            result.map(|_| ())
        );
        if let Some(e) = refused {
            assert!(
                e.contains(&format!("key `profiles.p.local.{}`", key.name)),
                "{e}"
            );
        }
    }
}

/// The keys of contacts profiles only (an events profile refuses them).
const CONTACT_KEYS: [&str; 8] = [
    "vcard_version",
    "im",
    "group_format",
    "lists",
    "server_groups",
    "group_dangling",
    "photo_uri",
    "keep_local_photo",
];

/// `source`'s events profile made a contacts profile (a carddav server).
fn as_contacts(source: &str) -> String {
    source
        .replace("content = \"events\"", "content = \"contacts\"")
        .replace("\"caldav\"", "\"carddav\"")
}

/// The profiles of `source`, as text, to compare two parses.
fn resolved(source: &str) -> String {
    let config = parse(source).unwrap_or_else(|e| panic!("{e:#}\n{source}"));
    format!("{:?}\n{:?}", config.general, config.profiles)
}

#[test]
fn every_default_in_the_table_is_what_the_parser_takes() {
    let without = resolved(&profile("", "", ""));
    let mut checked = 0;
    // Keys whose default is a value that can be written in the file.
    let written = |k: &&Key| {
        matches!(
            k.default,
            DefaultValue::Bool(_)
                | DefaultValue::Int(_)
                | DefaultValue::Str(_)
                | DefaultValue::TimeRange { .. }
        )
    };
    for key in KEYS.iter().filter(written) {
        let setting = format!("{} = {}", key.name, key.default.text());
        let source = if key.valid_in(Place::Profile) {
            profile(&setting, "", "")
        } else if key.valid_in(Place::General) {
            format!("[general]\n{setting}\n{}", profile("", "", ""))
        } else {
            assert!(key.valid_in(Place::Caldav), "{}", key.name);
            profile("", "", &format!(", {setting}"))
        };
        if CONTACT_KEYS.contains(&key.name) {
            assert_eq!(
                resolved(&as_contacts(&source)),
                resolved(&as_contacts(&profile("", "", ""))),
                "{setting}"
            );
            assert!(parse(&source).is_err(), "{setting} in an events profile");
        } else {
            assert_eq!(resolved(&source), without, "{setting}");
        }
        checked += 1;
    }
    // A key set to another value than its default does change the profile,
    // so the comparison above can tell.
    assert_ne!(resolved(&profile("", "", ", retries = 0")), without);
    assert!(checked >= 20, "{checked}");
}

#[test]
fn the_values_of_a_choice_are_the_parsers() {
    for key in KEYS {
        let ValueType::OneOf(values) = key.value else {
            continue;
        };
        let source = |value: &str| match key.name {
            "type" => {
                let place = if value == "vdir" {
                    "path = \"b\""
                } else {
                    "url = \"https://dav.example.org/\""
                };
                format!(
                    "[profiles.p]\ncontent = \"events\"\nlocal = {{ type = \"vdir\", path = \"a\" }}\n\
                     server = {{ type = \"{value}\", {place} }}\n"
                )
            }
            "content" => profile("", "", "").replace("\"events\"", &format!("\"{value}\"")),
            // A key of `[general]` only (`log_level`).
            _ if !key.valid_in(Place::Profile) => format!(
                "[general]\n{} = \"{value}\"\n{}",
                key.name,
                profile("", "", "")
            ),
            _ if CONTACT_KEYS.contains(&key.name) => {
                as_contacts(&profile(&format!("{} = \"{value}\"", key.name), "", ""))
            }
            _ => profile(&format!("{} = \"{value}\"", key.name), "", ""),
        };
        for value in values {
            let result = parse(&source(value));
            // A carddav store cannot hold events, nor a caldav one contacts:
            // those are the parser's checks, not unknown values.
            if let Err(e) = result {
                let e = format!("{e:#}");
                assert!(e.contains("cannot hold"), "{} = {value}: {e}", key.name);
            }
        }
        let e = format!("{:#}", parse(&source("no-such-value")).unwrap_err());
        for value in values {
            assert!(e.contains(value), "{}: {e}", key.name);
        }
    }
}

#[test]
fn the_libraries_defaults_are_the_tables() {
    let sync = davsync_sync::SyncOptions::default();
    let chunk_size = CHUNK_SIZE.int_default() as usize;
    let concurrency = CONCURRENCY.int_default() as usize;
    assert_eq!(sync.batch_size, chunk_size);
    assert_eq!(davsync_sync::engine::DEFAULT_BATCH_SIZE, chunk_size);
    assert_eq!(sync.concurrency, concurrency);
    assert_eq!(davsync_sync::engine::DEFAULT_CONCURRENCY, concurrency);
    assert_eq!(i64::from(sync.max_delete_percent), MAX_DELETE.int_default());
    assert_eq!(
        i64::from(sync.offline_tolerance),
        OFFLINE_TOLERANCE.int_default()
    );
    assert_eq!(
        sync.full_listing_every,
        crate::config::duration::parse(FULL_LISTING_INTERVAL.str_default()).unwrap()
    );
    let profile = &parse(&profile("", "", "")).unwrap().profiles[0];
    assert_eq!(
        (sync.mode, sync.conflicts),
        (profile.mode, profile.conflicts)
    );
    assert_eq!(
        davsync_store::vdir::DEFAULT_MAX_ITEM_SIZE,
        MAX_ITEM_SIZE_MIB.int_default() as u64 * 1024 * 1024
    );

    let client = davsync_dav::ClientOptions::default();
    assert_eq!(
        client.timeout.as_secs(),
        TIMEOUT_SECONDS.int_default() as u64
    );
    assert_eq!(i64::from(client.retries), RETRIES.int_default());
    assert_eq!(
        client.connect_timeout.as_secs(),
        CONNECT_TIMEOUT_SECONDS.int_default() as u64
    );
    assert_eq!(client.close_connection, CLOSE_CONNECTION.bool_default());
    assert_eq!(client.auth.preemptive, PREEMPTIVE_AUTH.bool_default());
    assert_eq!(client.auth.force_basic, FORCE_BASIC_AUTH.bool_default());
    assert_eq!(
        client.accept_invalid_xml_chars,
        ACCEPT_INVALID_XML_CHARS.bool_default()
    );
    assert_eq!(client.lenient_headers, LENIENT_HEADERS.bool_default());
    assert_eq!(client.tls.insecure, TLS_INSECURE.bool_default());
    assert!(matches!(client.proxy, davsync_dav::ProxyOption::System));
    assert_eq!(PROXY.str_default(), "system");
}

#[test]
fn the_password_key_names_are_in_the_table() {
    use crate::secrets::KeyNames;
    for names in [KeyNames::SERVER, KeyNames::PROXY] {
        for name in [names.command, names.keyring, names.env, names.plain] {
            assert!(find(name, Place::Caldav).is_some(), "{name}");
            assert!(find(name, Place::Vdir).is_none(), "{name}");
        }
    }
}

/// The README's reference of the keys valid in `places`, as a Markdown table.
fn markdown(places: &[Place]) -> String {
    let code = |text: &str| format!("`{text}`");
    let mut out =
        String::from("| key | type | default | valid in | meaning |\n|---|---|---|---|---|\n");
    for key in KEYS
        .iter()
        .filter(|k| places.iter().any(|p| k.valid_in(*p)))
    {
        let default = match key.default {
            DefaultValue::Required | DefaultValue::None => key.default.text(),
            other => code(&other.text()),
        };
        out.push_str(&format!(
            "| {} | {} | {default} | {} | {} |\n",
            code(key.name),
            key.value.name(),
            key.places(),
            key.full_doc(code)
        ));
    }
    out
}

/// The generated block of the README named `name`: what lies between
/// `<!-- keys: NAME -->` and the next `<!-- /keys -->`.
fn readme_block<'a>(readme: &'a str, name: &str) -> Option<&'a str> {
    let start_marker = format!("<!-- keys: {name} -->\n");
    let start = readme.find(&start_marker)? + start_marker.len();
    let end = readme[start..].find("<!-- /keys -->")?;
    Some(&readme[start..start + end])
}

#[test]
fn the_readme_key_reference_is_the_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    for (name, places) in [
        ("general", &[Place::General][..]),
        ("profile", &[Place::Profile][..]),
        ("store", STORES),
    ] {
        let expected = markdown(places);
        assert!(!expected.contains("||"), "{expected}");
        let found = readme_block(&readme, name);
        assert!(
            found == Some(expected.as_str()),
            "README.md's key reference `{name}` differs from the table; paste this between \
             `<!-- keys: {name} -->` and `<!-- /keys -->`:\n\n{expected}"
        );
    }
    // Every key is in one of the blocks (a key of `[general]` and profiles in both).
    let documented: usize = ["general", "profile", "store"]
        .iter()
        .filter_map(|name| readme_block(&readme, name))
        .map(|block| block.lines().count() - 2)
        .sum();
    let in_both = KEYS
        .iter()
        .filter(|k| k.valid_in(Place::General) && k.valid_in(Place::Profile))
        .count();
    assert_eq!(documented, KEYS.len() + in_both);
}
