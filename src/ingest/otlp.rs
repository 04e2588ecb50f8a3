//! OTLP/JSON adapter: one line of the Collector `file` exporter (a `TracesData` /
//! `ExportTraceServiceRequest` object) in, unified spans out.
//!
//! The document is read with typed serde structs rather than `serde_json::Value` because import
//! speed is a requirement; only attribute values (the `AnyValue` oneof) become `Value`s, since
//! they end up in `Span::attributes` as JSON anyway. Every reader rule of formats.md §1.4 is
//! handled here: camelCase and snake_case keys, 64-bit numbers as strings or numbers, enums as
//! integers or names, hex or base64 ids, and the legacy `instrumentationLibrary*` names.

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::model::{Span, SpanEvent, StatusCode};

use super::semconv;

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

// ---------------------------------------------------------------------------------------------
// Document structure. Unknown fields are skipped; `null` anywhere is treated as absent.

#[derive(Deserialize)]
struct TracesData {
    #[serde(default, alias = "resource_spans", rename = "resourceSpans")]
    resource_spans: Option<NullVec<ResourceSpans>>,
}

#[derive(Deserialize)]
struct ResourceSpans {
    #[serde(default, deserialize_with = "null_default")]
    resource: Option<Resource>,
    #[serde(default, alias = "scope_spans", rename = "scopeSpans")]
    scope_spans: NullVec<ScopeSpans>,
    #[serde(
        default,
        alias = "instrumentation_library_spans",
        rename = "instrumentationLibrarySpans"
    )]
    library_spans: NullVec<ScopeSpans>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default, deserialize_with = "null_default")]
    scope: Option<Scope>,
    #[serde(
        default,
        alias = "instrumentation_library",
        rename = "instrumentationLibrary",
        deserialize_with = "null_default"
    )]
    library: Option<Scope>,
    #[serde(default)]
    spans: NullVec<RawSpan>,
}

#[derive(Deserialize)]
struct Scope {
    #[serde(default, deserialize_with = "null_default")]
    name: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct RawSpan {
    #[serde(default, alias = "trace_id", rename = "traceId")]
    trace_id: Id,
    #[serde(default, alias = "span_id", rename = "spanId")]
    span_id: Id,
    #[serde(default, alias = "parent_span_id", rename = "parentSpanId")]
    parent_span_id: Id,
    #[serde(default, deserialize_with = "null_default")]
    name: Option<String>,
    #[serde(default)]
    kind: SpanKindNum,
    #[serde(default, alias = "start_time_unix_nano", rename = "startTimeUnixNano")]
    start: FlexI64,
    #[serde(default, alias = "end_time_unix_nano", rename = "endTimeUnixNano")]
    end: FlexI64,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    events: NullVec<RawEvent>,
    #[serde(default, deserialize_with = "null_default")]
    status: Option<RawStatus>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default, alias = "time_unix_nano", rename = "timeUnixNano")]
    time: FlexI64,
    #[serde(default, deserialize_with = "null_default")]
    name: Option<String>,
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Deserialize)]
struct RawStatus {
    #[serde(default)]
    code: StatusNum,
    #[serde(default, deserialize_with = "null_default")]
    message: Option<String>,
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list that may also be written as `null`.
struct NullVec<T>(Vec<T>);

impl<T> Default for NullVec<T> {
    fn default() -> Self {
        NullVec(Vec::new())
    }
}

impl<T> IntoIterator for NullVec<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NullVec<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(NullVec(
            Option::<Vec<T>>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Flexible scalars.

/// int64 written as a decimal string or a number (floats are truncated, out-of-range clamps).
#[derive(Default)]
struct FlexI64(Option<i64>);

impl<'de> Deserialize<'de> for FlexI64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlexI64Visitor).map(FlexI64)
    }
}

struct FlexI64Visitor;

impl<'de> Visitor<'de> for FlexI64Visitor {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer or a decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(i64::try_from(v).unwrap_or(i64::MAX)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.is_finite().then_some(v as i64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(parse_int_str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

fn parse_int_str(v: &str) -> Option<i64> {
    let t = v.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(i64::try_from(u).unwrap_or(i64::MAX));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| f as i64)
}

/// OTel SpanKind as an integer or a name (`SPAN_KIND_CLIENT`, `CLIENT`, `SpanKind.CLIENT`).
#[derive(Default)]
struct SpanKindNum(Option<u8>);

impl<'de> Deserialize<'de> for SpanKindNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(EnumVisitor(span_kind_by_name))?;
        Ok(SpanKindNum(v.and_then(|n| u8::try_from(n).ok())))
    }
}

fn span_kind_by_name(s: &str) -> Option<i64> {
    let up = s.trim().to_ascii_uppercase();
    let name = up
        .strip_prefix("SPAN_KIND_")
        .or_else(|| up.strip_prefix("SPANKIND."))
        .unwrap_or(&up);
    Some(match name {
        "UNSPECIFIED" => 0,
        "INTERNAL" => 1,
        "SERVER" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => return None,
    })
}

/// OTel status code as an integer or a name (`STATUS_CODE_ERROR`, `ERROR`, `Ok`).
#[derive(Default)]
struct StatusNum(i64);

impl<'de> Deserialize<'de> for StatusNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(EnumVisitor(status_by_name))?;
        Ok(StatusNum(v.unwrap_or(0)))
    }
}

