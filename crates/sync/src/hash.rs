//! Content hashes as the engine holds them during a run: 32 bytes instead of
//! 64 hex digits, which at 50,000 items is a few megabytes.

use std::fmt;

/// A content hash ([`davsync_pim::Item::content_hash`]: SHA-256 as 64
/// lowercase hex digits). Any other text (never made by this version, but it
/// may come from a status written by another) is kept as it is.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256([u8; 32]),
    Other(Box<str>),
}

impl Hash {
    pub(crate) fn new(text: &str) -> Hash {
        match sha256_of(text) {
            Some(bytes) => Hash::Sha256(bytes),
            None => Hash::Other(text.into()),
        }
    }

    /// Whether this is the hash written as `text`.
    pub(crate) fn is(&self, text: &str) -> bool {
        match self {
            Hash::Sha256(bytes) => sha256_of(text).as_ref() == Some(bytes),
            Hash::Other(other) => **other == *text,
        }
    }
}

fn sha256_of(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(bytes)
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hash::Sha256(bytes) => bytes.iter().try_for_each(|b| write!(f, "{b:02x}")),
            Hash::Other(text) => f.write_str(text),
        }
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_item_hash_is_held_as_bytes_and_written_back_the_same() {
        let item = davsync_pim::Item::parse(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                .to_string(),
        )
        .unwrap();
        let hash = Hash::new(item.content_hash());
        assert!(matches!(hash, Hash::Sha256(_)));
        assert_eq!(hash.to_string(), item.content_hash());
        assert!(hash.is(item.content_hash()));
        assert!(!hash.is(&item.content_hash().to_uppercase()));
    }

    proptest! {
        #[test]
        fn any_text_round_trips(text in "[0-9a-fA-Fg-z]{0,70}") {
            let hash = Hash::new(&text);
            prop_assert_eq!(hash.to_string(), text.clone());
            prop_assert!(hash.is(&text));
            let longer = text.clone() + "0";
            prop_assert!(!hash.is(&longer));
        }
    }
}
