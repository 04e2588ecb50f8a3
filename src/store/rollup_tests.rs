//! Spans keep no previews of their own: a trace extended by a later import computes its
//! question/answer preview from the stored payloads, and must show what a one-file import shows.

use crate::import::{ImportOptions, import_file};
use crate::store::{SortKey, Store, TraceFilter};
use serde_json::Value;

const BOT: &str = "tests/fixtures/openinference_support_bot_40.otlp.jsonl";

/// The fixture's lines with only the spans `keep` accepts (empty scopes and lines dropped).
fn filtered(keep: &dyn Fn(&Value) -> bool) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(BOT);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{BOT}: {e}"));
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let mut kept = 0;
        for rs in doc["resourceSpans"].as_array_mut().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
                if let Some(spans) = ss["spans"].as_array_mut() {
                    spans.retain(|s| keep(s));
                    kept += spans.len();
                }
            }
        }
        if kept > 0 {
            out.push_str(&doc.to_string());
            out.push('\n');
        }
    }
    out
}

fn is_root(s: &Value) -> bool {
    s["parentSpanId"].as_str().is_none_or(str::is_empty)
}

fn is_llm(s: &Value) -> bool {
    s["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|a| a["key"] == "openinference.span.kind" && a["value"]["stringValue"] == "LLM")
}

/// The trace rows of a fresh store after importing `parts` one after the other, newest first.
fn rows_after(parts: &[&str]) -> Vec<crate::model::Trace> {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
    for (i, part) in parts.iter().enumerate() {
        let src = d.path().join(format!("part{i}.jsonl"));
        std::fs::write(&src, part).unwrap_or_else(|e| panic!("{e}"));
        import_file(&mut store, &src, ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    }
    store
        .list_traces(&TraceFilter::default(), SortKey::Start, true, 1000, 0)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every trace row, as text, after importing `parts` one after the other.
fn traces_after(parts: &[String]) -> String {
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let traces = rows_after(&parts);
    assert_eq!(traces.len(), 40);
    traces.iter().map(|t| format!("{t:?}\n")).collect()
}

#[test]
fn a_root_or_llm_call_arriving_later_gives_the_one_file_previews() {
    let whole = traces_after(&[filtered(&|_| true)]);
    assert!(whole.contains("input_preview: Some("), "{whole}");
    for (what, late) in [
        ("roots", &is_root as &dyn Fn(&Value) -> bool),
        ("LLM calls", &is_llm),
        ("spans that are neither", &|s: &Value| {
            !is_root(s) && !is_llm(s)
        }),
    ] {
        let split = traces_after(&[filtered(&|s| !late(s)), filtered(late)]);
        assert_eq!(split, whole, "{what} imported second");
    }
}

/// A trace extended by a second import counts once in each import's touched traces, and
/// importing a file again touches nothing.
#[test]
fn touched_traces_count_each_trace_once_per_import() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
    let mut import = |name: &str, text: String| {
        let src = d.path().join(name);
        std::fs::write(&src, text).unwrap_or_else(|e| panic!("{e}"));
        import_file(&mut store, &src, ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"))
    };
    let first = import("a.jsonl", filtered(&|s| !is_llm(s)));
    let second = import("b.jsonl", filtered(&is_llm));
    let again = import("b2.jsonl", filtered(&is_llm));
    assert_eq!((first.traces_new, first.traces_touched), (40, 40));
    assert_eq!((second.traces_new, second.traces_touched), (0, 40));
    assert_eq!((again.spans_new, again.traces_touched), (0, 0));
}

/// One OTLP/JSON line holding one span of one trace (`…a1` is its root).
fn span_line(
    span: &str,
    start_s: i64,
    session: Option<&str>,
    user: Option<&str>,
    service: Option<&str>,
) -> String {
    let mut attrs = vec![
        serde_json::json!({"key": "openinference.span.kind", "value": {"stringValue": "CHAIN"}}),
    ];
    for (k, v) in [("session.id", session), ("user.id", user)] {
        if let Some(v) = v {
            attrs.push(serde_json::json!({"key": k, "value": {"stringValue": v}}));
        }
    }
    let start = 1_790_000_000_000_000_000i64 + start_s * 1_000_000_000;
    let mut s = serde_json::json!({
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": span, "name": span,
        "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 500_000_000).to_string(),
        "attributes": attrs, "status": {}
    });
    if span != "00000000000000a1" {
        s["parentSpanId"] = Value::from("00000000000000a1");
    }
    let resource: Vec<Value> = service
        .map(|v| serde_json::json!({"key": "service.name", "value": {"stringValue": v}}))
        .into_iter()
        .collect();
    let doc = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": resource},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": [s]}]
    }]});
    format!("{doc}\n")
}

/// (session, user, service) of the one trace after importing `parts` one after the other.
fn labels_after(parts: &[&String]) -> (Option<String>, Option<String>, Option<String>) {
    let parts: Vec<&str> = parts.iter().map(|p| p.as_str()).collect();
    let traces = rows_after(&parts);
    assert_eq!(traces.len(), 1);
    let t = &traces[0];
    (t.session_id.clone(), t.user_id.clone(), t.service.clone())
}

/// Spans keep no session, user or service in their rows (schema 11): a trace extended by
/// later imports takes each from its spans in start order, as a one-file import does, whatever
/// order the spans arrive in, and a span imported again with other values wins.
#[test]
fn sessions_users_and_services_come_from_the_first_span_holding_them_in_any_arrival_order() {
    let root = span_line(
        "00000000000000a1",
        100,
        None,
        Some("u-root"),
        Some("svc-root"),
    );
    let late = span_line(
        "00000000000000b2",
        200,
        Some("s-late"),
        None,
        Some("svc-late"),
    );
    let early = span_line("00000000000000c3", 50, None, None, None);
    let whole = labels_after(&[&format!("{root}{late}{early}")]);
    assert_eq!(
        whole,
        (
            Some("s-late".into()),
            Some("u-root".into()),
            Some("svc-root".into())
        )
    );
    let parts = [&root, &late, &early];
    for order in [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ] {
        let split: Vec<&String> = order.iter().map(|&i| parts[i]).collect();
        assert_eq!(labels_after(&split), whole, "{order:?}");
    }
    // The earliest span, imported again with a session and a user: the last copy wins.
    let early_again = span_line(
        "00000000000000c3",
        50,
        Some("s-early"),
        Some("u-early"),
        None,
    );
    assert_eq!(
        labels_after(&[&root, &late, &early, &early_again]),
        (
            Some("s-early".into()),
            Some("u-early".into()),
            Some("svc-root".into())
        )
    );
    // And again without them: the session goes back to the late span's.
    assert_eq!(labels_after(&[&root, &late, &early_again, &early]), whole);
}
