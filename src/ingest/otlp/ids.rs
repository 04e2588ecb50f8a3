//! OTLP ids for spans whose source ids are not OTLP's (`trawl export --otlp` writes them; the
//! OTLP reader maps them back, `original_ids`): Langfuse, LangSmith and llm's logs use
//! UUIDs and ULIDs, while OTLP requires 16-byte trace ids and 8-byte span ids in hex.
//!
//! A foreign id becomes a hash of itself, so exporting the same store twice writes the same ids
//! and a parent id hashes to the same value as its parent's span id. The original id is kept
//! in an attribute ([`ORIGINAL_TRACE_ID`], [`ORIGINAL_SPAN_ID`]) that the importer stores with
//! the span's other attributes.

use sha2::{Digest, Sha256};

/// Attribute holding a trace id that was replaced by its hash.
pub const ORIGINAL_TRACE_ID: &str = "trawl.original_trace_id";
/// Attribute holding a span id that was replaced by its hash.
pub const ORIGINAL_SPAN_ID: &str = "trawl.original_span_id";
/// Attribute holding the span's parent id as the source wrote it (`""` for a root), on every span
/// whose ids were rewritten: with it an importer maps the span's own id and its parent's back
/// together, so the tree stays whole. Exports from before it existed lack it; their span ids can
/// only stay hashed (their parents' originals are on other spans).
pub const ORIGINAL_PARENT_SPAN_ID: &str = "trawl.original_parent_span_id";

/// The OTLP trace id for `id`: itself when it already is 32 hex digits, else a hash.
pub fn trace_id(id: &str) -> String {
    if is_hex(id, 32) {
        id.to_ascii_lowercase()
    } else {
        hashed(&["trace", id], 16)
    }
}

/// The OTLP span id for span (or parent) `id` of trace `trace`: itself when it already is 16
/// hex digits, else a hash of both (span ids of some sources are only unique per trace).
pub fn span_id(trace: &str, id: &str) -> String {
    if is_hex(id, 16) {
        id.to_ascii_lowercase()
    } else {
        hashed(&["span", trace, id], 8)
    }
}

/// True when `id` is `len` hex digits and not all zeros (OTLP's invalid id).
pub fn is_hex(id: &str, len: usize) -> bool {
    id.len() == len && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0')
}

fn hashed(parts: &[&str], bytes: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed so ("ab", "c") and ("a", "bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    let mut out: String = digest[..bytes].iter().map(|b| format!("{b:02x}")).collect();
    if out.bytes().all(|b| b == b'0') {
        // A zero id is invalid in OTLP; a 2^-64 chance, but cheap to rule out.
        out.replace_range(out.len() - 1.., "1");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_stay_and_others_hash_stably() {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(trace_id(t), t);
        assert_eq!(span_id(t, "00f067aa0ba902b7"), "00f067aa0ba902b7");
        let ulid = "01j8x9k2m3n4p5q6r7s8t9v0w1";
        let a = trace_id(ulid);
        assert_eq!(a.len(), 32);
        assert!(is_hex(&a, 32));
        assert_eq!(a, trace_id(ulid));
        assert_eq!(trace_id(&a), a, "a hashed id is stable on re-export");
        let s = span_id(ulid, "run-1");
        assert_eq!(s.len(), 16);
        assert_ne!(s, span_id(ulid, "run-2"));
        assert_ne!(s, span_id("other", "run-1"));
        assert!(!is_hex("0000000000000000", 16));
    }
}
