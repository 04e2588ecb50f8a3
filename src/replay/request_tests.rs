use super::*;
use crate::model::{Message, RawValue, SpanKind};
use serde_json::json;

fn span(attrs: Value) -> Span {
    Span {
        kind: SpanKind::Llm,
        attributes: attrs.as_object().cloned().unwrap_or_default(),
        ..Span::default()
    }
}

#[test]
fn openinference_flattened_messages_tools_and_parameters() {
    let s = span(json!({
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "Where is FH-100200?",
        "llm.input_messages.2.message.role": "assistant",
        "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_9",
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "lookup_order",
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": "{\"order_id\": \"FH-100200\"}",
        "llm.input_messages.3.message.role": "tool",
        "llm.input_messages.3.message.tool_call_id": "call_9",
        "llm.input_messages.3.message.content": "{\"status\": \"shipped\"}",
        "llm.tools.0.tool.json_schema": "{\"type\": \"function\", \"function\": {\"name\": \"lookup_order\", \"parameters\": {\"type\": \"object\"}}}",
        "llm.invocation_parameters": "{\"model\": \"gpt-4o-mini\", \"stream\": true, \"temperature\": 0.2, \"max_tokens\": 400, \"tool_choice\": \"auto\"}",
    }));
    let r = from_span(&s).unwrap();
    assert_eq!(r.messages_from, "llm.input_messages");
    assert_eq!(
        r.messages,
        vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": "Where is FH-100200?"}),
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_9", "type": "function",
                "function": {"name": "lookup_order", "arguments": "{\"order_id\": \"FH-100200\"}"}}]}),
            json!({"role": "tool", "tool_call_id": "call_9", "content": "{\"status\": \"shipped\"}"}),
        ]
    );
    assert_eq!(
        r.tools,
        vec![
            json!({"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}})
        ]
    );
    // `stream` and `model` are not parameters a replay carries.
    assert_eq!(
        Value::Object(r.params),
        json!({"temperature": 0.2, "max_tokens": 400, "tool_choice": "auto"})
    );
}

#[test]
fn genai_parts_system_instructions_and_request_attributes() {
    let s = span(json!({
        "gen_ai.system_instructions": [{"type": "text", "content": "You are a weather bot."}],
        "gen_ai.input.messages": "[{\"role\": \"user\", \"parts\": [{\"type\": \"text\", \"content\": \"Weather in Paris?\"}]}, {\"role\": \"assistant\", \"parts\": [{\"type\": \"tool_call\", \"id\": \" call_1\", \"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}]}, {\"role\": \"tool\", \"parts\": [{\"type\": \"tool_call_response\", \"id\": \" call_1\", \"result\": \"rainy, 57F\"}]}]",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 200,
        "gen_ai.request.seed": 7,
    }));
    let r = from_span(&s).unwrap();
    assert_eq!(
        r.messages,
        vec![
            json!({"role": "system", "content": "You are a weather bot."}),
            json!({"role": "user", "content": "Weather in Paris?"}),
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": " call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}}]}),
            json!({"role": "tool", "tool_call_id": " call_1", "content": "rainy, 57F"}),
        ]
    );
    assert_eq!(
        Value::Object(r.params),
        json!({"temperature": 0.2, "max_tokens": 200, "seed": 7})
    );
}

#[test]
fn several_text_parts_stay_parts_and_images_keep_their_url() {
    let s = span(json!({
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "[{\"type\": \"text\", \"text\": \"What is this?\"}, {\"type\": \"image_url\", \"image_url\": {\"url\": \"https://x/y.png\"}}]",
    }));
    let r = from_span(&s).unwrap();
    assert_eq!(
        r.messages,
        vec![json!({"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
        ]})]
    );
}

