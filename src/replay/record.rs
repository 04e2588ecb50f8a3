//! A replay as a trace of its own: a root carrying the original question and the new answer,
//! the replayed LLM call (model, overrides, tokens, cost with provenance, latency, answer),
//! and copies of the original's retrieval spans so a judge sees the same documents. Pure.

use super::request::RecordedRequest;
use super::wire::{Answer, Overrides};
use crate::judge::ProviderConfig;
use crate::model::{Cost, Message, Provenance, RawValue, Span, SpanKind, StatusCode};
use serde_json::{Map, Value, json};

/// Attribute keys a replay's spans carry.
pub const ATTR_OF_TRACE: &str = "trawl.replay.of_trace_id";
pub const ATTR_OF_SPAN: &str = "trawl.replay.of_span_id";
pub const ATTR_OVERRIDES: &str = "trawl.replay.overrides";
pub const ATTR_COPIED_FROM: &str = "trawl.replay.copied_from";

/// A call as it went out: what its replay trace is built from.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The original trace's id and spans, and the call replayed.
    pub trace_id: &'a str,
    pub spans: &'a [Span],
    pub span: &'a Span,
    /// The request as sent (overrides applied).
    pub sent: &'a RecordedRequest,
    /// The body as sent on the wire.
    pub body: &'a Value,
    pub overrides: &'a Overrides,
    pub target: &'a ProviderConfig,
}

/// Everything known about one finished replay call.
#[derive(Debug, Clone)]
pub struct ReplayCall<'a> {
    pub out: &'a Outgoing<'a>,
    pub answer: &'a Answer,
    pub cost: Cost,
    pub start_ns: i64,
    pub end_ns: i64,
}

/// Random lowercase hex ids in OTel's sizes.
pub fn new_trace_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}
fn new_span_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// The spans of the replay trace `trace_id`, root first.
pub fn replay_spans(trace_id: &str, c: &ReplayCall<'_>) -> Vec<Span> {
    let orig_root = c
        .out
        .spans
        .iter()
        .find(|s| s.parent_id.is_none())
        .unwrap_or(c.out.span);
    let root_id = new_span_id();
    let link = |attrs: &mut Map<String, Value>| {
        attrs.insert(ATTR_OF_TRACE.into(), json!(c.out.span.trace_id));
        attrs.insert(ATTR_OF_SPAN.into(), json!(c.out.span.span_id));
    };
    let mut root_attrs = Map::new();
    link(&mut root_attrs);
    let root = Span {
        trace_id: trace_id.into(),
        span_id: root_id.clone(),
        // The original's name and kind, so `trawl diff` aligns the two trees; the link
        // attributes (and the store's replays table) say it is a replay.
        name: orig_root.name.clone(),
        kind: if orig_root.kind == SpanKind::Llm {
            SpanKind::Chain
        } else {
            orig_root.kind
        },
        start_ns: c.start_ns,
        end_ns: Some(c.end_ns),
        status: StatusCode::Ok,
        input: orig_root.input.clone().or_else(|| {
            c.out.span.last_user_message().map(|q| RawValue {
                value: q.to_string(),
                mime: Some("text/plain".into()),
            })
        }),
        output: Some(RawValue {
            value: c.answer.text.clone(),
            mime: Some("text/plain".into()),
        }),
        service_name: orig_root.service_name.clone(),
        attributes: root_attrs,
        source_format: "replay".into(),
        ..Span::default()
    };

    let mut attrs = Map::new();
    link(&mut attrs);
    attrs.insert(
        ATTR_OVERRIDES.into(),
        json!(serde_json::to_string(c.out.overrides).unwrap_or_default()),
    );
    let mut usage = c.answer.usage.clone();
    usage.provenance = Provenance::Reported;
    let params = Value::Object(c.out.sent.params.clone());
    let llm = Span {
        trace_id: trace_id.into(),
        span_id: new_span_id(),
        parent_id: Some(root_id.clone()),
        name: c.out.span.name.clone(),
        kind: SpanKind::Llm,
        start_ns: c.start_ns,
        end_ns: Some(c.end_ns),
        status: StatusCode::Ok,
        model: c.answer.model.clone().or_else(|| c.out.sent.model.clone()),
        request_model: c.out.sent.model.clone(),
        provider: Some(c.out.target.kind.as_str().into()),
        invocation_params: Some(params),
        usage: (!usage.is_empty()).then_some(usage),
        cost: Some(c.cost.clone()),
        input_messages: c.out.sent.messages.iter().map(message_of).collect(),
        output_messages: vec![Message {
            role: "assistant".into(),
            content: c.answer.text.clone(),
            tool_calls: c.answer.tool_calls.clone(),
            finish_reason: c.answer.finish_reason.clone(),
            ..Message::default()
        }],
        input: Some(RawValue {
            value: c.out.body.to_string(),
            mime: Some("application/json".into()),
        }),
        output: Some(RawValue {
            value: c.answer.text.clone(),
            mime: Some("text/plain".into()),
        }),
        service_name: orig_root.service_name.clone(),
        attributes: attrs,
        source_format: "replay".into(),
        ..Span::default()
    };

    let mut out = vec![root, llm];
    // The documents and tool results the original call could have seen, so a judge compares
    // like with like.
    for s in c.out.spans.iter().filter(|s| {
        matches!(
            s.kind,
            SpanKind::Retriever | SpanKind::Reranker | SpanKind::Tool
        ) && s.start_ns <= c.out.span.start_ns
    }) {
        let mut copy = s.clone();
        copy.trace_id = trace_id.into();
        copy.span_id = new_span_id();
        copy.parent_id = Some(root_id.clone());
        copy.usage = None;
        copy.cost = None;
        copy.session_id = None;
        copy.user_id = None;
        copy.attributes = Map::new();
        copy.attributes
            .insert(ATTR_COPIED_FROM.into(), json!(s.span_id));
        copy.source_format = "replay".into();
        out.push(copy);
    }
    out
}

/// A sent (OpenAI-shaped) message as the model's display message.
fn message_of(v: &Value) -> Message {
    let content = match v.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Message {
        role: s("role").unwrap_or_default(),
        content,
        name: s("name"),
        tool_call_id: s("tool_call_id"),
        tool_calls: super::wire::openai_tool_calls(v.get("tool_calls")),
        ..Message::default()
    }
}
