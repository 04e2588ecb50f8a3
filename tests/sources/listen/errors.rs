//! Raw OTLP/HTTP requests for the error paths: 400, 401, 413, 415, partial success, gzip and
//! backpressure (429 with Retry-After, gRPC `UNAVAILABLE`).

use std::io::Write as _;

use opentelemetry_otlp::{WithExportConfig, WithTonicConfig as _};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_sdk::trace::SpanExporter as _;
use prost::Message;
use trawl::listen::{Counters, ListenConfig, Listener};
use trawl::store::Store;

use super::{dump_line, llm_traces, start};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

fn url(listener: &Listener) -> String {
    format!("http://{}/v1/traces", listener.http_addr.unwrap())
}

/// The protobuf request the SDK would send for `traces` LLM traces.
fn protobuf_request(traces: u64) -> ExportTraceServiceRequest {
    let line = dump_line(&llm_traces(traces));
    serde_json::from_str(&line).unwrap()
}

async fn post(
    listener: &Listener,
    content_type: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(url(listener))
        .header("content-type", content_type)
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A receiver on a fresh store: the directory (keep it alive), the store's path, the receiver.
async fn receiver(config: ListenConfig) -> (tempfile::TempDir, std::path::PathBuf, Listener) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let listener = start(&db, config).await;
    (tmp, db, listener)
}

fn spans_in(path: &std::path::Path) -> i64 {
    Store::open(path).unwrap().totals().unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_types_and_sizes_are_refused_with_the_right_status() {
    let config = ListenConfig {
        body_limit: 64 * 1024,
        ..ListenConfig::default()
    };
    let (_tmp, db, listener) = receiver(config).await;
    let good = protobuf_request(1).encode_to_vec();

    let r = post(&listener, "text/plain", good.clone(), &[]).await;
    assert_eq!(r.status(), 415);
    let r = post(
        &listener,
        PROTOBUF,
        good.clone(),
        &[("content-encoding", "br")],
    )
    .await;
    assert_eq!(r.status(), 415);

    let r = post(&listener, PROTOBUF, vec![0xff; 40], &[]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], PROTOBUF);
    let status = tonic_types::Status::decode(r.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
    assert!(
        status.message.contains("ExportTraceServiceRequest"),
        "{}",
        status.message
    );

    let r = post(&listener, JSON, b"{\"resourceSpans\": [".to_vec(), &[]).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("invalid JSON"),
        "{body}"
    );

    let r = post(&listener, PROTOBUF, vec![b' '; 65 * 1024], &[]).await;
    assert_eq!(r.status(), 413);
    // Small on the wire, too big once inflated.
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert!(bomb.len() < 64 * 1024);
    let r = post(&listener, JSON, bomb, &[("content-encoding", "gzip")]).await;
    assert_eq!(r.status(), 413);
    let r = post(
        &listener,
        PROTOBUF,
        b"not gzip".to_vec(),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(r.status(), 400);

    let r = reqwest::Client::new()
        .get(url(&listener))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let other = url(&listener).replace("/v1/traces", "/v1/logs");
    let r = reqwest::Client::new().post(other).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // None of that stored anything; a good gzip request still works.
    assert_eq!(spans_in(&db), 0);
    let r = post(
        &listener,
        PROTOBUF,
        gzip(&good),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(spans_in(&db), 4);
    assert_eq!(Counters::get(&listener.counters.failed), 9);
    listener.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_spans_are_reported_as_partial_success_and_the_rest_stored() {
    let (_tmp, db, listener) = receiver(ListenConfig::default()).await;
    let mut req = protobuf_request(2);
    let spans = &mut req.resource_spans[0].scope_spans[0].spans;
    spans[1].trace_id.clear();
    spans[6].span_id.clear();
    let r = post(&listener, PROTOBUF, req.encode_to_vec(), &[]).await;
    assert_eq!(r.status(), 200);
    let answer = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap();
    let partial = answer.partial_success.expect("partial_success is set");
    assert_eq!(partial.rejected_spans, 2);
    assert_mentions(&partial.error_message, &["no traceId", "no spanId"]);
    assert_eq!(spans_in(&db), 6);

    // The same in OTLP/JSON, answered in JSON; a clean request gets an empty `{}`.
    let mut line: serde_json::Value = serde_json::from_str(&dump_line(&llm_traces(1))).unwrap();
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "".into();
    let r = post(&listener, JSON, line.to_string().into_bytes(), &[]).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["partialSuccess"]["rejectedSpans"].as_i64(),
        Some(1),
        "{body}"
    );
    let r = post(&listener, JSON, dump_line(&llm_traces(3)).into_bytes(), &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "{}");
    assert_eq!(Counters::get(&listener.counters.rejected_spans), 3);
    listener.shutdown().await.unwrap();
}

/// Invalid UTF-8 in a string field and a value nested beyond prost's recursion limit, which
/// prost refuses for the whole request, cost only the bad bytes and the too-deep value: every
/// span is stored and `partial_success` says what was repaired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_and_deep_nesting_cost_a_value_not_the_request() {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
    let (_tmp, db, listener) = receiver(ListenConfig::default()).await;
    let mut req = protobuf_request(2);
    let spans = &mut req.resource_spans[0].scope_spans[0].spans;
    spans[0].name = "QQbroken name".into();
    let mut deep = any_value::Value::StringValue("bottom".into());
    for _ in 0..80 {
        deep = any_value::Value::ArrayValue(ArrayValue {
            values: vec![AnyValue { value: Some(deep) }],
        });
    }
    spans[3].attributes.push(KeyValue {
        key: "deep".into(),
        value: Some(AnyValue { value: Some(deep) }),
        ..KeyValue::default()
    });
    let mut body = req.encode_to_vec();
    let at = body.windows(7).position(|w| w == b"QQbroke").unwrap();
    body[at] = 0xc3; // a lead byte followed by an ASCII byte: invalid UTF-8
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_err());

    let r = post(&listener, PROTOBUF, body, &[]).await;
    assert_eq!(r.status(), 200);
    let answer = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap();
    let partial = answer.partial_success.expect("partial_success is set");
    assert_eq!(partial.rejected_spans, 0);
    assert_mentions(
        &partial.error_message,
        &["1 strings with invalid UTF-8", "1 values nested deeper"],
    );
    assert_eq!(spans_in(&db), 8);
    let names: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM spans WHERE name = ?1",
            ["\u{fffd}Qbroken name"],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(names, 1);
    listener.shutdown().await.unwrap();
}