fn status_by_name(s: &str) -> Option<i64> {
    let up = s.trim().to_ascii_uppercase();
    let name = up
        .strip_prefix("STATUS_CODE_")
        .or_else(|| up.strip_prefix("STATUSCODE."))
        .unwrap_or(&up);
    Some(match name {
        "UNSET" => 0,
        "OK" => 1,
        "ERROR" => 2,
        _ => return None,
    })
}

/// Accepts an enum as a number, a numeric string or a name; unknown names become `None` rather
/// than failing the whole line.
struct EnumVisitor(fn(&str) -> Option<i64>);

impl<'de> Visitor<'de> for EnumVisitor {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an enum as integer or name")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.is_finite().then_some(v as i64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<i64>().ok().or_else(|| (self.0)(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A trace or span id, normalised to lowercase hex; empty or all-zero ids are `None`.
#[derive(Default)]
struct Id(Option<String>);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor).map(Id)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a hex or base64 id string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(normalize_id(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok((v != 0).then(|| format!("{v:016x}")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok((v != 0).then(|| format!("{v:016x}")))
    }
}

/// Hex (any case, optional `0x`) wins when the text is valid hex; otherwise base64 (the proto3
/// JSON mapping that generic protobuf tools emit). Unrecognised ids are kept verbatim so no span
/// is lost over an odd id.
pub(crate) fn normalize_id(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let is_hex = s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex {
        if s.bytes().all(|b| b == b'0') {
            return None;
        }
        return Some(s.to_ascii_lowercase());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(s))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s));
    match decoded {
        Ok(bytes) if !bytes.is_empty() => {
            if bytes.iter().all(|&b| b == 0) {
                None
            } else {
                Some(hex::encode(bytes))
            }
        }
        _ => Some(s.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Attributes and AnyValue.

/// `[{key, value: AnyValue}]` flattened into a map of plain JSON values (last duplicate wins).
#[derive(Default)]
struct Attributes(Map<String, Value>);

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KvListVisitor).map(Attributes)
    }
}

struct KvListVisitor;

impl<'de> Visitor<'de> for KvListVisitor {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of key/value attributes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(kv) = seq.next_element::<KeyValue>()? {
            if let Some(k) = kv.key {
                map.insert(k, kv.value.0);
            }
        }
        Ok(map)
    }
    /// Some non-standard writers emit attributes as a plain object; accept it as-is.
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some((k, v)) = m.next_entry::<String, AnyValue>()? {
            map.insert(k, v.0);
        }
        Ok(map)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Map::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Map::new())
    }
}

#[derive(Deserialize)]
struct KeyValue {
    #[serde(default, deserialize_with = "null_default")]
    key: Option<String>,
    #[serde(default)]
    value: AnyValue,
}

/// An OTLP `AnyValue` converted to plain JSON. Plain JSON scalars/arrays in place of the oneof
/// object are accepted as themselves.
#[derive(Default)]
struct AnyValue(Value);

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyValueVisitor).map(AnyValue)
    }
}

struct AnyValueVisitor;

impl<'de> Visitor<'de> for AnyValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OTLP AnyValue")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = Value::Null;
        while let Some(key) = m.next_key::<AnyKey>()? {
            match key {
                AnyKey::String => {
                    out = m
                        .next_value::<Option<String>>()?
                        .map_or(Value::Null, Value::String)
                }
                AnyKey::Bool => {
                    out = m
                        .next_value::<Option<bool>>()?
                        .map_or(Value::Null, Value::Bool)
                }
                AnyKey::Int => out = m.next_value::<IntValue>()?.0,
                AnyKey::Double => out = m.next_value::<DoubleValue>()?.0,
                AnyKey::Bytes => {
                    out = m
                        .next_value::<Option<String>>()?
                        .map_or(Value::Null, Value::String)
                }
                AnyKey::Array => {
                    let arr = m.next_value_seed(ValuesSeed(false))?;
                    out = arr;
                }
                AnyKey::KvList => {
                    let obj = m.next_value_seed(ValuesSeed(true))?;
                    out = obj;
                }
                AnyKey::Other => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<AnyValue>()? {
            out.push(v.0);
        }
        Ok(Value::Array(out))
    }
}

enum AnyKey {
    String,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    KvList,
    Other,
}

