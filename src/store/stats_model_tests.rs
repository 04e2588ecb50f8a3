//! `--group-by model` gives each model its own calls' figures: trace 9e154752… of the
//! OpenInference fixture calls gpt-4o, which fails with HTTP 500 after 252.5 ms and no usage,
//! then retries on gpt-4o-mini (543 in / 17 out, 717.7 ms). gpt-4o must not get the retry's
//! tokens or latency, whether the figures come from the cells or from the spans.

use super::*;
use crate::import::{ImportOptions, import_file};
use crate::store::Store;
use crate::store::aggregates::equality_tests::{assert_everywhere, cells, reference};

const BOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/openinference_support_bot_40.otlp.jsonl"
);
const RETRIED: &str = "9e154752c9a55241b51618862a2c3154";

/// The fixture's lines with only the spans of `trace`.
fn only_trace(trace: &str) -> String {
    let text = std::fs::read_to_string(BOT).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let mut kept = 0;
        if let Some(resources) = v["resourceSpans"].as_array_mut() {
            for rs in resources {
                if let Some(scopes) = rs["scopeSpans"].as_array_mut() {
                    for ss in scopes {
                        if let Some(spans) = ss["spans"].as_array_mut() {
                            spans.retain(|s| s["traceId"] == trace);
                            kept += spans.len();
                        }
                    }
                }
            }
        }
        if kept > 0 {
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    out
}

fn store_of(text: &str) -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("t.jsonl");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    import_file(&mut store, &path, ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (d, store)
}

const MS: i64 = 1_000_000;

#[test]
fn a_model_gets_its_own_calls_figures_not_its_traces() {
    let (_d, store) = store_of(&only_trace(RETRIED));
    let whole = reference(&store, Buckets::Whole, None);
    let all = &whole[&(0, String::new())];
    assert_eq!(all.traces, 1);
    assert_eq!(
        (all.input_tokens, all.output_tokens),
        (553, 17),
        "the embedding counts"
    );
    for (path, by_model) in [
        (
            "spans",
            reference(&store, Buckets::Whole, Some(GroupBy::Model)),
        ),
        (
            "cells",
            cells(&store, true, Buckets::Whole, Some(GroupBy::Model)),
        ),
    ] {
        let groups: Vec<&str> = by_model.keys().map(|(_, g)| g.as_str()).collect();
        assert_eq!(
            groups,
            ["gpt-4o", "gpt-4o-mini-2024-07-18", "text-embedding-3-small"],
            "{path}"
        );
        // The embedding call is its model's usage (10 tokens), not an LLM call.
        let embed = &by_model[&(0, "text-embedding-3-small".to_string())];
        assert_eq!(
            (embed.input_tokens, embed.llm_calls, embed.traces),
            (10, 0, 1),
            "{path}"
        );
        let big = &by_model[&(0, "gpt-4o".to_string())];
        let mini = &by_model[&(0, "gpt-4o-mini-2024-07-18".to_string())];
        // Each model: one trace used it, one call of its own.
        assert_eq!((big.traces, mini.traces), (1, 1), "{path}");
        assert_eq!((big.llm_calls, mini.llm_calls), (1, 1), "{path}");
        assert_eq!((big.input_tokens, big.output_tokens), (0, 0), "{path}");
        assert_eq!((mini.input_tokens, mini.output_tokens), (543, 17), "{path}");
        // gpt-4o's one call failed, the retry did not; the trace itself ended well.
        assert_eq!((big.llm_errors, mini.llm_errors), (1, 0), "{path}");
        assert_eq!((big.errors, mini.errors), (0, 0), "{path}");
        // So `stats --group-by model` shows gpt-4o failing every call, gpt-4o-mini none.
        let utc = chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!());
        let shown = crate::metrics::stats::stats_from_raw(
            &by_model,
            crate::metrics::Bucket::Day,
            Some(GroupBy::Model),
            utc,
        );
        let rates: Vec<(f64, i64)> = shown.iter().map(|b| (b.error_rate, b.llm_calls)).collect();
        assert_eq!(rates, [(1.0, 1), (0.0, 1), (0.0, 0)], "{path}");
        let llm_ms = |f: &BucketFigures| f.llm.get(95).map(|v| v / MS);
        assert_eq!(llm_ms(big), Some(252), "{path}");
        assert_eq!(llm_ms(mini), Some(717), "{path}");
        // Trace latency: the traces that used the model, whole.
        assert_eq!(big.latency.get(50).map(|v| v / MS), Some(1092), "{path}");
        assert_eq!(mini.latency.get(50), big.latency.get(50), "{path}");
    }
    assert_everywhere(&store, true, "one retried trace");
}

#[test]
fn per_model_figures_agree_between_cells_and_spans_on_the_whole_fixture() {
    let (_d, store) = store_of(&std::fs::read_to_string(BOT).unwrap_or_else(|e| panic!("{e}")));
    let by_model = reference(&store, Buckets::Whole, Some(GroupBy::Model));
    let all = &reference(&store, Buckets::Whole, None)[&(0, String::new())];
    // Calls are each counted under one model: they add up to the whole store's.
    let calls: i64 = by_model.values().map(|f| f.llm_calls).sum();
    assert_eq!(calls, all.llm_calls);
    // Traces may count under several models, never fewer than the store holds.
    let traces: i64 = by_model.values().map(|f| f.traces).sum();
    assert!(traces > all.traces, "{traces} vs {}", all.traces);
    assert_everywhere(&store, true, "openinference fixture");
}
