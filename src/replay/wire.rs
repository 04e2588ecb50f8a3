//! A rebuilt request on the wire (OpenAI chat completions or Anthropic messages), the
//! overrides a replay applies to it, and the answer read back. Pure: no I/O.

use super::request::RecordedRequest;
use crate::judge::ProviderKind;
use crate::model::{ToolCall, Usage};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Anthropic requires `max_tokens`; used when the recording had none.
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u64 = 1024;

/// What a replay changes. Everything not named here is sent as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Replaces the system message (or adds one first when there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Parameters set (`--set temperature=0`), in the order given.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub set: Map<String, Value>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.model.is_none() && self.system.is_none() && self.set.is_empty()
    }

    /// Parses `KEY=VALUE`; the value is JSON when it parses as JSON (`0`, `[".."]`, `null`),
    /// else a string.
    pub fn parse_set(s: &str) -> Result<(String, Value), String> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--set {s}: expected KEY=VALUE"))?;
        let k = k.trim();
        if k.is_empty() || matches!(k, "model" | "messages" | "tools" | "system" | "stream") {
            return Err(format!(
                "--set {s}: `{k}` cannot be set (use --model or --system-file for those)"
            ));
        }
        let value = serde_json::from_str(v.trim()).unwrap_or_else(|_| Value::String(v.into()));
        Ok((k.to_string(), value))
    }
}

/// The request with the overrides applied: exactly what they name changes.
pub fn apply(req: &RecordedRequest, o: &Overrides) -> RecordedRequest {
    let mut out = req.clone();
    if let Some(m) = &o.model {
        out.model = Some(m.clone());
    }
    if let Some(sys) = &o.system {
        match out
            .messages
            .iter_mut()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("system"))
        {
            Some(m) => m["content"] = json!(sys),
            None => out
                .messages
                .insert(0, json!({"role": "system", "content": sys})),
        }
    }
    for (k, v) in &o.set {
        if v.is_null() {
            out.params.remove(k);
        } else {
            out.params.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The request body in `kind`'s wire format.
pub fn body(req: &RecordedRequest, kind: ProviderKind, fallback_model: &str) -> Value {
    let model = req.model.clone().unwrap_or_else(|| fallback_model.into());
    match kind {
        ProviderKind::OpenAi => openai_body(req, &model),
        ProviderKind::Anthropic => anthropic_body(req, &model),
    }
}

fn openai_body(req: &RecordedRequest, model: &str) -> Value {
    let mut b = Map::new();
    b.insert("model".into(), json!(model));
    b.insert("messages".into(), Value::Array(req.messages.clone()));
    if !req.tools.is_empty() {
        b.insert("tools".into(), Value::Array(req.tools.clone()));
    }
    for (k, v) in &req.params {
        b.insert(k.clone(), v.clone());
    }
    Value::Object(b)
}

fn anthropic_body(req: &RecordedRequest, model: &str) -> Value {
    let mut system: Vec<String> = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    for m in &req.messages {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
        match role {
            "system" | "developer" => system.push(text_of(m.get("content"))),
            "tool" => {
                let block = json!({
                    "type": "tool_result",
                    "tool_use_id": m.get("tool_call_id").cloned().unwrap_or(json!("")),
                    "content": text_of(m.get("content")),
                });
                // Consecutive tool results travel in one user turn.
                match messages.last_mut() {
                    Some(last)
                        if last["role"] == "user"
                            && last["content"]
                                .as_array()
                                .is_some_and(|c| c.iter().all(|b| b["type"] == "tool_result")) =>
                    {
                        if let Some(a) = last["content"].as_array_mut() {
                            a.push(block);
                        }
                    }
                    _ => messages.push(json!({"role": "user", "content": [block]})),
                }
            }
            _ => {
                let role = if role == "assistant" {
                    "assistant"
                } else {
                    "user"
                };
                let calls = m.get("tool_calls").and_then(Value::as_array);
                let content = match (m.get("content"), calls) {
                    (Some(Value::String(s)), None) => json!(s),
                    (c, calls) => {
                        let mut blocks = anthropic_blocks(c);
                        for tc in calls.into_iter().flatten() {
                            let args = tc.pointer("/function/arguments").and_then(Value::as_str);
                            blocks.push(json!({
                                "type": "tool_use",
                                "id": tc.get("id").cloned().unwrap_or(json!("")),
                                "name": tc.pointer("/function/name").cloned().unwrap_or(json!("")),
                                "input": args.and_then(|a| serde_json::from_str::<Value>(a).ok()).unwrap_or(json!({})),
                            }));
                        }
                        Value::Array(blocks)
                    }
                };
                messages.push(json!({"role": role, "content": content}));
            }
        }
    }
    let mut b = Map::new();
    b.insert("model".into(), json!(model));
    if !system.is_empty() {
        b.insert("system".into(), json!(system.join("\n\n")));
    }
    b.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let f = t.get("function").unwrap_or(t);
                let mut a = Map::new();
                a.insert("name".into(), f.get("name").cloned().unwrap_or(json!("")));
                if let Some(d) = f.get("description") {
                    a.insert("description".into(), d.clone());
                }
                a.insert(
                    "input_schema".into(),
                    f.get("parameters")
                        .cloned()
                        .unwrap_or(json!({"type": "object"})),
                );
                Value::Object(a)
            })
            .collect();
        b.insert("tools".into(), Value::Array(tools));
    }
    let p = &req.params;
    let max = p
        .get("max_tokens")
        .or_else(|| p.get("max_completion_tokens"))
        .cloned()
        .unwrap_or(json!(ANTHROPIC_DEFAULT_MAX_TOKENS));
    b.insert("max_tokens".into(), max);
    for k in ["temperature", "top_p"] {
        if let Some(v) = p.get(k) {
            b.insert(k.into(), v.clone());
        }
    }
    if let Some(stop) = p.get("stop") {
        let seqs = match stop {
            Value::String(s) => json!([s]),
            other => other.clone(),
        };
        b.insert("stop_sequences".into(), seqs);
    }
    if let Some(tc) = p.get("tool_choice") {
        let choice = match tc {
            Value::String(s) if s == "required" => Some(json!({"type": "any"})),
            Value::String(s) if s == "auto" || s == "none" => Some(json!({"type": s})),
            Value::Object(_) => tc
                .pointer("/function/name")
                .map(|n| json!({"type": "tool", "name": n})),
            _ => None,
        };
        if let Some(c) = choice {
            b.insert("tool_choice".into(), c);
        }
    }
    // Keys Anthropic has no counterpart for (seed, response_format, penalties) are not sent;
    // other keys set explicitly with --set are passed through as named.
    for (k, v) in p {
        let mapped = [
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "stop",
            "tool_choice",
            "seed",
            "response_format",
            "frequency_penalty",
            "presence_penalty",
            "parallel_tool_calls",
        ];
        if !mapped.contains(&k.as_str()) {
            b.insert(k.clone(), v.clone());
        }
    }
    Value::Object(b)
}

