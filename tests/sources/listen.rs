//! `trawl listen` through the library: spans sent by the real OpenTelemetry SDK exporter (HTTP
//! protobuf, HTTP JSON, gRPC) land in the store exactly as an import of the same spans written
//! as an OTLP/JSON dump; raw requests cover the protocol's error paths (`errors`).

mod errors;

use std::path::Path;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use trawl::import::{ImportOptions, import_file};
use trawl::listen::{ListenConfig, Listener};
use trawl::store::{Store, TraceFilter};

const SERVICE: &str = "support-bot";

/// Starts a receiver on free loopback ports (HTTP and gRPC) over a new store at `path`.
pub async fn start(path: &Path, config: ListenConfig) -> Listener {
    let store = Store::open(path).unwrap();
    let config = ListenConfig {
        http: Some("127.0.0.1:0".parse().unwrap()),
        grpc: Some("127.0.0.1:0".parse().unwrap()),
        ..config
    };
    Listener::start(store, config).await.unwrap()
}

fn at(secs: u64, ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000 + secs) + Duration::from_millis(ms)
}

fn context(trace: u64, span: u64) -> SpanContext {
    SpanContext::new(
        TraceId::from((0xfeed_0000_0000_0000_u128 << 64) | trace as u128),
        SpanId::from(0x5000_0000_0000_0000 | span),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    )
}

fn span(trace: u64, id: u64, parent: Option<u64>, name: &str, kind: SpanKind) -> SpanData {
    SpanData {
        span_context: context(trace, id),
        parent_span_id: parent.map_or(SpanId::INVALID, |p| context(trace, p).span_id()),
        parent_span_is_remote: false,
        span_kind: kind,
        name: name.to_string().into(),
        start_time: at(trace * 10, id * 10),
        end_time: at(trace * 10, id * 10 + 700),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder(
            "openinference.instrumentation.openai",
        )
        .with_version("0.1.30")
        .build(),
    }
}

/// Realistic LLM traces: an agent root, a retriever, an OpenInference LLM call with messages
/// and tokens, and a GenAI chat span with an event; every other trace fails.
pub fn llm_traces(count: u64) -> Vec<SpanData> {
    let mut out = Vec::new();
    for t in 1..=count {
        let question = format!(
            "Where is my order FH-{}? It was due on Monday.",
            100_000 + t
        );
        let mut root = span(t, 1, None, "support-agent", SpanKind::Server);
        root.attributes = vec![
            KeyValue::new("openinference.span.kind", "AGENT"),
            KeyValue::new("input.value", question.clone()),
            KeyValue::new("session.id", format!("sess-{}", t % 3)),
            KeyValue::new("user.id", format!("user_{:04}", t % 7)),
        ];
        if t % 2 == 0 {
            root.status = Status::error("tool timed out");
        }
        let mut retriever = span(t, 2, Some(1), "retrieve", SpanKind::Internal);
        retriever.attributes = vec![
            KeyValue::new("openinference.span.kind", "RETRIEVER"),
            KeyValue::new(
                "retrieval.documents.0.document.content",
                "Orders ship in 2 days.",
            ),
            KeyValue::new("retrieval.documents.0.document.score", 0.87),
        ];
        let mut llm = span(t, 3, Some(1), "ChatCompletion", SpanKind::Client);
        llm.attributes = vec![
            KeyValue::new("openinference.span.kind", "LLM"),
            KeyValue::new("llm.model_name", "gpt-4o-mini-2024-07-18"),
            KeyValue::new("llm.provider", "openai"),
            KeyValue::new("llm.input_messages.0.message.role", "system"),
            KeyValue::new(
                "llm.input_messages.0.message.content",
                "You are a support agent.",
            ),
            KeyValue::new("llm.input_messages.1.message.role", "user"),
            KeyValue::new("llm.input_messages.1.message.content", question),
            KeyValue::new("llm.output_messages.0.message.role", "assistant"),
            KeyValue::new(
                "llm.output_messages.0.message.content",
                "Your order left the warehouse today.",
            ),
            KeyValue::new("llm.token_count.prompt", 412_i64 + t as i64),
            KeyValue::new("llm.token_count.completion", 37_i64),
            KeyValue::new("llm.token_count.total", 449_i64 + t as i64),
            KeyValue::new("llm.invocation_parameters", r#"{"temperature":0.2}"#),
            KeyValue::new("llm.is_streaming", false),
        ];
        let mut chat = span(t, 4, Some(1), "chat gpt-4o", SpanKind::Client);
        chat.attributes = vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.system", "openai"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"),
            KeyValue::new("gen_ai.usage.input_tokens", 120_i64),
            KeyValue::new("gen_ai.usage.output_tokens", 15_i64),
        ];
        chat.events.events.push(opentelemetry::trace::Event::new(
            "gen_ai.choice",
            at(t * 10, 45),
            vec![
                KeyValue::new("index", 0_i64),
                KeyValue::new("finish_reason", "stop"),
            ],
            0,
        ));
        out.extend([root, retriever, llm, chat]);
    }
    out
}

