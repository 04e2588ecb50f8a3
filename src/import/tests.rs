//! Issue 15 cases 4 and 5 through the whole import: a byte order mark or junk first lines lose
//! nothing, and a bad span costs only itself, reported as `file:line: span N: reason`.

use super::{ImportOptions, follow_file, import_file};
use crate::ingest::{Format, IngestReport};
use crate::store::Store;
use std::path::Path;

const DEMO: &str = include_str!("../../assets/demo/support-bot.otlp.jsonl");
const DEMO_TRACES: u64 = 40;
const DEMO_SPANS: u64 = 271;

fn import(bytes: &[u8], format: Option<Format>, strict: bool) -> (IngestReport, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dump.jsonl");
    std::fs::write(&path, bytes).expect("write input");
    let mut store = Store::open(&dir.path().join("s.db")).expect("store");
    let opts = ImportOptions {
        strict,
        format,
        on_progress: None,
    };
    let report = import_file(&mut store, &path, opts).expect("import");
    (report, dir)
}

fn with_prefix(prefix: &[u8]) -> Vec<u8> {
    [prefix, DEMO.as_bytes()].concat()
}

#[test]
fn the_demo_with_a_bom_and_a_junk_first_line_loses_nothing() {
    for (prefix, bad) in [
        (&b"\xEF\xBB\xBF"[..], 0),
        (b"\xEF\xBB\xBFnull\n", 1),
        (b"null\n", 1),
        (b"{}\n", 1),
        (b"{\"foo\":1}\n", 1),
        (b"\xEF\xBB\xBFnot json at all\n{}\n", 2),
    ] {
        for format in [None, Some(Format::OtlpJson)] {
            let label = format!("{:?} {format:?}", String::from_utf8_lossy(prefix));
            let (r, _dir) = import(&with_prefix(prefix), format, false);
            assert_eq!(r.fatal, None, "{label}");
            assert_eq!(r.format, "otlp-json", "{label}");
            assert_eq!(
                (r.traces_new, r.spans_new),
                (DEMO_TRACES, DEMO_SPANS),
                "{label}"
            );
            assert_eq!(r.bad_lines_total, bad, "{label}: {:?}", r.bad_lines);
            if bad > 0 {
                assert_eq!(r.bad_lines[0].line, 1, "{label}");
                assert!(
                    r.bad_lines[0].to_string().contains("dump.jsonl:1: "),
                    "{label}"
                );
            }
            assert_eq!(r.span_problems, 0, "{label}");
        }
    }
}

/// The demo with span `index` of line 1 mutated by `how` (see `ingest::otlp::tests`).
fn demo_with_bad_span(how: &str, index: usize) -> String {
    let mut lines = DEMO.lines();
    let first = lines.next().unwrap_or_default();
    let mut doc: serde_json::Value = serde_json::from_str(first).expect("JSON");
    let spans: Vec<&mut serde_json::Value> = doc["resourceSpans"][0]["scopeSpans"]
        .as_array_mut()
        .expect("scopes")
        .iter_mut()
        .flat_map(|s| s["spans"].as_array_mut().expect("spans").iter_mut())
        .collect();
    let Some(span) = spans.into_iter().nth(index) else {
        panic!("no span {index}");
    };
    match how {
        "name: 123" => span["name"] = serde_json::json!(123),
        "no traceId" => {
            span.as_object_mut().map(|o| o.remove("traceId"));
        }
        "boolValue: yes" => span["attributes"]
            .as_array_mut()
            .expect("attributes")
            .push(serde_json::json!({"key": "x.flag", "value": {"boolValue": "yes"}})),
        "duplicate key" => span["name"] = serde_json::json!("@@DUP@@"),
        "lone surrogate" => span["name"] = serde_json::json!("@@SUR@@"),
        other => panic!("unknown mutation {other}"),
    }
    let line1 = doc
        .to_string()
        .replace("\"@@DUP@@\"", "\"a\", \"name\": \"b\"")
        .replace("@@SUR@@", "\\ud800");
    let mut out = line1 + "\n";
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

#[test]
fn one_bad_span_costs_only_that_span() {
    for (how, lost) in [
        ("name: 123", 1),
        ("no traceId", 1),
        ("boolValue: yes", 0),
        ("duplicate key", 1),
        ("lone surrogate", 1),
    ] {
        // Span 0 as reproduced; one variant also deep in the line's second scope.
        let indices: &[usize] = if how == "no traceId" { &[0, 30] } else { &[0] };
        for &index in indices {
            let (r, _dir) = import(demo_with_bad_span(how, index).as_bytes(), None, false);
            assert_eq!(r.spans_new, DEMO_SPANS - lost, "{how} at {index}");
            assert_eq!(r.lines_ok, 8, "{how}: every line was read");
            assert_eq!((r.bad_lines_total, r.span_problems), (1, 1), "{how}");
            let shown = r.bad_lines[0].to_string();
            assert!(
                shown.contains(&format!("dump.jsonl:1: span {index}: ")),
                "{how}: {shown}"
            );
            assert_eq!(r.bad_lines[0].span, Some(index as u64));

            if how != "name: 123" {
                continue;
            }
            // --strict still refuses the file as a whole.
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("dump.jsonl");
            std::fs::write(&path, demo_with_bad_span(how, index)).expect("write");
            let mut store = Store::open(&dir.path().join("s.db")).expect("store");
            let opts = ImportOptions {
                strict: true,
                ..ImportOptions::default()
            };
            match import_file(&mut store, &path, opts) {
                Err(super::ImportError::Strict(msg)) => {
                    assert!(msg.contains(&format!(":1: span {index}: ")), "{msg}")
                }
                other => panic!("{how}: --strict should fail, got {other:?}"),
            }
        }
    }
}

#[test]
fn following_a_file_with_a_bom_and_a_bad_span() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("live.jsonl");
    let input = [
        &b"\xEF\xBB\xBF"[..],
        demo_with_bad_span("no traceId", 3).as_bytes(),
    ]
    .concat();
    std::fs::write(&path, input).expect("write");
    let mut store = Store::open(&dir.path().join("s.db")).expect("store");
    // Stop at the first commit, which comes once the whole file has been read (the input is idle).
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut on_progress =
        |_: &super::Progress| stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let r = follow_file(&mut store, Path::new(&path), &stop, &mut on_progress).expect("follow");
    assert_eq!(r.spans_new, DEMO_SPANS - 1);
    assert_eq!(r.lines_ok, 8);
    assert_eq!(r.bad_lines.len(), 1, "{:?}", r.bad_lines);
    let shown = r.bad_lines[0].to_string();
    assert!(shown.contains("live.jsonl:1: span 3: "), "{shown}");
    assert!(shown.ends_with("has no traceId"), "{shown}");
}
