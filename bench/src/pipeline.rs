//! The import pipeline phase by phase: the bare serde_json ceiling, the parser thread's work
//! alone, the whole import into a fresh store, and an import into a store that is kept.

use crate::report;
use std::path::Path;
use std::time::Instant;

pub fn parse_only(path: &Path) -> i32 {
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
pub fn prepare_only(path: &Path) -> i32 {
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

pub fn import(path: &Path) -> i32 {
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
pub fn build_store(dump: &Path, db: &Path) -> i32 {
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
