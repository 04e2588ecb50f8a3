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

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::{
    Cost, CostSource, Document, Message, Provenance, RawValue, Reranker, Span, SpanKind,
    StatusCode, ToolCall, ToolInfo, Usage,
};

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

/// Reads GenAI message events, first-token marks and exception details from `span.events`.
/// Messages from events are used only when the attributes gave none.
pub fn apply_events(span: &mut Span) {
    let mut ev_in: Vec<Message> = Vec::new();
    let mut ev_out: Vec<Message> = Vec::new();
    let mut first_token: Option<i64> = None;
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
        if let Some(t) = first_token {
            if t >= span.start_ns && span.start_ns > 0 {
                span.ttft_ns = Some(t - span.start_ns);
            }
        }
    }
    if span.status == StatusCode::Error && span.status_message.is_none() {
        span.status_message = exception;
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
// Kind.

fn infer_kind(preset: SpanKind, attrs: &Map<String, Value>) -> (SpanKind, Option<Conv>) {
    if let Some(k) = attrs
        .get("openinference.span.kind")
        .and_then(Value::as_str)
        .and_then(SpanKind::parse)
    {
        return (k, Some(OI));
    }
    if preset != SpanKind::Span {
        return (preset, None);
    }
    if let Some(op) = attrs.get("gen_ai.operation.name").and_then(Value::as_str) {
        let k = match op.trim().to_ascii_lowercase().as_str() {
            "chat" | "text_completion" | "generate_content" | "completion" => Some(SpanKind::Llm),
            "embeddings" | "embedding" => Some(SpanKind::Embedding),
            "execute_tool" => Some(SpanKind::Tool),
            "invoke_agent" | "create_agent" => Some(SpanKind::Agent),
            "retrieval" => Some(SpanKind::Retriever),
            "invoke_workflow" => Some(SpanKind::Chain),
            "rerank" => Some(SpanKind::Reranker),
            _ => None,
        };
        if let Some(k) = k {
            return (k, Some(GEN));
        }
    }
    if let Some(tk) = attrs.get("traceloop.span.kind").and_then(Value::as_str) {
        let k = match tk.trim().to_ascii_lowercase().as_str() {
            "workflow" | "task" => Some(SpanKind::Chain),
            "agent" => Some(SpanKind::Agent),
            "tool" => Some(SpanKind::Tool),
            _ => None,
        };
        if let Some(k) = k {
            return (k, Some(LEG));
        }
    }
    if let Some(rt) = attrs.get("llm.request.type").and_then(Value::as_str) {
        let k = match rt.trim().to_ascii_lowercase().as_str() {
            "chat" | "completion" => Some(SpanKind::Llm),
            "embedding" | "embeddings" => Some(SpanKind::Embedding),
            "rerank" => Some(SpanKind::Reranker),
            _ => None,
        };
        if let Some(k) = k {
            return (k, Some(LEG));
        }
    }
    // Heuristics: what the span carries.
    if present(attrs, "embedding.model_name") {
        return (SpanKind::Embedding, None);
    }
    let has_model = [
        "llm.model_name",
        "llm.request.model_name",
        "llm.response.model_name",
        "gen_ai.request.model",
        "gen_ai.response.model",
    ]
    .iter()
    .any(|k| present(attrs, k));
    let has_usage = [
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "llm.token_count.total",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.usage.total_tokens",
        "gen_ai.usage.total_tokens",
    ]
    .iter()
    .any(|k| present(attrs, k));
    if has_model || has_usage {
        return (SpanKind::Llm, None);
    }
    (SpanKind::Span, None)
}

// ---------------------------------------------------------------------------------------------
// Usage, cost, parameters.

fn usage(attrs: &Map<String, Value>) -> Option<(Usage, Conv)> {
    let int = |keys: &[(&str, Conv)]| -> Option<(i64, Conv)> {
        keys.iter()
            .find_map(|(k, c)| attrs.get(*k).and_then(as_i64).map(|v| (v, *c)))
    };
    let input = int(&[
        ("llm.token_count.prompt", OI),
        ("gen_ai.usage.input_tokens", GEN),
        ("gen_ai.usage.prompt_tokens", LEG),
    ]);
    let output = int(&[
        ("llm.token_count.completion", OI),
        ("gen_ai.usage.output_tokens", GEN),
        ("gen_ai.usage.completion_tokens", LEG),
    ]);
    let total = int(&[
        ("llm.token_count.total", OI),
        ("gen_ai.usage.total_tokens", GEN),
        ("llm.usage.total_tokens", LEG),
    ]);
    let cache_read = int(&[
        ("llm.token_count.prompt_details.cache_read", OI),
        ("gen_ai.usage.cache_read.input_tokens", GEN),
        ("gen_ai.usage.cache_read_input_tokens", LEG),
    ]);
    let cache_write = int(&[
        ("llm.token_count.prompt_details.cache_write", OI),
        ("gen_ai.usage.cache_creation.input_tokens", GEN),
        ("gen_ai.usage.cache_creation_input_tokens", LEG),
    ]);
    let reasoning = int(&[
        ("llm.token_count.completion_details.reasoning", OI),
        ("gen_ai.usage.reasoning.output_tokens", GEN),
        ("llm.usage.reasoning_tokens", LEG),
    ]);
    let conv = [input, output, total].iter().flatten().map(|x| x.1).min()?;
    let input = input.map(|x| x.0);
    let output = output.map(|x| x.0);
    let total = total.map(|x| x.0).or(match (input, output) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    });
    Some((
        Usage {
            input,
            output,
            total,
            cache_read: cache_read.map(|x| x.0),
            cache_write: cache_write.map(|x| x.0),
            reasoning: reasoning.map(|x| x.0),
            provenance: Provenance::Reported,
            aggregate: false,
        },
        conv,
    ))
}

