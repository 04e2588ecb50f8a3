//! How span payloads are stored: JSON, LZ4-compressed, with the big strings that a source
//! repeats stored once. An OpenInference LLM span carries each message in its raw attributes
//! *and* in the parsed fields; keeping both copies would double what is serialised,
//! compressed and written. So an attribute whose (long) string equals a parsed field is stored
//! as a reference to that field and restored on read: the round trip is exact.

use crate::model::Span;
use serde_json::{Map, Value};

const LZ4: u8 = b'L';
/// Strings shorter than this are cheaper to keep than to reference.
const MIN_SHARED: usize = 128;
const REF_KEY: &str = "$trawl_ref";

/// Serialises and compresses a span (taking its attributes apart to share long strings).
pub fn encode_span(span: &mut Span) -> Result<Vec<u8>, String> {
    let attrs = std::mem::take(&mut span.attributes);
    let mut stored = Map::with_capacity(attrs.len());
    {
        let shared = shared_fields(span);
        for (k, v) in attrs {
            match v {
                Value::String(s) if s.len() >= MIN_SHARED => {
                    match shared.iter().find(|(_, t)| t.len() == s.len() && *t == s) {
                        Some((path, _)) => {
                            let mut m = Map::new();
                            m.insert(REF_KEY.into(), Value::String(path.clone()));
                            stored.insert(k, Value::Object(m));
                        }
                        None => {
                            stored.insert(k, Value::String(s));
                        }
                    }
                }
                other => {
                    stored.insert(k, other);
                }
            }
        }
    }
    span.attributes = stored;
    let json = serde_json::to_vec(&*span).map_err(|e| e.to_string());
    restore_refs(span);
    Ok(encode(&json?))
}

pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() / 3 + 16);
    out.push(LZ4);
    out.extend_from_slice(&lz4_flex::compress_prepend_size(json));
    out
}

/// Decodes a stored payload (compressed, or plain JSON from a hand-edited store).
pub fn decode_span(data: &[u8]) -> Result<Span, String> {
    let mut span: Span = match data.first() {
        Some(&LZ4) => {
            let json =
                lz4_flex::decompress_size_prepended(&data[1..]).map_err(|e| e.to_string())?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())?
        }
        _ => serde_json::from_slice(data).map_err(|e| e.to_string())?,
    };
    restore_refs(&mut span);
    Ok(span)
}

/// Reads a payload into a type that takes some of a span's fields (the rest are skipped
/// unbuilt, which is most of the cost for a big attribute map). References need no restoring:
/// they point from attributes to parsed fields, never the other way.
pub fn decode_fields<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    match data.first() {
        Some(&LZ4) => {
            let json =
                lz4_flex::decompress_size_prepended(&data[1..]).map_err(|e| e.to_string())?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())
        }
        _ => serde_json::from_slice(data).map_err(|e| e.to_string()),
    }
}

/// Long texts held in parsed fields, with a path naming where each lives.
fn shared_fields<'a>(span: &'a Span) -> Vec<(String, &'a str)> {
    let mut out: Vec<(String, &'a str)> = Vec::new();
    let mut add = |path: String, s: &'a str| {
        if s.len() >= MIN_SHARED {
            out.push((path, s));
        }
    };
    if let Some(r) = &span.input {
        add("input".into(), &r.value);
    }
    if let Some(r) = &span.output {
        add("output".into(), &r.value);
    }
    for (i, m) in span.input_messages.iter().enumerate() {
        add(format!("input_messages.{i}"), &m.content);
    }
    for (i, m) in span.output_messages.iter().enumerate() {
        add(format!("output_messages.{i}"), &m.content);
    }
    for (i, d) in span.documents.iter().enumerate() {
        if let Some(c) = &d.content {
            add(format!("documents.{i}"), c);
        }
    }
    if let Some(r) = &span.reranker {
        for (i, d) in r.input_documents.iter().enumerate() {
            if let Some(c) = &d.content {
                add(format!("reranker_in.{i}"), c);
            }
        }
        for (i, d) in r.output_documents.iter().enumerate() {
            if let Some(c) = &d.content {
                add(format!("reranker_out.{i}"), c);
            }
        }
    }
    if let Some(t) = &span.tool {
        if let Some(a) = &t.arguments {
            add("tool_arguments".into(), a);
        }
        if let Some(r) = &t.result {
            add("tool_result".into(), r);
        }
    }
    out
}

fn resolve<'a>(span: &'a Span, path: &str) -> Option<&'a str> {
    let (field, idx) = match path.split_once('.') {
        Some((f, i)) => (f, i.parse::<usize>().ok()),
        None => (path, None),
    };
    let doc = |v: &'a [crate::model::Document]| {
        idx.and_then(|i| v.get(i))
            .and_then(|d| d.content.as_deref())
    };
    match field {
        "input" => span.input.as_ref().map(|r| r.value.as_str()),
        "output" => span.output.as_ref().map(|r| r.value.as_str()),
        "input_messages" => idx
            .and_then(|i| span.input_messages.get(i))
            .map(|m| m.content.as_str()),
        "output_messages" => idx
            .and_then(|i| span.output_messages.get(i))
            .map(|m| m.content.as_str()),
        "documents" => doc(&span.documents),
        "reranker_in" => span.reranker.as_ref().and_then(|r| doc(&r.input_documents)),
        "reranker_out" => span
            .reranker
            .as_ref()
            .and_then(|r| doc(&r.output_documents)),
        "tool_arguments" => span.tool.as_ref().and_then(|t| t.arguments.as_deref()),
        "tool_result" => span.tool.as_ref().and_then(|t| t.result.as_deref()),
        _ => None,
    }
}

fn restore_refs(span: &mut Span) {
    let mut fixes: Vec<(String, String)> = Vec::new();
    for (k, v) in &span.attributes {
        if let Value::Object(m) = v
            && m.len() == 1
            && let Some(Value::String(path)) = m.get(REF_KEY)
            && let Some(text) = resolve(span, path)
        {
            fixes.push((k.clone(), text.to_string()));
        }
    }
    for (k, text) in fixes {
        span.attributes.insert(k, Value::String(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Message, RawValue};

    #[test]
    fn round_trips_exactly_and_shares_long_strings() {
        let long = "the refund policy says ".repeat(20);
        let mut s = Span {
            trace_id: "t".into(),
            span_id: "s".into(),
            input_messages: vec![Message {
                role: "user".into(),
                content: long.clone(),
                ..Default::default()
            }],
            input: Some(RawValue {
                value: format!("{{\"q\": \"{long}\"}}"),
                mime: Some("application/json".into()),
            }),
            ..Default::default()
        };
        s.attributes.insert(
            "llm.input_messages.0.message.content".into(),
            Value::String(long.clone()),
        );
        s.attributes.insert(
            "input.value".into(),
            Value::String(s.input.as_ref().unwrap().value.clone()),
        );
        s.attributes
            .insert("short".into(), Value::String("x".into()));
        let original = s.clone();
        let enc = encode_span(&mut s).unwrap();
        assert_eq!(s, original, "encoding must leave the span as it was");
        let json = lz4_flex::decompress_size_prepended(&enc[1..]).unwrap();
        let text = String::from_utf8(json).unwrap();
        assert_eq!(text.matches(long.as_str()).count(), 2, "{text}");
        assert!(text.contains("$trawl_ref"));
        assert_eq!(decode_span(&enc).unwrap(), original);
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_span(b"L\x05\x00\x00\x00garbage").is_err());
        assert!(decode_span(b"").is_err());
    }
}