fn anthropic_blocks(content: Option<&Value>) -> Vec<Value> {
    match content {
        Some(Value::String(s)) if !s.is_empty() => vec![json!({"type": "text", "text": s})],
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| match p.get("type").and_then(Value::as_str) {
                Some("text") => Some(
                    json!({"type": "text", "text": p.get("text").cloned().unwrap_or(json!(""))}),
                ),
                Some("image_url") => p
                    .pointer("/image_url/url")
                    .map(|u| json!({"type": "image", "source": {"type": "url", "url": u}})),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A replayed answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Answer {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// The model the server says answered.
    pub model: Option<String>,
    pub usage: Usage,
    pub finish_reason: Option<String>,
}

/// Reads a successful answer body.
pub fn read_answer(kind: ProviderKind, v: &Value) -> Answer {
    let model = v.get("model").and_then(Value::as_str).map(str::to_string);
    let int = |p: &str| v.pointer(p).and_then(Value::as_i64);
    match kind {
        ProviderKind::OpenAi => {
            let msg = v.pointer("/choices/0/message");
            let tool_calls = openai_tool_calls(msg.and_then(|m| m.get("tool_calls")));
            Answer {
                text: msg
                    .and_then(|m| m.get("content"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                tool_calls,
                model,
                usage: Usage {
                    input: int("/usage/prompt_tokens"),
                    output: int("/usage/completion_tokens"),
                    total: int("/usage/total_tokens"),
                    cache_read: int("/usage/prompt_tokens_details/cached_tokens"),
                    reasoning: int("/usage/completion_tokens_details/reasoning_tokens"),
                    ..Usage::default()
                },
                finish_reason: v
                    .pointer("/choices/0/finish_reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        }
        ProviderKind::Anthropic => {
            let blocks = v
                .get("content")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let text = blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n");
            let tool_calls = blocks
                .iter()
                .filter(|b| b["type"] == "tool_use")
                .map(|b| ToolCall {
                    id: b.get("id").and_then(Value::as_str).map(str::to_string),
                    name: b
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    arguments: b.get("input").map(Value::to_string),
                })
                .collect();
            let (inp, cr, cw) = (
                int("/usage/input_tokens"),
                int("/usage/cache_read_input_tokens"),
                int("/usage/cache_creation_input_tokens"),
            );
            Answer {
                text,
                tool_calls,
                model,
                // Anthropic's input_tokens exclude cache reads/writes; trawl's Usage is inclusive.
                usage: Usage {
                    input: inp.map(|i| i + cr.unwrap_or(0) + cw.unwrap_or(0)),
                    output: int("/usage/output_tokens"),
                    cache_read: cr,
                    cache_write: cw,
                    ..Usage::default()
                },
                finish_reason: v
                    .get("stop_reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        }
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;

/// The `tool_calls` array of an OpenAI chat message (a response's or a recorded request's).
pub(crate) fn openai_tool_calls(calls: Option<&Value>) -> Vec<ToolCall> {
    let Some(calls) = calls.and_then(Value::as_array) else {
        return Vec::new();
    };
    calls
        .iter()
        .map(|c| ToolCall {
            id: c.get("id").and_then(Value::as_str).map(str::to_string),
            name: c
                .pointer("/function/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            arguments: c
                .pointer("/function/arguments")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
        .collect()
}
