//! End-to-end checks of the mapping: one span per convention, events, kinds.

use super::*;
use crate::model::CostSource;
use serde_json::json;

fn attrs(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("test attrs must be an object"),
    }
}

fn span_from(v: Value) -> Span {
    let mut s = Span::default();
    let a = attrs(v);
    apply_attributes(&mut s, &a);
    s.attributes = a;
    apply_events(&mut s);
    s
}

#[test]
fn openinference_llm_span() {
    let s = span_from(json!({
        "openinference.span.kind": "LLM", "llm.system": "openai", "llm.provider": "azure",
        "llm.model_name": "gpt-4o-2024-08-06",
        "llm.invocation_parameters": "{\"model\":\"gpt-4o\",\"temperature\":0.1}",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "be brief",
        "llm.input_messages.2.message.role": "user",
        "llm.input_messages.2.message.contents.0.message_content.type": "text",
        "llm.input_messages.2.message.contents.0.message_content.text": "23*87?",
        "llm.input_messages.2.message.contents.1.message_content.type": "image",
        "llm.input_messages.2.message.contents.1.message_content.image.image.url": "https://x/y.png",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": " call_1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "multiply",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{\"a\":23}",
        "llm.token_count.prompt": 229, "llm.token_count.completion": "21",
        "llm.token_count.prompt_details.cache_read": 128,
        "llm.cost.total": 0.00066,
        "session.id": "s-42", "user.id": "u-7", "tag.tags": ["prod"],
        "metadata": "{\"tenant\":\"acme\"}",
        "gen_ai.usage.input_tokens": 999
    }));
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(s.request_model.as_deref(), Some("gpt-4o"));
    assert_eq!(s.provider.as_deref(), Some("azure"));
    assert_eq!(s.convention.as_deref(), Some("openinference"));
    let u = s.usage.as_ref().unwrap();
    assert_eq!(
        (u.input, u.output, u.total, u.cache_read),
        (Some(229), Some(21), Some(250), Some(128))
    );
    assert_eq!(s.cost.as_ref().unwrap().total, Some(0.00066));
    assert_eq!(s.cost.as_ref().unwrap().source, CostSource::Reported);
    assert_eq!(s.input_messages.len(), 2, "sparse indices keep order");
    assert_eq!(
        s.input_messages[1].content,
        "23*87?\n[image: https://x/y.png]"
    );
    let tc = &s.output_messages[0].tool_calls[0];
    assert_eq!(tc.id.as_deref(), Some("call_1"));
    assert_eq!(tc.name, "multiply");
    assert_eq!(tc.arguments.as_deref(), Some("{\"a\":23}"));
    assert_eq!(s.session_id.as_deref(), Some("s-42"));
    assert_eq!(s.tags, vec!["prod".to_string()]);
    assert_eq!(s.metadata, Some(json!({"tenant": "acme"})));
}

#[test]
fn genai_current_span() {
    let s = span_from(json!({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.usage.input_tokens": 229, "gen_ai.usage.cache_read.input_tokens": 128,
        "gen_ai.usage.output_tokens": 21, "gen_ai.usage.reasoning.output_tokens": 5,
        "gen_ai.response.finish_reasons": ["stop"], "gen_ai.conversation.id": "s-42",
        "gen_ai.response.time_to_first_chunk": 0.25,
        "gen_ai.system_instructions": "[{\"type\":\"text\",\"content\":\"be brief\"}]",
        "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Weather?\"},{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\",\"content\":\"AAAAAAAAAAAAAAAA\"}]},{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}]},{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\" call_1\",\"result\":\"rainy\"}]}]",
        "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "reasoning", "content": "hmm"}, {"type": "text", "content": "Rainy."}]}]
    }));
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.convention.as_deref(), Some("genai"));
    assert_eq!(s.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(s.request_model.as_deref(), Some("gpt-4o"));
    assert_eq!(s.invocation_params, Some(json!({"temperature": 0.2})));
    assert_eq!(s.ttft_ns, Some(250_000_000));
    assert_eq!(s.session_id.as_deref(), Some("s-42"));
    assert_eq!(s.input_messages[0].role, "system");
    assert_eq!(s.input_messages[0].content, "be brief");
    assert_eq!(
        s.input_messages[1].content,
        "Weather?\n[image/png blob, 12 B]"
    );
    assert_eq!(
        s.input_messages[2].tool_calls[0].arguments.as_deref(),
        Some("{\"location\":\"Paris\"}")
    );
    assert_eq!(s.input_messages[3].tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(s.input_messages[3].content, "rainy");
    assert_eq!(s.output_messages[0].reasoning.as_deref(), Some("hmm"));
    assert_eq!(s.output_messages[0].content, "Rainy.");
    assert_eq!(s.output_messages[0].finish_reason.as_deref(), Some("stop"));
    let u = s.usage.unwrap();
    assert_eq!(
        (u.input, u.output, u.total, u.reasoning),
        (Some(229), Some(21), Some(250), Some(5))
    );
}

#[test]
fn openllmetry_legacy_span() {
    let s = span_from(json!({
        "llm.request.type": "chat", "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]",
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "c1", "gen_ai.completion.0.tool_calls.0.name": "f",
        "gen_ai.completion.0.tool_calls.0.arguments": "{}",
        "gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 3, "llm.usage.total_tokens": 13,
        "traceloop.association.properties.session_id": "sess", "traceloop.association.properties.user_id": "u1"
    }));
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.convention.as_deref(), Some("openllmetry"));
    assert_eq!(s.input_messages[0].content, "hi\n[image/png blob, 3 B]");
    assert_eq!(s.output_messages[0].tool_calls[0].name, "f");
    assert_eq!(
        s.output_messages[0].finish_reason.as_deref(),
        Some("tool_calls")
    );
    assert_eq!(s.usage.unwrap().total, Some(13));
    assert_eq!(s.session_id.as_deref(), Some("sess"));
    assert_eq!(s.user_id.as_deref(), Some("u1"));
    assert_eq!(
        s.metadata,
        Some(json!({"session_id": "sess", "user_id": "u1"}))
    );
}

#[test]
fn event_forms() {
    let mut s = Span {
        start_ns: 1_000,
        ..Span::default()
    };
    let ev = |name: &str, t: i64, a: Value| crate::model::SpanEvent {
        name: name.to_string(),
        time_ns: t,
        attributes: attrs(a),
    };
    s.events = vec![
        ev("gen_ai.system.message", 1, json!({"content": "sys"})),
        ev("gen_ai.user.message", 2, json!({"content": "hi"})),
        ev(
            "gen_ai.tool.message",
            3,
            json!({"content": "42", "id": " c1 "}),
        ),
        ev(
            "gen_ai.choice",
            4,
            json!({"body": "{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"done\"}}"}),
        ),
        ev("First Token Stream Event", 1_500, json!({})),
    ];
    apply_events(&mut s);
    assert_eq!(s.input_messages.len(), 3);
    assert_eq!(s.input_messages[0].role, "system");
    assert_eq!(s.input_messages[2].tool_call_id.as_deref(), Some("c1"));
    assert_eq!(s.output_messages[0].content, "done");
    assert_eq!(s.output_messages[0].role, "assistant");
    assert_eq!(s.output_messages[0].finish_reason.as_deref(), Some("stop"));
    assert_eq!(s.ttft_ns, Some(500));
    assert_eq!(s.convention.as_deref(), Some("genai"));

    let mut s = Span {
        events: vec![
            ev(
                "gen_ai.content.prompt",
                1,
                json!({"gen_ai.prompt": "[{'role': 'user', 'content': \"it's me\"}]"}),
            ),
            ev(
                "gen_ai.content.completion",
                2,
                json!({"gen_ai.completion": "[{\"role\":\"assistant\",\"content\":\"hello\"}]"}),
            ),
        ],
        ..Span::default()
    };
    apply_events(&mut s);
    assert_eq!(s.input_messages[0].content, "it's me");
    assert_eq!(s.output_messages[0].content, "hello");

    // A streamed call with one event per chunk and no first-token mark: the first chunk is it.
    let mut s = Span {
        start_ns: 1_000,
        events: vec![
            ev("gen_ai.content.completion.chunk", 1_900, json!({})),
            ev("gen_ai.content.completion.chunk", 1_300, json!({})),
        ],
        ..Span::default()
    };
    apply_events(&mut s);
    assert_eq!(s.ttft_ns, Some(300));
}

#[test]
fn kinds_by_ladder() {
    let k = |v: Value| span_from(v).kind;
    assert_eq!(
        k(json!({"gen_ai.operation.name": "embeddings"})),
        SpanKind::Embedding
    );
    assert_eq!(
        k(json!({"gen_ai.operation.name": "execute_tool"})),
        SpanKind::Tool
    );
    assert_eq!(
        k(json!({"gen_ai.operation.name": "invoke_agent"})),
        SpanKind::Agent
    );
    assert_eq!(
        k(json!({"traceloop.span.kind": "workflow"})),
        SpanKind::Chain
    );
    assert_eq!(k(json!({"gen_ai.usage.input_tokens": 3})), SpanKind::Llm);
    assert_eq!(k(json!({"http.method": "GET"})), SpanKind::Span);
    assert_eq!(
        k(json!({"openinference.span.kind": "TOOL", "gen_ai.operation.name": "chat"})),
        SpanKind::Tool
    );
}

#[test]
fn tool_span_genai_and_error_type() {
    let s = span_from(json!({
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": {"city": "Paris"},
        "gen_ai.tool.call.result": "rainy", "error.type": "timeout"
    }));
    let t = s.tool.unwrap();
    assert_eq!(t.name.as_deref(), Some("get_weather"));
    assert_eq!(t.call_id.as_deref(), Some("call_1"));
    assert_eq!(t.arguments.as_deref(), Some("{\"city\":\"Paris\"}"));
    assert_eq!(t.result.as_deref(), Some("rainy"));
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(s.status_message.as_deref(), Some("timeout"));
}
