//! One command per row of the speed table (issue 17): each generates its input if needed
//! (deterministic, kept in the data directory), runs every measurement `--runs` times in its
//! own process and prints a markdown row of medians, import rows with the typed parse of the
//! same file measured in the same run.
//!
//!   trawl-bench row import-llm   [--mb 300]
//!   trawl-bench row import-small [--mb 300]
//!   trawl-bench row import-grow  [--mb 1260] [--slices 4]
//!   trawl-bench row store-size   [--mb 300]
//!   trawl-bench row first-frame  [--mb 1200]
//!   trawl-bench row stats        [--spans 1000000]
//!   trawl-bench row show         [--spans 100000]
//!   trawl-bench row tui-open     [--spans 100000]
//!   trawl-bench row single-line  [--mb 200]
//!   trawl-bench rows             every row (sizes as above unless given; `--quick` = 30 MB inputs)
//!
//! Common options: `--runs N` (default 3), `--dir DIR` (default bench-data).

use crate::dump::{self, DumpSpec, Shape};
use crate::measure::{self, HEADER, Row, Sample, file_mb, median, median_of, median_rss};
use std::path::{Path, PathBuf};

pub const ROWS: &[&str] = &[
    "import-llm",
    "import-small",
    "import-grow",
    "store-size",
    "first-frame",
    "stats",
    "show",
    "tui-open",
    "single-line",
];

#[derive(Debug, Clone)]
pub struct Opts {
    pub runs: usize,
    pub dir: PathBuf,
    pub mb: Option<u64>,
    pub spans: Option<u64>,
    pub slices: usize,
    pub quick: bool,
}

