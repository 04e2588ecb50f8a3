//! `trawl show --json`: the trace document written span by span. Each span's payload is read,
//! serialised and dropped in tree order, so a 100,000-span trace never sits in memory whole;
//! the bytes are those of the whole document pretty-printed at once.

use crate::model::{
    Cost, Document, Message, Score, SpanEvent, SpanKind, SpanSkeleton, SpanTree, StatusCode,
    ToolInfo, Trace, Usage,
};
use crate::store::{ReplayLink, Store};
use crate::timefilter;
use anyhow::Result;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::io::Write;

/// Spans read from the store per query.
const BATCH: usize = 256;

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
    let streamed = ShowDocument {
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

struct ShowDocument<'a> {
    fields: &'a Map<String, Value>,
    spans: StreamedSpans<'a>,
}

impl Serialize for ShowDocument<'_> {
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
        let mut row_ids: Vec<i64> = Vec::with_capacity(BATCH);
        // A batch of spans is read in one query and written before the next is read.
        for nodes in src.tree.nodes.chunks(BATCH) {
            row_ids.clear();
            row_ids.extend(
                nodes
                    .iter()
                    .map(|n| src.skeleton.get(n.index).map_or(-1, |s| s.row_id)),
            );
            let batch = match src
                .store
                .span_payload_batch(&row_ids, crate::store::decode_fields::<StoredSpan>)
            {
                Ok(batch) => batch,
                Err(e) => {
                    let msg = e.to_string();
                    *self.error.borrow_mut() = Some(e);
                    return Err(S::Error::custom(msg));
                }
            };
            for (n, span) in nodes.iter().zip(batch) {
                // Gone since the skeleton was read (a concurrent re-import): left out, as a
                // read of the whole trace at that moment would have.
                let Some(mut span) = span else {
                    continue;
                };
                if let Some(u) = span.usage.as_mut() {
                    u.aggregate = src.aggregate.get(n.index).copied().unwrap_or(false);
                }
                seq.serialize_element(&SpanJson::new(&span, n.depth))?;
            }
        }
        seq.end()
    }
}

/// The fields of a stored span the document prints; the payload's others (attributes,
/// resource, raw input and output) are skipped as it is read.
#[derive(Deserialize)]
struct StoredSpan {
    span_id: String,
    #[serde(default)]
    parent_id: Option<String>,
    name: String,
    kind: SpanKind,
    start_ns: i64,
    #[serde(default)]
    end_ns: Option<i64>,
    status: StatusCode,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    request_model: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    cost: Option<Cost>,
    #[serde(default)]
    input_messages: Vec<Message>,
    #[serde(default)]
    output_messages: Vec<Message>,
    #[serde(default)]
    documents: Vec<Document>,
    #[serde(default)]
    tool: Option<ToolInfo>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    events: Vec<SpanEvent>,
}

impl StoredSpan {
    fn duration_ns(&self) -> Option<i64> {
        self.end_ns.map(|e| e.saturating_sub(self.start_ns).max(0))
    }
}

/// The documented per-span JSON object, serialised straight from the span (no `Value` tree
/// per span). Fields are in the order `serde_json` prints an object's keys (sorted), so the
/// bytes are those of the `Value` the document was first built from (pinned by a test).
#[derive(Serialize)]
struct SpanJson<'a> {
    cache_read_tokens: Option<i64>,
    cache_write_tokens: Option<i64>,
    cost_price_key: Option<&'a str>,
    cost_source: &'static str,
    cost_usd: Option<f64>,
    depth: usize,
    documents: Vec<DocumentJson<'a>>,
    duration_ms: Option<f64>,
    events: Value,
    input_messages: Vec<MessageJson<'a>>,
    input_tokens: Option<i64>,
    kind: &'static str,
    model: Option<&'a str>,
    name: &'a str,
    output_messages: Vec<MessageJson<'a>>,
    output_tokens: Option<i64>,
    parent_id: Option<&'a str>,
    provider: Option<&'a str>,
    reasoning_tokens: Option<i64>,
    request_model: Option<&'a str>,
    session_id: Option<&'a str>,
    span_id: &'a str,
    start: String,
    status: &'static str,
    status_message: Option<&'a str>,
    tool: Value,
    total_tokens: Option<i64>,
    usage_aggregate: Option<bool>,
    user_id: Option<&'a str>,
}

#[derive(Serialize)]
struct MessageJson<'a> {
    content: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Value>,
}

#[derive(Serialize)]
struct DocumentJson<'a> {
    content: Option<&'a str>,
    id: Option<&'a str>,
    score: Option<f64>,
}

