//! Safe file names for items: a UID never escapes the folder or collides with another's name.

use sha2::{Digest, Sha256};

/// Longest stem kept readable; longer UIDs are shortened and hashed.
const MAX_READABLE: usize = 120;

/// Names Windows refuses whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+' | '=')
}

/// The file stem for an item with this UID.
///
/// A UID made only of plain ASCII characters (letters, digits, `-_.@+=`), not
/// starting with a dot and not too long, is used as it is, so files keep the
/// names khal and vdirsyncer give them. Any other UID (with `/`, `..` at the
/// start, newlines, NUL, spaces, non-ASCII …) becomes its plain characters plus
/// a hash of the whole UID: distinct UIDs get distinct names, and no name can
/// leave the folder.
pub fn file_stem_for_uid(uid: &str) -> String {
    let plain = !uid.is_empty()
        && uid.len() <= MAX_READABLE
        && !uid.starts_with('.')
        && uid.chars().all(is_plain)
        && !RESERVED.contains(
            &uid.split('.')
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
                .as_str(),
        );
    if plain {
        return uid.to_string();
    }
    let readable: String = uid
        .chars()
        .map(|c| if is_plain(c) { c } else { '_' })
        .take(60)
        .collect();
    let readable = readable.trim_start_matches('.');
    let digest = Sha256::digest(uid.as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    if readable.is_empty() {
        hex
    } else {
        format!("{readable}-{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_uids_are_kept() {
        assert_eq!(
            file_stem_for_uid("abc-123@example.org"),
            "abc-123@example.org"
        );
    }

    #[test]
    fn hostile_uids_stay_inside_and_distinct() {
        let hostile = [
            "../../etc/passwd",
            "a/b",
            "a_b",
            "..",
            ".",
            "",
            "line\nbreak",
            "nul\0byte",
            "ümlaut",
            "CON",
            "con.txt",
            "C:\\Windows",
            &"x".repeat(5000),
        ];
        let mut seen = std::collections::HashSet::new();
        for uid in hostile {
            let stem = file_stem_for_uid(uid);
            assert!(!stem.is_empty());
            assert!(!stem.starts_with('.'), "{stem}");
            assert!(stem.chars().all(is_plain), "{stem:?}");
            assert!(stem.len() <= MAX_READABLE, "{}", stem.len());
            assert!(seen.insert(stem.clone()), "collision for {uid:?}: {stem}");
        }
    }
}
