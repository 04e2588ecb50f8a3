//! The second reading of an OTLP/JSON body that serde_json refused for its nesting: an attribute
//! value (`AnyValue`) nested deeper than serde_json's recursion limit used to cost every span of
//! the request. As [`super::lossy`] does for protobuf, the too-deep value is replaced with
//! [`TOO_DEEP`] and the rest of the request is read as sent.
//!
//! A pre-pass over the bytes, run only when the first reading failed: it copies the body,
//! counting open objects and arrays (a heap stack, so any depth is safe), and where a container
//! would open past [`MAX_DEPTH`] it cuts the innermost `AnyValue` around it (rewinding the copy
//! to where that value began) and writes `{"stringValue":"[nested too deep]"}` instead. An
//! `AnyValue` is the `value` of a `KeyValue` or an item of an `arrayValue`'s `values`; nesting
//! outside any `AnyValue` is no attribute to repair, and the body stays refused.
//!
//! The pre-pass does not validate: a malformed body stays malformed and serde_json says why.

use super::lossy::TOO_DEEP;

/// Most objects and arrays open at once that serde_json reads (it refuses the 128th).
pub const MAX_DEPTH: usize = 127;

/// A body with its too-deep values cut, and how many were cut.
#[derive(Debug)]
pub struct Cut {
    pub body: Vec<u8>,
    pub values: u64,
}

/// The key a container sits under in its object (the ones that make an `AnyValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Value,
    Values,
    ArrayValue,
    Other,
}

impl Key {
    fn of(raw: &[u8]) -> Key {
        match raw {
            b"value" => Key::Value,
            b"values" => Key::Values,
            b"arrayValue" | b"array_value" => Key::ArrayValue,
            _ => Key::Other,
        }
    }
}

struct Frame {
    object: bool,
    /// The key this container sits under in its parent object (`Other` in an array).
    own: Key,
    /// The last key read in this object, naming the value that follows it.
    last_key: Key,
    /// The next string in this object is a key.
    expect_key: bool,
    any_value: bool,
    /// Where this container starts in the copy.
    out_start: usize,
}

/// The body with every `AnyValue` that reaches past [`MAX_DEPTH`] cut; `None` when nothing was
/// cut (the body was refused for something else, or the nesting is outside any value).
pub fn cut_deep_values(body: &[u8]) -> Option<Cut> {
    let mut out = Vec::with_capacity(body.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut values = 0u64;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        match b {
            b'"' => {
                let end = string_end(body, i);
                if let Some(top) = stack.last_mut()
                    && top.object
                    && top.expect_key
                {
                    top.last_key = Key::of(body.get(i + 1..end.saturating_sub(1)).unwrap_or(&[]));
                    top.expect_key = false;
                }
                out.extend_from_slice(&body[i..end]);
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let object = b == b'{';
                let (own, any_value) = context(&stack, object);
                if stack.len() < MAX_DEPTH {
                    stack.push(Frame {
                        object,
                        own,
                        last_key: Key::Other,
                        expect_key: object,
                        any_value,
                        out_start: out.len(),
                    });
                    out.push(b);
                    i += 1;
                    continue;
                }
                // Too deep: cut the innermost value around this container (or the container).
                let cut_at = if any_value {
                    stack.len()
                } else {
                    stack.iter().rposition(|f| f.any_value)?
                };
                if let Some(f) = stack.get(cut_at) {
                    out.truncate(f.out_start);
                }
                out.extend_from_slice(format!("{{\"stringValue\":{TOO_DEEP:?}}}").as_bytes());
                values += 1;
                // The containers still open inside the cut value, this one included.
                let open = stack.len() + 1 - cut_at;
                stack.truncate(cut_at);
                i = skip_containers(body, i + 1, open);
                continue;
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(top) = stack.last_mut()
                    && top.object
                {
                    top.expect_key = true;
                }
            }
            _ => {}
        }
        out.push(b);
        i += 1;
    }
    (values > 0).then_some(Cut { body: out, values })
}

