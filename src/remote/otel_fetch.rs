//! The fetching side of an `otel_traces` pull, run on its own thread so that waiting for
//! ClickHouse, parsing rows and preparing spans overlap with the store's writes (the writer is
//! the one thing that must stay on the caller's thread).
//!
//! Trace ids come a page at a time (keyset paging on (start, id): every page is one cheap query
//! and nothing is held but the page), then the spans of that page, streamed from the HTTP body
//! row by row. Each row becomes OTLP/JSON and goes through the dump reader
//! ([`super::otel_rows`]), then is prepared for the store. Prepared rows travel to the writer
//! in small chunks over a bounded channel, so at most [`CHANNEL_CHUNKS`] × [`CHUNK_ROWS`] rows
//! are in flight whatever the slice's size.

use super::client::{Client, as_i64};
use super::otel_rows::span_row_to_otlp;
use super::otel_sql::{PageKey, TraceConditions, id_page, spans_of};
use super::{PullOptions, RemoteError};
use crate::ingest::otlp;
use crate::pricing::PriceBook;
use crate::store::PreparedSpan;
use crate::store::text_index::SearchMatcher;
use std::sync::mpsc::SyncSender;

/// Traces per page of ids (and per span query).
pub const PAGE_TRACES: u64 = 500;
/// Rows per message to the writer.
const CHUNK_ROWS: usize = 256;
/// Messages waiting for the writer before the fetcher blocks.
pub(super) const CHANNEL_CHUNKS: usize = 8;

/// One row, read and prepared.
pub(super) enum Row {
    /// The row's spans, and the problems of spans the reader left out (by index in the row).
    Read {
        spans: Vec<PreparedSpan>,
        problems: Vec<(Option<u64>, String)>,
    },
    /// The row could not be read as a span.
    Bad(String),
}

/// What the fetcher sends to the writer.
pub(super) enum Message {
    Rows(Vec<Row>),
    /// All rows of a page of `traces` trace ids were sent.
    PageDone {
        traces: u64,
    },
    /// The fetch failed; nothing follows.
    Failed(RemoteError),
}

/// Where the slice is and how it is filtered.
pub(super) struct Slice<'a> {
    pub table: &'a str,
    pub ts_table: Option<&'a str>,
    pub opts: &'a PullOptions,
    pub conds: &'a TraceConditions,
}

/// Fetches every page of `slice` and sends its rows to `tx`. Returns when the slice is done, on
/// a failure (sent as [`Message::Failed`]), or when the writer hung up.
pub(super) fn fetch(client: &Client, slice: &Slice<'_>, tx: &SyncSender<Message>) {
    if let Err(e) = fetch_pages(client, slice, tx) {
        // The writer may be gone already (it failed first): then nobody needs the error.
        let _ = tx.send(Message::Failed(e));
    }
}

fn fetch_pages(
    client: &Client,
    slice: &Slice<'_>,
    tx: &SyncSender<Message>,
) -> Result<(), RemoteError> {
    let book = PriceBook::active();
    // ClickHouse can only pre-select candidates for a text search (any attribute containing the
    // words); the store's own index decides, page by page, so the pull keeps exactly the traces
    // the local search finds.
    let matcher =
        SearchMatcher::new(&slice.opts.filter).map_err(|e| RemoteError::Io(e.to_string()))?;
    let mut after: PageKey = None;
    let limit = slice.opts.limit_traces.unwrap_or(u64::MAX);
    let mut traces = 0u64;
    while traces < limit {
        let want = PAGE_TRACES.min(limit - traces);
        let sql = id_page(
            slice.table,
            slice.ts_table,
            &slice.opts.filter,
            slice.conds,
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
        if let Some(m) = &matcher {
            let rows = client
                .rows(&spans_of(slice.table, &ids, lo, hi))?
                .iter()
                .map(|row| prepare(book, row))
                .collect::<Result<Vec<Row>, RemoteError>>()?;
            let (rows, matched) = keep_matching(m, rows)?;
            for chunk in chunked(rows) {
                if tx.send(Message::Rows(chunk)).is_err() {
                    return Ok(());
                }
            }
            if tx.send(Message::PageDone { traces: matched }).is_err() {
                return Ok(());
            }
            // `--limit-traces` counts traces kept, not candidates.
            traces += matched;
            if page < want {
                break;
            }
            continue;
        }
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        let mut hung_up = false;
        let streamed = client.for_each_row(&spans_of(slice.table, &ids, lo, hi), |row| {
            chunk.push(prepare(book, &row)?);
            if chunk.len() >= CHUNK_ROWS {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                if tx.send(Message::Rows(full)).is_err() {
                    hung_up = true;
                    return Err(RemoteError::Io("the writer stopped".into()));
                }
            }
            Ok(())
        });
        if hung_up {
            return Ok(());
        }
        streamed?;
        if !chunk.is_empty() && tx.send(Message::Rows(chunk)).is_err() {
            return Ok(());
        }
        if tx.send(Message::PageDone { traces: page }).is_err() {
            return Ok(());
        }
        traces += page;
        if page < want {
            break;
        }
    }
    Ok(())
}

/// The rows of a page's traces that the search matches, and how many traces that is. Rows the
/// reader refused stay (their problems are reported whatever the search).
fn keep_matching(m: &SearchMatcher, rows: Vec<Row>) -> Result<(Vec<Row>, u64), RemoteError> {
    let texts = rows.iter().flat_map(|r| match r {
        Row::Read { spans, .. } => spans.iter().map(PreparedSpan::search_text).collect(),
        Row::Bad(_) => Vec::new(),
    });
    let keep = m
        .matching_traces(texts)
        .map_err(|e| RemoteError::Io(e.to_string()))?;
    let rows = rows
        .into_iter()
        .filter_map(|r| match r {
            Row::Read { spans, problems } => {
                let spans: Vec<PreparedSpan> = spans
                    .into_iter()
                    .filter(|s| keep.contains(s.search_text().0))
                    .collect();
                (!spans.is_empty() || !problems.is_empty()).then_some(Row::Read { spans, problems })
            }
            bad => Some(bad),
        })
        .collect();
    Ok((rows, keep.len() as u64))
}

fn chunked(rows: Vec<Row>) -> Vec<Vec<Row>> {
    let mut out = Vec::new();
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(CHUNK_ROWS).collect());
    }
    out
}

/// One `otel_traces` row → its spans, read like a dump line and prepared for the store. A row
/// the reader refuses is a bad line; a span the store cannot encode stops the pull.
fn prepare(book: &PriceBook, row: &serde_json::Value) -> Result<Row, RemoteError> {
    Ok(match otlp::read_line(&span_row_to_otlp(row)) {
        Ok(read) => {
            let problems = read
                .problems
                .into_iter()
                .map(|p| (p.span.map(|n| n as u64), p.reason))
                .collect();
            let mut spans = Vec::with_capacity(read.spans.len());
            for mut span in read.spans {
                crate::import::finish_otlp_span(book, &mut span);
                spans.push(PreparedSpan::new(span)?);
            }
            Row::Read { spans, problems }
        }
        Err(reason) => Row::Bad(reason),
    })
}
