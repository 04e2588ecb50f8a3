//! Flexible scalars: 64-bit integers as numbers or strings, enums as integers or names, and
//! hex or base64 ids (formats.md §1.4).

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::ingest::semconv::value::{int_from_f64, int_from_str};

/// int64 written as a decimal string or a number, read by the one lenient integer rule
/// ([`int_from_str`]: floats are truncated toward zero, out-of-range values clamp).
#[derive(Default)]
pub(super) struct FlexI64(pub(super) Option<i64>);

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
        Ok(int_from_f64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(int_from_str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// OTel SpanKind as an integer or a name (`SPAN_KIND_CLIENT`, `CLIENT`, `SpanKind.CLIENT`).
#[derive(Default)]
pub(super) struct SpanKindNum(pub(super) Option<u8>);

impl<'de> Deserialize<'de> for SpanKindNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(EnumVisitor(span_kind_by_name))?;
        Ok(SpanKindNum(v.and_then(|n| u8::try_from(n).ok())))
    }
}

/// An OTel span kind by name: `SPAN_KIND_CLIENT`, `SpanKind.CLIENT`, `client`.
pub(crate) fn span_kind_by_name(s: &str) -> Option<i64> {
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
pub(super) struct StatusNum(pub(super) i64);

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
pub(super) struct Id(pub(super) Option<String>);

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
fn normalize_id(raw: &str) -> Option<String> {
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
    fn flex_ints() {
        let v: FlexI64 = serde_json::from_str(r#""1735689600000000000""#).unwrap();
        assert_eq!(v.0, Some(1_735_689_600_000_000_000));
        let v: FlexI64 = serde_json::from_str("1735689600000000000").unwrap();
        assert_eq!(v.0, Some(1_735_689_600_000_000_000));
        let v: FlexI64 = serde_json::from_str("null").unwrap();
        assert_eq!(v.0, None);
    }
}
