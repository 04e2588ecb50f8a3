//! OTLP/JSON encoding variants the adapter accepts (snake_case keys, base64 ids, enum names,
//! the legacy instrumentation-library field, absent fields) and input it must reject without
//! panicking.

use trawl::ingest::otlp::parse_line;
use trawl::model::{Span, SpanKind, StatusCode};

use crate::util::{SUPPORT_BOT, fixture};

const CANONICAL: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"sc","version":"1.2"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"eee19b7ec3c1b173","name":"ChatCompletion","kind":3,"startTimeUnixNano":"1735689600000000000","endTimeUnixNano":"1735689601250000000","attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},{"key":"llm.token_count.prompt","value":{"intValue":"229"}},{"key":"llm.invocation_parameters","value":{"stringValue":"{\"temperature\":0.1}"}},{"key":"gen_ai.request.temperature","value":{"doubleValue":0.1}},{"key":"gen_ai.request.stream","value":{"boolValue":false}},{"key":"tag.tags","value":{"arrayValue":{"values":[{"stringValue":"prod"}]}}}],"events":[{"timeUnixNano":"1735689601200000000","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"RateLimitError"}}]}],"status":{"code":2,"message":"429 Too Many Requests"}}]}]}]}"#;

fn check_canonical(spans: &[Span]) {
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(s.span_id, "eee19b7ec3c1b174");
    assert_eq!(s.parent_id.as_deref(), Some("eee19b7ec3c1b173"));
    assert_eq!(s.otel_kind, Some(3));
    assert_eq!(s.start_ns, 1_735_689_600_000_000_000);
    assert_eq!(s.end_ns, Some(1_735_689_601_250_000_000));
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(s.status_message.as_deref(), Some("429 Too Many Requests"));
    assert_eq!(s.kind, SpanKind::Llm);
    assert_eq!(s.usage.as_ref().unwrap().input, Some(229));
    assert_eq!(s.tags, ["prod"]);
    assert_eq!(
        s.attributes["llm.token_count.prompt"],
        serde_json::json!(229)
    );
    assert_eq!(
        s.attributes["gen_ai.request.stream"],
        serde_json::json!(false)
    );
    assert_eq!(s.events[0].time_ns, 1_735_689_601_200_000_000);
    assert_eq!(s.events[0].attributes["exception.type"], "RateLimitError");
    assert_eq!(s.service_name.as_deref(), Some("svc"));
    assert_eq!(s.scope_name.as_deref(), Some("sc"));
    assert_eq!(s.scope_version.as_deref(), Some("1.2"));
}

#[test]
fn canonical_line() {
    check_canonical(&parse_line(CANONICAL.as_bytes()).unwrap());
}

#[test]
fn snake_case_keys() {
    let line = CANONICAL
        .replace("resourceSpans", "resource_spans")
        .replace("scopeSpans", "scope_spans")
        .replace("traceId", "trace_id")
        .replace("parentSpanId", "parent_span_id")
        .replace("spanId", "span_id")
        .replace("startTimeUnixNano", "start_time_unix_nano")
        .replace("endTimeUnixNano", "end_time_unix_nano")
        .replace("timeUnixNano", "time_unix_nano")
        .replace("stringValue", "string_value")
        .replace("intValue", "int_value")
        .replace("doubleValue", "double_value")
        .replace("boolValue", "bool_value")
        .replace("arrayValue", "array_value");
    check_canonical(&parse_line(line.as_bytes()).unwrap());
}

#[test]
fn base64_ids_enum_names_numbers() {
    let line = CANONICAL
        .replace(
            "5B8EFFF798038103D269B633813FC60C",
            "W47/95gDgQPSabYzgT/GDA==",
        )
        .replace("EEE19B7EC3C1B174", "7uGbfsPBsXQ=")
        .replace("eee19b7ec3c1b173", "7uGbfsPBsXM=")
        .replace(r#""kind":3"#, r#""kind":"SPAN_KIND_CLIENT""#)
        .replace(r#""code":2"#, r#""code":"STATUS_CODE_ERROR""#)
        .replace(r#""1735689600000000000""#, "1735689600000000000")
        .replace(r#"{"intValue":"229"}"#, r#"{"intValue":229}"#);
    check_canonical(&parse_line(line.as_bytes()).unwrap());
    let short = CANONICAL.replace(r#""code":2"#, r#""code":"ERROR""#);
    check_canonical(&parse_line(short.as_bytes()).unwrap());
    let ok = CANONICAL.replace(r#""code":2"#, r#""code":"OK""#);
    assert_eq!(parse_line(ok.as_bytes()).unwrap()[0].status, StatusCode::Ok);
}

#[test]
fn legacy_instrumentation_library() {
    let line = CANONICAL
        .replace("scopeSpans", "instrumentationLibrarySpans")
        .replace(r#""scope":"#, r#""instrumentationLibrary":"#);
    check_canonical(&parse_line(line.as_bytes()).unwrap());
}

#[test]
fn absent_ids_status_and_odd_values() {
    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"","name":"a","status":{}},
        {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203332","parentSpanId":null,"name":"b","kind":"bogus",
         "attributes":[{"key":"d","value":{"doubleValue":"NaN"}},{"key":"i","value":{"doubleValue":"-Infinity"}},
           {"key":"kv","value":{"kvlistValue":{"values":[{"key":"x","value":{"intValue":"9"}}]}}},
           {"key":"b","value":{"bytesValue":"aGVsbG8="}},{"key":"e","value":{}}]},
        {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203333","parentSpanId":"0000000000000000","name":"c"}
    ]}]}]}"#;
    let spans = parse_line(line.as_bytes()).unwrap();
    assert_eq!(spans.len(), 3);
    assert!(spans.iter().all(|s| s.parent_id.is_none()));
    assert!(spans.iter().all(|s| s.status == StatusCode::Unset));
    assert_eq!(spans[1].otel_kind, None);
    let a = &spans[1].attributes;
    assert_eq!(a["d"], "NaN");
    assert_eq!(a["i"], "-Infinity");
    assert_eq!(a["kv"], serde_json::json!({"x": 9}));
    assert_eq!(a["b"], "aGVsbG8=");
    assert!(a["e"].is_null());
    assert_eq!(spans[0].kind, SpanKind::Span);
    assert_eq!(spans[2].end_ns, None);
}

#[test]
fn rejects_non_otlp() {
    assert_eq!(parse_line(br#"{"resourceSpans":[]}"#).unwrap(), vec![]);
    let e = parse_line(br#"{"resourceLogs":[]}"#).unwrap_err();
    assert!(e.contains("no resourceSpans"), "{e}");
    let e = parse_line(br#"[{"resourceSpans":[]}]"#).unwrap_err();
    assert!(e.contains("not an OTLP/JSON traces object"), "{e}");
    let e = parse_line(b"42").unwrap_err();
    assert!(e.contains("not an OTLP/JSON traces object"), "{e}");
    let e = parse_line(b"this is not json").unwrap_err();
    assert!(e.contains("invalid JSON"), "{e}");
    assert!(parse_line(b"").is_err());
    assert!(parse_line(b"\xff\xfe{").is_err());
    let e = parse_line(br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}]}]}]}"#)
        .unwrap_err();
    assert!(e.contains("traceId"), "{e}");
    let e = parse_line(br#"{"resourceSpans":"nope"}"#).unwrap_err();
    assert!(!e.contains('\n'), "one line: {e}");
}

#[test]
fn no_panics_on_truncated_or_mangled_lines() {
    let text = std::fs::read(fixture(SUPPORT_BOT)).unwrap();
    let line = text.split(|&b| b == b'\n').next().unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..300 {
        let cut = rng.usize(0..line.len());
        let _ = parse_line(&line[..cut]);
    }
    // Every cut of a small line, and random byte flips of a real one.
    let small = CANONICAL.as_bytes();
    for cut in 0..small.len() {
        let r = parse_line(&small[..cut]);
        assert!(r.is_err(), "a truncated line is an error (cut {cut})");
    }
    for _ in 0..300 {
        let mut m = small.to_vec();
        for _ in 0..rng.usize(1..6) {
            let i = rng.usize(0..m.len());
            m[i] = rng.u8(..);
        }
        let _ = parse_line(&m);
    }

    // Deep nesting must end in an error or a value, never a stack overflow.
    for depth in [50, 200, 5000] {
        let nested = format!(
            "{}{{\"stringValue\":\"x\"}}{}",
            "{\"arrayValue\":{\"values\":[".repeat(depth),
            "]}}".repeat(depth)
        );
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","attributes":[{{"key":"k","value":{nested}}}]}}]}}]}}]}}"#
        );
        let _ = parse_line(line.as_bytes());
        let deep_string = "[".repeat(depth);
        let attr = serde_json::to_string(&deep_string).unwrap();
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","attributes":[{{"key":"gen_ai.input.messages","value":{{"stringValue":{attr}}}}},{{"key":"metadata","value":{{"stringValue":{attr}}}}}]}}]}}]}}]}}"#
        );
        assert!(parse_line(line.as_bytes()).is_ok());
    }
}
