//! OTLP/JSON adapter: one line of the Collector `file` exporter (a `TracesData` /
//! `ExportTraceServiceRequest` object) in, unified spans out.
//!
//! The document is read with typed serde structs rather than `serde_json::Value` because import
//! speed is a requirement; only attribute values (the `AnyValue` oneof) become `Value`s, since
//! they end up in `Span::attributes` as JSON anyway. Every reader rule of formats.md §1.4 is
//! handled here: camelCase and snake_case keys, 64-bit numbers as strings or numbers, enums as
//! integers or names, hex or base64 ids, and the legacy `instrumentationLibrary*` names.

mod any_value;
mod document;
mod scalars;

use serde_json::{Map, Value};

use crate::model::{Span, SpanEvent, StatusCode};

use super::semconv;
use document::{RawSpan, TracesData};

/// The `source_format` tag of spans produced here.
pub const SOURCE_FORMAT: &str = "otlp-json";

/// Parses one OTLP/JSON line into spans. `Err` carries a one-line, human-readable reason.
pub fn parse_line(line: &[u8]) -> Result<Vec<Span>, String> {
    let data: TracesData = match serde_json::from_slice(line) {
        Ok(d) => d,
        Err(e) => return Err(describe_error(line, &e)),
    };
    let Some(resource_spans) = data.resource_spans else {
        return Err("not an OTLP/JSON traces object (no resourceSpans)".to_string());
    };
    let mut out = Vec::new();
    for rs in resource_spans {
        let resource = rs.resource.map(|r| r.attributes.0).unwrap_or_default();
        let service_name = resource
            .get("service.name")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        for ss in rs.scope_spans.into_iter().chain(rs.library_spans) {
            let (scope_name, scope_version) = match ss.scope.or(ss.library) {
                Some(s) => (s.name, s.version),
                None => (None, None),
            };
            for raw in ss.spans {
                let span = convert_span(
                    raw,
                    &resource,
                    service_name.as_deref(),
                    scope_name.as_deref(),
                    scope_version.as_deref(),
                )?;
                out.push(span);
            }
        }
    }
    Ok(out)
}

fn convert_span(
    raw: RawSpan,
    resource: &Map<String, Value>,
    service_name: Option<&str>,
    scope_name: Option<&str>,
    scope_version: Option<&str>,
) -> Result<Span, String> {
    let name = raw.name.unwrap_or_default();
    let Some(trace_id) = raw.trace_id.0 else {
        return Err(format!("span {name:?} has no traceId"));
    };
    let Some(span_id) = raw.span_id.0 else {
        return Err(format!("span {name:?} in trace {trace_id} has no spanId"));
    };
    let (status, status_message) = match raw.status {
        Some(s) => (
            StatusCode::from_i64(s.code.0),
            s.message.filter(|m| !m.is_empty()),
        ),
        None => (StatusCode::Unset, None),
    };
    let start_ns = raw.start.0.unwrap_or(0);
    let end_ns = raw.end.0.filter(|&e| e > 0);
    let events = raw
        .events
        .0
        .into_iter()
        .map(|e| SpanEvent {
            name: e.name.unwrap_or_default(),
            time_ns: e.time.0.unwrap_or(0),
            attributes: e.attributes.0,
        })
        .collect();
    let mut span = Span {
        trace_id,
        span_id,
        parent_id: raw.parent_span_id.0,
        name,
        otel_kind: raw.kind.0,
        start_ns,
        end_ns,
        status,
        status_message,
        events,
        resource: resource.clone(),
        scope_name: scope_name.map(str::to_string),
        scope_version: scope_version.map(str::to_string),
        service_name: service_name.map(str::to_string),
        source_format: SOURCE_FORMAT.to_string(),
        ..Span::default()
    };
    let attrs = raw.attributes.0;
    semconv::apply_attributes(&mut span, &attrs);
    span.attributes = attrs;
    semconv::apply_events(&mut span);
    Ok(span)
}

/// Turns a serde error into a reason a user can act on; only runs on the failure path.
fn describe_error(line: &[u8], err: &serde_json::Error) -> String {
    let first = line.iter().copied().find(|b| !b.is_ascii_whitespace());
    if err.is_syntax() || err.is_eof() {
        if first.is_none() {
            return "empty line".to_string();
        }
        return format!("invalid JSON: {err}");
    }
    match first {
        Some(b'{') => format!("not a valid OTLP/JSON traces object: {err}"),
        Some(b'[') => "not an OTLP/JSON traces object (top-level JSON array)".to_string(),
        _ => "not an OTLP/JSON traces object (top-level value is not an object)".to_string(),
    }
}
