//! Trace id resolution (issue 15 case 15): as typed first, lowercase only for hex; and trace
//! skeletons, which must say what the full spans say.

use crate::import::{ImportOptions, import_file};
use crate::store::Store;

fn line(trace: &str, span: &str) -> String {
    format!(
        "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"t\"}},\"spans\":[{{\"traceId\":\"{trace}\",\"spanId\":\"{span}\",\"name\":\"n\",\"kind\":1,\"startTimeUnixNano\":\"1790000000000000000\",\"endTimeUnixNano\":\"1790000001000000000\",\"attributes\":[],\"status\":{{}}}}]}}]}}]}}\n"
    )
}

fn store_with(ids: &[&str]) -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = d.path().join("in.jsonl");
    let text: String = ids.iter().map(|id| line(id, "aaaaaaaaaaaaaaaa")).collect();
    std::fs::write(&src, text).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    import_file(&mut store, &src, ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (d, store)
}

fn resolve(store: &Store, id: &str) -> Option<String> {
    store
        .resolve_trace_id(id)
        .unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// The error resolving `id` gives (empty when it resolves).
fn refusal(store: &Store, id: &str) -> String {
    store
        .resolve_trace_id(id)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn ids_resolve_as_typed_then_hex_in_lowercase() {
    let hex = "447afa24000000000000000000000001";
    let (_d, store) = store_with(&["TRACE_ONE!", "TRACE_TWO!", hex]);
    assert_eq!(resolve(&store, "TRACE_ONE!").as_deref(), Some("TRACE_ONE!"));
    assert_eq!(resolve(&store, " TRACE_ONE").as_deref(), Some("TRACE_ONE!"));
    assert_eq!(resolve(&store, "447AFA24").as_deref(), Some(hex));
    assert_eq!(resolve(&store, "447afa24").as_deref(), Some(hex));
    // Lowercasing is for hex only: a mixed-case id is not found by its lowercase form.
    assert_eq!(resolve(&store, "trace_one!"), None);
    let err = refusal(&store, "TRACE_");
    assert!(err.contains("ambiguous"), "{err}");
    // The candidates are listed, so the one meant can be copied.
    assert!(
        err.contains("TRACE_ONE!") && err.contains("TRACE_TWO!"),
        "{err}"
    );
    let many: Vec<String> = (0..8).map(|i| format!("MANY_{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let (_d, store) = store_with(&refs);
    let err = refusal(&store, "MANY_");
    assert!(err.contains("MANY_4, …"), "{err}");
    assert!(!err.contains("MANY_5"), "{err}");
}

#[test]
fn a_full_id_wins_over_a_longer_one_it_prefixes() {
    let (_d, store) = store_with(&["TRACE", "TRACE_LONGER"]);
    assert_eq!(resolve(&store, "TRACE").as_deref(), Some("TRACE"));
}

/// Every trace of the adapters' fixtures: the skeleton (span rows, no payload) says what the
/// full spans say, in the same order, and its row ids lead back to those spans.
#[test]
fn a_trace_skeleton_matches_its_full_spans() {
    use crate::model::{SpanTree, mark_aggregates, mark_skeleton_aggregates};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir_tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    for f in [
        "openinference_support_bot_40.otlp.jsonl",
        "openllmetry_support_bot_dev.otlp.jsonl",
        "langsmith_runs.synthetic.json",
        "langfuse_trace.synthetic.json",
        "genai_current.synthetic.otlp.jsonl",
    ] {
        import_file(&mut store, &dir.join(f), ImportOptions::default())
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    // An agent-level LLM span whose usage sums its child's: an aggregate.
    let nested = dir_tmp.path().join("nested.jsonl");
    let llm = |id: &str, parent: &str, start: u64| {
        format!(
            "{{\"traceId\":\"aggr\",\"spanId\":\"{id}\",\"parentSpanId\":\"{parent}\",\"name\":\"{id}\",\"kind\":1,\"startTimeUnixNano\":\"{start}\",\"endTimeUnixNano\":\"1790000009000000000\",\"attributes\":[{{\"key\":\"openinference.span.kind\",\"value\":{{\"stringValue\":\"LLM\"}}}},{{\"key\":\"llm.token_count.prompt\",\"value\":{{\"intValue\":\"7\"}}}}],\"status\":{{}}}}"
        )
    };
    let text = format!(
        "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"t\"}},\"spans\":[{},{}]}}]}}]}}\n",
        llm("outer", "", 1_790_000_000_000_000_000),
        llm("inner", "outer", 1_790_000_001_000_000_000)
    );
    std::fs::write(&nested, text).unwrap_or_else(|e| panic!("{e}"));
    import_file(&mut store, &nested, ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let ids = store
        .trace_ids(&Default::default(), None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(ids.len() > 40, "{} traces", ids.len());
    let (mut errors, mut aggregates, mut costs) = (0, 0, 0);
    for id in &ids {
        let mut full = store.trace_spans(id).unwrap_or_else(|e| panic!("{e}"));
        let mut skel = store.trace_skeleton(id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(skel.len(), full.len(), "{id}");
        mark_aggregates(&mut full);
        let tree = SpanTree::build(&skel);
        mark_skeleton_aggregates(&mut skel, &tree);
        for (k, s) in skel.iter().zip(&full) {
            assert_eq!(k.span_id, s.span_id, "{id}: order");
            assert_eq!(
                (
                    &k.parent_id,
                    &k.name,
                    k.kind,
                    k.start_ns,
                    k.end_ns,
                    k.status,
                    &k.model
                ),
                (
                    &s.parent_id,
                    &s.name,
                    s.kind,
                    s.start_ns,
                    s.end_ns,
                    s.status,
                    &s.model
                ),
                "{id}/{}",
                s.span_id
            );
            let tokens = |u: &crate::model::Usage| {
                (
                    u.input,
                    u.output,
                    u.total_or_sum(),
                    u.cache_read,
                    u.reasoning,
                    u.aggregate,
                )
            };
            assert_eq!(
                k.usage.as_ref().map(tokens),
                s.usage.as_ref().map(tokens),
                "{id}/{}",
                s.span_id
            );
            assert_eq!(k.has_cost, s.cost.is_some(), "{id}/{}", s.span_id);
            // The row keeps the cost as computed; the payload's JSON can read it back one unit
            // in the last place off (serde_json's fast float parsing), never more.
            let payload_cost = s.cost.as_ref().and_then(|c| c.total);
            assert_eq!(k.cost_usd.is_some(), payload_cost.is_some());
            if let (Some(a), Some(b)) = (k.cost_usd, payload_cost) {
                assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()), "{a} vs {b}");
            }
            let payload = store
                .span_payload(k.row_id)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(payload.map(|p| p.span_id), Some(s.span_id.clone()));
            errors += usize::from(s.is_error());
            costs += usize::from(s.cost.is_some());
            aggregates += usize::from(s.usage.as_ref().is_some_and(|u| u.aggregate));
        }
        assert_eq!(SpanTree::build(&skel).nodes, SpanTree::build(&full).nodes);
    }
    // The fixtures exercise what a tree line shows.
    assert!(
        errors > 0 && costs > 0 && aggregates > 0,
        "{errors} {costs} {aggregates}"
    );
    assert_eq!(store.span_payload(i64::MAX).ok().flatten(), None);
}

/// A live list re-reads its first page every refresh: sorted by start (either way), with or
/// without a time window, it walks `traces_start` and stops at the page, instead of sorting
/// every trace (which cost half a second per refresh at 560k traces).
#[test]
fn the_list_by_start_walks_the_start_index_instead_of_sorting_every_trace() {
    use super::{TimePart, list_sql};
    use crate::store::{SortKey, TraceFilter};
    let (_d, store) = store_with(&["T1", "T2", "T3"]);
    let windowed = TraceFilter {
        since_ns: Some(1),
        ..TraceFilter::default()
    };
    for (filter, part, desc) in [
        (TraceFilter::default(), TimePart::All, true),
        (TraceFilter::default(), TimePart::All, false),
        (windowed, TimePart::All, true),
        // A store holding traces with no believable start reads the others first.
        (TraceFilter::default(), TimePart::Plausible, true),
    ] {
        let (sql, params) = list_sql(&filter, part, SortKey::Start, desc, 200, 0);
        let plan: Vec<String> = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .and_then(|mut st| {
                st.query_map(rusqlite::params_from_iter(params), |r| r.get(3))?
                    .collect()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let plan = plan.join("; ");
        assert!(plan.contains("USING INDEX traces_start"), "{sql}: {plan}");
        assert!(!plan.contains("TEMP B-TREE FOR ORDER BY"), "{sql}: {plan}");
    }
    let rows = store
        .list_traces(&TraceFilter::default(), SortKey::Start, true, 2, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = rows.iter().map(|t| t.trace_id.as_str()).collect();
    // Equal starts: the id breaks the tie, in the list's direction.
    assert_eq!(ids, ["T3", "T2"]);
}
