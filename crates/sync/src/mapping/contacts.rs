//! A contacts profile's mapping options as one value, and the order in
//! which their transforms join a [`Mapping`].

use super::{
    GroupFormat, GroupFormatOption, ImMapping, ImStyle, Mapping, VcardVersionMapping,
    VcardVersionOption,
};

/// `vcard_version`, `group_format` and `im` of a contacts profile. The
/// default changes nothing: contacts sync byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactOptions {
    /// `vcard_version`.
    pub vcard_version: VcardVersionOption,
    /// `group_format`.
    pub group_format: GroupFormatOption,
    /// `im`.
    pub im: ImStyle,
}

impl Default for ContactOptions {
    fn default() -> Self {
        ContactOptions {
            vcard_version: VcardVersionOption::Keep,
            group_format: GroupFormatOption::Keep,
            im: ImStyle::Keep,
        }
    }
}

impl Mapping {
    /// Adds the transforms of `options`. On the way to the folder: the
    /// version first (which gives groups its version's shape), then the
    /// group shape the folder wants, then IM addresses; on the way to the
    /// server the reverse, so the server's group shape and version are put
    /// back last.
    pub fn with_contact_options(self, options: &ContactOptions) -> Mapping {
        let mut m = self;
        if let Some(version) = options.vcard_version.version() {
            m = m.with(VcardVersionMapping { version });
        }
        if let Some(shape) = options.group_format.shape() {
            m = m.with(GroupFormat { shape });
        }
        if options.im != ImStyle::Keep {
            m = m.with(ImMapping { style: options.im });
        }
        m
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
        let m = Mapping::new().with_contact_options(options);
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
        let m = Mapping::new().with_contact_options(&ContactOptions::default());
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
