//! Pulling a slice of `otel_traces` into the store: trace ids a page at a time (keyset paging
//! on (start, id), so every page is one cheap query and nothing is held but the page), then the
//! spans of that page, streamed row by row through the OTLP reader and the store's writer.
//!
//! Idempotent and resumable: the writer keeps a span once however often it is pulled, so an
//! interrupted pull is resumed by running it again (committed pages are kept; the rest is
//! fetched). Memory is one page of ids plus one row at a time, whatever the slice's size.

use super::client::{Client, as_i64};
use super::otel_rows::span_row_to_otlp;
use super::otel_sql::{PageKey, conditions, id_page, spans_of};
use super::{RemoteError, url::Schema};
use crate::filter::TraceFilter;
use crate::ingest::{IngestReport, otlp};
use crate::pricing::PriceBook;
use crate::store::{PreparedSpan, SourceOutcome, SourceRecord, Store};

/// Traces per page of ids (and per span query).
pub const PAGE_TRACES: u64 = 500;

/// What to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    pub filter: TraceFilter,
    pub limit_traces: Option<u64>,
}

/// Where a pull is, after each page.
#[derive(Debug, Clone, Default)]
pub struct PullProgress {
    pub traces: u64,
    pub spans: u64,
    pub spans_new: u64,
}

/// Pulls the traces matching `opts` from `client`'s source into `store`. The report is an
/// import report (the source's display form as its file, rows as its lines).
pub fn pull(
    store: &mut Store,
    client: &Client,
    opts: &PullOptions,
    on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<IngestReport, RemoteError> {
    match &client.source().schema {
        Schema::Otel { table } => pull_otel(store, client, table, opts, on_progress),
        Schema::Langfuse => super::langfuse::pull(store, client, opts, on_progress),
    }
}

fn pull_otel(
    store: &mut Store,
    client: &Client,
    table: &str,
    opts: &PullOptions,
    on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<IngestReport, RemoteError> {
    let display = client.source().display();
    let mut report = IngestReport::new(&display);
    report.format = format!("clickhouse {table}");
    if !client.has_table(table)? {
        return Err(RemoteError::Schema(format!(
            "{display}: no table '{table}' in database '{}'",
            client.source().database
        )));
    }
    let ts_name = format!("{table}_trace_id_ts");
    let ts_table = client.has_table(&ts_name)?.then_some(ts_name);
    let conds = conditions(&opts.filter)?;
    let source = SourceRecord {
        path: display.clone(),
        format: report.format.clone(),
        size: None,
        mtime_ns: None,
    };
    let book = PriceBook::active();
    let mut writer = store.begin_import(&source)?;
    let mut progress = PullProgress::default();
    let mut after: PageKey = None;
    let limit = opts.limit_traces.unwrap_or(u64::MAX);
    while progress.traces < limit {
        let want = PAGE_TRACES.min(limit - progress.traces);
        let sql = id_page(
            table,
            ts_table.as_deref(),
            &opts.filter,
            &conds,
            &after,
            want,
        );
        let mut ids = Vec::new();
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for row in client.rows(&sql)? {
            let id = row
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            let start = row.get("start_ns").and_then(as_i64).unwrap_or(0);
            let end = row.get("end_ns").and_then(as_i64).unwrap_or(start);
            lo = lo.min(start);
            hi = hi.max(end);
            after = Some((start, id.clone()));
            ids.push(id);
        }
        if ids.is_empty() {
            break;
        }
        let page = ids.len() as u64;
        client.for_each_row(&spans_of(table, &ids, lo, hi), |row| {
            report.lines += 1;
            progress.spans += 1;
            match otlp::read_line(&span_row_to_otlp(&row)) {
                Ok(read) => {
                    report.lines_ok += 1;
                    for p in read.problems {
                        report.span_problem(report.lines, p.span.map(|n| n as u64), p.reason);
                    }
                    for mut span in read.spans {
                        crate::import::finish_otlp_span(book, &mut span);
                        writer.write_prepared(&PreparedSpan::new(span)?)?;
                    }
                }
                Err(reason) => report.bad(report.lines, reason),
            }
            if writer.batch_full() {
                writer.commit_batch()?;
            }
            Ok(())
        })?;
        writer.commit_batch()?;
        progress.traces += page;
        progress.spans_new = writer.stats.spans_new;
        on_progress(&progress);
        if page < want {
            break;
        }
    }
    let stats = writer.finish(&SourceOutcome {
        lines: report.lines,
        lines_ok: report.lines_ok,
        lines_bad: report.bad_lines_total,
        errors_json: serde_json::to_string(&report.bad_lines).unwrap_or_default(),
    })?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    Ok(report)
}
