//! One measurement per process (`trawl-bench child PHASE ...`): each prints a single
//! `RESULT k=v ...` line that the row commands collect, with the process's peak RSS.

use crate::measure::emit;
use crate::typed;
use std::path::Path;
use std::time::Instant;
use trawl::ingest::lines::{Line, LineReader};

pub fn run(args: &[String]) -> i32 {
    let a = |i: usize| args.get(i).map(String::as_str);
    let r = match (a(0), a(1), a(2), a(3)) {
        (Some("typed"), Some(file), _, _) => parse(Path::new(file), Parser::Typed),
        (Some("value"), Some(file), _, _) => parse(Path::new(file), Parser::Value),
        (Some("import"), Some(file), Some(db), _) => import(Path::new(file), Path::new(db)),
        (Some("first-frame"), Some(file), Some(db), _) => {
            first_frame(Path::new(file), Path::new(db))
        }
        (Some("stats"), Some(db), _, _) => stats(Path::new(db)),
        (Some("tui-open"), Some(db), _, _) => crate::tui::open_first_trace(Path::new(db)),
        (Some("show"), Some(db), Some(trace), json) => show(db, trace, json == Some("json")),
        _ => Err(format!("unknown child phase {args:?}")),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

#[derive(Clone, Copy)]
enum Parser {
    Typed,
    Value,
}

/// Reads `file` line by line (trawl's own line reader, as the import does) and parses each
/// line, nothing else.
fn parse(file: &Path, parser: Parser) -> Result<(), String> {
    let t0 = Instant::now();
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    // No line limit: the single-line benchmark parses a 200 MB line.
    let mut reader = LineReader::with_limit(f, usize::MAX);
    let (mut spans, mut bad) = (0u64, 0u64);
    while let Some(line) = reader.next_line().map_err(|e| e.to_string())? {
        if let Line::Data { bytes, .. } = line {
            let n = match parser {
                Parser::Typed => typed::count_spans(bytes),
                Parser::Value => value_spans(bytes),
            };
            match n {
                Some(n) => spans += n,
                None => bad += 1,
            }
        }
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    emit(&[("ms", ms), ("spans", spans as f64), ("bad", bad as f64)]);
    Ok(())
}

fn value_spans(bytes: &[u8]) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut spans = 0;
    for rs in v["resourceSpans"].as_array().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            spans += ss["spans"].as_array().map_or(0, |a| a.len() as u64);
        }
    }
    Some(spans)
}

/// Imports `file` into the store at `db` (created if missing, grown if not). The time includes
/// opening the store and closing it (the final WAL checkpoint is part of an import's cost).
fn import(file: &Path, db: &Path) -> Result<(), String> {
    let t0 = Instant::now();
    let mut store = trawl::store::Store::open(db).map_err(|e| e.to_string())?;
    let before = store.totals().map_err(|e| e.to_string())?.1;
    let rep = trawl::import::import_file(&mut store, file, Default::default())
        .map_err(|e| e.to_string())?;
    drop(store);
    if let Some(f) = rep.fatal {
        return Err(f);
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    emit(&[
        ("ms", ms),
        ("spans", rep.spans_new as f64),
        ("spans_before", before as f64),
        ("bad", rep.bad_lines_total as f64),
    ]);
    Ok(())
}

/// Time from the start of a fresh file's import to the first page of traces a reader can
/// list (what the TUI shows once its first batch lands). Exits without finishing the import.
fn first_frame(file: &Path, db: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(db);
    let t0 = Instant::now();
    let mut store = trawl::store::Store::open(db).map_err(|e| e.to_string())?;
    let mut on_progress = |_: &trawl::import::Progress| {
        let Ok((reader, _)) = trawl::store::Store::open_for_reading(db) else {
            return;
        };
        let page = reader.list_traces(
            &trawl::store::TraceFilter::default(),
            trawl::store::SortKey::Start,
            true,
            60,
            0,
        );
        if matches!(page, Ok(p) if !p.is_empty()) {
            emit(&[("ms", t0.elapsed().as_secs_f64() * 1e3)]);
            // The rest of the import is not what this measures.
            std::process::exit(0);
        }
    };
    let opts = trawl::import::ImportOptions {
        on_progress: Some(&mut on_progress),
        ..Default::default()
    };
    trawl::import::import_file(&mut store, file, opts).map_err(|e| e.to_string())?;
    Err("the import ended before any traces were listed".into())
}

fn stats(db: &Path) -> Result<(), String> {
    let store = trawl::store::Store::open(db).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let b = crate::stats::by_day(&store)?;
    emit(&[
        ("ms", t0.elapsed().as_secs_f64() * 1e3),
        ("buckets", b as f64),
    ]);
    Ok(())
}

/// `trawl show TRACE [--json]` through the CLI's own code, its output going to the parent's
/// /dev/null.
fn show(db: &str, trace: &str, json: bool) -> Result<(), String> {
    use clap::{CommandFactory, FromArgMatches};
    let mut argv = vec!["trawl", "--store", db, "show", trace];
    if json {
        argv.push("--json");
    }
    let t0 = Instant::now();
    let m = trawl::cli::Cli::command()
        .try_get_matches_from(argv)
        .map_err(|e| e.to_string())?;
    let cli = trawl::cli::Cli::from_arg_matches(&m).map_err(|e| e.to_string())?;
    let cfg = trawl::config::Config::from_process(&trawl::cli::overrides(&cli, &m))
        .map_err(|e| e.to_string())?;
    let cmd = cli.command.ok_or("no command")?;
    let code = trawl::cli::run(cmd, &cfg).map_err(|e| e.to_string())?;
    if code != 0 {
        return Err(format!("show exited {code}"));
    }
    emit(&[("ms", t0.elapsed().as_secs_f64() * 1e3)]);
    Ok(())
}
