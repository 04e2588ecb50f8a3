//! Figures a reader can trust: an end time beyond what nanoseconds hold is a span problem, not a
//! duration.

use serde_json::{Value, json};
use std::path::Path;

use crate::util::{Trawl, streams};

fn s(v: &str) -> Value {
    json!({ "stringValue": v })
}

fn attrs(pairs: &[(&str, Value)]) -> Value {
    pairs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect()
}

/// One trace: a chain root over one gpt-4o call, with `usage` as its token attributes (none
/// when empty) and `end` as the call's end time.
fn trace_line(trace_id: &str, usage: &[(&str, Value)], end: &str, error: bool) -> String {
    let root = json!({
        "traceId": trace_id, "spanId": "1111111111111111", "name": "root",
        "startTimeUnixNano": "1793013548000000000", "endTimeUnixNano": "1793013549000000000",
        "attributes": attrs(&[("openinference.span.kind", s("CHAIN"))]),
    });
    let mut llm_attrs = vec![
        ("openinference.span.kind", s("LLM")),
        ("llm.model_name", s("gpt-4o")),
    ];
    llm_attrs.extend(usage.iter().cloned());
    let mut llm = json!({
        "traceId": trace_id, "spanId": "2222222222222222", "parentSpanId": "1111111111111111",
        "name": "llm", "startTimeUnixNano": "1793013548100000000", "endTimeUnixNano": end,
        "attributes": attrs(&llm_attrs),
    });
    if error {
        llm["status"] = json!({"code": 2, "message": "rate limited"});
    }
    json!({"resourceSpans": [{"resource": {"attributes": []},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": [root, llm]}]}]})
    .to_string()
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = Trawl::new(dir).args(args).env("COLUMNS", "200").output();
    let (out, err) = streams(&o);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (o.status.code(), out, err)
}

fn import(dir: &Path, lines: &[String]) -> (String, String) {
    let file = dir.join("t.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let db = dir.join("t.db").display().to_string();
    let (code, out, err) = run(dir, &["import", "--store", &db, file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
    (db, out)
}

fn show_json(dir: &Path, db: &str, id: &str) -> Value {
    let (code, out, err) = run(dir, &["show", "--store", db, id, "--json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn an_end_time_beyond_u64_nanoseconds_is_a_span_problem_not_a_duration() {
    let d = tempfile::tempdir().unwrap();
    let (db, out) = import(
        d.path(),
        &[trace_line(
            "0123456789abcdef0123456789abcdef",
            &[],
            "99999999999999999999999",
            false,
        )],
    );
    assert!(out.contains("1 span problem"), "{out}");
    let doc = show_json(d.path(), &db, "0123");
    // The call's end is unknown; the trace spans its root's second, not centuries.
    assert_eq!(doc["span_count"], json!(2), "{doc}");
    assert_eq!(doc["duration_ms"], json!(1000.0), "{doc}");
    let spans = doc["spans"].as_array().unwrap();
    let llm = spans.iter().find(|s| s["name"] == json!("llm")).unwrap();
    assert_eq!(llm["duration_ms"], Value::Null, "{llm}");
    let (code, out, err) = run(d.path(), &["show", "--store", &db, "0123"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains("123839308"), "{out}");
}