#[test]
fn langfuse_payload_is_the_recorded_request() {
    let payload = json!({
        "tools": [{"type": "function", "function": {"name": "escalate", "parameters": {"type": "object"}}}],
        "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q?"}]
    });
    let s = span(json!({
        "langfuse.observation.input": payload.to_string(),
        "langfuse.observation.model.parameters": "{\"temperature\": 0.2, \"max_tokens\": 400, \"top_p\": 1, \"service_tier\": \"default\"}",
    }));
    let r = from_span(&s).unwrap();
    assert_eq!(r.messages, payload["messages"].as_array().unwrap().clone());
    assert_eq!(r.tools, payload["tools"].as_array().unwrap().clone());
    assert_eq!(
        Value::Object(r.params),
        json!({"temperature": 0.2, "max_tokens": 400, "top_p": 1})
    );
}

#[test]
fn hidden_missing_and_truncated_inputs_are_refused_with_the_reason() {
    let hidden = span(json!({"input.value": "__REDACTED__"}));
    assert!(from_span(&hidden).unwrap_err().0.contains("hide_inputs"));

    let nothing = span(json!({"gen_ai.request.model": "gpt-4o"}));
    assert!(
        from_span(&nothing)
            .unwrap_err()
            .0
            .contains("no input messages")
    );

    let cut = span(
        json!({"input.value": "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"How do I ret"}),
    );
    assert!(from_span(&cut).unwrap_err().0.contains("truncated"));

    let long = format!("{}...", "x".repeat(1024));
    let cut_text = span(json!({
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": long,
    }));
    let e = from_span(&cut_text).unwrap_err().0;
    assert!(
        e.contains("input message 0") && e.contains("truncated at 1024"),
        "{e}"
    );

    let blob = span(json!({"gen_ai.input.messages": [{"role": "user", "parts": [
        {"type": "text", "content": "Look"}, {"type": "blob", "mime_type": "image/png", "content": "AAAA"}]}]}));
    assert!(from_span(&blob).unwrap_err().0.contains("`blob` part"));

    let redacted_message = span(json!({
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "__REDACTED__",
    }));
    assert!(
        from_span(&redacted_message)
            .unwrap_err()
            .0
            .contains("privacy")
    );
}

#[test]
fn parsed_messages_are_the_last_resort() {
    let mut s = span(json!({}));
    s.input = Some(RawValue {
        value: "plain question".into(),
        mime: None,
    });
    s.input_messages = vec![Message {
        role: "user".into(),
        content: "plain question".into(),
        ..Message::default()
    }];
    s.request_model = Some("m".into());
    let r = from_span(&s).unwrap();
    assert_eq!(
        r.messages,
        vec![json!({"role": "user", "content": "plain question"})]
    );
    assert_eq!(r.model.as_deref(), Some("m"));
}

#[test]
fn anthropic_tool_results_become_tool_messages_and_keep_the_text() {
    let payload = json!({
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {"role": "user", "content": "Where is FH-1?"},
            {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup_order", "input": {"order_id": "FH-1"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "shipped"},
                {"type": "text", "text": "And when does it arrive?"}]}
        ]
    });
    let s = span(json!({"input.value": payload.to_string()}));
    let r = from_span(&s).unwrap();
    assert_eq!(
        r.messages,
        vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": "Where is FH-1?"}),
            json!({"role": "assistant", "content": "Checking.", "tool_calls": [{"id": "toolu_1", "type": "function",
                "function": {"name": "lookup_order", "arguments": "{\"order_id\":\"FH-1\"}"}}]}),
            json!({"role": "tool", "tool_call_id": "toolu_1", "content": "shipped"}),
            json!({"role": "user", "content": "And when does it arrive?"}),
        ]
    );
}

#[test]
fn hidden_images_are_refused() {
    let s = span(
        json!({"llm.input_messages": [{"message": {"role": "user", "contents": [
            {"message_content": {"type": "text", "text": "What is this?"}},
            {"message_content": {"type": "image", "image": {"image": {"url": "__REDACTED__"}}}}
        ]}}]}),
    );
    assert!(from_span(&s).unwrap_err().0.contains("privacy"));
}