/// The key of a container opening under `stack`'s top, and whether it is an `AnyValue`.
fn context(stack: &[Frame], object: bool) -> (Key, bool) {
    match stack.split_last() {
        Some((parent, _)) if parent.object => {
            (parent.last_key, object && parent.last_key == Key::Value)
        }
        // An item of `arrayValue.values`.
        Some((parent, rest)) => {
            let in_array_value =
                parent.own == Key::Values && rest.last().is_some_and(|g| g.own == Key::ArrayValue);
            (Key::Other, object && in_array_value)
        }
        None => (Key::Other, false),
    }
}

/// The index just past the string starting at `start` (a `"`), or the body's end.
fn string_end(body: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    body.len()
}

/// The index just past the point where `open` containers, open before `from`, have closed.
fn skip_containers(body: &[u8], from: usize, mut open: usize) -> usize {
    let mut i = from;
    while i < body.len() && open > 0 {
        match body[i] {
            b'"' => {
                i = string_end(body, i);
                continue;
            }
            b'{' | b'[' => open += 1,
            b'}' | b']' => open -= 1,
            _ => {}
        }
        i += 1;
    }
    i.min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attribute whose value is `levels` `arrayValue`s around a string, in a one-span body.
    fn body(levels: usize, tail: &str) -> String {
        let mut value = "{\"stringValue\":\"bottom \\\"]}\"}".to_string();
        for _ in 0..levels {
            value = format!("{{\"arrayValue\":{{\"values\":[{value}]}}}}");
        }
        format!(
            "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{\"name\":\"a\",\
             \"attributes\":[{{\"key\":\"deep\",\"value\":{value}}},\
             {{\"key\":\"after\",\"value\":{{\"stringValue\":\"kept\"}}}}]}}]}}]}}]{tail}}}"
        )
    }

    fn depth(json: &[u8]) -> usize {
        let (mut d, mut max) = (0usize, 0usize);
        let mut i = 0;
        while i < json.len() {
            match json[i] {
                b'"' => {
                    i = string_end(json, i);
                    continue;
                }
                b'{' | b'[' => {
                    d += 1;
                    max = max.max(d);
                }
                b'}' | b']' => d -= 1,
                _ => {}
            }
            i += 1;
        }
        max
    }

    #[test]
    fn max_depth_is_serde_jsons_limit() {
        let at = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let past = format!("[{at}]");
        assert!(serde_json::from_str::<serde_json::Value>(&at).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&past).is_err());
    }

    #[test]
    fn a_body_within_the_limit_is_not_cut() {
        assert!(cut_deep_values(body(30, "").as_bytes()).is_none());
        assert!(cut_deep_values(b"{\"resourceSpans\":[").is_none());
    }

    #[test]
    fn the_innermost_value_past_the_limit_is_cut_and_the_rest_kept() {
        for levels in [45, 200, 5000] {
            let text = body(levels, ",\"x\":[[\"]\"]]");
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
            let cut = cut_deep_values(text.as_bytes()).unwrap_or_else(|| panic!("{levels}"));
            assert_eq!(cut.values, 1, "{levels}");
            assert!(depth(&cut.body) <= MAX_DEPTH, "{levels}");
            let back: serde_json::Value =
                serde_json::from_slice(&cut.body).unwrap_or_else(|e| panic!("{levels}: {e}"));
            let attrs = &back["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
            assert_eq!(attrs[1]["value"]["stringValue"], "kept");
            assert_eq!(back["x"][0][0], "]");
            let text = String::from_utf8_lossy(&cut.body);
            assert!(text.contains(TOO_DEEP), "{text}");
            assert!(!text.contains("bottom"), "{text}");
        }
    }

    #[test]
    fn nesting_outside_any_value_is_not_repaired() {
        let text = format!("{{\"a\":{}{}}}", "[".repeat(300), "]".repeat(300));
        assert!(cut_deep_values(text.as_bytes()).is_none());
    }

    #[test]
    fn malformed_bodies_do_not_panic() {
        for text in [
            "]]]}}}",
            "\"\\",
            "{\"value\":",
            "[[[[\"",
            &"{\"value\":".repeat(400),
        ] {
            let _ = cut_deep_values(text.as_bytes());
        }
    }
}
