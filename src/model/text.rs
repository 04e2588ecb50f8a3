//! What a person reads as a span's input or output: the raw payload decoded (JSON text, possibly
//! encoded twice) and reduced to text by the conventions producers use (docs/sources.md, "Rules
//! common to every source"). Shared by the store's previews and the judge's input so the list,
//! the judge and `export --eval` always agree on the question and the answer.

use serde_json::{Map, Value};

use super::RawValue;

/// Keys that hold what the user asked, in order of preference.
const QUESTION_KEYS: &[&str] = &[
    "question",
    "query",
    "input",
    "message",
    "prompt",
    "text",
    "user_input",
    "content",
];

/// Keys that hold what the operation answered, in order of preference.
const ANSWER_KEYS: &[&str] = &[
    "answer",
    "output",
    "response",
    "content",
    "text",
    "result",
    "final_answer",
];

/// Nesting depth up to which objects are searched (`{"input": {"question": …}}`).
const MAX_DEPTH: usize = 3;

/// The user's text in a raw input: a plain string as it is; JSON decoded, then a Traceloop call
/// record `{args, kwargs}` → its first string argument or question-like kwarg; an object → a
/// question-like key, its `messages`' last user message, or its only value; a message list →
/// the last user message. `None` when nothing reads as text.
pub fn input_text(raw: &RawValue) -> Option<String> {
    match decode(&raw.value) {
        Some(v) => question_in(&v, 0),
        None => plain(&raw.value),
    }
}

/// The answer's text in a raw output: a plain string as it is; a JSON string without its quotes;
/// an object → an answer-like key, `choices[0].message`, an assistant message or its `messages`'
/// last assistant message; a message list → the last assistant message.
pub fn output_text(raw: &RawValue) -> Option<String> {
    match decode(&raw.value) {
        Some(v) => answer_in(&v, 0),
        None => plain(&raw.value),
    }
}

fn plain(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

/// At most two JSON decodes of text that looks like JSON; `None` when it is not JSON.
fn decode(s: &str) -> Option<Value> {
    let t = s.trim();
    if !looks_like_json(t) {
        return None;
    }
    let once: Value = serde_json::from_str(t).ok()?;
    if let Value::String(inner) = &once
        && looks_like_json(inner.trim())
        && let Ok(twice) = serde_json::from_str::<Value>(inner.trim())
    {
        return Some(twice);
    }
    Some(once)
}

fn looks_like_json(t: &str) -> bool {
    t.starts_with('{') || t.starts_with('[') || t.starts_with('"')
}

fn question_in(v: &Value, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        Value::String(s) => plain(s),
        Value::Array(items) => last_message_text(items, &["user", "human"]),
        Value::Object(o) => {
            if let Some(Value::Array(args)) = o.get("args") {
                return call_record_text(args, o.get("kwargs"));
            }
            if let Some(t) = keyed(o, QUESTION_KEYS, |x| question_in(x, depth + 1)) {
                return Some(t);
            }
            if let Some(Value::Array(msgs)) = o.get("messages") {
                return last_message_text(msgs, &["user", "human"]);
            }
            only_value(o).and_then(|x| question_in(x, depth + 1))
        }
        _ => None,
    }
}

/// A Traceloop `@workflow`/`@task` call record: positional arguments first (objects such as
/// `self` skipped), then a question-like keyword, then the only string keyword.
fn call_record_text(args: &[Value], kwargs: Option<&Value>) -> Option<String> {
    if let Some(s) = args.iter().find_map(|a| a.as_str().and_then(plain)) {
        return Some(s);
    }
    let kw = kwargs?.as_object()?;
    if let Some(t) = keyed(kw, QUESTION_KEYS, |x| x.as_str().and_then(plain)) {
        return Some(t);
    }
    let strings: Vec<&str> = kw.values().filter_map(Value::as_str).collect();
    match strings.as_slice() {
        [one] => plain(one),
        _ => None,
    }
}

fn answer_in(v: &Value, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        Value::String(s) => plain(s),
        Value::Array(items) => last_message_text(items, &["assistant", "ai", "model"]),
        Value::Object(o) => {
            if is_message(o) {
                return message_text(o);
            }
            if let Some(t) = keyed(o, ANSWER_KEYS, |x| answer_in(x, depth + 1)) {
                return Some(t);
            }
            if let Some(first) = o
                .get("choices")
                .and_then(Value::as_array)
                .and_then(|c| c.first())
            {
                let m = first.get("message").unwrap_or(first);
                if let Some(t) = answer_in(m, depth + 1) {
                    return Some(t);
                }
            }
            if let Some(Value::Array(msgs)) = o.get("messages") {
                return last_message_text(msgs, &["assistant", "ai", "model"]);
            }
            only_value(o).and_then(|x| answer_in(x, depth + 1))
        }
        _ => None,
    }
}

