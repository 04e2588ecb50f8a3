//! A trace's question/answer preview comes from its spans' (see `model::rollup`): the root's,
//! else the first LLM call's input and the last LLM call's output. Spans do not store theirs:
//! the writer computes them for the spans it holds, and a trace rolled up again reads the few
//! spans that can feed a preview (roots and LLM calls) from their payloads.

use super::Result;
use crate::model::{Span, SpanKind};
use crate::sanitize::truncate_chars;
use rusqlite::Connection;

const PREVIEW_CHARS: usize = 240;

/// (input, output) previews of a span; `None` for a span that cannot feed a trace's preview.
pub type Previews = (Option<String>, Option<String>);

/// Whether a span with this parent and kind can feed its trace's preview.
pub fn wanted(parent_id: Option<&str>, kind: SpanKind) -> bool {
    parent_id.is_none() || kind == SpanKind::Llm
}

/// The previews of `s`, trimmed and cut to [`PREVIEW_CHARS`].
pub fn of(s: &Span) -> Previews {
    if !wanted(s.parent_id.as_deref(), s.kind) {
        return (None, None);
    }
    let cut = |t: String| truncate_chars(t.trim(), PREVIEW_CHARS);
    (preview_in(s).map(cut), preview_out(s).map(cut))
}

/// The previews of the span stored under `row_id`, from its payload. A payload that cannot be
/// read gives none (the span then shows no preview, as it would after a failed read anywhere).
pub fn stored(conn: &Connection, row_id: i64) -> Result<Previews> {
    match super::row_fields::read_payload(conn, row_id, super::decode_span)? {
        None => Ok((None, None)),
        Some(Ok(span)) => Ok(of(&span)),
        Some(Err(e)) => {
            tracing::warn!("span row {row_id}: payload unreadable for the trace preview: {e}");
            Ok((None, None))
        }
    }
}

/// What the span was asked. An LLM call's own messages come first; any other span (a root
/// workflow, agent or chain) is read from its raw input, reduced to the user's text.
fn preview_in(s: &Span) -> Option<String> {
    let from_messages = || s.last_user_message().map(str::to_string);
    if s.kind == SpanKind::Llm {
        from_messages().or_else(|| s.input_text())
    } else {
        s.input_text().or_else(from_messages)
    }
}

/// What the span answered, by the same rule as [`preview_in`].
fn preview_out(s: &Span) -> Option<String> {
    let from_messages = || {
        s.output_messages
            .iter()
            .rev()
            .find(|m| !m.content.is_empty())
            .map(|m| m.content.clone())
    };
    if s.kind == SpanKind::Llm {
        from_messages().or_else(|| s.output_text())
    } else {
        s.output_text().or_else(from_messages)
    }
}
