//! ClickHouse: pulling a slice from, and `stats --by day` computed in, a 1M-span `otel_traces`
//! table (the exporter's DDL), served by `tests/clickhouse/chdb_http.py` (the real engine from
//! the `chdb-core` wheel behind ClickHouse's HTTP interface) on 127.0.0.1.
//!
//!   cargo build --profile perf -p trawl -p trawl-bench
//!   target/perf/trawl-bench clickhouse [PHASE]     # PHASE: a label part (`10k`, `stats`), or `serve`
//!
//! The table is written in SQL inside the engine (100k traces of 10 spans over 10 days, two LLM
//! calls per trace), then each measured phase runs in its own process so its peak RSS is its
//! own: 1k, 10k, 30k and 100k-trace pulls, each printing its RSS and SQLite's own memory at
//! every quarter of the slice (the RSS levels off once SQLite's page cache reaches its 64 MB
//! `cache_size`), and `stats --by day`. `serve` fills the table and waits, for profiling a
//! phase by hand (`perf record … trawl-bench ch-pull URL 10000`).
//! The Python is `TRAWL_CHDB_PYTHON` or `~/.cache/trawl/chdb-venv/bin/python` (`.ci/run`
//! installs it).

use crate::peak_rss_mb;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use trawl::metrics::{Bucket, stats_from_raw, stats_wanted};
use trawl::remote::{ClickHouseUrl, Client, PullOptions, figures, pull};
use trawl::store::{Store, TraceFilter};

const TRACES: u64 = 100_000;
const SPANS_PER_TRACE: u64 = 10;
/// 2026-10-26T00:00:00Z; traces 8.64 s apart, so 10k a day.
const T0: i64 = 1_792_972_800_000_000_000;
const DAY: i64 = 86_400_000_000_000;

fn python() -> PathBuf {
    std::env::var_os("TRAWL_CHDB_PYTHON").map_or_else(
        || {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".cache/trawl/chdb-venv/bin/python")
        },
        PathBuf::from,
    )
}

fn client(url: &str) -> Result<Client, String> {
    let u = ClickHouseUrl::parse(url, None).map_err(|e| e.to_string())?;
    Client::new(&u).map_err(|e| e.to_string())
}

