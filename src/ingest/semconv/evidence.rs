//! Span kind and documents from what a span carries, for spans whose convention only gives a
//! generic kind (OpenLLMetry `workflow`/`task`, Langfuse `span`, no kind at all). Evidence ranks
//! above those generic kinds and below every specific one (docs/sources.md, "Span kind"):
//!
//! * RETRIEVER: `db.query.result`/`db.search.result` events, `db.vector.*` or
//!   `db.query.embeddings*` keys, or an output that is a document list;
//! * RERANKER: an output that is a document list *and* an input that carries the candidates.
//!
//! `db.operation=query` alone is no evidence: SQL spans have it too.

use serde_json::{Map, Value};

use super::value::{as_f64, as_string, parse_jsonish, stringify};
use crate::model::{Document, Reranker, Span, SpanKind};

/// Attribute keys that only a vector search writes.
pub(super) fn has_retrieval_keys(attrs: &Map<String, Value>) -> bool {
    attrs
        .keys()
        .any(|k| k.starts_with("db.vector.") || k.starts_with("db.query.embeddings"))
}

/// Whether a span's kind came from no convention or a generic one, so evidence may refine it.
pub fn is_generic(span: &Span) -> bool {
    match span.kind {
        SpanKind::Span => true,
        SpanKind::Chain => {
            span.attributes
                .get("traceloop.span.kind")
                .and_then(Value::as_str)
                .is_some_and(|k| matches!(k, "workflow" | "task"))
                && !span.attributes.contains_key("openinference.span.kind")
        }
        _ => false,
    }
}

/// One document per `db.query.result` (or `db.search.result`) event, in event (rank) order.
/// A distance is not a score; it is kept in the metadata.
pub(super) fn documents_from_events(span: &Span) -> Vec<Document> {
    span.events
        .iter()
        .filter(|e| e.name == "db.query.result" || e.name == "db.search.result")
        .filter_map(|e| {
            let prefix = e.name.as_str();
            let a = &e.attributes;
            let field = |f: &str| a.get(&format!("{prefix}.{f}")).filter(|v| !v.is_null());
            let mut metadata = field("metadata").map(parse_jsonish);
            if let Some(d) = field("distance").and_then(as_f64) {
                let mut m = match metadata.take() {
                    Some(Value::Object(m)) => m,
                    Some(other) => Map::from_iter([("metadata".to_string(), other)]),
                    None => Map::new(),
                };
                m.insert("distance".into(), Value::from(d));
                metadata = Some(Value::Object(m));
            }
            let doc = Document {
                id: field("id").and_then(as_string),
                score: field("score").and_then(as_f64),
                content: field("document")
                    .or_else(|| field("content"))
                    .or_else(|| field("text"))
                    .map(stringify),
                metadata,
            };
            (doc.id.is_some() || doc.content.is_some()).then_some(doc)
        })
        .collect()
}

/// A document list: a non-empty list (or `{documents: […]}`) of objects that have no `role`
/// and have either an `id` with a `score`, `content`, `text` or `metadata`, or a
/// `page_content`. Chat message lists (`[{role, content}]`) are not documents.
pub fn document_list(v: &Value) -> Option<Vec<Document>> {
    let v = parse_jsonish(v);
    let items = match &v {
        Value::Array(items) => items,
        Value::Object(o) => o.get("documents")?.as_array()?,
        _ => return None,
    };
    if items.is_empty() || !items.iter().all(is_document) {
        return None;
    }
    Some(items.iter().map(document_of).collect())
}

fn is_document(d: &Value) -> bool {
    let Some(o) = d.as_object() else {
        return false;
    };
    !o.contains_key("role")
        && ((o.contains_key("id")
            && ["score", "content", "text", "metadata"]
                .iter()
                .any(|k| o.contains_key(*k)))
            || o.contains_key("page_content"))
}

fn document_of(d: &Value) -> Document {
    // Evidence lists come from LangChain, whose documents carry `page_content`.
    super::documents::document_fields(d, ["page_content", "content", "text"])
}

