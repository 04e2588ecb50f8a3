//! Semantic-convention mapping: a flat attribute map (`llm.input_messages.0.message.role` → …)
//! onto the unified [`Span`] fields. Shared by every adapter that sees OTel-style attributes:
//! an adapter builds the flat map, calls [`apply_attributes`], and after filling
//! `span.events`, [`apply_events`].
//!
//! Each field is resolved on its own by precedence (formats.md §10.1): OpenInference >
//! current OTel GenAI > legacy GenAI / OpenLLMetry > heuristics. `span.convention` records which
//! convention supplied the usage (else model, else messages, else kind).
//!
//! Values are read tolerantly (§10.7): lists may be flattened (`prefix.N.rest`, sparse indices),
//! arrays, objects keyed by index, or JSON strings; structured values may be JSON strings,
//! possibly encoded twice, or Python reprs (GenAI v1.26 events).

mod context;
mod documents;
mod evidence;
pub mod flat;
mod kind;
mod messages;
mod pyrepr;
mod usage;
pub mod value;

use serde_json::{Map, Value};

use crate::model::{Message, Span, SpanKind, StatusCode};
pub use evidence::{apply_io_evidence, document_list, is_generic};

use context::{metadata, raw_value, tags};
use documents::{documents, reranker, tool_info};
use flat::{get, insert_path, list};
use kind::infer_kind;
use messages::{message_from, message_list, messages};
use usage::{genai_request_params, reported_cost, usage};
use value::{as_f64, as_string, parse_jsonish, trim_id};

/// Which family of conventions a value came from; the order is the precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Conv {
    OpenInference,
    GenAi,
    OpenLlmetry,
}

impl Conv {
    fn as_str(self) -> &'static str {
        match self {
            Conv::OpenInference => "openinference",
            Conv::GenAi => "genai",
            Conv::OpenLlmetry => "openllmetry",
        }
    }
}

use Conv::{GenAi as GEN, OpenInference as OI, OpenLlmetry as LEG};

