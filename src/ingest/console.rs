//! Python OpenTelemetry `ConsoleSpanExporter` / `span.to_json()` output (formats.md §1.4 item 6):
//! pretty-printed JSON objects, one per span, concatenated. Not OTLP: ids carry a `0x` prefix,
//! kinds are `"SpanKind.CLIENT"`, times are ISO text and attributes are a flat map.

use super::Imported;
use super::semconv;
use super::semconv::value::scalar_string;
use super::util::{clean_hex_id, parse_time_ns};
use crate::model::{Span, SpanEvent, StatusCode};
use serde_json::{Map, Value};

pub const SOURCE_FORMAT: &str = "otel-console";

pub fn parse(bytes: &[u8]) -> Imported {
    let mut out = Imported::default();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let line = line_at(bytes, offset);
                out.records += 1;
                // `to_json` of a list (or a user wrapping spans in an array) is also accepted.
                let items = match v {
                    Value::Array(a) => a,
                    other => vec![other],
                };
                for item in items {
                    match span(&item) {
                        Some(s) => out.spans.push(s),
                        None => out
                            .bad
                            .push((line, "object is not a span (no context.trace_id)".into())),
                    }
                }
            }
            Some(Err(e)) => {
                // The stream cannot resynchronise after a syntax error: report and stop.
                out.bad.push((
                    e.line() as u64,
                    format!("not valid JSON: {e}; the rest of the file was skipped"),
                ));
                break;
            }
        }
    }
    out
}

fn line_at(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    let skip = bytes[end..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    1 + memchr::memchr_iter(b'\n', &bytes[..end + skip]).count() as u64
}

/// The console exporter prints `SpanKind.CLIENT` (any dotted prefix): its last segment, read
/// like an OTLP kind name; "unspecified" says nothing.
fn otel_kind(s: &str) -> Option<u8> {
    let k = s.rsplit('.').next().unwrap_or(s);
    crate::ingest::otlp::span_kind_by_name(k)
        .filter(|&k| k > 0)
        .and_then(|k| u8::try_from(k).ok())
}

fn span(v: &Value) -> Option<Span> {
    let ctx = v.get("context")?;
    let trace_id = ctx
        .get("trace_id")
        .and_then(Value::as_str)
        .and_then(clean_hex_id)?;
    let span_id = ctx
        .get("span_id")
        .and_then(Value::as_str)
        .and_then(clean_hex_id)?;
    let start_ns = v
        .get("start_time")
        .and_then(Value::as_str)
        .and_then(parse_time_ns)
        .unwrap_or(0);
    let resource = match v.get("resource").and_then(|r| r.get("attributes")) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let status = v.get("status");
    let code = status
        .and_then(|s| s.get("status_code"))
        .and_then(Value::as_str)
        .unwrap_or("UNSET");
    let mut span = Span {
        trace_id,
        span_id,
        parent_id: v
            .get("parent_id")
            .and_then(Value::as_str)
            .and_then(clean_hex_id),
        name: v.get("name").and_then(scalar_string).unwrap_or_default(),
        otel_kind: v.get("kind").and_then(Value::as_str).and_then(otel_kind),
        start_ns,
        end_ns: v
            .get("end_time")
            .and_then(Value::as_str)
            .and_then(parse_time_ns),
        status: match code.rsplit('.').next().unwrap_or(code) {
            "OK" => StatusCode::Ok,
            "ERROR" => StatusCode::Error,
            _ => StatusCode::Unset,
        },
        status_message: status
            .and_then(|s| s.get("description"))
            .and_then(scalar_string),
        service_name: resource.get("service.name").and_then(scalar_string),
        resource,
        source_format: SOURCE_FORMAT.into(),
        ..Span::default()
    };
    if let Some(Value::Array(evs)) = v.get("events") {
        span.events = evs
            .iter()
            .map(|e| SpanEvent {
                name: e.get("name").and_then(scalar_string).unwrap_or_default(),
                time_ns: e
                    .get("timestamp")
                    .and_then(Value::as_str)
                    .and_then(parse_time_ns)
                    .unwrap_or(0),
                attributes: match e.get("attributes") {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                },
            })
            .collect();
    }
    let attrs = match v.get("attributes") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    semconv::apply_attributes(&mut span, &attrs);
    span.attributes = attrs;
    semconv::apply_events(&mut span);
    Some(span)
}
