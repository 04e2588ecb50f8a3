use super::*;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as ProtoSpan};

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn span(trace: u8, id: u8, name: &str) -> ProtoSpan {
    ProtoSpan {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        name: name.into(),
        kind: 3,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_001_000_000_000,
        attributes: vec![
            kv(
                "gen_ai.request.model",
                any_value::Value::StringValue("gpt-4o".into()),
            ),
            kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(12)),
        ],
        ..ProtoSpan::default()
    }
}

fn request(spans: Vec<ProtoSpan>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("bot".into()),
                )],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

#[test]
fn content_types_select_the_encoding() {
    assert_eq!(
        Encoding::from_content_type("application/x-protobuf"),
        Some(Encoding::Protobuf)
    );
    assert_eq!(
        Encoding::from_content_type("Application/JSON; charset=utf-8"),
        Some(Encoding::Json)
    );
    assert_eq!(Encoding::from_content_type("text/plain"), None);
    assert_eq!(Encoding::from_content_type(""), None);
}

#[test]
fn a_protobuf_span_reads_like_the_same_span_in_otlp_json() {
    let req = request(vec![span(0xab, 0x01, "chat gpt-4o")]);
    let live = decode_body(&req.encode_to_vec(), Encoding::Protobuf).unwrap();
    assert_eq!(live.spans.len(), 1);
    assert_eq!(live.rejected, 0);
    assert_eq!(live.traces, 1);
    let s = &live.spans[0];
    assert_eq!(s.trace_id, "ab".repeat(16));
    assert_eq!(s.span_id, "01".repeat(8));
    assert_eq!(s.parent_id, None);
    assert_eq!(s.service_name.as_deref(), Some("bot"));
    assert_eq!(s.start_ns, 1_700_000_000_000_000_000);
    assert_eq!(s.attributes["gen_ai.usage.input_tokens"], 12);
    let dump = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"bot"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{t}","spanId":"0101010101010101","name":"chat gpt-4o","kind":3,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000","attributes":[{{"key":"gen_ai.request.model","value":{{"stringValue":"gpt-4o"}}}},{{"key":"gen_ai.usage.input_tokens","value":{{"intValue":"12"}}}}]}}]}}]}}]}}"#,
        t = "ab".repeat(16)
    );
    let from_file = otlp::parse_line(dump.as_bytes()).unwrap();
    assert_eq!(format!("{:?}", live.spans), format!("{from_file:?}"));
}

#[test]
fn a_span_without_ids_is_rejected_and_the_rest_kept() {
    let mut bad = span(0xab, 0x02, "bad");
    bad.trace_id.clear();
    let req = request(vec![span(0xab, 0x01, "good"), bad]);
    let got = decode_body(&req.encode_to_vec(), Encoding::Protobuf).unwrap();
    assert_eq!(got.spans.len(), 1);
    assert_eq!(got.rejected, 1);
    assert!(got.message.contains("no traceId"), "{}", got.message);
}

#[test]
fn empty_requests_are_fine_and_garbage_is_invalid() {
    assert_eq!(decode_body(b"", Encoding::Protobuf).unwrap().spans.len(), 0);
    assert_eq!(decode_body(b"{}", Encoding::Json).unwrap().spans.len(), 0);
    assert!(matches!(
        decode_body(b"\xff\xff\xff", Encoding::Protobuf),
        Err(DecodeError::Invalid(_))
    ));
    assert!(matches!(
        decode_body(b"[1,2]", Encoding::Json),
        Err(DecodeError::Invalid(_))
    ));
}

#[test]
fn gzip_bodies_inflate_within_the_limit() {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&[b'a'; 1000]).unwrap();
    let gz = enc.finish().unwrap();
    assert_eq!(gunzip(&gz, 1000).unwrap().len(), 1000);
    assert_eq!(gunzip(&gz, 999), Err(DecodeError::TooLarge { limit: 999 }));
    assert!(matches!(
        gunzip(b"not gzip", 1000),
        Err(DecodeError::Invalid(_))
    ));
}

/// Replaces the first occurrence of `marker` in an encoded body with bytes that are not UTF-8
/// (same length, so every length prefix stays right).
fn corrupt(body: &mut [u8], marker: &[u8]) {
    let at = body
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("marker in the body");
    body[at] = 0xff;
    body[at + 1] = 0xfe;
}

#[test]
fn invalid_utf8_costs_the_bad_bytes_not_the_request() {
    let mut good = span(0xab, 0x02, "ZZtool call");
    good.attributes.push(kv(
        "input.value",
        any_value::Value::StringValue("YYhello".into()),
    ));
    let req = request(vec![span(0xab, 0x01, "chat"), good]);
    let mut body = req.encode_to_vec();
    corrupt(&mut body, b"ZZtool");
    corrupt(&mut body, b"YYhello");
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_err());
    let got = decode_body(&body, Encoding::Protobuf).unwrap();
    assert_eq!(got.spans.len(), 2);
    assert_eq!(got.rejected, 0);
    assert_eq!(got.spans[1].name, "\u{fffd}\u{fffd}tool call");
    assert_eq!(
        got.spans[1].attributes["input.value"],
        "\u{fffd}\u{fffd}hello"
    );
    assert!(
        got.message.contains("2 strings with invalid UTF-8"),
        "{}",
        got.message
    );
    // Everything else reads as prost would have read it.
    let clean = decode_body(&req.encode_to_vec(), Encoding::Protobuf).unwrap();
    assert_eq!(
        format!("{:?}", got.spans[0]),
        format!("{:?}", clean.spans[0])
    );
}

