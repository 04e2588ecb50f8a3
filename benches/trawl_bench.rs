//! Benchmarks for trawl, as a binary so it can report wall time, throughput and peak memory.
//!
//!   cargo run --release --bin trawl-bench -- gen bench-data          # write the two dumps
//!   cargo run --release --bin trawl-bench -- import bench-data/big.otlp.jsonl
//!   cargo run --release --bin trawl-bench -- parse  bench-data/big.otlp.jsonl
//!   cargo run --release --bin trawl-bench -- all bench-data          # everything, one table
//!
//! `parse` is the ceiling: the same file read line by line and parsed by serde_json into a
//! `serde_json::Value`, nothing else. `import` is the real pipeline into a fresh store.
//! Each phase runs in its own process so peak RSS (VmHWM) is the phase's own.

// The same allocator as the trawl binary, so "import" measures what users run; "parse" uses
// it too, so the ceiling is measured under the same conditions.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::Offset;
use serde_json::json;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(String::as_str) {
        Some("gen") => generate(Path::new(args.get(2).map_or("bench-data", String::as_str))),
        Some("parse") => parse_only(Path::new(&args[2])),
        Some("import") => import(Path::new(&args[2])),
        Some("prepare") => prepare_only(Path::new(&args[2])),
        Some("tui") => tui(args.get(2).map(Path::new)),
        Some("stats") => stats(Path::new(&args[2])),
        Some("judge") => judge(),
        Some("store") => build_store(Path::new(&args[2]), Path::new(&args[3])),
        Some("all") => all(Path::new(args.get(2).map_or("bench-data", String::as_str))),
        _ => {
            eprintln!(
                "usage: trawl-bench gen DIR | parse FILE | prepare FILE | import FILE | all DIR | store DUMP DB | tui [DB] | stats DB | judge"
            );
            2
        }
    };
    std::process::exit(code);
}

/// Deterministic pseudo-random numbers (xorshift), so every run writes the same bytes.
struct Rng(u64);
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
fn trace_spans(rng: &mut Rng, t: u64, payload_words: usize) -> Vec<serde_json::Value> {
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

fn generate(dir: &Path) -> i32 {
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

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn parse_only(path: &Path) -> i32 {
    let t0 = Instant::now();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return 1;
        }
    };
    let mut reader = trawl::ingest::lines::LineReader::new(file);
    let mut spans = 0u64;
    while let Ok(Some(line)) = reader.next_line() {
        if let trawl::ingest::lines::Line::Data { bytes, .. } = line
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
        {
            for rs in v["resourceSpans"].as_array().into_iter().flatten() {
                for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                    spans += ss["spans"].as_array().map_or(0, |a| a.len() as u64);
                }
            }
        }
    }
    report("serde_json::Value parse", path, spans, t0);
    0
}

/// The parser thread's work alone (parse, map, price, serialise, compress), to see how the
/// pipeline's two halves compare.
fn prepare_only(path: &Path) -> i32 {
    let t0 = Instant::now();
    let Ok(file) = std::fs::File::open(path) else {
        return 1;
    };
    let book = trawl::pricing::PriceBook::embedded();
    let mut reader = trawl::ingest::lines::LineReader::new(file);
    let mut spans = 0u64;
    let (mut t_parse, mut t_prep) = (0.0, 0.0);
    while let Ok(Some(line)) = reader.next_line() {
        if let trawl::ingest::lines::Line::Data { bytes, .. } = line {
            let a = Instant::now();
            let parsed = trawl::ingest::otlp::parse_line(bytes).unwrap_or_default();
            t_parse += a.elapsed().as_secs_f64();
            let b = Instant::now();
            for mut s in parsed {
                trawl::pricing::apply(book, &mut s);
                let _ = trawl::store::PreparedSpan::new(s);
                spans += 1;
            }
            t_prep += b.elapsed().as_secs_f64();
        }
    }
    report("parse+prepare (no store)", path, spans, t0);
    println!("    adapter {t_parse:.2}s, price+serialise+compress {t_prep:.2}s");
    0
}

