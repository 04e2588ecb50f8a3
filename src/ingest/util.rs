//! Small helpers shared by the non-OTLP adapters: lenient timestamps, raw values for the
//! inspector, chat messages from the free-form JSON that Langfuse and LangSmith store, and
//! flattening of nested attribute objects (Phoenix) into the dotted keys that
//! [`super::semconv`] reads. Scalar and structured values are read with
//! [`super::semconv::value`], the one lenient value reader.

use crate::model::{Message, RawValue, Span, ToolCall, ToolInfo};
use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Value};

/// A tool span from a source that records only the tool's name and its raw input and output
/// (Langfuse TOOL observations, LangSmith tool runs).
pub fn tool_from_io(span: &Span) -> ToolInfo {
    ToolInfo {
        name: Some(span.name.clone()),
        arguments: span.input.as_ref().map(|r| r.value.clone()),
        result: span.output.as_ref().map(|r| r.value.clone()),
        ..ToolInfo::default()
    }
}

/// Parses an ISO-8601 / SQL timestamp into Unix nanoseconds. Text without an offset is UTC
/// (formats.md §10.5); `T` or space separators and any fraction are accepted.
pub fn parse_time_ns(s: &str) -> Option<i64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return d.timestamp_nanos_opt();
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, fmt) {
            return d.timestamp_nanos_opt();
        }
    }
    let naive = t.trim_end_matches('Z');
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, fmt) {
            return d.and_utc().timestamp_nanos_opt();
        }
    }
    None
}

/// A timestamp given as ISO text or as a number (seconds, ms, µs or ns since the epoch).
pub fn value_time_ns(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => parse_time_ns(s),
        Value::Number(n) => {
            let f = n.as_f64()?;
            // Guess the unit from the magnitude; all of them put "now" in a distinct range.
            let ns = if f > 1e17 {
                f
            } else if f > 1e14 {
                f * 1e3
            } else if f > 1e11 {
                f * 1e6
            } else {
                f * 1e9
            };
            Some(ns as i64)
        }
        _ => None,
    }
}

/// A value shown raw in the inspector: strings as text, everything else as JSON.
pub fn raw_value(v: &Value) -> Option<RawValue> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(RawValue {
            value: s.clone(),
            mime: Some("text/plain".into()),
        }),
        other => Some(RawValue {
            value: other.to_string(),
            mime: Some("application/json".into()),
        }),
    }
}

/// Text of a message `content`: a string, or the text parts of a content array.
pub fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let mut out = String::new();
            for it in items {
                let t = match it {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("text").and_then(Value::as_str),
                    _ => None,
                };
                if let Some(t) = t {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(t);
                }
            }
            out
        }
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Maps LangChain message types onto chat roles.
fn role_name(r: &str) -> String {
    match r.to_ascii_lowercase().as_str() {
        "human" | "humanmessage" | "humanmessagechunk" => "user".into(),
        "ai" | "aimessage" | "aimessagechunk" => "assistant".into(),
        "systemmessage" => "system".into(),
        "toolmessage" => "tool".into(),
        other => other.to_string(),
    }
}

