//! Issue 15 case 5, as reproduced: one bad span (or one bad attribute) in the demo's first line
//! (42 spans in two scopes, 7 traces) costs only that span (or attribute), and the problem names
//! the span's position in the line.

use super::{SpanProblem, parse_line, read_line};
use serde_json::{Value, json};

const DEMO: &str = include_str!("../../../assets/demo/support-bot.otlp.jsonl");

fn demo_line1() -> Value {
    let line = DEMO.lines().next().unwrap_or_default();
    serde_json::from_str(line).expect("the demo's first line is JSON")
}

/// The `index`-th span of the line, counted across scopes as the reader does.
fn span_mut(doc: &mut Value, index: usize) -> &mut Value {
    let scopes = doc["resourceSpans"][0]["scopeSpans"]
        .as_array_mut()
        .expect("scopeSpans");
    let mut rest = index;
    for scope in scopes {
        let spans = scope["spans"].as_array_mut().expect("spans");
        if rest < spans.len() {
            return &mut spans[rest];
        }
        rest -= spans.len();
    }
    panic!("no span {index}");
}

/// Mutations of one span, each producing the raw line text (some are not expressible as a
/// `Value`: duplicate keys, lone surrogates).
fn mutated(index: usize, how: &str) -> String {
    let mut doc = demo_line1();
    let span = span_mut(&mut doc, index);
    match how {
        "name: 123" => span["name"] = json!(123),
        "no traceId" => {
            span.as_object_mut().map(|o| o.remove("traceId"));
        }
        "boolValue: yes" => span["attributes"]
            .as_array_mut()
            .expect("attributes")
            .push(json!({"key": "x.flag", "value": {"boolValue": "yes"}})),
        "duplicate key" => span["name"] = json!("@@DUP@@"),
        "lone surrogate" => span["name"] = json!("@@SUR@@"),
        other => panic!("unknown mutation {other}"),
    }
    doc.to_string()
        .replace("\"@@DUP@@\"", "\"a\", \"name\": \"b\"")
        .replace("@@SUR@@", "\\ud800")
}

fn span_ids(line: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    let mut ids = Vec::new();
    for scope in doc["resourceSpans"][0]["scopeSpans"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for s in scope["spans"].as_array().into_iter().flatten() {
            ids.push(s["spanId"].as_str().unwrap_or_default().to_string());
        }
    }
    ids
}

#[test]
fn the_demo_line_has_42_spans() {
    let read = read_line(DEMO.lines().next().unwrap_or_default().as_bytes()).unwrap();
    assert_eq!(read.spans.len(), 42);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
}

#[test]
fn one_bad_span_costs_only_itself() {
    let original = span_ids(DEMO.lines().next().unwrap_or_default());
    for index in [0, 20, 41] {
        for how in ["name: 123", "no traceId", "duplicate key", "lone surrogate"] {
            let line = mutated(index, how);
            let read = read_line(line.as_bytes())
                .unwrap_or_else(|e| panic!("{how} at span {index}: line rejected: {e}"));
            let kept: Vec<&str> = read.spans.iter().map(|s| s.span_id.as_str()).collect();
            let expected: Vec<&str> = original
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .map(|(_, id)| id.as_str())
                .collect();
            assert_eq!(kept, expected, "{how} at span {index}");
            assert_eq!(read.problems.len(), 1, "{how}: {:?}", read.problems);
            assert_eq!(read.problems[0].span, Some(index), "{how}");
            let shown = read.problems[0].to_string();
            assert!(shown.starts_with(&format!("span {index}: ")), "{shown}");
            assert!(
                !shown.contains(" at line "),
                "no misleading position: {shown}"
            );
            // The strict reader still refuses the line.
            assert!(parse_line(line.as_bytes()).is_err(), "{how}");
        }
    }
}

#[test]
fn the_reasons_say_what_was_wrong() {
    let reason = |how: &str| read_line(mutated(0, how).as_bytes()).unwrap().problems[0].to_string();
    assert!(reason("name: 123").contains("invalid type: integer `123`"));
    assert!(reason("no traceId").contains("has no traceId"));
    assert!(reason("duplicate key").contains("duplicate field `name`"));
    let surrogate = reason("lone surrogate");
    assert!(surrogate.contains("lone surrogate"), "{surrogate}");
}

#[test]
fn one_bad_attribute_costs_only_itself() {
    let read = read_line(mutated(0, "boolValue: yes").as_bytes()).unwrap();
    assert_eq!(read.spans.len(), 42);
    let first = &read.spans[0];
    assert!(!first.attributes.contains_key("x.flag"));
    assert!(
        first.attributes.len() > 3,
        "the span's other attributes are kept"
    );
    assert_eq!(
        read.problems,
        vec![SpanProblem {
            span: Some(0),
            reason: "attribute \"x.flag\": invalid type: string \"yes\", expected a boolean".into()
        }]
    );
}

#[test]
fn bad_attributes_in_every_place_are_confined() {
    let line = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}},{"key":5,"value":{}}]},
        "scopeSpans":[{"spans":[
          {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"a",
           "attributes":{"ok":{"intValue":"3"},"bad":{"intValue":{"x":[}}},
           "events":[{"name":"ev","attributes":[{"key":"k","value":{"boolValue":1}},{"key":"j","value":{"stringValue":"s"}}]}]},
          null,
          {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"c7ad6b7169203331","name":"b"}]}]}]}"#;
    // The plain-object attribute form with a syntax error inside is a whole-line error: the JSON
    // itself is broken. Fix that one and look at the rest.
    assert!(read_line(line.as_bytes()).is_err());
    let line = line.replace(r#"{"x":[}"#, r#"{"x":[]}"#);
    let read = read_line(line.as_bytes()).unwrap();
    let names: Vec<&str> = read.spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(read.spans[0].service_name.as_deref(), Some("svc"));
    assert_eq!(read.spans[0].attributes.get("ok"), Some(&json!(3)));
    assert_eq!(
        read.spans[0].events[0].attributes.get("j"),
        Some(&json!("s"))
    );
    let shown: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert!(shown[0].starts_with("resource attribute #1: "), "{shown:?}");
    assert!(
        shown[1].starts_with("span 0: attribute \"bad\": "),
        "{shown:?}"
    );
    assert!(
        shown[2].starts_with("span 0: event \"ev\": attribute \"k\": "),
        "{shown:?}"
    );
    assert!(
        shown[3].starts_with("span 1: invalid type: null"),
        "{shown:?}"
    );
}

#[test]
fn invalid_utf8_in_one_string_keeps_the_line() {
    let line = DEMO.lines().next().unwrap_or_default();
    let mut bytes = line.as_bytes().to_vec();
    let at = line.find("CreateEmbeddings").expect("a span name");
    bytes[at] = 0xFF;
    let read = read_line(&bytes).unwrap();
    assert_eq!(read.spans.len(), 42);
    assert_eq!(read.problems[0].span, None);
    assert!(read.problems[0].reason.contains("UTF-8"));
}
