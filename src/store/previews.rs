//! A trace's question/answer preview comes from its spans' (see `model::rollup`): the root's,
//! else the first LLM call's input and the last LLM call's output. Spans do not store theirs:
//! the writer computes them for the spans it holds, and a trace rolled up again reads the few
//! spans that can feed a preview (roots and LLM calls) from their payloads.

use super::Result;
use super::codec::SpanEncoder;
use crate::model::{Span, SpanKind};
use crate::sanitize::truncate_chars;
use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};

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

/// Previews shorter than this are stored as text (zstd's frame would eat the gain).
const PACK_FROM: usize = 64;

/// Stores a trace's answer preview (`traces.output_preview`) compressed with the store's
/// payload dictionary when that is shorter than the text (issue 17: in a store of small spans
/// the answer preview was two fifths of every trace row); [`unpack`] reads either form. The
/// question preview stays text: `traces --sort name` orders by it in SQL.
pub struct Packer {
    encoder: Option<SpanEncoder>,
}

impl Packer {
    /// A packer with the store's newest dictionary (none: plain zstd). A dictionary is named
    /// by the packed bytes and is in the store before them (see `dictionary::save`).
    pub fn new(conn: &Connection) -> Result<Packer> {
        let dict = super::dictionary::current(conn)?;
        let encoder = match SpanEncoder::new(dict.as_ref()) {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::debug!("answer previews stored as text: {e}");
                None
            }
        };
        Ok(Packer { encoder })
    }

    /// The stored form of `text`: compressed bytes when shorter, else the text itself.
    pub fn pack(&mut self, text: Option<&str>) -> Value {
        let Some(text) = text else {
            return Value::Null;
        };
        if text.len() >= PACK_FROM
            && let Some(enc) = self.encoder.as_mut()
            && let Ok(packed) = enc.encode(text.as_bytes())
            && packed.len() < text.len()
        {
            return Value::Blob(packed);
        }
        Value::Text(text.to_string())
    }
}

/// A stored preview: text as it is, packed bytes decompressed (unreadable ones, say with a
/// dictionary gone missing, read as no preview rather than failing the whole list).
pub fn unpack(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => match super::codec::decompress_zstd(b) {
            Ok(bytes) => String::from_utf8(bytes).ok(),
            Err(e) => {
                tracing::warn!("a stored answer preview could not be read: {e}");
                None
            }
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_previews_pack_when_shorter_and_read_back_exactly() {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let mut p = Packer::new(&conn).unwrap_or_else(|e| panic!("{e}"));
        let long = "Refunds go back to the original payment method within 5 days. ".repeat(4);
        let packed = p.pack(Some(&long));
        let Value::Blob(bytes) = &packed else {
            panic!("{packed:?}")
        };
        assert!(
            bytes.len() < long.len() / 2,
            "{} of {}",
            bytes.len(),
            long.len()
        );
        assert_eq!(unpack(ValueRef::Blob(bytes)), Some(long.clone()));
        assert_eq!(p.pack(Some("short")), Value::Text("short".into()));
        assert_eq!(unpack(ValueRef::Text(b"short")), Some("short".into()));
        assert_eq!(p.pack(None), Value::Null);
        assert_eq!(unpack(ValueRef::Null), None);
        assert_eq!(
            unpack(ValueRef::Blob(b"Nxxxx")),
            None,
            "unreadable: no preview"
        );
    }
}
