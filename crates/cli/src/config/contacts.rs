//! The contact options of a contacts profile (`vcard_version`, `im`,
//! `group_format`, `lists`, `server_groups`, `group_dangling`, `photo_uri`,
//! `keep_local_photo`): their checks. Other profiles may not give them.

use super::keys;
use super::profile::Content;
use super::raw::{RawProfile, from_table};
use davsync_sync::mapping::{ContactOptions, GroupFormatOption, VcardVersionOption};
use std::ops::Range;
use toml::Spanned;

/// A key's error: where, which key, what.
type KeyError = (Range<usize>, &'static str, String);

/// Reads the contact options of a profile; an events or tasks profile may
/// give none.
pub(super) fn contact_options_of(raw: &RawProfile) -> Result<ContactOptions, KeyError> {
    if raw.content != Content::Contacts {
        let given = [
            (
                keys::VCARD_VERSION.name,
                raw.vcard_version.as_ref().map(Spanned::span),
            ),
            (keys::IM.name, raw.im.as_ref().map(Spanned::span)),
            (
                keys::GROUP_FORMAT.name,
                raw.group_format.as_ref().map(Spanned::span),
            ),
            (keys::LISTS.name, raw.lists.as_ref().map(Spanned::span)),
            (
                keys::SERVER_GROUPS.name,
                raw.server_groups.as_ref().map(Spanned::span),
            ),
            (
                keys::GROUP_DANGLING.name,
                raw.group_dangling.as_ref().map(Spanned::span),
            ),
            (
                keys::PHOTO_URI.name,
                raw.photo_uri.as_ref().map(Spanned::span),
            ),
            (
                keys::KEEP_LOCAL_PHOTO.name,
                raw.keep_local_photo.as_ref().map(Spanned::span),
            ),
        ];
        if let Some((name, Some(at))) = given.into_iter().find(|(_, at)| at.is_some()) {
            return Err((
                at,
                name,
                format!("`{name}` applies to contacts, not to an events or tasks profile"),
            ));
        }
        return Ok(ContactOptions::default());
    }
    let options = ContactOptions {
        vcard_version: raw
            .vcard_version
            .as_ref()
            .map_or_else(|| from_table(&keys::VCARD_VERSION), |v| *v.get_ref()),
        im: raw
            .im
            .as_ref()
            .map_or_else(|| from_table(&keys::IM), |v| *v.get_ref()),
        group_format: raw
            .group_format
            .as_ref()
            .map_or_else(|| from_table(&keys::GROUP_FORMAT), |v| *v.get_ref()),
        lists: raw
            .lists
            .as_ref()
            .map_or_else(|| from_table(&keys::LISTS), |v| *v.get_ref()),
        server_groups: raw
            .server_groups
            .as_ref()
            .map_or_else(|| from_table(&keys::SERVER_GROUPS), |v| *v.get_ref()),
        group_dangling: raw
            .group_dangling
            .as_ref()
            .map_or_else(|| from_table(&keys::GROUP_DANGLING), |v| *v.get_ref()),
        photo_uri: raw
            .photo_uri
            .as_ref()
            .map_or_else(|| from_table(&keys::PHOTO_URI), |v| *v.get_ref()),
        keep_local_photo: raw
            .keep_local_photo
            .as_ref()
            .map_or(keys::KEEP_LOCAL_PHOTO.bool_default(), |v| *v.get_ref()),
    };
    // A 3.0 folder holds groups in the Apple shape (vCard 3 has no KIND).
    if options.vcard_version == VcardVersionOption::V3
        && options.group_format == GroupFormatOption::Vcard4
        && let Some(at) = &raw.group_format
    {
        return Err((
            at.span(),
            keys::GROUP_FORMAT.name,
            "`group_format = \"vcard4\"` needs vCard 4: with `vcard_version = \"3.0\"` groups \
             take the Apple shape (`group_format = \"apple\"` or unset)"
                .into(),
        ));
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use davsync_sync::mapping::{
        ContactOptions, DanglingOption, GroupFormatOption, ImStyle, ListsOption, PhotoUriOption,
        ServerGroupsOption, VcardVersionOption,
    };
    use std::path::Path;

    fn profile(content: &str, extra: &str) -> String {
        format!(
            "[profiles.p]\ncontent = \"{content}\"\n{extra}\nlocal = {{ type = \"vdir\", path = \"a\" }}\n\
             server = {{ type = \"vdir\", path = \"b\" }}\n"
        )
    }

    fn parse(source: &str) -> anyhow::Result<Config> {
        Config::parse(source, Path::new("/x/c.toml"))
    }

    #[test]
    fn contact_options_are_read_with_their_defaults() {
        let config = parse(&profile("contacts", "")).unwrap();
        assert_eq!(
            config.profiles[0].contact_options,
            ContactOptions::default()
        );
        let config = parse(&profile(
            "contacts",
            "vcard_version = \"3.0\"\nim = \"x-props\"\ngroup_format = \"apple\"\n\
             lists = \"skip\"\nserver_groups = \"vlist\"\ngroup_dangling = \"drop\"\n\
             photo_uri = \"inline\"\nkeep_local_photo = true",
        ))
        .unwrap();
        assert_eq!(
            config.profiles[0].contact_options,
            ContactOptions {
                vcard_version: VcardVersionOption::V3,
                im: ImStyle::XProps,
                group_format: GroupFormatOption::Apple,
                lists: ListsOption::Skip,
                server_groups: ServerGroupsOption::Vlist,
                group_dangling: DanglingOption::Drop,
                photo_uri: PhotoUriOption::Inline,
                keep_local_photo: true,
            }
        );
        let config = parse(&profile(
            "contacts",
            "vcard_version = \"4.0\"\nim = \"impp\"",
        ))
        .unwrap();
        assert_eq!(
            config.profiles[0].contact_options.vcard_version,
            VcardVersionOption::V4
        );
    }

    #[test]
    fn other_profiles_refuse_them_naming_the_key() {
        for (content, key) in [
            ("events", "vcard_version = \"4.0\""),
            ("tasks", "im = \"impp\""),
            ("events", "group_format = \"apple\""),
            ("events", "lists = \"skip\""),
            ("tasks", "server_groups = \"vlist\""),
            ("events", "group_dangling = \"drop\""),
            ("tasks", "photo_uri = \"inline\""),
            ("events", "keep_local_photo = true"),
        ] {
            let e = format!("{:#}", parse(&profile(content, key)).unwrap_err());
            let name = key.split(' ').next().unwrap();
            assert!(e.contains(&format!("key `profiles.p.{name}`")), "{e}");
            assert!(e.contains("applies to contacts"), "{e}");
        }
    }

    #[test]
    fn vcard4_groups_in_a_3_0_folder_are_refused() {
        let e = format!(
            "{:#}",
            parse(&profile(
                "contacts",
                "vcard_version = \"3.0\"\ngroup_format = \"vcard4\""
            ))
            .unwrap_err()
        );
        assert!(e.contains("key `profiles.p.group_format`"), "{e}");
    }
}
