//! Deterministic OTLP/JSON dumps shaped like the support-bot fixture: the input of the import
//! benchmarks and of the stores the TUI and stats benchmarks open.

use serde_json::json;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

/// Deterministic pseudo-random numbers (xorshift), so every run writes the same bytes.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "refund",
    "order",
    "shipping",
    "express",
    "warranty",
    "return",
    "policy",
    "customer",
    "tent",
    "jacket",
    "within",
    "days",
    "purchase",
    "original",
    "payment",
    "method",
    "store",
    "credit",
    "international",
    "business",
    "the",
    "a",
    "is",
    "and",
    "of",
    "to",
    "for",
    "on",
    "with",
    "your",
];

fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

fn kv(key: &str, v: serde_json::Value) -> serde_json::Value {
    let value = match v {
        serde_json::Value::String(s) => json!({"stringValue": s}),
        serde_json::Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
        serde_json::Value::Number(n) => json!({"doubleValue": n}),
        serde_json::Value::Bool(b) => json!({"boolValue": b}),
        other => json!({"stringValue": other.to_string()}),
    };
    json!({"key": key, "value": value})
}

/// One support-bot trace shaped like the fixture: chain root, embedding, retriever, reranker,
/// prompt builder, LLM call. `payload_words` scales documents and prompts.
pub(crate) fn trace_spans(rng: &mut Rng, t: u64, payload_words: usize) -> Vec<serde_json::Value> {
    let trace_id = format!("{:016x}{:016x}", rng.next(), t);
    let base: u64 = 1_790_000_000_000_000_000 + t * 60_000_000_000;
    let root = format!("{:016x}", rng.next());
    let question = words(rng, 12);
    let answer = words(rng, 40);
    let user = format!("user_{:04}", rng.below(5000));
    let session = format!("sess_{:08x}", t / 3);
    let common = |attrs: &mut Vec<serde_json::Value>| {
        attrs.push(kv("session.id", json!(session)));
        attrs.push(kv("user.id", json!(user)));
    };
    let mut spans = Vec::new();
    let mut span = |name: &str,
                    kind: &str,
                    start: u64,
                    dur: u64,
                    parent: Option<&str>,
                    mut attrs: Vec<serde_json::Value>,
                    id: String| {
        attrs.push(kv("openinference.span.kind", json!(kind)));
        common(&mut attrs);
        let mut s = json!({
            "traceId": trace_id, "spanId": id, "name": name, "kind": 1,
            "startTimeUnixNano": (base + start).to_string(), "endTimeUnixNano": (base + start + dur).to_string(),
            "attributes": attrs, "status": {}, "flags": 256
        });
        if let Some(p) = parent {
            s["parentSpanId"] = json!(p);
        }
        spans.push(s);
    };
    let docs: Vec<String> = (0..5).map(|_| words(rng, payload_words)).collect();
    span(
        "support_bot.answer_question",
        "CHAIN",
        0,
        1_500_000_000,
        None,
        vec![
            kv("input.value", json!(question)),
            kv("output.value", json!(answer)),
        ],
        root.clone(),
    );
    span(
        "CreateEmbeddings",
        "EMBEDDING",
        1_000_000,
        40_000_000,
        Some(&root),
        vec![
            kv("embedding.model_name", json!("text-embedding-3-small")),
            kv("llm.token_count.prompt", json!(9)),
            kv("llm.token_count.total", json!(9)),
            kv("embedding.embeddings.0.embedding.text", json!(question)),
        ],
        format!("{:016x}", rng.next()),
    );
    let mut ret = vec![kv("input.value", json!(question))];
    for (i, d) in docs.iter().enumerate() {
        ret.push(kv(
            &format!("retrieval.documents.{i}.document.id"),
            json!(format!("kb-{i:02}")),
        ));
        ret.push(kv(
            &format!("retrieval.documents.{i}.document.score"),
            json!(0.9 - i as f64 * 0.05),
        ));
        ret.push(kv(
            &format!("retrieval.documents.{i}.document.content"),
            json!(d),
        ));
    }
    span(
        "kb.vector_search",
        "RETRIEVER",
        45_000_000,
        20_000_000,
        Some(&root),
        ret,
        format!("{:016x}", rng.next()),
    );
    let mut rr = vec![
        kv("reranker.query", json!(question)),
        kv("reranker.top_k", json!(4)),
    ];
    for (i, d) in docs.iter().enumerate().take(4) {
        rr.push(kv(
            &format!("reranker.output_documents.{i}.document.id"),
            json!(format!("kb-{i:02}")),
        ));
        rr.push(kv(
            &format!("reranker.output_documents.{i}.document.content"),
            json!(d),
        ));
    }
    span(
        "kb.rerank",
        "RERANKER",
        70_000_000,
        10_000_000,
        Some(&root),
        rr,
        format!("{:016x}", rng.next()),
    );
    span(
        "build_prompt",
        "CHAIN",
        81_000_000,
        1_000_000,
        Some(&root),
        vec![kv(
            "llm.prompt_template.template",
            json!("Answer from context: {context}\nQ: {question}"),
        )],
        format!("{:016x}", rng.next()),
    );
    let context = docs[..4].join("\n\n");
    let pt = 200 + (context.len() / 4) as i64;
    span(
        "ChatCompletion",
        "LLM",
        85_000_000,
        900_000_000 + rng.below(400_000_000),
        Some(&root),
        vec![
            kv("llm.model_name", json!("gpt-4o-mini-2024-07-18")),
            kv("llm.system", json!("openai")),
            kv("llm.input_messages.0.message.role", json!("system")),
            kv(
                "llm.input_messages.0.message.content",
                json!(format!("You are a support assistant. Context:\n{context}")),
            ),
            kv("llm.input_messages.1.message.role", json!("user")),
            kv("llm.input_messages.1.message.content", json!(question)),
            kv("llm.output_messages.0.message.role", json!("assistant")),
            kv("llm.output_messages.0.message.content", json!(answer)),
            kv("llm.token_count.prompt", json!(pt)),
            kv("llm.token_count.completion", json!(60)),
            kv("llm.token_count.total", json!(pt + 60)),
            kv("llm.invocation_parameters", json!("{\"temperature\": 0.2}")),
        ],
        format!("{:016x}", rng.next()),
    );
    spans
}

