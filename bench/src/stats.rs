//! `trawl stats --by day` speed: on any store, and on a synthetic 1M-span store written
//! directly in SQL (recursive CTEs) — only the columns the metrics read matter there, and
//! generating 1M spans this way takes seconds rather than an import's minutes. The statistics
//! cells an import keeps are then built from those rows ([`Store::rebuild_stats_cells`]).

use crate::peak_rss_mb;
use chrono::FixedOffset;
use std::path::{Path, PathBuf};
use std::time::Instant;
use trawl::metrics::{Bucket, GroupBy, compute_stats};
use trawl::store::{Store, TraceFilter};

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("zero is a valid offset"))
}

/// `trawl stats --by day` over the whole store at `db`.
pub fn run(db: &Path) -> i32 {
    let Ok(store) = Store::open(db) else {
        eprintln!("{}: cannot open", db.display());
        return 1;
    };
    let (traces, spans) = store.totals().unwrap_or((0, 0));
    let t0 = Instant::now();
    match compute_stats(&store, &TraceFilter::default(), Bucket::Day, None, utc()) {
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

const TRACES: i64 = 200_000;
pub const SPANS_PER_TRACE: i64 = 5;
/// 2026-10-01T00:00:00Z
const T0: i64 = 1_790_812_800_000_000_000;
const DAYS: i64 = 30;

/// Writes a fresh synthetic store (200k traces, 1M spans over 30 days) at `db` (default: the
/// temp dir), then times `compute_stats` by day, by day and tag, by day and model.
pub fn synthetic(db: Option<&Path>) -> i32 {
    let path = db.map_or_else(
        || std::env::temp_dir().join("trawl-stats-bench.db"),
        PathBuf::from,
    );
    let _ = std::fs::remove_file(&path);
    // trawl creates the schema; the rows are then written around it, straight into SQLite.
    if let Err(e) = Store::open(&path) {
        eprintln!("{}: {e}", path.display());
        return 1;
    }
    let t = Instant::now();
    if let Err(e) = populate(&path, TRACES) {
        eprintln!("{}: {e}", path.display());
        return 1;
    }
    let Ok(store) = Store::open(&path) else {
        eprintln!("{}: cannot open", path.display());
        return 1;
    };
    if let Err(e) = store.recount_totals() {
        eprintln!("{}: {e}", path.display());
        return 1;
    }
    if let Err(e) = store.rebuild_stats_cells() {
        eprintln!("{}: {e}", path.display());
        return 1;
    }
    let (traces, spans) = store.totals().unwrap_or((0, 0));
    println!(
        "populated {traces} traces, {spans} spans in {:?} at {}",
        t.elapsed(),
        path.display()
    );
    for (label, group) in [
        ("by day", None),
        ("by day, group by tag", Some(GroupBy::Tag)),
        ("by day, group by model", Some(GroupBy::Model)),
    ] {
        let t = Instant::now();
        match compute_stats(&store, &TraceFilter::default(), Bucket::Day, group, utc()) {
            Ok(b) if b.len() >= DAYS as usize => println!(
                "compute_stats {label}: {} buckets in {:?}",
                b.len(),
                t.elapsed()
            ),
            Ok(b) => {
                eprintln!(
                    "compute_stats {label}: {} buckets, expected {DAYS}",
                    b.len()
                );
                return 1;
            }
            Err(e) => {
                eprintln!("compute_stats {label}: {e}");
                return 1;
            }
        }
    }
    0
}

/// `trawl stats --by day` over the whole store, in UTC; returns the number of buckets.
pub fn by_day(store: &Store) -> Result<usize, String> {
    compute_stats(store, &TraceFilter::default(), Bucket::Day, None, utc())
        .map(|b| b.len())
        .map_err(|e| e.to_string())
}

/// Writes a fresh synthetic store of `traces` traces (five spans each, over 30 days) at `path`.
pub fn write_synthetic(path: &Path, traces: i64) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    Store::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    populate(path, traces).map_err(|e| format!("{}: {e}", path.display()))?;
    // Written around trawl's writer, so the statistics cells an import keeps are built here.
    let t = Instant::now();
    let store = Store::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cells = store
        .rebuild_stats_cells()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "{cells} statistics cells in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn populate(path: &Path, traces: i64) -> rusqlite::Result<()> {
    let c = rusqlite::Connection::open(path)?;
    c.execute_batch("BEGIN")?;
    c.execute(
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {traces})
             INSERT INTO traces(tkey, trace_id, start_ns, end_ns, duration_ns, name, user_id, service, models, tags,
               span_count, error_count, llm_calls, input_tokens, output_tokens, total_tokens, cache_read_tokens,
               reasoning_tokens, cost_usd, cost_known_usd, unknown_cost_spans, status, missing_parents)
             SELECT i + 1, printf('%032x', i), {T0} + i * ({DAYS} * 86400000000000 / {traces}),
                    {T0} + i * ({DAYS} * 86400000000000 / {traces}) + (abs(random()) % 5000000000),
                    abs(random()) % 5000000000, 'feature-' || (i % 7), 'user-' || (i % 500), 'bot',
                    '[\"gpt-4o\"]', '[\"t' || (i % 5) || '\"]', {SPANS_PER_TRACE}, 0, 2, 100, 50, 150, 0, 0,
                    CASE WHEN i % 50 = 0 THEN NULL ELSE 0.001 END, 0.001, CASE WHEN i % 50 = 0 THEN 1 ELSE 0 END,
                    CASE WHEN i % 40 = 0 THEN 'error' ELSE 'ok' END, 0
             FROM n"
        ),
        [],
    )?;
    c.execute(
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {})
             INSERT INTO spans(trace_key, span_id, name, kind, start_ns, end_ns, status, model, ttft_ns, hash)
             SELECT i / {SPANS_PER_TRACE} + 1, printf('%016x', i), 'span',
                    CASE WHEN i % {SPANS_PER_TRACE} IN (1, 3) THEN 'llm' ELSE 'chain' END,
                    {T0} + (i / {SPANS_PER_TRACE}) * ({DAYS} * 86400000000000 / {traces}),
                    {T0} + (i / {SPANS_PER_TRACE}) * ({DAYS} * 86400000000000 / {traces}) + (abs(random()) % 3000000000),
                    'ok', 'gpt-4o',
                    CASE WHEN i % {SPANS_PER_TRACE} = 1 THEN abs(random()) % 900000000 END, 0
             FROM n",
            traces * SPANS_PER_TRACE
        ),
        [],
    )?;
    c.execute_batch(
        "INSERT INTO trace_models(tkey, model) SELECT tkey, 'gpt-4o' FROM traces;
         INSERT INTO trace_tags(tkey, tag) SELECT tkey, json_extract(tags, '$[0]') FROM traces;",
    )?;
    c.execute(
        &format!(
            "INSERT INTO scores(trace_id, name, verdict, source, cost_usd, created_at_ns)
             SELECT trace_id, 'grounded', CASE abs(random()) % 10 WHEN 0 THEN 'false' WHEN 1 THEN 'na' ELSE 'true' END,
                    'judge', 0.0002, {T0}
             FROM traces WHERE abs(random()) % 2 = 0"
        ),
        [],
    )?;
    c.execute_batch("COMMIT; ANALYZE;")?;
    Ok(())
}
