//! The Documents tab: a retriever's or reranker's passages, and for an LLM call without any of
//! its own, the retriever it read from (named, with Enter to go there).

use crate::model::{Span, SpanKind};
use crate::tui::spantree::TraceData;
use crate::tui::widgets::lines::{DetailLine, LineKind as L, push_text};
use crate::tui::widgets::text::cell;

/// The retriever whose passages an LLM call read: the last retriever with documents that
/// started before the call, else the first in the trace; a reranker when there is no retriever.
/// Its tree position and span.
pub fn retriever_for<'a>(data: &'a TraceData, llm: &Span) -> Option<(usize, &'a Span)> {
    let of_kind = |kind: SpanKind| -> Option<(usize, &'a Span)> {
        let found: Vec<(usize, &Span)> = (0..data.tree.nodes.len())
            .filter_map(|pos| data.span_at(pos).map(|s| (pos, s)))
            .filter(|(_, s)| s.kind == kind)
            .filter(|(_, s)| !s.documents.is_empty() || s.reranker.is_some())
            .collect();
        let before = found
            .iter()
            .filter(|(_, s)| s.start_ns <= llm.start_ns)
            .max_by_key(|(_, s)| s.start_ns)
            .copied();
        before.or_else(|| found.first().copied())
    };
    of_kind(SpanKind::Retriever).or_else(|| of_kind(SpanKind::Reranker))
}

/// Documents a retriever or reranker span holds (a reranker's output, else its input).
fn document_count(s: &Span) -> usize {
    match &s.reranker {
        Some(r) if !r.output_documents.is_empty() => r.output_documents.len(),
        Some(r) if s.documents.is_empty() => r.input_documents.len(),
        _ => s.documents.len(),
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub(super) fn documents(s: &Span, data: &TraceData, out: &mut Vec<DetailLine>) {
    let docs = |title: &str, list: &[crate::model::Document], out: &mut Vec<DetailLine>| {
        if list.is_empty() {
            return;
        }
        out.push(DetailLine::new(
            L::Heading,
            format!("── {title} ({}) ──", list.len()),
        ));
        for (i, d) in list.iter().enumerate() {
            let score = d
                .score
                .map(|v| format!(" score {v:.3}"))
                .unwrap_or_default();
            out.push(DetailLine::new(
                L::Role,
                format!(
                    "#{} id {}{score}",
                    i + 1,
                    cell(d.id.as_deref().unwrap_or("?"))
                ),
            ));
            if let Some(c) = &d.content {
                push_text(out, L::Body, c);
            }
            if let Some(m) = &d.metadata {
                out.push(DetailLine::new(
                    L::Dim,
                    format!("  metadata {}", cell(&m.to_string())),
                ));
            }
        }
    };
    docs("retrieved documents", &s.documents, out);
    if let Some(r) = &s.reranker {
        if let Some(q) = &r.query {
            out.push(DetailLine::new(
                L::Heading,
                format!("rerank query: {}", cell(q)),
            ));
        }
        docs("reranker input", &r.input_documents, out);
        docs("reranker output", &r.output_documents, out);
    }
    if out.is_empty() {
        match retriever_for(data, s).filter(|_| s.kind == SpanKind::Llm) {
            Some((_, r)) => {
                out.push(DetailLine::new(
                    L::Body,
                    format!(
                        "No documents on this LLM call: its passages come from the {} span {} ({}).",
                        r.kind.as_str(),
                        cell(&r.name),
                        plural(document_count(r), "document")
                    ),
                ));
                let reranked = data.whole_spans().find(|k| {
                    k.kind == SpanKind::Reranker
                        && k.start_ns >= r.start_ns
                        && k.start_ns <= s.start_ns
                });
                if let Some(k) = reranked.filter(|k| !std::ptr::eq(*k, r)) {
                    out.push(DetailLine::new(
                        L::Body,
                        format!(
                            "The reranker span {} kept {} of them.",
                            cell(&k.name),
                            document_count(k)
                        ),
                    ));
                }
                out.push(DetailLine::new(L::Role, "Enter goes to the retriever."));
            }
            None => out.push(DetailLine::new(L::Dim, "(no documents on this span)")),
        }
    }
}
