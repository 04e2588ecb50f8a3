//! Retrieved documents, reranker input and output, and tool calls made as spans.

use serde_json::{Map, Value};

use super::flat::{get, list};
use super::present;
use super::value::{as_f64, as_i64, as_string, parse_jsonish, stringify, trim_id};
use crate::model::{Document, Reranker, SpanKind, ToolInfo};

pub(super) fn documents(attrs: &Map<String, Value>, prefix: &str) -> Vec<Document> {
    list(attrs, prefix)
        .iter()
        .filter_map(document_from)
        .collect()
}

/// A document object's fields; `content_keys` in order of preference, since sources disagree on
/// which of `content`, `page_content` and `text` is the primary one.
pub(super) fn document_fields(d: &Value, content_keys: [&str; 3]) -> Document {
    Document {
        id: get(d, "id").and_then(as_string),
        score: get(d, "score").and_then(as_f64),
        content: content_keys
            .iter()
            .find_map(|k| get(d, k))
            .filter(|v| !v.is_null())
            .map(stringify),
        metadata: get(d, "metadata")
            .filter(|v| !v.is_null())
            .map(parse_jsonish),
    }
}

fn document_from(item: &Value) -> Option<Document> {
    let d = match get(item, "document") {
        Some(inner) if inner.is_object() => inner,
        _ => item,
    };
    if let Value::String(s) = d {
        return Some(Document {
            content: Some(s.clone()),
            ..Document::default()
        });
    }
    let doc = document_fields(d, ["content", "page_content", "text"]);
    let empty = doc.id.is_none() && doc.score.is_none() && doc.content.is_none();
    (!empty).then_some(doc)
}

pub(super) fn reranker(attrs: &Map<String, Value>) -> Option<Reranker> {
    let query = attrs.get("reranker.query").and_then(as_string);
    let model = attrs.get("reranker.model_name").and_then(as_string);
    let top_k = attrs.get("reranker.top_k").and_then(as_i64);
    let input_documents = documents(attrs, "reranker.input_documents");
    let output_documents = documents(attrs, "reranker.output_documents");
    if query.is_none()
        && model.is_none()
        && top_k.is_none()
        && input_documents.is_empty()
        && output_documents.is_empty()
    {
        return None;
    }
    Some(Reranker {
        query,
        model,
        top_k,
        input_documents,
        output_documents,
    })
}

pub(super) fn tool_info(kind: SpanKind, attrs: &Map<String, Value>) -> Option<ToolInfo> {
    let is_tool = kind == SpanKind::Tool
        || present(attrs, "tool.name")
        || present(attrs, "gen_ai.tool.name")
        || present(attrs, "gen_ai.tool.call.id");
    if !is_tool {
        return None;
    }
    let s = |keys: &[&str]| keys.iter().find_map(|k| attrs.get(*k).and_then(as_string));
    let traceloop_tool = attrs
        .get("traceloop.span.kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("tool"));
    let mut name = s(&["tool.name", "gen_ai.tool.name"]);
    if name.is_none() && traceloop_tool {
        name = s(&["traceloop.entity.name"]);
    }
    let (mut arguments, mut result) = (None, None);
    if kind == SpanKind::Tool {
        arguments = s(&["input.value"]);
        result = s(&["output.value"]);
    }
    arguments = arguments.or_else(|| s(&["gen_ai.tool.call.arguments"]));
    result = result.or_else(|| s(&["gen_ai.tool.call.result"]));
    if traceloop_tool {
        arguments = arguments.or_else(|| s(&["traceloop.entity.input"]));
        result = result.or_else(|| s(&["traceloop.entity.output"]));
    }
    Some(ToolInfo {
        name,
        call_id: s(&["tool.id", "tool_call.id", "gen_ai.tool.call.id"]).map(trim_id),
        description: s(&["tool.description", "gen_ai.tool.description"]),
        arguments,
        result,
    })
}