/// Starts the front, fills the table, runs each phase in a child process (only the phases
/// whose label contains `only`, when given: `clickhouse 10k`).
pub fn run(only: Option<&str>) -> i32 {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/clickhouse/chdb_http.py");
    let mut child = match Command::new(python())
        .arg(&script)
        .args(["--otlp", "bench="])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot start {}: {e}", python().display());
            return 1;
        }
    };
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let Some(port) = line.strip_prefix("LISTENING ").map(str::trim) else {
        eprintln!("the chDB front did not start: {line:?}");
        return 1;
    };
    let url = format!("clickhouse://default@127.0.0.1:{port}/bench?table=otel_traces");
    let code = (|| -> Result<(), String> {
        let c = client(&url)?;
        let t = Instant::now();
        c.execute(&fill_sql()).map_err(|e| e.to_string())?;
        let rows = c
            .rows("SELECT count() AS n FROM otel_traces")
            .map_err(|e| e.to_string())?;
        println!(
            "otel_traces: {} spans, {TRACES} traces over 10 days, written in {:.1}s",
            rows[0]["n"],
            t.elapsed().as_secs_f64()
        );
        if only == Some("serve") {
            // For profiling a phase by hand: `trawl-bench ch-pull URL N` under perf.
            println!("serving {url} until stdin closes");
            let _ = std::io::stdin().read_line(&mut String::new());
            return Ok(());
        }
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        for (what, args) in [
            ("pull 1k traces", vec!["ch-pull", &url, "1000"]),
            ("pull 10k traces (one day)", vec!["ch-pull", &url, "10000"]),
            ("pull 30k traces (3 days)", vec!["ch-pull", &url, "30000"]),
            (
                "pull 100k traces (10 days)",
                vec!["ch-pull", &url, "100000"],
            ),
            ("stats --by day --source", vec!["ch-stats", &url]),
        ] {
            if only.is_some_and(|o| !what.contains(o)) {
                continue;
            }
            let out = Command::new(&me)
                .args(&args)
                .output()
                .map_err(|e| e.to_string())?;
            print!("{what:<28} {}", String::from_utf8_lossy(&out.stdout));
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
        }
        Ok(())
    })();
    drop(child.stdin.take());
    let _ = child.wait();
    match code {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// 1M exporter rows: per trace a root, two LLM calls with usage, seven tool/retrieval spans.
fn fill_sql() -> String {
    let n = TRACES * SPANS_PER_TRACE;
    let spacing = DAY / 10_000;
    format!(
        "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, \
         ServiceName, ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode) \
         SELECT fromUnixTimestamp64Nano(toInt64({T0} + intDiv(number, {SPANS_PER_TRACE}) * {spacing} \
                  + (number % {SPANS_PER_TRACE}) * 50000000)), \
                lower(hex(MD5(toString(intDiv(number, {SPANS_PER_TRACE}))))), \
                substring(lower(hex(MD5(concat('s', toString(number))))), 1, 16), \
                if(number % {SPANS_PER_TRACE} = 0, '', \
                   substring(lower(hex(MD5(concat('s', toString(number - number % {SPANS_PER_TRACE}))))), 1, 16)), \
                multiIf(number % {SPANS_PER_TRACE} = 0, 'agent.run', number % {SPANS_PER_TRACE} IN (3, 6), 'chat gpt-4o-mini', 'tool.call'), \
                'Internal', concat('svc-', toString(intDiv(number, {SPANS_PER_TRACE}) % 3)), \
                map('service.name', concat('svc-', toString(intDiv(number, {SPANS_PER_TRACE}) % 3))), 'bench', \
                if(number % {SPANS_PER_TRACE} IN (3, 6), \
                   map('gen_ai.operation.name', 'chat', 'gen_ai.request.model', 'gpt-4o-mini', \
                       'gen_ai.usage.input_tokens', toString(100 + number % 500), \
                       'gen_ai.usage.output_tokens', toString(20 + number % 50), \
                       'gen_ai.input.messages', concat('[{{\"role\":\"user\",\"parts\":[{{\"type\":\"text\",\"content\":\"', repeat('q', 300), '\"}}]}}]')), \
                   map('user.id', concat('u', toString(intDiv(number, {SPANS_PER_TRACE}) % 1000)), \
                       'session.id', concat('s', toString(intDiv(number, {SPANS_PER_TRACE}) % 5000)), \
                       'tool.args', repeat('a', 200))), \
                if(number % {SPANS_PER_TRACE} = 0, 1000000000, 40000000), \
                if(number % {SPANS_PER_TRACE} = 0 AND intDiv(number, {SPANS_PER_TRACE}) % 50 = 0, 'Error', 'Unset') \
         FROM numbers({n})"
    )
}

/// Current resident set size of this process (VmRSS), in MB.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Bytes SQLite holds right now (page caches of both connections, statements), in MB: the
/// part of the RSS that is a fixed cap (`cache_size`), not a function of the slice.
fn sqlite_mb() -> f64 {
    // SAFETY: sqlite3_memory_used only reads SQLite's global counter.
    (unsafe { rusqlite::ffi::sqlite3_memory_used() }) as f64 / (1 << 20) as f64
}

/// Child: pulls the first `traces` traces of day 5 (of the whole table beyond one day's 10k)
/// into a fresh store. Prints the RSS at each quarter of the slice, to show where it levels off.
pub fn pull_phase(url: &str, traces: &str) -> i32 {
    let Ok(limit) = traces.parse::<u64>() else {
        return 2;
    };
    let dir = std::env::temp_dir().join(format!("trawl-ch-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let db = dir.join("pull.db");
    let result = (|| -> Result<(u64, u64), String> {
        let c = client(url)?;
        let mut store = Store::open(&db).map_err(|e| e.to_string())?;
        let opts = PullOptions {
            filter: TraceFilter {
                since_ns: Some(if limit <= 10_000 { T0 + 5 * DAY } else { T0 }),
                until_ns: Some(if limit <= 10_000 {
                    T0 + 6 * DAY
                } else {
                    T0 + 10 * DAY
                }),
                ..Default::default()
            },
            limit_traces: Some(limit),
        };
        let t = Instant::now();
        let mut quarters: Vec<String> = Vec::new();
        let r = pull(&mut store, &c, &opts, &mut |p| {
            if p.traces * 4 >= limit * (quarters.len() as u64 + 1) {
                quarters.push(format!("{:.0}/{:.0}", rss_mb(), sqlite_mb()));
            }
        })
        .map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{} traces, {} spans in {secs:.2}s ({:.0} spans/s)  peak RSS {:.0} MB  \
             (RSS/SQLite MB at each quarter: {})",
            r.traces_new,
            r.spans_new,
            r.spans_new as f64 / secs,
            peak_rss_mb(),
            quarters.join(" ")
        );
        Ok((r.traces_new, r.spans_new))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// Child: `stats --by day` computed in ClickHouse over the whole table.
pub fn stats_phase(url: &str) -> i32 {
    let result = (|| -> Result<(), String> {
        let c = client(url)?;
        let utc = chrono::FixedOffset::east_opt(0).ok_or("offset")?;
        let t = Instant::now();
        let raw = figures::bucket_figures(
            &c,
            &TraceFilter::default(),
            trawl::store::stats::Buckets::Every {
                len_ns: DAY,
                shift_ns: 0,
            },
            None,
            &stats_wanted(),
        )
        .map_err(|e| e.to_string())?;
        let b = stats_from_raw(&raw, Bucket::Day, None, utc);
        println!(
            "{} buckets, {} traces in {:.2}s  peak RSS {:.0} MB",
            b.len(),
            b.iter().map(|x| x.traces).sum::<i64>(),
            t.elapsed().as_secs_f64(),
            peak_rss_mb()
        );
        Ok(())
    })();
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}