/// Maps the attributes of one span onto its unified fields. `span.attributes` is not touched
/// (callers usually store `attrs` there). A `span.kind` other than the default `Span` set by
/// the caller is treated as a tool-native kind: it loses only to OpenInference's kind.
pub fn apply_attributes(span: &mut Span, attrs: &Map<String, Value>) {
    let mut won: [Option<Conv>; 4] = [None; 4]; // usage, model, messages, kind

    // Kind first: several fields (tool, reranker documents) depend on it.
    let (kind, kind_conv) = infer_kind(span.kind, attrs);
    span.kind = kind;
    won[3] = kind_conv;

    // Model, provider, invocation parameters.
    let invocation = first(
        attrs,
        &[
            ("llm.invocation_parameters", OI),
            ("embedding.invocation_parameters", OI),
        ],
    )
    .map(|(v, _)| parse_jsonish(v))
    .or_else(|| genai_request_params(attrs));
    let response_model = first(
        attrs,
        &[
            ("llm.response.model_name", OI),
            ("llm.model_name", OI),
            ("embedding.model_name", OI),
            ("gen_ai.response.model", GEN),
        ],
    )
    .and_then(|(v, c)| Some((as_string(v)?, c)));
    let request_model = first(
        attrs,
        &[
            ("llm.request.model_name", OI),
            ("gen_ai.request.model", GEN),
        ],
    )
    .and_then(|(v, c)| Some((as_string(v)?, c)))
    .or_else(|| {
        invocation
            .as_ref()
            .and_then(|p| p.get("model"))
            .and_then(as_string)
            .map(|m| (m, OI))
    });
    won[1] = response_model
        .as_ref()
        .map(|x| x.1)
        .or(request_model.as_ref().map(|x| x.1));
    if let Some((m, _)) = response_model.or_else(|| request_model.clone()) {
        span.model = Some(m);
    }
    if let Some((m, _)) = request_model {
        span.request_model = Some(m);
    }
    if let Some((v, _)) = first(
        attrs,
        &[
            ("llm.provider", OI),
            ("llm.system", OI),
            ("gen_ai.provider.name", GEN),
            ("gen_ai.system", GEN),
        ],
    ) {
        span.provider = as_string(v);
    }
    if invocation.is_some() {
        span.invocation_params = invocation;
    }

    // Usage and reported cost.
    if let Some((usage, conv)) = usage(attrs) {
        span.usage = Some(usage);
        won[0] = Some(conv);
    }
    if let Some(cost) = reported_cost(attrs) {
        span.cost = Some(cost);
    }

    // Messages.
    let (inputs, outputs, msg_conv) = messages(attrs);
    won[2] = msg_conv;
    if !inputs.is_empty() {
        span.input_messages = inputs;
    }
    if !outputs.is_empty() {
        span.output_messages = outputs;
    }

    // Documents, reranker, tool.
    let docs = documents(attrs, "retrieval.documents");
    if !docs.is_empty() {
        span.documents = docs;
    } else {
        let docs = documents(attrs, "gen_ai.retrieval.documents");
        if !docs.is_empty() {
            span.documents = docs;
        }
    }
    if let Some(rr) = reranker(attrs) {
        if span.documents.is_empty() && span.kind == SpanKind::Reranker {
            span.documents = rr.output_documents.clone();
        }
        span.reranker = Some(rr);
    }
    if let Some(tool) = tool_info(span.kind, attrs) {
        span.tool = Some(tool);
    }

    // Raw I/O.
    if let Some(v) = raw_value(attrs, "input.value", "input.mime_type")
        .or_else(|| raw_value(attrs, "traceloop.entity.input", ""))
    {
        span.input = Some(v);
    }
    if let Some(v) = raw_value(attrs, "output.value", "output.mime_type")
        .or_else(|| raw_value(attrs, "traceloop.entity.output", ""))
    {
        span.output = Some(v);
    }

    // Context.
    if let Some((v, _)) = first(
        attrs,
        &[
            ("session.id", OI),
            ("gen_ai.conversation.id", GEN),
            ("traceloop.association.properties.session_id", LEG),
            ("traceloop.association.properties.thread_id", LEG),
            ("traceloop.association.properties.conversation_id", LEG),
        ],
    ) {
        span.session_id = as_string(v);
    }
    if let Some((v, _)) = first(
        attrs,
        &[
            ("user.id", OI),
            ("traceloop.association.properties.user_id", LEG),
            ("enduser.id", LEG),
        ],
    ) {
        span.user_id = as_string(v);
    }
    let tags = tags(attrs);
    if !tags.is_empty() {
        span.tags = tags;
    }
    if let Some(m) = metadata(attrs) {
        span.metadata = Some(m);
    }

    // Timing and status.
    if let Some(secs) = attrs
        .get("gen_ai.response.time_to_first_chunk")
        .and_then(as_f64)
    {
        if secs.is_finite() && secs >= 0.0 {
            span.ttft_ns = Some((secs * 1e9).round() as i64);
        }
    }
    if span.status == StatusCode::Unset {
        if let Some(t) = attrs.get("error.type").and_then(as_string) {
            span.status = StatusCode::Error;
            if span.status_message.is_none() {
                span.status_message = Some(t);
            }
        }
    }

    if let Some(c) = won.iter().flatten().next() {
        span.convention = Some(c.as_str().to_string());
    }
}

