use super::*;
use crate::listen::decode::from_request_via_json;
use opentelemetry_proto::tonic::common::v1::{ArrayValue, InstrumentationScope, KeyValueList};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

fn val(v: any_value::Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(val(v)),
        ..KeyValue::default()
    }
}

fn s(text: &str) -> any_value::Value {
    any_value::Value::StringValue(text.into())
}

fn kvlist(items: Vec<KeyValue>) -> any_value::Value {
    any_value::Value::KvlistValue(KeyValueList { values: items })
}

/// Every kind of value and id the reader distinguishes, in one span.
fn rich_span() -> ProtoSpan {
    use any_value::Value as V;
    ProtoSpan {
        trace_id: vec![0xAB; 16],
        span_id: (1..=8).collect(),
        parent_span_id: vec![0; 8],
        name: "ChatCompletion".into(),
        kind: 3,
        start_time_unix_nano: 1_700_000_000_123_456_789,
        end_time_unix_nano: u64::MAX,
        attributes: vec![
            kv("openinference.span.kind", s("LLM")),
            kv("llm.model_name", s("gpt-4o-mini")),
            kv("llm.token_count.prompt", V::IntValue(i64::MIN)),
            kv("llm.token_count.completion", V::IntValue(42)),
            kv("score", V::DoubleValue(0.25)),
            kv("flag", V::BoolValue(true)),
            kv("blob", V::BytesValue(vec![0, 1, 2, 250, 251])),
            kv(
                "list",
                V::ArrayValue(ArrayValue {
                    values: vec![val(s("a")), val(V::IntValue(7)), AnyValue { value: None }],
                }),
            ),
            kv(
                "nested",
                kvlist(vec![
                    kv("x", V::DoubleValue(-1.5)),
                    kv("y", kvlist(vec![kv("z", s("deep"))])),
                    kv("x", s("last wins")),
                ]),
            ),
            KeyValue {
                key: "no.value".into(),
                value: None,
                ..KeyValue::default()
            },
            kv("", s("empty key")),
            kv("llm.model_name", s("duplicate: the last one wins")),
        ],
        events: vec![Event {
            time_unix_nano: 1_700_000_000_200_000_000,
            name: "exception".into(),
            attributes: vec![kv("exception.message", s("boom"))],
            ..Event::default()
        }],
        status: Some(Status {
            message: "upstream timeout".into(),
            code: 2,
        }),
        ..ProtoSpan::default()
    }
}

fn request(resource: Option<Resource>, scopes: Vec<ScopeSpans>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource,
            scope_spans: scopes,
            ..ResourceSpans::default()
        }],
    }
}

/// The direct conversion and the former JSON route give the same spans, counts and message.
fn assert_same_as_json_route(req: &ExportTraceServiceRequest) {
    let direct = from_request(req.clone());
    let json = from_request_via_json(req).expect("the JSON route reads it");
    assert_eq!(format!("{:?}", direct.spans), format!("{:?}", json.spans));
    assert_eq!(direct.rejected, json.rejected);
    assert_eq!(direct.traces, json.traces);
    assert_eq!(direct.message, json.message);
}

#[test]
fn every_value_kind_converts_as_the_json_route_reads_it() {
    let mut plain = rich_span();
    plain.span_id = vec![9; 8];
    plain.parent_span_id = (1..=8).collect();
    plain.kind = 0;
    plain.status = None;
    plain.end_time_unix_nano = 0;
    let mut no_ids = rich_span();
    no_ids.span_id.clear();
    let req = request(
        Some(Resource {
            attributes: vec![kv("service.name", s("support-bot"))],
            ..Resource::default()
        }),
        vec![
            ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "openinference.instrumentation.openai".into(),
                    version: "1.2.3".into(),
                    ..InstrumentationScope::default()
                }),
                spans: vec![rich_span(), no_ids],
                ..ScopeSpans::default()
            },
            ScopeSpans {
                scope: Some(InstrumentationScope::default()),
                spans: vec![plain.clone()],
                ..ScopeSpans::default()
            },
            ScopeSpans {
                scope: None,
                spans: vec![plain],
                ..ScopeSpans::default()
            },
        ],
    );
    let direct = from_request(req.clone());
    assert_eq!(direct.spans.len(), 3);
    assert_eq!(direct.rejected, 1);
    assert_same_as_json_route(&req);
    assert_same_as_json_route(&request(None, vec![]));
}

