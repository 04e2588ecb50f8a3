//! OTLP/JSON lines: one reader thread cuts the file into chunks of whole lines, parser threads
//! (one per core, up to four) turn them into priced, prepared spans, and the calling thread
//! writes them in file order.

use super::{
    ImportError, ImportOptions, Progress, finish_report, io_reason, source_outcome, source_record,
};
use crate::ingest::lines::{Line, LineReader};
use crate::ingest::{IngestReport, langfuse, otlp};
use crate::model::Span;
use crate::pricing::{self, PriceBook};
use crate::store::{Dictionary, PreparedSpan, SpanEncoder, Store, StoreError};
use std::path::Path;
use std::sync::mpsc;

/// A chunk of parsed records sent from the parser thread to the writer.
enum Chunk {
    Spans(Vec<PreparedSpan>, u64),
    Bad(u64, String),
    /// A problem confined to one span (or the shared parts) of a line whose rest was read.
    SpanProblem(u64, Option<usize>, String),
}

const CHUNK_LINES: usize = 64;

/// Imports an OTLP/JSON lines file (`report` already names it and its format).
pub(super) fn import_lines(
    store: &mut Store,
    path: &Path,
    meta: &std::fs::Metadata,
    mut report: IngestReport,
    mut opts: ImportOptions<'_>,
) -> Result<IngestReport, ImportError> {
    let display = report.file.clone();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report.fatal = Some(io_reason(&e));
            return Ok(report);
        }
    };
    let source = source_record(path, &report.format, Some(meta));

    // Short queues: readers and parsers may run ahead of the writer by a few chunks, no more,
    // so memory stays flat however big the file is.
    let (tx, rx) = mpsc::sync_channel::<Parsed>(4);
    let (progress_tx, progress_rx) = mpsc::channel::<u64>();
    let strict = opts.strict;
    // Trained beside the import; the reader holds back all but the first megabytes until it
    // is ready (see `dictionary`).
    let mut dict = super::dictionary::ImportDictionary::for_import(store, path, meta.len());
    let workers = spawn_otlp_pipeline(file, tx, progress_tx, dict.slot()).map_err(|e| {
        ImportError::Store(StoreError::Other(format!(
            "cannot start import threads: {e}"
        )))
    })?;

    let mut writer = store.begin_import(&source)?;
    if strict {
        // One transaction for the whole file, so a bad line can roll everything back.
        writer.set_batch_size(usize::MAX);
    }
    let mut bytes_read = 0;
    let mut strict_failure: Option<String> = None;
    let mut write_error: Option<StoreError> = None;
    // Chunks come back from the parsers in any order; apply them in file order so that "the
    // last copy of a duplicated span wins" and bad lines are reported in order.
    // A chunk may come in parts (a huge line's spans, see `PART_SPANS`): its parts are written
    // as they come, and a batch is committed only once every part of a chunk is in.
    let mut pending: std::collections::BTreeMap<u64, Vec<Chunk>> =
        std::collections::BTreeMap::new();
    let mut complete = std::collections::BTreeSet::new();
    let mut next_seq = 0u64;
    'chunks: for parsed in rx.iter() {
        pending.entry(parsed.seq).or_default().extend(parsed.items);
        if parsed.last {
            complete.insert(parsed.seq);
        }
        loop {
            let items = pending.remove(&next_seq).unwrap_or_default();
            let done = complete.remove(&next_seq);
            for chunk in items {
                match chunk {
                    Chunk::Spans(spans, lines) => {
                        report.lines_ok += lines;
                        if let Err(e) = writer.write_all(spans) {
                            write_error = Some(e);
                            break 'chunks;
                        }
                    }
                    Chunk::Bad(line, reason) => {
                        report.bad(line, reason.clone());
                        if strict {
                            strict_failure = Some(format!("{display}:{line}: {reason}"));
                            break 'chunks;
                        }
                    }
                    Chunk::SpanProblem(line, span, reason) => {
                        report.span_problem(line, span.map(|n| n as u64), reason);
                        if strict {
                            strict_failure = report.bad_lines.last().map(ToString::to_string);
                            break 'chunks;
                        }
                    }
                }
            }
            if !done {
                break;
            }
            next_seq += 1;
            while let Ok(b) = progress_rx.try_recv() {
                bytes_read = b;
            }
            if writer.batch_full() {
                if let Err(e) = dict.save_if_trained(&writer, false) {
                    write_error = Some(e);
                    break 'chunks;
                }
                let touched = writer.commit_batch()?;
                if let Some(cb) = opts.on_progress.as_mut() {
                    cb(&Progress {
                        file: display.clone(),
                        bytes_read,
                        bytes_total: report.bytes,
                        spans: writer.stats.spans_new,
                        traces_new: writer.stats.traces_new,
                        touched,
                    });
                }
            }
        }
    }
    drop(rx);
    let mut lines = 0;
    for w in workers {
        lines = lines.max(w.join().unwrap_or(0));
    }
    report.lines = lines;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(msg) = strict_failure {
        writer.rollback()?;
        return Err(ImportError::Strict(msg));
    }
    dict.save_if_trained(&writer, true)?;
    let stats = writer.finish(&source_outcome(&report))?;
    finish_report(&mut report, &stats, &mut opts, display);
    Ok(report)
}

