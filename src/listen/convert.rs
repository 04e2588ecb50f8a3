//! A decoded protobuf request (HTTP protobuf and gRPC) straight to spans, without the detour
//! through OTLP/JSON text.
//!
//! Every value is mapped exactly as the OTLP/JSON reader maps that value's JSON form (ids to
//! lowercase hex, empty or all-zero ids absent, 64-bit integers clamped, bytes as base64,
//! `kvlist` as an object, the last of duplicate keys winning), and the span itself is built by
//! the reader's own [`otlp::build_span`], so a span received live and the same span read from a
//! dump are equal in the store. The tests check this against the JSON route for whole requests.
//!
//! One deliberate difference: a NaN or infinite double, which JSON numbers cannot hold, is kept
//! as the string `"NaN"`, `"Infinity"` or `"-Infinity"` (what OTLP/JSON writers emit and the
//! reader keeps), and reported as a warning, instead of failing the whole request.

use std::collections::HashSet;

use base64::Engine as _;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use serde_json::{Map, Number, Value};

use super::decode::{Received, summarize};
use crate::ingest::otlp::{self, SpanContext, SpanFields, SpanProblem};
use crate::model::SpanEvent;

/// Reads every span of a decoded request; a span that cannot be read costs only itself. Takes
/// the request by value: its strings move into the spans instead of being copied.
pub fn from_request(request: ExportTraceServiceRequest) -> Received {
    let mut spans = Vec::new();
    let mut problems = Vec::new();
    let mut index = 0usize;
    for rs in request.resource_spans {
        let mut notes = Vec::new();
        let resource = match rs.resource {
            Some(r) => attributes(r.attributes, &mut notes),
            None => Map::new(),
        };
        problems.extend(notes.into_iter().map(|reason| SpanProblem {
            span: None,
            reason: format!("resource {reason}"),
        }));
        let service_name = resource.get("service.name").and_then(Value::as_str);
        for ss in rs.scope_spans {
            let (scope_name, scope_version) = match &ss.scope {
                Some(s) => (Some(s.name.as_str()), Some(s.version.as_str())),
                None => (None, None),
            };
            let context = SpanContext {
                resource: &resource,
                service_name,
                scope_name,
                scope_version,
            };
            for raw in ss.spans {
                let mut notes = Vec::new();
                let fields = span_fields(raw, &mut notes);
                match otlp::build_span(fields, &context) {
                    Ok(span) => {
                        problems.extend(notes.into_iter().map(|reason| SpanProblem {
                            span: Some(index),
                            reason,
                        }));
                        spans.push(span);
                    }
                    Err(reason) => problems.push(SpanProblem {
                        span: Some(index),
                        reason,
                    }),
                }
                index += 1;
            }
        }
    }
    let traces = spans
        .iter()
        .map(|s| s.trace_id.as_str())
        .collect::<HashSet<_>>()
        .len() as u64;
    Received {
        rejected: index.saturating_sub(spans.len()) as u64,
        traces,
        message: summarize(&problems),
        spans,
    }
}

fn span_fields(raw: ProtoSpan, notes: &mut Vec<String>) -> SpanFields {
    let events = raw
        .events
        .into_iter()
        .map(|e| {
            let mut event_notes = Vec::new();
            let attributes = attributes(e.attributes, &mut event_notes);
            notes.extend(
                event_notes
                    .into_iter()
                    .map(|n| format!("event {:?}: {n}", e.name)),
            );
            SpanEvent {
                name: e.name,
                time_ns: clamp_u64(e.time_unix_nano),
                attributes,
            }
        })
        .collect();
    let attributes = attributes(raw.attributes, notes);
    let end_ns = clamp_u64(raw.end_time_unix_nano);
    notes.extend(otlp::end_time_note(Some(end_ns)));
    SpanFields {
        trace_id: id(&raw.trace_id),
        span_id: id(&raw.span_id),
        parent_id: id(&raw.parent_span_id),
        name: Some(raw.name),
        otel_kind: u8::try_from(raw.kind).ok(),
        start_ns: Some(clamp_u64(raw.start_time_unix_nano)),
        end_ns: Some(end_ns),
        attributes,
        events,
        status: raw.status.map(|s| (i64::from(s.code), Some(s.message))),
    }
}

/// An id as the reader keeps it: lowercase hex; empty or all-zero ids are absent.
fn id(bytes: &[u8]) -> Option<String> {
    (!bytes.iter().all(|&b| b == 0)).then(|| hex::encode(bytes))
}

/// Nanoseconds since the epoch beyond `i64` clamp, as the reader's integer rule does.
fn clamp_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// An attribute list as a map of plain JSON values (the last of duplicate keys wins).
fn attributes(list: Vec<KeyValue>, notes: &mut Vec<String>) -> Map<String, Value> {
    let mut out = Map::new();
    for kv in list {
        let value = kv
            .value
            .map_or(Value::Null, |v| any_value(v, &kv.key, notes));
        out.insert(kv.key, value);
    }
    out
}

/// An `AnyValue` as the plain JSON value the reader makes of its OTLP/JSON form. `key` names
/// the top-level attribute in a warning.
fn any_value(v: AnyValue, key: &str, notes: &mut Vec<String>) -> Value {
    use any_value::Value as V;
    match v.value {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s),
        Some(V::BoolValue(b)) => Value::Bool(b),
        Some(V::IntValue(i)) => Value::from(i),
        Some(V::DoubleValue(f)) => match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => {
                let text = non_finite(f);
                notes.push(format!(
                    "attribute {key:?}: a {text} double, kept as the string {text:?}"
                ));
                Value::String(text.to_string())
            }
        },
        Some(V::ArrayValue(a)) => Value::Array(
            a.values
                .into_iter()
                .map(|item| any_value(item, key, notes))
                .collect(),
        ),
        Some(V::KvlistValue(list)) => {
            let mut out = Map::new();
            for kv in list.values {
                let value = kv.value.map_or(Value::Null, |v| any_value(v, key, notes));
                out.insert(kv.key, value);
            }
            Value::Object(out)
        }
        Some(V::BytesValue(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(&b))
        }
        // A string-table reference (profiles only): the JSON route drops it too.
        Some(V::StringValueStrindex(_)) => Value::Null,
    }
}

/// The proto3 JSON spelling of a double that is not a finite number.
fn non_finite(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