#[test]
fn the_fixture_dumps_convert_as_the_json_route_reads_them() {
    let dumps = [
        include_str!("../../tests/fixtures/openinference_support_bot_40.otlp.jsonl"),
        include_str!("../../tests/fixtures/openllmetry_support_bot_dev.otlp.jsonl"),
        include_str!("../../tests/fixtures/langfuse_support_bot_dev.otlp.jsonl"),
        include_str!("../../tests/fixtures/genai_current.synthetic.otlp.jsonl"),
        include_str!("../../tests/fixtures/genai_events.synthetic.otlp.jsonl"),
    ];
    let mut requests = 0;
    let mut spans = 0;
    for dump in dumps {
        for line in dump.lines().filter(|l| !l.trim().is_empty()) {
            // Lines the crate's own JSON mapping cannot take (base64 ids, names for enums) are
            // not protobuf requests anyone could send; the rest must agree.
            let Ok(req) = serde_json::from_str::<ExportTraceServiceRequest>(line) else {
                continue;
            };
            assert_same_as_json_route(&req);
            requests += 1;
            spans += from_request(req).spans.len();
        }
    }
    assert!(
        requests >= 20 && spans >= 300,
        "{requests} requests, {spans} spans"
    );
}

#[test]
fn a_non_finite_double_costs_only_itself_and_is_reported() {
    use any_value::Value as V;
    let mut span = rich_span();
    span.attributes = vec![
        kv("llm.model_name", s("gpt-4o")),
        kv("temperature", V::DoubleValue(f64::NAN)),
        kv("top_p", V::DoubleValue(f64::INFINITY)),
        kv(
            "bias",
            kvlist(vec![kv("min", V::DoubleValue(f64::NEG_INFINITY))]),
        ),
    ];
    let got = from_request(request(
        None,
        vec![ScopeSpans {
            spans: vec![span, rich_span()],
            ..ScopeSpans::default()
        }],
    ));
    assert_eq!(got.spans.len(), 2);
    assert_eq!(got.rejected, 0);
    let attrs = &got.spans[0].attributes;
    assert_eq!(attrs["temperature"], "NaN");
    assert_eq!(attrs["top_p"], "Infinity");
    assert_eq!(attrs["bias"]["min"], "-Infinity");
    assert_eq!(attrs["llm.model_name"], "gpt-4o");
    assert!(
        got.message
            .contains(r#"span 0: attribute "temperature": a NaN double"#),
        "{}",
        got.message
    );
    // The same value written as OTLP/JSON writers write it reads the same from a dump.
    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"ab","spanId":"01",
        "attributes":[{"key":"temperature","value":{"doubleValue":"NaN"}}]}]}]}]}"#;
    let from_dump = otlp::parse_line(line.as_bytes()).unwrap();
    assert_eq!(from_dump[0].attributes["temperature"], "NaN");
}

#[test]
fn empty_and_all_zero_ids_cost_only_their_span() {
    let mut no_trace = rich_span();
    no_trace.trace_id.clear();
    let mut zero_span = rich_span();
    zero_span.span_id = vec![0; 8];
    let got = from_request(request(
        None,
        vec![ScopeSpans {
            spans: vec![no_trace, rich_span(), zero_span],
            ..ScopeSpans::default()
        }],
    ));
    assert_eq!(got.spans.len(), 1);
    assert_eq!(got.rejected, 2);
    assert!(got.message.contains("span 0:") && got.message.contains("no traceId"));
    assert!(got.message.contains("span 2:") && got.message.contains("no spanId"));
}

#[test]
fn huge_arrays_and_deep_kvlists_are_kept_whole() {
    use any_value::Value as V;
    let big = V::ArrayValue(ArrayValue {
        values: (0..100_000).map(|i| val(V::IntValue(i))).collect(),
    });
    // As deep as a protobuf decoder lets a request be (prost stops at 100 message levels).
    let mut deep = s("bottom");
    for level in 0..30 {
        deep = kvlist(vec![kv(&format!("l{level}"), deep)]);
    }
    let mut span = rich_span();
    span.attributes = vec![kv("big", big), kv("deep", deep)];
    let req = request(
        None,
        vec![ScopeSpans {
            spans: vec![span],
            ..ScopeSpans::default()
        }],
    );
    let bytes = prost::Message::encode_to_vec(&req);
    let decoded = <ExportTraceServiceRequest as prost::Message>::decode(bytes.as_slice())
        .expect("prost decodes 30 kvlist levels");
    let got = from_request(decoded);
    assert_eq!(got.spans.len(), 1);
    let attrs = &got.spans[0].attributes;
    assert_eq!(attrs["big"].as_array().map(Vec::len), Some(100_000));
    let mut v = &attrs["deep"];
    for level in (0..30).rev() {
        v = &v[format!("l{level}")];
    }
    assert_eq!(v, "bottom");
}