pub fn resource() -> Resource {
    Resource::builder_empty().with_service_name(SERVICE).build()
}

/// The same spans as one line of a Collector `file` exporter dump (OTLP/JSON), written by hand
/// from the SDK's span data so the expectation does not share code with the receiver.
pub fn dump_line(spans: &[SpanData]) -> String {
    let scope = &spans[0].instrumentation_scope;
    let spans: Vec<serde_json::Value> = spans.iter().map(span_json).collect();
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": SERVICE}}]},
        "scopeSpans": [{
            "scope": {"name": scope.name(), "version": scope.version()},
            "spans": spans,
        }],
    }]})
    .to_string()
}

fn span_json(s: &SpanData) -> serde_json::Value {
    let (code, message) = match &s.status {
        Status::Unset => (0, String::new()),
        Status::Ok => (1, String::new()),
        Status::Error { description } => (2, description.to_string()),
    };
    let kind = match s.span_kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    };
    let mut v = serde_json::json!({
        "traceId": s.span_context.trace_id().to_string(),
        "spanId": s.span_context.span_id().to_string(),
        "name": s.name,
        "kind": kind,
        "startTimeUnixNano": nanos(s.start_time),
        "endTimeUnixNano": nanos(s.end_time),
        "attributes": attributes(&s.attributes),
        "events": s.events.iter().map(|e| serde_json::json!({
            "timeUnixNano": nanos(e.timestamp),
            "name": e.name,
            "attributes": attributes(&e.attributes),
        })).collect::<Vec<_>>(),
        "status": {"code": code, "message": message},
    });
    if s.parent_span_id != SpanId::INVALID {
        v["parentSpanId"] = s.parent_span_id.to_string().into();
    }
    v
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string()
}

fn attributes(kvs: &[KeyValue]) -> Vec<serde_json::Value> {
    kvs.iter()
        .map(|kv| {
            let value = match &kv.value {
                Value::Bool(b) => serde_json::json!({"boolValue": b}),
                Value::I64(i) => serde_json::json!({"intValue": i.to_string()}),
                Value::F64(f) => serde_json::json!({"doubleValue": f}),
                Value::String(s) => serde_json::json!({"stringValue": s.as_str()}),
                other => panic!("no arrays in these fixtures: {other:?}"),
            };
            serde_json::json!({"key": kv.key.as_str(), "value": value})
        })
        .collect()
}

/// Everything a reader sees of a store: each trace's roll-up and its spans, in id order.
pub fn contents(path: &Path) -> Vec<String> {
    let store = Store::open(path).unwrap();
    let mut ids = store.trace_ids(&TraceFilter::default(), None).unwrap();
    ids.sort();
    let mut out = Vec::new();
    for id in ids {
        out.push(format!("{:?}", store.trace_summary(&id).unwrap()));
        let mut spans = store.trace_spans(&id).unwrap();
        spans.sort_by(|a, b| a.span_id.cmp(&b.span_id));
        out.extend(spans.iter().map(|s| format!("{s:?}")));
    }
    out
}

