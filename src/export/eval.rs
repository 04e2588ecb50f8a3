//! Eval cases: one JSON object per trace with what was asked, what the model saw, what it
//! answered, and what the judge and the humans said about it. The fields are documented in
//! docs/eval-export.md, with recipes for promptfoo, inspect-ai and OpenAI evals.
//!
//! Question, answer, retrieved context and tool calls come from [`crate::judge::input`], so the
//! eval case shows exactly what the judge saw when it produced the verdicts next to it.

use crate::judge::input::trace_input;
use crate::model::{Document, Message, Score, Span, SpanKind, Trace};
use crate::timefilter;
use serde_json::{Map, Value, json};

/// Builds the eval case of one trace. `human` and `judge` are the trace's current scores of
/// each source (e.g. from `Store::latest_scores`).
pub fn eval_case(summary: &Trace, spans: &[Span], human: &[Score], judge: &[Score]) -> Value {
    let ji = trace_input(&summary.trace_id, spans);
    // The judge's view uses the last LLM span as "the final call"; its input messages are the
    // prompt an eval should replay.
    let last_llm = spans.iter().rev().find(|s| s.kind == SpanKind::Llm);
    let input: Vec<Value> = last_llm
        .map(|s| s.input_messages.iter().map(message_json).collect())
        .unwrap_or_default();

    let context: Vec<Value> = ji
        .documents
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "score": doc_score(spans, d.id.as_deref(), &d.content),
                "content": d.content,
            })
        })
        .collect();
    let tool_calls: Vec<Value> = ji
        .tools
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "arguments": t.arguments,
                "result": t.result,
                "error": t.error,
            })
        })
        .collect();

    let mut labels = Map::new();
    for h in human {
        let mut label = json!({
            "verdict": h.verdict.map(|v| v.as_str()),
            "note": h.note,
            "author": h.author,
            "created_at": h.created_at_ns.map(timefilter::rfc3339),
        });
        // Imported annotations keep the annotator's label text and explanation (absent, not
        // null, on labels made with `trawl label`, so that shape stays as it was).
        for (key, v) in [("label", &h.label), ("explanation", &h.explanation)] {
            if let (Some(v), Some(obj)) = (v, label.as_object_mut()) {
                obj.insert(key.into(), json!(v));
            }
        }
        labels.insert(h.name.clone(), label);
    }
    let mut verdicts = Map::new();
    for j in judge {
        verdicts.insert(
            j.name.clone(),
            json!({
                "verdict": j.verdict.map(|v| v.as_str()),
                "explanation": j.explanation,
                "model": j.model,
                "samples": j.samples,
                "agree": j.agree,
                "created_at": j.created_at_ns.map(timefilter::rfc3339),
            }),
        );
    }

    let root = spans
        .iter()
        .find(|s| s.parent_id.is_none())
        .or_else(|| spans.first());
    let metadata = root
        .and_then(|r| r.metadata.clone())
        .or_else(|| spans.iter().find_map(|s| s.metadata.clone()))
        .unwrap_or(Value::Null);

    // Plain-text context for prompt templates, which cannot loop over objects.
    let context_text = ji
        .documents
        .iter()
        .map(|d| match &d.id {
            Some(id) => format!("[{id}] {}", d.content),
            None => d.content.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n\n");

    json!({
        "trace_id": summary.trace_id,
        "session_id": summary.session_id,
        "user_id": summary.user_id,
        "start": timefilter::rfc3339(summary.start_ns),
        "name": summary.name,
        "models": summary.models,
        "input": input,
        "question": ji.last_user_message,
        "context": context,
        "output": ji.final_answer,
        "tool_calls": tool_calls,
        "human_labels": labels,
        "judge_verdicts": verdicts,
        "metadata": metadata,
        "tags": summary.tags,
        "vars": {
            "question": ji.last_user_message,
            "context": context_text,
            "output": ji.final_answer,
            "trace_id": summary.trace_id,
        },
    })
}

/// `{role, content}` plus the tool-call fields when present (OpenAI chat shape).
fn message_json(m: &Message) -> Value {
    let mut o = json!({"role": m.role, "content": m.content});
    if !m.tool_calls.is_empty() {
        o["tool_calls"] = Value::Array(
            m.tool_calls
                .iter()
                .map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
                .collect(),
        );
    }
    if let Some(id) = &m.tool_call_id {
        o["tool_call_id"] = json!(id);
    }
    o
}

/// The retrieval score of a document the judge input lists (the judge input keeps only id and
/// text): the reranked score if a reranker saw it, else the retriever's.
fn doc_score(spans: &[Span], id: Option<&str>, content: &str) -> Option<f64> {
    let matches = |d: &Document| match (id, d.id.as_deref()) {
        (Some(a), Some(b)) => a == b,
        _ => d.content.as_deref().unwrap_or_default() == content,
    };
    let reranked = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Reranker)
        .filter_map(|s| s.reranker.as_ref())
        .flat_map(|r| r.output_documents.iter());
    let retrieved = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Retriever || s.kind == SpanKind::Reranker)
        .flat_map(|s| s.documents.iter());
    reranked
        .chain(retrieved)
        .filter(|d| matches(d))
        .find_map(|d| d.score)
}
