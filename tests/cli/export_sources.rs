//! `export --otlp` round-trips every source trawl imports: import a fixture, export it, import
//! the export into a fresh store, and compare what a person sees in both stores — question,
//! answer, model, tokens (input, output, cached, reasoning), cost, kinds, documents, messages,
//! parent structure and timing. Spans from non-OTLP sources (llm's logs, LangSmith, Langfuse)
//! go out with OpenInference attributes and hashed hex ids, and come back under their own ids.

use std::collections::HashMap;
use std::path::Path;
use trawl::export::otlp_ids;
use trawl::model::{Span, Trace};
use trawl::store::{Store, TraceFilter};

use crate::util::{Trawl, clickhouse, fixture, text};

const SOURCES: &[&str] = &[
    "openinference_support_bot_40.otlp.jsonl",
    "openllmetry_support_bot_dev.otlp.jsonl",
    "langfuse_support_bot_dev.otlp.jsonl",
    "genai_current.synthetic.otlp.jsonl",
    "genai_events.synthetic.otlp.jsonl",
    "openllmetry_legacy.synthetic.otlp.jsonl",
    "js_exporter_crosscheck.otlp.jsonl",
    "phoenix_dev.db",
    "llm-logs-0.36.db",
    "llm-logs-0.27.1.db",
    "langsmith_runs.synthetic.json",
    "langfuse_trace.synthetic.json",
    "langfuse_ingestion.synthetic.json",
    "langfuse_observations.synthetic.jsonl",
];

fn import(store: &Path, file: &Path) -> Store {
    let mut st = Store::open(store).unwrap();
    let rep = trawl::import::import_file(&mut st, file, Default::default()).unwrap();
    assert!(rep.fatal.is_none(), "{}: {:?}", file.display(), rep.fatal);
    st
}

fn all_ids(st: &Store) -> Vec<String> {
    let mut ids = st.trace_ids(&TraceFilter::default(), None).unwrap();
    ids.sort();
    ids
}

/// What the trace list shows, without the ids.
fn trace_view(t: &Trace) -> String {
    format!(
        "q={:?} a={:?} name={:?} start={} end={} session={:?} user={:?} models={:?} tags={:?} \
         spans={} errors={} llm={} tokens={}/{}/{} cached={} reasoning={} cost={:?} known={} \
         unknown={} missing_parents={}",
        t.input_preview,
        t.output_preview,
        t.name,
        t.start_ns,
        t.end_ns,
        t.session_id,
        t.user_id,
        t.models,
        t.tags,
        t.span_count,
        t.error_count,
        t.llm_calls,
        t.input_tokens,
        t.output_tokens,
        t.total_tokens,
        t.cache_read_tokens,
        t.reasoning_tokens,
        t.cost_usd,
        t.cost_known_usd,
        t.unknown_cost_spans,
        t.missing_parents,
    )
}

/// What `show` shows of each span, with parents as positions in the trace instead of ids.
fn span_views(spans: &[Span]) -> Vec<String> {
    let pos: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    spans
        .iter()
        .map(|s| {
            let usage = s.usage.as_ref().map(|u| {
                (
                    u.input,
                    u.output,
                    u.total_or_sum(),
                    u.cache_read,
                    u.cache_write,
                    u.reasoning,
                )
            });
            let cost = s.cost.as_ref().map(|c| (c.total, c.source.as_str()));
            format!(
                "{} kind={:?} parent={:?} start={} end={:?} status={:?}/{:?} model={:?} \
                 provider={:?} usage={usage:?} cost={cost:?} in={:?} out={:?} \
                 msgs_in={:?} msgs_out={:?} docs={:?} reranker={:?} tool={:?} session={:?} \
                 user={:?} tags={:?} ttft={:?}",
                s.name,
                s.kind,
                s.parent_id.as_deref().map(|p| pos.get(p).copied().ok_or(p)),
                s.start_ns,
                s.end_ns,
                s.status,
                s.status_message,
                s.model,
                s.provider,
                s.input_text(),
                s.output_text(),
                s.input_messages,
                s.output_messages,
                s.documents,
                s.reranker,
                s.tool,
                s.session_id,
                s.user_id,
                s.tags,
                s.ttft_ns,
            )
        })
        .collect()
}

/// Exports every trace of `st` the way `trawl export --otlp` does, to `out`.
fn export(st: &Store, ids: &[String], out: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(out).unwrap();
    for id in ids {
        let spans = st.trace_spans(id).unwrap();
        writeln!(f, "{}", trawl::export::otlp::trace_request(&spans)).unwrap();
    }
}

#[test]
fn otlp_export_round_trips_every_source() {
    for name in SOURCES {
        let dir = tempfile::tempdir().unwrap();
        let a = import(&dir.path().join("a.db"), &fixture(name));
        round_trip(name, &a, dir.path());
    }
}

