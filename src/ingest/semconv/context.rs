//! The span's context fields: raw input and output, tags and metadata.

use serde_json::{Map, Value};

use super::flat::list;
use super::value::{as_string, parse_jsonish};
use crate::model::RawValue;

pub(super) fn raw_value(attrs: &Map<String, Value>, key: &str, mime_key: &str) -> Option<RawValue> {
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

pub(super) fn tags(attrs: &Map<String, Value>) -> Vec<String> {
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

pub(super) fn metadata(attrs: &Map<String, Value>) -> Option<Value> {
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
