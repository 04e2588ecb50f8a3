//! Import orchestration: detect the format, stream records through the adapter on one thread
//! while the store writes on another, report bad lines as `file:line: reason`, and keep going.

use crate::ingest::lines::{Line, LineReader};
use crate::ingest::{
    Format, Imported, IngestReport, console, detect::SUPPORTED, detect_format, langfuse, langsmith,
    llm_logs, otlp, phoenix,
};
use crate::model::Span;
use crate::pricing::{self, PriceBook};
use crate::store::{PreparedSpan, SourceOutcome, SourceRecord, Store, StoreError};
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Strict(String),
}

/// Progress reported after each committed batch.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub file: String,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub spans: u64,
    pub traces_new: u64,
    /// Traces whose roll-ups changed in the batch just committed.
    pub touched: Vec<String>,
}

#[derive(Default)]
pub struct ImportOptions<'a> {
    /// Stop at the first bad line and roll the file's import back.
    pub strict: bool,
    /// Skip detection.
    pub format: Option<Format>,
    pub on_progress: Option<&'a mut dyn FnMut(&Progress)>,
}

/// A chunk of parsed records sent from the parser thread to the writer.
enum Chunk {
    Spans(Vec<PreparedSpan>, u64),
    Bad(u64, String),
}

const CHUNK_LINES: usize = 64;