impl<'a> SpanJson<'a> {
    fn new(s: &'a StoredSpan, depth: usize) -> SpanJson<'a> {
        let u = s.usage.as_ref();
        let msgs = |m: &'a [Message]| -> Vec<MessageJson<'a>> {
            m.iter()
                .map(|m| MessageJson {
                    content: &m.content,
                    role: &m.role,
                    tool_call_id: m.tool_call_id.as_deref(),
                    tool_calls: (!m.tool_calls.is_empty())
                        .then(|| serde_json::to_value(&m.tool_calls).unwrap_or(Value::Null)),
                })
                .collect()
        };
        SpanJson {
            cache_read_tokens: u.and_then(|u| u.cache_read),
            cache_write_tokens: u.and_then(|u| u.cache_write),
            cost_price_key: s.cost.as_ref().and_then(|c| match &c.source {
                crate::model::CostSource::Computed { price_key } => Some(price_key.as_str()),
                _ => None,
            }),
            cost_source: s
                .cost
                .as_ref()
                .map(|c| c.source.as_str())
                .unwrap_or("unknown"),
            cost_usd: s.cost.as_ref().and_then(|c| c.total),
            depth,
            documents: s
                .documents
                .iter()
                .map(|d| DocumentJson {
                    content: d.content.as_deref(),
                    id: d.id.as_deref(),
                    score: d.score,
                })
                .collect(),
            duration_ms: s.duration_ns().map(|d| d as f64 / 1e6),
            // Through `Value`, as before: nested objects print with sorted keys.
            events: serde_json::to_value(&s.events).unwrap_or(Value::Null),
            input_messages: msgs(&s.input_messages),
            input_tokens: u.and_then(|u| u.input),
            kind: s.kind.as_str(),
            model: s.model.as_deref(),
            name: &s.name,
            output_messages: msgs(&s.output_messages),
            output_tokens: u.and_then(|u| u.output),
            parent_id: s.parent_id.as_deref(),
            provider: s.provider.as_deref(),
            reasoning_tokens: u.and_then(|u| u.reasoning),
            request_model: s.request_model.as_deref(),
            session_id: s.session_id.as_deref(),
            span_id: &s.span_id,
            start: timefilter::rfc3339(s.start_ns),
            status: s.status.as_str(),
            status_message: s.status_message.as_deref(),
            tool: serde_json::to_value(&s.tool).unwrap_or(Value::Null),
            total_tokens: u.and_then(|u| u.total_or_sum()),
            usage_aggregate: u.map(|u| u.aggregate),
            user_id: s.user_id.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CostSource, Span, ToolCall};

    /// The per-span object as `show --json` built it before it streamed: the reference.
    fn span_json(s: &Span, depth: usize) -> Value {
        let u = s.usage.as_ref();
        let msgs = |m: &[crate::model::Message]| -> Vec<Value> {
            m.iter()
                .map(|m| {
                    let mut o = json!({"role": m.role, "content": m.content});
                    if !m.tool_calls.is_empty() {
                        o["tool_calls"] =
                            serde_json::to_value(&m.tool_calls).unwrap_or(Value::Null);
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

    fn rich_span() -> Span {
        let call = ToolCall {
            id: Some("call_1".into()),
            name: "lookup".into(),
            arguments: Some("{\"q\": \"refund\"}".into()),
        };
        Span {
            trace_id: "t".into(),
            span_id: "s1".into(),
            parent_id: Some("root".into()),
            name: "ChatOpenAI \u{1b}[31m".into(),
            kind: SpanKind::Llm,
            start_ns: 1_700_000_000_123_456_789,
            end_ns: Some(1_700_000_001_000_000_000),
            status: StatusCode::Error,
            status_message: Some("rate limited".into()),
            model: Some("gpt-4o-mini".into()),
            request_model: Some("gpt-4o".into()),
            provider: Some("openai".into()),
            usage: Some(Usage {
                input: Some(1200),
                output: Some(80),
                cache_read: Some(100),
                reasoning: Some(7),
                aggregate: true,
                ..Usage::default()
            }),
            cost: Some(Cost {
                total: Some(0.000_23),
                source: CostSource::Computed {
                    price_key: "openai/gpt-4o-mini".into(),
                },
                ..Default::default()
            }),
            input_messages: vec![
                Message {
                    role: "user".into(),
                    content: "What is the refund window? \"30 days\"".into(),
                    ..Default::default()
                },
                Message {
                    role: "tool".into(),
                    content: "14 days".into(),
                    tool_call_id: Some("call_1".into()),
                    ..Default::default()
                },
            ],
            output_messages: vec![Message {
                role: "assistant".into(),
                content: String::new(),
                tool_calls: vec![call],
                ..Default::default()
            }],
            documents: vec![Document {
                id: Some("doc-1".into()),
                score: Some(0.25),
                content: Some("Refunds within 14 days.".into()),
                metadata: None,
            }],
            tool: Some(ToolInfo {
                name: Some("lookup".into()),
                ..Default::default()
            }),
            events: vec![SpanEvent {
                name: "exception".into(),
                ..Default::default()
            }],
            session_id: Some("sess".into()),
            user_id: Some("u1".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_span_prints_the_bytes_of_the_value_it_was_built_as() {
        let full = rich_span();
        let bare = Span {
            span_id: "s2".into(),
            name: "bare".into(),
            ..Default::default()
        };
        for (span, depth) in [(&full, 3), (&bare, 0)] {
            let want = serde_json::to_string_pretty(&span_json(span, depth)).unwrap();
            // Through the stored form, as `show --json` reads it.
            let mut stored = span.clone();
            let data = crate::store::encode_span(&mut stored).unwrap().data;
            let back: StoredSpan = crate::store::decode_fields(&data).unwrap();
            let got = serde_json::to_string_pretty(&SpanJson::new(&back, depth)).unwrap();
            assert_eq!(got, want);
        }
    }
}
