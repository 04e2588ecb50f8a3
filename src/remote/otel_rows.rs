//! One `otel_traces` row → one OTLP/JSON line, which the OTLP adapter ([`crate::ingest::otlp`])
//! then reads like a line of a Collector dump. Going through the same reader is what makes a
//! pulled span and the same span imported from a dump identical in the store.
//!
//! The exporter stores every attribute value as a string (`pcommon.Value.AsString()`); the
//! types come back by shape: `true`/`false` → bool, an integer → int, a decimal number →
//! double, a JSON array → array. Two exceptions keep a string a string: keys that name an id
//! (`*.id`, `*_id`: a user id `12345` is text) and values the shape rule would not give back
//! exactly (`007`, `1e3`). A double that the exporter wrote without a fraction (`1.0` → `1`)
//! comes back as an int: the one loss of the exporter's string columns. The JSON-column
//! variant of the table (attributes as typed JSON objects) keeps its types: nested objects are
//! flattened back to dotted keys.
//!
//! Status codes come in both spellings (`Error`, `STATUS_CODE_ERROR`), kinds too (`Server`,
//! `SPAN_KIND_SERVER`); `Duration` is in ns.

use super::client::{as_i64, quote};
use serde_json::{Map, Value, json};

/// The columns of a span row, in the order [`span_row_to_otlp`] reads them (by name).
pub fn span_columns() -> &'static str {
    "toUnixTimestamp64Nano(Timestamp) AS start_ns, TraceId, SpanId, ParentSpanId, TraceState, \
     SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, \
     Duration, StatusCode, StatusMessage, \
     arrayMap(t -> toUnixTimestamp64Nano(t), `Events.Timestamp`) AS event_ns, \
     `Events.Name` AS event_names, `Events.Attributes` AS event_attrs, \
     `Links.TraceId` AS link_trace_ids, `Links.SpanId` AS link_span_ids, \
     `Links.TraceState` AS link_states, `Links.Attributes` AS link_attrs"
}

/// A SQL list of trace ids.
pub fn id_list(ids: &[String]) -> String {
    ids.iter().map(|i| quote(i)).collect::<Vec<_>>().join(", ")
}

fn s<'a>(row: &'a Value, k: &str) -> &'a str {
    row.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn kind_number(k: &str) -> i64 {
    let k = k.trim().to_ascii_lowercase();
    let k = k.strip_prefix("span_kind_").unwrap_or(&k);
    match k {
        "internal" => 1,
        "server" => 2,
        "client" => 3,
        "producer" => 4,
        "consumer" => 5,
        _ => 0,
    }
}

fn status_number(c: &str) -> i64 {
    let c = c.trim().to_ascii_lowercase();
    let c = c.strip_prefix("status_code_").unwrap_or(&c);
    match c {
        "ok" => 1,
        "error" => 2,
        _ => 0,
    }
}

