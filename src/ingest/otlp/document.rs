//! The OTLP/JSON document structure. Unknown fields are skipped; `null` anywhere is treated as
//! absent.
//!
//! The document borrows from the line: each span is kept as its raw JSON text
//! ([`ScopeSpans::spans`]) and read on its own later, so one malformed span costs only itself.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::any_value::Attributes;
use super::scalars::{FlexI64, Id, SpanKindNum, StatusNum};

#[derive(Deserialize)]
pub(super) struct TracesData<'a> {
    #[serde(default, borrow, alias = "resource_spans", rename = "resourceSpans")]
    pub(super) resource_spans: Option<NullVec<ResourceSpans<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct ResourceSpans<'a> {
    #[serde(default, deserialize_with = "null_default")]
    pub(super) resource: Option<Resource>,
    #[serde(default, borrow, alias = "scope_spans", rename = "scopeSpans")]
    pub(super) scope_spans: NullVec<ScopeSpans<'a>>,
    #[serde(
        default,
        borrow,
        alias = "instrumentation_library_spans",
        rename = "instrumentationLibrarySpans"
    )]
    pub(super) library_spans: NullVec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Resource {
    #[serde(default)]
    pub(super) attributes: Attributes,
}

#[derive(Deserialize)]
pub(super) struct ScopeSpans<'a> {
    #[serde(default, deserialize_with = "null_default")]
    pub(super) scope: Option<Scope>,
    #[serde(
        default,
        alias = "instrumentation_library",
        rename = "instrumentationLibrary",
        deserialize_with = "null_default"
    )]
    pub(super) library: Option<Scope>,
    /// Each span's JSON text, parsed into a [`RawSpan`] one at a time.
    #[serde(default, borrow)]
    pub(super) spans: NullVec<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct Scope {
    #[serde(default, deserialize_with = "null_default")]
    pub(super) name: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub(super) version: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawSpan {
    #[serde(default, alias = "trace_id", rename = "traceId")]
    pub(super) trace_id: Id,
    #[serde(default, alias = "span_id", rename = "spanId")]
    pub(super) span_id: Id,
    #[serde(default, alias = "parent_span_id", rename = "parentSpanId")]
    pub(super) parent_span_id: Id,
    #[serde(default, deserialize_with = "null_default")]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) kind: SpanKindNum,
    #[serde(default, alias = "start_time_unix_nano", rename = "startTimeUnixNano")]
    pub(super) start: FlexI64,
    #[serde(default, alias = "end_time_unix_nano", rename = "endTimeUnixNano")]
    pub(super) end: FlexI64,
    #[serde(default)]
    pub(super) attributes: Attributes,
    #[serde(default)]
    pub(super) events: NullVec<RawEvent>,
    #[serde(default, deserialize_with = "null_default")]
    pub(super) status: Option<RawStatus>,
}

#[derive(Deserialize)]
pub(super) struct RawEvent {
    #[serde(default, alias = "time_unix_nano", rename = "timeUnixNano")]
    pub(super) time: FlexI64,
    #[serde(default, deserialize_with = "null_default")]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) attributes: Attributes,
}

#[derive(Deserialize)]
pub(super) struct RawStatus {
    #[serde(default)]
    pub(super) code: StatusNum,
    #[serde(default, deserialize_with = "null_default")]
    pub(super) message: Option<String>,
}

pub(super) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list that may also be written as `null`.
pub(super) struct NullVec<T>(pub(super) Vec<T>);

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
