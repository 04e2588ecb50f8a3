//! A line with more spans than a parser holds at once reaches the writer in parts
//! (`PART_SPANS`): nothing is lost or counted twice, a bad span still costs only itself, a
//! re-import changes nothing, and `--strict` still rolls the whole file back.

use super::PART_SPANS;
use crate::import::{ImportError, ImportOptions, import_file};
use crate::store::Store;
use serde_json::json;

/// One OTLP/JSON line of `n` spans over two resources; span `bad` has no traceId.
fn huge_line(n: usize, bad: usize) -> String {
    let span = |i: usize| {
        let mut s = json!({
            "traceId": format!("{:032x}", i / 7 + 1),
            "spanId": format!("{:016x}", i + 1),
            "name": format!("step {i}"),
            "startTimeUnixNano": "1700000000000000000",
            "endTimeUnixNano": "1700000001000000000",
            "attributes": [{"key": "n", "value": {"intValue": i}}],
        });
        if i == bad {
            s.as_object_mut().map(|o| o.remove("traceId"));
        }
        s
    };
    let resource = |name: &str, spans: Vec<serde_json::Value>| {
        json!({
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": name}}]},
            "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
        })
    };
    let half = n / 2;
    let doc = json!({"resourceSpans": [
        resource("a", (0..half).map(span).collect()),
        resource("b", (half..n).map(span).collect()),
    ]});
    format!("{doc}\n")
}

#[test]
fn a_line_in_parts_imports_whole_once_and_strict_still_rolls_back() {
    let n = PART_SPANS * 2 + 500;
    let bad = PART_SPANS * 2 + 100;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("one.jsonl");
    std::fs::write(&path, huge_line(n, bad)).expect("write input");
    let mut store = Store::open(&dir.path().join("s.db")).expect("store");
    let opts = |strict| ImportOptions {
        strict,
        format: None,
        on_progress: None,
    };

    let first = import_file(&mut store, &path, opts(false)).expect("import");
    assert_eq!((first.lines, first.lines_ok), (1, 1));
    assert_eq!(first.spans_new, n as u64 - 1);
    assert_eq!(first.span_problems, 1);
    let problem = first.bad_lines[0].to_string();
    assert!(problem.contains(&format!("span {bad}: ")), "{problem}");

    let again = import_file(&mut store, &path, opts(false)).expect("re-import");
    assert_eq!((again.spans_new, again.duplicates), (0, n as u64 - 1));

    let fresh = dir.path().join("strict.db");
    let mut strict_store = Store::open(&fresh).expect("store");
    let err = import_file(&mut strict_store, &path, opts(true)).expect_err("strict fails");
    assert!(matches!(err, ImportError::Strict(_)), "{err}");
    let left: i64 = rusqlite::Connection::open(&fresh)
        .and_then(|c| c.query_row("SELECT count(*) FROM spans", [], |r| r.get(0)))
        .expect("count");
    assert_eq!(left, 0, "strict import left spans behind");
}
