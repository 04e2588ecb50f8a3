//! The kept counts of traces and spans equal `count(*)` after every kind of write: imports, a
//! re-import, traces extended by a later import, a rolled-back `--strict` import, a replay,
//! and the migration of a store written before the counts existed.

use crate::import::{ImportOptions, import_file};
use crate::store::{ReplayLink, Store, TraceFilter};
use std::path::Path;

const BOT: &str = "tests/fixtures/openinference_support_bot_40.otlp.jsonl";

fn fixture_lines() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BOT);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{BOT}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn import(store: &mut Store, dir: &Path, name: &str, lines: &[String], strict: bool) -> bool {
    let src = dir.join(name);
    std::fs::write(&src, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let opts = ImportOptions {
        strict,
        format: None,
        on_progress: None,
    };
    import_file(store, &src, opts).is_ok()
}

/// The fixture's lines with only the spans `keep` accepts.
fn split(keep: &dyn Fn(&serde_json::Value) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for line in fixture_lines() {
        let mut doc: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}"));
        for rs in doc["resourceSpans"].as_array_mut().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
                if let Some(spans) = ss["spans"].as_array_mut() {
                    spans.retain(|s| keep(s));
                }
            }
        }
        out.push(doc.to_string());
    }
    out
}

fn is_llm(s: &serde_json::Value) -> bool {
    s["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|a| a["key"] == "openinference.span.kind" && a["value"]["stringValue"] == "LLM")
}

/// The kept counts, checked against the rows; returns them.
fn exact(store: &Store) -> (i64, i64) {
    let kept = store.totals().unwrap_or_else(|e| panic!("{e}"));
    let counted = store.totals_counted().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kept, counted, "kept (traces, spans) vs count(*)");
    let all = TraceFilter {
        replays: true,
        ..TraceFilter::default()
    };
    let listed = store.count_traces(&all).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed, kept.0, "unfiltered count_traces with replays");
    kept
}

#[test]
fn counts_stay_exact_through_imports_extensions_reimports_and_a_strict_rollback() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exact(&store), (0, 0));

    let lines = fixture_lines();
    let half = lines.len() / 2;
    assert!(import(
        &mut store,
        d.path(),
        "a.jsonl",
        &lines[..half],
        false
    ));
    let first = exact(&store);
    assert!(first.0 > 0 && first.1 > first.0, "{first:?}");

    // Everything, overlapping the first half: new traces and spans, plus duplicates.
    assert!(import(&mut store, d.path(), "all.jsonl", &lines, false));
    let full = exact(&store);
    assert_eq!(full.0, 40);
    assert!(full.1 > first.1);

    // A re-import of the same file adds nothing.
    assert!(import(&mut store, d.path(), "all.jsonl", &lines, false));
    assert_eq!(exact(&store), full);

    // A strict import whose last line is bad rolls back everything it wrote, counts included.
    let fresh_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut fresh = Store::open(&fresh_dir.path().join("s.db")).unwrap_or_else(|e| panic!("{e}"));
    assert!(import(
        &mut fresh,
        d.path(),
        "a2.jsonl",
        &lines[..half],
        false
    ));
    let before = exact(&fresh);
    let mut bad = lines.clone();
    bad.push("{not json".into());
    assert!(!import(&mut fresh, d.path(), "bad.jsonl", &bad, true));
    assert_eq!(
        exact(&fresh),
        before,
        "a rolled-back import changed the counts"
    );
    // The same file imported leniently afterwards counts as a plain import.
    assert!(import(&mut fresh, d.path(), "bad.jsonl", &bad, false));
    assert_eq!(exact(&fresh), full);
}

#[test]
fn traces_extended_by_a_later_import_are_counted_once() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
    // Every trace's non-LLM spans first, its LLM calls in a second import.
    let firsts = split(&|s| !is_llm(s));
    let seconds = split(&is_llm);
    assert!(import(&mut store, d.path(), "a.jsonl", &firsts, false));
    let a = exact(&store);
    assert_eq!(a.0, 40);
    assert!(import(&mut store, d.path(), "b.jsonl", &seconds, false));
    let b = exact(&store);
    assert_eq!(b.0, 40);
    assert!(b.1 > a.1);
}

#[test]
fn a_replay_counts_as_a_trace_and_the_default_list_count_leaves_it_out() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
    assert!(import(
        &mut store,
        d.path(),
        "all.jsonl",
        &fixture_lines(),
        false
    ));
    let before = exact(&store);
    let original = store
        .trace_ids(&TraceFilter::default(), Some(1))
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0);
    let mut spans = store
        .trace_spans(&original)
        .unwrap_or_else(|e| panic!("{e}"));
    let replay_id = "ffffffffffffffffffffffffffffffff".to_string();
    for s in &mut spans {
        s.trace_id = replay_id.clone();
    }
    let n = spans.len() as i64;
    let link = ReplayLink {
        trace_id: replay_id,
        replay_of_trace: original,
        replay_of_span: spans[0].span_id.clone(),
        created_at_ns: 1,
        provider: None,
        model: None,
        overrides: serde_json::json!({}),
    };
    store
        .record_replays(&[(spans, link)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exact(&store), (before.0 + 1, before.1 + n));
    // The live list's default filter hides replays: its count is the kept one minus them.
    let shown = store
        .count_traces(&TraceFilter::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown, before.0);
    let listed = store
        .trace_ids(&TraceFilter::default(), None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len() as i64, shown);
}

#[test]
fn a_store_from_schema_7_gets_its_counts_from_its_rows() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("v7.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store_v7/store.db");
    std::fs::copy(&fixture, &path).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let migrated = exact(&store);
    assert!(migrated.0 > 0 && migrated.1 > migrated.0, "{migrated:?}");
    // Writes after the migration add to the initialised counts.
    assert!(import(
        &mut store,
        d.path(),
        "all.jsonl",
        &fixture_lines(),
        false
    ));
    let after = exact(&store);
    assert!(after.1 >= migrated.1);
}
