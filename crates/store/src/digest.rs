//! 128-bit digests of text (half a SHA-256): what a large run keeps of an
//! href or a UID when it only needs to tell whether it saw it before, 16
//! bytes instead of the text and its allocation.

use sha2::{Digest, Sha256};

/// The first 128 bits of `text`'s SHA-256. Two texts share one with a
/// chance of about 2^-128 a pair.
pub fn digest128(text: &str) -> u128 {
    let full = Sha256::digest(text.as_bytes());
    let mut half = [0u8; 16];
    half.copy_from_slice(&full[..16]);
    u128::from_le_bytes(half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_a_digest_and_others_do_not() {
        assert_eq!(digest128("a@example.org"), digest128("a@example.org"));
        assert_ne!(digest128("a@example.org"), digest128("b@example.org"));
        assert_ne!(digest128(""), digest128(" "));
    }
}
