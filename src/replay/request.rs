//! The recorded request of one LLM span, rebuilt from the span as stored: every input message
//! with its role, content parts, tool calls and tool results in order, the tool definitions and
//! the recorded parameters. Pure: no I/O.
//!
//! Messages are kept in the OpenAI chat-completions shape (the canonical form; [`super::wire`]
//! turns it into Anthropic's). They are read from the convention's own attributes first
//! (OpenInference `llm.input_messages`, GenAI `gen_ai.input.messages` with
//! `gen_ai.system_instructions`, OpenLLMetry `gen_ai.prompt`), then from a recorded request
//! payload (`input.value`, Langfuse's `langfuse.observation.input`, an imported input), and
//! last from the parsed messages of the model. A request that cannot be rebuilt in full is
//! refused with the reason ([`Incomplete`]), never sent half-empty.

use super::incomplete::{check_text, looks_cut_json};
use crate::ingest::semconv::flat::{as_list, get, list};
use crate::model::Span;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Parameters a replay carries over (any other recorded key, like `stream`, is left out).
pub const KEPT_PARAMS: &[&str] = &[
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "stop",
    "response_format",
    "seed",
    "tool_choice",
    "parallel_tool_calls",
    "frequency_penalty",
    "presence_penalty",
];

/// A rebuilt request, OpenAI-shaped.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// The requested model (else the one that answered).
    pub model: Option<String>,
    /// The recorded provider (`openai`, `anthropic`, …) when the span says.
    pub provider: Option<String>,
    pub messages: Vec<Value>,
    /// OpenAI tool definitions: `{"type":"function","function":{name, description, parameters}}`.
    pub tools: Vec<Value>,
    /// Only [`KEPT_PARAMS`], as recorded.
    pub params: Map<String, Value>,
    /// Where the messages were read from (`llm.input_messages`, `input.value`, …).
    pub messages_from: String,
}

/// Why a span's request cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Incomplete(pub String);

impl Incomplete {
    pub(super) fn new(s: impl Into<String>) -> Incomplete {
        Incomplete(s.into())
    }
}

/// Rebuilds the request of an LLM span, or says why it cannot.
pub fn from_span(span: &Span) -> Result<RecordedRequest, Incomplete> {
    let attrs = &span.attributes;
    let payload = request_payload(span)?;
    let (messages, messages_from) = recorded_messages(span, payload.as_ref())?;
    if messages.is_empty() {
        return Err(Incomplete::new(
            "no input messages were captured (content capture off in the instrumentation, e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT unset or OpenInference hide_input_messages)",
        ));
    }
    for (i, m) in messages.iter().enumerate() {
        check_message(i, m)?;
    }
    let tools = recorded_tools(attrs, payload.as_ref())?;
    let params = recorded_params(span, payload.as_ref());
    let model = span
        .request_model
        .clone()
        .or_else(|| span.model.clone())
        .or_else(|| {
            payload
                .as_ref()
                .and_then(|p| p.get("model"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    Ok(RecordedRequest {
        model,
        provider: span.provider.clone(),
        messages,
        tools,
        params,
        messages_from,
    })
}

/// A recorded request body (`{messages, tools, …}`) when the span kept one. A payload that was
/// visibly cut off or hidden is a refusal: it is the request itself.
fn request_payload(span: &Span) -> Result<Option<Value>, Incomplete> {
    let candidates = [
        span.attributes.get("input.value").and_then(Value::as_str),
        span.attributes
            .get("langfuse.observation.input")
            .and_then(Value::as_str),
        span.input.as_ref().map(|r| r.value.as_str()),
    ];
    for text in candidates.into_iter().flatten() {
        let t = text.trim();
        if t == "__REDACTED__" {
            return Err(Incomplete::new(
                "the input was hidden by the instrumentation's privacy settings (OpenInference hide_inputs: __REDACTED__)",
            ));
        }
        match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) if v.get("messages").is_some() => return Ok(Some(v)),
            Ok(Value::Array(items)) if items.iter().all(|m| get(m, "role").is_some()) => {
                return Ok(Some(json!({ "messages": items })));
            }
            Ok(_) => {}
            Err(_) if looks_cut_json(t) && t.contains("\"messages\"") => {
                return Err(Incomplete::new(format!(
                    "the recorded request is truncated (its JSON stops after {} characters)",
                    t.chars().count()
                )));
            }
            Err(_) => {}
        }
    }
    Ok(None)
}

fn recorded_messages(
    span: &Span,
    payload: Option<&Value>,
) -> Result<(Vec<Value>, String), Incomplete> {
    let attrs = &span.attributes;
    let oi = list(attrs, "llm.input_messages");
    if !oi.is_empty() {
        return Ok((convert_all(&oi)?, "llm.input_messages".into()));
    }
    let genai = list(attrs, "gen_ai.input.messages");
    if !genai.is_empty() {
        let mut out = Vec::new();
        if let Some(sys) = attrs.get("gen_ai.system_instructions") {
            out.push(system_instructions(sys)?);
        }
        out.extend(convert_all(&genai)?);
        return Ok((out, "gen_ai.input.messages".into()));
    }
    let legacy = list(attrs, "gen_ai.prompt");
    if !legacy.is_empty() {
        return Ok((convert_all(&legacy)?, "gen_ai.prompt".into()));
    }
    if let Some(items) = payload.and_then(|p| p.get("messages")).map(as_list)
        && !items.is_empty()
    {
        let mut out = Vec::new();
        // An Anthropic-shaped payload keeps the system prompt beside the messages.
        if let Some(sys) = payload.and_then(|p| p.get("system")) {
            out.push(system_instructions(sys)?);
        }
        out.extend(convert_all(&items)?);
        return Ok((out, "recorded request payload".into()));
    }
    // Last: the parsed messages (sources whose raw attributes are not OTel's).
    let mut out = Vec::new();
    for m in &span.input_messages {
        let mut v = json!({"role": m.role, "content": m.content});
        if let Some(n) = &m.name {
            v["name"] = json!(n);
        }
        if let Some(id) = &m.tool_call_id {
            v["tool_call_id"] = json!(id);
        }
        if !m.tool_calls.is_empty() {
            v["tool_calls"] = Value::Array(
                m.tool_calls
                    .iter()
                    .map(|c| openai_tool_call(c.id.as_deref(), &c.name, c.arguments.as_deref()))
                    .collect(),
            );
        }
        out.push(v);
    }
    Ok((out, "parsed input messages".into()))
}

fn convert_all(items: &[Value]) -> Result<Vec<Value>, Incomplete> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        out.extend(convert_message(i, item)?);
    }
    Ok(out)
}

