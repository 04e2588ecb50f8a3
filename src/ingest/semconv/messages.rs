//! Input and output messages: every list shape in the wild, content parts, tool calls, and
//! placeholders for media (never base64 in message text).

use serde_json::{Map, Value};

use super::flat::{as_list, get, list};
use super::value::{as_string, parse_jsonish, stringify, trim_id};
use super::{Conv, GEN, LEG, OI};
use crate::model::{Message, ToolCall};

/// Input and output messages by precedence, each side on its own.
pub(super) fn messages(attrs: &Map<String, Value>) -> (Vec<Message>, Vec<Message>, Option<Conv>) {
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

pub(super) fn message_list(items: &[Value]) -> Vec<Message> {
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
pub(super) fn message_from(item: &Value) -> Option<Message> {
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
