//! The parse limit every import figure is measured against: OTLP/JSON deserialised by
//! `serde_json` into borrowed, typed structs (`Cow<str>` borrowing the line buffer wherever a
//! string has no escapes), one thread, nothing else. Not `serde_json::Value`, which allocates
//! a tree and runs about half as fast.

// Every field is parsed (that is the benchmark) but only span counts are read.
#![allow(dead_code)]

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::borrow::Cow;
use std::fmt;

#[derive(Deserialize)]
pub struct Export<'a> {
    #[serde(rename = "resourceSpans", borrow, default)]
    pub resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
pub struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    pub resource: Option<Resource<'a>>,
    #[serde(rename = "scopeSpans", borrow, default)]
    pub scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
pub struct Resource<'a> {
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
pub struct ScopeSpans<'a> {
    #[serde(borrow, default)]
    pub scope: Option<Scope<'a>>,
    #[serde(borrow, default)]
    pub spans: Vec<OtlpSpan<'a>>,
}

#[derive(Deserialize)]
pub struct Scope<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub version: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtlpSpan<'a> {
    #[serde(borrow)]
    pub trace_id: Cow<'a, str>,
    #[serde(borrow)]
    pub span_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub parent_span_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(default)]
    pub kind: Option<i64>,
    #[serde(borrow, default)]
    pub start_time_unix_nano: Option<IntOrString<'a>>,
    #[serde(borrow, default)]
    pub end_time_unix_nano: Option<IntOrString<'a>>,
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
    #[serde(borrow, default)]
    pub events: Vec<Event<'a>>,
    #[serde(borrow, default)]
    pub status: Option<Status<'a>>,
    #[serde(default)]
    pub flags: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub time_unix_nano: Option<IntOrString<'a>>,
    #[serde(borrow, default)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
pub struct Status<'a> {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct KeyValue<'a> {
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    #[serde(borrow, default)]
    pub value: Option<AnyValue<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnyValue<'a> {
    #[serde(borrow, default)]
    pub string_value: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub int_value: Option<IntOrString<'a>>,
    #[serde(default)]
    pub double_value: Option<f64>,
    #[serde(default)]
    pub bool_value: Option<bool>,
    #[serde(borrow, default)]
    pub array_value: Option<ArrayValue<'a>>,
    #[serde(borrow, default)]
    pub kvlist_value: Option<KvList<'a>>,
}

#[derive(Deserialize)]
pub struct ArrayValue<'a> {
    #[serde(borrow, default)]
    pub values: Vec<AnyValue<'a>>,
}

#[derive(Deserialize)]
pub struct KvList<'a> {
    #[serde(borrow, default)]
    pub values: Vec<KeyValue<'a>>,
}

/// OTLP/JSON writes 64-bit integers as strings, but producers also send plain numbers.
pub enum IntOrString<'a> {
    Int(i64),
    Str(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for IntOrString<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = IntOrString<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(IntOrString::Int(v as i64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(IntOrString::Int(v as i64))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(IntOrString::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(IntOrString::Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Parses one OTLP/JSON line into the typed structs; returns its span count.
pub fn count_spans(line: &[u8]) -> Option<u64> {
    let export: Export<'_> = serde_json::from_slice(line).ok()?;
    Some(
        export
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len() as u64)
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fixture_borrowing_its_strings() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/openinference_support_bot_40.otlp.jsonl");
        let text = std::fs::read_to_string(fixture).unwrap();
        let mut spans = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let export: Export<'_> = serde_json::from_str(line).unwrap();
            for s in export
                .resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .flat_map(|ss| &ss.spans)
            {
                assert!(matches!(s.trace_id, Cow::Borrowed(_)));
                assert!(!s.span_id.is_empty());
            }
            spans += count_spans(line.as_bytes()).unwrap();
        }
        assert!(spans >= 40, "{spans}");
        assert_eq!(count_spans(br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"a","spanId":"b","startTimeUnixNano":5}]}]}]}"#), Some(1));
        assert_eq!(count_spans(b"{not json"), None);
    }
}
