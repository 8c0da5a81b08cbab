//! A set of hrefs held as 128-bit digests: 16 bytes an href, where the href
//! itself is about 60 bytes and an allocation (a first download's heap peak:
//! 1.5 MB less at 20,000 items).

use crate::digest128 as digest;
use std::collections::HashSet;

/// Hrefs seen, by digest. Two hrefs sharing a digest (a chance of about
/// 2^-128 a pair) would read as one.
#[derive(Debug, Default)]
pub(super) struct HrefSet(HashSet<u128>);

impl HrefSet {
    /// Adds `href`; false when it was there already.
    pub(super) fn insert(&mut self, href: &str) -> bool {
        self.0.insert(digest(href))
    }

    /// Whether `href` is in the set.
    pub(super) fn contains(&self, href: &str) -> bool {
        self.0.contains(&digest(href))
    }

    /// Whether the set holds nothing.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> FromIterator<&'a str> for HrefSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(hrefs: I) -> Self {
        HrefSet(hrefs.into_iter().map(digest).collect())
    }
}

impl<'a> Extend<&'a str> for HrefSet {
    fn extend<I: IntoIterator<Item = &'a str>>(&mut self, hrefs: I) {
        self.0.extend(hrefs.into_iter().map(digest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_was_put_in_and_nothing_else() {
        let mut set: HrefSet = ["/cal/a.ics", "/cal/b.ics"].into_iter().collect();
        assert!(set.contains("/cal/a.ics"));
        assert!(set.contains("/cal/b.ics"));
        assert!(!set.contains("/cal/c.ics"));
        assert!(!set.contains("/cal/a.ics/"));
        assert!(set.insert("/cal/c.ics"));
        assert!(!set.insert("/cal/c.ics"));
        set.extend(["/cal/d.ics"]);
        assert!(set.contains("/cal/d.ics"));
        assert!(!set.is_empty());
        assert!(HrefSet::default().is_empty());
    }
}