/// Reads GenAI message events, first-token marks, exception details and vector-search results
/// from `span.events`, then refines a generic kind from evidence (`evidence.rs`). Messages from
/// events are used only when the attributes gave none. Expects `span.attributes` to be set.
pub fn apply_events(span: &mut Span) {
    apply_evidence(span);
    let mut ev_in: Vec<Message> = Vec::new();
    let mut ev_out: Vec<Message> = Vec::new();
    let mut first_token: Option<i64> = None;
    let mut first_chunk: Option<i64> = None;
    let mut exception: Option<String> = None;
    for ev in &span.events {
        let name = ev.name.as_str();
        match name {
            "gen_ai.content.prompt" => {
                ev_in.extend(message_list(&list(&ev.attributes, "gen_ai.prompt")));
            }
            "gen_ai.content.completion" => {
                ev_out.extend(message_list(&list(&ev.attributes, "gen_ai.completion")));
            }
            "gen_ai.system.message"
            | "gen_ai.user.message"
            | "gen_ai.assistant.message"
            | "gen_ai.tool.message" => {
                let role = name
                    .trim_start_matches("gen_ai.")
                    .trim_end_matches(".message");
                let body = event_body(&ev.attributes);
                if let Some(mut m) = message_from(&body) {
                    if m.role.is_empty() {
                        m.role = role.to_string();
                    }
                    if role == "tool" && m.tool_call_id.is_none() {
                        m.tool_call_id = get(&body, "id").and_then(as_string).map(trim_id);
                    }
                    ev_in.push(m);
                }
            }
            "gen_ai.choice" => {
                let body = event_body(&ev.attributes);
                if let Some(mut m) = message_from(&body) {
                    if m.role.is_empty() {
                        m.role = "assistant".to_string();
                    }
                    ev_out.push(m);
                }
            }
            "gen_ai.client.inference.operation.details" => {
                let (i, o, _) = messages(&ev.attributes);
                if ev_in.is_empty() {
                    ev_in = i;
                }
                if ev_out.is_empty() {
                    ev_out = o;
                }
            }
            "exception" => {
                if exception.is_none() {
                    let ty = ev.attributes.get("exception.type").and_then(as_string);
                    let msg = ev.attributes.get("exception.message").and_then(as_string);
                    exception = match (ty, msg) {
                        (Some(t), Some(m)) => Some(format!("{t}: {m}")),
                        (t, m) => t.or(m),
                    };
                }
            }
            _ => {
                if first_token.is_none() && is_first_token_event(name) {
                    first_token = Some(ev.time_ns);
                }
                // Streamed calls without a first-token mark log one event per chunk
                // (OpenLLMetry `gen_ai.content.completion.chunk`): the first one is the first token.
                if name.ends_with(".chunk") {
                    first_chunk = Some(first_chunk.map_or(ev.time_ns, |t| t.min(ev.time_ns)));
                }
            }
        }
    }
    let had_messages = !span.input_messages.is_empty() || !span.output_messages.is_empty();
    if span.input_messages.is_empty() && !ev_in.is_empty() {
        span.input_messages = ev_in;
    }
    if span.output_messages.is_empty() && !ev_out.is_empty() {
        span.output_messages = ev_out;
    }
    if !had_messages
        && span.convention.is_none()
        && (!span.input_messages.is_empty() || !span.output_messages.is_empty())
    {
        span.convention = Some(GEN.as_str().to_string());
    }
    if span.ttft_ns.is_none() {
        if let Some(t) = first_token.or(first_chunk) {
            if t >= span.start_ns && span.start_ns > 0 {
                span.ttft_ns = Some(t - span.start_ns);
            }
        }
    }
    if span.status == StatusCode::Error && span.status_message.is_none() {
        span.status_message = exception;
    }
}

/// Retrieval results carried as span events, and documents in a Traceloop entity output.
fn apply_evidence(span: &mut Span) {
    let docs = evidence::documents_from_events(span);
    if !docs.is_empty() {
        if is_generic(span) {
            span.kind = SpanKind::Retriever;
        }
        if span.documents.is_empty() {
            span.documents = docs;
        }
    }
    let input = span.attributes.get("traceloop.entity.input").cloned();
    let output = span.attributes.get("traceloop.entity.output").cloned();
    if output.is_some() {
        apply_io_evidence(span, input.as_ref(), output.as_ref());
    }
}

fn is_first_token_event(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['_', '.', '-'], " ");
    n.contains("first token") || n.contains("first chunk")
}

/// A per-message event's body: a `body`-like attribute (JSON or structured) if there is one,
/// else the attributes themselves rebuilt into a nested object.
fn event_body(attrs: &Map<String, Value>) -> Value {
    for key in ["body", "event.body", "gen_ai.event.content"] {
        if let Some(v) = attrs.get(key) {
            let b = parse_jsonish(v);
            if b.is_object() {
                return b;
            }
        }
    }
    let mut obj = Value::Object(Map::new());
    for (k, v) in attrs {
        insert_path(&mut obj, k, parse_jsonish(v));
    }
    obj
}

// ---------------------------------------------------------------------------------------------
// Presence, by precedence.

/// The first present (non-null, non-empty) value among `keys`, with its convention.
fn first<'a>(attrs: &'a Map<String, Value>, keys: &[(&str, Conv)]) -> Option<(&'a Value, Conv)> {
    keys.iter()
        .find_map(|(k, c)| attrs.get(*k).filter(|v| is_present(v)).map(|v| (v, *c)))
}

fn present(attrs: &Map<String, Value>, key: &str) -> bool {
    attrs.get(key).is_some_and(is_present)
}

fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
