//! Attributes and the OTLP `AnyValue` oneof, converted to plain JSON values.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::document::null_default;

/// `[{key, value: AnyValue}]` flattened into a map of plain JSON values (last duplicate wins).
///
/// A span's, event's or resource's attribute list is read one attribute at a time: an attribute
/// that cannot be decoded (`{"boolValue":"yes"}`, a key that is not a string, a lone surrogate)
/// is left out and described in `problems`, and the other attributes are kept.
#[derive(Default)]
pub(super) struct Attributes {
    pub(super) values: Map<String, Value>,
    /// One line per attribute that was left out: `attribute KEY: reason`.
    pub(super) problems: Vec<String>,
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KvListVisitor { tolerant: true })
    }
}

/// An attribute list inside an `AnyValue` (`kvlistValue`): it belongs to one top-level
/// attribute, so a bad entry fails that attribute as a whole.
struct NestedAttributes(Map<String, Value>);

impl<'de> Deserialize<'de> for NestedAttributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let attrs = d.deserialize_any(KvListVisitor { tolerant: false })?;
        Ok(NestedAttributes(attrs.values))
    }
}

struct KvListVisitor {
    /// Read each entry from its raw text, so a bad one is skipped rather than fatal. Needs a
    /// deserializer that can lend raw text (serde_json reading a slice or a str).
    tolerant: bool,
}

impl<'de> Visitor<'de> for KvListVisitor {
    type Value = Attributes;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of key/value attributes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Attributes::default();
        if !self.tolerant {
            while let Some(kv) = seq.next_element::<KeyValue>()? {
                if let Some(k) = kv.key {
                    out.values.insert(k, kv.value.0);
                }
            }
            return Ok(out);
        }
        let mut index = 0usize;
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            match serde_json::from_str::<KeyValue>(raw.get()) {
                Ok(kv) => {
                    if let Some(k) = kv.key {
                        out.values.insert(k, kv.value.0);
                    }
                }
                Err(e) => out.problems.push(format!(
                    "attribute {}: {}",
                    attribute_label(raw, index),
                    error_reason(&e)
                )),
            }
            index += 1;
        }
        Ok(out)
    }
    /// Some non-standard writers emit attributes as a plain object; accept it as-is.
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = Attributes::default();
        if !self.tolerant {
            while let Some((k, v)) = m.next_entry::<String, AnyValue>()? {
                out.values.insert(k, v.0);
            }
            return Ok(out);
        }
        while let Some((k, raw)) = m.next_entry::<String, &'de RawValue>()? {
            match serde_json::from_str::<AnyValue>(raw.get()) {
                Ok(v) => {
                    out.values.insert(k, v.0);
                }
                Err(e) => out
                    .problems
                    .push(format!("attribute {k:?}: {}", error_reason(&e))),
            }
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Attributes::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Attributes::default())
    }
}

/// Names a bad attribute in a report: its key when that much can be read, else its position.
/// Runs only on the failure path.
fn attribute_label(raw: &RawValue, index: usize) -> String {
    #[derive(Deserialize)]
    struct KeyOnly {
        key: Option<String>,
    }
    match serde_json::from_str::<KeyOnly>(raw.get()) {
        Ok(KeyOnly { key: Some(k) }) => format!("{k:?}"),
        _ => format!("#{index}"),
    }
}

/// A serde_json error without its position: positions inside a span's own text would not match
/// the line a user looks at.
pub(super) fn error_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_string(),
        _ => text,
    };
    // serde_json's words for a lone UTF-16 surrogate do not say what is wrong with the input.
    if text.contains("hex escape") {
        return format!("{text} (a \\u escape that is not a character, e.g. a lone surrogate)");
    }
    text
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
                    out = Value::Object(m.next_value::<NestedAttributes>()?.0);
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
}
