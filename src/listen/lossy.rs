//! The second reading of a protobuf request that prost refused: invalid UTF-8 in a string field,
//! or values nested deeper than prost's recursion limit, used to cost every span of the request.
//!
//! The message types below mirror the published OTLP trace definitions (`trace.proto`,
//! `common.proto`, `resource.proto`, the same tags and wire types as `opentelemetry-proto`'s
//! generated code) with two differences: every `string` field is `bytes`, so invalid UTF-8 is
//! read instead of refused, and a nested value (`KeyValue.value`, an array's items) is kept as
//! its encoded bytes and decoded one level at a time, so nesting is counted here rather than
//! by prost. Only the fields [`super::convert`] reads are declared; prost skips the others.
//!
//! The result is the published `ExportTraceServiceRequest`: invalid sequences become U+FFFD,
//! a value nested beyond the limit becomes [`TOO_DEEP`], and a value whose bytes are not a
//! valid `AnyValue` costs its span. Each repair is reported in `partial_success`.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as common;
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_proto::tonic::trace::v1 as trace;
use prost::Message;

/// What a value nested beyond prost's limit is stored as.
pub const TOO_DEEP: &str = "[nested too deep]";

/// prost's recursion limit: a message nested deeper than this is refused when decoding.
const PROST_DEPTH: usize = 100;

#[derive(Clone, PartialEq, Message)]
struct Request {
    #[prost(message, repeated, tag = "1")]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, Message)]
struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Clone, PartialEq, Message)]
struct Resource {
    #[prost(message, repeated, tag = "1")]
    attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
struct ScopeSpans {
    #[prost(message, optional, tag = "1")]
    scope: Option<Scope>,
    #[prost(message, repeated, tag = "2")]
    spans: Vec<Span>,
}

#[derive(Clone, PartialEq, Message)]
struct Scope {
    #[prost(bytes = "vec", tag = "1")]
    name: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    version: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct Span {
    #[prost(bytes = "vec", tag = "1")]
    trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    parent_span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    name: Vec<u8>,
    #[prost(int32, tag = "6")]
    kind: i32,
    #[prost(fixed64, tag = "7")]
    start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    end_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    attributes: Vec<KeyValue>,
    #[prost(message, repeated, tag = "11")]
    events: Vec<Event>,
    #[prost(message, optional, tag = "15")]
    status: Option<Status>,
}

#[derive(Clone, PartialEq, Message)]
struct Event {
    #[prost(fixed64, tag = "1")]
    time_unix_nano: u64,
    #[prost(bytes = "vec", tag = "2")]
    name: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
struct Status {
    #[prost(bytes = "vec", tag = "2")]
    message: Vec<u8>,
    #[prost(int32, tag = "3")]
    code: i32,
}

#[derive(Clone, PartialEq, Message)]
struct KeyValue {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    /// An encoded `AnyValue`, decoded by [`Reader::value`] at its depth.
    #[prost(bytes = "vec", optional, tag = "2")]
    value: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct AnyValue {
    #[prost(oneof = "Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    value: Option<Value>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Value {
    #[prost(bytes = "vec", tag = "1")]
    String(Vec<u8>),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(int64, tag = "3")]
    Int(i64),
    #[prost(double, tag = "4")]
    Double(f64),
    /// An encoded `ArrayValue`.
    #[prost(bytes = "vec", tag = "5")]
    Array(Vec<u8>),
    /// An encoded `KeyValueList`.
    #[prost(bytes = "vec", tag = "6")]
    Kvlist(Vec<u8>),
    #[prost(bytes = "vec", tag = "7")]
    Bytes(Vec<u8>),
}

/// `ArrayValue` and `KeyValueList` share one shape here: repeated encoded items under tag 1.
#[derive(Clone, PartialEq, Message)]
struct Items {
    #[prost(bytes = "vec", repeated, tag = "1")]
    values: Vec<Vec<u8>>,
}

/// The repairs made, for `partial_success.error_message`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Strings whose invalid UTF-8 sequences were replaced with U+FFFD.
    pub strings: u64,
    /// Values nested beyond prost's limit, stored as [`TOO_DEEP`].
    pub too_deep: u64,
    /// Spans left out because one of their values was not a valid `AnyValue`.
    pub rejected: u64,
}

impl Repairs {
    /// One line for the response's message; empty when nothing was repaired.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.strings > 0 {
            parts.push(format!(
                "{} strings with invalid UTF-8 (bad bytes replaced with U+FFFD)",
                self.strings
            ));
        }
        if self.too_deep > 0 {
            parts.push(format!(
                "{} values nested deeper than {PROST_DEPTH} messages stored as {TOO_DEEP:?}",
                self.too_deep
            ));
        }
        if self.rejected > 0 {
            parts.push(format!(
                "{} spans with an unreadable attribute value left out",
                self.rejected
            ));
        }
        parts.join("; ")
    }
}

/// Reads a body prost refused; `None` when it is not an OTLP request even read this way.
pub fn decode(body: &[u8]) -> Option<(ExportTraceServiceRequest, Repairs)> {
    let request = Request::decode(body).ok()?;
    let mut reader = Reader::default();
    let resource_spans = request
        .resource_spans
        .into_iter()
        .filter_map(|rs| reader.resource_spans(rs))
        .collect();
    Some((ExportTraceServiceRequest { resource_spans }, reader.repairs))
}

/// An unreadable nested value: it costs the span (or resource) that carries it.
struct Unreadable;

#[derive(Default)]
struct Reader {
    repairs: Repairs,
}

