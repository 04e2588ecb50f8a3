//! Issue 15 case 7: a trace at i64::MIN or i64::MAX breaks no query and tops no list.

use super::*;
use crate::import::{ImportOptions, import_file};
use crate::store::{SortKey, Store, TraceFilter};
use std::path::Path;

const BOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/openinference_support_bot_40.otlp.jsonl"
);

/// One LLM span (with usage) at `start`..`end`.
fn line(trace: &str, start: &str, end: &str) -> String {
    let attrs = r#"{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},{"key":"llm.token_count.prompt","value":{"intValue":"10"}}"#;
    format!(
        "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"t\"}},\"spans\":[{{\"traceId\":\"{trace}\",\"spanId\":\"aaaaaaaaaaaaaaaa\",\"name\":\"n\",\"kind\":1,\"startTimeUnixNano\":\"{start}\",\"endTimeUnixNano\":\"{end}\",\"attributes\":[{attrs}],\"status\":{{}}}}]}}]}}]}}\n"
    )
}

fn bot(extreme: bool) -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    import_file(&mut store, Path::new(BOT), ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    if extreme {
        let src = d.path().join("extreme.jsonl");
        let min = i64::MIN.to_string();
        let max = i64::MAX.to_string();
        let text = [
            line(&"11".repeat(16), &min, &min),
            line(&"22".repeat(16), &max, &max),
            // Spans from both ends in one trace: its duration must not overflow. (The end is one
            // below i64::MAX: an end at i64::MAX is where an out-of-range value saturates, and
            // the reader takes it as unknown.)
            line(&"33".repeat(16), &min, &(i64::MAX - 1).to_string()),
        ]
        .concat();
        std::fs::write(&src, text).unwrap_or_else(|e| panic!("{e}"));
        let r = import_file(&mut store, &src, ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.spans_new, 3, "{:?}", r.bad_lines);
    }
    (d, store)
}

fn figures(store: &Store, buckets: Buckets) -> String {
    let wanted = WantedPercentiles {
        latency: vec![50, 95],
        llm: vec![95],
        ttft: vec![50],
    };
    let out = store
        .bucket_figures(&TraceFilter::default(), buckets, None, &wanted)
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{out:?}")
}

#[test]
fn extreme_times_are_left_out_of_buckets_and_counted() {
    let (_a, plain) = bot(false);
    let (_b, hostile) = bot(true);
    let day = Buckets::Every {
        len_ns: 86_400_000_000_000,
        shift_ns: 3_600_000_000_000,
    };
    for b in [day, Buckets::Whole] {
        assert_eq!(figures(&hostile, b), figures(&plain, b), "{b:?}");
    }
    assert_eq!(
        hostile.implausible_traces(&TraceFilter::default()).ok(),
        Some(3)
    );
    assert_eq!(
        plain.implausible_traces(&TraceFilter::default()).ok(),
        Some(0)
    );
    assert_eq!(hostile.time_range().ok(), plain.time_range().ok());
}

#[test]
fn extreme_times_sort_last_both_ways() {
    let (_d, store) = bot(true);
    for descending in [true, false] {
        let list = store
            .list_traces(&TraceFilter::default(), SortKey::Start, descending, 100, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(list.len(), 43);
        let plausible: Vec<bool> = list
            .iter()
            .map(|t| crate::display::plausible_ns(t.start_ns))
            .collect();
        assert!(
            plausible[..40].iter().all(|&p| p),
            "descending={descending}"
        );
        assert!(
            plausible[40..].iter().all(|&p| !p),
            "descending={descending}"
        );
    }
    // Page by page (the believable traces ending inside a page, and pages past them), any
    // sort: the same list.
    for (sort, descending) in [
        (SortKey::Start, true),
        (SortKey::Start, false),
        (SortKey::Cost, true),
    ] {
        let list = |limit, offset| -> Vec<String> {
            store
                .list_traces(&TraceFilter::default(), sort, descending, limit, offset)
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .map(|t| t.trace_id)
                .collect()
        };
        let whole = list(100, 0);
        let paged: Vec<String> = (0..50).step_by(7).flat_map(|o| list(7, o)).collect();
        assert_eq!(paged, whole, "{sort:?} descending={descending}");
        assert!(list(7, 43).is_empty());
    }
    let both = store
        .trace_summary(&"33".repeat(16))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(both.map(|t| t.duration_ns), Some(i64::MAX));
}