/// One chat message from OpenAI (`role`/`content`/`tool_calls`), LangChain (`type`, or the
/// serialised `{lc, id:[…,"HumanMessage"], kwargs}`) or similar shapes. `None` when `v` does not
/// look like a message.
pub fn message_from(v: &Value) -> Option<Message> {
    let o = v.as_object()?;
    // LangChain's serialised form keeps the fields under `kwargs`.
    if let Some(Value::Object(kw)) = o.get("kwargs") {
        let mut kw = kw.clone();
        if !kw.contains_key("role") && !kw.contains_key("type") {
            let class = o
                .get("id")
                .and_then(Value::as_array)
                .and_then(|a| a.last())
                .and_then(Value::as_str)
                .unwrap_or("");
            kw.insert("role".into(), Value::String(role_name(class)));
        }
        return message_from(&Value::Object(kw));
    }
    let role = o
        .get("role")
        .and_then(Value::as_str)
        .or_else(|| o.get("type").and_then(Value::as_str))?;
    let mut m = Message {
        role: role_name(role),
        content: o.get("content").map(content_text).unwrap_or_default(),
        name: o.get("name").and_then(Value::as_str).map(str::to_string),
        tool_call_id: o
            .get("tool_call_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..Message::default()
    };
    let calls = o
        .get("tool_calls")
        .or_else(|| o.get("additional_kwargs").and_then(|k| k.get("tool_calls")));
    if let Some(Value::Array(calls)) = calls {
        for c in calls {
            let f = c.get("function").unwrap_or(c);
            let Some(name) = f.get("name").and_then(Value::as_str) else {
                continue;
            };
            let args = f.get("arguments").or_else(|| f.get("args"));
            m.tool_calls.push(ToolCall {
                id: c.get("id").and_then(Value::as_str).map(str::to_string),
                name: name.to_string(),
                arguments: args.map(|a| match a {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            });
        }
    }
    Some(m)
}

/// Messages from a free-form input or output payload: a message, a list of messages (possibly
/// nested one level, as LangSmith's batched `[[…]]`), or an object with `messages`.
pub fn messages_from(v: &Value) -> Vec<Message> {
    match v {
        Value::Array(items) => {
            let mut out = Vec::new();
            for it in items {
                match it {
                    Value::Array(_) => out.extend(messages_from(it)),
                    other => match message_from(other) {
                        Some(m) => out.push(m),
                        None => return Vec::new(),
                    },
                }
            }
            out
        }
        Value::Object(o) => {
            if let Some(ms) = o.get("messages") {
                return messages_from(ms);
            }
            message_from(v).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// Keys under which Phoenix keeps a whole JSON object (parsed from a JSON string at ingest):
/// flattening them would lose the object semconv expects.
const KEEP_WHOLE: &[&str] = &[
    "metadata",
    "document.metadata",
    "llm.prompt_template.variables",
    "tool.parameters",
    "llm.invocation_parameters",
    "embedding.invocation_parameters",
];

/// Flattens nested attributes (`{"llm":{"input_messages":[{"message":{…}}]}}`) into dotted keys
/// (`llm.input_messages.0.message.role`). Arrays of objects get index segments; arrays of
/// primitives stay arrays (`tag.tags`), as in OTLP.
pub fn flatten_attributes(v: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(o) = v {
        for (k, v) in o {
            flatten_into(k.clone(), v, &mut out);
        }
    }
    out
}

fn flatten_into(prefix: String, v: &Value, out: &mut Map<String, Value>) {
    let keep = KEEP_WHOLE
        .iter()
        .any(|k| prefix == *k || prefix.ends_with(&format!(".{k}")));
    match v {
        Value::Object(o) if !keep && !o.is_empty() => {
            for (k, child) in o {
                flatten_into(format!("{prefix}.{k}"), child, out);
            }
        }
        Value::Array(a) if !keep && a.iter().any(|x| x.is_object()) => {
            for (i, child) in a.iter().enumerate() {
                flatten_into(format!("{prefix}.{i}"), child, out);
            }
        }
        other => {
            out.insert(prefix, other.clone());
        }
    }
}

/// Lowercase hex without a `0x` prefix; `None` for empty or all-zero ids.
pub fn clean_hex_id(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if t.is_empty() || t.bytes().all(|b| b == b'0') {
        return None;
    }
    Some(t.to_ascii_lowercase())
}

/// Records numbered by line (JSON Lines) or position (arrays).
pub type Records = Vec<(u64, Value)>;
/// Unusable records: (number, reason).
pub type BadRecords = Vec<(u64, String)>;

/// Records of a JSON document or JSON Lines file: a top-level array gives its elements, a
/// single object gives itself, and anything else is read line by line (with line numbers for
/// the bad ones). Records are numbered by line for JSON Lines and by position otherwise.
pub fn json_records(bytes: &[u8]) -> (Records, BadRecords) {
    let mut bad = Vec::new();
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return (Vec::new(), bad);
    };
    let body = &bytes[start..];
    if body[0] == b'[' {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => (
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i as u64 + 1, v))
                    .collect(),
                bad,
            ),
            Ok(other) => (vec![(1, other)], bad),
            Err(e) => {
                bad.push((0, format!("not valid JSON: {e}")));
                (Vec::new(), bad)
            }
        };
    }
    // One (possibly pretty-printed) document is the common case for downloads.
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return (vec![(1, v)], bad);
    }
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => out.push((i as u64 + 1, v)),
            Err(e) => bad.push((i as u64 + 1, format!("not valid JSON: {e}"))),
        }
    }
    (out, bad)
}

/// Time to first token from a record's first-token timestamp field `key` (RFC 3339), relative
/// to the span's start; never negative.
pub(crate) fn ttft_from(o: &serde_json::Value, key: &str, start_ns: i64) -> Option<i64> {
    let first = o.get(key)?.as_str().and_then(parse_time_ns)?;
    Some((first - start_ns).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times() {
        let a = parse_time_ns("2025-01-01T12:00:00.000Z");
        assert_eq!(a, Some(1_735_732_800_000_000_000));
        assert_eq!(parse_time_ns("2025-01-01 12:00:00.000000"), a);
        assert_eq!(parse_time_ns("2025-01-01T12:00:00"), a);
        assert_eq!(parse_time_ns("2025-01-01 12:00:00+00:00"), a);
        assert_eq!(parse_time_ns("junk"), None);
    }

    #[test]
    fn flattens_nested_attributes() {
        let v = json!({"llm":{"input_messages":[{"message":{"role":"user"}}],"token_count":{"prompt":3}},
            "tag":{"tags":["a"]},"metadata":{"x":1}});
        let f = flatten_attributes(&v);
        assert_eq!(f["llm.input_messages.0.message.role"], json!("user"));
        assert_eq!(f["llm.token_count.prompt"], json!(3));
        assert_eq!(f["tag.tags"], json!(["a"]));
        assert_eq!(f["metadata"], json!({"x":1}));
    }

    #[test]
    fn langchain_messages() {
        let v = json!([[{"type":"human","content":"hi"},
            {"lc":1,"id":["langchain","schema","messages","AIMessage"],"kwargs":{"content":"yo"}}]]);
        let m = messages_from(&v);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].role, "user");
        assert_eq!(m[1].role, "assistant");
        assert_eq!(m[1].content, "yo");
    }
}