/// Builds the OTLP/JSON line of one span row.
pub fn span_row_to_otlp(row: &Value) -> Vec<u8> {
    let start = row.get("start_ns").and_then(as_i64).unwrap_or(0);
    let duration = row.get("Duration").and_then(as_i64).unwrap_or(0);
    let mut span = Map::new();
    span.insert("traceId".into(), json!(s(row, "TraceId")));
    span.insert("spanId".into(), json!(s(row, "SpanId")));
    let parent = s(row, "ParentSpanId");
    if !parent.is_empty() {
        span.insert("parentSpanId".into(), json!(parent));
    }
    let state = s(row, "TraceState");
    if !state.is_empty() {
        span.insert("traceState".into(), json!(state));
    }
    span.insert("name".into(), json!(s(row, "SpanName")));
    span.insert("kind".into(), json!(kind_number(s(row, "SpanKind"))));
    span.insert("startTimeUnixNano".into(), json!(start.to_string()));
    span.insert(
        "endTimeUnixNano".into(),
        json!(start.saturating_add(duration).to_string()),
    );
    span.insert("attributes".into(), key_values(row.get("SpanAttributes")));
    let events = zip4(row, ["event_ns", "event_names", "event_attrs", ""])
        .into_iter()
        .map(|[t, name, attrs, _]| {
            json!({
                "timeUnixNano": as_i64(&t).unwrap_or(0).to_string(),
                "name": name.as_str().unwrap_or_default(),
                "attributes": event_key_values(&attrs),
            })
        })
        .collect::<Vec<_>>();
    if !events.is_empty() {
        span.insert("events".into(), Value::Array(events));
    }
    let links = zip4(
        row,
        [
            "link_trace_ids",
            "link_span_ids",
            "link_states",
            "link_attrs",
        ],
    )
    .into_iter()
    .map(|[t, sp, st, attrs]| {
        let mut l = Map::new();
        l.insert("traceId".into(), t);
        l.insert("spanId".into(), sp);
        if st.as_str().is_some_and(|x| !x.is_empty()) {
            l.insert("traceState".into(), st);
        }
        l.insert("attributes".into(), key_values(Some(&attrs)));
        Value::Object(l)
    })
    .collect::<Vec<_>>();
    if !links.is_empty() {
        span.insert("links".into(), Value::Array(links));
    }
    let mut status = Map::new();
    let code = status_number(s(row, "StatusCode"));
    if code != 0 {
        status.insert("code".into(), json!(code));
    }
    let msg = s(row, "StatusMessage");
    if !msg.is_empty() {
        status.insert("message".into(), json!(msg));
    }
    if !status.is_empty() {
        span.insert("status".into(), Value::Object(status));
    }
    let mut scope = Map::new();
    scope.insert("name".into(), json!(s(row, "ScopeName")));
    let version = s(row, "ScopeVersion");
    if !version.is_empty() {
        scope.insert("version".into(), json!(version));
    }
    let doc = json!({"resourceSpans": [{
        "resource": {"attributes": key_values(row.get("ResourceAttributes"))},
        "scopeSpans": [{"scope": scope, "spans": [span]}],
    }]});
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// The parallel arrays of a `Nested` column, element by element (missing arrays are empty;
/// an empty name in `keys` stands for a column that does not exist).
fn zip4(row: &Value, keys: [&str; 4]) -> Vec<[Value; 4]> {
    let arr = |k: &str| -> Vec<Value> {
        row.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let cols: Vec<Vec<Value>> = keys.iter().map(|k| arr(k)).collect();
    let n = cols[0].len();
    (0..n)
        .map(|i| {
            let get = |c: usize| cols[c].get(i).cloned().unwrap_or(Value::Null);
            [get(0), get(1), get(2), get(3)]
        })
        .collect()
}

/// A Map (or JSON) column as OTLP key-values, flattening nested objects to dotted keys.
fn key_values(col: Option<&Value>) -> Value {
    let mut out = Vec::new();
    if let Some(Value::Object(m)) = col {
        flatten("", m, false, &mut out);
    }
    Value::Array(out)
}

/// An event's attributes: there, a compact JSON object is a structured value the exporter
/// flattened (GenAI events carry `message`, `tool_calls` as maps), not text a program wrote.
fn event_key_values(col: &Value) -> Value {
    let mut out = Vec::new();
    if let Value::Object(m) = col {
        flatten("", m, true, &mut out);
    }
    Value::Array(out)
}

fn flatten(prefix: &str, m: &Map<String, Value>, in_event: bool, out: &mut Vec<Value>) {
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) => flatten(&key, inner, in_event, out),
            Value::String(text) if in_event && text.starts_with('{') => {
                let value = match serde_json::from_str::<Value>(text) {
                    Ok(v @ Value::Object(_)) if is_go_json(&v, text) => any_value(&v),
                    _ => typed(&key, text),
                };
                out.push(json!({"key": key, "value": value}));
            }
            Value::String(text) => out.push(json!({"key": key, "value": typed(&key, text)})),
            other => out.push(json!({"key": key, "value": any_value(other)})),
        }
    }
}

/// An OTLP AnyValue for a JSON value of the JSON-column variant (or an array element).
fn any_value(v: &Value) -> Value {
    match v {
        Value::Null => json!({}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n.as_f64().unwrap_or(0.0)}),
        Value::String(s) => json!({"stringValue": s}),
        Value::Array(a) => {
            json!({"arrayValue": {"values": a.iter().map(any_value).collect::<Vec<_>>()}})
        }
        Value::Object(m) => {
            json!({"kvlistValue": {"values": m.iter().map(|(k, v)| json!({"key": k, "value": any_value(v)})).collect::<Vec<_>>()}})
        }
    }
}

