//! The spans of a trace that the judge's input reads, read whole; the rest is never decoded.
//! A 100,000-span trace would take about a gigabyte as whole spans, while its judge input (and
//! the evidence triage shows) comes from a handful of them. Which ones is decided from the span
//! rows alone ([`Store::trace_skeleton`]); only those payloads are decoded.
//!
//! [`super::input::trace_input`] reads the root (the first span without a parent, else the
//! first span), the first and the last LLM call, every retriever and reranker (the documents)
//! and every tool span (the tool calls). [`super::input::span_input`] reads each LLM call and
//! the retrievers, rerankers, tools and LLM calls that started before it.
//! [`crate::model::evidence::Evidence::of_trace`] reads the last LLM call, retrievers and
//! rerankers. Kept in start order, these spans give the same inputs, byte for byte, as the
//! whole trace does.

use crate::model::{Span, SpanKind};
use crate::store::{Store, StoreError};

/// Which LLM calls a reader needs whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmCalls {
    /// The first and the last (trace-level rules, evidence).
    FirstAndLast,
    /// Every one (span-level rules judge each).
    Every,
}

/// The spans of `trace_id` the judge input needs, whole and in start order (the order of
/// `Store::trace_spans`); empty when the trace is unknown.
pub fn judge_spans(store: &Store, trace_id: &str, llm: LlmCalls) -> Result<Vec<Span>, StoreError> {
    let rows = store.trace_skeleton(trace_id)?;
    let root = rows
        .iter()
        .position(|s| s.parent_id.is_none())
        .or((!rows.is_empty()).then_some(0));
    let first_llm = rows.iter().position(|s| s.kind == SpanKind::Llm);
    let last_llm = rows.iter().rposition(|s| s.kind == SpanKind::Llm);
    let wanted: Vec<i64> = rows
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            let i = Some(*i);
            i == root
                || matches!(
                    s.kind,
                    SpanKind::Retriever | SpanKind::Reranker | SpanKind::Tool
                )
                || (s.kind == SpanKind::Llm
                    && (llm == LlmCalls::Every || i == first_llm || i == last_llm))
        })
        .map(|(_, s)| s.row_id)
        .collect();
    drop(rows);
    let spans = store.span_payload_batch(&wanted, crate::store::decode_span)?;
    // A row gone since the skeleton was read (a re-import in between) is left out.
    Ok(spans.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::input::{span_input, trace_input};
    use crate::model::evidence::Evidence;

    const FIXTURES: &[&str] = &[
        "openinference_support_bot_40.otlp.jsonl",
        "openllmetry_support_bot_dev.otlp.jsonl",
        "langfuse_support_bot_dev.otlp.jsonl",
        "genai_current.synthetic.otlp.jsonl",
        "js_exporter_crosscheck.otlp.jsonl",
        "phoenix_dev.db",
        "llm-logs-0.36.db",
        "langsmith_runs.synthetic.json",
        "langfuse_trace.synthetic.json",
    ];

    #[test]
    fn the_needed_spans_give_the_whole_traces_judge_input() {
        let mut compared = 0;
        for name in FIXTURES {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name);
            let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
            crate::import::import_file(&mut store, &path, Default::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let ids = store
                .trace_ids(&Default::default(), None)
                .unwrap_or_else(|e| panic!("{e}"));
            for id in &ids {
                let all = store.trace_spans(id).unwrap_or_else(|e| panic!("{e}"));
                let few = judge_spans(&store, id, LlmCalls::FirstAndLast)
                    .unwrap_or_else(|e| panic!("{e}"));
                let every =
                    judge_spans(&store, id, LlmCalls::Every).unwrap_or_else(|e| panic!("{e}"));
                let whole = trace_input(id, &all);
                assert_eq!(whole, trace_input(id, &few), "{name}: {id}");
                assert_eq!(whole, trace_input(id, &every), "{name}: {id}");
                let answer = whole.final_answer.as_deref();
                assert_eq!(
                    format!("{:?}", Evidence::of_trace(&all, answer)),
                    format!("{:?}", Evidence::of_trace(&few, answer)),
                    "{name}: {id}"
                );
                let llm_all: Vec<&Span> = all.iter().filter(|s| s.kind == SpanKind::Llm).collect();
                let llm_every: Vec<&Span> =
                    every.iter().filter(|s| s.kind == SpanKind::Llm).collect();
                assert_eq!(llm_all.len(), llm_every.len(), "{name}: {id}");
                for (a, b) in llm_all.iter().zip(&llm_every) {
                    assert_eq!(
                        span_input(id, &all, a),
                        span_input(id, &every, b),
                        "{name}: {id}"
                    );
                }
                compared += 1;
                if all.len() > few.len() {
                    compared += 1_000;
                }
            }
        }
        // Some traces have spans the judge never reads, so the comparison means something.
        assert!(compared > 1_000, "{compared}");
    }
}
