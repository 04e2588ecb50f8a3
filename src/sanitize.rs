//! Trace content is untrusted: it may carry ANSI/OSC escape sequences (which could retitle the
//! terminal, write the clipboard through OSC 52, or hide text), other control characters, and
//! Unicode bidi overrides (which reorder what is shown). Everything that reaches a terminal goes
//! through [`clean`] (or [`clean_line`] for single-line cells).

/// Neutralises escape sequences, control characters and bidi controls. Newlines and tabs are
/// kept (tabs become spaces); other controls become visible `\u{…}` escapes so the reader can
/// tell that something was there.
pub fn clean(s: &str) -> String {
    clean_impl(s, false)
}

/// Like [`clean`], but newlines become `⏎` so the result stays on one line.
pub fn clean_line(s: &str) -> String {
    clean_impl(s, true)
}

fn clean_impl(s: &str, single_line: bool) -> String {
    if s.chars().all(|c| is_safe(c) && !(single_line && c == '\n')) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' if single_line => out.push('⏎'),
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('⏎');
                }
            }
            '\u{1b}' => {
                skip_escape(&mut chars);
                out.push('␛');
            }
            '\u{9b}' => {
                // C1 CSI: same as ESC [
                skip_csi(&mut chars);
                out.push('␛');
            }
            '\u{9d}' => {
                skip_string(&mut chars);
                out.push('␛');
            }
            c if is_bidi(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn is_safe(c: char) -> bool {
    (!c.is_control() || c == '\n') && !is_bidi(c)
}

/// Unicode bidirectional formatting characters (LRE…RLO, LRI…PDI, LRM/RLM/ALM).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            skip_string(chars);
        }
        Some(_) => {
            // Two-character escape (ESC c, ESC 7, …).
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameters and intermediates, then one final byte in @..~.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
        if !(' '..='?').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/APC/PM/SOS strings end at BEL or ST (ESC \).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        if c == '\u{7}' || c == '\u{9c}' {
            break;
        }
        if c == '\u{1b}' {
            if chars.peek() == Some(&'\\') {
                chars.next();
            }
            break;
        }
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => {
            let mut t = s[..i].to_string();
            t.push('…');
            t
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Replaces long base64-looking runs (inline images, audio) with their size, so a 2 MB blob
/// doesn't flood a pane.
pub fn elide_blobs(s: &str) -> std::borrow::Cow<'_, str> {
    const MIN_RUN: usize = 200;
    let bytes = s.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_b64(bytes[i]) {
            let start = i;
            while i < bytes.len() && is_b64(bytes[i]) {
                i += 1;
            }
            let run = &bytes[start..i];
            // Natural text has few long unbroken alphanumeric runs; require mixed case and digits.
            if run.len() >= MIN_RUN
                && run.iter().any(u8::is_ascii_digit)
                && run.iter().any(u8::is_ascii_uppercase)
                && run.iter().any(u8::is_ascii_lowercase)
            {
                runs.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(4096));
    let mut last = 0;
    for (a, b) in runs {
        out.push_str(&s[last..a]);
        out.push_str(&format!(
            "<base64 blob, {}>",
            human_bytes(((b - a) * 3 / 4) as u64)
        ));
        last = b;
    }
    out.push_str(&s[last..]);
    std::borrow::Cow::Owned(out)
}

pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.0} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_and_osc_sequences() {
        assert_eq!(clean("a\u{1b}[31mred\u{1b}[0m b"), "a␛red␛ b");
        // OSC 52 clipboard write, terminated by BEL and by ST.
        assert_eq!(clean("x\u{1b}]52;c;ZXZpbA==\u{7}y"), "x␛y");
        assert_eq!(clean("x\u{1b}]0;title\u{1b}\\y"), "x␛y");
        assert!(!clean("\u{9b}2J").contains('\u{9b}'));
    }

    #[test]
    fn neutralises_bidi_and_controls_but_keeps_newlines() {
        assert_eq!(clean("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(clean("a\u{7}b\nc\td"), "a\\u{7}b\nc    d");
        assert_eq!(clean_line("a\nb"), "a⏎b");
        assert_eq!(clean("plain"), "plain");
    }

    #[test]
    fn unterminated_sequences_do_not_swallow_forever_or_panic() {
        assert_eq!(clean("a\u{1b}"), "a␛");
        assert_eq!(clean("a\u{1b}]52;c;abc"), "a␛");
        let long = "é".repeat(100_000);
        assert_eq!(clean(&long).chars().count(), 100_000);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 2), "hé…");
        assert_eq!(truncate_bytes("héllo", 2), "h");
    }

    #[test]
    fn base64_blobs_are_elided_with_their_size() {
        let blob: String =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk".repeat(10);
        let s = format!("see data:image/png;base64,{blob} end");
        let e = elide_blobs(&s);
        assert!(e.contains("<base64 blob,"), "{e}");
        assert!(e.ends_with(" end"));
        assert_eq!(elide_blobs("just text"), "just text");
    }
}