fn keyed(
    o: &Map<String, Value>,
    keys: &[&str],
    read: impl Fn(&Value) -> Option<String>,
) -> Option<String> {
    keys.iter().find_map(|k| o.get(*k).and_then(&read))
}

fn only_value(o: &Map<String, Value>) -> Option<&Value> {
    let mut it = o.values();
    match (it.next(), it.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    }
}

fn is_message(o: &Map<String, Value>) -> bool {
    o.contains_key("role") && o.contains_key("content")
}

fn role_of(o: &Map<String, Value>) -> Option<&str> {
    o.get("role")
        .or_else(|| o.get("type"))
        .and_then(Value::as_str)
}

/// The text of the last message whose role is one of `roles` (OpenAI `role`, LangChain `type`).
fn last_message_text(items: &[Value], roles: &[&str]) -> Option<String> {
    items.iter().rev().find_map(|m| {
        let o = m.as_object()?;
        let role = role_of(o)?.to_ascii_lowercase();
        roles
            .contains(&role.as_str())
            .then(|| message_text(o))
            .flatten()
    })
}

/// A message's text: string content, or its text parts joined.
fn message_text(o: &Map<String, Value>) -> Option<String> {
    match o.get("content").or_else(|| o.get("parts"))? {
        Value::String(s) => plain(s),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(po) => {
                        let is_text = po
                            .get("type")
                            .and_then(Value::as_str)
                            .is_none_or(|t| t == "text" || t == "input_text" || t == "output_text");
                        is_text
                            .then(|| po.get("text").or_else(|| po.get("content")))
                            .flatten()
                            .and_then(Value::as_str)
                    }
                    _ => None,
                })
                .collect();
            plain(&texts.join("\n"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> RawValue {
        RawValue {
            value: s.to_string(),
            mime: None,
        }
    }

    #[test]
    fn inputs() {
        let table: &[(&str, Option<&str>)] = &[
            ("Where is my order?", Some("Where is my order?")),
            ("   ", None),
            ("\"quoted question\"", Some("quoted question")),
            (
                r#"{"args": ["Has FH-1 shipped?"], "kwargs": {}}"#,
                Some("Has FH-1 shipped?"),
            ),
            // `self` and other objects are skipped; an empty string is not text.
            (
                r#"{"args": [{"self": 1}, "", "q"], "kwargs": {}}"#,
                Some("q"),
            ),
            (
                r#"{"args": [], "kwargs": {"k": 3, "query": "by kwarg"}}"#,
                Some("by kwarg"),
            ),
            (
                r#"{"args": [], "kwargs": {"user_text": "only one"}}"#,
                Some("only one"),
            ),
            (r#"{"args": [], "kwargs": {"a": "x", "b": "y"}}"#, None),
            (r#"{"question": "q1", "top_k": 5}"#, Some("q1")),
            (r#"{"input": {"question": "nested"}}"#, Some("nested")),
            (
                r#"{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]}"#,
                Some("hi"),
            ),
            (
                r#"[{"role": "user", "content": [{"type": "text", "text": "parts"}]}]"#,
                Some("parts"),
            ),
            (r#"[{"type": "human", "content": "lc"}]"#, Some("lc")),
            (r#"{"a": 1, "b": 2}"#, None),
            ("{not json", Some("{not json")),
        ];
        for (input, want) in table {
            assert_eq!(
                input_text(&raw(input)).as_deref(),
                *want,
                "input_text({input})"
            );
        }
    }

    #[test]
    fn outputs() {
        let table: &[(&str, Option<&str>)] = &[
            ("plain answer", Some("plain answer")),
            ("\"I'm sorry\"", Some("I'm sorry")),
            ("\"\\\"twice\\\"\"", Some("twice")),
            (r#"{"answer": "a", "sources": ["x"]}"#, Some("a")),
            (r#"{"role": "assistant", "content": "msg"}"#, Some("msg")),
            (
                r#"{"choices": [{"message": {"role": "assistant", "content": "c"}}]}"#,
                Some("c"),
            ),
            (
                r#"[{"role": "user", "content": "u"}, {"role": "assistant", "content": "last"}]"#,
                Some("last"),
            ),
            (r#"[{"id": "kb-1", "score": 0.3}]"#, None),
        ];
        for (input, want) in table {
            assert_eq!(
                output_text(&raw(input)).as_deref(),
                *want,
                "output_text({input})"
            );
        }
    }
}
