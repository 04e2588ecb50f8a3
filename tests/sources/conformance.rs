//! Conformance on real captures (issue 10): for every trace of an OpenLLMetry, a Langfuse-SDK and
//! a Phoenix capture of the same support bot, trawl must read what a person reads: the customer's
//! question, the shown answer, the retrieved and in-prompt document ids, the raw token usage and a
//! known cost, and (Phoenix) the imported human labels as verdicts.
//!
//! The expected values come from the captures' ground truth files and from an independent
//! reading of the raw attributes written here (not from trawl's own code), so a regression in a
//! mapping fails this test.

use rusqlite::Connection;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use trawl::judge::input::trace_input;
use trawl::model::{ScoreSource, SpanKind, Trace, Verdict};
use trawl::store::{SortKey, Store, TraceFilter};

use crate::util::fixture;

/// Raw token usage of one trace: (input, output), summed over the spans that carry usage.
type Tokens = HashMap<String, (i64, i64)>;

struct Capture {
    file: &'static str,
    ground_truth: &'static str,
    /// The independent reading of each trace's raw usage.
    raw_tokens: fn(&Path) -> Tokens,
}

const CAPTURES: &[Capture] = &[
    Capture {
        file: "openllmetry_support_bot_dev.otlp.jsonl",
        ground_truth: "openllmetry_support_bot_dev.ground_truth.jsonl",
        raw_tokens: otlp_tokens,
    },
    Capture {
        file: "langfuse_support_bot_dev.otlp.jsonl",
        ground_truth: "langfuse_support_bot_dev.ground_truth.jsonl",
        raw_tokens: otlp_tokens,
    },
    Capture {
        file: "phoenix_dev.db",
        ground_truth: "phoenix_dev.ground_truth.jsonl",
        raw_tokens: phoenix_tokens,
    },
];

fn import(dir: &Path, file: &str) -> Store {
    let mut st = Store::open(&dir.join("store.db")).unwrap_or_else(|e| panic!("{e}"));
    let rep = trawl::import::import_file(&mut st, &fixture(file), Default::default())
        .unwrap_or_else(|e| panic!("import {file}: {e}"));
    assert!(rep.fatal.is_none(), "{file}: {:?}", rep.fatal);
    st
}