/// An array nested `levels` deep around a string.
fn nested(levels: usize) -> any_value::Value {
    let mut value = any_value::Value::StringValue("bottom".into());
    for _ in 0..levels {
        value = any_value::Value::ArrayValue(ArrayValue {
            values: vec![AnyValue { value: Some(value) }],
        });
    }
    value
}

#[test]
fn a_value_nested_beyond_prosts_limit_becomes_a_marker_string() {
    let mut deep = span(0xab, 0x02, "deep");
    deep.attributes.push(kv("deep", nested(60)));
    deep.attributes.push(kv("shallow", nested(2)));
    let req = request(vec![span(0xab, 0x01, "chat"), deep]);
    let body = req.encode_to_vec();
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_err());
    let got = decode_body(&body, Encoding::Protobuf).unwrap();
    assert_eq!(got.spans.len(), 2);
    assert_eq!(got.rejected, 0);
    assert_eq!(
        got.spans[1].attributes["shallow"],
        serde_json::json!([["bottom"]])
    );
    // A span's attribute values are at prost depth 5: arrays at 6, 8, … 100 fit (48 of them);
    // the item inside the last one, at 101, is beyond the limit.
    let mut value = &got.spans[1].attributes["deep"];
    let mut kept = 0;
    while let Some(items) = value.as_array() {
        value = &items[0];
        kept += 1;
    }
    assert_eq!(kept, 48);
    assert_eq!(value, super::super::lossy::TOO_DEEP);
    assert!(got.message.contains("nested deeper"), "{}", got.message);
}

#[test]
fn an_unreadable_nested_value_costs_its_span() {
    let mut bad = span(0xab, 0x02, "bad");
    bad.attributes
        .push(kv("blob", any_value::Value::StringValue("QQQQ".into())));
    let req = request(vec![span(0xab, 0x01, "good"), bad]);
    let mut body = req.encode_to_vec();
    // Turn the string value (tag 1, length 4) into a truncated array: not a valid AnyValue.
    let at = body.windows(4).position(|w| w == b"QQQQ").unwrap();
    body[at - 2] = 0x2a; // field 5, length-delimited
    body[at - 1] = 0x04;
    body[at] = 0x0a; // an item claiming 100 bytes
    body[at + 1] = 100;
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_err());
    let got = decode_body(&body, Encoding::Protobuf).unwrap();
    assert_eq!(got.spans.len(), 1);
    assert_eq!(got.spans[0].name, "good");
    assert_eq!(got.rejected, 1);
    assert!(
        got.message.contains("unreadable attribute"),
        "{}",
        got.message
    );
}

/// `levels` `arrayValue`s around a string, as OTLP/JSON.
fn json_nested(levels: usize) -> String {
    let mut value = "{\"stringValue\":\"bottom\"}".to_string();
    for _ in 0..levels {
        value = format!("{{\"arrayValue\":{{\"values\":[{value}]}}}}");
    }
    value
}

#[test]
fn a_json_value_nested_past_serde_jsons_limit_costs_its_deepest_part() {
    let deep = json_nested(200);
    let span = |id: u8, extra: &str| {
        format!(
            "{{\"traceId\":\"{:032x}\",\"spanId\":\"{id:016x}\",\"name\":\"s{id}\",\
             \"startTimeUnixNano\":\"1700000000000000000\",\"attributes\":[{extra}\
             {{\"key\":\"after\",\"value\":{{\"stringValue\":\"kept\"}}}}]}}",
            7
        )
    };
    let body = format!(
        "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\
         \"value\":{{\"stringValue\":\"bot\"}}}},{{\"key\":\"r\",\"value\":{deep}}}]}},\
         \"scopeSpans\":[{{\"spans\":[{},{}]}}]}}]}}",
        span(1, ""),
        span(2, &format!("{{\"key\":\"deep\",\"value\":{deep}}},")),
    );
    let got = from_json(body.as_bytes()).unwrap();
    assert_eq!(got.spans.len(), 2);
    assert_eq!(got.rejected, 0);
    assert_eq!(got.spans[1].attributes["after"], "kept");
    assert_eq!(got.spans[1].service_name.as_deref(), Some("bot"));
    assert!(
        got.spans[1].resource["r"].is_array(),
        "{:?}",
        got.spans[1].resource
    );
    // A span's attribute value opens at JSON depth 10, each array three levels deeper: 39 of
    // them fit under serde_json's 128; the item inside the last one is beyond the limit.
    let mut value = &got.spans[1].attributes["deep"];
    let mut kept = 0;
    while let Some(items) = value.as_array() {
        value = &items[0];
        kept += 1;
    }
    assert_eq!(kept, 39);
    assert_eq!(value, super::super::lossy::TOO_DEEP);
    assert!(
        got.message
            .starts_with("2 values nested deeper than 127 JSON levels"),
        "{}",
        got.message
    );
    // Within the limit, nothing is cut.
    let shallow = body.replace(&deep, &json_nested(30));
    let got = from_json(shallow.as_bytes()).unwrap();
    assert_eq!(got.message, "");
    assert!(got.spans[1].attributes["deep"].is_array());
}