/// Imports one file. File-level problems (missing, unreadable, wrong format) are returned in
/// `report.fatal`, not as errors, so a multi-file import goes on; store errors are errors.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    mut opts: ImportOptions<'_>,
) -> Result<IngestReport, ImportError> {
    let display = path.display().to_string();
    let mut report = IngestReport::new(&display);
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            report.fatal = Some("is a directory; name the trace files inside it".into());
            return Ok(report);
        }
        Ok(m) => m,
        Err(e) => {
            report.fatal = Some(io_reason(&e));
            return Ok(report);
        }
    };
    report.bytes = meta.len();
    let format = match opts.format.clone() {
        Some(f) => f,
        None => match detect_format(path) {
            Ok(f) => f,
            Err(e) => {
                report.fatal = Some(io_reason(&e));
                return Ok(report);
            }
        },
    };
    report.format = format.name().to_string();
    match format {
        Format::OtlpJson => {}
        Format::Langfuse
        | Format::LangSmith
        | Format::Phoenix
        | Format::LlmLogs
        | Format::Console => {
            return import_whole(store, path, &format, &meta, report, opts);
        }
        Format::Empty => {
            report.fatal = Some("empty file, no traces".into());
            return Ok(report);
        }
        Format::TrawlStore => {
            report.fatal =
                Some("this is a trawl store; open it with --store instead of importing it".into());
            return Ok(report);
        }
        Format::OtherSqlite(what) => {
            report.fatal = Some(format!(
                "SQLite database ({what}) that trawl cannot import yet; trawl reads {SUPPORTED}"
            ));
            return Ok(report);
        }
        Format::Unknown(what) => {
            report.fatal = Some(format!(
                "unrecognised format ({what}); trawl reads {SUPPORTED}"
            ));
            return Ok(report);
        }
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report.fatal = Some(io_reason(&e));
            return Ok(report);
        }
    };
    let source = SourceRecord {
        path: std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or(display.clone()),
        format: report.format.clone(),
        size: Some(meta.len()),
        mtime_ns: mtime_ns(&meta),
    };

    // Short queues: readers and parsers may run ahead of the writer by a few chunks, no more,
    // so memory stays flat however big the file is.
    let (tx, rx) = mpsc::sync_channel::<Parsed>(4);
    let (progress_tx, progress_rx) = mpsc::channel::<u64>();
    let strict = opts.strict;
    let workers = spawn_otlp_pipeline(file, tx, progress_tx).map_err(|e| {
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
    let mut pending: std::collections::BTreeMap<u64, Vec<Chunk>> =
        std::collections::BTreeMap::new();
    let mut next_seq = 0u64;
    'chunks: for parsed in rx.iter() {
        pending.insert(parsed.seq, parsed.items);
        while let Some(items) = pending.remove(&next_seq) {
            next_seq += 1;
            for chunk in items {
                match chunk {
                    Chunk::Spans(spans, lines) => {
                        report.lines_ok += lines;
                        for s in &spans {
                            if let Err(e) = writer.write_prepared(s) {
                                write_error = Some(e);
                                break 'chunks;
                            }
                        }
                    }
                    Chunk::Bad(line, reason) => {
                        report.bad(line, reason.clone());
                        if strict {
                            strict_failure = Some(format!("{display}:{line}: {reason}"));
                            break 'chunks;
                        }
                    }
                }
            }
            while let Ok(b) = progress_rx.try_recv() {
                bytes_read = b;
            }
            if writer.batch_full() {
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
    let stats = writer.finish(&source_outcome(&report))?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    if let Some(cb) = opts.on_progress.as_mut() {
        cb(&Progress {
            file: display.clone(),
            bytes_read: report.bytes,
            bytes_total: report.bytes,
            spans: stats.spans_new,
            traces_new: stats.traces_new,
            touched: Vec::new(),
        });
    }
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
}

/// Bytes of raw lines per chunk handed to a parser.
const CHUNK_BYTES: usize = 1 << 20;

/// Starts the reader thread and the parser threads. Each returned handle yields the number of
/// lines read (only the reader's is non-zero). Parsing is the expensive part of an import, so
/// it gets every core the machine has (the writer mostly waits on SQLite I/O).
fn spawn_otlp_pipeline(
    file: std::fs::File,
    tx: mpsc::SyncSender<Parsed>,
    progress: mpsc::Sender<u64>,
) -> std::io::Result<Vec<std::thread::JoinHandle<u64>>> {
    let parsers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let (raw_tx, raw_rx) = mpsc::sync_channel::<RawChunk>(parsers * 2);
    let raw_rx = std::sync::Arc::new(std::sync::Mutex::new(raw_rx));
    let mut handles = Vec::new();
    handles.push(
        std::thread::Builder::new()
            .name("trawl-read".into())
            .spawn(move || read_raw_lines(file, raw_tx, progress))?,
    );
    for i in 0..parsers {
        let rx = raw_rx.clone();
        let tx = tx.clone();
        handles.push(
            std::thread::Builder::new()
                .name(format!("trawl-parse-{i}"))
                .spawn(move || {
                    let book = PriceBook::embedded();
                    loop {
                        // Hold the lock only to take the next chunk.
                        let next = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => break,
                        };
                        let Ok(chunk) = next else { break };
                        let parsed = Parsed {
                            seq: chunk.seq,
                            items: parse_raw_chunk(book, chunk.lines),
                        };
                        if tx.send(parsed).is_err() {
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
fn read_raw_lines(
    file: std::fs::File,
    tx: mpsc::SyncSender<RawChunk>,
    progress: mpsc::Sender<u64>,
) -> u64 {
    let mut reader = LineReader::new(file);
    let mut seq = 0u64;
    let mut lines = Vec::new();
    let mut bytes = 0usize;
    let mut count = 0;
    let send = |lines: &mut Vec<RawLine>, bytes: &mut usize, seq: &mut u64| -> bool {
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
                bytes += b.len();
                lines.push(RawLine::Data {
                    number,
                    bytes: b.to_vec(),
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
fn parse_raw_chunk(book: &PriceBook, lines: Vec<RawLine>) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut batch: Vec<PreparedSpan> = Vec::new();
    let mut batch_lines = 0u64;
    for line in lines {
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
                    match otlp::parse_line(&bytes) {
                        Ok(spans) => {
                            let mut failed = None;
                            for mut s in spans {
                                finish_otlp_span(book, &mut s);
                                match PreparedSpan::new(s) {
                                    Ok(p) => batch.push(p),
                                    Err(e) => failed = Some(e.to_string()),
                                }
                            }
                            batch_lines += 1;
                            failed.map(|e| (number, format!("span could not be stored: {e}")))
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
fn finish_otlp_span(book: &PriceBook, s: &mut Span) {
    // A cheap string test; only Langfuse SDK spans pay for the post-pass.
    if langfuse::is_langfuse_otel(s) {
        langfuse::apply_otel(s);
    }
    pricing::apply(book, s);
}

/// Whole-file formats (exports and databases): the adapter builds every span, which then goes
/// through the same writer as OTLP, followed by the source's scores.
fn import_whole(
    store: &mut Store,
    path: &Path,
    format: &Format,
    meta: &std::fs::Metadata,
    mut report: IngestReport,
    mut opts: ImportOptions<'_>,
) -> Result<IngestReport, ImportError> {
    let display = report.file.clone();
    let read_bytes = || std::fs::read(path).map_err(|e| io_reason(&e));
    let parsed: Result<Imported, String> = match format {
        Format::Langfuse => read_bytes().map(|b| langfuse::parse(&b)),
        Format::LangSmith => read_bytes().map(|b| langsmith::parse(&b)),
        Format::Console => read_bytes().map(|b| console::parse(&b)),
        Format::Phoenix => phoenix::read(path),
        Format::LlmLogs => llm_logs::read(path),
        _ => Err(format!("{} is not a whole-file format", format.name())),
    };
    let imported = match parsed {
        Ok(i) => i,
        Err(reason) => {
            report.fatal = Some(reason);
            return Ok(report);
        }
    };
    report.lines = imported.records;
    let bad_records = imported.bad.iter().filter(|(n, _)| *n > 0).count() as u64;
    report.lines_ok = if imported.spans.is_empty() {
        0
    } else {
        imported.records.saturating_sub(bad_records).max(1)
    };
    for (n, reason) in imported.bad {
        report.bad(n, reason);
    }
    if opts.strict
        && let Some(b) = report.bad_lines.first()
    {
        return Err(ImportError::Strict(b.to_string()));
    }
    if imported.spans.is_empty() && imported.scores.is_empty() {
        if report.bad_lines_total == 0 {
            report.fatal = Some(format!("no traces found in this {} source", format.name()));
        }
        return Ok(report);
    }
    let source = SourceRecord {
        path: std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or(display.clone()),
        format: report.format.clone(),
        size: Some(meta.len()),
        mtime_ns: mtime_ns(meta),
    };
    let book = PriceBook::embedded();
    let total = imported.spans.len() as u64;
    let mut writer = store.begin_import(&source)?;
    for (i, mut span) in imported.spans.into_iter().enumerate() {
        pricing::apply(book, &mut span);
        let prepared = PreparedSpan::new(span)?;
        writer.write_prepared(&prepared)?;
        if writer.batch_full() {
            let touched = writer.commit_batch()?;
            if let Some(cb) = opts.on_progress.as_mut() {
                cb(&Progress {
                    file: display.clone(),
                    bytes_read: report.bytes * (i as u64 + 1) / total.max(1),
                    bytes_total: report.bytes,
                    spans: writer.stats.spans_new,
                    traces_new: writer.stats.traces_new,
                    touched,
                });
            }
        }
    }
    let stats = writer.finish(&source_outcome(&report))?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    insert_imported_scores(store, &imported.scores)?;
    if let Some(cb) = opts.on_progress.as_mut() {
        cb(&Progress {
            file: display,
            bytes_read: report.bytes,
            bytes_total: report.bytes,
            spans: stats.spans_new,
            traces_new: stats.traces_new,
            touched: Vec::new(),
        });
    }
    Ok(report)
}

/// Stores a source's evaluations as imported scores, once: a score whose cache key (the
/// source's own score id) is already stored is skipped, so re-importing adds nothing.
fn insert_imported_scores(
    store: &mut Store,
    scores: &[crate::model::Score],
) -> Result<(), ImportError> {
    if scores.is_empty() {
        return Ok(());
    }
    store.transaction(|store| -> Result<(), ImportError> {
        for s in scores {
            if let Some(k) = &s.cache_key
                && store.score_by_cache_key(k)?.is_some()
            {
                continue;
            }
            store.insert_score(s)?;
        }
        Ok(())
    })
}

/// How often a followed file is checked for new bytes.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// Bytes read per step while catching up, so commits (and the TUI) keep pace.
const FOLLOW_CHUNK: usize = 1 << 20;

/// The file being tailed: its handle, identity and the bytes of a line still being written.
struct Tail {
    path: std::path::PathBuf,
    file: Option<std::fs::File>,
    id: Option<u64>,
    offset: u64,
    pending: Vec<u8>,
    line: u64,
    buf: Vec<u8>,
}

/// What a poll found.
enum TailEvent {
    Data,
    /// The file was replaced or truncated: reading restarts at its beginning.
    Restarted {
        partial_lost: bool,
    },
    Idle,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(m.ino() ^ m.dev().rotate_left(32))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<u64> {
    None
}

impl Tail {
    fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_path_buf(),
            file: None,
            id: None,
            offset: 0,
            pending: Vec::new(),
            line: 0,
            buf: vec![0; FOLLOW_CHUNK],
        }
    }

    fn open(&mut self) -> std::io::Result<bool> {
        match std::fs::File::open(&self.path) {
            Ok(f) => {
                self.id = f.metadata().ok().as_ref().and_then(file_id);
                self.file = Some(f);
                self.offset = 0;
                self.line = 0;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn poll(&mut self) -> std::io::Result<TailEvent> {
        if self.file.is_none() && !self.open()? {
            return Ok(TailEvent::Idle);
        }
        let Some(f) = self.file.as_mut() else {
            return Ok(TailEvent::Idle);
        };
        // Drain the handle first: after a rename the old file may still have unread lines.
        let n = f.read(&mut self.buf)?;
        if n > 0 {
            self.offset += n as u64;
            self.pending.extend_from_slice(&self.buf[..n]);
            return Ok(TailEvent::Data);
        }
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Rotated away and not recreated yet: keep the old handle and wait.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TailEvent::Idle),
            Err(e) => return Err(e),
        };
        let replaced = matches!((file_id(&meta), self.id), (Some(a), Some(b)) if a != b);
        let truncated = meta.len() < self.offset;
        if replaced || truncated {
            let partial_lost = !self.pending.is_empty();
            self.pending.clear();
            if replaced {
                self.file = None;
                self.open()?;
            } else if let Some(f) = self.file.as_mut() {
                f.seek(std::io::SeekFrom::Start(0))?;
                self.offset = 0;
                self.line = 0;
            }
            return Ok(TailEvent::Restarted { partial_lost });
        }
        Ok(TailEvent::Idle)
    }

    /// Complete lines buffered so far, with their numbers; a partial last line stays pending.
    fn take_lines(&mut self) -> Vec<(u64, Vec<u8>)> {
        let Some(last_nl) = memchr::memrchr(b'\n', &self.pending) else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last_nl + 1);
        let done = std::mem::replace(&mut self.pending, rest);
        let body = &done[..done.len() - 1];
        let mut out = Vec::new();
        for l in body.split(|b| *b == b'\n') {
            self.line += 1;
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            out.push((self.line, l.to_vec()));
        }
        out
    }
}

/// Tails a growing OTLP/JSON lines file (a Collector `file` exporter dump): imports what is
/// there, then polls for appended lines until `stop` is set. A partial last line waits for its
/// newline; truncation and rotation restart from the beginning of the new file. Each poll that
/// found spans commits at once, so a reader (the TUI) sees new traces within a second;
/// `on_progress` carries the ids of the traces each commit touched.
pub fn follow_file(
    store: &mut Store,
    path: &Path,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<IngestReport, ImportError> {
    let display = path.display().to_string();
    let mut report = IngestReport::new(&display);
    report.format = Format::OtlpJson.name().to_string();
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        report.fatal = Some("is a directory; name the trace file inside it".into());
        return Ok(report);
    }
    let source = SourceRecord {
        path: std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or(display.clone()),
        format: report.format.clone(),
        size: None,
        mtime_ns: None,
    };
    let book = PriceBook::embedded();
    let mut tail = Tail::new(path);
    let mut writer = store.begin_import(&source)?;
    writer.set_batch_size(1000);
    loop {
        let event = match tail.poll() {
            Ok(e) => e,
            Err(e) => {
                report.fatal = Some(io_reason(&e));
                break;
            }
        };
        if let TailEvent::Restarted { partial_lost } = event
            && partial_lost
        {
            report.bad(
                tail.line + 1,
                "unterminated last line dropped: the file was truncated or replaced",
            );
        }
        let lines = tail.take_lines();
        for (number, bytes) in &lines {
            report.lines = report.lines.max(*number);
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match otlp::parse_line(bytes) {
                Ok(spans) => {
                    report.lines_ok += 1;
                    for mut s in spans {
                        finish_otlp_span(book, &mut s);
                        writer.write_prepared(&PreparedSpan::new(s)?)?;
                    }
                }
                Err(reason) => report.bad(*number, reason),
            }
        }
        let idle = matches!(event, TailEvent::Idle);
        // Commit when the input paused (the usual live case) or a catch-up batch is big.
        if writer.pending() > 0 && (idle || writer.pending() >= 1000) {
            let touched = writer.commit_batch()?;
            on_progress(&Progress {
                file: display.clone(),
                bytes_read: tail.offset,
                bytes_total: tail.offset,
                spans: writer.stats.spans_new,
                traces_new: writer.stats.traces_new,
                touched,
            });
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if idle {
            std::thread::sleep(FOLLOW_POLL);
        }
    }
    // A partial line left at the end is not reported: its writer may still be writing it.
    let stats = writer.finish(&source_outcome(&report))?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    report.bytes = tail.offset;
    Ok(report)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// What the store records about how a source's import ended.
fn source_outcome(report: &IngestReport) -> SourceOutcome {
    SourceOutcome {
        lines: report.lines,
        lines_ok: report.lines_ok,
        lines_bad: report.bad_lines_total,
        errors_json: serde_json::to_string(&report.bad_lines).unwrap_or_default(),
    }
}

pub fn mtime_ns(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

impl Store {
    pub fn begin_import(
        &mut self,
        source: &SourceRecord,
    ) -> crate::store::Result<crate::store::SpanWriter<'_>> {
        crate::store::SpanWriter::begin(self, source)
    }
}