/// Writes `traces` traces as OTLP/JSON lines of up to 512 spans (the SDK's batch size), in
/// batches that split traces across lines the way a BatchSpanProcessor does.
fn write_dump(
    path: &Path,
    traces: u64,
    payload_words: usize,
    seed: u64,
) -> std::io::Result<(u64, u64)> {
    let mut rng = Rng(seed);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut pending: Vec<serde_json::Value> = Vec::new();
    let mut spans = 0;
    let flush = |pending: &mut Vec<serde_json::Value>,
                 out: &mut BufWriter<std::fs::File>|
     -> std::io::Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        // Children first, like the SDK (they end before their parent).
        pending.reverse();
        let line = json!({"resourceSpans": [{
            "resource": {"attributes": [kv("service.name", json!("bench-support-bot"))]},
            "scopeSpans": [{"scope": {"name": "openinference.instrumentation.openai", "version": "0.1.66"}, "spans": pending}]
        }]});
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        pending.clear();
        Ok(())
    };
    for t in 0..traces {
        for s in trace_spans(&mut rng, t, payload_words) {
            pending.push(s);
            spans += 1;
            if pending.len() >= 512 {
                flush(&mut pending, &mut out)?;
            }
        }
    }
    flush(&mut pending, &mut out)?;
    out.flush()?;
    Ok((traces, spans))
}

pub fn generate(dir: &Path) -> i32 {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("{}: {e}", dir.display());
        return 1;
    }
    // ~1 GB with realistic payloads (~200k spans), and ~1M small spans.
    for (name, traces, words, seed) in [
        ("big.otlp.jsonl", 33_400u64, 250usize, 7u64),
        ("small.otlp.jsonl", 166_700, 3, 11),
    ] {
        let p = dir.join(name);
        let t0 = Instant::now();
        match write_dump(&p, traces, words, seed) {
            Ok((t, s)) => {
                let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                println!(
                    "{}: {t} traces, {s} spans, {:.0} MB in {:.1}s",
                    p.display(),
                    size as f64 / 1e6,
                    t0.elapsed().as_secs_f64()
                );
            }
            Err(e) => {
                eprintln!("{}: {e}", p.display());
                return 1;
            }
        }
    }
    0
}
