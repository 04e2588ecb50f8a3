//! Golden tests of the OTLP/JSON adapter and the semantic-convention mapping against the
//! fixtures in `tests/fixtures` (real captures plus hand-made `*.synthetic.*` files).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use trawl::ingest::otlp::parse_line;
use trawl::model::{CostSource, Provenance, Span, SpanKind, StatusCode};

use crate::util::{SUPPORT_BOT, fixture};

const GROUND_TRUTH: &str = "openinference_support_bot_40.ground_truth.jsonl";
const JS_EXPORTER: &str = "js_exporter_crosscheck.otlp.jsonl";
const GENAI_CURRENT: &str = "genai_current.synthetic.otlp.jsonl";
const OPENLLMETRY: &str = "openllmetry_legacy.synthetic.otlp.jsonl";
const GENAI_EVENTS: &str = "genai_events.synthetic.otlp.jsonl";

/// Every span of `tests/fixtures/NAME`, parsed line by line.
pub fn load(name: &str) -> Vec<Span> {
    let path = fixture(name);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("read {name}: {e}"));
    let mut out = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let spans = parse_line(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
        out.extend(spans);
    }
    out
}

fn by_id<'a>(spans: &'a [Span], span_id: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| s.span_id == span_id)
        .unwrap_or_else(|| panic!("no span {span_id}"))
}

// ---------------------------------------------------------------------------------------------
// The OpenInference support-bot corpus.

