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
    // One trace a minute from the dump's first trace; `t` also carries the dump's seed in its
    // high part (ids stay distinct between dumps), which the clock must not see: seed × 10⁹
    // minutes would overflow and put spans past the year 2262.
    let base: u64 = 1_790_000_000_000_000_000 + (t % 1_000_000_000) * 60_000_000_000;
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

/// The shapes of span the benchmarks import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Support-bot traces with realistic payloads (~4.6 KB per span).
    Llm,
    /// The same traces with three-word payloads (~1.2 KB per span).
    Small,
}

impl Shape {
    fn payload_words(self) -> usize {
        match self {
            Shape::Llm => 250,
            Shape::Small => 3,
        }
    }
}

/// What a dump holds and how it is cut into lines.
pub struct DumpSpec {
    pub shape: Shape,
    /// Stop after the trace that takes the file past this many bytes.
    pub max_bytes: u64,
    /// Spans per line (512 is an SDK's batch; `usize::MAX` writes one single line).
    pub spans_per_line: usize,
    pub seed: u64,
    /// Traces are numbered from here (slices of a growing import use disjoint ranges).
    pub first_trace: u64,
}

/// Counts what goes through, so a dump can stop at a size.
struct Counting<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

const LINE_HEAD: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench-support-bot"}}]},"scopeSpans":[{"scope":{"name":"openinference.instrumentation.openai","version":"0.1.66"},"spans":["#;
const LINE_TAIL: &str = "]}]}]}\n";

/// Writes `spec` as OTLP/JSON lines, streaming (a single 200 MB line never sits in memory as
/// JSON values). Within a trace children come first, like an SDK's (they end first).
/// Returns (traces, spans, bytes).
pub fn write_dump(path: &Path, spec: &DumpSpec) -> std::io::Result<(u64, u64, u64)> {
    let mut rng = Rng(spec.seed);
    let mut out = Counting {
        inner: BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?),
        bytes: 0,
    };
    let (mut traces, mut spans, mut in_line) = (0u64, 0u64, 0usize);
    let mut t = spec.first_trace;
    while out.bytes < spec.max_bytes {
        let mut batch = trace_spans(&mut rng, t, spec.shape.payload_words());
        batch.reverse();
        for s in batch {
            if in_line == 0 {
                out.write_all(LINE_HEAD.as_bytes())?;
            } else {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut out, &s)?;
            spans += 1;
            in_line += 1;
            if in_line >= spec.spans_per_line {
                out.write_all(LINE_TAIL.as_bytes())?;
                in_line = 0;
            }
        }
        traces += 1;
        t += 1;
    }
    if in_line > 0 {
        out.write_all(LINE_TAIL.as_bytes())?;
    }
    out.flush()?;
    Ok((traces, spans, out.bytes))
}

pub const BIG_TRACE_ID: &str = "b16b16b16b16b16b16b16b16b16b16b1";

/// One trace of `n` spans (a root, chains of ten, LLM calls under them) as OTLP/JSON lines of
/// 512 spans: the input of the big-trace `show` benchmark (trace id [`BIG_TRACE_ID`]).
pub fn write_big_trace(path: &Path, n: usize) -> std::io::Result<()> {
    let trace_id = BIG_TRACE_ID;
    let base: u64 = 1_790_000_000_000_000_000;
    let mut rng = Rng(5);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut chain = String::from("0000000000000000");
    for i in 0..n {
        if i % 512 == 0 {
            if i > 0 {
                out.write_all(LINE_TAIL.as_bytes())?;
            }
            out.write_all(LINE_HEAD.as_bytes())?;
        } else {
            out.write_all(b",")?;
        }
        let id = format!("{i:016x}");
        let (kind, parent) = match i {
            0 => ("AGENT", None),
            i if i % 10 == 1 => {
                chain = id.clone();
                ("CHAIN", Some("0000000000000000".to_string()))
            }
            _ => ("LLM", Some(chain.clone())),
        };
        let start = base + i as u64 * 1_000_000;
        let end = if i == 0 {
            base + n as u64 * 1_000_000 + 5_000_000
        } else {
            start + 3_000_000
        };
        let mut attrs = vec![kv("openinference.span.kind", json!(kind))];
        if kind == "LLM" {
            attrs.push(kv("llm.model_name", json!("gpt-4o-mini")));
            attrs.push(kv("llm.token_count.prompt", json!(1200)));
            attrs.push(kv("llm.token_count.completion", json!(80)));
            attrs.push(kv("input.value", json!(words(&mut rng, 12))));
            attrs.push(kv("output.value", json!(words(&mut rng, 30))));
        }
        let mut s = json!({
            "traceId": trace_id, "spanId": id, "name": format!("{kind} step {i}"), "kind": 1,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": end.to_string(),
            "attributes": attrs, "status": {}
        });
        if let Some(p) = parent {
            s["parentSpanId"] = json!(p);
        }
        serde_json::to_writer(&mut out, &s)?;
    }
    out.write_all(LINE_TAIL.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes the dump at `path` unless it is already there (dumps are deterministic).
pub fn ensure(path: &Path, spec: &DumpSpec) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let t0 = Instant::now();
    // Written aside and renamed, so an interrupted run never leaves a short dump behind.
    let tmp = path.with_extension("partial");
    let (t, s, bytes) = write_dump(&tmp, spec)?;
    std::fs::rename(&tmp, path)?;
    eprintln!(
        "generated {}: {t} traces, {s} spans, {:.0} MB in {:.1}s",
        path.display(),
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn generate(dir: &Path) -> i32 {
    // ~1 GB with realistic payloads (~200k spans), and ~1M small spans.
    for (name, shape, mb, seed) in [
        ("big.otlp.jsonl", Shape::Llm, 920u64, 7u64),
        ("small.otlp.jsonl", Shape::Small, 1180, 11),
    ] {
        let spec = DumpSpec {
            shape,
            max_bytes: mb * 1_000_000,
            spans_per_line: 512,
            seed,
            first_trace: 0,
        };
        if let Err(e) = ensure(&dir.join(name), &spec) {
            eprintln!("{}: {e}", dir.display());
            return 1;
        }
    }
    0
}
