//! Span kind: OpenInference's kind, then GenAI's operation name, then OpenLLMetry's span kind
//! and request type, then what the span carries (formats.md §10.8).

use serde_json::{Map, Value};

use super::{Conv, GEN, LEG, OI, present};
use crate::model::SpanKind;

pub(super) fn infer_kind(preset: SpanKind, attrs: &Map<String, Value>) -> (SpanKind, Option<Conv>) {
    if let Some(k) = attrs
        .get("openinference.span.kind")
        .and_then(Value::as_str)
        .and_then(SpanKind::parse)
    {
        return (k, Some(OI));
    }
    if preset != SpanKind::Span {
        return (preset, None);
    }
    if let Some(op) = attrs.get("gen_ai.operation.name").and_then(Value::as_str) {
        let k = match op.trim().to_ascii_lowercase().as_str() {
            "chat" | "text_completion" | "generate_content" | "completion" => Some(SpanKind::Llm),
            "embeddings" | "embedding" => Some(SpanKind::Embedding),
            "execute_tool" => Some(SpanKind::Tool),
            "invoke_agent" | "create_agent" => Some(SpanKind::Agent),
            "retrieval" => Some(SpanKind::Retriever),
            "invoke_workflow" => Some(SpanKind::Chain),
            "rerank" => Some(SpanKind::Reranker),
            _ => None,
        };
        if let Some(k) = k {
            return (k, Some(GEN));
        }
    }
    // Evidence outranks OpenLLMetry's generic workflow/task kinds.
    if super::evidence::has_retrieval_keys(attrs) {
        return (SpanKind::Retriever, None);
    }
    if let Some(tk) = attrs.get("traceloop.span.kind").and_then(Value::as_str) {
        let k = match tk.trim().to_ascii_lowercase().as_str() {
            "workflow" | "task" => Some(SpanKind::Chain),
            "agent" => Some(SpanKind::Agent),
            "tool" => Some(SpanKind::Tool),
            _ => None,
        };
        if let Some(k) = k {
            return (k, Some(LEG));
        }
    }
    if let Some(rt) = attrs.get("llm.request.type").and_then(Value::as_str) {
        let k = match rt.trim().to_ascii_lowercase().as_str() {
            "chat" | "completion" => Some(SpanKind::Llm),
            "embedding" | "embeddings" => Some(SpanKind::Embedding),
            "rerank" => Some(SpanKind::Reranker),
            _ => None,
        };
        if let Some(k) = k {
            return (k, Some(LEG));
        }
    }
    // Heuristics: what the span carries.
    if present(attrs, "embedding.model_name") {
        return (SpanKind::Embedding, None);
    }
    let has_model = [
        "llm.model_name",
        "llm.request.model_name",
        "llm.response.model_name",
        "gen_ai.request.model",
        "gen_ai.response.model",
    ]
    .iter()
    .any(|k| present(attrs, k));
    let has_usage = [
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "llm.token_count.total",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.usage.total_tokens",
        "gen_ai.usage.total_tokens",
    ]
    .iter()
    .any(|k| present(attrs, k));
    if has_model || has_usage {
        return (SpanKind::Llm, None);
    }
    (SpanKind::Span, None)
}