/// Raw lines handed from the reader to a parser.
struct RawChunk {
    seq: u64,
    lines: Vec<RawLine>,
}

enum RawLine {
    Data {
        number: u64,
        bytes: Vec<u8>,
        last_unterminated: bool,
    },
    TooLong {
        number: u64,
        len: usize,
    },
}

/// Parsed records of one raw chunk, in file order.
struct Parsed {
    seq: u64,
    items: Vec<Chunk>,
    /// Whether this is the chunk's last part.
    last: bool,
}

/// Prepared spans a parser holds before handing them to the writer as a part of their chunk:
/// a huge line then costs the line and a few parts in flight, not all of its spans.
const PART_SPANS: usize = 1024;

/// Bytes of raw lines per chunk handed to a parser.
const CHUNK_BYTES: usize = 1 << 20;

/// Starts the reader thread and the parser threads. Each returned handle yields the number of
/// lines read (only the reader's is non-zero). Parsing is the expensive part of an import, so
/// it gets every core the machine has (the writer mostly waits on SQLite I/O).
fn spawn_otlp_pipeline(
    file: std::fs::File,
    tx: mpsc::SyncSender<Parsed>,
    progress: mpsc::Sender<u64>,
    dict: super::dictionary::TrainedSlot,
) -> std::io::Result<Vec<std::thread::JoinHandle<u64>>> {
    let parsers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let (raw_tx, raw_rx) = mpsc::sync_channel::<RawChunk>(parsers * 2);
    let raw_rx = std::sync::Arc::new(std::sync::Mutex::new(raw_rx));
    let mut handles = Vec::new();
    let hold = dict.clone();
    handles.push(
        std::thread::Builder::new()
            .name("trawl-read".into())
            .spawn(move || {
                read_raw_lines(file, raw_tx, progress, || {
                    super::dictionary::wait_trained(&hold)
                })
            })?,
    );
    for i in 0..parsers {
        let rx = raw_rx.clone();
        let tx = tx.clone();
        let dict = dict.clone();
        handles.push(
            std::thread::Builder::new()
                .name(format!("trawl-parse-{i}"))
                .spawn(move || {
                    let book = PriceBook::active();
                    // One compressor per thread, the dictionary loaded once it is ready.
                    let encoder_for = |d: Option<&std::sync::Arc<Dictionary>>| {
                        SpanEncoder::new(d)
                            .map_err(|e| tracing::warn!("span compressor: {e}"))
                            .ok()
                    };
                    let current = super::dictionary::current;
                    let mut with_dict = current(&dict).is_some();
                    let mut encoder = encoder_for(current(&dict));
                    loop {
                        // Hold the lock only to take the next chunk.
                        let next = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => break,
                        };
                        let Ok(chunk) = next else { break };
                        // Looked at after the chunk arrived: the reader released it once the
                        // dictionary was trained, and this chunk should use it.
                        if !with_dict && let Some(d) = current(&dict) {
                            encoder = encoder_for(Some(d));
                            with_dict = true;
                        }
                        let seq = chunk.seq;
                        let send = |items, last| tx.send(Parsed { seq, items, last }).is_ok();
                        let items =
                            parse_raw_chunk(book, encoder.as_mut(), chunk.lines, &mut |part| {
                                send(part, false);
                            });
                        if !send(items, true) {
                            break;
                        }
                    }
                    0
                })?,
        );
    }
    Ok(handles)
}