/// The candidates a reranker was given: a list of ids or documents among a Traceloop call
/// record's arguments, or under `candidates`/`documents`/`input_documents`/`nodes`/`docs`.
fn candidates(input: &Value) -> Option<Vec<Document>> {
    let input = parse_jsonish(input);
    let o = input.as_object()?;
    let mut lists: Vec<&Value> = Vec::new();
    if let Some(Value::Array(args)) = o.get("args") {
        lists.extend(args.iter());
        if let Some(Value::Object(kw)) = o.get("kwargs") {
            lists.extend(kw.values());
        }
    }
    for key in [
        "candidates",
        "documents",
        "input_documents",
        "nodes",
        "docs",
    ] {
        if let Some(v) = o.get(key) {
            lists.push(v);
        }
    }
    lists.into_iter().find_map(candidate_list)
}

fn candidate_list(v: &Value) -> Option<Vec<Document>> {
    let items = v.as_array().filter(|a| !a.is_empty())?;
    if let Some(docs) = document_list(v) {
        return Some(docs);
    }
    items
        .iter()
        .map(|x| {
            x.as_str().map(|id| Document {
                id: Some(id.to_string()),
                ..Document::default()
            })
        })
        .collect()
}

/// Kind and documents from a span's raw input and output (`traceloop.entity.*`,
/// `langfuse.observation.*`). A generic span whose output is a document list becomes a
/// RERANKER when its input carries the candidates, else a RETRIEVER; a span that already is a
/// retriever or reranker gets its documents from the list when it has none.
pub fn apply_io_evidence(span: &mut Span, input: Option<&Value>, output: Option<&Value>) {
    let Some(docs) = output.and_then(document_list) else {
        return;
    };
    if is_generic(span) {
        span.kind = match input.and_then(candidates) {
            Some(_) => SpanKind::Reranker,
            None => SpanKind::Retriever,
        };
    }
    match span.kind {
        SpanKind::Retriever if span.documents.is_empty() => span.documents = docs,
        SpanKind::Reranker => {
            let rr = span.reranker.get_or_insert_with(Reranker::default);
            if rr.output_documents.is_empty() {
                rr.output_documents = docs.clone();
            }
            if rr.input_documents.is_empty()
                && let Some(c) = input.and_then(candidates)
            {
                rr.input_documents = c;
            }
            if span.documents.is_empty() {
                span.documents = docs;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn document_lists_are_not_message_lists() {
        assert!(document_list(&json!([{"role": "user", "content": "hi"}])).is_none());
        assert!(document_list(&json!([])).is_none());
        assert!(document_list(&json!(["a", "b"])).is_none());
        let d = document_list(&json!("[{\"id\": \"kb-1\", \"score\": 0.9}]")).unwrap_or_default();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].id.as_deref(), Some("kb-1"));
        let lc = document_list(&json!({"documents": [{"page_content": "p"}]})).unwrap_or_default();
        assert_eq!(lc[0].content.as_deref(), Some("p"));
    }

    fn traceloop_task(input: Value, output: Value) -> Span {
        let mut s = Span {
            kind: SpanKind::Chain,
            ..Span::default()
        };
        s.attributes
            .insert("traceloop.span.kind".into(), json!("task"));
        apply_io_evidence(&mut s, Some(&input), Some(&output));
        s
    }

    #[test]
    fn reranker_needs_candidates_in_its_input() {
        let out = json!("[{\"id\": \"a\", \"score\": 0.9}, {\"id\": \"b\", \"score\": 0.5}]");
        let rr = traceloop_task(
            json!("{\"args\": [\"q\", [\"a\", \"b\", \"c\"]], \"kwargs\": {}}"),
            out.clone(),
        );
        assert_eq!(rr.kind, SpanKind::Reranker);
        let r = rr.reranker.unwrap_or_default();
        assert_eq!(r.input_documents.len(), 3);
        assert_eq!(r.output_documents.len(), 2);
        let lf = traceloop_task(json!({"query": "q", "candidates": ["a", "b"]}), out.clone());
        assert_eq!(lf.kind, SpanKind::Reranker);
        let retr = traceloop_task(json!("{\"args\": [\"q\"], \"kwargs\": {\"k\": 5}}"), out);
        assert_eq!(retr.kind, SpanKind::Retriever);
        assert_eq!(retr.documents.len(), 2);
        let text = traceloop_task(json!("q"), json!("\"an answer\""));
        assert_eq!(text.kind, SpanKind::Chain);
    }
}
