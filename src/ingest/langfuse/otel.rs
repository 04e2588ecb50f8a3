//! Langfuse SDK v3 spans inside OTLP (scope `langfuse-sdk`).

use super::{cost_from_details, usage_from_details};
use crate::ingest::semconv::apply_io_evidence;
use crate::ingest::semconv::value::{as_i64, jsonish, scalar_string};
use crate::ingest::util::{messages_from, parse_time_ns, raw_value};
use crate::model::{Span, SpanKind, StatusCode};
use serde_json::{Map, Value};

/// Langfuse SDK v3 spans inside OTLP (scope `langfuse-sdk`): `langfuse.observation.*` keys take
/// precedence over the generic conventions (formats.md §10.1) for kind, model, usage, cost, I/O
/// and level.
pub fn apply_otel(span: &mut Span) {
    let a = &span.attributes;
    let get = |k: &str| a.get(k).filter(|v| !v.is_null());
    let mut kind = None;
    // `span` is Langfuse's generic type: the kind then comes from evidence (below).
    if let Some(t) = get("langfuse.observation.type").and_then(Value::as_str)
        && !t.eq_ignore_ascii_case("span")
    {
        kind = SpanKind::parse(t);
    }
    let model = get("langfuse.observation.model.name").and_then(scalar_string);
    let params = get("langfuse.observation.model.parameters").map(jsonish);
    let usage = match get("langfuse.observation.usage_details").map(jsonish) {
        Some(Value::Object(d)) => usage_from_details(&d),
        _ => None,
    };
    let cost = match get("langfuse.observation.cost_details").map(jsonish) {
        Some(Value::Object(d)) => cost_from_details(&d),
        _ => None,
    };
    let input = get("langfuse.observation.input").map(jsonish);
    let output = get("langfuse.observation.output").map(jsonish);
    let level = get("langfuse.observation.level").and_then(scalar_string);
    let status_message = get("langfuse.observation.status_message").and_then(scalar_string);
    let cst = get("langfuse.observation.completion_start_time")
        .map(jsonish)
        .and_then(|v| v.as_str().and_then(parse_time_ns));
    let session = get("langfuse.session.id").and_then(scalar_string);
    // Metadata values are JSON-encoded by the SDK (`"\"chat\""`); trace metadata is kept on the
    // span that carries it, under the same names.
    let mut metadata = Map::new();
    for (k, v) in a {
        if let Some(name) = k
            .strip_prefix("langfuse.observation.metadata.")
            .or_else(|| k.strip_prefix("langfuse.trace.metadata."))
        {
            metadata
                .entry(name.to_string())
                .or_insert_with(|| jsonish(v));
        }
    }
    let tags: Vec<String> = match get("langfuse.trace.tags").map(jsonish) {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_string).collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s],
        _ => Vec::new(),
    };
    if let Some(k) = kind {
        span.kind = k;
    }
    if let Some(m) = model {
        span.model = Some(m.clone());
        span.request_model.get_or_insert(m);
    }
    if let Some(p) = params {
        span.invocation_params = Some(p);
    }
    if let Some(u) = usage {
        span.usage = Some(u);
    }
    if let Some(c) = cost {
        span.cost = Some(c);
    }
    apply_io_evidence(span, input.as_ref(), output.as_ref());
    if let Some(rr) = span.reranker.as_mut() {
        rr.model = rr
            .model
            .take()
            .or_else(|| metadata.get("model").and_then(scalar_string));
        rr.top_k = rr.top_k.or_else(|| metadata.get("top_k").and_then(as_i64));
    }
    if span.tags.is_empty() {
        span.tags = tags;
    }
    if let Some(i) = input {
        if span.input_messages.is_empty() {
            span.input_messages = messages_from(&i);
        }
        span.input = raw_value(&i);
    }
    if let Some(o) = output {
        if span.output_messages.is_empty() {
            span.output_messages = messages_from(&o);
        }
        span.output = raw_value(&o);
    }
    if level.as_deref() == Some("ERROR") {
        span.status = StatusCode::Error;
    }
    if status_message.is_some() {
        span.status_message = status_message;
    }
    if let Some(t) = cst {
        span.ttft_ns = Some((t - span.start_ns).max(0));
    }
    if span.session_id.is_none() {
        span.session_id = session;
    }
    if !metadata.is_empty() && span.metadata.is_none() {
        span.metadata = Some(Value::Object(metadata));
    }
    span.convention = Some("langfuse".into());
}

/// Whether an OTLP span came from the Langfuse SDK.
pub fn is_langfuse_otel(span: &Span) -> bool {
    span.scope_name
        .as_deref()
        .is_some_and(|s| s.starts_with("langfuse"))
}