fn reported_cost(attrs: &Map<String, Value>) -> Option<Cost> {
    let f = |k: &str| attrs.get(k).and_then(as_f64).filter(|x| x.is_finite());
    let input = f("llm.cost.prompt");
    let output = f("llm.cost.completion");
    let total = f("llm.cost.total").or_else(|| f("gen_ai.usage.cost"));
    if input.is_none() && output.is_none() && total.is_none() {
        return None;
    }
    let total = total.or(match (input, output) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    });
    Some(Cost {
        input,
        output,
        total,
        source: CostSource::Reported,
    })
}

/// GenAI has no single parameters attribute; gather `gen_ai.request.*` (except the model).
fn genai_request_params(attrs: &Map<String, Value>) -> Option<Value> {
    let mut out = Map::new();
    for (k, v) in attrs {
        if let Some(name) = k.strip_prefix("gen_ai.request.") {
            if name != "model" && !v.is_null() {
                out.insert(name.to_string(), v.clone());
            }
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

// ---------------------------------------------------------------------------------------------
// Messages.

/// Input and output messages by precedence, each side on its own.
fn messages(attrs: &Map<String, Value>) -> (Vec<Message>, Vec<Message>, Option<Conv>) {
    let mut conv = None;

    let mut inputs = message_list(&list(attrs, "llm.input_messages"));
    if !inputs.is_empty() {
        conv = Some(OI);
    } else {
        let prompts = list(attrs, "llm.prompts");
        inputs = prompts
            .iter()
            .filter_map(|p| {
                let text = get(p, "prompt.text").or(Some(p)).and_then(as_string)?;
                Some(Message {
                    role: "user".to_string(),
                    content: text,
                    ..Message::default()
                })
            })
            .collect();
        if !inputs.is_empty() {
            conv = Some(OI);
        }
    }
    if inputs.is_empty() {
        let system = attrs
            .get("gen_ai.system_instructions")
            .and_then(system_instructions);
        inputs = message_list(&list(attrs, "gen_ai.input.messages"));
        if let Some(sys) = system {
            inputs.insert(0, sys);
        }
        if !inputs.is_empty() {
            conv = Some(GEN);
        }
    }
    if inputs.is_empty() {
        inputs = message_list(&list(attrs, "gen_ai.prompt"));
        if !inputs.is_empty() {
            conv = Some(LEG);
        }
    }

    let mut outputs = message_list(&list(attrs, "llm.output_messages"));
    let mut out_conv = (!outputs.is_empty()).then_some(OI);
    if outputs.is_empty() {
        outputs = list(attrs, "llm.choices")
            .iter()
            .filter_map(|c| {
                let text = get(c, "completion.text").or(Some(c)).and_then(as_string)?;
                Some(Message {
                    role: "assistant".to_string(),
                    content: text,
                    ..Message::default()
                })
            })
            .collect();
        out_conv = (!outputs.is_empty()).then_some(OI);
    }
    if outputs.is_empty() {
        outputs = message_list(&list(attrs, "gen_ai.output.messages"));
        out_conv = (!outputs.is_empty()).then_some(GEN);
    }
    if outputs.is_empty() {
        outputs = message_list(&list(attrs, "gen_ai.completion"));
        out_conv = (!outputs.is_empty()).then_some(LEG);
    }
    for m in &mut outputs {
        if m.role.is_empty() {
            m.role = "assistant".to_string();
        }
    }

    // Span-level finish reasons fill the messages that lack their own.
    if let Some(fr) = attrs.get("llm.finish_reason").and_then(as_string) {
        if outputs.len() == 1 && outputs[0].finish_reason.is_none() {
            outputs[0].finish_reason = Some(fr);
        }
    } else if let Some(v) = attrs.get("gen_ai.response.finish_reasons") {
        let reasons = as_list(v);
        for (m, r) in outputs.iter_mut().zip(reasons.iter()) {
            if m.finish_reason.is_none() {
                m.finish_reason = as_string(r);
            }
        }
    }

    (inputs, outputs, conv.or(out_conv))
}

fn message_list(items: &[Value]) -> Vec<Message> {
    items.iter().filter_map(message_from).collect()
}

/// `gen_ai.system_instructions`: a bare array of parts, a JSON string of one, or plain text.
fn system_instructions(v: &Value) -> Option<Message> {
    let parsed = parse_jsonish(v);
    let mut msg = Message {
        role: "system".to_string(),
        ..Message::default()
    };
    match &parsed {
        Value::String(s) => msg.content = s.clone(),
        Value::Array(parts) => apply_parts(&mut msg, parts),
        Value::Object(_) => {
            if let Some(m) = message_from(&parsed) {
                msg.content = m.content;
            }
        }
        _ => return None,
    }
    (!msg.content.is_empty()).then_some(msg)
}

/// One message from any of the shapes in the wild: OpenInference (`{message:{role, content,
/// contents, tool_calls}}`), GenAI parts (`{role, parts}`), OpenLLMetry legacy, the GenAI event
/// bodies (`gen_ai.choice`'s `{index, finish_reason, message}`) and raw OpenAI / Anthropic.
fn message_from(item: &Value) -> Option<Message> {
    if let Value::String(s) = item {
        // A bare string in a message list is its text.
        return Some(Message {
            content: s.clone(),
            ..Message::default()
        });
    }
    let outer = item.as_object()?;
    let m = match outer.get("message") {
        Some(inner) if inner.is_object() => inner,
        _ => item,
    };
    let mut msg = Message {
        role: get(m, "role").and_then(as_string).unwrap_or_default(),
        name: get(m, "name").and_then(as_string),
        tool_call_id: get(m, "tool_call_id")
            .or_else(|| get(m, "tool_use_id"))
            .and_then(as_string)
            .map(trim_id),
        finish_reason: get(m, "finish_reason")
            .or_else(|| outer.get("finish_reason"))
            .and_then(as_string),
        ..Message::default()
    };

    if let Some(parts) = get(m, "parts") {
        apply_parts(&mut msg, &as_list(parts));
    }
    if let Some(contents) = get(m, "contents") {
        apply_parts(&mut msg, &as_list(contents));
    }
    if let Some(content) = get(m, "content") {
        match content {
            Value::Array(parts) => apply_parts(&mut msg, parts),
            Value::String(s) => match parts_in_string(s) {
                Some(parts) => apply_parts(&mut msg, &parts),
                None => push_text(&mut msg.content, s),
            },
            Value::Null => {}
            Value::Object(o) if o.keys().all(|k| k.parse::<u64>().is_ok()) => {
                apply_parts(&mut msg, &as_list(content))
            }
            other => push_text(&mut msg.content, &stringify(other)),
        }
    }
    if let Some(tcs) = get(m, "tool_calls") {
        for tc in as_list(tcs) {
            if let Some(call) = tool_call_from(&tc) {
                msg.tool_calls.push(call);
            }
        }
    }
    if msg.role.is_empty()
        && msg.content.is_empty()
        && msg.tool_calls.is_empty()
        && msg.reasoning.is_none()
    {
        return None;
    }
    Some(msg)
}

/// Legacy OpenLLMetry writes multimodal content as a JSON string of parts; only treat the
/// string as parts when every element really looks like one.
fn parts_in_string(s: &str) -> Option<Vec<Value>> {
    let t = s.trim_start();
    if !t.starts_with('[') {
        return None;
    }
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(t) else {
        return None;
    };
    let all_parts = !items.is_empty()
        && items
            .iter()
            .all(|p| p.get("type").is_some_and(Value::is_string));
    all_parts.then_some(items)
}

fn tool_call_from(v: &Value) -> Option<ToolCall> {
    let tc = match get(v, "tool_call") {
        Some(inner) if inner.is_object() => inner,
        _ => v,
    };
    let name = get(tc, "function.name")
        .or_else(|| get(tc, "name"))
        .and_then(as_string)
        .unwrap_or_default();
    let id = get(tc, "id").and_then(as_string).map(trim_id);
    let arguments = get(tc, "function.arguments")
        .or_else(|| get(tc, "arguments"))
        .or_else(|| get(tc, "input"))
        .filter(|a| !a.is_null())
        .map(stringify);
    if name.is_empty() && id.is_none() && arguments.is_none() {
        return None;
    }
    Some(ToolCall {
        id,
        name,
        arguments,
    })
}

fn apply_parts(msg: &mut Message, parts: &[Value]) {
    for raw in parts {
        // OpenInference wraps each part as {"message_content": {...}}.
        let part = match get(raw, "message_content") {
            Some(inner) if inner.is_object() => inner,
            _ => raw,
        };
        if let Value::String(s) = part {
            push_text(&mut msg.content, s);
            continue;
        }
        let ty = get(part, "type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let text_of = |p: &Value| -> Option<String> {
            get(p, "text")
                .or_else(|| get(p, "content"))
                .filter(|v| !v.is_null())
                .map(stringify)
        };
        match ty.as_str() {
            "" | "text" | "input_text" | "output_text" => {
                if let Some(t) = text_of(part) {
                    push_text(&mut msg.content, &t);
                }
            }
            "reasoning" | "thinking" | "redacted_thinking" => {
                let t = text_of(part)
                    .or_else(|| get(part, "thinking").and_then(as_string))
                    .unwrap_or_default();
                let r = msg.reasoning.get_or_insert_with(String::new);
                push_text(r, &t);
            }
            "tool_call" | "tool_use" | "function_call" => {
                if let Some(call) = tool_call_from(part) {
                    msg.tool_calls.push(call);
                }
            }
            "tool_call_response" | "tool_result" | "function_call_output" => {
                if msg.tool_call_id.is_none() {
                    msg.tool_call_id = get(part, "id")
                        .or_else(|| get(part, "tool_use_id"))
                        .or_else(|| get(part, "call_id"))
                        .and_then(as_string)
                        .map(trim_id);
                }
                let body = get(part, "response")
                    .or_else(|| get(part, "result"))
                    .or_else(|| get(part, "output"))
                    .or_else(|| get(part, "content"))
                    .filter(|v| !v.is_null());
                if let Some(b) = body {
                    let text = match b {
                        Value::Array(inner) => {
                            let mut tmp = Message::default();
                            apply_parts(&mut tmp, inner);
                            tmp.content
                        }
                        other => stringify(other),
                    };
                    push_text(&mut msg.content, &text);
                }
            }
            "blob" => {
                let mime = get(part, "mime_type")
                    .and_then(as_string)
                    .or_else(|| get(part, "modality").and_then(as_string))
                    .unwrap_or_else(|| "binary".to_string());
                let len = get(part, "content")
                    .and_then(Value::as_str)
                    .map_or(0, base64_decoded_len);
                push_text(&mut msg.content, &blob_placeholder(&mime, len));
            }
            "image" | "image_url" | "input_image" => {
                let url = get(part, "image.image.url")
                    .or_else(|| get(part, "image.url"))
                    .or_else(|| get(part, "image_url.url"))
                    .or_else(|| get(part, "image_url"))
                    .or_else(|| get(part, "url"))
                    .and_then(as_string);
                push_text(
                    &mut msg.content,
                    &media_placeholder("image", url.as_deref()),
                );
            }
            "uri" => {
                let modality = get(part, "modality")
                    .and_then(as_string)
                    .unwrap_or_else(|| "file".to_string());
                let uri = get(part, "uri").and_then(as_string);
                push_text(
                    &mut msg.content,
                    &media_placeholder(&modality, uri.as_deref()),
                );
            }
            "file" => {
                let id = get(part, "file_id").and_then(as_string).unwrap_or_default();
                push_text(&mut msg.content, &format!("[file {id}]"));
            }
            "server_tool_call" => {
                let name = get(part, "name").and_then(as_string).unwrap_or_default();
                push_text(&mut msg.content, &format!("[server tool call {name}]"));
            }
            "server_tool_call_response" => {
                push_text(&mut msg.content, "[server tool call response]");
            }
            "audio" | "input_audio" => {
                let url = get(part, "audio.audio.url")
                    .or_else(|| get(part, "url"))
                    .and_then(as_string);
                push_text(
                    &mut msg.content,
                    &media_placeholder("audio", url.as_deref()),
                );
            }
            other => match text_of(part) {
                Some(t) => push_text(&mut msg.content, &t),
                None => push_text(&mut msg.content, &format!("[{other}]")),
            },
        }
    }
}

fn push_text(buf: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !buf.is_empty() {
        buf.push('\n');
    }
    buf.push_str(text);
}

/// Media never goes into message text as base64: data URLs become a size note.
fn media_placeholder(kind: &str, url: Option<&str>) -> String {
    match url {
        Some(u) if u.starts_with("data:") => {
            let (head, data) = u.split_once(',').unwrap_or((u, ""));
            let mime = head
                .trim_start_matches("data:")
                .split(';')
                .next()
                .filter(|m| !m.is_empty())
                .unwrap_or(kind);
            let len = if head.ends_with(";base64") {
                base64_decoded_len(data)
            } else {
                data.len()
            };
            blob_placeholder(mime, len)
        }
        Some(u) if !u.is_empty() => format!("[{kind}: {u}]"),
        _ => format!("[{kind}]"),
    }
}

fn blob_placeholder(mime: &str, bytes: usize) -> String {
    if bytes < 1024 {
        format!("[{mime} blob, {bytes} B]")
    } else {
        format!("[{mime} blob, {} KB]", bytes.div_ceil(1024))
    }
}

fn base64_decoded_len(s: &str) -> usize {
    let t = s.trim().trim_end_matches('=');
    t.len() * 3 / 4
}

fn trim_id(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() { s } else { t.to_string() }
}

// ---------------------------------------------------------------------------------------------
// Documents, reranker, tool.

fn documents(attrs: &Map<String, Value>, prefix: &str) -> Vec<Document> {
    list(attrs, prefix)
        .iter()
        .filter_map(document_from)
        .collect()
}

fn document_from(item: &Value) -> Option<Document> {
    let d = match get(item, "document") {
        Some(inner) if inner.is_object() => inner,
        _ => item,
    };
    if let Value::String(s) = d {
        return Some(Document {
            content: Some(s.clone()),
            ..Document::default()
        });
    }
    let doc = Document {
        id: get(d, "id").and_then(as_string),
        score: get(d, "score").and_then(as_f64),
        content: get(d, "content")
            .or_else(|| get(d, "page_content"))
            .or_else(|| get(d, "text"))
            .filter(|v| !v.is_null())
            .map(stringify),
        metadata: get(d, "metadata")
            .filter(|v| !v.is_null())
            .map(parse_jsonish),
    };
    let empty = doc.id.is_none() && doc.score.is_none() && doc.content.is_none();
    (!empty).then_some(doc)
}

fn reranker(attrs: &Map<String, Value>) -> Option<Reranker> {
    let query = attrs.get("reranker.query").and_then(as_string);
    let model = attrs.get("reranker.model_name").and_then(as_string);
    let top_k = attrs.get("reranker.top_k").and_then(as_i64);
    let input_documents = documents(attrs, "reranker.input_documents");
    let output_documents = documents(attrs, "reranker.output_documents");
    if query.is_none()
        && model.is_none()
        && top_k.is_none()
        && input_documents.is_empty()
        && output_documents.is_empty()
    {
        return None;
    }
    Some(Reranker {
        query,
        model,
        top_k,
        input_documents,
        output_documents,
    })
}

fn tool_info(kind: SpanKind, attrs: &Map<String, Value>) -> Option<ToolInfo> {
    let is_tool = kind == SpanKind::Tool
        || present(attrs, "tool.name")
        || present(attrs, "gen_ai.tool.name")
        || present(attrs, "gen_ai.tool.call.id");
    if !is_tool {
        return None;
    }
    let s = |keys: &[&str]| keys.iter().find_map(|k| attrs.get(*k).and_then(as_string));
    let traceloop_tool = attrs
        .get("traceloop.span.kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("tool"));
    let mut name = s(&["tool.name", "gen_ai.tool.name"]);
    if name.is_none() && traceloop_tool {
        name = s(&["traceloop.entity.name"]);
    }
    let (mut arguments, mut result) = (None, None);
    if kind == SpanKind::Tool {
        arguments = s(&["input.value"]);
        result = s(&["output.value"]);
    }
    arguments = arguments.or_else(|| s(&["gen_ai.tool.call.arguments"]));
    result = result.or_else(|| s(&["gen_ai.tool.call.result"]));
    if traceloop_tool {
        arguments = arguments.or_else(|| s(&["traceloop.entity.input"]));
        result = result.or_else(|| s(&["traceloop.entity.output"]));
    }
    Some(ToolInfo {
        name,
        call_id: s(&["tool.id", "tool_call.id", "gen_ai.tool.call.id"]).map(trim_id),
        description: s(&["tool.description", "gen_ai.tool.description"]),
        arguments,
        result,
    })
}

fn raw_value(attrs: &Map<String, Value>, key: &str, mime_key: &str) -> Option<RawValue> {
    let v = attrs.get(key).filter(|v| !v.is_null())?;
    let mime = attrs.get(mime_key).and_then(as_string);
    match v {
        Value::String(s) => Some(RawValue {
            value: s.clone(),
            mime: mime.or_else(|| {
                let t = s.trim_start();
                (mime_key.is_empty() && (t.starts_with('{') || t.starts_with('[')))
                    .then(|| "application/json".to_string())
            }),
        }),
        other => Some(RawValue {
            value: other.to_string(),
            mime: mime.or_else(|| Some("application/json".to_string())),
        }),
    }
}

fn tags(attrs: &Map<String, Value>) -> Vec<String> {
    let items = list(attrs, "tag.tags");
    if !items.is_empty() {
        return items.iter().filter_map(as_string).collect();
    }
    // A single tag written as a plain string.
    match attrs.get("tag.tags") {
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn metadata(attrs: &Map<String, Value>) -> Option<Value> {
    if let Some(v) = attrs.get("metadata").filter(|v| !v.is_null()) {
        return Some(parse_jsonish(v));
    }
    // Traceloop association properties are the metadata of that world.
    let mut out = Map::new();
    for (k, v) in attrs {
        if let Some(name) = k.strip_prefix("traceloop.association.properties.") {
            out.insert(name.to_string(), v.clone());
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

// ---------------------------------------------------------------------------------------------
// Tolerant value access.

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

/// A nested lookup that also accepts dotted keys kept flat at any level
/// (`{"message.role": …}` as well as `{"message": {"role": …}}`).
fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(path) {
        return Some(x);
    }
    let (head, tail) = path.split_once('.')?;
    get(obj.get(head)?, tail)
}

/// Text of a scalar; structured values become their JSON text. Empty strings and null are none.
fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Like [`as_string`] but keeps empty strings (message text can legitimately be empty).
fn stringify(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>().ok().or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// §10.7: structured stays structured; a string is JSON-parsed (twice if it held an encoded
/// JSON string), then tried as a Python repr, else kept as the string.
fn parse_jsonish(v: &Value) -> Value {
    let Value::String(s) = v else {
        return v.clone();
    };
    parse_json_text(s).unwrap_or_else(|| v.clone())
}

fn parse_json_text(s: &str) -> Option<Value> {
    let t = s.trim();
    let looks_structured = t.starts_with('{') || t.starts_with('[') || t.starts_with('"');
    if !looks_structured {
        return None;
    }
    match serde_json::from_str::<Value>(t) {
        Ok(Value::String(inner)) => {
            let it = inner.trim();
            if it.starts_with('{') || it.starts_with('[') {
                serde_json::from_str::<Value>(it)
                    .ok()
                    .or(Some(Value::String(inner)))
            } else {
                Some(Value::String(inner))
            }
        }
        Ok(parsed) => Some(parsed),
        Err(_) => pyrepr::parse(t),
    }
}

/// Items of a list written flattened (`prefix.N.rest`, sparse indices, sorted by index), as an
/// array value, as an object keyed by index, or as a JSON string of an array.
fn list(attrs: &Map<String, Value>, prefix: &str) -> Vec<Value> {
    let mut items: BTreeMap<u64, Value> = BTreeMap::new();
    let plen = prefix.len();
    for (k, v) in attrs {
        if k.len() <= plen + 1 || !k.starts_with(prefix) || k.as_bytes()[plen] != b'.' {
            continue;
        }
        let rest = &k[plen + 1..];
        let (idx, tail) = match rest.split_once('.') {
            Some((i, t)) => (i, Some(t)),
            None => (rest, None),
        };
        let Ok(i) = idx.parse::<u64>() else {
            continue;
        };
        match tail {
            None => {
                items.entry(i).or_insert_with(|| v.clone());
            }
            Some(t) => {
                let slot = items.entry(i).or_insert_with(|| Value::Object(Map::new()));
                insert_path(slot, t, v.clone());
            }
        }
    }
    if !items.is_empty() {
        return items.into_values().collect();
    }
    attrs.get(prefix).map(as_list).unwrap_or_default()
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) if !o.is_empty() && o.keys().all(|k| k.parse::<u64>().is_ok()) => {
            let mut pairs: Vec<(u64, &Value)> = o
                .iter()
                .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?, v)))
                .collect();
            pairs.sort_by_key(|p| p.0);
            pairs.into_iter().map(|p| p.1.clone()).collect()
        }
        Value::String(s) => match parse_json_text(s) {
            Some(parsed @ (Value::Array(_) | Value::Object(_))) => as_list(&parsed),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Puts `v` at the dotted `path` inside `target`, creating objects on the way. On a clash with
/// an existing scalar the first value is kept: a flat map cannot hold both meaningfully.
fn insert_path(target: &mut Value, path: &str, v: Value) {
    let mut cur = target;
    let mut segs = path.split('.').peekable();
    while let Some(seg) = segs.next() {
        let Value::Object(obj) = cur else {
            return;
        };
        if segs.peek().is_none() {
            obj.entry(seg.to_string()).or_insert(v);
            return;
        }
        cur = obj
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// A small reader for Python literal reprs (`[{'role': 'user', 'content': "it's"}]`), which
/// GenAI v1.26 instrumentations wrote into `gen_ai.prompt` / `gen_ai.completion`.
mod pyrepr {
    use serde_json::{Map, Number, Value};

    pub(super) fn parse(s: &str) -> Option<Value> {
        let mut p = Parser {
            b: s.as_bytes(),
            i: 0,
            depth: 0,
        };
        let v = p.value()?;
        p.ws();
        (p.i == p.b.len()).then_some(v)
    }

    struct Parser<'a> {
        b: &'a [u8],
        i: usize,
        depth: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }
        fn value(&mut self) -> Option<Value> {
            self.ws();
            self.depth += 1;
            if self.depth > 128 {
                return None;
            }
            let c = self.peek()?;
            let out = match c {
                b'[' => self.seq(b']').map(Value::Array),
                b'(' => self.seq(b')').map(Value::Array),
                b'{' => self.dict(),
                b'\'' | b'"' => self.string().map(Value::String),
                _ => self.atom(),
            };
            self.depth -= 1;
            out
        }
        fn seq(&mut self, close: u8) -> Option<Vec<Value>> {
            self.i += 1;
            let mut out = Vec::new();
            loop {
                self.ws();
                if self.peek()? == close {
                    self.i += 1;
                    return Some(out);
                }
                out.push(self.value()?);
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    c if c == close => {}
                    _ => return None,
                }
            }
        }
        fn dict(&mut self) -> Option<Value> {
            self.i += 1;
            let mut out = Map::new();
            loop {
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Value::Object(out));
                }
                let key = match self.value()? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                self.ws();
                if self.peek()? != b':' {
                    return None;
                }
                self.i += 1;
                let v = self.value()?;
                out.insert(key, v);
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {}
                    _ => return None,
                }
            }
        }
        fn string(&mut self) -> Option<String> {
            let quote = self.b[self.i];
            self.i += 1;
            let mut out: Vec<u8> = Vec::new();
            loop {
                let c = self.peek()?;
                self.i += 1;
                if c == quote {
                    return String::from_utf8(out).ok();
                }
                if c != b'\\' {
                    out.push(c);
                    continue;
                }
                let e = self.peek()?;
                self.i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'0' => out.push(0),
                    b'x' => {
                        let ch = self.hex(2)?;
                        push_char(&mut out, ch);
                    }
                    b'u' => {
                        let ch = self.hex(4)?;
                        push_char(&mut out, ch);
                    }
                    b'U' => {
                        let ch = self.hex(8)?;
                        push_char(&mut out, ch);
                    }
                    other => out.push(other),
                }
            }
        }
        fn hex(&mut self, n: usize) -> Option<u32> {
            let end = self.i.checked_add(n)?;
            let digits = std::str::from_utf8(self.b.get(self.i..end)?).ok()?;
            self.i = end;
            u32::from_str_radix(digits, 16).ok()
        }
        fn atom(&mut self) -> Option<Value> {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_') {
                    self.i += 1;
                } else {
                    break;
                }
            }
            let word = std::str::from_utf8(&self.b[start..self.i]).ok()?;
            match word {
                "True" => Some(Value::Bool(true)),
                "False" => Some(Value::Bool(false)),
                "None" => Some(Value::Null),
                _ => {
                    if let Ok(i) = word.parse::<i64>() {
                        Some(Value::from(i))
                    } else {
                        word.parse::<f64>()
                            .ok()
                            .and_then(Number::from_f64)
                            .map(Value::Number)
                    }
                }
            }
        }
    }

    fn push_char(out: &mut Vec<u8>, code: u32) {
        let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("test attrs must be an object"),
        }
    }

    fn span_from(v: Value) -> Span {
        let mut s = Span::default();
        let a = attrs(v);
        apply_attributes(&mut s, &a);
        s.attributes = a;
        apply_events(&mut s);
        s
    }

    #[test]
    fn openinference_llm_span() {
        let s = span_from(json!({
            "openinference.span.kind": "LLM", "llm.system": "openai", "llm.provider": "azure",
            "llm.model_name": "gpt-4o-2024-08-06",
            "llm.invocation_parameters": "{\"model\":\"gpt-4o\",\"temperature\":0.1}",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "be brief",
            "llm.input_messages.2.message.role": "user",
            "llm.input_messages.2.message.contents.0.message_content.type": "text",
            "llm.input_messages.2.message.contents.0.message_content.text": "23*87?",
            "llm.input_messages.2.message.contents.1.message_content.type": "image",
            "llm.input_messages.2.message.contents.1.message_content.image.image.url": "https://x/y.png",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": " call_1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "multiply",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{\"a\":23}",
            "llm.token_count.prompt": 229, "llm.token_count.completion": "21",
            "llm.token_count.prompt_details.cache_read": 128,
            "llm.cost.total": 0.00066,
            "session.id": "s-42", "user.id": "u-7", "tag.tags": ["prod"],
            "metadata": "{\"tenant\":\"acme\"}",
            "gen_ai.usage.input_tokens": 999
        }));
        assert_eq!(s.kind, SpanKind::Llm);
        assert_eq!(s.model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(s.request_model.as_deref(), Some("gpt-4o"));
        assert_eq!(s.provider.as_deref(), Some("azure"));
        assert_eq!(s.convention.as_deref(), Some("openinference"));
        let u = s.usage.as_ref().unwrap();
        assert_eq!(
            (u.input, u.output, u.total, u.cache_read),
            (Some(229), Some(21), Some(250), Some(128))
        );
        assert_eq!(s.cost.as_ref().unwrap().total, Some(0.00066));
        assert_eq!(s.cost.as_ref().unwrap().source, CostSource::Reported);
        assert_eq!(s.input_messages.len(), 2, "sparse indices keep order");
        assert_eq!(
            s.input_messages[1].content,
            "23*87?\n[image: https://x/y.png]"
        );
        let tc = &s.output_messages[0].tool_calls[0];
        assert_eq!(tc.id.as_deref(), Some("call_1"));
        assert_eq!(tc.name, "multiply");
        assert_eq!(tc.arguments.as_deref(), Some("{\"a\":23}"));
        assert_eq!(s.session_id.as_deref(), Some("s-42"));
        assert_eq!(s.tags, vec!["prod".to_string()]);
        assert_eq!(s.metadata, Some(json!({"tenant": "acme"})));
    }

    #[test]
    fn genai_current_span() {
        let s = span_from(json!({
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.request.temperature": 0.2,
            "gen_ai.usage.input_tokens": 229, "gen_ai.usage.cache_read.input_tokens": 128,
            "gen_ai.usage.output_tokens": 21, "gen_ai.usage.reasoning.output_tokens": 5,
            "gen_ai.response.finish_reasons": ["stop"], "gen_ai.conversation.id": "s-42",
            "gen_ai.response.time_to_first_chunk": 0.25,
            "gen_ai.system_instructions": "[{\"type\":\"text\",\"content\":\"be brief\"}]",
            "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Weather?\"},{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\",\"content\":\"AAAAAAAAAAAAAAAA\"}]},{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}]},{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\" call_1\",\"result\":\"rainy\"}]}]",
            "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "reasoning", "content": "hmm"}, {"type": "text", "content": "Rainy."}]}]
        }));
        assert_eq!(s.kind, SpanKind::Llm);
        assert_eq!(s.convention.as_deref(), Some("genai"));
        assert_eq!(s.model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(s.request_model.as_deref(), Some("gpt-4o"));
        assert_eq!(s.invocation_params, Some(json!({"temperature": 0.2})));
        assert_eq!(s.ttft_ns, Some(250_000_000));
        assert_eq!(s.session_id.as_deref(), Some("s-42"));
        assert_eq!(s.input_messages[0].role, "system");
        assert_eq!(s.input_messages[0].content, "be brief");
        assert_eq!(
            s.input_messages[1].content,
            "Weather?\n[image/png blob, 12 B]"
        );
        assert_eq!(
            s.input_messages[2].tool_calls[0].arguments.as_deref(),
            Some("{\"location\":\"Paris\"}")
        );
        assert_eq!(s.input_messages[3].tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(s.input_messages[3].content, "rainy");
        assert_eq!(s.output_messages[0].reasoning.as_deref(), Some("hmm"));
        assert_eq!(s.output_messages[0].content, "Rainy.");
        assert_eq!(s.output_messages[0].finish_reason.as_deref(), Some("stop"));
        let u = s.usage.unwrap();
        assert_eq!(
            (u.input, u.output, u.total, u.reasoning),
            (Some(229), Some(21), Some(250), Some(5))
        );
    }

    #[test]
    fn openllmetry_legacy_span() {
        let s = span_from(json!({
            "llm.request.type": "chat", "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]",
            "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
            "gen_ai.completion.0.tool_calls.0.id": "c1", "gen_ai.completion.0.tool_calls.0.name": "f",
            "gen_ai.completion.0.tool_calls.0.arguments": "{}",
            "gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 3, "llm.usage.total_tokens": 13,
            "traceloop.association.properties.session_id": "sess", "traceloop.association.properties.user_id": "u1"
        }));
        assert_eq!(s.kind, SpanKind::Llm);
        assert_eq!(s.convention.as_deref(), Some("openllmetry"));
        assert_eq!(s.input_messages[0].content, "hi\n[image/png blob, 3 B]");
        assert_eq!(s.output_messages[0].tool_calls[0].name, "f");
        assert_eq!(
            s.output_messages[0].finish_reason.as_deref(),
            Some("tool_calls")
        );
        assert_eq!(s.usage.unwrap().total, Some(13));
        assert_eq!(s.session_id.as_deref(), Some("sess"));
        assert_eq!(s.user_id.as_deref(), Some("u1"));
        assert_eq!(
            s.metadata,
            Some(json!({"session_id": "sess", "user_id": "u1"}))
        );
    }

    #[test]
    fn event_forms() {
        let mut s = Span {
            start_ns: 1_000,
            ..Span::default()
        };
        let ev = |name: &str, t: i64, a: Value| crate::model::SpanEvent {
            name: name.to_string(),
            time_ns: t,
            attributes: attrs(a),
        };
        s.events = vec![
            ev("gen_ai.system.message", 1, json!({"content": "sys"})),
            ev("gen_ai.user.message", 2, json!({"content": "hi"})),
            ev(
                "gen_ai.tool.message",
                3,
                json!({"content": "42", "id": " c1 "}),
            ),
            ev(
                "gen_ai.choice",
                4,
                json!({"body": "{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"done\"}}"}),
            ),
            ev("First Token Stream Event", 1_500, json!({})),
        ];
        apply_events(&mut s);
        assert_eq!(s.input_messages.len(), 3);
        assert_eq!(s.input_messages[0].role, "system");
        assert_eq!(s.input_messages[2].tool_call_id.as_deref(), Some("c1"));
        assert_eq!(s.output_messages[0].content, "done");
        assert_eq!(s.output_messages[0].role, "assistant");
        assert_eq!(s.output_messages[0].finish_reason.as_deref(), Some("stop"));
        assert_eq!(s.ttft_ns, Some(500));
        assert_eq!(s.convention.as_deref(), Some("genai"));

        let mut s = Span {
            events: vec![
                ev(
                    "gen_ai.content.prompt",
                    1,
                    json!({"gen_ai.prompt": "[{'role': 'user', 'content': \"it's me\"}]"}),
                ),
                ev(
                    "gen_ai.content.completion",
                    2,
                    json!({"gen_ai.completion": "[{\"role\":\"assistant\",\"content\":\"hello\"}]"}),
                ),
            ],
            ..Span::default()
        };
        apply_events(&mut s);
        assert_eq!(s.input_messages[0].content, "it's me");
        assert_eq!(s.output_messages[0].content, "hello");
    }

    #[test]
    fn kinds_by_ladder() {
        let k = |v: Value| span_from(v).kind;
        assert_eq!(
            k(json!({"gen_ai.operation.name": "embeddings"})),
            SpanKind::Embedding
        );
        assert_eq!(
            k(json!({"gen_ai.operation.name": "execute_tool"})),
            SpanKind::Tool
        );
        assert_eq!(
            k(json!({"gen_ai.operation.name": "invoke_agent"})),
            SpanKind::Agent
        );
        assert_eq!(
            k(json!({"traceloop.span.kind": "workflow"})),
            SpanKind::Chain
        );
        assert_eq!(k(json!({"gen_ai.usage.input_tokens": 3})), SpanKind::Llm);
        assert_eq!(k(json!({"http.method": "GET"})), SpanKind::Span);
        assert_eq!(
            k(json!({"openinference.span.kind": "TOOL", "gen_ai.operation.name": "chat"})),
            SpanKind::Tool
        );
    }

    #[test]
    fn tool_span_genai_and_error_type() {
        let s = span_from(json!({
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": {"city": "Paris"},
            "gen_ai.tool.call.result": "rainy", "error.type": "timeout"
        }));
        let t = s.tool.unwrap();
        assert_eq!(t.name.as_deref(), Some("get_weather"));
        assert_eq!(t.call_id.as_deref(), Some("call_1"));
        assert_eq!(t.arguments.as_deref(), Some("{\"city\":\"Paris\"}"));
        assert_eq!(t.result.as_deref(), Some("rainy"));
        assert_eq!(s.status, StatusCode::Error);
        assert_eq!(s.status_message.as_deref(), Some("timeout"));
    }

    #[test]
    fn lists_from_every_shape() {
        let a = attrs(json!({
            "x.2.id": "b", "x.0.id": 7,
            "y": "[{\"document\":{\"id\":1,\"score\":0.5}}]",
            "z": {"1": {"id": "second"}, "0": {"id": "first"}},
            "w": "\"[{\\\"id\\\":\\\"twice\\\"}]\""
        }));
        let ids = |p: &str| -> Vec<String> {
            list(&a, p)
                .iter()
                .filter_map(|v| {
                    get(v, "id")
                        .or_else(|| get(v, "document.id"))
                        .and_then(as_string)
                })
                .collect()
        };
        assert_eq!(ids("x"), vec!["7", "b"]);
        assert_eq!(ids("y"), vec!["1"]);
        assert_eq!(ids("z"), vec!["first", "second"]);
        assert_eq!(ids("w"), vec!["twice"]);
        assert!(list(&a, "nothing").is_empty());
    }

    #[test]
    fn pyrepr_reader() {
        assert_eq!(
            pyrepr::parse("[{'a': 'it\\'s', 'b': None, 'c': (1, 2.5, True)}]"),
            Some(json!([{"a": "it's", "b": null, "c": [1, 2.5, true]}]))
        );
        assert_eq!(pyrepr::parse("[{'a': "), None);
        assert_eq!(pyrepr::parse(&"[".repeat(1000)), None);
    }
}
