//! Turning untrusted trace text into terminal-safe, width-bounded strings. Every piece of trace
//! text reaches the screen through these helpers.

use crate::sanitize::{clean, clean_line, elide_blobs};
use std::collections::HashMap;
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

/// A trace id as panes show it: its first 8 bytes, or more when the store holds another id with
/// the same start (see [`learn_short_ids`]), so `:open` takes back what is shown.
pub fn short_id(id: &str) -> &str {
    let len = LONGER_IDS
        .read()
        .ok()
        .and_then(|m| m.get(id).copied())
        .unwrap_or(crate::store::SHORT_ID_MIN);
    crate::sanitize::truncate_bytes(id, len)
}

/// Ids whose 8-byte start is ambiguous in the store (time-ordered ids from one millisecond),
/// with the byte length of their shortest unique prefix. Only such ids are kept, so it stays
/// small; the data worker fills it before it hands the ids to a pane, which reads it when
/// drawing.
static LONGER_IDS: std::sync::LazyLock<std::sync::RwLock<HashMap<String, usize>>> =
    std::sync::LazyLock::new(Default::default);

/// Works out, on the data worker's store, how long each of `ids` must be shown to be unique
/// (two index seeks each). A store error leaves the ids at 8: a longer id is a convenience.
pub fn learn_short_ids<'a>(store: &crate::store::Store, ids: impl IntoIterator<Item = &'a str>) {
    let mut longer = Vec::new();
    for id in ids {
        match store.short_trace_id(id, crate::store::SHORT_ID_MIN) {
            Ok(p) if p.len() > crate::store::SHORT_ID_MIN => longer.push((id.to_string(), p.len())),
            Ok(_) => {}
            Err(e) => tracing::debug!("short id of a trace not worked out: {e}"),
        }
    }
    if longer.is_empty() {
        return;
    }
    if let Ok(mut m) = LONGER_IDS.write() {
        m.extend(longer);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Span;
    use crate::store::{SourceOutcome, SourceRecord, SpanWriter, Store};

    #[test]
    fn a_short_id_the_store_shares_grows_until_it_resolves() {
        // Two ULIDs from one millisecond (ids of this test only: the table is process-wide).
        let ids = ["01tst9gkk1qs4bt79bmgzrbet", "01tst9gkx4rh4grc8272f5mjrv"];
        let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let mut w = SpanWriter::begin(&mut store, &SourceRecord::default())
            .unwrap_or_else(|e| panic!("{e}"));
        for id in ids {
            let span = Span {
                trace_id: id.into(),
                span_id: "root".into(),
                ..Default::default()
            };
            w.write(&span).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish(&SourceOutcome::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(short_id(ids[0]), "01tst9gk", "before the worker looked");
        learn_short_ids(&store, ids);
        let shown: Vec<&str> = ids.iter().map(|id| short_id(id)).collect();
        assert_eq!(shown, ["01tst9gkk", "01tst9gkx"]);
        for (id, s) in ids.iter().zip(shown) {
            let found = store.resolve_trace_id(s).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(found.as_deref(), Some(*id));
        }
        assert_eq!(short_id("4bf92f3577b34da6"), "4bf92f35");
    }
}