#[test]
fn support_bot_counts() {
    let spans = load(SUPPORT_BOT);
    assert_eq!(spans.len(), 271);
    let ids: BTreeSet<_> = spans.iter().map(|s| (&s.trace_id, &s.span_id)).collect();
    assert_eq!(ids.len(), 271, "no duplicate (trace, span) pairs");
    let traces: BTreeSet<_> = spans.iter().map(|s| s.trace_id.as_str()).collect();
    assert_eq!(traces.len(), 40);

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &spans {
        *kinds.entry(s.kind.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("chain", 80),
        ("embedding", 40),
        ("retriever", 40),
        ("reranker", 40),
        ("llm", 48),
        ("tool", 6),
        ("guardrail", 17),
    ]
    .into_iter()
    .collect();
    assert_eq!(kinds, expected);

    let roots: Vec<_> = spans.iter().filter(|s| s.parent_id.is_none()).collect();
    assert_eq!(roots.len(), 40);
    assert!(
        roots
            .iter()
            .all(|s| s.name == "support_bot.answer_question")
    );
    assert_eq!(
        spans.iter().filter(|s| s.name == "build_prompt").count(),
        40
    );

    let errors: Vec<_> = spans.iter().filter(|s| s.is_error()).collect();
    assert_eq!(errors.len(), 6);
    assert!(errors.iter().all(|s| s.status_message.is_some()));
    assert!(
        errors
            .iter()
            .any(|s| s.status_message.as_deref() == Some("APITimeoutError: Request timed out."))
    );
    assert_eq!(
        spans.iter().filter(|s| s.status == StatusCode::Ok).count(),
        122
    );

    let sessions: BTreeSet<_> = spans
        .iter()
        .filter_map(|s| s.session_id.as_deref())
        .collect();
    let users: BTreeSet<_> = spans.iter().filter_map(|s| s.user_id.as_deref()).collect();
    assert_eq!(sessions.len(), 23);
    assert_eq!(users.len(), 22);
    assert!(
        spans
            .iter()
            .all(|s| s.session_id.is_some() && s.user_id.is_some())
    );

    for s in &spans {
        assert_eq!(s.source_format, "otlp-json");
        assert_eq!(s.service_name.as_deref(), Some("fernhill-support-bot"));
        assert_eq!(s.trace_id.len(), 32);
        assert_eq!(s.span_id.len(), 16);
        assert!(s.scope_name.is_some());
        assert!(s.end_ns.unwrap() >= s.start_ns);
        assert_eq!(s.convention.as_deref(), Some("openinference"));
        assert_eq!(
            s.resource
                .get("openinference.project.name")
                .and_then(|v| v.as_str()),
            Some("fernhill-support-bot")
        );
        assert_eq!(s.tags.len(), 2, "{}", s.name);
        assert!(s.metadata.as_ref().is_some_and(|m| m.is_object()));
    }
}

#[test]
fn support_bot_matches_ground_truth() {
    let spans = load(SUPPORT_BOT);
    let text = std::fs::read_to_string(fixture(GROUND_TRUTH)).unwrap();
    let roots: HashMap<&str, &Span> = spans
        .iter()
        .filter(|s| s.parent_id.is_none())
        .map(|s| (s.trace_id.as_str(), s))
        .collect();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let gt: serde_json::Value = serde_json::from_str(line).unwrap();
        let tid = gt["trace_id"].as_str().unwrap();
        let root = roots[tid];
        assert_eq!(root.session_id.as_deref(), gt["session_id"].as_str());
        assert_eq!(root.user_id.as_deref(), gt["user_id"].as_str());
        assert_eq!(
            root.input.as_ref().map(|v| v.value.as_str()),
            gt["question"].as_str(),
            "{tid}"
        );
        assert_eq!(
            root.output.as_ref().map(|v| v.value.as_str()),
            gt["answer_shown"].as_str(),
            "{tid}"
        );
        // Every retrieved doc of the ground truth is among the reranker's output documents.
        let rerank = spans
            .iter()
            .find(|s| s.trace_id == tid && s.kind == SpanKind::Reranker)
            .unwrap();
        let out_ids: Vec<_> = rerank
            .documents
            .iter()
            .filter_map(|d| d.id.as_deref())
            .collect();
        let want: Vec<_> = gt["retrieved_docs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(out_ids, want, "{tid}");
        n += 1;
    }
    assert_eq!(n, 40);

    let wrong = roots["447afa24e1e7c76486d91e88ee5db67d"];
    assert!(
        wrong
            .output
            .as_ref()
            .unwrap()
            .value
            .contains("standard shipping is always free")
    );
}

#[test]
fn support_bot_usage_sums_match_raw_file() {
    // Sums computed independently from the raw file with a Python one-liner.
    let spans = load(SUPPORT_BOT);
    let llm: Vec<_> = spans.iter().filter(|s| s.kind == SpanKind::Llm).collect();
    let sum = |f: fn(&trawl::model::Usage) -> Option<i64>| -> i64 {
        llm.iter()
            .filter_map(|s| s.usage.as_ref())
            .filter_map(f)
            .sum()
    };
    assert_eq!(llm.iter().filter(|s| s.usage.is_some()).count(), 44);
    assert_eq!(sum(|u| u.input), 26713);
    assert_eq!(sum(|u| u.output), 1320);
    assert_eq!(sum(|u| u.total), 28033);
    assert_eq!(sum(|u| u.cache_read), 0);
    for s in &llm {
        if let Some(u) = &s.usage {
            assert_eq!(u.provenance, Provenance::Reported);
            assert!(!u.aggregate);
            assert_eq!(u.total, Some(u.input.unwrap() + u.output.unwrap()));
        }
        // No cost attributes in this corpus: pricing happens elsewhere.
        assert!(s.cost.is_none());
        assert_eq!(s.provider.as_deref(), Some("openai"));
        assert!(s.request_model.is_some(), "from llm.invocation_parameters");
    }
    let emb: Vec<_> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Embedding)
        .collect();
    let emb_in: i64 = emb.iter().filter_map(|s| s.usage.as_ref()?.input).sum();
    let emb_total: i64 = emb.iter().filter_map(|s| s.usage.as_ref()?.total).sum();
    assert_eq!((emb_in, emb_total), (860, 860));
    assert!(
        emb.iter()
            .all(|s| s.model.as_deref() == Some("text-embedding-3-small"))
    );
    // Nothing but LLM and EMBEDDING spans carries usage here.
    assert!(
        spans
            .iter()
            .filter(|s| !s.kind.counts_usage())
            .all(|s| s.usage.is_none())
    );

    let models: BTreeSet<_> = llm.iter().filter_map(|s| s.model.as_deref()).collect();
    assert!(models.contains("gpt-4o-mini-2024-07-18"));
    assert!(models.contains("claude-3-5-sonnet-20241022"));
}

