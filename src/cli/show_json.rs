//! `trawl show --json`: the trace document written span by span. Each span's payload is read,
//! serialised and dropped in tree order, so a 100,000-span trace never sits in memory whole;
//! the bytes are those of the whole document pretty-printed at once.

use crate::model::{Score, Span, SpanSkeleton, SpanTree, Trace};
use crate::store::{ReplayLink, Store};
use crate::timefilter;
use anyhow::Result;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::io::Write;

/// What the document says about the trace, beside its spans.
pub struct TraceDoc<'a> {
    pub summary: &'a Trace,
    pub scores: &'a [Score],
    pub replays: &'a [ReplayLink],
    pub replay_of: Option<&'a ReplayLink>,
}

/// The spans of the document, in tree order: the skeleton, the tree over it, and the
/// aggregate mark of each span (by skeleton index).
pub struct SpanSource<'a> {
    pub store: &'a Store,
    pub skeleton: &'a [SpanSkeleton],
    pub aggregate: &'a [bool],
    pub tree: &'a SpanTree,
}

/// Writes the pretty-printed document and a newline to `out`.
pub fn write(out: impl Write, doc: &TraceDoc<'_>, spans: &SpanSource<'_>) -> Result<()> {
    let mut obj = super::traces_cmd::trace_json(
        doc.summary,
        doc.scores
            .iter()
            .filter(|s| s.source == crate::model::ScoreSource::Judge),
    );
    // The key holds its place in the object's order; its value is streamed.
    obj["spans"] = Value::Null;
    obj["all_scores"] = serde_json::to_value(doc.scores)?;
    // Replays (`trawl replay`): only present when there are any, so older output is unchanged.
    if !doc.replays.is_empty() {
        obj["replays"] = serde_json::to_value(doc.replays)?;
    }
    if let Some(link) = doc.replay_of {
        obj["replay_of"] =
            json!({"trace_id": link.replay_of_trace, "span_id": link.replay_of_span});
    }
    let Value::Object(fields) = obj else {
        anyhow::bail!("the trace document is not an object");
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let streamed = Document {
        fields: &fields,
        spans: StreamedSpans {
            source: spans,
            error: RefCell::new(None),
        },
    };
    let written = serde_json::to_writer_pretty(&mut out, &streamed);
    // A store error met mid-stream is reported as itself, not as a serialisation error.
    if let Some(e) = streamed.spans.error.into_inner() {
        return Err(e.into());
    }
    written?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

struct Document<'a> {
    fields: &'a Map<String, Value>,
    spans: StreamedSpans<'a>,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(Some(self.fields.len()))?;
        for (k, v) in self.fields {
            if k == "spans" {
                map.serialize_entry(k, &self.spans)?;
            } else {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

struct StreamedSpans<'a> {
    source: &'a SpanSource<'a>,
    /// The store error that stopped the stream, kept to be returned as it is.
    error: RefCell<Option<crate::store::StoreError>>,
}

impl Serialize for StreamedSpans<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let src = self.source;
        let mut seq = ser.serialize_seq(Some(src.tree.nodes.len()))?;
        for n in &src.tree.nodes {
            let Some(skel) = src.skeleton.get(n.index) else {
                continue;
            };
            let span = match src.store.span_payload(skel.row_id) {
                Ok(Some(span)) => span,
                // Gone since the skeleton was read (a concurrent re-import): left out, as a
                // read of the whole trace at that moment would have.
                Ok(None) => continue,
                Err(e) => {
                    let msg = e.to_string();
                    *self.error.borrow_mut() = Some(e);
                    return Err(S::Error::custom(msg));
                }
            };
            let mut span = span;
            if let Some(u) = span.usage.as_mut() {
                u.aggregate = src.aggregate.get(n.index).copied().unwrap_or(false);
            }
            seq.serialize_element(&span_json(&span, n.depth))?;
        }
        seq.end()
    }
}

/// The documented per-span JSON object.
pub fn span_json(s: &Span, depth: usize) -> Value {
    let u = s.usage.as_ref();
    let msgs = |m: &[crate::model::Message]| -> Vec<Value> {
        m.iter()
            .map(|m| {
                let mut o = json!({"role": m.role, "content": m.content});
                if !m.tool_calls.is_empty() {
                    o["tool_calls"] = serde_json::to_value(&m.tool_calls).unwrap_or(Value::Null);
                }
                if let Some(id) = &m.tool_call_id {
                    o["tool_call_id"] = json!(id);
                }
                o
            })
            .collect()
    };
    json!({
        "span_id": s.span_id,
        "parent_id": s.parent_id,
        "depth": depth,
        "name": s.name,
        "kind": s.kind.as_str(),
        "start": timefilter::rfc3339(s.start_ns),
        "duration_ms": s.duration_ns().map(|d| d as f64 / 1e6),
        "status": s.status.as_str(),
        "status_message": s.status_message,
        "model": s.model,
        "request_model": s.request_model,
        "provider": s.provider,
        "input_tokens": u.and_then(|u| u.input),
        "output_tokens": u.and_then(|u| u.output),
        "total_tokens": u.and_then(|u| u.total_or_sum()),
        "cache_read_tokens": u.and_then(|u| u.cache_read),
        "cache_write_tokens": u.and_then(|u| u.cache_write),
        "reasoning_tokens": u.and_then(|u| u.reasoning),
        "usage_aggregate": u.map(|u| u.aggregate),
        "cost_usd": s.cost.as_ref().and_then(|c| c.total),
        "cost_source": s.cost.as_ref().map(|c| c.source.as_str()).unwrap_or("unknown"),
        "cost_price_key": s.cost.as_ref().and_then(|c| match &c.source {
            crate::model::CostSource::Computed { price_key } => Some(price_key.clone()),
            _ => None,
        }),
        "input_messages": msgs(&s.input_messages),
        "output_messages": msgs(&s.output_messages),
        "documents": s.documents.iter().map(|d| json!({"id": d.id, "score": d.score, "content": d.content})).collect::<Vec<_>>(),
        "tool": s.tool,
        "events": s.events,
        "session_id": s.session_id,
        "user_id": s.user_id,
    })
}