/// Langfuse v3's ClickHouse tables (`langfuse_clickhouse.synthetic.jsonl`), pulled through the
/// chDB stand-in, round-trip like the files do.
#[test]
fn otlp_export_round_trips_langfuse_clickhouse() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let o = Trawl::new(dir.path())
        .env("TRAWL_CLICKHOUSE_PASSWORD", clickhouse::PASSWORD)
        .args([
            "import",
            "--store",
            db.to_str().unwrap(),
            &front.langfuse_url(),
        ])
        .output();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let a = Store::open(&db).unwrap();
    round_trip(clickhouse::LANGFUSE_ROWS, &a, dir.path());
}

/// The QA case through the binary: llm's logs.db, exported and imported again, lists the same
/// questions, tokens and models.
#[test]
fn otlp_export_of_llm_logs_lists_the_same_traces() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = Trawl::new(dir.path()).args(args).output();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (a, b, out) = (
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("rt.jsonl"),
    );
    let (a, b, out) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    run(&[
        "import",
        "--store",
        a,
        &fixture("llm-logs-0.36.db").display().to_string(),
    ]);
    run(&["export", "--store", a, "--otlp", "--out", out]);
    run(&["import", "--store", b, out]);
    let list = |db: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&run(&[
            "traces", "--store", db, "--json", "--limit", "1000",
        ]))
        .unwrap();
        let mut rows = v.as_array().cloned().unwrap_or_default();
        for r in &mut rows {
            if let Some(o) = r.as_object_mut() {
                o.remove("trace_id");
            }
        }
        rows
    };
    let (before, after) = (list(a), list(b));
    // 16 responses; the tool call's follow-up joins its question's trace.
    assert_eq!(before.len(), 15);
    let text = serde_json::to_string(&before).unwrap();
    assert!(text.contains("Is this the fake test server?"), "{text}");
    assert!(text.contains("fake-claude-3-5-sonnet"), "{text}");
    assert_eq!(before, after);
}

/// Exports `a`, imports the export into a fresh store next to it, and compares the two.
fn round_trip(name: &str, a: &Store, dir: &Path) {
    let ids = all_ids(a);
    assert!(!ids.is_empty(), "{name}: no traces");
    let out = dir.join("back.otlp.jsonl");
    export(a, &ids, &out);
    // Every id is OTLP hex.
    let raw = std::fs::read_to_string(&out).unwrap();
    for line in raw.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for rs in v["resourceSpans"].as_array().unwrap() {
            for ss in rs["scopeSpans"].as_array().unwrap() {
                for s in ss["spans"].as_array().unwrap() {
                    let t = s["traceId"].as_str().unwrap();
                    let sp = s["spanId"].as_str().unwrap();
                    assert!(otlp_ids::is_hex(t, 32), "{name}: traceId {t}");
                    assert!(otlp_ids::is_hex(sp, 16), "{name}: spanId {sp}");
                }
            }
        }
    }

    let b = import(&dir.join("b.db"), &out);
    let ids_b = all_ids(&b);
    // The hashed ids map back: the same traces under the same ids.
    assert_eq!(ids, ids_b, "{name}: trace ids");
    let mut content = 0;
    for id in &ids {
        let id_b = id;
        let ta = a.trace_summary(id).unwrap().unwrap();
        let tb = b.trace_summary(id_b).unwrap();
        let tb = tb.unwrap_or_else(|| panic!("{name}: trace {id} ({id_b}) not re-imported"));
        assert_eq!(trace_view(&ta), trace_view(&tb), "{name}: trace {id}");
        let (sa, sb) = (a.trace_spans(id).unwrap(), b.trace_spans(id_b).unwrap());
        let span_ids = |s: &[Span]| -> Vec<(String, Option<String>)> {
            s.iter()
                .map(|s| (s.span_id.clone(), s.parent_id.clone()))
                .collect()
        };
        assert_eq!(span_ids(&sa), span_ids(&sb), "{name}: span ids of {id}");
        let (va, vb) = (span_views(&sa), span_views(&sb));
        assert_eq!(va.len(), vb.len(), "{name}: spans of {id}");
        for (x, y) in va.iter().zip(&vb) {
            assert_eq!(x, y, "{name}: a span of {id}");
        }
        content += usize::from(ta.input_preview.is_some() || ta.total_tokens > 0);
    }
    assert!(
        content > 0,
        "{name}: the fixture has questions or tokens to compare"
    );

    // Exporting the re-imported store writes the same file: ids and attributes are stable.
    let again = dir.join("again.otlp.jsonl");
    export(&b, &ids_b, &again);
    let mut l1: Vec<String> = raw.lines().map(str::to_string).collect();
    let mut l2: Vec<String> = std::fs::read_to_string(&again)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    l1.sort();
    l2.sort();
    assert_eq!(l1.len(), l2.len(), "{name}");
    let same = l1.iter().zip(&l2).filter(|(x, y)| x == y).count();
    assert_eq!(same, l1.len(), "{name}: re-export differs");

    // The export imported into the first store adds nothing: every span is one it holds.
    let mut again_a = Store::open(a.path().unwrap()).unwrap();
    let rep = trawl::import::import_file(&mut again_a, &out, Default::default()).unwrap();
    assert_eq!(
        (rep.spans_new, rep.traces_new),
        (0, 0),
        "{name}: re-import into the first store"
    );
    assert_eq!(
        all_ids(&again_a),
        ids,
        "{name}: re-import into the first store"
    );
}
