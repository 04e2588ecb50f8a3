//! Spans back to OTLP/JSON: one `ExportTraceServiceRequest` object per trace, one per line, the
//! shape the Collector's `file` exporter writes and [`crate::ingest::otlp`] reads.
//!
//! A span's raw `attributes` and `events` are written as they were imported when the importer's
//! rules read them back as the same parsed fields (messages, usage, reported cost, session,
//! tags…): spans from OTLP and Phoenix. Spans from other sources (llm's logs, LangSmith,
//! Langfuse) get OpenInference attributes built from the unified model instead, and hex ids
//! in place of their UUIDs/ULIDs, so a round trip through `trawl import` shows the same traces.
//! Computed costs are not written: the importer recomputes them from the same price table.
//!
//! Encoding follows the OTLP/JSON mapping: hex ids, int64 as decimal strings, enums as integers,
//! camelCase keys, and attribute values as `AnyValue` objects (JSON integers → `intValue`,
//! other numbers → `doubleValue`, objects → `kvlistValue`, arrays → `arrayValue`, null → `{}`).

use super::{openinference, otlp_ids};
use crate::model::{Span, StatusCode};
use serde_json::{Map, Value, json};

/// One trace as a single OTLP/JSON request object. Spans are grouped by resource, then by
/// instrumentation scope, in the order they first appear.
pub fn trace_request(spans: &[Span]) -> Value {
    // (resource, [(scope name, scope version, [span json])]); the number of distinct resources
    // and scopes in a trace is tiny, so linear search beats hashing JSON maps.
    type ScopeGroup<'a> = (Option<&'a str>, Option<&'a str>, Vec<Value>);
    let mut groups: Vec<(&Map<String, Value>, Vec<ScopeGroup<'_>>)> = Vec::new();
    for s in spans {
        let gi = match groups.iter().position(|(r, _)| *r == &s.resource) {
            Some(i) => i,
            None => {
                groups.push((&s.resource, Vec::new()));
                groups.len() - 1
            }
        };
        let scopes = &mut groups[gi].1;
        let (name, version) = (s.scope_name.as_deref(), s.scope_version.as_deref());
        let si = match scopes
            .iter()
            .position(|(n, v, _)| *n == name && *v == version)
        {
            Some(i) => i,
            None => {
                scopes.push((name, version, Vec::new()));
                scopes.len() - 1
            }
        };
        scopes[si].2.push(span_json(s));
    }
    let resource_spans: Vec<Value> = groups
        .into_iter()
        .map(|(resource, scopes)| {
            let scope_spans: Vec<Value> = scopes
                .into_iter()
                .map(|(name, version, spans)| {
                    let mut scope = Map::new();
                    if let Some(n) = name {
                        scope.insert("name".into(), json!(n));
                    }
                    if let Some(v) = version {
                        scope.insert("version".into(), json!(v));
                    }
                    json!({"scope": scope, "spans": spans})
                })
                .collect();
            json!({
                "resource": {"attributes": key_values(resource)},
                "scopeSpans": scope_spans,
            })
        })
        .collect();
    json!({ "resourceSpans": resource_spans })
}

/// One span in OTLP/JSON. Attributes are the raw ones when they read back as what the store
/// shows, else OpenInference ones ([`openinference`]); ids that are not OTLP hex are hashed
/// ([`otlp_ids`]) and the originals kept as attributes.
pub fn span_json(s: &Span) -> Value {
    let mut attributes = if openinference::needs_rewrite(s) {
        openinference::attributes(s)
    } else {
        s.attributes.clone()
    };
    let trace_id = otlp_ids::trace_id(&s.trace_id);
    if trace_id != s.trace_id {
        attributes
            .entry(otlp_ids::ORIGINAL_TRACE_ID)
            .or_insert_with(|| json!(s.trace_id));
    }
    let span_id = otlp_ids::span_id(&s.trace_id, &s.span_id);
    if span_id != s.span_id {
        attributes
            .entry(otlp_ids::ORIGINAL_SPAN_ID)
            .or_insert_with(|| json!(s.span_id));
    }
    let parent_id = s
        .parent_id
        .as_deref()
        .map(|p| otlp_ids::span_id(&s.trace_id, p));
    let rewritten = trace_id != s.trace_id
        || span_id != s.span_id
        || parent_id.as_deref() != s.parent_id.as_deref();
    if rewritten {
        attributes
            .entry(otlp_ids::ORIGINAL_PARENT_SPAN_ID)
            .or_insert_with(|| json!(s.parent_id.as_deref().unwrap_or("")));
    }
    let mut o = Map::new();
    o.insert("traceId".into(), json!(trace_id));
    o.insert("spanId".into(), json!(span_id));
    if let Some(p) = parent_id {
        o.insert("parentSpanId".into(), json!(p));
    }
    o.insert("name".into(), json!(s.name));
    if let Some(k) = s.otel_kind {
        o.insert("kind".into(), json!(k));
    }
    o.insert("startTimeUnixNano".into(), json!(s.start_ns.to_string()));
    if let Some(e) = s.end_ns {
        o.insert("endTimeUnixNano".into(), json!(e.to_string()));
    }
    o.insert("attributes".into(), key_values(&attributes));
    if !s.events.is_empty() {
        let events: Vec<Value> = s
            .events
            .iter()
            .map(|e| {
                json!({
                    "timeUnixNano": e.time_ns.to_string(),
                    "name": e.name,
                    "attributes": key_values(&e.attributes),
                })
            })
            .collect();
        o.insert("events".into(), Value::Array(events));
    }
    let code = match s.status {
        StatusCode::Unset => 0,
        StatusCode::Ok => 1,
        StatusCode::Error => 2,
    };
    let mut status = Map::new();
    if code != 0 {
        status.insert("code".into(), json!(code));
    }
    if let Some(m) = &s.status_message {
        status.insert("message".into(), json!(m));
    }
    o.insert("status".into(), Value::Object(status));
    Value::Object(o)
}

/// A flat attribute map as an OTLP `[{key, value: AnyValue}]` list.
pub fn key_values(m: &Map<String, Value>) -> Value {
    Value::Array(
        m.iter()
            .map(|(k, v)| json!({"key": k, "value": any_value(v)}))
            .collect(),
    )
}

/// A JSON value as an OTLP `AnyValue`.
pub fn any_value(v: &Value) -> Value {
    match v {
        Value::Null => json!({}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) => {
            // serde_json keeps integers and floats apart, and the importer stores an
            // `intValue` as an integer and a `doubleValue` as a float, so the kind survives.
            if let Some(i) = n.as_i64() {
                json!({"intValue": i.to_string()})
            } else if let Some(u) = n.as_u64() {
                json!({"intValue": u.to_string()})
            } else {
                json!({"doubleValue": n})
            }
        }
        Value::String(s) => json!({"stringValue": s}),
        Value::Array(a) => {
            json!({"arrayValue": {"values": a.iter().map(any_value).collect::<Vec<_>>()}})
        }
        Value::Object(m) => json!({"kvlistValue": {"values": key_values(m)}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_values_keep_their_kind() {
        let v = json!({"i": 7, "f": 0.0, "s": "x", "b": true, "n": null, "a": [1, 2.5], "o": {}});
        let Value::Object(m) = v else { unreachable!() };
        let kv = key_values(&m);
        let text = kv.to_string();
        assert!(text.contains(r#"{"intValue":"7"}"#), "{text}");
        assert!(text.contains(r#"{"doubleValue":0.0}"#), "{text}");
        assert!(text.contains(r#"{"kvlistValue":{"values":[]}}"#), "{text}");
        assert!(text.contains(r#""value":{}"#), "{text}");
    }
}