#[test]
fn support_bot_llm_span_details() {
    let spans = load(SUPPORT_BOT);
    // A streamed ChatCompletion: messages, usage, model, parameters, time to first token.
    let s = by_id(&spans, "c2dc66ebd8322645");
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.otel_kind, Some(1));
    assert_eq!(
        s.ttft_ns,
        Some(1_793_013_548_798_152_670 - 1_793_013_548_396_679_222)
    );
    assert_eq!(s.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(s.request_model.as_deref(), Some("gpt-4o-mini"));
    assert!(
        s.invocation_params
            .as_ref()
            .unwrap()
            .get("temperature")
            .is_some()
    );
    assert_eq!(s.input_messages[0].role, "system");
    assert!(
        s.input_messages[0]
            .content
            .starts_with("You are the customer support assistant of Fernhill Outfitters")
    );
    assert_eq!(s.input_messages.last().unwrap().role, "user");
    assert_eq!(s.output_messages.len(), 1);
    assert_eq!(s.output_messages[0].role, "assistant");
    assert!(!s.output_messages[0].content.is_empty());

    let with_ttft = spans.iter().filter(|s| s.ttft_ns.is_some()).count();
    assert_eq!(with_ttft, 11, "one per First Token Stream Event");

    let msgs_in: usize = spans.iter().map(|s| s.input_messages.len()).sum();
    let msgs_out: usize = spans.iter().map(|s| s.output_messages.len()).sum();
    assert_eq!((msgs_in, msgs_out), (150, 44));

    // Tool calls requested by the model, and the tool result message of the second call.
    let calls: Vec<_> = spans
        .iter()
        .flat_map(|s| s.output_messages.iter())
        .flat_map(|m| m.tool_calls.iter())
        .collect();
    assert_eq!(calls.len(), 6);
    let call = calls
        .iter()
        .find(|c| c.id.as_deref() == Some("call_512115faa0647539be4fa0f9"))
        .unwrap();
    assert_eq!(call.name, "lookup_order");
    assert_eq!(
        call.arguments.as_deref(),
        Some("{\"order_id\": \"FH-100877\"}")
    );
    let tool_msg = spans
        .iter()
        .flat_map(|s| s.input_messages.iter())
        .find(|m| m.tool_call_id.as_deref() == Some("call_512115faa0647539be4fa0f9"))
        .unwrap();
    assert_eq!(tool_msg.role, "tool");
    assert!(tool_msg.content.contains("FH-100877"));
    let asked = spans
        .iter()
        .flat_map(|s| s.input_messages.iter())
        .find(|m| !m.tool_calls.is_empty())
        .unwrap();
    assert_eq!(asked.role, "assistant");

    // Failed calls keep their exception events.
    let failed: Vec<_> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Llm && s.is_error())
        .collect();
    assert_eq!(failed.len(), 4);
    for f in failed {
        let ex = f.events.iter().find(|e| e.name == "exception").unwrap();
        assert!(ex.attributes.contains_key("exception.type"));
        assert!(ex.attributes.contains_key("exception.stacktrace"));
        assert!(
            f.model.is_some(),
            "request model from invocation parameters"
        );
    }
}

#[test]
fn support_bot_documents_reranker_tools() {
    let spans = load(SUPPORT_BOT);
    let ret = spans
        .iter()
        .find(|s| s.kind == SpanKind::Retriever && s.trace_id == "1536d1303edfbc495d6ad4f638d81ce0")
        .unwrap();
    assert_eq!(ret.documents.len(), 5);
    let d = &ret.documents[0];
    assert_eq!(d.id.as_deref(), Some("kb-ship-02"));
    assert_eq!(d.score, Some(0.5904));
    assert!(
        d.content
            .as_deref()
            .unwrap()
            .starts_with("Express shipping is available")
    );
    assert_eq!(
        d.metadata.as_ref().unwrap()["title"],
        serde_json::json!("Express shipping (US only)")
    );
    assert_eq!(ret.documents[4].id.as_deref(), Some("kb-ship-01"));
    let total_docs: usize = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Retriever)
        .map(|s| s.documents.len())
        .sum();
    assert_eq!(total_docs, 200);

    let rr = spans
        .iter()
        .find(|s| s.kind == SpanKind::Reranker && s.trace_id == "1536d1303edfbc495d6ad4f638d81ce0")
        .unwrap();
    let r = rr.reranker.as_ref().unwrap();
    assert_eq!(r.query.as_deref(), Some("How much is express shipping?"));
    assert_eq!(r.model.as_deref(), Some("fernhill-keyword-reranker-v1"));
    assert_eq!(r.top_k, Some(4));
    assert_eq!(r.input_documents.len(), 5);
    assert_eq!(r.output_documents.len(), 4);
    assert_eq!(r.output_documents[0].score, Some(0.6362));
    assert_eq!(rr.documents, r.output_documents);

    let tools: Vec<_> = spans.iter().filter(|s| s.kind == SpanKind::Tool).collect();
    assert_eq!(tools.len(), 6);
    let lookup = tools
        .iter()
        .find(|s| {
            s.tool
                .as_ref()
                .and_then(|t| t.arguments.as_deref())
                .is_some_and(|a| a.contains("FH-100877"))
        })
        .unwrap();
    let t = lookup.tool.as_ref().unwrap();
    assert_eq!(t.name.as_deref(), Some("lookup_order"));
    assert!(
        t.description
            .as_deref()
            .unwrap()
            .starts_with("Look up an order")
    );
    assert!(
        t.result
            .as_deref()
            .unwrap()
            .contains("\"status\": \"packed\"")
    );
    assert_eq!(
        tools
            .iter()
            .filter(|s| s.tool.as_ref().unwrap().name.as_deref() == Some("escalate_to_human"))
            .count(),
        3
    );
}

