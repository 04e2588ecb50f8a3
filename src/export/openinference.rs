//! What the unified model knows about a span, as OpenInference attributes, for spans whose raw
//! attributes carry no convention trawl reads back (llm's logs, LangSmith runs, Langfuse
//! observations keep their source's own field names).
//!
//! [`needs_rewrite`] decides per span: the raw attributes are read again with the importer's
//! rules and compared with what the store holds; when they give back the same question,
//! answer, documents, model, tokens and cost, they are written as they are. Otherwise
//! [`attributes`] writes OpenInference keys (the convention trawl prefers, so no other
//! convention's token counts are added up with them) and keeps the raw attributes under
//! [`RAW_PREFIX`], where no reader looks for conventions.

use serde_json::{Map, Value, json};

use crate::ingest::semconv;
use crate::model::{CostSource, Document, Message, Span, SpanKind};

/// Prefix under which a rewritten span keeps its source attributes.
pub const RAW_PREFIX: &str = "trawl.source.";

/// True when reading `s.attributes` again would not give back what the store shows for `s`.
pub fn needs_rewrite(s: &Span) -> bool {
    // OTLP spans were built from these very attributes by the same reader (which also knows
    // source-specific keys such as Langfuse's), so they always read back the same.
    if s.source_format == crate::ingest::otlp::SOURCE_FORMAT {
        return false;
    }
    let mut again = Span {
        trace_id: s.trace_id.clone(),
        span_id: s.span_id.clone(),
        name: s.name.clone(),
        start_ns: s.start_ns,
        end_ns: s.end_ns,
        status: s.status,
        status_message: s.status_message.clone(),
        events: s.events.clone(),
        ..Span::default()
    };
    semconv::apply_attributes(&mut again, &s.attributes);
    again.attributes = s.attributes.clone();
    semconv::apply_events(&mut again);
    let tokens = |x: &Span| {
        x.usage
            .as_ref()
            .map(|u| (u.input, u.output, u.cache_read, u.cache_write, u.reasoning))
    };
    let reported = |x: &Span| {
        x.cost
            .as_ref()
            .filter(|c| c.source == CostSource::Reported)
            .map(|c| (c.input, c.output, c.total))
    };
    again.kind != s.kind
        || again.model != s.model
        || again.provider != s.provider
        || tokens(&again) != tokens(s)
        || reported(&again) != reported(s)
        || again.input_messages != s.input_messages
        || again.output_messages != s.output_messages
        || again.documents != s.documents
        || again.reranker != s.reranker
        || again.tool != s.tool
        || again.input != s.input
        || again.output != s.output
        || again.session_id != s.session_id
        || again.user_id != s.user_id
        || again.tags != s.tags
        || again.ttft_ns != s.ttft_ns
}

