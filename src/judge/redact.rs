//! Keeps the API key out of everything the judge stores or prints. A server can echo the key
//! back (an `Authorization` header quoted in a 401 message, or in an answer); our own messages
//! cut server text at a few hundred characters, so a cut-off echo shows only a *prefix* of the
//! key. Both the whole key and any prefix of at least [`MIN_PREFIX`] characters are replaced.

/// Shortest key prefix that is treated as the key (shorter runs are too likely to be ordinary
/// text, and reveal too little to matter).
pub const MIN_PREFIX: usize = 8;

/// What a redacted key reads as.
pub const REDACTED: &str = "[redacted key]";

/// Replaces the key, or a prefix of it of at least [`MIN_PREFIX`] bytes, in text.
#[derive(Clone, Default)]
pub struct Redactor {
    key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    /// A redactor for `key`; `None` (no key sent) redacts nothing.
    pub fn new(key: Option<&str>) -> Redactor {
        Redactor {
            key: key
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| k.as_bytes().to_vec()),
        }
    }

    /// `text` with every echo of the key replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let Some(key) = &self.key else {
            return text.to_string();
        };
        // A key shorter than MIN_PREFIX only matches whole.
        let min = MIN_PREFIX.min(key.len());
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut at = 0;
        while let Some(off) = memchr::memchr(key[0], &bytes[at..]) {
            let start = at + off;
            let common = bytes[start..]
                .iter()
                .zip(key.iter())
                .take_while(|(a, b)| a == b)
                .count();
            if common >= min {
                // The key is ASCII in practice; if it is not, extend the match to a char
                // boundary so the output stays valid UTF-8 (and over-redacts, never under).
                let mut end = start + common;
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                if text.is_char_boundary(start) {
                    out.push_str(&text[copied..start]);
                    out.push_str(REDACTED);
                    copied = end;
                }
                at = end;
            } else {
                at = start + 1;
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-HARDENINGSECRET0123456789";

    #[test]
    fn whole_key_and_long_prefixes_are_redacted() {
        let r = Redactor::new(Some(KEY));
        assert_eq!(
            r.redact(&format!("invalid key: Bearer {KEY}.")),
            "invalid key: Bearer [redacted key]."
        );
        // A message cut off in the middle of the key.
        assert_eq!(
            r.redact("invalid key: Bearer sk-proj-HARDENINGSE"),
            "invalid key: Bearer [redacted key]"
        );
        assert_eq!(
            r.redact(&format!("{KEY}{KEY}")),
            "[redacted key][redacted key]"
        );
        // Short look-alikes are ordinary text.
        assert_eq!(r.redact("sk-proj and sk-"), "sk-proj and sk-");
        assert_eq!(
            r.redact("sk-proj-"),
            "[redacted key]",
            "8 chars is a prefix"
        );
    }

    #[test]
    fn no_key_redacts_nothing_and_non_ascii_text_survives() {
        assert_eq!(Redactor::new(None).redact("héllo sk-x"), "héllo sk-x");
        let r = Redactor::new(Some(KEY));
        assert_eq!(r.redact("é sk-proj-HARDEN é"), "é [redacted key] é");
        let short = Redactor::new(Some("abc"));
        assert_eq!(
            short.redact("abc ab abcd"),
            "[redacted key] ab [redacted key]d"
        );
    }
}
