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
pub mod ids;
mod original_ids;
mod scalars;

pub(crate) use scalars::span_kind_by_name;

use serde_json::{Map, Value};

use crate::model::{Span, SpanEvent, StatusCode};

use super::semconv;
use document::{RawSpan, TracesData};

/// The `source_format` tag of spans produced here.
pub const SOURCE_FORMAT: &str = "otlp-json";

/// One problem found while reading a line that was otherwise usable: a span left out, or an
/// attribute left out of a span that was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanProblem {
    /// 0-based position of the span in the line (counted across every resource and scope);
    /// `None` for a problem of the line itself (resource attributes, invalid UTF-8).
    pub span: Option<usize>,
    pub reason: String,
}

impl std::fmt::Display for SpanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.span {
            Some(n) => write!(f, "span {n}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// What one line yielded: every span that could be read, and what was left out and why.
#[derive(Debug, Default)]
pub struct LineSpans {
    pub spans: Vec<Span>,
    pub problems: Vec<SpanProblem>,
    /// Spans the line held, read or not (`spans_seen - spans.len()` were left out).
    pub spans_seen: usize,
}

/// Parses one OTLP/JSON line, strictly: any problem (a bad span or a bad attribute) fails the
/// line. `Err` carries a one-line, human-readable reason. The importer uses [`read_line`], which
/// keeps the rest of the line instead.
pub fn parse_line(line: &[u8]) -> Result<Vec<Span>, String> {
    let read = read_line(line)?;
    match read.problems.first() {
        Some(p) => Err(p.to_string()),
        None => Ok(read.spans),
    }
}

/// Parses one OTLP/JSON line at the finest grain. `Err` only when the line as a whole is
/// unusable (not JSON, not a traces object); a span that cannot be read costs only itself and
/// an attribute that cannot be read costs only itself, each described in `problems`.
pub fn read_line(line: &[u8]) -> Result<LineSpans, String> {
    let mut spans = Vec::new();
    let read = read_line_each(line, |_, span| spans.push(span))?;
    Ok(LineSpans {
        spans,
        problems: read.problems,
        spans_seen: read.spans_seen,
    })
}

/// What [`read_line_each`] reports once every span of the line went to its callback.
#[derive(Debug, Default)]
pub struct LineOutcome {
    pub problems: Vec<SpanProblem>,
    /// Spans the line held, read or not.
    pub spans_seen: usize,
    /// Spans handed to the callback.
    pub spans_read: usize,
}

/// [`read_line`] without collecting: each span goes to `on_span` (with its 0-based position
/// in the line) as soon as it is built, so a caller that stores or encodes spans one by one
/// holds the line and one span at a time, not every span of a huge line at once. The callback
/// only runs once the line is known to be a traces object: an `Err` line yields no span.
pub fn read_line_each(
    line: &[u8],
    mut on_span: impl FnMut(usize, Span),
) -> Result<LineOutcome, String> {
    let mut out = LineOutcome::default();
    // Invalid UTF-8 would fail the whole document (raw span text must be a str); such a line is
    // read again with the bad bytes replaced, on the failure path only.
    let repaired: String;
    let data: TracesData = match serde_json::from_slice(line) {
        Ok(d) => d,
        Err(e) if std::str::from_utf8(line).is_err() => {
            repaired = String::from_utf8_lossy(line).into_owned();
            match serde_json::from_str(&repaired) {
                Ok(d) => {
                    out.problems.push(SpanProblem {
                        span: None,
                        reason: "invalid UTF-8 replaced with U+FFFD".into(),
                    });
                    d
                }
                Err(_) => return Err(describe_error(line, &e)),
            }
        }
        Err(e) => return Err(describe_error(line, &e)),
    };
    let Some(resource_spans) = data.resource_spans else {
        return Err("not an OTLP/JSON traces object (no resourceSpans)".to_string());
    };
    let mut index = 0usize;
    for rs in resource_spans {
        let (resource, resource_problems) = match rs.resource {
            Some(r) => (r.attributes.values, r.attributes.problems),
            None => (Map::new(), Vec::new()),
        };
        out.problems
            .extend(resource_problems.into_iter().map(|reason| SpanProblem {
                span: None,
                reason: format!("resource {reason}"),
            }));
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
                let context = SpanContext {
                    resource: &resource,
                    service_name: service_name.as_deref(),
                    scope_name: scope_name.as_deref(),
                    scope_version: scope_version.as_deref(),
                };
                let parsed = serde_json::from_str::<RawSpan>(raw.get())
                    .map_err(|e| any_value::error_reason(&e))
                    .and_then(|raw| convert_span(raw, &context));
                match parsed {
                    Ok((span, problems)) => {
                        out.problems
                            .extend(problems.into_iter().map(|reason| SpanProblem {
                                span: Some(index),
                                reason,
                            }));
                        out.spans_read += 1;
                        on_span(index, span);
                    }
                    Err(reason) => out.problems.push(SpanProblem {
                        span: Some(index),
                        reason,
                    }),
                }
                index += 1;
            }
        }
    }
    out.spans_seen = index;
    Ok(out)
}

