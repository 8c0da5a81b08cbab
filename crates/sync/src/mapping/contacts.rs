//! A contacts profile's mapping options as one value, and the order in
//! which their transforms join a [`Mapping`].

use super::{
    DanglingOption, GroupFormat, GroupFormatOption, ImMapping, ImStyle, Lists, ListsOption,
    Mapping, PhotoUriOption, Photos, ServerForm, ServerGroupsOption, VcardVersionMapping,
    VcardVersionOption,
};
use davsync_pim::GroupShape;

/// The contact options of a contacts profile. The default changes nothing
/// but SOGo's lists (which become groups in the folder): contacts sync byte
/// for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactOptions {
    /// `vcard_version`.
    pub vcard_version: VcardVersionOption,
    /// `group_format`.
    pub group_format: GroupFormatOption,
    /// `im`.
    pub im: ImStyle,
    /// `lists`.
    pub lists: ListsOption,
    /// `server_groups`.
    pub server_groups: ServerGroupsOption,
    /// `group_dangling`.
    pub group_dangling: DanglingOption,
    /// `photo_uri`.
    pub photo_uri: PhotoUriOption,
    /// `keep_local_photo`.
    pub keep_local_photo: bool,
}

impl Default for ContactOptions {
    fn default() -> Self {
        ContactOptions {
            vcard_version: VcardVersionOption::Keep,
            group_format: GroupFormatOption::Keep,
            im: ImStyle::Keep,
            lists: ListsOption::Sync,
            server_groups: ServerGroupsOption::Auto,
            group_dangling: DanglingOption::Keep,
            photo_uri: PhotoUriOption::Keep,
            keep_local_photo: false,
        }
    }
}

impl ContactOptions {
    /// The shape of groups in the folder: `group_format`'s, else the one
    /// `vcard_version = "3.0"` implies, else vCard 4.
    pub fn folder_shape(&self) -> GroupShape {
        match (self.group_format.shape(), self.vcard_version) {
            (Some(shape), _) => shape,
            (None, VcardVersionOption::V3) => GroupShape::Apple,
            (None, _) => GroupShape::Vcard4,
        }
    }

    /// The form of groups on the server; `sogo`: whether the server is
    /// known to be SOGo (where `"auto"` means a `VLIST`).
    pub fn server_form(&self, sogo: bool) -> ServerForm {
        match self.server_groups {
            ServerGroupsOption::Auto if sogo => ServerForm::Vlist,
            ServerGroupsOption::Auto => ServerForm::Auto,
            ServerGroupsOption::Vlist => ServerForm::Vlist,
            ServerGroupsOption::Vcard4 => ServerForm::Group(GroupShape::Vcard4),
            ServerGroupsOption::Apple => ServerForm::Group(GroupShape::Apple),
        }
    }
}

impl Mapping {
    /// Adds the transforms of `options` (`sogo`: see
    /// [`ContactOptions::server_form`]). On the way to the folder: lists
    /// become groups first, then the version (which gives groups its
    /// version's shape), then the group shape the folder wants, then IM
    /// addresses, then photos (inlined in the folder's version); on the way
    /// to the server the reverse, so the server's group shape and version
    /// are put back last, and a list last of all.
    pub fn with_contact_options(self, options: &ContactOptions, sogo: bool) -> Mapping {
        let mut m = self.with(Lists {
            lists: options.lists,
            server: options.server_form(sogo),
            folder: options.folder_shape(),
            dangling: options.group_dangling.dangling(),
        });
        if let Some(version) = options.vcard_version.version() {
            m = m.with(VcardVersionMapping { version });
        }
        m = m.with(GroupFormat {
            shape: options.folder_shape(),
            follow_folder: options.group_format == GroupFormatOption::Keep,
        });
        if options.im != ImStyle::Keep {
            m = m.with(ImMapping { style: options.im });
        }
        // Always: a folder inlined with `photo_uri = "inline"` sends its
        // links back after the option is set back to "keep".
        m.with(Photos {
            uri: options.photo_uri,
            keep_local: options.keep_local_photo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::testing::{self, contacts, map};
    use crate::planner::Side;
    use davsync_pim::Item;
    use proptest::prelude::*;

    fn all_options() -> Vec<ContactOptions> {
        let mut out = Vec::new();
        for vcard_version in [
            VcardVersionOption::Keep,
            VcardVersionOption::V3,
            VcardVersionOption::V4,
        ] {
            for group_format in [
                GroupFormatOption::Keep,
                GroupFormatOption::Vcard4,
                GroupFormatOption::Apple,
            ] {
                for im in [ImStyle::Keep, ImStyle::Impp, ImStyle::XProps] {
                    out.push(ContactOptions {
                        vcard_version,
                        group_format,
                        im,
                        ..ContactOptions::default()
                    });
                }
            }
        }
        out
    }

    /// A server card through the options: the folder copy is stable, an
    /// unchanged one is the server card, an edited one comes back as it
    /// was.
    fn check(options: &ContactOptions, server: &Item) {
        let m = Mapping::new().with_contact_options(options, false);
        let local = map(&m, Side::Local, server, None);
        testing::assert_idempotent(&m, &local, None);
        assert_eq!(
            map(&m, Side::Server, &local, Some(server)).body(),
            server.body(),
            "{options:?}: an unchanged card looks changed"
        );
        let edited = Item::parse(local.body().replace("\r\nUID:", "\r\nNOTE:edited\r\nUID:"))
            .expect("parses");
        let up = map(&m, Side::Server, &edited, Some(server));
        assert_eq!(
            map(&m, Side::Local, &up, Some(&edited)).body(),
            edited.body(),
            "{options:?}: server copy\n{}",
            up.body()
        );
    }

    #[test]
    fn the_default_changes_nothing() {
        let m = Mapping::new().with_contact_options(&ContactOptions::default(), false);
        for (_, card) in contacts() {
            assert_eq!(map(&m, Side::Local, &card, None).body(), card.body());
        }
    }

    #[test]
    fn every_sample_with_every_combination() {
        for options in all_options() {
            for (_, card) in contacts() {
                check(&options, &card);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn generated_cards_with_any_combination(card in testing::arb_card(), pick in 0usize..27) {
            check(&all_options()[pick], &card);
        }
    }
}