/// An OTLP/JSON attribute value nested past serde_json's recursion limit costs only its deepest
/// part: every span is stored, the value keeps what fits and `partialSuccess` says what was cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_value_nested_too_deep_costs_its_deepest_part_not_the_request() {
    let (_tmp, db, listener) = receiver(ListenConfig::default()).await;
    let mut line: serde_json::Value = serde_json::from_str(&dump_line(&llm_traces(2))).unwrap();
    let spans = &mut line["resourceSpans"][0]["scopeSpans"][0]["spans"];
    let span_id = spans[3]["spanId"].as_str().unwrap().to_string();
    spans[3]["attributes"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"key": "deep", "value": "DEEP"}));
    // Too deep for a `serde_json::Value`: spliced into the text.
    let mut deep = r#"{"stringValue":"bottom"}"#.to_string();
    for _ in 0..300 {
        deep = format!(r#"{{"arrayValue":{{"values":[{deep}]}}}}"#);
    }
    let body = line.to_string().replace("\"DEEP\"", &deep);
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());

    let r = post(&listener, JSON, body.into_bytes(), &[]).await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    let partial = &answer["partialSuccess"];
    assert_eq!(
        partial["rejectedSpans"].as_i64().unwrap_or(0),
        0,
        "{answer}"
    );
    let message = partial["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("1 values nested deeper than 127 JSON levels"),
        "{answer}"
    );
    assert_eq!(spans_in(&db), 8);
    let store = Store::open(&db).unwrap();
    let trace = line["resourceSpans"][0]["scopeSpans"][0]["spans"][3]["traceId"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = store
        .trace_spans(&trace)
        .unwrap()
        .into_iter()
        .find(|s| s.span_id == span_id)
        .unwrap();
    let text = stored.attributes["deep"].to_string();
    assert!(text.contains("[nested too deep]"), "{text}");
    assert!(!text.contains("bottom"), "{text}");
    listener.shutdown().await.unwrap();
}

/// A gRPC codec that sends a request message as raw bytes (possibly not valid protobuf
/// strings, which no SDK can produce) and reads the response with prost.
struct RawExport;