/// `gen_ai.system_instructions` (parts, a JSON string of parts, or text) as a system message.
fn system_instructions(v: &Value) -> Result<Value, Incomplete> {
    let parts = match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(p)) => p,
            _ => return Ok(json!({"role": "system", "content": s})),
        },
        other => as_list(other),
    };
    let content = content_from_parts(0, &parts)?.content;
    Ok(json!({"role": "system", "content": content}))
}

/// One stored message as OpenAI chat messages (a GenAI message holding several tool results
/// becomes one `tool` message per result).
fn convert_message(index: usize, item: &Value) -> Result<Vec<Value>, Incomplete> {
    let m = match get(item, "message") {
        Some(inner) if inner.is_object() => inner,
        _ => item,
    };
    if let Value::String(s) = m {
        return Ok(vec![json!({"role": "user", "content": s})]);
    }
    let role = get(m, "role")
        .and_then(Value::as_str)
        .unwrap_or("user")
        .to_string();
    let mut msg = Map::new();
    msg.insert("role".into(), json!(role));
    let mut converted = Converted::default();
    if let Some(parts) = get(m, "parts").or_else(|| get(m, "contents")) {
        converted = content_from_parts(index, &as_list(parts))?;
    }
    match get(m, "content") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => match parts_in_string(s) {
            Some(parts) => converted.merge(content_from_parts(index, &parts)?),
            None => converted.merge(Converted::text(s)),
        },
        Some(Value::Array(parts)) => converted.merge(content_from_parts(index, parts)?),
        Some(other) => converted.merge(content_from_parts(index, &as_list(other))?),
    }
    if let Some(tcs) = get(m, "tool_calls") {
        for tc in as_list(tcs) {
            converted.tool_calls.push(tool_call_value(&tc));
        }
    }
    let Converted {
        content,
        tool_calls,
        tool_results,
    } = converted;
    msg.insert("content".into(), content);
    if let Some(n) = get(m, "name").and_then(Value::as_str) {
        msg.insert("name".into(), json!(n));
    }
    if let Some(id) = get(m, "tool_call_id")
        .or_else(|| get(m, "tool_use_id"))
        .and_then(Value::as_str)
    {
        msg.insert("tool_call_id".into(), json!(id));
    }
    if !tool_calls.is_empty() {
        msg.insert("tool_calls".into(), Value::Array(tool_calls));
        if msg.get("content") == Some(&json!("")) {
            msg.insert("content".into(), Value::Null);
        }
    }
    if !tool_results.is_empty() {
        // GenAI's `tool` message of tool_call_responses, Anthropic's user turn of tool_results:
        // one `tool` message per result, then whatever else the turn said.
        let mut out: Vec<Value> = tool_results
            .into_iter()
            .map(|(id, text)| json!({"role": "tool", "tool_call_id": id, "content": text}))
            .collect();
        if !msg.get("content").is_none_or(Value::is_null) && role != "tool" {
            out.push(Value::Object(msg));
        }
        return Ok(out);
    }
    Ok(vec![Value::Object(msg)])
}

