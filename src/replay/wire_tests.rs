use super::*;
use serde_json::json;

fn recorded() -> RecordedRequest {
    RecordedRequest {
        model: Some("gpt-4o-mini".into()),
        provider: Some("openai".into()),
        messages: vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": "Where is my order?"}),
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "lookup_order", "arguments": "{\"order_id\":\"FH-1\"}"}}]}),
            json!({"role": "tool", "tool_call_id": "c1", "content": "shipped"}),
        ],
        tools: vec![
            json!({"type": "function", "function": {"name": "lookup_order",
            "description": "Look up", "parameters": {"type": "object"}}}),
        ],
        params: json!({"temperature": 0.2, "max_tokens": 400, "seed": 3, "stop": "END"})
            .as_object()
            .cloned()
            .unwrap(),
        messages_from: String::new(),
    }
}

#[test]
fn overrides_change_exactly_what_they_name() {
    let r = recorded();
    let mut o = Overrides {
        model: Some("gpt-4.1".into()),
        system: Some("New prompt".into()),
        ..Overrides::default()
    };
    let (k, v) = Overrides::parse_set("temperature=0").unwrap();
    o.set.insert(k, v);
    let a = apply(&r, &o);
    assert_eq!(a.model.as_deref(), Some("gpt-4.1"));
    assert_eq!(
        a.messages[0],
        json!({"role": "system", "content": "New prompt"})
    );
    assert_eq!(a.messages[1..], r.messages[1..]);
    assert_eq!(a.params["temperature"], json!(0));
    assert_eq!(a.params["max_tokens"], json!(400));
    assert_eq!(a.tools, r.tools);
    assert!(Overrides::parse_set("model=x").is_err());
    assert!(Overrides::parse_set("nokey").is_err());
    assert_eq!(
        Overrides::parse_set("stop=[\"a\"]").unwrap().1,
        json!(["a"])
    );
    assert_eq!(Overrides::parse_set("user=kim").unwrap().1, json!("kim"));
}

#[test]
fn openai_body_is_the_recorded_request() {
    let b = body(&recorded(), ProviderKind::OpenAi, "fallback");
    assert_eq!(
        b,
        json!({"model": "gpt-4o-mini", "messages": recorded().messages, "tools": recorded().tools,
               "temperature": 0.2, "max_tokens": 400, "seed": 3, "stop": "END"})
    );
}

#[test]
fn anthropic_body_moves_system_tools_and_results_into_place() {
    let b = body(&recorded(), ProviderKind::Anthropic, "fallback");
    assert_eq!(
        b,
        json!({
            "model": "gpt-4o-mini",
            "system": "Be brief.",
            "messages": [
                {"role": "user", "content": "Where is my order?"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "c1", "name": "lookup_order",
                    "input": {"order_id": "FH-1"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "shipped"}]}
            ],
            "tools": [{"name": "lookup_order", "description": "Look up", "input_schema": {"type": "object"}}],
            "max_tokens": 400,
            "temperature": 0.2,
            "stop_sequences": ["END"]
        })
    );
}

#[test]
fn answers_are_read_with_inclusive_usage() {
    let a = read_answer(
        ProviderKind::Anthropic,
        &json!({"model": "claude-x", "stop_reason": "end_turn",
                "content": [{"type": "text", "text": "Hi"}],
                "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 5}}),
    );
    assert_eq!(a.text, "Hi");
    assert_eq!(a.usage.input, Some(15));
    assert_eq!(a.usage.output, Some(3));
    let o = read_answer(
        ProviderKind::OpenAi,
        &json!({"model": "m", "choices": [{"finish_reason": "stop", "message": {"content": "Yes"}}],
                "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}}),
    );
    assert_eq!(
        (o.text.as_str(), o.usage.input, o.usage.output),
        ("Yes", Some(7), Some(2))
    );
    assert_eq!(o.finish_reason.as_deref(), Some("stop"));
}