// ---------------------------------------------------------------------------------------------
// The JS exporter capture.

#[test]
fn js_exporter_crosscheck() {
    let spans = load(JS_EXPORTER);
    assert_eq!(spans.len(), 6);
    let traces: BTreeSet<_> = spans.iter().map(|s| s.trace_id.as_str()).collect();
    assert_eq!(traces.len(), 3);
    let roots: Vec<_> = spans.iter().filter(|s| s.parent_id.is_none()).collect();
    assert_eq!(roots.len(), 3, "\"parentSpanId\": null is no parent");
    let err_traces: BTreeSet<_> = spans
        .iter()
        .filter(|s| s.is_error())
        .map(|s| s.trace_id.as_str())
        .collect();
    assert_eq!(err_traces.len(), 1);
    let u = by_id(&spans, "c2d733454c6a94a2").usage.clone().unwrap();
    assert_eq!((u.input, u.output, u.total), (Some(12), Some(27), Some(39)));
    assert_eq!(
        by_id(&spans, "acd5b176812ef1cf")
            .usage
            .as_ref()
            .unwrap()
            .total,
        Some(65)
    );
    assert!(
        spans
            .iter()
            .all(|s| s.service_name.as_deref() == Some("fernhill-support-bot-js"))
    );
    assert!(
        spans
            .iter()
            .filter(|s| s.parent_id.is_none())
            .all(|s| s.events.iter().any(|e| e.name == "answer_sent"))
    );
}

// ---------------------------------------------------------------------------------------------
// Hand-made fixtures for the other conventions.