impl<'de> Deserialize<'de> for AnyKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AnyValue field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AnyKey, E> {
                Ok(match v {
                    "stringValue" | "string_value" => AnyKey::String,
                    "boolValue" | "bool_value" => AnyKey::Bool,
                    "intValue" | "int_value" => AnyKey::Int,
                    "doubleValue" | "double_value" => AnyKey::Double,
                    "bytesValue" | "bytes_value" => AnyKey::Bytes,
                    "arrayValue" | "array_value" => AnyKey::Array,
                    "kvlistValue" | "kvlist_value" | "kvListValue" => AnyKey::KvList,
                    _ => AnyKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// `intValue`: a string (canonical) or a number. Text that is not an integer stays a string so
/// nothing is lost.
struct IntValue(Value);

impl<'de> Deserialize<'de> for IntValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an int64 as number or string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                let t = v.trim();
                if let Ok(i) = t.parse::<i64>() {
                    return Ok(Value::from(i));
                }
                if let Ok(u) = t.parse::<u64>() {
                    return Ok(Value::from(u));
                }
                Ok(Value::String(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
        }
        d.deserialize_any(V).map(IntValue)
    }
}

/// `doubleValue`: a number, or the proto3 strings `"NaN"`, `"Infinity"`, `"-Infinity"` (which
/// JSON numbers cannot hold, so they stay strings), or a numeric string.
struct DoubleValue(Value);

impl<'de> Deserialize<'de> for DoubleValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a double as number or string")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                self.visit_f64(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                match v.trim().parse::<f64>() {
                    Ok(f) if f.is_finite() => self.visit_f64(f),
                    _ => Ok(Value::String(v.to_string())),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
        }
        d.deserialize_any(V).map(DoubleValue)
    }
}

/// `{"values": [...]}` of an `arrayValue` (`false`) or a `kvlistValue` (`true`).
struct ValuesSeed(bool);

impl<'de> DeserializeSeed<'de> for ValuesSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a values list")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
        let mut out = if self.0 {
            Value::Object(Map::new())
        } else {
            Value::Array(Vec::new())
        };
        while let Some(key) = m.next_key::<ValuesKey>()? {
            match key {
                ValuesKey::Values if self.0 => {
                    out = Value::Object(m.next_value::<Attributes>()?.0);
                }
                ValuesKey::Values => {
                    let items = m.next_value::<Option<Vec<AnyValue>>>()?.unwrap_or_default();
                    out = Value::Array(items.into_iter().map(|v| v.0).collect());
                }
                ValuesKey::Other => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

enum ValuesKey {
    Values,
    Other,
}

impl<'de> Deserialize<'de> for ValuesKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValuesKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ValuesKey, E> {
                Ok(if v == "values" {
                    ValuesKey::Values
                } else {
                    ValuesKey::Other
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_hex_base64_zero() {
        assert_eq!(
            normalize_id("5B8EFFF798038103D269B633813FC60C").as_deref(),
            Some("5b8efff798038103d269b633813fc60c")
        );
        // 16 bytes base64 = 24 chars ending "=="; 8 bytes = 12 chars ending "=".
        assert_eq!(
            normalize_id("W47/95gDgQPSabYzgT/GDA==").as_deref(),
            Some("5b8efff798038103d269b633813fc60c")
        );
        assert_eq!(
            normalize_id("7uGbfsPBsXM=").as_deref(),
            Some("eee19b7ec3c1b173")
        );
        assert_eq!(normalize_id(""), None);
        assert_eq!(normalize_id("0000000000000000"), None);
        assert_eq!(normalize_id("AAAAAAAAAAA="), None);
    }

    #[test]
    fn enums_by_name() {
        assert_eq!(span_kind_by_name("SPAN_KIND_CLIENT"), Some(3));
        assert_eq!(span_kind_by_name("SpanKind.SERVER"), Some(2));
        assert_eq!(span_kind_by_name("internal"), Some(1));
        assert_eq!(status_by_name("STATUS_CODE_ERROR"), Some(2));
        assert_eq!(status_by_name("OK"), Some(1));
        assert_eq!(status_by_name("bogus"), None);
    }

    #[test]
    fn any_values() {
        let v: AnyValue = serde_json::from_str(
            r#"{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"7"}},
                {"key":"b","value":{"arrayValue":{"values":[{"doubleValue":"NaN"},{"boolValue":true},{}]}}},
                {"key":"c","value":{"bytesValue":"aGk="}}]}}"#,
        )
        .unwrap();
        assert_eq!(
            v.0,
            serde_json::json!({"a": 7, "b": ["NaN", true, null], "c": "aGk="})
        );
        let v: AnyValue = serde_json::from_str(r#"{"doubleValue":"Infinity"}"#).unwrap();
        assert_eq!(v.0, Value::String("Infinity".into()));
        let v: AnyValue = serde_json::from_str(r#"{"intValue":12}"#).unwrap();
        assert_eq!(v.0, serde_json::json!(12));
        let v: AnyValue = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(v.0, Value::Null);
    }

    #[test]
    fn flex_ints() {
        let v: FlexI64 = serde_json::from_str(r#""1735689600000000000""#).unwrap();
        assert_eq!(v.0, Some(1_735_689_600_000_000_000));
        let v: FlexI64 = serde_json::from_str("1735689600000000000").unwrap();
        assert_eq!(v.0, Some(1_735_689_600_000_000_000));
        let v: FlexI64 = serde_json::from_str("null").unwrap();
        assert_eq!(v.0, None);
    }
}