impl Reader {
    fn text(&mut self, bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap_or_else(|e| {
            self.repairs.strings += 1;
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })
    }

    /// Depths below are prost's: the request is 0, a `ResourceSpans` 1, its `Resource` and
    /// `ScopeSpans` 2, a span 3, an event 4.
    fn resource_spans(&mut self, rs: ResourceSpans) -> Option<trace::ResourceSpans> {
        let resource = match rs.resource {
            Some(r) => match self.attributes(r.attributes, 3) {
                Ok(attributes) => Some(ProtoResource {
                    attributes,
                    ..ProtoResource::default()
                }),
                Err(Unreadable) => {
                    // The resource names every span under it: none of them can be stored.
                    let spans: usize = rs.scope_spans.iter().map(|ss| ss.spans.len()).sum();
                    self.repairs.rejected += spans as u64;
                    return None;
                }
            },
            None => None,
        };
        let scope_spans = rs
            .scope_spans
            .into_iter()
            .map(|ss| trace::ScopeSpans {
                scope: ss.scope.map(|s| common::InstrumentationScope {
                    name: self.text(s.name),
                    version: self.text(s.version),
                    ..common::InstrumentationScope::default()
                }),
                spans: ss.spans.into_iter().filter_map(|s| self.span(s)).collect(),
                ..trace::ScopeSpans::default()
            })
            .collect();
        Some(trace::ResourceSpans {
            resource,
            scope_spans,
            ..trace::ResourceSpans::default()
        })
    }

    fn span(&mut self, s: Span) -> Option<trace::Span> {
        let read = (|| {
            let attributes = self.attributes(s.attributes, 4)?;
            let events = s
                .events
                .into_iter()
                .map(|e| {
                    Ok(trace::span::Event {
                        time_unix_nano: e.time_unix_nano,
                        name: self.text(e.name),
                        attributes: self.attributes(e.attributes, 5)?,
                        ..trace::span::Event::default()
                    })
                })
                .collect::<Result<Vec<_>, Unreadable>>()?;
            Ok::<_, Unreadable>((attributes, events))
        })();
        let Ok((attributes, events)) = read else {
            self.repairs.rejected += 1;
            return None;
        };
        Some(trace::Span {
            trace_id: s.trace_id,
            span_id: s.span_id,
            parent_span_id: s.parent_span_id,
            name: self.text(s.name),
            kind: s.kind,
            start_time_unix_nano: s.start_time_unix_nano,
            end_time_unix_nano: s.end_time_unix_nano,
            attributes,
            events,
            status: s.status.map(|st| trace::Status {
                message: self.text(st.message),
                code: st.code,
            }),
            ..trace::Span::default()
        })
    }

    /// A list of `KeyValue`s at `depth`, their values one deeper.
    fn attributes(
        &mut self,
        list: Vec<KeyValue>,
        depth: usize,
    ) -> Result<Vec<common::KeyValue>, Unreadable> {
        list.into_iter()
            .map(|kv| self.key_value(kv, depth))
            .collect()
    }

    fn key_value(&mut self, kv: KeyValue, depth: usize) -> Result<common::KeyValue, Unreadable> {
        let value = match kv.value {
            Some(bytes) => Some(self.value(&bytes, depth + 1)?),
            None => None,
        };
        Ok(common::KeyValue {
            key: self.text(kv.key),
            value,
            ..common::KeyValue::default()
        })
    }

    /// An encoded `AnyValue` at `depth`; an array or list in it would be at `depth + 1`.
    fn value(&mut self, bytes: &[u8], depth: usize) -> Result<common::AnyValue, Unreadable> {
        use common::any_value::Value as V;
        if depth > PROST_DEPTH {
            self.repairs.too_deep += 1;
            return Ok(common::AnyValue {
                value: Some(V::StringValue(TOO_DEEP.to_string())),
            });
        }
        let decoded = AnyValue::decode(bytes).map_err(|_| Unreadable)?;
        let nested_too_deep = depth + 1 > PROST_DEPTH;
        let value = match decoded.value {
            None => None,
            Some(Value::String(s)) => Some(V::StringValue(self.text(s))),
            Some(Value::Bool(b)) => Some(V::BoolValue(b)),
            Some(Value::Int(i)) => Some(V::IntValue(i)),
            Some(Value::Double(f)) => Some(V::DoubleValue(f)),
            Some(Value::Bytes(b)) => Some(V::BytesValue(b)),
            Some(Value::Array(_) | Value::Kvlist(_)) if nested_too_deep => {
                self.repairs.too_deep += 1;
                Some(V::StringValue(TOO_DEEP.to_string()))
            }
            Some(Value::Array(items)) => {
                let items = Items::decode(items.as_slice()).map_err(|_| Unreadable)?;
                let values = items
                    .values
                    .iter()
                    .map(|item| self.value(item, depth + 2))
                    .collect::<Result<_, _>>()?;
                Some(V::ArrayValue(common::ArrayValue { values }))
            }
            Some(Value::Kvlist(items)) => {
                let items = Items::decode(items.as_slice()).map_err(|_| Unreadable)?;
                let values = items
                    .values
                    .iter()
                    .map(|item| {
                        let kv = KeyValue::decode(item.as_slice()).map_err(|_| Unreadable)?;
                        self.key_value(kv, depth + 2)
                    })
                    .collect::<Result<_, _>>()?;
                Some(V::KvlistValue(common::KeyValueList { values }))
            }
        };
        Ok(common::AnyValue { value })
    }
}