impl tonic::codec::Codec for RawExport {
    type Encode = bytes::Bytes;
    type Decode = ExportTraceServiceResponse;
    type Encoder = RawExport;
    type Decoder = RawExport;
    fn encoder(&mut self) -> RawExport {
        RawExport
    }
    fn decoder(&mut self) -> RawExport {
        RawExport
    }
}

impl tonic::codec::Encoder for RawExport {
    type Item = bytes::Bytes;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: bytes::Bytes,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawExport {
    type Item = ExportTraceServiceResponse;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<ExportTraceServiceResponse>, tonic::Status> {
        ExportTraceServiceResponse::decode(src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_repairs_invalid_utf8_like_http_and_refuses_garbage() {
    let (_tmp, db, listener) = receiver(ListenConfig::default()).await;
    let mut req = protobuf_request(1);
    req.resource_spans[0].scope_spans[0].spans[0].name = "QQbroken".into();
    let mut body = req.encode_to_vec();
    let at = body.windows(8).position(|w| w == b"QQbroken").unwrap();
    body[at] = 0xff;
    let channel =
        tonic::transport::Channel::from_shared(format!("http://{}", listener.grpc_addr.unwrap()))
            .unwrap()
            .connect()
            .await
            .unwrap();
    let mut client = tonic::client::Grpc::new(channel);
    let path = http::uri::PathAndQuery::from_static(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    );
    client.ready().await.unwrap();
    let answer = client
        .unary(tonic::Request::new(body.into()), path.clone(), RawExport)
        .await
        .unwrap()
        .into_inner();
    let partial = answer.partial_success.expect("partial_success is set");
    assert_eq!(partial.rejected_spans, 0);
    assert!(
        partial.error_message.contains("invalid UTF-8"),
        "{}",
        partial.error_message
    );
    assert_eq!(spans_in(&db), 4);

    client.ready().await.unwrap();
    let err = client
        .unary(tonic::Request::new(vec![0xff; 40].into()), path, RawExport)
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");
    assert_eq!(spans_in(&db), 4);
    listener.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_required_when_configured() {
    let config = ListenConfig {
        token: Some("s3cret".into()),
        ..ListenConfig::default()
    };
    let (_tmp, db, listener) = receiver(config).await;
    let body = protobuf_request(1).encode_to_vec();
    let r = post(&listener, PROTOBUF, body.clone(), &[]).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = post(
        &listener,
        PROTOBUF,
        body.clone(),
        &[("authorization", "Bearer wrong")],
    )
    .await;
    assert_eq!(r.status(), 401);
    let r = post(
        &listener,
        PROTOBUF,
        body.clone(),
        &[("authorization", "s3cret")],
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(spans_in(&db), 0);
    let r = post(
        &listener,
        PROTOBUF,
        body,
        &[("authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(spans_in(&db), 4);
    listener.shutdown().await.unwrap();
}

/// With the store locked by another writer, the first request waits for its commit holding the
/// whole (one-span) queue; the second is refused at once with 429 and Retry-After, and gRPC
/// with UNAVAILABLE. Once the lock goes, the waiting request commits and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_with_retry_after_and_grpc_unavailable() {
    let config = ListenConfig {
        queue_spans: 1,
        ..ListenConfig::default()
    };
    let (_tmp, db, listener) = receiver(config).await;
    let lock = rusqlite::Connection::open(&db).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();

    let body = protobuf_request(1).encode_to_vec();
    let mut first = tokio::spawn({
        let url = url(&listener);
        let body = body.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", PROTOBUF)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    });
    let mut second = tokio::spawn({
        let url = url(&listener);
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", PROTOBUF)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    });
    // Whichever request the receiver took first holds the queue: the other one returns now.
    let (refused, waiting) = tokio::select! {
        r = &mut first => (r.unwrap(), second),
        r = &mut second => (r.unwrap(), first),
    };
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(Counters::get(&listener.counters.refused), 1);

    let grpc = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(format!("http://{}", listener.grpc_addr.unwrap()))
        .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = grpc.export(llm_traces(1)).await.unwrap_err();
    assert!(format!("{err:?}").contains("Unavailable"), "{err:?}");

    lock.execute_batch("COMMIT").unwrap();
    let waited = waiting.await.unwrap();
    assert_eq!(waited.status(), 200);
    assert_eq!(spans_in(&db), 4);
    listener.shutdown().await.unwrap();
}

/// Fails, showing the whole message, unless `message` names every one of `parts`.
fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "no {part:?} in: {message}");
    }
}