/// The span's unified fields as OpenInference attributes, plus its raw attributes under
/// [`RAW_PREFIX`].
pub fn attributes(s: &Span) -> Map<String, Value> {
    let mut a = Map::new();
    for (k, v) in &s.attributes {
        a.insert(format!("{RAW_PREFIX}{k}"), v.clone());
    }
    let mut put = |k: String, v: Value| {
        a.insert(k, v);
    };
    if s.kind != SpanKind::Span {
        put(
            "openinference.span.kind".into(),
            json!(s.kind.as_str().to_ascii_uppercase()),
        );
    }
    if let Some(m) = &s.model {
        put("llm.model_name".into(), json!(m));
    }
    if let Some(m) = s
        .request_model
        .as_ref()
        .filter(|m| s.model.as_ref() != Some(*m))
    {
        put("llm.request.model_name".into(), json!(m));
    }
    if let Some(p) = &s.provider {
        put("llm.provider".into(), json!(p));
    }
    if let Some(p) = &s.invocation_params {
        put("llm.invocation_parameters".into(), json!(p.to_string()));
    }
    if let Some(u) = &s.usage {
        let counts = [
            ("llm.token_count.prompt", u.input),
            ("llm.token_count.completion", u.output),
            ("llm.token_count.total", u.total),
            ("llm.token_count.prompt_details.cache_read", u.cache_read),
            ("llm.token_count.prompt_details.cache_write", u.cache_write),
            ("llm.token_count.completion_details.reasoning", u.reasoning),
        ];
        for (k, v) in counts {
            if let Some(v) = v {
                put(k.into(), json!(v));
            }
        }
    }
    // Only a reported cost: a computed one is computed again on import from the same prices.
    if let Some(c) = s.cost.as_ref().filter(|c| c.source == CostSource::Reported) {
        for (k, v) in [
            ("llm.cost.prompt", c.input),
            ("llm.cost.completion", c.output),
            ("llm.cost.total", c.total),
        ] {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                put(k.into(), json!(v));
            }
        }
    }
    messages(&mut put, "llm.input_messages", &s.input_messages);
    messages(&mut put, "llm.output_messages", &s.output_messages);
    let reranked = s.reranker.as_ref().map(|r| &r.output_documents);
    if !s.documents.is_empty() && reranked != Some(&s.documents) {
        documents(&mut put, "retrieval.documents", &s.documents);
    }
    if let Some(r) = &s.reranker {
        opt(&mut put, "reranker.query", &r.query);
        opt(&mut put, "reranker.model_name", &r.model);
        if let Some(k) = r.top_k {
            put("reranker.top_k".into(), json!(k));
        }
        documents(&mut put, "reranker.input_documents", &r.input_documents);
        documents(&mut put, "reranker.output_documents", &r.output_documents);
    }
    if let Some(t) = &s.tool {
        opt(&mut put, "tool.name", &t.name);
        opt(&mut put, "tool.id", &t.call_id);
        opt(&mut put, "tool.description", &t.description);
        // A TOOL span's arguments and result are its input and output.
        if s.kind != SpanKind::Tool {
            opt(&mut put, "gen_ai.tool.call.arguments", &t.arguments);
            opt(&mut put, "gen_ai.tool.call.result", &t.result);
        }
    }
    let tool_io = s.kind == SpanKind::Tool && s.tool.is_some();
    for (prefix, raw, tool_side) in [
        (
            "input",
            &s.input,
            s.tool.as_ref().and_then(|t| t.arguments.clone()),
        ),
        (
            "output",
            &s.output,
            s.tool.as_ref().and_then(|t| t.result.clone()),
        ),
    ] {
        match (raw, tool_side) {
            (Some(v), _) => {
                put(format!("{prefix}.value"), json!(v.value));
                if let Some(m) = &v.mime {
                    put(format!("{prefix}.mime_type"), json!(m));
                }
            }
            (None, Some(t)) if tool_io => put(format!("{prefix}.value"), json!(t)),
            _ => {}
        }
    }
    opt(&mut put, "session.id", &s.session_id);
    opt(&mut put, "user.id", &s.user_id);
    if !s.tags.is_empty() {
        put("tag.tags".into(), json!(s.tags));
    }
    if let Some(m) = &s.metadata {
        put("metadata".into(), json!(m.to_string()));
    }
    if let Some(t) = s.ttft_ns {
        // Neither OpenInference nor the importer's event rules carry a first-token time as an
        // attribute except GenAI's; it holds no token counts, so nothing is counted twice.
        put(
            "gen_ai.response.time_to_first_chunk".into(),
            json!(t as f64 / 1e9),
        );
    }
    a
}

fn opt(put: &mut impl FnMut(String, Value), key: &str, v: &Option<String>) {
    if let Some(v) = v {
        put(key.to_string(), json!(v));
    }
}