/// The AnyValue a string written by `AsString()` most likely came from (see the module doc).
fn typed(key: &str, text: &str) -> Value {
    let id_like = key.ends_with(".id") || key.ends_with("_id") || key == "id";
    if !id_like {
        match text {
            "true" => return json!({"boolValue": true}),
            "false" => return json!({"boolValue": false}),
            _ => {}
        }
        if looks_integer(text)
            && let Ok(i) = text.parse::<i64>()
        {
            return json!({"intValue": i.to_string()});
        }
        if looks_decimal(text)
            && let Ok(f) = text.parse::<f64>()
            && f.is_finite()
        {
            return json!({"doubleValue": f});
        }
        if text.starts_with('[')
            && text.ends_with(']')
            && let Ok(Value::Array(a)) = serde_json::from_str::<Value>(text)
            // AsString() of an array is compact JSON: anything else was a string.
            && is_go_json(&Value::Array(a.clone()), text)
        {
            return any_value(&Value::Array(a));
        }
    }
    json!({"stringValue": text})
}

/// Is `text` exactly what Go's `json.Marshal` writes for `v` (compact, keys sorted, `<`, `>`
/// and `&` escaped)? Only then was it a structured value the exporter turned into text.
fn is_go_json(v: &Value, text: &str) -> bool {
    let Ok(back) = serde_json::to_string(v) else {
        return false;
    };
    let unescaped = text
        .replace("\\u003c", "<")
        .replace("\\u003e", ">")
        .replace("\\u0026", "&");
    back == text || back == unescaped
}

/// `-?(0|[1-9][0-9]*)`: what Go's strconv writes for an int (no `+`, no leading zeros).
fn looks_integer(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    !d.is_empty()
        && d.len() <= 19
        && d.bytes().all(|b| b.is_ascii_digit())
        && (d == "0" || !d.starts_with('0'))
}

/// `-?(0|[1-9][0-9]*)\.[0-9]*[1-9]`: Go's shortest 'f' formatting of a non-integral double.
fn looks_decimal(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    let Some((int, frac)) = d.split_once('.') else {
        return false;
    };
    looks_integer(int)
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !frac.ends_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_get_their_types_back() {
        assert_eq!(typed("n", "12"), json!({"intValue": "12"}));
        assert_eq!(typed("user.id", "12"), json!({"stringValue": "12"}));
        assert_eq!(typed("n", "007"), json!({"stringValue": "007"}));
        assert_eq!(typed("t", "0.5"), json!({"doubleValue": 0.5}));
        assert_eq!(typed("t", "0.50"), json!({"stringValue": "0.50"}));
        assert_eq!(typed("b", "true"), json!({"boolValue": true}));
        assert_eq!(
            typed("a", r#"["stop"]"#),
            json!({"arrayValue": {"values": [{"stringValue": "stop"}]}})
        );
        assert_eq!(typed("a", "[1, 2]"), json!({"stringValue": "[1, 2]"}));
        assert_eq!(typed("s", "{\"a\":1}"), json!({"stringValue": "{\"a\":1}"}));
    }

    #[test]
    fn both_status_spellings() {
        assert_eq!(status_number("Error"), 2);
        assert_eq!(status_number("STATUS_CODE_ERROR"), 2);
        assert_eq!(status_number("Unset"), 0);
        assert_eq!(kind_number("SPAN_KIND_CLIENT"), 3);
        assert_eq!(kind_number("Server"), 2);
    }

    #[test]
    fn a_row_reads_as_an_otlp_span() {
        let row = json!({
            "start_ns": "1000", "TraceId": "aa", "SpanId": "bb", "ParentSpanId": "",
            "SpanName": "chat", "SpanKind": "Client", "ServiceName": "svc",
            "ResourceAttributes": {"service.name": "svc"}, "ScopeName": "s",
            "SpanAttributes": {"gen_ai.usage.input_tokens": "12", "gen_ai": {"system": "openai"}},
            "Duration": 500, "StatusCode": "STATUS_CODE_ERROR", "StatusMessage": "boom",
            "event_ns": [1200], "event_names": ["e"], "event_attrs": [{"k": "v"}],
            "link_trace_ids": [], "link_span_ids": [], "link_states": [], "link_attrs": []
        });
        let spans = crate::ingest::otlp::parse_line(&span_row_to_otlp(&row))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spans.len(), 1);
        let sp = &spans[0];
        assert_eq!(sp.end_ns, Some(1500));
        assert!(sp.is_error());
        assert_eq!(sp.events.len(), 1);
        assert_eq!(sp.usage.as_ref().and_then(|u| u.input), Some(12));
        assert_eq!(sp.service_name.as_deref(), Some("svc"));
    }
}