/// Content, tool calls and tool results read from a list of parts.
#[derive(Debug, Default)]
struct Converted {
    /// A string, or an array of OpenAI content parts when the source had several.
    content: Value,
    tool_calls: Vec<Value>,
    tool_results: Vec<(String, String)>,
}

impl Converted {
    fn text(s: &str) -> Converted {
        Converted {
            content: json!(s),
            ..Converted::default()
        }
    }
    fn merge(&mut self, other: Converted) {
        self.content = match (std::mem::take(&mut self.content), other.content) {
            (Value::Null, b) => b,
            (a, Value::Null) => a,
            (a, b) => {
                let mut parts = as_parts(a);
                parts.extend(as_parts(b));
                Value::Array(parts)
            }
        };
        self.tool_calls.extend(other.tool_calls);
        self.tool_results.extend(other.tool_results);
    }
}

fn as_parts(v: Value) -> Vec<Value> {
    match v {
        Value::String(s) => vec![json!({"type": "text", "text": s})],
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

fn content_from_parts(index: usize, parts: &[Value]) -> Result<Converted, Incomplete> {
    let mut out = Converted::default();
    let mut content: Vec<Value> = Vec::new();
    for raw in parts {
        let part = match get(raw, "message_content") {
            Some(inner) if inner.is_object() => inner,
            _ => raw,
        };
        if let Value::String(s) = part {
            content.push(json!({"type": "text", "text": s}));
            continue;
        }
        let ty = get(part, "type")
            .and_then(Value::as_str)
            .unwrap_or("text")
            .to_ascii_lowercase();
        match ty.as_str() {
            "text" | "input_text" | "output_text" => {
                let text = get(part, "text")
                    .or_else(|| get(part, "content"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                content.push(json!({"type": "text", "text": text}));
            }
            "tool_call" | "tool_use" | "function_call" => {
                out.tool_calls.push(tool_call_value(part))
            }
            "tool_call_response" | "tool_result" | "function_call_output" => {
                let id = get(part, "id")
                    .or_else(|| get(part, "tool_use_id"))
                    .or_else(|| get(part, "call_id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let body = get(part, "response")
                    .or_else(|| get(part, "result"))
                    .or_else(|| get(part, "output"))
                    .or_else(|| get(part, "content"));
                let text = match body {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                out.tool_results.push((id, text));
            }
            "image" | "image_url" | "input_image" => {
                let url = get(part, "image.image.url")
                    .or_else(|| get(part, "image.url"))
                    .or_else(|| get(part, "image_url.url"))
                    .or_else(|| get(part, "image_url"))
                    .or_else(|| get(part, "url"))
                    .and_then(Value::as_str);
                if let Some(why) = url.and_then(|u| check_text(u).err()) {
                    return Err(Incomplete::new(format!(
                        "input message {index}: image: {why}"
                    )));
                }
                match url {
                    Some(u) if !u.is_empty() => {
                        content.push(json!({"type": "image_url", "image_url": {"url": u}}))
                    }
                    _ => {
                        return Err(Incomplete::new(format!(
                            "input message {index} has an image whose data was not captured"
                        )));
                    }
                }
            }
            other => {
                return Err(Incomplete::new(format!(
                    "input message {index} has a `{other}` part that trawl cannot re-send verbatim"
                )));
            }
        }
    }
    out.content = match content.len() {
        0 => Value::Null,
        // One text part is what a plain string content records.
        1 if content[0].get("type") == Some(&json!("text")) => content[0]["text"].clone(),
        _ => Value::Array(content),
    };
    Ok(out)
}

/// OpenLLMetry's legacy form keeps multimodal content as a JSON string of parts.
fn parts_in_string(s: &str) -> Option<Vec<Value>> {
    if !s.trim_start().starts_with('[') {
        return None;
    }
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(s) else {
        return None;
    };
    (!items.is_empty()
        && items
            .iter()
            .all(|p| p.get("type").is_some_and(Value::is_string)))
    .then_some(items)
}

fn tool_call_value(v: &Value) -> Value {
    let tc = match get(v, "tool_call") {
        Some(inner) if inner.is_object() => inner,
        _ => v,
    };
    let name = get(tc, "function.name")
        .or_else(|| get(tc, "name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let id = get(tc, "id").and_then(Value::as_str);
    let args = get(tc, "function.arguments")
        .or_else(|| get(tc, "arguments"))
        .or_else(|| get(tc, "input"));
    let args = match args {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    openai_tool_call(id, name, args.as_deref())
}

fn openai_tool_call(id: Option<&str>, name: &str, arguments: Option<&str>) -> Value {
    json!({
        "id": id.unwrap_or_default(),
        "type": "function",
        "function": {"name": name, "arguments": arguments.unwrap_or("{}")}
    })
}

/// Refuses a message whose text was hidden or cut off.
fn check_message(index: usize, m: &Value) -> Result<(), Incomplete> {
    let mut texts: Vec<&str> = Vec::new();
    match m.get("content") {
        Some(Value::String(s)) => texts.push(s),
        Some(Value::Array(parts)) => {
            texts.extend(
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str)),
            );
        }
        _ => {}
    }
    for t in texts {
        check_text(t).map_err(|why| Incomplete::new(format!("input message {index}: {why}")))?;
    }
    let no_content = matches!(m.get("content"), None | Some(Value::Null));
    if no_content && m.get("tool_calls").is_none() {
        return Err(Incomplete::new(format!(
            "input message {index} ({}) has no content: it was not captured",
            m.get("role").and_then(Value::as_str).unwrap_or("?")
        )));
    }
    Ok(())
}

fn recorded_tools(
    attrs: &Map<String, Value>,
    payload: Option<&Value>,
) -> Result<Vec<Value>, Incomplete> {
    let oi = list(attrs, "llm.tools");
    if !oi.is_empty() {
        let mut out = Vec::new();
        for (i, t) in oi.iter().enumerate() {
            let schema = get(t, "tool.json_schema").unwrap_or(t);
            let parsed = match schema {
                Value::String(s) => serde_json::from_str::<Value>(s).map_err(|_| {
                    Incomplete::new(format!(
                        "tool definition {i} is not complete JSON (truncated?)"
                    ))
                })?,
                other => other.clone(),
            };
            out.push(openai_tool(&parsed));
        }
        return Ok(out);
    }
    let defs = list(attrs, "gen_ai.tool.definitions");
    if !defs.is_empty() {
        return Ok(defs.iter().map(openai_tool).collect());
    }
    let functions = list(attrs, "llm.request.functions");
    if !functions.is_empty() {
        return Ok(functions.iter().map(openai_tool).collect());
    }
    Ok(payload
        .and_then(|p| p.get("tools"))
        .map(as_list)
        .unwrap_or_default()
        .iter()
        .map(openai_tool)
        .collect())
}

/// A tool definition in any recorded shape as OpenAI's `{"type":"function","function":{…}}`.
fn openai_tool(t: &Value) -> Value {
    if t.get("function").is_some_and(Value::is_object) {
        return t.clone();
    }
    let mut f = Map::new();
    for k in ["name", "description"] {
        if let Some(v) = t.get(k) {
            f.insert(k.into(), v.clone());
        }
    }
    let params = t
        .get("parameters")
        .or_else(|| t.get("input_schema"))
        .map(|p| match p {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| p.clone()),
            other => other.clone(),
        });
    if let Some(p) = params {
        f.insert("parameters".into(), p);
    }
    json!({"type": "function", "function": f})
}

fn recorded_params(span: &Span, payload: Option<&Value>) -> Map<String, Value> {
    let attrs = &span.attributes;
    let mut out = Map::new();
    let mut take_from = |obj: &Value| {
        for k in KEPT_PARAMS {
            if let Some(v) = obj.get(*k)
                && !v.is_null()
                && !out.contains_key(*k)
            {
                out.insert((*k).to_string(), v.clone());
            }
        }
    };
    for key in [
        "llm.invocation_parameters",
        "langfuse.observation.model.parameters",
    ] {
        if let Some(v) = attrs.get(key) {
            match v {
                Value::String(s) => {
                    if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                        take_from(&parsed);
                    }
                }
                other => take_from(other),
            }
        }
    }
    // GenAI: gen_ai.request.* (OpenLLMetry writes the same names).
    let genai: Map<String, Value> = [
        ("temperature", "gen_ai.request.temperature"),
        ("max_tokens", "gen_ai.request.max_tokens"),
        ("top_p", "gen_ai.request.top_p"),
        ("stop", "gen_ai.request.stop_sequences"),
        ("seed", "gen_ai.request.seed"),
        ("frequency_penalty", "gen_ai.request.frequency_penalty"),
        ("presence_penalty", "gen_ai.request.presence_penalty"),
    ]
    .iter()
    .filter_map(|(k, a)| attrs.get(*a).map(|v| ((*k).to_string(), v.clone())))
    .collect();
    take_from(&Value::Object(genai));
    // GenAI records only the kind of output asked for; `json` is OpenAI's JSON mode.
    if attrs.get("gen_ai.output.type").and_then(Value::as_str) == Some("json") {
        take_from(&json!({"response_format": {"type": "json_object"}}));
    }
    if let Some(p) = &span.invocation_params {
        take_from(p);
    }
    if let Some(p) = payload {
        take_from(p);
    }
    out
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
