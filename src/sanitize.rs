//! The one output layer for untrusted text. Trace content (and anything a judge server sends
//! back) may carry ANSI/OSC escape sequences (which could retitle the terminal, write the
//! clipboard through OSC 52, or hide text), other control characters, Unicode bidi overrides
//! (which reorder what is shown) and invisible characters (zero-width, tag characters). Everything
//! that reaches a terminal or the clipboard goes through [`clean`] (multi-line blocks),
//! [`clean_line`] (single-line cells) or [`display_id`] (ids), and is cut to a width with
//! [`fit`], [`rfit`] or [`fit_width`], which count display columns and never split a char.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Neutralises escape sequences, control characters, bidi controls and invisible characters.
/// Newlines and tabs are kept (tabs become spaces; U+2028/U+2029 become newlines); other controls
/// become visible `\u{…}` escapes so the reader can tell that something was there. A complete
/// escape sequence collapses to `␛`; an unterminated OSC/DCS string shows `␛` and then the rest
/// of the text (cleaned), so nothing can be hidden behind it.
pub fn clean(s: &str) -> String {
    clean_impl(s, false)
}

/// Like [`clean`], but newlines (and U+2028/U+2029) become `⏎` so the result stays on one line.
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
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                // C1 OSC, DCS, SOS, PM, APC: strings like ESC ] …
                let rest = chars.clone();
                if !skip_string(&mut chars) {
                    chars = rest;
                }
                out.push('␛');
            }
            '\u{2028}' | '\u{2029}' if single_line => out.push('⏎'),
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if is_bidi(c) || is_invisible(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn is_safe(c: char) -> bool {
    (!c.is_control() || c == '\n') && !is_bidi(c) && !is_invisible(c) && !is_line_separator(c)
}

fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters that take no room or show nothing, so text can hide behind them: zero-width
/// spaces and joiners, word joiner and invisible operators, BOM, soft hyphen, Mongolian vowel
/// separator, and the tag characters used for invisible "ASCII smuggling".
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200d}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{00ad}'
        | '\u{180e}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Unicode bidirectional formatting characters (LRE…RLO, LRI…PDI, LRM/RLM/ALM).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Skips the sequence after an ESC. An unterminated string sequence loses only its
/// introducer: its body is then shown (cleaned) instead of hidden.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            let rest = chars.clone();
            if !skip_string(chars) {
                *chars = rest;
            }
        }
        // ESC followed by another control: that control is shown on its own.
        Some(c) if c.is_control() => {}
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

/// OSC/DCS/APC/PM/SOS strings end at BEL or ST (ESC \\ or C1 ST). False when the text ends
/// first (the string is unterminated).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    while let Some(c) = chars.next() {
        if c == '\u{7}' || c == '\u{9c}' {
            return true;
        }
        if c == '\u{1b}' {
            if chars.peek() == Some(&'\\') {
                chars.next();
            }
            return true;
        }
    }
    false
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

/// Display columns `s` takes in a terminal (East Asian wide chars count 2, zero-width 0).
pub fn width(s: &str) -> usize {
    s.width()
}

/// At most `w` display columns, never splitting a char; cut text ends in `…`. No padding.
pub fn fit_width(s: &str, w: usize) -> String {
    if s.width() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// Pads or cuts `s` to exactly `w` display columns (cut text ends in `…`).
pub fn fit(s: &str, w: usize) -> String {
    let mut out = fit_width(s, w);
    let used = out.width();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// Right-aligned to exactly `w` display columns.
pub fn rfit(s: &str, w: usize) -> String {
    let width = s.width();
    if width >= w {
        return fit(s, w);
    }
    let mut out: String = std::iter::repeat_n(' ', w - width).collect();
    out.push_str(s);
    out
}

/// An id as shown to a person: escaped like any untrusted text (ids that are not hex are stored
/// verbatim and may hold anything) and cut to its first `cols` display columns without splitting
/// a char. Like a short git hash, the cut has no ellipsis: it is a prefix to type back.
pub fn display_id(id: &str, cols: usize) -> String {
    let shown = clean_line(id);
    let mut out = String::new();
    let mut used = 0;
    for c in shown.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > cols {
            break;
        }
        out.push(c);
        used += cw;
    }
    out
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
        let long = "é".repeat(100_000);
        assert_eq!(clean(&long).chars().count(), 100_000);
    }

    #[test]
    fn every_invisible_and_reordering_character_is_made_visible() {
        for c in [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{00ad}',
            '\u{180e}',
            '\u{e0041}',
            '\u{e007f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{85}',
            '\u{7f}',
            '\u{0}',
        ] {
            let got = clean_line(&format!("a{c}b"));
            assert_eq!(got, format!("a\\u{{{:x}}}b", c as u32), "{:?}", c);
        }
        assert_eq!(clean_line("a\u{2028}b\u{2029}c"), "a⏎b⏎c");
        assert_eq!(clean("a\u{2028}b"), "a\nb");
    }

    #[test]
    fn unterminated_strings_show_what_they_would_hide() {
        assert_eq!(clean("a\u{1b}]52;c;abc"), "a␛52;c;abc");
        assert_eq!(clean_line("a\u{9d}0;x"), "a␛0;x");
        // Terminated ones still collapse, and C1 CSI is eaten with its parameters.
        assert_eq!(clean("x\u{9d}0;t\u{9c}y"), "x␛y");
        assert_eq!(clean("x\u{9b}2Jy"), "x␛y");
        // ESC followed by a control leaves the control visible.
        assert_eq!(clean("\u{1b}\u{7}"), "␛\\u{7}");
    }

    #[test]
    fn width_helpers_count_columns_and_never_split_chars() {
        assert_eq!(fit_width("日本語テキスト", 5), "日本…");
        assert_eq!(width(&fit("日本語テキスト", 6)), 6);
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(rfit("ab", 4), "  ab");
        assert_eq!(fit_width("héllo", 3), "hé…");
        assert_eq!(fit_width("abc", 0), "");
        assert_eq!(display_id("aaaaaaaé-multibyte", 8), "aaaaaaaé");
        assert_eq!(display_id("aaaaaaa日-multibyte", 8), "aaaaaaa");
        assert_eq!(display_id("447afa24e1e7c764", 8), "447afa24");
        let shown = display_id("\u{1b}]0;PW\u{7}zz\u{202e}", 40);
        assert!(
            !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{shown}"
        );
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