fn import(path: &Path) -> i32 {
    let dir = std::env::temp_dir().join(format!("trawl-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let db = dir.join("bench.db");
    let t0 = Instant::now();
    let mut store = match trawl::store::Store::open(&db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let r = trawl::import::import_file(&mut store, path, trawl::import::ImportOptions::default());
    // Closing checkpoints the WAL into the database file: part of the import's cost.
    drop(store);
    match r {
        Ok(rep) => {
            report("trawl import (to SQLite)", path, rep.spans_new, t0);
            let db_mb = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
            println!(
                "    store {db_mb:.0} MB, {} traces, {} bad lines",
                rep.traces_new, rep.bad_lines_total
            );
        }
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    0
}

/// Imports a dump into a store that is kept (for the TUI and stats benchmarks).
fn build_store(dump: &Path, db: &Path) -> i32 {
    let t0 = Instant::now();
    let Ok(mut store) = trawl::store::Store::open(db) else {
        eprintln!("{}: cannot open", db.display());
        return 1;
    };
    match trawl::import::import_file(&mut store, dump, trawl::import::ImportOptions::default()) {
        Ok(rep) => {
            drop(store);
            report("trawl import (kept store)", dump, rep.spans_new, t0);
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// Frame time with one 10k-span trace open, and keypress-to-frame while scrolling a big list.
fn tui(store: Option<&Path>) -> i32 {
    let frame = trawl::tui::bench::render_frame_benchmark(10_000, 200);
    println!(
        "tui: keypress + frame at 160x48 with a 10k-span trace open: {:.2} ms mean over 200",
        frame.as_secs_f64() * 1e3
    );
    if let Some(db) = store {
        let scroll = trawl::tui::bench::list_scroll_benchmark(db, 2000);
        println!(
            "tui: trace list scroll on {} (keypress, page fetches, frame): {:.3} ms mean over 2000 keys  peak RSS {:.0} MB",
            db.display(),
            scroll.as_secs_f64() * 1e3,
            peak_rss_mb()
        );
    }
    0
}

fn stats(db: &Path) -> i32 {
    let Ok(store) = trawl::store::Store::open(db) else {
        eprintln!("{}: cannot open", db.display());
        return 1;
    };
    let (traces, spans) = store.totals().unwrap_or((0, 0));
    let utc = chrono::FixedOffset::east_opt(0).unwrap_or_else(|| chrono::Utc.fix());
    let t0 = Instant::now();
    let r = trawl::metrics::compute_stats(
        &store,
        &trawl::store::TraceFilter::default(),
        trawl::metrics::Bucket::Day,
        None,
        utc,
    );
    match r {
        Ok(b) => println!(
            "stats --by day over {traces} traces / {spans} spans: {} buckets in {:.2}s  peak RSS {:.0} MB",
            b.len(),
            t0.elapsed().as_secs_f64(),
            peak_rss_mb()
        ),
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    }
    0
}

fn judge() -> i32 {
    let server = match trawl::judge::testserver::TestServer::instant() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        return 1;
    };
    {
        let conc = 16;
        let vps = rt.block_on(trawl::judge::bench_verdicts_per_second(
            &server.base_url(),
            5000,
            conc,
        ));
        println!(
            "judge: {vps:.0} verdicts/s at concurrency {conc} against a local instant server (5000 verdicts)"
        );
    }
    0
}

fn report(what: &str, path: &Path, spans: u64, t0: Instant) {
    let secs = t0.elapsed().as_secs_f64();
    let mb = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "{what:<26} {:<22} {mb:>7.0} MB {spans:>9} spans {secs:>7.2}s {:>7.1} MB/s {:>9.0} spans/s  peak RSS {:>6.0} MB",
        path.file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default(),
        mb / secs,
        spans as f64 / secs,
        peak_rss_mb()
    );
}

fn all(dir: &Path) -> i32 {
    let me: PathBuf = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let big = dir.join("big.otlp.jsonl");
    let small = dir.join("small.otlp.jsonl");
    if !big.exists() || !small.exists() {
        let c = generate(dir);
        if c != 0 {
            return c;
        }
    }
    for f in [&big, &small] {
        for phase in ["parse", "import"] {
            let st = std::process::Command::new(&me).arg(phase).arg(f).status();
            if !matches!(st, Ok(s) if s.success()) {
                return 1;
            }
        }
    }
    0
}