fn messages(put: &mut impl FnMut(String, Value), prefix: &str, list: &[Message]) {
    for (i, m) in list.iter().enumerate() {
        let p = format!("{prefix}.{i}.message");
        if !m.role.is_empty() {
            put(format!("{p}.role"), json!(m.role));
        }
        if !m.content.is_empty() {
            put(format!("{p}.content"), json!(m.content));
        }
        if let Some(r) = &m.reasoning {
            put(
                format!("{p}.contents.0.message_content.type"),
                json!("reasoning"),
            );
            put(format!("{p}.contents.0.message_content.text"), json!(r));
        }
        opt(put, &format!("{p}.name"), &m.name);
        opt(put, &format!("{p}.tool_call_id"), &m.tool_call_id);
        opt(put, &format!("{p}.finish_reason"), &m.finish_reason);
        for (j, tc) in m.tool_calls.iter().enumerate() {
            let q = format!("{p}.tool_calls.{j}.tool_call");
            opt(put, &format!("{q}.id"), &tc.id);
            put(format!("{q}.function.name"), json!(tc.name));
            opt(put, &format!("{q}.function.arguments"), &tc.arguments);
        }
    }
}

fn documents(put: &mut impl FnMut(String, Value), prefix: &str, docs: &[Document]) {
    for (i, d) in docs.iter().enumerate() {
        let p = format!("{prefix}.{i}.document");
        opt(put, &format!("{p}.id"), &d.id);
        if let Some(s) = d.score.filter(|s| s.is_finite()) {
            put(format!("{p}.score"), json!(s));
        }
        opt(put, &format!("{p}.content"), &d.content);
        if let Some(m) = &d.metadata {
            put(format!("{p}.metadata"), json!(m.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cost, Usage};

    /// A LangSmith-like LLM span: its raw keys mean nothing to the readers, so it is rewritten,
    /// and the OpenInference keys read back as the same fields; the raw `gen_ai.usage.*` key
    /// moves under the prefix instead of being counted next to `llm.token_count.*`.
    #[test]
    fn rewritten_span_reads_back_the_same() {
        let mut raw = Map::new();
        raw.insert("run_type".into(), json!("llm"));
        raw.insert("gen_ai.usage.input_tokens".into(), json!(999));
        let s = Span {
            trace_id: "t".into(),
            span_id: "s".into(),
            name: "ChatOpenAI".into(),
            kind: SpanKind::Llm,
            model: Some("gpt-4o-mini".into()),
            usage: Some(Usage {
                input: Some(30),
                output: Some(8),
                total: Some(38),
                cache_read: Some(5),
                reasoning: Some(2),
                ..Usage::default()
            }),
            cost: Some(Cost {
                total: Some(1.02e-5),
                source: CostSource::Reported,
                ..Cost::default()
            }),
            input_messages: vec![Message {
                role: "user".into(),
                content: "hi".into(),
                ..Message::default()
            }],
            output_messages: vec![Message {
                role: "assistant".into(),
                content: "Hello! It is noon.".into(),
                reasoning: Some("think".into()),
                ..Message::default()
            }],
            attributes: raw,
            source_format: "langsmith".into(),
            ..Span::default()
        };
        assert!(needs_rewrite(&s));
        let attrs = attributes(&s);
        assert!(!attrs.contains_key("gen_ai.usage.input_tokens"));
        assert_eq!(attrs["trawl.source.gen_ai.usage.input_tokens"], json!(999));
        let mut back = Span {
            attributes: attrs.clone(),
            ..Span::default()
        };
        semconv::apply_attributes(&mut back, &attrs);
        assert_eq!(back.kind, s.kind);
        assert_eq!(back.model, s.model);
        let u = back.usage.clone().unwrap_or_default();
        assert_eq!(
            (u.input, u.output, u.cache_read, u.reasoning),
            (Some(30), Some(8), Some(5), Some(2))
        );
        assert_eq!(back.cost.as_ref().and_then(|c| c.total), Some(1.02e-5));
        assert_eq!(back.input_messages, s.input_messages);
        assert_eq!(back.output_messages, s.output_messages);
        // Read back, the rewritten attributes need no second rewrite: re-exports are stable.
        back.source_format = "langsmith".into();
        back.trace_id = s.trace_id.clone();
        back.span_id = s.span_id.clone();
        back.name = s.name.clone();
        assert!(!needs_rewrite(&back));
    }
}
