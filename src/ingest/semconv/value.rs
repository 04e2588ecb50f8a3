//! The one lenient value reader every adapter uses (formats.md §1.4 and §10.7): numbers that
//! arrive as JSON numbers or as text, text that arrives as any scalar, and structured values
//! that arrive as JSON strings (possibly encoded twice) or Python reprs.
//!
//! Adapters read source JSON through these functions only, so two adapters can never disagree
//! about what `"12.7"` or `"\"[…]\""` means.

use serde_json::Value;

use super::pyrepr;

// ---------------------------------------------------------------------------------------------
// Numbers.

/// An integer from a JSON number or a numeric string; `None` for anything else (bools, null,
/// arrays, objects, JSON-quoted strings such as `"\"12\""`).
///
/// The rule for a fractional value (`12.7`, `"12.7"`): **truncate toward zero** (12; -3.7 → -3).
/// Integer-valued floats (`12.0`, `"1e3"`) are common from JavaScript and Python serialisers
/// and must be read. A fractional token count is malformed; truncation keeps the whole tokens
/// that were certainly counted and never invents one, which rounding up would (and which would
/// overstate cost). It is also what the OTLP reader does with float timestamps and what
/// Python's `int()` does. Out-of-range values saturate at `i64::MIN`/`i64::MAX`; NaN and
/// infinities are `None`.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(saturate_u64))
            .or_else(|| n.as_f64().and_then(int_from_f64)),
        Value::String(s) => int_from_str(s),
        _ => None,
    }
}

/// The text form of [`as_i64`]'s rule: surrounding whitespace is ignored; integers are exact
/// (also beyond 2^53, which a float would round); anything else numeric is truncated.
pub fn int_from_str(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(saturate_u64(u));
    }
    t.parse::<f64>().ok().and_then(int_from_f64)
}

/// A float as an integer by [`as_i64`]'s rule: truncated toward zero, saturating; `None` when
/// not finite.
pub fn int_from_f64(f: f64) -> Option<i64> {
    // `as` truncates toward zero and saturates at the i64 bounds.
    f.is_finite().then_some(f as i64)
}

/// The largest token count one span may report. No model call comes near a trillion tokens; a
/// larger (or negative) count is a broken exporter or a hostile file, and kept it would poison
/// every sum over the store (and overflow it: two saturated `i64::MAX` counts do).
pub const MAX_TOKENS: i64 = 1_000_000_000_000;

/// A token count by [`as_i64`]'s rule, `None` (unknown) when it is negative or above
/// [`MAX_TOKENS`]: an impossible count is no count, never a figure.
pub fn as_token_count(v: &Value) -> Option<i64> {
    as_i64(v).filter(|n| (0..=MAX_TOKENS).contains(n))
}

fn saturate_u64(u: u64) -> i64 {
    i64::try_from(u).unwrap_or(i64::MAX)
}

/// A finite float from a JSON number or a numeric string; `None` for anything else. `"NaN"` and
/// `"inf"` parse as floats but are never a usable cost, score or duration, so they are `None`.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// `v[key]` read with [`as_i64`].
pub fn i64_of(v: &Value, key: &str) -> Option<i64> {
    as_i64(v.get(key)?)
}

/// `v[key]` read with [`as_f64`].
pub fn f64_of(v: &Value, key: &str) -> Option<f64> {
    as_f64(v.get(key)?)
}

// ---------------------------------------------------------------------------------------------
// Text.

/// Text of any value: scalars as text, structured values as their JSON text. Null and the
/// empty string are `None`. Use it where a structured value is still worth showing (names and
/// ids in semantic-convention attributes, message fields).
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Text of a scalar only (a non-empty string, a number or a bool); arrays and objects are
/// `None`. Use it for fields of a source's own records (ids, names), where an object in place
/// of a string means the field is something else.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::Array(_) | Value::Object(_) => None,
        other => as_string(other),
    }
}

/// `v[key]` read with [`scalar_string`].
pub fn str_of(v: &Value, key: &str) -> Option<String> {
    scalar_string(v.get(key)?)
}