#[test]
fn genai_current_synthetic() {
    let spans = load(GENAI_CURRENT);
    assert_eq!(spans.len(), 4);
    let agent = by_id(&spans, "b7ad6b7169203331");
    assert_eq!(agent.kind, SpanKind::Agent);
    assert_eq!(agent.session_id.as_deref(), Some("conv-7"));

    let chat = by_id(&spans, "00f067aa0ba902b7");
    assert_eq!(chat.kind, SpanKind::Llm);
    assert_eq!(chat.otel_kind, Some(3));
    assert_eq!(chat.convention.as_deref(), Some("genai"));
    assert_eq!(chat.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(chat.request_model.as_deref(), Some("gpt-4o"));
    assert_eq!(chat.provider.as_deref(), Some("openai"));
    assert_eq!(
        chat.invocation_params,
        Some(serde_json::json!({"max_tokens": 200, "temperature": 0.2}))
    );
    let u = chat.usage.as_ref().unwrap();
    assert_eq!(
        (u.input, u.output, u.total, u.cache_read, u.reasoning),
        (Some(229), Some(21), Some(250), Some(128), Some(4))
    );
    let c = chat.cost.as_ref().unwrap();
    assert_eq!((c.total, &c.source), (Some(0.00123), &CostSource::Reported));
    assert_eq!(chat.ttft_ns, Some(350_000_000));
    assert_eq!(chat.input_messages.len(), 2);
    assert_eq!(chat.input_messages[0].role, "system");
    assert_eq!(chat.input_messages[0].content, "You are a weather bot.");
    assert_eq!(
        chat.input_messages[1].content,
        "Weather in Paris?\n[image/png blob, 12 KB]"
    );
    let out = &chat.output_messages[0];
    assert_eq!(out.reasoning.as_deref(), Some("Need the weather tool."));
    assert_eq!(out.finish_reason.as_deref(), Some("tool_call"));
    assert_eq!(out.tool_calls[0].id.as_deref(), Some("call_1"));
    assert_eq!(out.tool_calls[0].name, "get_weather");
    assert_eq!(
        out.tool_calls[0].arguments.as_deref(),
        Some("{\"location\":\"Paris\"}")
    );

    let tool = by_id(&spans, "1e2f3a4b5c6d7e8f");
    assert_eq!(tool.kind, SpanKind::Tool);
    let t = tool.tool.as_ref().unwrap();
    assert_eq!(t.name.as_deref(), Some("get_weather"));
    assert_eq!(t.call_id.as_deref(), Some("call_1"));
    assert_eq!(t.arguments.as_deref(), Some("{\"location\":\"Paris\"}"));
    assert_eq!(t.result.as_deref(), Some("rainy, 57F"));
    assert_eq!(t.description.as_deref(), Some("Current weather for a city"));

    let second = by_id(&spans, "2a3b4c5d6e7f8091");
    assert_eq!(
        second.model.as_deref(),
        Some("gpt-4o"),
        "request model when no response model"
    );
    assert_eq!(second.input_messages.len(), 3);
    assert_eq!(
        second.input_messages[1].tool_calls[0].id.as_deref(),
        Some("call_1")
    );
    let res = &second.input_messages[2];
    assert_eq!(
        (res.role.as_str(), res.content.as_str()),
        ("tool", "rainy, 57F")
    );
    assert_eq!(
        res.tool_call_id.as_deref(),
        Some("call_1"),
        "ids are trimmed"
    );
    assert_eq!(second.output_messages[0].content, "It is rainy, 57F.");
    assert_eq!(
        second.status,
        StatusCode::Error,
        "error.type with unset status"
    );
    assert_eq!(second.status_message.as_deref(), Some("rate_limited"));
}

#[test]
fn openllmetry_legacy_synthetic() {
    let spans = load(OPENLLMETRY);
    let wf = by_id(&spans, "53995c3f42cd8ad8");
    assert_eq!(wf.kind, SpanKind::Chain);
    assert_eq!(wf.session_id.as_deref(), Some("sess-ol-1"));
    assert_eq!(wf.user_id.as_deref(), Some("user-ol-1"));
    assert_eq!(
        wf.input.as_ref().unwrap().mime.as_deref(),
        Some("application/json")
    );

    let chat = by_id(&spans, "6e0c63257de34c92");
    assert_eq!(chat.kind, SpanKind::Llm);
    assert_eq!(chat.convention.as_deref(), Some("openllmetry"));
    assert_eq!(chat.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(chat.provider.as_deref(), Some("openai"));
    let u = chat.usage.as_ref().unwrap();
    assert_eq!(
        (u.input, u.output, u.total, u.cache_read),
        (Some(120), Some(30), Some(150), Some(64))
    );
    assert!(chat.cost.is_none());
    assert_eq!(chat.input_messages.len(), 2);
    assert_eq!(
        chat.input_messages[1].content,
        "What is in this picture?\n[image/jpeg blob, 3 KB]"
    );
    let out = &chat.output_messages[0];
    assert_eq!(out.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(out.tool_calls[0].name, "describe");
    assert_eq!(
        out.tool_calls[0].arguments.as_deref(),
        Some("{\"detail\":\"high\"}")
    );

    let tool = by_id(&spans, "7a1b2c3d4e5f6071");
    assert_eq!(tool.kind, SpanKind::Tool);
    let t = tool.tool.as_ref().unwrap();
    assert_eq!(t.name.as_deref(), Some("describe"));
    assert_eq!(t.result.as_deref(), Some("\"a cat\""));
}

#[test]
fn genai_event_forms_synthetic() {
    let spans = load(GENAI_EVENTS);
    let old = by_id(&spans, "eee19b7ec3c1b174");
    assert_eq!(old.kind, SpanKind::Llm);
    assert_eq!(
        old.input_messages[0].content, "What's 2+2?",
        "Python repr parsed"
    );
    assert_eq!(old.output_messages[0].content, "4");
    assert_eq!(old.usage.as_ref().unwrap().total, Some(11));

    let s = by_id(&spans, "fff2ac8fd4d2c285");
    let roles: Vec<_> = s.input_messages.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool"]);
    assert_eq!(s.input_messages[2].tool_calls[0].name, "lookup");
    assert_eq!(s.input_messages[3].tool_call_id.as_deref(), Some("c9"));
    assert_eq!(s.output_messages[0].content, "Paris.");
    assert_eq!(s.output_messages[0].finish_reason.as_deref(), Some("stop"));
    assert_eq!(s.ttft_ns, Some(200_000_000));
}