/// The reader thread: cuts the file into chunks of whole lines. Returns the number of lines.
/// `hold` is called once the file's first [`HOLD_AFTER_BYTES`] are handed out (it waits for
/// the payload dictionary).
///
/// [`HOLD_AFTER_BYTES`]: super::dictionary::HOLD_AFTER_BYTES
fn read_raw_lines(
    file: std::fs::File,
    tx: mpsc::SyncSender<RawChunk>,
    progress: mpsc::Sender<u64>,
    mut hold: impl FnMut(),
) -> u64 {
    let mut handed_out = 0usize;
    let mut held = false;
    let mut reader = LineReader::new(file);
    let mut seq = 0u64;
    let mut lines = Vec::new();
    let mut bytes = 0usize;
    let mut count = 0;
    let mut send = |lines: &mut Vec<RawLine>, bytes: &mut usize, seq: &mut u64| -> bool {
        if !held && handed_out >= super::dictionary::HOLD_AFTER_BYTES {
            held = true;
            hold();
        }
        handed_out += *bytes;
        let chunk = RawChunk {
            seq: *seq,
            lines: std::mem::take(lines),
        };
        *seq += 1;
        *bytes = 0;
        tx.send(chunk).is_ok()
    };
    loop {
        match reader.next_line() {
            Ok(Some(Line::Data {
                number,
                bytes: b,
                last_unterminated,
            })) => {
                count = number;
                let len = b.len();
                bytes += len;
                // A big line changes hands instead of being copied (see `take_line`).
                let b = if len >= CHUNK_BYTES {
                    reader.take_line()
                } else {
                    b.to_vec()
                };
                lines.push(RawLine::Data {
                    number,
                    bytes: b,
                    last_unterminated,
                });
            }
            Ok(Some(Line::TooLong { number, len })) => {
                count = number;
                lines.push(RawLine::TooLong { number, len });
            }
            Ok(None) => break,
            Err(e) => {
                // Reported as a bad line after everything read so far.
                lines.push(RawLine::TooLong {
                    number: count + 1,
                    len: 0,
                });
                tracing::warn!("read error after line {count}: {e}");
                break;
            }
        }
        if (bytes >= CHUNK_BYTES || lines.len() >= CHUNK_LINES)
            && !send(&mut lines, &mut bytes, &mut seq)
        {
            return count;
        }
        let _ = progress.send(reader.bytes_read);
    }
    if !lines.is_empty() {
        send(&mut lines, &mut bytes, &mut seq);
    }
    let _ = progress.send(reader.bytes_read);
    count
}

/// Parses one chunk of lines: spans are priced and prepared for the writer here, off its thread.
fn parse_raw_chunk(
    book: &PriceBook,
    mut encoder: Option<&mut SpanEncoder>,
    lines: Vec<RawLine>,
    send_part: &mut dyn FnMut(Vec<Chunk>),
) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut batch: Vec<PreparedSpan> = Vec::new();
    let mut batch_lines = 0u64;
    let mut problems: Vec<otlp::SpanProblem> = Vec::new();
    for line in lines {
        let line_number = match &line {
            RawLine::Data { number, .. } | RawLine::TooLong { number, .. } => *number,
        };
        let bad = match line {
            RawLine::TooLong { number, len: 0 } => Some((number, "read error".to_string())),
            RawLine::TooLong { number, len } => Some((
                number,
                format!(
                    "line of {} skipped (over the {} limit)",
                    crate::sanitize::human_bytes(len as u64),
                    crate::sanitize::human_bytes(crate::ingest::lines::MAX_LINE_BYTES as u64)
                ),
            )),
            RawLine::Data {
                number,
                bytes,
                last_unterminated,
            } => {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    None
                } else {
                    // Each span is priced and encoded as soon as it is read, so a huge line
                    // holds its compact prepared spans, never all of its parsed ones at once.
                    let read = otlp::read_line_each(&bytes, |_, mut s| {
                        finish_otlp_span(book, &mut s);
                        let prepared = match encoder.as_deref_mut() {
                            Some(enc) => PreparedSpan::encoded(s, enc),
                            None => PreparedSpan::new(s),
                        };
                        match prepared {
                            Ok(p) => batch.push(p),
                            Err(e) => problems.push(otlp::SpanProblem {
                                span: None,
                                reason: format!("span could not be stored: {e}"),
                            }),
                        }
                        if batch.len() >= PART_SPANS {
                            let lines = std::mem::take(&mut batch_lines);
                            out.push(Chunk::Spans(std::mem::take(&mut batch), lines));
                            send_part(std::mem::take(&mut out));
                        }
                    });
                    drop(bytes);
                    match read {
                        Ok(read) => {
                            if read.problems.is_empty() || read.spans_read > 0 {
                                batch_lines += 1;
                            }
                            problems.extend(read.problems);
                            None
                        }
                        Err(reason) if last_unterminated => Some((
                            number,
                            format!("truncated last line (no newline at end of file): {reason}"),
                        )),
                        Err(reason) => Some((number, reason)),
                    }
                }
            }
        };
        if !problems.is_empty() {
            if !batch.is_empty() {
                out.push(Chunk::Spans(std::mem::take(&mut batch), batch_lines));
                batch_lines = 0;
            }
            out.extend(
                problems
                    .drain(..)
                    .map(|p| Chunk::SpanProblem(line_number, p.span, p.reason)),
            );
        }
        if let Some((n, reason)) = bad {
            if !batch.is_empty() {
                out.push(Chunk::Spans(std::mem::take(&mut batch), batch_lines));
                batch_lines = 0;
            }
            out.push(Chunk::Bad(n, reason));
        }
    }
    if !batch.is_empty() || batch_lines > 0 {
        out.push(Chunk::Spans(batch, batch_lines));
    }
    out
}

/// Tool-native post-passes and pricing for a span read from OTLP.
pub fn finish_otlp_span(book: &PriceBook, s: &mut Span) {
    // A cheap string test; only Langfuse SDK spans pay for the post-pass.
    if langfuse::is_langfuse_otel(s) {
        langfuse::apply_otel(s);
    }
    pricing::apply(book, s);
}

#[cfg(test)]
#[path = "parts_tests.rs"]
mod parts_tests;
