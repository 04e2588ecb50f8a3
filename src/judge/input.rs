//! What the judge sees, extracted from a trace's spans: the question, the final answer, the
//! retrieved documents, the tool calls and the conversation.

use crate::model::{Document, Message, Span, SpanKind};

/// A retrieved document as shown to the judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocInput {
    pub id: Option<String>,
    pub content: String,
}

/// One tool call and its result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolInput {
    pub name: String,
    pub arguments: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
}

/// The judge's view of one trace (or one LLM span of it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JudgeInput {
    pub trace_id: String,
    /// Set for span-target rules.
    pub span_id: Option<String>,
    pub last_user_message: Option<String>,
    pub final_answer: Option<String>,
    pub documents: Vec<DocInput>,
    pub tools: Vec<ToolInput>,
    pub conversation: Vec<Message>,
}

/// Builds the trace-level input. Spans come in start order (as `Store::trace_spans` returns them).
pub fn trace_input(trace_id: &str, spans: &[Span]) -> JudgeInput {
    let root = spans
        .iter()
        .find(|s| s.parent_id.is_none())
        .or_else(|| spans.first());
    let last_llm = spans.iter().rev().find(|s| s.kind == SpanKind::Llm);

    // The root's input, reduced to what the user typed, is the question; an LLM span's last user
    // message is often the question wrapped in retrieved context (the judge sees the documents
    // separately), so the first LLM call's is only the fallback. The same rule feeds the store's
    // previews (`Span::input_text`).
    let first_llm = spans.iter().find(|s| s.kind == SpanKind::Llm);
    let last_user_message = root
        .and_then(Span::input_text)
        .or_else(|| {
            first_llm
                .and_then(|s| s.last_user_message())
                .map(str::to_string)
        })
        // Last resort: the raw input as it is (a payload no rule reads is still evidence).
        .or_else(|| root.and_then(|r| r.input.as_ref()).map(|v| v.value.clone()))
        .filter(|s| !s.trim().is_empty());

    let final_answer = root
        .and_then(Span::output_text)
        .or_else(|| last_llm.and_then(last_assistant_text))
        .or_else(|| {
            root.and_then(|r| r.output.as_ref())
                .map(|v| v.value.clone())
        })
        .filter(|s| !s.trim().is_empty());

    let mut conversation: Vec<Message> = last_llm
        .map(|s| s.input_messages.clone())
        .unwrap_or_default();
    if let Some(s) = last_llm {
        conversation.extend(s.output_messages.iter().cloned());
    }

    JudgeInput {
        trace_id: trace_id.to_string(),
        span_id: None,
        last_user_message,
        final_answer,
        documents: documents(spans),
        tools: tools(spans),
        conversation,
    }
}

/// Builds the input for one LLM span: its own messages, with the trace's documents and tools.
pub fn span_input(trace_id: &str, spans: &[Span], span: &Span) -> JudgeInput {
    let mut conversation = span.input_messages.clone();
    conversation.extend(span.output_messages.iter().cloned());
    // Only what the model could have seen: spans that started before it.
    let seen: Vec<Span> = spans
        .iter()
        .filter(|s| s.start_ns <= span.start_ns)
        .cloned()
        .collect();
    JudgeInput {
        trace_id: trace_id.to_string(),
        span_id: Some(span.span_id.clone()),
        last_user_message: span
            .last_user_message()
            .map(str::to_string)
            .or_else(|| span.input.as_ref().map(|v| v.value.clone()))
            .filter(|s| !s.trim().is_empty()),
        final_answer: last_assistant_text(span)
            .or_else(|| span.output.as_ref().map(|v| v.value.clone()))
            .filter(|s| !s.trim().is_empty()),
        documents: documents(&seen),
        tools: tools(&seen),
        conversation,
    }
}

fn last_assistant_text(s: &Span) -> Option<String> {
    s.output_messages
        .iter()
        .rev()
        .find(|m| !m.content.trim().is_empty())
        .map(|m| m.content.clone())
}

/// The documents that were in the prompt: the output of the last reranker that started before
/// the first LLM call, else the last retriever's documents. A retrieved document the reranker
/// dropped is not context. Documents a reranker lists only by id take their content from the
/// retrieved document with the same id (spans arrive in any order, so the join happens here).
fn documents(spans: &[Span]) -> Vec<DocInput> {
    let first_llm = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Llm)
        .map(|s| s.start_ns)
        .min()
        .unwrap_or(i64::MAX);
    let before = |k: SpanKind| {
        let all: Vec<&Span> = spans.iter().filter(|s| s.kind == k).collect();
        let early: Vec<&Span> = all
            .iter()
            .copied()
            .filter(|s| s.start_ns <= first_llm)
            .collect();
        if early.is_empty() { all } else { early }
    };
    let retrieved: Vec<&Document> = before(SpanKind::Retriever)
        .iter()
        .flat_map(|s| s.documents.iter())
        .collect();
    let reranked = before(SpanKind::Reranker).last().map(|s| {
        s.reranker
            .as_ref()
            .filter(|r| !r.output_documents.is_empty())
            .map(|r| r.output_documents.as_slice())
            .unwrap_or(s.documents.as_slice())
    });
    let in_prompt: Vec<&Document> = match reranked {
        Some(docs) if !docs.is_empty() => docs.iter().collect(),
        _ => before(SpanKind::Retriever)
            .last()
            .map(|s| s.documents.iter().collect())
            .unwrap_or_default(),
    };
    let mut out: Vec<DocInput> = Vec::new();
    for d in in_prompt {
        let content = d
            .content
            .clone()
            .or_else(|| {
                let id = d.id.as_ref()?;
                retrieved
                    .iter()
                    .find(|r| r.id.as_ref() == Some(id))
                    .and_then(|r| r.content.clone())
            })
            .unwrap_or_default();
        let dup = out.iter().any(|o| match (&o.id, &d.id) {
            (Some(a), Some(b)) => a == b,
            _ => o.content == content,
        });
        if !dup {
            out.push(DocInput {
                id: d.id.clone(),
                content,
            });
        }
    }
    out
}

fn tools(spans: &[Span]) -> Vec<ToolInput> {
    spans
        .iter()
        .filter(|s| s.kind == SpanKind::Tool)
        .map(|s| {
            let t = s.tool.clone().unwrap_or_default();
            ToolInput {
                name: t.name.unwrap_or_else(|| s.name.clone()),
                arguments: t
                    .arguments
                    .or_else(|| s.input.as_ref().map(|v| v.value.clone())),
                result: t
                    .result
                    .or_else(|| s.output.as_ref().map(|v| v.value.clone())),
                error: if s.is_error() {
                    Some(s.status_message.clone().unwrap_or_else(|| "error".into()))
                } else {
                    None
                },
            }
        })
        .collect()
}