/// Like [`as_string`] but keeps empty strings (message text can legitimately be empty).
pub fn stringify(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Ids are matched trimmed (formats.md §10.10); avoids a copy when there is nothing to trim.
pub fn trim_id(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() { s } else { t.to_string() }
}

// ---------------------------------------------------------------------------------------------
// Structured values written as text.

/// §10.7 for sources that write JSON: structured values stay as they are; a string that looks
/// like JSON (`{`, `[` or `"` after whitespace) is parsed, and parsed again when that gave a
/// string that looks like JSON (double encoding). Anything that does not parse is kept as it
/// is. See [`parse_jsonish`] for the semantic-convention reader that also accepts Python reprs.
pub fn jsonish(v: &Value) -> Value {
    let Value::String(s) = v else {
        return v.clone();
    };
    decode_json_text(s).unwrap_or_else(|| v.clone())
}

/// [`jsonish`], and when the text is not JSON, a Python literal repr (GenAI v1.26
/// instrumentations wrote `str(list_of_dicts)`), else the string as it is.
pub fn parse_jsonish(v: &Value) -> Value {
    let Value::String(s) = v else {
        return v.clone();
    };
    parse_json_text(s).unwrap_or_else(|| v.clone())
}

/// The text form of [`parse_jsonish`]: `None` when the text is neither JSON nor a Python repr.
pub fn parse_json_text(s: &str) -> Option<Value> {
    decode_json_text(s).or_else(|| {
        let t = s.trim();
        looks_like_json(t).then(|| pyrepr::parse(t)).flatten()
    })
}

/// At most two JSON decodes: text that looks like JSON is parsed, and a parsed string that
/// looks like JSON again is parsed once more. `None` when the first decode fails; when the
/// second fails, the once-decoded string is the answer.
fn decode_json_text(s: &str) -> Option<Value> {
    let t = s.trim();
    if !looks_like_json(t) {
        return None;
    }
    let once = serde_json::from_str::<Value>(t).ok()?;
    let Value::String(inner) = &once else {
        return Some(once);
    };
    let it = inner.trim();
    if !looks_like_json(it) {
        return Some(once);
    }
    Some(serde_json::from_str::<Value>(it).unwrap_or(once))
}

fn looks_like_json(t: &str) -> bool {
    t.starts_with('{') || t.starts_with('[') || t.starts_with('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers() {
        let table: &[(Value, Option<i64>)] = &[
            // Numbers.
            (json!(12), Some(12)),
            (json!(-3), Some(-3)),
            (json!(12.0), Some(12)),
            (json!(12.7), Some(12)),
            (json!(-3.7), Some(-3)),
            (json!(u64::MAX), Some(i64::MAX)),
            (json!(1e30), Some(i64::MAX)),
            // Strings.
            (json!("12"), Some(12)),
            (json!(" 12 "), Some(12)),
            (json!("12.7"), Some(12)),
            (json!("-0.5"), Some(0)),
            (json!("1e3"), Some(1000)),
            (json!("9007199254740993"), Some(9_007_199_254_740_993)),
            (json!("18446744073709551615"), Some(i64::MAX)),
            (json!(""), None),
            (json!("twelve"), None),
            (json!("0x10"), None),
            (json!("NaN"), None),
            (json!("inf"), None),
            // JSON-in-string and double encoding: a quoted number is text, not a number.
            (json!("\"12\""), None),
            (json!("\"\\\"12\\\"\""), None),
            // Not numbers.
            (json!(true), None),
            (json!(false), None),
            (Value::Null, None),
            (json!([12]), None),
            (json!({"value": 12}), None),
        ];
        for (input, want) in table {
            assert_eq!(as_i64(input), *want, "as_i64({input})");
        }
        assert_eq!(int_from_f64(f64::NAN), None);
        assert_eq!(int_from_f64(f64::NEG_INFINITY), None);
        assert_eq!(int_from_f64(-1e30), Some(i64::MIN));
    }

    #[test]
    fn floats() {
        let table: &[(Value, Option<f64>)] = &[
            (json!(0.25), Some(0.25)),
            (json!(3), Some(3.0)),
            (json!(" 0.5 "), Some(0.5)),
            (json!("1e-6"), Some(1e-6)),
            (json!("NaN"), None),
            (json!("-inf"), None),
            (json!("\"0.5\""), None),
            (json!(""), None),
            (json!(true), None),
            (Value::Null, None),
            (json!([0.5]), None),
        ];
        for (input, want) in table {
            assert_eq!(as_f64(input), *want, "as_f64({input})");
        }
        assert_eq!(f64_of(&json!({"c": "2.5"}), "c"), Some(2.5));
        assert_eq!(i64_of(&json!({"n": "7"}), "n"), Some(7));
        assert_eq!(i64_of(&json!({"n": 7}), "m"), None);
    }

    #[test]
    fn text() {
        let table: &[(Value, Option<&str>, Option<&str>)] = &[
            // (value, as_string, scalar_string)
            (json!("abc"), Some("abc"), Some("abc")),
            (json!(""), None, None),
            (json!(12), Some("12"), Some("12")),
            (json!(1.5), Some("1.5"), Some("1.5")),
            (json!(true), Some("true"), Some("true")),
            (Value::Null, None, None),
            (json!([1, 2]), Some("[1,2]"), None),
            (json!({"a": 1}), Some("{\"a\":1}"), None),
            (json!("{\"a\":1}"), Some("{\"a\":1}"), Some("{\"a\":1}")),
        ];
        for (input, text, scalar) in table {
            assert_eq!(as_string(input).as_deref(), *text, "as_string({input})");
            assert_eq!(
                scalar_string(input).as_deref(),
                *scalar,
                "scalar_string({input})"
            );
        }
        assert_eq!(stringify(&json!("")), "");
        assert_eq!(stringify(&Value::Null), "");
        assert_eq!(stringify(&json!({"a": 1})), "{\"a\":1}");
        assert_eq!(str_of(&json!({"id": 7}), "id").as_deref(), Some("7"));
        assert_eq!(trim_id(" call_1 ".to_string()), "call_1");
    }

    #[test]
    fn structured_text() {
        let table: &[(Value, Value, Value)] = &[
            // (value, jsonish, parse_jsonish)
            (json!({"a": 1}), json!({"a": 1}), json!({"a": 1})),
            (json!(12), json!(12), json!(12)),
            (Value::Null, Value::Null, Value::Null),
            (json!(true), json!(true), json!(true)),
            (
                json!("plain text"),
                json!("plain text"),
                json!("plain text"),
            ),
            (json!("12"), json!("12"), json!("12")),
            // JSON in a string.
            (json!(" {\"a\":1} "), json!({"a": 1}), json!({"a": 1})),
            (json!("[1,2]"), json!([1, 2]), json!([1, 2])),
            (json!("\"quoted\""), json!("quoted"), json!("quoted")),
            // Double encoded: a JSON string holding JSON text, and a string encoded twice.
            (json!("\"{\\\"a\\\":1}\""), json!({"a": 1}), json!({"a": 1})),
            (json!("\"\\\"twice\\\"\""), json!("twice"), json!("twice")),
            // Broken JSON inside one level of encoding keeps the decoded string.
            (json!("\"{broken\""), json!("{broken"), json!("{broken")),
            // Not JSON at all.
            (json!("{broken"), json!("{broken"), json!("{broken")),
            // A Python repr is read only by the semantic-convention reader.
            (
                json!("[{'role': 'user'}]"),
                json!("[{'role': 'user'}]"),
                json!([{"role": "user"}]),
            ),
        ];
        for (input, json_only, with_repr) in table {
            assert_eq!(&jsonish(input), json_only, "jsonish({input})");
            assert_eq!(&parse_jsonish(input), with_repr, "parse_jsonish({input})");
        }
        assert_eq!(parse_json_text("not json"), None);
    }
}
