//! Trace id resolution (issue 15 case 15): as typed first, lowercase only for hex.

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
    let err = store
        .resolve_trace_id("TRACE_")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("ambiguous"), "{err}");
}

#[test]
fn a_full_id_wins_over_a_longer_one_it_prefixes() {
    let (_d, store) = store_with(&["TRACE", "TRACE_LONGER"]);
    assert_eq!(resolve(&store, "TRACE").as_deref(), Some("TRACE"));
}