/// What a span inherits from its resource and scope.
pub(crate) struct SpanContext<'a> {
    pub(crate) resource: &'a Map<String, Value>,
    pub(crate) service_name: Option<&'a str>,
    pub(crate) scope_name: Option<&'a str>,
    pub(crate) scope_version: Option<&'a str>,
}

/// One span's fields as read from its encoding (OTLP/JSON here, protobuf in `trawl listen`),
/// before the reader's rules turn them into a [`Span`]: both encodings end in [`build_span`], so
/// a span received live and the same span read from a dump are built by the same code.
pub(crate) struct SpanFields {
    pub(crate) trace_id: Option<String>,
    pub(crate) span_id: Option<String>,
    pub(crate) parent_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) otel_kind: Option<u8>,
    pub(crate) start_ns: Option<i64>,
    pub(crate) end_ns: Option<i64>,
    pub(crate) attributes: Map<String, Value>,
    pub(crate) events: Vec<SpanEvent>,
    /// The status code and message, when the span has a status.
    pub(crate) status: Option<(i64, Option<String>)>,
}

/// A read span and the attributes it had to leave out; `Err` when the span itself is unusable.
fn convert_span(raw: RawSpan, ctx: &SpanContext) -> Result<(Span, Vec<String>), String> {
    let mut problems = raw.attributes.problems;
    let events = raw
        .events
        .0
        .into_iter()
        .map(|e| {
            let name = e.name.unwrap_or_default();
            problems.extend(
                e.attributes
                    .problems
                    .into_iter()
                    .map(|p| format!("event {name:?}: {p}")),
            );
            SpanEvent {
                name,
                time_ns: e.time.0.unwrap_or(0),
                attributes: e.attributes.values,
            }
        })
        .collect();
    problems.extend(end_time_note(raw.end.0));
    let fields = SpanFields {
        trace_id: raw.trace_id.0,
        span_id: raw.span_id.0,
        parent_id: raw.parent_span_id.0,
        name: raw.name,
        otel_kind: raw.kind.0,
        start_ns: raw.start.0,
        end_ns: raw.end.0,
        attributes: raw.attributes.values,
        events,
        status: raw.status.map(|s| (s.code.0, s.message)),
    };
    build_span(fields, ctx).map(|span| (span, problems))
}

/// The reader's rules for one span: ids required, status and times normalised, then the
/// semantic conventions applied. `Err` when the span is unusable (no trace or span id).
pub(crate) fn build_span(f: SpanFields, ctx: &SpanContext) -> Result<Span, String> {
    let name = f.name.unwrap_or_default();
    let Some(trace_id) = f.trace_id else {
        return Err(format!("span {name:?} has no traceId"));
    };
    let Some(span_id) = f.span_id else {
        return Err(format!("span {name:?} in trace {trace_id} has no spanId"));
    };
    let (status, status_message) = match f.status {
        Some((code, message)) => (
            StatusCode::from_i64(code),
            message.filter(|m| !m.is_empty()),
        ),
        None => (StatusCode::Unset, None),
    };
    let attrs = f.attributes;
    // A trace `export --otlp` gave hashed ids comes back under the ids it had.
    let ids = original_ids::restore(
        original_ids::Ids {
            trace: trace_id,
            span: span_id,
            parent: f.parent_id,
        },
        &attrs,
    );
    let mut span = Span {
        trace_id: ids.trace,
        span_id: ids.span,
        parent_id: ids.parent,
        name,
        otel_kind: f.otel_kind,
        start_ns: f.start_ns.unwrap_or(0),
        // An end at or before 1970 or out of range is no end: the span's end is unknown.
        end_ns: f.end_ns.filter(|&e| e > 0 && !out_of_range(e)),
        status,
        status_message,
        events: f.events,
        resource: ctx.resource.clone(),
        scope_name: ctx.scope_name.map(str::to_string),
        scope_version: ctx.scope_version.map(str::to_string),
        service_name: ctx.service_name.map(str::to_string),
        source_format: SOURCE_FORMAT.to_string(),
        ..Span::default()
    };
    semconv::apply_attributes(&mut span, &attrs);
    span.attributes = attrs;
    semconv::apply_events(&mut span);
    Ok(span)
}

/// Is this timestamp one the integer rules saturated (beyond what `i64` nanoseconds since 1970
/// hold, in either direction)? No clock writes these values; kept, an end there gives the span
/// and its trace a duration of centuries.
fn out_of_range(ns: i64) -> bool {
    ns == i64::MAX || ns == i64::MIN
}

/// The span problem to report when a span's end time is out of range (the span keeps an
/// unknown end, like an end at or before 1970; the rest of the span imports).
pub(crate) fn end_time_note(end_ns: Option<i64>) -> Option<String> {
    end_ns.is_some_and(out_of_range).then(|| {
        "endTimeUnixNano is beyond what nanoseconds since 1970 hold: end left unknown".to_string()
    })
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

#[cfg(test)]
mod tests;