/// What an import of `spans` as an OTLP/JSON dump stores.
pub fn imported(dir: &Path, spans: &[SpanData]) -> Vec<String> {
    let dump = dir.join("dump.otlp.jsonl");
    std::fs::write(&dump, dump_line(spans) + "\n").unwrap();
    let db = dir.join("imported.db");
    let mut store = Store::open(&db).unwrap();
    let report = import_file(&mut store, &dump, ImportOptions::default()).unwrap();
    assert_eq!(report.fatal, None);
    assert_eq!(report.spans_new, spans.len() as u64);
    drop(store);
    contents(&db)
}

fn exporter(protocol: Protocol, listener: &Listener) -> opentelemetry_otlp::SpanExporter {
    match protocol {
        Protocol::Grpc => opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(format!("http://{}", listener.grpc_addr.unwrap()))
            .build()
            .unwrap(),
        http => opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(http)
            .with_endpoint(format!("http://{}/v1/traces", listener.http_addr.unwrap()))
            .build()
            .unwrap(),
    }
}

async fn sdk_round_trip(protocol: Protocol) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let listener = start(&db, ListenConfig::default()).await;
    let spans = llm_traces(6);
    let mut exporter = exporter(protocol, &listener);
    exporter.set_resource(&resource());
    // Two requests, the second repeating a trace of the first (a retry): stored once.
    exporter.export(spans[..16].to_vec()).await.unwrap();
    exporter.export(spans[12..].to_vec()).await.unwrap();

    // A success response means committed: another connection sees every span already.
    let (traces, stored) = Store::open(&db).unwrap().totals().unwrap();
    assert_eq!((traces, stored), (6, 24));
    assert_eq!(trawl::listen::Counters::get(&listener.counters.requests), 2);
    assert_eq!(trawl::listen::Counters::get(&listener.counters.spans), 28);

    let stats = listener.shutdown().await.unwrap();
    assert_eq!((stats.spans_new, stats.duplicates), (24, 4));
    // Stopping leaves the statistics cells current: nothing waits to be recomputed.
    let dirty: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM stats_dirty", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dirty, 0, "{protocol:?}");
    let live = contents(&db);
    assert_eq!(live.len(), 6 + 24);
    assert_eq!(live, imported(tmp.path(), &spans), "{protocol:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_http_protobuf_stores_what_importing_the_dump_stores() {
    sdk_round_trip(Protocol::HttpBinary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_http_json_stores_what_importing_the_dump_stores() {
    sdk_round_trip(Protocol::HttpJson).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_grpc_stores_what_importing_the_dump_stores() {
    sdk_round_trip(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_llm_view_of_a_received_trace_is_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let listener = start(&db, ListenConfig::default()).await;
    let mut exporter = exporter(Protocol::HttpBinary, &listener);
    exporter.set_resource(&resource());
    exporter.export(llm_traces(2)).await.unwrap();
    listener.shutdown().await.unwrap();
    let store = Store::open(&db).unwrap();
    let id = format!("{:032x}", (0xfeed_0000_0000_0000_u128 << 64) | 2);
    let t = store.trace_summary(&id).unwrap().unwrap();
    assert_eq!(t.service.as_deref(), Some(SERVICE));
    assert_eq!(t.span_count, 4);
    assert_eq!(t.llm_calls, 2);
    assert_eq!(t.input_tokens, 414 + 120);
    assert_eq!(t.output_tokens, 37 + 15);
    assert!(t.error, "trace 2's root failed");
    assert_eq!(t.session_id.as_deref(), Some("sess-2"));
    assert!(
        t.models.iter().any(|m| m.starts_with("gpt-4o-mini")),
        "{:?}",
        t.models
    );
}

/// A receiver on a store without a payload dictionary trains one on the first spans it
/// receives, commits it with the first spans compressed with it, and those spans read back as
/// an import of the same spans stores them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_trains_a_payload_dictionary_on_its_first_spans() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let listener = start(&db, ListenConfig::default()).await;
    let mut exporter = exporter(Protocol::HttpBinary, &listener);
    exporter.set_resource(&resource());
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    let dictionaries = "SELECT count(*) FROM payload_dicts";
    // Payload tags `R` and `D` name a dictionary (see the store's codec).
    let with_dictionary =
        "SELECT count(*) FROM span_data WHERE hex(substr(data, 1, 1)) IN ('52', '44')";
    // Batches of 100 traces (400 spans, ~0.25 MB of payload JSON) until the dictionary is in
    // the store, then one more: the training needs ~2 MB of samples and runs on a worker.
    let all = llm_traces(6_000);
    let mut sent = 0;
    let mut after = 0;
    while after < 2 && sent < all.len() {
        let end = (sent + 400).min(all.len());
        exporter.export(all[sent..end].to_vec()).await.unwrap();
        sent = end;
        if count(dictionaries) > 0 {
            after += 1;
        }
    }
    assert_eq!(count(dictionaries), 1, "no dictionary after {sent} spans");
    assert!(
        count(with_dictionary) > 0,
        "no payload names the dictionary"
    );
    let without = count("SELECT count(*) FROM span_data") - count(with_dictionary);
    assert!(
        without > 0,
        "the first spans were compressed before training"
    );
    listener.shutdown().await.unwrap();
    assert_eq!(contents(&db), imported(tmp.path(), &all[..sent]));
}

/// Once requests stop coming, the writer brings the statistics cells up to date without
/// waiting for shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_receiver_refreshes_the_statistics_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let listener = start(&db, ListenConfig::default()).await;
    let mut exporter = exporter(Protocol::HttpBinary, &listener);
    exporter.set_resource(&resource());
    exporter.export(llm_traces(3)).await.unwrap();
    let dirty = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM stats_dirty", [], |r| r.get(0))
            .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while dirty() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        dirty(),
        0,
        "the cells are still stale while the receiver idles"
    );
    let cells: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM stats_cells", [], |r| r.get(0))
        .unwrap();
    assert!(cells > 0);
    listener.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_requires_the_token_when_one_is_set() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let config = ListenConfig {
        token: Some("s3cret".into()),
        ..ListenConfig::default()
    };
    let listener = start(&db, config).await;
    let endpoint = format!("http://{}", listener.grpc_addr.unwrap());
    let mut without = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.clone())
        .build()
        .unwrap();
    let err = without.export(llm_traces(1)).await.unwrap_err();
    assert!(
        format!("{err:?}").to_lowercase().contains("unauth"),
        "{err:?}"
    );
    let mut metadata = tonic::metadata::MetadataMap::new();
    metadata.insert("authorization", "Bearer s3cret".parse().unwrap());
    let mut with = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_metadata(metadata)
        .build()
        .unwrap();
    with.set_resource(&resource());
    with.export(llm_traces(1)).await.unwrap();
    let stats = listener.shutdown().await.unwrap();
    assert_eq!(stats.spans_new, 4);
    let _ = &mut without;
}

#[test]
fn the_tui_receiver_reports_new_spans_and_stops_when_told() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use trawl::listen::live::{LiveStatus, run_until};

    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("tui.db");
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<LiveStatus>();
    let worker = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let config = ListenConfig {
                http: Some("127.0.0.1:0".parse().unwrap()),
                grpc: None,
                ..ListenConfig::default()
            };
            let mut on_update = |s: &LiveStatus| tx.send(s.clone()).unwrap();
            run_until(&db, config, &stop, &mut on_update)
        })
    };
    let first = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(first.spans, 0);
    let addr = first.place.strip_prefix("OTLP ").unwrap().to_string();
    let body = dump_line(&llm_traces(2));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/traces"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    let update = loop {
        let s = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        if s.spans > 0 {
            break s;
        }
    };
    assert_eq!(update.spans, 8);
    assert!(update.summary().contains("spans/s"), "{}", update.summary());
    stop.store(true, Ordering::Relaxed);
    let message = worker.join().unwrap().unwrap();
    assert!(message.contains("8 spans received"), "{message}");
    assert_eq!(Store::open(&db).unwrap().totals().unwrap().1, 8);
}
