//! Benchmarks for trawl, as a binary so it can report wall time, throughput and peak memory.
//! A workspace member with `publish = false`: `cargo install --path .` never ships it.
//!
//!   cargo run --release -p trawl-bench -- rows [--quick]          # the issue-17 speed table
//!   cargo run --release -p trawl-bench -- row import-llm --mb 300 # one row of it (see rows.rs)
//!   cargo run --release -p trawl-bench -- gen bench-data          # write the two dumps
//!   cargo run --release -p trawl-bench -- import bench-data/big.otlp.jsonl
//!   cargo run --release -p trawl-bench -- parse  bench-data/big.otlp.jsonl
//!   cargo run --release -p trawl-bench -- all bench-data          # everything, one table
//!   cargo run --release -p trawl-bench -- clickhouse              # pull and stats --source on 1M spans
//!   cargo run --release -p trawl-bench -- listen 20               # trawl listen, sustained load
//!
//! The parse limit of the table is `typed.rs`: borrowed typed structs, not `Value`. `parse` is
//! the older `serde_json::Value` figure, kept for comparison. `import` is the real pipeline into a fresh store.
//! Each phase runs in its own process so peak RSS (VmHWM) is the phase's own.
//!
//! Everything here goes through trawl's public library API only.

// The same allocator as the trawl binary, so "import" measures what users run; "parse" uses
// it too, so the ceiling is measured under the same conditions.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod child;
mod clickhouse;
mod dump;
mod judge;
mod listen;
mod measure;
mod pipeline;
mod rows;
mod stats;
mod tui;
mod typed;

use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str = "usage: trawl-bench row NAME [--mb N] [--spans N] [--runs N] [--dir DIR] [--slices N] | rows [--quick] [options] | gen DIR | parse FILE | prepare FILE | import FILE | all DIR | store DUMP DB | tui [DB] | stats DB | synth-stats [DB] | judge | clickhouse | listen [SECONDS] [CONNECTIONS] [PAYLOAD_WORDS]\nrows: import-llm import-small import-grow store-size first-frame stats show tui-open single-line";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child") => std::process::exit(child::run(&args[2..])),
        Some("row") | Some("rows") => std::process::exit(run_rows(&args)),
        _ => {}
    }
    let arg = |i: usize| args.get(i).map(Path::new);
    let code = match (args.get(1).map(String::as_str), arg(2), arg(3)) {
        (Some("gen"), dir, _) => dump::generate(dir.unwrap_or(Path::new("bench-data"))),
        (Some("parse"), Some(file), _) => pipeline::parse_only(file),
        (Some("import"), Some(file), _) => pipeline::import(file),
        (Some("prepare"), Some(file), _) => pipeline::prepare_only(file),
        (Some("store"), Some(dump), Some(db)) => pipeline::build_store(dump, db),
        (Some("tui"), db, _) => tui::run(db),
        (Some("stats"), Some(db), _) => stats::run(db),
        (Some("synth-stats"), db, _) => stats::synthetic(db),
        (Some("judge"), _, _) => judge::run(),
        (Some("clickhouse"), only, _) => clickhouse::run(only.and_then(|p| p.to_str())),
        (Some("ch-pull"), _, _) => match (args.get(2), args.get(3)) {
            (Some(url), Some(n)) => clickhouse::pull_phase(url, n),
            _ => 2,
        },
        (Some("ch-stats"), _, _) => match args.get(2) {
            Some(url) => clickhouse::stats_phase(url),
            _ => 2,
        },
        (Some("listen"), _, _) => listen::run(
            args.get(2).map(String::as_str),
            args.get(3).map(String::as_str),
            args.get(4).map(String::as_str),
        ),
        (Some("all"), dir, _) => all(dir.unwrap_or(Path::new("bench-data"))),
        _ => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// `row NAME [options]` or `rows [options]`: the issue-17 table, row by row.
fn run_rows(args: &[String]) -> i32 {
    let all = args.get(1).map(String::as_str) == Some("rows");
    let (name, rest) = if all {
        (None, &args[2..])
    } else {
        match args.get(2) {
            Some(n) => (Some(n.as_str()), &args[3..]),
            None => {
                eprintln!("{USAGE}");
                return 2;
            }
        }
    };
    let opts = match rows::Opts::parse(rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return 2;
        }
    };
    let r = match name {
        Some(n) => rows::run(n, &opts, true),
        None => rows::run_all(&opts),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// Peak resident set size of this process so far (VmHWM), in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One row of the throughput table.
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

/// Generates the dumps if needed, then runs `parse` and `import` on each, each in its own
/// process.
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
        let c = dump::generate(dir);
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