impl Opts {
    pub fn parse(args: &[String]) -> Result<Opts, String> {
        let mut o = Opts {
            runs: 3,
            dir: PathBuf::from("bench-data"),
            mb: None,
            spans: None,
            slices: 4,
            quick: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
            let num = |v: &String| v.parse::<u64>().map_err(|e| format!("{a} {v}: {e}"));
            match a.as_str() {
                "--runs" => o.runs = num(val()?)?.max(1) as usize,
                "--dir" => o.dir = PathBuf::from(val()?),
                "--mb" => o.mb = Some(num(val()?)?),
                "--spans" => o.spans = Some(num(val()?)?),
                "--slices" => o.slices = num(val()?)?.max(1) as usize,
                "--quick" => o.quick = true,
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(o)
    }

    fn mb_or(&self, full: u64) -> u64 {
        self.mb.unwrap_or(if self.quick { 30 } else { full })
    }

    fn spans_or(&self, full: u64) -> u64 {
        self.spans
            .unwrap_or(if self.quick { full / 10 } else { full })
    }
}

/// Runs one row by name; prints the header first when `header` is set.
pub fn run(name: &str, o: &Opts, header: bool) -> Result<(), String> {
    if header {
        println!("{HEADER}");
    }
    match name {
        "import-llm" => import_row(
            o,
            Shape::Llm,
            "import, realistic LLM spans",
            "≥ 50% of typed",
        ),
        "import-small" => import_row(o, Shape::Small, "import, small spans", "≥ 50% of typed"),
        "import-grow" => grow_row(o),
        "store-size" => store_size_row(o),
        "first-frame" => first_frame_row(o),
        "stats" => stats_row(o),
        "show" => show_row(o),
        "tui-open" => tui_open_row(o),
        "single-line" => single_line_row(o),
        other => Err(format!("no row {other} (rows: {})", ROWS.join(", "))),
    }
}

pub fn run_all(o: &Opts) -> Result<(), String> {
    println!("{HEADER}");
    for name in ROWS {
        run(name, o, false)?;
    }
    Ok(())
}

fn dump_path(
    o: &Opts,
    shape: Shape,
    mb: u64,
    per_line: usize,
    seed: u64,
) -> Result<PathBuf, String> {
    let kind = match shape {
        Shape::Llm => "llm",
        Shape::Small => "small",
    };
    let lines = if per_line == usize::MAX {
        "-oneline"
    } else {
        ""
    };
    let path = o
        .dir
        .join(format!("{kind}-{mb}MB{lines}-s{seed}.otlp.jsonl"));
    let spec = DumpSpec {
        shape,
        max_bytes: mb * 1_000_000,
        spans_per_line: per_line,
        seed,
        first_trace: seed * 1_000_000_000,
    };
    dump::ensure(&path, &spec).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// A fresh store path in the data directory (not /tmp, which may be a small tmpfs).
fn fresh_db(o: &Opts, name: &str) -> PathBuf {
    let db = o.dir.join(format!("{name}.db"));
    remove_store(&db);
    db
}

fn remove_store(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// Typed parses of `file`, then imports into a fresh store, `runs` times each.
fn typed_and_imports(
    o: &Opts,
    file: &Path,
    db: &Path,
) -> Result<(Vec<Sample>, Vec<Sample>), String> {
    let typed = measure::repeat(o.runs, &["typed", s(file)])?;
    let mut imports = Vec::new();
    for _ in 0..o.runs {
        remove_store(db);
        imports.push(measure::child(&["import", s(file), s(db)])?);
    }
    Ok((typed, imports))
}

fn mb_s(mb: f64, samples: &[Sample]) -> f64 {
    median(samples.iter().map(|x| mb / (x.get("ms") / 1e3)).collect())
}

fn import_row(o: &Opts, shape: Shape, work: &str, goal: &str) -> Result<(), String> {
    let mb = o.mb_or(300);
    let file = dump_path(o, shape, mb, 512, 7)?;
    let db = fresh_db(o, "import");
    let (typed, imports) = typed_and_imports(o, &file, &db)?;
    let size = file_mb(&file);
    let spans = median_of(&imports, "spans");
    Row {
        work,
        input: format!("{size:.0} MB, {spans:.0} spans"),
        runs: o.runs,
        ms: Some(median_of(&imports, "ms")),
        mb_s: Some(mb_s(size, &imports)),
        typed_mb_s: Some(mb_s(size, &typed)),
        rss_mb: Some(median_rss(&imports)),
        result: format!("{:.0} B/span", size * 1e6 / spans),
        goal,
    }
    .print();
    remove_store(&db);
    Ok(())
}

/// Slices of small spans imported one after another into one store: MB/s of the first and
/// the last slice (flat means the cost per span does not grow with the store).
fn grow_row(o: &Opts) -> Result<(), String> {
    let mb = o.mb_or(1260);
    let per = (mb / o.slices as u64).max(1);
    let files: Vec<PathBuf> = (0..o.slices as u64)
        .map(|i| dump_path(o, Shape::Small, per, 512, 100 + i))
        .collect::<Result<_, _>>()?;
    let typed = measure::repeat(o.runs, &["typed", s(&files[0])])?;
    let db = fresh_db(o, "grow");
    // slice_rates[i] holds slice i's MB/s of every run.
    let mut slice_rates = vec![Vec::new(); files.len()];
    let (mut totals, mut rss, mut spans) = (Vec::new(), Vec::new(), 0.0);
    for _ in 0..o.runs {
        remove_store(&db);
        let mut total_ms = 0.0;
        spans = 0.0;
        for (i, f) in files.iter().enumerate() {
            let x = measure::child(&["import", s(f), s(&db)])?;
            total_ms += x.get("ms");
            spans += x.get("spans");
            slice_rates[i].push(file_mb(f) / (x.get("ms") / 1e3));
            rss.push(x.rss_mb);
        }
        totals.push(total_ms);
    }
    let total_mb: f64 = files.iter().map(|f| file_mb(f)).sum();
    let first = median(slice_rates[0].clone());
    let last = median(slice_rates[files.len() - 1].clone());
    let per_slice: Vec<String> = slice_rates
        .iter()
        .map(|r| format!("{:.1}", median(r.clone())))
        .collect();
    Row {
        work: "import, small spans, growing store",
        input: format!(
            "{total_mb:.0} MB in {} slices, {spans:.0} spans",
            files.len()
        ),
        runs: o.runs,
        ms: Some(median(totals.clone())),
        mb_s: Some(median(
            totals.iter().map(|ms| total_mb / (ms / 1e3)).collect(),
        )),
        typed_mb_s: Some(mb_s(file_mb(&files[0]), &typed)),
        rss_mb: Some(median(rss)),
        result: format!(
            "MB/s per slice {}: last/first = {:.2}",
            per_slice.join(" → "),
            last / first
        ),
        goal: "flat in store size (last/first ≈ 1)",
    }
    .print();
    remove_store(&db);
    Ok(())
}

/// Store bytes over input bytes after importing small spans, and where the bytes go.
fn store_size_row(o: &Opts) -> Result<(), String> {
    let mb = o.mb_or(300);
    let file = dump_path(o, Shape::Small, mb, 512, 7)?;
    let db = fresh_db(o, "size");
    let x = measure::child(&["import", s(&file), s(&db)])?;
    let store_mb = file_mb(&db);
    let size = file_mb(&file);
    let spans = x.get("spans");
    Row {
        work: "store size, small spans",
        input: format!("{size:.0} MB, {spans:.0} spans"),
        runs: 1,
        ms: None,
        mb_s: None,
        typed_mb_s: None,
        rss_mb: None,
        result: format!("store {store_mb:.0} MB = {:.2}× the input", store_mb / size),
        goal: "≤ 0.5× the input",
    }
    .print();
    let tables = table_bytes(&db).map_err(|e| e.to_string())?;
    let listed: Vec<String> = tables
        .iter()
        .map(|(name, bytes)| format!("{name} {:.0}", *bytes as f64 / spans))
        .collect();
    println!(
        "    bytes per span by table/index (dbstat): {}",
        listed.join(", ")
    );
    let columns = span_column_bytes(&db).map_err(|e| e.to_string())?;
    let listed: Vec<String> = columns
        .iter()
        .map(|(name, bytes)| format!("{name} {bytes:.0}"))
        .collect();
    println!(
        "    bytes per span of the spans row's text columns: {}",
        listed.join(", ")
    );
    remove_store(&db);
    Ok(())
}

/// Average stored bytes per span of the `spans` row's text columns, by purpose: where the
/// row's bytes go (the integers and the record header make up the rest). Columns a store's
/// schema lacks are left out (schema 8 keys traces by integer and stores no previews).
fn span_column_bytes(db: &Path) -> rusqlite::Result<Vec<(&'static str, f64)>> {
    let c = rusqlite::Connection::open(db)?;
    let present: std::collections::HashSet<String> = c
        .prepare("SELECT name FROM pragma_table_info('spans')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let groups: [(&str, &str); 6] = [
        ("ids", "trace_id, span_id, parent_id"),
        ("name/kind/status", "name, kind, status, cost_source"),
        ("previews", "preview_in, preview_out"),
        ("session/user/service", "session_id, user_id, service"),
        ("model/provider", "model, provider"),
        ("tags", "tags"),
    ];
    let mut out = Vec::new();
    for (name, cols) in groups {
        let sum = cols
            .split(", ")
            .filter(|col| present.contains(*col))
            .map(|col| format!("ifnull(length(CAST({col} AS BLOB)), 0)"))
            .collect::<Vec<_>>()
            .join(" + ");
        if sum.is_empty() {
            out.push((name, 0.0));
            continue;
        }
        let avg: Option<f64> =
            c.query_row(&format!("SELECT avg({sum}) FROM spans"), [], |r| r.get(0))?;
        out.push((name, avg.unwrap_or(0.0)));
    }
    Ok(out)
}

/// Bytes per table or index, largest first (FTS shadow tables listed on their own).
pub fn table_bytes(db: &Path) -> rusqlite::Result<Vec<(String, i64)>> {
    let c = rusqlite::Connection::open(db)?;
    let mut st = c.prepare(
        "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name HAVING bytes > 0 ORDER BY bytes DESC",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn first_frame_row(o: &Opts) -> Result<(), String> {
    let mb = o.mb_or(1200);
    let file = dump_path(o, Shape::Llm, mb, 512, 7)?;
    let db = o.dir.join("first-frame.db");
    let samples = measure::repeat(o.runs, &["first-frame", s(&file), s(&db)])?;
    remove_store(&db);
    let input = format!("{:.0} MB", file_mb(&file));
    timed_row(
        "first page of traces listed, fresh dump",
        input,
        o,
        &samples,
        "< 300 ms",
    )
    .print();
    Ok(())
}

fn stats_row(o: &Opts) -> Result<(), String> {
    let spans = o.spans_or(1_000_000);
    let traces = (spans as i64 / crate::stats::SPANS_PER_TRACE).max(1);
    let db = o.dir.join(format!("stats-{spans}.db"));
    if !db.exists() {
        std::fs::create_dir_all(&o.dir).map_err(|e| e.to_string())?;
        crate::stats::write_synthetic(&db, traces)?;
    }
    let samples = measure::repeat(o.runs, &["stats", s(&db)])?;
    let input = format!("{spans} spans, {traces} traces, 30 days (synthetic store)");
    Row {
        result: format!("{:.0} buckets", median_of(&samples, "buckets")),
        ..timed_row("`trawl stats --by day`", input, o, &samples, "< 300 ms")
    }
    .print();
    Ok(())
}

/// The store holding one trace of `spans` spans (trace id [`dump::BIG_TRACE_ID`]), made once.
fn big_trace_store(o: &Opts, spans: u64) -> Result<PathBuf, String> {
    let file = o.dir.join(format!("trace-{spans}.otlp.jsonl"));
    let db = o.dir.join(format!("trace-{spans}.db"));
    std::fs::create_dir_all(&o.dir).map_err(|e| e.to_string())?;
    if !file.exists() {
        dump::write_big_trace(&file, spans as usize).map_err(|e| e.to_string())?;
        remove_store(&db);
    }
    if !db.exists() {
        measure::child(&["import", s(&file), s(&db)])?;
    }
    Ok(db)
}

fn show_row(o: &Opts) -> Result<(), String> {
    let spans = o.spans_or(100_000);
    let db = big_trace_store(o, spans)?;
    let trace = dump::BIG_TRACE_ID.to_string();
    for (work, json) in [
        ("`show` of a big trace", false),
        ("`show --json` of a big trace", true),
    ] {
        let mut args = vec!["show", s(&db), trace.as_str()];
        if json {
            args.push("json");
        }
        let samples = measure::repeat(o.runs, &args)?;
        let input = format!("{spans} spans in one trace");
        timed_row(work, input, o, &samples, "< 500 ms, < 150 MB").print();
    }
    Ok(())
}

/// The TUI opening a big trace (headless, 160x48): time to the trace's first frame, then to
/// the selected span's detail, and the process's peak RSS.
fn tui_open_row(o: &Opts) -> Result<(), String> {
    let spans = o.spans_or(100_000);
    let db = big_trace_store(o, spans)?;
    let samples = measure::repeat(o.runs, &["tui-open", s(&db)])?;
    let input = format!("{spans} spans in one trace");
    Row {
        result: format!(
            "span detail {:.0} ms after",
            median_of(&samples, "detail_ms")
        ),
        ..timed_row(
            "TUI opening a big trace",
            input,
            o,
            &samples,
            "< 500 ms, < 150 MB",
        )
    }
    .print();
    Ok(())
}

/// A row of a command timed on its own (no throughput, no typed parse): its median time and
/// peak RSS over the runs.
fn timed_row<'a>(
    work: &'a str,
    input: String,
    o: &Opts,
    samples: &[Sample],
    goal: &'a str,
) -> Row<'a> {
    Row {
        work,
        input,
        runs: o.runs,
        ms: Some(median_of(samples, "ms")),
        mb_s: None,
        typed_mb_s: None,
        rss_mb: Some(median_rss(samples)),
        result: String::new(),
        goal,
    }
}

fn single_line_row(o: &Opts) -> Result<(), String> {
    let mb = o.mb_or(200);
    let file = dump_path(o, Shape::Llm, mb, usize::MAX, 7)?;
    let db = fresh_db(o, "oneline");
    let (typed, imports) = typed_and_imports(o, &file, &db)?;
    let size = file_mb(&file);
    let rss = median_rss(&imports);
    Row {
        work: "import of a single line",
        input: format!("{size:.0} MB line"),
        runs: o.runs,
        ms: Some(median_of(&imports, "ms")),
        mb_s: Some(mb_s(size, &imports)),
        typed_mb_s: Some(mb_s(size, &typed)),
        rss_mb: Some(rss),
        result: format!(
            "RSS = {:.1}× the line (typed parse {:.0} MB)",
            rss / size,
            median_rss(&typed)
        ),
        goal: "RSS < 4× the line",
    }
    .print();
    remove_store(&db);
    Ok(())
}
