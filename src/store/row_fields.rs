//! Payloads without the fields their span row already holds (store size, issue 17).
//!
//! A span's trace id, span id, parent id and start and end times are columns of its `spans`
//! row (the trace id through `traces.trace_id`), and random ids barely compress: in a store of
//! small spans they were a tenth of every payload. So the writer cuts them out of the payload's
//! JSON ([`strip`]), and every read that decodes a payload selects them beside it
//! ([`COLUMNS`] from [`FROM`]) and puts them back ([`write_opening`]) before the JSON is parsed.
//!
//! The cut is exact by construction: [`strip`] rebuilds the JSON serde wrote for those fields
//! from the span's values and cuts only when the payload starts with exactly those bytes (any
//! other payload is stored whole, under its old tag). The content hash is taken before the cut,
//! so a span hashes as it did and re-importing a store's sources changes nothing.

use crate::model::Span;
use rusqlite::Row;

/// The row fields a read selects after the payload, in this order (see [`RowFields::at`]).
pub const COLUMNS: &str = "t.trace_id, s.span_id, s.parent_id, s.start_ns, s.end_ns";

/// [`COLUMNS`] but the trace id, for a read that knows it ([`RowFields::at_without_trace`]).
pub const COLUMNS_WITHOUT_TRACE: &str = "s.span_id, s.parent_id, s.start_ns, s.end_ns";

/// The tables a payload read joins: `d` the payloads, `s` the span rows, `t` the traces.
pub const FROM: &str =
    "span_data d JOIN spans s ON s.id = d.id JOIN traces t ON t.tkey = s.trace_key";

/// A span row's copies of the fields [`strip`] cuts from its payload.
#[derive(Debug, Clone, Copy)]
pub struct RowFields<'a> {
    pub trace_id: &'a str,
    pub span_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub start_ns: i64,
    pub end_ns: Option<i64>,
}

impl<'a> RowFields<'a> {
    /// The fields of a row that selected [`COLUMNS`] from column `at` on (borrowed from
    /// SQLite's buffers, so a read copies nothing it does not need).
    pub fn at(row: &'a Row<'_>, at: usize) -> rusqlite::Result<RowFields<'a>> {
        let text = |i: usize| -> rusqlite::Result<Option<&'a str>> {
            Ok(row.get_ref(at + i)?.as_str_or_null()?)
        };
        Ok(RowFields {
            trace_id: text(0)?.unwrap_or(""),
            span_id: text(1)?.unwrap_or(""),
            parent_id: text(2)?,
            start_ns: row.get(at + 3)?,
            end_ns: row.get(at + 4)?,
        })
    }

    /// The fields of a row that selected [`COLUMNS_WITHOUT_TRACE`] from column `at` on, in
    /// trace `trace_id`.
    pub fn at_without_trace(
        row: &'a Row<'_>,
        at: usize,
        trace_id: &'a str,
    ) -> rusqlite::Result<RowFields<'a>> {
        Ok(RowFields {
            trace_id,
            span_id: row.get_ref(at)?.as_str_or_null()?.unwrap_or(""),
            parent_id: row.get_ref(at + 1)?.as_str_or_null()?,
            start_ns: row.get(at + 2)?,
            end_ns: row.get(at + 3)?,
        })
    }

    /// A span's own (what its row holds).
    pub fn of(span: &'a Span) -> RowFields<'a> {
        RowFields {
            trace_id: &span.trace_id,
            span_id: &span.span_id,
            parent_id: span.parent_id.as_deref(),
            start_ns: span.start_ns,
            end_ns: span.end_ns,
        }
    }
}

/// Writes `,"key":value` (serde's bytes for the value: the same escaping as the payload's).
fn field<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, key: &str, value: &T) -> bool {
    out.push(b',');
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    serde_json::to_writer(&mut *out, value).is_ok()
}

/// The payload JSON of `span` without its row fields, or `None` when `json` does not start as
/// serde writes a [`Span`] (then the payload keeps them). `json` is [`Span`]'s serialisation:
/// `{"trace_id":…,"span_id":…[,"parent_id":…],"name":…,"kind":…[,"otel_kind":…],
/// "start_ns":…[,"end_ns":…],"status":…`; the result keeps name, kind and otel_kind and
/// everything from status on. `scratch` is reused between calls.
pub fn strip(span: &Span, json: &[u8], scratch: &mut Vec<u8>) -> Option<Vec<u8>> {
    scratch.clear();
    let ids = RowFields::of(span);
    // `{"trace_id":…,"span_id":…[,"parent_id":…]`, written with a leading comma and fixed.
    let mut ok = field(scratch, "trace_id", ids.trace_id) && field(scratch, "span_id", ids.span_id);
    if let Some(p) = ids.parent_id {
        ok &= field(scratch, "parent_id", p);
    }
    scratch[0] = b'{';
    let ids_end = scratch.len();
    ok &= field(scratch, "name", &span.name) && field(scratch, "kind", &span.kind);
    if let Some(k) = span.otel_kind {
        ok &= field(scratch, "otel_kind", &k);
    }
    let kept_end = scratch.len();
    ok &= field(scratch, "start_ns", &span.start_ns);
    if let Some(e) = span.end_ns {
        ok &= field(scratch, "end_ns", &e);
    }
    // The status stays in the payload: only its place is checked.
    let status_at = scratch.len();
    ok &= field(scratch, "status", &span.status);
    if !ok || !json.starts_with(scratch) {
        return None;
    }
    let mut out = Vec::with_capacity(json.len() - (status_at - kept_end) - ids_end + 1);
    out.push(b'{');
    out.extend_from_slice(&scratch[ids_end + 1..kept_end]);
    out.extend_from_slice(&json[status_at..]);
    Some(out)
}

/// `out` = `{` and the row's fields: the opening of the whole payload JSON, which
/// [`super::codec::decode_in_row`] completes with the stripped payload (its `{` turned into `,`).
/// Field order differs from serde's (the row fields come first), which a parse ignores.
pub fn write_opening(row: &RowFields<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let mut ok = field(out, "trace_id", row.trace_id) && field(out, "span_id", row.span_id);
    if let Some(p) = row.parent_id {
        ok &= field(out, "parent_id", p);
    }
    ok &= field(out, "start_ns", &row.start_ns);
    if let Some(e) = row.end_ns {
        ok &= field(out, "end_ns", &e);
    }
    if !ok {
        return Err("span row fields could not be written".into());
    }
    out[0] = b'{';
    Ok(())
}

/// `decode` applied to the payload stored under `row_id`, made whole with its row's fields
/// (read in place from SQLite's buffers); `None` when there is no such span. The inner error
/// says why the payload could not be decoded.
pub fn read_payload<T>(
    conn: &rusqlite::Connection,
    row_id: i64,
    decode: impl FnOnce(&[u8]) -> Result<T, String>,
) -> super::Result<Option<Result<T, String>>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT d.data, {COLUMNS} FROM {FROM} WHERE d.id = ?1"
    ))?;
    let mut rows = st.query([row_id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let data = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
    let fields = RowFields::at(row, 1)?;
    Ok(Some(super::codec::decode_in_row(data, &fields, decode)))
}
