//! Signs that recorded text is not what was sent: hidden by an instrumentation's privacy
//! setting, or cut at a length limit. A replay of such text would ask a different question,
//! so the request is refused instead.

/// Placeholders instrumentations write instead of the content.
const HIDDEN: &[&str] = &["__REDACTED__", "<redacted>", "[REDACTED]", "<elided>"];

/// Markers a truncating exporter or SDK appends.
const CUT_MARKERS: &[&str] = &[
    "[truncated]",
    "(truncated)",
    "<truncated>",
    "...truncated",
    "…truncated",
    "[TRUNCATED]",
];

/// Attribute length limits seen in the wild (OTel `*_ATTRIBUTE_VALUE_LENGTH_LIMIT` settings,
/// SDK defaults). Text cut at one of them and ending in an ellipsis was cut, not written so.
const LENGTH_LIMITS: &[usize] = &[
    256, 500, 512, 1000, 1024, 2000, 2048, 4000, 4096, 8000, 8192, 10_000, 12_000, 16_384, 32_000,
    32_768, 65_536, 100_000, 131_072,
];

/// `Err(reason)` when `text` was hidden or cut off.
pub fn check_text(text: &str) -> Result<(), String> {
    let t = text.trim();
    if HIDDEN.contains(&t) {
        return Err(format!(
            "the content was hidden by the instrumentation's privacy settings ({t})"
        ));
    }
    let tail: String = {
        let chars: Vec<char> = t.chars().collect();
        chars[chars.len().saturating_sub(24)..].iter().collect()
    };
    if let Some(m) = CUT_MARKERS.iter().find(|m| tail.contains(*m)) {
        return Err(format!("the content was truncated (it ends in {m})"));
    }
    // SDK length limits cut silently: text of exactly a (large) limit that does not end a
    // sentence was almost surely cut there.
    let n = t.chars().count();
    if n >= 1024
        && LENGTH_LIMITS.contains(&text.chars().count())
        && !t.ends_with(['.', '!', '?', '"', '}', ']', ')'])
    {
        return Err(format!(
            "the content was probably truncated: it is exactly {n} characters long, a common attribute length limit"
        ));
    }
    for ellipsis in ["...", "…"] {
        if let Some(head) = text.strip_suffix(ellipsis) {
            let n = head.chars().count();
            if LENGTH_LIMITS.contains(&n) || LENGTH_LIMITS.contains(&text.chars().count()) {
                return Err(format!(
                    "the content was truncated at {n} characters (it ends in {ellipsis})"
                ));
            }
        }
    }
    Ok(())
}

/// JSON text that starts like an object or array but does not parse: cut off somewhere.
pub fn looks_cut_json(t: &str) -> bool {
    let t = t.trim();
    (t.starts_with('{') || t.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(t).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_cut_text_is_refused() {
        assert!(check_text("__REDACTED__").unwrap_err().contains("privacy"));
        assert!(
            check_text("How do I return boots? [truncated]")
                .unwrap_err()
                .contains("truncated")
        );
        let cut = format!("{}...", "a".repeat(1024));
        assert!(check_text(&cut).unwrap_err().contains("1024"));
        let cut = format!("{}…", "b".repeat(4095));
        assert!(check_text(&cut).is_err());
        // Cut silently at an attribute length limit.
        assert!(check_text(&"y".repeat(4096)).unwrap_err().contains("4096"));
    }

    #[test]
    fn ordinary_text_passes() {
        assert!(check_text("Let me check...").is_ok());
        assert!(check_text("").is_ok());
        assert!(check_text(&format!("{}.", "x".repeat(1023))).is_ok());
        assert!(check_text(&"x".repeat(1000)).is_ok());
        assert!(!looks_cut_json("{\"a\": 1}"));
        assert!(looks_cut_json("{\"messages\": [{\"role\": \"us"));
        assert!(!looks_cut_json("plain"));
    }
}
