//! Turning untrusted trace text into terminal-safe, width-bounded strings. Every piece of trace
//! text reaches the screen through these helpers.

use crate::sanitize::{clean, clean_line, elide_blobs};
use unicode_width::UnicodeWidthChar;

/// Longest text kept for one field in a detail pane; the rest is summarised.
const MAX_FIELD: usize = 20_000;

/// One line of a table cell: escapes neutralised, newlines shown as ⏎, blobs elided.
pub fn cell(s: &str) -> String {
    clean_line(&elide_blobs(cap(s)))
}

/// Multi-line text for a detail pane.
pub fn block(s: &str) -> String {
    let capped = cap(s);
    let mut out = clean(&elide_blobs(capped));
    if capped.len() < s.len() {
        out.push_str(&format!(
            "\n… ({} more bytes; y copies the whole span)",
            s.len() - capped.len()
        ));
    }
    out
}

fn cap(s: &str) -> &str {
    crate::sanitize::truncate_bytes(s, MAX_FIELD)
}

// Width fitting lives in the shared output layer so the CLI and the TUI cut text alike.
pub use crate::sanitize::{fit, rfit};

/// Wraps already-clean text to `w` columns, keeping explicit newlines.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for line in s.split('\n') {
        let mut cur = String::new();
        let mut used = 0;
        for c in line.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > w {
                out.push(std::mem::take(&mut cur));
                used = 0;
            }
            cur.push(c);
            used += cw;
        }
        out.push(cur);
    }
    out
}

pub fn short_id(id: &str) -> &str {
    crate::sanitize::truncate_bytes(id, 8)
}

/// `1,234`.
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Rows `text` takes when drawn as one wrapped line (`Wrap { trim: false }`) `width` columns
/// wide: the same word wrapping the drawing uses, so scroll positions match what is on screen.
pub fn wrapped_rows(text: &str, width: u16) -> usize {
    use ratatui::text::Line;
    use ratatui::widgets::{Paragraph, Wrap};
    Paragraph::new(Line::raw(text))
        .wrap(Wrap { trim: false })
        .line_count(width.max(1))
        .max(1)
}

/// `✓ ✗ – !` for TRUE, FALSE, NA and error: a verdict never shows by colour alone.
pub fn verdict_glyph(v: crate::model::Verdict) -> &'static str {
    use crate::model::Verdict;
    match v {
        Verdict::True => "✓",
        Verdict::False => "✗",
        Verdict::Na => "–",
        Verdict::Error => "!",
    }
}

/// `TRUE`, `FALSE`, `NA`, `ERROR`.
pub fn verdict_word(v: crate::model::Verdict) -> &'static str {
    use crate::model::Verdict;
    match v {
        Verdict::True => "TRUE",
        Verdict::False => "FALSE",
        Verdict::Na => "NA",
        Verdict::Error => "ERROR",
    }
}

/// What a trace is called on screen: its question, else its name.
pub fn trace_title(t: &crate::model::Trace) -> &str {
    t.input_preview
        .as_deref()
        .or(t.name.as_deref())
        .unwrap_or("(unnamed)")
}
