//! Figures a reader can trust: an LLM call without usage is a call of unknown cost (not a free
//! one), and an end time beyond what nanoseconds hold is a span problem, not a duration.

use serde_json::{Value, json};
use std::path::Path;

use crate::util::{import_lines, otlp_attributes as attrs, otlp_string as s, run_at_width};

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
    run_at_width(dir, args, 200)
}

fn import(dir: &Path, lines: &[String]) -> (String, String) {
    import_lines(dir, lines, 200)
}

fn show_json(dir: &Path, db: &str, id: &str) -> Value {
    let (code, out, err) = run(dir, &["show", "--store", db, id, "--json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

const END: &str = "1793013548900000000";

#[test]
fn a_call_without_usage_makes_the_trace_cost_unknown() {
    let d = tempfile::tempdir().unwrap();
    let usage = [
        ("llm.token_count.prompt", json!({"intValue": "1000"})),
        ("llm.token_count.completion", json!({"intValue": "100"})),
    ];
    let (db, _) = import(
        d.path(),
        &[
            trace_line("0123456789abcdef0123456789abcdef", &[], END, false),
            trace_line("fedcba9876543210fedcba9876543210", &usage, END, false),
            trace_line("00000000000000000000000000000001", &[], END, true),
        ],
    );
    let bare = show_json(d.path(), &db, "0123");
    assert_eq!(bare["unknown_cost_spans"], json!(1), "{bare}");
    assert_eq!(bare["cost_usd"], Value::Null, "{bare}");
    assert_eq!(bare["llm_calls"], json!(1), "{bare}");
    // A trace whose call has usage is priced as before.
    let priced = show_json(d.path(), &db, "fedc");
    assert_eq!(priced["unknown_cost_spans"], json!(0), "{priced}");
    assert!(
        priced["cost_usd"].as_f64().is_some_and(|c| c > 0.0),
        "{priced}"
    );
    // A call that failed before any token reports none and is taken as not billed.
    let failed = show_json(d.path(), &db, "00000000");
    assert_eq!(failed["unknown_cost_spans"], json!(0), "{failed}");
    assert_eq!(failed["cost_usd"], json!(0.0), "{failed}");

    let (code, out, err) = run(d.path(), &["traces", "--store", &db, "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    let row = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["trace_id"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {out}"))
    };
    let bare = row("0123456789abcdef0123456789abcdef");
    assert_eq!(bare["unknown_cost_spans"], json!(1), "{bare}");
    assert_eq!(bare["cost_usd"], Value::Null, "{bare}");
    let priced = row("fedcba9876543210fedcba9876543210");
    assert_eq!(priced["unknown_cost_spans"], json!(0), "{priced}");
    // The human views flag the unknown cost the way an unpriced model is flagged.
    let (code, out, err) = run(d.path(), &["show", "--store", &db, "0123"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("1 span(s) with unknown price"), "{out}");
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
