//! The XML parsers of server answers (crates/dav): the streaming
//! calendar-query / addressbook-query parser, fed in arbitrary pieces; the
//! sync-collection parser; discovery's collection listing; and libdav's
//! parsers of the answers davsync asks for.
//!
//! Input: one byte of flags (bit 0: address book instead of calendar; bit 1:
//! strip the characters XML 1.0 forbids; bits 2-3: the per-response limit),
//! one byte that cuts the body into pieces (0: one piece; n: pieces of 1 to n
//! bytes), then the body.
//!
//! Besides "no panic", one property is checked: without a limit, how the body
//! is cut never changes what the streaming parser finds.
#![no_main]

use davsync_dav::CollectionKind;
use davsync_dav::fuzzing;
use libfuzzer_sys::fuzz_target;

/// Piece lengths from 1 to `max` (a xorshift sequence seeded by `max`), to
/// cover `len` bytes.
fn pieces(max: u8, len: usize) -> Vec<usize> {
    if max == 0 {
        return Vec::new();
    }
    let mut state = u32::from(max) | 0x9E37_7900;
    let mut out = Vec::new();
    let mut covered = 0;
    while covered < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let piece = 1 + state as usize % usize::from(max);
        out.push(piece);
        covered += piece;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [flags, cut, body @ ..] = data else {
        return;
    };
    let kind = if flags & 1 == 0 {
        CollectionKind::Calendar
    } else {
        CollectionKind::AddressBook
    };
    let strip = flags & 2 != 0;
    let limit = match (flags >> 2) & 3 {
        0 => u64::MAX,
        1 => 4096,
        2 => 256,
        _ => 16,
    };
    let pieces = pieces(*cut, body.len());
    let cut_up = fuzzing::query(kind, body, &pieces, limit, strip);
    if limit == u64::MAX {
        let whole = fuzzing::query(kind, body, &[], u64::MAX, strip);
        assert_eq!(
            whole.responses, cut_up.responses,
            "pieces {pieces:?} change the responses"
        );
        assert_eq!(
            whole.result.is_ok(),
            cut_up.result.is_ok(),
            "pieces {pieces:?} change the outcome: {:?} vs {:?}",
            whole.result,
            cut_up.result
        );
    }
    let _ = fuzzing::sync_collection(kind, body);
    let _ = fuzzing::collection_listing(body);
    let _ = fuzzing::libdav_answers(body);
});