fn ground_truth(file: &str) -> Vec<Value> {
    std::fs::read_to_string(fixture(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}: {e}")))
        .collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// -------------------------------------------------------------------------------------------
// Independent reading of raw usage.

/// OTLP attribute value → JSON.
fn any_value(v: &Value) -> Value {
    for k in ["stringValue", "boolValue", "doubleValue"] {
        if let Some(x) = v.get(k) {
            return x.clone();
        }
    }
    if let Some(x) = v.get("intValue") {
        return match x {
            Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
            other => other.clone(),
        };
    }
    Value::Null
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Tokens of one span from its flat attributes: GenAI keys, or Langfuse's `usage_details` in
/// whichever key shape the producer wrote (OpenAI `prompt_tokens`, `input_tokens`, or Langfuse
/// buckets, where every `input*` key is part of the input).
fn span_tokens(a: &Map<String, Value>) -> (i64, i64) {
    let g = |k: &str| int(a.get(k));
    if let Some(i) = g("gen_ai.usage.input_tokens").or(g("gen_ai.usage.prompt_tokens")) {
        let o = g("gen_ai.usage.output_tokens")
            .or(g("gen_ai.usage.completion_tokens"))
            .unwrap_or(0);
        return (i, o);
    }
    let Some(Value::String(details)) = a.get("langfuse.observation.usage_details") else {
        return (0, 0);
    };
    let Ok(Value::Object(d)) = serde_json::from_str::<Value>(details) else {
        return (0, 0);
    };
    let k = |key: &str| int(d.get(key));
    if let Some(i) = k("prompt_tokens").or(k("input_tokens")) {
        return (
            i,
            k("completion_tokens").or(k("output_tokens")).unwrap_or(0),
        );
    }
    let sum = |part: &str| -> i64 {
        d.iter()
            .filter(|(key, _)| key.contains(part) && !key.contains("total"))
            .filter_map(|(_, v)| int(Some(v)))
            .sum()
    };
    (sum("input"), sum("output"))
}

fn otlp_tokens(file: &Path) -> Tokens {
    let mut out = Tokens::new();
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let spans = doc["resourceSpans"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
            .flat_map(|ss| ss["spans"].as_array().into_iter().flatten());
        for s in spans {
            let trace = s["traceId"].as_str().unwrap_or("").to_ascii_lowercase();
            let span = s["spanId"].as_str().unwrap_or("").to_string();
            if !seen.insert((trace.clone(), span)) {
                continue;
            }
            let attrs: Map<String, Value> = s["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|kv| Some((kv["key"].as_str()?.to_string(), any_value(&kv["value"]))))
                .collect();
            let (i, o) = span_tokens(&attrs);
            let e = out.entry(trace).or_default();
            e.0 += i;
            e.1 += o;
        }
    }
    out
}

fn phoenix_tokens(file: &Path) -> Tokens {
    let conn = Connection::open(file).unwrap_or_else(|e| panic!("{e}"));
    let mut st = conn
        .prepare(
            "SELECT t.trace_id, s.attributes FROM spans s JOIN traces t ON t.id = s.trace_rowid",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Tokens::new();
    for row in rows {
        let (trace, attrs) = row.unwrap_or_else(|e| panic!("{e}"));
        let a: Value = serde_json::from_str(&attrs).unwrap_or(Value::Null);
        let count = &a["llm"]["token_count"];
        let e = out.entry(trace).or_default();
        e.0 += int(count.get("prompt")).unwrap_or(0);
        e.1 += int(count.get("completion")).unwrap_or(0);
    }
    out
}

// -------------------------------------------------------------------------------------------

/// A shown answer may be cut to the preview width; it is never quoted.
fn answer_matches(shown: Option<&str>, truth: &str) -> bool {
    let Some(s) = shown else { return false };
    let s = s.trim().trim_end_matches('…');
    !s.is_empty() && !s.starts_with('"') && truth.trim().starts_with(s)
}

#[test]
fn every_trace_reads_as_a_person_reads_it() {
    for cap in CAPTURES {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let st = import(dir.path(), cap.file);
        let traces: HashMap<String, Trace> = st
            .list_traces(&TraceFilter::default(), SortKey::Start, true, 10_000, 0)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|t| (t.trace_id.clone(), t))
            .collect();
        let raw = (cap.raw_tokens)(&fixture(cap.file));
        let gt = ground_truth(cap.ground_truth);
        assert!(
            gt.len() >= 50,
            "{}: {} ground-truth traces",
            cap.file,
            gt.len()
        );
        let mut failures: Vec<String> = Vec::new();
        for g in &gt {
            let id = g["trace_id"].as_str().unwrap_or_default();
            let mut fail = |what: &str, got: String| {
                failures.push(format!("{} {id}: {what}: {got}", cap.file));
            };
            let Some(t) = traces.get(id) else {
                fail("trace", "missing".into());
                continue;
            };
            if t.input_preview.as_deref() != g["question"].as_str() {
                fail("question", format!("{:?}", t.input_preview));
            }
            if !answer_matches(
                t.output_preview.as_deref(),
                g["answer_shown"].as_str().unwrap_or(""),
            ) {
                fail("answer", format!("{:?}", t.output_preview));
            }
            let (ri, ro) = raw.get(id).copied().unwrap_or_default();
            if (t.input_tokens, t.output_tokens) != (ri, ro) {
                fail(
                    "tokens",
                    format!("{}/{} vs raw {ri}/{ro}", t.input_tokens, t.output_tokens),
                );
            }
            // Every model in these captures is priced.
            if t.unknown_cost_spans != 0 {
                fail("unknown_cost_spans", t.unknown_cost_spans.to_string());
            }
            let spans = st.trace_spans(id).unwrap_or_else(|e| panic!("{e}"));
            let of = |k: SpanKind| spans.iter().filter(|s| s.kind == k).count();
            if (
                of(SpanKind::Retriever),
                of(SpanKind::Reranker),
                of(SpanKind::Embedding),
            ) != (1, 1, 1)
                || of(SpanKind::Llm) == 0
            {
                let kinds: Vec<String> = spans
                    .iter()
                    .map(|s| format!("{}={}", s.name, s.kind.as_str()))
                    .collect();
                fail("kinds", kinds.join(","));
            }
            // The retriever lists what the vector search returned: the documents that reached
            // the prompt are among them, and the search returned more than the reranker kept.
            let in_prompt = strs(&g["retrieved_docs"]);
            let retrieved: Vec<String> = spans
                .iter()
                .filter(|s| s.kind == SpanKind::Retriever)
                .flat_map(|s| s.documents.iter().filter_map(|d| d.id.clone()))
                .collect();
            if !in_prompt.iter().all(|d| retrieved.contains(d))
                || retrieved.len() <= in_prompt.len()
            {
                fail("retriever documents", format!("{retrieved:?}"));
            }
            // What the judge and `export --eval` see: the question, and the in-prompt documents.
            let ji = trace_input(id, &spans);
            if ji.last_user_message.as_deref() != g["question"].as_str() {
                fail("judge question", format!("{:?}", ji.last_user_message));
            }
            let context: Vec<String> = ji.documents.iter().filter_map(|d| d.id.clone()).collect();
            if context != in_prompt || ji.documents.iter().any(|d| d.content.trim().is_empty()) {
                fail("context", format!("{context:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Phoenix's HUMAN `correctness` annotations are human labels: `--verdict correctness=false`
/// lists exactly the traces a reviewer scored 0, with their label text and explanation kept.
#[test]
fn phoenix_annotations_are_scores() {
    let file = "phoenix_dev.db";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let st = import(dir.path(), file);

    let conn = Connection::open(fixture(file)).unwrap_or_else(|e| panic!("{e}"));
    let mut q = conn
        .prepare(
            "SELECT DISTINCT t.trace_id FROM span_annotations a JOIN spans s ON s.id = a.span_rowid
             JOIN traces t ON t.id = s.trace_rowid
             WHERE a.name = 'correctness' AND a.annotator_kind = 'HUMAN' AND a.score = 0
             ORDER BY 1",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<String> = q
        .query_map([], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!expected.is_empty());

    let filter = TraceFilter {
        verdicts: vec![("correctness".into(), Verdict::False)],
        ..TraceFilter::default()
    };
    let mut got: Vec<String> = st
        .list_traces(&filter, SortKey::Start, true, 10_000, 0)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|t| t.trace_id)
        .collect();
    got.sort();
    assert_eq!(got, expected);

    // The triage queue flags them too.
    let queue = st
        .triage_queue(&TraceFilter::default())
        .unwrap_or_else(|e| panic!("{e}"));
    for id in &expected {
        assert!(
            queue
                .iter()
                .any(|f| &f.trace_id == id && f.flagged.iter().any(|r| r == "correctness")),
            "{id} not in the triage queue"
        );
    }

    // Source, label text and explanation survive; an `error` label is FALSE, not a judge error.
    let labels = st
        .all_latest_scores(ScoreSource::Human, Some("correctness"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        labels
            .iter()
            .filter(|s| s.verdict == Some(Verdict::False))
            .count(),
        expected.len()
    );
    assert!(labels.iter().all(|s| s.label.is_some()));
    assert!(labels.iter().all(|s| s.verdict != Some(Verdict::Error)));
    let hallucinated = labels
        .iter()
        .find(|s| s.label.as_deref() == Some("hallucinated"))
        .unwrap_or_else(|| panic!("no hallucinated label"));
    assert_eq!(hallucinated.verdict, Some(Verdict::False));
    assert!(hallucinated.explanation.is_some());
    // CODE annotations are checks.
    let checks = st
        .all_latest_scores(ScoreSource::Check, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(checks.iter().any(|s| s.name == "escalation_policy"));

    // `trawl agreement --human correctness` counts the imported labels.
    let rows = trawl::metrics::agreement::compute_against(&st, None, Some("correctness"))
        .unwrap_or_else(|e| panic!("{e}"));
    let row = rows
        .iter()
        .find(|r| r.rule == "correctness")
        .unwrap_or_else(|| panic!("no correctness row"));
    let mut human_false = row.human_false.clone();
    human_false.sort();
    assert_eq!(human_false, expected);
    assert_eq!(row.kappa, None, "no judge verdicts: kappa is undefined");
}
