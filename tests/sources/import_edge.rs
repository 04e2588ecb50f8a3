//! Import edge cases through the library: huge lines, split traces, duplicates, roll-ups.

use trawl::import::{ImportOptions, import_file};
use trawl::store::{SortKey, Store, TraceFilter};

fn line(trace: &str, span: &str, parent: Option<&str>, attrs: &str, start: u64) -> String {
    let parent = parent
        .map(|p| format!(",\"parentSpanId\":\"{p}\""))
        .unwrap_or_default();
    format!(
        "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"t\"}},\"spans\":[{{\"traceId\":\"{trace}\",\"spanId\":\"{span}\"{parent},\"name\":\"s-{span}\",\"kind\":1,\"startTimeUnixNano\":\"{start}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[{attrs}],\"status\":{{}}}}]}}]}}]}}\n",
        start + 1_000_000
    )
}

const T1: &str = "11111111111111111111111111111111";

#[test]
fn a_50_mb_line_is_imported_not_rejected() {
    let d = tempfile::tempdir().unwrap();
    let big = "x".repeat(50 * 1024 * 1024);
    let attrs = format!(
        "{{\"key\":\"openinference.span.kind\",\"value\":{{\"stringValue\":\"LLM\"}}}},{{\"key\":\"output.value\",\"value\":{{\"stringValue\":\"{big}\"}}}}"
    );
    let path = d.path().join("big.jsonl");
    std::fs::write(
        &path,
        line(
            T1,
            "aaaaaaaaaaaaaaaa",
            None,
            &attrs,
            1_790_000_000_000_000_000,
        ),
    )
    .unwrap();
    let mut store = Store::open(&d.path().join("s.db")).unwrap();
    let r = import_file(&mut store, &path, ImportOptions::default()).unwrap();
    assert_eq!(r.bad_lines_total, 0, "{:?}", r.bad_lines);
    assert_eq!(r.spans_new, 1);
    let spans = store.trace_spans(T1).unwrap();
    assert_eq!(
        spans[0].output.as_ref().unwrap().value.len(),
        50 * 1024 * 1024
    );
}

#[test]
fn spans_of_one_trace_across_lines_out_of_order_and_duplicated_come_together() {
    let d = tempfile::tempdir().unwrap();
    let llm = "{\"key\":\"openinference.span.kind\",\"value\":{\"stringValue\":\"LLM\"}},{\"key\":\"llm.model_name\",\"value\":{\"stringValue\":\"gpt-4o-2024-08-06\"}},{\"key\":\"llm.token_count.prompt\",\"value\":{\"intValue\":\"1000\"}},{\"key\":\"llm.token_count.completion\",\"value\":{\"intValue\":\"100\"}}";
    let chain = "{\"key\":\"openinference.span.kind\",\"value\":{\"stringValue\":\"CHAIN\"}}";
    let base = 1_790_000_000_000_000_000u64;
    // Child first, then an unrelated line, then the root, then the child again (a retry).
    let content = [
        line(
            T1,
            "bbbbbbbbbbbbbbbb",
            Some("aaaaaaaaaaaaaaaa"),
            llm,
            base + 10,
        ),
        line(
            "22222222222222222222222222222222",
            "cccccccccccccccc",
            None,
            chain,
            base,
        ),
        line(T1, "aaaaaaaaaaaaaaaa", None, chain, base),
        line(
            T1,
            "bbbbbbbbbbbbbbbb",
            Some("aaaaaaaaaaaaaaaa"),
            llm,
            base + 10,
        ),
    ]
    .concat();
    let path = d.path().join("split.jsonl");
    std::fs::write(&path, content).unwrap();
    let mut store = Store::open(&d.path().join("s.db")).unwrap();
    let r = import_file(&mut store, &path, ImportOptions::default()).unwrap();
    assert_eq!((r.spans_new, r.duplicates, r.traces_new), (3, 1, 2));
    let t = store.trace_summary(T1).unwrap().unwrap();
    assert_eq!(t.span_count, 2);
    assert_eq!(t.missing_parents, 0);
    assert_eq!(
        (t.input_tokens, t.output_tokens, t.total_tokens),
        (1000, 100, 1100)
    );
    // gpt-4o: $2.50 / 1M input, $10 / 1M output.
    let cost = t.cost_usd.unwrap();
    assert!(
        (cost - (1000.0 * 2.5e-6 + 100.0 * 1e-5)).abs() < 1e-12,
        "{cost}"
    );
    assert_eq!(t.name.as_deref(), Some("s-aaaaaaaaaaaaaaaa"));

    // Importing again changes nothing.
    let r2 = import_file(&mut store, &path, ImportOptions::default()).unwrap();
    assert_eq!((r2.spans_new, r2.duplicates, r2.traces_new), (0, 4, 0));
    assert_eq!(store.totals().unwrap(), (2, 3));
    let listed = store
        .list_traces(&TraceFilter::default(), SortKey::Cost, true, 10, 0)
        .unwrap();
    assert_eq!(listed[0].trace_id, T1);
}

#[test]
fn an_unknown_model_has_unknown_cost_not_zero() {
    let d = tempfile::tempdir().unwrap();
    let llm = "{\"key\":\"openinference.span.kind\",\"value\":{\"stringValue\":\"LLM\"}},{\"key\":\"llm.model_name\",\"value\":{\"stringValue\":\"acme-private-model-7\"}},{\"key\":\"llm.token_count.prompt\",\"value\":{\"intValue\":\"10\"}}";
    let path = d.path().join("u.jsonl");
    std::fs::write(
        &path,
        line(T1, "aaaaaaaaaaaaaaaa", None, llm, 1_790_000_000_000_000_000),
    )
    .unwrap();
    let mut store = Store::open(&d.path().join("s.db")).unwrap();
    import_file(&mut store, &path, ImportOptions::default()).unwrap();
    let t = store.trace_summary(T1).unwrap().unwrap();
    assert_eq!(t.cost_usd, None);
    assert_eq!(t.unknown_cost_spans, 1);
    assert_eq!(
        trawl::display::trace_cost(t.cost_usd, t.cost_known_usd, t.unknown_cost_spans),
        "?"
    );
}

#[test]
fn a_span_repeated_with_new_content_keeps_the_last_copy_in_the_totals() {
    let d = tempfile::tempdir().unwrap();
    let llm = |tokens: u32| {
        format!(
            "{{\"key\":\"openinference.span.kind\",\"value\":{{\"stringValue\":\"LLM\"}}}},{{\"key\":\"llm.model_name\",\"value\":{{\"stringValue\":\"gpt-4o\"}}}},{{\"key\":\"llm.token_count.prompt\",\"value\":{{\"intValue\":\"{tokens}\"}}}}"
        )
    };
    let base = 1_790_000_000_000_000_000u64;
    let content = [
        line(T1, "aaaaaaaaaaaaaaaa", None, &llm(100), base),
        line(T1, "aaaaaaaaaaaaaaaa", None, &llm(300), base),
    ]
    .concat();
    let path = d.path().join("dup.jsonl");
    std::fs::write(&path, content).unwrap();
    let mut store = Store::open(&d.path().join("s.db")).unwrap();
    let r = import_file(&mut store, &path, ImportOptions::default()).unwrap();
    assert_eq!((r.spans_new, r.duplicates), (1, 1));
    let t = store.trace_summary(T1).unwrap().unwrap();
    assert_eq!((t.span_count, t.input_tokens), (1, 300));
}
